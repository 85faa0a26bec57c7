//! The journal: every request as the emulator received it, and what it made of it.

use bytes::Bytes;
use http::{HeaderMap, Method};

/// How many requests the journal keeps (a long-running emulator must not grow without end).
pub(crate) const JOURNAL_LIMIT: usize = 10_000;

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
