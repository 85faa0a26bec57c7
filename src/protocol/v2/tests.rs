//! Unit tests of `prepare` and `check_response`, which are crate-private, and of hostile sign
//! types.

use super::*;
use serde_json::json;

const SECRET: &str = "192006250b4c09247ec02edce69f6a2d";

fn obj(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        other => panic!("not an object: {other}"),
    }
}

fn post(data: Value, mchid: Option<&str>) -> Result<String> {
    let p = prepare(false, obj(data), mchid, SECRET, false)?;
    assert!(p.query.is_none());
    Ok(p.body.expect("a POST has a body"))
}

#[test]
fn post_bodies_of_section_5_2() {
    let base = json!({"appid": "wxd930ea5d5a258f4f", "mch_id": "10000100", "device_info": "1000", "body": "test", "nonce_str": "ibuaiVcKdpRxkhJA"});
    assert_eq!(
        post(base.clone(), Some("10000100")).unwrap(),
        "<xml><appid>wxd930ea5d5a258f4f</appid><mch_id>10000100</mch_id><device_info>1000</device_info><body>test</body><nonce_str>ibuaiVcKdpRxkhJA</nonce_str><sign>9A0A8659F005D6984697E2CA0A9CF3B7</sign></xml>"
    );
    let mut hmac = obj(base);
    hmac.insert("sign_type".into(), "HMAC-SHA256".into());
    assert_eq!(
        post(Value::Object(hmac), Some("10000100")).unwrap(),
        "<xml><appid>wxd930ea5d5a258f4f</appid><mch_id>10000100</mch_id><device_info>1000</device_info><body>test</body><nonce_str>ibuaiVcKdpRxkhJA</nonce_str><sign_type>HMAC-SHA256</sign_type><sign>2C9DF1156522C0B2B03B4DBF3BCA5CACB602CBD5CA0F9E112458CF3E9855303B</sign></xml>"
    );
    // The reference's `mchid => ''`: no merchant check.
    let unchecked = "<xml><appid>x</appid><nonce_str>n</nonce_str><sign>99CE17605D6B8564B1F8252A73CA0BBB</sign></xml>";
    assert_eq!(
        post(json!({"appid": "x", "nonce_str": "n"}), None).unwrap(),
        unchecked
    );
    assert_eq!(
        post(json!({"appid": "x", "nonce_str": "n"}), Some("")).unwrap(),
        unchecked
    );
}

#[test]
fn get_query_of_section_5_2() {
    let data = json!({"mch_id": "10000100", "appid": "wx1", "contract_display_account": "微信 代扣", "request_serial": 1000, "sign_type": "HMAC-SHA256"});
    let p = prepare(true, obj(data), Some("10000100"), SECRET, true).unwrap();
    assert!(p.body.is_none());
    assert_eq!(
        p.query.unwrap(),
        "mch_id=10000100&appid=wx1&contract_display_account=%E5%BE%AE%E4%BF%A1%20%E4%BB%A3%E6%89%A3&request_serial=1000&sign_type=HMAC-SHA256&sign=99C9B5D0C7CF185B1717702B217C9F18CF1D4D3AE297BB3776F3346EB7E744EC"
    );
    // `true` goes out as `1` and is signed; `false` goes out empty and, like every empty value,
    // is not signed (WeChat Pay skips it when it checks); nulls are neither signed nor sent.
    let p = prepare(
        true,
        obj(json!({"t": true, "f": false, "n": null})),
        None,
        "key",
        true,
    )
    .unwrap();
    let canonical = "t=1";
    let want = format!(
        "t=1&f=&sign={}",
        sign::sign_str(SignType::Md5, canonical, "key")
    );
    assert_eq!(p.query.unwrap(), want);
}

