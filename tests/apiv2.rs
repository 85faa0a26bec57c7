//! APIv2 through the client: the request bodies and GET query of php-sdk-behaviour.md §5.2
//! byte-exact, the mchid and sign_type rules, notifications. The pure vectors (§6.3–§6.7) are in
//! tests/v2.rs.

use serde_json::{json, Map, Value};
use wechatpay::http::Method;
use wechatpay::v2::sign::{sign, verify};
use wechatpay::v2::xml::{from_xml, to_xml};
use wechatpay::v2::{ecb, notify, SignType};
use wechatpay::{Client, Error};

const SECRET: &str = "192006250b4c09247ec02edce69f6a2d";

fn obj(v: Value) -> Map<String, Value> {
    v.as_object().cloned().unwrap()
}

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn v2_client(mchid: &str) -> Client {
    Client::builder()
        .mchid(mchid)
        .apiv2_secret(SECRET)
        .build()
        .unwrap()
}

#[test]
fn request_bodies_of_section_5_2() {
    let client = v2_client("10000100");
    let req = client["v2/pay/orderquery"]
        .prepare(
            Method::POST,
            json!({"xml": {"appid": "wxd930ea5d5a258f4f", "mch_id": "10000100", "device_info": "1000", "body": "test", "nonce_str": "ibuaiVcKdpRxkhJA"}}),
        )
        .unwrap();
    assert_eq!(
        std::str::from_utf8(req.body()).unwrap(),
        "<xml><appid>wxd930ea5d5a258f4f</appid><mch_id>10000100</mch_id><device_info>1000</device_info><body>test</body><nonce_str>ibuaiVcKdpRxkhJA</nonce_str><sign>9A0A8659F005D6984697E2CA0A9CF3B7</sign></xml>"
    );
    assert_eq!(
        req.url().as_str(),
        "https://api.mch.weixin.qq.com/pay/orderquery"
    );
    assert_eq!(req.headers()["content-type"], "text/xml; charset=utf-8");

    let req = client["v2/pay/orderquery"]
        .prepare(
            Method::POST,
            json!({"xml": {"appid": "wxd930ea5d5a258f4f", "mch_id": "10000100", "device_info": "1000", "body": "test", "nonce_str": "ibuaiVcKdpRxkhJA", "sign_type": "HMAC-SHA256"}}),
        )
        .unwrap();
    assert!(std::str::from_utf8(req.body()).unwrap().ends_with(
        "<sign_type>HMAC-SHA256</sign_type><sign>2C9DF1156522C0B2B03B4DBF3BCA5CACB602CBD5CA0F9E112458CF3E9855303B</sign></xml>"
    ));

    let req = client
        .chain("v2/papay/h5entrustweb")
        .prepare(
            Method::GET,
            json!({"nonceless": true, "query": {"mch_id": "10000100", "appid": "wx1", "contract_display_account": "微信 代扣", "request_serial": 1000, "sign_type": "HMAC-SHA256"}}),
        )
        .unwrap();
    assert_eq!(
        req.url().query().unwrap(),
        "mch_id=10000100&appid=wx1&contract_display_account=%E5%BE%AE%E4%BF%A1%20%E4%BB%A3%E6%89%A3&request_serial=1000&sign_type=HMAC-SHA256&sign=99C9B5D0C7CF185B1717702B217C9F18CF1D4D3AE297BB3776F3346EB7E744EC"
    );
    assert!(req.body().is_empty());

    let data = obj(json!({"appid": "x", "nonce_str": "n"}));
    assert_eq!(
        sign(SignType::Md5, &data, SECRET).unwrap(),
        "99CE17605D6B8564B1F8252A73CA0BBB"
    );
}

