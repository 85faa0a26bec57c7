//! SM2 private and public keys: loading (PKCS#8 and SEC1 private keys, SPKI public keys, PEM or
//! DER), SM2DSA with SM3 and the default user id, the DER signature encoding.

use super::pke;
use crate::error::{Error, Result};
use crate::keys::crypto::{KeyAlgorithm, Signer, Verifier};
use sm2::dsa::signature::{Signer as _, Verifier as _};
use sm2::dsa::{Signature, SigningKey, VerifyingKey};
use sm2::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey};

/// The user id (distinguishing identifier) WeChat Pay signs with: the default of GB/T 32918.2
/// and GM/T 0009, which the official Java SDK's Kona `SM2` signature uses.
pub const DEFAULT_USER_ID: &str = "1234567812345678";

const EXPECT_PRIVATE: &str = "an SM2 private key (PKCS#8 or SEC1 `EC PRIVATE KEY`, PEM or DER)";
const EXPECT_PUBLIC: &str = "an SM2 public key (SPKI PEM or DER)";

/// An SM2 private key (a merchant's 国密 API key): signs requests, decrypts sensitive fields.
///
/// ```
/// use wechatpay::crypto::sm::Sm2PrivateKey;
/// use wechatpay::crypto::{Signer, Verifier};
/// let key = Sm2PrivateKey::generate()?;
/// let again = Sm2PrivateKey::from_pem(&key.to_pkcs8_pem()?)?;
/// let signature = again.sign(b"message")?;
/// key.public_key().verify(b"message", &signature)?;
/// assert!(Sm2PrivateKey::from_pem("-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----").is_err());
/// # Ok::<(), wechatpay::Error>(())
/// ```
#[derive(Clone)]
pub struct Sm2PrivateKey {
    secret: sm2::SecretKey,
    signing: SigningKey,
}

impl std::fmt::Debug for Sm2PrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sm2PrivateKey(..)")
    }
}

impl Sm2PrivateKey {
    fn from_secret(secret: sm2::SecretKey) -> Result<Self> {
        let signing = SigningKey::new(DEFAULT_USER_ID, &secret)
            .map_err(|_| Error::key(EXPECT_PRIVATE, "the scalar is not a usable SM2 key"))?;
        Ok(Sm2PrivateKey { secret, signing })
    }

    /// A fresh random key (the emulator's and tests' keys).
    pub fn generate() -> Result<Self> {
        loop {
            let mut bytes = zeroize::Zeroizing::new([0u8; 32]);
            getrandom::getrandom(&mut bytes[..])
                .map_err(|e| Error::Crypto(format!("no randomness for an SM2 key: {e}")))?;
            if let Ok(secret) = sm2::SecretKey::from_slice(&bytes[..]) {
                return Self::from_secret(secret);
            }
        }
    }

    /// The key from its 32-byte private scalar (big-endian).
    pub fn from_scalar(bytes: &[u8]) -> Result<Self> {
        let secret = sm2::SecretKey::from_slice(bytes)
            .map_err(|_| Error::key(EXPECT_PRIVATE, "not a 32-byte scalar in [1, n-1]"))?;
        Self::from_secret(secret)
    }

    /// PEM (`PRIVATE KEY` or `EC PRIVATE KEY`) or DER (PKCS#8 or SEC1), given as bytes or text.
    pub fn load(bytes: impl AsRef<[u8]>) -> Result<Self> {
        let bytes = bytes.as_ref();
        match std::str::from_utf8(bytes) {
            Ok(text) if text.trim_start().starts_with("-----BEGIN") => Self::from_pem(text),
            _ => Self::from_der(bytes),
        }
    }

    /// PEM: PKCS#8 `PRIVATE KEY` (as WeChat Pay's 国密 certificate tool writes) or SEC1 `EC PRIVATE KEY`.
    pub fn from_pem(pem: &str) -> Result<Self> {
        let label = pem
            .trim_start()
            .strip_prefix("-----BEGIN ")
            .and_then(|r| r.split_once("-----"))
            .map(|(l, _)| l)
            .unwrap_or("");
        let secret = match label {
            "PRIVATE KEY" => sm2::SecretKey::from_pkcs8_pem(pem).map_err(|e| e.to_string()),
            "EC PRIVATE KEY" => sm2::SecretKey::from_sec1_pem(pem).map_err(|e| e.to_string()),
            "ENCRYPTED PRIVATE KEY" => {
                Err("an encrypted key: decrypt it first (openssl pkcs8 -in key.pem)".into())
            }
            other => Err(format!(
                "found {} PEM block labelled `{other}`",
                crate::keys::crypto::keys::article(other)
            )),
        };
        let secret = secret.map_err(|reason| {
            Error::key(
                EXPECT_PRIVATE,
                format!("{reason} (an RSA key is for the RSA scheme; a 国密 key's curve is 1.2.156.10197.1.301)"),
            )
        })?;
        Self::from_secret(secret)
    }

    /// DER: PKCS#8, else SEC1.
    pub fn from_der(der: &[u8]) -> Result<Self> {
        let secret = sm2::SecretKey::from_pkcs8_der(der)
            .or_else(|_| sm2::SecretKey::from_sec1_der(der))
            .map_err(|_| {
                Error::key(
                    EXPECT_PRIVATE,
                    "the DER is neither an SM2 PKCS#8 nor an SEC1 key",
                )
            })?;
        Self::from_secret(secret)
    }

    /// The key as PKCS#8 PEM.
    pub fn to_pkcs8_pem(&self) -> Result<String> {
        self.secret
            .to_pkcs8_pem(Default::default())
            .map(|p| p.to_string())
            .map_err(|e| Error::Crypto(format!("cannot encode the SM2 key: {e}")))
    }

