//! RSA keys and certificates, AES-256-GCM, and the hashes the protocols need.
//!
//! Private-key operations (request signing, sensitive-field decryption) and answer verification run
//! on aws-lc-rs by default, the fastest of the measured options (see `docs/architecture.md`, "RSA on
//! aws-lc-rs"). With the feature `rustcrypto`, the pure-Rust `rsa` crate is available as a second
//! [`Backend`]; both run the same test vectors.
//!
//! Parsing (PEM, PKCS#1, PKCS#8, SPKI, X.509) is done here once, with the RustCrypto `der` family,
//! so every backend receives the same canonical PKCS#8 or SPKI DER and every user mistake (a
//! certificate where a key belongs, an encrypted key without passphrase, an EC key...) gets the same
//! explicit message whatever the backend.

pub mod aes;
pub mod cert;
pub mod keys;
#[cfg(feature = "shangmi")]
pub mod sm;

mod awslc;
pub(crate) use awslc::warm_up;
#[cfg(feature = "rustcrypto")]
mod rustcrypto;

pub use cert::Certificate;
pub use keys::{PrivateKey, PublicKey};

use crate::error::{Error, Result};
use base64::Engine as _;

/// RSASSA-PKCS1-v1_5 with SHA-256, as APIv3 signs requests.
///
/// Object-safe, so a merchant can plug in an HSM or KMS signer in place of a [`PrivateKey`].
///
/// ```
/// use wechatpay::crypto::{PrivateKey, Signer, Verifier};
/// # let pem = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/keys/rsa.pkcs8.key"));
/// let key = PrivateKey::from_pem(pem)?;
/// let signer: Box<dyn Signer> = Box::new(key.clone());
/// let signature = signer.sign(b"GET\n/v3/certificates\n")?;
/// key.public_key().verify(b"GET\n/v3/certificates\n", &signature)?;
/// # Ok::<(), wechatpay::Error>(())
/// ```
pub trait Signer: Send + Sync + 'static {
    /// Signs `message` (SHA-256 is computed by the signer) and returns the raw signature bytes.
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>>;
}

/// Verifies RSASSA-PKCS1-v1_5 SHA-256 signatures.
///
/// ```
/// use wechatpay::crypto::{PrivateKey, PublicKey, Verifier};
/// # let pem = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/keys/rsa.pkcs8.key"));
/// # let spki = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/keys/rsa.spki.pem"));
/// let signature = PrivateKey::from_pem(pem)?.sign(b"message")?;
/// let verifier: &dyn Verifier = &PublicKey::from_pem(spki)?;
/// assert!(verifier.verify(b"message", &signature).is_ok());
/// assert!(matches!(verifier.verify(b"tampered", &signature), Err(wechatpay::Error::Signature(_))));
/// # Ok::<(), wechatpay::Error>(())
/// ```
pub trait Verifier: Send + Sync + 'static {
    /// `Ok(())` when `signature` is valid for `message`, otherwise [`Error::Signature`].
    fn verify(&self, message: &[u8], signature: &[u8]) -> Result<()>;

    /// The algorithm its signatures are: an answer whose `Wechatpay-Signature-Type` names another
    /// is refused before this key is tried. RSA unless the verifier says otherwise.
    fn algorithm(&self) -> KeyAlgorithm {
        KeyAlgorithm::Rsa
    }
}

/// The signature algorithm of a [`Verifier`]'s key.
///
/// ```
/// use wechatpay::crypto::{KeyAlgorithm, PublicKey, Verifier};
/// # let spki = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/keys/rsa.spki.pem"));
/// assert_eq!(PublicKey::from_pem(spki)?.algorithm(), KeyAlgorithm::Rsa);
/// # Ok::<(), wechatpay::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyAlgorithm {
    /// RSA PKCS#1 v1.5 with SHA-256 (`WECHATPAY2-SHA256-RSA2048`).
    Rsa,
    /// SM2 with SM3, user id `1234567812345678` (`WECHATPAY2-SM2-WITH-SM3`, feature `shangmi`).
    Sm2,
}

