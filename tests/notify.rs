//! APIv3 notifications from raw bytes: verified, decrypted, and refused in every way they can fail.

use base64::Engine;
use serde_json::{json, Value};
use wechatpay::crypto::aes::aes_256_gcm_encrypt;
use wechatpay::crypto::PrivateKey;
use wechatpay::http::{HeaderMap, HeaderValue};
use wechatpay::notify::Reply;
use wechatpay::{Client, Error};

const MERCHANT_KEY: &str = include_str!("fixtures/client/merchant_key.pem");
const WECHATPAY_KEY: &str = include_str!("fixtures/client/wechatpay_key.pem");
const WECHATPAY_PUB: &str = include_str!("fixtures/client/wechatpay_pub.pem");
const PUB_ID: &str = "PUB_KEY_ID_0119000000012024000000000000";
const APIV3_KEY: &str = "0123456789abcdef0123456789abcdef";

fn client() -> Client {
    Client::builder()
        .mchid("1900000001")
        .serial("1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C")
        .private_key(MERCHANT_KEY)
        .public_key(PUB_ID, WECHATPAY_PUB)
        .apiv3_key(APIV3_KEY)
        .build()
        .unwrap()
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// A notification as WeChat Pay sends it: envelope with an AES-256-GCM resource, signed headers.
fn notification(key_pem: &str, ts: i64, resource: &Value) -> (HeaderMap, Vec<u8>) {
    let ciphertext = aes_256_gcm_encrypt(
        APIV3_KEY.as_bytes(),
        b"fdasflkja484",
        b"transaction",
        resource.to_string().as_bytes(),
    )
    .unwrap();
    let body = json!({
        "id": "EV-2018022511223320873",
        "create_time": "2015-05-20T13:29:35+08:00",
        "resource_type": "encrypt-resource",
        "event_type": "TRANSACTION.SUCCESS",
        "summary": "支付成功",
        "resource": {
            "original_type": "transaction",
            "algorithm": "AEAD_AES_256_GCM",
            "ciphertext": ciphertext,
            "associated_data": "transaction",
            "nonce": "fdasflkja484",
        },
    })
    .to_string()
    .into_bytes();
    (sign(key_pem, ts, &body), body)
}

fn sign(key_pem: &str, ts: i64, body: &[u8]) -> HeaderMap {
    let key = PrivateKey::from_pem(key_pem).unwrap();
    let message = wechatpay::v3::canonical_response(
        &ts.to_string(),
        "5K8264ILTKCH16CQ2502SI8ZNMTM67VS",
        body,
    );
    let sig = base64::engine::general_purpose::STANDARD.encode(key.sign(&message).unwrap());
    let mut h = HeaderMap::new();
    h.insert(
        "Wechatpay-Timestamp",
        HeaderValue::from_str(&ts.to_string()).unwrap(),
    );
    h.insert(
        "Wechatpay-Nonce",
        HeaderValue::from_static("5K8264ILTKCH16CQ2502SI8ZNMTM67VS"),
    );
    h.insert("Wechatpay-Serial", HeaderValue::from_static(PUB_ID));
    h.insert("Wechatpay-Signature", HeaderValue::from_str(&sig).unwrap());
    h
}

fn paid() -> Value {
    json!({ "mchid": "1900000001", "out_trade_no": "1217752501201407033233368018", "trade_state": "SUCCESS", "amount": { "total": 100 } })
}

#[test]
fn verified_and_decrypted() {
    let (headers, body) = notification(WECHATPAY_KEY, now(), &paid());
    let n = client().parse_notification(&headers, &body).unwrap();
    assert_eq!(n.id, "EV-2018022511223320873");
    assert_eq!(n.event_type, "TRANSACTION.SUCCESS");
    assert_eq!(n.resource_type, "encrypt-resource");
    assert_eq!(n.summary, "支付成功");
    assert_eq!(n.original_type, "transaction");
    assert_eq!(n.resource, paid());
}

#[test]
fn tampered_forged_stale_probe_and_reserialised_are_refused() {
    let client = client();
    let (headers, body) = notification(WECHATPAY_KEY, now(), &paid());

    let mut tampered = body.clone();
    let pos = tampered.iter().position(|&b| b == b'E').unwrap();
    tampered[pos] = b'F';
    assert!(matches!(
        client.parse_notification(&headers, &tampered),
        Err(Error::Signature(_))
    ));

    let (forged_headers, forged_body) = notification(MERCHANT_KEY, now(), &paid());
    assert!(matches!(
        client.parse_notification(&forged_headers, &forged_body),
        Err(Error::Signature(_))
    ));

    let (stale_headers, stale_body) = notification(WECHATPAY_KEY, now() - 600, &paid());
    assert!(matches!(
        client.parse_notification(&stale_headers, &stale_body),
        Err(Error::ClockSkew { .. })
    ));

    let mut probe = headers.clone();
    probe.insert(
        "Wechatpay-Signature",
        HeaderValue::from_static("WECHATPAY/SIGNTEST/c2lnbg=="),
    );
    match client.parse_notification(&probe, &body) {
        Err(Error::Signature(m)) => assert!(m.contains("SIGNTEST"), "{m}"),
        other => panic!("{other:?}"),
    }

    // A framework that parsed the JSON and wrote it out again changes the bytes.
    let reserialised =
        serde_json::to_vec_pretty(&serde_json::from_slice::<Value>(&body).unwrap()).unwrap();
    match client.parse_notification(&headers, &reserialised) {
        Err(Error::Signature(m)) => assert!(m.contains("raw request body"), "{m}"),
        other => panic!("{other:?}"),
    }

    let mut unsigned = headers.clone();
    unsigned.remove("Wechatpay-Signature");
    assert!(matches!(
        client.parse_notification(&unsigned, &body),
        Err(Error::Signature(_))
    ));
}

#[test]
fn wrong_apiv3_key_is_a_clear_error() {
    let (headers, body) = notification(WECHATPAY_KEY, now(), &paid());
    let other = Client::builder()
        .mchid("1900000001")
        .public_key(PUB_ID, WECHATPAY_PUB)
        .apiv3_key("fedcba9876543210fedcba9876543210")
        .build()
        .unwrap();
    match other.parse_notification(&headers, &body) {
        Err(Error::Crypto(m)) => assert!(m.contains("APIv3 key"), "{m}"),
        other => panic!("{other:?}"),
    }
    let no_key = Client::builder()
        .mchid("1900000001")
        .public_key(PUB_ID, WECHATPAY_PUB)
        .build()
        .unwrap();
    assert!(matches!(
        no_key.parse_notification(&headers, &body),
        Err(Error::NotConfigured(_))
    ));
}

#[test]
fn replies_are_what_wechat_pay_expects() {
    let ok = Reply::success().into_http();
    assert_eq!(ok.status(), 200);
    assert!(ok.body().is_empty());
    let fail = Reply::failure("验签失败").into_http();
    assert_eq!(fail.status(), 500);
    let v: Value = serde_json::from_str(fail.body()).unwrap();
    assert_eq!(v, json!({"code": "FAIL", "message": "验签失败"}));
}

#[test]
fn sensitive_fields_round_trip_through_oaep() {
    // The merchant encrypts for WeChat Pay with its public key; WeChat Pay (here: its private key) reads it.
    let client = client();
    let e = client.encrypt("张三").unwrap();
    assert_eq!(e.serial, PUB_ID);
    let wechatpay = PrivateKey::from_pem(WECHATPAY_KEY).unwrap();
    assert_eq!(
        wechatpay::crypto::decrypt_sensitive(&wechatpay, &e.ciphertext).unwrap(),
        "张三"
    );
    // And the other way: a field WeChat Pay encrypted with the merchant's key.
    let merchant_pub = PrivateKey::from_pem(MERCHANT_KEY).unwrap().public_key();
    let c = wechatpay::crypto::encrypt_sensitive(&merchant_pub, "6214830000000000").unwrap();
    assert_eq!(client.decrypt(&c).unwrap(), "6214830000000000");
}

#[test]
fn jsapi_pay_sign_verifies_with_the_merchant_key() {
    let client = client();
    let p = client
        .jsapi_pay_params("wx8888888888888888", "wx201410272009395522657a690389285100")
        .unwrap();
    assert_eq!(
        p["package"],
        "prepay_id=wx201410272009395522657a690389285100"
    );
    assert_eq!(p["signType"], "RSA");
    let message = format!(
        "{}\n{}\n{}\n{}\n",
        p["appId"].as_str().unwrap(),
        p["timeStamp"].as_str().unwrap(),
        p["nonceStr"].as_str().unwrap(),
        p["package"].as_str().unwrap()
    );
    let sig = base64::engine::general_purpose::STANDARD
        .decode(p["paySign"].as_str().unwrap())
        .unwrap();
    let merchant_pub = PrivateKey::from_pem(MERCHANT_KEY).unwrap().public_key();
    merchant_pub.verify(message.as_bytes(), &sig).unwrap();
    let app = client
        .app_pay_params("wx8888888888888888", "wx201410272009395522657a690389285100")
        .unwrap();
    assert_eq!(app["partnerid"], "1900000001");
    assert_eq!(app["package"], "Sign=WXPay");
}

#[test]
fn extreme_malformed_and_duplicated_headers_are_refused_without_panicking() {
    let client = client();
    let (headers, body) = notification(WECHATPAY_KEY, now(), &paid());
    let with_timestamp = |ts: &str| {
        let mut h = headers.clone();
        h.insert("Wechatpay-Timestamp", HeaderValue::from_str(ts).unwrap());
        client.parse_notification(&h, &body)
    };
    let thirty_digits = "1".repeat(30);
    for ts in [
        "-9223372036854775808",
        "+5",
        " 5",
        "05",
        "1e9",
        thirty_digits.as_str(),
    ] {
        match with_timestamp(ts) {
            Err(Error::Signature(m)) => assert!(m.contains("not a Unix timestamp"), "{ts}: {m}"),
            other => panic!("{ts}: {other:?}"),
        }
    }
    for ts in ["9223372036854775807", "5"] {
        let remote: i64 = ts.parse().unwrap();
        assert!(
            matches!(with_timestamp(ts), Err(Error::ClockSkew { remote: r, .. }) if r == remote),
            "{ts}"
        );
    }
    // A signed timestamp is still checked against the window, at both extremes of the i64 range.
    let (skewed, skewed_body) = notification(WECHATPAY_KEY, i64::MAX, &paid());
    assert!(matches!(
        client.parse_notification(&skewed, &skewed_body),
        Err(Error::ClockSkew {
            remote: i64::MAX,
            ..
        })
    ));
    for name in [
        "Wechatpay-Timestamp",
        "Wechatpay-Nonce",
        "Wechatpay-Signature",
        "Wechatpay-Serial",
    ] {
        let mut twice = headers.clone();
        let value = twice[name].clone();
        twice.append(name, value);
        match client.parse_notification(&twice, &body) {
            Err(Error::Signature(m)) => {
                assert!(m.contains(name) && m.contains("appears 2 times"), "{m}")
            }
            other => panic!("{name}: {other:?}"),
        }
    }
    client.parse_notification(&headers, &body).unwrap();
}

/// `Wechatpay-Signature-Type`: absent or `WECHATPAY2-SHA256-RSA2048` verifies; any other value
/// (an unknown algorithm, another spelling, the 国密 name, the header twice) is refused naming
/// it, before the signature is looked at, by the plain and the async parser alike.
#[tokio::test]
async fn the_signature_type_is_read_before_the_signature() {
    let client = client();
    let (headers, body) = notification(WECHATPAY_KEY, now(), &paid());
    let typed = |values: &[&str]| {
        let mut h = headers.clone();
        for v in values {
            h.append(
                "Wechatpay-Signature-Type",
                HeaderValue::from_str(v).unwrap(),
            );
        }
        h
    };
    let rsa = "WECHATPAY2-SHA256-RSA2048";
    for h in [typed(&[]), typed(&[rsa])] {
        assert_eq!(
            client.parse_notification(&h, &body).unwrap().resource,
            paid()
        );
        let n = client.parse_notification_async(&h, &body).await.unwrap();
        assert_eq!(n.resource, paid());
    }
    for (values, says) in [
        (
            &["HMAC-SHA256"][..],
            "`HMAC-SHA256` is not a signature type",
        ),
        (
            &["wechatpay2-sha256-rsa2048"],
            "`wechatpay2-sha256-rsa2048` is not",
        ),
        (
            &["WECHATPAY2-SHA256-RSA2048 "],
            "supported: WECHATPAY2-SHA256-RSA2048",
        ),
        (
            &["WECHATPAY2-SM2-WITH-SM3"],
            // Named as a missing feature, or (with `shangmi`) refused for the RSA key it names.
            if cfg!(feature = "shangmi") {
                "is an RSA key"
            } else {
                "enable the crate feature `shangmi`"
            },
        ),
        (&[rsa, rsa], "Wechatpay-Signature-Type appears 2 times"),
        (&[rsa, "WECHATPAY2-SM2-WITH-SM3"], "appears 2 times"),
    ] {
        let h = typed(values);
        for got in [
            client.parse_notification(&h, &body),
            client.parse_notification_async(&h, &body).await,
        ] {
            match got {
                Err(Error::Signature(m)) => assert!(m.contains(says), "{values:?}: {m}"),
                other => panic!("{values:?}: {other:?}"),
            }
        }
    }
    // A forged body under an unknown type is refused for the type: it is read first.
    let mut forged = body.clone();
    forged[10] ^= 1;
    match client.parse_notification(&typed(&["HMAC-SHA256"]), &forged) {
        Err(Error::Signature(m)) => assert!(m.contains("`HMAC-SHA256`"), "{m}"),
        other => panic!("{other:?}"),
    }
}

/// The notification envelope `notification()` makes, with another event type.
fn event(event_type: &str, resource: &Value) -> (HeaderMap, Vec<u8>) {
    let (_, body) = notification(WECHATPAY_KEY, now(), resource);
    let mut envelope: Value = serde_json::from_slice(&body).unwrap();
    envelope["event_type"] = json!(event_type);
    let body = serde_json::to_vec(&envelope).unwrap();
    (sign(WECHATPAY_KEY, now(), &body), body)
}

#[test]
fn typed_events_and_the_order_check() {
    use wechatpay::notify::{Event, ExpectedOrder};
    let c = client();
    let paid = json!({
        "mchid": "1900000001", "appid": "wxd678efh567hg6787", "out_trade_no": "1217752501201407033233368018",
        "transaction_id": "1217752501201407033233368018", "trade_type": "JSAPI", "trade_state": "SUCCESS",
        "success_time": "2018-06-08T10:34:56+08:00", "payer": {"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"},
        "amount": {"total": 100, "payer_total": 90, "currency": "CNY", "payer_currency": "CNY"}
    });
    let (h, b) = event("TRANSACTION.SUCCESS", &paid);
    let n = c.parse_notification(&h, &b).unwrap();
    let Event::PaymentSucceeded(t) = n.event().unwrap() else {
        panic!("not a payment")
    };
    assert_eq!((t.amount.total, t.amount.payer_total), (100, Some(90)));
    assert_eq!(
        t.payer_openid.as_deref(),
        Some("oUpF8uMuAJO_M2pxb1Q9zNjWeS6o")
    );
    assert!(!format!("{t:?}").contains("oUpF8"), "openid in Debug");
    let order = || {
        ExpectedOrder::new("1900000001", "1217752501201407033233368018", 100)
            .appid("wxd678efh567hg6787")
    };
    t.check(&order()).unwrap();
    let wrong = [
        (
            ExpectedOrder::new("1900000002", "1217752501201407033233368018", 100),
            "mchid",
        ),
        (order().appid("wx0000000000000000"), "appid"),
        (
            ExpectedOrder::new("1900000001", "OTHER", 100),
            "out_trade_no",
        ),
        (
            ExpectedOrder::new("1900000001", "1217752501201407033233368018", 1),
            "amount.total",
        ),
        (order().currency("USD"), "amount.currency"),
    ];
    for (expected, field) in wrong {
        match t.check(&expected) {
            Err(Error::Mismatch { field: f, .. }) => assert_eq!(f, field),
            other => panic!("{field}: {other:?}"),
        }
    }
    assert!(n.refund().is_err(), "a payment is not a refund");

    let refund = json!({
        "mchid": "1900000001", "out_trade_no": "1217752501201407033233368018", "transaction_id": "1217752501201407033233368018",
        "out_refund_no": "1217752501201407033233368018", "refund_id": "50000000382019052709732678859",
        "refund_status": "ABNORMAL", "user_received_account": "招商银行信用卡0403",
        "amount": {"total": 100, "refund": 50, "payer_total": 90, "payer_refund": 45}
    });
    for (event_type, kind) in [
        ("REFUND.SUCCESS", "succeeded"),
        ("REFUND.ABNORMAL", "abnormal"),
        ("REFUND.CLOSED", "closed"),
    ] {
        let (h, b) = event(event_type, &refund);
        let got = c.parse_notification(&h, &b).unwrap().event().unwrap();
        let r = match (&got, kind) {
            (Event::RefundSucceeded(r), "succeeded")
            | (Event::RefundAbnormal(r), "abnormal")
            | (Event::RefundClosed(r), "closed") => r,
            _ => panic!("{event_type}: {got:?}"),
        };
        assert_eq!((r.amount.refund, r.amount.payer_refund), (50, Some(45)));
        assert!(!format!("{r:?}").contains("招商银行"), "account in Debug");
    }
    let (h, b) = event("MCHTRANSFER.BILL.FINISHED", &json!({"out_bill_no": "x"}));
    assert_eq!(
        c.parse_notification(&h, &b).unwrap().event().unwrap(),
        Event::Other
    );
}
