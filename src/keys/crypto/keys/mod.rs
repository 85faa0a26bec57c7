//! RSA private and public keys: loading every form merchants meet, and the RSA operations.
//!
//! Loading is where users of every WeChat Pay SDK get stuck (a certificate passed as the key, an
//! encrypted key, a PKCS#12 file, a file path passed as content), so each refusal says what was
//! expected, what was found, and what to pass instead. Parsing happens here once; the backends
//! receive canonical PKCS#8 (private) or SPKI (public) DER.
//!
//! The code is split by concern: [`PrivateKey`] (`private`), [`PublicKey`] (`public`), encrypted
//! PKCS#8 and its KDF limits (`encrypted`), and PEM/DER sniffing with the error hints (`sniff`).

mod encrypted;
mod private;
mod public;
mod sniff;

pub use private::PrivateKey;
pub use public::PublicKey;

pub(crate) use private::oaep_failure;
pub(crate) use sniff::{
    article, decode_b64, is_pkcs12_label, looks_like_pkcs12, parse_pem, pem_encode, PKCS12_FOUND,
};

use der::asn1::{AnyRef, BitStringRef, ObjectIdentifier};
use der::Encode;
use spki::AlgorithmIdentifierRef;

pub(crate) const EXPECT_PRIVATE: &str = "a private key (PKCS#1 or PKCS#8 PEM)";
pub(crate) const EXPECT_ENCRYPTED: &str =
    "an encrypted private key (PKCS#8 ENCRYPTED PRIVATE KEY PEM)";
pub(crate) const EXPECT_PUBLIC: &str = "a public key (SPKI or PKCS#1 PEM, or a certificate)";

const RSA_OID: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const SM2_CURVE_OID: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.156.10197.1.301");
/// WeChat Pay keys are RSA-2048; smaller keys are refused, larger ones up to what aws-lc verifies.
const MIN_BITS: usize = 2048;
const MAX_BITS: usize = 8192;

// ---------------------------------------------------------------------------------------------
// Encoding helpers shared by the key types and cert.rs

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bit_length() {
        assert_eq!(uint_bits(&[]), 0);
        assert_eq!(uint_bits(&[0, 0]), 0);
        assert_eq!(uint_bits(&[1]), 1);
        assert_eq!(uint_bits(&[0, 0x80, 0]), 16);
        assert_eq!(uint_bits(&[0x7f; 256]), 2047);
    }
}
