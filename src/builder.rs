//! Configuring a client; every check runs in [`ClientBuilder::build`], naming the setting at fault.

use crate::client::{Client, Inner, V3Identity};
use crate::crypto::{Backend, Certificate, PrivateKey, PublicKey, Signer, Verifier};
use crate::error::{Error, Result};
use crate::keyring::Keyring;
use crate::limits::Limits;
use crate::transport::{Transport, TransportConfig};
use http::HeaderValue;
use std::sync::Arc;
use std::time::Duration;
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
    transport: TransportConfig,
    backend: Backend,
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
            .field("serial", &self.serial)
            .field("base_uri", &self.base_uri)
            .finish_non_exhaustive()
    }
}

impl ClientBuilder {
    /// An empty builder with the production base URI.
    pub fn new() -> Self {
        ClientBuilder {
            mchid: None,
            serial: None,
            key: None,
            verifiers: Vec::new(),
            apiv2_secret: None,
            apiv3_key: None,
            identity: None,
            base_uri: DEFAULT_BASE_URI.to_string(),
            failover: None,
            allowed_hosts: Vec::new(),
            limits: Limits::default(),
            transport: TransportConfig::default(),
            backend: Backend::default(),
        }
    }

    /// Merchant id (`mchid`), required.
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

    /// Base URI, default `https://api.mch.weixin.qq.com/`.
    pub fn base_uri(mut self, uri: impl Into<String>) -> Self {
        self.base_uri = uri.into();
        self
    }

    /// Opt-in failover: when the base URI cannot be reached (the connection fails, so nothing was
    /// sent), the same signed request goes to this backup domain once, e.g.
    /// `https://api2.mch.weixin.qq.com/` (WeChat Pay's backup entry, in another region).
    ///
    /// Only connection failures fail over: a request that may have reached WeChat Pay is never
    /// sent twice. The signature stays valid, since it covers the path, not the host.
    pub fn failover_base_uri(mut self, uri: impl Into<String>) -> Self {
        self.failover = Some(uri.into());
        self
    }

    /// Allows requests to one more host (a bare name such as `api2.mch.weixin.qq.com`), over
    /// https. Without it, a request goes only to the base URI's host, the failover's, or a
    /// per-call `base_uri`: an absolute `{+download_url}` naming any other host is refused before
    /// it is signed. Repeatable.
    ///
    /// ```
    /// let client = wechatpay::Client::builder()
    ///     .mchid("1900000001")
    ///     .allow_host("api2.mch.weixin.qq.com")
    ///     .build()
    ///     .unwrap();
    /// # let _ = client;
    /// ```
    pub fn allow_host(mut self, host: impl Into<String>) -> Self {
        self.allowed_hosts.push(host.into());
        self
    }

