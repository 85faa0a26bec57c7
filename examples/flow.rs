//! A whole payment flow against the emulator: order → payment → notification received by a
//! handler on loopback → query → refund → the day's bill downloaded and checked against its
//! signed digest.
//!
//! ```sh
//! cargo run --example flow --features mock
//! ```

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};
use std::convert::Infallible;
use std::time::Duration;
use tokio::sync::mpsc;
use wechatpay::notify::Reply;
use wechatpay::{mock, Client};

/// The merchant's notification handler: verify and decrypt from the raw bytes, then answer.
async fn handle(
    client: Client,
    seen: mpsc::UnboundedSender<Value>,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let (parts, body) = req.into_parts();
    let body = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let reply = match client.parse_notification(&parts.headers, &body) {
        Ok(n) => {
            println!("   handler: {} verified and decrypted", n.event_type);
            let _ = seen.send(n.resource);
            Reply::success()
        }
        Err(e) => {
            println!("   handler: refused: {e}");
            Reply::failure("verification failed")
        }
    };
    Ok(reply.into_http().map(|b| Full::new(Bytes::from(b))))
}

/// Serves the handler on a free loopback port; returns its URL.
async fn serve_handler(client: Client, seen: mpsc::UnboundedSender<Value>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a loopback port");
    let url = format!("http://{}/wechatpay/notify", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let (client, seen) = (client.clone(), seen.clone());
            tokio::spawn(async move {
                let service =
                    hyper::service::service_fn(move |r| handle(client.clone(), seen.clone(), r));
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    url
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> wechatpay::Result<()> {
    // Same-day bills: WeChat Pay makes a day's bill the next morning; the emulator at once.
    let server = mock::Server::builder()
        .strict(true)
        .same_day_bills(true)
        .start()
        .await?;
    let client = server.client_builder().build()?;
    let mchid = client.mchid().to_string();
    let (seen, mut notifications) = mpsc::unbounded_channel();
    let notify_url = serve_handler(client.clone(), seen).await;
    println!(
        "emulator at {}, notifications to {notify_url}",
        server.url()
    );

    let out_trade_no = "1217752501201407033233368018";
    println!("1. JSAPI order {out_trade_no}");
    let order = client
        .chain("v3/pay/transactions/jsapi")
        .post(json!({ "json": {
            "appid": "wxd678efh567hg6787", "mchid": mchid, "description": "Image形象店-深圳腾大-QQ公仔",
            "out_trade_no": out_trade_no, "notify_url": notify_url,
            "amount": { "total": 100, "currency": "CNY" }, "payer": { "openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o" },
        }}))
        .await?
        .json()?;
    println!("   prepay_id {}", order["prepay_id"]);

    println!("2. the payer pays (Server::pay)");
    server.pay(out_trade_no)?;
    let paid = tokio::time::timeout(Duration::from_secs(10), notifications.recv())
        .await
        .ok()
        .flatten()
        .expect("the TRANSACTION.SUCCESS notification");
    println!(
        "   notified: {} {}",
        paid["trade_state"], paid["transaction_id"]
    );

    println!("3. query by out_trade_no");
    let q = client
        .chain("v3/pay/transactions/out-trade-no/{out_trade_no}")
        .get(json!({ "out_trade_no": out_trade_no, "query": { "mchid": mchid } }))
        .await?
        .json()?;
    println!(
        "   {} {}, paid {} fen at {}",
        q["trade_state"], q["transaction_id"], q["amount"]["payer_total"], q["success_time"]
    );
    assert_eq!(q["transaction_id"], paid["transaction_id"]);

    println!("4. refund 40 of 100 fen");
    let r = client
        .chain("v3/refund/domestic/refunds")
        .post(json!({ "json": {
            "out_trade_no": out_trade_no, "out_refund_no": "R1", "notify_url": notify_url,
            "amount": { "refund": 40, "total": 100, "currency": "CNY" },
        }}))
        .await?
        .json()?;
    println!("   {} {}", r["status"], r["refund_id"]);
    let refunded = tokio::time::timeout(Duration::from_secs(10), notifications.recv())
        .await
        .ok()
        .flatten()
        .expect("the REFUND.SUCCESS notification");
    println!("   notified: refund {}", refunded["refund_status"]);

    let date = q["success_time"].as_str().unwrap_or("")[..10].to_string();
    println!("5. the trade bill of {date}");
    let bill = client
        .chain("v3/bill/tradebill")
        .get(json!({ "query": { "bill_date": date, "bill_type": "ALL" } }))
        .await?
        .json()?;
    println!(
        "   {} {} at {}",
        bill["hash_type"], bill["hash_value"], bill["download_url"]
    );
    let digest = json!({ "hash_type": bill["hash_type"], "hash_value": bill["hash_value"] });
    let file = client
        .chain("{+download_url}")
        .get(json!({ "download_url": bill["download_url"], "digest": digest }))
        .await?;
    println!("   downloaded {} bytes, digest checked:", file.body().len());
    for line in String::from_utf8_lossy(file.body()).lines() {
        println!("   | {line}");
    }
    println!("\ndeliveries: {:?}", server.deliveries());
    Ok(())
}
