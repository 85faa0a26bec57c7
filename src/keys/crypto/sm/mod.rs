//! 国密 (ShangMi, feature `shangmi`): the SM2 keys, signatures and public-key encryption and the
//! AEAD_SM4_GCM cipher that WeChat Pay's `WECHATPAY2-SM2-WITH-SM3` scheme uses.
//!
//! What WeChat Pay does, as its official Java SDK implements it (`wechatpay-apiv3/wechatpay-java`,
//! module `shangmi`, on the Tencent Kona suite; its test vectors are in this module's tests):
//!
//! - requests and answers are signed SM2 with SM3 (`SM2Signer`/`SM2Verifier`, Kona's `SM2`
//!   signature) over the same strings as RSA, with the default user id `1234567812345678`
//!   (GB/T 32918.2, GM/T 0009 §10), the signature DER `SEQUENCE { r INTEGER, s INTEGER }`, base64;
//! - sensitive fields are SM2-encrypted (`SM2PrivacyEncryptor`) to DER
//!   `SEQUENCE { x INTEGER, y INTEGER, hash OCTET STRING, cipherText OCTET STRING }` (C1C3C2,
//!   GM/T 0009 §7.2), base64;
//! - callbacks and downloaded certificates are sealed `AEAD_SM4_GCM` (`AeadSM4Cipher`) under the
//!   first 16 bytes of the SM3 digest of the APIv3 key, 12-byte nonce, 16-byte tag;
//! - the certificates are listed by `GET /v3/certificates?algorithm_type=SM2`.
//!
//! The curve arithmetic, SM2DSA and the SM4 block cipher are RustCrypto's (`sm2` 0.13, `sm4`
//! 0.5, `sm3` 0.4); the encryption scheme (GB/T 32918.4), which `sm2` 0.13 does not offer, is
//! built on its arithmetic here.

mod cert;
mod keys;
mod pke;
mod sm4gcm;

pub use cert::Sm2Certificate;
pub use keys::{Sm2PrivateKey, Sm2PublicKey, DEFAULT_USER_ID};
pub use sm4gcm::{sm4_gcm_decrypt, sm4_gcm_encrypt, sm4_key};

use crate::error::{Error, Result};
use base64::Engine as _;

/// Encrypts a sensitive field for WeChat Pay's 国密 scheme: SM2 (C1C3C2, DER), base64 out.
///
/// ```
/// use wechatpay::crypto::sm::{decrypt_sensitive_sm2, encrypt_sensitive_sm2, Sm2PrivateKey};
/// let key = Sm2PrivateKey::generate()?;
/// let ciphertext = encrypt_sensitive_sm2(&key.public_key(), "张三")?;
/// assert_eq!(decrypt_sensitive_sm2(&key, &ciphertext)?, "张三");
/// # Ok::<(), wechatpay::Error>(())
/// ```
pub fn encrypt_sensitive_sm2(key: &Sm2PublicKey, plaintext: &str) -> Result<String> {
    let ciphertext = key.encrypt(plaintext.as_bytes())?;
    Ok(base64::engine::general_purpose::STANDARD.encode(ciphertext))
}

/// Decrypts a base64 SM2 sensitive field ([`encrypt_sensitive_sm2`]) to UTF-8 text.
///
/// ```
/// use wechatpay::crypto::sm::{decrypt_sensitive_sm2, Sm2PrivateKey};
/// let key = Sm2PrivateKey::generate()?;
/// assert!(decrypt_sensitive_sm2(&key, "not base64!").is_err());
/// # Ok::<(), wechatpay::Error>(())
/// ```
pub fn decrypt_sensitive_sm2(key: &Sm2PrivateKey, ciphertext_b64: &str) -> Result<String> {
    let ciphertext = base64::engine::general_purpose::STANDARD
        .decode(ciphertext_b64.trim())
        .map_err(|e| Error::decode("the base64 of an SM2-encrypted sensitive field", e))?;
    let plaintext = key.decrypt(&ciphertext)?;
    String::from_utf8(plaintext)
        .map_err(|_| Error::decode("a decrypted sensitive field", "it is not UTF-8 text"))
}

#[cfg(test)]
mod tests;
