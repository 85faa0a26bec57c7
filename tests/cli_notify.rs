//! `wechatpay mock notify`, `wechatpay list --notifications`, `wechatpay show EVENT_TYPE`:
//! a documented notification sent by a running emulator to a loopback handler, and the
//! notification catalogue offline.

mod cli_common;
use cli_common::{run, serve_once, Emulator};
use serde_json::Value;

/// The headers and body of one raw HTTP/1.1 request.
fn split(raw: &[u8]) -> (http::HeaderMap, Vec<u8>) {
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&raw[..end]);
    let mut headers = http::HeaderMap::new();
    for line in head.lines().skip(1) {
        let (k, v) = line.split_once(':').unwrap();
        headers.insert(
            http::HeaderName::from_bytes(k.trim().as_bytes()).unwrap(),
            http::HeaderValue::from_str(v.trim()).unwrap(),
        );
    }
    (headers, raw[end + 4..].to_vec())
}

#[test]
fn mock_notify_sends_a_documented_notification_through_the_running_emulator() {
    let emu = Emulator::start("cli-notify");
    let client = emu.server.client_builder().build().unwrap();
    let ok = b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n".to_vec();
    let (addr, task) = serve_once(&emu.rt, ok);
    let to = format!("http://{addr}/notify");
    let set = r#"{"out_trade_no":"CLI-1","amount":{"total":321}}"#;
    let (code, out, err) = run(
        &[
            "mock",
            "notify",
            "TRANSACTION.SUCCESS",
            "--to",
            &to,
            "--set",
            set,
        ],
        &emu.vars,
    );
    assert_eq!(code, 0, "{out}{err}");
    let answer: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        (answer["status"].as_u64(), answer["accepted"].as_bool()),
        (Some(204), Some(true))
    );
    let raw = emu.rt.block_on(task).unwrap();
    let (headers, body) = split(&raw);
    let n = client.parse_notification(&headers, &body).unwrap();
    assert_eq!(n.event_type, "TRANSACTION.SUCCESS");
    assert_eq!(n.resource["out_trade_no"], "CLI-1");
    assert_eq!(n.resource["amount"]["total"], 321);

    // A handler that does not answer success: sent, exit 1.
    let no =
        b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    let (addr, task) = serve_once(&emu.rt, no.to_vec());
    let to = format!("http://{addr}/notify");
    let (code, out, _) = run(
        &["mock", "notify", "v2/transaction-success", "--to", &to],
        &emu.vars,
    );
    assert_eq!(code, 1, "{out}");
    let raw = emu.rt.block_on(task).unwrap();
    let (_, body) = split(&raw);
    assert!(client.parse_v2_notification(&body).is_ok());

    // Refused before anything is sent: exit 2, naming the culprit.
    let (code, _, err) = run(&["mock", "notify", "NO.SUCH", "--to", &to], &emu.vars);
    assert_eq!(code, 2);
    assert!(err.contains("documents no notification NO.SUCH"), "{err}");
    let (code, _, err) = run(
        &[
            "mock",
            "notify",
            "REFUND.SUCCESS",
            "--to",
            "https://example.com/n",
        ],
        &emu.vars,
    );
    assert_eq!(code, 2);
    assert!(err.contains("only notifies"), "{err}");
    let (code, _, err) = run(
        &[
            "mock",
            "notify",
            "REFUND.SUCCESS",
            "--to",
            &to,
            "--set",
            "[1]",
        ],
        &emu.vars,
    );
    assert_eq!(code, 2);
    assert!(err.contains("--set"), "{err}");
}

#[test]
fn the_catalogue_lists_and_shows_notifications() {
    let vars = cli_common::offline();
    let (code, out, _) = run(&["list", "--notifications"], &vars);
    assert_eq!(code, 0);
    assert_eq!(out.lines().count(), 114);
    let (_, out, _) = run(&["list", "--notifications", "--v2", "--json"], &vars);
    let rows: Vec<Value> = serde_json::from_str(&out).unwrap();
    assert_eq!(rows.len(), 10);
    let (code, out, _) = run(&["show", "TRANSACTION.SUCCESS"], &vars);
    assert_eq!(code, 0);
    assert!(
        out.contains("AEAD_AES_256_GCM") && out.contains("POST   v3/pay/transactions/jsapi"),
        "{out}"
    );
    let (_, out, _) = run(&["show", "REFUND.SUCCESS", "--json"], &vars);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["answer"]["kind"], "json");
    assert!(v["resource"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["name"] == "out_refund_no"));
    // Calls are still shown as calls.
    let (code, out, _) = run(&["show", "POST", "v3/refund/domestic/refunds"], &vars);
    assert_eq!(code, 0);
    assert!(out.starts_with("POST v3/refund/domestic/refunds"));
}
