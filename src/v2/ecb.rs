//! AES-256-ECB with PKCS#7 padding, as APIv2 refund notifications use it.

use crate::error::{Error, Result};
use aes::cipher::{block_padding::Pkcs7, BlockDecryptMut, BlockEncryptMut, KeyInit};
use base64::Engine;

type Encryptor = ecb::Encryptor<aes::Aes256>;
type Decryptor = ecb::Decryptor<aes::Aes256>;

fn check_key(key: &[u8]) -> Result<()> {
    if key.len() == 32 {
        Ok(())
    } else {
        Err(Error::Crypto(format!(
            "AES-256-ECB needs a 32-byte key, got {}",
            key.len()
        )))
    }
}

/// Encrypts to base64.
///
/// ```
/// let c = wechatpay::v2::ecb::aes_256_ecb_encrypt(b"0123456789abcdef0123456789abcdef", b"hello").unwrap();
/// assert_eq!(c, "pZwJZBLuy3mDACEQT4YTBw==");
/// ```
pub fn aes_256_ecb_encrypt(key: &[u8], plaintext: &[u8]) -> Result<String> {
    check_key(key)?;
    let encryptor = Encryptor::new_from_slice(key).map_err(|e| Error::Crypto(e.to_string()))?;
    let ciphertext = encryptor.encrypt_padded_vec_mut::<Pkcs7>(plaintext);
    Ok(base64::engine::general_purpose::STANDARD.encode(ciphertext))
}

/// Decrypts base64; a wrong key shows up as bad padding.
pub fn aes_256_ecb_decrypt(key: &[u8], ciphertext_b64: &str) -> Result<Vec<u8>> {
    check_key(key)?;
    let ciphertext = base64::engine::general_purpose::STANDARD
        .decode(ciphertext_b64.trim())
        .map_err(|e| Error::decode("the AES-256-ECB ciphertext as base64", e))?;
    let decryptor = Decryptor::new_from_slice(key).map_err(|e| Error::Crypto(e.to_string()))?;
    decryptor
        .decrypt_padded_vec_mut::<Pkcs7>(&ciphertext)
        .map_err(|_| {
            Error::Crypto(
                "AES-256-ECB decryption failed: wrong key (the APIv2 secret?) or damaged data"
                    .into(),
            )
        })
}
