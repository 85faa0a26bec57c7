//! A load generator: N verified calls at concurrency C against a loopback server that answers
//! every request with one pre-signed answer (so the server costs almost nothing), printing
//! calls/s, p50/p99 latency, client CPU per call and peak memory, beside the raw RSA signing
//! rate measured in the same run on the same core.
//!
//! ```sh
//! cargo run --release --example loadgen -- --calls 20000 --concurrency 32 --client-cores 0 --server-core 1
//! cargo run --release --example loadgen -- --blocking 2 --client-cores 0,1 --server-core 1
//! ```
//!
//! The server runs as a child process (this same binary with `--serve`), pinned to its own core,
//! so the client's figures are the client's alone. Linux only (affinity, /proc, getrusage).

use base64::Engine;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use wechatpay::crypto::PrivateKey;

const MERCHANT_KEY: &str = include_str!("../tests/fixtures/client/merchant_key.pem");
const WECHATPAY_KEY: &str = include_str!("../tests/fixtures/client/wechatpay_key.pem");
const WECHATPAY_PUB: &str = include_str!("../tests/fixtures/client/wechatpay_pub.pem");
const KEY_ID: &str = "PUB_KEY_ID_0119000000012024000000000000";

struct Options {
    calls: usize,
    concurrency: usize,
    client_cores: Vec<usize>,
    server_core: Option<usize>,
    workers: usize,
    blocking: usize,
}

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn options(args: &[String]) -> Options {
    let num = |name: &str, default: usize| {
        arg(args, name).map_or(default, |v| v.parse().expect("a number"))
    };
    let client_cores: Vec<usize> = arg(args, "--client-cores")
        .map(|v| {
            v.split(',')
                .map(|c| c.parse().expect("a core number"))
                .collect()
        })
        .unwrap_or_default();
    Options {
        calls: num("--calls", 20_000),
        concurrency: num("--concurrency", 32),
        workers: num("--workers", client_cores.len().max(1)),
        client_cores,
        server_core: arg(args, "--server-core").map(|v| v.parse().expect("a core number")),
        blocking: num("--blocking", 0),
    }
}

/// Pins the calling thread (and the threads it starts afterwards) to `cores`.
fn pin(cores: &[usize]) {
    if cores.is_empty() {
        return;
    }
    // SAFETY: a zeroed cpu_set_t is the empty set; CPU_SET writes within it; the call only
    // reads the set.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        for &c in cores {
            libc::CPU_SET(c, &mut set);
        }
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set);
    }
}

/// CPU seconds this process has used (user + system).
fn cpu_seconds() -> f64 {
    // SAFETY: getrusage fills the zeroed struct it is given.
    let usage = unsafe {
        let mut u: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut u);
        u
    };
    let t = |v: libc::timeval| v.tv_sec as f64 + v.tv_usec as f64 / 1e6;
    t(usage.ru_utime) + t(usage.ru_stime)
}

/// Peak resident memory (VmHWM) in MB.
fn peak_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

/// The server: one pre-signed answer for every request, HTTP/1.1 keep-alive.
async fn serve() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    println!("{}", listener.local_addr().unwrap().port());
    std::io::stdout().flush().unwrap();
    let body = r#"{"trade_state":"SUCCESS","out_trade_no":"1217752501201407033233368018","amount":{"total":100,"currency":"CNY"}}"#;
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

fn client(port: u16) -> wechatpay::Client {
    wechatpay::Client::builder()
        .mchid("1900000001")
        .serial("1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C")
        .private_key(MERCHANT_KEY)
        .public_key(KEY_ID, WECHATPAY_PUB)
        .base_uri(format!("http://127.0.0.1:{port}/"))
        .no_proxy()
        .build()
        .unwrap()
}

fn args(i: usize) -> serde_json::Value {
    serde_json::json!({
        "out_trade_no": format!("LOADGEN{i:012}"),
        "json": {"mchid": "1900000001", "appid": "wxd678efh567hg6787", "description": "load", "amount": {"total": 100}},
    })
}

const TEMPLATE: &str = "v3/pay/transactions/out-trade-no/{out_trade_no}";

/// Raw RSA-2048 signatures per second on this thread, for one second.
fn raw_signing_rate() -> f64 {
    let key = PrivateKey::from_pem(MERCHANT_KEY).unwrap();
    let message = b"POST\n/v3/pay/transactions/out-trade-no/LOADGEN\n1554208460\nNONCE\n{}\n";
    let _ = key.sign(message);
    let start = Instant::now();
    let mut n = 0u32;
    while start.elapsed() < Duration::from_secs(1) {
        key.sign(message).unwrap();
        n += 1;
    }
    f64::from(n) / start.elapsed().as_secs_f64()
}

