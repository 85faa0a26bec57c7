//! Forged APIv2 answers and notifications: each row a body and the error it must give. Answers
//! go through the client against the emulator's scripted answer (the request itself is genuine);
//! notifications through `Client::parse_v2_notification`. Nothing forged may come back as `Ok`,
//! and a failure may only claim `verified: true` when its `sign` held.
#![cfg(feature = "mock")]

use serde_json::{json, Map, Value};
use wechatpay::mock::{Answer, Server};
use wechatpay::v2::{sign, xml, SignType};
use wechatpay::{Client, Error};

#[derive(Debug, Clone, Copy, PartialEq)]
enum Want {
    Ok,
    Signature,
    Decode,
    /// `Error::V2Failure { verified }`.
    Failure(bool),
}

fn outcome<T>(result: wechatpay::Result<T>) -> (Want, String) {
    match result {
        Ok(_) => (Want::Ok, String::new()),
        Err(e) => {
            let want = match &e {
                Error::Signature(_) => Want::Signature,
                Error::Decode { .. } => Want::Decode,
                Error::V2Failure { verified, .. } => Want::Failure(*verified),
                _ => panic!("unexpected error kind: {e:?}"),
            };
            (want, e.to_string())
        }
    }
}

fn fields(v: Value) -> Map<String, Value> {
    v.as_object().unwrap().clone()
}

/// `fields` with a `sign` of `sign_type` under `secret`, as XML.
fn signed(mut fields: Map<String, Value>, sign_type: SignType, secret: &str) -> String {
    let s = sign::sign(sign_type, &fields, secret).unwrap();
    fields.insert("sign".into(), s.into());
    xml::to_xml(&fields)
}

fn paid() -> Map<String, Value> {
    fields(json!({
        "return_code": "SUCCESS", "result_code": "SUCCESS", "appid": "wx2421b1c4370ec43b",
        "mch_id": "1900000001", "nonce_str": "5K8264ILTKCH16CQ2502SI8ZNMTM67VS",
        "out_trade_no": "1409811653", "transaction_id": "1004400740201409030005092168",
        "total_fee": "1", "trade_state": "SUCCESS",
    }))
}

/// A business failure as WeChat sends it, `ORDERPAID` (which a caller might act upon).
fn order_paid(return_code: &str) -> Map<String, Value> {
    fields(json!({
        "return_code": return_code, "result_code": "FAIL", "err_code": "ORDERPAID",
        "err_code_des": "该订单已支付", "mch_id": "1900000001",
        "nonce_str": "5K8264ILTKCH16CQ2502SI8ZNMTM67VS",
    }))
}

