//! WeChat Pay's RSA public key, or the key of a certificate.

use super::sniff::{
    classify, decode_b64, found_block_for_public, in_file, looks_like_pkcs12, parse_pem,
    pem_encode, pem_text, pkcs12_as_public, read_key_file, Classified, PRIVATE_AS_PUBLIC,
};
use super::{algorithm_name, check_bits, spki_from_pkcs1, uint_bits, EXPECT_PUBLIC, RSA_OID};
use crate::error::{Error, Result};
use crate::keys::crypto::{awslc, Backend};
use der::{Decode, Encode};
use std::path::Path;
use std::sync::Arc;

#[cfg(feature = "rustcrypto")]
use crate::keys::crypto::rustcrypto;

/// SHA-1 OAEP overhead: 2 * hash length + 2.
const OAEP_SHA1_OVERHEAD: usize = 42;

/// An RSA public key: WeChat Pay's public key (`pub_key.pem`) or the key of a platform
/// certificate, used to verify answers and to encrypt sensitive fields.
///
/// Cheap to clone. Two keys are equal when their SPKI DER is, whatever the backend.
///
/// ```
/// use wechatpay::crypto::PublicKey;
/// # let pem = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/keys/rsa.pkcs1.pub.pem"));
/// let key = PublicKey::from_pem(pem)?;
/// assert!(format!("{key:?}").starts_with("PublicKey { bits: 2048, sha256: "));
/// # Ok::<(), wechatpay::Error>(())
/// ```
#[derive(Clone)]
pub struct PublicKey {
    inner: Arc<PublicInner>,
}

struct PublicInner {
    spki: Vec<u8>,
    bits: usize,
    backend: Backend,
    imp: PublicImpl,
}

enum PublicImpl {
    AwsLc(awslc::Public),
    #[cfg(feature = "rustcrypto")]
    RustCrypto(rustcrypto::Public),
}

impl std::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let fingerprint = crate::keys::crypto::sha256_hex(&self.inner.spki);
        f.debug_struct("PublicKey")
            .field("bits", &self.inner.bits)
            .field("sha256", &&fingerprint[..16])
            .field("backend", &self.inner.backend)
            .finish()
    }
}

impl PartialEq for PublicKey {
    fn eq(&self, other: &Self) -> bool {
        self.inner.spki == other.inner.spki
    }
}

impl Eq for PublicKey {}

impl PublicKey {
    /// Reads a PEM public key: `PUBLIC KEY` (SPKI), `RSA PUBLIC KEY` (PKCS#1, as APIv2
    /// `getpublickey` returns it) or `CERTIFICATE` (its key is taken; the certificate is not checked).
    ///
    /// ```
    /// use wechatpay::crypto::PublicKey;
    /// # let pem = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/keys/rsa.spki.pem"));
    /// # let cert = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/keys/rsa.crt"));
    /// assert_eq!(PublicKey::from_pem(pem)?, PublicKey::from_pem(cert)?);
    /// # Ok::<(), wechatpay::Error>(())
    /// ```
    pub fn from_pem(pem: impl AsRef<[u8]>) -> Result<Self> {
        let text = pem_text(pem.as_ref());
        let blocks = parse_pem(&text).map_err(|r| Error::key(EXPECT_PUBLIC, r))?;
        if blocks.is_empty() {
            return Err(Error::key(
                EXPECT_PUBLIC,
                "no PEM block found: expected `-----BEGIN PUBLIC KEY-----`, `-----BEGIN RSA PUBLIC \
                 KEY-----` or `-----BEGIN CERTIFICATE-----` (for bare base64 use PublicKey::load)",
            ));
        }
        let accepted = [
            "PUBLIC KEY",
            "RSA PUBLIC KEY",
            "CERTIFICATE",
            "X509 CERTIFICATE",
        ];
        match blocks.iter().find(|b| accepted.contains(&b.label.as_str())) {
            Some(block) => Self::from_der(&block.der),
            None => Err(Error::key(
                EXPECT_PUBLIC,
                found_block_for_public(&blocks[0].label),
            )),
        }
    }

