//! Small primitives shared by both protocols: RFC 3986 encoding, nonces, the clock.

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
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

/// A random string of `len` base-62 characters from the OS CSPRNG.
///
/// Bytes at or above 248 are drawn again so that every character is equally likely.
pub(crate) fn nonce(len: usize) -> String {
    let mut out = String::with_capacity(len);
    let mut buf = [0u8; 64];
    while out.len() < len {
        getrandom::getrandom(&mut buf).expect("the operating system's random source failed");
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
