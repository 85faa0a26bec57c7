//! X.509 certificates (WeChat Pay platform certificates, the merchant's `apiclient_cert.pem`):
//! the serial number in WeChat's form, the key, the validity window and the subject.
//!
//! Only what the protocol uses is read; no chain is built here (platform certificates are trusted
//! because they arrive AES-GCM-encrypted under the APIv3 key and signed, see `certificates.rs`).

use super::keys::{
    article, decode_b64, is_pkcs12_label, looks_like_pkcs12, parse_pem, pem_encode,
    spki_from_pkcs1, PKCS12_FOUND,
};
use super::PublicKey;
use crate::error::{Error, Result};
use base64::Engine as _;
use der::asn1::ObjectIdentifier;
use der::{Decode, Encode, Tag, Tagged};

const EXPECT_CERT: &str = "a certificate (X.509 PEM or DER)";

/// A parsed X.509 certificate.
///
/// ```
/// use wechatpay::crypto::Certificate;
/// # let pem = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/keys/serial.256.crt"));
/// let cert = Certificate::from_pem(pem)?;
/// assert_eq!(cert.serial_no(), "0100");
/// assert_eq!(cert.subject_common_name().as_deref(), Some("WeChatPay Community CI"));
/// assert!(cert.is_valid_at(cert.not_before()));
/// # Ok::<(), wechatpay::Error>(())
/// ```
#[derive(Clone)]
pub struct Certificate {
    der: Vec<u8>,
    serial_no: String,
    public_key: PublicKey,
    not_before: i64,
    not_after: i64,
    subject: String,
    common_name: Option<String>,
}

impl std::fmt::Debug for Certificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Certificate")
            .field("serial_no", &self.serial_no)
            .field("subject", &self.subject)
            .field("not_before", &self.not_before)
            .field("not_after", &self.not_after)
            .field("public_key", &self.public_key)
            .finish()
    }
}

impl Certificate {
    /// Reads the first `CERTIFICATE` block of a PEM text (a chain's leaf comes first). Bare base64
    /// or binary DER without the envelope is accepted as well.
    ///
    /// ```
    /// use wechatpay::crypto::Certificate;
    /// # let key = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/keys/rsa.pkcs8.key"));
    /// let err = Certificate::from_pem(key).unwrap_err().to_string();
    /// assert!(err.contains("that is a private key"), "{err}");
    /// ```
    pub fn from_pem(pem: impl AsRef<[u8]>) -> Result<Self> {
        let bytes = pem.as_ref().trim_ascii();
        let text = String::from_utf8_lossy(bytes);
        if !text.contains("-----BEGIN ") {
            if bytes.first() == Some(&0x30) {
                return Self::from_der(bytes);
            }
            let der = decode_b64(&text).map_err(|_| {
                Error::key(
                    EXPECT_CERT,
                    "no PEM block found: expected `-----BEGIN CERTIFICATE-----`",
                )
            })?;
            return Self::from_der(&der);
        }
        let blocks = parse_pem(&text).map_err(|r| Error::key(EXPECT_CERT, r))?;
        if let Some(block) = blocks
            .iter()
            .find(|b| b.label == "CERTIFICATE" || b.label == "X509 CERTIFICATE")
        {
            return Self::from_der(&block.der);
        }
        let label = blocks.first().map(|b| b.label.as_str()).unwrap_or("");
        let reason = if is_pkcs12_label(label) {
            PKCS12_FOUND.to_string()
        } else if label.contains("PRIVATE KEY") {
            format!(
                "found {} {label} block — that is a private key (apiclient_key.pem?), pass the certificate",
                article(label)
            )
        } else if label.contains("PUBLIC KEY") {
            format!(
                "found {} {label} block — that is a bare public key, not a certificate \
                 (use PublicKey::from_pem for WeChat Pay's pub_key.pem)",
                article(label)
            )
        } else {
            format!("found {} {label} block, not a certificate", article(label))
        };
        Err(Error::key(EXPECT_CERT, reason))
    }

