//! This crate against `wxpay-rs` 2.1 in one program, contenders alternating round by round (who
//! goes first alternates too): Authorization headers, answer verifications, and verified calls
//! (an order query, GET with `mchid`) at concurrency 1 and 32 against a loopback HTTP/1.1 server
//! that answers every request with one pre-signed answer (the load generator's raw server, in a
//! child process pinned to its own core). The client side runs on a one-worker tokio runtime
//! pinned to its core(s); `wxpay-rs` signs on tokio's blocking pool, whose threads inherit the
//! same pinning.
//!
//! `wxpay-rs` has no base-URL setting: [`Loopback`] wraps its own `ReqwestHttpClient` and
//! rewrites `https://api.mch.weixin.qq.com` to the loopback server (one string per call).
//!
//! ```sh
//! cargo run --release --manifest-path benches/peers/Cargo.toml -- --rounds 5 --client-cores 0 --server-core 1
//! ```
// The shared server file's emulator half is behind the main crate's `mock` feature, never on here.
#![allow(unexpected_cfgs)]

#[path = "../../../examples/loadgen/server.rs"]
mod server;
// The load generator's helpers; this bench reads CPU time and pins cores only.
#[allow(dead_code)]
#[path = "../../../examples/loadgen/sys.rs"]
mod sys;
// The load generator's floor: the same verified call through hyper directly, no client.
#[allow(dead_code)]
#[path = "../../../examples/loadgen/floor.rs"]
mod floor;

use base64::Engine;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use wechatpay::crypto::{PrivateKey, PublicKey};
use wechatpay::http::{HeaderMap, HeaderValue, Method};
use wechatpay::{v3, Keyring};
use wxpay_rs::auth::{Sha256RsaSigner, Sha256RsaVerifier, Signer, Verifier};
use wxpay_rs::http::{HttpClient, ReqwestHttpClient};
use wxpay_rs::WxPayResult;

const MCHID: &str = "1900000001";
const WXPAY_BASE: &str = "https://api.mch.weixin.qq.com";
const TEMPLATE: &str = "v3/pay/transactions/out-trade-no/{out_trade_no}";

/// `wxpay-rs`'s own HTTP client, pointed at the loopback server.
struct Loopback {
    inner: ReqwestHttpClient,
    base: String,
}

impl Loopback {
    fn url(&self, url: &str) -> String {
        match url.strip_prefix(WXPAY_BASE) {
            Some(rest) => format!("{}{rest}", self.base),
            None => url.to_string(),
        }
    }
}

type Headers = Vec<(String, String)>;
type Answer = WxPayResult<wxpay_rs::http::client::HttpResponse>;

#[async_trait::async_trait]
impl HttpClient for Loopback {
    async fn get(&self, url: &str, headers: Headers) -> Answer {
        self.inner.get(&self.url(url), headers).await
    }
    async fn post(&self, url: &str, headers: Headers, body: &str) -> Answer {
        self.inner.post(&self.url(url), headers, body).await
    }
    async fn put(&self, url: &str, headers: Headers, body: &str) -> Answer {
        self.inner.put(&self.url(url), headers, body).await
    }
    async fn delete(&self, url: &str, headers: Headers) -> Answer {
        self.inner.delete(&self.url(url), headers).await
    }
    async fn patch(&self, url: &str, headers: Headers, body: &str) -> Answer {
        self.inner.patch(&self.url(url), headers, body).await
    }
}

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// Rate (per second) and CPU per operation (µs) of one timed batch.
#[derive(Clone, Copy, Default)]
struct Figure {
    rate: f64,
    cpu_us: f64,
}

async fn timed<F: std::future::Future<Output = ()>>(n: usize, run: F) -> Figure {
    let (t, cpu) = (Instant::now(), sys::cpu_seconds());
    run.await;
    let (elapsed, cpu) = (t.elapsed().as_secs_f64(), sys::cpu_seconds() - cpu);
    Figure {
        rate: n as f64 / elapsed,
        cpu_us: cpu / n as f64 * 1e6,
    }
}

/// A signed answer as the loopback server sends it, for the verification rounds.
struct SignedAnswer {
    headers: HeaderMap,
    ts: String,
    nonce: String,
    signature: String,
    body: String,
}

