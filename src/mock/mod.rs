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
//!   client reports as [`Error::V2Failure`](crate::Error::V2Failure). Refusals are XML FAIL
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
//! carry `Wechatpay-Serial/-Timestamp/-Nonce/-Signature` from the WeChat Pay key of its [`Mode`]:
//! the public key (`PUB_KEY_ID_…`, [`Server::public_key_id`]), the platform certificate, or in
//! [`Mode::Both`] the one the request names. Every request is kept in [`Server::journal`];
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

// Four layers, each importing only those below it (`.ci/cycles` checks): protocol < surface <
// state < front; see docs/emulator.md, "Layout". This file only re-exports the public API, so
// that no layer depends on it.
mod front;
mod protocol;
mod state;
mod surface;

pub use front::blocking::BlockingServer;
pub use front::builder::ServerBuilder;
pub use front::chaos::kinds::{Chaos, ChaosFault, ChaosRecord};
pub use front::journal::Recorded;
pub use front::notifications::Sent;
pub use front::server::Server;
pub use protocol::brand::Brand;
pub use protocol::faults::Fault;
pub use protocol::keys::{Merchant, Mode};
pub use state::jobs::Delivery;
pub use surface::answers::Answer;
