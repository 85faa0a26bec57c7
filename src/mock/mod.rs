//! A local WeChat Pay emulator (feature `mock`), for tests and development without the real
//! service (APIv3 has no sandbox).
//!
//! It listens on 127.0.0.1 only, over TLS with a CA made at start, and checks requests the way
//! WeChat Pay does: APIv3 `Authorization` (scheme, mchid, serial, RSA signature over the bytes
//! received, ±300 s clock, nonce replay); APIv2 `sign` (MD5/HMAC-SHA256), `nonce_str`, `mch_id`,
//! and the merchant's client certificate on the calls that need it. It answers like WeChat Pay:
//! errors as `{"code","message"}` with a `Request-ID`, successes signed with its own platform key.
//! Answers can be scripted per route, faults switched on, and every request read back.
//!
//! ```no_run
//! # async fn run() -> wechatpay::Result<()> {
//! use serde_json::json;
//! use wechatpay::mock::{Answer, Fault, Server};
//!
//! let server = Server::start().await?;
//! let client = server.client_builder().build()?;
//! server.on("POST", "v3/pay/transactions/out-trade-no/{out_trade_no}/close", Answer::empty(204));
//! let res = client
//!     .chain("v3/pay/transactions/out-trade-no/{out_trade_no}/close")
//!     .post(json!({ "out_trade_no": "T1", "json": { "mchid": client.mchid() } }))
//!     .await?;
//! assert_eq!(res.status(), 204);
//! server.fault(Fault::BadSignature);
//! assert!(client.v3().seg("certificates").get(json!({})).await.is_err());
//! # Ok(()) }
//! ```

mod routes;
mod service;
mod tls;

use crate::builder::ClientBuilder;
use crate::crypto::{PrivateKey, PublicKey};
use crate::error::{Error, Result};
use bytes::Bytes;
use http::{HeaderMap, Method, StatusCode};
use routes::Pattern;
use serde_json::{Map, Value};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::task::JoinHandle;
use zeroize::Zeroizing;

/// A merchant the emulator knows, with every credential the client needs.
#[derive(Clone)]
pub struct Merchant {
    /// Merchant id.
    pub mchid: String,
    /// Merchant API certificate serial (`serial_no` of APIv3 signatures).
    pub serial: String,
    /// Merchant API private key, PKCS#8 PEM.
    pub private_key_pem: Zeroizing<String>,
    /// APIv2 secret.
    pub apiv2_secret: Zeroizing<String>,
    /// APIv3 key (32 bytes).
    pub apiv3_key: Zeroizing<String>,
}

impl std::fmt::Debug for Merchant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Merchant")
            .field("mchid", &self.mchid)
            .field("serial", &self.serial)
            .finish_non_exhaustive()
    }
}

impl Merchant {
    /// A merchant with fresh keys and secrets.
    pub fn generate(mchid: &str) -> Result<Merchant> {
        Ok(Merchant {
            mchid: mchid.to_string(),
            serial: tls::random_serial(),
            private_key_pem: generate_rsa_pem()?,
            apiv2_secret: Zeroizing::new(crate::util::nonce(32)),
            apiv3_key: Zeroizing::new(crate::util::nonce(32)),
        })
    }
}

fn generate_rsa_pem() -> Result<Zeroizing<String>> {
    let pair = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048)
        .map_err(|e| Error::Crypto(format!("RSA key generation: {e}")))?;
    let der = aws_lc_rs::encoding::AsDer::<aws_lc_rs::encoding::Pkcs8V1Der>::as_der(&pair)
        .map_err(|e| Error::Crypto(format!("RSA key encoding: {e}")))?;
    Ok(PrivateKey::from_der(der.as_ref())?.to_pkcs8_pem())
}

/// Which WeChat Pay key signs the emulator's answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// A WeChat Pay public key, `Wechatpay-Serial: PUB_KEY_ID_…` (the default since 2024).
    #[default]
    PublicKey,
    /// A platform certificate, downloadable from `GET /v3/certificates`.
    Certificate,
}

/// Faults the emulator can inject into its answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Fault {
    /// Answers carry a signature over other bytes.
    BadSignature,
    /// Answers name a `Wechatpay-Serial` the client does not know.
    WrongSerial,
    /// Answers are timestamped ten minutes off.
    SkewedClock,
    /// Every call answers `500 SYSTEM_ERROR`.
    ServerError,
    /// Answers wait this many milliseconds first.
    Slow(u64),
    /// The connection is closed half-way through the answer body.
    DropConnection,
}

