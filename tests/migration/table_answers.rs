//! The table's rows about answers, keys, files and failures (the configuration and call-form rows
//! are in table.rs, with the list of checks).

use super::table::{native_order, orderquery};
use super::Env;
use serde_json::{json, Value};
use sha1::Digest;
use std::time::Duration;
use wechatpay::mock::{Answer, Mode, Server};
use wechatpay::{Error, Media, Outcome, Retry};

pub fn json_answer(env: &Env) {
    let c = &env.client;
    let res = env
        .run(
            c.chain("v3/pay/transactions/native")
                .post(native_order(c.mchid(), "J1")),
        )
        .unwrap();
    let parsed: Value = serde_json::from_slice(res.body()).unwrap();
    assert_eq!(res.json().unwrap(), parsed);
    assert!(parsed["code_url"].is_string());
}

pub fn xml_answer(env: &Env) {
    let c = &env.client;
    let res = env
        .run(c["v2/pay/orderquery"].post(orderquery(c.mchid())))
        .unwrap();
    let fields = res.xml().unwrap();
    assert_eq!(fields["mch_id"], c.mchid());
    assert_eq!(
        Value::Object(fields),
        Value::Object(wechatpay::v2::xml::from_xml(res.text().unwrap()).unwrap())
    );
}

pub fn sensitive_field(env: &Env) {
    let c = &env.client;
    let e = c.encrypt("张三").unwrap();
    let args = json!({ "headers": { "Wechatpay-Serial": e.serial }, "json": { "appid": "wxd678efh567hg6787",
        "type": "MERCHANT_ID", "account": "86693852", "name": e.ciphertext, "relation_type": "STORE" } });
    env.run(c.chain("v3/profitsharing/receivers/add").post(args))
        .unwrap();
    let sent = &env.server.journal()[0];
    assert_eq!(sent.headers["Wechatpay-Serial"], env.server.public_key_id());
    let body: Value = serde_json::from_slice(&sent.body).unwrap();
    assert_eq!(
        env.server.decrypt(body["name"].as_str().unwrap()).unwrap(),
        "张三"
    );
}

pub fn notification(env: &Env) {
    let resource = json!({ "out_trade_no": "T1", "trade_state": "SUCCESS" });
    let (headers, body) = env
        .server
        .notification("TRANSACTION.SUCCESS", &resource)
        .unwrap();
    let n = env.client.parse_notification(&headers, &body).unwrap();
    assert_eq!(
        (n.event_type.as_str(), &n.resource),
        ("TRANSACTION.SUCCESS", &resource)
    );
    let mut forged = body.clone();
    forged[10] ^= 1;
    assert!(env.client.parse_notification(&headers, &forged).is_err());
}

pub fn v2_refund_info(env: &Env) {
    // req_info as WeChat Pay seals it: AES-256-ECB under the lowercase hex MD5 of the secret.
    let key = format!(
        "{:x}",
        md5::Md5::digest(env.server.merchant().apiv2_secret.as_bytes())
    );
    let plain =
        "<root><out_refund_no>R1</out_refund_no><refund_status>SUCCESS</refund_status></root>";
    let req_info =
        wechatpay::v2::ecb::aes_256_ecb_encrypt(key.as_bytes(), plain.as_bytes()).unwrap();
    let fields = env.client.decrypt_v2_refund(&req_info).unwrap();
    assert_eq!(
        (&fields["out_refund_no"], &fields["refund_status"]),
        (&json!("R1"), &json!("SUCCESS"))
    );
}

pub fn certificates(env: &Env) {
    let server = env
        .run(Server::builder().mode(Mode::Certificate).start())
        .unwrap();
    let client = server.client_builder().build().unwrap();
    let certs = env.run(client.download_certificates()).unwrap();
    assert!(certs
        .iter()
        .any(|c| c.serial_no() == server.platform_serial()));
    let refresher = env
        .run(async { client.spawn_certificate_refresh(Duration::from_secs(3600)) })
        .unwrap();
    let mut updates = refresher.subscribe();
    env.run(async { tokio::time::timeout(Duration::from_secs(10), updates.changed()).await })
        .unwrap()
        .unwrap();
    assert_eq!(
        (refresher.status().rounds, refresher.status().failures),
        (1, 0)
    );
}

pub fn media(env: &Env) {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/logo.png");
    let logo = Media::from_file(path).unwrap();
    let res = env
        .run(
            env.client
                .chain("v3/merchant/media/upload")
                .upload(&logo, json!({})),
        )
        .unwrap();
    assert!(res.json().unwrap()["media_id"].is_string());
    let sent = &env.server.journal()[0];
    assert!(
        sent.verified
            && sent
                .body
                .windows(logo.meta().len())
                .any(|w| w == logo.meta().as_bytes())
    );
}

