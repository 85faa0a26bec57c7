//! The APIv2 layer through its public API (`wechatpay::v2`), against the byte-exact vectors of
//! the reference (php-sdk-behaviour.md §6.3, §6.4, §6.5, §6.7) and the committed XML fixtures.
//! The request side (§5.2) is tested inside `src/protocol/v2/mod.rs`, where `prepare` is visible.

use serde_json::{json, Map, Value};
use wechatpay::v2::sign::{canonical_string, jsapi_pay_params, sign, sign_str, verify};
use wechatpay::v2::xml::{from_xml, to_xml, to_xml_with, XmlOptions};
use wechatpay::v2::{ecb, notify, SignType};
use wechatpay::Error;

const SECRET: &str = "192006250b4c09247ec02edce69f6a2d";
const ECB_KEY: &[u8; 32] = b"0123456789abcdef0123456789abcdef";

fn obj(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        other => panic!("not an object: {other}"),
    }
}

fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn keys(m: &Map<String, Value>) -> Vec<&str> {
    m.keys().map(String::as_str).collect()
}

fn assert_xml_error(input: &str) {
    match from_xml(input) {
        Err(Error::Decode { what: "xml", .. }) => {}
        other => panic!("{input:?} should be refused, got {other:?}"),
    }
}

// §6.4 -----------------------------------------------------------------------------------------

#[test]
fn sign_str_vectors() {
    assert_eq!(
        sign_str(SignType::Md5, "abc", "key"),
        "0BB036EB7AE434051095681178E0F961"
    );
    assert_eq!(
        sign_str(SignType::HmacSha256, "abc", "key"),
        "3BC1540F813347B85D0F5907DBEFBDC97438A8770FD7CF4EF760939A3029EB0C"
    );
    let official = "appid=wxd930ea5d5a258f4f&body=test&device_info=1000&mch_id=10000100&nonce_str=ibuaiVcKdpRxkhJA";
    assert_eq!(
        sign_str(SignType::Md5, official, SECRET),
        "9A0A8659F005D6984697E2CA0A9CF3B7"
    );
    assert_eq!(
        sign_str(SignType::HmacSha256, official, SECRET),
        "6A9AE1657590FD6257D693A078E1C3E4BB6BA4DC30B23E0EE2496E54170DACD6"
    );
}

#[test]
fn sign_over_a_payload() {
    let data = obj(
        json!({"appid": "wxd930ea5d5a258f4f", "mch_id": "10000100", "device_info": "1000",
                          "body": "test", "nonce_str": "ibuaiVcKdpRxkhJA", "sign": "ignored", "empty": ""}),
    );
    assert_eq!(
        sign(SignType::Md5, &data, SECRET).unwrap(),
        "9A0A8659F005D6984697E2CA0A9CF3B7"
    );
    assert_eq!(
        sign(SignType::HmacSha256, &data, SECRET).unwrap(),
        "6A9AE1657590FD6257D693A078E1C3E4BB6BA4DC30B23E0EE2496E54170DACD6"
    );
}

#[test]
fn sign_types() {
    assert_eq!(SignType::parse("MD5").unwrap(), SignType::Md5);
    assert_eq!(
        SignType::parse("HMAC-SHA256").unwrap(),
        SignType::HmacSha256
    );
    for bad in ["md5", "hmac-sha256", "HMAC-SHA512", "sha256", "", " MD5"] {
        match SignType::parse(bad) {
            Err(Error::Argument { name, .. }) => assert_eq!(name, "xml.sign_type"),
            other => panic!("{bad:?}: {other:?}"),
        }
    }
    assert_eq!(SignType::Md5.as_str(), "MD5");
    assert_eq!(SignType::HmacSha256.as_str(), "HMAC-SHA256");
    assert_eq!(
        SignType::from_sign_len("6A9AE1657590FD6257D693A078E1C3E4BB6BA4DC30B23E0EE2496E54170DACD6"),
        SignType::HmacSha256
    );
    assert_eq!(
        SignType::from_sign_len("9A0A8659F005D6984697E2CA0A9CF3B7"),
        SignType::Md5
    );
    assert_eq!(SignType::from_sign_len(""), SignType::Md5);
}

