//! The client without a network: configuration errors, the chain forms, signing, secrets.

use base64::Engine;
use serde_json::json;
use wechatpay::crypto::PublicKey;
use wechatpay::http::Method;
use wechatpay::{chain, Client, ClientBuilder, Error};

const MERCHANT_KEY: &str = include_str!("fixtures/client/merchant_key.pem");
const MERCHANT_PUB: &str = include_str!("fixtures/client/merchant_pub.pem");
const MERCHANT_CERT: &str = include_str!("fixtures/client/merchant_cert.pem");
const WECHATPAY_PUB: &str = include_str!("fixtures/client/wechatpay_pub.pem");
const PLATFORM_CERT: &str = include_str!("fixtures/client/platform_cert.pem");
const SERIAL: &str = "1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C";
const PUB_ID: &str = "PUB_KEY_ID_0119000000012024000000000000";

fn builder() -> ClientBuilder {
    Client::builder()
        .mchid("1900000001")
        .serial(SERIAL)
        .private_key(MERCHANT_KEY)
        .public_key(PUB_ID, WECHATPAY_PUB)
}

fn config_error(b: ClientBuilder) -> (&'static str, String) {
    match b.build() {
        Err(Error::Config { field, reason }) => (field, reason),
        other => panic!("expected a configuration error, got {other:?}"),
    }
}

#[test]
fn public_key_and_certificate_together() {
    let client = builder()
        .platform_certificate(PLATFORM_CERT)
        .build()
        .unwrap();
    assert_eq!(
        client.keyring().ids(),
        vec![
            "5157F09EFDC096DE15EBE81A47057A7232F1B8E1".to_string(),
            PUB_ID.to_string()
        ]
    );
}

#[test]
fn merchant_serial_among_platform_keys_is_the_newcomer_error() {
    let (field, reason) = config_error(builder().public_key(SERIAL, WECHATPAY_PUB));
    assert_eq!(field, "serial");
    assert!(reason.contains("merchant API certificate"), "{reason}");
    let (field, reason) = config_error(builder().platform_certificate(MERCHANT_CERT));
    assert_eq!(field, "platform_certificate");
    assert!(reason.contains("apiclient_cert.pem"), "{reason}");
}

#[test]
fn unusable_keys_name_the_setting_and_the_form() {
    let (field, reason) = config_error(builder().private_key(MERCHANT_CERT));
    assert_eq!(field, "private_key");
    assert!(reason.to_lowercase().contains("certificate"), "{reason}");
    let (field, _) = config_error(builder().private_key(MERCHANT_PUB));
    assert_eq!(field, "private_key");
    let (field, reason) = config_error(builder().private_key("not a key"));
    assert_eq!(field, "private_key");
    assert!(!reason.is_empty());
    let (field, reason) = config_error(builder().public_key("PUB_KEY_ID_X", MERCHANT_KEY));
    assert_eq!(field, "public_key");
    assert!(reason.contains("PUB_KEY_ID_X"), "{reason}");
}

#[test]
fn whitespace_in_serial_mchid_or_key_id_is_refused() {
    for (b, want) in [
        (builder().serial(format!("{SERIAL}\n")), "serial"),
        (builder().mchid("1900000001 "), "mchid"),
        (
            builder().public_key("PUB_KEY_ID_1\n", WECHATPAY_PUB),
            "public_key",
        ),
    ] {
        let (field, reason) = config_error(b);
        assert_eq!(field, want, "{reason}");
    }
}

#[test]
fn v3_needs_a_way_to_verify_answers() {
    let b = Client::builder()
        .mchid("1900000001")
        .serial(SERIAL)
        .private_key(MERCHANT_KEY);
    let (field, _) = config_error(b);
    assert_eq!(field, "public_key");
    // the APIv3 key alone is enough: certificates can be downloaded
    Client::builder()
        .mchid("1900000001")
        .serial(SERIAL)
        .private_key(MERCHANT_KEY)
        .apiv3_key("0123456789abcdef0123456789abcdef")
        .build()
        .unwrap();
    let (field, _) = config_error(builder().apiv3_key("short"));
    assert_eq!(field, "apiv3_key");
}

#[test]
fn apiv2_only_clients_need_no_v3_material() {
    let client = Client::builder()
        .mchid("10000100")
        .apiv2_secret("192006250b4c09247ec02edce69f6a2d")
        .build()
        .unwrap();
    let req = client["v2/pay/orderquery"]
        .prepare(
            Method::POST,
            json!({"xml": {"appid": "wxd930ea5d5a258f4f", "mch_id": "10000100"}}),
        )
        .unwrap();
    assert!(std::str::from_utf8(req.body()).unwrap().contains("<sign>"));
    let e = client
        .v3()
        .seg("certificates")
        .prepare(Method::GET, json!({}))
        .unwrap_err();
    assert!(matches!(e, Error::NotConfigured(_)), "{e}");
}

