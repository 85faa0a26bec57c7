//! The aws-lc-rs backend: the default, chosen for speed (about 3,450 RSA-2048 signatures a second on
//! the reference machine, eight times the pure-Rust `rsa` crate) and constant-time private-key code.
//!
//! Inputs are already validated, canonical DER (see `keys.rs`): a rejection here means the key
//! material itself is inconsistent.

use crate::error::{Error, Result};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::{
    KeyPair, OaepPrivateDecryptingKey, OaepPublicEncryptingKey, PrivateDecryptingKey,
    PublicEncryptingKey, OAEP_SHA1_MGF1SHA1,
};
use aws_lc_rs::signature::{ParsedPublicKey, RSA_PKCS1_2048_8192_SHA256, RSA_PKCS1_SHA256};

/// Seeds aws-lc's random generator once per process, now.
///
/// The first use of the generator (RSA blinding in the first signature) costs 30–55 ms of
/// entropy gathering; its state is process-wide, so seeding it while the client is built takes
/// that cost off the first call. It is done on the building thread, not a thread of its own: a
/// short-lived process (the CLI) could otherwise exit while that thread is inside aws-lc.
pub(crate) fn warm_up() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let mut byte = [0u8; 1];
        let _ = aws_lc_rs::rand::fill(&mut byte);
    });
}

/// A private key ready to sign (PKCS#1 v1.5 SHA-256) and to decrypt (OAEP SHA-1).
pub(crate) struct Private {
    pair: KeyPair,
    oaep: OaepPrivateDecryptingKey,
}

impl Private {
    /// Both aws-lc objects are built up front: parsing checks the key once, at load time.
    pub(crate) fn from_pkcs8(pkcs8: &[u8]) -> std::result::Result<Self, String> {
        let pair =
            KeyPair::from_pkcs8(pkcs8).map_err(|e| format!("aws-lc rejected the key ({e})"))?;
        let decrypting = PrivateDecryptingKey::from_pkcs8(pkcs8)
            .map_err(|e| format!("aws-lc rejected the key ({e})"))?;
        let oaep = OaepPrivateDecryptingKey::new(decrypting)
            .map_err(|_| "aws-lc cannot use the key for RSA-OAEP".to_string())?;
        Ok(Private { pair, oaep })
    }

    pub(crate) fn sign(&self, message: &[u8]) -> Result<Vec<u8>> {
        let mut signature = vec![0u8; self.pair.public_modulus_len()];
        self.pair
            .sign(
                &RSA_PKCS1_SHA256,
                &SystemRandom::new(),
                message,
                &mut signature,
            )
            .map_err(|_| Error::Crypto("RSA-SHA256 signing failed (aws-lc)".into()))?;
        Ok(signature)
    }

    pub(crate) fn decrypt_oaep(&self, ciphertext: &[u8]) -> Result<Vec<u8>> {
        let mut plaintext = vec![0u8; self.oaep.min_output_size()];
        let len = self
            .oaep
            .decrypt(&OAEP_SHA1_MGF1SHA1, ciphertext, &mut plaintext, None)
            .map_err(|_| super::keys::oaep_failure())?
            .len();
        plaintext.truncate(len);
        Ok(plaintext)
    }
}

/// A public key ready to verify and to encrypt.
pub(crate) struct Public {
    verifying: ParsedPublicKey,
    oaep: OaepPublicEncryptingKey,
}

impl Public {
    pub(crate) fn from_spki(spki: &[u8]) -> std::result::Result<Self, String> {
        let verifying = ParsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, spki)
            .map_err(|e| format!("aws-lc rejected the key ({e})"))?;
        let encrypting = PublicEncryptingKey::from_der(spki)
            .map_err(|e| format!("aws-lc rejected the key ({e})"))?;
        let oaep = OaepPublicEncryptingKey::new(encrypting)
            .map_err(|_| "aws-lc cannot use the key for RSA-OAEP".to_string())?;
        Ok(Public { verifying, oaep })
    }

    /// `true` when the signature verifies.
    pub(crate) fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        self.verifying.verify_sig(message, signature).is_ok()
    }

    pub(crate) fn encrypt_oaep(&self, plaintext: &[u8]) -> Result<Vec<u8>> {
        let mut ciphertext = vec![0u8; self.oaep.ciphertext_size()];
        let len = self
            .oaep
            .encrypt(&OAEP_SHA1_MGF1SHA1, plaintext, &mut ciphertext, None)
            .map_err(|_| Error::Crypto("RSA-OAEP encryption failed (aws-lc)".into()))?
            .len();
        ciphertext.truncate(len);
        Ok(ciphertext)
    }
}
