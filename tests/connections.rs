//! The connection strategy and the signing pool, against the emulator over real TLS sockets:
//! HTTP/2 where the server offers it (by default), HTTP/1.1 when turned off, one connection (not one per call) for a cold burst
//! over HTTP/2, the emulator's fast mode, and calls signed on the pool's threads.
#![cfg(feature = "mock")]

mod support;
use std::sync::{Arc, Mutex};
use wechatpay::crypto::{PrivateKey, Signer};
use wechatpay::http::Version;
use wechatpay::mock::Server;

#[tokio::test]
async fn http_2_where_offered_unless_turned_off() {
    // (server offers HTTP/2, client allows it, version spoken)
    for (offers, allows, version) in [
        (false, false, Version::HTTP_11),
        (true, false, Version::HTTP_11),
        (false, true, Version::HTTP_11),
        (true, true, Version::HTTP_2),
    ] {
        let server = Server::builder().http2(offers).start().await.unwrap();
        let client = server.client_builder().http2(allows).build().unwrap();
        for r in support::close_orders(&client, 8).await {
            assert_eq!(r.unwrap().status(), 204);
        }
        let journal = server.journal();
        assert_eq!(journal.len(), 8);
        assert!(
            journal.iter().all(|r| r.version == version && r.verified),
            "offers {offers}, allows {allows}: {:?}",
            journal.iter().map(|r| r.version).collect::<Vec<_>>()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cold_burst_over_http_2_opens_one_connection() {
    let server = Server::builder().http2(true).start().await.unwrap();
    // HTTP/2 is the default.
    let client = server.client_builder().build().unwrap();
    for r in support::close_orders(&client, 32).await {
        assert_eq!(r.unwrap().status(), 204);
    }
    assert_eq!(server.journal().len(), 32);
    assert_eq!(
        server.connections(),
        1,
        "32 concurrent calls on a cold client"
    );
    // Warm now: the next burst shares the same connection.
    for r in support::close_orders(&client, 32).await {
        assert_eq!(r.unwrap().status(), 204);
    }
    assert_eq!(server.connections(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_behind_a_slow_first_one_is_sent_before_its_timeout_runs_out() {
    let server = Server::builder().http2(true).start().await.unwrap();
    let client = server.client_builder().build().unwrap();
    // Every answer takes 3 s; the first call holds the cold host's gate all that time.
    server.fault(wechatpay::mock::Fault::Slow(3000));
    let close = |no: &str, timeout: u64| {
        let client = client.clone();
        let args = serde_json::json!({"out_trade_no": no, "json": {"mchid": "1900000001"}, "timeout": timeout});
        async move {
            client
                .chain("v3/pay/transactions/out-trade-no/{out_trade_no}/close")
                .post(args)
                .await
        }
    };
    let first = tokio::spawn(close("FIRST", 10));
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    // Its own timeout is 1 s: it waits at most 0.5 s at the gate, then goes, so when the
    // timeout comes the request has reached the server, and `Unknown` is the truth.
    let e = close("SECOND", 1).await.unwrap_err();
    assert_eq!(e.outcome(), wechatpay::Outcome::Unknown, "{e}");
    assert!(
        server.journal().iter().any(|r| r.path.contains("SECOND")),
        "the call timed out without being sent"
    );
    assert_eq!(first.await.unwrap().unwrap().status(), 204);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_speaks_only_http_1_1_gets_a_connection_per_concurrent_call() {
    let server = Server::start().await.unwrap();
    let client = server.client_builder().build().unwrap();
    // Cold: the first call goes alone; once it is answered over HTTP/1.1, nothing is shared, so
    // the next burst does not wait and opens what it needs. Each answer is held a little, so the
    // calls of a burst overlap however slowly a loaded machine starts them (without it, calls
    // that happened to run one after another could all reuse one connection).
    server.fault(wechatpay::mock::Fault::Slow(300));
    for _ in 0..2 {
        for r in support::close_orders(&client, 16).await {
            assert_eq!(r.unwrap().status(), 204);
        }
    }
    let journal = server.journal();
    assert_eq!(journal.len(), 32);
    assert!(journal.iter().all(|r| r.version == Version::HTTP_11));
    assert!(server.connections() > 1, "{}", server.connections());
}

#[tokio::test]
async fn fast_mode_answers_every_call_with_a_verified_answer_and_keeps_no_journal() {
    let server = Server::builder().fast(true).start().await.unwrap();
    let client = server.client_builder().build().unwrap();
    for path in [
        "v3/pay/transactions/id/{id}",
        "v3/refund/domestic/refunds/{id}",
    ] {
        let res = client
            .chain(path)
            .get(serde_json::json!({"id": "42"}))
            .await
            .unwrap();
        assert_eq!(res.json().unwrap()["trade_state"], "SUCCESS");
    }
    assert!(server.journal().is_empty());
}

/// Signs with the merchant key and notes the name of the signing thread.
struct Recording {
    key: PrivateKey,
    threads: Mutex<Vec<Option<String>>>,
}

impl Signer for Recording {
    fn sign(&self, message: &[u8]) -> wechatpay::Result<Vec<u8>> {
        let name = std::thread::current().name().map(str::to_string);
        self.threads.lock().unwrap().push(name);
        Signer::sign(&self.key, message)
    }
}

/// A client of `server` that signs through a [`Recording`] signer on a signing pool.
fn pooled_client(
    server: &Server,
    threads: usize,
    queue: usize,
) -> (wechatpay::Client, Arc<Recording>) {
    let signer = Arc::new(Recording {
        key: PrivateKey::from_pem(server.merchant().private_key_pem.as_bytes()).unwrap(),
        threads: Mutex::new(Vec::new()),
    });
    let client = server
        .client_builder()
        .signer(signer.clone())
        .signing_pool(threads, queue)
        .build()
        .unwrap();
    (client, signer)
}

#[tokio::test]
async fn with_a_signing_pool_calls_are_signed_on_its_threads() {
    let server = Server::start().await.unwrap();
    let (client, signer) = pooled_client(&server, 2, 2);
    // More calls than places: the rest wait for one, and all complete.
    for r in support::close_orders(&client, 12).await {
        assert_eq!(r.unwrap().status(), 204);
    }
    let threads = signer.threads.lock().unwrap().clone();
    assert_eq!(threads.len(), 12);
    assert!(
        threads.iter().all(|t| t
            .as_deref()
            .is_some_and(|n| n.starts_with("wechatpay-sign-"))),
        "{threads:?}"
    );
    assert!(server.journal().iter().all(|r| r.verified));
}

#[cfg(feature = "blocking")]
#[test]
fn the_blocking_twin_signs_on_its_calling_thread_even_when_the_client_has_a_pool() {
    let server = Server::start_blocking().unwrap();
    let (client, signer) = pooled_client(&server, 1, 1);
    let blocking = wechatpay::blocking::Client::from(client);
    std::thread::Builder::new()
        .name("caller".into())
        .spawn(move || {
            blocking
                .chain("v3/pay/transactions/out-trade-no/{out_trade_no}/close")
                .post(serde_json::json!({"out_trade_no": "B1", "json": {"mchid": "1900000001"}}))
                .unwrap();
        })
        .unwrap()
        .join()
        .unwrap();
    assert_eq!(
        *signer.threads.lock().unwrap(),
        [Some("caller".to_string())]
    );
}

#[test]
fn a_signing_pool_of_no_threads_is_refused_at_build() {
    let e = wechatpay::Client::builder()
        .mchid("1900000001")
        .signing_pool(0, 8)
        .build()
        .unwrap_err();
    assert!(e.to_string().contains("signing_pool"), "{e}");
}
