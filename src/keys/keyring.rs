//! The WeChat Pay keys that verify answers and notifications, by `Wechatpay-Serial`.
//!
//! Public keys (`PUB_KEY_ID_…`) and platform certificates (by serial) live in one map, so a
//! merchant migrating from certificates to public keys can hold both while WeChat Pay switches.
//! A platform certificate is used only inside its validity (`not_before..=not_after`): one that
//! expires while the client runs stops verifying and encrypting, it is not silently kept.

use crate::error::{Error, Result};
use crate::keys::crypto::{Certificate, PublicKey, Verifier};
use crate::util::unix_now;
use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

/// Verification keys by id; shared by a client and its background certificate refresh.
///
/// ```
/// let ring = wechatpay::Keyring::default();
/// assert!(ring.is_empty());
/// assert!(ring.get("PUB_KEY_ID_0119000000012024000000000000").is_none());
/// ```
#[derive(Default)]
pub struct Keyring {
    keys: RwLock<BTreeMap<String, Entry>>,
}

#[derive(Clone)]
struct Entry {
    verifier: Arc<dyn Verifier>,
    /// The key itself when known, for sensitive-field encryption.
    public_key: Option<PublicKey>,
    /// Validity start of a platform certificate; `None` when unknown or for public keys.
    not_before: Option<i64>,
    /// Validity end of a platform certificate; `None` for public keys.
    not_after: Option<i64>,
}

impl Entry {
    fn usable_at(&self, now: i64) -> bool {
        self.not_before.is_none_or(|nb| nb <= now) && self.not_after.is_none_or(|na| now <= na)
    }
}

/// A Unix time as `YYYY-MM-DDTHH:MM:SSZ` for error messages (the raw number when out of range).
pub(crate) fn utc(unix: i64) -> String {
    u64::try_from(unix)
        .ok()
        .and_then(|s| der::DateTime::from_unix_duration(std::time::Duration::from_secs(s)).ok())
        .map(|d| d.to_string())
        .unwrap_or_else(|| format!("{unix} (Unix time)"))
}

impl Keyring {
    /// Adds or replaces a WeChat Pay public key (`PUB_KEY_ID_…`) or, with `not_after`, the key of
    /// a platform certificate by its serial (prefer [`insert_certificate`](Self::insert_certificate),
    /// which keeps the whole validity window).
    pub fn insert_key(&self, id: impl Into<String>, key: PublicKey, not_after: Option<i64>) {
        self.insert_window(id, key, None, not_after);
    }

    /// Adds or replaces a platform certificate's key under its serial, used only from its
    /// `not_before` to its `not_after` (inclusive).
    ///
    /// ```
    /// use wechatpay::{crypto::Certificate, Keyring};
    /// # let pem = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/client/platform_cert.pem"));
    /// let ring = Keyring::default();
    /// ring.insert_certificate(&Certificate::from_pem(pem)?);
    /// assert_eq!(ring.ids(), ["5157F09EFDC096DE15EBE81A47057A7232F1B8E1"]);
    /// # Ok::<(), wechatpay::Error>(())
    /// ```
    pub fn insert_certificate(&self, cert: &Certificate) {
        self.insert_window(
            cert.serial_no(),
            cert.public_key().clone(),
            Some(cert.not_before()),
            Some(cert.not_after()),
        );
    }

    /// As `insert_certificate`, for a key already moved to another backend.
    pub(crate) fn insert_window(
        &self,
        id: impl Into<String>,
        key: PublicKey,
        not_before: Option<i64>,
        not_after: Option<i64>,
    ) {
        let entry = Entry {
            verifier: Arc::new(key.clone()),
            public_key: Some(key),
            not_before,
            not_after,
        };
        self.write().insert(id.into(), entry);
    }

    /// Adds or replaces a verifier of the caller's own (a remote verification service, say).
    pub fn insert_verifier(&self, id: impl Into<String>, verifier: Arc<dyn Verifier>) {
        let entry = Entry {
            verifier,
            public_key: None,
            not_before: None,
            not_after: None,
        };
        self.write().insert(id.into(), entry);
    }

