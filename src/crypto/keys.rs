//! RSA private and public keys: loading every form merchants meet, and the RSA operations.
//!
//! Loading is where users of every WeChat Pay SDK get stuck (a certificate passed as the key, an
//! encrypted key, a PKCS#12 file, a file path passed as content), so each refusal says what was
//! expected, what was found, and what to pass instead. Parsing happens here once; the backends
//! receive canonical PKCS#8 (private) or SPKI (public) DER.

use super::{awslc, Backend};
use crate::error::{Error, Result};
use base64::Engine as _;
use der::asn1::{AnyRef, BitStringRef, ObjectIdentifier};
use der::{Decode, Encode};
use spki::AlgorithmIdentifierRef;
use std::path::Path;
use std::sync::Arc;
use zeroize::Zeroizing;

#[cfg(feature = "rustcrypto")]
use super::rustcrypto;

pub(crate) const EXPECT_PRIVATE: &str = "a private key (PKCS#1 or PKCS#8 PEM)";
pub(crate) const EXPECT_ENCRYPTED: &str =
    "an encrypted private key (PKCS#8 ENCRYPTED PRIVATE KEY PEM)";
pub(crate) const EXPECT_PUBLIC: &str = "a public key (SPKI or PKCS#1 PEM, or a certificate)";

const RSA_OID: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const SM2_CURVE_OID: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.156.10197.1.301");
/// WeChat Pay keys are RSA-2048; smaller keys are refused, larger ones up to what aws-lc verifies.
const MIN_BITS: usize = 2048;
const MAX_BITS: usize = 8192;
/// SHA-1 OAEP overhead: 2 * hash length + 2.
const OAEP_SHA1_OVERHEAD: usize = 42;

// ---------------------------------------------------------------------------------------------
// Private keys

/// An RSA private key: the merchant's API key (`apiclient_key.pem`), used to sign requests and to
/// decrypt sensitive fields.
///
/// Cheap to clone (shared). The PKCS#8 DER is kept in zeroizing memory and never printed:
///
/// ```
/// use wechatpay::crypto::PrivateKey;
/// # let pem = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/keys/rsa.pkcs1.key"));
/// let key = PrivateKey::load(pem)?;
/// assert_eq!(format!("{key:?}"), "PrivateKey { .. redacted .. }");
/// # Ok::<(), wechatpay::Error>(())
/// ```
#[derive(Clone)]
pub struct PrivateKey {
    inner: Arc<PrivateInner>,
}

struct PrivateInner {
    pkcs8: Zeroizing<Vec<u8>>,
    public: PublicKey,
    backend: Backend,
    imp: PrivateImpl,
}

enum PrivateImpl {
    AwsLc(awslc::Private),
    #[cfg(feature = "rustcrypto")]
    RustCrypto(Box<rustcrypto::Private>),
}

impl std::fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PrivateKey { .. redacted .. }")
    }
}

impl PrivateKey {
    /// Reads a PEM private key: `RSA PRIVATE KEY` (PKCS#1) or `PRIVATE KEY` (PKCS#8).
    ///
    /// CRLF line endings, surrounding whitespace and other PEM blocks around the key (a
    /// certificate in the same file, `Bag Attributes` text) are accepted.
    ///
    /// ```
    /// use wechatpay::crypto::PrivateKey;
    /// # let pem = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/keys/rsa.pkcs8.key"));
    /// let key = PrivateKey::from_pem(pem)?;
    /// # let cert = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/keys/rsa.crt"));
    /// let err = PrivateKey::from_pem(cert).unwrap_err().to_string();
    /// assert!(err.contains("found a CERTIFICATE block"), "{err}");
    /// # Ok::<(), wechatpay::Error>(())
    /// ```
    pub fn from_pem(pem: impl AsRef<[u8]>) -> Result<Self> {
        let text = pem_text(pem.as_ref());
        let blocks = parse_pem(&text).map_err(|r| Error::key(EXPECT_PRIVATE, r))?;
        if blocks.is_empty() {
            return Err(Error::key(
                EXPECT_PRIVATE,
                "no PEM block found: expected `-----BEGIN PRIVATE KEY-----` or \
                 `-----BEGIN RSA PRIVATE KEY-----` (for bare base64 or DER use PrivateKey::load)",
            ));
        }
        if let Some(block) = blocks
            .iter()
            .find(|b| b.label == "PRIVATE KEY" || b.label == "RSA PRIVATE KEY")
        {
            if block.has_headers {
                return Err(Error::key(EXPECT_PRIVATE, LEGACY_ENCRYPTED));
            }
            return Self::from_der(&block.der);
        }
        if blocks.iter().any(|b| b.label == "ENCRYPTED PRIVATE KEY") {
            return Err(Error::key(
                EXPECT_PRIVATE,
                "found an ENCRYPTED PRIVATE KEY block — the key is protected by a passphrase: \
                 load it with PrivateKey::from_pem_encrypted(pem, passphrase)",
            ));
        }
        Err(Error::key(
            EXPECT_PRIVATE,
            found_block_for_private(&blocks[0].label),
        ))
    }

