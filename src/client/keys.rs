//! The client's key methods: sensitive fields encrypted for WeChat Pay and decrypted from its
//! answers (`keys::sensitive`), and an APIv3 answer obtained elsewhere verified with the
//! client's keyring (`protocol::v3`).

use crate::client::Client;
use crate::error::Result;
use crate::keys::sensitive::Encrypted;

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
        // 国密: SM2 with WeChat Pay's SM2 key, whose serial goes in Wechatpay-Serial likewise.
        #[cfg(feature = "shangmi")]
        if let Some(sm) = &self.context.identity.shangmi {
            let now = crate::util::unix_now();
            let (serial, key, _) = sm
                .wechatpay
                .iter()
                .find(|(_, _, end)| end.is_none_or(|end| end >= now))
                .ok_or_else(|| {
                    crate::Error::NotConfigured(
                        "no WeChat Pay SM2 certificate valid now to encrypt with".into(),
                    )
                })?;
            return Ok(Encrypted {
                ciphertext: crate::keys::crypto::sm::encrypt_sensitive_sm2(key, plaintext)?,
                serial: serial.clone(),
            });
        }
        crate::keys::sensitive::encrypt(&self.context.trust.keyring, plaintext)
    }

    /// Decrypts a sensitive field of an answer with the merchant's private key.
    pub fn decrypt(&self, ciphertext_b64: &str) -> Result<String> {
        #[cfg(feature = "shangmi")]
        if let Some(sm) = &self.context.identity.shangmi {
            return crate::keys::crypto::sm::decrypt_sensitive_sm2(&sm.key, ciphertext_b64);
        }
        let v3 = self.context.identity.v3.as_ref();
        crate::keys::sensitive::decrypt(v3.and_then(|v| v.private_key.as_ref()), ciphertext_b64)
    }

    /// Verifies an APIv3 answer this client's keys should have signed, obtained elsewhere (a
    /// proxy, a queue, a recorded exchange): the same check every call runs. `path` is the request
    /// path as sent, e.g. `/v3/pay/transactions/id/4200000000000000000`.
    ///
    /// ```
    /// # let client = wechatpay::Client::builder().mchid("1900000001").build().unwrap();
    /// let unsigned = wechatpay::http::HeaderMap::new();
    /// assert!(client.verify_response("/v3/pay/transactions/id/1", &unsigned, b"{}").is_err());
    /// ```
    pub fn verify_response(
        &self,
        path: &str,
        headers: &http::HeaderMap,
        body: &[u8],
    ) -> Result<()> {
        crate::protocol::v3::verify_response(
            &self.context.trust.keyring,
            crate::util::unix_now(),
            path,
            headers,
            body,
        )
    }
}
