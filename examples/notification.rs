//! A notification (callback) handler on hyper: the emulator sends a payment notification, the
//! handler verifies and decrypts it from the raw body, and refuses a tampered one.
//!
//! ```sh
//! cargo run --example notification --features mock
//! ```
//!
//! The handler is all a merchant needs in production: `client.parse_notification(&headers, &body)`
//! on the raw bytes, then `Reply::success()` or `Reply::failure(..)`. With axum, take the body as
//! `axum::body::Bytes` and the headers as `http::HeaderMap`; the call is the same.

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::json;
use std::convert::Infallible;
use std::process::ExitCode;
use wechatpay::notify::Reply;
use wechatpay::{mock, Client};

async fn handle(
    client: Client,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let (parts, body) = req.into_parts();
    // The raw bytes, exactly as received: a re-serialised body would not verify.
    let body = match body.collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => return Ok(into_hyper(Reply::failure("unreadable body"))),
    };
    let reply = match client.parse_notification(&parts.headers, &body) {
        Ok(n) => {
            println!(
                "  handler: {} {} verified, resource {}",
                n.event_type, n.id, n.resource
            );
            Reply::success()
        }
        Err(e) => {
            println!("  handler: refused: {e}");
            Reply::failure("verification failed")
        }
    };
    Ok(into_hyper(reply))
}

fn into_hyper(reply: Reply) -> Response<Full<Bytes>> {
    reply.into_http().map(|body| Full::new(Bytes::from(body)))
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> ExitCode {
    let server = mock::Server::start().await.expect("the emulator starts");
    let client = server.client_builder().build().expect("the client builds");

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a loopback port");
    let url = format!(
        "http://{}/wechatpay/notify",
        listener.local_addr().expect("an address")
    );
    let handler_client = client.clone();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let client = handler_client.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |req| handle(client.clone(), req));
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });

    let resource = json!({
        "mchid": client.mchid(),
        "appid": "wxd678efh567hg6787",
        "out_trade_no": "1217752501201407033233368018",
        "transaction_id": "4200000000000000000000000000",
        "trade_state": "SUCCESS",
        "amount": { "total": 100, "currency": "CNY" },
    });
    println!("1. the emulator notifies {url}");
    let status = server
        .notify(&url, "TRANSACTION.SUCCESS", &resource)
        .await
        .expect("the notification is delivered");
    println!("   answered {status}");
    let accepted = status == 200;

    println!("2. a tampered notification (one byte of the body changed)");
    let (headers, mut body) = server
        .notification("TRANSACTION.SUCCESS", &resource)
        .expect("a signed notification");
    let i = body.len() / 2;
    body[i] ^= 1;
    let status = reqwest::Client::new()
        .post(&url)
        .headers(headers)
        .body(body)
        .send()
        .await
        .expect("delivered")
        .status();
    println!("   answered {status}");
    let refused = status == 500;

    if accepted && refused {
        println!("\nthe genuine notification was accepted and the tampered one refused");
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