    /// Reads an `ENCRYPTED PRIVATE KEY` PEM (PKCS#8 PBES2: PBKDF2 or scrypt with AES-CBC, as
    /// `openssl pkcs8 -topk8 -v2 aes-256-cbc` writes it). An unencrypted key is accepted too and
    /// the passphrase is then ignored.
    ///
    /// ```
    /// use wechatpay::crypto::PrivateKey;
    /// # let pem = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/keys/rsa.pkcs8.encrypted.key"));
    /// let key = PrivateKey::from_pem_encrypted(pem, b"wechatpay-test-passphrase")?;
    /// let err = PrivateKey::from_pem_encrypted(pem, b"wrong").unwrap_err().to_string();
    /// assert!(err.contains("wrong passphrase"), "{err}");
    /// # Ok::<(), wechatpay::Error>(())
    /// ```
    pub fn from_pem_encrypted(pem: impl AsRef<[u8]>, passphrase: &[u8]) -> Result<Self> {
        let text = pem_text(pem.as_ref());
        let blocks = parse_pem(&text).map_err(|r| Error::key(EXPECT_ENCRYPTED, r))?;
        let Some(block) = blocks.iter().find(|b| b.label == "ENCRYPTED PRIVATE KEY") else {
            if blocks
                .iter()
                .any(|b| b.label == "RSA PRIVATE KEY" && b.has_headers)
            {
                return Err(Error::key(EXPECT_ENCRYPTED, LEGACY_ENCRYPTED));
            }
            return Self::from_pem(text.as_bytes());
        };
        if passphrase.is_empty() {
            return Err(Error::key(
                EXPECT_ENCRYPTED,
                "the key is encrypted but the passphrase is empty",
            ));
        }
        let info = pkcs8::EncryptedPrivateKeyInfo::try_from(block.der.as_slice()).map_err(|e| {
            Error::key(
                EXPECT_ENCRYPTED,
                format!("the ENCRYPTED PRIVATE KEY block is damaged ({e})"),
            )
        })?;
        let document = info.decrypt(passphrase).map_err(|e| {
            let reason = match e {
                // pkcs5 0.7 reports a bad CBC padding as `EncryptFailed` on decryption.
                pkcs8::Error::EncryptedPrivateKey(
                    pkcs8::pkcs5::Error::DecryptFailed | pkcs8::pkcs5::Error::EncryptFailed,
                )
                | pkcs8::Error::Asn1(_) => "wrong passphrase".to_string(),
                other => format!(
                    "cannot decrypt it ({other}); supported: PKCS#8 PBES2 with PBKDF2 or scrypt \
                     and AES-CBC (openssl pkcs8 -topk8 -v2 aes-256-cbc)"
                ),
            };
            Error::key(EXPECT_ENCRYPTED, reason)
        })?;
        // A wrong passphrase can, rarely, unpad cleanly; the result is then not a key.
        Self::from_der(document.as_bytes()).map_err(|e| match e {
            Error::Key { reason, .. } => Error::key(
                EXPECT_ENCRYPTED,
                format!("wrong passphrase, or the decrypted key is unusable: {reason}"),
            ),
            other => other,
        })
    }

    /// Reads a DER private key: PKCS#8 `PrivateKeyInfo` or PKCS#1 `RSAPrivateKey`.
    ///
    /// ```
    /// use wechatpay::crypto::PrivateKey;
    /// # let der = include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/keys/rsa.pkcs1.der"));
    /// let key = PrivateKey::from_der(der)?;
    /// # Ok::<(), wechatpay::Error>(())
    /// ```
    pub fn from_der(der: &[u8]) -> Result<Self> {
        let pkcs1 = private_pkcs1_from_der(der)?;
        Self::from_pkcs1(&pkcs1, Backend::default())
    }