/// The rows: name, body, what an answer to a request signed MD5 gives, what an answer to a
/// request signed HMAC-SHA256 gives, what a notification gives.
fn rows(secret: &str) -> Vec<(&'static str, Vec<u8>, Want, Want, Want)> {
    use Want::*;
    let good = signed(paid(), SignType::Md5, secret);
    let mut named_hmac = paid();
    named_hmac.insert("sign_type".into(), "HMAC-SHA256".into());
    let good_hmac = signed(named_hmac, SignType::HmacSha256, secret);
    let unnamed_hmac = signed(paid(), SignType::HmacSha256, secret);
    let md5 = xml::from_xml(&good).unwrap()["sign"]
        .as_str()
        .unwrap()
        .to_string();
    let with_sign = |s: &str| good.replace(&md5, s);
    let other_secret = signed(paid(), SignType::Md5, "0123456789abcdef0123456789abcdef");
    let fail_unsigned = xml::to_xml(&order_paid("SUCCESS"));
    let fail_signed = signed(order_paid("SUCCESS"), SignType::Md5, secret);
    let fail_forged = signed(order_paid("SUCCESS"), SignType::Md5, "forged secret");
    let rfail_unsigned = xml::to_xml(&order_paid("FAIL"));
    let rfail_signed = signed(order_paid("FAIL"), SignType::Md5, secret);
    let rfail_forged = with_sign_of(&rfail_signed, "0".repeat(64));
    let mut rfail_named = order_paid("FAIL");
    rfail_named.insert("sign_type".into(), "HMAC-SHA256".into());
    let rfail_hmac = signed(rfail_named, SignType::HmacSha256, secret);
    let deep = format!("<xml>{}1{}</xml>", "<a>".repeat(100), "</a>".repeat(100));
    let mut non_utf8 = good.clone().into_bytes();
    non_utf8.splice(
        good.find("1409").unwrap()..good.find("1409").unwrap(),
        [0xff, 0xfe],
    );
    #[rustfmt::skip]
    let rows = vec![
        // An answer is signed with the request's type, a notification with the type it names
        // (MD5 when it names none): a genuine `sign` of the other type is refused.
        ("genuine MD5", good.clone().into_bytes(), Ok, Signature, Ok),
        ("genuine HMAC-SHA256, type named", good_hmac.clone().into_bytes(), Signature, Ok, Ok),
        ("genuine HMAC-SHA256, type not named", unnamed_hmac.clone().into_bytes(), Signature, Ok, Signature),
        ("genuine, values in CDATA", good.replace(">1409811653<", "><![CDATA[1409811653]]><").into_bytes(), Ok, Signature, Ok),
        ("signed with another secret", other_secret.into_bytes(), Signature, Signature, Signature),
        ("wrong sign", with_sign("0BB036EB7AE434051095681178E0F961").into_bytes(), Signature, Signature, Signature),
        ("lowercase sign", with_sign(&md5.to_lowercase()).into_bytes(), Signature, Signature, Signature),
        ("MD5 sign twice (HMAC length)", with_sign(&md5.repeat(2)).into_bytes(), Signature, Signature, Signature),
        ("sign of SHA-1 length", with_sign(&"A".repeat(40)).into_bytes(), Signature, Signature, Signature),
        ("sign one short", with_sign(&md5[..31]).into_bytes(), Signature, Signature, Signature),
        ("empty sign", with_sign("").into_bytes(), Signature, Signature, Signature),
        ("sign missing", xml::to_xml(&paid()).into_bytes(), Signature, Signature, Signature),
        ("sign_type changed after signing", good_hmac.replace(">HMAC-SHA256<", ">MD5<").into_bytes(), Signature, Signature, Signature),
        ("sign_type of no kind", good.replace("</xml>", "<sign_type>SHA1</sign_type></xml>").into_bytes(), Signature, Signature, Signature),
        ("field added after signing", good.replace("</xml>", "<refund_fee>1</refund_fee></xml>").into_bytes(), Signature, Signature, Signature),
        ("field removed", good.replace("<trade_state>SUCCESS</trade_state>", "").into_bytes(), Signature, Signature, Signature),
        ("value changed", good.replace(">1</total_fee>", ">100</total_fee>").into_bytes(), Signature, Signature, Signature),
        ("element duplicated", good.replace("<total_fee>1</total_fee>", "<total_fee>1</total_fee><total_fee>1</total_fee>").into_bytes(), Signature, Signature, Signature),
        ("sign duplicated", good.replace("</xml>", &format!("<sign>{md5}</sign></xml>")).into_bytes(), Signature, Signature, Signature),
        ("return_code duplicated", good.replace("<return_code>SUCCESS</return_code>", "<return_code>SUCCESS</return_code><return_code>SUCCESS</return_code>").into_bytes(), Signature, Signature, Signature),
        ("DOCTYPE before", format!("<!DOCTYPE xml>{good}").into_bytes(), Decode, Decode, Decode),
        ("DOCTYPE with entity", good.replacen("<xml>", "<!DOCTYPE xml [<!ENTITY x \"1\">]><xml>", 1).into_bytes(), Decode, Decode, Decode),
        ("DOCTYPE inside", good.replace("</xml>", "<!DOCTYPE x></xml>").into_bytes(), Decode, Decode, Decode),
        ("second root", format!("{good}<xml><total_fee>100</total_fee></xml>").into_bytes(), Decode, Decode, Decode),
        ("truncated", good.as_bytes()[..good.len() / 2].to_vec(), Decode, Decode, Decode),
        ("not UTF-8", non_utf8, Decode, Decode, Decode),
        ("empty body", Vec::new(), Decode, Decode, Decode),
        ("deep nesting", deep.into_bytes(), Decode, Decode, Decode),
        ("unclosed nesting", "<a>".repeat(100_000).into_bytes(), Decode, Decode, Decode),
        ("undeclared entity", good.replace(">1409811653<", ">&x;<").into_bytes(), Decode, Decode, Decode),
        // result_code=FAIL: an answer is a failure; a notification with return_code SUCCESS
        // must be signed, and a genuine one is returned (a failed payment is still news).
        ("result FAIL, forged sign", fail_forged.into_bytes(), Signature, Signature, Signature),
        ("result FAIL, unsigned", fail_unsigned.into_bytes(), Failure(false), Failure(false), Signature),
        ("result FAIL, signed", fail_signed.into_bytes(), Failure(true), Signature, Ok),
        ("return FAIL, forged sign", rfail_forged.into_bytes(), Signature, Signature, Signature),
        ("return FAIL, unsigned", rfail_unsigned.into_bytes(), Failure(false), Failure(false), Failure(false)),
        ("return FAIL, signed", rfail_signed.into_bytes(), Failure(true), Signature, Failure(true)),
        ("return FAIL, signed HMAC-SHA256", rfail_hmac.into_bytes(), Signature, Failure(true), Failure(true)),
    ];
    rows
}

