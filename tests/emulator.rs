//! The client against the emulator over real sockets on 127.0.0.1, with real TLS: the emulator
//! refuses what WeChat Pay refuses, and the client refuses every fault the emulator injects.
#![cfg(feature = "mock")]

use base64::Engine;
use serde_json::{json, Value};
use wechatpay::http::Method;
use wechatpay::mock::{Answer, Fault, Merchant, Mode, Server};
use wechatpay::{Client, Error, PreparedRequest};

async fn start() -> (Server, Client) {
    let server = Server::start().await.expect("emulator starts");
    let client = server.client_builder().build().expect("client builds");
    (server, client)
}

/// Sends a prepared request as is, or with the given changes, bypassing the client.
async fn raw(
    server: &Server,
    req: &PreparedRequest,
    url: Option<&str>,
    body: Option<&[u8]>,
) -> (u16, Value) {
    let http = reqwest::Client::builder()
        .tls_certs_merge([reqwest::Certificate::from_pem(server.ca_pem().as_bytes()).unwrap()])
        .build()
        .unwrap();
    let res = http
        .request(req.method().clone(), url.unwrap_or(req.url().as_str()))
        .headers(req.headers().clone())
        .body(body.unwrap_or(req.body()).to_vec())
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let bytes = res.bytes().await.unwrap();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

fn cancel(client: &Client) -> wechatpay::Chain {
    client.chain("v3/payscore/serviceorder/{out_order_no}/cancel")
}

fn cancel_args() -> Value {
    json!({ "out_order_no": "1234323JKHDFE1243252", "json": { "appid": "wxd678efh567hg6787", "service_id": "500001", "reason": "用户投诉" } })
}

fn api_code(result: wechatpay::Result<wechatpay::Response>) -> (u16, String) {
    match result {
        Err(Error::Api {
            status,
            code,
            request_id,
            ..
        }) => {
            assert!(request_id.is_some(), "every error carries a Request-ID");
            (status.as_u16(), code.unwrap_or_default())
        }
        other => panic!("expected an API error, got {other:?}"),
    }
}

#[tokio::test]
async fn a_good_call_verifies_end_to_end() {
    let (server, client) = start().await;
    let res = cancel(&client).post(cancel_args()).await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.json().unwrap()["out_order_no"], "1234323JKHDFE1243252");
    assert!(res.request_id().is_some());
    let journal = server.journal();
    assert_eq!(journal.len(), 1);
    assert_eq!(
        journal[0].path,
        "/v3/payscore/serviceorder/1234323JKHDFE1243252/cancel"
    );
    assert_eq!(journal[0].outcome, "OK");
    let sent: Value = serde_json::from_slice(&journal[0].body).unwrap();
    assert_eq!(sent["reason"], "用户投诉");
}

