//! Never hang, never fill memory, never lose a file: a raw loopback server (plain HTTP on
//! 127.0.0.1, real sockets) that hangs, trickles, never ends, lies about sizes or cuts off, and
//! the error each case must give. Also: error answers are verified when they claim a signature.

use base64::Engine;
use serde_json::json;
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use wechatpay::crypto::PrivateKey;
use wechatpay::{Client, Error};

const MERCHANT_KEY: &str = include_str!("fixtures/client/merchant_key.pem");
const WECHATPAY_KEY: &str = include_str!("fixtures/client/wechatpay_key.pem");
const WECHATPAY_PUB: &str = include_str!("fixtures/client/wechatpay_pub.pem");
const KEY_ID: &str = "PUB_KEY_ID_0119000000012024000000000000";

type Behaviour = Arc<dyn Fn(TcpStream) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>;

/// A server on 127.0.0.1 that reads each request's head and then does what it is told.
async fn serve(behaviour: Behaviour) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let behaviour = behaviour.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 4096];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                behaviour(stream).await;
            });
        }
    });
    format!("http://{addr}/")
}

fn behaviour<F, Fut>(f: F) -> Behaviour
where
    F: Fn(TcpStream) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    Arc::new(move |s| Box::pin(f(s)))
}

fn client(base: &str) -> Client {
    Client::builder()
        .mchid("1900000001")
        .serial("1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C")
        .private_key(MERCHANT_KEY)
        .public_key(KEY_ID, WECHATPAY_PUB)
        .base_uri(base)
        .build()
        .unwrap()
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// An HTTP/1.1 answer signed with `key` (WeChat Pay's, or a forger's).
fn signed_answer(status: &str, body: &str, key: &str) -> Vec<u8> {
    let ts = unix_now().to_string();
    let nonce = "NONCE0123456789";
    let sig = PrivateKey::from_pem(key)
        .unwrap()
        .sign(&wechatpay::v3::canonical_response(
            &ts,
            nonce,
            body.as_bytes(),
        ))
        .unwrap();
    let sig = base64::engine::general_purpose::STANDARD.encode(sig);
    format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nRequest-ID: 08F1\r\n\
         Wechatpay-Timestamp: {ts}\r\nWechatpay-Nonce: {nonce}\r\nWechatpay-Serial: {KEY_ID}\r\n\
         Wechatpay-Signature: {sig}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

fn limit_of(e: &Error) -> Option<&'static str> {
    match e {
        Error::Limit { limit, .. } => Some(limit),
        _ => None,
    }
}

const QUERY: &str = "v3/pay/transactions/id/{transaction_id}";

fn query_args(extra: serde_json::Value) -> serde_json::Value {
    let mut args =
        json!({"transaction_id": "4200000000000000000", "query": {"mchid": "1900000001"}});
    for (k, v) in extra.as_object().unwrap() {
        args[k] = v.clone();
    }
    args
}

#[tokio::test]
async fn a_server_that_never_answers_hits_the_timeout() {
    let base = serve(behaviour(|s| async move {
        tokio::time::sleep(Duration::from_secs(60)).await;
        drop(s);
    }))
    .await;
    let e = client(&base)
        .chain(QUERY)
        .get(query_args(json!({"timeout": 0.3})))
        .await
        .unwrap_err();
    assert_eq!(limit_of(&e), Some("timeout"), "{e}");
    assert!(
        !e.is_refused_before_sending(),
        "the request was written: {e}"
    );
    // The builder's limit works the same way.
    let c = Client::builder()
        .mchid("1900000001")
        .serial("1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C")
        .private_key(MERCHANT_KEY)
        .public_key(KEY_ID, WECHATPAY_PUB)
        .base_uri(&base)
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let e = c.chain(QUERY).get(query_args(json!({}))).await.unwrap_err();
    assert_eq!(limit_of(&e), Some("timeout"), "{e}");
}

#[tokio::test]
async fn a_body_that_trickles_past_the_deadline_hits_the_timeout() {
    let base = serve(behaviour(|mut s| async move {
        let _ = s
            .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n")
            .await;
        for _ in 0..100 {
            if s.write_all(b"x").await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }))
    .await;
    let e = client(&base)
        .chain(QUERY)
        .get(query_args(json!({"timeout": 0.5})))
        .await
        .unwrap_err();
    assert_eq!(limit_of(&e), Some("timeout"), "{e}");
}

/// Writes an endless chunked answer as fast as the client reads it.
async fn endless(mut s: TcpStream) {
    let _ = s
        .write_all(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        .await;
    let chunk = vec![b'x'; 64 * 1024];
    let mut framed = format!("{:x}\r\n", chunk.len()).into_bytes();
    framed.extend_from_slice(&chunk);
    framed.extend_from_slice(b"\r\n");
    while s.write_all(&framed).await.is_ok() {}
}

#[tokio::test]
async fn an_endless_answer_stops_at_the_cap() {
    let base = serve(behaviour(endless)).await;
    let e = client(&base)
        .chain(QUERY)
        .get(query_args(json!({"max_answer_bytes": 1_048_576})))
        .await
        .unwrap_err();
    assert_eq!(limit_of(&e), Some("max_answer_bytes"), "{e}");
    assert!(e.to_string().contains("1048576"), "{e}");
}

/// Run alone to measure peak memory with the default 32 MiB cap:
/// `/usr/bin/time -v cargo test --all-features --test limits an_endless_answer_with_the_default_cap`.
#[tokio::test]
async fn an_endless_answer_with_the_default_cap() {
    let base = serve(behaviour(endless)).await;
    let e = client(&base)
        .chain(QUERY)
        .get(query_args(json!({})))
        .await
        .unwrap_err();
    assert_eq!(limit_of(&e), Some("max_answer_bytes"), "{e}");
    assert!(
        e.to_string()
            .contains(&wechatpay::DEFAULT_MAX_ANSWER_BYTES.to_string()),
        "{e}"
    );
}

#[tokio::test]
async fn a_huge_declared_length_is_refused_before_reading() {
    let base = serve(behaviour(|mut s| async move {
        let _ = s
            .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 209715200\r\n\r\nxxxx")
            .await;
        tokio::time::sleep(Duration::from_secs(30)).await;
    }))
    .await;
    let e = client(&base)
        .chain(QUERY)
        .get(query_args(json!({})))
        .await
        .unwrap_err();
    assert_eq!(limit_of(&e), Some("max_answer_bytes"), "{e}");
    assert!(e.to_string().contains("209715200 bytes"), "{e}");
}

#[tokio::test]
async fn a_cut_off_answer_is_a_transport_error() {
    let base = serve(behaviour(|mut s| async move {
        let _ = s
            .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n{\"trade_state\":")
            .await;
    }))
    .await;
    let e = client(&base)
        .chain(QUERY)
        .get(query_args(json!({})))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Transport(_)), "{e:?}");
}

/// A directory with a precious file in it, and the list of what is there after a call.
fn precious(case: &str) -> (PathBuf, PathBuf) {
    let dir = std::env::temp_dir().join(format!("wechatpay-limits-{case}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("precious.csv");
    std::fs::write(&file, b"the bill from yesterday").unwrap();
    (dir, file)
}

fn untouched(dir: &PathBuf, file: &PathBuf) {
    assert_eq!(std::fs::read(file).unwrap(), b"the bill from yesterday");
    let names: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 1, "temporary files left behind: {names:?}");
}

const BILL: &str = "v3/billdownload/file";

#[tokio::test]
async fn a_failed_download_never_touches_the_file_that_was_there() {
    // cut off midway
    let cut = serve(behaviour(|mut s| async move {
        let _ = s
            .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\nday,amount\r\n")
            .await;
    }))
    .await;
    // stalls after a first chunk
    let stall = serve(behaviour(|mut s| async move {
        let _ = s
            .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\nday,amount\r\n")
            .await;
        tokio::time::sleep(Duration::from_secs(30)).await;
    }))
    .await;
    // complete, but not the file the signed answer promised
    let forged = serve(behaviour(|mut s| async move {
        let _ = s
            .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 14\r\nConnection: close\r\n\r\ntampered,bill\n")
            .await;
    }))
    .await;
    let digest =
        json!({"hash_type": "SHA1", "hash_value": "9bb6cd819be348f17a9cbcedddc8eb62fefbd790"});
    type Check = fn(&Error) -> bool;
    let cases: [(&str, &str, serde_json::Value, Check); 3] = [
        ("cut-off", &cut, json!({}), |e| {
            matches!(e, Error::Transport(_))
        }),
        ("stalled", &stall, json!({"stall_timeout": 0.3}), |e| {
            limit_of(e) == Some("stall_timeout")
        }),
        (
            "digest mismatch",
            &forged,
            json!({"digest": digest}),
            |e| matches!(e, Error::Signature(m) if m.contains("SHA1")),
        ),
    ];
    for (case, base, extra, check) in cases {
        let (dir, file) = precious(&case.replace(' ', "-"));
        let mut args = json!({"query": {"token": "t"}, "sink": file.to_str().unwrap()});
        for (k, v) in extra.as_object().unwrap() {
            args[k] = v.clone();
        }
        let e = client(base).chain(BILL).get(args).await.unwrap_err();
        assert!(check(&e), "{case}: {e:?}");
        untouched(&dir, &file);
        std::fs::remove_dir_all(&dir).unwrap();
    }
    // A good download replaces the file, and leaves nothing else.
    let good = serve(behaviour(|mut s| async move {
        let _ = s
            .write_all(
                b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\nConnection: close\r\n\r\nnew,bill\n",
            )
            .await;
    }))
    .await;
    let (dir, file) = precious("good");
    client(&good)
        .chain(BILL)
        .get(json!({"query": {"token": "t"}, "sink": file.to_str().unwrap()}))
        .await
        .unwrap();
    assert_eq!(std::fs::read(&file).unwrap(), b"new,bill\n");
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn a_sink_in_a_missing_directory_is_refused_before_sending() {
    let base = serve(behaviour(|_s| async move {
        panic!("nothing may be sent");
    }))
    .await;
    let e = client(&base)
        .chain(BILL)
        .get(json!({"query": {"token": "t"}, "sink": "/nonexistent-dir/x/bill.csv"}))
        .await
        .unwrap_err();
    assert!(e.is_refused_before_sending(), "{e:?}");
    assert!(
        matches!(&e, Error::Argument { name, .. } if name == "sink"),
        "{e:?}"
    );
}

#[tokio::test]
async fn error_answers_are_verified_when_they_claim_a_signature() {
    let body = r#"{"code":"ORDER_NOT_EXIST","message":"订单不存在"}"#;
    let genuine = serve(behaviour(move |mut s| async move {
        let _ = s
            .write_all(&signed_answer("404 Not Found", body, WECHATPAY_KEY))
            .await;
    }))
    .await;
    let forged = serve(behaviour(move |mut s| async move {
        let _ = s
            .write_all(&signed_answer("404 Not Found", body, MERCHANT_KEY))
            .await;
    }))
    .await;
    let unsigned = serve(behaviour(move |mut s| async move {
        let answer = format!(
            "HTTP/1.1 400 Bad Request\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        let _ = s.write_all(answer.as_bytes()).await;
    }))
    .await;
    let get =
        |base: String| async move { client(&base).chain(QUERY).get(query_args(json!({}))).await };
    match get(genuine).await {
        Err(e @ Error::Api { verified: true, .. }) => {
            assert_eq!(e.code(), Some("ORDER_NOT_EXIST"));
            assert!(e.to_string().starts_with("WeChat Pay answered 404"), "{e}");
        }
        other => panic!("genuine: {other:?}"),
    }
    match get(forged).await {
        Err(Error::Signature(m)) => assert!(m.contains("does not verify"), "{m}"),
        other => panic!("forged: {other:?}"),
    }
    match get(unsigned).await {
        Err(
            e @ Error::Api {
                verified: false, ..
            },
        ) => {
            assert_eq!(e.code(), Some("ORDER_NOT_EXIST"));
            assert!(e.to_string().contains("unverified"), "{e}");
        }
        other => panic!("unsigned: {other:?}"),
    }
}

#[tokio::test]
async fn a_file_that_cannot_be_written_after_sending_is_not_a_refusal() {
    let good = serve(behaviour(|mut s| async move {
        let _ = s
            .write_all(
                b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\nConnection: close\r\n\r\nnew,bill\n",
            )
            .await;
    }))
    .await;
    // The target is a directory: the temporary file is written, the rename over it fails.
    let (dir, _) = precious("rename");
    let target = dir.join("a-directory");
    std::fs::create_dir(&target).unwrap();
    let e = client(&good)
        .chain(BILL)
        .get(json!({"query": {"token": "t"}, "sink": target.to_str().unwrap()}))
        .await
        .unwrap_err();
    assert!(
        matches!(&e, Error::Sink { path, .. } if *path == target),
        "{e:?}"
    );
    assert!(!e.is_refused_before_sending(), "it was sent: {e}");
    assert!(target.is_dir());
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        2,
        "no temporary file left"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
