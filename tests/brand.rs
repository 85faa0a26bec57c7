//! The brand API (`WECHATPAY-BRAND-SHA256-RSA2048`, `brand/…`): the signature vector made with a
//! generated test key, a brand client in every chain form against the emulator, the emulator's
//! parser taking the pairs in any order, merchant/brand mix-ups refused before anything is sent,
//! forged brand answers refused, and a product-coupon notification opened with the brand API key.
#![cfg(feature = "mock")]

use base64::Engine;
use serde_json::{json, Value};
use wechatpay::crypto::{PrivateKey, PublicKey};
use wechatpay::http::Method;
use wechatpay::mock::{Brand, Fault, Mode, Server};
use wechatpay::v3::{self, Scheme};
use wechatpay::{chain, Client, Error};
use zeroize::Zeroizing;

const BRAND_KEY: &str = include_str!("fixtures/brand/brand_key.pem");
const BRAND_PUB: &str = include_str!("fixtures/brand/brand_pub.pem");
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
