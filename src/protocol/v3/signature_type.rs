//! `Wechatpay-Signature-Type`: the algorithm WeChat Pay names beside each signed answer and
//! notification. Read once, before any key is looked up, so an algorithm the client does not
//! implement is refused by name instead of failing later as a "bad signature".

use crate::error::{Error, Result};
use http::HeaderMap;

/// The header WeChat Pay names its signature algorithm in.
pub const SIGNATURE_TYPE: &str = "Wechatpay-Signature-Type";

/// A signature algorithm a WeChat Pay answer or notification may be signed with.
///
/// `#[non_exhaustive]`: another algorithm would join as another variant.
///
/// ```
/// use wechatpay::http::{HeaderMap, HeaderValue};
/// use wechatpay::v3::SignatureType;
///
/// let mut h = HeaderMap::new();
/// // Absent: WeChat Pay's only RSA scheme, as before the header existed.
/// assert_eq!(SignatureType::of(&h)?, SignatureType::Rsa2048);
/// h.insert("Wechatpay-Signature-Type", HeaderValue::from_static("WECHATPAY2-SHA256-RSA2048"));
/// assert_eq!(SignatureType::of(&h)?.as_str(), "WECHATPAY2-SHA256-RSA2048");
/// h.insert("Wechatpay-Signature-Type", HeaderValue::from_static("HMAC-SHA256"));
/// assert!(SignatureType::of(&h).unwrap_err().to_string().contains("HMAC-SHA256"));
/// # Ok::<(), wechatpay::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SignatureType {
    /// `WECHATPAY2-SHA256-RSA2048`: RSA PKCS#1 v1.5 over SHA-256, with a WeChat Pay public key
    /// or platform certificate.
    Rsa2048,
    /// `WECHATPAY2-SM2-WITH-SM3` (国密): SM2 with SM3, user id `1234567812345678`, a DER
    /// signature, with WeChat Pay's SM2 platform certificate. Read in every build; verified with
    /// the feature `shangmi` (without it, [`check`](Self::check) says to enable it).
    Sm2WithSm3,
}

/// Every type this client reads, for the error that names what is supported.
const SUPPORTED: [SignatureType; 2] = [SignatureType::Rsa2048, SignatureType::Sm2WithSm3];

impl SignatureType {
    /// The name as WeChat Pay writes it in `Wechatpay-Signature-Type`.
    pub fn as_str(self) -> &'static str {
        match self {
            SignatureType::Rsa2048 => "WECHATPAY2-SHA256-RSA2048",
            SignatureType::Sm2WithSm3 => "WECHATPAY2-SM2-WITH-SM3",
        }
    }

    /// `Ok` when this build verifies the type: `WECHATPAY2-SM2-WITH-SM3` needs the crate
    /// feature `shangmi`, and the error says so (an [`Error::Signature`]).
    ///
    /// ```
    /// use wechatpay::v3::SignatureType;
    /// assert!(SignatureType::Rsa2048.check().is_ok());
    /// let sm2 = SignatureType::Sm2WithSm3.check();
    /// assert_eq!(sm2.is_ok(), cfg!(feature = "shangmi"));
    /// ```
    pub fn check(self) -> Result<SignatureType> {
        match self {
            #[cfg(not(feature = "shangmi"))]
            SignatureType::Sm2WithSm3 => Err(Error::Signature(format!(
                "{SIGNATURE_TYPE} `WECHATPAY2-SM2-WITH-SM3`: a 国密 (SM2) signature, which this build does not \
                 verify: enable the crate feature `shangmi` (wechatpay-chain = {{ features = [\"shangmi\"] }}) \
                 and configure WeChat Pay's SM2 certificate"
            ))),
            other => Ok(other),
        }
    }

    /// The key algorithm that verifies this type.
    pub fn key_algorithm(self) -> crate::keys::crypto::KeyAlgorithm {
        match self {
            SignatureType::Rsa2048 => crate::keys::crypto::KeyAlgorithm::Rsa,
            SignatureType::Sm2WithSm3 => crate::keys::crypto::KeyAlgorithm::Sm2,
        }
    }

    /// The type an answer or notification names; `Rsa2048` when the header is absent.
    ///
    /// The name must be one WeChat Pay writes, exactly (`wechatpay2-sha256-rsa2048` is
    /// refused: the signature does not cover this header, so a verifier that normalises it
    /// accepts spellings WeChat Pay never sends). A header given twice or empty is refused too.
    /// The error is [`Error::Signature`], as for a signature that does not verify.
    pub fn of(headers: &HeaderMap) -> Result<SignatureType> {
        let mut values = headers.get_all(SIGNATURE_TYPE).iter();
        let Some(value) = values.next() else {
            return Ok(SignatureType::Rsa2048);
        };
        let more = values.count();
        if more > 0 {
            return Err(Error::Signature(format!(
                "header {SIGNATURE_TYPE} appears {} times: an answer with ambiguous signature headers is not verified",
                more + 1
            )));
        }
        let name = value.as_bytes();
        if let Some(known) = SUPPORTED
            .into_iter()
            .find(|t| t.as_str().as_bytes() == name)
        {
            return Ok(known);
        }
        // A brand's answers: WeChat Pay does not document the value; the one brand
        // notification seen in public names the brand scheme. The same RSA algorithm and key.
        if name == super::Scheme::BRAND.name.as_bytes() {
            return Ok(SignatureType::Rsa2048);
        }
        let shown: String = String::from_utf8_lossy(name)
            .chars()
            .take(64)
            .collect::<String>()
            .escape_debug()
            .to_string();
        let supported: Vec<&str> = SUPPORTED.iter().map(|t| t.as_str()).collect();
        Err(Error::Signature(format!(
            "{SIGNATURE_TYPE} `{shown}` is not a signature type this client verifies (supported: {}; \
             absent means WECHATPAY2-SHA256-RSA2048)",
            supported.join(", ")
        )))
    }
}

