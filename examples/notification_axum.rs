//! A notification (callback, 支付通知) handler on axum: the emulator pays an order and POSTs the
//! signed, encrypted `TRANSACTION.SUCCESS` to the handler, which verifies and decrypts it; a
//! tampered copy is refused with 400.
//!
//! ```sh
//! cargo run --example notification_axum --features mock
//! ```
//!
//! The whole integration is the handler: the raw body as `Bytes` (a re-serialised body would
//! not verify), the `HeaderMap`, and `client.parse_notification(&headers, &body)`.

use axum::{body::Bytes, extract::State, http::HeaderMap, http::StatusCode, routing::post, Router};
use serde_json::{json, Value};
use std::time::Duration;
use tokio::sync::mpsc::{unbounded_channel, UnboundedSender};
use wechatpay::{mock, Client};

#[derive(Clone)]
struct App {
    client: Client,
    // Only so this example can check what the handler decrypted.
    seen: UnboundedSender<Value>,
}

async fn notify(State(app): State<App>, headers: HeaderMap, body: Bytes) -> (StatusCode, String) {
    match app.client.parse_notification(&headers, &body) {
        Ok(n) => {
            // Production code would also check the order it names (`n.transaction()?` and
            // `ExpectedOrder`) before marking it paid.
            let _ = app.seen.send(n.resource);
            (StatusCode::OK, json!({ "code": "SUCCESS" }).to_string())
        }
        // 4xx: WeChat Pay retries later; a forged request gets nothing it can use.
        Err(e) => (
            StatusCode::BAD_REQUEST,
            json!({ "code": "FAIL", "message": e.to_string() }).to_string(),
        ),
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let server = mock::Server::start().await?;
    let client = server.client_builder().build()?;

    let (seen, mut decrypted) = unbounded_channel();
    let app = Router::new()
        .route("/wechatpay/notify", post(notify))
        .with_state(App {
            client: client.clone(),
            seen,
        });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/wechatpay/notify", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, app).await });
    println!("handler on {url}");

    // 1. A real payment: the order names the handler, the emulator pays it and delivers.
    let out_trade_no = "1217752501201407033233368018";
    client
        .chain("v3/pay/transactions/jsapi")
        .post(json!({ "json": {
            "appid": "wxd678efh567hg6787", "mchid": client.mchid(), "description": "Image形象店-深圳腾大-QQ公仔",
            "out_trade_no": out_trade_no, "notify_url": url,
            "amount": { "total": 100, "currency": "CNY" }, "payer": { "openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o" },
        }}))
        .await?;
    server.pay(out_trade_no)?;
    let resource = tokio::time::timeout(Duration::from_secs(10), decrypted.recv())
        .await?
        .ok_or("the handler stopped")?;
    assert_eq!(resource["out_trade_no"], out_trade_no);
    assert_eq!(resource["trade_state"], "SUCCESS");
    // The emulator records the handler's answer once it has it.
    let delivered = async {
        loop {
            if let Some(d) = server
                .deliveries()
                .into_iter()
                .find(|d| d.outcome == "delivered")
            {
                return d;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    let delivery = tokio::time::timeout(Duration::from_secs(10), delivered).await?;
    assert_eq!(delivery.status, Some(200));
    println!(
        "1. delivered by the emulator: {} answered 200, {}",
        delivery.event_type, resource["transaction_id"]
    );

    // 2. The same kind of notification with one byte of the encrypted body changed.
    let (headers, mut body) = server.notification("TRANSACTION.SUCCESS", &resource)?;
    let i = body.len() / 2;
    body[i] ^= 1;
    let res = reqwest::Client::new()
        .post(&url)
        .headers(headers)
        .body(body)
        .send()
        .await?;
    let status = res.status();
    let answer: Value = serde_json::from_str(&res.text().await?)?;
    assert_eq!(status, 400, "{answer}");
    assert_eq!(answer["code"], "FAIL");
    assert!(
        decrypted.try_recv().is_err(),
        "nothing forged reached the business code"
    );
    println!("2. tampered: answered {status}: {}", answer["message"]);
    Ok(())
}