/// A scripted answer.
#[derive(Debug, Clone)]
pub struct Answer {
    status: StatusCode,
    body: AnswerBody,
    headers: Vec<(String, String)>,
    delay: Option<Duration>,
}

#[derive(Debug, Clone)]
enum AnswerBody {
    Empty,
    Json(Value),
    Xml(Map<String, Value>),
    Raw(Bytes),
}

impl Answer {
    /// A JSON answer.
    pub fn json(status: u16, body: Value) -> Answer {
        Answer::new(status, AnswerBody::Json(body))
    }

    /// An answer with no body (e.g. 204).
    pub fn empty(status: u16) -> Answer {
        Answer::new(status, AnswerBody::Empty)
    }

    /// An APIv2 XML answer; the emulator adds `sign` with the merchant's secret.
    pub fn xml(fields: Value) -> Answer {
        Answer::new(
            200,
            AnswerBody::Xml(fields.as_object().cloned().unwrap_or_default()),
        )
    }

    /// Raw bytes (a file download, say).
    pub fn raw(status: u16, body: impl Into<Bytes>) -> Answer {
        Answer::new(status, AnswerBody::Raw(body.into()))
    }

    fn new(status: u16, body: AnswerBody) -> Answer {
        Answer {
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            body,
            headers: Vec::new(),
            delay: None,
        }
    }

    /// Adds a header.
    pub fn with_header(mut self, name: &str, value: &str) -> Answer {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    /// Waits before answering.
    pub fn with_delay(mut self, delay: Duration) -> Answer {
        self.delay = Some(delay);
        self
    }
}

/// One request as the emulator received it, and what it made of it.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// Method.
    pub method: Method,
    /// Path as received.
    pub path: String,
    /// Query as received.
    pub query: Option<String>,
    /// Headers.
    pub headers: HeaderMap,
    /// Body bytes.
    pub body: Bytes,
    /// True if a client certificate from the emulator's CA was presented.
    pub client_cert: bool,
    /// `OK`, or the error code answered (`SIGN_ERROR`, `NOT_FOUND`, `FAIL`…).
    pub outcome: String,
}

struct Script {
    pattern: Pattern,
    answer: Answer,
}

/// State shared by the listener and the handle.
pub(crate) struct State {
    merchants: HashMap<String, MerchantEntry>,
    platform_key: PrivateKey,
    public_key_id: String,
    platform_serial: String,
    platform_cert_pem: String,
    mode: Mode,
    routes: Vec<routes::Route>,
    scripts: Mutex<Vec<Script>>,
    faults: Mutex<HashSet<Fault>>,
    journal: Mutex<Vec<Recorded>>,
    nonces: Mutex<HashMap<(String, String), i64>>,
}

struct MerchantEntry {
    merchant: Merchant,
    public_key: PublicKey,
    cert_pem: String,
}

/// Configures a [`Server`].
#[derive(Default)]
pub struct ServerBuilder {
    port: u16,
    merchants: Vec<Merchant>,
    platform_key: Option<(Zeroizing<String>, String)>,
    mode: Mode,
}

impl ServerBuilder {
    /// Listen on this port of 127.0.0.1 (default: a free one).
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// A merchant the emulator knows (default: one generated, mchid `1900000001`).
    pub fn merchant(mut self, merchant: Merchant) -> Self {
        self.merchants.push(merchant);
        self
    }

    /// Sign with this key (PKCS#8 PEM) under this `PUB_KEY_ID_…` instead of a fresh one.
    pub fn platform_key(mut self, pem: &str, public_key_id: &str) -> Self {
        self.platform_key = Some((Zeroizing::new(pem.to_string()), public_key_id.to_string()));
        self
    }

    /// Public-key mode (default) or certificate mode.
    pub fn mode(mut self, mode: Mode) -> Self {
        self.mode = mode;
        self
    }

