//! The outcome promise at the edges of the attempt loop, found by a review of the first fixes:
//! the blocking twin inside a runtime, the signing pool's wait, a certificate download cut short
//! by its caller, and APIv2's "being processed" code. Raw loopback servers on 127.0.0.1 that
//! count what reaches them.

use serde_json::json;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;
use wechatpay::{Client, Error, Outcome, Retry};

mod support;
use support::*;

const QUERY: &str = "v3/pay/transactions/id/{transaction_id}";
const UNKNOWN_SERIAL: &str = "7132D72A03E93CDDF8C03BBD1F37EEDF843C5B6A";

fn query() -> serde_json::Value {
    json!({"transaction_id": "4200000000000000000", "query": {"mchid": "1900000001"}})
}

/// Counts calls and certificate listings. A bill download answers three bytes; the listing
/// answers (an empty, unsigned list) after `listing_delay`; anything else is a signed 200 that
/// names a serial the client does not hold.
async fn server(
    listing_delay: Arc<Mutex<Duration>>,
) -> (String, Arc<AtomicUsize>, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (calls, listings) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let (c, l) = (calls.clone(), listings.clone());
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            let (c, l, delay) = (c.clone(), l.clone(), listing_delay.clone());
            tokio::spawn(async move {
                let Some(head) = read_head(&mut s).await else {
                    return;
                };
                let answer = if head.contains("/v3/certificates") {
                    l.fetch_add(1, Ordering::SeqCst);
                    let wait = *delay.lock().unwrap();
                    tokio::time::sleep(wait).await;
                    let body = r#"{"data":[]}"#;
                    format!(
                        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    )
                } else if head.contains("billdownload") {
                    c.fetch_add(1, Ordering::SeqCst);
                    "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc"
                        .to_string()
                } else {
                    c.fetch_add(1, Ordering::SeqCst);
                    let signed =
                        signed_answer("200 OK", r#"{"trade_state":"SUCCESS"}"#, WECHATPAY_KEY);
                    String::from_utf8(signed)
                        .unwrap()
                        .replace(KEY_ID, UNKNOWN_SERIAL)
                };
                let _ = s.write_all(answer.as_bytes()).await;
            });
        }
    });
    (format!("http://{addr}/"), calls, listings)
}

#[test]
fn a_signed_processing_is_not_rejected() {
    // A red packet or transfer accepted and being paid out: a new bill number would pay twice.
    let mut fields = serde_json::Map::new();
    for (k, v) in [
        ("return_code", "SUCCESS"),
        ("result_code", "FAIL"),
        ("err_code", "PROCESSING"),
    ] {
        fields.insert(k.into(), json!(v));
    }
    let e = Error::V2Failure {
        fields,
        body: Default::default(),
        verified: true,
    };
    assert_eq!(e.outcome(), Outcome::Unknown);
}

#[cfg(feature = "blocking")]
#[test]
fn the_blocking_twin_in_a_runtime_never_says_not_sent_after_sending() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (base, calls, _) = rt.block_on(server(Arc::new(Mutex::new(Duration::ZERO))));
    let async_client = Client::builder()
        .mchid("1900000001")
        .serial("1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C")
        .private_key(MERCHANT_KEY)
        .public_key(KEY_ID, WECHATPAY_PUB)
        .base_uri(&base)
        .download_progress(|_, _| panic!("a progress bar's bug"))
        .build()
        .unwrap();
    let client = wechatpay::blocking::Client::from(async_client);
    let dir = std::env::temp_dir().join(format!("wechatpay-edges-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let sink = dir.join("bill.csv");
    // Inside a runtime, as a handler calling blocking code would be: the call runs on the
    // client's own runtime, and the callback's panic comes back as a panic, not an error.
    let _inside = rt.enter();
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        client
            .chain("v3/billdownload/file")
            .get(json!({"query": {"token": "T"}, "sink": sink, "retry": false}))
    }));
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(
        calls.load(Ordering::SeqCst),
        1,
        "the request reached the server"
    );
    match outcome {
        Err(panic) => {
            let text = panic.downcast_ref::<&str>().copied().unwrap_or_default();
            assert_eq!(text, "a progress bar's bug");
        }
        Ok(result) => {
            let e = result.unwrap_err();
            assert_ne!(e.outcome(), Outcome::NotSent, "sent, so never NotSent: {e}");
        }
    }
}

/// Signs slowly the first time, so a second call waits for the one-thread signing pool.
struct SlowOnce(AtomicBool, Duration);

impl wechatpay::crypto::Signer for SlowOnce {
    fn sign(&self, _: &[u8]) -> wechatpay::Result<Vec<u8>> {
        if !self.0.swap(true, Ordering::SeqCst) {
            std::thread::sleep(self.1);
        }
        Ok(vec![0; 256])
    }
}

#[tokio::test]
async fn the_signing_pool_wait_ends_at_the_retry_deadline_with_nothing_sent() {
    let (base, calls, _) = server(Arc::new(Mutex::new(Duration::ZERO))).await;
    let client = Client::builder()
        .mchid("1900000001")
        .serial("1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C")
        .signer(Arc::new(SlowOnce(
            AtomicBool::new(false),
            Duration::from_secs(3),
        )))
        .public_key(KEY_ID, WECHATPAY_PUB)
        .base_uri(&base)
        .signing_pool(1, 0)
        .retry(Retry::default().deadline(Duration::from_secs(1)))
        .build()
        .unwrap();
    let first = {
        let client = client.clone();
        tokio::spawn(async move { client.chain(QUERY).get(query()).await })
    };
    // The first call holds the pool's one thread for 3 s while it signs.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut args = query();
    args["retry"] = json!(false);
    let e = client.chain(QUERY).get(args).await.unwrap_err();
    assert_eq!(
        calls.load(Ordering::SeqCst),
        0,
        "nothing sent by either call yet"
    );
    let _ = first.await;
    assert!(matches!(e, Error::NotSent(_)), "{e}");
    assert_eq!(e.outcome(), Outcome::NotSent);
}

#[tokio::test]
async fn a_download_cut_short_by_its_caller_leaves_the_next_caller_free_to_download() {
    let delay = Arc::new(Mutex::new(Duration::from_secs(3)));
    let (base, _, listings) = server(delay.clone()).await;
    let client = Client::builder()
        .mchid("1900000001")
        .serial("1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C")
        .private_key(MERCHANT_KEY)
        .platform_certificate(include_str!("fixtures/client/platform_cert.pem"))
        .apiv3_key("0123456789abcdef0123456789abcdef")
        .base_uri(&base)
        .build()
        .unwrap();
    let mut args = query();
    args["timeout"] = json!(0.5);
    args["retry"] = json!(false);
    let e = client.chain(QUERY).get(args).await.unwrap_err();
    assert!(matches!(e, Error::Limit { .. }), "{e}");
    assert_eq!(listings.load(Ordering::SeqCst), 1);
    // The listing is quick now: a patient call may download, the first never completed.
    *delay.lock().unwrap() = Duration::ZERO;
    let mut args = query();
    args["retry"] = json!(false);
    let _ = client.chain(QUERY).get(args.clone()).await;
    assert_eq!(listings.load(Ordering::SeqCst), 2);
    // That one completed (refused: an empty, unsigned list): the minute counts from it.
    let _ = client.chain(QUERY).get(args).await;
    assert_eq!(listings.load(Ordering::SeqCst), 2, "at most one a minute");
}