#[test]
fn verify_picks_the_type_by_length_and_refuses_the_rest() {
    for t in [SignType::Md5, SignType::HmacSha256] {
        let mut data = obj(json!({"return_code": "SUCCESS", "total_fee": "1"}));
        let s = sign(t, &data, SECRET).unwrap();
        data.insert("sign".into(), s.clone().into());
        verify(&data, SECRET).unwrap();
        assert!(matches!(verify(&data, "x"), Err(Error::Signature(_))));
        let mut tampered = data.clone();
        tampered.insert("total_fee".into(), "100".into());
        assert!(matches!(
            verify(&tampered, SECRET),
            Err(Error::Signature(_))
        ));
        let mut lower = data.clone();
        lower.insert("sign".into(), s.to_ascii_lowercase().into());
        assert!(matches!(verify(&lower, SECRET), Err(Error::Signature(_))));
    }
    for sign in [Value::Null, json!(""), json!(1), json!(["A"])] {
        let data = obj(json!({"return_code": "SUCCESS", "sign": sign}));
        assert!(matches!(verify(&data, SECRET), Err(Error::Signature(_))));
    }
    let nested = obj(json!({"a": {"b": "c"}, "sign": "9A0A8659F005D6984697E2CA0A9CF3B7"}));
    assert!(matches!(verify(&nested, SECRET), Err(Error::Signature(_))));
}

// §6.5 -----------------------------------------------------------------------------------------

#[test]
fn ksort_is_byte_wise() {
    let cases: [(Value, &str); 5] = [
        (json!({"a": "1", "b": "1", "aa": "1"}), "a=1&aa=1&b=1"),
        (
            json!({"rfc1": "1", "b": "1", "rfc822": "1", "rfc2086": "1"}),
            "b=1&rfc1=1&rfc2086=1&rfc822=1",
        ),
        (
            json!({"remark": "1", "RE_OPENID": "1", "re_openid": "1", "REMARK": "1"}),
            "REMARK=1&RE_OPENID=1&re_openid=1&remark=1",
        ),
        // PHP's int keys `10` and `9` compare as strings; JSON keys are strings anyway.
        (
            json!({"remark": "1", "RE_OPENID": "1", "re_openid": "1", "REMARK": "1", "10": "1", "9": "1"}),
            "10=1&9=1&REMARK=1&RE_OPENID=1&re_openid=1&remark=1",
        ),
        // Issue #41: re_openid before remark.
        (
            json!({"remark": "r", "re_openid": "o", "act_name": "a"}),
            "act_name=a&re_openid=o&remark=r",
        ),
    ];
    for (data, want) in cases {
        assert_eq!(canonical_string(&obj(data)).unwrap(), want);
    }
}

#[test]
fn query_string_like() {
    let data = json!({"bob": "1", "alice": null, "tom": "", "sign": "mock", "t": true, "f": false,
                      "i": 0, "z": "0", "u": "a b&c=中"});
    // Sorted: bob, i, t, u, z; nothing is URL-encoded. PHP keeps `false` as `f=` (its vector
    // is "bob=1&t=1&f=&i=0&z=0&u=a b&c=中" before sorting), but sends it empty, which WeChat Pay
    // skips when it checks: signed so, the request could never verify, so `false` is skipped
    // like every empty value (found by fuzzing the prepare path).
    assert_eq!(
        canonical_string(&obj(data)).unwrap(),
        "bob=1&i=0&t=1&u=a b&c=中&z=0"
    );
    assert_eq!(canonical_string(&Map::new()).unwrap(), "");
    assert_eq!(
        canonical_string(&obj(
            json!({"n": -5, "x": 1.5, "big": 18446744073709551615u64})
        ))
        .unwrap(),
        "big=18446744073709551615&n=-5&x=1.5"
    );
    for (data, name) in [
        (json!({"a": "1", "detail": {"k": "v"}}), "xml.detail"),
        (json!({"list": ["x"], "a": "1"}), "xml.list"),
        (json!({"empty_list": []}), "xml.empty_list"),
    ] {
        match canonical_string(&obj(data.clone())) {
            Err(Error::Argument { name: n, .. }) => assert_eq!(n, name),
            other => panic!("{data}: {other:?}"),
        }
    }
}

// §6.3 -----------------------------------------------------------------------------------------