    /// Reads a DER certificate.
    ///
    /// ```
    /// use wechatpay::crypto::Certificate;
    /// # let pem = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/keys/rsa.crt"));
    /// let cert = Certificate::from_pem(pem)?;
    /// # let der = wechatpay::crypto::PublicKey::from_pem(pem)?; // the key is the same either way
    /// assert_eq!(cert.public_key(), &der);
    /// # Ok::<(), wechatpay::Error>(())
    /// ```
    pub fn from_der(der: &[u8]) -> Result<Self> {
        let cert = x509_cert::Certificate::from_der(der).map_err(|e| {
            if looks_like_pkcs12(der) {
                Error::key(EXPECT_CERT, PKCS12_FOUND)
            } else {
                Error::key(
                    EXPECT_CERT,
                    format!("the DER is not an X.509 certificate ({e})"),
                )
            }
        })?;
        let tbs = &cert.tbs_certificate;
        let spki = tbs.subject_public_key_info.to_der().map_err(|e| {
            Error::key(
                EXPECT_CERT,
                format!("the certificate's key is damaged ({e})"),
            )
        })?;
        let public_key = PublicKey::from_der_for(&spki, EXPECT_CERT)?;
        let mut common_name = None;
        let mut parts = Vec::new();
        for rdn in tbs.subject.0.iter() {
            let mut values = Vec::new();
            for atv in rdn.0.iter() {
                let value = attribute_text(&atv.value);
                if atv.oid == CN {
                    common_name.get_or_insert_with(|| value.clone());
                }
                values.push(format!("{}={value}", attribute_name(&atv.oid)));
            }
            parts.push(values.join(" + "));
        }
        Ok(Certificate {
            der: der.to_vec(),
            serial_no: serial_hex(tbs.serial_number.as_bytes()),
            public_key,
            not_before: unix(tbs.validity.not_before),
            not_after: unix(tbs.validity.not_after),
            subject: parts.join(", "),
            common_name,
        })
    }

    /// The serial number as WeChat Pay writes it (`Wechatpay-Serial`, the `serial_no` of the
    /// Authorization header): uppercase hex, two digits a byte, leading zero bytes dropped.
    pub fn serial_no(&self) -> &str {
        &self.serial_no
    }

    /// The certified public key.
    pub fn public_key(&self) -> &PublicKey {
        &self.public_key
    }

    /// Start of validity, Unix seconds.
    pub fn not_before(&self) -> i64 {
        self.not_before
    }

    /// End of validity, Unix seconds.
    pub fn not_after(&self) -> i64 {
        self.not_after
    }

    /// True when `not_before <= unix <= not_after`.
    ///
    /// ```
    /// use wechatpay::crypto::Certificate;
    /// # let pem = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/keys/rsa.crt"));
    /// let cert = Certificate::from_pem(pem)?;
    /// assert!(cert.is_valid_at(cert.not_after()));
    /// assert!(!cert.is_valid_at(cert.not_after() + 1));
    /// # Ok::<(), wechatpay::Error>(())
    /// ```
    pub fn is_valid_at(&self, unix: i64) -> bool {
        self.not_before <= unix && unix <= self.not_after
    }

    /// The subject in certificate order, e.g.
    /// `C=CN, ST=Shanghai, O=WeChatPay Community, CN=WeChatPay Community CI`.
    pub fn subject(&self) -> String {
        self.subject.clone()
    }

    /// The subject's first common name (CN): a merchant certificate carries the mchid here.
    pub fn subject_common_name(&self) -> Option<String> {
        self.common_name.clone()
    }

    /// The certificate as PEM.
    ///
    /// ```
    /// use wechatpay::crypto::Certificate;
    /// # let pem = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/keys/rsa.crt"));
    /// assert_eq!(Certificate::from_pem(pem)?.to_pem(), pem);
    /// # Ok::<(), wechatpay::Error>(())
    /// ```
    pub fn to_pem(&self) -> String {
        pem_encode("CERTIFICATE", &self.der).to_string()
    }

    /// The certificate as DER.
    pub fn der(&self) -> &[u8] {
        &self.der
    }
}

impl super::Verifier for Certificate {
    fn verify(&self, message: &[u8], signature: &[u8]) -> Result<()> {
        self.public_key.verify(message, signature)
    }
}

