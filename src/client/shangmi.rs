//! The 国密 client's own call (feature `shangmi`): downloading WeChat Pay's SM2 certificates.

use crate::client::Client;
use crate::error::{Error, Result};
use crate::keys::crypto::sm::Sm2Certificate;
use std::sync::Arc;

impl Client {
    /// 国密: downloads WeChat Pay's SM2 platform certificates
    /// (`GET v3/certificates?algorithm_type=SM2`). The answer is verified like every answer
    /// (SM2, with a certificate the client holds), each certificate opened with the APIv3 key
    /// (AEAD_SM4_GCM), and those valid now join the keys that verify answers.
    ///
    /// ```no_run
    /// # async fn run() -> wechatpay::Result<()> {
    /// let server = wechatpay::mock::Server::builder().shangmi(true).start().await?;
    /// let client = server.client_builder().build()?;
    /// let certs = client.download_sm2_certificates().await?;
    /// assert_eq!(certs[0].serial_no().len(), 40);
    /// # Ok(()) }
    /// ```
    pub async fn download_sm2_certificates(&self) -> Result<Vec<Sm2Certificate>> {
        let identity = &self.context.identity;
        if identity.shangmi.is_none() {
            return Err(Error::NotConfigured(
                "SM2 certificates are for a 国密 client: set ClientBuilder::shangmi_private_key"
                    .into(),
            ));
        }
        let key = identity.apiv3_key.as_ref().ok_or_else(|| {
            Error::NotConfigured(
                "the SM2 certificates are sealed with the APIv3 key: set ClientBuilder::apiv3_key"
                    .into(),
            )
        })?;
        let res = self
            .chain("v3/certificates")
            .get(serde_json::json!({ "query": { "algorithm_type": "SM2" } }))
            .await?;
        let certs = crate::protocol::v3::open_sm2_certificate_listing(
            key,
            crate::util::unix_now(),
            res.body(),
        )?;
        for cert in &certs {
            self.context
                .trust
                .keyring
                .insert_verifier(cert.serial_no(), Arc::new(cert.public_key().clone()));
        }
        Ok(certs)
    }
}