    /// Reads bare base64 DER (PKCS#8 or PKCS#1) without the PEM envelope, as some consoles and
    /// configuration stores hold keys. Whitespace inside is ignored.
    ///
    /// ```
    /// use wechatpay::crypto::PrivateKey;
    /// # let b64 = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/keys/rsa.pkcs8.b64"));
    /// let key = PrivateKey::from_base64(b64)?;
    /// # Ok::<(), wechatpay::Error>(())
    /// ```
    pub fn from_base64(b64: &str) -> Result<Self> {
        let der = decode_b64(b64)
            .map_err(|e| Error::key(EXPECT_PRIVATE, format!("the base64 is damaged ({e})")))?;
        Self::from_der(&der)
    }

    /// Reads a private key in any form above, detected from the content: PEM, bare base64 DER,
    /// binary DER, and the `private.pkcs1://`, `private.pkcs8://` and `file://` prefixes of the PHP
    /// SDK. Encrypted keys need [`PrivateKey::from_pem_encrypted`].
    ///
    /// ```
    /// use wechatpay::crypto::PrivateKey;
    /// # let pem = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/keys/rsa.pkcs1.key"));
    /// # let b64 = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/keys/rsa.pkcs8.b64"));
    /// assert_eq!(PrivateKey::load(pem)?.public_key(), PrivateKey::load(b64)?.public_key());
    /// # Ok::<(), wechatpay::Error>(())
    /// ```
    pub fn load(input: impl AsRef<[u8]>) -> Result<Self> {
        match classify(
            input.as_ref(),
            EXPECT_PRIVATE,
            &["private.pkcs1://", "private.pkcs8://"],
        )? {
            Classified::Pem(text) => Self::from_pem(text.as_bytes()),
            Classified::Der(der) => Self::from_der(&der),
            Classified::File(path) => Self::from_file(path),
        }
    }