impl std::fmt::Display for SignatureType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn with(values: &[&[u8]]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append(SIGNATURE_TYPE, HeaderValue::from_bytes(v).unwrap());
        }
        h
    }

    #[test]
    fn only_the_exact_names_are_read() {
        assert_eq!(
            SignatureType::of(&with(&[])).unwrap(),
            SignatureType::Rsa2048
        );
        let rsa = with(&[b"WECHATPAY2-SHA256-RSA2048"]);
        assert_eq!(SignatureType::of(&rsa).unwrap(), SignatureType::Rsa2048);
        let brand = with(&[b"WECHATPAY-BRAND-SHA256-RSA2048"]);
        assert_eq!(SignatureType::of(&brand).unwrap(), SignatureType::Rsa2048);
        for (value, says) in [
            (
                &b"wechatpay2-sha256-rsa2048"[..],
                "`wechatpay2-sha256-rsa2048`",
            ),
            (b"wechatpay2-sm2-with-sm3", "`wechatpay2-sm2-with-sm3`"),
            (b"", "``"),
            (b"RSA \xe4\xb8\xad", "`RSA 中`"),
        ] {
            let e = SignatureType::of(&with(&[value])).unwrap_err();
            let m = e.to_string();
            assert!(matches!(e, Error::Signature(_)), "{e:?}");
            assert!(
                m.contains(says)
                    && m.contains("supported: WECHATPAY2-SHA256-RSA2048, WECHATPAY2-SM2-WITH-SM3"),
                "{m}"
            );
        }
        let twice = with(&[b"WECHATPAY2-SHA256-RSA2048", b"WECHATPAY2-SHA256-RSA2048"]);
        let m = SignatureType::of(&twice).unwrap_err().to_string();
        assert!(m.contains("appears 2 times"), "{m}");
        let sm2 = with(&[b"WECHATPAY2-SM2-WITH-SM3"]);
        let read = SignatureType::of(&sm2).unwrap();
        assert_eq!(read, SignatureType::Sm2WithSm3);
        // Without the feature the type is read, then refused naming the feature to enable.
        #[cfg(not(feature = "shangmi"))]
        {
            let m = read.check().unwrap_err().to_string();
            assert!(m.contains("enable the crate feature `shangmi`"), "{m}");
        }
        #[cfg(feature = "shangmi")]
        assert_eq!(read.check().unwrap(), SignatureType::Sm2WithSm3);
        let long = vec![b'A'; 1000];
        let m = SignatureType::of(&with(&[&long])).unwrap_err().to_string();
        assert!(m.len() < 300, "the value is cut: {m}");
    }

    /// Every byte a header value may hold, at odd lengths: only the two exact names pass, and
    /// nothing panics.
    #[test]
    fn odd_bytes_never_pass_or_panic() {
        let mut seed: u32 = 0x9e37_79b9;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            seed
        };
        for _ in 0..2000 {
            let len = (next() % 80) as usize;
            let mut v: Vec<u8> = (0..len).map(|_| next() as u8).collect();
            // Header values hold no NUL, CR or LF; keep a near miss of the real name now and then.
            v.retain(|b| !matches!(b, 0 | b'\r' | b'\n' | 0x7f));
            if next() % 4 == 0 {
                v = b"WECHATPAY2-SHA256-RSA2048".to_vec();
                let i = next() as usize % v.len();
                v[i] ^= 1 << (next() % 8);
                v.retain(|b| !matches!(b, 0 | b'\r' | b'\n' | 0x7f));
            }
            let Ok(value) = HeaderValue::from_bytes(&v) else {
                continue;
            };
            let mut h = HeaderMap::new();
            h.insert(SIGNATURE_TYPE, value);
            let exact = v == b"WECHATPAY2-SHA256-RSA2048" || v == b"WECHATPAY-BRAND-SHA256-RSA2048";
            match SignatureType::of(&h) {
                Ok(_) => assert!(exact, "{v:?} passed"),
                Err(e) => {
                    assert!(!exact);
                    assert!(matches!(e, Error::Signature(_)));
                    assert!(e.to_string().len() < 600);
                }
            }
        }
    }
}
