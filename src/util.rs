//! Small primitives shared by both protocols: RFC 3986 encoding, nonces, the clock, and the
//! value rules of JSON arguments (exact integers, type names for error messages).
//!
//! At the bottom with `error`: may use `error` only.

use crate::error::{Error, Result};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde_json::Value;
use std::borrow::Cow;

/// Everything but RFC 3986 unreserved characters (`A-Z a-z 0-9 - . _ ~`) is encoded.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Percent-encodes `s` as an RFC 3986 component (space becomes `%20`, `/` becomes `%2F`).
pub(crate) fn encode_component(s: &str) -> Cow<'_, str> {
    utf8_percent_encode(s, COMPONENT).into()
}

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// A random string of `len` base-62 characters from aws-lc's CSPRNG: seeded from the operating
/// system, fork-safe, and in this process already (RSA blinding draws from it), so a nonce costs
/// no system call (`getrandom(2)` took about 0.8 µs, a fifth of a keyless prepare).
///
/// Bytes at or above 248 are drawn again so that every character is equally likely.
pub(crate) fn nonce(len: usize) -> String {
    let mut out = String::with_capacity(len);
    let mut buf = [0u8; 64];
    while out.len() < len {
        aws_lc_rs::rand::fill(&mut buf).expect("the random source failed");
        for &b in buf.iter() {
            if out.len() == len {
                break;
            }
            if b < 248 {
                out.push(BASE62[(b % 62) as usize] as char);
            }
        }
    }
    out
}

/// Seconds since the Unix epoch.
pub(crate) fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// A number as WeChat Pay reads it: an exact integer, never a float that lost digits.
pub(crate) fn exact_integer(name: &str, n: &serde_json::Number) -> Result<String> {
    if n.is_i64() || n.is_u64() {
        return Ok(n.to_string());
    }
    Err(Error::argument(
        name,
        format!(
            "{n} is not an exact integer (JSON numbers beyond 64 bits or with a fraction lose digits): pass it as a \
             string, e.g. \"4200000000000000000000000000\""
        ),
    ))
}

/// The JSON type name of a value, for error messages.
pub(crate) fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn component_encoding_matches_rawurlencode() {
        assert_eq!(
            encode_component("N12/3 a+b%&?#中"),
            "N12%2F3%20a%2Bb%25%26%3F%23%E4%B8%AD"
        );
        assert_eq!(encode_component("A-z0.9_~"), "A-z0.9_~");
    }

    #[test]
    fn nonce_has_length_and_alphabet() {
        for len in [1, 16, 32, 100] {
            let n = nonce(len);
            assert_eq!(n.len(), len);
            assert!(n.bytes().all(|b| b.is_ascii_alphanumeric()));
        }
        assert_ne!(nonce(32), nonce(32));
    }
}
