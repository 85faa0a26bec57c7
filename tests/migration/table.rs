//! One check per row of the migration table: the Rust side, run against the emulator.

use super::table_answers as answers;
use super::{Check, Env};
use serde_json::{json, Value};
use wechatpay::mock::{Answer, Mode, Server};
use wechatpay::{chain, Client, Error, Outcome};

#[rustfmt::skip]
pub const CHECKS: &[Check] = &[
    Check { php: "Builder::factory", rust: ".public_key(id, pub_key).build()", run: factory },
    Check { php: "'certs' => ['PUB_KEY_ID_…'", rust: ".platform_certificate(cert)", run: both_keys },
    Check { php: "'secret' =>", rust: ".apiv2_secret(", run: apiv2_secret },
    Check { php: "'merchant' =>", rust: ".merchant_identity(", run: merchant_identity },
    Check { php: "APIv2-only", rust: "leave them out", run: apiv2_only },
    Check { php: "->native->post(", rust: "chain!(client.v3.pay.transactions.native)", run: native_chain },
    Check { php: "->_transaction_id_->get(", rust: "._transaction_id_).get(", run: transaction_by_id },
    Check { php: "->chain('v3/pay/transactions/native')", rust: "client.chain(", run: native_template },
    Check { php: "$instance['v2/pay/micropay']", rust: "client[\"v2/pay/micropay\"]", run: micropay_indexed },
    Check { php: "->postAsync(", rust: "blocking::Client", run: async_and_blocking },
    Check { php: "{'{return}'}", rust: "._refund_id_.return)", run: keyword_segment },
    Check { php: "need_query_detail", rust: "sends `true`", run: query_booleans },
    Check { php: "json_decode(", rust: "res.json()?", run: answers::json_answer },
    Check { php: "Transformer::toArray(", rust: "res.xml()?", run: answers::xml_answer },
    Check { php: "Rsa::encrypt(", rust: "client.encrypt(name)?", run: answers::sensitive_field },
    Check { php: "AesGcm::decrypt", rust: "client.parse_notification(", run: answers::notification },
    Check { php: "AesEcb::decrypt(", rust: "client.decrypt_v2_refund(", run: answers::v2_refund_info },
    Check { php: "CertificateDownloader.php", rust: "client.download_certificates()", run: answers::certificates },
    Check { php: "new MediaUtil(", rust: ".upload(&Media::from_file(", run: answers::media },
    Check { php: "'sink' =>", rust: "\"digest\"", run: answers::sink_and_digest },
    Check { php: "'base_uri' =>", rust: ".failover_base_uri(", run: answers::failover_and_retry },
    Check { php: "ClientException", rust: "Error::Api {", run: answers::api_error },
    Check { php: "RejectionException", rust: "Error::V2Failure {", run: answers::v2_failure },
];

pub fn native_order(mchid: &str, out_trade_no: &str) -> Value {
    json!({ "json": {
        "appid": "wxd678efh567hg6787", "mchid": mchid, "description": "migration",
        "out_trade_no": out_trade_no, "notify_url": "https://www.weixin.qq.com/wxpay/pay.php",
        "amount": { "total": 100, "currency": "CNY" },
    }})
}

pub fn orderquery(mchid: &str) -> Value {
    json!({ "xml": { "appid": "wxd678efh567hg6787", "mch_id": mchid,
        "transaction_id": "4200000000000000", "out_trade_no": "T1" } })
}

/// A builder with only what reaches the emulator (its address and CA): every credential is
/// the check's to add, as the row spells it.
fn bare(server: &Server) -> wechatpay::ClientBuilder {
    Client::builder()
        .base_uri(server.url())
        .add_root_certificate(server.ca_pem())
}

fn factory(env: &Env) {
    let m = env.server.merchant();
    let client = bare(&env.server)
        .mchid(&m.mchid)
        .serial(&m.serial)
        .private_key(m.private_key_pem.as_bytes())
        .public_key(env.server.public_key_id(), env.server.public_key_pem())
        .build()
        .unwrap();
    let res = env
        .run(
            client
                .chain("v3/pay/transactions/native")
                .post(native_order(&m.mchid, "F1")),
        )
        .unwrap();
    assert!(res.json().unwrap()["code_url"].is_string());
    assert!(env.server.journal()[0].verified);
}

fn both_keys(env: &Env) {
    // One client holding both kinds of WeChat Pay key (a merchant switching from the platform
    // certificate to the public key) verifies answers signed with either: WeChat Pay signs each
    // with the key its request names.
    let server = env.run(Server::builder().mode(Mode::Both).start()).unwrap();
    let client = server
        .client_builder()
        .public_key(server.public_key_id(), server.public_key_pem())
        .platform_certificate(server.platform_certificate_pem())
        .build()
        .unwrap();
    for (n, expected) in [server.public_key_id(), server.platform_serial()]
        .into_iter()
        .enumerate()
    {
        let mut order = native_order(client.mchid(), &format!("K{n}"));
        order["headers"] = serde_json::json!({ "Wechatpay-Serial": expected });
        let res = env
            .run(client.chain("v3/pay/transactions/native").post(order))
            .unwrap();
        assert_eq!(res.headers()["Wechatpay-Serial"], expected);
    }
}

fn v2_client(env: &Env) -> Client {
    let m = env.server.merchant();
    bare(&env.server)
        .mchid(&m.mchid)
        .apiv2_secret(m.apiv2_secret.as_str())
        .build()
        .unwrap()
}