    /// Reads a file holding a private key in any form [`PrivateKey::load`] accepts.
    ///
    /// ```
    /// use wechatpay::crypto::PrivateKey;
    /// let key = PrivateKey::from_file(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/keys/rsa.pkcs8.key"))?;
    /// assert!(PrivateKey::from_file("/no/such/apiclient_key.pem").is_err());
    /// # Ok::<(), wechatpay::Error>(())
    /// ```
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let bytes = read_key_file(path, EXPECT_PRIVATE)?;
        Self::load(&*bytes).map_err(|e| in_file(e, path))
    }

    /// The same key on another [`Backend`].
    ///
    /// ```
    /// use wechatpay::crypto::{Backend, PrivateKey};
    /// # let pem = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/keys/rsa.pkcs8.key"));
    /// let key = PrivateKey::from_pem(pem)?.with_backend(Backend::AwsLc)?;
    /// assert_eq!(key.backend(), Backend::AwsLc);
    /// # Ok::<(), wechatpay::Error>(())
    /// ```
    pub fn with_backend(self, backend: Backend) -> Result<Self> {
        if backend == self.inner.backend {
            return Ok(self);
        }
        let public = self.inner.public.clone().with_backend(backend)?;
        let pkcs8 = self.inner.pkcs8.clone();
        let imp = private_impl(&pkcs8, backend).map_err(|r| Error::key(EXPECT_PRIVATE, r))?;
        Ok(PrivateKey {
            inner: Arc::new(PrivateInner {
                pkcs8,
                public,
                backend,
                imp,
            }),
        })
    }

    /// The backend performing this key's operations.
    pub fn backend(&self) -> Backend {
        self.inner.backend
    }

    /// The public half, on the same backend.
    ///
    /// ```
    /// use wechatpay::crypto::{PrivateKey, PublicKey};
    /// # let pem = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/keys/rsa.pkcs8.key"));
    /// # let spki = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/keys/rsa.spki.pem"));
    /// assert_eq!(PrivateKey::from_pem(pem)?.public_key(), PublicKey::from_pem(spki)?);
    /// # Ok::<(), wechatpay::Error>(())
    /// ```
    pub fn public_key(&self) -> PublicKey {
        self.inner.public.clone()
    }

    /// RSASSA-PKCS1-v1_5 SHA-256 signature of `message` (deterministic), raw bytes.
    ///
    /// ```
    /// use wechatpay::crypto::PrivateKey;
    /// # let pem = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/keys/rsa.pkcs8.key"));
    /// let key = PrivateKey::from_pem(pem)?;
    /// let signature = key.sign(b"message")?;
    /// assert_eq!(signature.len(), 256);
    /// assert_eq!(signature, key.sign(b"message")?);
    /// # Ok::<(), wechatpay::Error>(())
    /// ```
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>> {
        match &self.inner.imp {
            PrivateImpl::AwsLc(k) => k.sign(message),
            #[cfg(feature = "rustcrypto")]
            PrivateImpl::RustCrypto(k) => k.sign(message),
        }
    }

    /// RSA-OAEP (SHA-1, MGF1-SHA-1, empty label) decryption. Anything else, a PKCS#1 v1.5
    /// ciphertext included, is refused.
    ///
    /// ```
    /// use wechatpay::crypto::PrivateKey;
    /// # let pem = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/keys/rsa.pkcs8.key"));
    /// let key = PrivateKey::from_pem(pem)?;
    /// let ciphertext = key.public_key().encrypt_oaep(b"13800138000")?;
    /// assert_eq!(key.decrypt_oaep(&ciphertext)?, b"13800138000");
    /// # Ok::<(), wechatpay::Error>(())
    /// ```
    pub fn decrypt_oaep(&self, ciphertext: &[u8]) -> Result<Vec<u8>> {
        let size = self.inner.public.size_bytes();
        if ciphertext.len() != size {
            return Err(Error::Crypto(format!(
                "the RSA ciphertext is {} bytes; a {}-bit key makes {size}-byte ciphertexts \
                 (made for another key, or damaged)",
                ciphertext.len(),
                self.inner.public.bits()
            )));
        }
        match &self.inner.imp {
            PrivateImpl::AwsLc(k) => k.decrypt_oaep(ciphertext),
            #[cfg(feature = "rustcrypto")]
            PrivateImpl::RustCrypto(k) => k.decrypt_oaep(ciphertext),
        }
    }

    /// The key as unencrypted PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`), in zeroizing memory.
    ///
    /// ```
    /// use wechatpay::crypto::PrivateKey;
    /// # let pem = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/keys/rsa.pkcs1.key"));
    /// let pkcs8 = PrivateKey::from_pem(pem)?.to_pkcs8_pem();
    /// assert!(pkcs8.starts_with("-----BEGIN PRIVATE KEY-----\n"));
    /// # Ok::<(), wechatpay::Error>(())
    /// ```
    pub fn to_pkcs8_pem(&self) -> Zeroizing<String> {
        pem_encode("PRIVATE KEY", &self.inner.pkcs8)
    }

    /// Builds the key from a PKCS#1 `RSAPrivateKey`, the form every input is reduced to.
    fn from_pkcs1(pkcs1: &[u8], backend: Backend) -> Result<Self> {
        let parsed = pkcs1::RsaPrivateKey::try_from(pkcs1).map_err(|e| {
            Error::key(
                EXPECT_PRIVATE,
                format!("the RSA private key is damaged ({e})"),
            )
        })?;
        let bits = uint_bits(parsed.modulus.as_bytes());
        check_bits(bits).map_err(|r| Error::key(EXPECT_PRIVATE, r))?;
        let public_pkcs1 = parsed.public_key().to_der().map_err(|e| {
            Error::key(
                EXPECT_PRIVATE,
                format!("cannot encode its public key ({e})"),
            )
        })?;
        let spki = spki_from_pkcs1(&public_pkcs1).map_err(|e| {
            Error::key(
                EXPECT_PRIVATE,
                format!("cannot encode its public key ({e})"),
            )
        })?;
        let public =
            PublicKey::build(spki, bits, backend).map_err(|r| Error::key(EXPECT_PRIVATE, r))?;
        let info = pkcs8::PrivateKeyInfo::new(rsa_algorithm(), pkcs1);
        let mut pkcs8 = Zeroizing::new(Vec::with_capacity(pkcs1.len() + 32));
        info.encode_to_vec(&mut pkcs8)
            .map_err(|e| Error::key(EXPECT_PRIVATE, format!("cannot encode it as PKCS#8 ({e})")))?;
        let imp = private_impl(&pkcs8, backend).map_err(|r| Error::key(EXPECT_PRIVATE, r))?;
        Ok(PrivateKey {
            inner: Arc::new(PrivateInner {
                pkcs8,
                public,
                backend,
                imp,
            }),
        })
    }
}

