//! `wechatpay mock --shangmi` and a 国密 profile: the emulator's export lines in 国密 mode carry
//! the SM2 key, serial and certificate, and `wechatpay request` signs WECHATPAY2-SM2-WITH-SM3 with
//! them, from the variables and from a profile.

mod cli_common;

use cli_common::run;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

/// `wechatpay mock --shangmi` started, its export lines read; stopped when dropped.
struct Mock(std::process::Child, Vec<(String, String)>);

impl Drop for Mock {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn mock() -> Mock {
    let mut child = Command::new(env!("CARGO_BIN_EXE_wechatpay"))
        .args(["mock", "--shangmi"])
        .env_clear()
        .env("TMPDIR", std::env::temp_dir())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut vars = Vec::new();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    while !vars
        .iter()
        .any(|(k, _): &(String, String)| k == "WECHATPAY_SHANGMI_PLATFORM_CERT")
    {
        let line = lines.next().expect("the export lines").unwrap();
        if let Some((k, v)) = line.strip_prefix("export ").and_then(|l| l.split_once('=')) {
            vars.push((k.to_string(), v.to_string()));
        }
    }
    Mock(child, vars)
}

#[test]
fn the_emulator_and_the_tool_speak_shangmi() {
    let m = mock();
    let names: Vec<&str> = m.1.iter().map(|(k, _)| k.as_str()).collect();
    assert!(
        names.contains(&"WECHATPAY_SHANGMI_PRIVATE_KEY"),
        "{names:?}"
    );
    assert!(!names.contains(&"WECHATPAY_PRIVATE_KEY"), "{names:?}");
    let order = [
        "request",
        "POST",
        "v3/pay/transactions/native",
        "json.appid=wxd678efh567hg6787",
        "json.mchid=1900000001",
        "json.description=国密",
        "json.out_trade_no=SMCLI1",
        "json.notify_url=https://example.com/notify",
        "json.amount.total:=1",
    ];
    let (code, out, err) = run(&order, &m.1);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("code_url"), "{out}");

    // The same from a profile; and the SM2 certificate listing.
    let var = |name: &str| m.1.iter().find(|(k, _)| k == name).unwrap().1.clone();
    let dir = std::env::temp_dir().join(format!("wechatpay-cli-shangmi-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("wechatpay.toml");
    let mut profile = String::from("[profiles.guomi]\n");
    for (k, v) in [
        ("mchid", "WECHATPAY_MCHID"),
        ("serial", "WECHATPAY_SERIAL"),
        ("shangmi_private_key", "WECHATPAY_SHANGMI_PRIVATE_KEY"),
        (
            "shangmi_platform_certificate",
            "WECHATPAY_SHANGMI_PLATFORM_CERT",
        ),
        ("apiv3_key", "WECHATPAY_APIV3_KEY"),
        ("base_uri", "WECHATPAY_BASE_URI"),
        ("ca", "WECHATPAY_CA"),
    ] {
        profile.push_str(&format!("{k} = {:?}\n", var(v)));
    }
    std::fs::write(&config, profile).unwrap();
    let config = config.display().to_string();
    let (code, out, err) = run(
        &[
            "--config",
            &config,
            "--profile",
            "guomi",
            "request",
            "GET",
            "v3/certificates",
            "query.algorithm_type=SM2",
        ],
        &[],
    );
    std::fs::remove_dir_all(&dir).ok();
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("AEAD_SM4_GCM"), "{out}");
}