fn signed_answer() -> SignedAnswer {
    let body = r#"{"appid":"wxd678efh567hg6787","mchid":"1900000001","trade_state":"SUCCESS","out_trade_no":"PEERS","amount":{"total":100,"currency":"CNY"}}"#;
    let ts = now().to_string();
    let nonce = "PEERSNONCE".to_string();
    let key = PrivateKey::from_pem(server::WECHATPAY_KEY).unwrap();
    let signature = base64::engine::general_purpose::STANDARD.encode(
        key.sign(&v3::canonical_response(&ts, &nonce, body.as_bytes()))
            .unwrap(),
    );
    let mut headers = HeaderMap::new();
    for (name, value) in [
        ("wechatpay-timestamp", &ts),
        ("wechatpay-nonce", &nonce),
        ("wechatpay-serial", &server::KEY_ID.to_string()),
        ("wechatpay-signature", &signature),
    ] {
        headers.insert(name, HeaderValue::from_str(value).unwrap());
    }
    SignedAnswer {
        headers,
        ts,
        nonce,
        signature,
        body: body.to_string(),
    }
}

struct Contenders {
    ours: wechatpay::Client,
    floor: floor::Floor,
    theirs: wxpay_rs::WxPayClient,
    their_signer: Sha256RsaSigner,
    keyring: Keyring,
    their_verifier: Sha256RsaVerifier,
    answer: SignedAnswer,
}

async fn contenders(port: u16) -> Contenders {
    let ours = wechatpay::Client::builder()
        .mchid(MCHID)
        .serial(server::MERCHANT_SERIAL)
        .private_key(server::MERCHANT_KEY)
        .public_key(server::KEY_ID, server::WECHATPAY_PUB)
        .base_uri(format!("http://127.0.0.1:{port}/"))
        .no_proxy()
        .build()
        .unwrap();
    let config = wxpay_rs::WxPayConfig::builder()
        .app_id("wxd678efh567hg6787")
        .merchant_id(MCHID)
        .api_v3_key("abcdefghijklmnopqrstuvwxyz123456")
        .private_key(server::MERCHANT_KEY.as_bytes().to_vec())
        .cert_serial_number(server::MERCHANT_SERIAL)
        .platform_public_key(server::KEY_ID, server::WECHATPAY_PUB.as_bytes().to_vec())
        .timeout(30)
        .build()
        .unwrap();
    let http = Loopback {
        inner: ReqwestHttpClient::builder().timeout(30).build().unwrap(),
        base: format!("http://127.0.0.1:{port}"),
    };
    let theirs = wxpay_rs::WxPayClient::builder()
        .config(config)
        .http_client(http)
        .build()
        .await
        .unwrap();
    let keyring = Keyring::default();
    keyring.insert_key(
        server::KEY_ID,
        PublicKey::from_pem(server::WECHATPAY_PUB).unwrap(),
        None,
    );
    Contenders {
        ours,
        floor: floor::Floor::new(port, None, false),
        theirs,
        their_signer: Sha256RsaSigner::new(
            MCHID,
            server::MERCHANT_KEY.as_bytes(),
            server::MERCHANT_SERIAL,
        )
        .unwrap(),
        keyring,
        their_verifier: Sha256RsaVerifier::new_with_public_keys(
            vec![],
            vec![(
                server::KEY_ID.to_string(),
                server::WECHATPAY_PUB.as_bytes().to_vec(),
            )],
        )
        .unwrap(),
        answer: signed_answer(),
    }
}

fn our_args(i: usize) -> serde_json::Value {
    serde_json::json!({"out_trade_no": format!("PEERS{i:012}"), "query": {"mchid": MCHID}})
}

/// Our Authorization header as the client makes it: `prepare` (template, URL, headers, signature).
fn our_header(c: &Contenders, i: usize) {
    let prepared = c
        .ours
        .chain(TEMPLATE)
        .prepare(Method::GET, our_args(i))
        .unwrap();
    assert!(prepared.headers().contains_key("authorization"));
}

