//! A load generator: N verified calls at concurrency C against a loopback server that answers
//! every request with one pre-signed answer (so the server costs almost nothing), printing
//! calls/s, p50/p99 latency, client CPU per call, the server's CPU per call, connections opened
//! and peak memory, beside the raw RSA signing rate measured in the same run on the same core.
//!
//! ```sh
//! cargo build --release --example loadgen --features mock,blocking   # without mock: --server raw only
//! L=./target/release/examples/loadgen
//! $L --calls 20000 --concurrency 32 --client-cores 0 --server-core 1          # raw HTTP/1.1 server
//! $L --server emulator --concurrency 32 --client-cores 0 --server-core 1      # emulator, TLS
//! $L --server emulator-h2 --cold --client-cores 0 --server-core 1            # HTTP/2, cold burst
//! $L --server emulator-h2 --http1 --client-cores 0 --server-core 1           # HTTP/1.1 forced
//! $L --blocking 2 --client-cores 0,1 --server-core 1                          # blocking twin
//! $L --workers 2 --client-cores 0,1 --server-core 1                           # multi-thread runtime
//! $L --current-thread --signing-pool 2 --client-cores 0,1 --server-core 1     # signing pool
//! $L --floor --server emulator-h2 --client-cores 0 --server-core 1            # the floor (see floor.rs)
//! ```
//!
//! The server is a child process (this binary with `--serve KIND`), pinned to its own core, so
//! the client's figures are the client's alone. Linux only (affinity, /proc, getrusage).

#[cfg(feature = "mock")]
mod floor;
mod server;
mod sys;

use std::io::{BufRead, BufReader, Write};
use std::process::{ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use wechatpay::crypto::PrivateKey;

struct Options {
    calls: usize,
    concurrency: usize,
    client_cores: Vec<usize>,
    server_core: Option<usize>,
    workers: usize,
    blocking: usize,
    server: String,
    http1: bool,
    cold: bool,
    current_thread: bool,
    signing_pool: usize,
    floor: bool,
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
    let flag = |name: &str| args.iter().any(|a| a == name);
    let client_cores: Vec<usize> = arg(args, "--client-cores")
        .map(|v| v.split(',').map(|c| c.parse().expect("a core")).collect())
        .unwrap_or_default();
    Options {
        calls: num("--calls", 20_000),
        concurrency: num("--concurrency", 32),
        workers: num("--workers", client_cores.len().max(1)),
        client_cores,
        server_core: arg(args, "--server-core").map(|v| v.parse().expect("a core")),
        blocking: num("--blocking", 0),
        server: arg(args, "--server").unwrap_or_else(|| "raw".into()),
        http1: flag("--http1"),
        cold: flag("--cold"),
        current_thread: flag("--current-thread"),
        signing_pool: num("--signing-pool", 0),
        floor: flag("--floor"),
    }
}

/// The server child: its port, its CA (if TLS), its pid, and the pipe that asks it for figures.
struct Child {
    port: u16,
    ca: Option<String>,
    pid: u32,
    stdin: ChildStdin,
    stdout: BufReader<std::process::ChildStdout>,
    process: std::process::Child,
}

impl Child {
    fn start(o: &Options) -> Child {
        let mut cmd = Command::new(std::env::current_exe().unwrap());
        cmd.args(["--serve", &o.server])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped());
        if let Some(core) = o.server_core {
            cmd.args(["--core", &core.to_string()]);
        }
        let mut process = cmd.spawn().expect("the server starts");
        let mut stdout = BufReader::new(process.stdout.take().unwrap());
        let mut line = || {
            let mut l = String::new();
            stdout.read_line(&mut l).unwrap();
            l.trim().to_string()
        };
        let port = line().parse().expect("the server's port");
        let ca = line();
        let ca = (ca != "-").then(|| {
            use base64::Engine;
            let pem = base64::engine::general_purpose::STANDARD
                .decode(ca)
                .unwrap();
            String::from_utf8(pem).unwrap()
        });
        Child {
            port,
            ca,
            pid: process.id(),
            stdin: process.stdin.take().unwrap(),
            stdout,
            process,
        }
    }

    fn connections(&mut self) -> usize {
        writeln!(self.stdin, "connections").unwrap();
        let mut l = String::new();
        self.stdout.read_line(&mut l).unwrap();
        l.trim().parse().unwrap_or(0)
    }
}

