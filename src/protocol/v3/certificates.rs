//! Platform certificates: verifying a `v3/certificates` listing and decrypting what it carries
//! (the download itself is a call: `client::rotation`).
//!
//! Merchants in public-key mode (the default since late 2024) need none of this. Certificate
//! mode downloads the certificates with the APIv3 key. Once the client holds a WeChat Pay key,
//! a listing must verify with one of those: a listing that vouches for itself could bring in
//! any key. Only a client with no usable key yet (the first download, or every certificate it
//! held has expired) accepts a listing signed by a certificate it carries.

use super::check_signed_headers;
use crate::error::{Error, Result};
use crate::keys::crypto::aes::aes_256_gcm_decrypt;
use crate::keys::crypto::Certificate;
use crate::keys::keyring::{utc, Keyring};
use serde::Deserialize;

#[derive(Deserialize)]
struct Listing {
    data: Vec<Item>,
}

#[derive(Deserialize)]
struct Item {
    serial_no: String,
    encrypt_certificate: Encrypted,
}

#[derive(Deserialize)]
struct Encrypted {
    algorithm: String,
    nonce: String,
    #[serde(default)]
    associated_data: String,
    ciphertext: String,
}

/// Verifies a `v3/certificates` answer obtained elsewhere and returns the certificates in it
/// valid at `now`, adding none to `keyring` ([`Client::download_certificates`](crate::Client::download_certificates) runs the
/// same).
///
/// With a key usable at `now` in `keyring`, the answer must verify with one of those; only
/// without one (the first download, or every certificate held has expired) may it verify with
/// a certificate it carries. Each certificate is decrypted with the APIv3 key and must carry
/// the serial it is listed under; one issued to `mchid` (a merchant certificate) fails the
/// whole listing, as does a listing with no certificate valid at `now`.
///
/// ```
/// use wechatpay::{http::HeaderMap, v3, Error, Keyring};
/// let body = br#"{"data":[]}"#;
/// let unsigned = v3::verify_certificate_listing(
///     &Keyring::default(), b"0123456789abcdef0123456789abcdef", "1900000001",
///     1_700_000_000, &HeaderMap::new(), body);
/// assert!(matches!(unsigned, Err(Error::Signature(_))));
/// ```
pub fn verify_certificate_listing(
    keyring: &Keyring,
    apiv3_key: &[u8],
    mchid: &str,
    now: i64,
    headers: &http::HeaderMap,
    body: &[u8],
) -> Result<Vec<Certificate>> {
    let held = keyring.usable_at(now);
    let bootstrap = held.is_empty();
    if !bootstrap {
        // Verified before anything in it is decrypted or parsed.
        check_signed_headers(&held, now, headers, body)
            .map_err(|e| self_signed_hint(e, headers, body, &held))?;
    }
    let listing: Listing =
        serde_json::from_slice(body).map_err(|e| Error::decode("the v3/certificates answer", e))?;
    let mut certs = Vec::with_capacity(listing.data.len());
    let mut skipped = Vec::new();
    for item in listing.data {
        let cert = decrypt(apiv3_key, &item)?;
        if cert.subject_common_name().as_deref() == Some(mchid) {
            return Err(Error::Signature(format!(
                "the listing carries certificate {} issued to merchant {mchid} (CN={mchid}): a \
                 merchant API certificate is never a WeChat Pay platform certificate",
                cert.serial_no()
            )));
        }
        if !cert.is_valid_at(now) {
            skipped.push(format!(
                "{} (valid {} to {})",
                cert.serial_no(),
                utc(cert.not_before()),
                utc(cert.not_after())
            ));
            continue;
        }
        certs.push(cert);
    }
    if bootstrap {
        let carried = Keyring::default();
        for cert in &certs {
            carried.insert_certificate(cert);
        }
        check_signed_headers(&carried, now, headers, body)?;
    }
    if certs.is_empty() {
        return Err(Error::Signature(format!(
            "the listing carries no certificate valid now ({}); skipped: {}",
            utc(now),
            if skipped.is_empty() {
                "none".to_string()
            } else {
                skipped.join(", ")
            }
        )));
    }
    Ok(certs)
}

