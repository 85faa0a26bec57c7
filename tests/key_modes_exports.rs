//! `wechatpay mock`'s export lines in each key mode: the mode's keys and nothing else, files that
//! hold what their names say, and a client configured from the variables alone (as another
//! language's SDK would be) whose calls verify; `wechatpay mock --mode`.
#![cfg(feature = "mock")]

use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::BufRead as _;
use std::process::{Command, Stdio};
use wechatpay::crypto::Certificate;
use wechatpay::mock::{Mode, Server};
use wechatpay::Client;

fn scratch(tag: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("wechatpay-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn vars(script: &str) -> BTreeMap<String, String> {
    script
        .lines()
        .filter_map(|l| l.strip_prefix("export ")?.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn file(vars: &BTreeMap<String, String>, name: &str) -> String {
    std::fs::read_to_string(&vars[name]).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// A client from the variables alone, the way another SDK is set up from them.
fn client_from(vars: &BTreeMap<String, String>) -> Client {
    let key = file(vars, "WECHATPAY_PRIVATE_KEY");
    let mut b = Client::builder()
        .mchid(&vars["WECHATPAY_MCHID"])
        .serial(&vars["WECHATPAY_SERIAL"])
        .private_key(key.as_bytes())
        .apiv3_key(vars["WECHATPAY_APIV3_KEY"].as_bytes())
        .apiv2_secret(&vars["WECHATPAY_APIV2_SECRET"])
        .merchant_identity(file(vars, "WECHATPAY_MERCHANT_CERT"), key.as_bytes())
        .base_uri(&vars["WECHATPAY_BASE_URI"])
        .add_root_certificate(file(vars, "WECHATPAY_CA"));
    if let Some(id) = vars.get("WECHATPAY_PUBLIC_KEY_ID") {
        b = b.public_key(id, file(vars, "WECHATPAY_PUBLIC_KEY"));
    }
    if vars.contains_key("WECHATPAY_PLATFORM_CERT") {
        b = b.platform_certificate(file(vars, "WECHATPAY_PLATFORM_CERT"));
    }
    b.build().unwrap()
}

#[tokio::test]
async fn each_mode_exports_its_keys_and_a_client_runs_from_them_alone() {
    let dir = scratch("key-modes-exports");
    for mode in [Mode::PublicKey, Mode::Certificate, Mode::Both] {
        let server = Server::builder().mode(mode).start().await.unwrap();
        let out = dir.join(mode.as_str());
        std::fs::create_dir_all(&out).unwrap();
        let v = vars(&server.env_script(&out).unwrap());
        let m = server.merchant();
        assert_eq!(v["WECHATPAY_MODE"], mode.as_str());
        assert_eq!(v["WECHATPAY_MCHID"], m.mchid);
        assert_eq!(v["WECHATPAY_SERIAL"], m.serial);
        assert_eq!(v["WECHATPAY_APIV2_SECRET"], m.apiv2_secret.as_str());
        assert_eq!(v["WECHATPAY_APIV3_KEY"], m.apiv3_key.as_str());
        assert_eq!(v["WECHATPAY_BASE_URI"], server.url());
        assert_eq!(
            v["WECHATPAY_ADMIN_URL"],
            format!("{}__emulator/", server.url())
        );
        assert_eq!(file(&v, "WECHATPAY_CA"), server.ca_pem());
        assert_eq!(
            file(&v, "WECHATPAY_PRIVATE_KEY"),
            m.private_key_pem.as_str()
        );
        assert_eq!(
            file(&v, "WECHATPAY_MERCHANT_KEY"),
            m.private_key_pem.as_str()
        );
        let merchant_cert = Certificate::from_pem(file(&v, "WECHATPAY_MERCHANT_CERT")).unwrap();
        assert_eq!(merchant_cert.serial_no(), m.serial);

        assert_eq!(
            v.contains_key("WECHATPAY_PUBLIC_KEY_ID"),
            mode != Mode::Certificate
        );
        assert_eq!(
            v.contains_key("WECHATPAY_PUBLIC_KEY"),
            mode != Mode::Certificate
        );
        if mode.has_public_key() {
            assert_eq!(v["WECHATPAY_PUBLIC_KEY_ID"], server.public_key_id());
            assert_eq!(file(&v, "WECHATPAY_PUBLIC_KEY"), server.public_key_pem());
        }
        for name in [
            "WECHATPAY_PLATFORM_SERIAL",
            "WECHATPAY_PLATFORM_CERT",
            "WECHATPAY_PLATFORM_CERT_DIR",
        ] {
            assert_eq!(
                v.contains_key(name),
                mode != Mode::PublicKey,
                "{mode} {name}"
            );
        }
        if mode.has_certificate() {
            let cert = Certificate::from_pem(file(&v, "WECHATPAY_PLATFORM_CERT")).unwrap();
            assert_eq!(cert.serial_no(), v["WECHATPAY_PLATFORM_SERIAL"]);
            assert_eq!(cert.serial_no(), server.platform_serial());
            let listed: Vec<_> = std::fs::read_dir(&v["WECHATPAY_PLATFORM_CERT_DIR"])
                .unwrap()
                .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
                .collect();
            assert_eq!(listed, [server.platform_certificate_pem()]);
        }

        // Configured from the variables alone: an APIv3 call verified under the mode's key, an
        // APIv2 call over mutual TLS checked with the secret.
        let client = client_from(&v);
        let res = client
            .chain("v3/pay/transactions/id/{transaction_id}")
            .get(json!({ "transaction_id": "4200000001", "query": { "mchid": m.mchid } }))
            .await
            .unwrap_or_else(|e| panic!("{mode}: {e}"));
        let expected = match mode {
            Mode::Certificate => server.platform_serial(),
            _ => server.public_key_id(),
        };
        assert_eq!(res.headers()["Wechatpay-Serial"], expected, "{mode}");
        let refund = json!({ "xml": {
            "appid": "wx2421b1c4370ec43b", "mch_id": m.mchid, "out_trade_no": "T-exports",
            "out_refund_no": "R-exports", "total_fee": "1", "refund_fee": "1",
        }, "security": true });
        // Answered or refused by the flow, the request passed the checks: the client
        // certificate presented, the sign made with the exported secret.
        let _ = client.chain("v2/secapi/pay/refund").post(refund).await;
        let sent = server.journal().pop().unwrap();
        assert!(sent.client_cert && sent.verified, "{mode}: {sent:?}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn wechatpay_mock_takes_the_mode() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_wechatpay"))
        .args(["mock", "--json", "--mode", "certificate"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let _ = child.kill();
    let _ = child.wait();
    let v: Value = serde_json::from_str(&line).unwrap();
    assert_eq!(v["WECHATPAY_MODE"], "certificate");
    assert_eq!(v["mode"], "certificate");
    assert_eq!(v["WECHATPAY_PLATFORM_SERIAL"], v["platform_serial"]);
    assert!(v.get("WECHATPAY_PUBLIC_KEY_ID").is_none(), "{v}");
    assert!(v.get("public_key_pem").is_none(), "{v}");

    let out = Command::new(env!("CARGO_BIN_EXE_wechatpay"))
        .args(["mock", "--mode", "platform"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("public-key, certificate, both"), "{err}");

    let out = Command::new(env!("CARGO_BIN_EXE_wechatpay"))
        .args(["mock", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    for word in [
        "--mode",
        "WECHATPAY_PLATFORM_CERT_DIR",
        "PUT /__emulator/mode",
    ] {
        assert!(help.contains(word), "{word}: {help}");
    }
}
