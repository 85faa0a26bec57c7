//! `wechatpay::mock`, the local WeChat Pay emulator, against the crate's own client: real sockets
//! on 127.0.0.1, real TLS. The emulator refuses what WeChat Pay refuses, answers in its style,
//! and the client refuses every fault the emulator injects.
#![cfg(all(feature = "mock", feature = "blocking"))]

use base64::Engine;
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use wechatpay::crypto::{PrivateKey, PublicKey};
use wechatpay::http::{HeaderMap, Method};
use wechatpay::mock::{Answer, Fault, Merchant, Server};
use wechatpay::{Client, Error, PreparedRequest};

const CLOSE: &str = "v3/pay/transactions/out-trade-no/{out_trade_no}/close";

async fn start() -> (Server, Client) {
    let server = Server::start().await.expect("the emulator starts");
    let client = server.client_builder().build().expect("the client builds");
    (server, client)
}

fn close_args() -> Value {
    json!({ "out_trade_no": "1217752501201407033233368018", "json": { "mchid": "1900000001" } })
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// A plain HTTPS client that trusts the emulator's CA: sends what a test gives it, unsigned.
fn raw_http(server: &Server) -> reqwest::Client {
    reqwest::Client::builder()
        .tls_certs_merge([reqwest::Certificate::from_pem(server.ca_pem().as_bytes()).unwrap()])
        .build()
        .unwrap()
}

/// Sends a prepared request, possibly altered, and returns the status and the JSON error body.
async fn send_raw(
    server: &Server,
    req: &PreparedRequest,
    url: Option<&str>,
    body: Option<&[u8]>,
) -> (u16, Value, HeaderMap) {
    let res = raw_http(server)
        .request(req.method().clone(), url.unwrap_or(req.url().as_str()))
        .headers(req.headers().clone())
        .body(body.unwrap_or(req.body()).to_vec())
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let body = res.bytes().await.unwrap();
    (
        status,
        serde_json::from_slice(&body).unwrap_or(Value::Null),
        headers,
    )
}

/// `(status, code)` of a WeChat-style API error, which must carry a `Request-ID`.
fn api_error(result: wechatpay::Result<wechatpay::Response>) -> (u16, String) {
    match result {
        Err(Error::Api {
            status,
            code,
            request_id,
            ..
        }) => {
            assert!(request_id.is_some_and(|id| !id.is_empty()), "no Request-ID");
            (status.as_u16(), code.unwrap_or_default())
        }
        other => panic!("expected an API error, got {other:?}"),
    }
}

fn v2_failure(result: wechatpay::Result<wechatpay::Response>) -> serde_json::Map<String, Value> {
    match result {
        Err(Error::V2Failure { fields, .. }) => fields,
        other => panic!("expected an APIv2 failure, got {other:?}"),
    }
}

#[tokio::test]
async fn a_good_v3_call_verifies_end_to_end() {
    let (server, client) = start().await;
    assert!(server.url().starts_with("https://127.0.0.1:") && server.url().ends_with('/'));

    // The documented default: 200 JSON in the documented shape, echoing the path placeholder.
    let res = client
        .chain("v3/refund/domestic/refunds/{out_refund_no}")
        .get(json!({"out_refund_no": "R-1 2"}))
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let refund = res.json().unwrap();
    assert_eq!(refund["out_refund_no"], "R-1 2");
    assert!(refund["amount"]["total"].is_i64() && refund["refund_id"].is_string());
    // Signed with the platform key under its PUB_KEY_ID, over "TS\nNONCE\nBODY\n".
    let h = res.headers();
    assert_eq!(h["wechatpay-serial"], server.public_key_id());
    assert!(server.public_key_id().starts_with("PUB_KEY_ID_"));
    let message = wechatpay::v3::canonical_response(
        h["wechatpay-timestamp"].to_str().unwrap(),
        h["wechatpay-nonce"].to_str().unwrap(),
        res.body(),
    );
    let signature = base64::engine::general_purpose::STANDARD
        .decode(h["wechatpay-signature"].as_bytes())
        .unwrap();
    let platform = PublicKey::from_pem(server.public_key_pem()).unwrap();
    platform.verify(&message, &signature).unwrap();
    assert!(res.request_id().is_some());

    // A scripted answer, then the default 204 of a documented empty route.
    server.on("POST", CLOSE, Answer::status(204));
    let res = client.chain(CLOSE).post(close_args()).await.unwrap();
    assert_eq!(res.status(), 204);
    assert!(res.body().is_empty());
    let res = client
        .chain("v3/brand/partner/store/brandstores/{store_id}")
        .delete(json!({"store_id": "1", "json": {"brand_id": "1"}}))
        .await
        .unwrap();
    assert_eq!(res.status(), 204);

    // Scripted JSON with a header and a delay; the latest script wins.
    server.on(
        "GET",
        "v3/pay/transactions/id/{transaction_id}",
        Answer::json(200, json!({"trade_state": "NOTPAY"})),
    );
    server.on(
        "GET",
        "v3/pay/transactions/id/{transaction_id}",
        Answer::json(200, json!({"trade_state": "SUCCESS"}))
            .with_header("X-Emulated", "yes")
            .with_delay(Duration::from_millis(300)),
    );
    let started = Instant::now();
    let res = client
        .chain("v3/pay/transactions/id/{transaction_id}")
        .get(json!({"transaction_id": "4200", "query": {"mchid": "1900000001"}}))
        .await
        .unwrap();
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(res.json().unwrap(), json!({"trade_state": "SUCCESS"}));
    assert_eq!(res.headers()["x-emulated"], "yes");

    // An unknown path is 404 NOT_FOUND, signed like every APIv3 answer.
    assert_eq!(
        api_error(client.chain("v3/no/such/endpoint").get(json!({})).await),
        (404, "NOT_FOUND".into())
    );

    let journal = server.journal();
    assert_eq!(journal.len(), 5);
    let close = &journal[1];
    assert_eq!(close.method, Method::POST);
    assert_eq!(
        close.path,
        "/v3/pay/transactions/out-trade-no/1217752501201407033233368018/close"
    );
    assert_eq!(close.query, None);
    assert!(close.verified);
    assert_eq!(close.outcome, "OK");
    assert_eq!(
        serde_json::from_slice::<Value>(&close.body).unwrap(),
        json!({"mchid": "1900000001"})
    );
    assert!(close.headers["authorization"]
        .to_str()
        .unwrap()
        .starts_with("WECHATPAY2-SHA256-RSA2048 mchid=\"1900000001\""));
    assert_eq!(journal[3].query.as_deref(), Some("mchid=1900000001"));
    assert_eq!(journal[4].outcome, "NOT_FOUND");
    assert!(journal[4].verified, "a good signature on an unknown path");
}

#[tokio::test]
async fn the_emulator_refuses_what_wechat_pay_refuses() {
    let (server, client) = start().await;
    let stranger = Merchant::generate("1900000002").unwrap();

    // The right mchid and serial, another private key.
    let wrong_key = server
        .client_builder()
        .private_key(stranger.private_key_pem.as_bytes())
        .build()
        .unwrap();
    assert_eq!(
        api_error(wrong_key.chain(CLOSE).post(close_args()).await),
        (401, "SIGN_ERROR".into())
    );
    // An unknown serial, an unknown mchid.
    let wrong_serial = server
        .client_builder()
        .serial(stranger.serial.clone())
        .build()
        .unwrap();
    assert_eq!(
        api_error(wrong_serial.chain(CLOSE).post(close_args()).await),
        (401, "SIGN_ERROR".into())
    );
    let wrong_mchid = server.client_builder().mchid("1900000002").build().unwrap();
    assert_eq!(
        api_error(wrong_mchid.chain(CLOSE).post(close_args()).await),
        (401, "SIGN_ERROR".into())
    );

    // A tampered body and an altered query: the signature covers the bytes received.
    let req = client
        .chain(CLOSE)
        .prepare(Method::POST, close_args())
        .unwrap();
    let (status, body, headers) =
        send_raw(&server, &req, None, Some(br#"{"mchid":"1900000009"}"#)).await;
    assert_eq!((status, body["code"].as_str()), (401, Some("SIGN_ERROR")));
    assert!(body["message"].is_string());
    assert!(headers.contains_key("request-id"));
    let req = client
        .chain("v3/pay/transactions/id/{transaction_id}")
        .prepare(
            Method::GET,
            json!({"transaction_id": "4200", "query": {"mchid": "1900000001"}}),
        )
        .unwrap();
    let altered = req.url().as_str().replace("1900000001", "1900000003");
    assert_ne!(altered, req.url().as_str());
    assert_eq!(send_raw(&server, &req, Some(&altered), None).await.0, 401);
    // Unaltered, the same prepared request passes; sent again, its nonce is a replay.
    assert_eq!(send_raw(&server, &req, None, None).await.0, 200);
    let (status, body, _) = send_raw(&server, &req, None, None).await;
    assert_eq!((status, body["code"].as_str()), (401, Some("SIGN_ERROR")));
    assert!(
        body["message"].as_str().unwrap().contains("replay"),
        "{body}"
    );

    // A correctly signed request 301 s old (and one 299 s old, which passes).
    let key = PrivateKey::from_pem(server.merchant().private_key_pem.as_bytes()).unwrap();
    let signed_at = |age: i64, nonce: &str| {
        let ts = unix_now() - age;
        let target = "/v3/pay/transactions/out-trade-no/T/close";
        let body = br#"{"mchid":"1900000001"}"#;
        let message = wechatpay::v3::canonical_request("POST", target, ts, nonce, body);
        let signature = b64(&key.sign(&message).unwrap());
        wechatpay::v3::authorization(
            "1900000001",
            &server.merchant().serial,
            ts,
            nonce,
            &signature,
        )
    };
    let post = |auth: String| {
        raw_http(&server)
            .post(format!(
                "{}v3/pay/transactions/out-trade-no/T/close",
                server.url()
            ))
            .header("Authorization", auth)
            .header("Content-Type", "application/json")
            .body(r#"{"mchid":"1900000001"}"#)
            .send()
    };
    let res = post(signed_at(301, "STALE0000000000000000000000000000"))
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    let body: Value = serde_json::from_slice(&res.bytes().await.unwrap()).unwrap();
    assert_eq!(body["code"], "SIGN_ERROR");
    assert!(body["message"].as_str().unwrap().contains("300"), "{body}");
    let res = post(signed_at(299, "FRESH000000000000000000000000000"))
        .await
        .unwrap();
    assert_eq!(res.status(), 204);

    // Another scheme, a field missing, no Authorization at all.
    let good = signed_at(0, "SCHEME00000000000000000000000000");
    let other_scheme = good.replace("WECHATPAY2-SHA256-RSA2048", "WECHATPAY2-SHA256-RSA4096");
    assert_eq!(post(other_scheme).await.unwrap().status(), 401);
    let no_nonce = good.replace("nonce_str=", "nonce=");
    assert_eq!(post(no_nonce).await.unwrap().status(), 401);
    let res = raw_http(&server)
        .get(format!("{}v3/certificates", server.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    assert!(res.headers().contains_key("request-id"));

    // A well-signed body that is not JSON.
    let req = client
        .chain(CLOSE)
        .prepare(
            Method::POST,
            json!({"out_trade_no": "T", "body": "{not json", "headers": {"Content-Type": "application/json"}}),
        )
        .unwrap();
    let (status, body, _) = send_raw(&server, &req, None, None).await;
    assert_eq!((status, body["code"].as_str()), (400, Some("PARAM_ERROR")));

    let journal = server.journal();
    let refused: Vec<&str> = journal
        .iter()
        .filter(|r| !r.verified)
        .map(|r| r.outcome.as_str())
        .collect();
    // Nine bad signatures; the replay had a good one and was refused all the same.
    assert_eq!(refused, vec!["SIGN_ERROR"; 9], "{journal:#?}");
    let replay = &journal[6];
    assert!(
        replay.verified && replay.outcome == "SIGN_ERROR",
        "{replay:?}"
    );
}

#[tokio::test]
async fn apiv2_sign_certificate_and_business_failures() {
    let second = Merchant::generate("1900000002").unwrap();
    let server = Server::builder()
        .merchant(Merchant::generate("1900000001").unwrap())
        .merchant(second.clone())
        .start()
        .await
        .unwrap();
    let client = server.client_builder().build().unwrap();
    assert_eq!(server.merchant().mchid, "1900000001", "the first one given");

    // A valid sign, MD5 (the default) and HMAC-SHA256: signed SUCCESS XML.
    for sign_type in [None, Some("HMAC-SHA256")] {
        let mut xml =
            json!({"appid": "wxd678efh567hg6787", "mch_id": "1900000001", "out_trade_no": "T1"});
        if let Some(t) = sign_type {
            xml["sign_type"] = json!(t);
        }
        let res = client
            .chain("v2/pay/orderquery")
            .post(json!({ "xml": xml }))
            .await
            .unwrap();
        let fields = res.xml().unwrap();
        assert_eq!(fields["return_code"], "SUCCESS");
        assert_eq!(fields["result_code"], "SUCCESS");
    }
    let last = server.journal().pop().unwrap();
    assert_eq!(last.path, "/pay/orderquery");
    assert!(last.verified);
    let sent = wechatpay::v2::xml::from_xml(std::str::from_utf8(&last.body).unwrap()).unwrap();
    assert!(sent.contains_key("nonce_str") && sent["sign"].as_str().unwrap().len() == 64);

    // A bad sign (the wrong secret) is refused with 签名错误.
    let wrong = server
        .client_builder()
        .apiv2_secret("0123456789abcdef0123456789abcdef")
        .build()
        .unwrap();
    let fields = v2_failure(
        wrong
            .chain("v2/pay/orderquery")
            .post(json!({"xml": {"mch_id": "1900000001", "out_trade_no": "T1"}}))
            .await,
    );
    assert_eq!(fields["return_code"], "FAIL");
    assert_eq!(fields["return_msg"], "签名错误");
    assert!(!server.journal().pop().unwrap().verified);

    // A security call over mutual TLS with the merchant's certificate succeeds.
    let cancel = json!({"security": true, "xml": {"version": "1.0", "mch_id": "1900000001", "appid": "wx1", "sign_type": "HMAC-SHA256", "out_order_no": "1", "reason": "r", "service_id": "1"}});
    let res = client
        .chain("v2/wxv/cancelbill")
        .post(cancel.clone())
        .await
        .unwrap();
    assert_eq!(res.xml().unwrap()["return_code"], "SUCCESS");
    assert!(server.journal().pop().unwrap().client_cert);

    // Without a client certificate: FAIL, saying why.
    let m = server.merchant();
    let no_cert = Client::builder()
        .mchid(&m.mchid)
        .apiv2_secret(m.apiv2_secret.as_str())
        .base_uri(server.url())
        .add_root_certificate(server.ca_pem())
        .build()
        .unwrap();
    let mut insecure = cancel.clone();
    insecure["security"] = json!(false);
    let fields = v2_failure(no_cert.chain("v2/wxv/cancelbill").post(insecure).await);
    assert_eq!(fields["return_code"], "FAIL");
    let why = fields["return_msg"].as_str().unwrap();
    assert!(why.contains("certificate is missing"), "{why}");
    let last = server.journal().pop().unwrap();
    assert!(!last.client_cert && !last.verified);

    // Another merchant's certificate (issued by the same CA) does not do for this mch_id.
    let borrowed = server
        .client_builder_for("1900000002")
        .unwrap()
        .mchid("1900000001")
        .apiv2_secret(m.apiv2_secret.as_str())
        .build()
        .unwrap();
    let fields = v2_failure(borrowed.chain("v2/wxv/cancelbill").post(cancel).await);
    assert!(
        fields["return_msg"]
            .as_str()
            .unwrap()
            .contains("not this mch_id"),
        "{fields:?}"
    );
    assert!(server.journal().pop().unwrap().client_cert);

    // The second merchant's own calls pass with its own credentials.
    let client2 = server
        .client_builder_for("1900000002")
        .unwrap()
        .build()
        .unwrap();
    client2
        .chain("v2/pay/orderquery")
        .post(json!({"xml": {"appid": "wx1", "mch_id": "1900000002", "out_trade_no": "T2"}}))
        .await
        .unwrap();
    client2
        .chain(CLOSE)
        .post(json!({"out_trade_no": "T", "json": {"mchid": "1900000002"}}))
        .await
        .unwrap();
    assert!(server.client_builder_for("1900009999").is_none());

    // A scripted result_code FAIL becomes Error::V2Failure carrying every field.
    server.on(
        "POST",
        "v2/pay/orderquery",
        Answer::xml(json!({"return_code": "SUCCESS", "return_msg": "OK", "result_code": "FAIL", "err_code": "ORDERNOTEXIST", "err_code_des": "此交易订单号不存在"})),
    );
    let err = client
        .chain("v2/pay/orderquery")
        .post(json!({"xml": {"mch_id": "1900000001", "out_trade_no": "T404"}}))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("ORDERNOTEXIST"));
    match err {
        Error::V2Failure { fields, body, .. } => {
            assert_eq!(fields["result_code"], "FAIL");
            assert_eq!(fields["err_code_des"], "此交易订单号不存在");
            assert!(fields.contains_key("sign") && fields.contains_key("nonce_str"));
            assert!(std::str::from_utf8(&body).unwrap().starts_with("<xml>"));
        }
        other => panic!("{other:?}"),
    }
    // An unknown APIv2 path: FAIL, not a v3-style 404.
    let fields = v2_failure(
        client
            .chain("v2/no/such/call")
            .post(json!({"xml": {"mch_id": "1900000001"}}))
            .await,
    );
    assert_eq!(fields["return_code"], "FAIL");
}

#[tokio::test]
async fn the_client_refuses_every_injected_fault() {
    let (server, client) = start().await;
    let call = || async { client.chain(CLOSE).post(close_args()).await };

    server.fault(Fault::BadSignature);
    assert!(matches!(call().await, Err(Error::Signature(_))));
    server.clear_faults();

    server.fault(Fault::WrongSerial);
    assert!(matches!(call().await, Err(Error::Signature(_))));
    server.clear_faults();

    server.fault(Fault::SkewedClock);
    match call().await {
        Err(Error::ClockSkew { offset, .. }) => assert!((590..=610).contains(&offset.abs())),
        other => panic!("{other:?}"),
    }
    server.clear_faults();

    server.fault(Fault::ServerError);
    let err = call().await.unwrap_err();
    assert!(err.is_retryable());
    assert_eq!(api_error(Err(err)), (500, "SYSTEM_ERROR".into()));
    assert!(
        server.journal().pop().unwrap().verified,
        "the request itself was good"
    );
    server.clear_faults();

    server.fault(Fault::DropConnection);
    assert!(matches!(call().await, Err(Error::Transport(_))));
    server.clear_faults();

    server.fault(Fault::Slow(2_000));
    let mut args = close_args();
    args["timeout"] = json!(0.3);
    let started = Instant::now();
    match client.chain(CLOSE).post(args).await {
        Err(Error::Limit { limit, .. }) => assert_eq!(limit, "timeout"),
        other => panic!("{other:?}"),
    }
    assert!(started.elapsed() < Duration::from_millis(1_500));
    server.clear_faults();

    // Faults off: the same call is good again.
    assert_eq!(call().await.unwrap().status(), 204);
}

#[tokio::test]
async fn sensitive_fields_and_notifications() {
    let (server, client) = start().await;
    server.on(
        "POST",
        "v3/profitsharing/receivers/add",
        Answer::json(200, json!({"type": "PERSONAL_OPENID"})),
    );

    // A field encrypted for WeChat Pay, sent with Wechatpay-Serial naming the PUB_KEY_ID.
    let name = client.encrypt("张三").unwrap();
    assert_eq!(name.serial, server.public_key_id());
    client
        .chain("v3/profitsharing/receivers/add")
        .post(json!({"headers": {"Wechatpay-Serial": name.serial}, "json": {"type": "PERSONAL_OPENID", "name": name.ciphertext}}))
        .await
        .unwrap();
    let last = server.journal().pop().unwrap();
    assert_eq!(last.headers["wechatpay-serial"], server.public_key_id());
    let sent: Value = serde_json::from_slice(&last.body).unwrap();
    assert_eq!(
        server.decrypt(sent["name"].as_str().unwrap()).unwrap(),
        "张三"
    );
    assert!(server.decrypt("bm90IGEgY2lwaGVydGV4dA==").is_err());
    // A Wechatpay-Serial naming another key is a PARAM_ERROR.
    assert_eq!(
        api_error(
            client
                .chain("v3/profitsharing/receivers/add")
                .post(json!({"headers": {"Wechatpay-Serial": "PUB_KEY_ID_0000"}, "json": {}}))
                .await
        ),
        (400, "PARAM_ERROR".into())
    );

    // A notification, built without sending: the client verifies and decrypts it.
    let resource =
        json!({"out_trade_no": "1217752501201407033233368018", "trade_state": "SUCCESS"});
    let (headers, body) = server
        .notification("TRANSACTION.SUCCESS", &resource)
        .unwrap();
    let envelope: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(envelope["resource_type"], "encrypt-resource");
    assert_eq!(envelope["resource"]["algorithm"], "AEAD_AES_256_GCM");
    assert_eq!(envelope["resource"]["nonce"].as_str().unwrap().len(), 12);
    assert_eq!(headers["wechatpay-serial"], server.public_key_id());
    let n = client.parse_notification(&headers, &body).unwrap();
    assert_eq!(
        (n.event_type.as_str(), n.original_type.as_str()),
        ("TRANSACTION.SUCCESS", "transaction")
    );
    assert_eq!(n.resource, resource);
    let mut tampered = body.clone();
    let at = tampered.len() / 2;
    tampered[at] ^= 1;
    assert!(client.parse_notification(&headers, &tampered).is_err());
    server.fault(Fault::BadSignature);
    let (headers, body) = server
        .notification("TRANSACTION.SUCCESS", &resource)
        .unwrap();
    assert!(matches!(
        client.parse_notification(&headers, &body),
        Err(Error::Signature(_))
    ));
    server.clear_faults();

    // Sent to a handler on 127.0.0.1: the bytes it receives verify, and its status comes back.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/notify", listener.local_addr().unwrap());
    let handler = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut received = Vec::new();
        let mut buf = [0u8; 8192];
        loop {
            let n = socket.read(&mut buf).await.unwrap();
            received.extend_from_slice(&buf[..n]);
            let text = String::from_utf8_lossy(&received).to_string();
            if let Some(head_end) = text.find("\r\n\r\n") {
                let length: usize = text[..head_end]
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix("content-length:")
                            .map(|v| v.trim().parse().unwrap())
                    })
                    .unwrap();
                if received.len() >= head_end + 4 + length {
                    break;
                }
            }
            assert!(n > 0, "the request ended early");
        }
        socket
            .write_all(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n")
            .await
            .unwrap();
        received
    });
    let status = server
        .notify(&url, "REFUND.SUCCESS", &json!({"refund_status": "SUCCESS"}))
        .await
        .unwrap();
    assert_eq!(status, 204);
    let received = handler.await.unwrap();
    let text = String::from_utf8(received).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    assert!(head.starts_with("POST /notify HTTP/1.1"));
    let mut headers = HeaderMap::new();
    for line in head.lines().skip(1) {
        let (k, v) = line.split_once(':').unwrap();
        headers.insert(
            wechatpay::http::HeaderName::from_bytes(k.trim().as_bytes()).unwrap(),
            v.trim().parse().unwrap(),
        );
    }
    let n = client
        .parse_notification(&headers, body.as_bytes())
        .unwrap();
    assert_eq!(
        (n.event_type.as_str(), n.original_type.as_str()),
        ("REFUND.SUCCESS", "refund")
    );
    assert_eq!(n.resource["refund_status"], "SUCCESS");

    // Never anywhere but loopback.
    for url in [
        "http://192.0.2.1/notify",
        "https://example.com/notify",
        "http://localhost.example/x",
        "file:///etc/passwd",
    ] {
        assert!(
            matches!(
                server.notify(url, "X.Y", &resource).await,
                Err(Error::Argument { .. })
            ),
            "{url}"
        );
    }
}

#[tokio::test]
async fn given_keys_port_and_shutdown() {
    // A given platform key and id, a given port, a given merchant.
    let platform = Merchant::generate("0").unwrap().private_key_pem;
    let merchant = Merchant::generate("1230000109").unwrap();
    let port = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap().port()
    };
    let server = Server::builder()
        .port(port)
        .platform_key(&platform, "PUB_KEY_ID_0112300001092024000000000000")
        .merchant(merchant.clone())
        .start()
        .await
        .unwrap();
    assert_eq!(server.url(), format!("https://127.0.0.1:{port}/"));
    assert_eq!(
        server.public_key_id(),
        "PUB_KEY_ID_0112300001092024000000000000"
    );
    assert_eq!(
        server.public_key_pem(),
        PrivateKey::from_pem(platform.as_bytes())
            .unwrap()
            .public_key()
            .to_pem()
    );
    assert!(server.ca_pem().starts_with("-----BEGIN CERTIFICATE-----"));
    assert_eq!(server.merchant().serial, merchant.serial);

    // Secrets stay out of Debug output.
    let shown = format!("{:?} {:?}", server.merchant(), server);
    assert!(shown.contains("1230000109"));
    for secret in [
        merchant.apiv2_secret.as_str(),
        merchant.apiv3_key.as_str(),
        "PRIVATE KEY",
    ] {
        assert!(!shown.contains(secret), "{shown}");
    }
    assert_eq!(merchant.apiv3_key.len(), 32);

    let client = server.client_builder().build().unwrap();
    client
        .chain(CLOSE)
        .post(json!({"out_trade_no": "T", "json": {"mchid": "1230000109"}}))
        .await
        .unwrap();

    // A second emulator cannot take the same port: a clear error, no panic.
    let taken = Server::builder().port(port).start().await.unwrap_err();
    assert!(taken.to_string().contains(&port.to_string()), "{taken}");

    // After shutdown nothing listens there any more.
    server.shutdown().await;
    let refused = client
        .chain(CLOSE)
        .post(json!({"out_trade_no": "T", "json": {"mchid": "1900000002"}}))
        .await;
    assert!(matches!(refused, Err(Error::Transport(_))), "{refused:?}");

    // Dropping a server stops it too.
    let (server, client) = start().await;
    client.chain(CLOSE).post(close_args()).await.unwrap();
    drop(server);
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(matches!(
        client.chain(CLOSE).post(close_args()).await,
        Err(Error::Transport(_))
    ));
}

#[test]
fn the_blocking_quickstart() {
    let server = Server::start_blocking().unwrap();
    let client = wechatpay::blocking::Client::from(server.client_builder().build().unwrap());
    let res = client.chain(CLOSE).post(close_args()).unwrap();
    assert_eq!(res.status(), 204);
    assert!(server.journal()[0].verified);
    server.fault(Fault::BadSignature);
    assert!(matches!(
        client.chain(CLOSE).post(close_args()),
        Err(Error::Signature(_))
    ));
    server.clear_faults();
    assert!(matches!(
        server.notify("http://192.0.2.1/", "X.Y", &json!({})),
        Err(Error::Argument { .. })
    ));
    let url = server.url().to_string();
    server.shutdown();
    let refused = client.chain(CLOSE).post(close_args());
    assert!(
        matches!(refused, Err(Error::Transport(_))),
        "{url}: {refused:?}"
    );
}
