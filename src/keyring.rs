//! The WeChat Pay keys that verify answers and notifications, by `Wechatpay-Serial`.
//!
//! Public keys (`PUB_KEY_ID_…`) and platform certificates (by serial) live in one map, so a
//! merchant migrating from certificates to public keys can hold both while WeChat Pay switches.

use crate::crypto::Verifier;
use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

/// Verification keys by id; shared by a client and its background certificate refresh.
#[derive(Default)]
pub struct Keyring {
    keys: RwLock<BTreeMap<String, Entry>>,
}

#[derive(Clone)]
struct Entry {
    verifier: Arc<dyn Verifier>,
    /// Validity end of a platform certificate; `None` for public keys.
    not_after: Option<i64>,
}

impl Keyring {
    /// Adds or replaces the key for `id` (a `PUB_KEY_ID_…` or a certificate serial).
    pub fn insert(&self, id: impl Into<String>, verifier: Arc<dyn Verifier>, not_after: Option<i64>) {
        let mut keys = self.keys.write().unwrap_or_else(|e| e.into_inner());
        keys.insert(id.into(), Entry { verifier, not_after });
    }

    /// The key for `id`, matched exactly (WeChat Pay serials are uppercase).
    pub fn get(&self, id: &str) -> Option<Arc<dyn Verifier>> {
        let keys = self.keys.read().unwrap_or_else(|e| e.into_inner());
        keys.get(id).map(|e| e.verifier.clone())
    }

    /// True if `id` is configured.
    pub fn contains(&self, id: &str) -> bool {
        self.keys.read().unwrap_or_else(|e| e.into_inner()).contains_key(id)
    }

    /// The configured ids, sorted.
    pub fn ids(&self) -> Vec<String> {
        self.keys.read().unwrap_or_else(|e| e.into_inner()).keys().cloned().collect()
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