#[test]
fn aes_ecb_vectors() {
    assert_eq!(
        ecb::aes_256_ecb_encrypt(ECB_KEY, b"hello").unwrap(),
        "pZwJZBLuy3mDACEQT4YTBw=="
    );
    assert_eq!(
        ecb::aes_256_ecb_encrypt(ECB_KEY, b"").unwrap(),
        "iqNiQf3o3wVNwyXGxpW4ng=="
    );
    assert_eq!(
        ecb::aes_256_ecb_decrypt(ECB_KEY, "pZwJZBLuy3mDACEQT4YTBw==").unwrap(),
        b"hello"
    );
    assert_eq!(
        ecb::aes_256_ecb_decrypt(ECB_KEY, "iqNiQf3o3wVNwyXGxpW4ng==").unwrap(),
        b""
    );
    // Whole blocks and beyond round-trip (PKCS#7 adds a full block to 16 bytes).
    for len in [15, 16, 17, 1000] {
        let plain: Vec<u8> = (0..len).map(|i| (i * 7) as u8).collect();
        let c = ecb::aes_256_ecb_encrypt(ECB_KEY, &plain).unwrap();
        assert_eq!(ecb::aes_256_ecb_decrypt(ECB_KEY, &c).unwrap(), plain);
    }
}

#[test]
fn aes_ecb_errors_are_clear() {
    for key in [&b""[..], b"short", &[0u8; 16], &[0u8; 33]] {
        assert!(matches!(
            ecb::aes_256_ecb_encrypt(key, b"x"),
            Err(Error::Key { .. })
        ));
        assert!(matches!(
            ecb::aes_256_ecb_decrypt(key, "pZwJZBLuy3mDACEQT4YTBw=="),
            Err(Error::Key { .. })
        ));
    }
    assert!(matches!(
        ecb::aes_256_ecb_decrypt(ECB_KEY, "not base64!"),
        Err(Error::Decode { .. })
    ));
    // 0, 5 and 17 bytes: not whole blocks.
    for c in ["", "aGVsbG8=", "AAAAAAAAAAAAAAAAAAAAAAA="] {
        assert!(
            matches!(ecb::aes_256_ecb_decrypt(ECB_KEY, c), Err(Error::Crypto(_))),
            "{c:?}"
        );
    }
    // A wrong key shows up as bad padding.
    assert!(matches!(
        ecb::aes_256_ecb_decrypt(
            b"fedcba9876543210fedcba9876543210",
            "pZwJZBLuy3mDACEQT4YTBw=="
        ),
        Err(Error::Crypto(_))
    ));
}

#[test]
fn refund_req_info_round_trip() {
    let plain = fixture("refund.notification.req_info.sample.xml");
    // WeChat Pay's side: the key is md5(secret) in lowercase hex, as 32 ASCII bytes (§6.3).
    let req_info =
        ecb::aes_256_ecb_encrypt(b"d96eb16afdd491fa1e705096edbc2205", plain.as_bytes()).unwrap();
    let fields = notify::decrypt_refund_req_info(&req_info, SECRET).unwrap();
    assert_eq!(
        Value::Object(fields),
        json!({
            "out_refund_no": "131811191610442717309",
            "out_trade_no": "71106718111915575302817",
            "refund_account": "REFUND_SOURCE_RECHARGE_FUNDS",
            "refund_fee": "3960",
            "refund_id": "50000408942018111907145868882",
            "refund_recv_accout": "支付用户零钱",
            "refund_request_source": "API",
            "refund_status": "SUCCESS",
            "settlement_refund_fee": "3960",
            "settlement_total_fee": "3960",
            "success_time": "2018-11-19 16:24:13",
            "total_fee": "3960",
            "transaction_id": "4200000215201811190261405420"
        })
    );
    // Another merchant's secret cannot read it.
    assert!(notify::decrypt_refund_req_info(&req_info, "0".repeat(32).as_str()).is_err());
    // Decrypted garbage is not XML.
    let junk = ecb::aes_256_ecb_encrypt(b"d96eb16afdd491fa1e705096edbc2205", b"junk").unwrap();
    assert!(matches!(
        notify::decrypt_refund_req_info(&junk, SECRET),
        Err(Error::Decode { what: "xml", .. })
    ));
    let latin1 =
        ecb::aes_256_ecb_encrypt(b"d96eb16afdd491fa1e705096edbc2205", b"<root>\xe9</root>")
            .unwrap();
    assert!(matches!(
        notify::decrypt_refund_req_info(&latin1, SECRET),
        Err(Error::Decode { .. })
    ));
}