    /// The key to encrypt sensitive fields with, and the id to send as `Wechatpay-Serial`.
    ///
    /// A WeChat Pay public key is preferred (the mode WeChat Pay moved merchants to in 2024);
    /// otherwise the platform certificate valid now that stays valid the longest. Expired and
    /// not-yet-valid certificates are skipped.
    pub fn encryption_key(&self) -> Option<(String, PublicKey)> {
        self.encryption_key_at(unix_now()).ok()
    }

    /// [`encryption_key`](Self::encryption_key) at `now`; the error names the skipped certificates.
    pub(crate) fn encryption_key_at(&self, now: i64) -> Result<(String, PublicKey)> {
        let keys = self.read();
        let pick = keys
            .iter()
            .filter(|(_, e)| e.public_key.is_some() && e.usable_at(now))
            .max_by_key(|(id, e)| {
                (
                    id.starts_with("PUB_KEY_ID_"),
                    e.not_after.unwrap_or(i64::MAX),
                )
            });
        if let Some((id, Some(key))) = pick.map(|(id, e)| (id, e.public_key.clone())) {
            return Ok((id.clone(), key));
        }
        let skipped: Vec<String> = keys
            .iter()
            .filter(|(_, e)| e.public_key.is_some())
            .map(|(id, e)| describe(id, e, now))
            .collect();
        Err(Error::NotConfigured(if skipped.is_empty() {
            "no WeChat Pay public key or platform certificate to encrypt with".into()
        } else {
            format!(
                "no WeChat Pay key valid now to encrypt with: {}; download the current platform \
                 certificates or configure the WeChat Pay public key",
                skipped.join("; ")
            )
        }))
    }

    /// The key for `id` (matched exactly: WeChat Pay serials are uppercase), if it is usable now.
    pub fn get(&self, id: &str) -> Option<Arc<dyn Verifier>> {
        self.verifier_at(id, unix_now()).ok()
    }

    /// The verifier for `id` at `now`, or why there is none: unknown, expired or not yet valid.
    pub(crate) fn verifier_at(&self, id: &str, now: i64) -> Result<Arc<dyn Verifier>> {
        let keys = self.read();
        match keys.get(id) {
            Some(e) if e.usable_at(now) => Ok(e.verifier.clone()),
            Some(e) => Err(Error::Signature(describe(id, e, now))),
            None => Err(Error::Signature(format!(
                "Wechatpay-Serial `{id}` names no configured WeChat Pay public key or platform certificate (configured: {})",
                keys.keys().cloned().collect::<Vec<_>>().join(", ")
            ))),
        }
    }

    /// A keyring of the keys usable at `now`, to verify with without trusting anything new.
    pub(crate) fn usable_at(&self, now: i64) -> Keyring {
        let keys = self.read();
        let usable = keys
            .iter()
            .filter(|(_, e)| e.usable_at(now))
            .map(|(id, e)| (id.clone(), e.clone()))
            .collect();
        Keyring {
            keys: RwLock::new(usable),
        }
    }

    /// True if `id` is configured (whether or not it is valid now).
    pub fn contains(&self, id: &str) -> bool {
        self.read().contains_key(id)
    }

    /// The configured ids, sorted.
    pub fn ids(&self) -> Vec<String> {
        self.read().keys().cloned().collect()
    }

    /// The latest validity end among platform certificates, if any are held.
    pub fn certificates_valid_until(&self) -> Option<i64> {
        self.read().values().filter_map(|e| e.not_after).max()
    }

    /// True when every key held is a WeChat Pay public key (`PUB_KEY_ID_…`): a public-key
    /// client, whose answers WeChat Pay signs with the key each request names, and for which the
    /// certificate listing has nothing to add.
    pub(crate) fn is_public_key_only(&self) -> bool {
        let keys = self.read();
        !keys.is_empty() && keys.keys().all(|id| id.starts_with("PUB_KEY_ID_"))
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.read().len()
    }

