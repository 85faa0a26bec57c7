//! The TLS settings of the client's connection pools, built once per client.
//!
//! reqwest builds a verifier of its own for every pool, and with it reads and parses the system's
//! root certificates again: a client with a merchant certificate (two pools), and its blocking
//! twin (two more), held up to four copies and parsed the roots four times (about 19 million
//! instructions each on the reference machine). Here one verifier, the same one reqwest would
//! build (rustls-platform-verifier: the system's roots plus any `add_root_certificate`), is
//! built when the client is built and shared by every pool, which get the settings reqwest would
//! give them: its crypto provider, every TLS version, SNI, ALPN `h2` and `http/1.1` (or
//! `http/1.1` alone), and the merchant certificate where asked.

use crate::error::{Error, Result};
use rustls::client::danger::ServerCertVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::sync::Arc;

/// The crypto provider and the server-certificate verifier every pool of a client shares.
#[derive(Clone)]
pub(crate) struct Tls {
    provider: Arc<CryptoProvider>,
    verifier: Arc<dyn ServerCertVerifier>,
}

impl Tls {
    /// The system's roots and `roots` (PEM bundles): an error if a bundle is not PEM
    /// certificates, or if neither gives a root.
    pub(crate) fn new(roots: &[Vec<u8>]) -> Result<Tls> {
        let mut extra = Vec::new();
        for pem in roots {
            // reqwest's parser first, for the error message users have seen so far.
            reqwest::Certificate::from_pem_bundle(pem).map_err(|e| {
                Error::config("root_certificate", format!("not a PEM certificate: {e}"))
            })?;
            for cert in CertificateDer::pem_slice_iter(pem) {
                extra.push(cert.map_err(|e| {
                    Error::config("root_certificate", format!("not a PEM certificate: {e}"))
                })?);
            }
        }
        // As reqwest: a provider the application installed, else aws-lc's.
        let provider = CryptoProvider::get_default()
            .cloned()
            .unwrap_or_else(|| Arc::new(rustls::crypto::aws_lc_rs::default_provider()));
        let verifier = if extra.is_empty() {
            rustls_platform_verifier::Verifier::new(provider.clone())
        } else {
            with_extra_roots(extra, provider.clone())?
        }
        .map_err(|e| Error::config("transport", format!("builder error: {e}")))?;
        #[cfg(test)]
        tests::BUILT.with(|n| n.set(n.get() + 1));
        Ok(Tls {
            provider,
            verifier: Arc::new(verifier),
        })
    }

    /// A pool's settings: ALPN for `http2` or HTTP/1.1 alone, and the merchant certificate and
    /// key (`identity`, PEM) for mutual TLS.
    pub(crate) fn config(
        &self,
        http2: bool,
        identity: Option<&[u8]>,
    ) -> Result<rustls::ClientConfig> {
        let builder = rustls::ClientConfig::builder_with_provider(self.provider.clone())
            .with_protocol_versions(rustls::ALL_VERSIONS)
            .map_err(|e| Error::config("transport", format!("builder error: {e}")))?
            .dangerous()
            .with_custom_certificate_verifier(self.verifier.clone());
        let mut config = match identity {
            None => builder.with_no_client_auth(),
            Some(pem) => {
                let unusable = |e: String| {
                    Error::config(
                        "merchant_identity",
                        format!(
                            "the merchant certificate and key (PEM) are not usable for TLS: {e}"
                        ),
                    )
                };
                // reqwest's parser first, for the error message users have seen so far.
                reqwest::Identity::from_pem(pem).map_err(|e| unusable(e.to_string()))?;
                let certs = CertificateDer::pem_slice_iter(pem)
                    .collect::<std::result::Result<Vec<_>, _>>()
                    .map_err(|e| unusable(e.to_string()))?;
                let key =
                    PrivateKeyDer::from_pem_slice(pem).map_err(|e| unusable(e.to_string()))?;
                builder.with_client_auth_cert(certs, key).map_err(|e| {
                    Error::config("merchant_identity", format!("builder error: {e}"))
                })?
            }
        };
        config.alpn_protocols = if http2 {
            vec![b"h2".to_vec(), b"http/1.1".to_vec()]
        } else {
            vec![b"http/1.1".to_vec()]
        };
        Ok(config)
    }
}

/// The platform verifier with `extra` roots beside the system's, where the platform verifier
/// takes extra roots (as reqwest: not on Android, where the system's store is the only one).
#[cfg(any(all(unix, not(target_os = "android")), windows))]
fn with_extra_roots(
    extra: Vec<CertificateDer<'static>>,
    provider: Arc<CryptoProvider>,
) -> Result<std::result::Result<rustls_platform_verifier::Verifier, rustls::Error>> {
    Ok(rustls_platform_verifier::Verifier::new_with_extra_roots(
        extra, provider,
    ))
}

#[cfg(not(any(all(unix, not(target_os = "android")), windows)))]
fn with_extra_roots(
    _: Vec<CertificateDer<'static>>,
    _: Arc<CryptoProvider>,
) -> Result<std::result::Result<rustls_platform_verifier::Verifier, rustls::Error>> {
    Err(Error::config(
        "root_certificate",
        "extra roots are not supported by this platform's certificate verifier",
    ))
}

#[cfg(test)]
pub(crate) mod tests {
    use std::cell::Cell;

    thread_local! {
        /// Verifiers built on this thread (a client is built on its caller's thread): read by
        /// the client's and the blocking twin's tests of sharing.
        pub(crate) static BUILT: Cell<usize> = const { Cell::new(0) };
    }

    const CERT: &str = include_str!("../../tests/fixtures/client/merchant_cert.pem");
    const KEY: &str = include_str!("../../tests/fixtures/client/merchant_key.pem");

    #[test]
    fn a_pool_offers_h2_only_when_asked() {
        let tls = super::Tls::new(&[]).unwrap();
        let h2 = tls.config(true, None).unwrap();
        assert_eq!(h2.alpn_protocols, [b"h2".to_vec(), b"http/1.1".to_vec()]);
        let h1 = tls.config(false, None).unwrap();
        assert_eq!(h1.alpn_protocols, [b"http/1.1".to_vec()]);
        assert!(!h1.client_auth_cert_resolver.has_certs());
        let mut pem = CERT.to_string();
        pem.push_str(KEY);
        let mtls = tls.config(true, Some(pem.as_bytes())).unwrap();
        assert!(mtls.client_auth_cert_resolver.has_certs());
    }
}
