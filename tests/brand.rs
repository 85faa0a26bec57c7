//! The brand API's client side (`WECHATPAY-BRAND-SHA256-RSA2048`, `brand/…`): the signature
//! vector made with a generated test key, a prepared brand request, merchant/brand mix-ups
//! refused before anything is sent, and the builder's refusals. Against the emulator:
//! `emulator_brand.rs`.

use base64::Engine;
use serde_json::{json, Value};
use wechatpay::crypto::{PrivateKey, PublicKey};
use wechatpay::http::Method;
use wechatpay::v3::{self, Scheme};
use wechatpay::{chain, Client, Error};

const BRAND_KEY: &str = include_str!("fixtures/brand/brand_key.pem");
const BRAND_PUB: &str = include_str!("fixtures/brand/brand_pub.pem");
const VECTOR: &str = include_str!("fixtures/brand/vector.json");
const COUPON: &str = "brand/marketing/product-coupon/product-coupons/{product_coupon_id}";
const API_KEY: &str = "0123456789abcdefABCDEF0123456789";

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The vector (made with openssl, see its `about`) is what this crate computes: the string
/// signed, the SHA256withRSA signature and the header, pairs in the official Go order.
#[test]
fn signature_vector() {
    let v: Value = serde_json::from_str(VECTOR).unwrap();
    let key = PrivateKey::from_pem(BRAND_KEY).unwrap();
    let public = PublicKey::from_pem(BRAND_PUB).unwrap();
    let ts = v["timestamp"].as_i64().unwrap();
    let nonce = v["nonce_str"].as_str().unwrap();
    for case in v["vectors"].as_array().unwrap() {
        let s = |k: &str| case[k].as_str().unwrap();
        let message = v3::canonical_request(s("method"), s("url"), ts, nonce, s("body").as_bytes());
        assert_eq!(message, s("message").as_bytes());
        let signature = b64(&key.sign(&message).unwrap());
        assert_eq!(signature, s("signature"), "{}", s("url"));
        public
            .verify(&message, &key.sign(&message).unwrap())
            .unwrap();
        let header = Scheme::BRAND.authorization(
            v["brand_id"].as_str().unwrap(),
            v["serial_no"].as_str().unwrap(),
            ts,
            nonce,
            &signature,
        );
        assert_eq!(header, s("authorization"));
    }
}

/// A prepared brand request carries the brand header over what is sent, the public key id in
/// `Wechatpay-Serial`, and verifies with the brand's public key.
#[test]
fn a_prepared_brand_request_is_signed_as_the_brand() {
    let client = Client::builder()
        .brand_id("1001")
        .serial("3493DE0D9BB4EB98A8C65EAA7E8EE887EC24B71A")
        .private_key(BRAND_KEY)
        .public_key("PUB_KEY_ID_0110010000012024000000000000", BRAND_PUB)
        .build()
        .unwrap();
    assert_eq!(client.scheme(), &Scheme::BRAND);
    let prepared = client
        .chain("brand/card-member/pre-auth-tokens")
        .prepare(
            Method::POST,
            json!({"json": {"card_id": "pbLatjvWOibDc5-TBnbUk1pD12o0", "openid": "obLatjnx9gnqzS4myYGmLZ7LgLBA"}}),
        )
        .unwrap();
    let h = |n: &str| prepared.headers()[n].to_str().unwrap().to_string();
    assert_eq!(
        h("wechatpay-serial"),
        "PUB_KEY_ID_0110010000012024000000000000"
    );
    let auth = h("authorization");
    let rest = auth
        .strip_prefix("WECHATPAY-BRAND-SHA256-RSA2048 ")
        .unwrap();
    let keys: Vec<&str> = rest
        .split(',')
        .map(|p| p.split('=').next().unwrap())
        .collect();
    assert_eq!(
        keys,
        [
            "brand_id",
            "nonce_str",
            "timestamp",
            "serial_no",
            "signature"
        ]
    );
    let pair = |k: &str| {
        rest.split(',')
            .find_map(|p| p.strip_prefix(&format!("{k}=\"")))
            .unwrap()
            .trim_end_matches('"')
            .to_string()
    };
    assert_eq!(pair("brand_id"), "1001");
    let message = v3::canonical_request(
        "POST",
        "/brand/card-member/pre-auth-tokens",
        pair("timestamp").parse().unwrap(),
        &pair("nonce_str"),
        prepared.body(),
    );
    let sig = base64::engine::general_purpose::STANDARD
        .decode(pair("signature"))
        .unwrap();
    PublicKey::from_pem(BRAND_PUB)
        .unwrap()
        .verify(&message, &sig)
        .unwrap();
}