#[test]
fn secrets_never_show_in_debug() {
    let client = builder()
        .apiv2_secret("192006250b4c09247ec02edce69f6a2d")
        .apiv3_key("0123456789abcdef0123456789abcdef")
        .build()
        .unwrap();
    let text = format!("{client:?} {:?}", client.clone());
    assert!(!text.contains("192006250b4c09247ec02edce69f6a2d"), "{text}");
    assert!(!text.contains("0123456789abcdef0123456789abcdef"), "{text}");
    assert!(!text.contains("MII"), "{text}");
    assert!(text.contains("1900000001"));
}

#[test]
fn all_forms_build_the_same_signed_request() {
    let client = builder().build().unwrap();
    let args = json!({ "out_bill_no": "plfk2020042013", "json": { "sub_mchid": "1900001109" } });
    let forms = [
        chain!(client.v3.platsolution.ecommerce.mchTransfer.insuranceClaimBills.outBillNo._out_bill_no_.cancel),
        client.v3().seg("platsolution").seg("ecommerce").seg("mchTransfer").seg("insuranceClaimBills")
            .seg("outBillNo").seg("_out_bill_no_").seg("cancel"),
        client.chain("v3/platsolution/ecommerce/mch-transfer/insurance-claim-bills/out-bill-no/{out_bill_no}/cancel"),
        client["v3/platsolution/ecommerce/mch-transfer/insurance-claim-bills/out-bill-no/{out_bill_no}/cancel"].clone(),
    ];
    let merchant = PublicKey::from_pem(MERCHANT_PUB).unwrap();
    for chain in forms {
        let req = chain.prepare(Method::POST, args.clone()).unwrap();
        assert_eq!(
            req.url().as_str(),
            "https://api.mch.weixin.qq.com/v3/platsolution/ecommerce/mch-transfer/insurance-claim-bills/out-bill-no/plfk2020042013/cancel"
        );
        assert_eq!(req.body(), br#"{"sub_mchid":"1900001109"}"#);
        let h = req.headers();
        assert_eq!(h["content-type"], "application/json");
        assert!(h["accept"]
            .to_str()
            .unwrap()
            .starts_with("application/json"));
        assert!(h["user-agent"]
            .to_str()
            .unwrap()
            .starts_with(concat!("wechatpay-rust/", env!("CARGO_PKG_VERSION"))));
        // The Authorization header signs exactly what is sent.
        let auth = h["authorization"].to_str().unwrap();
        let fields: std::collections::HashMap<&str, &str> = auth
            .strip_prefix("WECHATPAY2-SHA256-RSA2048 ")
            .unwrap()
            .split(',')
            .map(|kv| {
                let (k, v) = kv.split_once('=').unwrap();
                (k, v.trim_matches('"'))
            })
            .collect();
        assert_eq!(fields["mchid"], "1900000001");
        assert_eq!(fields["serial_no"], SERIAL);
        assert_eq!(fields["nonce_str"].len(), 32);
        let message = wechatpay::v3::canonical_request(
            "POST",
            &req.url()[url::Position::BeforePath..],
            fields["timestamp"].parse().unwrap(),
            fields["nonce_str"],
            req.body(),
        );
        let sig = base64::engine::general_purpose::STANDARD
            .decode(fields["signature"])
            .unwrap();
        merchant.verify(&message, &sig).unwrap();
    }
}

#[test]
fn keywords_and_verbs_are_path_words() {
    let client = builder().build().unwrap();
    assert_eq!(
        chain!(client.v3.profitsharing.receivers.delete).template(),
        "v3/profitsharing/receivers/delete"
    );
    assert_eq!(chain!(client.v3.r#use.r#try).template(), "v3/use/try");
    assert_eq!(
        chain!(client.v3.secapi.mch.addInstitutionsub).template(),
        "v3/secapi/mch/add-institutionsub"
    );
    assert_eq!(
        client.chain("v2/secapi/mch/addInstitutionsub").template(),
        "v2/secapi/mch/addInstitutionsub"
    );
    let base = client.v3().seg("pay");
    assert_eq!(
        chain!(base.transactions.h5Presign).template(),
        "v3/pay/transactions/h5-presign"
    );
}

#[test]
fn headers_query_and_base_uri_options() {
    let client = builder()
        .base_uri("https://api.mch.weixin.qq.com/hk/")
        .build()
        .unwrap();
    let req = client
        .chain("v3/statements")
        .prepare(Method::GET, json!({"query": {"bill_date": "2024-01-01", "page": 1, "detail": true}, "headers": {"Idempotency-Key": "k1"}}))
        .unwrap();
    assert_eq!(
        req.url().as_str(),
        "https://api.mch.weixin.qq.com/hk/v3/statements?bill_date=2024-01-01&page=1&detail=true"
    );
    assert_eq!(req.headers()["idempotency-key"], "k1");
    let req = client
        .chain("v3/global/statements")
        .prepare(
            Method::GET,
            json!({"base_uri": "https://apihk.mch.weixin.qq.com/"}),
        )
        .unwrap();
    assert_eq!(
        req.url().as_str(),
        "https://apihk.mch.weixin.qq.com/v3/global/statements"
    );
    let req = client.chain("{+p}").prepare(
        Method::POST,
        json!({"p": "v2/pay/orderquery", "xml": {"mch_id": "1900000001"}}),
    );
    // {+p} expanding to v2/... goes to APIv2, which needs the secret this client lacks
    assert!(matches!(req, Err(Error::NotConfigured(_))), "{req:?}");
}

/// A remote signer (HSM, KMS) plugs in through the `Signer` trait; the client never sees the key.
#[test]
fn a_remote_signer_signs_every_request() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    struct Remote {
        key: wechatpay::crypto::PrivateKey,
        calls: AtomicUsize,
    }
    impl wechatpay::crypto::Signer for Remote {
        fn sign(&self, message: &[u8]) -> wechatpay::Result<Vec<u8>> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            self.key.sign(message)
        }
    }
    let remote = Arc::new(Remote {
        key: wechatpay::crypto::PrivateKey::from_pem(MERCHANT_KEY).unwrap(),
        calls: AtomicUsize::new(0),
    });
    let client = Client::builder()
        .mchid("1900000001")
        .serial(SERIAL)
        .signer(remote.clone())
        .public_key(PUB_ID, WECHATPAY_PUB)
        .build()
        .unwrap();
    for _ in 0..3 {
        client
            .v3()
            .seg("certificates")
            .prepare(Method::GET, json!({}))
            .unwrap();
    }
    assert_eq!(remote.calls.load(Ordering::SeqCst), 3);
    // Without the key itself, decrypting sensitive fields says why it cannot.
    assert!(matches!(
        client.decrypt("AAAA"),
        Err(Error::NotConfigured(_))
    ));
}

const EXPIRED_CERT: &str = include_str!("fixtures/v3/platform_expired.pem");
const FUTURE_CERT: &str = include_str!("fixtures/v3/platform_future.pem");

/// `PublicKey::load` takes a certificate's key; `public_key(id, …)` then holds it to the
/// certificate's validity, as `platform_certificate` does, whatever form it came in.
#[test]
fn a_certificate_given_to_public_key_is_held_to_its_validity() {
    let b64 = |pem: &str| -> String { pem.lines().filter(|l| !l.starts_with("-----")).collect() };
    let der = base64::engine::general_purpose::STANDARD
        .decode(b64(EXPIRED_CERT))
        .unwrap();
    let dir = std::env::temp_dir().join(format!("wechatpay-expired-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("expired.pem");
    std::fs::write(&file, EXPIRED_CERT).unwrap();
    let by_file = format!("file://{}", file.display());
    let bare = b64(EXPIRED_CERT);
    let cases: [(&[u8], &str, &str); 5] = [
        (EXPIRED_CERT.as_bytes(), "expired", "2021-01-01T00:00:00Z"),
        (bare.as_bytes(), "expired", "2021-01-01T00:00:00Z"),
        (&der, "expired", "2021-01-01T00:00:00Z"),
        (by_file.as_bytes(), "expired", "2021-01-01T00:00:00Z"),
        (
            FUTURE_CERT.as_bytes(),
            "not yet valid",
            "2091-01-01T00:00:00Z",
        ),
    ];
    for (input, when, not_after) in cases {
        let (field, reason) =
            config_error(builder().public_key("PUB_KEY_ID_0000000000000001", input));
        assert_eq!(field, "public_key", "{reason}");
        assert!(
            reason.contains("PUB_KEY_ID_0000000000000001")
                && reason.contains(when)
                && reason.contains(&format!("{not_after} (notAfter)")),
            "{reason}"
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
    // A current certificate, and a bare key, still build.
    builder()
        .public_key("PUB_KEY_ID_0000000000000002", PLATFORM_CERT)
        .build()
        .unwrap();
    // Same words from `platform_certificate`.
    let (field, reason) = config_error(builder().platform_certificate(EXPIRED_CERT));
    assert_eq!(field, "platform_certificate");
    assert!(
        reason.contains("2021-01-01T00:00:00Z (notAfter)"),
        "{reason}"
    );
}

#[test]
fn the_signed_authorization_header_is_sensitive() {
    // Never indexed by HTTP/2's header compression, and `Sensitive` in a `Debug` print.
    let client = builder().build().unwrap();
    let prepared = client
        .chain("v3/pay/transactions/out-trade-no/{out_trade_no}")
        .prepare(
            Method::GET,
            json!({"out_trade_no": "N1", "query": {"mchid": "1900000001"}}),
        )
        .unwrap();
    let value = &prepared.headers()["authorization"];
    assert!(value.is_sensitive());
    assert!(!format!("{:?}", prepared.headers()).contains("signature="));
    let mut presigned = prepared.clone();
    presigned
        .set_authorization("WECHATPAY2-SHA256-RSA2048 mchid=\"1\"")
        .unwrap();
    assert!(presigned.headers()["authorization"].is_sensitive());
}