impl super::Signer for PrivateKey {
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>> {
        PrivateKey::sign(self, message)
    }
}

fn private_impl(pkcs8: &[u8], backend: Backend) -> std::result::Result<PrivateImpl, String> {
    Ok(match backend {
        Backend::AwsLc => PrivateImpl::AwsLc(awslc::Private::from_pkcs8(pkcs8)?),
        #[cfg(feature = "rustcrypto")]
        Backend::RustCrypto => {
            PrivateImpl::RustCrypto(Box::new(rustcrypto::Private::from_pkcs8(pkcs8)?))
        }
    })
}

/// The PKCS#1 `RSAPrivateKey` inside a PKCS#8 or PKCS#1 DER, or the reason there is none.
fn private_pkcs1_from_der(der: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
    if let Ok(info) = pkcs8::PrivateKeyInfo::try_from(der) {
        if info.algorithm.oid != RSA_OID {
            return Err(Error::key(
                EXPECT_PRIVATE,
                format!(
                    "found {} private key; WeChat Pay signs with RSA keys (apiclient_key.pem)",
                    algorithm_name(&info.algorithm)
                ),
            ));
        }
        return Ok(Zeroizing::new(info.private_key.to_vec()));
    }
    if pkcs1::RsaPrivateKey::try_from(der).is_ok() {
        return Ok(Zeroizing::new(der.to_vec()));
    }
    let reason = if spki::SubjectPublicKeyInfoRef::try_from(der).is_ok()
        || pkcs1::RsaPublicKey::try_from(der).is_ok()
    {
        "found a public key — signing needs the merchant private key (apiclient_key.pem)".into()
    } else if x509_cert::Certificate::from_der(der).is_ok() {
        "found a certificate (apiclient_cert.pem?), pass the private key apiclient_key.pem".into()
    } else if pkcs8::EncryptedPrivateKeyInfo::try_from(der).is_ok() {
        "found an encrypted PKCS#8 key — load it with PrivateKey::from_pem_encrypted(pem, passphrase)"
            .into()
    } else if looks_like_pkcs12(der) {
        "found a PKCS#12 archive (apiclient_cert.p12?) — pass apiclient_key.pem, or extract the key: \
         openssl pkcs12 -in apiclient_cert.p12 -nocerts -nodes -out apiclient_key.pem"
            .into()
    } else {
        format!("found {} bytes that are not a DER private key", der.len())
    };
    Err(Error::key(EXPECT_PRIVATE, reason))
}

fn found_block_for_private(label: &str) -> String {
    match label {
        "CERTIFICATE" | "X509 CERTIFICATE" | "TRUSTED CERTIFICATE" => format!(
            "found {} {label} block — that is a certificate (apiclient_cert.pem?), pass the private key apiclient_key.pem",
            article(label)
        ),
        "PUBLIC KEY" | "RSA PUBLIC KEY" => format!(
            "found {} {label} block — that is a public key; signing needs the merchant private key (apiclient_key.pem)",
            article(label)
        ),
        "EC PRIVATE KEY" => "found an EC PRIVATE KEY block — that is an elliptic-curve key; WeChat Pay signs with RSA keys (apiclient_key.pem)".into(),
        "CERTIFICATE REQUEST" | "NEW CERTIFICATE REQUEST" => format!(
            "found {} {label} block — that is a certificate signing request (CSR), not a key", article(label)
        ),
        _ => format!("found {} {label} block, not a private key", article(label)),
    }
}

const LEGACY_ENCRYPTED: &str = "found a legacy OpenSSL-encrypted RSA PRIVATE KEY (Proc-Type: 4,ENCRYPTED), \
     which is not supported; convert it once with `openssl pkcs8 -topk8 -v2 aes-256-cbc -in old.pem \
     -out new.pem` and use PrivateKey::from_pem_encrypted";

/// The error every OAEP decryption failure maps to: backends do not (and must not) say why.
pub(crate) fn oaep_failure() -> Error {
    Error::Crypto(
        "RSA-OAEP (SHA-1) decryption failed: the ciphertext was made for another key, is damaged, \
         or is not OAEP SHA-1 (PKCS#1 v1.5 ciphertexts are refused)"
            .into(),
    )
}