/// Theirs as its transport makes it: the message, the signature (on the blocking pool), the header.
async fn their_header(c: &Contenders, i: usize) {
    let path = format!("/v3/pay/transactions/out-trade-no/PEERS{i:012}?mchid={MCHID}");
    let nonce = wxpay_rs::utils::nonce::generate_nonce();
    let ts = now();
    let message = Sha256RsaSigner::build_sign_message("GET", &path, ts, &nonce, "");
    let signature = c.their_signer.sign(&message).await.unwrap();
    let header = c
        .their_signer
        .build_authorization_header(&nonce, ts, &signature);
    assert!(!header.is_empty());
}

fn our_verify(c: &Contenders) {
    let a = &c.answer;
    v3::verify_response(
        &c.keyring,
        now(),
        "/v3/pay/transactions/out-trade-no/PEERS",
        &a.headers,
        a.body.as_bytes(),
    )
    .unwrap();
}

async fn their_verify(c: &Contenders) {
    let a = &c.answer;
    let message = Sha256RsaVerifier::build_verify_message(a.ts.parse().unwrap(), &a.nonce, &a.body);
    let ok = c
        .their_verifier
        .verify_with_serial(&message, &a.signature, server::KEY_ID)
        .await
        .unwrap();
    assert!(ok);
}

/// Who makes the verified calls.
#[derive(Clone, Copy, PartialEq)]
enum Who {
    Ours,
    Theirs,
    /// hyper directly, one HTTP/1.1 connection per caller, opened before the timing starts.
    Floor,
}

