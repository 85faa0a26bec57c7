//! The resident memory of an idle client, in a process that holds little else: no emulator, no
//! load generator. The client calls a plain HTTP/1.1 server on 127.0.0.1 (this program again, in
//! a child process: the load generator's raw server, which answers every request with one answer
//! signed by the test WeChat Pay key),
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

// The load generator's raw server and its /proc readings (neither is compiled into the parent's
// hot path: the server runs in the child).
#[allow(dead_code, unexpected_cfgs)]
#[path = "loadgen/server.rs"]
mod server;
#[allow(dead_code)]
#[path = "loadgen/sys.rs"]
mod sys;

use server::{KEY_ID, MERCHANT_KEY, MERCHANT_SERIAL, WECHATPAY_PUB};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

const MERCHANT_CERT: &str = include_str!("../tests/fixtures/client/merchant_cert.pem");

fn resident() -> String {
    sys::resident_breakdown()
}

fn main() {
    if std::env::args().nth(1).as_deref() == Some("--serve") {
        // A server left behind by a killed parent ends after a minute in any case.
        std::thread::spawn(|| {
            std::thread::sleep(Duration::from_secs(60));
            std::process::exit(0);
        });
        // Serves until its stdin closes.
        return server::run("raw");
    }
    // The server is this program in a child process, so that its signing is not measured.
    let mut server = Command::new(std::env::current_exe().unwrap())
        .arg("--serve")
        .stdin(Stdio::piped())
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
