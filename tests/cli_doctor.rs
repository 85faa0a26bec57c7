//! `wechatpay doctor --online` against the emulator: WeChat Pay's self-test
//! `POST v3/security/echo` in each key mode, and what each broken part of a configuration makes
//! it say.
#![cfg(feature = "mock")]

mod cli_common;
use cli_common::{private_fixture, run, Emulator};
use wechatpay::mock::{Fault, Mode, Server};

/// The emulator in `mode`, with the variables of a merchant configured for it: the WeChat Pay
/// public key in public-key mode, the platform certificate (and no public key) in certificate
/// mode.
fn emulator(mode: Mode, tag: &str) -> (Emulator, Vec<(String, String)>) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = rt
        .block_on(Server::builder().mode(mode).start())
        .expect("the emulator starts");
    let dir = std::env::temp_dir().join(format!("wechatpay-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut vars: Vec<(String, String)> = server
        .env_script(&dir)
        .unwrap()
        .lines()
        .filter_map(|l| l.strip_prefix("export "))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    if mode == Mode::Certificate {
        let cert = dir.join("wechatpay_platform.pem");
        std::fs::write(&cert, server.platform_certificate_pem()).unwrap();
        vars.retain(|(k, _)| k != "WECHATPAY_PUBLIC_KEY_ID" && k != "WECHATPAY_PUBLIC_KEY");
        vars.push(("WECHATPAY_PLATFORM_CERT".into(), cert.display().to_string()));
    }
    let emu = Emulator {
        rt,
        server,
        dir,
        vars: vars.clone(),
    };
    (emu, vars)
}

#[test]
fn doctor_online_uses_the_echo_self_test_in_every_key_mode() {
    for (mode, key) in [(Mode::PublicKey, "PUB_KEY_ID_"), (Mode::Certificate, "")] {
        let (emu, vars) = emulator(mode, &format!("doctor-echo-{mode:?}"));
        let (code, out, err) = run(&["doctor", "--online"], &vars);
        assert_eq!(code, 0, "{mode:?}: {out}{err}");
        let verified_with = match mode {
            Mode::Certificate => format!(
                "ok    answer: signature verified with the platform certificate {}",
                emu.server.platform_serial()
            ),
            _ => format!(
                "ok    answer: signature verified with the WeChat Pay public key {}",
                emu.server.public_key_id()
            ),
        };
        assert!(verified_with.contains(key));
        for line in [
            "ok    signature: WeChat Pay accepted the request signed with mchid, serial and private_key",
            verified_with.as_str(),
            "ok    echo: the message came back unchanged",
            "ok    clock: ",
            "0 failure(s)",
        ] {
            assert!(out.contains(line), "{mode:?}: {line}\n{out}");
        }
        // The self-test, not the certificate listing (closed to public-key merchants).
        let journal = emu.server.journal();
        assert!(
            journal.iter().any(|r| r.method == "POST"
                && r.path == "/v3/security/echo"
                && r.verified
                && String::from_utf8_lossy(&r.body).contains("wechatpay doctor")),
            "{mode:?}"
        );
        assert!(
            journal.iter().all(|r| r.path != "/v3/certificates"),
            "{mode:?}: the listing was called"
        );
    }
}

#[test]
fn doctor_online_says_which_part_failed() {
    let (emu, vars) = emulator(Mode::PublicKey, "doctor-echo-fail");

    // Another private key: WeChat Pay refuses the request signature.
    let other = private_fixture("merchant_key.pem");
    // Without the merchant certificate, which the client would refuse beside another key.
    let bad_key: Vec<(String, String)> = vars
        .iter()
        .filter(|(k, _)| k != "WECHATPAY_MERCHANT_CERT" && k != "WECHATPAY_MERCHANT_KEY")
        .map(|(k, v)| match k.as_str() {
            "WECHATPAY_PRIVATE_KEY" => (k.clone(), other.clone()),
            _ => (k.clone(), v.clone()),
        })
        .collect();
    let (code, out, _) = run(&["doctor", "--online"], &bad_key);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("FAIL  signature: WeChat Pay refused the request signature: ")
            && out.contains("SIGN_ERROR")
            && out.contains("fix: serial must be the serial of the API certificate"),
        "{out}"
    );

    // A forged answer: the signature is WeChat Pay's word, and it does not verify.
    emu.server.fault(Fault::BadSignature);
    let (code, out, _) = run(&["doctor", "--online"], &vars);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("FAIL  answer: WeChat Pay's answer did not verify with the configured key")
            && out.contains("fix: set public_key_id and public_key"),
        "{out}"
    );
    assert!(!out.contains("ok    signature:"), "{out}");

    // An answer ten minutes old: the clock is named.
    emu.server.clear_faults();
    emu.server.fault(Fault::SkewedClock);
    let (code, out, _) = run(&["doctor", "--online"], &vars);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("FAIL  clock: "), "{out}");
    assert!(out.contains("synchronise the clock"), "{out}");
}
