//! The outcome a failed call reports is true, whatever its attempts met: the worst of its
//! attempts, never `Rejected` on an unsigned word, within one deadline over the whole call.
//! Raw loopback servers (plain HTTP on 127.0.0.1, real sockets) that count what reaches them,
//! so each case asserts what was sent, not how long it took.

use serde_json::json;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use wechatpay::{Client, Error, Outcome, Retry};

mod support;
use support::*;

const QUERY: &str = "v3/pay/transactions/id/{transaction_id}";
const CLOSE: &str = "v3/pay/transactions/out-trade-no/{out_trade_no}/close";

/// What a test server does with one request: it gets the request's head.
type Handler = Arc<
    dyn Fn(String, TcpStream) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>
        + Send
        + Sync,
>;

fn handler<F, Fut>(f: F) -> Handler
where
    F: Fn(String, TcpStream) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    Arc::new(move |head, s| Box::pin(f(head, s)))
}

/// A server that hands each request to `handler` and counts the requests it read; with
/// `accept_once`, the port closes after the first connection, so later attempts cannot connect.
async fn counting(accept_once: bool, handler: Handler) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Arc::new(AtomicUsize::new(0));
    let counter = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let (handler, counter) = (handler.clone(), counter.clone());
            let one = tokio::spawn(async move {
                let Some(head) = read_head(&mut stream).await else {
                    return;
                };
                counter.fetch_add(1, Ordering::SeqCst);
                handler(head, stream).await;
            });
            if accept_once {
                let _ = one.await;
                return; // the listener is dropped: the port refuses from now on
            }
        }
    });
    (format!("http://{addr}/"), seen)
}

fn limit_of(e: &Error) -> Option<&'static str> {
    match e {
        Error::Limit { limit, .. } => Some(limit),
        _ => None,
    }
}

/// Reads the request and drops the connection without an answer: the request was written, so
/// the call may have taken effect.
fn reset() -> Handler {
    handler(|_, s| async move { drop(s) })
}

