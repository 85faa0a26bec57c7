//! Bounds in time and memory on every call, so that no server can hang a caller or fill its
//! memory.
//!
//! Four limits, each settable on the builder and per call (the per-call option has the same
//! name), with defaults chosen for WeChat Pay's answers, which are small and quick:
//!
//! | limit | default | covers |
//! | --- | --- | --- |
//! | `timeout` | 30 s | the whole call: connect, send, answer headers and any body held in memory |
//! | `connect_timeout` | 10 s | opening a connection (client-wide only: the pool connects) |
//! | `stall_timeout` | 30 s | a streamed `sink` download: the longest wait for the next chunk |
//! | `max_answer_bytes` | 32 MiB | an answer held in memory (`sink` downloads stream to disk, unbounded) |

use crate::error::{Error, Result};
use bytes::{Bytes, BytesMut};
use std::future::Future;
use std::time::Duration;

/// Default whole-call timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// Default connect timeout.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default longest wait for the next chunk of a streamed download.
pub const DEFAULT_STALL_TIMEOUT: Duration = Duration::from_secs(30);
/// Default cap on an answer held in memory: 32 MiB.
pub const DEFAULT_MAX_ANSWER_BYTES: u64 = 32 * 1024 * 1024;

/// The limits in force for one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Limits {
    pub timeout: Duration,
    pub stall_timeout: Duration,
    pub max_answer_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            timeout: DEFAULT_TIMEOUT,
            stall_timeout: DEFAULT_STALL_TIMEOUT,
            max_answer_bytes: DEFAULT_MAX_ANSWER_BYTES,
        }
    }
}

impl Limits {
    /// The client's limits with a call's own options laid over them.
    pub(crate) fn with_call(
        self,
        timeout: Option<Duration>,
        stall_timeout: Option<Duration>,
        max_answer_bytes: Option<u64>,
    ) -> Limits {
        Limits {
            timeout: timeout.unwrap_or(self.timeout),
            stall_timeout: stall_timeout.unwrap_or(self.stall_timeout),
            max_answer_bytes: max_answer_bytes.unwrap_or(self.max_answer_bytes),
        }
    }
}

/// Runs `fut` within the whole-call `timeout`.
pub(crate) async fn within<T>(limit: Duration, fut: impl Future<Output = Result<T>>) -> Result<T> {
    match tokio::time::timeout(limit, fut).await {
        Ok(result) => result,
        Err(_) => Err(Error::Limit {
            limit: "timeout",
            reason: format!(
                "the call took longer than {} (connect, send and read together); it may have reached WeChat Pay",
                show(limit)
            ),
        }),
    }
}

/// The next chunk of a streamed body, waiting at most `stall` for it.
pub(crate) async fn next_chunk(
    answer: &mut reqwest::Response,
    stall: Duration,
) -> Result<Option<Bytes>> {
    match tokio::time::timeout(stall, answer.chunk()).await {
        Ok(chunk) => chunk.map_err(Error::Transport),
        Err(_) => Err(Error::Limit {
            limit: "stall_timeout",
            reason: format!(
                "no data arrived for {} while the answer streamed",
                show(stall)
            ),
        }),
    }
}

/// Reads a whole answer body, refusing one larger than `max` before holding it.
pub(crate) async fn read_capped(mut answer: reqwest::Response, max: u64) -> Result<Bytes> {
    let too_large = |seen: String| {
        Error::Limit {
        limit: "max_answer_bytes",
        reason: format!(
            "the answer is {seen}, more than the {max} bytes held in memory; stream large downloads with `sink`"
        ),
    }
    };
    if let Some(len) = answer.content_length() {
        if len > max {
            return Err(too_large(format!("{len} bytes (Content-Length)")));
        }
    }
    let mut body = BytesMut::new();
    while let Some(chunk) = answer.chunk().await.map_err(Error::Transport)? {
        if (body.len() + chunk.len()) as u64 > max {
            return Err(too_large("longer".into()));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

fn show(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{} s", d.as_secs())
    } else {
        format!("{} ms", d.as_millis())
    }
}