fn decrypt(apiv3_key: &[u8], item: &Item) -> Result<Certificate> {
    let e = &item.encrypt_certificate;
    if e.algorithm != "AEAD_AES_256_GCM" {
        return Err(Error::decode(
            "a platform certificate",
            format!("unsupported algorithm `{}`", e.algorithm),
        ));
    }
    let pem = aes_256_gcm_decrypt(
        apiv3_key,
        e.nonce.as_bytes(),
        e.associated_data.as_bytes(),
        &e.ciphertext,
    )
    .map_err(|err| {
        Error::Crypto(format!(
            "cannot decrypt platform certificate {}: {err} (is the APIv3 key right?)",
            item.serial_no
        ))
    })?;
    let cert = Certificate::from_pem(&pem)?;
    if cert.serial_no() != item.serial_no {
        return Err(Error::Signature(format!(
            "the certificate listed as {} has serial {}",
            item.serial_no,
            cert.serial_no()
        )));
    }
    Ok(cert)
}

/// Says so when a listing was signed by a certificate it lists but the client does not hold.
fn self_signed_hint(e: Error, headers: &http::HeaderMap, body: &[u8], held: &Keyring) -> Error {
    let serial = headers
        .get("Wechatpay-Serial")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let carried = serde_json::from_slice::<Listing>(body)
        .is_ok_and(|l| l.data.iter().any(|i| i.serial_no == serial));
    match e {
        Error::Signature(m) if carried && !held.contains(serial) => Error::Signature(format!(
            "{m}; the listing is signed by certificate {serial}, which it carries itself: with \
             WeChat Pay keys already held ({}), a listing must verify with one of them",
            held.ids().join(", ")
        )),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::crypto::aes::aes_256_gcm_encrypt;
    use crate::keys::crypto::{PrivateKey, PublicKey};
    use base64::Engine;
    use http::{HeaderMap, HeaderValue};

    const APIV3: &[u8] = b"0123456789abcdef0123456789abcdef";
    const MCHID: &str = "1900000001";
    const WECHATPAY_KEY: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/client/wechatpay_key.pem"
    ));
    const PLATFORM: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/client/platform_cert.pem"
    ));
    const EXPIRED: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/v3/platform_expired.pem"
    ));
    const MERCHANT_CERT: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/client/merchant_cert.pem"
    ));
    const OTHER_KEY: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/keys/rsa.pkcs8.key"
    ));
    const OTHER_CERT: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/keys/rsa.crt"
    ));

    fn now() -> i64 {
        Certificate::from_pem(PLATFORM).unwrap().not_before() + 86_400
    }

    fn serial(pem: &str) -> String {
        Certificate::from_pem(pem).unwrap().serial_no().to_string()
    }

    fn listing(pems: &[&str]) -> Vec<u8> {
        let data: Vec<_> = pems
            .iter()
            .map(|pem| {
                let ciphertext =
                    aes_256_gcm_encrypt(APIV3, b"0123456789ab", b"certificate", pem.as_bytes())
                        .unwrap();
                serde_json::json!({"serial_no": serial(pem), "encrypt_certificate": {
                    "algorithm": "AEAD_AES_256_GCM", "nonce": "0123456789ab",
                    "associated_data": "certificate", "ciphertext": ciphertext}})
            })
            .collect();
        serde_json::json!({ "data": data }).to_string().into_bytes()
    }

    fn signed(key: &str, serial: &str, body: &[u8]) -> HeaderMap {
        let ts = now().to_string();
        let message = crate::protocol::v3::canonical_response(&ts, "N", body);
        let sig = PrivateKey::from_pem(key).unwrap().sign(&message).unwrap();
        let mut h = HeaderMap::new();
        for (k, v) in [
            ("Wechatpay-Timestamp", ts),
            ("Wechatpay-Nonce", "N".into()),
            ("Wechatpay-Serial", serial.into()),
            (
                "Wechatpay-Signature",
                base64::engine::general_purpose::STANDARD.encode(sig),
            ),
        ] {
            h.insert(k, HeaderValue::from_str(&v).unwrap());
        }
        h
    }

    fn accept_with(ring: &Keyring, h: &HeaderMap, body: &[u8]) -> Result<Vec<Certificate>> {
        verify_certificate_listing(ring, APIV3, MCHID, now(), h, body)
    }

    #[test]
    fn an_empty_keyring_bootstraps_from_a_listing_signed_by_what_it_carries() {
        let body = listing(&[PLATFORM]);
        let certs = accept_with(
            &Keyring::default(),
            &signed(WECHATPAY_KEY, &serial(PLATFORM), &body),
            &body,
        )
        .unwrap();
        assert_eq!(certs[0].serial_no(), serial(PLATFORM));
        // Bootstrap still needs the signature of a carried certificate.
        let e = accept_with(
            &Keyring::default(),
            &signed(OTHER_KEY, &serial(PLATFORM), &body),
            &body,
        );
        assert!(
            matches!(e, Err(Error::Signature(ref m)) if m.starts_with(crate::protocol::v3::MISMATCH))
        );
    }

    #[test]
    fn with_keys_held_a_listing_must_verify_with_one_of_them() {
        let held = Keyring::default();
        held.insert_certificate(&Certificate::from_pem(PLATFORM).unwrap());
        // Rotation: the held certificate signs a listing that adds a new one.
        let body = listing(&[PLATFORM, OTHER_CERT]);
        let certs = accept_with(
            &held,
            &signed(WECHATPAY_KEY, &serial(PLATFORM), &body),
            &body,
        )
        .unwrap();
        assert_eq!(certs.len(), 2);
        // A listing that vouches for itself is refused once keys are held.
        let body = listing(&[OTHER_CERT]);
        let e = accept_with(&held, &signed(OTHER_KEY, &serial(OTHER_CERT), &body), &body);
        assert!(
            matches!(e, Err(Error::Signature(ref m)) if m.contains("carries itself") && m.contains(&serial(PLATFORM))),
            "{e:?}"
        );
        // Held under a public key id, the same.
        let by_id = Keyring::default();
        let pk = PublicKey::from_pem(include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/client/wechatpay_pub.pem"
        )));
        by_id.insert_key("PUB_KEY_ID_0119000000012024000000000000", pk.unwrap(), None);
        assert!(matches!(
            accept_with(
                &by_id,
                &signed(OTHER_KEY, &serial(OTHER_CERT), &body),
                &body
            ),
            Err(Error::Signature(_))
        ));
        // Only expired keys held: none usable, so the listing bootstraps again.
        let stale = Keyring::default();
        stale.insert_certificate(&Certificate::from_pem(EXPIRED).unwrap());
        accept_with(
            &stale,
            &signed(OTHER_KEY, &serial(OTHER_CERT), &body),
            &body,
        )
        .unwrap();
    }

    #[test]
    fn merchant_certificates_and_listings_of_expired_ones_are_refused() {
        let body = listing(&[PLATFORM, MERCHANT_CERT]);
        let e = accept_with(
            &Keyring::default(),
            &signed(WECHATPAY_KEY, &serial(PLATFORM), &body),
            &body,
        );
        assert!(
            matches!(e, Err(Error::Signature(ref m)) if m.contains("CN=1900000001") && m.contains(&serial(MERCHANT_CERT))),
            "{e:?}"
        );
        let body = listing(&[EXPIRED]);
        let held = Keyring::default();
        held.insert_certificate(&Certificate::from_pem(PLATFORM).unwrap());
        let e = accept_with(
            &held,
            &signed(WECHATPAY_KEY, &serial(PLATFORM), &body),
            &body,
        );
        assert!(
            matches!(e, Err(Error::Signature(ref m)) if m.contains("no certificate valid now") && m.contains("2021-01-01T00:00:00Z")),
            "{e:?}"
        );
        // Signed by the expired certificate it carries: not a key to bootstrap from either.
        let e = accept_with(
            &Keyring::default(),
            &signed(WECHATPAY_KEY, &serial(EXPIRED), &body),
            &body,
        );
        assert!(
            matches!(e, Err(Error::Signature(ref m)) if m.contains(&serial(EXPIRED))),
            "{e:?}"
        );
    }
}