#[tokio::test]
async fn the_emulator_refuses_what_wechat_pay_refuses() {
    let (server, client) = start().await;
    // A client signing with another key under the right serial.
    let other = Merchant::generate("1900000001").unwrap();
    let impostor = server
        .client_builder()
        .private_key(other.private_key_pem.as_bytes())
        .build()
        .unwrap();
    assert_eq!(
        api_code(cancel(&impostor).post(cancel_args()).await),
        (401, "SIGN_ERROR".into())
    );
    // Unknown serial and unknown merchant.
    let bad_serial = server
        .client_builder()
        .serial(other.serial.clone())
        .build()
        .unwrap();
    assert_eq!(
        api_code(cancel(&bad_serial).post(cancel_args()).await),
        (401, "SIGN_ERROR".into())
    );
    let bad_mchid = server.client_builder().mchid("1900009999").build().unwrap();
    assert_eq!(
        api_code(cancel(&bad_mchid).post(cancel_args()).await),
        (401, "SIGN_ERROR".into())
    );

    // Tampered body, altered query: the signature covers the bytes received.
    let req = cancel(&client)
        .prepare(Method::POST, cancel_args())
        .unwrap();
    let (status, body) = raw(&server, &req, None, Some(br#"{"reason":"changed"}"#)).await;
    assert_eq!((status, body["code"].as_str()), (401, Some("SIGN_ERROR")));
    let req = client
        .chain("v3/pay/transactions/id/{transaction_id}")
        .prepare(
            Method::GET,
            json!({"transaction_id": "4200000000", "query": {"mchid": "1900000001"}}),
        )
        .unwrap();
    let altered = req
        .url()
        .as_str()
        .replace("mchid=1900000001", "mchid=1900000002");
    assert_eq!(raw(&server, &req, Some(&altered), None).await.0, 401);

    // The same request twice: the nonce is replayed.
    let req = cancel(&client)
        .prepare(Method::POST, cancel_args())
        .unwrap();
    assert_eq!(raw(&server, &req, None, None).await.0, 200);
    let (status, body) = raw(&server, &req, None, None).await;
    assert_eq!(status, 401);
    assert!(
        body["message"].as_str().unwrap().contains("replayed"),
        "{body}"
    );

    // A stale timestamp, correctly signed.
    let key = wechatpay::crypto::PrivateKey::from_pem(server.merchant().private_key_pem.as_bytes())
        .unwrap();
    let ts = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
        - 400;
    let target = "/v3/payscore/serviceorder/X/cancel";
    let message = wechatpay::v3::canonical_request("POST", target, ts, "STALENONCE", b"{}");
    let sig = base64::engine::general_purpose::STANDARD.encode(key.sign(&message).unwrap());
    let auth = wechatpay::v3::authorization(
        "1900000001",
        &server.merchant().serial,
        ts,
        "STALENONCE",
        &sig,
    );
    let http = reqwest::Client::builder()
        .tls_certs_merge([reqwest::Certificate::from_pem(server.ca_pem().as_bytes()).unwrap()])
        .build()
        .unwrap();
    let res = http
        .post(format!("{}v3/payscore/serviceorder/X/cancel", server.url()))
        .header("Authorization", auth)
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    let body: Value = serde_json::from_slice(&res.bytes().await.unwrap()).unwrap();
    assert!(body["message"].as_str().unwrap().contains("300"), "{body}");

    // Unknown endpoint.
    assert_eq!(
        api_code(client.chain("v3/no/such/thing").get(json!({})).await),
        (404, "NOT_FOUND".into())
    );
    let outcomes: Vec<String> = server.journal().into_iter().map(|r| r.outcome).collect();
    assert!(
        outcomes.iter().filter(|o| *o == "SIGN_ERROR").count() >= 7,
        "{outcomes:?}"
    );
}

#[tokio::test]
async fn the_client_refuses_every_injected_fault() {
    let (server, client) = start().await;
    server.fault(Fault::BadSignature);
    assert!(matches!(
        cancel(&client).post(cancel_args()).await,
        Err(Error::Signature(_))
    ));
    server.clear_faults();
    server.fault(Fault::WrongSerial);
    match cancel(&client).post(cancel_args()).await {
        Err(Error::Signature(m)) => assert!(m.contains("PUB_KEY_ID_0000"), "{m}"),
        other => panic!("{other:?}"),
    }
    server.clear_faults();
    server.fault(Fault::SkewedClock);
    assert!(matches!(
        cancel(&client).post(cancel_args()).await,
        Err(Error::ClockSkew { .. })
    ));
    server.clear_faults();
    server.fault(Fault::ServerError);
    let e = cancel(&client).post(cancel_args()).await.unwrap_err();
    assert!(e.is_retryable());
    assert_eq!(api_code(Err(e)), (500, "SYSTEM_ERROR".into()));
    server.clear_faults();
    server.fault(Fault::DropConnection);
    assert!(matches!(
        cancel(&client).post(cancel_args()).await,
        Err(Error::Transport(_))
    ));
    server.clear_faults();
    server.fault(Fault::Slow(3_000));
    let mut args = cancel_args();
    args["timeout"] = json!(0.5);
    assert!(matches!(cancel(&client).post(args).await, Err(Error::Transport(e)) if e.is_timeout()));
    server.clear_faults();
    cancel(&client).post(cancel_args()).await.unwrap();
}

#[tokio::test]
async fn scripted_answers_and_downloads() {
    let (server, client) = start().await;
    server.on(
        "GET",
        "v3/pay/transactions/id/{transaction_id}",
        Answer::json(200, json!({"trade_state": "SUCCESS"})).with_header("X-Emulated", "1"),
    );
    let res = client
        .chain("v3/pay/transactions/id/{transaction_id}")
        .get(json!({"transaction_id": "4200000000", "query": {"mchid": "1900000001"}}))
        .await
        .unwrap();
    assert_eq!(res.json().unwrap()["trade_state"], "SUCCESS");
    assert_eq!(res.headers()["x-emulated"], "1");
    server.on(
        "GET",
        "v3/pay/transactions/id/{transaction_id}",
        Answer::json(
            404,
            json!({"code": "ORDER_NOT_EXIST", "message": "订单不存在"}),
        ),
    );
    let e = client
        .chain("v3/pay/transactions/id/{transaction_id}")
        .get(json!({"transaction_id": "1", "query": {"mchid": "1900000001"}}))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("ORDER_NOT_EXIST"));

    // An unsigned bill download streamed to a file.
    let csv = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/bill.ALL.csv"
    ))
    .unwrap();
    server.on("GET", "v3/billdownload/file", Answer::raw(200, csv.clone()));
    let path = std::env::temp_dir().join(format!("wechatpay-bill-{}.csv", std::process::id()));
    let res = client
        .chain("v3/billdownload/file")
        .get(json!({"query": {"token": "dN7J6yDgUzbX8Uk3sD4a4e"}, "sink": path.to_str().unwrap()}))
        .await
        .unwrap();
    assert!(res.body().is_empty());
    let written = std::fs::read(&path).unwrap();
    std::fs::remove_file(&path).ok();
    assert_eq!(
        wechatpay::crypto::sha1_hex(&written),
        "9bb6cd819be348f17a9cbcedddc8eb62fefbd790"
    );
}