#[test]
fn nonce_mchid_and_sign_type_rules() {
    let client = v2_client("10000100");
    let req = client["v2/pay/orderquery"]
        .prepare(
            Method::POST,
            json!({"xml": {"mch_id": "10000100", "appid": "wx1"}}),
        )
        .unwrap();
    let fields = from_xml(std::str::from_utf8(req.body()).unwrap()).unwrap();
    let keys: Vec<&str> = fields.keys().map(String::as_str).collect();
    assert_eq!(keys, ["mch_id", "appid", "nonce_str", "sign"]);
    assert_eq!(fields["nonce_str"].as_str().unwrap().len(), 32);
    verify(&fields, SECRET).unwrap();

    for (xml, found) in [
        (json!({"mch_id": "10000101"}), "10000101"),
        (json!({"mch_id": ""}), ""),
        (json!({"appid": "x"}), ""),
    ] {
        match client["v2/pay/orderquery"].prepare(Method::POST, json!({ "xml": xml })) {
            Err(Error::MchidMismatch {
                field: "mch_id",
                found: f,
                expected,
            }) => {
                assert_eq!(f, found);
                assert_eq!(expected, "10000100");
            }
            other => panic!("{other:?}"),
        }
    }
    // `mchid` (transfers) and `combine_mch_id` (combined orders) name the merchant too.
    for key in ["mchid", "combine_mch_id"] {
        let mut xml = Map::new();
        xml.insert(key.into(), "10000100".into());
        client["v2/pay/orderquery"]
            .prepare(Method::POST, json!({ "xml": xml }))
            .unwrap();
    }
    match client["v2/pay/orderquery"].prepare(
        Method::POST,
        json!({"xml": {"mch_id": "10000100", "sign_type": "md5"}}),
    ) {
        Err(Error::Argument { name, .. }) => assert_eq!(name, "xml.sign_type"),
        other => panic!("the PHP SDK sends an empty sign here; we refuse: {other:?}"),
    }
    match client["v2/pay/orderquery"].prepare(
        Method::POST,
        json!({"xml": {"mch_id": "10000100", "detail": {"a": 1}}}),
    ) {
        Err(Error::Argument { name, .. }) => assert_eq!(name, "xml.detail"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn refund_notifications_through_the_client() {
    // A refund notification's req_info, encrypted as WeChat Pay does (key: md5 of the secret).
    let plain = fixture("refund.notification.req_info.sample.xml");
    let req_info =
        ecb::aes_256_ecb_encrypt(b"d96eb16afdd491fa1e705096edbc2205", plain.as_bytes()).unwrap();
    let fields = v2_client("10000100").decrypt_v2_refund(&req_info).unwrap();
    assert_eq!(fields.len(), 13);
    assert_eq!(fields["refund_recv_accout"], "支付用户零钱");
    assert_eq!(fields["success_time"], "2018-11-19 16:24:13");
    let no_secret = Client::builder().mchid("10000100").build().unwrap();
    assert!(matches!(
        no_secret.decrypt_v2_refund(&req_info),
        Err(Error::NotConfigured(_))
    ));
}

#[test]
fn answers_must_succeed_and_be_signed() {
    let client = v2_client("10000100");
    // An HMAC-SHA256 notification that does not say so is read as MD5 (WeChat Pay's default)
    // and fails; one that names its `sign_type` verifies.
    let mut unnamed =
        obj(json!({"return_code": "SUCCESS", "result_code": "SUCCESS", "openid": "o1"}));
    let s = sign(SignType::HmacSha256, &unnamed, SECRET).unwrap();
    unnamed.insert("sign".into(), s.into());
    assert!(matches!(
        client.parse_v2_notification(to_xml(&unnamed).as_bytes()),
        Err(Error::Signature(_))
    ));
    let mut ok = obj(
        json!({"return_code": "SUCCESS", "result_code": "SUCCESS", "openid": "o1",
        "sign_type": "HMAC-SHA256"}),
    );
    let s = sign(SignType::HmacSha256, &ok, SECRET).unwrap();
    ok.insert("sign".into(), s.into());
    let body = to_xml(&ok);
    assert_eq!(client.parse_v2_notification(body.as_bytes()).unwrap(), ok);
    let tampered = body.replace("o1", "o2");
    assert!(matches!(
        client.parse_v2_notification(tampered.as_bytes()),
        Err(Error::Signature(_))
    ));
    let fail = "<xml><return_code>FAIL</return_code><return_msg>签名错误</return_msg></xml>";
    match client.parse_v2_notification(fail.as_bytes()) {
        Err(Error::V2Failure { fields, .. }) => assert_eq!(fields["return_msg"], "签名错误"),
        other => panic!("{other:?}"),
    }
    assert!(notify::notification_reply(false, "x]]>y").contains("x]]]]><![CDATA[>y"));
}
