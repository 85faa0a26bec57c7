//! Screenshots of the dashboard's views into `docs/` and its first view measured in headless
//! Chromium (Debian's `chromium` and `chromium-driver`): bytes transferred and the time to the
//! first contentful paint. A measurement, not a test: `cargo run --example dashboard_shots
//! --features mock` (add `-- --no-shots` to measure only).

#[path = "../tests/support/webdriver.rs"]
mod webdriver;

use serde_json::json;
use std::time::Duration;
use wechatpay::mock::{Fault, Server};

#[tokio::main]
async fn main() {
    if let Some(why) = webdriver::missing() {
        eprintln!("dashboard_shots: no browser: {why}");
        std::process::exit(2);
    }
    let shots = !std::env::args().any(|a| a == "--no-shots");
    let server = Server::start().await.unwrap();
    let client = server.client_builder().build().unwrap();
    let notify = notify_handler().await;
    let browser = webdriver::Browser::start().await;

    // The first view of a fresh emulator, measured three times (the median is reported).
    let mut runs = Vec::new();
    for _ in 0..3 {
        browser.open(&server.dashboard_url()).await;
        browser.wait_text("#status", "live").await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        let v = browser
            .eval(
                "const n = performance.getEntriesByType('navigation')[0];
                 const r = performance.getEntriesByType('resource');
                 const p = performance.getEntriesByName('first-contentful-paint')[0];
                 return { bytes: n.transferSize + r.reduce((a, e) => a + e.transferSize, 0),
                          body: n.encodedBodySize + r.reduce((a, e) => a + e.encodedBodySize, 0),
                          requests: 1 + r.length, fcp: p ? p.startTime : null };",
            )
            .await;
        runs.push(v);
    }
    runs.sort_by(|a, b| a["fcp"].as_f64().partial_cmp(&b["fcp"].as_f64()).unwrap());
    let m = &runs[1];
    println!(
        "first view: {} bytes transferred ({} bytes of bodies) in {} requests; first contentful paint {:.0} ms (median of 3)",
        m["bytes"], m["body"], m["requests"], m["fcp"].as_f64().unwrap_or(0.0)
    );
    if !shots {
        browser.quit().await;
        return;
    }

    // Something to show: a paid JSAPI order notified and refunded, a Native order waiting for
    // its buyer, a refused signature, a missing field.
    let mchid = server.merchant().mchid.clone();
    let jsapi = client.chain("v3/pay/transactions/jsapi");
    let native = client.chain("v3/pay/transactions/native");
    let order = |kind: &str, no: &str| {
        let mut body = json!({ "appid": "wxd678efh567hg6787", "mchid": mchid, "description": "Image形象店",
            "out_trade_no": no, "notify_url": notify, "amount": { "total": 100, "currency": "CNY" } });
        if kind == "jsapi" {
            body["payer"] = json!({ "openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o" });
        }
        let chain = if kind == "jsapi" { &jsapi } else { &native };
        chain.post(json!({ "json": body }))
    };
    order("jsapi", "1217752501201407033233368018")
        .await
        .unwrap();
    server.pay("1217752501201407033233368018").unwrap();
    client
        .chain("v3/refund/domestic/refunds")
        .post(json!({ "json": { "out_trade_no": "1217752501201407033233368018", "out_refund_no": "1217752501201407033233368019",
            "notify_url": notify, "amount": { "refund": 40, "total": 100, "currency": "CNY" } } }))
        .await
        .unwrap();
    order("native", "1217752501201407033233368020")
        .await
        .unwrap();
    let mut missing = json!({ "json": { "appid": "wxd678efh567hg6787", "mchid": mchid, "description": "x",
        "out_trade_no": "1217752501201407033233368021", "notify_url": notify, "amount": {} } });
    let _ = client
        .chain("v3/pay/transactions/native")
        .post(missing.take())
        .await;
    server.fault(Fault::BadSignature);
    let _ = client
        .chain("v3/pay/transactions/out-trade-no/{out_trade_no}")
        .get(json!({ "out_trade_no": "1217752501201407033233368020", "query": { "mchid": mchid } }))
        .await;
    server.clear_faults();
    tokio::time::sleep(Duration::from_millis(1500)).await;

    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs");
    let save = |name: &str, png: Vec<u8>| {
        let path = dir.join(format!("dashboard-{name}.png"));
        std::fs::write(&path, png).unwrap();
        println!("wrote {}", path.display());
    };
    browser.open(&server.dashboard_url()).await;
    browser
        .wait_text("#request-list tbody", "PARAM_ERROR")
        .await;
    browser.click("#request-list tbody tr:nth-child(3)").await;
    browser.wait_text("#request-detail", "Canonical").await;
    save("requests", browser.screenshot().await);

    browser.click("nav button[data-view=orders]").await;
    browser
        .click("tr[data-no='1217752501201407033233368020'] td")
        .await;
    browser.wait_text("#order-detail", "pay link").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    save("orders", browser.screenshot().await);

    browser.click("nav button[data-view=notifications]").await;
    browser.wait_text("#deliveries tbody", "delivered").await;
    browser.click("#deliveries tbody tr td").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    save("notifications", browser.screenshot().await);

    browser.click("nav button[data-view=files]").await;
    browser.wait_text("#env-lines", "WECHATPAY_MCHID").await;
    save("files", browser.screenshot().await);

    browser.click("nav button[data-view=settings]").await;
    browser.wait_text("#faults", "bad signature").await;
    save("settings", browser.screenshot().await);
    browser.quit().await;
}

/// A merchant's handler on 127.0.0.1 that answers every notification 200.
async fn notify_handler() -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/notify", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = vec![0u8; 65536];
                let _ = tokio::time::timeout(Duration::from_millis(200), s.read(&mut buf)).await;
                let _ = s
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                    .await;
            });
        }
    });
    url
}