/// The library that performs the RSA operations of a key.
///
/// ```
/// use wechatpay::crypto::{Backend, PrivateKey};
/// # let pem = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/keys/rsa.pkcs8.key"));
/// let key = PrivateKey::from_pem(pem)?;
/// assert_eq!(key.backend(), Backend::AwsLc);
/// assert!(Backend::all().contains(&Backend::default()));
/// # Ok::<(), wechatpay::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Backend {
    /// aws-lc-rs (AWS-LC, a BoringSSL fork): fast and constant-time; the default.
    #[default]
    AwsLc,
    /// RustCrypto `rsa` 0.9: pure Rust, about eight times slower at signing, and exposed to the
    /// RUSTSEC-2023-0071 timing side channel on private-key operations (blinding is used).
    #[cfg(feature = "rustcrypto")]
    RustCrypto,
}

impl Backend {
    /// Every backend compiled into this build, the default first.
    pub fn all() -> &'static [Backend] {
        &[
            Backend::AwsLc,
            #[cfg(feature = "rustcrypto")]
            Backend::RustCrypto,
        ]
    }
}

/// Encrypts a sensitive field (name, ID number, phone...) for WeChat Pay: RSA-OAEP with SHA-1 and
/// MGF1-SHA-1, empty label, base64 out.
///
/// OAEP only: the PKCS#1 v1.5 padding is never offered (it is a decryption oracle).
///
/// ```
/// use wechatpay::crypto::{decrypt_sensitive, encrypt_sensitive, PrivateKey};
/// # let pem = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/keys/rsa.pkcs8.key"));
/// let key = PrivateKey::from_pem(pem)?;
/// let ciphertext = encrypt_sensitive(&key.public_key(), "张三")?;
/// assert_eq!(decrypt_sensitive(&key, &ciphertext)?, "张三");
/// # Ok::<(), wechatpay::Error>(())
/// ```
pub fn encrypt_sensitive(key: &PublicKey, plaintext: &str) -> Result<String> {
    let ciphertext = key.encrypt_oaep(plaintext.as_bytes())?;
    Ok(base64::engine::general_purpose::STANDARD.encode(ciphertext))
}

/// Decrypts a base64 sensitive field encrypted with RSA-OAEP SHA-1 (see [`encrypt_sensitive`]) and
/// returns it as UTF-8 text.
///
/// ```
/// use wechatpay::crypto::{decrypt_sensitive, PrivateKey};
/// # let pem = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/keys/rsa.pkcs8.key"));
/// let key = PrivateKey::from_pem(pem)?;
/// assert!(decrypt_sensitive(&key, "not base64!").is_err());
/// # Ok::<(), wechatpay::Error>(())
/// ```
pub fn decrypt_sensitive(key: &PrivateKey, ciphertext_b64: &str) -> Result<String> {
    let ciphertext = base64::engine::general_purpose::STANDARD
        .decode(ciphertext_b64.trim())
        .map_err(|e| Error::decode("the base64 of an encrypted sensitive field", e))?;
    let plaintext = key.decrypt_oaep(&ciphertext)?;
    String::from_utf8(plaintext)
        .map_err(|_| Error::decode("a decrypted sensitive field", "it is not UTF-8 text"))
}

/// Lowercase hex SHA-256 of `data`.
///
/// ```
/// assert_eq!(
///     wechatpay::crypto::sha256_hex(b"abc"),
///     "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
/// );
/// ```
pub fn sha256_hex(data: &[u8]) -> String {
    use sha2::Digest as _;
    hex::encode(sha2::Sha256::digest(data))
}

/// Lowercase hex SHA-1 of `data` (bill downloads carry a SHA-1 digest).
///
/// ```
/// assert_eq!(wechatpay::crypto::sha1_hex(b"abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
/// ```
pub fn sha1_hex(data: &[u8]) -> String {
    use sha1::Digest as _;
    hex::encode(sha1::Sha1::digest(data))
}

/// Lowercase hex SM3 (GB/T 32905) of `data`: the fapiao upload's `meta.digest`, the digest of a
/// transfer e-receipt whose `hash_type` is `SM3`. WeChat Pay sends such digests in uppercase
/// (`SM3-Digest`, `hash_value`) and its samples compute lowercase; compare them ignoring case.
///
/// ```
/// assert_eq!(
///     wechatpay::crypto::sm3_hex(b"abc"),
///     "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
/// );
/// ```
pub fn sm3_hex(data: &[u8]) -> String {
    use sm3::Digest as _;
    hex::encode(sm3::Sm3::digest(data))
}
