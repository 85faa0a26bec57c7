//! The WeChat Pay keys a client verifies with, and the merchant's own signer, from the builder's
//! sources: each checked for what its slot expects.

use super::checks::check_token;
use super::{KeySource, VerifierSource};
use crate::error::{Error, Result};
use crate::keys::crypto::{Backend, Certificate, PrivateKey, PublicKey, Signer};
use crate::keys::keyring::Keyring;
use std::sync::Arc;

/// The keyring from the configured public keys, platform certificates and verifiers.
pub(super) fn keyring(
    sources: Vec<VerifierSource>,
    mchid: &str,
    backend: Backend,
) -> Result<Keyring> {
    let keyring = Keyring::default();
    for source in sources {
        match source {
            VerifierSource::PublicKey(id, pem) => {
                check_token("public_key", &id)?;
                let (key, validity) = PublicKey::load_with_validity(&pem)
                    .and_then(|(k, v)| Ok((k.with_backend(backend)?, v)))
                    .map_err(|e| Error::config("public_key", format!("`{id}`: {e}")))?;
                // A certificate given as the key is held to its validity, as in
                // `platform_certificate`, before the build and after it.
                let (not_before, not_after) = validity.unzip();
                if let Some((nb, na)) = validity {
                    check_validity(
                        "public_key",
                        &format!("`{id}`: the certificate given as its key"),
                        nb,
                        na,
                        "give the WeChat Pay public key itself (pub_key.pem), which has no expiry, or a current \
                         certificate",
                    )?;
                }
                keyring.insert_window(id, key, not_before, not_after);
            }
            VerifierSource::Certificate(pem) => {
                let cert = Certificate::from_pem(&pem)
                    .map_err(|e| Error::config("platform_certificate", e.to_string()))?;
                if cert.subject_common_name().as_deref() == Some(mchid) {
                    return Err(Error::config(
                        "platform_certificate",
                        format!(
                            "certificate {} is issued to merchant {mchid} (CN={mchid}): that is your merchant API \
                             certificate (apiclient_cert.pem), not a WeChat Pay platform certificate",
                            cert.serial_no()
                        ),
                    ));
                }
                check_validity(
                    "platform_certificate",
                    &format!("certificate {}", cert.serial_no()),
                    cert.not_before(),
                    cert.not_after(),
                    "download the current ones (v3/certificates) or use the WeChat Pay public key",
                )?;
                let key = cert
                    .public_key()
                    .clone()
                    .with_backend(backend)
                    .map_err(|e| Error::config("platform_certificate", e.to_string()))?;
                keyring.insert_window(
                    cert.serial_no(),
                    key,
                    Some(cert.not_before()),
                    Some(cert.not_after()),
                );
            }
            VerifierSource::Custom(id, verifier) => {
                check_token("verifier", &id)?;
                keyring.insert_verifier(id, verifier);
            }
        }
    }
    Ok(keyring)
}

/// Refuses a certificate outside its validity now, naming the setting, its window and `advice`.
fn check_validity(
    field: &'static str,
    what: &str,
    not_before: i64,
    not_after: i64,
    advice: &str,
) -> Result<()> {
    let now = crate::util::unix_now();
    if (not_before..=not_after).contains(&now) {
        return Ok(());
    }
    let when = if now > not_after {
        "expired"
    } else {
        "is not yet valid"
    };
    Err(Error::config(
        field,
        format!(
            "{what} {when}: valid from {} to {} (notAfter), now {}; {advice}",
            crate::keys::keyring::utc(not_before),
            crate::keys::keyring::utc(not_after),
            crate::keys::keyring::utc(now)
        ),
    ))
}

/// The merchant's signer, and the key itself when given as PEM (it also decrypts).
pub(super) fn load_signer(
    key: KeySource,
    backend: Backend,
) -> Result<(Arc<dyn Signer>, Option<PrivateKey>)> {
    let key = match key {
        KeySource::Signer(s) => return Ok((s, None)),
        KeySource::Pem(pem) => PrivateKey::load(&*pem),
        KeySource::Encrypted(pem, pass) => PrivateKey::from_pem_encrypted(&*pem, &pass),
    };
    let key = key
        .and_then(|k| k.with_backend(backend))
        .map_err(|e| Error::config("private_key", e.to_string()))?;
    if key.backend() == Backend::AwsLc {
        // The entropy seeding of the first signature happens now, beside the build.
        crate::keys::crypto::warm_up();
    }
    Ok((Arc::new(key.clone()), Some(key)))
}
