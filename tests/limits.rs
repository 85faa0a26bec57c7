//! Never hang, never fill memory, never lose a file: a raw loopback server (plain HTTP on
//! 127.0.0.1, real sockets) that hangs, trickles, never ends, lies about sizes or cuts off, and
//! the error each case must give. Also: error answers are verified when they claim a signature.

use serde_json::json;
use std::path::PathBuf;
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use wechatpay::{Client, Error};

mod support;
use support::*;

fn limit_of(e: &Error) -> Option<&'static str> {
    match e {
        Error::Limit { limit, .. } => Some(limit),
        _ => None,
    }
}

const QUERY: &str = "v3/pay/transactions/id/{transaction_id}";

fn query_args(extra: serde_json::Value) -> serde_json::Value {
    // One attempt: each case is about one exchange (retries are tests/retries.rs's).
    let mut args = json!({"transaction_id": "4200000000000000000", "query": {"mchid": "1900000001"}, "retry": false});
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
    let base = serve(holding(
        b"HTTP/1.1 200 OK\r\nContent-Length: 209715200\r\n\r\nxxxx",
    ))
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
    let base = serve(fixed(
        b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n{\"trade_state\":",
    ))
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
    let cut = serve(fixed(
        b"HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\nday,amount\r\n",
    ))
    .await;
    // stalls after a first chunk
    let stall = serve(holding(
        b"HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\nday,amount\r\n",
    ))
    .await;
    // complete, but not the file the signed answer promised
    let forged = serve(fixed(
        b"HTTP/1.1 200 OK\r\nContent-Length: 14\r\nConnection: close\r\n\r\ntampered,bill\n",
    ))
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
    // The directory goes away while the answer is on its way: the request was sent, the
    // download arrives, and the final rename fails.
    let (dir, file) = precious("vanishing");
    let doomed = dir.clone();
    let base = serve(behaviour(move |mut s| {
        let doomed = doomed.clone();
        async move {
            std::fs::remove_dir_all(&doomed).unwrap();
            let _ = s
                .write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\nConnection: close\r\n\r\nnew,bill\n",
                )
                .await;
        }
    }))
    .await;
    let e = client(&base)
        .chain(BILL)
        .get(json!({"query": {"token": "t"}, "sink": file.to_str().unwrap()}))
        .await
        .unwrap_err();
    assert!(
        matches!(&e, Error::Sink { path, .. } if *path == file),
        "{e:?}"
    );
    assert!(!e.is_refused_before_sending(), "it was sent: {e}");
    assert!(!dir.exists());
}

#[tokio::test]
async fn a_sink_that_is_not_a_regular_file_is_refused_before_sending() {
    let base = serve(behaviour(|_s| async move {
        panic!("nothing may be sent");
    }))
    .await;
    let (dir, file) = precious("special");
    let sub = dir.join("a-directory");
    std::fs::create_dir(&sub).unwrap();
    let link = dir.join("link.csv");
    #[cfg(unix)]
    std::os::unix::fs::symlink(&file, &link).unwrap();
    #[cfg(unix)]
    let targets = vec![sub.clone(), link.clone(), PathBuf::from("/dev/null")];
    #[cfg(not(unix))]
    let targets = vec![sub.clone()];
    for target in targets {
        let e = client(&base)
            .chain(BILL)
            .get(json!({"query": {"token": "t"}, "sink": target.to_str().unwrap()}))
            .await
            .unwrap_err();
        assert!(e.is_refused_before_sending(), "{}: {e:?}", target.display());
        assert!(e.to_string().contains("regular file"), "{e}");
    }
    assert!(sub.is_dir());
    #[cfg(unix)]
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[cfg(unix)]
#[tokio::test]
async fn a_replaced_file_keeps_its_permissions_and_a_new_one_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let good = serve(behaviour(|mut s| async move {
        let _ = s
            .write_all(
                b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\nConnection: close\r\n\r\nnew,bill\n",
            )
            .await;
    }))
    .await;
    let (dir, file) = precious("modes");
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o640)).unwrap();
    let fresh = dir.join("fresh.csv");
    for target in [&file, &fresh] {
        client(&good)
            .chain(BILL)
            .get(json!({"query": {"token": "t"}, "sink": target.to_str().unwrap()}))
            .await
            .unwrap();
    }
    let mode = |p: &PathBuf| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&file), 0o640);
    assert_eq!(mode(&fresh), 0o600);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn a_download_that_trickles_forever_ends_at_the_download_timeout() {
    let base = serve(behaviour(|mut s| async move {
        let _ = s
            .write_all(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
            .await;
        // one byte every 100 ms: never stalled, never done
        while s.write_all(b"1\r\nx\r\n").await.is_ok() {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }))
    .await;
    let (dir, file) = precious("trickle");
    let e = client(&base)
        .chain(BILL)
        .get(json!({"query": {"token": "t"}, "sink": file.to_str().unwrap(), "stall_timeout": 0.5, "download_timeout": 0.8, "retry": false}))
        .await
        .unwrap_err();
    assert_eq!(limit_of(&e), Some("download_timeout"), "{e}");
    untouched(&dir, &file);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn a_download_larger_than_the_cap_is_refused() {
    let base = serve(behaviour(endless)).await;
    let (dir, file) = precious("huge");
    let e = client(&base)
        .chain(BILL)
        .get(json!({"query": {"token": "t"}, "sink": file.to_str().unwrap(), "max_download_bytes": 1_000_000, "retry": false}))
        .await
        .unwrap_err();
    assert_eq!(limit_of(&e), Some("max_download_bytes"), "{e}");
    untouched(&dir, &file);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn an_apiv2_no_bill_answer_never_replaces_the_bill() {
    // WeChat Pay answers "no bill" to downloadbill with 200 and a FAIL message, not a file.
    let base = serve(behaviour(|mut s| async move {
        let body = "<xml><return_code><![CDATA[FAIL]]></return_code><return_msg><![CDATA[No Bill Exist]]></return_msg><error_code>20002</error_code></xml>";
        let answer = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len());
        let _ = s.write_all(answer.as_bytes()).await;
    }))
    .await;
    let (dir, file) = precious("nobill");
    let args =
        json!({"xml": {"mch_id": "1900000001", "bill_date": "20140603", "bill_type": "ALL"}});
    for sink in [true, false] {
        let mut args = args.clone();
        if sink {
            args["sink"] = json!(file.to_str().unwrap());
        }
        match client(&base).chain("v2/pay/downloadbill").post(args).await {
            Err(Error::V2Failure {
                fields,
                verified: false,
                ..
            }) => {
                assert_eq!(fields["return_msg"], "No Bill Exist")
            }
            other => panic!("sink {sink}: {other:?}"),
        }
    }
    untouched(&dir, &file);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn a_debug_print_of_an_answer_shows_no_body() {
    let body = r#"{"payer":{"openid":"PERSONAL-OPENID"}}"#;
    let base = serve(behaviour(move |mut s| async move {
        let _ = s
            .write_all(&signed_answer("200 OK", body, WECHATPAY_KEY))
            .await;
    }))
    .await;
    let res = client(&base)
        .chain(QUERY)
        .get(query_args(json!({})))
        .await
        .unwrap();
    let shown = format!("{res:?}");
    assert!(!shown.contains("PERSONAL"), "{shown}");
    assert!(shown.contains("body_bytes"), "{shown}");
}