    /// Starts listening on the current tokio runtime.
    pub async fn start(self) -> Result<Server> {
        let authority = tls::Authority::new()?;
        let (platform_key_pem, public_key_id) = match self.platform_key {
            Some(k) => k,
            None => (
                generate_rsa_pem()?,
                format!(
                    "PUB_KEY_ID_0119000000012026{}",
                    &crate::util::nonce(16).to_uppercase()
                ),
            ),
        };
        let platform_key = PrivateKey::from_pem(platform_key_pem.as_bytes())?;
        let platform_serial = tls::random_serial();
        let platform_cert_pem =
            authority.platform_certificate(&platform_serial, &platform_key_pem)?;
        let mut merchants = self.merchants;
        if merchants.is_empty() {
            merchants.push(Merchant::generate("1900000001")?);
        }
        let mut entries = HashMap::new();
        for m in merchants {
            let key = PrivateKey::from_pem(m.private_key_pem.as_bytes())?;
            let cert_pem =
                authority.merchant_certificate(&m.mchid, &m.serial, &m.private_key_pem)?;
            entries.insert(
                m.mchid.clone(),
                MerchantEntry {
                    public_key: key.public_key(),
                    merchant: m,
                    cert_pem,
                },
            );
        }
        let first = entries.keys().next().cloned().unwrap_or_default();
        let state = Arc::new(State {
            merchants: entries,
            platform_key,
            public_key_id,
            platform_serial,
            platform_cert_pem,
            mode: self.mode,
            routes: routes::documented(),
            scripts: Mutex::new(Vec::new()),
            faults: Mutex::new(HashSet::new()),
            journal: Mutex::new(Vec::new()),
            nonces: Mutex::new(HashMap::new()),
        });
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", self.port))
            .await
            .map_err(|e| {
                Error::NotConfigured(format!(
                    "the emulator cannot listen on 127.0.0.1:{}: {e}",
                    self.port
                ))
            })?;
        let addr = listener
            .local_addr()
            .map_err(|e| Error::NotConfigured(format!("the emulator's address: {e}")))?;
        let config = authority.server_config()?;
        let task = tokio::spawn(service::serve(listener, config, state.clone()));
        Ok(Server {
            state,
            url: format!("https://127.0.0.1:{}/", addr.port()),
            ca_pem: authority.ca_pem,
            first_mchid: first,
            task,
        })
    }
}

/// A running emulator; it stops when dropped.
pub struct Server {
    state: Arc<State>,
    url: String,
    ca_pem: String,
    first_mchid: String,
    task: JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("url", &self.url)
            .field("public_key_id", &self.state.public_key_id)
            .finish_non_exhaustive()
    }
}

impl Server {
    /// Starts an emulator with a fresh platform key and one generated merchant (`1900000001`).
    pub async fn start() -> Result<Server> {
        Server::builder().start().await
    }

    /// Configures an emulator.
    pub fn builder() -> ServerBuilder {
        ServerBuilder::default()
    }

    /// Base URI (`https://127.0.0.1:PORT/`).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The CA that signed the server and merchant certificates (PEM): trust it in the client.
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    /// The `PUB_KEY_ID_…` of the WeChat Pay public key.
    pub fn public_key_id(&self) -> &str {
        &self.state.public_key_id
    }

    /// The WeChat Pay public key (SPKI PEM).
    pub fn public_key_pem(&self) -> String {
        self.state.platform_key.public_key().to_pem()
    }

    /// The platform certificate (PEM) over the same key, for certificate mode.
    pub fn platform_certificate_pem(&self) -> &str {
        &self.state.platform_cert_pem
    }

    /// The platform certificate's serial.
    pub fn platform_serial(&self) -> &str {
        &self.state.platform_serial
    }

    /// The first merchant (the generated one unless others were given).
    pub fn merchant(&self) -> &Merchant {
        self.merchant_by_id(&self.first_mchid)
            .expect("the emulator knows at least one merchant")
    }

    /// A merchant by mchid.
    pub fn merchant_by_id(&self, mchid: &str) -> Option<&Merchant> {
        self.state.merchants.get(mchid).map(|e| &e.merchant)
    }

    /// The merchant's API certificate (PEM), its client certificate for mutual TLS.
    pub fn merchant_certificate_pem(&self) -> &str {
        &self.state.merchants[&self.first_mchid].cert_pem
    }

    /// A client builder with everything set for the first merchant: ids, keys, secrets, the
    /// emulator's base URI and CA, the mTLS identity, and the WeChat Pay key of the server's mode
    /// (in certificate mode: none; call `download_certificates`).
    pub fn client_builder(&self) -> ClientBuilder {
        let entry = &self.state.merchants[&self.first_mchid];
        let m = &entry.merchant;
        let mut b = ClientBuilder::new()
            .mchid(&m.mchid)
            .serial(&m.serial)
            .private_key(m.private_key_pem.as_bytes())
            .apiv2_secret(m.apiv2_secret.as_str())
            .apiv3_key(m.apiv3_key.as_bytes())
            .merchant_identity(&entry.cert_pem, m.private_key_pem.as_bytes())
            .base_uri(&self.url)
            .add_root_certificate(&self.ca_pem);
        if self.state.mode == Mode::PublicKey {
            b = b.public_key(&self.state.public_key_id, self.public_key_pem());
        }
        b
    }

