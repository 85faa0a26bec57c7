//! Platform certificates: download from `v3/certificates`, check, and keep fresh.
//!
//! Merchants in public-key mode (the default since late 2024) need none of this. Certificate
//! mode downloads the certificates with the APIv3 key; the answer is signed by one of the
//! certificates it carries, so it is verified after decryption, against them.

use crate::client::{Client, Inner};
use crate::crypto::aes::aes_256_gcm_decrypt;
use crate::crypto::Certificate;
use crate::error::{Error, Result};
use crate::keyring::Keyring;
use crate::util::unix_now;
use serde::Deserialize;
use std::sync::{Arc, Weak};
use std::time::Duration;

#[derive(Deserialize)]
struct Listing {
    data: Vec<Item>,
}

#[derive(Deserialize)]
struct Item {
    serial_no: String,
    encrypt_certificate: Encrypted,
}

#[derive(Deserialize)]
struct Encrypted {
    algorithm: String,
    nonce: String,
    #[serde(default)]
    associated_data: String,
    ciphertext: String,
}

impl Client {
    /// Downloads the platform certificates, verifies them and adds them to the keyring.
    ///
    /// Each certificate is decrypted with the APIv3 key, its serial must match the listing and it
    /// must be valid now; the answer must verify with a key already held or one it carries.
    ///
    /// ```no_run
    /// # async fn run(client: wechatpay::Client) -> wechatpay::Result<()> {
    /// for cert in client.download_certificates().await? {
    ///     println!("{} valid until {}", cert.serial_no(), cert.not_after());
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn download_certificates(&self) -> Result<Vec<Certificate>> {
        download(&self.inner).await
    }

    /// Refreshes the certificates every `interval` in a background task (on the current tokio
    /// runtime) for as long as a clone of this client lives. Failed refreshes keep the old keys
    /// and are retried at the next tick.
    pub fn spawn_certificate_refresh(&self, interval: Duration) -> tokio::task::JoinHandle<()> {
        let weak: Weak<Inner> = Arc::downgrade(&self.inner);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(interval).await;
                let Some(inner) = weak.upgrade() else { break };
                let _ = download(&inner).await;
            }
        })
    }
}

async fn download(inner: &Inner) -> Result<Vec<Certificate>> {
    let key = inner.apiv3_key.as_ref().ok_or_else(|| {
        Error::NotConfigured(
            "downloading platform certificates needs the APIv3 key: set ClientBuilder::apiv3_key"
                .into(),
        )
    })?;
    let prepared = crate::pipeline::prepare(
        inner,
        http::Method::GET,
        "v3/certificates",
        serde_json::Value::Null,
    )?;
    let res = crate::pipeline::send_unverified(inner, prepared).await?;
    let listing: Listing = serde_json::from_slice(res.body())
        .map_err(|e| Error::decode("the v3/certificates answer", e))?;
    let now = unix_now();
    let mut certs = Vec::with_capacity(listing.data.len());
    for item in listing.data {
        let e = &item.encrypt_certificate;
        if e.algorithm != "AEAD_AES_256_GCM" {
            return Err(Error::decode(
                "a platform certificate",
                format!("unsupported algorithm `{}`", e.algorithm),
            ));
        }
        let pem = aes_256_gcm_decrypt(
            key,
            e.nonce.as_bytes(),
            e.associated_data.as_bytes(),
            &e.ciphertext,
        )
        .map_err(|err| {
            Error::Crypto(format!(
                "cannot decrypt platform certificate {}: {err} (is the APIv3 key right?)",
                item.serial_no
            ))
        })?;
        let cert = Certificate::from_pem(&pem)?;
        if cert.serial_no() != item.serial_no {
            return Err(Error::Signature(format!(
                "the certificate listed as {} has serial {}",
                item.serial_no,
                cert.serial_no()
            )));
        }
        if !cert.is_valid_at(now) {
            continue;
        }
        certs.push(cert);
    }
    // Verify the answer against the keys held plus the ones it brings, before trusting any.
    let candidates = Keyring::default();
    for id in inner.keyring.ids() {
        if let Some(v) = inner.keyring.get(&id) {
            candidates.insert_verifier(id, v);
        }
    }
    for cert in &certs {
        candidates.insert_key(
            cert.serial_no(),
            cert.public_key().clone(),
            Some(cert.not_after()),
        );
    }
    crate::v3::check_signed_headers(&candidates, now, res.headers(), res.body())?;
    for cert in &certs {
        inner.keyring.insert_key(
            cert.serial_no(),
            cert.public_key().clone(),
            Some(cert.not_after()),
        );
    }
    Ok(certs)
}