/// A merchant client refuses `brand/` and a brand client `v3/` and `v2/`, naming why, before
/// anything is sent: the listener never sees a connection.
#[tokio::test]
async fn a_mix_up_is_refused_before_sending() {
    // A plain listener nobody accepts on: a connection the client made stays in its backlog.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let base = format!(
        "http://127.0.0.1:{}/",
        listener.local_addr().unwrap().port()
    );
    let merchant = Client::builder()
        .mchid("1900000001")
        .serial("1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C")
        .private_key(BRAND_KEY)
        .public_key("PUB_KEY_ID_0119000000012024000000000000", BRAND_PUB)
        .apiv2_secret("0123456789abcdef0123456789abcdef")
        .base_uri(&base)
        .build()
        .unwrap();
    let brand = Client::builder()
        .brand_id("1001")
        .serial("3493DE0D9BB4EB98A8C65EAA7E8EE887EC24B71A")
        .private_key(BRAND_KEY)
        .public_key("PUB_KEY_ID_0119000000012024000000000000", BRAND_PUB)
        .base_uri(&base)
        .build()
        .unwrap();
    let refusals = [
        merchant
            .chain(COUPON)
            .get(json!({"product_coupon_id": "1"}))
            .await,
        chain!(merchant.brand.cardMember.cards).get(json!({})).await,
        brand
            .chain("v3/pay/transactions/id/{transaction_id}")
            .get(json!({"transaction_id": "1"}))
            .await,
        brand
            .chain("v2/pay/orderquery")
            .post(json!({"xml": {"out_trade_no": "1"}}))
            .await,
        brand.chain("v3/certificates").get(json!({})).await,
    ];
    for (i, r) in refusals.into_iter().enumerate() {
        let e = r.unwrap_err();
        assert!(e.is_refused_before_sending(), "{i}: {e}");
        let text = e.to_string();
        assert!(text.contains("401 SIGN_ERROR"), "{i}: {text}");
        if i < 2 {
            assert!(
                text.contains("brand call") && text.contains("brand_id"),
                "{text}"
            );
        } else {
            assert!(
                text.contains("merchant call") && text.contains("as a brand"),
                "{text}"
            );
        }
    }
    // Nothing reached the socket.
    match listener.accept() {
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
        other => panic!("a connection was made: {other:?}"),
    }
}

/// A brand client takes the brand's settings only, each refusal naming the setting.
#[test]
fn the_brand_builder_names_the_setting_at_fault() {
    let base = || {
        Client::builder()
            .brand_id("1001")
            .serial("3493DE0D9BB4EB98A8C65EAA7E8EE887EC24B71A")
            .private_key(BRAND_KEY)
            .public_key("PUB_KEY_ID_0119000000012024000000000000", BRAND_PUB)
    };
    let field = |b: wechatpay::ClientBuilder| match b.build() {
        Err(Error::Config { field, .. }) => field,
        other => panic!("{other:?}"),
    };
    assert_eq!(field(base().mchid("1900000001")), "mchid");
    assert_eq!(field(base().apiv3_key(API_KEY)), "apiv3_key");
    assert_eq!(field(base().apiv2_secret(API_KEY)), "apiv2_secret");
    assert_eq!(field(base().brand_api_key("short")), "brand_api_key");
    assert_eq!(
        field(base().brand_api_key("0123456789abcdef0123456789abcd-_")),
        "brand_api_key"
    );
    assert_eq!(
        field(base().platform_certificate(include_str!("fixtures/client/platform_cert.pem"))),
        "platform_certificate"
    );
    assert_eq!(
        field(Client::builder().brand_id("1001").private_key(BRAND_KEY)),
        "serial"
    );
    assert_eq!(
        field(
            Client::builder()
                .brand_id("1001")
                .serial("3493DE0D9BB4EB98A8C65EAA7E8EE887EC24B71A")
                .private_key(BRAND_KEY)
        ),
        "public_key"
    );
    assert_eq!(
        field(Client::builder().mchid("1900000001").brand_api_key(API_KEY)),
        "brand_api_key"
    );
    let built = base().brand_api_key(API_KEY).build().unwrap();
    let debug = format!("{built:?}");
    assert!(
        debug.contains("brand_id") && !debug.contains(API_KEY),
        "{debug}"
    );
    assert!(built
        .app_pay_params("wx8888888888888888", "wx201410272009395522657a690389285100")
        .is_err());
}
