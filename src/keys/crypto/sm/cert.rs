//! SM2 certificates: WeChat Pay's 国密 platform certificate (`v3/certificates?algorithm_type=SM2`)
//! and a merchant's 国密 API certificate. Read for the serial, the SM2 key and the validity; a
//! self-signed one can be made for the emulator and tests.

use super::keys::{signature_to_der, Sm2PrivateKey, Sm2PublicKey};
use crate::error::{Error, Result};
use crate::keys::crypto::keys::{parse_pem, pem_encode};
use der::{Decode, Encode};
use sm2::dsa::signature::Signer as _;
use sm2::pkcs8::EncodePublicKey;

const EXPECT_CERT: &str = "an SM2 certificate (X.509 PEM or DER)";
/// SM2-with-SM3, the signature algorithm of 国密 certificates (GM/T 0006).
const SM2_WITH_SM3: der::asn1::ObjectIdentifier =
    der::asn1::ObjectIdentifier::new_unwrap("1.2.156.10197.1.501");

/// An X.509 certificate with an SM2 key.
///
/// ```
/// use wechatpay::crypto::sm::{Sm2Certificate, Sm2PrivateKey};
/// let key = Sm2PrivateKey::generate()?;
/// let cert = Sm2Certificate::self_signed(&key, "5157F09EFDC096DE15EBE81A47057A72", "Tenpay.com sign",
///     1_700_000_000, 1_900_000_000)?;
/// let read = Sm2Certificate::from_pem(cert.to_pem())?;
/// assert_eq!(read.serial_no(), "5157F09EFDC096DE15EBE81A47057A72");
/// assert_eq!(read.public_key(), &key.public_key());
/// # Ok::<(), wechatpay::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Sm2Certificate {
    der: Vec<u8>,
    serial_no: String,
    public_key: Sm2PublicKey,
    not_before: i64,
    not_after: i64,
}

impl Sm2Certificate {
    /// PEM (`CERTIFICATE`), or DER.
    pub fn from_pem(pem: impl AsRef<[u8]>) -> Result<Self> {
        let bytes = pem.as_ref().trim_ascii();
        if bytes.first() == Some(&0x30) {
            return Self::from_der(bytes);
        }
        let text = String::from_utf8_lossy(bytes);
        let blocks = parse_pem(&text).map_err(|r| Error::key(EXPECT_CERT, r))?;
        let block = blocks
            .iter()
            .find(|b| b.label == "CERTIFICATE")
            .ok_or_else(|| Error::key(EXPECT_CERT, "no `-----BEGIN CERTIFICATE-----` block"))?;
        Self::from_der(&block.der)
    }

    /// DER.
    pub fn from_der(der: &[u8]) -> Result<Self> {
        let cert = x509_cert::Certificate::from_der(der).map_err(|e| {
            Error::key(
                EXPECT_CERT,
                format!("the DER is not an X.509 certificate ({e})"),
            )
        })?;
        let tbs = &cert.tbs_certificate;
        let spki = tbs
            .subject_public_key_info
            .to_der()
            .map_err(|e| Error::key(EXPECT_CERT, format!("its key is damaged ({e})")))?;
        let public_key = Sm2PublicKey::load(&spki).map_err(|_| {
            Error::key(
                EXPECT_CERT,
                "its key is not SM2 (an RSA platform certificate is for the RSA scheme)",
            )
        })?;
        let serial_no = tbs
            .serial_number
            .as_bytes()
            .iter()
            .skip_while(|b| **b == 0)
            .map(|b| format!("{b:02X}"))
            .collect();
        let unix = |t: x509_cert::time::Time| t.to_unix_duration().as_secs() as i64;
        Ok(Sm2Certificate {
            der: der.to_vec(),
            serial_no,
            public_key,
            not_before: unix(tbs.validity.not_before),
            not_after: unix(tbs.validity.not_after),
        })
    }

    /// A certificate for `key`, signed by itself (SM2-with-SM3), valid between two Unix times:
    /// what the emulator lists as its 国密 platform certificate.
    pub fn self_signed(
        key: &Sm2PrivateKey,
        serial_hex: &str,
        common_name: &str,
        not_before: i64,
        not_after: i64,
    ) -> Result<Self> {
        use std::str::FromStr;
        use std::time::Duration;
        use x509_cert::time::{Time, Validity};
        let fail = |e: &dyn std::fmt::Display| {
            Error::Crypto(format!("cannot make an SM2 certificate: {e}"))
        };
        let serial = hex::decode(serial_hex).map_err(|e| fail(&e))?;
        let name = x509_cert::name::Name::from_str(&format!("CN={common_name},O=Tenpay.com,C=CN"))
            .map_err(|e| fail(&e))?;
        // RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050.
        let time = |t: i64| {
            let at = Duration::from_secs(t.max(0) as u64);
            match t < 2_524_608_000 {
                true => der::asn1::UtcTime::from_unix_duration(at).map(Time::UtcTime),
                false => der::asn1::GeneralizedTime::from_unix_duration(at).map(Time::GeneralTime),
            }
            .map_err(|e| fail(&e))
        };
        let algorithm = spki::AlgorithmIdentifierOwned {
            oid: SM2_WITH_SM3,
            parameters: None,
        };
        let spki_der = key
            .public_key()
            .inner()
            .to_public_key_der()
            .map_err(|e| fail(&e))?;
        let tbs = x509_cert::TbsCertificate {
            version: x509_cert::Version::V3,
            serial_number: x509_cert::serial_number::SerialNumber::new(&serial)
                .map_err(|e| fail(&e))?,
            signature: algorithm.clone(),
            issuer: name.clone(),
            validity: Validity {
                not_before: time(not_before)?,
                not_after: time(not_after)?,
            },
            subject: name,
            subject_public_key_info: spki::SubjectPublicKeyInfoOwned::from_der(spki_der.as_bytes())
                .map_err(|e| fail(&e))?,
            issuer_unique_id: None,
            subject_unique_id: None,
            extensions: None,
        };
        let tbs_der = tbs.to_der().map_err(|e| fail(&e))?;
        let signing = sm2::dsa::SigningKey::new(super::DEFAULT_USER_ID, key.secret())
            .map_err(|e| fail(&e))?;
        let signature: sm2::dsa::Signature = signing.try_sign(&tbs_der).map_err(|e| fail(&e))?;
        let cert = x509_cert::Certificate {
            tbs_certificate: tbs,
            signature_algorithm: algorithm,
            signature: der::asn1::BitString::from_bytes(&signature_to_der(&signature))
                .map_err(|e| fail(&e))?,
        };
        Self::from_der(&cert.to_der().map_err(|e| fail(&e))?)
    }

    /// The serial as WeChat Pay writes it: uppercase hex, leading zero bytes dropped.
    pub fn serial_no(&self) -> &str {
        &self.serial_no
    }

    /// Its SM2 public key.
    pub fn public_key(&self) -> &Sm2PublicKey {
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

    /// The certificate as PEM.
    pub fn to_pem(&self) -> String {
        pem_encode("CERTIFICATE", &self.der).to_string()
    }
}