    /// True when no key is configured.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The id every APIv3 request names in `Wechatpay-Serial`, so WeChat Pay signs its answer
    /// with a key this client holds: a public key id first (WeChat Pay picks the answer's key by
    /// it, which is how a merchant moving to public-key mode reaches 100%), else the usable
    /// platform certificate that stays valid the longest. Read in place, as `f` of the id: it
    /// is named on every call, and copying it out would cost an allocation each time.
    pub(crate) fn with_preferred_id<T>(&self, now: i64, f: impl FnOnce(&str) -> T) -> Option<T> {
        let keys = self.read();
        keys.iter()
            .filter(|(_, e)| e.usable_at(now))
            .max_by_key(|(id, e)| {
                (
                    id.starts_with("PUB_KEY_ID_"),
                    e.not_after.unwrap_or(i64::MAX),
                )
            })
            .map(|(id, _)| f(id))
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, BTreeMap<String, Entry>> {
        self.keys.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, BTreeMap<String, Entry>> {
        self.keys.write().unwrap_or_else(|e| e.into_inner())
    }
}

/// Why the certificate `id` is not used at `now` (a platform certificate, or one given to
/// `public_key` as the key's source).
fn describe(id: &str, e: &Entry, now: i64) -> String {
    let what = if id.starts_with("PUB_KEY_ID_") {
        "the certificate of public key"
    } else {
        "platform certificate"
    };
    match (e.not_before, e.not_after) {
        (_, Some(na)) if now > na => {
            format!("{what} {id} expired at {} (now {})", utc(na), utc(now))
        }
        (Some(nb), _) if now < nb => format!(
            "{what} {id} is not valid before {} (now {})",
            utc(nb),
            utc(now)
        ),
        _ => format!("key {id} is valid now"),
    }
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keyring").field("ids", &self.ids()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CERT: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/client/platform_cert.pem"
    ));
    const PUB: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/client/wechatpay_pub.pem"
    ));

    #[test]
    fn certificates_are_used_only_inside_their_validity() {
        let cert = Certificate::from_pem(CERT).unwrap();
        let ring = Keyring::default();
        ring.insert_certificate(&cert);
        let serial = cert.serial_no();
        let (nb, na) = (cert.not_before(), cert.not_after());
        for now in [nb, nb + 1, na] {
            assert!(ring.verifier_at(serial, now).is_ok(), "{now}");
            assert_eq!(ring.encryption_key_at(now).unwrap().0, serial);
        }
        let Err(Error::Signature(m)) = ring.verifier_at(serial, na + 1) else {
            panic!("an expired certificate verified")
        };
        assert!(
            m.contains(serial) && m.contains("expired at") && m.contains(&utc(na)),
            "{m}"
        );
        let Err(Error::Signature(m)) = ring.verifier_at(serial, nb - 1) else {
            panic!("a certificate verified before its validity")
        };
        assert!(
            m.contains("not valid before") && m.contains(&utc(nb)),
            "{m}"
        );
        let Err(Error::NotConfigured(m)) = ring.encryption_key_at(na + 1) else {
            panic!("encrypted with an expired certificate")
        };
        assert!(m.contains(serial) && m.contains("expired at"), "{m}");
        assert!(ring.usable_at(na + 1).is_empty());
        assert_eq!(ring.usable_at(na).ids(), [serial]);
    }

    #[test]
    fn an_expired_certificate_gives_way_to_the_one_still_valid() {
        let cert = Certificate::from_pem(CERT).unwrap();
        let ring = Keyring::default();
        ring.insert_certificate(&cert);
        ring.insert_window("OLD", cert.public_key().clone(), Some(0), Some(10));
        // The longer-lived certificate wins while both are valid, the valid one after.
        assert_eq!(ring.encryption_key_at(5).unwrap().0, "OLD");
        assert_eq!(
            ring.encryption_key_at(cert.not_before()).unwrap().0,
            cert.serial_no()
        );
        ring.insert_key(
            "PUB_KEY_ID_0119000000012024000000000000",
            PublicKey::from_pem(PUB).unwrap(),
            None,
        );
        assert_eq!(
            ring.encryption_key_at(i64::MAX).unwrap().0,
            "PUB_KEY_ID_0119000000012024000000000000"
        );
        assert_eq!(utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(utc(-1), "-1 (Unix time)");
    }
}