    /// Its public key.
    pub fn public_key(&self) -> Sm2PublicKey {
        Sm2PublicKey::from_inner(self.secret.public_key())
    }

    /// Opens SM2 ciphertext (C1C3C2, DER as WeChat Pay sends it, or raw `04‖C1‖C3‖C2`).
    pub fn decrypt(&self, ciphertext: &[u8]) -> Result<Vec<u8>> {
        pke::decrypt(&self.secret, ciphertext)
    }

    pub(crate) fn secret(&self) -> &sm2::SecretKey {
        &self.secret
    }
}

impl Signer for Sm2PrivateKey {
    /// SM2 with SM3 over `Z_A ‖ message` (user id `1234567812345678`), DER `(r, s)`.
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>> {
        let signature: Signature = self
            .signing
            .try_sign(message)
            .map_err(|e| Error::Crypto(format!("SM2 signing failed: {e}")))?;
        Ok(signature_to_der(&signature))
    }
}

/// An SM2 public key: WeChat Pay's 国密 platform key (verifies answers and notifications,
/// encrypts sensitive fields), or a merchant's.
///
/// ```
/// use wechatpay::crypto::sm::{Sm2PrivateKey, Sm2PublicKey};
/// let key = Sm2PrivateKey::generate()?.public_key();
/// assert_eq!(Sm2PublicKey::load(key.to_pem()?)?, key);
/// # Ok::<(), wechatpay::Error>(())
/// ```
#[derive(Clone)]
pub struct Sm2PublicKey {
    inner: sm2::PublicKey,
    verifying: VerifyingKey,
}

impl std::fmt::Debug for Sm2PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Sm2PublicKey({})",
            hex::encode(self.inner.to_sec1_bytes())
        )
    }
}

impl PartialEq for Sm2PublicKey {
    fn eq(&self, other: &Self) -> bool {
        self.inner == other.inner
    }
}

impl Eq for Sm2PublicKey {}

impl Sm2PublicKey {
    pub(crate) fn from_inner(inner: sm2::PublicKey) -> Self {
        // A valid public key always makes a verifying key; the user id is a constant.
        let verifying = VerifyingKey::new(DEFAULT_USER_ID, inner)
            .unwrap_or_else(|_| unreachable!("a valid SM2 public key"));
        Sm2PublicKey { inner, verifying }
    }

    /// SPKI (`PUBLIC KEY`) PEM or DER, or the 65-byte uncompressed point `04‖x‖y`.
    pub fn load(bytes: impl AsRef<[u8]>) -> Result<Self> {
        let bytes = bytes.as_ref();
        let inner = match std::str::from_utf8(bytes) {
            Ok(text) if text.trim_start().starts_with("-----BEGIN") => {
                sm2::PublicKey::from_public_key_pem(text.trim()).map_err(|e| {
                    Error::key(
                        EXPECT_PUBLIC,
                        format!("{e} (a certificate goes to Sm2Certificate::from_pem)"),
                    )
                })?
            }
            _ if bytes.len() == 65 && bytes[0] == 4 => sm2::PublicKey::from_sec1_bytes(bytes)
                .map_err(|_| Error::key(EXPECT_PUBLIC, "the point is not on the SM2 curve"))?,
            _ => sm2::PublicKey::from_public_key_der(bytes)
                .map_err(|e| Error::key(EXPECT_PUBLIC, e.to_string()))?,
        };
        Ok(Self::from_inner(inner))
    }

    /// The key as SPKI PEM.
    pub fn to_pem(&self) -> Result<String> {
        self.inner
            .to_public_key_pem(Default::default())
            .map_err(|e| Error::Crypto(format!("cannot encode the SM2 public key: {e}")))
    }

    /// The uncompressed point `04‖x‖y`.
    pub fn to_sec1_bytes(&self) -> Vec<u8> {
        self.inner.to_sec1_bytes().into_vec()
    }

    /// SM2-encrypts `plaintext` (C1C3C2, DER), a fresh random `k` each time.
    pub fn encrypt(&self, plaintext: &[u8]) -> Result<Vec<u8>> {
        pke::encrypt(&self.inner, plaintext)
    }

    pub(crate) fn inner(&self) -> &sm2::PublicKey {
        &self.inner
    }
}

impl Verifier for Sm2PublicKey {
    /// SM2 with SM3, user id `1234567812345678`; the signature DER `(r, s)` as WeChat Pay
    /// sends it (the raw 64-byte `r‖s` is refused: not what WeChat Pay signs).
    fn verify(&self, message: &[u8], signature: &[u8]) -> Result<()> {
        let signature = signature_from_der(signature).ok_or_else(|| {
            Error::Signature("the SM2 signature is not DER SEQUENCE { r, s }".into())
        })?;
        self.verifying
            .verify(message, &signature)
            .map_err(|_| Error::Signature("the SM2 signature does not verify".into()))
    }

    fn algorithm(&self) -> KeyAlgorithm {
        KeyAlgorithm::Sm2
    }
}

/// DER `SEQUENCE { r INTEGER, s INTEGER }`.
pub(crate) fn signature_to_der(signature: &Signature) -> Vec<u8> {
    let r = super::pke::der_uint(&signature.r_bytes());
    let s = super::pke::der_uint(&signature.s_bytes());
    let mut body = r;
    body.extend_from_slice(&s);
    super::pke::der_tlv(0x30, &body)
}

fn signature_from_der(der: &[u8]) -> Option<Signature> {
    let mut items = super::pke::der_sequence(der)?;
    let r = items.next_uint()?;
    let s = items.next_uint()?;
    items.finished().then_some(())?;
    Signature::from_scalars(r, s).ok()
}
