//! The admin calls the dashboard adds: WeChat Pay's and the buyer's buttons (close, expire,
//! refund success or abnormal, re-deliver), bills and key files, over real sockets.
#![cfg(feature = "mock")]

use serde_json::{json, Value};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use wechatpay::mock::Server;

/// A handler on 127.0.0.1 answering 200 (APIv3's success), passing each body on.
async fn handler() -> (String, tokio::sync::mpsc::UnboundedReceiver<String>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/notify", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            let tx = tx.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 8192];
                while let Ok(n) = s.read(&mut chunk).await {
                    if n == 0 {
                        break;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    let text = String::from_utf8_lossy(&buf).to_string();
                    if let Some((head, body)) = text.split_once("\r\n\r\n") {
                        let len = head
                            .to_ascii_lowercase()
                            .lines()
                            .find_map(|l| l.strip_prefix("content-length:")?.trim().parse().ok())
                            .unwrap_or(0usize);
                        if body.len() >= len {
                            let _ = tx.send(body.to_string());
                            let _ = s
                                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
                                .await;
                            break;
                        }
                    }
                }
            });
        }
    });
    (url, rx)
}

struct Admin {
    http: reqwest::Client,
    base: String,
}

impl Admin {
    fn new(server: &Server) -> Admin {
        let mut h = reqwest::header::HeaderMap::new();
        h.insert("x-emulator-token", server.admin_token().parse().unwrap());
        let url = server.dashboard_url();
        Admin {
            http: reqwest::Client::builder()
                .no_proxy()
                .default_headers(h)
                .build()
                .unwrap(),
            base: url.split("?token=").next().unwrap().to_string(),
        }
    }

    async fn call(&self, method: reqwest::Method, path: &str) -> (u16, String) {
        let res = self
            .http
            .request(method, format!("{}{path}", self.base))
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        (status, res.text().await.unwrap())
    }

    async fn post(&self, path: &str) -> (u16, Value) {
        let (status, text) = self.call(reqwest::Method::POST, path).await;
        (status, serde_json::from_str(&text).unwrap())
    }
}

async fn next(rx: &mut tokio::sync::mpsc::UnboundedReceiver<String>) -> String {
    tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .unwrap()
        .unwrap()
}

#[tokio::test]
async fn close_expire_refund_outcomes_redeliver_bills_and_keys() {
    let server = Server::start().await.unwrap();
    let client = server.client_builder().build().unwrap();
    let admin = Admin::new(&server);
    let (url, mut notified) = handler().await;
    let native = client.chain("v3/pay/transactions/native");
    for no in ["C1", "E1", "P1"] {
        native
            .post(json!({ "json": { "appid": "wxd678efh567hg6787", "mchid": server.merchant().mchid,
                "description": "d", "out_trade_no": no, "notify_url": url, "amount": { "total": 100 } } }))
            .await
            .unwrap();
    }
    let (status, closed) = admin.post("orders/C1/close").await;
    assert_eq!(
        (status, &closed["order"]["trade_state"]),
        (200, &json!("CLOSED"))
    );
    let (_, expired) = admin.post("orders/E1/expire").await;
    assert_eq!(expired["order"]["trade_state"], "CLOSED");
    assert!(server.pay("E1").is_err(), "an expired order cannot be paid");
    assert_eq!(admin.post("orders/NOPE/close").await.0, 404);

    server.pay("P1").unwrap();
    assert!(next(&mut notified).await.contains("TRANSACTION.SUCCESS"));
    assert_eq!(admin.post("orders/P1/close").await.0, 400);
    client
        .chain("v3/refund/domestic/refunds")
        .post(
            json!({ "json": { "out_trade_no": "P1", "out_refund_no": "R1", "notify_url": url,
            "amount": { "refund": 40, "total": 100, "currency": "CNY" } } }),
        )
        .await
        .unwrap();
    assert!(next(&mut notified).await.contains("REFUND.SUCCESS"));
    let (status, sent) = admin.post("refunds/R1/abnormal").await;
    assert_eq!((status, &sent["sent"]), (200, &json!("REFUND.ABNORMAL")));
    let abnormal = next(&mut notified).await;
    assert!(
        abnormal.contains("\"event_type\":\"REFUND.ABNORMAL\""),
        "{abnormal}"
    );
    // The refund's query says what the notification said.
    let queried = client
        .chain("v3/refund/domestic/refunds/{out_refund_no}")
        .get(json!({ "out_refund_no": "R1" }))
        .await
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(queried["status"], "ABNORMAL", "{queried}");
    assert!(queried.get("success_time").is_none(), "{queried}");
    let (_, refunds) = admin.call(reqwest::Method::GET, "refunds").await;
    assert!(refunds.contains("\"out_refund_no\":\"R1\""), "{refunds}");

    // Every delivery listed with its sealed body and the resource; the first re-delivered.
    let (_, list) = admin.call(reqwest::Method::GET, "deliveries").await;
    let list: Value = serde_json::from_str(&list).unwrap();
    let first = &list[0];
    assert_eq!(first["resource"]["out_trade_no"], "P1");
    assert!(
        first["envelope"]
            .as_str()
            .unwrap()
            .contains("AEAD_AES_256_GCM"),
        "{first}"
    );
    assert!(first["millis"].is_u64());
    let (status, _) = admin
        .post(&format!("deliveries/{}/redeliver", first["id"]))
        .await;
    assert_eq!(status, 200);
    assert!(next(&mut notified).await.contains("TRANSACTION.SUCCESS"));

    // Today's bill holds the paid order; the key files and env.sh name each other.
    let (status, bill) = admin.call(reqwest::Method::GET, "bills/trade").await;
    assert_eq!(status, 200);
    assert!(bill.contains("P1"), "{bill}");
    let (_, env) = admin.call(reqwest::Method::GET, "keys/env.sh").await;
    assert!(env.contains(&format!(
        "export WECHATPAY_ADMIN_TOKEN={}",
        server.admin_token()
    )));
    assert!(env.contains("WECHATPAY_PRIVATE_KEY=$PWD/apiclient_key.pem"));
    let (_, cert) = admin
        .call(reqwest::Method::GET, "keys/wechatpay_platform.pem")
        .await;
    assert_eq!(cert, server.platform_certificate_pem());
    let (status, svg) = admin
        .call(
            reqwest::Method::GET,
            "qr.svg?text=weixin%3A%2F%2Fwxpay%2Fbizpayurl%3Fpr%3Dx",
        )
        .await;
    assert!(status == 200 && svg.starts_with("<svg"), "{svg}");
}
