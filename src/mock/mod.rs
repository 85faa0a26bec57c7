//! A local WeChat Pay emulator (feature `mock`), for tests and development without the real
//! service (APIv3 has no sandbox).
//!
//! [`Server`] listens on 127.0.0.1 only (a free port unless one is given), over TLS with a CA
//! made at start ([`Server::ca_pem`]), and checks every request the way WeChat Pay does:
//!
//! - APIv3 (`/v3/…`): the `Authorization` scheme `WECHATPAY2-SHA256-RSA2048` and its five fields,
//!   a known `mchid` and its `serial_no`, the RSA-SHA256 signature over
//!   `METHOD\nPATH?QUERY\nTIMESTAMP\nNONCE\nBODY\n` built from the bytes received (for a media
//!   upload, the `meta` part), a timestamp within ±300 s, and no `nonce_str` seen twice within
//!   that window. Refusals are `401 SIGN_ERROR`; a `Wechatpay-Serial` naming no key of the
//!   emulator or a JSON body that does not parse is `400 PARAM_ERROR`; an unknown path is
//!   `404 NOT_FOUND`. Every error body is `{"code","message"}` with a `Request-ID` header.
//! - APIv2 (any other path, e.g. `POST /pay/orderquery`): the XML (or a GET query) must carry a
//!   known `mch_id`, a `nonce_str` and a valid `sign` (MD5 or HMAC-SHA256 per `sign_type`) under
//!   the merchant's APIv2 secret. The documented `security: true` calls also need the TLS client
//!   certificate of that merchant: the handshake accepts connections without one (so other calls
//!   work), and such a call is then refused with `<return_code>FAIL</return_code>` and a
//!   `return_msg` saying the certificate is missing (or belongs to another merchant), which the
//!   client reports as [`Error::V2Failure`]. Refusals are XML FAIL
//!   answers, e.g. `<return_msg>签名错误</return_msg>`.
//!
//! Good requests get the scripted answer for their route ([`Server::on`]), else the documented
//! default (402 routes: JSON `200` echoing the path placeholders and the request's top-level
//! fields, `204`, signed `SUCCESS` XML, or bytes for downloads). APIv3 answers, errors included,
//! carry `Wechatpay-Serial/-Timestamp/-Nonce/-Signature` from the emulator's platform key
//! (`PUB_KEY_ID_…`, [`Server::public_key_id`]). Every request is kept in [`Server::journal`];
//! [`Fault`]s break the answers on purpose; [`Server::notification`] and [`Server::notify`] make
//! callbacks; [`Server::decrypt`] opens the sensitive fields the client encrypted.
//!
//! ```no_run
//! # async fn run() -> wechatpay::Result<()> {
//! use serde_json::json;
//! use wechatpay::mock::{Answer, Fault, Server};
//!
//! let server = Server::start().await?;
//! let client = server.client_builder().build()?;
//! server.on("POST", "v3/pay/transactions/out-trade-no/{out_trade_no}/close", Answer::status(204));
//! let res = client
//!     .chain("v3/pay/transactions/out-trade-no/{out_trade_no}/close")
//!     .post(json!({ "out_trade_no": "T1", "json": { "mchid": client.mchid() } }))
//!     .await?;
//! assert_eq!(res.status(), 204);
//! assert!(server.journal()[0].verified);
//!
//! server.fault(Fault::BadSignature);
//! assert!(matches!(
//!     client.chain("v3/certificates").get(json!({})).await,
//!     Err(wechatpay::Error::Signature(_))
//! ));
//! server.shutdown().await;
//! # Ok(()) }
//! ```

mod blocking;
mod notify;
mod routes;
mod service;
mod tls;

pub use blocking::BlockingServer;

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

/// How many requests the journal keeps (a long-running emulator must not grow without end).
const JOURNAL_LIMIT: usize = 10_000;

/// A merchant the emulator knows, with every credential the client needs. `Debug` shows the
/// mchid and serial only, never the key or the secrets.
///
/// ```
/// let m = wechatpay::mock::Merchant::generate("1900000001")?;
/// assert_eq!((m.serial.len(), m.apiv3_key.len()), (40, 32));
/// assert!(!format!("{m:?}").contains(m.apiv2_secret.as_str()));
/// # Ok::<(), wechatpay::Error>(())
/// ```
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
    /// A merchant with a fresh RSA-2048 key, a random 40-hex-digit serial, a 32-character
    /// APIv2 secret and a 32-byte APIv3 key.
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

