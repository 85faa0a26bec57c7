//! Verifying what WeChat Pay signs: answers and notifications.

use super::paths::{is_exempt, is_statement};
use super::sign::canonical_response;
use super::signature_type::SignatureType;
use crate::error::{Error, Result};
use crate::keys::keyring::Keyring;
use base64::Engine;
use http::HeaderMap;

/// The clock window WeChat Pay allows, in seconds, inclusive.
pub(crate) const CLOCK_WINDOW: u64 = 300;

const TIMESTAMP: &str = "Wechatpay-Timestamp";
const NONCE: &str = "Wechatpay-Nonce";
const SIGNATURE: &str = "Wechatpay-Signature";
const SERIAL: &str = "Wechatpay-Serial";
const STATEMENT_SHA1: &str = "Wechatpay-Statement-Sha1";

/// The start of the error for a signature that does not match its message.
pub(crate) const MISMATCH: &str = "the signature does not verify over the body";

/// The one value of a signature header, `None` when absent. Twice is refused: which of two
/// values was signed is a guess, and a verifier that guesses can be steered.
fn single<'h>(headers: &'h HeaderMap, name: &str) -> Result<Option<&'h str>> {
    let mut values = headers.get_all(name).iter();
    let Some(first) = values.next() else {
        return Ok(None);
    };
    let more = values.count();
    if more > 0 {
        return Err(Error::Signature(format!(
            "header {name} appears {} times: an answer with ambiguous signature headers is not verified",
            more + 1
        )));
    }
    let value = first
        .to_str()
        .map_err(|_| Error::Signature(format!("header {name} is not visible ASCII")))?;
    if value.is_empty() {
        return Err(Error::Signature(format!("header {name} is empty")));
    }
    Ok(Some(value))
}

/// A `Wechatpay-Timestamp` in the only form WeChat Pay writes: decimal digits, no sign, no
/// spaces, no leading zero, at most 19 digits (and within `i64`). The signature covers the
/// text, so any other spelling of the same number is refused rather than normalised.
fn parse_timestamp(ts: &str) -> Option<i64> {
    let plain = !ts.is_empty()
        && ts.len() <= 19
        && ts.bytes().all(|b| b.is_ascii_digit())
        && !(ts.len() > 1 && ts.starts_with('0'));
    plain.then(|| ts.parse().ok()).flatten()
}

/// Checks the four `Wechatpay-*` headers of an answer or notification over `body`, after
/// `Wechatpay-Signature-Type` (absent: RSA) names an algorithm this client verifies.
pub(crate) fn check_signed_headers(
    keyring: &Keyring,
    now: i64,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<()> {
    // First: the type says how the other headers are to be read, and an algorithm the client
    // does not implement must be named as such, not reported as a signature that does not verify.
    let kind = SignatureType::of(headers)?.check()?;
    let missing: Vec<&str> = [TIMESTAMP, NONCE, SIGNATURE, SERIAL]
        .into_iter()
        .filter(|h| !headers.contains_key(*h))
        .collect();
    if !missing.is_empty() {
        return Err(Error::Signature(format!(
            "the answer is not signed: header(s) {} missing",
            missing.join(", ")
        )));
    }
    let [ts, nonce, signature, serial] = [TIMESTAMP, NONCE, SIGNATURE, SERIAL]
        .map(|name| single(headers, name).map(Option::unwrap_or_default));
    let (ts, nonce, signature, serial) = (ts?, nonce?, signature?, serial?);
    let remote = parse_timestamp(ts).ok_or_else(|| {
        Error::Signature(format!(
            "{TIMESTAMP} `{}` is not a Unix timestamp (decimal digits only: no sign, spaces or \
             leading zero, at most 19)",
            ts.escape_debug()
        ))
    })?;
    // abs_diff cannot overflow: `i64::MIN - now` would, and in release it would wrap and pass.
    if remote.abs_diff(now) > CLOCK_WINDOW {
        return Err(Error::ClockSkew {
            remote,
            local: now,
            offset: remote.saturating_sub(now),
        });
    }
    if signature.starts_with("WECHATPAY/SIGNTEST/") {
        return Err(Error::Signature(
            "a WeChat Pay signature probe (WECHATPAY/SIGNTEST/): it never verifies and must be answered with a failure".into(),
        ));
    }
    let verifier = keyring.verifier_at(serial, now)?;
    let raw = base64::engine::general_purpose::STANDARD
        .decode(signature)
        .map_err(|_| {
            Error::Signature(format!(
                "{SIGNATURE} is not base64 (standard alphabet, padded, no whitespace)"
            ))
        })?;
    // The type is not signed: a key of another algorithm is never tried, so an RSA signature
    // typed SM2 (or the reverse) fails by name, whatever the verifier would make of it.
    if verifier.algorithm() != kind.key_algorithm() {
        return Err(Error::Signature(format!(
            "{} names {kind}, but `{serial}` is {} key: the answer's signature type and key do not match",
            super::signature_type::SIGNATURE_TYPE,
            match verifier.algorithm() {
                crate::keys::crypto::KeyAlgorithm::Sm2 => "an SM2 (国密)",
                _ => "an RSA",
            }
        )));
    }
    let verified = verifier.verify(&canonical_response(ts, nonce, body), &raw);
    verified.map_err(|_| Error::Signature(format!("{MISMATCH} with key `{serial}`")))
}

/// Verifies an APIv3 answer obtained elsewhere (a proxy, a queue, a log), unless its path is one
/// of the unsigned downloads.
///
/// `now` is the local Unix time, `path` the request path as sent (`/v3/...`, with any base path).
/// The client runs the same check on every answer it receives. A `Wechatpay-Signature-Type`
/// other than `WECHATPAY2-SHA256-RSA2048` (absent means that one) is refused first, by name
/// ([`SignatureType::of`]). An overseas statement
/// (`v3/global/statements`, `hk/v3/statements`) carrying `Wechatpay-Statement-Sha1` is verified
/// over `{"sha1":"…"}` and its body must have that SHA-1; without the header it is verified over
/// the body like any answer.
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
    let sha1 = match is_statement(path) {
        true => single(headers, STATEMENT_SHA1)?,
        false => None,
    };
    let Some(sha1) = sha1 else {
        return check_signed_headers(keyring, now, headers, body);
    };
    if sha1.len() != 40 || !sha1.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(Error::Signature(format!(
            "{STATEMENT_SHA1} `{}` is not a SHA-1 (40 hex digits)",
            sha1.escape_debug()
        )));
    }
    // WeChat Pay signs the digest, not the CSV: the signature says which file, the digest
    // says this is it.
    let signed = format!("{{\"sha1\":\"{sha1}\"}}");
    check_signed_headers(keyring, now, headers, signed.as_bytes())?;
    let actual = crate::keys::crypto::sha1_hex(body);
    if !actual.eq_ignore_ascii_case(sha1) {
        return Err(Error::Signature(format!(
            "the statement's SHA-1 is {actual}, not the signed {STATEMENT_SHA1} {sha1}: the file was replaced or damaged"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
