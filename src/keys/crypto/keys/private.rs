//! The merchant's RSA private key.

use super::sniff::{
    classify, decode_b64, found_block_for_private, in_file, looks_like_pkcs12, parse_pem,
    pem_encode, pem_text, read_key_file, Classified, LEGACY_ENCRYPTED, PKCS12_FOUND,
};
use super::{
    algorithm_name, check_bits, rsa_algorithm, spki_from_pkcs1, uint_bits, PublicKey,
    EXPECT_PRIVATE, RSA_OID,
};
use crate::error::{Error, Result};
use crate::keys::crypto::{awslc, Backend};
use der::{Decode, Encode};
use std::path::Path;
use std::sync::Arc;
use zeroize::Zeroizing;

#[cfg(feature = "rustcrypto")]
use crate::keys::crypto::rustcrypto;

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

impl crate::keys::crypto::Signer for PrivateKey {
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
        PKCS12_FOUND.into()
    } else {
        format!("found {} bytes that are not a DER private key", der.len())
    };
    Err(Error::key(EXPECT_PRIVATE, reason))
}

/// The error every OAEP decryption failure maps to: backends do not (and must not) say why.
pub(crate) fn oaep_failure() -> Error {
    Error::Crypto(
        "RSA-OAEP (SHA-1) decryption failed: the ciphertext was made for another key, is damaged, \
         or is not OAEP SHA-1 (PKCS#1 v1.5 ciphertexts are refused)"
            .into(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;

    #[test]
    fn debug_reveals_no_key_bytes() {
        let pem = include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/keys/rsa.pkcs8.key"
        ));
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
}
