//! Who signs: the merchant id with its key pair per scheme, and the secrets of both APIs.

use crate::keys::crypto::{PrivateKey, Signer};
use std::sync::Arc;
use zeroize::Zeroizing;

/// The merchant's APIv3 signing identity.
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
    pub mchid: String,
    /// APIv3 (RSA): absent when the client was built without a serial and private key.
    pub v3: Option<V3Identity>,
    pub apiv2_secret: Option<Zeroizing<String>>,
    pub apiv3_key: Option<Zeroizing<Vec<u8>>>,
}

impl Identity {
    /// The APIv2 secret, if the client has one.
    pub(crate) fn apiv2_secret(&self) -> Option<&str> {
        self.apiv2_secret.as_ref().map(|s| s.as_str())
    }
}