fn client(o: &Options, child: &Child) -> wechatpay::Client {
    let scheme = if child.ca.is_some() { "https" } else { "http" };
    let mut b = wechatpay::Client::builder()
        .mchid("1900000001")
        .serial(server::MERCHANT_SERIAL)
        .private_key(server::MERCHANT_KEY)
        .public_key(server::KEY_ID, server::WECHATPAY_PUB)
        .base_uri(format!("{scheme}://127.0.0.1:{}/", child.port))
        .http2(!o.http1)
        .no_proxy();
    if let Some(ca) = &child.ca {
        b = b.add_root_certificate(ca);
    }
    if o.signing_pool > 0 {
        b = b.signing_pool(o.signing_pool, 4 * o.signing_pool);
    }
    b.build().unwrap()
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
    let key = PrivateKey::from_pem(server::MERCHANT_KEY).unwrap();
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

struct Run {
    latencies: Vec<Duration>,
    elapsed: Duration,
    cpu: f64,
    server_cpu: f64,
    connections: usize,
}

fn report(mode: &str, o: &Options, run: &mut Run, raw: f64) {
    let lat = &mut run.latencies;
    lat.sort();
    let pct = |p: f64| lat[((lat.len() as f64 * p) as usize).min(lat.len() - 1)];
    let rate = o.calls as f64 / run.elapsed.as_secs_f64();
    let cores = o.client_cores.len().max(1);
    println!(
        "{mode}, {} server: {} verified calls, concurrency {}, client cores {:?}: {rate:.0} calls/s \
         ({:.0}% of {raw:.0} raw signatures/s per core x {cores}), p50 {:.2} ms, p99 {:.2} ms, \
         client CPU {:.0} us/call, server CPU {:.0} us/call, {} connections, peak RSS {:.1} MB",
        o.server,
        o.calls,
        o.concurrency,
        o.client_cores,
        100.0 * rate / (raw * cores as f64),
        pct(0.50).as_secs_f64() * 1e3,
        pct(0.99).as_secs_f64() * 1e3,
        run.cpu / o.calls as f64 * 1e6,
        run.server_cpu / o.calls as f64 * 1e6,
        run.connections,
        sys::peak_mb()
    );
}

fn main() {
    let argv: Vec<String> = std::env::args().collect();
    if let Some(kind) = arg(&argv, "--serve") {
        if let Some(core) = arg(&argv, "--core") {
            sys::pin(&[core.parse().unwrap()]);
        }
        // A server left behind by a killed parent ends after ten minutes in any case.
        std::thread::spawn(|| {
            std::thread::sleep(Duration::from_secs(600));
            std::process::exit(0);
        });
        server::run(&kind);
        return;
    }
    let o = options(&argv);
    let mut child = Child::start(&o);
    sys::pin(&o.client_cores);
    if argv.iter().any(|a| a == "--idle") {
        idle(&o, &child);
        let _ = child.process.kill();
        return;
    }
    let raw = raw_signing_rate();
    let client = client(&o, &child);
    let mode = if o.floor {
        format!("floor (hyper directly) x{} workers", o.workers)
    } else if o.blocking > 0 {
        format!("blocking x{} threads", o.blocking)
    } else if o.current_thread {
        format!("async current-thread, signing pool {}", o.signing_pool)
    } else {
        format!("async x{} workers", o.workers)
    };
    let mode = format!(
        "{mode}, {}{}",
        if o.server == "emulator-h2" && !o.http1 {
            "HTTP/2"
        } else {
            "HTTP/1.1"
        },
        if o.cold { ", cold" } else { "" }
    );
    let (cpu0, server0) = (sys::cpu_seconds(), sys::cpu_seconds_of(child.pid));
    let (latencies, elapsed) = if o.floor {
        run_floor(&o, &child)
    } else if o.blocking > 0 {
        run_blocking(&o, client)
    } else {
        run_async(&o, client)
    };
    let mut run = Run {
        latencies,
        elapsed,
        cpu: sys::cpu_seconds() - cpu0,
        server_cpu: sys::cpu_seconds_of(child.pid) - server0,
        connections: child.connections(),
    };
    report(&mode, &o, &mut run, raw);
    let _ = child.process.kill();
    let _ = child.process.wait();
}

/// The resident memory of an idle client: built, one call made (so its pool and runtime are
/// up), nothing in flight.
fn idle(o: &Options, child: &Child) {
    eprintln!("start: {}", sys::resident_breakdown());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(o.workers)
        .enable_all()
        .build()
        .unwrap();
    let before = sys::resident_mb();
    eprintln!("runtime built: {}", sys::resident_breakdown());
    let t = Instant::now();
    let client = client(o, child);
    let build = t.elapsed();
    let built = sys::resident_mb();
    eprintln!("client built: {}", sys::resident_breakdown());
    let t = Instant::now();
    rt.block_on(client.chain(TEMPLATE).post(args(0))).unwrap();
    let first = t.elapsed();
    eprintln!("first call: {}", sys::resident_breakdown());
    let t = Instant::now();
    rt.block_on(client.chain(TEMPLATE).post(args(1))).unwrap();
    let second = t.elapsed();
    std::thread::sleep(Duration::from_millis(200));
    eprintln!("two calls, 200 ms later: {}", sys::resident_breakdown());
    println!(
        "idle client after two calls: resident {:.1} MB (peak {:.1} MB; {before:.1} MB before \
         the client was built, {built:.1} MB once built); build() {:.1} ms, first call {:.1} ms, \
         second call {:.1} ms",
        sys::resident_mb(),
        sys::peak_mb(),
        build.as_secs_f64() * 1e3,
        first.as_secs_f64() * 1e3,
        second.as_secs_f64() * 1e3,
    );
}

/// The calls still to make, shared by every caller: each takes the next number until none is
/// left.
struct Work {
    next: AtomicUsize,
    calls: usize,
}

impl Work {
    fn new(calls: usize) -> Arc<Work> {
        Arc::new(Work {
            next: AtomicUsize::new(0),
            calls,
        })
    }

    fn take(&self) -> Option<usize> {
        let i = self.next.fetch_add(1, Ordering::Relaxed);
        (i < self.calls).then_some(i)
    }
}

fn run_async(o: &Options, client: wechatpay::Client) -> (Vec<Duration>, Duration) {
    let rt = if o.current_thread {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(o.workers)
            .enable_all()
            .build()
    }
    .unwrap();
    rt.block_on(async {
        if !o.cold {
            client.chain(TEMPLATE).post(args(0)).await.unwrap();
        }
        let work = Work::new(o.calls);
        let start = Instant::now();
        let tasks: Vec<_> = (0..o.concurrency)
            .map(|_| {
                let (client, work) = (client.clone(), work.clone());
                tokio::spawn(async move {
                    let mut lat = Vec::new();
                    while let Some(i) = work.take() {
                        let t = Instant::now();
                        client.chain(TEMPLATE).post(args(i)).await.unwrap();
                        lat.push(t.elapsed());
                    }
                    lat
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

/// The floor (see `floor`): the same calls without the client, on the same kind of runtime.
#[cfg(feature = "mock")]
fn run_floor(o: &Options, child: &Child) -> (Vec<Duration>, Duration) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(o.workers)
        .enable_all()
        .build()
        .unwrap();
    let floor = Arc::new(floor::Floor::new(
        child.port,
        child.ca.as_deref(),
        o.server == "emulator-h2" && !o.http1,
    ));
    rt.block_on(async {
        let shared = if floor.shares_a_connection() {
            Some(floor.connect().await)
        } else {
            None
        };
        let mut conns = Vec::with_capacity(o.concurrency);
        for _ in 0..o.concurrency {
            conns.push(match &shared {
                Some(floor::Conn::H2(send)) => floor::Conn::H2(send.clone()),
                _ => floor.connect().await,
            });
        }
        if !o.cold {
            floor.call(&mut conns[0], &args(0)).await;
        }
        let work = Work::new(o.calls);
        let start = Instant::now();
        let tasks: Vec<_> = conns
            .into_iter()
            .map(|mut conn| {
                let (floor, work) = (floor.clone(), work.clone());
                tokio::spawn(async move {
                    let mut lat = Vec::new();
                    while let Some(i) = work.take() {
                        let t = Instant::now();
                        floor.call(&mut conn, &args(i)).await;
                        lat.push(t.elapsed());
                    }
                    lat
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

#[cfg(not(feature = "mock"))]
fn run_floor(_: &Options, _: &Child) -> (Vec<Duration>, Duration) {
    panic!("the floor needs the `mock` feature (hyper's client, rustls)")
}

fn run_blocking(o: &Options, client: wechatpay::Client) -> (Vec<Duration>, Duration) {
    let client = wechatpay::blocking::Client::from(client);
    if !o.cold {
        client.chain(TEMPLATE).post(args(0)).unwrap();
    }
    let work = Work::new(o.calls);
    let start = Instant::now();
    let threads: Vec<_> = (0..o.blocking)
        .map(|_| {
            let (client, work) = (client.clone(), work.clone());
            std::thread::spawn(move || {
                let mut lat = Vec::new();
                while let Some(i) = work.take() {
                    let t = Instant::now();
                    client.chain(TEMPLATE).post(args(i)).unwrap();
                    lat.push(t.elapsed());
                }
                lat
            })
        })
        .collect();
    let mut all = Vec::with_capacity(o.calls);
    for t in threads {
        all.extend(t.join().unwrap());
    }
    (all, start.elapsed())
}
