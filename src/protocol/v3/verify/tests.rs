use super::*;
use crate::keys::crypto::{PrivateKey, PublicKey};
use http::HeaderValue;

const KEY: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/client/wechatpay_key.pem"
));
const PUB: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/client/wechatpay_pub.pem"
));
const OTHER: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/client/merchant_key.pem"
));
const ID: &str = "PUB_KEY_ID_0119000000012024000000000000";
const NOW: i64 = 1_700_000_000;

fn ring() -> Keyring {
    let ring = Keyring::default();
    ring.insert_key(ID, PublicKey::from_pem(PUB).unwrap(), None);
    ring
}

fn signed(key: &str, ts: i64, serial: &str, body: &[u8]) -> HeaderMap {
    let key = PrivateKey::from_pem(key).unwrap();
    let sig = key
        .sign(&canonical_response(&ts.to_string(), "NONCE123", body))
        .unwrap();
    let mut h = HeaderMap::new();
    h.insert(TIMESTAMP, HeaderValue::from_str(&ts.to_string()).unwrap());
    h.insert(NONCE, HeaderValue::from_static("NONCE123"));
    h.insert(SERIAL, HeaderValue::from_str(serial).unwrap());
    h.insert(
        SIGNATURE,
        HeaderValue::from_str(&base64::engine::general_purpose::STANDARD.encode(sig)).unwrap(),
    );
    h
}

#[test]
fn good_answer_verifies() {
    let body = br#"{"state":"SUCCESS"}"#;
    verify_response(&ring(), NOW, "/v3/x", &signed(KEY, NOW, ID, body), body).unwrap();
    // the window is inclusive at 300 s
    verify_response(
        &ring(),
        NOW,
        "/v3/x",
        &signed(KEY, NOW - 300, ID, body),
        body,
    )
    .unwrap();
    verify_response(
        &ring(),
        NOW,
        "/v3/x",
        &signed(KEY, NOW + 300, ID, body),
        body,
    )
    .unwrap();
}

#[test]
fn forged_tampered_unsigned_stale_unknown_are_refused() {
    let body = br#"{"state":"SUCCESS"}"#;
    let r = ring();
    let forged = verify_response(&r, NOW, "/v3/x", &signed(OTHER, NOW, ID, body), body);
    assert!(
        matches!(forged, Err(Error::Signature(ref m)) if m.starts_with(MISMATCH)),
        "{forged:?}"
    );
    let tampered = verify_response(
        &r,
        NOW,
        "/v3/x",
        &signed(KEY, NOW, ID, body),
        br#"{"state":"CLOSED"}"#,
    );
    assert!(matches!(tampered, Err(Error::Signature(_))));
    let unsigned = verify_response(&r, NOW, "/v3/x", &HeaderMap::new(), body);
    assert!(
        matches!(unsigned, Err(Error::Signature(ref m)) if m.contains("Wechatpay-Serial")),
        "{unsigned:?}"
    );
    let stale = verify_response(&r, NOW, "/v3/x", &signed(KEY, NOW - 301, ID, body), body);
    assert!(
        matches!(stale, Err(Error::ClockSkew { offset: -301, .. })),
        "{stale:?}"
    );
    let future = verify_response(&r, NOW, "/v3/x", &signed(KEY, NOW + 301, ID, body), body);
    assert!(matches!(future, Err(Error::ClockSkew { offset: 301, .. })));
    let unknown = verify_response(
        &r,
        NOW,
        "/v3/x",
        &signed(KEY, NOW, "PUB_KEY_ID_OTHER", body),
        body,
    );
    assert!(
        matches!(unknown, Err(Error::Signature(ref m)) if m.contains("PUB_KEY_ID_OTHER")),
        "{unknown:?}"
    );
    let mut probe = signed(KEY, NOW, ID, body);
    probe.insert(
        SIGNATURE,
        HeaderValue::from_static("WECHATPAY/SIGNTEST/abc"),
    );
    assert!(
        matches!(verify_response(&r, NOW, "/v3/x", &probe, body), Err(Error::Signature(ref m)) if m.contains("SIGNTEST"))
    );
    let mut garbage = signed(KEY, NOW, ID, body);
    garbage.insert(TIMESTAMP, HeaderValue::from_static("abc"));
    assert!(matches!(
        verify_response(&r, NOW, "/v3/x", &garbage, body),
        Err(Error::Signature(_))
    ));
}

#[test]
fn exempt_downloads_pass_unsigned_and_statements_sign_their_digest() {
    let r = ring();
    verify_response(&r, NOW, "/v3/billdownload/file", &HeaderMap::new(), b"csv").unwrap();
    verify_response(
        &r,
        NOW,
        "/v3/merchant-service/images/abc",
        &HeaderMap::new(),
        b"png",
    )
    .unwrap();
    assert!(verify_response(
        &r,
        NOW,
        "/v3/merchant-service/images/upload",
        &HeaderMap::new(),
        b"{}"
    )
    .is_err());
    let csv = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/bill.ALL.csv"
    ))
    .unwrap();
    let sha1 = crate::keys::crypto::sha1_hex(&csv);
    assert_eq!(sha1, "9bb6cd819be348f17a9cbcedddc8eb62fefbd790");
    let signed_body = format!("{{\"sha1\":\"{sha1}\"}}");
    let mut h = signed(KEY, NOW, ID, signed_body.as_bytes());
    h.insert(STATEMENT_SHA1, HeaderValue::from_str(&sha1).unwrap());
    verify_response(&r, NOW, "/hk/v3/statements", &h, &csv).unwrap();
    verify_response(&r, NOW, "/v3/global/statements", &h, &csv).unwrap();
    assert!(verify_response(&r, NOW, "/v3/statements", &h, &csv).is_err());
}

