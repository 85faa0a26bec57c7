//! Bounds in time and memory on every call, so that no server can hang a caller or fill its
//! memory.
//!
//! Six limits, each settable on the builder and per call (the per-call option has the same
//! name), with defaults chosen for WeChat Pay's answers, which are small and quick:
//!
//! | limit | default | covers |
//! | --- | --- | --- |
//! | `timeout` | 30 s | the whole call: every attempt (connect, send, answer headers, any body held in memory), the waits between them, a signing-pool wait and a certificate download an unknown serial sets off |
//! | `connect_timeout` | 10 s | opening a connection (client-wide only: the pool connects) |
//! | `stall_timeout` | 30 s | a streamed `sink` download: the longest wait for the next chunk |
//! | `download_timeout` | 10 min | a streamed `sink` download, from its first byte to its last |
//! | `max_answer_bytes` | 32 MiB | an answer held in memory |
//! | `max_download_bytes` | 4 GiB | a streamed `sink` download on disk, and a gzip one unpacked |

use std::time::Duration;

/// Default whole-call timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// Default connect timeout.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default longest wait for the next chunk of a streamed download.
pub const DEFAULT_STALL_TIMEOUT: Duration = Duration::from_secs(30);
/// Default cap on an answer held in memory: 32 MiB.
pub const DEFAULT_MAX_ANSWER_BYTES: u64 = 32 * 1024 * 1024;
/// Default bound on a streamed download's body: 10 minutes.
pub const DEFAULT_DOWNLOAD_TIMEOUT: Duration = Duration::from_secs(600);
/// Default cap on a streamed download written to disk: 4 GiB.
pub const DEFAULT_MAX_DOWNLOAD_BYTES: u64 = 4 * 1024 * 1024 * 1024;

/// What [`ClientBuilder::download_progress`](crate::ClientBuilder::download_progress) calls:
/// `(bytes received, Content-Length when declared)`.
pub type DownloadProgress = std::sync::Arc<dyn Fn(u64, Option<u64>) + Send + Sync>;

/// A per-call duration option (`timeout`, `retry.attempt_timeout`, …): a positive number of
/// seconds below one day, else an `Error::Argument` naming `key`.
pub(crate) fn seconds(key: &str, value: serde_json::Value) -> crate::error::Result<Duration> {
    value
        .as_f64()
        .filter(|s| s.is_finite() && *s > 0.0 && *s < 86_400.0)
        .map(Duration::from_secs_f64)
        .ok_or_else(|| {
            crate::error::Error::argument(
                key,
                "expected a positive number of seconds, below one day",
            )
        })
}

/// The limits in force for one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Limits {
    pub timeout: Duration,
    pub stall_timeout: Duration,
    pub max_answer_bytes: u64,
    pub download_timeout: Duration,
    pub max_download_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            timeout: DEFAULT_TIMEOUT,
            stall_timeout: DEFAULT_STALL_TIMEOUT,
            max_answer_bytes: DEFAULT_MAX_ANSWER_BYTES,
            download_timeout: DEFAULT_DOWNLOAD_TIMEOUT,
            max_download_bytes: DEFAULT_MAX_DOWNLOAD_BYTES,
        }
    }
}

impl Limits {
    /// The client's limits with a call's own options laid over them.
    pub(crate) fn with_call(self, call: &CallLimits) -> Limits {
        Limits {
            timeout: call.timeout.unwrap_or(self.timeout),
            stall_timeout: call.stall_timeout.unwrap_or(self.stall_timeout),
            max_answer_bytes: call.max_answer_bytes.unwrap_or(self.max_answer_bytes),
            download_timeout: call.download_timeout.unwrap_or(self.download_timeout),
            max_download_bytes: call.max_download_bytes.unwrap_or(self.max_download_bytes),
        }
    }
}

/// A call's own limits (its options of the same names); `None` keeps the client's.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct CallLimits {
    pub timeout: Option<Duration>,
    pub stall_timeout: Option<Duration>,
    pub max_answer_bytes: Option<u64>,
    pub download_timeout: Option<Duration>,
    pub max_download_bytes: Option<u64>,
}
