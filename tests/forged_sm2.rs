//! Forged 国密 answers and notifications (feature `shangmi`), in the style of `forged_v3.rs`:
//! one row per way to tamper, each with the error it must give, through `v3::verify_response`
//! and through the notification parser.

use base64::Engine;
use serde_json::json;
use std::sync::Arc;
use wechatpay::crypto::sm::{sm4_gcm_encrypt, Sm2PrivateKey};
use wechatpay::crypto::{PrivateKey, PublicKey, Signer};
use wechatpay::http::{HeaderMap, HeaderValue};
use wechatpay::notify::NotificationParser;
use wechatpay::{v3, Error, Keyring};

const WECHATPAY_KEY: &str = include_str!("fixtures/client/wechatpay_key.pem");
const WECHATPAY_PUB: &str = include_str!("fixtures/client/wechatpay_pub.pem");
const PUB_ID: &str = "PUB_KEY_ID_0119000000012024000000000000";
const SM2_SERIAL: &str = "5157F09EFDC096DE15EBE81A47057A72";
const APIV3: &[u8] = b"0123456789abcdef0123456789abcdef";
const NONCE: &str = "5K8264ILTKCH16CQ2502SI8ZNMTM67VS";
const NOW: i64 = 1_700_000_000;
const SM2: &str = "WECHATPAY2-SM2-WITH-SM3";
const RSA: &str = "WECHATPAY2-SHA256-RSA2048";

/// WeChat Pay's two keys: an SM2 one (国密 certificate serial) and an RSA one.
fn keys() -> (Sm2PrivateKey, Keyring) {
    let sm2 = Sm2PrivateKey::generate().unwrap();
    let ring = Keyring::default();
    ring.insert_verifier(SM2_SERIAL, Arc::new(sm2.public_key()));
    ring.insert_key(PUB_ID, PublicKey::from_pem(WECHATPAY_PUB).unwrap(), None);
    (sm2, ring)
}

fn headers(signer: &dyn Signer, serial: &str, kind: Option<&str>, signed: &[u8]) -> HeaderMap {
    let ts = NOW.to_string();
    let message = v3::canonical_response(&ts, NONCE, signed);
    let signature =
        base64::engine::general_purpose::STANDARD.encode(signer.sign(&message).unwrap());
    let mut h = HeaderMap::new();
    for (name, value) in [
        ("Wechatpay-Timestamp", ts),
        ("Wechatpay-Nonce", NONCE.to_string()),
        ("Wechatpay-Serial", serial.to_string()),
        ("Wechatpay-Signature", signature),
    ] {
        h.insert(name, HeaderValue::from_str(&value).unwrap());
    }
    if let Some(kind) = kind {
        h.insert(
            "Wechatpay-Signature-Type",
            HeaderValue::from_str(kind).unwrap(),
        );
    }
    h
}

#[test]
fn forged_sm2_answers_are_refused_by_name() {
    let (sm2, ring) = keys();
    let rsa = PrivateKey::from_pem(WECHATPAY_KEY).unwrap();
    let body = br#"{"trade_state":"SUCCESS"}"#;
    let path = "/v3/pay/transactions/id/4200000000000000000";
    // (row, headers, what the error must say; None: accepted)
    let rows: Vec<(&str, HeaderMap, Option<&str>)> = vec![
        ("SM2-signed, typed SM2", headers(&sm2, SM2_SERIAL, Some(SM2), body), None),
        (
            "bad signature: SM2 over another body",
            headers(&sm2, SM2_SERIAL, Some(SM2), b"{}"),
            Some("does not verify over the body"),
        ),
        (
            "bad signature: another SM2 key",
            headers(&Sm2PrivateKey::generate().unwrap(), SM2_SERIAL, Some(SM2), body),
            Some("does not verify over the body"),
        ),
        (
            "wrong type name: lower case",
            headers(&sm2, SM2_SERIAL, Some("wechatpay2-sm2-with-sm3"), body),
            Some("`wechatpay2-sm2-with-sm3` is not a signature type"),
        ),
        (
            "wrong type name: SM2 without SM3",
            headers(&sm2, SM2_SERIAL, Some("WECHATPAY2-SM2"), body),
            Some("`WECHATPAY2-SM2` is not a signature type"),
        ),
        (
            "RSA-signed with the RSA key but typed SM2",
            headers(&rsa, PUB_ID, Some(SM2), body),
            Some("names WECHATPAY2-SM2-WITH-SM3, but `PUB_KEY_ID_0119000000012024000000000000` is an RSA key"),
        ),
        (
            "RSA-signed, typed SM2, under the SM2 serial",
            headers(&rsa, SM2_SERIAL, Some(SM2), body),
            Some("does not verify over the body"),
        ),
        (
            "SM2-signed but typed RSA",
            headers(&sm2, SM2_SERIAL, Some(RSA), body),
            Some("names WECHATPAY2-SHA256-RSA2048, but `5157F09EFDC096DE15EBE81A47057A72` is an SM2 (国密) key"),
        ),
        (
            "SM2-signed with no type (absent means RSA)",
            headers(&sm2, SM2_SERIAL, None, body),
            Some("is an SM2 (国密) key"),
        ),
    ];
    for (row, h, expect) in rows {
        let got = v3::verify_response(&ring, NOW, path, &h, body);
        match expect {
            None => assert!(got.is_ok(), "{row}: {got:?}"),
            Some(says) => match got {
                Err(Error::Signature(m)) => assert!(m.contains(says), "{row}: {m}"),
                other => panic!("{row}: {other:?}"),
            },
        }
    }
}

#[test]
fn sm2_notifications_verify_then_open_with_sm4() {
    let (sm2, ring) = keys();
    let plain = json!({ "out_trade_no": "SM1", "trade_state": "SUCCESS" }).to_string();
    let envelope = |algorithm: &str, ciphertext: String| {
        json!({ "id": "EV-1", "create_time": "2026-01-01T00:00:00+08:00", "event_type": "TRANSACTION.SUCCESS",
            "resource_type": "encrypt-resource", "summary": "支付成功",
            "resource": { "original_type": "transaction", "algorithm": algorithm, "ciphertext": ciphertext,
                "associated_data": "transaction", "nonce": "0123456789ab" } })
        .to_string()
    };
    let sealed = sm4_gcm_encrypt(APIV3, b"0123456789ab", b"transaction", plain.as_bytes()).unwrap();
    let good = envelope("AEAD_SM4_GCM", sealed.clone());
    let parser = NotificationParser::new(&ring, APIV3);
    let n = parser
        .parse_at(
            &headers(&sm2, SM2_SERIAL, Some(SM2), good.as_bytes()),
            good.as_bytes(),
            NOW,
        )
        .unwrap();
    assert_eq!(n.resource["out_trade_no"], "SM1");
    // Sealed SM4 but named AES: the AES key opens nothing.
    let misnamed = envelope("AEAD_AES_256_GCM", sealed);
    let e = parser
        .parse_at(
            &headers(&sm2, SM2_SERIAL, Some(SM2), misnamed.as_bytes()),
            misnamed.as_bytes(),
            NOW,
        )
        .unwrap_err();
    assert!(matches!(e, Error::Crypto(_)), "{e:?}");
    // RSA-signed but typed SM2: refused before decrypting.
    let rsa = PrivateKey::from_pem(WECHATPAY_KEY).unwrap();
    let e = parser
        .parse_at(
            &headers(&rsa, PUB_ID, Some(SM2), good.as_bytes()),
            good.as_bytes(),
            NOW,
        )
        .unwrap_err()
        .to_string();
    assert!(e.contains("is an RSA key"), "{e}");
}
