//! Sensitive fields: RSA-OAEP (SHA-1, MGF1-SHA-1) with WeChat Pay's key on the way out, with the
//! merchant's key on the way back. OAEP only: PKCS#1 v1.5 decryption is never offered.

use crate::client::Client;
use crate::error::{Error, Result};

/// A field encrypted for WeChat Pay, with the key id to send as `Wechatpay-Serial`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encrypted {
    /// Base64 ciphertext, the field's value.
    pub ciphertext: String,
    /// The `PUB_KEY_ID_…` or platform certificate serial used: send it as `Wechatpay-Serial`.
    pub serial: String,
}

impl Client {
    /// Encrypts a sensitive field (a name, an id number, a bank account) for WeChat Pay.
    ///
    /// The key is the WeChat Pay public key, else the platform certificate valid now that
    /// lasts the longest; with neither, `Error::NotConfigured` names the certificates skipped.
    ///
    /// Send the returned serial in the `Wechatpay-Serial` header of the same call:
    ///
    /// ```no_run
    /// # async fn run(client: wechatpay::Client) -> wechatpay::Result<()> {
    /// use serde_json::json;
    /// let name = client.encrypt("张三")?;
    /// client.chain("v3/profitsharing/receivers/add").post(json!({
    ///     "headers": { "Wechatpay-Serial": name.serial },
    ///     "json": { "type": "PERSONAL_OPENID", "account": "o-MYE42l80oelYMDE34nYD456Xoy", "name": name.ciphertext },
    /// })).await?;
    /// # Ok(()) }
    /// ```
    pub fn encrypt(&self, plaintext: &str) -> Result<Encrypted> {
        // A platform certificate that expired since `build()` is skipped, not used.
        let (serial, key) = self
            .context
            .trust
            .keyring
            .encryption_key_at(crate::util::unix_now())?;
        Ok(Encrypted {
            ciphertext: crate::keys::crypto::encrypt_sensitive(&key, plaintext)?,
            serial,
        })
    }

    /// Decrypts a sensitive field of an answer with the merchant's private key.
    pub fn decrypt(&self, ciphertext_b64: &str) -> Result<String> {
        let key = self
            .context
            .identity
            .v3
            .as_ref()
            .and_then(|v| v.private_key.as_ref())
            .ok_or_else(|| {
                Error::NotConfigured(
                    "decrypting needs the merchant private key as PEM (not a remote signer)".into(),
                )
            })?;
        crate::keys::crypto::decrypt_sensitive(key, ciphertext_b64)
    }
}