/// Why a decrypted `req_info` must not be trusted on its own: AES-256-ECB encrypts each 16-byte
/// block alone, so the blocks of two genuine notifications splice into a third that decrypts,
/// unpads and parses cleanly, saying what WeChat Pay never said. (Query the refund instead.)
#[test]
fn ecb_refund_notifications_can_be_spliced() {
    use base64::Engine as _;
    let engine = base64::engine::general_purpose::STANDARD;
    let key = b"d96eb16afdd491fa1e705096edbc2205";
    let notification = |out_refund_no: &str, refund_fee: &str| {
        // The first part is padded to three whole blocks, so the fee starts a block.
        let head = format!("<root><out_refund_no>{out_refund_no}</out_refund_no><y>ab</y>");
        assert_eq!(head.len(), 48);
        let plain = format!("{head}<refund_fee>{refund_fee}</refund_fee></root>");
        engine
            .decode(ecb::aes_256_ecb_encrypt(key, plain.as_bytes()).unwrap())
            .unwrap()
    };
    let small = notification("R1", "1");
    let large = notification("R2", "999999");
    let spliced = [&small[..48], &large[48..]].concat();
    let fields = notify::decrypt_refund_req_info(&engine.encode(spliced), SECRET).unwrap();
    assert_eq!(fields["out_refund_no"], "R1");
    assert_eq!(
        fields["refund_fee"], "999999",
        "a refund of R1 WeChat Pay never announced"
    );
}

// §6.7 toXml -----------------------------------------------------------------------------------

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
    // PHP's Stringable `recevier` is a string here.
    let scalars = json!({"finished": true, "amount": 100, "recevier": "{\"type\":\"MERCHANT_ID\",\"account\":\"190001001\"}"});
    assert_eq!(
        to_xml(&obj(scalars)),
        "<xml><finished>1</finished><amount>100</amount><recevier><![CDATA[{\"type\":\"MERCHANT_ID\",\"account\":\"190001001\"}]]></recevier></xml>"
    );
    // PHP's int key `5` is the JSON key "5": not a name either, so `<item>` all the same.
    let edge = json!({"empty": "", "null": null, "false": false, "zero": "0", "quote": "it's", "lt": "a<b",
                      "cr": "a\rb", "bad name": "v", "1abc": "n", "5": "int key", "ns:x": "colon",
                      "中文": "unicode tag", "list": ["a", "b"], "nested": {"k": {"kk": "v"}}});
    assert_eq!(
        to_xml(&obj(edge)),
        "<xml><empty></empty><null></null><false></false><zero>0</zero><quote>it's</quote><lt><![CDATA[a<b]]></lt><cr>a&#13;b</cr><item>v</item><item>n</item><item>int key</item><ns:x>colon</ns:x><中文>unicode tag</中文><list><item>a</item><item>b</item></list><nested><k><kk>v</kk></k></nested></xml>"
    );
}

#[test]
fn to_xml_details() {
    // Each markup character alone triggers CDATA; tab and newline stay literal.
    for (text, want) in [
        ("a>b", "<![CDATA[a>b]]>"),
        ("a&b", "<![CDATA[a&b]]>"),
        ("a\"b", "<![CDATA[a\"b]]>"),
        ("a\tb\nc", "a\tb\nc"),
    ] {
        assert_eq!(
            to_xml(&obj(json!({ "v": text }))),
            format!("<xml><v>{want}</v></xml>")
        );
    }
    // Deliberately better than PHP, which writes the malformed `<![CDATA[x]]>y]]>`.
    let tricky = obj(json!({"x": "x]]>y", "y": "a]]>b]]><c"}));
    let xml = to_xml(&tricky);
    assert_eq!(
        xml,
        "<xml><x><![CDATA[x]]]]><![CDATA[>y]]></x><y><![CDATA[a]]]]><![CDATA[>b]]]]><![CDATA[><c]]></y></xml>"
    );
    assert_eq!(from_xml(&xml).unwrap(), tricky);
    // Empty maps and non-default names.
    assert_eq!(to_xml(&Map::new()), "<xml></xml>");
    assert_eq!(
        to_xml(&obj(json!({"o": {}, "l": []}))),
        "<xml><o></o><l></l></xml>"
    );
    let opts = XmlOptions {
        headless: false,
        indent: false,
        root: "r",
        item: "li",
    };
    assert_eq!(
        to_xml_with(&obj(json!({"l": [1, true], "9": "x"})), &opts),
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<r><l><li>1</li><li>1</li></l><li>x</li></r>\n"
    );
    // Names that would break the markup fall back to the defaults.
    let bad = XmlOptions {
        headless: true,
        indent: false,
        root: "x><evil",
        item: "",
    };
    assert_eq!(
        to_xml_with(&obj(json!({"l": ["a"]})), &bad),
        "<xml><l><item>a</item></l></xml>"
    );
    assert_eq!(
        to_xml_with(
            &obj(json!({"a": {}})),
            &XmlOptions {
                indent: true,
                ..XmlOptions::default()
            }
        ),
        "<xml>\n <a></a>\n</xml>\n"
    );
}