    /// Whole-call timeout: connect, send, answer headers and any body held in memory together
    /// (default [`DEFAULT_TIMEOUT`](crate::DEFAULT_TIMEOUT), 30 s). Per call: the `timeout`
    /// option, in seconds.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.limits.timeout = timeout;
        self
    }

    /// Connect timeout (default [`DEFAULT_CONNECT_TIMEOUT`](crate::DEFAULT_CONNECT_TIMEOUT),
    /// 10 s); client-wide, since connections are pooled.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.transport.connect_timeout = Some(timeout);
        self
    }

    /// Longest wait for the next chunk of a streamed `sink` download (default
    /// [`DEFAULT_STALL_TIMEOUT`](crate::DEFAULT_STALL_TIMEOUT), 30 s). Per call: `stall_timeout`.
    pub fn stall_timeout(mut self, timeout: Duration) -> Self {
        self.limits.stall_timeout = timeout;
        self
    }

    /// Cap on an answer held in memory (default
    /// [`DEFAULT_MAX_ANSWER_BYTES`](crate::DEFAULT_MAX_ANSWER_BYTES), 32 MiB); `sink` downloads
    /// stream to disk and are exempt. Per call: `max_answer_bytes`.
    pub fn max_answer_bytes(mut self, bytes: u64) -> Self {
        self.limits.max_answer_bytes = bytes;
        self
    }

    /// Trusts one more TLS root (PEM), e.g. the emulator's CA.
    pub fn add_root_certificate(mut self, pem: impl AsRef<[u8]>) -> Self {
        self.transport.roots.push(pem.as_ref().to_vec());
        self
    }

    /// RSA backend for keys given as PEM (aws-lc-rs by default).
    pub fn rsa_backend(mut self, backend: Backend) -> Self {
        self.backend = backend;
        self
    }

    /// Checks every setting and builds the client.
    pub fn build(self) -> Result<Client> {
        let mchid = self.mchid.ok_or_else(|| {
            Error::config("mchid", "is required (the merchant id, e.g. 1900000001)")
        })?;
        check_token("mchid", &mchid)?;
        check_mchid(&mchid)?;
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
                    let (signer, private_key) = load_signer(key, self.backend)?;
                    Some(V3Identity {
                        serial,
                        signer,
                        private_key,
                    })
                }
            };
        let keyring = Keyring::default();
        for source in self.verifiers {
            match source {
                VerifierSource::PublicKey(id, pem) => {
                    check_token("public_key", &id)?;
                    let key = PublicKey::load(&pem)
                        .and_then(|k| k.with_backend(self.backend))
                        .map_err(|e| Error::config("public_key", format!("`{id}`: {e}")))?;
                    keyring.insert_key(id, key, None);
                }
                VerifierSource::Certificate(pem) => {
                    let cert = Certificate::from_pem(&pem)
                        .map_err(|e| Error::config("platform_certificate", e.to_string()))?;
                    if cert.subject_common_name().as_deref() == Some(mchid.as_str()) {
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
                                crate::keyring::utc(cert.not_before()),
                                crate::keyring::utc(cert.not_after()),
                                crate::keyring::utc(now)
                            ),
                        ));
                    }
                    let key = cert
                        .public_key()
                        .clone()
                        .with_backend(self.backend)
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
        let base_uri = crate::target::parse_base_uri("base_uri", &self.base_uri)
            .map_err(|e| Error::config("base_uri", e.to_string()))?;
        let failover = match &self.failover {
            None => None,
            Some(uri) => {
                let url = crate::target::parse_base_uri("failover_base_uri", uri)
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
            .map(|h| crate::target::check_allowed_host(h))
            .collect::<Result<Vec<_>>>()?;
        let allowed_hosts =
            crate::target::AllowedHosts::new(&base_uri, failover.as_ref(), &allowed_hosts);
        check_limits(&self.limits, self.transport.connect_timeout)?;
        let mut transport_config = self.transport;
        if let Some(Identity { cert, key }) = self.identity {
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
            transport_config.identity = Some(pem);
        }
        let transport = Transport::new(&transport_config)?;
        let user_agent = HeaderValue::from_str(&format!(
            "wechatpay-rust/{} ({}/{})",
            env!("CARGO_PKG_VERSION"),
            std::env::consts::OS,
            std::env::consts::ARCH
        ))
        .map_err(|_| Error::config("user_agent", "invalid"))?;
        Ok(Client::from_inner(Arc::new(Inner {
            mchid,
            v3,
            keyring: Arc::new(keyring),
            apiv2_secret: self.apiv2_secret,
            apiv3_key: self.apiv3_key,
            base_uri,
            failover,
            allowed_hosts,
            limits: self.limits,
            user_agent,
            transport_config,
            transport,
        })))
    }
}

fn load_signer(key: KeySource, backend: Backend) -> Result<(Arc<dyn Signer>, Option<PrivateKey>)> {
    let key = match key {
        KeySource::Signer(s) => return Ok((s, None)),
        KeySource::Pem(pem) => PrivateKey::load(&*pem),
        KeySource::Encrypted(pem, pass) => PrivateKey::from_pem_encrypted(&*pem, &pass),
    };
    let key = key
        .and_then(|k| k.with_backend(backend))
        .map_err(|e| Error::config("private_key", e.to_string()))?;
    Ok((Arc::new(key.clone()), Some(key)))
}

/// A zero limit would fail every call; a limit is lifted by setting it high, not to zero.
fn check_limits(limits: &Limits, connect: Option<Duration>) -> Result<()> {
    for (field, d) in [
        ("timeout", Some(limits.timeout)),
        ("stall_timeout", Some(limits.stall_timeout)),
        ("connect_timeout", connect),
    ] {
        if d == Some(Duration::ZERO) {
            return Err(Error::config(field, "must be longer than zero"));
        }
    }
    if limits.max_answer_bytes == 0 {
        return Err(Error::config(
            "max_answer_bytes",
            "must be at least one byte",
        ));
    }
    Ok(())
}