// ---------------------------------------------------------------------------------------------
// Public keys

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
        let fingerprint = super::sha256_hex(&self.inner.spki);
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

    fn size_bytes(&self) -> usize {
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
            "found a PKCS#12 archive (apiclient_cert.p12?) — it holds the merchant's own key and \
             certificate, not WeChat Pay's public key (pub_key.pem) or platform certificate"
                .into()
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

    fn build(spki: Vec<u8>, bits: usize, backend: Backend) -> std::result::Result<Self, String> {
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

impl super::Verifier for PublicKey {
    fn verify(&self, message: &[u8], signature: &[u8]) -> Result<()> {
        PublicKey::verify(self, message, signature)
    }
}

const PRIVATE_AS_PUBLIC: &str = "pass WeChat Pay's public key (pub_key.pem) or a platform \
     certificate; a private key is never used as a public one (the public half of your own key is \
     PrivateKey::public_key())";

fn found_block_for_public(label: &str) -> String {
    match label {
        "PRIVATE KEY" | "RSA PRIVATE KEY" | "ENCRYPTED PRIVATE KEY" | "EC PRIVATE KEY" => format!(
            "found {} {label} block — that is a private key; {PRIVATE_AS_PUBLIC}",
            article(label)
        ),
        "CERTIFICATE REQUEST" | "NEW CERTIFICATE REQUEST" => format!(
            "found {} {label} block — that is a certificate signing request (CSR), not a key",
            article(label)
        ),
        _ => format!("found {} {label} block, not a public key", article(label)),
    }
}

// ---------------------------------------------------------------------------------------------
// Encoding helpers shared with cert.rs

/// The `AlgorithmIdentifier` of rsaEncryption, with the NULL parameters DER requires.
fn rsa_algorithm() -> AlgorithmIdentifierRef<'static> {
    AlgorithmIdentifierRef {
        oid: RSA_OID,
        parameters: Some(AnyRef::NULL),
    }
}

/// SPKI DER around a PKCS#1 `RSAPublicKey` DER.
pub(crate) fn spki_from_pkcs1(pkcs1: &[u8]) -> der::Result<Vec<u8>> {
    spki::SubjectPublicKeyInfoRef {
        algorithm: rsa_algorithm(),
        subject_public_key: BitStringRef::from_bytes(pkcs1)?,
    }
    .to_der()
}

/// A readable name for a key algorithm, for "this is not RSA" messages.
fn algorithm_name(algorithm: &AlgorithmIdentifierRef<'_>) -> String {
    let oid = algorithm.oid.to_string();
    match oid.as_str() {
        "1.2.840.10045.2.1" => {
            let curve = algorithm
                .parameters
                .and_then(|p| p.decode_as::<ObjectIdentifier>().ok());
            if curve == Some(SM2_CURVE_OID) {
                "an SM2 (国密)".into()
            } else {
                "an EC (elliptic-curve)".into()
            }
        }
        "1.3.101.112" => "an Ed25519".into(),
        "1.3.101.113" => "an Ed448".into(),
        "1.3.101.110" | "1.3.101.111" => "an X25519/X448".into(),
        "1.2.840.113549.1.1.10" => "an RSASSA-PSS-only".into(),
        "1.2.840.10040.4.1" => "a DSA".into(),
        _ => format!("a non-RSA ({oid})"),
    }
}

fn check_bits(bits: usize) -> std::result::Result<(), String> {
    if bits < MIN_BITS {
        Err(format!(
            "the RSA key has {bits} bits; keys under {MIN_BITS} bits are refused (WeChat Pay keys are 2048-bit)"
        ))
    } else if bits > MAX_BITS {
        Err(format!(
            "the RSA key has {bits} bits; at most {MAX_BITS} are supported"
        ))
    } else {
        Ok(())
    }
}

/// Bit length of a big-endian unsigned integer.
fn uint_bits(bytes: &[u8]) -> usize {
    let bytes = match bytes.iter().position(|&b| b != 0) {
        Some(i) => &bytes[i..],
        None => return 0,
    };
    (bytes.len() - 1) * 8 + (8 - bytes[0].leading_zeros() as usize)
}

/// "an RSA PUBLIC KEY", "a CERTIFICATE": by the sound of the label's first word.
pub(crate) fn article(label: &str) -> &'static str {
    if label.starts_with(['A', 'E', 'I', 'O', 'U'])
        || label.starts_with("RSA")
        || label.starts_with("X509")
    {
        "an"
    } else {
        "a"
    }
}

