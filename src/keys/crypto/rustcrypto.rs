//! The RustCrypto `rsa` 0.9 backend (feature `rustcrypto`): pure Rust, for builds without aws-lc.
//!
//! `rsa` 0.9 is exposed to RUSTSEC-2023-0071 (a timing side channel in private-key operations), so
//! every private-key operation here goes through the blinded entry points with the OS RNG; it is
//! still the weaker backend, which is why it is not the default.

use crate::error::{Error, Result};
use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey};
use rsa::rand_core::{CryptoRng, RngCore};
use rsa::{Oaep, Pkcs1v15Sign, RsaPrivateKey, RsaPublicKey};
use sha2::{Digest, Sha256};

/// The OS CSPRNG through `getrandom`, in the `rand_core` 0.6 shape `rsa` 0.9 wants; a local adapter
/// because `rsa` is built without its own `getrandom` feature.
struct OsRng;

impl RngCore for OsRng {
    fn next_u32(&mut self) -> u32 {
        let mut b = [0u8; 4];
        self.fill_bytes(&mut b);
        u32::from_le_bytes(b)
    }
    fn next_u64(&mut self) -> u64 {
        let mut b = [0u8; 8];
        self.fill_bytes(&mut b);
        u64::from_le_bytes(b)
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        // Same policy as util::nonce: without an OS random source no key operation is safe.
        getrandom::getrandom(dest).expect("the operating system's random source failed");
    }
    fn try_fill_bytes(
        &mut self,
        dest: &mut [u8],
    ) -> std::result::Result<(), rsa::rand_core::Error> {
        getrandom::getrandom(dest).map_err(rsa::rand_core::Error::new)
    }
}

impl CryptoRng for OsRng {}

pub(crate) struct Private {
    key: RsaPrivateKey,
}

impl Private {
    pub(crate) fn from_pkcs8(pkcs8: &[u8]) -> std::result::Result<Self, String> {
        let key = RsaPrivateKey::from_pkcs8_der(pkcs8)
            .map_err(|e| format!("the rsa crate rejected the key ({e})"))?;
        Ok(Private { key })
    }

    pub(crate) fn sign(&self, message: &[u8]) -> Result<Vec<u8>> {
        self.key
            .sign_with_rng(
                &mut OsRng,
                Pkcs1v15Sign::new::<Sha256>(),
                &Sha256::digest(message),
            )
            .map_err(|e| Error::Crypto(format!("RSA-SHA256 signing failed (rsa crate: {e})")))
    }

    pub(crate) fn decrypt_oaep(&self, ciphertext: &[u8]) -> Result<Vec<u8>> {
        self.key
            .decrypt_blinded(&mut OsRng, Oaep::new::<sha1::Sha1>(), ciphertext)
            .map_err(|_| super::keys::oaep_failure())
    }
}

pub(crate) struct Public {
    key: RsaPublicKey,
}

impl Public {
    pub(crate) fn from_spki(spki: &[u8]) -> std::result::Result<Self, String> {
        let key = RsaPublicKey::from_public_key_der(spki)
            .map_err(|e| format!("the rsa crate rejected the key ({e})"))?;
        Ok(Public { key })
    }

    pub(crate) fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        self.key
            .verify(
                Pkcs1v15Sign::new::<Sha256>(),
                &Sha256::digest(message),
                signature,
            )
            .is_ok()
    }

    pub(crate) fn encrypt_oaep(&self, plaintext: &[u8]) -> Result<Vec<u8>> {
        self.key
            .encrypt(&mut OsRng, Oaep::new::<sha1::Sha1>(), plaintext)
            .map_err(|e| Error::Crypto(format!("RSA-OAEP encryption failed (rsa crate: {e})")))
    }
}
