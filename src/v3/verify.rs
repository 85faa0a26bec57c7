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
    let rel = match path.find("/v3/") {
        Some(i) => &path[i..],
        None => return false,
    };
    const IMAGES: &str = "/v3/merchant-service/images/";
    rel.eq_ignore_ascii_case("/v3/billdownload/file")
        || (rel.len() >= IMAGES.len()
            && rel.is_char_boundary(IMAGES.len())
            && rel[..IMAGES.len()].eq_ignore_ascii_case(IMAGES)
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
    let remote: i64 = ts.trim().parse().map_err(|_| {
        Error::Signature(format!("{TIMESTAMP} `{ts}` is not a Unix timestamp"))
    })?;
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

/// Verifies an APIv3 answer, unless its path is one of the unsigned downloads.
pub(crate) fn verify_response(
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
