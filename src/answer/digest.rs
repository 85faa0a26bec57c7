//! Checking a downloaded file against the digest a signed answer gave for it.
//!
//! Bill downloads (`/v3/billdownload/file`) come unsigned; the `tradebill`/`fundflowbill` answer
//! that handed out the download URL is signed and carries `hash_type` and `hash_value`. Passing
//! those as the `digest` option makes the download verify itself while it streams.

use crate::error::{Error, Result};
use crate::util::json_type;
use serde_json::Value;
use sha1::Sha1;
use sha2::{Digest as _, Sha256};

/// An expected digest and the running hash of what arrived.
pub(crate) struct Expected {
    kind: &'static str,
    want: String,
    hasher: Hasher,
}

enum Hasher {
    Sha1(Sha1),
    Sha256(Sha256),
}

impl Expected {
    /// From `{"hash_type": "SHA1"|"SHA256", "hash_value": hex}`, as WeChat Pay answers it.
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
            other => return Err(bad(format!("`hash_type` `{other}` is not SHA1 or SHA256"))),
        };
        Ok(Expected { kind, want, hasher })
    }

    pub(crate) fn update(&mut self, chunk: &[u8]) {
        match &mut self.hasher {
            Hasher::Sha1(h) => h.update(chunk),
            Hasher::Sha256(h) => h.update(chunk),
        }
    }

    /// Compares what arrived with what the signed answer promised.
    pub(crate) fn finish(self) -> Result<()> {
        let got = match self.hasher {
            Hasher::Sha1(h) => hex::encode(h.finalize()),
            Hasher::Sha256(h) => hex::encode(h.finalize()),
        };
        if got == self.want {
            Ok(())
        } else {
            Err(Error::Signature(format!(
                "the downloaded file's {} is {got}, not the {} the signed answer gave",
                self.kind, self.want
            )))
        }
    }
}