fn apiv2_secret(env: &Env) {
    let client = v2_client(env);
    let fields = env
        .run(client["v2/pay/orderquery"].post(orderquery(client.mchid())))
        .unwrap()
        .xml()
        .unwrap();
    assert_eq!(fields["result_code"], "SUCCESS");
    assert!(env.server.journal()[0].verified, "signed with the secret");
    let without = bare(&env.server).mchid(client.mchid()).build().unwrap();
    let e = env
        .run(without["v2/pay/orderquery"].post(orderquery(client.mchid())))
        .unwrap_err();
    assert!(matches!(e, Error::NotConfigured(_)), "{e}");
    assert_eq!(env.sent(), 1);
}

fn merchant_identity(env: &Env) {
    let m = env.server.merchant();
    let client = bare(&env.server)
        .mchid(&m.mchid)
        .apiv2_secret(m.apiv2_secret.as_str())
        .merchant_identity(
            env.server.merchant_certificate_pem(),
            m.private_key_pem.as_bytes(),
        )
        .build()
        .unwrap();
    let args = json!({ "security": true, "xml": { "version": "1.0", "appid": "wxd678efh567hg6787",
        "mch_id": m.mchid, "sign_type": "HMAC-SHA256", "out_order_no": "O1", "reason": "r", "service_id": "500001" } });
    env.run(client["v2/wxv/cancelbill"].post(args)).unwrap();
    let sent = &env.server.journal()[0];
    assert!(sent.client_cert && sent.verified);
}

fn apiv2_only(env: &Env) {
    // No serial, private key or WeChat Pay key: APIv2 works, APIv3 is refused unsent.
    let client = v2_client(env);
    env.run(client["v2/pay/orderquery"].post(orderquery(client.mchid())))
        .unwrap();
    let e = env
        .run(
            client
                .chain("v3/pay/transactions/native")
                .post(native_order(client.mchid(), "A1")),
        )
        .unwrap_err();
    assert_eq!(e.outcome(), Outcome::NotSent, "{e}");
    assert_eq!(env.sent(), 1);
}

fn native_chain(env: &Env) {
    let c = &env.client;
    let res = env
        .run(chain!(c.v3.pay.transactions.native).post(native_order(c.mchid(), "N1")))
        .unwrap();
    assert!(res.json().unwrap()["code_url"].is_string());
    assert_eq!(env.server.journal()[0].path, "/v3/pay/transactions/native");
}

fn transaction_by_id(env: &Env) {
    let c = &env.client;
    let args = json!({ "transaction_id": "4200000000000000", "query": { "mchid": c.mchid() } });
    let res = env
        .run(chain!(c.v3.pay.transactions.id._transaction_id_).get(args))
        .unwrap();
    assert_eq!(res.json().unwrap()["transaction_id"], "4200000000000000");
    let sent = &env.server.journal()[0];
    assert_eq!(sent.path, "/v3/pay/transactions/id/4200000000000000");
    assert_eq!(
        sent.query.as_deref(),
        Some(format!("mchid={}", c.mchid()).as_str())
    );
}

fn native_template(env: &Env) {
    let c = &env.client;
    env.run(
        c.chain("v3/pay/transactions/native")
            .post(native_order(c.mchid(), "N2")),
    )
    .unwrap();
    assert_eq!(env.server.journal()[0].path, "/v3/pay/transactions/native");
}

fn micropay_indexed(env: &Env) {
    let c = &env.client;
    let xml = json!({ "appid": "wxd678efh567hg6787", "mch_id": c.mchid(), "body": "b", "out_trade_no": "M1",
        "total_fee": 1, "spbill_create_ip": "127.0.0.1", "auth_code": "120061098828009406" });
    let fields = env
        .run(c["v2/pay/micropay"].post(json!({ "xml": xml })))
        .unwrap()
        .xml()
        .unwrap();
    assert_eq!(fields["return_code"], "SUCCESS");
    assert_eq!(env.server.journal()[0].path, "/pay/micropay");
}

fn async_and_blocking(env: &Env) {
    let c = &env.client;
    env.run(
        c.chain("v3/pay/transactions/native")
            .post(native_order(c.mchid(), "B1")),
    )
    .unwrap();
    // The blocking twin, called from this (non-async) thread while the emulator runs on `rt`.
    let blocking = wechatpay::blocking::Client::from(c.clone());
    blocking
        .chain("v3/pay/transactions/native")
        .post(native_order(c.mchid(), "B2"))
        .unwrap();
    assert!(env.server.journal().iter().all(|r| r.verified));
    assert_eq!(env.sent(), 2);
}

fn keyword_segment(env: &Env) {
    env.server.on(
        "POST",
        "v3/ecommerce/refunds/{refund_id}/return",
        Answer::json(200, json!({ "refund_id": "R1" })),
    );
    let c = &env.client;
    env.run(
        chain!(c.v3.ecommerce.refunds._refund_id_.return)
            .post(json!({ "refund_id": "R1", "json": {} })),
    )
    .unwrap();
    assert_eq!(
        env.server.journal()[0].path,
        "/v3/ecommerce/refunds/R1/return"
    );
}

fn query_booleans(env: &Env) {
    let args = json!({ "batch_id": "1030000071100999991182020050700019480001",
        "query": { "need_query_detail": true, "offset": 0 } });
    env.run(
        env.client
            .chain("v3/bank-transfer/batches/batch-id/{batch_id}")
            .get(args),
    )
    .unwrap();
    assert_eq!(
        env.server.journal()[0].query.as_deref(),
        Some("need_query_detail=true&offset=0")
    );
}