    /// Reads a DER public key: SPKI or PKCS#1 `RSAPublicKey` (an X.509 certificate is accepted too).
    ///
    /// ```
    /// use wechatpay::crypto::PublicKey;
    /// # let pem = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/keys/rsa.spki.pem"));
    /// let key = PublicKey::from_pem(pem)?;
    /// assert_eq!(PublicKey::from_der(key.spki_der())?, key);
    /// # Ok::<(), wechatpay::Error>(())
    /// ```
    pub fn from_der(der: &[u8]) -> Result<Self> {
        Self::from_der_for(der, EXPECT_PUBLIC)
    }

    /// Reads bare base64 DER (SPKI or PKCS#1) without the PEM envelope.
    ///
    /// ```
    /// use wechatpay::crypto::PublicKey;
    /// # let b64 = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/keys/rsa.pkcs1.pub.b64"));
    /// let key = PublicKey::from_base64(b64)?;
    /// # Ok::<(), wechatpay::Error>(())
    /// ```
    pub fn from_base64(b64: &str) -> Result<Self> {
        let der = decode_b64(b64)
            .map_err(|e| Error::key(EXPECT_PUBLIC, format!("the base64 is damaged ({e})")))?;
        Self::from_der(&der)
    }

    /// Reads a public key in any form above, detected from the content: PEM, bare base64 DER,
    /// binary DER, and the `public.pkcs1://`, `public.spki://` and `file://` prefixes of the PHP SDK.
    ///
    /// ```
    /// use wechatpay::crypto::PublicKey;
    /// # let b64 = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/keys/rsa.spki.b64"));
    /// # let pem = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/keys/rsa.spki.pem"));
    /// assert_eq!(PublicKey::load(b64)?, PublicKey::load(pem)?);
    /// # Ok::<(), wechatpay::Error>(())
    /// ```
    pub fn load(input: impl AsRef<[u8]>) -> Result<Self> {
        match classify(
            input.as_ref(),
            EXPECT_PUBLIC,
            &["public.pkcs1://", "public.spki://"],
        )? {
            Classified::Pem(text) => Self::from_pem(text.as_bytes()),
            Classified::Der(der) => Self::from_der(&der),
            Classified::File(path) => Self::from_file(path),
        }
    }

    /// As [`load`](Self::load), with the validity (`not_before`, `not_after`, Unix seconds) of
    /// the certificate the key was taken from, when it was one: the builder's `public_key` checks
    /// it as `platform_certificate` does.
    pub(crate) fn load_with_validity(input: &[u8]) -> Result<(Self, Option<(i64, i64)>)> {
        match classify(input, EXPECT_PUBLIC, &["public.pkcs1://", "public.spki://"])? {
            Classified::Pem(text) => {
                let key = Self::from_pem(text.as_bytes())?;
                // The block `from_pem` took: the first with an accepted label.
                let validity = parse_pem(&text).ok().and_then(|blocks| {
                    let block = blocks.into_iter().find(|b| {
                        [
                            "PUBLIC KEY",
                            "RSA PUBLIC KEY",
                            "CERTIFICATE",
                            "X509 CERTIFICATE",
                        ]
                        .contains(&b.label.as_str())
                    })?;
                    certificate_validity(&block.der)
                });
                Ok((key, validity))
            }
            Classified::Der(der) => Ok((Self::from_der(&der)?, certificate_validity(&der))),
            Classified::File(path) => {
                let bytes = read_key_file(&path, EXPECT_PUBLIC)?;
                Self::load_with_validity(&bytes).map_err(|e| in_file(e, &path))
            }
        }
    }

