//! The server side, run in a child process pinned to its own core: either a raw HTTP/1.1 server
//! answering every request with one pre-signed answer, or the emulator in fast mode (TLS,
//! HTTP/1.1 or HTTP/2). It prints its port and CA, then answers `connections` on stdin with the
//! number of TCP connections accepted, and exits when stdin closes.

use base64::Engine;
use std::io::{BufRead, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use wechatpay::crypto::PrivateKey;

pub const MERCHANT_KEY: &str = include_str!("../../tests/fixtures/client/merchant_key.pem");
pub const WECHATPAY_KEY: &str = include_str!("../../tests/fixtures/client/wechatpay_key.pem");
pub const WECHATPAY_PUB: &str = include_str!("../../tests/fixtures/client/wechatpay_pub.pem");
pub const KEY_ID: &str = "PUB_KEY_ID_0119000000012024000000000000";
pub const MERCHANT_SERIAL: &str = "1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C";

/// Runs the server named by `kind` (`raw`, `emulator` or `emulator-h2`) until stdin closes.
#[cfg_attr(not(feature = "mock"), allow(unreachable_code))]
pub fn run(kind: &str) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let _guard = rt.enter();
    let emulator = match kind {
        "raw" => {
            let listener = rt
                .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
                .unwrap();
            println!("{}\n-", listener.local_addr().unwrap().port());
            rt.spawn(raw(listener, accepted.clone()));
            None
        }
        "emulator" | "emulator-h2" => Some(start_emulator(&rt, kind == "emulator-h2")),
        other => panic!("unknown server `{other}`: raw, emulator or emulator-h2"),
    };
    std::io::stdout().flush().unwrap();
    // The runtime serves on this thread while a plain thread reads the parent's lines.
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rt.block_on(async {
        while let Some(line) = rx.recv().await {
            if line == "connections" {
                let n = match &emulator {
                    Some(server) => connections(server),
                    None => accepted.load(Ordering::Relaxed),
                };
                println!("{n}");
                std::io::stdout().flush().unwrap();
            }
        }
    });
}

#[cfg(feature = "mock")]
type Emulator = wechatpay::mock::Server;
/// Without the `mock` feature (to measure a binary without the emulator) there is none.
#[cfg(not(feature = "mock"))]
type Emulator = std::convert::Infallible;

/// The emulator in fast mode, its port and CA printed for the parent.
#[cfg(feature = "mock")]
fn start_emulator(rt: &tokio::runtime::Runtime, http2: bool) -> Emulator {
    let server = rt
        .block_on(
            wechatpay::mock::Server::builder()
                .fast(true)
                .http2(http2)
                .platform_key(WECHATPAY_KEY, KEY_ID)
                .start(),
        )
        .unwrap();
    let port = server
        .url()
        .trim_end_matches('/')
        .rsplit(':')
        .next()
        .unwrap();
    let ca = base64::engine::general_purpose::STANDARD.encode(server.ca_pem());
    println!("{port}\n{ca}");
    server
}

#[cfg(not(feature = "mock"))]
fn start_emulator(_: &tokio::runtime::Runtime, _: bool) -> Emulator {
    panic!("this loadgen was built without the `mock` feature: only `--server raw`")
}

#[cfg(feature = "mock")]
fn connections(server: &Emulator) -> usize {
    server.connections()
}

#[cfg(not(feature = "mock"))]
fn connections(never: &Emulator) -> usize {
    match *never {}
}

/// One pre-signed answer for every request, HTTP/1.1 keep-alive.
async fn raw(listener: tokio::net::TcpListener, accepted: Arc<AtomicUsize>) {
    // An order as WeChat Pay answers a query: typed peers (benches/peers) need appid and mchid.
    let body = r#"{"appid":"wxd678efh567hg6787","mchid":"1900000001","trade_state":"SUCCESS","out_trade_no":"1217752501201407033233368018","amount":{"total":100,"currency":"CNY"}}"#;
    let ts = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        .to_string();
    let sig = PrivateKey::from_pem(WECHATPAY_KEY)
        .unwrap()
        .sign(&wechatpay::v3::canonical_response(
            &ts,
            "LOADGEN",
            body.as_bytes(),
        ))
        .unwrap();
    let answer: Arc<[u8]> = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nRequest-ID: LOADGEN\r\n\
         Wechatpay-Timestamp: {ts}\r\nWechatpay-Nonce: LOADGEN\r\nWechatpay-Serial: {KEY_ID}\r\n\
         Wechatpay-Signature: {}\r\n\r\n{body}",
        body.len(),
        base64::engine::general_purpose::STANDARD.encode(sig)
    )
    .into_bytes()
    .into();
    loop {
        let (mut s, _) = listener.accept().await.unwrap();
        accepted.fetch_add(1, Ordering::Relaxed);
        let answer = answer.clone();
        tokio::spawn(async move {
            let mut buf = Vec::with_capacity(8192);
            let mut chunk = [0u8; 8192];
            loop {
                // one request: the head, then Content-Length bytes of body
                let head_end = loop {
                    if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                        break i + 4;
                    }
                    match s.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                };
                let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
                let len: usize = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .and_then(|v| v.trim().parse().ok())
                    .unwrap_or(0);
                while buf.len() < head_end + len {
                    match s.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
                buf.drain(..head_end + len);
                if s.write_all(&answer).await.is_err() {
                    return;
                }
            }
        });
    }
}