#[test]
fn to_xml_then_from_xml_round_trips_flat_payloads() {
    let data = obj(
        json!({"appid": "wx1", "attach": "支付 <测试> & \"引号\" it's", "cr": "a\r\nb",
                          "total_fee": "1", "empty": ""}),
    );
    assert_eq!(from_xml(&to_xml(&data)).unwrap(), data);
}

// §6.7 toArray ---------------------------------------------------------------------------------

#[test]
fn paysuccess_fixture() {
    let pay = from_xml(&fixture("paysuccess.notification.sample.xml")).unwrap();
    assert_eq!(
        serde_json::to_string(&pay).unwrap(),
        r#"{"appid":"wx2421b1c4370ec43b","attach":"支付测试","bank_type":"CFT","fee_type":"CNY","is_subscribe":"Y","mch_id":"10000100","nonce_str":"5d2b6c2a8db53831f7eda20af46e531c","openid":"oUpF8uMEb4qRXf22hE3X68TekukE","out_trade_no":"1409811653","result_code":"SUCCESS","return_code":"SUCCESS","sign":"B552ED6B279343CB493C5DD0D78AB241","time_end":"20140903131540","total_fee":"1","coupon_fee":"10","coupon_count":"1","coupon_type":"CASH","coupon_id":"10000","trade_type":"JSAPI","transaction_id":"1004400740201409030005092168"}"#
    );
}

#[test]
fn sendredpack_fixture() {
    let red = from_xml(&fixture("sendredpack.sample.xml")).unwrap();
    assert_eq!(
        keys(&red),
        [
            "sign",
            "mch_billno",
            "mch_id",
            "wxappid",
            "send_name",
            "re_openid",
            "total_amount",
            "total_num",
            "wishing",
            "client_ip",
            "act_name",
            "remark",
            "scene_id",
            "nonce_str",
            "risk_info"
        ]
    );
    assert!(red.values().all(Value::is_string));
    assert_eq!(red["wishing"], "恭喜发财");
    assert_eq!(red["act_name"], "新年红包");
    assert_eq!(
        red["risk_info"],
        "posttime%3d123123412%26clientversion%3d234134%26mobile%3d122344545%26deviceid%3dIOS"
    );
}

#[test]
fn unifiedorder_fixture() {
    let order = from_xml(&fixture("unifiedorder.sample.xml")).unwrap();
    assert_eq!(
        keys(&order),
        [
            "appid",
            "attach",
            "body",
            "mch_id",
            "detail",
            "nonce_str",
            "notify_url",
            "openid",
            "out_trade_no",
            "spbill_create_ip",
            "total_fee",
            "trade_type",
            "sign"
        ]
    );
    assert!(order.values().all(Value::is_string));
    assert_eq!(order["body"], "JSAPI支付测试");
    assert_eq!(
        order["detail"],
        r#"{ "goods_detail":[ { "goods_id":"iphone6s_16G", "wxpay_goods_id":"1001", "goods_name":"iPhone6s 16G", "quantity":1, "price":528800, "goods_category":"123456", "body":"苹果手机" }, { "goods_id":"iphone6s_32G", "wxpay_goods_id":"1002", "goods_name":"iPhone6s 32G", "quantity":1, "price":608800, "goods_category":"123789", "body":"苹果手机" } ] }"#
    );
    assert_eq!(
        order["notify_url"],
        "https://wxpay.wxutil.com/pub_v2/pay/notify.v2.php"
    );
}

