//! Sensitive fields: RSA-OAEP (SHA-1, MGF1-SHA-1) with WeChat Pay's key on the way out, with the
//! merchant's key on the way back. OAEP only: PKCS#1 v1.5 decryption is never offered.
//! `Client::encrypt` and `Client::decrypt` (in `client/keys.rs`) call these with its keys.

use crate::error::{Error, Result};
use crate::keys::crypto::PrivateKey;
use crate::keys::keyring::Keyring;

/// A field encrypted for WeChat Pay, with the key id to send as `Wechatpay-Serial`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encrypted {
    /// Base64 ciphertext, the field's value.
    pub ciphertext: String,
    /// The `PUB_KEY_ID_…` or platform certificate serial used: send it as `Wechatpay-Serial`.
    pub serial: String,
}

/// Encrypts `plaintext` with the keyring's encryption key valid now.
pub(crate) fn encrypt(keyring: &Keyring, plaintext: &str) -> Result<Encrypted> {
    // A platform certificate that expired since `build()` is skipped, not used.
    let (serial, key) = keyring.encryption_key_at(crate::util::unix_now())?;
    Ok(Encrypted {
        ciphertext: crate::keys::crypto::encrypt_sensitive(&key, plaintext)?,
        serial,
    })
}

/// Decrypts a field with the merchant's private key, when the client holds it as PEM.
pub(crate) fn decrypt(key: Option<&PrivateKey>, ciphertext_b64: &str) -> Result<String> {
    let key = key.ok_or_else(|| {
        Error::NotConfigured(
            "decrypting needs the merchant private key as PEM (not a remote signer)".into(),
        )
    })?;
    crate::keys::crypto::decrypt_sensitive(key, ciphertext_b64)
}
