//! AES-256-ECB with PKCS#7 padding, as APIv2 refund notifications use it for `req_info`.
//!
//! ECB leaks repeated blocks and authenticates nothing (blocks can be cut, reordered and spliced
//! between messages under the same key); it is here only because WeChat Pay encrypts `req_info`
//! that way. A clean decryption proves nothing about who made the ciphertext.

use crate::error::{Error, Result};
use aes::cipher::{block_padding::Pkcs7, BlockDecryptMut, BlockEncryptMut, KeyInit};
use base64::Engine;

type Encryptor = ecb::Encryptor<aes::Aes256>;
type Decryptor = ecb::Decryptor<aes::Aes256>;

const BLOCK: usize = 16;

fn check_key(key: &[u8]) -> Result<()> {
    if key.len() == 32 {
        Ok(())
    } else {
        Err(Error::key(
            "a 32-byte AES-256-ECB key",
            format!("got {} bytes", key.len()),
        ))
    }
}

/// Encrypts with PKCS#7 padding and returns base64.
///
/// # Errors
/// [`Error::Key`] unless the key is 32 bytes.
///
/// ```
/// let key = b"0123456789abcdef0123456789abcdef";
/// assert_eq!(wechatpay::v2::ecb::aes_256_ecb_encrypt(key, b"hello").unwrap(), "pZwJZBLuy3mDACEQT4YTBw==");
/// ```
pub fn aes_256_ecb_encrypt(key: &[u8], plaintext: &[u8]) -> Result<String> {
    check_key(key)?;
    let encryptor = Encryptor::new_from_slice(key).map_err(|e| Error::Crypto(e.to_string()))?;
    let ciphertext = encryptor.encrypt_padded_vec_mut::<Pkcs7>(plaintext);
    Ok(base64::engine::general_purpose::STANDARD.encode(ciphertext))
}

/// Decrypts base64 ciphertext and removes the PKCS#7 padding.
///
/// # Errors
/// [`Error::Key`] unless the key is 32 bytes; [`Error::Decode`] for bad base64;
/// [`Error::Crypto`] when the length is not a whole number of blocks or the padding is wrong
/// (the usual sign of a wrong key).
///
/// ```
/// let key = b"0123456789abcdef0123456789abcdef";
/// assert_eq!(wechatpay::v2::ecb::aes_256_ecb_decrypt(key, "pZwJZBLuy3mDACEQT4YTBw==").unwrap(), b"hello");
/// ```
pub fn aes_256_ecb_decrypt(key: &[u8], ciphertext_b64: &str) -> Result<Vec<u8>> {
    check_key(key)?;
    let ciphertext = base64::engine::general_purpose::STANDARD
        .decode(ciphertext_b64.trim())
        .map_err(|e| Error::decode("the AES-256-ECB ciphertext as base64", e))?;
    if ciphertext.is_empty() || ciphertext.len() % BLOCK != 0 {
        return Err(Error::Crypto(format!(
            "AES-256-ECB ciphertext must be a non-zero multiple of {BLOCK} bytes, got {}",
            ciphertext.len()
        )));
    }
    let decryptor = Decryptor::new_from_slice(key).map_err(|e| Error::Crypto(e.to_string()))?;
    decryptor
        .decrypt_padded_vec_mut::<Pkcs7>(&ciphertext)
        .map_err(|_| {
            Error::Crypto(
                "AES-256-ECB decryption failed (bad padding): wrong key or damaged data".into(),
            )
        })
}
