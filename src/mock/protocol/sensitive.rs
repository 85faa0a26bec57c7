//! The keys of sensitive fields as the emulator meets them: what a merchant sealed for WeChat Pay
//! (opened with the platform key) and what WeChat Pay seals for the merchant in an answer. RSA-OAEP
//! under the RSA keys; SM2 (C1C3C2, DER) in 国密 mode (feature `shangmi`).

use crate::crypto::{PrivateKey, PublicKey};
use crate::error::Result;

/// The merchant's public key and WeChat Pay's private key, of one scheme.
#[derive(Clone)]
pub(crate) enum Sensitive<'a> {
    Rsa {
        merchant: &'a PublicKey,
        platform: &'a PrivateKey,
    },
    #[cfg(feature = "shangmi")]
    Sm2 {
        merchant: crate::crypto::sm::Sm2PublicKey,
        platform: &'a crate::crypto::sm::Sm2PrivateKey,
    },
}

impl<'a> From<(&'a PublicKey, &'a PrivateKey)> for Sensitive<'a> {
    fn from((merchant, platform): (&'a PublicKey, &'a PrivateKey)) -> Self {
        Sensitive::Rsa { merchant, platform }
    }
}

impl Sensitive<'_> {
    /// Opens a field the merchant sealed for WeChat Pay.
    pub(crate) fn open(&self, ciphertext_b64: &str) -> Result<String> {
        match self {
            Sensitive::Rsa { platform, .. } => {
                crate::crypto::decrypt_sensitive(platform, ciphertext_b64)
            }
            #[cfg(feature = "shangmi")]
            Sensitive::Sm2 { platform, .. } => {
                crate::crypto::sm::decrypt_sensitive_sm2(platform, ciphertext_b64)
            }
        }
    }

    /// Seals a field for the merchant.
    pub(crate) fn seal(&self, plaintext: &str) -> Result<String> {
        match self {
            Sensitive::Rsa { merchant, .. } => {
                crate::crypto::encrypt_sensitive(merchant, plaintext)
            }
            #[cfg(feature = "shangmi")]
            Sensitive::Sm2 { merchant, .. } => {
                crate::crypto::sm::encrypt_sensitive_sm2(merchant, plaintext)
            }
        }
    }

    /// The ciphertext expected, for refusals.
    pub(crate) fn expected(&self) -> &'static str {
        match self {
            Sensitive::Rsa { .. } => "base64 RSA-OAEP ciphertext under the WeChat Pay public key or platform certificate named by Wechatpay-Serial",
            #[cfg(feature = "shangmi")]
            Sensitive::Sm2 { .. } => "base64 SM2 ciphertext (C1C3C2) under the WeChat Pay 国密 certificate named by Wechatpay-Serial",
        }
    }
}