#[test]
fn nonce_is_appended_unless_present_or_nonceless() {
    let body = post(json!({"appid": "x"}), None).unwrap();
    let fields = xml::from_xml(&body).unwrap();
    let keys: Vec<&str> = fields.keys().map(String::as_str).collect();
    assert_eq!(keys, ["appid", "nonce_str", "sign"]);
    let nonce = fields["nonce_str"].as_str().unwrap();
    assert_eq!(nonce.len(), 32);
    assert!(nonce.bytes().all(|b| b.is_ascii_alphanumeric()));
    sign::verify(&fields, SECRET).unwrap();

    // A null nonce is filled in where it stands.
    let body = post(json!({"nonce_str": null, "appid": "x"}), None).unwrap();
    let keys: Vec<String> = xml::from_xml(&body).unwrap().keys().cloned().collect();
    assert_eq!(keys, ["nonce_str", "appid", "sign"]);

    let p = prepare(false, obj(json!({"appid": "x"})), None, SECRET, true).unwrap();
    let fields = xml::from_xml(&p.body.unwrap()).unwrap();
    assert!(!fields.contains_key("nonce_str"));
}

#[test]
fn sign_goes_last_and_replaces_a_callers_sign() {
    let body = post(
        json!({"sign": "forged", "appid": "x", "nonce_str": "n"}),
        None,
    )
    .unwrap();
    assert_eq!(
        body,
        "<xml><appid>x</appid><nonce_str>n</nonce_str><sign>99CE17605D6B8564B1F8252A73CA0BBB</sign></xml>"
    );
}

#[test]
fn merchant_id_must_match() {
    for (data, found) in [
        (json!({"mch_id": "10000101"}), "10000101"),
        (json!({"mch_id": ""}), ""),
        (json!({"appid": "x"}), ""),
        (json!({"mch_id": null, "mchid": "1"}), "1"),
        (json!({"mch_id": 10000100.5}), "<a number>"),
        (json!({"mch_id": ["10000100"]}), "<an array>"),
    ] {
        match post(data.clone(), Some("10000100")) {
            Err(Error::MchidMismatch {
                field: "mch_id",
                found: f,
                expected,
            }) => {
                assert_eq!(f, found, "{data}");
                assert_eq!(expected, "10000100");
            }
            other => panic!("{data}: {other:?}"),
        }
    }
    for data in [
        json!({"mch_id": "10000100"}),
        json!({"mchid": "10000100"}),
        json!({"combine_mch_id": "10000100"}),
        json!({"mch_id": null, "combine_mch_id": "10000100"}),
        // Same digits as a JSON integer: accepted (PHP's strict check refuses it).
        json!({"mch_id": 10000100}),
    ] {
        post(data.clone(), Some("10000100")).unwrap_or_else(|e| panic!("{data}: {e}"));
    }
    let err = post(json!({"mch_id": "1"}), Some("10000100")).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the xml's `mch_id` (1) does not match the client's mchid (10000100)"
    );
}

#[test]
fn unusable_values_are_refused_by_name() {
    for (data, name) in [
        (json!({"sign_type": "md5"}), "xml.sign_type"),
        (json!({"sign_type": "HMAC-SHA512"}), "xml.sign_type"),
        (json!({"sign_type": 1}), "xml.sign_type"),
        (json!({"detail": {"a": 1}}), "xml.detail"),
        (json!({"list": ["a"]}), "xml.list"),
        (json!({"bad key": "1"}), "xml.bad key"),
        (json!({"": "1"}), "xml."),
        (json!({"a": "x\u{0}"}), "xml.a"),
        (json!({"a": "\u{1f}"}), "xml.a"),
    ] {
        for is_get in [false, true] {
            match prepare(is_get, obj(data.clone()), None, SECRET, false) {
                Err(Error::Argument { name: n, .. }) => assert_eq!(n, name, "{data}"),
                other => panic!("{data}: {other:?}"),
            }
        }
    }
}

fn signed_answer(fields: Value, sign_type: SignType) -> Bytes {
    let mut fields = obj(fields);
    let s = sign::sign(sign_type, &fields, SECRET).unwrap();
    fields.insert("sign".into(), s.into());
    Bytes::from(xml::to_xml(&fields))
}