/// `calls` verified calls at `concurrency`, by `who`.
async fn calls(c: &Arc<Contenders>, who: Who, calls: usize, concurrency: usize) -> Figure {
    let next = Arc::new(AtomicUsize::new(0));
    let mut conns = Vec::new();
    if who == Who::Floor {
        for _ in 0..concurrency {
            conns.push(Some(c.floor.connect().await));
        }
    }
    timed(calls, async {
        let tasks: Vec<_> = (0..concurrency)
            .map(|k| {
                let (c, next) = (c.clone(), next.clone());
                let mut conn = conns.get_mut(k).and_then(Option::take);
                tokio::spawn(async move {
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= calls {
                            break;
                        }
                        match (who, conn.as_mut()) {
                            (Who::Ours, _) => {
                                let res = c.ours.chain(TEMPLATE).get(our_args(i)).await.unwrap();
                                assert!(res.status().is_success());
                            }
                            (Who::Theirs, _) => {
                                let no = format!("PEERS{i:012}");
                                let t = c.theirs.query_order_by_out_trade_no(&no).await.unwrap();
                                assert_eq!(t.trade_state, "SUCCESS");
                            }
                            (Who::Floor, Some(conn)) => {
                                c.floor.query(conn, &format!("PEERS{i:012}"), MCHID).await
                            }
                            (Who::Floor, None) => unreachable!("a floor caller has a connection"),
                        }
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
    })
    .await
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn main() {
    let argv: Vec<String> = std::env::args().collect();
    if let Some(kind) = arg(&argv, "--serve") {
        if let Some(core) = arg(&argv, "--core") {
            sys::pin(&[core.parse().unwrap()]);
        }
        std::thread::spawn(|| {
            std::thread::sleep(Duration::from_secs(600));
            std::process::exit(0);
        });
        server::run(&kind);
        return;
    }
    let rounds: usize = arg(&argv, "--rounds").map_or(5, |v| v.parse().unwrap());
    let n_calls: usize = arg(&argv, "--calls").map_or(4000, |v| v.parse().unwrap());
    let client_cores: Vec<usize> = arg(&argv, "--client-cores")
        .map(|v| v.split(',').map(|c| c.parse().unwrap()).collect())
        .unwrap_or_default();
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args(["--serve", "raw"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped());
    if let Some(core) = arg(&argv, "--server-core") {
        cmd.args(["--core", &core]);
    }
    let mut child = cmd.spawn().unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    let port: u16 = line.trim().parse().unwrap();
    sys::pin(&client_cores);

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(client_cores.len().max(1))
        .enable_all()
        .build()
        .unwrap();
    let c = Arc::new(rt.block_on(contenders(port)));
    // Warm both: connections up, keys used once.
    rt.block_on(async {
        our_header(&c, 0);
        their_header(&c, 0).await;
        calls(&c, Who::Ours, 64, 32).await;
        calls(&c, Who::Theirs, 64, 32).await;
        calls(&c, Who::Floor, 64, 32).await;
    });
    let ops = [
        "Authorization header",
        "answer verification",
        "verified call, c=1",
        "verified call, c=32",
    ];
    // Per operation: (ours, theirs, the floor's) per round; the floor makes calls only.
    let mut figures: Vec<Vec<(Figure, Figure, Figure)>> = vec![Vec::new(); ops.len()];
    let (n_sign, n_verify, n_c1) = (1000, 10_000, n_calls / 4);
    for round in 0..rounds {
        let ours_first = round % 2 == 0;
        rt.block_on(async {
            for (k, fig) in figures.iter_mut().enumerate() {
                let mut pair = (Figure::default(), Figure::default(), Figure::default());
                if k >= 2 {
                    // The floor goes between the two, so neither always follows it.
                    let n = if k == 2 { n_c1 } else { n_calls };
                    let conc = if k == 2 { 1 } else { 32 };
                    let first = if ours_first { Who::Ours } else { Who::Theirs };
                    let (a, f, b) = (
                        calls(&c, first, n, conc).await,
                        calls(&c, Who::Floor, n, conc).await,
                        calls(&c, if ours_first { Who::Theirs } else { Who::Ours }, n, conc).await,
                    );
                    pair = if ours_first { (a, b, f) } else { (b, a, f) };
                    fig.push(pair);
                    continue;
                }
                for side in [ours_first, !ours_first] {
                    let f = match (k, side) {
                        (0, true) => {
                            timed(n_sign, async {
                                (0..n_sign).for_each(|i| our_header(&c, i))
                            })
                            .await
                        }
                        (0, false) => {
                            timed(n_sign, async {
                                for i in 0..n_sign {
                                    their_header(&c, i).await;
                                }
                            })
                            .await
                        }
                        (1, true) => {
                            timed(n_verify, async {
                                (0..n_verify).for_each(|_| our_verify(&c))
                            })
                            .await
                        }
                        (1, false) => {
                            timed(n_verify, async {
                                for _ in 0..n_verify {
                                    their_verify(&c).await;
                                }
                            })
                            .await
                        }
                        _ => unreachable!("calls are timed above"),
                    };
                    if side {
                        pair.0 = f;
                    } else {
                        pair.1 = f;
                    }
                }
                fig.push(pair);
            }
        });
        eprintln!("round {} of {rounds} done", round + 1);
    }
    println!(
        "wechatpay-chain against wxpay-rs 2.1.0: {rounds} rounds, alternating; client cores {client_cores:?}, \
         server core {}; medians over rounds",
        arg(&argv, "--server-core").unwrap_or_else(|| "-".into())
    );
    println!("| operation | wechatpay-chain /s | wxpay-rs /s | floor /s | ours / wxpay-rs (median of rounds) | range | ours / floor | CPU µs/op ours / wxpay-rs / floor |");
    println!("| --- | --- | --- | --- | --- | --- | --- | --- |");
    for (name, fig) in ops.iter().zip(&figures) {
        let ratios: Vec<f64> = fig.iter().map(|(o, t, _)| o.rate / t.rate).collect();
        let (lo, hi) = ratios
            .iter()
            .fold((f64::MAX, 0f64), |(lo, hi), r| (lo.min(*r), hi.max(*r)));
        let has_floor = fig.iter().all(|p| p.2.rate > 0.0);
        let or_dash = |v: String| if has_floor { v } else { "–".into() };
        println!(
            "| {name} | {:.0} | {:.0} | {} | {:.2}× | {lo:.2}–{hi:.2}× | {} | {:.1} / {:.1} / {} |",
            median(fig.iter().map(|p| p.0.rate).collect()),
            median(fig.iter().map(|p| p.1.rate).collect()),
            or_dash(format!("{:.0}", median(fig.iter().map(|p| p.2.rate).collect()))),
            median(ratios.clone()),
            or_dash(format!(
                "{:.2}×",
                median(fig.iter().map(|p| p.0.rate / p.2.rate).collect())
            )),
            median(fig.iter().map(|p| p.0.cpu_us).collect()),
            median(fig.iter().map(|p| p.1.cpu_us).collect()),
            or_dash(format!("{:.1}", median(fig.iter().map(|p| p.2.cpu_us).collect()))),
        );
    }
    let _ = child.kill();
    let _ = child.wait();
}
