//! The merchant's certificate and key for mutual TLS (APIv2 `security: true` calls).

use super::Identity;
use crate::error::{Error, Result};
use crate::keys::crypto::{Certificate, PrivateKey};
use zeroize::Zeroizing;

/// The PEM bundle rustls takes, after checking that the certificate certifies the key.
pub(super) fn bundle(identity: Identity) -> Result<Zeroizing<Vec<u8>>> {
    let Identity { cert, key } = identity;
    // A clear error for the common mix-ups (key and certificate swapped, a .p12 file, a
    // key from another download) before rustls gives a terse `builder error`.
    let certificate = Certificate::from_pem(&*cert)
        .map_err(|e| Error::config("merchant_identity", format!("certificate: {e}")))?;
    let private_key = PrivateKey::load(&*key)
        .map_err(|e| Error::config("merchant_identity", format!("key: {e}")))?;
    if certificate.public_key() != &private_key.public_key() {
        return Err(Error::config(
            "merchant_identity",
            format!(
                "the certificate (serial {}, {}) and the private key do not belong \
                     together: the certificate certifies another public key; pass \
                     apiclient_cert.pem and apiclient_key.pem from the same download",
                certificate.serial_no(),
                certificate.subject()
            ),
        ));
    }
    let mut pem = Zeroizing::new(Vec::with_capacity(cert.len() + key.len() + 1));
    pem.extend_from_slice(&cert);
    pem.push(b'\n');
    pem.extend_from_slice(&key);
    Ok(pem)
}