    /// Scripts the answer to `method` on `template` (e.g. `v3/pay/transactions/id/{id}`); the
    /// latest script for a route wins.
    pub fn on(&self, method: &str, template: &str, answer: Answer) {
        let mut scripts = self.state.scripts.lock().unwrap_or_else(|e| e.into_inner());
        scripts.insert(
            0,
            Script {
                pattern: Pattern::new(method, template),
                answer,
            },
        );
    }

    /// Switches a fault on.
    pub fn fault(&self, fault: Fault) {
        self.state
            .faults
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(fault);
    }

    /// Switches every fault off.
    pub fn clear_faults(&self) {
        self.state
            .faults
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    /// Every request received so far.
    pub fn journal(&self) -> Vec<Recorded> {
        self.state
            .journal
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Decrypts a sensitive field the client encrypted for WeChat Pay.
    pub fn decrypt(&self, ciphertext_b64: &str) -> Result<String> {
        crate::crypto::decrypt_sensitive(&self.state.platform_key, ciphertext_b64)
    }

    /// A notification as WeChat Pay would send it to the first merchant: the JSON envelope with
    /// the resource encrypted under its APIv3 key, and the signed headers.
    pub fn notification(&self, event_type: &str, resource: &Value) -> Result<(HeaderMap, Vec<u8>)> {
        let m = self.merchant();
        let nonce = crate::util::nonce(12);
        let ciphertext = crate::crypto::aes::aes_256_gcm_encrypt(
            m.apiv3_key.as_bytes(),
            nonce.as_bytes(),
            b"transaction",
            resource.to_string().as_bytes(),
        )?;
        let body = serde_json::json!({
            "id": format!("EV-{}", crate::util::nonce(20)),
            "create_time": "2026-01-01T00:00:00+08:00",
            "resource_type": "encrypt-resource",
            "event_type": event_type,
            "summary": "支付成功",
            "resource": {
                "original_type": "transaction",
                "algorithm": "AEAD_AES_256_GCM",
                "ciphertext": ciphertext,
                "associated_data": "transaction",
                "nonce": nonce,
            },
        })
        .to_string()
        .into_bytes();
        let headers = service::signed_headers(&self.state, &body, &HashSet::new())?;
        Ok((headers, body))
    }

    /// Sends a notification to `url` (loopback only) and returns the handler's status.
    pub async fn notify(
        &self,
        url: &str,
        event_type: &str,
        resource: &Value,
    ) -> Result<StatusCode> {
        let target = url::Url::parse(url).map_err(|e| Error::argument("url", e.to_string()))?;
        if !matches!(
            target.host_str(),
            Some("127.0.0.1") | Some("localhost") | Some("[::1]")
        ) {
            return Err(Error::argument(
                "url",
                "the emulator only notifies loopback addresses",
            ));
        }
        let (headers, body) = self.notification(event_type, resource)?;
        let res = reqwest::Client::new()
            .post(target)
            .headers(headers)
            .header(http::header::CONTENT_TYPE, "application/json")
            .body(body)
            .send()
            .await
            .map_err(Error::Transport)?;
        Ok(res.status())
    }

    /// Shell `export` lines that point the `wechatpay` CLI at this emulator; key files are
    /// written to `dir`.
    pub fn env_script(&self, dir: &std::path::Path) -> Result<String> {
        let m = self.merchant();
        let write = |name: &str, content: &str| -> Result<String> {
            let path = dir.join(name);
            std::fs::write(&path, content).map_err(|e| {
                Error::NotConfigured(format!("cannot write {}: {e}", path.display()))
            })?;
            Ok(path.display().to_string())
        };
        let key = write("apiclient_key.pem", &m.private_key_pem)?;
        let cert = write("apiclient_cert.pem", self.merchant_certificate_pem())?;
        let public = write("pub_key.pem", &self.public_key_pem())?;
        let ca = write("emulator_ca.pem", &self.ca_pem)?;
        Ok(format!(
            "export WECHATPAY_MCHID={}\nexport WECHATPAY_SERIAL={}\nexport WECHATPAY_PRIVATE_KEY={key}\n\
             export WECHATPAY_PUBLIC_KEY_ID={}\nexport WECHATPAY_PUBLIC_KEY={public}\n\
             export WECHATPAY_APIV2_SECRET={}\nexport WECHATPAY_APIV3_KEY={}\n\
             export WECHATPAY_MERCHANT_CERT={cert}\nexport WECHATPAY_MERCHANT_KEY={key}\n\
             export WECHATPAY_BASE_URI={}\nexport WECHATPAY_CA={ca}\n",
            m.mchid,
            m.serial,
            self.state.public_key_id,
            m.apiv2_secret.as_str(),
            m.apiv3_key.as_str(),
            self.url
        ))
    }
}
