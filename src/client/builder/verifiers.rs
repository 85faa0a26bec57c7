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
                let key = PublicKey::load(&pem)
                    .and_then(|k| k.with_backend(backend))
                    .map_err(|e| Error::config("public_key", format!("`{id}`: {e}")))?;
                keyring.insert_key(id, key, None);
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
                let now = crate::util::unix_now();
                if !cert.is_valid_at(now) {
                    let when = if now > cert.not_after() {
                        "expired"
                    } else {
                        "is not yet valid"
                    };
                    return Err(Error::config(
                        "platform_certificate",
                        format!(
                            "certificate {} {when}: valid from {} to {}, now {}; download the \
                             current ones (v3/certificates) or use the WeChat Pay public key",
                            cert.serial_no(),
                            crate::keys::keyring::utc(cert.not_before()),
                            crate::keys::keyring::utc(cert.not_after()),
                            crate::keys::keyring::utc(now)
                        ),
                    ));
                }
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