/// Faults the emulator can inject into its answers, switched on with [`Server::fault`] and off
/// with [`Server::clear_faults`]. The crate's client refuses each: `BadSignature` and
/// `WrongSerial` as [`Error::Signature`], `SkewedClock` as [`Error::ClockSkew`], `ServerError`
/// as [`Error::Api`] (`SYSTEM_ERROR`, retryable), `DropConnection` as [`Error::Transport`] and
/// `Slow` (with a shorter timeout) as [`Error::Limit`] naming `timeout`. The signature faults
/// concern APIv3 answers and notifications.
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
    /// Answers wait this many milliseconds first (for client timeouts).
    Slow(u64),
    /// The answer's headers promise a `Content-Length`, half the body is sent, then the
    /// connection is closed.
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

    /// An answer with this status and no body: `Answer::status(204)`.
    pub fn status(status: u16) -> Answer {
        Answer::empty(status)
    }

    /// An APIv2 XML answer (`200`) of these fields (a JSON object or map; other values give an
    /// empty `<xml/>`). The emulator adds `nonce_str` and an HMAC-SHA256 `sign` with the merchant's
    /// APIv2 secret, unless the fields carry their own `sign` (to forge one).
    pub fn xml(fields: impl Into<Value>) -> Answer {
        let fields = match fields.into() {
            Value::Object(map) => map,
            _ => Map::new(),
        };
        Answer::new(200, AnswerBody::Xml(fields))
    }

    /// Raw bytes (a file download, say).
    pub fn raw(status: u16, body: impl Into<Bytes>) -> Answer {
        Answer::new(status, AnswerBody::Raw(body.into()))
    }

    fn new(status: u16, body: AnswerBody) -> Answer {
        Answer {
            // An impossible status (<100 or >999) is a test bug; answer it visibly as a 500.
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            body,
            headers: Vec::new(),
            delay: None,
        }
    }

    /// Adds a header (the `Wechatpay-*` signature headers are the emulator's; a header given
    /// here with the same name replaces it).
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
#[non_exhaustive]
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
    /// True if the connection presented a client certificate issued by the emulator's CA.
    pub client_cert: bool,
    /// True if the request's signature (APIv3 `Authorization`, APIv2 `sign`) verified with a
    /// known merchant's key or secret.
    pub verified: bool,
    /// `OK`, or the error code answered (`SIGN_ERROR`, `NOT_FOUND`, `FAIL`…).
    pub outcome: String,
    /// HTTP/1.1 or HTTP/2.
    pub version: http::Version,
}

struct Script {
    pattern: Pattern,
    /// Answered in order; the last one repeats.
    answers: Vec<Answer>,
    served: usize,
}

impl Script {
    fn next(&mut self) -> Answer {
        let i = self.served.min(self.answers.len() - 1);
        self.served += 1;
        self.answers[i].clone()
    }
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
    /// The exact certificate a security (mutual TLS) call must present.
    cert_der: Vec<u8>,
}

/// Configures a [`Server`]: port, merchants, platform key, mode.
///
/// ```no_run
/// # async fn run() -> wechatpay::Result<()> {
/// use wechatpay::mock::{Merchant, Server};
/// let platform_pem = std::fs::read_to_string("platform_key.pem").unwrap();
/// let server = Server::builder()
///     .port(8443)
///     .platform_key(&platform_pem, "PUB_KEY_ID_0119000000012024000000000000")
///     .merchant(Merchant::generate("1900000001")?)
///     .merchant(Merchant::generate("1900000002")?)
///     .start()
///     .await?;
/// let second = server.client_builder_for("1900000002").unwrap().build()?;
/// # Ok(()) }
/// ```
#[derive(Default)]
pub struct ServerBuilder {
    port: u16,
    http2: bool,
    merchants: Vec<Merchant>,
    platform_key: Option<(Zeroizing<String>, String)>,
    mode: Mode,
}

impl ServerBuilder {
    /// Offers HTTP/2 as well as HTTP/1.1 (by ALPN); off by default. The client then speaks
    /// HTTP/2, and [`Recorded::version`] shows it.
    pub fn http2(mut self, on: bool) -> Self {
        self.http2 = on;
        self
    }

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
        // The first merchant given is the one `client_builder()` and `merchant()` use.
        let first = merchants[0].mchid.clone();
        let mut entries = HashMap::new();
        for m in merchants {
            let key = PrivateKey::from_pem(m.private_key_pem.as_bytes())?;
            let (cert_pem, cert_der) =
                authority.merchant_certificate(&m.mchid, &m.serial, &m.private_key_pem)?;
            entries.insert(
                m.mchid.clone(),
                MerchantEntry {
                    public_key: key.public_key(),
                    merchant: m,
                    cert_pem,
                    cert_der,
                },
            );
        }
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
        let config = authority.server_config(self.http2)?;
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let task = tokio::spawn(service::serve(listener, config, state.clone(), stopped));
        Ok(Server {
            state,
            url: format!("https://127.0.0.1:{}/", addr.port()),
            ca_pem: authority.ca_pem,
            first_mchid: first,
            task: Some(task),
            stop,
        })
    }

    /// Starts the emulator on a runtime of its own, on a background thread, for blocking code
    /// (no tokio runtime needed by the caller).
    pub fn start_blocking(self) -> Result<BlockingServer> {
        BlockingServer::start(self)
    }
}

