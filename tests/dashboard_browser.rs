//! The dashboard in a real browser (headless Chromium over WebDriver): an order made through
//! the client appears, the pay button pays it, and the notification reaches a loopback handler
//! and shows as delivered. Skipped, with the reason, where no browser is installed (`.ci/run`
//! installs one).
#![cfg(feature = "mock")]

#[path = "support/webdriver.rs"]
mod webdriver;

use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use wechatpay::mock::Server;

/// A merchant's notification handler on 127.0.0.1: answers 200 and passes each body on.
async fn handler() -> (String, tokio::sync::mpsc::UnboundedReceiver<String>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/notify", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            let tx = tx.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                loop {
                    let Ok(n) = s.read(&mut chunk).await else {
                        return;
                    };
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    let text = String::from_utf8_lossy(&buf).to_string();
                    if let Some((head, body)) = text.split_once("\r\n\r\n") {
                        let len = head
                            .lines()
                            .find_map(|l| {
                                l.to_ascii_lowercase()
                                    .strip_prefix("content-length:")
                                    .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                            })
                            .unwrap_or(0);
                        if body.len() >= len {
                            let _ = tx.send(body.to_string());
                            let _ = s
                                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                                .await;
                            return;
                        }
                    }
                }
            });
        }
    });
    (url, rx)
}

async fn native_order(client: &wechatpay::Client, server: &Server, no: &str, notify_url: &str) {
    client
        .chain("v3/pay/transactions/native")
        .post(json!({ "json": {
            "appid": "wxd678efh567hg6787", "mchid": server.merchant().mchid, "description": "Image形象店",
            "out_trade_no": no, "notify_url": notify_url, "amount": { "total": 100 } } }))
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn an_order_appears_is_paid_by_a_click_and_its_notification_is_delivered() {
    if let Some(why) = webdriver::missing() {
        eprintln!("dashboard_browser skipped: {why}");
        return;
    }
    let server = Server::start().await.unwrap();
    let client = server.client_builder().build().unwrap();
    let (notify_url, mut notified) = handler().await;
    let browser = webdriver::Browser::start().await;
    browser.open(&server.dashboard_url()).await;
    // The token leaves the address bar once the page has it.
    browser.wait_text("#status", "live").await;
    let url = browser.eval("return location.href;").await;
    assert!(!url.as_str().unwrap().contains("token"), "{url}");

    native_order(&client, &server, "DASH1", &notify_url).await;
    // The live list shows the request and its verdict.
    browser
        .wait_text("#request-list tbody", "v3/pay/transactions/native")
        .await;
    browser
        .wait_text("#request-list tbody", "signature ok")
        .await;

    browser.click("nav button[data-view=orders]").await;
    browser.wait_text("#order-list tbody", "DASH1").await;
    browser.click("tr[data-no=DASH1] button.pay").await;
    browser.wait_text("tr[data-no=DASH1]", "SUCCESS").await;
    let body = tokio::time::timeout(std::time::Duration::from_secs(15), notified.recv())
        .await
        .expect("the handler is notified")
        .unwrap();
    assert!(body.contains("TRANSACTION.SUCCESS"), "{body}");
    assert_eq!(server.order("DASH1").unwrap()["trade_state"], "SUCCESS");

    browser.click("nav button[data-view=notifications]").await;
    let row = browser.wait_text("#deliveries tbody", "delivered").await;
    assert!(
        row.contains("TRANSACTION.SUCCESS") && row.contains("DASH1"),
        "{row}"
    );
    // Opened: the sealed envelope beside the decrypted resource; re-delivered: sent again.
    browser.click("#deliveries tbody tr td").await;
    let detail = browser
        .wait_text("#delivery-detail", "Decrypted resource")
        .await;
    assert!(detail.contains("ciphertext"), "{detail}");
    assert!(detail.contains("\"out_trade_no\": \"DASH1\""), "{detail}");
    browser.click("#deliveries tbody tr button.redeliver").await;
    let again = tokio::time::timeout(std::time::Duration::from_secs(15), notified.recv())
        .await
        .expect("the handler is notified again")
        .unwrap();
    assert!(again.contains("TRANSACTION.SUCCESS"), "{again}");

    // A Native order's QR code: its link, opened as the buyer's phone would, pays the order.
    native_order(&client, &server, "DASH2", &notify_url).await;
    browser.click("nav button[data-view=orders]").await;
    browser.click("tr[data-no=DASH2] td").await;
    browser.wait_text("#order-detail", "pay link").await;
    let src = browser
        .eval("return document.querySelector('#order-detail img.qr').src;")
        .await;
    let src = url::Url::parse(src.as_str().unwrap()).unwrap();
    let link = src
        .query_pairs()
        .find(|(k, _)| k == "text")
        .map(|(_, v)| v.into_owned())
        .unwrap();
    let shown = browser
        .eval("return document.querySelector('#order-detail a').href;")
        .await;
    assert_eq!(shown, link.as_str());
    assert!(
        link.contains(server.admin_token()) && link.ends_with("#pay=DASH2"),
        "{link}"
    );
    browser.open(&link).await;
    browser.wait_text("tr[data-no=DASH2]", "SUCCESS").await;
    assert_eq!(server.order("DASH2").unwrap()["trade_state"], "SUCCESS");

    // The key mode and a fault, switched from the page.
    browser.click("nav button[data-view=settings]").await;
    browser.wait_text("#faults", "bad signature").await;
    browser
        .eval("const m = document.querySelector('#mode'); m.value = 'both'; m.dispatchEvent(new Event('change')); return 0;")
        .await;
    browser.wait_text("#toast", "key mode: done").await;
    browser.click("input[data-fault=BadSignature]").await;
    browser.wait_text("#toast", "bad signature: done").await;
    assert_eq!(server.mode().as_str(), "both");
    // The next answer's signature is broken: the client refuses it.
    let query = client
        .chain("v3/pay/transactions/out-trade-no/{out_trade_no}")
        .get(json!({ "out_trade_no": "DASH2", "query": { "mchid": server.merchant().mchid } }))
        .await;
    assert!(query.is_err(), "{query:?}");
    browser.quit().await;
}
