//! The WeChat Pay keys that verify answers and notifications, by `Wechatpay-Serial`.
//!
//! Public keys (`PUB_KEY_ID_…`) and platform certificates (by serial) live in one map, so a
//! merchant migrating from certificates to public keys can hold both while WeChat Pay switches.

use crate::crypto::{PublicKey, Verifier};
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
    /// Validity end of a platform certificate; `None` for public keys.
    not_after: Option<i64>,
}

impl Keyring {
    /// Adds or replaces a WeChat Pay public key (`PUB_KEY_ID_…`) or, with `not_after`, the key of
    /// a platform certificate by its serial.
    pub fn insert_key(&self, id: impl Into<String>, key: PublicKey, not_after: Option<i64>) {
        let entry = Entry {
            verifier: Arc::new(key.clone()),
            public_key: Some(key),
            not_after,
        };
        self.keys
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id.into(), entry);
    }

    /// Adds or replaces a verifier of the caller's own (a remote verification service, say).
    pub fn insert_verifier(&self, id: impl Into<String>, verifier: Arc<dyn Verifier>) {
        let entry = Entry {
            verifier,
            public_key: None,
            not_after: None,
        };
        self.keys
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id.into(), entry);
    }

    /// The key to encrypt sensitive fields with, and the id to send as `Wechatpay-Serial`.
    ///
    /// A WeChat Pay public key is preferred (the mode WeChat Pay moved merchants to in 2024);
    /// otherwise the platform certificate that stays valid the longest.
    pub fn encryption_key(&self) -> Option<(String, PublicKey)> {
        let keys = self.keys.read().unwrap_or_else(|e| e.into_inner());
        let pick = keys
            .iter()
            .filter(|(_, e)| e.public_key.is_some())
            .max_by_key(|(id, e)| {
                (
                    id.starts_with("PUB_KEY_ID_"),
                    e.not_after.unwrap_or(i64::MAX),
                )
            });
        pick.and_then(|(id, e)| e.public_key.clone().map(|k| (id.clone(), k)))
    }

    /// The key for `id`, matched exactly (WeChat Pay serials are uppercase).
    pub fn get(&self, id: &str) -> Option<Arc<dyn Verifier>> {
        let keys = self.keys.read().unwrap_or_else(|e| e.into_inner());
        keys.get(id).map(|e| e.verifier.clone())
    }

    /// True if `id` is configured.
    pub fn contains(&self, id: &str) -> bool {
        self.keys
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .contains_key(id)
    }

    /// The configured ids, sorted.
    pub fn ids(&self) -> Vec<String> {
        self.keys
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .keys()
            .cloned()
            .collect()
    }

    /// The latest validity end among platform certificates, if any are held.
    pub fn certificates_valid_until(&self) -> Option<i64> {
        let keys = self.keys.read().unwrap_or_else(|e| e.into_inner());
        keys.values().filter_map(|e| e.not_after).max()
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.keys.read().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// True when no key is configured.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keyring").field("ids", &self.ids()).finish()
    }
}