#[test]
fn answers_are_checked() {
    for t in [SignType::Md5, SignType::HmacSha256] {
        let body = signed_answer(
            json!({"return_code": "SUCCESS", "result_code": "SUCCESS", "openid": "o<1>"}),
            t,
        );
        let fields = check_response(&body, SECRET, t).unwrap();
        assert_eq!(fields["openid"], "o<1>");
        assert_eq!(SignType::from_sign_len(fields["sign"].as_str().unwrap()), t);
        // Wrong secret, tampered content.
        assert!(matches!(
            check_response(&body, "another secret", t),
            Err(Error::Signature(_))
        ));
        let tampered = Bytes::from(std::str::from_utf8(&body).unwrap().replace("o<1>", "o<2>"));
        assert!(matches!(
            check_response(&tampered, SECRET, t),
            Err(Error::Signature(_))
        ));
    }
    // No result_code at all is fine (Authcodetoopenid), as long as the sign verifies.
    let body = signed_answer(
        json!({"return_code": "SUCCESS", "openid": "o"}),
        SignType::Md5,
    );
    check_response(&body, SECRET, SignType::Md5).unwrap();
    // A lowercase sign does not match (compared case-sensitively, like PHP).
    let fields = xml::from_xml(std::str::from_utf8(&body).unwrap()).unwrap();
    let mut low = fields.clone();
    low["sign"] = fields["sign"].as_str().unwrap().to_ascii_lowercase().into();
    let low = Bytes::from(xml::to_xml(&low));
    assert!(matches!(
        check_response(&low, SECRET, SignType::Md5),
        Err(Error::Signature(_))
    ));
    // Unsigned success.
    let unsigned = Bytes::from_static(b"<xml><return_code>SUCCESS</return_code></xml>");
    assert!(matches!(
        check_response(&unsigned, SECRET, SignType::Md5),
        Err(Error::Signature(_))
    ));
}

#[test]
fn answers_are_checked_with_the_type_sent() {
    for (signed, sent) in [
        (SignType::Md5, SignType::HmacSha256),
        (SignType::HmacSha256, SignType::Md5),
    ] {
        let body = signed_answer(json!({"return_code": "SUCCESS", "openid": "o"}), signed);
        check_response(&body, SECRET, signed).unwrap();
        match check_response(&body, SECRET, sent) {
            Err(Error::Signature(m)) => assert!(m.contains(sent.as_str()), "{m}"),
            other => panic!("{other:?}"),
        }
        // A signed failure in the other type is no verified failure either.
        let fail = signed_answer(
            json!({"return_code": "SUCCESS", "result_code": "FAIL", "err_code": "ORDERPAID"}),
            signed,
        );
        assert!(matches!(
            check_response(&fail, SECRET, sent),
            Err(Error::Signature(_))
        ));
    }
    // An answer that names a type must name the one sent (and be signed so).
    let named = signed_answer(
        json!({"return_code": "SUCCESS", "sign_type": "HMAC-SHA256"}),
        SignType::HmacSha256,
    );
    check_response(&named, SECRET, SignType::HmacSha256).unwrap();
    let named = signed_answer(
        json!({"return_code": "SUCCESS", "sign_type": "HMAC-SHA256"}),
        SignType::Md5,
    );
    match check_response(&named, SECRET, SignType::Md5) {
        Err(Error::Signature(m)) => assert!(m.contains("names `sign_type`"), "{m}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn failures_carry_the_fields() {
    for body in [
        "<xml><return_code><![CDATA[FAIL]]></return_code><return_msg><![CDATA[签名错误]]></return_msg></xml>",
        "<xml><return_code>SUCCESS</return_code><result_code>FAIL</result_code><err_code>AUTHCODEEXPIRE</err_code></xml>",
        "<xml><return_msg>no return_code</return_msg></xml>",
        "<xml><return_code>success</return_code></xml>",
    ] {
        match check_response(&Bytes::from(body), SECRET, SignType::Md5) {
            Err(Error::V2Failure { fields, body: b, .. }) => {
                assert_eq!(b, body.as_bytes());
                assert_eq!(fields, xml::from_xml(body).unwrap());
            }
            other => panic!("{body}: {other:?}"),
        }
    }
    let err = check_response(
        &Bytes::from_static(b"<xml><return_code>SUCCESS</return_code><result_code>FAIL</result_code><err_code>AUTHCODEEXPIRE</err_code><err_code_des>expired</err_code_des></xml>"),
        SECRET,
        SignType::Md5,
    )
    .unwrap_err();
    assert_eq!(err.code(), Some("AUTHCODEEXPIRE"));
    assert_eq!(
        err.to_string(),
        "APIv2 call failed (unsigned answer: fields unverified): return_code=SUCCESS result_code=FAIL expired"
    );
}

#[test]
fn unreadable_answers_are_decode_errors() {
    let html = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/invalid.normal_404.sample.html"
    ));
    for body in [&b"\xff\xfe<xml/>"[..], b"not xml at all", html.as_bytes()] {
        assert!(
            matches!(
                check_response(&Bytes::copy_from_slice(body), SECRET, SignType::Md5),
                Err(Error::Decode { .. })
            ),
            "{body:?}"
        );
    }
}

