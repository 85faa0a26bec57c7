//! Production semantics against the emulator: the outcome of every failure class, each retry
//! rule (the journal proving how many attempts were sent, each freshly signed), the
//! `Wechatpay-Serial` header on every request, proxies.
#![cfg(feature = "mock")]

mod support;
use serde_json::{json, Value};
use std::time::Duration;
use support::closed_port;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use wechatpay::mock::{Answer, Fault, Server};
use wechatpay::{Client, Error, Outcome, Retry};

const QUERY: &str = "v3/pay/transactions/out-trade-no/{out_trade_no}";
const CLOSE: &str = "v3/pay/transactions/out-trade-no/{out_trade_no}/close";

fn query_args() -> Value {
    json!({"out_trade_no": "1217752501201407033233368018", "query": {"mchid": "1900000001"}})
}

fn close_args() -> Value {
    json!({"out_trade_no": "1217752501201407033233368018", "json": {"mchid": "1900000001"}})
}

/// Fast backoff so the retry tests take milliseconds.
fn quick() -> Retry {
    Retry::default().backoff(Duration::from_millis(10), Duration::from_millis(50))
}

async fn start() -> (Server, Client) {
    let server = Server::start().await.unwrap();
    let client = server.client_builder().retry(quick()).build().unwrap();
    (server, client)
}

/// The nonces of the journal's requests, from their `Authorization` headers.
fn nonces(server: &Server) -> Vec<String> {
    server
        .journal()
        .iter()
        .map(|r| {
            let auth = r.headers["authorization"].to_str().unwrap().to_string();
            let start = auth.find("nonce_str=\"").unwrap() + 11;
            auth[start..start + auth[start..].find('"').unwrap()].to_string()
        })
        .collect()
}

#[tokio::test]
async fn every_failure_class_has_its_outcome() {
    let (server, client) = start().await;
    let one = |mut args: Value| {
        args["retry"] = json!(false);
        args
    };
    // NotSent: refused before sending
    let e = client.chain(QUERY).get(json!({})).await.unwrap_err();
    assert_eq!(e.outcome(), Outcome::NotSent, "{e}");
    // NotSent: nothing listens
    let dead = server
        .client_builder()
        .base_uri(format!("https://127.0.0.1:{}/", closed_port()))
        .build()
        .unwrap();
    let e = dead.chain(QUERY).get(one(query_args())).await.unwrap_err();
    assert_eq!(e.outcome(), Outcome::NotSent, "{e}");
    assert!(e.is_retryable());
    assert!(
        e.to_string().contains("could not connect"),
        "root cause named: {e}"
    );
    // NotSent, not retryable: the server's certificate is not trusted
    let m = server.merchant();
    let untrusting = Client::builder()
        .mchid(&m.mchid)
        .serial(&m.serial)
        .private_key(m.private_key_pem.as_bytes())
        .public_key(server.public_key_id(), server.public_key_pem())
        .base_uri(server.url())
        .build()
        .unwrap();
    let e = untrusting
        .chain(QUERY)
        .get(one(query_args()))
        .await
        .unwrap_err();
    assert_eq!(e.outcome(), Outcome::NotSent, "{e}");
    assert!(
        !e.is_retryable(),
        "no retry cures an untrusted certificate: {e}"
    );
    assert!(e.to_string().to_lowercase().contains("certificate"), "{e}");
    assert!(server.journal().is_empty());

    // Rejected: a verified 4xx
    server.on(
        "GET",
        QUERY,
        Answer::json(
            404,
            json!({"code": "ORDER_NOT_EXIST", "message": "订单不存在"}),
        ),
    );
    let e = client
        .chain(QUERY)
        .get(one(query_args()))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Api { verified: true, .. }), "{e:?}");
    assert_eq!(e.outcome(), Outcome::Rejected);
    assert!(!e.may_have_taken_effect());

    // Rejected: an APIv2 FAIL; Unknown: one of the "query the result" codes
    for (code, outcome) in [
        ("ORDERPAID", Outcome::Rejected),
        ("SYSTEMERROR", Outcome::Unknown),
        ("USERPAYING", Outcome::Unknown),
    ] {
        server.on(
            "POST",
            "v2/pay/micropay",
            Answer::xml(json!({"return_code": "SUCCESS", "result_code": "FAIL", "err_code": code, "mch_id": "1900000001"})),
        );
        let e = client
            .chain("v2/pay/micropay")
            .post(json!({"xml": {"mch_id": "1900000001", "out_trade_no": "1217752501201407033233368018"}}))
            .await
            .unwrap_err();
        assert!(
            matches!(e, Error::V2Failure { verified: true, .. }),
            "{e:?}"
        );
        assert_eq!(e.outcome(), outcome, "{code}");
    }

    // Unknown: after the request was written
    let faults: [(Fault, &str); 4] = [
        (Fault::ServerError, "a 5xx"),
        (Fault::DropConnection, "a reset"),
        (Fault::BadSignature, "a forged answer"),
        (Fault::Slow(2_000), "a timeout"),
    ];
    for (fault, what) in faults {
        server.fault(fault);
        let mut args = one(close_args());
        args["timeout"] = json!(0.3);
        let e = client.chain(CLOSE).post(args).await.unwrap_err();
        assert_eq!(e.outcome(), Outcome::Unknown, "{what}: {e}");
        assert!(e.may_have_taken_effect(), "{what}");
        server.clear_faults();
    }
}