#[tokio::test]
async fn apiv2_sign_mtls_and_business_failures() {
    let (server, client) = start().await;
    let args = json!({"security": true, "xml": {"appid": "wxd678efh567hg6787", "mch_id": "1900000001", "sign_type": "HMAC-SHA256", "out_order_no": "1"}});
    let res = client["v2/wxv/cancelbill"]
        .post(args.clone())
        .await
        .unwrap();
    assert_eq!(res.xml().unwrap()["result_code"], "SUCCESS");
    let last = server.journal().pop().unwrap();
    assert!(last.client_cert, "the call went over mutual TLS");

    // Without the merchant certificate: refused, and the error says why.
    let m = server.merchant();
    let no_cert = Client::builder()
        .mchid(&m.mchid)
        .apiv2_secret(m.apiv2_secret.as_str())
        .base_uri(server.url())
        .add_root_certificate(server.ca_pem())
        .build()
        .unwrap();
    assert!(matches!(
        no_cert["v2/wxv/cancelbill"].post(args.clone()).await,
        Err(Error::NotConfigured(_))
    ));
    let mut insecure = args.clone();
    insecure["security"] = json!(false);
    match no_cert["v2/wxv/cancelbill"].post(insecure).await {
        Err(Error::V2Failure { fields, .. }) => {
            assert_eq!(fields["return_code"], "FAIL");
            assert!(
                fields["return_msg"]
                    .as_str()
                    .unwrap()
                    .contains("certificate"),
                "{fields:?}"
            );
        }
        other => panic!("{other:?}"),
    }

    // A wrong secret: the emulator answers 签名错误.
    let wrong = server
        .client_builder()
        .apiv2_secret("00000000000000000000000000000000")
        .build()
        .unwrap();
    match wrong["v2/wxv/cancelbill"].post(args.clone()).await {
        Err(Error::V2Failure { fields, .. }) => assert_eq!(fields["return_msg"], "签名错误"),
        other => panic!("{other:?}"),
    }

    // result_code FAIL becomes an error carrying every field.
    server.on(
        "POST",
        "v2/pay/orderquery",
        Answer::xml(json!({"return_code": "SUCCESS", "result_code": "FAIL", "err_code": "ORDERNOTEXIST", "err_code_des": "此交易订单号不存在"})),
    );
    match client["v2/pay/orderquery"]
        .post(json!({"xml": {"mch_id": "1900000001", "out_trade_no": "x"}}))
        .await
    {
        Err(e @ Error::V2Failure { .. }) => {
            assert_eq!(e.code(), Some("ORDERNOTEXIST"));
            assert!(e.to_string().contains("此交易订单号不存在"), "{e}");
        }
        other => panic!("{other:?}"),
    }
    // A forged APIv2 answer (sign over other data) is refused.
    server.on("POST", "v2/pay/orderquery", Answer::xml(json!({"return_code": "SUCCESS", "result_code": "SUCCESS", "sign": "0123456789ABCDEF0123456789ABCDEF"})));
    assert!(matches!(
        client["v2/pay/orderquery"]
            .post(json!({"xml": {"mch_id": "1900000001"}}))
            .await,
        Err(Error::Signature(_))
    ));
}

