//! The server's 国密 side (features `mock` and `shangmi`): a client configured for 国密 mode,
//! and the SM2 keys a test or another SDK needs.

use super::server::Server;
use crate::client::builder::ClientBuilder;
use crate::mock::protocol::keys::MerchantEntry;

impl Server {
    /// In 国密 mode, the builder of a 国密 client for `entry`: its SM2 key and serial, the
    /// emulator's SM2 platform certificate, the APIv3 key (AEAD_SM4_GCM derives from it), and
    /// the RSA-era settings APIv2 still uses (secret, mutual TLS).
    pub(super) fn shangmi_builder(&self, entry: &MerchantEntry) -> Option<ClientBuilder> {
        let sm = self.shared.state.keys.shangmi.as_ref()?;
        let m = &entry.merchant;
        let ours = sm.merchants.get(&m.mchid)?;
        let key_pem = ours.key.to_pkcs8_pem().ok()?;
        Some(
            ClientBuilder::new()
                .mchid(&m.mchid)
                .serial(&ours.serial)
                .shangmi_private_key(key_pem)
                .shangmi_platform_certificate(sm.platform_cert.to_pem())
                .apiv2_secret(m.apiv2_secret.as_str())
                .apiv3_key(m.apiv3_key.as_bytes())
                .merchant_identity(&entry.cert_pem, m.private_key_pem.as_bytes())
                .base_uri(&self.url)
                .add_root_certificate(&self.ca_pem),
        )
    }

    /// 国密 mode: the emulator's SM2 platform certificate (PEM), `None` outside 国密 mode.
    ///
    /// ```no_run
    /// # async fn run() -> wechatpay::Result<()> {
    /// let server = wechatpay::mock::Server::builder().shangmi(true).start().await?;
    /// let cert = server.shangmi_platform_certificate().unwrap();
    /// assert!(cert.starts_with("-----BEGIN CERTIFICATE-----"));
    /// # Ok(()) }
    /// ```
    pub fn shangmi_platform_certificate(&self) -> Option<String> {
        let sm = self.shared.state.keys.shangmi.as_ref()?;
        Some(sm.platform_cert.to_pem())
    }

    /// 国密 mode: the SM2 API key (PKCS#8 PEM) and serial of merchant `mchid`.
    pub fn shangmi_merchant_key(&self, mchid: &str) -> Option<(String, String)> {
        let sm = self.shared.state.keys.shangmi.as_ref()?;
        let m = sm.merchants.get(mchid)?;
        Some((m.serial.clone(), m.key.to_pkcs8_pem().ok()?))
    }

    /// 国密 mode: a field SM2-encrypted for the merchant (what an answer's sensitive field
    /// holds), which [`Client::decrypt`](crate::Client::decrypt) of a 国密 client opens.
    pub fn shangmi_encrypt_for(&self, mchid: &str, plaintext: &str) -> Option<String> {
        let sm = self.shared.state.keys.shangmi.as_ref()?;
        let m = sm.merchants.get(mchid)?;
        crate::crypto::sm::encrypt_sensitive_sm2(&m.key.public_key(), plaintext).ok()
    }
}
