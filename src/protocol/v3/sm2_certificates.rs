//! 国密 platform certificates (feature `shangmi`): what `GET v3/certificates?algorithm_type=SM2`
//! carries, each SM2 certificate sealed AEAD_SM4_GCM under the key derived from the APIv3 key
//! (the official Java SDK downloads them with its `AeadSM4Cipher`). The answer itself is
//! verified like any answer, before this reads it.

use crate::error::{Error, Result};
use crate::keys::crypto::sm::{sm4_gcm_decrypt, Sm2Certificate};
use serde::Deserialize;

#[derive(Deserialize)]
struct Listing {
    data: Vec<Item>,
}

#[derive(Deserialize)]
struct Item {
    serial_no: String,
    encrypt_certificate: Sealed,
}

#[derive(Deserialize)]
struct Sealed {
    algorithm: String,
    nonce: String,
    #[serde(default)]
    associated_data: String,
    ciphertext: String,
}

/// The SM2 certificates of a verified `v3/certificates?algorithm_type=SM2` answer valid at `now`,
/// each opened with the APIv3 key and holding the serial it is listed under.
///
/// ```
/// let none = wechatpay::v3::open_sm2_certificate_listing(
///     b"0123456789abcdef0123456789abcdef", 1_700_000_000, br#"{"data":[]}"#);
/// assert!(none.unwrap_err().to_string().contains("no SM2 certificate valid"));
/// ```
pub fn open_sm2_certificate_listing(
    apiv3_key: &[u8],
    now: i64,
    body: &[u8],
) -> Result<Vec<Sm2Certificate>> {
    let listing: Listing = serde_json::from_slice(body)
        .map_err(|e| Error::decode("the v3/certificates?algorithm_type=SM2 answer", e))?;
    let mut certs = Vec::new();
    for item in listing.data {
        let e = &item.encrypt_certificate;
        if e.algorithm != "AEAD_SM4_GCM" {
            return Err(Error::decode(
                "an SM2 platform certificate",
                format!(
                    "algorithm `{}` (the 国密 listing is sealed AEAD_SM4_GCM)",
                    e.algorithm
                ),
            ));
        }
        let pem = sm4_gcm_decrypt(
            apiv3_key,
            e.nonce.as_bytes(),
            e.associated_data.as_bytes(),
            &e.ciphertext,
        )
        .map_err(|err| {
            Error::Crypto(format!(
                "cannot decrypt SM2 platform certificate {}: {err} (is the APIv3 key right?)",
                item.serial_no
            ))
        })?;
        let cert = Sm2Certificate::from_pem(&pem)?;
        if cert.serial_no() != item.serial_no {
            return Err(Error::Signature(format!(
                "the SM2 certificate listed as {} has serial {}",
                item.serial_no,
                cert.serial_no()
            )));
        }
        if (cert.not_before()..=cert.not_after()).contains(&now) {
            certs.push(cert);
        }
    }
    if certs.is_empty() {
        return Err(Error::Signature(
            "the listing carries no SM2 certificate valid now".into(),
        ));
    }
    Ok(certs)
}
