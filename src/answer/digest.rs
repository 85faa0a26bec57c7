//! Checking a downloaded file against the digest a signed answer gave for it.
//!
//! Bill downloads (`/v3/billdownload/file`) come unsigned; the `tradebill`/`fundflowbill` answer
//! that handed out the download URL is signed and carries `hash_type` and `hash_value`. Passing
//! those as the `digest` option makes the download verify itself while it streams.
//!
//! SM3 (GB/T 32905) is needed by merchants who never enabled 国密: transfer e-receipts answer
//! `hash_type` `SM3`, and the e-invoice (fapiao) file comes unsigned with an `SM3-Digest` header.
//! WeChat Pay writes these digests in uppercase hex, its samples compute lowercase: they are
//! compared without regard to case.

use crate::error::{Error, Result};
use crate::util::json_type;
use serde_json::Value;
use sha1::Sha1;
use sha2::{Digest as _, Sha256};
use sm3::Sm3;

/// The answer header that carries the SM3 of an unsigned fapiao file (64 hex digits).
pub(crate) const SM3_DIGEST: &str = "SM3-Digest";

/// An expected digest and the running hash of what arrived.
pub(crate) struct Expected {
    kind: &'static str,
    want: String,
    hasher: Hasher,
    /// Who promised the digest, for the error: the signed answer or the header.
    from: &'static str,
}

enum Hasher {
    Sha1(Sha1),
    Sha256(Sha256),
    Sm3(Sm3),
}

impl Expected {
    /// From `{"hash_type": "SHA1"|"SHA256"|"SM3", "hash_value": hex}`, as WeChat Pay answers it.
    pub(crate) fn parse(value: Value) -> Result<Expected> {
        let bad = |why: String| Error::argument("digest", why);
        let Value::Object(map) = value else {
            return Err(bad(format!(
                "expected {{\"hash_type\",\"hash_value\"}}, found {}",
                json_type(&value)
            )));
        };
        let kind = map.get("hash_type").and_then(Value::as_str).unwrap_or("");
        let want = map
            .get("hash_value")
            .and_then(Value::as_str)
            .filter(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_hexdigit()))
            .ok_or_else(|| bad("`hash_value` must be the hex digest".into()))?
            .to_ascii_lowercase();
        let (kind, hasher) = match kind.to_ascii_uppercase().as_str() {
            "SHA1" => ("SHA1", Hasher::Sha1(Sha1::new())),
            "SHA256" => ("SHA256", Hasher::Sha256(Sha256::new())),
            "SM3" => ("SM3", Hasher::Sm3(Sm3::new())),
            other => {
                return Err(bad(format!(
                    "`hash_type` `{other}` is not SHA1, SHA256 or SM3"
                )))
            }
        };
        let want_len = match kind {
            "SHA1" => 40,
            _ => 64,
        };
        if want.len() != want_len {
            return Err(bad(format!(
                "`hash_value` has {} hex digits, but {kind} digests have {want_len}",
                want.len()
            )));
        }
        Ok(Expected {
            kind,
            want,
            hasher,
            from: "the signed answer gave",
        })
    }

    /// From an unsigned download's `SM3-Digest` header: 64 hex digits, any case, no prefix.
    pub(crate) fn sm3_header(value: &http::HeaderValue) -> Result<Expected> {
        let text = value.to_str().unwrap_or("").trim();
        if text.len() != 64 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(Error::Signature(format!(
                "the `{SM3_DIGEST}` header is not an SM3 digest (expected 64 hex digits)"
            )));
        }
        Ok(Expected {
            kind: "SM3",
            want: text.to_ascii_lowercase(),
            hasher: Hasher::Sm3(Sm3::new()),
            from: "the `SM3-Digest` header gave",
        })
    }

    pub(crate) fn update(&mut self, chunk: &[u8]) {
        match &mut self.hasher {
            Hasher::Sha1(h) => h.update(chunk),
            Hasher::Sha256(h) => h.update(chunk),
            Hasher::Sm3(h) => h.update(chunk),
        }
    }

    /// Compares what arrived with what the signed answer promised.
    pub(crate) fn finish(self) -> Result<()> {
        let got = match self.hasher {
            Hasher::Sha1(h) => hex::encode(h.finalize()),
            Hasher::Sha256(h) => hex::encode(h.finalize()),
            Hasher::Sm3(h) => hex::encode(h.finalize()),
        };
        if got == self.want {
            Ok(())
        } else {
            Err(Error::Signature(format!(
                "the downloaded file's {} is {got}, not the {} {}",
                self.kind, self.want, self.from
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// GB/T 32905-2016, example 1.
    const ABC: &str = "66C7F0F462EEEDD9D1F2D46BDC10E4E24167C4875CF2F7A2297DA02B8F4BA8E0";

    #[test]
    fn sm3_is_a_digest_type_compared_in_either_case() {
        for value in [ABC.to_string(), ABC.to_ascii_lowercase()] {
            let mut d = Expected::parse(json!({"hash_type": "SM3", "hash_value": value})).unwrap();
            d.update(b"a");
            d.update(b"bc");
            d.finish().unwrap();
        }
        let mut d = Expected::parse(json!({"hash_type": "sm3", "hash_value": ABC})).unwrap();
        d.update(b"abd");
        let e = d.finish().unwrap_err().to_string();
        assert!(
            e.contains("SM3") && e.contains(&ABC.to_ascii_lowercase()),
            "{e}"
        );
        assert!(e.contains("the signed answer gave"), "{e}");
    }

    #[test]
    fn a_hash_value_of_the_wrong_length_or_type_is_refused() {
        let e = Expected::parse(json!({"hash_type": "SM3", "hash_value": &ABC[..40]}))
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("40 hex digits, but SM3 digests have 64"), "{e}");
        let e = Expected::parse(json!({"hash_type": "SHA1", "hash_value": ABC}))
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("SHA1 digests have 40"), "{e}");
        let e = Expected::parse(json!({"hash_type": "MD5", "hash_value": "00"}))
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("not SHA1, SHA256 or SM3"), "{e}");
    }

    #[test]
    fn the_sm3_digest_header_is_64_hex_digits_without_prefix() {
        let header = |v: &str| Expected::sm3_header(&http::HeaderValue::from_str(v).unwrap());
        let mut d = header(ABC).unwrap();
        d.update(b"abc");
        d.finish().unwrap();
        let mut d = header(ABC).unwrap();
        d.update(b"abc!");
        let e = d.finish().unwrap_err().to_string();
        assert!(e.contains("the `SM3-Digest` header gave"), "{e}");
        for bad in [&format!("SM3={ABC}")[..], &ABC[..63], "", "zz"] {
            assert!(header(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn an_sm3_digest_header_of_odd_bytes_is_refused_without_panic() {
        for bytes in [
            &b"\xff\xfe"[..],
            "中".repeat(22).as_bytes(),
            &[b'a'; 63][..],
            &[b'a'; 65][..],
            b" 66C7F0F462EEEDD9D1F2D46BDC10E4E24167C4875CF2F7A2297DA02B8F4BA8E0x",
        ] {
            let value = http::HeaderValue::from_bytes(bytes).unwrap();
            assert!(Expected::sm3_header(&value).is_err(), "{bytes:?}");
        }
    }
}