#[test]
fn getpublickey_fixture() {
    let key = from_xml(&fixture("getpublickey.response.sample.xml")).unwrap();
    assert_eq!(
        keys(&key),
        [
            "return_code",
            "return_msg",
            "result_code",
            "mch_id",
            "pub_key"
        ]
    );
    assert_eq!(
        key["pub_key"],
        "-----BEGIN RSA PUBLIC KEY-----\n\
MIIBCgKCAQEArT82k67xybiJS9AD8nNAeuDYdrtCRaxkS6cgs8L9h83eqlDTlrdw\n\
zBVSv5V4imTq/URbXn4K0V/KJ1TwDrqOI8hamGB0fvU13WW1NcJuv41RnJVua0QA\n\
lS3tS1JzOZpMS9BEGeFvyFF/epbi/m9+2kUWG94FccArNnBtBqqvFncXgQsm98JB\n\
3a62NbS1ePP/hMI7Kkz+JNMyYsWkrOUFDCXAbSZkWBJekY4nGZtK1erqGRve8Jbx\n\
TWirAm/s08rUrjOuZFA21/EI2nea3DidJMTVnXVPY2qcAjF+595shwUKyTjKB8v1\n\
REPB3hPF1Z75O6LwuLfyPiCrCTmVoyfqjwIDAQAB\n\
-----END RSA PUBLIC KEY-----\n"
    );
}

#[test]
fn fragment_injection_fixture() {
    // Two <payment> siblings: a list, so the attacker's record cannot hide the victim's.
    let fragment = from_xml(&fixture("fragment_injection.sample.xml")).unwrap();
    assert_eq!(
        Value::Object(fragment),
        json!({"payment": [
            {"account": "5678-attacker", "rcpt": "206-1234", "amount": "100.00", "comment": ""},
            {"account": "1234-victim", "rcpt": "206-1234", "amount": "100.00", "comment": "Hacked"}
        ]})
    );
}

#[test]
fn attributes_lists_and_empties() {
    let v =
        from_xml(r#"<xml a="1"><x b="2">v</x><l>1</l><l>2</l><e/><n><m>q</m></n></xml>"#).unwrap();
    assert_eq!(
        serde_json::to_string(&v).unwrap(),
        r#"{"@attributes":{"a":"1"},"x":"v","l":["1","2"],"e":"","n":{"m":"q"}}"#
    );
    // A single <item> stays a map: the round trip of a list of one is asymmetric, as in PHP.
    let one = from_xml("<xml><detail><item><k>v</k></item></detail></xml>").unwrap();
    assert_eq!(Value::Object(one), json!({"detail": {"item": {"k": "v"}}}));
    let three = from_xml("<xml><l>1</l><l>2</l><l><m>3</m></l></xml>").unwrap();
    assert_eq!(Value::Object(three), json!({"l": ["1", "2", {"m": "3"}]}));
    // Root name and root-level leaf text do not matter.
    assert_eq!(from_xml("<anything/>").unwrap(), Map::new());
    assert_eq!(from_xml("<xml>text</xml>").unwrap(), Map::new());
    assert_eq!(
        from_xml("<xml><e></e><s> </s></xml>").unwrap(),
        obj(json!({"e": "", "s": " "}))
    );
}

#[test]
fn text_is_unescaped_and_merged() {
    let v = from_xml(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- c --><xml>\n\
         <a>x &amp; &lt;y&gt; &quot;&apos; &#20013;&#x6587;</a>\n\
         <b>1<![CDATA[<2>]]>3</b>\n<c a=\"&lt;&#65;\"><d/></c></xml>\n",
    )
    .unwrap();
    assert_eq!(
        Value::Object(v),
        json!({"a": "x & <y> \"' 中文", "b": "1<2>3", "c": {"@attributes": {"a": "<A"}, "d": ""}})
    );
}

#[test]
fn illegal_characters_are_removed_first() {
    assert_eq!(
        from_xml("<xml><v>x\u{1}\u{8}y</v>\u{b}<w>\u{fffe}z</w></xml>").unwrap(),
        obj(json!({"v": "xy", "w": "z"}))
    );
    // A byte-order mark is not content.
    assert_eq!(
        from_xml("\u{feff}<xml><v>1</v></xml>").unwrap(),
        obj(json!({"v": "1"}))
    );
    // A reference to a forbidden character is malformed, as in libxml.
    assert_xml_error("<xml><v>&#1;</v></xml>");
    assert_xml_error("<xml><v>&#0;</v></xml>");
}

#[test]
fn entities_are_never_expanded() {
    // XXE and billion laughs need a DTD; no WeChat message has one, so a DOCTYPE is refused
    // wherever it stands, before any declaration in it could matter.
    let xxe = fixture("invalid.xxe_injection.sample.xml");
    let file = "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY f SYSTEM \"file:///etc/passwd\">]><xml><v>a&f;b</v><w k=\"&f;\">c</w></xml>";
    let laughs = "<?xml version=\"1.0\"?><!DOCTYPE l [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\"><!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">]><xml><v>&c;</v></xml>";
    for input in [
        xxe.as_str(),
        file,
        laughs,
        "<!DOCTYPE xml><xml><v>1</v></xml>",
        "<xml><v>1</v><!DOCTYPE a></xml>",
        "<xml><v>1</v></xml><!DOCTYPE a>",
    ] {
        match from_xml(input) {
            Err(Error::Decode { what: "xml", reason }) => assert_eq!(
                reason,
                "a DOCTYPE: no WeChat Pay message has one (DTDs carry XXE and entity-expansion attacks)",
                "{input}"
            ),
            other => panic!("{input}: {other:?}"),
        }
    }
    // A DOCTYPE inside CDATA is text, not markup.
    assert_eq!(
        from_xml("<xml><v><![CDATA[<!DOCTYPE x>]]></v></xml>").unwrap(),
        obj(json!({"v": "<!DOCTYPE x>"}))
    );
    // Case variants are not DOCTYPEs to XML, but are refused all the same.
    assert_xml_error("<!doctype xml><xml><v>1</v></xml>");
    assert_xml_error("<xml><v>1</v><!DocType a></xml>");
    // Any entity but the five predefined ones is malformed.
    assert_xml_error("<xml><v>&nbsp;</v></xml>");
    assert_xml_error("<xml><v a=\"&xxe;\">1</v></xml>");
}