fn with_sign_of(body: &str, sign: String) -> String {
    let old = xml::from_xml(body).unwrap()["sign"]
        .as_str()
        .unwrap()
        .to_string();
    body.replace(&old, &sign)
}

fn check(name: &str, what: &str, got: (Want, String), want: Want) {
    let (got, message) = got;
    assert_eq!(got, want, "{what} `{name}`: {message}");
    if let Want::Failure(verified) = got {
        assert_eq!(
            message.contains("(unsigned answer: fields unverified)"),
            !verified,
            "{what} `{name}`: {message}"
        );
    }
}

#[tokio::test]
async fn forged_answers_are_refused() {
    let server = Server::start().await.unwrap();
    let client = server.client_builder().build().unwrap();
    let secret = server.merchant().apiv2_secret.to_string();
    for (name, body, to_md5, to_hmac, _) in rows(&secret) {
        server.on("POST", "v2/pay/orderquery", Answer::raw(200, body));
        for (sent, want) in [("MD5", to_md5), ("HMAC-SHA256", to_hmac)] {
            let result = client
                .chain("v2/pay/orderquery")
                .post(
                    json!({"xml": {"mch_id": "1900000001", "out_trade_no": "1409811653",
                    "sign_type": sent}}),
                )
                .await;
            check(name, &format!("answer to {sent}"), outcome(result), want);
            // The request was genuine: only the answer is at fault.
            assert!(server.journal().pop().unwrap().verified, "{name}");
        }
    }
}

#[tokio::test]
async fn forged_notifications_are_refused() {
    let server = Server::start().await.unwrap();
    let client: Client = server.client_builder().build().unwrap();
    let secret = server.merchant().apiv2_secret.to_string();
    for (name, body, _, _, want) in rows(&secret) {
        check(
            name,
            "notification",
            outcome(client.parse_v2_notification(&body)),
            want,
        );
        let direct = wechatpay::v2::notify::parse_notification(&body, &secret);
        check(
            name,
            "v2::notify::parse_notification",
            outcome(direct),
            want,
        );
    }
}

#[tokio::test]
async fn a_forged_order_paid_is_a_signature_error_and_says_so() {
    let server = Server::start().await.unwrap();
    let client = server.client_builder().build().unwrap();
    let forged = signed(order_paid("SUCCESS"), SignType::Md5, "forged secret");
    server.on("POST", "v2/pay/orderquery", Answer::raw(200, forged));
    let err = client
        .chain("v2/pay/orderquery")
        .post(json!({"xml": {"mch_id": "1900000001", "out_trade_no": "1"}}))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Signature(_)), "{err:?}");
    assert_eq!(
        err.code(),
        None,
        "no err_code is reported from a forged answer"
    );

    let unsigned = xml::to_xml(&order_paid("SUCCESS"));
    server.on("POST", "v2/pay/orderquery", Answer::raw(200, unsigned));
    let err = client
        .chain("v2/pay/orderquery")
        .post(json!({"xml": {"mch_id": "1900000001", "out_trade_no": "1"}}))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::V2Failure {
                verified: false,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(err.code(), Some("ORDERPAID"));
    assert_eq!(
        err.to_string(),
        "APIv2 call failed (unsigned answer: fields unverified): return_code=SUCCESS result_code=FAIL 该订单已支付"
    );

    // The emulator signs a scripted `Answer::xml` with the merchant's secret.
    server.on(
        "POST",
        "v2/pay/orderquery",
        Answer::xml(order_paid("SUCCESS")),
    );
    let err = client
        .chain("v2/pay/orderquery")
        .post(json!({"xml": {"mch_id": "1900000001", "out_trade_no": "1"}}))
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::V2Failure { verified: true, .. }),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "APIv2 call failed: return_code=SUCCESS result_code=FAIL 该订单已支付"
    );
}
