//! Where a verified call allocates: a global allocator that records a backtrace (its first few
//! frames outside the allocator) for each allocation made on the client's thread while a call
//! runs, then prints the sites with their count per call. The server is the load generator's raw
//! HTTP/1.1 server (`loadgen --serve raw`, one pre-signed answer, 127.0.0.1); the client runs on
//! a current-thread runtime, so its connection tasks are counted too. Used for issue 22 (see
//! docs/performance.md, "Fewer allocations per call").
//!
//! ```sh
//! cargo build --release --example loadgen --features mock,blocking
//! CARGO_PROFILE_RELEASE_DEBUG=1 cargo run --release --example allocsites -- 200
//! ```
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::collections::HashMap;
use std::io::BufRead;
use std::sync::Mutex;

struct Tracing;
thread_local! {
    static ON: Cell<bool> = const { Cell::new(false) };
    static INSIDE: Cell<bool> = const { Cell::new(false) };
}
static SITES: Mutex<Option<HashMap<String, usize>>> = Mutex::new(None);

unsafe impl GlobalAlloc for Tracing {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        record();
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        record();
        unsafe { System.realloc(p, l, n) }
    }
}

fn record() {
    if !ON.with(|o| o.get()) || INSIDE.with(|i| i.get()) {
        return;
    }
    INSIDE.with(|i| i.set(true));
    let bt = std::backtrace::Backtrace::force_capture().to_string();
    // The first frames outside the allocator and the containers that call it name the site.
    let frames: Vec<&str> = bt
        .lines()
        .filter(|l| {
            l.trim_start()
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_digit())
        })
        .map(|l| l.split_once(": ").map_or(l, |x| x.1))
        .filter(|l| {
            !l.contains("alloc::")
                && !l.contains("allocsites::")
                && !l.contains("std::backtrace")
                && !l.contains("__rust")
                && !l.contains("core::ptr")
                && !l.contains("<alloc")
                && !l.contains("RawVec")
        })
        .take(6)
        .collect();
    let key = frames.join(" <- ");
    let mut g = SITES.lock().unwrap();
    *g.get_or_insert_with(HashMap::new).entry(key).or_default() += 1;
    INSIDE.with(|i| i.set(false));
}

#[global_allocator]
static A: Tracing = Tracing;

const MERCHANT_KEY: &str = include_str!("../tests/fixtures/client/merchant_key.pem");
const WECHATPAY_PUB: &str = include_str!("../tests/fixtures/client/wechatpay_pub.pem");
const KEY_ID: &str = "PUB_KEY_ID_0119000000012024000000000000";
const MERCHANT_SERIAL: &str = "1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C";

fn main() {
    let n: usize = std::env::args().nth(1).map_or(100, |v| v.parse().unwrap());
    let mut child = std::process::Command::new("target/release/examples/loadgen")
        .args(["--serve", "raw"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut port = String::new();
    out.read_line(&mut port).unwrap();
    let port: u16 = port.trim().parse().unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = wechatpay::Client::builder()
        .mchid("1900000001")
        .serial(MERCHANT_SERIAL)
        .private_key(MERCHANT_KEY)
        .public_key(KEY_ID, WECHATPAY_PUB)
        .base_uri(format!("http://127.0.0.1:{port}/"))
        .no_proxy()
        .build()
        .unwrap();
    let template = "v3/pay/transactions/out-trade-no/{out_trade_no}";
    let args = |i: usize| {
        serde_json::json!({
            "out_trade_no": format!("LOADGEN{i:012}"),
            "json": {"mchid": "1900000001", "appid": "wxd678efh567hg6787", "description": "load", "amount": {"total": 100}},
        })
    };
    let argv: Vec<serde_json::Value> = (0..n + 10).map(args).collect();
    rt.block_on(async {
        for a in &argv[..10] {
            client.chain(template).post(a.clone()).await.unwrap();
        }
        for a in &argv[10..] {
            let a = a.clone();
            ON.with(|o| o.set(true));
            client.chain(template).post(a).await.unwrap();
            ON.with(|o| o.set(false));
        }
    });
    let g = SITES.lock().unwrap();
    let mut v: Vec<_> = g.as_ref().unwrap().iter().collect();
    v.sort_by(|a, b| b.1.cmp(a.1));
    let total: usize = v.iter().map(|x| x.1).sum();
    println!("{:.1} allocations per call", total as f64 / n as f64);
    for (k, c) in v {
        println!("{:6.2} {}", *c as f64 / n as f64, k);
    }
    // The server exits when its stdin closes.
    drop(child.stdin.take());
    let _ = child.wait();
}
