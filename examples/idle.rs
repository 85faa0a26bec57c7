//! The resident memory of an idle client, in a process that holds little else: no emulator, no
//! load generator. The client calls a plain HTTP/1.1 server on 127.0.0.1 (this program again, in
//! a child process, answering every request with one answer signed by the test WeChat Pay key),
//! and the parent prints `VmRSS` after each stage, split as `/proc/self/status` splits it: `anon` (heap,
//! stacks), `file` (the pages of the executable and of libc that the process has touched, which
//! the kernel maps 64 KB at a time) and `shmem`.
//!
//! ```sh
//! cargo build --release --example idle && ./target/release/examples/idle
//! ./target/release/examples/idle --identity   # with a merchant certificate for mutual TLS too
//! ```
//!
//! The stages: the process once the server child has printed its port;
//! a tokio multi-thread runtime with one worker built; the client built (`build()`: the merchant
//! key, the WeChat Pay public key, reqwest's pool with the system's TLS roots); after the first
//! call (a connection opened, signed, verified); after the second (the pooled connection reused),
//! then 200 ms later. Linux only (it reads `/proc`). Over plain HTTP, so no TLS handshake is
//! made: a client talking to WeChat Pay also runs the handshake's code (see docs/performance.md).

use base64::Engine;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::time::Duration;
use wechatpay::crypto::PrivateKey;

const MERCHANT_CERT: &str = include_str!("../tests/fixtures/client/merchant_cert.pem");
const MERCHANT_KEY: &str = include_str!("../tests/fixtures/client/merchant_key.pem");
const WECHATPAY_KEY: &str = include_str!("../tests/fixtures/client/wechatpay_key.pem");
const WECHATPAY_PUB: &str = include_str!("../tests/fixtures/client/wechatpay_pub.pem");
const KEY_ID: &str = "PUB_KEY_ID_0119000000012024000000000000";
const MERCHANT_SERIAL: &str = "1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C";

/// `VmRSS` and its parts, in MB.
fn resident() -> String {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let mb = |field: &str| {
        status
            .lines()
            .find(|l| l.starts_with(field))
            .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
            .map_or(0.0, |kb| kb / 1024.0)
    };
    format!(
        "{:.1} MB (anon {:.1}, file {:.1}, shmem {:.1})",
        mb("VmRSS:"),
        mb("RssAnon:"),
        mb("RssFile:"),
        mb("RssShmem:")
    )
}

/// The one answer the server gives, signed by the test WeChat Pay key.
fn answer() -> String {
    let body = r#"{"mchid":"1900000001","trade_state":"SUCCESS","out_trade_no":"IDLE"}"#;
    let ts = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        .to_string();
    let message = wechatpay::v3::canonical_response(&ts, "IDLE", body.as_bytes());
    let sig = PrivateKey::from_pem(WECHATPAY_KEY)
        .unwrap()
        .sign(&message)
        .unwrap();
    format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
         Request-ID: IDLE\r\nWechatpay-Timestamp: {ts}\r\nWechatpay-Nonce: IDLE\r\n\
         Wechatpay-Serial: {KEY_ID}\r\nWechatpay-Signature: {}\r\n\r\n{body}",
        body.len(),
        base64::engine::general_purpose::STANDARD.encode(sig)
    )
}

/// `answer` to every request, HTTP/1.1 keep-alive, one connection at a time.
fn serve(listener: TcpListener, answer: String) {
    for stream in listener.incoming() {
        let Ok(mut s) = stream else { continue };
        let mut buf = Vec::new();
        let mut chunk = [0u8; 4096];
        'requests: loop {
            // One request: its head, then Content-Length bytes of body.
            let head_end = loop {
                if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                    break i + 4;
                }
                match s.read(&mut chunk) {
                    Ok(0) | Err(_) => break 'requests,
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
                match s.read(&mut chunk) {
                    Ok(0) | Err(_) => break 'requests,
                    Ok(n) => buf.extend_from_slice(&chunk[..n]),
                }
            }
            buf.drain(..head_end + len);
            if s.write_all(answer.as_bytes()).is_err() {
                break;
            }
        }
    }
}

fn main() {
    if std::env::args().nth(1).as_deref() == Some("--serve") {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let answer = answer();
        println!("{}", listener.local_addr().unwrap().port());
        // A server left behind by a killed parent ends after a minute in any case.
        std::thread::spawn(|| {
            std::thread::sleep(Duration::from_secs(60));
            std::process::exit(0);
        });
        return serve(listener, answer);
    }
    // The server is this program in a child process, so that its signing is not measured.
    let mut server = Command::new(std::env::current_exe().unwrap())
        .arg("--serve")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut port = String::new();
    BufReader::new(server.stdout.take().unwrap())
        .read_line(&mut port)
        .unwrap();
    let port: u16 = port.trim().parse().unwrap();
    println!("start:         {}", resident());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    println!("runtime built: {}", resident());
    let mut builder = wechatpay::Client::builder()
        .mchid("1900000001")
        .serial(MERCHANT_SERIAL)
        .private_key(MERCHANT_KEY)
        .public_key(KEY_ID, WECHATPAY_PUB)
        .base_uri(format!("http://127.0.0.1:{port}/"))
        .no_proxy();
    if std::env::args().any(|a| a == "--identity") {
        builder = builder.merchant_identity(MERCHANT_CERT, MERCHANT_KEY);
    }
    let client = builder.build().unwrap();
    println!("client built:  {}", resident());
    let order = |n: u32| serde_json::json!({ "out_trade_no": format!("IDLE{n}"), "query": { "mchid": "1900000001" } });
    let template = "v3/pay/transactions/out-trade-no/{out_trade_no}";
    rt.block_on(client.chain(template).get(order(1))).unwrap();
    println!("first call:    {}", resident());
    rt.block_on(client.chain(template).get(order(2))).unwrap();
    println!("second call:   {}", resident());
    std::thread::sleep(Duration::from_millis(200));
    println!("idle 200 ms:   {}", resident());
    let _ = server.kill();
    let _ = server.wait();
}