#[tokio::test]
async fn public_key_mode_certificate_mode_and_both() {
    // Public-key mode only (the default).
    let (_server, client) = start().await;
    cancel(&client).post(cancel_args()).await.unwrap();

    // Certificate mode only: nothing to verify with until the certificates are downloaded.
    let server = Server::builder()
        .mode(Mode::Certificate)
        .start()
        .await
        .unwrap();
    let client = server.client_builder().build().unwrap();
    assert!(client.keyring().is_empty());
    let certs = client.download_certificates().await.unwrap();
    assert_eq!(certs.len(), 1);
    assert_eq!(certs[0].serial_no(), server.platform_serial());
    assert_eq!(
        client.keyring().ids(),
        vec![server.platform_serial().to_string()]
    );
    cancel(&client).post(cancel_args()).await.unwrap();

    // A wrong APIv3 key cannot decrypt them: a clear error, nothing added.
    let wrong = server
        .client_builder()
        .apiv3_key("0123456789abcdef0123456789abcdef")
        .build()
        .unwrap();
    match wrong.download_certificates().await {
        Err(Error::Crypto(m)) => assert!(m.contains("APIv3 key"), "{m}"),
        other => panic!("{other:?}"),
    }
    assert!(wrong.keyring().is_empty());

    // Both at once: the public key and the platform certificate side by side.
    let both = server
        .client_builder()
        .public_key(server.public_key_id(), server.public_key_pem())
        .platform_certificate(server.platform_certificate_pem())
        .build()
        .unwrap();
    assert_eq!(both.keyring().len(), 2);
    cancel(&both).post(cancel_args()).await.unwrap();
}

#[tokio::test]
async fn sensitive_fields_reach_the_emulator_decryptable() {
    let (server, client) = start().await;
    let name = client.encrypt("张三").unwrap();
    assert_eq!(name.serial, server.public_key_id());
    server.on(
        "POST",
        "v3/profitsharing/receivers/add",
        Answer::json(200, json!({"type": "PERSONAL_OPENID"})),
    );
    client
        .chain("v3/profitsharing/receivers/add")
        .post(json!({"headers": {"Wechatpay-Serial": name.serial}, "json": {"type": "PERSONAL_OPENID", "name": name.ciphertext}}))
        .await
        .unwrap();
    let last = server.journal().pop().unwrap();
    let sent: Value = serde_json::from_slice(&last.body).unwrap();
    assert_eq!(
        server.decrypt(sent["name"].as_str().unwrap()).unwrap(),
        "张三"
    );
    // A Wechatpay-Serial naming no WeChat Pay key is refused.
    let e = client
        .chain("v3/profitsharing/receivers/add")
        .post(json!({"headers": {"Wechatpay-Serial": "PUB_KEY_ID_WRONG"}, "json": {}}))
        .await;
    assert_eq!(api_code(e), (400, "PARAM_ERROR".into()));
}

#[tokio::test]
async fn notifications_from_the_emulator_verify() {
    let (server, client) = start().await;
    let resource =
        json!({"out_trade_no": "1217752501201407033233368018", "trade_state": "SUCCESS"});
    let (headers, body) = server
        .notification("TRANSACTION.SUCCESS", &resource)
        .unwrap();
    let n = client.parse_notification(&headers, &body).unwrap();
    assert_eq!(n.event_type, "TRANSACTION.SUCCESS");
    assert_eq!(n.resource, resource);
    let mut tampered = body.clone();
    let i = tampered.len() / 2;
    tampered[i] ^= 1;
    assert!(client.parse_notification(&headers, &tampered).is_err());
    assert!(
        server
            .notify("http://192.0.2.1/notify", "X", &resource)
            .await
            .is_err(),
        "only loopback"
    );
}

#[test]
fn the_blocking_twin_against_the_emulator() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = rt.block_on(Server::start()).unwrap();
    let client = wechatpay::blocking::Client::from(server.client_builder().build().unwrap());
    let res = client
        .chain("v3/payscore/serviceorder/{out_order_no}/cancel")
        .post(cancel_args())
        .unwrap();
    assert_eq!(res.status(), 200);
    let res = wechatpay::chain!(
        client
            .v3
            .payscore
            .partner
            .serviceorder
            ._out_order_no_
            .cancel
    )
    .post(json!({"out_order_no": "1", "json": {}}))
    .unwrap();
    assert_eq!(res.status(), 204);
    server.fault(Fault::BadSignature);
    assert!(matches!(
        client["v3/payscore/serviceorder/{out_order_no}/cancel"].post(cancel_args()),
        Err(Error::Signature(_))
    ));
    assert!(client
        .download_certificates()
        .unwrap_err()
        .to_string()
        .contains("signature"));
}