#[test]
fn malformed_xml_is_an_error() {
    // PHP returns [] with a notice; here the cause is reported.
    assert_xml_error(&fixture("invalid.bad_entity.sample.xml"));
    assert_xml_error(&fixture("invalid.normal_404.sample.html"));
    for garbage in [
        "",
        "   ",
        "not xml at all",
        "<xml>",
        "<xml><a></b></xml>",
        "<xml></xml><xml></xml>",
        "<xml/>trailing",
        "text<xml/>",
        "<xml><a x=1/></xml>",
        "<!DOCTYPE a><!DOCTYPE b><xml/>",
        "<xml><!DOCTYPE a></xml>",
    ] {
        assert_xml_error(garbage);
    }
    let err = from_xml(&fixture("invalid.normal_404.sample.html")).unwrap_err();
    assert!(err.to_string().starts_with("cannot decode xml: "), "{err}");
}

#[test]
fn deep_nesting_is_bounded() {
    let ok = format!("{}x{}", "<a>".repeat(64), "</a>".repeat(64));
    assert!(from_xml(&ok).is_ok());
    let deep = format!("{}x{}", "<a>".repeat(65), "</a>".repeat(65));
    assert_xml_error(&deep);
    let hostile = "<a>".repeat(1_000_000);
    assert_xml_error(&hostile);
}

// Notifications --------------------------------------------------------------------------------

fn signed(fields: Value, t: SignType) -> (Map<String, Value>, String) {
    let mut fields = obj(fields);
    let s = sign(t, &fields, SECRET).unwrap();
    fields.insert("sign".into(), s.into());
    let body = to_xml(&fields);
    (fields, body)
}