#[test]
fn exempt_paths_are_exact() {
    for p in [
        "/pay/downloadbill",
        "/pay/downloadfundflow",
        "/mmpaymkttransfers/promotion/transfers",
        "/papay/h5entrustweb",
        "/risk/getpublickey",
        "/xdc/apiv2getsignkey/sign/getsignkey",
    ] {
        assert!(is_exempt(p), "{p}");
    }
    // the reference's 24, and the JSON-answering access token call
    assert_eq!(EXEMPT.len(), 25);
    assert!(is_exempt("/appauth/getaccesstoken"));
    for p in [
        "/pay/orderquery",
        "pay/downloadbill",
        "/pay/downloadbill/",
        "/PAY/DOWNLOADBILL",
        "/sandboxnew/pay/downloadbill",
    ] {
        assert!(!is_exempt(p), "{p}");
    }
}

/// An answer naming a long `sign_type` is refused with the value cut, not echoed whole.
#[test]
fn a_long_sign_type_in_an_answer_is_cut_in_the_error() {
    let body = Bytes::from(format!(
        "<xml><return_code>SUCCESS</return_code><sign_type>{}</sign_type><sign>X</sign></xml>",
        "H".repeat(50_000)
    ));
    let e = check_response(&body, SECRET, SignType::HmacSha256).unwrap_err();
    assert!(matches!(e, Error::Signature(_)), "{e:?}");
    assert!(e.to_string().len() < 400, "{}", e.to_string().len());
}

/// Odd bytes where a type or a `sign` goes: never a panic, never accepted, and the error
/// quotes at most 64 characters of what the message named.
#[test]
fn hostile_sign_types_and_signs_are_refused_without_panic() {
    let mut seed: u32 = 0x2545_f491;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        seed
    };
    let odd = [
        "",
        " MD5",
        "MD5 ",
        "md5",
        "HMAC-SHA256\u{0}",
        "中文",
        "\u{202e}5DM",
    ];
    for round in 0..300 {
        let named: String = if round < odd.len() {
            odd[round].to_string()
        } else {
            (0..next() % 200)
                .map(|_| char::from_u32(next() % 0x3000).unwrap_or('\u{fffd}'))
                .collect()
        };
        let mut data = Map::new();
        data.insert("return_code".into(), "SUCCESS".into());
        data.insert("sign_type".into(), named.clone().into());
        data.insert("sign".into(), named.clone().into());
        match SignType::of_message(&data) {
            Ok(t) => {
                assert!(named.is_empty() || named == t.as_str(), "{named:?}");
                assert!(sign::verify_as(&data, "secret", t).is_err(), "{named:?}");
            }
            Err(e) => {
                assert!(matches!(e, Error::Signature(_)), "{e:?}");
                assert!(e.to_string().chars().count() < 64 * 10 + 120, "{e}");
            }
        }
        for t in [SignType::Md5, SignType::HmacSha256] {
            assert!(sign::verify_as(&data, "secret", t).is_err(), "{named:?}");
        }
    }
    let long = "X".repeat(100_000);
    let e = SignType::of_message(serde_json::json!({"sign_type": long}).as_object().unwrap())
        .unwrap_err();
    assert!(e.to_string().len() < 400, "cut: {}", e.to_string().len());
}