    /// Reads a file holding a public key or certificate in any form [`PublicKey::load`] accepts.
    ///
    /// ```
    /// use wechatpay::crypto::PublicKey;
    /// let key = PublicKey::from_file(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/keys/rsa.crt"))?;
    /// # Ok::<(), wechatpay::Error>(())
    /// ```
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let bytes = read_key_file(path, EXPECT_PUBLIC)?;
        Self::load(&*bytes).map_err(|e| in_file(e, path))
    }

    /// The same key on another [`Backend`].
    ///
    /// ```
    /// use wechatpay::crypto::{Backend, PublicKey};
    /// # let pem = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/keys/rsa.spki.pem"));
    /// let key = PublicKey::from_pem(pem)?.with_backend(Backend::AwsLc)?;
    /// # Ok::<(), wechatpay::Error>(())
    /// ```
    pub fn with_backend(self, backend: Backend) -> Result<Self> {
        if backend == self.inner.backend {
            return Ok(self);
        }
        Self::build(self.inner.spki.clone(), self.inner.bits, backend)
            .map_err(|r| Error::key(EXPECT_PUBLIC, r))
    }

    /// The backend performing this key's operations.
    pub fn backend(&self) -> Backend {
        self.inner.backend
    }

    /// The modulus size in bits (2048 for WeChat Pay keys).
    pub fn bits(&self) -> usize {
        self.inner.bits
    }

    /// Checks an RSASSA-PKCS1-v1_5 SHA-256 signature; [`Error::Signature`] when it does not verify.
    ///
    /// ```
    /// use wechatpay::crypto::PrivateKey;
    /// # let pem = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/keys/rsa.pkcs8.key"));
    /// let key = PrivateKey::from_pem(pem)?;
    /// let signature = key.sign(b"message")?;
    /// key.public_key().verify(b"message", &signature)?;
    /// assert!(key.public_key().verify(b"message", &signature[1..]).is_err());
    /// # Ok::<(), wechatpay::Error>(())
    /// ```
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> Result<()> {
        let size = self.size_bytes();
        if signature.len() != size {
            return Err(Error::Signature(format!(
                "the signature is {} bytes; a {}-bit RSA key makes {size}-byte signatures",
                signature.len(),
                self.inner.bits
            )));
        }
        let valid = match &self.inner.imp {
            PublicImpl::AwsLc(k) => k.verify(message, signature),
            #[cfg(feature = "rustcrypto")]
            PublicImpl::RustCrypto(k) => k.verify(message, signature),
        };
        if valid {
            Ok(())
        } else {
            Err(Error::Signature(
                "the RSA-SHA256 signature does not match the message for this public key".into(),
            ))
        }
    }

    /// RSA-OAEP (SHA-1, MGF1-SHA-1, empty label) encryption; randomised, so two calls differ.
    ///
    /// ```
    /// use wechatpay::crypto::PublicKey;
    /// # let pem = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/keys/rsa.spki.pem"));
    /// let key = PublicKey::from_pem(pem)?;
    /// assert_eq!(key.encrypt_oaep(b"secret")?.len(), 256);
    /// assert!(key.encrypt_oaep(&[0u8; 215]).is_err()); // at most 214 bytes fit RSA-2048
    /// # Ok::<(), wechatpay::Error>(())
    /// ```
    pub fn encrypt_oaep(&self, plaintext: &[u8]) -> Result<Vec<u8>> {
        let max = self.size_bytes().saturating_sub(OAEP_SHA1_OVERHEAD);
        if plaintext.len() > max {
            return Err(Error::Crypto(format!(
                "the plaintext is {} bytes; RSA-OAEP SHA-1 with a {}-bit key takes at most {max}",
                plaintext.len(),
                self.inner.bits
            )));
        }
        match &self.inner.imp {
            PublicImpl::AwsLc(k) => k.encrypt_oaep(plaintext),
            #[cfg(feature = "rustcrypto")]
            PublicImpl::RustCrypto(k) => k.encrypt_oaep(plaintext),
        }
    }

    /// The key as SubjectPublicKeyInfo DER.
    pub fn spki_der(&self) -> &[u8] {
        &self.inner.spki
    }

    /// The key as SPKI PEM (`-----BEGIN PUBLIC KEY-----`).
    ///
    /// ```
    /// use wechatpay::crypto::PublicKey;
    /// # let pem = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/keys/rsa.spki.pem"));
    /// assert_eq!(PublicKey::from_pem(pem)?.to_pem(), pem);
    /// # Ok::<(), wechatpay::Error>(())
    /// ```
    pub fn to_pem(&self) -> String {
        pem_encode("PUBLIC KEY", &self.inner.spki).to_string()
    }

    pub(super) fn size_bytes(&self) -> usize {
        self.inner.bits.div_ceil(8)
    }

    /// Reads SPKI, PKCS#1 or a certificate; `expected` names the caller's expectation in errors.
    pub(crate) fn from_der_for(der: &[u8], expected: &'static str) -> Result<Self> {
        if let Ok(info) = spki::SubjectPublicKeyInfoRef::try_from(der) {
            if info.algorithm.oid != RSA_OID {
                return Err(Error::key(
                    expected,
                    format!(
                        "found {} public key; WeChat Pay uses RSA keys",
                        algorithm_name(&info.algorithm)
                    ),
                ));
            }
            let pkcs1 = info
                .subject_public_key
                .as_bytes()
                .ok_or_else(|| Error::key(expected, "the key's BIT STRING has unused bits"))?;
            return Self::from_pkcs1(pkcs1, expected);
        }
        if pkcs1::RsaPublicKey::try_from(der).is_ok() {
            return Self::from_pkcs1(der, expected);
        }
        if let Ok(cert) = x509_cert::Certificate::from_der(der) {
            let spki = cert
                .tbs_certificate
                .subject_public_key_info
                .to_der()
                .map_err(|e| {
                    Error::key(expected, format!("the certificate's key is damaged ({e})"))
                })?;
            return Self::from_der_for(&spki, expected);
        }
        let reason = if pkcs8::PrivateKeyInfo::try_from(der).is_ok()
            || pkcs1::RsaPrivateKey::try_from(der).is_ok()
            || pkcs8::EncryptedPrivateKeyInfo::try_from(der).is_ok()
        {
            format!("found a private key — {PRIVATE_AS_PUBLIC}")
        } else if looks_like_pkcs12(der) {
            pkcs12_as_public()
        } else {
            format!("found {} bytes that are not a DER public key", der.len())
        };
        Err(Error::key(expected, reason))
    }

    fn from_pkcs1(pkcs1: &[u8], expected: &'static str) -> Result<Self> {
        let parsed = pkcs1::RsaPublicKey::try_from(pkcs1)
            .map_err(|e| Error::key(expected, format!("the RSA public key is damaged ({e})")))?;
        let bits = uint_bits(parsed.modulus.as_bytes());
        check_bits(bits).map_err(|r| Error::key(expected, r))?;
        let canonical = parsed
            .to_der()
            .map_err(|e| Error::key(expected, format!("cannot encode the key ({e})")))?;
        let spki = spki_from_pkcs1(&canonical)
            .map_err(|e| Error::key(expected, format!("cannot encode the key ({e})")))?;
        Self::build(spki, bits, Backend::default()).map_err(|r| Error::key(expected, r))
    }

    pub(super) fn build(
        spki: Vec<u8>,
        bits: usize,
        backend: Backend,
    ) -> std::result::Result<Self, String> {
        let imp = match backend {
            Backend::AwsLc => PublicImpl::AwsLc(awslc::Public::from_spki(&spki)?),
            #[cfg(feature = "rustcrypto")]
            Backend::RustCrypto => PublicImpl::RustCrypto(rustcrypto::Public::from_spki(&spki)?),
        };
        Ok(PublicKey {
            inner: Arc::new(PublicInner {
                spki,
                bits,
                backend,
                imp,
            }),
        })
    }
}

impl crate::keys::crypto::Verifier for PublicKey {
    fn verify(&self, message: &[u8], signature: &[u8]) -> Result<()> {
        PublicKey::verify(self, message, signature)
    }
}

/// `not_before` and `not_after` of `der` when it is an X.509 certificate.
fn certificate_validity(der: &[u8]) -> Option<(i64, i64)> {
    crate::keys::crypto::Certificate::from_der(der)
        .ok()
        .map(|c| (c.not_before(), c.not_after()))
}
