//! Configuring a client; every check runs in [`ClientBuilder::build`], naming the setting at fault.

mod checks;
mod identity;
mod network;
#[cfg(feature = "shangmi")]
mod shangmi;
mod signer;
mod verifiers;

use checks::{check_apiv2_secret, check_limits, check_token};

use crate::client::context::Context;
use crate::client::Client;
use crate::error::{Error, Result};
use crate::exchange::transport::{Transport, TransportConfig};
use crate::exchange::Exchange;
use crate::keys::crypto::{Backend, Signer, Verifier};
use crate::keys::Trust;
use crate::policy::limits::Limits;
use crate::policy::Policies;
use crate::protocol::identity::V3Identity;
use http::HeaderValue;
use std::sync::Arc;
use zeroize::Zeroizing;

/// The production base URI.
pub const DEFAULT_BASE_URI: &str = "https://api.mch.weixin.qq.com/";

enum KeySource {
    Pem(Zeroizing<Vec<u8>>),
    Encrypted(Zeroizing<Vec<u8>>, Zeroizing<Vec<u8>>),
    Signer(Arc<dyn Signer>),
}

/// Merchant certificate and key PEM, for mutual TLS.
struct Identity {
    cert: Zeroizing<Vec<u8>>,
    key: Zeroizing<Vec<u8>>,
}

enum VerifierSource {
    PublicKey(String, Vec<u8>),
    Certificate(Vec<u8>),
    Custom(String, Arc<dyn Verifier>),
}

/// Builds a [`Client`]. Setters never fail; [`build`](Self::build) checks everything at once.
///
/// ```
/// # fn keys() -> (Vec<u8>, Vec<u8>) { (Vec::new(), Vec::new()) }
/// let (private_key_pem, wechatpay_public_key_pem) = keys();
/// let built = wechatpay::Client::builder()
///     .mchid("1900000001")
///     .serial("1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C")
///     .private_key(private_key_pem)
///     .public_key("PUB_KEY_ID_0119000000012024000000000000", wechatpay_public_key_pem)
///     .build();
/// // empty keys: the error names the setting
/// assert!(built.unwrap_err().to_string().contains("private_key"));
/// ```
#[must_use]
pub struct ClientBuilder {
    mchid: Option<String>,
    brand_id: Option<String>,
    brand_api_key: Option<Zeroizing<Vec<u8>>>,
    serial: Option<String>,
    key: Option<KeySource>,
    verifiers: Vec<VerifierSource>,
    apiv2_secret: Option<Zeroizing<String>>,
    apiv3_key: Option<Zeroizing<Vec<u8>>>,
    identity: Option<Identity>,
    base_uri: String,
    failover: Option<String>,
    allowed_hosts: Vec<String>,
    limits: Limits,
    retry: crate::Retry,
    download_progress: Option<crate::DownloadProgress>,
    auto_encrypt: bool,
    transport: TransportConfig,
    backend: Backend,
    signing_pool: Option<(usize, usize)>,
    #[cfg(feature = "shangmi")]
    shangmi: shangmi::Sources,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("mchid", &self.mchid)
            .field("brand_id", &self.brand_id)
            .field("serial", &self.serial)
            // As given, so possibly with a password that `build()` will refuse.
            .field(
                "base_uri",
                &crate::policy::hosts::redact_userinfo(&self.base_uri),
            )
            .field(
                "failover_base_uri",
                &self
                    .failover
                    .as_deref()
                    .map(crate::policy::hosts::redact_userinfo),
            )
            .field("proxy", &self.transport.proxy)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Starts configuring a client.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::new()
    }
}

impl ClientBuilder {
    /// An empty builder with the production base URI.
    pub fn new() -> Self {
        ClientBuilder {
            mchid: None,
            brand_id: None,
            brand_api_key: None,
            serial: None,
            key: None,
            verifiers: Vec::new(),
            apiv2_secret: None,
            apiv3_key: None,
            identity: None,
            #[cfg(feature = "shangmi")]
            shangmi: shangmi::Sources::default(),
            base_uri: DEFAULT_BASE_URI.to_string(),
            failover: None,
            allowed_hosts: Vec::new(),
            limits: Limits::default(),
            retry: crate::Retry::default(),
            download_progress: None,
            auto_encrypt: false,
            // HTTP/2 where the server offers it: measured faster, see `connection`.
            transport: TransportConfig {
                http2: true,
                ..TransportConfig::default()
            },
            backend: Backend::default(),
            signing_pool: None,
        }
    }