pub fn sink_and_digest(env: &Env) {
    let c = &env.client;
    // A paid order, and its bill handed out the same day (WeChat Pay: the next morning).
    env.server.set_same_day_bills(true);
    env.run(c.chain("v3/pay/transactions/native").post(json!({ "json": {
        "appid": "wxd678efh567hg6787", "mchid": "1900000001", "description": "bill",
        "out_trade_no": "MIGRATION-BILL", "notify_url": "http://127.0.0.1:9/",
        "amount": { "total": 100, "currency": "CNY" } } })))
        .unwrap();
    let paid = env.server.pay("MIGRATION-BILL").unwrap();
    let today = paid["success_time"].as_str().unwrap()[..10].to_string();
    let bill = env
        .run(
            c.chain("v3/bill/tradebill")
                .get(json!({ "query": { "bill_date": today } })),
        )
        .unwrap()
        .json()
        .unwrap();
    let digest = json!({ "hash_type": bill["hash_type"], "hash_value": bill["hash_value"] });
    let file = std::env::temp_dir().join(format!("wechatpay-migration-{}.csv", std::process::id()));
    let args = json!({ "download_url": bill["download_url"], "sink": file.to_str().unwrap(), "digest": digest });
    env.run(c.chain("{+download_url}").get(args.clone()))
        .unwrap();
    let sha1 = format!("{:x}", sha1::Sha1::digest(std::fs::read(&file).unwrap()));
    assert_eq!(json!(sha1), bill["hash_value"]);
    env.server.on(
        "GET",
        "v3/billdownload/file",
        Answer::raw(200, b"tampered".to_vec()),
    );
    assert!(matches!(
        env.run(c.chain("{+download_url}").get(args)),
        Err(Error::Signature(_))
    ));
    assert_eq!(
        format!("{:x}", sha1::Sha1::digest(std::fs::read(&file).unwrap())),
        sha1,
        "kept"
    );
    std::fs::remove_file(file).unwrap();
}

pub fn failover_and_retry(env: &Env) {
    // Nothing listens on the primary: the call is resent to the failover, which answers.
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let client = env
        .server
        .client_builder()
        .base_uri(format!("https://{dead}/"))
        .failover_base_uri(env.server.url())
        .retry(Retry::default().backoff(Duration::from_millis(10), Duration::from_millis(10)))
        .build()
        .unwrap();
    let q = json!({ "transaction_id": "4200000000000000", "query": { "mchid": client.mchid() } });
    env.run(
        client
            .chain("v3/pay/transactions/id/{transaction_id}")
            .get(q.clone()),
    )
    .unwrap();
    assert_eq!(env.sent(), 1);
    // A read answered 500 is retried by outcome, signed afresh.
    let answers = vec![
        Answer::json(500, json!({ "code": "SYSTEM_ERROR", "message": "busy" })),
        Answer::json(200, json!({})),
    ];
    env.server
        .on_sequence("GET", "v3/pay/transactions/id/{transaction_id}", answers);
    let res = env
        .run(
            client
                .chain("v3/pay/transactions/id/{transaction_id}")
                .get(q),
        )
        .unwrap();
    assert_eq!(res.attempts(), 2);
}

pub fn api_error(env: &Env) {
    let c = &env.client;
    let mut args = native_order(c.mchid(), "E1");
    args["json"].as_object_mut().unwrap().remove("description");
    match env.run(c.chain("v3/pay/transactions/native").post(args)) {
        Err(e @ Error::Api { .. }) => {
            let Error::Api {
                status,
                code,
                request_id,
                verified,
                ..
            } = &e
            else {
                unreachable!()
            };
            assert_eq!(
                (status.as_u16(), code.as_deref(), *verified),
                (400, Some("PARAM_ERROR"), true)
            );
            assert!(request_id.is_some());
            assert_eq!(e.outcome(), Outcome::Rejected);
            assert!(!e.may_have_taken_effect());
        }
        other => panic!("{other:?}"),
    }
}

pub fn v2_failure(env: &Env) {
    let fail = json!({ "return_code": "SUCCESS", "result_code": "FAIL", "err_code": "ORDERNOTEXIST", "err_code_des": "此交易订单号不存在" });
    env.server
        .on("POST", "v2/pay/orderquery", Answer::xml(fail));
    let c = &env.client;
    match env.run(c["v2/pay/orderquery"].post(orderquery(c.mchid()))) {
        Err(Error::V2Failure {
            fields, verified, ..
        }) => {
            assert_eq!(fields["err_code"], "ORDERNOTEXIST");
            assert!(verified);
        }
        other => panic!("{other:?}"),
    }
}
