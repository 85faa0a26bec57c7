//! The brand API against the emulator: a brand client in every chain form, signed under the
//! brand scheme and verified with the public key in both key modes; the emulator's parser taking
//! the pairs in any order; forged brand answers refused; a product-coupon notification opened
//! with the brand API key; field checks; every brand call answered in shape.
#![cfg(feature = "mock")]

use base64::Engine;
use serde_json::{json, Value};
use wechatpay::crypto::PrivateKey;
use wechatpay::http::Method;
use wechatpay::mock::{Brand, Fault, Mode, Server};
use wechatpay::v3;
use wechatpay::{chain, Client, Error};
use zeroize::Zeroizing;

const BRAND_KEY: &str = include_str!("fixtures/brand/brand_key.pem");
const VECTOR: &str = include_str!("fixtures/brand/vector.json");
const COUPON: &str = "brand/marketing/product-coupon/product-coupons/{product_coupon_id}";
const API_KEY: &str = "0123456789abcdefABCDEF0123456789";

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The brand of the vector: its id, serial and test key, a fixed brand API key.
fn fixture_brand() -> Brand {
    let v: Value = serde_json::from_str(VECTOR).unwrap();
    Brand {
        brand_id: v["brand_id"].as_str().unwrap().to_string(),
        serial: v["serial_no"].as_str().unwrap().to_string(),
        private_key_pem: Zeroizing::new(BRAND_KEY.to_string()),
        brand_api_key: Zeroizing::new(API_KEY.to_string()),
    }
}

async fn start(mode: Mode) -> (Server, Client) {
    let server = Server::builder()
        .mode(mode)
        .brand(fixture_brand())
        .start()
        .await
        .unwrap();
    let client = server
        .brand_client_builder("1001")
        .unwrap()
        .build()
        .unwrap();
    (server, client)
}

/// The vector (made with openssl, see its `about`) is what this crate computes: the string
/// Every chain form reaches a brand call; the emulator checks the brand signature and the
/// client verifies the answer with the public key, in both key modes.
#[tokio::test]
async fn every_chain_form_against_the_emulator() {
    for mode in [Mode::PublicKey, Mode::Certificate] {
        let (server, client) = start(mode).await;
        let args = json!({"product_coupon_id": "200000001"});
        let answers = [
            chain!(
                client
                    .brand
                    .marketing
                    .productCoupon
                    .productCoupons
                    ._product_coupon_id_
            )
            .get(args.clone())
            .await,
            client.chain(COUPON).get(args.clone()).await,
            client[COUPON].get(args.clone()).await,
            client
                .seg("brand")
                .seg("marketing")
                .seg("productCoupon")
                .seg("productCoupons")
                .seg("{product_coupon_id}")
                .get(args.clone())
                .await,
        ];
        for res in answers {
            let res = res.unwrap_or_else(|e| panic!("{mode:?}: {e}"));
            assert_eq!(res.status(), 200);
            assert!(res.json().unwrap().is_object());
        }
        let journal = server.journal();
        assert_eq!(journal.len(), 4);
        for r in &journal {
            assert!(r.verified, "{r:?}");
            assert_eq!(
                r.path,
                "/brand/marketing/product-coupon/product-coupons/200000001"
            );
            let auth = r.headers["authorization"].to_str().unwrap();
            assert!(auth.starts_with("WECHATPAY-BRAND-SHA256-RSA2048 brand_id=\"1001\""));
            assert_eq!(r.headers["wechatpay-serial"], server.public_key_id());
        }
        // A body call, checked against the catalogue's field table.
        let res = client
            .chain("brand/marketing/product-coupon/notify-configs")
            .post(json!({"json": {"notify_url": "https://example.com/n"}}))
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
    }
}

