//! The command signing as a brand: `--brand-id` or a brand profile against the emulator started
//! with a brand (its WECHATPAY_BRAND_* export lines), the answer verified with the public key; a
//! merchant's settings on a brand profile refused by name; the export lines in every key mode.
#![cfg(all(feature = "mock", feature = "cli"))]

mod cli_common;

use cli_common::{run, Emulator};
use wechatpay::mock::{Brand, Mode, Server};

const COUPON: &str = "brand/marketing/product-coupon/product-coupons/{product_coupon_id}";

fn start(tag: &str, mode: Mode) -> Emulator {
    Emulator::start_with(
        tag,
        Server::builder()
            .mode(mode)
            .brand(Brand::generate("1001").unwrap()),
    )
}

/// A brand profile from the emulator's WECHATPAY_BRAND_* lines, with `extra` lines.
fn brand_config(e: &Emulator, extra: &str) -> String {
    let path = e.dir.join("brand.toml");
    let text = format!(
        "[profiles.brand]\nbrand_id = {:?}\nserial = {:?}\nprivate_key = {:?}\n\
         public_key_id = {:?}\npublic_key = {:?}\nbrand_api_key = {:?}\nbase_uri = {:?}\nca = {:?}\n{extra}",
        e.var("WECHATPAY_BRAND_ID"),
        e.var("WECHATPAY_BRAND_SERIAL"),
        e.var("WECHATPAY_BRAND_PRIVATE_KEY"),
        e.var("WECHATPAY_BRAND_PUBLIC_KEY_ID"),
        e.var("WECHATPAY_BRAND_PUBLIC_KEY"),
        e.var("WECHATPAY_BRAND_API_KEY"),
        e.var("WECHATPAY_BASE_URI"),
        e.var("WECHATPAY_CA"),
    );
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

#[test]
fn the_export_lines_carry_the_brand_in_every_mode() {
    for mode in [Mode::PublicKey, Mode::Certificate] {
        let e = start("cli-brand-exports", mode);
        let b = e.server.brand("1001").unwrap();
        assert_eq!(e.var("WECHATPAY_BRAND_ID"), "1001");
        assert_eq!(e.var("WECHATPAY_BRAND_SERIAL"), b.serial);
        assert_eq!(e.var("WECHATPAY_BRAND_API_KEY"), b.brand_api_key.as_str());
        let key = std::fs::read_to_string(e.var("WECHATPAY_BRAND_PRIVATE_KEY")).unwrap();
        assert_eq!(key, b.private_key_pem.as_str());
        // Brands verify with the public key only: theirs is there in certificate mode too,
        // where the merchant's lines carry no public key.
        assert_eq!(
            e.var("WECHATPAY_BRAND_PUBLIC_KEY_ID"),
            e.server.public_key_id()
        );
        let public = std::fs::read_to_string(e.var("WECHATPAY_BRAND_PUBLIC_KEY")).unwrap();
        assert_eq!(public, e.server.public_key_pem());
        let merchant_public = e.vars.iter().any(|(k, _)| k == "WECHATPAY_PUBLIC_KEY_ID");
        assert_eq!(merchant_public, mode == Mode::PublicKey);
    }
    // Without a brand, no brand lines.
    let plain = Emulator::start("cli-brand-none");
    assert!(!plain
        .vars
        .iter()
        .any(|(k, _)| k.starts_with("WECHATPAY_BRAND")));
}

#[test]
fn brand_id_signs_as_the_brand_and_the_answer_verifies() {
    for mode in [Mode::PublicKey, Mode::Certificate] {
        let e = start("cli-brand-request", mode);
        let call = ["request", "GET", COUPON, "product_coupon_id=200000001"];
        let args: Vec<&str> = ["--brand-id", "1001"]
            .iter()
            .chain(&call)
            .copied()
            .collect();
        let (code, out, err) = run(&args, &e.vars);
        assert_eq!(code, 0, "{err}");
        assert!(err.starts_with("200 "), "{err}");
        let answer: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert!(answer.is_object(), "{out}");
        // The emulator verified it under the brand scheme, with brand 1001's key.
        let journal = e.server.journal();
        let last = journal.last().unwrap();
        assert!(last.verified);
        let auth = last.headers["authorization"].to_str().unwrap();
        assert!(
            auth.starts_with("WECHATPAY-BRAND-SHA256-RSA2048 ")
                && auth.contains("brand_id=\"1001\""),
            "{auth}"
        );
        // The same line as the merchant is refused before it is sent: a brand call.
        let (code, _, err) = run(&call, &e.vars);
        assert_eq!(code, 2, "{err}");
        assert!(err.contains("brand call"), "{err}");
        assert_eq!(e.server.journal().len(), journal.len());
    }
}

#[test]
fn a_brand_profile_signs_as_the_brand() {
    let e = start("cli-brand-profile", Mode::PublicKey);
    let config = brand_config(&e, "");
    // No variables at all: everything from the profile.
    let (code, out, err) = run(
        &[
            "--config",
            &config,
            "--profile",
            "brand",
            "request",
            "POST",
            "brand/marketing/product-coupon/notify-configs",
            "json.notify_url=https://brand.example.com/n",
        ],
        &[],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("brand.example.com"), "{out}");
}

#[test]
fn a_merchants_settings_on_a_brand_profile_are_refused_by_name() {
    let e = start("cli-brand-refused", Mode::PublicKey);
    for (extra, field) in [
        ("mchid = \"1900000001\"\n", "mchid"),
        (
            "apiv3_key = \"0123456789abcdef0123456789abcdef\"\n",
            "apiv3_key",
        ),
        ("apiv2_secret = \"s\"\n", "apiv2_secret"),
    ] {
        let config = brand_config(&e, extra);
        let (code, out, err) = run(
            &[
                "--config",
                &config,
                "--profile",
                "brand",
                "request",
                "GET",
                COUPON,
                "product_coupon_id=1",
            ],
            &[],
        );
        assert_eq!(code, 2, "{extra}: {err}");
        assert!(out.is_empty());
        assert!(
            err.contains(&format!("`{field}`")) && err.contains("brand"),
            "{err}"
        );
        // Never the secret itself.
        assert!(!err.contains("0123456789abcdef"), "{err}");
    }
    // The flag too: --mchid beside --brand-id.
    let (code, _, err) = run(
        &[
            "--brand-id",
            "1001",
            "--mchid",
            "1900000001",
            "request",
            "GET",
            COUPON,
            "product_coupon_id=1",
        ],
        &e.vars,
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("`mchid`") && err.contains("--mchid"), "{err}");
}

/// `wechatpay mock --brand` prints the brand's lines (here as `--json`); its help names them.
#[cfg(unix)]
#[test]
fn mock_brand_exports_the_brand() {
    use std::io::BufRead as _;
    let (code, help, _) = run(&["mock", "--help"], &[]);
    assert_eq!(code, 0);
    assert!(
        help.contains("--brand") && help.contains("WECHATPAY_BRAND_API_KEY"),
        "{help}"
    );
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_wechatpay"))
        .args(["mock", "--brand", "--json"])
        .env_clear()
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(v["WECHATPAY_BRAND_ID"], "1001");
    assert_eq!(v["WECHATPAY_BRAND_SERIAL"].as_str().unwrap().len(), 40);
    assert_eq!(v["WECHATPAY_BRAND_API_KEY"].as_str().unwrap().len(), 32);
    assert_eq!(v["brands"][0]["brand_id"], "1001");
    let key = std::fs::read_to_string(v["WECHATPAY_BRAND_PRIVATE_KEY"].as_str().unwrap()).unwrap();
    assert!(key.starts_with("-----BEGIN PRIVATE KEY-----"));
    // SAFETY: a signal to our own child.
    assert_eq!(
        unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) },
        0
    );
    assert_eq!(child.wait().unwrap().code(), Some(0));
    // The id goes after `=`: a subcommand after a plain `--brand` is the subcommand, not an id.
    let (code, help, err) = run(&["mock", "--brand", "notify", "--help"], &[]);
    assert_eq!(code, 0, "{err}");
    assert!(help.contains("--to"), "{help}");
}
