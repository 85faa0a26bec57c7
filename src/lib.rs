//! # wechatpay
//!
//! A client for the whole WeChat Pay (微信支付) merchant API: APIv3 (JSON, RSA-SHA256 signed,
//! answers verified) and APIv2 (XML, MD5/HMAC-SHA256 signed, mutual TLS for fund calls) through
//! one chainable client, in the style of the PHP SDK `wechatpay-php`.
//!
//! No typed model per endpoint: a call is a path (built segment by segment, with the [`chain!`]
//! macro, or from a template string) and an untyped `serde_json` argument map; the answer is the
//! raw, verified [`Response`].
//!
//! ```no_run
//! use serde_json::json;
//! use wechatpay::{chain, Client};
//!
//! # async fn run() -> wechatpay::Result<()> {
//! let client = Client::builder()
//!     .mchid("1900000001")
//!     .serial("1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C")
//!     .private_key(std::fs::read("apiclient_key.pem").unwrap())
//!     .public_key("PUB_KEY_ID_0119000000012024000000000000", std::fs::read("pub_key.pem").unwrap())
//!     .build()?;
//!
//! let res = chain!(client.v3.platsolution.ecommerce.mchTransfer.insuranceClaimBills
//!                  .outBillNo._out_bill_no_.cancel)
//!     .post(json!({ "out_bill_no": "plfk2020042013", "json": { "sub_mchid": "1900001109" } }))
//!     .await?;
//! println!("{} {}", res.status(), res.json()?);
//! # Ok(()) }
//! ```
//!
//! See `docs/` in the repository for the architecture, the path rules, the security model and a
//! side-by-side migration guide from the PHP SDK.

#![warn(missing_docs)]

mod answer;
#[cfg(feature = "blocking")]
pub mod blocking;
#[cfg(feature = "catalogue")]
#[doc(hidden)]
pub mod catalogue;
mod client;
mod error;
mod exchange;
mod keys;
#[cfg(feature = "mock")]
pub mod mock;
pub mod notify;
mod policy;
mod protocol;
mod request;
mod util;

pub use answer::response::Response;
pub use client::builder::{ClientBuilder, DEFAULT_BASE_URI};
pub use client::chain_macro::ChainStart;
pub use client::rotation::{CertificateRefresher, RefreshStatus};
pub use client::{Chain, Client};
pub use error::outcome::Outcome;
pub use error::{Error, Result};
pub use keys::crypto;
pub use keys::keyring::Keyring;
pub use keys::sensitive::Encrypted;
pub use policy::limits::{
    DownloadProgress, DEFAULT_CONNECT_TIMEOUT, DEFAULT_DOWNLOAD_TIMEOUT, DEFAULT_MAX_ANSWER_BYTES,
    DEFAULT_MAX_DOWNLOAD_BYTES, DEFAULT_STALL_TIMEOUT, DEFAULT_TIMEOUT,
};
pub use policy::retry::Retry;
pub use protocol::{v2, v3};
pub use request::media::Media;
pub use request::path::normalize_segment;
pub use request::prepared::{PreparedRequest, Protocol};

// The emulator (src/mock) still names these modules by their paths from before the layout in
// folders; its own layering moves it to the new paths and removes these aliases.
#[cfg(feature = "mock")]
use {answer::sink, client::builder};
#[cfg(feature = "mock")]
mod path {
    pub(crate) use crate::util::json_type;
}

pub use http;

/// Not part of the API: the intake fuzz target's and its corpus replay's way in.
#[doc(hidden)]
pub use answer::intake::fuzz_hook as __intake;
/// Not part of the API: how the `wechatpay` binary saves a file (`certificates --save`), the
/// way `sink` does.
#[doc(hidden)]
pub use answer::sink::write_file as __write_file;
#[doc(hidden)]
/// Not part of the API: the CLI's `doctor` shows a configured URI as the library's errors do.
pub use policy::hosts::redact_userinfo as __redact_userinfo;
pub use serde_json;

// The README's and docs' Rust examples compile as doc tests, so they cannot drift from the API.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

#[cfg(all(doctest, feature = "mock"))]
#[doc = include_str!("../docs/emulator.md")]
struct EmulatorDocDoctests;