/// PFX: `SEQUENCE { INTEGER 3, SEQUENCE { OID pkcs7-data, ... } }`.
fn looks_like_pkcs12(der: &[u8]) -> bool {
    const PKCS7_DATA: &[u8] = &[
        0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01,
    ];
    let head = &der[..der.len().min(32)];
    der.first() == Some(&0x30)
        && head.windows(3).any(|w| w == [0x02, 0x01, 0x03])
        && head.windows(PKCS7_DATA.len()).any(|w| w == PKCS7_DATA)
}

/// The bytes of a key file, wiped when dropped.
fn read_key_file(path: &Path, expected: &'static str) -> Result<Zeroizing<Vec<u8>>> {
    std::fs::read(path)
        .map(Zeroizing::new)
        .map_err(|e| Error::key(expected, format!("cannot read {}: {e}", path.display())))
}

/// Prefixes a key error with the file it came from.
fn in_file(e: Error, path: &Path) -> Error {
    match e {
        Error::Key { expected, reason } => Error::Key {
            expected,
            reason: format!("{}: {reason}", path.display()),
        },
        other => other,
    }
}

/// Input text for PEM parsing, in zeroizing memory (it may hold a private key).
fn pem_text(bytes: &[u8]) -> Zeroizing<String> {
    Zeroizing::new(String::from_utf8_lossy(bytes).into_owned())
}

/// One `-----BEGIN X-----` ... `-----END X-----` block.
pub(crate) struct PemBlock {
    pub(crate) label: String,
    pub(crate) der: Zeroizing<Vec<u8>>,
    /// RFC 1421 headers such as `Proc-Type: 4,ENCRYPTED` (legacy OpenSSL key encryption).
    pub(crate) has_headers: bool,
}

/// Every PEM block of `text`, in order; text outside blocks is ignored. Lenient on line endings
/// and indentation, strict on damaged base64 and missing END lines.
pub(crate) fn parse_pem(text: &str) -> std::result::Result<Vec<PemBlock>, String> {
    const BEGIN: &str = "-----BEGIN ";
    let mut blocks = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(BEGIN) {
        let after = &rest[start + BEGIN.len()..];
        let close = after
            .find("-----")
            .ok_or("a `-----BEGIN` line is not closed by `-----`")?;
        let label = after[..close].trim().to_string();
        let body_and_rest = &after[close + 5..];
        let end_line = format!("-----END {label}-----");
        let end = body_and_rest.find(&end_line).ok_or_else(|| {
            format!("the {label} block has no `{end_line}` line (truncated copy?)")
        })?;
        let mut has_headers = false;
        let mut b64 = Zeroizing::new(String::with_capacity(end));
        for line in body_and_rest[..end].lines() {
            if line.contains(':') {
                has_headers = true;
            } else {
                b64.push_str(line.trim());
            }
        }
        let der = decode_b64(&b64)
            .map_err(|e| format!("the base64 inside the {label} block is damaged ({e})"))?;
        blocks.push(PemBlock {
            label,
            der,
            has_headers,
        });
        rest = &body_and_rest[end + end_line.len()..];
    }
    Ok(blocks)
}

/// Standard base64, whitespace ignored, padding optional.
pub(crate) fn decode_b64(s: &str) -> std::result::Result<Zeroizing<Vec<u8>>, base64::DecodeError> {
    use base64::engine::{
        general_purpose::GeneralPurpose, DecodePaddingMode, GeneralPurposeConfig,
    };
    const LENIENT: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
    );
    let compact: Zeroizing<String> =
        Zeroizing::new(s.chars().filter(|c| !c.is_ascii_whitespace()).collect());
    LENIENT.decode(compact.as_bytes()).map(Zeroizing::new)
}

/// PEM text with 64-column lines and a final newline, in zeroizing memory.
pub(crate) fn pem_encode(label: &str, der: &[u8]) -> Zeroizing<String> {
    let b64 = Zeroizing::new(base64::engine::general_purpose::STANDARD.encode(der));
    let mut out = Zeroizing::new(String::with_capacity(
        b64.len() + b64.len() / 64 + 2 * label.len() + 40,
    ));
    out.push_str("-----BEGIN ");
    out.push_str(label);
    out.push_str("-----\n");
    for (i, c) in b64.chars().enumerate() {
        if i > 0 && i % 64 == 0 {
            out.push('\n');
        }
        out.push(c);
    }
    out.push_str("\n-----END ");
    out.push_str(label);
    out.push_str("-----\n");
    out
}