/// The emulator takes the pairs in the order of the Java utility and the FAQ too, and refuses a
/// merchant's scheme on `/brand/` with `401 SIGN_ERROR`.
#[tokio::test]
async fn the_emulator_takes_the_pairs_in_any_order() {
    let (server, client) = start(Mode::PublicKey).await;
    let key = PrivateKey::from_pem(BRAND_KEY).unwrap();
    let brand = fixture_brand();
    let send = |order: &'static str| {
        let mut prepared = client
            .chain(COUPON)
            .prepare(Method::GET, json!({"product_coupon_id": "7"}))
            .unwrap();
        let ts = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        let nonce = format!("NONCE{order}{ts}");
        let message = v3::canonical_request(
            "GET",
            "/brand/marketing/product-coupon/product-coupons/7",
            ts,
            &nonce,
            b"",
        );
        let sig = b64(&key.sign(&message).unwrap());
        let value = match order {
            "java" => format!(
                "WECHATPAY-BRAND-SHA256-RSA2048 brand_id=\"{}\",nonce_str=\"{nonce}\",signature=\"{sig}\",timestamp=\"{ts}\",serial_no=\"{}\"",
                brand.brand_id, brand.serial
            ),
            "reversed" => format!(
                "WECHATPAY-BRAND-SHA256-RSA2048 signature=\"{sig}\",serial_no=\"{}\",timestamp=\"{ts}\",nonce_str=\"{nonce}\",brand_id=\"{}\"",
                brand.serial, brand.brand_id
            ),
            _ => format!(
                "WECHATPAY2-SHA256-RSA2048 mchid=\"{}\",serial_no=\"{}\",timestamp=\"{ts}\",nonce_str=\"{nonce}\",signature=\"{sig}\"",
                brand.brand_id, brand.serial
            ),
        };
        prepared.set_authorization(&value).unwrap();
        client.send_prepared(prepared)
    };
    send("java").await.unwrap();
    send("reversed").await.unwrap();
    match send("merchant").await {
        Err(Error::Api { status, code, .. }) => {
            assert_eq!(
                (status.as_u16(), code.as_deref()),
                (401, Some("SIGN_ERROR"))
            )
        }
        other => panic!("{other:?}"),
    }
    let journal = server.journal();
    assert_eq!(
        journal.iter().map(|r| r.verified).collect::<Vec<_>>(),
        [true, true, false]
    );
}

