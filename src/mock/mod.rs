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
//! Every documented WeChat Pay call is known (1,143 method and template pairs, APIv3 and APIv2,
//! from the documentation's field tables; see `docs/emulator.md`); any other path is
//! `404 NOT_FOUND` (APIv2: a FAIL answer). After the signature, a documented call's fields are
//! checked as WeChat Pay checks them: a required field missing (nested ones too, named by their
//! dotted path, `amount.total`), a value of the wrong JSON type, outside its documented enum, or
//! a sensitive field that does not decrypt is `400 PARAM_ERROR` naming the field (APIv2: a
//! `return_code` FAIL for a missing field, else `result_code` FAIL with `err_code`
//! `PARAM_ERROR`).
//!
//! Good requests get the scripted answer for their route ([`Server::on`], which skips the field
//! checks), else the documented default in the documented shape: every required response field
//! (and the optional top-level scalars) with a value of its type, request values echoed where the names match, ids derived from the
//! request, `204`/`202` where documented, signed `SUCCESS` XML for APIv2, bytes for downloads.
//! APIv3 answers, errors included,
//! carry `Wechatpay-Serial/-Timestamp/-Nonce/-Signature` from the emulator's platform key
//! (`PUB_KEY_ID_…`, [`Server::public_key_id`]). Every request is kept in [`Server::journal`];
//! [`Fault`]s break the answers on purpose, and [`Server::chaos`] breaks a seeded random share of
//! requests and connections in every way, journaled for reconciliation ([`Server::chaos_journal`]);
//! [`Server::notification`] and [`Server::notify`] make
//! callbacks; [`Server::decrypt`] opens the sensitive fields the client encrypted.
//!
//! On top of the default answers, the core flows have state: orders (APIv3 JSAPI/Native/APP/H5,
//! direct and partner, and APIv2 `unifiedorder`) are created `NOTPAY`, paid by [`Server::pay`]
//! or [`ServerBuilder::auto_pay`], queried, closed and refunded; the day's trade bill downloads
//! from the emulator with its SHA1. Paid orders and refunds send `TRANSACTION.SUCCESS` and
//! `REFUND.SUCCESS` to loopback `notify_url`s, retried on failure ([`Server::deliveries`]).
//! [`ServerBuilder::strict`] makes unknown orders `404 ORDER_NOT_EXIST`. An admin API under
//! `/__emulator/` (plain JSON, no signature) scripts, pays, notifies, switches faults and
//! hands out the config, for tests in any language. See `docs/emulator.md`.
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

mod admin;
mod answers;
mod bills;
mod blocking;
mod builder;
mod chaos;
mod checks;
mod deliver;
mod dispatch;
mod fast;
mod flows;
mod flows_v2;
mod notify;
mod refunds;
mod request;
mod routes;
mod server;
mod service;
mod state;
mod synth;
mod tls;
mod v2;
mod v3;

pub use answers::{Answer, Fault, Recorded};
pub use blocking::BlockingServer;
pub use builder::ServerBuilder;
pub use chaos::{Chaos, ChaosFault, ChaosRecord};
pub use deliver::Delivery;
pub use server::Server;

use crate::crypto::{PrivateKey, PublicKey};
use crate::error::{Error, Result};
use answers::Script;
use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
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
    flows: state::Flows,
    /// Set in fast mode: the one answer every request gets.
    fast: Option<fast::FastAnswer>,
    /// TCP connections accepted so far (a cold burst should not open one per request).
    connections: std::sync::atomic::AtomicUsize,
    /// Chaos mode ([`Server::chaos`]).
    chaos: chaos::Slot,
}

struct MerchantEntry {
    merchant: Merchant,
    public_key: PublicKey,
    cert_pem: String,
    /// The exact certificate a security (mutual TLS) call must present.
    cert_der: Vec<u8>,
}
