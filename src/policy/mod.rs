//! The client's policies, as values: where a request may go (`hosts`), how long a call may take
//! and how much it may bring back (`limits`), when a failed call is sent again (`retry`).
//!
//! May use: `util`, `error`. Set on the builder and, per call, by the request stage (a call's
//! own options); enforced by the request stage (the outbound target rule) and the exchange.

pub(crate) mod hosts;
pub(crate) mod limits;
pub(crate) mod retry;

use hosts::AllowedHosts;
use http::HeaderValue;
use limits::{DownloadProgress, Limits};
use retry::Retry;
use url::Url;

/// A client's policies: where its calls go, how long and how much, when they are sent again.
#[derive(Clone)]
pub(crate) struct Policies {
    pub base_uri: Url,
    /// Backup domain tried when the base URI cannot be reached (opt-in).
    pub failover: Option<Url>,
    /// Hosts a request may go to besides a per-call `base_uri` (see `request::target`).
    pub allowed_hosts: AllowedHosts,
    /// Time and memory bounds of every call.
    pub limits: Limits,
    /// When a failed call is sent again.
    pub retry: Retry,
    /// Told how far each streamed `sink` download has got.
    pub download_progress: Option<DownloadProgress>,
    /// Encrypt the documented sensitive fields given as plain text (feature `catalogue`).
    #[cfg_attr(not(feature = "catalogue"), allow(dead_code))]
    pub auto_encrypt: bool,
    pub user_agent: HeaderValue,
}