#[test]
fn payment_notifications() {
    for t in [SignType::Md5, SignType::HmacSha256] {
        let mut v = json!({"return_code": "SUCCESS", "result_code": "SUCCESS", "attach": "支付测试",
                   "out_trade_no": "1409811653", "total_fee": "1"});
        // WeChat Pay names the type of an HMAC-SHA256 notification; none means MD5.
        if t == SignType::HmacSha256 {
            v["sign_type"] = json!("HMAC-SHA256");
        }
        let (fields, body) = signed(v, t);
        assert_eq!(
            notify::parse_notification(body.as_bytes(), SECRET).unwrap(),
            fields
        );
        let tampered = body.replace("<total_fee>1<", "<total_fee>100<");
        assert_ne!(tampered, body);
        assert!(matches!(
            notify::parse_notification(tampered.as_bytes(), SECRET),
            Err(Error::Signature(_))
        ));
        assert!(matches!(
            notify::parse_notification(body.as_bytes(), "another"),
            Err(Error::Signature(_))
        ));
    }
    // A failed payment is still a genuine, signed notification: the caller reads result_code.
    let (_, body) = signed(
        json!({"return_code": "SUCCESS", "result_code": "FAIL", "err_code": "x"}),
        SignType::Md5,
    );
    let fields = notify::parse_notification(body.as_bytes(), SECRET).unwrap();
    assert_eq!(fields["result_code"], "FAIL");
    // The committed sample's sign is a documentation placeholder: it must not verify.
    let sample = fixture("paysuccess.notification.sample.xml");
    assert!(matches!(
        notify::parse_notification(sample.as_bytes(), SECRET),
        Err(Error::Signature(_))
    ));
    match notify::parse_notification(
        "<xml><return_code>FAIL</return_code><return_msg>签名错误</return_msg></xml>".as_bytes(),
        SECRET,
    ) {
        Err(Error::V2Failure { fields, body, .. }) => {
            assert_eq!(fields["return_msg"], "签名错误");
            assert!(body.starts_with(b"<xml>"));
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        notify::parse_notification(b"<xml><return_code>SUCCESS</return_code></xml>", SECRET),
        Err(Error::Signature(_))
    ));
    assert!(matches!(
        notify::parse_notification(b"\xff<xml/>", SECRET),
        Err(Error::Decode { .. })
    ));
    assert!(matches!(
        notify::parse_notification(fixture("invalid.normal_404.sample.html").as_bytes(), SECRET),
        Err(Error::Decode { what: "xml", .. })
    ));
}

#[test]
fn notification_replies() {
    assert_eq!(
        notify::notification_reply(true, "OK"),
        "<xml><return_code><![CDATA[SUCCESS]]></return_code><return_msg><![CDATA[OK]]></return_msg></xml>"
    );
    assert_eq!(
        notify::notification_reply(false, "签名失败"),
        "<xml><return_code><![CDATA[FAIL]]></return_code><return_msg><![CDATA[签名失败]]></return_msg></xml>"
    );
    let hostile = notify::notification_reply(false, "x]]><return_code>SUCCESS</return_code>");
    assert_eq!(
        from_xml(&hostile).unwrap(),
        obj(json!({"return_code": "FAIL", "return_msg": "x]]><return_code>SUCCESS</return_code>"}))
    );
}

#[test]
fn jsapi_pay_params_are_signed() {
    for t in [SignType::Md5, SignType::HmacSha256] {
        let p = jsapi_pay_params(
            "wxd930ea5d5a258f4f",
            "wx2017033010242291fcfe0db70013231072",
            t,
            SECRET,
        )
        .unwrap();
        assert_eq!(
            keys(&p),
            [
                "appId",
                "timeStamp",
                "nonceStr",
                "package",
                "signType",
                "paySign"
            ]
        );
        assert_eq!(p["appId"], "wxd930ea5d5a258f4f");
        assert_eq!(
            p["package"],
            "prepay_id=wx2017033010242291fcfe0db70013231072"
        );
        assert_eq!(p["signType"], t.as_str());
        let ts = p["timeStamp"].as_str().unwrap();
        assert!(
            ts.len() == 10 && ts.bytes().all(|b| b.is_ascii_digit()),
            "{ts}"
        );
        let nonce = p["nonceStr"].as_str().unwrap();
        assert!(nonce.len() == 32 && nonce.bytes().all(|b| b.is_ascii_alphanumeric()));
        let canonical = format!(
            "appId=wxd930ea5d5a258f4f&nonceStr={nonce}&package=prepay_id=wx2017033010242291fcfe0db70013231072&signType={}&timeStamp={ts}",
            t.as_str()
        );
        assert_eq!(p["paySign"], sign_str(t, &canonical, SECRET));
    }
}
