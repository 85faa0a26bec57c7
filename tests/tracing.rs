//! The tracing output at TRACE level, captured: a span per call and per attempt with what an
//! operator needs (template, attempt, host, status, Request-ID, outcome, elapsed), and nothing
//! secret or personal (no Authorization, keys, bodies or placeholder values).
#![cfg(all(feature = "mock", feature = "tracing"))]

use serde_json::json;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tracing_subscriber::fmt::format::FmtSpan;
use wechatpay::mock::{Answer, Server};
use wechatpay::Retry;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Captured {
        self.clone()
    }
}

#[tokio::test]
async fn calls_and_attempts_are_traced_without_secrets() {
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_span_events(FmtSpan::CLOSE)
        .with_ansi(false)
        .with_writer(captured.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let server = Server::start().await.unwrap();
    let client = server
        .client_builder()
        .retry(Retry::default().backoff(Duration::from_millis(5), Duration::from_millis(5)))
        .build()
        .unwrap();
    let order = "PERSONAL-ORDER-4711";
    let openid = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o";
    server.on_sequence(
        "GET",
        "v3/pay/transactions/out-trade-no/{out_trade_no}",
        vec![
            Answer::json(500, json!({"code": "SYSTEM_ERROR", "message": "系统错误"})),
            Answer::json(
                200,
                json!({"trade_state": "SUCCESS", "payer": {"openid": openid}}),
            ),
        ],
    );
    client
        .chain("v3/pay/transactions/out-trade-no/{out_trade_no}")
        .get(json!({"out_trade_no": order, "query": {"mchid": "1900000001"}}))
        .await
        .unwrap();
    let _ = client
        .chain("v3/pay/transactions/jsapi")
        .post(json!({"json": {"description": "PRIVATE-DESCRIPTION", "payer": {"openid": openid}}}))
        .await;
    drop(_guard);

    let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    for wanted in [
        "wechatpay.call",
        "wechatpay.attempt",
        "template=v3/pay/transactions/out-trade-no/{out_trade_no}",
        "template=v3/pay/transactions/jsapi",
        "protocol=\"v3\"",
        "mchid=1900000001",
        "attempt=1",
        "attempt=2",
        "host=127.0.0.1",
        "status=500",
        "status=200",
        "request_id=",
        "outcome=\"Unknown\"",
        "outcome=\"ok\"",
        "elapsed_ms=",
        "retrying",
    ] {
        assert!(text.contains(wanted), "missing {wanted:?} in:\n{text}");
    }
    let m = server.merchant();
    let secret_lines: Vec<String> = m
        .private_key_pem
        .lines()
        .filter(|l| l.len() > 40)
        .map(str::to_string)
        .collect();
    let mut never = vec![
        order.to_string(),
        openid.to_string(),
        "PRIVATE-DESCRIPTION".to_string(),
        "WECHATPAY2-SHA256".to_string(),
        "signature=\"".to_string(),
        "uthorization".to_string(),
        m.apiv2_secret.to_string(),
        m.apiv3_key.to_string(),
    ];
    never.extend(secret_lines);
    for secret in never {
        assert!(!text.contains(&secret), "{secret:?} leaked into:\n{text}");
    }
}
