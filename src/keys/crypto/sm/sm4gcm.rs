//! AEAD_SM4_GCM as WeChat Pay's 国密 scheme seals callbacks and certificates: SM4 (GB/T 32907)
//! in GCM with a 12-byte nonce and a 16-byte tag, keyed by the first 16 bytes of SM3(APIv3 key)
//! (`AeadSM4Cipher` in the official Java SDK).

use crate::error::{Error, Result};
use aes_gcm::aead::consts::U12;
use aes_gcm::aead::generic_array::GenericArray;
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::AesGcm;
use base64::Engine as _;
use zeroize::Zeroizing;

type Sm4Gcm = AesGcm<sm4::Sm4, U12>;

/// The SM4 key WeChat Pay derives from a 32-byte APIv3 key: the first 128 bits of its SM3 digest.
///
/// ```
/// let key = wechatpay::crypto::sm::sm4_key(b"a7cde1ZJB1kG2e7VfTs3jQzaWizur8Gb")?;
/// assert_eq!(key.len(), 16);
/// assert!(wechatpay::crypto::sm::sm4_key(b"short").is_err());
/// # Ok::<(), wechatpay::Error>(())
/// ```
pub fn sm4_key(apiv3_key: &[u8]) -> Result<Zeroizing<[u8; 16]>> {
    use sm3::Digest as _;
    if apiv3_key.len() != 32 {
        return Err(Error::Crypto(format!(
            "the APIv3 key must be 32 bytes, got {} (AEAD_SM4_GCM derives its key from the 32-character APIv3 key)",
            apiv3_key.len()
        )));
    }
    let digest = Zeroizing::new(sm3::Sm3::digest(apiv3_key));
    let mut key = Zeroizing::new([0u8; 16]);
    key.copy_from_slice(&digest[..16]);
    Ok(key)
}

fn cipher(apiv3_key: &[u8], nonce: &[u8]) -> Result<Sm4Gcm> {
    if nonce.len() != 12 {
        return Err(Error::Crypto(format!(
            "the AEAD_SM4_GCM nonce must be 12 bytes, got {}; pass `nonce` as received",
            nonce.len()
        )));
    }
    let key = sm4_key(apiv3_key)?;
    Ok(Sm4Gcm::new(GenericArray::from_slice(&key[..])))
}

/// Opens base64(ciphertext ‖ 16-byte tag) sealed AEAD_SM4_GCM under the APIv3 key.
///
/// The vector of the official Java SDK (`BaseAeadSM4Test`):
///
/// ```
/// use wechatpay::crypto::sm::sm4_gcm_decrypt;
/// let plain = sm4_gcm_decrypt(b"a7cde1ZJB1kG2e7VfTs3jQzaWizur8Gb", b"uluk4a9R25RW",
///     b"associatedData", "+lcLNfkZQQx+iQm20Apa3x9Mb/5L7PgZ7w==")?;
/// assert_eq!(plain, b"plaintext");
/// # Ok::<(), wechatpay::Error>(())
/// ```
pub fn sm4_gcm_decrypt(
    apiv3_key: &[u8],
    nonce: &[u8],
    aad: &[u8],
    ciphertext_b64: &str,
) -> Result<Vec<u8>> {
    let data = base64::engine::general_purpose::STANDARD
        .decode(ciphertext_b64.trim())
        .map_err(|e| Error::decode("the base64 of an AEAD_SM4_GCM ciphertext", e))?;
    if data.len() < 16 {
        return Err(Error::Crypto(format!(
            "the AEAD_SM4_GCM ciphertext is {} bytes, shorter than its 16-byte tag (truncated?)",
            data.len()
        )));
    }
    cipher(apiv3_key, nonce)?
        .decrypt(GenericArray::from_slice(nonce), Payload { msg: &data, aad })
        .map_err(|_| {
            Error::Crypto(
                "AEAD_SM4_GCM authentication failed: wrong APIv3 key or tampered ciphertext \
                 (nonce and associated_data must be passed exactly as received)"
                    .into(),
            )
        })
}

/// Seals `plaintext` AEAD_SM4_GCM and returns base64(ciphertext ‖ tag), as WeChat Pay sends it.
///
/// ```
/// use wechatpay::crypto::sm::sm4_gcm_encrypt;
/// let b64 = sm4_gcm_encrypt(b"a7cde1ZJB1kG2e7VfTs3jQzaWizur8Gb", b"uluk4a9R25RW",
///     b"associatedData", b"plaintext")?;
/// assert_eq!(b64, "+lcLNfkZQQx+iQm20Apa3x9Mb/5L7PgZ7w==");
/// # Ok::<(), wechatpay::Error>(())
/// ```
pub fn sm4_gcm_encrypt(
    apiv3_key: &[u8],
    nonce: &[u8],
    aad: &[u8],
    plaintext: &[u8],
) -> Result<String> {
    let sealed = cipher(apiv3_key, nonce)?
        .encrypt(
            GenericArray::from_slice(nonce),
            Payload {
                msg: plaintext,
                aad,
            },
        )
        .map_err(|_| {
            Error::Crypto("AEAD_SM4_GCM encryption failed (plaintext too long?)".into())
        })?;
    Ok(base64::engine::general_purpose::STANDARD.encode(sealed))
}