fn report(
    mode: &str,
    o: &Options,
    latencies: &mut [Duration],
    elapsed: Duration,
    cpu: f64,
    raw: f64,
) {
    latencies.sort();
    let pct = |p: f64| latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)];
    let rate = o.calls as f64 / elapsed.as_secs_f64();
    println!(
        "{mode}: {} verified calls, concurrency {}, client cores {:?}: {:.0} calls/s ({:.0}% of {:.0} raw signatures/s per core x {}), \
         p50 {:.2} ms, p99 {:.2} ms, CPU {:.0} us/call, peak RSS {:.1} MB",
        o.calls,
        o.concurrency,
        o.client_cores,
        rate,
        100.0 * rate / (raw * o.client_cores.len().max(1) as f64),
        raw,
        o.client_cores.len().max(1),
        pct(0.50).as_secs_f64() * 1e3,
        pct(0.99).as_secs_f64() * 1e3,
        cpu / o.calls as f64 * 1e6,
        peak_mb()
    );
}

fn main() {
    let argv: Vec<String> = std::env::args().collect();
    if argv.iter().any(|a| a == "--serve") {
        if let Some(core) = arg(&argv, "--core") {
            pin(&[core.parse().unwrap()]);
        }
        // The server ends with its parent (stdin closes) and after ten minutes in any case.
        std::thread::spawn(|| {
            let _ = std::io::copy(&mut std::io::stdin(), &mut std::io::sink());
            std::process::exit(0);
        });
        std::thread::spawn(|| {
            std::thread::sleep(Duration::from_secs(600));
            std::process::exit(0);
        });
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(serve());
        return;
    }
    let o = options(&argv);
    let mut server = Command::new(std::env::current_exe().unwrap());
    server
        .arg("--serve")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped());
    if let Some(core) = o.server_core {
        server.args(["--core", &core.to_string()]);
    }
    let mut child = server.spawn().expect("the server starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port: u16 = line.trim().parse().expect("the server's port");
    pin(&o.client_cores);
    let raw = raw_signing_rate();
    let cpu0 = cpu_seconds();
    let (mut latencies, elapsed) = if o.blocking > 0 {
        run_blocking(&o, port)
    } else {
        run_async(&o, port)
    };
    let cpu = cpu_seconds() - cpu0;
    let mode = if o.blocking > 0 {
        format!("blocking x{} threads", o.blocking)
    } else {
        format!("async x{} workers", o.workers)
    };
    report(&mode, &o, &mut latencies, elapsed, cpu, raw);
    let _ = child.kill();
    let _ = child.wait();
}

fn run_async(o: &Options, port: u16) -> (Vec<Duration>, Duration) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(o.workers)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let client = client(port);
        // warm the connections
        client.chain(TEMPLATE).post(args(0)).await.unwrap();
        let next = Arc::new(AtomicUsize::new(0));
        let start = Instant::now();
        let tasks: Vec<_> = (0..o.concurrency)
            .map(|_| {
                let (client, next, calls) = (client.clone(), next.clone(), o.calls);
                tokio::spawn(async move {
                    let mut lat = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= calls {
                            return lat;
                        }
                        let t = Instant::now();
                        client.chain(TEMPLATE).post(args(i)).await.unwrap();
                        lat.push(t.elapsed());
                    }
                })
            })
            .collect();
        let mut all = Vec::with_capacity(o.calls);
        for t in tasks {
            all.extend(t.await.unwrap());
        }
        (all, start.elapsed())
    })
}

fn run_blocking(o: &Options, port: u16) -> (Vec<Duration>, Duration) {
    let client = wechatpay::blocking::Client::from(client(port));
    client.chain(TEMPLATE).post(args(0)).unwrap();
    let next = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let threads: Vec<_> = (0..o.blocking)
        .map(|_| {
            let (client, next, calls) = (client.clone(), next.clone(), o.calls);
            std::thread::spawn(move || {
                let mut lat = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= calls {
                        return lat;
                    }
                    let t = Instant::now();
                    client.chain(TEMPLATE).post(args(i)).unwrap();
                    lat.push(t.elapsed());
                }
            })
        })
        .collect();
    let mut all = Vec::with_capacity(o.calls);
    for t in threads {
        all.extend(t.join().unwrap());
    }
    (all, start.elapsed())
}