    /// Merchant id (`mchid`), required (a brand client gives [`brand_id`](Self::brand_id)
    /// instead).
    pub fn mchid(mut self, mchid: impl Into<String>) -> Self {
        self.mchid = Some(mchid.into());
        self
    }

    /// Serial number of the merchant API certificate, the `serial_no` of every APIv3 signature.
    pub fn serial(mut self, serial: impl Into<String>) -> Self {
        self.serial = Some(serial.into());
        self
    }

    /// Merchant API private key (`apiclient_key.pem`): PKCS#1 or PKCS#8 PEM, or bare base64 DER.
    pub fn private_key(mut self, pem: impl AsRef<[u8]>) -> Self {
        self.key = Some(KeySource::Pem(Zeroizing::new(pem.as_ref().to_vec())));
        self
    }

    /// Merchant private key as encrypted PKCS#8 PEM with its passphrase.
    pub fn private_key_encrypted(
        mut self,
        pem: impl AsRef<[u8]>,
        passphrase: impl AsRef<[u8]>,
    ) -> Self {
        self.key = Some(KeySource::Encrypted(
            Zeroizing::new(pem.as_ref().to_vec()),
            Zeroizing::new(passphrase.as_ref().to_vec()),
        ));
        self
    }

    /// A signer of its own (HSM, KMS, a signing service) instead of a private key.
    pub fn signer(mut self, signer: Arc<dyn Signer>) -> Self {
        self.key = Some(KeySource::Signer(signer));
        self
    }

    /// A WeChat Pay public key (`pub_key.pem`) by its id `PUB_KEY_ID_…`; repeatable.
    pub fn public_key(mut self, id: impl Into<String>, pem: impl AsRef<[u8]>) -> Self {
        self.verifiers
            .push(VerifierSource::PublicKey(id.into(), pem.as_ref().to_vec()));
        self
    }

    /// A WeChat Pay platform certificate (PEM); its serial is read from it. Repeatable.
    pub fn platform_certificate(mut self, pem: impl AsRef<[u8]>) -> Self {
        self.verifiers
            .push(VerifierSource::Certificate(pem.as_ref().to_vec()));
        self
    }

    /// A verifier of its own for answers signed under `id`.
    pub fn verifier(mut self, id: impl Into<String>, verifier: Arc<dyn Verifier>) -> Self {
        self.verifiers
            .push(VerifierSource::Custom(id.into(), verifier));
        self
    }

    /// APIv2 secret (32 characters), for `v2/` calls.
    pub fn apiv2_secret(mut self, secret: impl Into<String>) -> Self {
        self.apiv2_secret = Some(Zeroizing::new(secret.into()));
        self
    }

    /// APIv3 key (32 bytes): decrypts notifications and downloaded platform certificates.
    pub fn apiv3_key(mut self, key: impl AsRef<[u8]>) -> Self {
        self.apiv3_key = Some(Zeroizing::new(key.as_ref().to_vec()));
        self
    }

    /// Merchant API certificate and key (PEM) for APIv2 calls with `security: true` (mutual TLS).
    ///
    /// WeChat Pay hands out `apiclient_cert.p12` too; its PEM twins `apiclient_cert.pem` and
    /// `apiclient_key.pem` come in the same package (or: `openssl pkcs12 -in apiclient_cert.p12
    /// -nodes -out identity.pem`, password: the mchid).
    pub fn merchant_identity(
        mut self,
        cert_pem: impl AsRef<[u8]>,
        key_pem: impl AsRef<[u8]>,
    ) -> Self {
        self.identity = Some(Identity {
            cert: Zeroizing::new(cert_pem.as_ref().to_vec()),
            key: Zeroizing::new(key_pem.as_ref().to_vec()),
        });
        self
    }

    /// RSA backend for keys given as PEM (aws-lc-rs by default).
    pub fn rsa_backend(mut self, backend: Backend) -> Self {
        self.backend = backend;
        self
    }

