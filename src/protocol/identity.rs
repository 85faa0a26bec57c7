//! Who signs: a merchant or a brand (the scheme, its id), with its key pair and secrets.

use crate::keys::crypto::{PrivateKey, Signer};
use crate::protocol::v3::Scheme;
use std::sync::Arc;
use zeroize::Zeroizing;

/// The APIv3-style signing key: the merchant's (or the brand's) API certificate serial and key.
#[derive(Clone)]
pub(crate) struct V3Identity {
    pub serial: String,
    pub signer: Arc<dyn Signer>,
    /// The key itself when given as PEM: decrypts sensitive fields in answers.
    pub private_key: Option<PrivateKey>,
}

/// The identity that signs a client's calls: the part of the client that preparing a request,
/// checking an APIv2 answer and decrypting a notification read.
#[derive(Clone)]
pub(crate) struct Identity {
    /// The scheme it signs under: which `Authorization` token and id pair, which paths, which
    /// keys verify its answers.
    pub scheme: &'static Scheme,
    /// The `mchid` of a merchant, the `brand_id` of a brand.
    pub id: String,
    /// APIv3 (RSA): absent when the client was built without a serial and private key.
    pub v3: Option<V3Identity>,
    /// Merchants only.
    pub apiv2_secret: Option<Zeroizing<String>>,
    /// The key that decrypts notifications (and a merchant's downloaded certificates): the
    /// APIv3 key, or a brand's brand API key (`Scheme::notification_key` names the setting).
    pub apiv3_key: Option<Zeroizing<Vec<u8>>>,
    /// 国密 (feature `shangmi`): the merchant's SM2 key and WeChat Pay's SM2 keys by serial, for
    /// sensitive fields; present exactly when `scheme` is [`Scheme::SHANGMI`].
    #[cfg(feature = "shangmi")]
    pub shangmi: Option<ShangmiKeys>,
}

/// A 国密 client's SM2 keys.
#[cfg(feature = "shangmi")]
#[derive(Clone)]
pub(crate) struct ShangmiKeys {
    /// The merchant's SM2 API key: signs, decrypts sensitive fields of answers.
    pub key: crate::keys::crypto::sm::Sm2PrivateKey,
    /// WeChat Pay's SM2 keys (platform certificate serial or public key id, key, end of
    /// validity): encrypt sensitive fields, the one valid longest first.
    pub wechatpay: Vec<(String, crate::keys::crypto::sm::Sm2PublicKey, Option<i64>)>,
}

impl Identity {
    /// The APIv2 secret, if the client has one.
    pub(crate) fn apiv2_secret(&self) -> Option<&str> {
        self.apiv2_secret.as_ref().map(|s| s.as_str())
    }
}
