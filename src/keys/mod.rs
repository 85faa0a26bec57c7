//! Keys: [`crypto`] (keys and certificates in every form, the `Signer`/`Verifier` traits, RSA
//! backends, AES), the [`Keyring`] of WeChat Pay's keys that verify answers,
//! the trust store a client holds ([`Trust`]: the keyring and its refresh gate), and
//! sensitive-field encryption (`sensitive`).
//!
//! May use: `util`, `error`. Public as `wechatpay::crypto`, `wechatpay::Keyring`,
//! `wechatpay::Encrypted`. Verifying a certificate listing is APIv3's (`protocol::v3`);
//! downloading one is a call (`client::rotation`).

pub mod crypto;
pub(crate) mod keyring;
pub(crate) mod sensitive;

use keyring::Keyring;
use std::sync::Arc;
use std::time::Instant;

/// The trust store of a client: WeChat Pay's keys, and the gate that lets one certificate
/// download run at a time. Shared by every clone of the client and its background refresher.
#[derive(Clone)]
pub(crate) struct Trust {
    pub keyring: Arc<Keyring>,
    /// One certificate download at a time for answers naming an unknown serial.
    pub refresh_gate: Arc<RefreshGate>,
}

/// Serialises unknown-serial downloads: the first caller downloads while the others wait, then
/// they all find the new key (or the recent attempt) and do not download again.
#[derive(Default)]
pub(crate) struct RefreshGate {
    /// When the latest download started.
    pub last: tokio::sync::Mutex<Option<Instant>>,
}