/// A running emulator; it stops when dropped (see also [`Server::shutdown`]).
pub struct Server {
    state: Arc<State>,
    url: String,
    ca_pem: String,
    first_mchid: String,
    task: Option<JoinHandle<()>>,
    stop: tokio::sync::watch::Sender<bool>,
}

impl Drop for Server {
    fn drop(&mut self) {
        // Aborting the accept task drops its set of connection tasks, which aborts them too.
        if let Some(task) = &self.task {
            task.abort();
        }
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
    /// Starts an emulator with a fresh platform key and one generated merchant (`1900000001`),
    /// on the current tokio runtime.
    pub async fn start() -> Result<Server> {
        Server::builder().start().await
    }

    /// [`Server::start`] for blocking code: the emulator runs on its own runtime on a
    /// background thread.
    ///
    /// ```no_run
    /// # #[cfg(feature = "blocking")]
    /// # fn run() -> wechatpay::Result<()> {
    /// let server = wechatpay::mock::Server::start_blocking()?;
    /// let client = wechatpay::blocking::Client::from(server.client_builder().build()?);
    /// let res = client.chain("v3/certificates").get(serde_json::json!({}))?;
    /// assert_eq!(res.status(), 200);
    /// # Ok(()) }
    /// ```
    pub fn start_blocking() -> Result<BlockingServer> {
        Server::builder().start_blocking()
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
        self.entry_builder(&self.state.merchants[&self.first_mchid])
    }

    /// [`Server::client_builder`] for another merchant the emulator knows.
    pub fn client_builder_for(&self, mchid: &str) -> Option<ClientBuilder> {
        self.state
            .merchants
            .get(mchid)
            .map(|e| self.entry_builder(e))
    }

    fn entry_builder(&self, entry: &MerchantEntry) -> ClientBuilder {
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

    /// Scripts the answer to `method` on `template`, written as the client writes it
    /// (`v3/pay/transactions/id/{transaction_id}`, `v2/pay/orderquery`; `{name}` matches one
    /// non-empty segment). The latest script for a route wins; it is answered after the request
    /// passed every check, so a scripted route still refuses badly signed calls.
    pub fn on(&self, method: &str, template: &str, answer: Answer) {
        self.on_sequence(method, template, vec![answer]);
    }

    /// Scripts a sequence of answers to `method` on `template`: the first request gets the
    /// first answer, and so on; the last one repeats. For retry tests: `[500, 500, 200]`.
    ///
    /// # Panics
    ///
    /// If `answers` is empty.
    pub fn on_sequence(&self, method: &str, template: &str, answers: Vec<Answer>) {
        assert!(!answers.is_empty(), "a sequence needs at least one answer");
        let mut scripts = self.state.scripts.lock().unwrap_or_else(|e| e.into_inner());
        scripts.insert(
            0,
            Script {
                pattern: Pattern::new(method, template),
                answers,
                served: 0,
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

    /// Every request received so far, oldest first (the latest 10,000).
    pub fn journal(&self) -> Vec<Recorded> {
        self.state
            .journal
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Empties the journal.
    pub fn clear_journal(&self) {
        self.state
            .journal
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    /// Decrypts a sensitive field the client encrypted for WeChat Pay (RSA-OAEP under the
    /// emulator's platform key); read the ciphertext from [`Recorded::body`].
    pub fn decrypt(&self, ciphertext_b64: &str) -> Result<String> {
        crate::crypto::decrypt_sensitive(&self.state.platform_key, ciphertext_b64)
    }

    /// A notification (callback) as WeChat Pay would send it to the first merchant, without
    /// sending it: the signed `Wechatpay-*` headers and the JSON envelope whose `resource` is
    /// `resource` encrypted with AES-256-GCM under the merchant's APIv3 key. The signature
    /// faults ([`Fault::BadSignature`], [`Fault::WrongSerial`], [`Fault::SkewedClock`]) apply.
    pub fn notification(&self, event_type: &str, resource: &Value) -> Result<(HeaderMap, Vec<u8>)> {
        notify::build(&self.state, &self.first_mchid, event_type, resource)
    }

    /// POSTs a notification (see [`Server::notification`]) to `url`, which must be an
    /// `http(s)://127.0.0.1…` or `[::1]` address (the emulator never calls out), and returns the
    /// handler's HTTP status.
    pub async fn notify(
        &self,
        url: &str,
        event_type: &str,
        resource: &Value,
    ) -> Result<StatusCode> {
        notify::send(
            self.state.clone(),
            self.first_mchid.clone(),
            url.to_string(),
            event_type.to_string(),
            resource.clone(),
        )
        .await
    }

    /// Stops accepting connections, lets the requests in flight finish (for up to 5 s), then
    /// closes every connection. Dropping the server stops it at once instead.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
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