/// A brand's nonce is a replay the second time, as a merchant's is (one window for both).
#[tokio::test]
async fn a_brand_nonce_is_refused_the_second_time() {
    let (server, client) = start(Mode::PublicKey).await;
    let key = PrivateKey::from_pem(BRAND_KEY).unwrap();
    let brand = fixture_brand();
    let send = || {
        let mut prepared = client
            .chain(COUPON)
            .prepare(Method::GET, json!({"product_coupon_id": "7"}))
            .unwrap();
        let ts = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        let target = "/brand/marketing/product-coupon/product-coupons/7";
        let message = v3::canonical_request("GET", target, ts, "ONE-NONCE", b"");
        let sig = b64(&key.sign(&message).unwrap());
        prepared
            .set_authorization(&format!(
                "WECHATPAY-BRAND-SHA256-RSA2048 brand_id=\"{}\",nonce_str=\"ONE-NONCE\",timestamp=\"{ts}\",serial_no=\"{}\",signature=\"{sig}\"",
                brand.brand_id, brand.serial
            ))
            .unwrap();
        client.send_prepared(prepared)
    };
    send().await.unwrap();
    match send().await {
        Err(Error::Api {
            status,
            code,
            message,
            ..
        }) => {
            assert_eq!(
                (status.as_u16(), code.as_deref()),
                (401, Some("SIGN_ERROR"))
            );
            assert!(
                message.as_deref().unwrap_or("").contains("replay"),
                "{message:?}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(server.journal().len(), 2);
}

/// Forged brand answers are refused: another signature, an unknown serial, a skewed clock.
#[tokio::test]
async fn forged_brand_answers_are_refused() {
    let (server, client) = start(Mode::PublicKey).await;
    for fault in [Fault::BadSignature, Fault::WrongSerial, Fault::SkewedClock] {
        server.clear_faults();
        server.fault(fault);
        let e = client
            .chain(COUPON)
            .get(json!({"product_coupon_id": "1"}))
            .await
            .unwrap_err();
        assert!(
            matches!(e, Error::Signature(_) | Error::ClockSkew { .. }),
            "{fault:?}: {e:?}"
        );
    }
}

/// A product-coupon notification: sealed with the brand API key, signed under the public key;
/// the brand client opens it, a client with another key does not.
#[tokio::test]
async fn a_product_coupon_notification_opens_with_the_brand_api_key() {
    let (server, client) = start(Mode::PublicKey).await;
    let resource =
        json!({"product_coupon_id": "200000001", "coupon_code": "C1", "state": "EFFECTIVE"});
    let (headers, body) = server
        .brand_notification("1001", "PRODUCT_COUPON.SEND", &resource)
        .unwrap();
    assert_eq!(headers["wechatpay-serial"], server.public_key_id());
    assert_eq!(
        headers["wechatpay-signature-type"],
        "WECHATPAY-BRAND-SHA256-RSA2048"
    );
    // Other languages read the brand's credentials from the admin API's config.
    let config = server.config_json();
    assert_eq!(config["brands"][0]["brand_id"], "1001");
    assert_eq!(config["brands"][0]["brand_api_key"], API_KEY);
    let n = client.parse_notification(&headers, &body).unwrap();
    assert_eq!(n.event_type, "PRODUCT_COUPON.SEND");
    assert_eq!(n.original_type, "product_coupon");
    assert_eq!(n.resource, resource);
    let envelope: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(envelope["resource"]["associated_data"], "product_coupon");
    let other = server
        .brand_client_builder("1001")
        .unwrap()
        .brand_api_key("ffffffffffffffffffffffffffffffff")
        .build()
        .unwrap();
    assert!(other.parse_notification(&headers, &body).is_err());
}

/// The emulator's field checks apply to brand calls where the table has them: a value outside
/// a documented enumeration is refused naming the field.
#[tokio::test]
async fn brand_field_checks() {
    let (_server, client) = start(Mode::PublicKey).await;
    let endpoint =
        wechatpay::catalogue::find("POST", "brand/marketing/product-coupon/product-coupons")
            .expect("the create call is catalogued");
    let json = endpoint.json.as_ref().unwrap();
    let field = json
        .children
        .iter()
        .find(|f| !f.enumeration.is_empty() && f.kind == "string")
        .expect("a field with an enumeration");
    let e = client
        .chain("brand/marketing/product-coupon/product-coupons")
        .post(json!({"json": {(field.name.clone()): "NOT_DOCUMENTED"}}))
        .await
        .unwrap_err();
    match e {
        Error::Api {
            status,
            code,
            message,
            ..
        } => {
            assert_eq!(
                (status.as_u16(), code.as_deref()),
                (400, Some("PARAM_ERROR"))
            );
            let message = message.unwrap_or_default();
            assert!(message.contains(&field.name), "{message}");
        }
        other => panic!("{other:?}"),
    }
}

/// Every brand call of the catalogue, sent by the brand client (uploads as media): each is
/// answered 2xx by the emulator, its signature checked under the brand scheme, and verified.
#[tokio::test]
async fn every_brand_call_is_answered_and_verified() {
    let (server, client) = start(Mode::PublicKey).await;
    let calls: Vec<_> = wechatpay::catalogue::all()
        .iter()
        .filter(|e| e.brand())
        .collect();
    assert_eq!(calls.len(), 55);
    for e in &calls {
        let mut args = serde_json::Map::new();
        for p in &e.path {
            args.insert(p.name.clone(), json!("1000001"));
        }
        let chain = client.chain(&e.client_template());
        let res = if e.body.is_some() {
            let media = wechatpay::Media::new("logo.png", &b"\x89PNG\r\n\x1a\nlogo"[..]);
            chain.upload(&media, Value::Object(args)).await
        } else {
            let method = Method::from_bytes(e.method.as_bytes()).unwrap();
            if e.json.is_some() {
                args.insert("json".into(), json!({}));
            }
            chain.request(method, Value::Object(args)).await
        };
        let res = res.unwrap_or_else(|err| panic!("{} {}: {err}", e.method, e.template));
        assert!(res.status().is_success(), "{} {}", e.method, e.template);
        // In shape: the table's top-level scalars are there, enumerated ones within the enum.
        if let wechatpay::catalogue::ResponseSpec::Json(fields) = &e.response {
            let answer = res.json().unwrap();
            for f in fields
                .iter()
                .filter(|f| matches!(f.kind.as_str(), "string" | "integer"))
            {
                let v = &answer[&f.name];
                assert!(!v.is_null(), "{} {}: {}", e.method, e.template, f.name);
                if !f.enumeration.is_empty() {
                    assert!(f.enumeration.iter().any(|x| v == x), "{}: {v}", f.name);
                }
            }
        }
    }
    let journal = server.journal();
    assert_eq!(journal.len(), 55);
    assert!(
        journal.iter().all(|r| r.verified && r.outcome == "OK"),
        "{journal:?}"
    );
}