/// The WeChat (OpenSSL `BN_bn2hex`) form of a serial INTEGER's content bytes: uppercase hex, two
/// digits a byte, leading zero bytes stripped; zero is `00`.
///
/// ```
/// use wechatpay::crypto::cert::serial_hex;
/// assert_eq!(serial_hex(&[0x01]), "01");
/// assert_eq!(serial_hex(&[0x00, 0xff]), "FF");
/// assert_eq!(serial_hex(&[0x01, 0x00]), "0100");
/// assert_eq!(serial_hex(&[0x7f, 0xff, 0xff, 0xff]), "7FFFFFFF");
/// ```
pub fn serial_hex(serial_integer_bytes: &[u8]) -> String {
    let start = serial_integer_bytes
        .iter()
        .position(|&b| b != 0)
        .unwrap_or(serial_integer_bytes.len());
    let significant = &serial_integer_bytes[start..];
    if significant.is_empty() {
        return "00".into();
    }
    hex::encode_upper(significant)
}

/// §6.1 `pkcs1ToSpki`: bare base64 PKCS#1 `RSAPublicKey` to bare base64 SPKI, as for the key
/// APIv2 `getpublickey` returns.
///
/// ```
/// use wechatpay::crypto::cert::pkcs1_to_spki;
/// # let b64 = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/keys/rsa.pkcs1.pub.b64"));
/// # let spki = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/keys/rsa.spki.b64"));
/// assert_eq!(pkcs1_to_spki(b64)?, spki);
/// # Ok::<(), wechatpay::Error>(())
/// ```
pub fn pkcs1_to_spki(pkcs1_b64: &str) -> Result<String> {
    const EXPECTED: &str = "a PKCS#1 RSA public key (bare base64)";
    let der =
        decode_b64(pkcs1_b64).map_err(|e| Error::decode("the base64 of a PKCS#1 public key", e))?;
    let key = pkcs1::RsaPublicKey::try_from(der.as_slice())
        .map_err(|e| Error::key(EXPECTED, format!("not a PKCS#1 RSAPublicKey ({e})")))?;
    let canonical = key
        .to_der()
        .map_err(|e| Error::key(EXPECTED, format!("cannot encode it ({e})")))?;
    let spki = spki_from_pkcs1(&canonical)
        .map_err(|e| Error::key(EXPECTED, format!("cannot encode it ({e})")))?;
    Ok(base64::engine::general_purpose::STANDARD.encode(spki))
}

const CN: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.3");

fn unix(time: x509_cert::time::Time) -> i64 {
    i64::try_from(time.to_unix_duration().as_secs()).unwrap_or(i64::MAX)
}

/// OpenSSL's short names for the attributes certificates use.
fn attribute_name(oid: &ObjectIdentifier) -> String {
    let name = match oid.to_string().as_str() {
        "2.5.4.3" => "CN",
        "2.5.4.6" => "C",
        "2.5.4.7" => "L",
        "2.5.4.8" => "ST",
        "2.5.4.9" => "street",
        "2.5.4.10" => "O",
        "2.5.4.11" => "OU",
        "2.5.4.5" => "serialNumber",
        "2.5.4.4" => "SN",
        "2.5.4.42" => "GN",
        "2.5.4.12" => "title",
        "1.2.840.113549.1.9.1" => "emailAddress",
        "0.9.2342.19200300.100.1.25" => "DC",
        "0.9.2342.19200300.100.1.1" => "UID",
        other => return other.to_string(),
    };
    name.to_string()
}

/// The text of a directory string; BMPString is UTF-16BE, the others are read as UTF-8.
fn attribute_text(value: &der::Any) -> String {
    match value.tag() {
        Tag::BmpString => {
            let units: Vec<u16> = value
                .value()
                .chunks(2)
                .map(|c| u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]))
                .collect();
            String::from_utf16_lossy(&units)
        }
        _ => String::from_utf8_lossy(value.value()).into_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serial_vectors() {
        assert_eq!(serial_hex(&[]), "00");
        assert_eq!(serial_hex(&[0]), "00");
        assert_eq!(serial_hex(&[0, 0, 0x80]), "80");
        assert_eq!(serial_hex(&[0x0a, 0xbc]), "0ABC");
    }
}
