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
    /// The answer's HTTP status.
    pub status: http::StatusCode,
    /// The answer's body (the reason of a refusal is its `message` or `return_msg`).
    pub answer: Bytes,
    /// Its place in the run (1, 2, …): the dashboard asks for the requests after one it has.
    pub seq: u64,
}

/// The next [`Recorded::seq`] (shared by every emulator of the process: only the order counts).
pub(crate) fn next_seq() -> u64 {
    static SEQ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}
