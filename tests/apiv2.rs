//! APIv2 vectors of the reference (php-sdk-behaviour.md §5.2, §6.3–§6.5, §6.7), byte-exact, and
//! the committed XML fixtures, hostile ones included.

use serde_json::{json, Map, Value};
use wechatpay::http::Method;
use wechatpay::v2::sign::{canonical_string, sign, sign_str, verify};
use wechatpay::v2::xml::{from_xml, to_xml, to_xml_with, XmlOptions};
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
fn official_signature_example() {
    let data = "appid=wxd930ea5d5a258f4f&body=test&device_info=1000&mch_id=10000100&nonce_str=ibuaiVcKdpRxkhJA";
    assert_eq!(
        sign_str(SignType::Md5, data, SECRET),
        "9A0A8659F005D6984697E2CA0A9CF3B7"
    );
    assert_eq!(
        sign_str(SignType::HmacSha256, data, SECRET),
        "6A9AE1657590FD6257D693A078E1C3E4BB6BA4DC30B23E0EE2496E54170DACD6"
    );
    assert_eq!(
        sign_str(SignType::Md5, "abc", "key"),
        "0BB036EB7AE434051095681178E0F961"
    );
    assert_eq!(
        sign_str(SignType::HmacSha256, "abc", "key"),
        "3BC1540F813347B85D0F5907DBEFBDC97438A8770FD7CF4EF760939A3029EB0C"
    );
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
fn ksort_and_query_string_like() {
    let cases: [(Value, &str); 4] = [
        (json!({"a": "1", "b": "1", "aa": "1"}), "a=1&aa=1&b=1"),
        (
            json!({"rfc1": "1", "b": "1", "rfc822": "1", "rfc2086": "1"}),
            "b=1&rfc1=1&rfc2086=1&rfc822=1",
        ),
        (
            json!({"remark": "1", "RE_OPENID": "1", "re_openid": "1", "REMARK": "1"}),
            "REMARK=1&RE_OPENID=1&re_openid=1&remark=1",
        ),
        (
            json!({"remark": "1", "REMARK": "1", "10": "1", "9": "1"}),
            "10=1&9=1&REMARK=1&remark=1",
        ),
    ];
    for (data, want) in cases {
        assert_eq!(canonical_string(&obj(data)).unwrap(), want);
    }
    let data = json!({"bob": "1", "alice": null, "tom": "", "sign": "mock", "t": true, "f": false, "i": 0, "z": "0", "u": "a b&c=中"});
    assert_eq!(
        canonical_string(&obj(data)).unwrap(),
        "bob=1&f=&i=0&t=1&u=a b&c=中&z=0"
    );
}

#[test]
fn aes_ecb_and_refund_key() {
    let key = b"0123456789abcdef0123456789abcdef";
    assert_eq!(
        ecb::aes_256_ecb_encrypt(key, b"hello").unwrap(),
        "pZwJZBLuy3mDACEQT4YTBw=="
    );
    assert_eq!(
        ecb::aes_256_ecb_encrypt(key, b"").unwrap(),
        "iqNiQf3o3wVNwyXGxpW4ng=="
    );
    assert_eq!(
        ecb::aes_256_ecb_decrypt(key, "pZwJZBLuy3mDACEQT4YTBw==").unwrap(),
        b"hello"
    );
    assert!(matches!(
        ecb::aes_256_ecb_decrypt(
            b"fedcba9876543210fedcba9876543210",
            "pZwJZBLuy3mDACEQT4YTBw=="
        ),
        Err(Error::Crypto(_))
    ));
    assert!(ecb::aes_256_ecb_encrypt(b"short", b"x").is_err());

    // A refund notification's req_info, encrypted as WeChat Pay does, decrypted by the client.
    let plain = fixture("refund.notification.req_info.sample.xml");
    let req_info =
        ecb::aes_256_ecb_encrypt(b"d96eb16afdd491fa1e705096edbc2205", plain.as_bytes()).unwrap();
    let fields = v2_client("10000100").decrypt_v2_refund(&req_info).unwrap();
    assert_eq!(fields.len(), 13);
    assert_eq!(fields["refund_recv_accout"], "支付用户零钱");
    assert_eq!(fields["success_time"], "2018-11-19 16:24:13");
    assert_eq!(
        notify::decrypt_refund_req_info(&req_info, SECRET).unwrap(),
        fields
    );
}

#[test]
fn to_xml_vectors() {
    let basic = json!({"appid": "wx2421b1c4370ec43b", "body": "dummybot", "mch_id": "10000100",
                       "detail": "[{\"goods_detail\":\"华为手机\",\"url\":\"https://huawei.com\"}]"});
    assert_eq!(
        to_xml(&obj(basic)),
        "<xml><appid>wx2421b1c4370ec43b</appid><body>dummybot</body><mch_id>10000100</mch_id><detail><![CDATA[[{\"goods_detail\":\"华为手机\",\"url\":\"https://huawei.com\"}]]]></detail></xml>"
    );
    let nested = obj(
        json!({"appid": "wx2421b1c4370ec43b", "body": "dummybot", "mch_id": "10000100",
                           "detail": [{"goods_detail": "华为手机", "url": "https://huawei.com"}]}),
    );
    assert_eq!(
        to_xml(&nested),
        "<xml><appid>wx2421b1c4370ec43b</appid><body>dummybot</body><mch_id>10000100</mch_id><detail><item><goods_detail>华为手机</goods_detail><url>https://huawei.com</url></item></detail></xml>"
    );
    let opts = XmlOptions {
        headless: false,
        indent: true,
        root: "qqpay",
        item: "item",
    };
    assert_eq!(
        to_xml_with(&nested, &opts),
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<qqpay>\n <appid>wx2421b1c4370ec43b</appid>\n <body>dummybot</body>\n <mch_id>10000100</mch_id>\n <detail>\n  <item>\n   <goods_detail>华为手机</goods_detail>\n   <url>https://huawei.com</url>\n  </item>\n </detail>\n</qqpay>\n"
    );
    let scalars = json!({"finished": true, "amount": 100, "recevier": "{\"type\":\"MERCHANT_ID\",\"account\":\"190001001\"}"});
    assert_eq!(
        to_xml(&obj(scalars)),
        "<xml><finished>1</finished><amount>100</amount><recevier><![CDATA[{\"type\":\"MERCHANT_ID\",\"account\":\"190001001\"}]]></recevier></xml>"
    );
    let edge = json!({"empty": "", "null": null, "false": false, "zero": "0", "quote": "it's", "lt": "a<b", "cr": "a\rb",
                      "bad name": "v", "1abc": "n", "5": "int key", "ns:x": "colon", "中文": "unicode tag",
                      "list": ["a", "b"], "nested": {"k": {"kk": "v"}}});
    assert_eq!(
        to_xml(&obj(edge)),
        "<xml><empty></empty><null></null><false></false><zero>0</zero><quote>it's</quote><lt><![CDATA[a<b]]></lt><cr>a&#13;b</cr><item>v</item><item>n</item><item>int key</item><ns:x>colon</ns:x><中文>unicode tag</中文><list><item>a</item><item>b</item></list><nested><k><kk>v</kk></k></nested></xml>"
    );
}

#[test]
fn cdata_end_marker_is_split_safely() {
    let xml = to_xml(&obj(json!({"x": "a]]>b<c"})));
    assert_eq!(xml, "<xml><x><![CDATA[a]]]]><![CDATA[>b<c]]></x></xml>");
    assert_eq!(from_xml(&xml).unwrap()["x"], "a]]>b<c");
}

#[test]
fn fixtures_parse_as_documented() {
    let pay = from_xml(&fixture("paysuccess.notification.sample.xml")).unwrap();
    assert_eq!(
        Value::Object(pay),
        json!({"appid":"wx2421b1c4370ec43b","attach":"支付测试","bank_type":"CFT","fee_type":"CNY","is_subscribe":"Y","mch_id":"10000100","nonce_str":"5d2b6c2a8db53831f7eda20af46e531c","openid":"oUpF8uMEb4qRXf22hE3X68TekukE","out_trade_no":"1409811653","result_code":"SUCCESS","return_code":"SUCCESS","sign":"B552ED6B279343CB493C5DD0D78AB241","time_end":"20140903131540","total_fee":"1","coupon_fee":"10","coupon_count":"1","coupon_type":"CASH","coupon_id":"10000","trade_type":"JSAPI","transaction_id":"1004400740201409030005092168"})
    );
    let red = from_xml(&fixture("sendredpack.sample.xml")).unwrap();
    assert_eq!(red.len(), 15);
    assert!(red["risk_info"]
        .as_str()
        .unwrap()
        .starts_with("posttime%3d123123412%26"));
    let order = from_xml(&fixture("unifiedorder.sample.xml")).unwrap();
    assert_eq!(order.len(), 13);
    assert!(order["detail"]
        .as_str()
        .unwrap()
        .starts_with("{ \"goods_detail\":["));
    assert!(order.values().all(Value::is_string));
    let key = from_xml(&fixture("getpublickey.response.sample.xml")).unwrap();
    let pem = key["pub_key"].as_str().unwrap();
    assert!(pem.starts_with("-----BEGIN RSA PUBLIC KEY-----\nMIIBCgKCAQEArT82k67x"));
    assert!(pem.ends_with("-----END RSA PUBLIC KEY-----\n"));
    let fragment = from_xml(&fixture("fragment_injection.sample.xml")).unwrap();
    let payments = fragment["payment"].as_array().unwrap();
    assert_eq!(payments.len(), 2);
    assert_eq!(
        payments[0],
        json!({"account": "5678-attacker", "rcpt": "206-1234", "amount": "100.00", "comment": ""})
    );
    assert_eq!(payments[1]["comment"], "Hacked");
}

#[test]
fn hostile_xml_is_harmless() {
    // The external entity is never fetched nor expanded.
    let xxe = from_xml(&fixture("invalid.xxe_injection.sample.xml")).unwrap();
    assert_eq!(Value::Object(xxe), json!({"value": ""}));
    for bad in [
        "invalid.bad_entity.sample.xml",
        "invalid.normal_404.sample.html",
    ] {
        assert!(
            matches!(
                from_xml(&fixture(bad)),
                Err(Error::Decode { what: "xml", .. })
            ),
            "{bad}"
        );
    }
    // A billion-laughs DTD expands nothing either.
    let laughs = "<?xml version=\"1.0\"?><!DOCTYPE l [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;\">]><xml><v>&b;</v></xml>";
    assert_eq!(from_xml(laughs).unwrap()["v"], "");
    assert_eq!(
        from_xml("<xml><v>x\u{1}\u{8}y &amp; &#20013;</v></xml>").unwrap()["v"],
        "xy & 中"
    );
    for garbage in ["", "not xml", "<xml>", "<xml><a></b></xml>"] {
        assert!(from_xml(garbage).is_err(), "{garbage:?}");
    }
}

#[test]
fn answers_must_succeed_and_be_signed() {
    let client = v2_client("10000100");
    let mut ok = obj(json!({"return_code": "SUCCESS", "result_code": "SUCCESS", "openid": "o1"}));
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