    /// Checks every setting and builds the client.
    pub fn build(mut self) -> Result<Client> {
        let (scheme, mchid) = signer::who(&mut self)?;
        #[cfg(feature = "shangmi")]
        let (scheme, shangmi) = shangmi::apply(&mut self, scheme)?;
        let v3 =
            match (self.serial, self.key) {
                (None, None) => None,
                (Some(_), None) => return Err(Error::config(
                    "private_key",
                    "is required with `serial`: the merchant API private key (apiclient_key.pem)",
                )),
                (None, Some(_)) => return Err(Error::config(
                    "serial",
                    "is required with the private key: the serial of the merchant API certificate",
                )),
                (Some(serial), Some(key)) => {
                    check_token("serial", &serial)?;
                    let (signer, private_key) = verifiers::load_signer(key, self.backend)?;
                    Some(V3Identity {
                        serial,
                        signer,
                        private_key,
                    })
                }
            };
        let keyring = verifiers::keyring(self.verifiers, &mchid, self.backend)?;
        if let Some(V3Identity { serial, .. }) = &v3 {
            if keyring.contains(serial) {
                return Err(Error::config(
                        "serial",
                        format!(
                            "`{serial}` is also among the WeChat Pay keys ({}): it is the serial of YOUR merchant API certificate, \
                             while answers are verified with WeChat Pay's public key (PUB_KEY_ID_…) or platform certificate; \
                             do not pass the merchant certificate as a platform certificate",
                            keyring.ids().join(", ")
                        ),
                    ));
            }
            if keyring.is_empty() && self.apiv3_key.is_none() {
                return Err(Error::config(
                    "public_key",
                    "APIv3 answers must be verified: give the WeChat Pay public key (public_key) or a platform \
                     certificate (platform_certificate), or the APIv3 key to download certificates",
                ));
            }
        }
        if let Some(secret) = &self.apiv2_secret {
            check_apiv2_secret(secret)?;
        }
        if let Some(key) = &self.apiv3_key {
            if key.len() != 32 {
                return Err(Error::config(
                    "apiv3_key",
                    format!("the APIv3 key must be 32 bytes, got {}", key.len()),
                ));
            }
        }
        let base_uri = crate::policy::hosts::parse_base_uri("base_uri", &self.base_uri)
            .map_err(|e| Error::config("base_uri", e.to_string()))?;
        let failover = match &self.failover {
            None => None,
            Some(uri) => {
                let url = crate::policy::hosts::parse_base_uri("failover_base_uri", uri)
                    .map_err(|e| Error::config("failover_base_uri", e.to_string()))?;
                if url.path() != base_uri.path() {
                    return Err(Error::config(
                        "failover_base_uri",
                        format!(
                            "its path `{}` differs from the base URI's `{}`: the signature covers the path",
                            url.path(),
                            base_uri.path()
                        ),
                    ));
                }
                Some(url)
            }
        };
        let allowed_hosts = self
            .allowed_hosts
            .iter()
            .map(|h| crate::policy::hosts::check_allowed_host(h))
            .collect::<Result<Vec<_>>>()?;
        let allowed_hosts =
            crate::policy::hosts::AllowedHosts::new(&base_uri, failover.as_ref(), &allowed_hosts);
        check_limits(&self.limits, self.transport.connect_timeout)?;
        let mut transport_config = self.transport;
        if let Some(identity) = self.identity {
            transport_config.identity = Some(identity::bundle(identity)?);
        }
        let transport = Transport::new(&transport_config)?;
        let signing_pool = self
            .signing_pool
            .map(|(threads, queue)| crate::exchange::signing_pool::SigningPool::new(threads, queue))
            .transpose()?
            .map(Arc::new);
        let user_agent = HeaderValue::from_str(&format!(
            "wechatpay-rust/{} ({}/{})",
            env!("CARGO_PKG_VERSION"),
            std::env::consts::OS,
            std::env::consts::ARCH
        ))
        .map_err(|_| Error::config("user_agent", "invalid"))?;
        let identity = crate::protocol::identity::Identity {
            scheme,
            id: mchid,
            v3,
            apiv2_secret: self.apiv2_secret,
            apiv3_key: self.apiv3_key,
            #[cfg(feature = "shangmi")]
            shangmi,
        };
        let trust = Trust {
            keyring: Arc::new(keyring),
            refresh_gate: Arc::default(),
        };
        let policies = Policies {
            base_uri,
            failover,
            allowed_hosts,
            limits: self.limits,
            retry: self.retry,
            download_progress: self.download_progress,
            auto_encrypt: self.auto_encrypt,
            user_agent,
        };
        let exchange = Exchange {
            transport,
            config: transport_config,
            signing_pool,
        };
        Ok(Client::from_context(Arc::new(Context {
            identity,
            trust,
            policies,
            exchange,
        })))
    }
}
