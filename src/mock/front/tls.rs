//! The emulator's TLS: a CA made at start, a server certificate for 127.0.0.1, and the merchant's
//! API certificate (its client certificate for mutual TLS), all signed by that CA.

use crate::error::{Error, Result};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, SerialNumber,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig};
use std::sync::Arc;

fn tls_error(e: impl std::fmt::Display) -> Error {
    Error::Crypto(format!("emulator TLS set-up: {e}"))
}

/// The CA and what it signs.
pub(crate) struct Authority {
    pub ca_pem: String,
    ca_der: CertificateDer<'static>,
    issuer: Issuer<'static, KeyPair>,
}

impl Authority {
    pub(crate) fn new() -> Result<Authority> {
        let mut params = CertificateParams::new(Vec::<String>::new()).map_err(tls_error)?;
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(DnType::CommonName, "wechatpay emulator CA (test only)");
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let key = KeyPair::generate().map_err(tls_error)?;
        let cert = params.self_signed(&key).map_err(tls_error)?;
        Ok(Authority {
            ca_pem: cert.pem(),
            ca_der: cert.der().clone(),
            issuer: Issuer::new(params, key),
        })
    }

    /// A server configuration for 127.0.0.1 that asks for, but does not require, a client
    /// certificate from this CA: which calls need one is decided per path.
    pub(crate) fn server_config(&self, http2: bool) -> Result<Arc<ServerConfig>> {
        let mut params =
            CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()])
                .map_err(tls_error)?;
        params
            .distinguished_name
            .push(DnType::CommonName, "api.mch.weixin.qq.com (emulator)");
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let key = KeyPair::generate().map_err(tls_error)?;
        let cert = params.signed_by(&key, &self.issuer).map_err(tls_error)?;
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let mut roots = RootCertStore::empty();
        roots.add(self.ca_der.clone()).map_err(tls_error)?;
        let verifier =
            WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                .allow_unauthenticated()
                .build()
                .map_err(tls_error)?;
        let mut config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(tls_error)?
            .with_client_cert_verifier(verifier)
            .with_single_cert(
                vec![cert.der().clone()],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
            )
            .map_err(tls_error)?;
        // HTTP/2 only when asked: WeChat Pay speaks both, and a test picks which it exercises.
        config.alpn_protocols = if http2 {
            vec![b"h2".to_vec(), b"http/1.1".to_vec()]
        } else {
            vec![b"http/1.1".to_vec()]
        };
        Ok(Arc::new(config))
    }

    /// The merchant API certificate (PEM and DER): CN = mchid, the given serial, over the
    /// merchant's RSA key.
    pub(crate) fn merchant_certificate(
        &self,
        mchid: &str,
        serial_hex: &str,
        key_pem: &str,
    ) -> Result<(String, Vec<u8>)> {
        let key = KeyPair::from_pem(key_pem).map_err(tls_error)?;
        let mut params = CertificateParams::new(Vec::<String>::new()).map_err(tls_error)?;
        params.distinguished_name.push(DnType::CommonName, mchid);
        params
            .distinguished_name
            .push(DnType::OrganizationName, "Tenpay.com (emulator)");
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        let serial = hex::decode(serial_hex).map_err(|e| {
            Error::argument(
                "serial",
                format!("the merchant serial must be the certificate's hex serial ({e})"),
            )
        })?;
        params.serial_number = Some(SerialNumber::from_slice(&serial));
        let cert = params.signed_by(&key, &self.issuer).map_err(tls_error)?;
        Ok((cert.pem(), cert.der().to_vec()))
    }

    /// A platform certificate over the emulator's signing key, for certificate mode.
    pub(crate) fn platform_certificate(&self, serial_hex: &str, key_pem: &str) -> Result<String> {
        let key = KeyPair::from_pem(key_pem).map_err(tls_error)?;
        let mut params = CertificateParams::new(Vec::<String>::new()).map_err(tls_error)?;
        params
            .distinguished_name
            .push(DnType::CommonName, "Tenpay.com Root CA (emulator)");
        let serial = hex::decode(serial_hex).map_err(tls_error)?;
        params.serial_number = Some(SerialNumber::from_slice(&serial));
        Ok(params
            .signed_by(&key, &self.issuer)
            .map_err(tls_error)?
            .pem())
    }
}