#[tokio::test]
async fn reads_are_retried_re_signed_until_they_succeed() {
    let (server, client) = start().await;
    let answer = json!({"trade_state": "SUCCESS", "out_trade_no": "1217752501201407033233368018"});
    server.on_sequence(
        "GET",
        QUERY,
        vec![
            Answer::json(500, json!({"code": "SYSTEM_ERROR", "message": "系统错误"})),
            Answer::json(503, json!({"code": "SYSTEM_ERROR", "message": "系统繁忙"})),
            Answer::json(200, answer.clone()),
        ],
    );
    let res = client.chain(QUERY).get(query_args()).await.unwrap();
    assert_eq!(res.json().unwrap(), answer);
    assert_eq!(res.attempts(), 3);
    let n = nonces(&server);
    assert_eq!(n.len(), 3, "three attempts");
    assert!(
        n[0] != n[1] && n[1] != n[2] && n[0] != n[2],
        "each freshly signed: {n:?}"
    );
    assert!(server.journal().iter().all(|r| r.verified));
}

#[tokio::test]
async fn a_timed_out_read_is_retried() {
    let (server, client) = start().await;
    server.on_sequence(
        "GET",
        QUERY,
        vec![
            Answer::json(200, json!({"slow": true})).with_delay(Duration::from_secs(3)),
            Answer::json(200, json!({"slow": false})),
        ],
    );
    // `timeout` is the whole call: a first attempt that uses it all leaves no time for another.
    let mut args = query_args();
    args["timeout"] = json!(0.3);
    let e = client.chain(QUERY).get(args).await.unwrap_err();
    assert!(
        matches!(
            e,
            Error::Limit {
                limit: "timeout",
                ..
            }
        ),
        "{e}"
    );
    assert_eq!(server.journal().len(), 1);
    // A per-attempt bound within it is what lets a slow attempt be retried.
    server.clear_journal();
    server.on_sequence(
        "GET",
        QUERY,
        vec![
            Answer::json(200, json!({"slow": true})).with_delay(Duration::from_secs(3)),
            Answer::json(200, json!({"slow": false})),
        ],
    );
    let mut args = query_args();
    args["retry"] = json!({"attempt_timeout": 0.3});
    let res = client.chain(QUERY).get(args).await.unwrap();
    assert_eq!(res.json().unwrap()["slow"], false);
    assert_eq!(server.journal().len(), 2);
}

#[tokio::test]
async fn writes_are_not_retried_unless_the_call_opts_in() {
    let (server, client) = start().await;
    let sequence = || {
        vec![
            Answer::json(500, json!({"code": "SYSTEM_ERROR", "message": "系统错误"})),
            Answer::status(204),
        ]
    };
    server.on_sequence("POST", CLOSE, sequence());
    let e = client.chain(CLOSE).post(close_args()).await.unwrap_err();
    assert_eq!(e.status().map(|s| s.as_u16()), Some(500));
    assert_eq!(
        server.journal().len(),
        1,
        "a write is never resent on its own"
    );

    server.clear_journal();
    server.on_sequence("POST", CLOSE, sequence());
    let mut args = close_args();
    args["retry"] = json!({"writes": true});
    let res = client.chain(CLOSE).post(args).await.unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(
        nonces(&server).len(),
        2,
        "resent once, with the same out_trade_no"
    );
    let bodies: Vec<_> = server.journal().iter().map(|r| r.body.clone()).collect();
    assert_eq!(bodies[0], bodies[1], "the same business request");
}

#[tokio::test]
async fn retry_after_beyond_the_deadline_stops_the_retries() {
    let (server, client) = start().await;
    server.on_sequence(
        "GET",
        QUERY,
        vec![
            Answer::json(
                429,
                json!({"code": "FREQUENCY_LIMITED", "message": "频率超限"}),
            )
            .with_header("Retry-After", "120"),
            Answer::json(200, json!({})),
        ],
    );
    let e = client.chain(QUERY).get(query_args()).await.unwrap_err();
    assert_eq!(e.status().map(|s| s.as_u16()), Some(429));
    assert_eq!(
        server.journal().len(),
        1,
        "waiting 120 s would pass the 60 s deadline"
    );
    // `retry: false` and a per-client `Retry::none()` send once, whatever the answer.
    server.clear_journal();
    server.on(
        "GET",
        QUERY,
        Answer::json(500, json!({"code": "SYSTEM_ERROR"})),
    );
    let mut args = query_args();
    args["retry"] = json!(false);
    assert!(client.chain(QUERY).get(args).await.is_err());
    let once = server
        .client_builder()
        .retry(Retry::none())
        .build()
        .unwrap();
    assert!(once.chain(QUERY).get(query_args()).await.is_err());
    assert_eq!(server.journal().len(), 2);
}