/// Ids and serials go into headers verbatim: refuse what would break or forge them.
fn check_token(field: &'static str, value: &str) -> Result<()> {
    if value.is_empty() {
        return Err(Error::config(field, "is empty"));
    }
    if let Some((i, c)) = value
        .char_indices()
        .find(|(_, c)| c.is_whitespace() || c.is_control() || *c == '"' || *c == ',')
    {
        return Err(Error::config(
            field,
            format!(
                "`{}` contains {} at position {i}: trim it (read from a file or a shell?)",
                quote(value),
                char_kind(c)
            ),
        ));
    }
    Ok(())
}

/// A merchant id is 1 to 32 ASCII digits; anything else is a wrong setting (an appid, a name,
/// a whole file), and it goes into every signed header, so it is refused here.
fn check_mchid(mchid: &str) -> Result<()> {
    if let Some((i, c)) = mchid.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        return Err(Error::config(
            "mchid",
            format!(
                "`{}` is not a merchant id: expected ASCII digits only (e.g. 1900000001), found \
                 {} at position {i}",
                quote(mchid),
                char_kind(c)
            ),
        ));
    }
    if mchid.len() > 32 {
        return Err(Error::config(
            "mchid",
            format!(
                "`{}` is {} digits long: a merchant id is 1 to 32 ASCII digits",
                quote(mchid),
                mchid.len()
            ),
        ));
    }
    Ok(())
}

/// The APIv2 key is 32 printable ASCII characters. The error says where and what is wrong and
/// how long the value is, never the value itself.
fn check_apiv2_secret(secret: &str) -> Result<()> {
    if let Some((i, c)) = secret
        .chars()
        .enumerate()
        .find(|(_, c)| !c.is_ascii_graphic())
    {
        let what = if c.is_ascii() {
            char_kind(c)
        } else {
            "a non-ASCII character".into()
        };
        return Err(Error::config(
            "apiv2_secret",
            format!(
                "must be the 32-character APIv2 key (printable ASCII, no whitespace); character \
                 {} of {} is {what}: trim it (read from a file or a shell?)",
                i + 1,
                secret.chars().count()
            ),
        ));
    }
    if secret.len() != 32 {
        return Err(Error::config(
            "apiv2_secret",
            format!(
                "must be the 32-character APIv2 key (API安全 → APIv2密钥); got {} characters",
                secret.len()
            ),
        ));
    }
    Ok(())
}

/// `value` for an error message: escaped, and cut after 40 characters so that a whole file
/// passed by mistake is not echoed back.
fn quote(value: &str) -> String {
    const SHOWN: usize = 40;
    match value.char_indices().nth(SHOWN) {
        None => value.escape_debug().to_string(),
        Some((cut, _)) => format!(
            "{}… ({} bytes in all)",
            value[..cut].escape_debug(),
            value.len()
        ),
    }
}

/// A readable name for a refused character (a control character is not printed raw).
fn char_kind(c: char) -> String {
    match c {
        '\n' | '\r' => "a newline".into(),
        ' ' | '\t' => "whitespace".into(),
        c if c.is_control() => format!("the control character U+{:04X}", c as u32),
        c if c.is_whitespace() => format!("the whitespace U+{:04X}", c as u32),
        other => format!("{other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whitespace_in_ids_is_refused() {
        for (mchid, serial) in [("1900000001\n", "ABC"), (" 1900000001", "ABC")] {
            let e = ClientBuilder::new()
                .mchid(mchid)
                .serial(serial)
                .build()
                .unwrap_err();
            assert!(matches!(e, Error::Config { field: "mchid", .. }), "{e}");
        }
        let e = ClientBuilder::new()
            .mchid("1900000001")
            .serial("ABC\n")
            .private_key("x")
            .build()
            .unwrap_err();
        assert!(
            matches!(
                e,
                Error::Config {
                    field: "serial",
                    ..
                }
            ),
            "{e}"
        );
        assert!(e.to_string().contains("newline"), "{e}");
    }

    #[test]
    fn mchid_is_required() {
        let e = ClientBuilder::new().build().unwrap_err();
        assert!(matches!(e, Error::Config { field: "mchid", .. }));
    }
}