#[test]
fn timestamps_are_plain_decimals_and_never_overflow_the_window() {
    let body = b"{}";
    let r = ring();
    let at = |ts: &str| {
        let mut h = signed(KEY, NOW, ID, body);
        h.insert(TIMESTAMP, HeaderValue::from_str(ts).unwrap());
        verify_response(&r, NOW, "/v3/x", &h, body)
    };
    for ts in [
        "-9223372036854775808",
        "+1700000000",
        " 1700000000",
        "1700000000 ",
        "01700000000",
        "1e9",
        "1700000000.0",
        "123456789012345678901234567890",
        "9999999999999999999",
        "-1",
    ] {
        assert!(
            matches!(at(ts), Err(Error::Signature(ref m)) if m.contains("not a Unix timestamp")),
            "{ts}: {:?}",
            at(ts)
        );
    }
    let max = at("9223372036854775807");
    assert!(
        matches!(max, Err(Error::ClockSkew { remote: i64::MAX, offset, .. }) if offset == i64::MAX - NOW),
        "{max:?}"
    );
    assert!(matches!(at("5"), Err(Error::ClockSkew { remote: 5, .. })));
    assert!(matches!(at("0"), Err(Error::ClockSkew { remote: 0, .. })));
    // The local clock at the extremes: the difference is computed without overflow.
    let h = signed(KEY, NOW, ID, body);
    for now in [i64::MIN, i64::MAX] {
        assert!(
            matches!(
                verify_response(&r, now, "/v3/x", &h, body),
                Err(Error::ClockSkew { .. })
            ),
            "{now}"
        );
    }
}

#[test]
fn duplicated_or_empty_signature_headers_are_refused() {
    let body = b"{}";
    let r = ring();
    for name in [TIMESTAMP, NONCE, SIGNATURE, SERIAL] {
        let mut h = signed(KEY, NOW, ID, body);
        let value = h[name].clone();
        h.append(name, value);
        let e = verify_response(&r, NOW, "/v3/x", &h, body);
        assert!(
            matches!(e, Err(Error::Signature(ref m)) if m.contains(name) && m.contains("2 times")),
            "{e:?}"
        );
        let mut h = signed(KEY, NOW, ID, body);
        h.insert(name, HeaderValue::from_static(""));
        let e = verify_response(&r, NOW, "/v3/x", &h, body);
        assert!(
            matches!(e, Err(Error::Signature(ref m)) if m == &format!("header {name} is empty")),
            "{e:?}"
        );
    }
}

#[test]
fn statements_verify_the_signed_digest_and_the_body_against_it() {
    let r = ring();
    let csv = b"date,amount\r\n2019-12-01,100\r\n".as_slice();
    let sha1 = crate::keys::crypto::sha1_hex(csv);
    let with = |sha1: &str| {
        let mut h = signed(KEY, NOW, ID, format!("{{\"sha1\":\"{sha1}\"}}").as_bytes());
        h.insert(STATEMENT_SHA1, HeaderValue::from_str(sha1).unwrap());
        h
    };
    verify_response(&r, NOW, "/v3/global/statements", &with(&sha1), csv).unwrap();
    let upper = sha1.to_uppercase();
    verify_response(&r, NOW, "/hk/v3/statements", &with(&upper), csv).unwrap();
    let replaced = verify_response(&r, NOW, "/v3/global/statements", &with(&sha1), b"x,1\r\n");
    assert!(
        matches!(replaced, Err(Error::Signature(ref m)) if m.contains("replaced") && m.contains(&sha1)),
        "{replaced:?}"
    );
    let mut twice = with(&sha1);
    twice.append(STATEMENT_SHA1, HeaderValue::from_str(&sha1).unwrap());
    assert!(matches!(
        verify_response(&r, NOW, "/v3/global/statements", &twice, csv),
        Err(Error::Signature(ref m)) if m.contains(STATEMENT_SHA1)
    ));
    let quote = verify_response(&r, NOW, "/v3/global/statements", &with("a\",\"b"), csv);
    assert!(matches!(quote, Err(Error::Signature(ref m)) if m.contains("40 hex")));
    // Without the header a statement is an ordinary answer, signed over its body.
    let plain = signed(KEY, NOW, ID, csv);
    verify_response(&r, NOW, "/v3/global/statements", &plain, csv).unwrap();
    assert!(verify_response(&r, NOW, "/v3/global/statements", &plain, b"x").is_err());
}