#[tokio::test]
async fn a_connection_that_could_not_be_made_is_retried() {
    // Nothing listens on the port at first; a server appears there while the client backs off.
    let port = closed_port();
    let client = Client::builder()
        .mchid("1900000001")
        .serial("1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C")
        .private_key(support::MERCHANT_KEY)
        .public_key(support::KEY_ID, support::WECHATPAY_PUB)
        .base_uri(format!("http://127.0.0.1:{port}/"))
        .retry(Retry::default().backoff(Duration::from_millis(800), Duration::from_millis(800)))
        .build()
        .unwrap();
    let server = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .unwrap();
        let (mut s, _) = listener.accept().await.unwrap();
        let mut buf = vec![0u8; 65536];
        let _ = s.read(&mut buf).await;
        let _ = s
            .write_all(&support::signed_answer(
                "204 No Content",
                "",
                support::WECHATPAY_KEY,
            ))
            .await;
    });
    // A write, and still retried: it never left.
    let res = client.chain(CLOSE).post(close_args()).await.unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(
        res.attempts(),
        2,
        "refused first, answered on the second attempt"
    );
    server.await.unwrap();
}

#[tokio::test]
async fn every_request_names_the_public_key_and_no_certificate_is_downloaded() {
    let (server, client) = start().await;
    for i in 0..20 {
        let args = json!({"out_trade_no": format!("N{i}"), "query": {"mchid": "1900000001"}});
        let _ = client.chain(QUERY).get(args).await;
        let _ = client
            .chain(CLOSE)
            .post(json!({"out_trade_no": format!("N{i}"), "json": {"mchid": "1900000001"}}))
            .await;
    }
    let journal = server.journal();
    assert_eq!(journal.len(), 40);
    for r in &journal {
        assert_eq!(
            r.headers["wechatpay-serial"],
            server.public_key_id(),
            "{}",
            r.path
        );
    }
    assert!(journal
        .iter()
        .all(|r| !r.path.ends_with("/v3/certificates")));
    // The caller's own header wins.
    server.clear_journal();
    let mut args = query_args();
    args["headers"] = json!({"Wechatpay-Serial": server.public_key_id()});
    let _ = client.chain(QUERY).get(args).await;
    assert_eq!(
        server.journal()[0]
            .headers
            .get_all("wechatpay-serial")
            .iter()
            .count(),
        1
    );
}

#[tokio::test]
async fn proxies_are_used_when_set_and_never_for_loopback() {
    // A loopback "proxy" that records what it is asked and refuses it.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let proxy = format!("http://{}", listener.local_addr().unwrap());
    let seen = tokio::spawn(async move {
        let (mut s, _) = listener.accept().await.unwrap();
        let mut buf = vec![0u8; 4096];
        let n = s.read(&mut buf).await.unwrap();
        let _ = s
            .write_all(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
            .await;
        String::from_utf8_lossy(&buf[..n]).into_owned()
    });
    let (server, _) = start().await;
    // Loopback goes direct even with a proxy set: the emulator answers.
    let direct = server.client_builder().proxy(&proxy).build().unwrap();
    direct.chain(QUERY).get(query_args()).await.unwrap();
    // A production host goes through the proxy (which refuses: nothing leaves the machine).
    let via = server
        .client_builder()
        .base_uri("https://api.mch.weixin.qq.com/")
        .proxy(&proxy)
        .retry(Retry::none())
        .build()
        .unwrap();
    let e = via.chain(QUERY).get(query_args()).await.unwrap_err();
    assert!(matches!(e, Error::Transport(_)), "{e:?}");
    let request = seen.await.unwrap();
    assert!(
        request.starts_with("CONNECT api.mch.weixin.qq.com:443"),
        "{request}"
    );
    // And `no_proxy()` with the host pinned to a closed loopback port connects directly.
    let port = closed_port();
    let none = server
        .client_builder()
        .base_uri(format!("https://api.mch.weixin.qq.com:{port}/"))
        .resolve(
            "api.mch.weixin.qq.com",
            format!("127.0.0.1:{port}").parse().unwrap(),
        )
        .proxy(&proxy)
        .no_proxy()
        .retry(Retry::none())
        .build()
        .unwrap();
    let e = none.chain(QUERY).get(query_args()).await.unwrap_err();
    assert_eq!(
        e.outcome(),
        Outcome::NotSent,
        "refused by the closed port, not a proxy: {e}"
    );
}