enum Classified {
    Pem(Zeroizing<String>),
    Der(Zeroizing<Vec<u8>>),
    File(std::path::PathBuf),
}

/// Sorts `load` input into PEM text, DER bytes (from base64 or binary) or a `file://` path.
fn classify(input: &[u8], expected: &'static str, prefixes: &[&str]) -> Result<Classified> {
    let input = input.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(input);
    let input = input.trim_ascii();
    if input.is_empty() {
        return Err(Error::key(expected, "the input is empty"));
    }
    if input.windows(11).any(|w| w == b"-----BEGIN ") {
        return Ok(Classified::Pem(pem_text(input)));
    }
    if let Some(path) = input.strip_prefix(b"file://") {
        let path = std::str::from_utf8(path)
            .map_err(|_| Error::key(expected, "the file:// path is not UTF-8"))?;
        return Ok(Classified::File(path.into()));
    }
    let input = prefixes
        .iter()
        .find_map(|p| input.strip_prefix(p.as_bytes()))
        .unwrap_or(input);
    let is_b64 = input
        .iter()
        .all(|&b| b.is_ascii_alphanumeric() || b"+/=".contains(&b) || b.is_ascii_whitespace());
    if is_b64 {
        let text = std::str::from_utf8(input).unwrap_or_default();
        return decode_b64(text).map(Classified::Der).map_err(|e| {
            Error::key(
                expected,
                format!(
                    "found text that is neither PEM (-----BEGIN ...) nor valid base64 DER ({e})"
                ),
            )
        });
    }
    if input[0] == 0x30 {
        return Ok(Classified::Der(Zeroizing::new(input.to_vec())));
    }
    Err(Error::key(expected, describe_garbage(input)))
}

fn describe_garbage(input: &[u8]) -> String {
    let text = std::str::from_utf8(input).ok();
    let path_like = text.filter(|t| {
        let lower = t.to_ascii_lowercase();
        t.len() < 512
            && !t.contains('\n')
            && (t.contains('/')
                || t.contains('\\')
                || [
                    ".pem", ".key", ".crt", ".cer", ".der", ".p12", ".pfx", ".txt",
                ]
                .iter()
                .any(|ext| lower.ends_with(ext)))
    });
    match path_like {
        Some(path) => format!(
            "found `{path}`, which looks like a file path, not key content: use from_file(path), \
             or read the file first"
        ),
        None => format!(
            "found {} bytes that are neither PEM (-----BEGIN ...-----) nor base64 or binary DER",
            input.len()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_reveals_no_key_bytes() {
        let pem = include_str!("../../tests/fixtures/keys/rsa.pkcs8.key");
        let key = PrivateKey::from_pem(pem).unwrap();
        let debug = format!("{key:?} {:#?}", key);
        assert_eq!(format!("{key:?}"), "PrivateKey { .. redacted .. }");
        // No run of the key's base64 or hex shows up, whatever the formatting.
        let der = &key.inner.pkcs8;
        let b64 = base64::engine::general_purpose::STANDARD.encode(&der[..]);
        for window in b64.as_bytes().chunks(8) {
            assert!(!debug.contains(std::str::from_utf8(window).unwrap()));
        }
        assert!(!debug.contains(&hex::encode(&der[der.len() - 8..])));
    }

    #[test]
    fn bit_length() {
        assert_eq!(uint_bits(&[]), 0);
        assert_eq!(uint_bits(&[0, 0]), 0);
        assert_eq!(uint_bits(&[1]), 1);
        assert_eq!(uint_bits(&[0, 0x80, 0]), 16);
        assert_eq!(uint_bits(&[0x7f; 256]), 2047);
    }

    #[test]
    fn pem_round_trip_and_damage() {
        let pem = pem_encode("TEST", &[1, 2, 3]);
        let blocks = parse_pem(&pem).unwrap();
        assert_eq!(blocks.len(), 1);
        assert_eq!(blocks[0].label, "TEST");
        assert_eq!(blocks[0].der.as_slice(), &[1, 2, 3]);
        let err = parse_pem("-----BEGIN TEST-----\nAQID\n").err().unwrap();
        assert!(err.contains("no `-----END TEST-----` line"), "{err}");
        let err = parse_pem("-----BEGIN TEST-----\nA!ID\n-----END TEST-----")
            .err()
            .unwrap();
        assert!(err.contains("damaged"), "{err}");
    }
}
