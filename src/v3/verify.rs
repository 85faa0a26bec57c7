//! Verifying what WeChat Pay signs: answers and notifications.

use super::sign::canonical_response;
use crate::error::{Error, Result};
use crate::keyring::Keyring;
use base64::Engine;
use http::HeaderMap;

/// The clock window WeChat Pay allows, in seconds, inclusive.
pub(crate) const CLOCK_WINDOW: i64 = 300;

const TIMESTAMP: &str = "Wechatpay-Timestamp";
const NONCE: &str = "Wechatpay-Nonce";
const SIGNATURE: &str = "Wechatpay-Signature";
const SERIAL: &str = "Wechatpay-Serial";
const STATEMENT_SHA1: &str = "Wechatpay-Statement-Sha1";

/// Answers that WeChat Pay sends unsigned: file downloads.
///
/// `path` is the request path as sent (with any base path). The rules are the reference
/// SDK's; they are matched on the path after any base-URI prefix, so a regional base such as
/// `/hk/` does not make a download fail verification.
pub(crate) fn is_exempt(path: &str) -> bool {
    let Some(start) = path
        .as_bytes()
        .windows(4)
        .position(|w| w.eq_ignore_ascii_case(b"/v3/"))
    else {
        return false;
    };
    // `start` is at an ASCII `/`, so slicing there is on a character boundary.
    let rel = &path[start..];
    const IMAGES: &str = "/v3/merchant-service/images/";
    rel.eq_ignore_ascii_case("/v3/billdownload/file")
        || (rel
            .get(..IMAGES.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(IMAGES))
            && !rel.eq_ignore_ascii_case("/v3/merchant-service/images/upload"))
}

/// Checks the four `Wechatpay-*` headers of an answer or notification over `body`.
pub(crate) fn check_signed_headers(
    keyring: &Keyring,
    now: i64,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<()> {
    let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let (ts, nonce, signature, serial) =
        match (get(TIMESTAMP), get(NONCE), get(SIGNATURE), get(SERIAL)) {
            (Some(t), Some(n), Some(s), Some(k)) => (t, n, s, k),
            _ => {
                let missing: Vec<&str> = [TIMESTAMP, NONCE, SIGNATURE, SERIAL]
                    .into_iter()
                    .filter(|h| get(h).is_none())
                    .collect();
                return Err(Error::Signature(format!(
                    "the answer is not signed: header(s) {} missing",
                    missing.join(", ")
                )));
            }
        };
    let remote: i64 = ts
        .trim()
        .parse()
        .map_err(|_| Error::Signature(format!("{TIMESTAMP} `{ts}` is not a Unix timestamp")))?;
    let offset = remote.saturating_sub(now);
    if offset.abs() > CLOCK_WINDOW {
        return Err(Error::ClockSkew {
            remote,
            local: now,
            offset,
        });
    }
    if signature.starts_with("WECHATPAY/SIGNTEST/") {
        return Err(Error::Signature(
            "a WeChat Pay signature probe (WECHATPAY/SIGNTEST/): it never verifies and must be answered with a failure".into(),
        ));
    }
    let verifier = keyring.get(serial).ok_or_else(|| {
        Error::Signature(format!(
            "{SERIAL} `{serial}` names no configured WeChat Pay public key or platform certificate (configured: {})",
            keyring.ids().join(", ")
        ))
    })?;
    let raw = base64::engine::general_purpose::STANDARD
        .decode(signature.trim())
        .map_err(|_| Error::Signature(format!("{SIGNATURE} is not base64")))?;
    verifier
        .verify(&canonical_response(ts, nonce, body), &raw)
        .map_err(|_| Error::Signature(format!("{MISMATCH} with key `{serial}`")))
}

/// The start of the error for a signature that does not match its message.
pub(crate) const MISMATCH: &str = "the signature does not verify over the body";

/// Verifies an APIv3 answer obtained elsewhere (a proxy, a queue, a log), unless its path is one
/// of the unsigned downloads.
///
/// `now` is the local Unix time, `path` the request path as sent (`/v3/...`, with any base path).
/// The client runs the same check on every answer it receives.
///
/// ```
/// use wechatpay::{v3, Keyring};
/// let ring = Keyring::default();
/// let unsigned = wechatpay::http::HeaderMap::new();
/// assert!(v3::verify_response(&ring, 1_700_000_000, "/v3/pay/transactions/id/1", &unsigned, b"{}").is_err());
/// // bill files come unsigned: check them against the signed digest instead
/// assert!(v3::verify_response(&ring, 1_700_000_000, "/v3/billdownload/file", &unsigned, b"csv").is_ok());
/// ```
pub fn verify_response(
    keyring: &Keyring,
    now: i64,
    path: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<()> {
    if is_exempt(path) {
        return Ok(());
    }
    // Overseas statements stream a CSV; WeChat Pay signs its SHA-1 instead of the body.
    let statement = (path.eq_ignore_ascii_case("/hk/v3/statements")
        || path.eq_ignore_ascii_case("/v3/global/statements"))
    .then(|| headers.get(STATEMENT_SHA1).and_then(|v| v.to_str().ok()))
    .flatten()
    .map(|sha1| format!("{{\"sha1\":\"{sha1}\"}}"));
    match statement {
        Some(signed) => check_signed_headers(keyring, now, headers, signed.as_bytes()),
        None => check_signed_headers(keyring, now, headers, body),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::{PrivateKey, PublicKey};
    use http::HeaderValue;

    const KEY: &str = include_str!("../../tests/fixtures/client/wechatpay_key.pem");
    const PUB: &str = include_str!("../../tests/fixtures/client/wechatpay_pub.pem");
    const OTHER: &str = include_str!("../../tests/fixtures/client/merchant_key.pem");
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
        let sha1 = crate::crypto::sha1_hex(&csv);
        assert_eq!(sha1, "9bb6cd819be348f17a9cbcedddc8eb62fefbd790");
        let signed_body = format!("{{\"sha1\":\"{sha1}\"}}");
        let mut h = signed(KEY, NOW, ID, signed_body.as_bytes());
        h.insert(STATEMENT_SHA1, HeaderValue::from_str(&sha1).unwrap());
        verify_response(&r, NOW, "/hk/v3/statements", &h, &csv).unwrap();
        verify_response(&r, NOW, "/v3/global/statements", &h, &csv).unwrap();
        assert!(verify_response(&r, NOW, "/v3/statements", &h, &csv).is_err());
    }

    #[test]
    fn exemptions() {
        assert!(is_exempt("/v3/billdownload/file"));
        assert!(is_exempt("/V3/BillDownload/File"));
        assert!(is_exempt("/hk/v3/billdownload/file"));
        assert!(is_exempt("/v3/MERCHANT-SERVICE/images/abc"));
        assert!(!is_exempt("/v3/merchant-service/images/upload"));
        assert!(!is_exempt("/v3/merchant-service/images/"[..27].as_ref()));
        assert!(!is_exempt("/v3/pay/transactions/id/1"));
        assert!(!is_exempt("/v3/billdownload/file/x"));
    }
}
