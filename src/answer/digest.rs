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
                "`hash_value` has {} hex digits; a {kind} digest has {want_len}",
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
