//! AES-256-GCM as APIv3 uses it for notifications (`resource`) and certificate downloads.
//!
//! RustCrypto `aes-gcm` rather than aws-lc-rs: aws-lc-rs AEAD only takes 12-byte nonces, while the
//! reference SDK (and GCM itself) also accepts 16-byte IVs. Unlike the PHP SDK, the key must be
//! exactly 32 bytes (PHP silently pads or truncates) and the tag exactly 16 bytes.

use crate::error::{Error, Result};
use aes_gcm::aead::consts::{U12, U16};
use aes_gcm::aead::generic_array::GenericArray;
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::aes::Aes256;
use aes_gcm::AesGcm;
use base64::Engine as _;

const TAG_LEN: usize = 16;

fn check_key(key: &[u8]) -> Result<()> {
    if key.len() != 32 {
        return Err(Error::Crypto(format!(
            "the APIv3 key must be 32 bytes, got {} (it is the 32-character APIv3 key set in the \
             merchant platform, not the APIv2 key or a certificate serial)",
            key.len()
        )));
    }
    Ok(())
}

fn nonce_error(len: usize) -> Error {
    Error::Crypto(if len == 0 {
        "the AES-GCM nonce is empty; pass `resource.nonce` as received".into()
    } else {
        format!("the AES-GCM nonce must be 12 bytes (or 16), got {len}; pass `resource.nonce` as received")
    })
}

/// Runs `$body` with `$cipher` bound to an AES-256-GCM instance for the nonce's length.
macro_rules! with_cipher {
    ($key:expr, $nonce:expr, |$cipher:ident, $n:ident| $body:expr) => {
        match $nonce.len() {
            12 => {
                let $cipher = AesGcm::<Aes256, U12>::new(GenericArray::from_slice($key));
                let $n = GenericArray::from_slice($nonce);
                $body
            }
            16 => {
                let $cipher = AesGcm::<Aes256, U16>::new(GenericArray::from_slice($key));
                let $n = GenericArray::from_slice($nonce);
                $body
            }
            other => return Err(nonce_error(other)),
        }
    };
}

/// Decrypts base64(ciphertext ‖ 16-byte tag) with the APIv3 key; `aad` is
/// `resource.associated_data` (possibly empty).
///
/// ```
/// use wechatpay::crypto::aes::aes_256_gcm_decrypt;
/// let plain = aes_256_gcm_decrypt(
///     b"0123456789abcdef0123456789abcdef", b"0123456789ab", b"transaction",
///     "4ouGGHn75QwOTQ6x5UH1WuPJdsyhTfs=",
/// )?;
/// assert_eq!(plain, br#"{"a":1}"#);
/// # Ok::<(), wechatpay::Error>(())
/// ```
pub fn aes_256_gcm_decrypt(
    key: &[u8],
    nonce: &[u8],
    aad: &[u8],
    ciphertext_b64: &str,
) -> Result<Vec<u8>> {
    check_key(key)?;
    let data = base64::engine::general_purpose::STANDARD
        .decode(ciphertext_b64.trim())
        .map_err(|e| Error::decode("the base64 of an AES-GCM ciphertext", e))?;
    if data.len() < TAG_LEN {
        return Err(Error::Crypto(format!(
            "the AES-GCM ciphertext is {} bytes, shorter than its 16-byte tag (truncated?)",
            data.len()
        )));
    }
    let payload = Payload { msg: &data, aad };
    with_cipher!(key, nonce, |cipher, n| cipher.decrypt(n, payload)).map_err(|_| {
        Error::Crypto(
            "AES-256-GCM authentication failed: wrong APIv3 key or tampered ciphertext \
             (nonce and associated_data must be passed exactly as received)"
                .into(),
        )
    })
}

/// Encrypts `plaintext` and returns base64(ciphertext ‖ 16-byte tag), the shape WeChat Pay sends.
///
/// ```
/// use wechatpay::crypto::aes::aes_256_gcm_encrypt;
/// let b64 = aes_256_gcm_encrypt(
///     b"0123456789abcdef0123456789abcdef", b"0123456789ab", b"transaction", br#"{"a":1}"#,
/// )?;
/// assert_eq!(b64, "4ouGGHn75QwOTQ6x5UH1WuPJdsyhTfs=");
/// # Ok::<(), wechatpay::Error>(())
/// ```
pub fn aes_256_gcm_encrypt(
    key: &[u8],
    nonce: &[u8],
    aad: &[u8],
    plaintext: &[u8],
) -> Result<String> {
    check_key(key)?;
    let payload = Payload {
        msg: plaintext,
        aad,
    };
    let sealed = with_cipher!(key, nonce, |cipher, n| cipher.encrypt(n, payload))
        .map_err(|_| Error::Crypto("AES-256-GCM encryption failed (plaintext too long?)".into()))?;
    Ok(base64::engine::general_purpose::STANDARD.encode(sealed))
}