fn unverified_500() -> Handler {
    handler(|_, mut s| async move {
        let body = r#"{"code":"SYSTEM_ERROR","message":"busy"}"#;
        let answer = format!(
            "HTTP/1.1 500 Internal Server Error\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        let _ = s.write_all(answer.as_bytes()).await;
    })
}

/// A fresh directory of this test's own, removed at the end.
struct Scratch(std::path::PathBuf);

impl Scratch {
    fn new() -> Scratch {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "wechatpay-outcomes-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        std::fs::create_dir(&dir).unwrap();
        Scratch(dir)
    }

    fn path(&self) -> &std::path::Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn query() -> serde_json::Value {
    json!({"transaction_id": "4200000000000000000", "query": {"mchid": "1900000001"}})
}

#[tokio::test]
async fn a_retried_read_has_the_worst_outcome_of_its_attempts() {
    for first in [reset(), unverified_500()] {
        let (base, seen) = counting(true, first).await;
        let e = client(&base).chain(QUERY).get(query()).await.unwrap_err();
        assert_eq!(
            seen.load(Ordering::SeqCst),
            1,
            "one request reached the server"
        );
        assert_eq!(e.outcome(), Outcome::Unknown, "{e}");
        assert!(e.may_have_taken_effect(), "{e}");
        assert!(!e.is_refused_before_sending(), "{e}");
    }
}

#[tokio::test]
async fn a_retried_write_has_the_worst_outcome_of_its_attempts() {
    for first in [reset(), unverified_500()] {
        let (base, seen) = counting(true, first).await;
        let e = client(&base)
            .chain(CLOSE)
            .post(json!({"out_trade_no": "W1", "json": {"mchid": "1900000001"}, "retry": {"writes": true}}))
            .await
            .unwrap_err();
        assert_eq!(seen.load(Ordering::SeqCst), 1);
        assert_eq!(e.outcome(), Outcome::Unknown, "{e}");
    }
}

#[cfg(feature = "blocking")]
#[test]
fn the_blocking_twin_keeps_the_worst_outcome_too() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (base, seen) = rt.block_on(counting(true, reset()));
    let client = wechatpay::blocking::Client::from(rt.block_on(async { client(&base) }));
    let e = client.chain(QUERY).get(query()).unwrap_err();
    assert_eq!(seen.load(Ordering::SeqCst), 1);
    assert_eq!(e.outcome(), Outcome::Unknown, "{e}");
}

#[test]
fn outcomes_are_ordered_from_safest_to_least_known() {
    assert!(Outcome::NotSent < Outcome::Rejected && Outcome::Rejected < Outcome::Unknown);
}

fn v2_answer(fields: &[(&str, &str)], signed: bool) -> Vec<u8> {
    let mut map = serde_json::Map::new();
    for (k, v) in fields {
        map.insert(k.to_string(), json!(v));
    }
    if signed {
        // In the type the request is signed with (it names none: MD5), as WeChat Pay answers.
        let sign = wechatpay::v2::sign::sign(
            wechatpay::v2::SignType::Md5,
            &map,
            "192006250b4c09247ec02edce69f6a2d",
        )
        .unwrap();
        map.insert("sign".into(), json!(sign));
    }
    let body = wechatpay::v2::xml::to_xml(&map);
    format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

async fn v2_outcome(answer: Vec<u8>) -> (Error, usize) {
    let answer: &'static [u8] = Box::leak(answer.into_boxed_slice());
    let (base, seen) = counting(
        false,
        handler(move |_, mut s| async move {
            let _ = s.write_all(answer).await;
        }),
    )
    .await;
    let e = client(&base)
        .chain("v2/pay/orderquery")
        .post(json!({"xml": {"appid": "wxd678efh567hg6787", "mch_id": "1900000001", "out_trade_no": "O1"}}))
        .await
        .unwrap_err();
    (e, seen.load(Ordering::SeqCst))
}

#[tokio::test]
async fn an_unsigned_apiv2_failure_is_never_rejected() {
    let paid = [
        ("return_code", "SUCCESS"),
        ("result_code", "FAIL"),
        ("err_code", "ORDERPAID"),
    ];
    let (e, _) = v2_outcome(v2_answer(&paid, false)).await;
    assert!(
        matches!(
            e,
            Error::V2Failure {
                verified: false,
                ..
            }
        ),
        "{e}"
    );
    assert_eq!(
        e.outcome(),
        Outcome::Unknown,
        "anyone on the path can write it: {e}"
    );
    let (e, _) = v2_outcome(v2_answer(
        &[("return_code", "FAIL"), ("return_msg", "x")],
        false,
    ))
    .await;
    assert_eq!(e.outcome(), Outcome::Unknown, "{e}");
    // WeChat Pay's signed word is a refusal.
    let (e, seen) = v2_outcome(v2_answer(&paid, true)).await;
    assert!(matches!(e, Error::V2Failure { verified: true, .. }), "{e}");
    assert_eq!(e.outcome(), Outcome::Rejected, "{e}");
    assert_eq!(seen, 1, "a refusal is not retried");
}

#[tokio::test]
async fn the_timeout_bounds_the_whole_call_not_each_attempt() {
    let (base, seen) = counting(
        false,
        handler(|_, s| async move {
            tokio::time::sleep(Duration::from_secs(30)).await;
            drop(s);
        }),
    )
    .await;
    let mut args = query();
    args["timeout"] = json!(0.5);
    let e = client(&base).chain(QUERY).get(args).await.unwrap_err();
    assert_eq!(limit_of(&e), Some("timeout"), "{e}");
    assert_eq!(
        seen.load(Ordering::SeqCst),
        1,
        "no attempt after the call's time ran out"
    );
    assert_eq!(e.outcome(), Outcome::Unknown);
}

/// A 429 answer with `Retry-After`, signed by WeChat Pay's key or unsigned.
fn too_many(signed: bool, retry_after: u64) -> Handler {
    handler(move |_, mut s| async move {
        let body = r#"{"code":"FREQUENCY_LIMITED","message":"slow down"}"#;
        let answer = if signed {
            signed_answer("429 Too Many Requests", body, WECHATPAY_KEY)
        } else {
            format!(
                "HTTP/1.1 429 Too Many Requests\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            )
            .into_bytes()
        };
        let mut text = String::from_utf8(answer).unwrap();
        text = text.replacen("\r\n", &format!("\r\nRetry-After: {retry_after}\r\n"), 1);
        let _ = s.write_all(text.as_bytes()).await;
    })
}

#[tokio::test]
async fn retry_after_is_never_waited_past_the_deadline() {
    let (base, seen) = counting(false, too_many(true, 20)).await;
    let mut args = query();
    args["timeout"] = json!(2);
    let e = client(&base).chain(QUERY).get(args).await.unwrap_err();
    assert_eq!(e.status().map(|s| s.as_u16()), Some(429), "{e}");
    assert!(matches!(e, Error::Api { verified: true, .. }), "{e}");
    assert_eq!(e.outcome(), Outcome::Rejected);
    assert_eq!(
        seen.load(Ordering::SeqCst),
        1,
        "a 20 s wait does not fit in 2 s"
    );
}

#[tokio::test]
async fn retry_after_is_taken_from_verified_answers_only() {
    // An unsigned 429 asking for an hour: its word is not WeChat Pay's, so the policy's own
    // backoff applies and the read is retried within the deadline.
    let (base, seen) = counting(false, too_many(false, 3600)).await;
    let e = client(&base).chain(QUERY).get(query()).await.unwrap_err();
    assert!(
        matches!(
            e,
            Error::Api {
                verified: false,
                ..
            }
        ),
        "{e}"
    );
    assert_eq!(
        seen.load(Ordering::SeqCst),
        3,
        "three attempts, by the default policy"
    );
}

#[tokio::test]
async fn a_certificate_download_runs_within_the_calls_deadline() {
    // The answer names a serial the client does not hold; the certificate listing never comes.
    let (base, seen) = counting(
        false,
        handler(|head, mut s| async move {
            if head.contains("/v3/certificates") {
                tokio::time::sleep(Duration::from_secs(30)).await;
                return;
            }
            let answer = signed_answer("200 OK", r#"{"trade_state":"SUCCESS"}"#, WECHATPAY_KEY);
            let text = String::from_utf8(answer)
                .unwrap()
                .replace(KEY_ID, "7132D72A03E93CDDF8C03BBD1F37EEDF843C5B6A");
            let _ = s.write_all(text.as_bytes()).await;
        }),
    )
    .await;
    // A client in certificate mode: an unknown serial may be WeChat Pay's new certificate.
    let client = Client::builder()
        .mchid("1900000001")
        .serial("1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C")
        .private_key(MERCHANT_KEY)
        .platform_certificate(PLATFORM_CERT)
        .apiv3_key("0123456789abcdef0123456789abcdef")
        .base_uri(&base)
        .build()
        .unwrap();
    let mut args = query();
    args["timeout"] = json!(1);
    let e = client.chain(QUERY).get(args).await.unwrap_err();
    assert_eq!(limit_of(&e), Some("timeout"), "{e}");
    assert_eq!(
        e.outcome(),
        Outcome::Unknown,
        "the call itself was answered"
    );
    assert_eq!(
        seen.load(Ordering::SeqCst),
        2,
        "the call, then the certificate listing"
    );

    // A public-key client never downloads certificates: WeChat Pay signs its answers with the
    // key each request names, so an unknown serial is refused as it is.
    seen.store(0, Ordering::SeqCst);
    let client = Client::builder()
        .mchid("1900000001")
        .serial("1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C")
        .private_key(MERCHANT_KEY)
        .public_key(KEY_ID, WECHATPAY_PUB)
        .apiv3_key("0123456789abcdef0123456789abcdef")
        .base_uri(&base)
        .build()
        .unwrap();
    let mut args = query();
    args["retry"] = json!(false);
    let e = client.chain(QUERY).get(args).await.unwrap_err();
    assert!(matches!(e, Error::Signature(_)), "{e}");
    assert_eq!(
        seen.load(Ordering::SeqCst),
        1,
        "no certificate listing asked for"
    );
}

const PLATFORM_CERT: &str = include_str!("fixtures/client/platform_cert.pem");

#[tokio::test]
async fn a_download_refused_at_a_limit_is_not_retried() {
    let (base, seen) = counting(
        false,
        handler(|_, mut s| async move {
            let _ = s
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 5000\r\nConnection: close\r\n\r\n")
                .await;
            let _ = s.write_all(&[b'x'; 5000]).await;
        }),
    )
    .await;
    let dir = Scratch::new();
    let e = client(&base)
        .chain("v3/billdownload/file")
        .get(json!({"query": {"token": "T"}, "sink": dir.path().join("bill.csv"), "max_download_bytes": 1000}))
        .await
        .unwrap_err();
    assert_eq!(limit_of(&e), Some("max_download_bytes"), "{e}");
    assert_eq!(
        seen.load(Ordering::SeqCst),
        1,
        "the same bytes would be refused again"
    );
    assert!(!dir.path().join("bill.csv").exists());
}

#[tokio::test]
async fn limits_lifted_with_duration_max_never_panic() {
    let (base, _) = counting(
        false,
        handler(|head, mut s| async move {
            if head.contains("billdownload") {
                let _ = s
                    .write_all(
                        b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc",
                    )
                    .await;
            } else {
                unverified_500()(head, s).await;
            }
        }),
    )
    .await;
    let client = Client::builder()
        .mchid("1900000001")
        .serial("1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C")
        .private_key(MERCHANT_KEY)
        .public_key(KEY_ID, WECHATPAY_PUB)
        .base_uri(&base)
        .timeout(Duration::MAX)
        .stall_timeout(Duration::MAX)
        .download_timeout(Duration::MAX)
        .retry(
            Retry::default()
                .backoff(Duration::MAX, Duration::MAX)
                .deadline(Duration::MAX),
        )
        .build()
        .unwrap();
    let dir = Scratch::new();
    let path = dir.path().join("bill.csv");
    client
        .chain("v3/billdownload/file")
        .get(json!({"query": {"token": "T"}, "sink": path}))
        .await
        .unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), b"abc");
    // A wait of `Duration::MAX` does not fit before any deadline: the 500 is the answer.
    let e = client.chain(QUERY).get(query()).await.unwrap_err();
    assert_eq!(e.status().map(|s| s.as_u16()), Some(500), "{e}");
}
