//! Shared by the tests that need a raw loopback server: plain HTTP on 127.0.0.1, real sockets,
//! answers written byte by byte (signed with the test WeChat Pay key, or forged).
#![allow(dead_code)]

use base64::Engine;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use tokio::io::AsyncReadExt;
use tokio::net::{TcpListener, TcpStream};
use wechatpay::crypto::PrivateKey;
use wechatpay::Client;

pub const MERCHANT_KEY: &str = include_str!("../fixtures/client/merchant_key.pem");
pub const WECHATPAY_KEY: &str = include_str!("../fixtures/client/wechatpay_key.pem");
pub const WECHATPAY_PUB: &str = include_str!("../fixtures/client/wechatpay_pub.pem");
pub const KEY_ID: &str = "PUB_KEY_ID_0119000000012024000000000000";

pub type Behaviour =
    Arc<dyn Fn(TcpStream) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>;

/// A server on 127.0.0.1 that reads each request's head and then does what it is told.
pub async fn serve(behaviour: Behaviour) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let behaviour = behaviour.clone();
            tokio::spawn(async move {
                if read_head(&mut stream).await.is_some() {
                    behaviour(stream).await;
                }
            });
        }
    });
    format!("http://{addr}/")
}

/// Reads a request's head (up to its blank line); `None` when the peer closed first.
pub async fn read_head(stream: &mut TcpStream) -> Option<String> {
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    Some(String::from_utf8_lossy(&head).into_owned())
}

pub fn behaviour<F, Fut>(f: F) -> Behaviour
where
    F: Fn(TcpStream) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    Arc::new(move |s| Box::pin(f(s)))
}

pub fn client(base: &str) -> Client {
    Client::builder()
        .mchid("1900000001")
        .serial("1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C")
        .private_key(MERCHANT_KEY)
        .public_key(KEY_ID, WECHATPAY_PUB)
        .apiv2_secret("192006250b4c09247ec02edce69f6a2d")
        .base_uri(base)
        .build()
        .unwrap()
}

pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// An HTTP/1.1 answer signed with `key` (WeChat Pay's, or a forger's).
pub fn signed_answer(status: &str, body: &str, key: &str) -> Vec<u8> {
    let ts = unix_now().to_string();
    let nonce = "NONCE0123456789";
    let sig = PrivateKey::from_pem(key)
        .unwrap()
        .sign(&wechatpay::v3::canonical_response(
            &ts,
            nonce,
            body.as_bytes(),
        ))
        .unwrap();
    let sig = base64::engine::general_purpose::STANDARD.encode(sig);
    format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nRequest-ID: 08F1\r\n\
         Wechatpay-Timestamp: {ts}\r\nWechatpay-Nonce: {nonce}\r\nWechatpay-Serial: {KEY_ID}\r\n\
         Wechatpay-Signature: {sig}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// A server that writes `answer` to each request and closes.
pub fn fixed(answer: &'static [u8]) -> Behaviour {
    behaviour(move |mut s| async move {
        let _ = tokio::io::AsyncWriteExt::write_all(&mut s, answer).await;
    })
}

/// A server that writes `head` to each request and then holds the connection open.
pub fn holding(head: &'static [u8]) -> Behaviour {
    behaviour(move |mut s| async move {
        let _ = tokio::io::AsyncWriteExt::write_all(&mut s, head).await;
        tokio::time::sleep(std::time::Duration::from_secs(30)).await;
    })
}

/// A loopback port with nothing listening on it.
pub fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `n` concurrent calls that close an order each, as many request handlers would make them.
pub async fn close_orders(
    client: &Client,
    n: usize,
) -> Vec<wechatpay::Result<wechatpay::Response>> {
    let calls = (0..n).map(|i| {
        let client = client.clone();
        async move {
            client
                .chain("v3/pay/transactions/out-trade-no/{out_trade_no}/close")
                .post(serde_json::json!({"out_trade_no": format!("N{i}"), "json": {"mchid": "1900000001"}}))
                .await
        }
    });
    futures_util::future::join_all(calls).await
}
