//! The connection strategy. HTTP/2 where the server offers it (by ALPN), chosen by measurement
//! (`docs/performance.md`): one connection carries every call to a host, costing less CPU on
//! both sides and far less memory with many calls in flight than an HTTP/1.1 connection per call
//! ([`ClientBuilder::http2`](crate::ClientBuilder::http2) turns it off). But the pool cannot know
//! a new connection will be HTTP/2 until ALPN says so: a cold burst of 32 calls opened 32 TLS
//! connections and then used one. So the first call to a host that has no recent answer goes
//! alone, and the calls that arrive meanwhile wait for it, then share its connection.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// How long after an answer a host counts as warm: within the pool's idle timeout (90 s), so
/// the connection that carried the answer is still there.
const WARM_FOR: Duration = Duration::from_secs(60);

/// The longest a call waits behind the first one of a cold burst: past it, a slow first answer
/// no longer holds the others, which then connect on their own.
const WAIT_AT_MOST: Duration = Duration::from_secs(1);

/// Hosts remembered before the cold ones are forgotten (a client talks to a handful).
const HOSTS_KEPT: usize = 64;

/// One host's state: until when it is warm (milliseconds on [`clock`]), and the gate the first
/// call of a cold burst holds.
#[derive(Default)]
pub(crate) struct Host {
    warm_until: AtomicU64,
    /// Set once the host answered over HTTP/1.1: it has no connection to share, so its calls
    /// no longer wait for each other.
    http1: AtomicBool,
    gate: tokio::sync::Mutex<()>,
}

/// The cold-start gate of one HTTP client (one per connection pool).
#[derive(Default)]
pub(crate) struct ColdStart {
    enabled: bool,
    hosts: Mutex<HashMap<String, Arc<Host>>>,
}

fn clock() -> u64 {
    static START: OnceLock<Instant> = OnceLock::new();
    START.get_or_init(Instant::now).elapsed().as_millis() as u64
}

impl ColdStart {
    /// A gate that holds cold bursts back when `http2` is on, and does nothing otherwise.
    pub(crate) fn new(http2: bool) -> ColdStart {
        ColdStart {
            enabled: http2,
            hosts: Mutex::default(),
        }
    }

    /// The gate of `url`'s origin, or `None` when there is nothing to wait for: HTTP/2 is off,
    /// or the URL is plain http (loopback only), which never negotiates HTTP/2. A known origin
    /// is looked up without an allocation.
    pub(crate) fn gate_for(&self, url: &url::Url) -> Option<Arc<Host>> {
        if !self.enabled || url.scheme() != "https" {
            return None;
        }
        Some(self.host(&url[..url::Position::BeforePath]))
    }
}

/// Sends `request`, through its host's gate when it has one: on a cold host, after the call
/// that warms it, waiting at most `wait` (and never more than [`WAIT_AT_MOST`]).
pub(crate) async fn send(
    gate: Option<Arc<Host>>,
    wait: Duration,
    request: reqwest::RequestBuilder,
) -> reqwest::Result<reqwest::Response> {
    let Some(host) = gate else {
        return request.send().await;
    };
    if host.is_warm() || host.http1.load(Ordering::Relaxed) {
        return host.answered(request.send().await);
    }
    let first = tokio::time::timeout(wait.min(WAIT_AT_MOST), host.gate.lock()).await;
    // Whoever held the gate before may have warmed the host: then go together.
    if host.is_warm() {
        drop(first);
    }
    host.answered(request.send().await)
}

impl ColdStart {
    fn host(&self, origin: &str) -> Arc<Host> {
        let mut hosts = self.hosts.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(host) = hosts.get(origin) {
            return host.clone();
        }
        if hosts.len() >= HOSTS_KEPT {
            hosts.retain(|_, h| h.is_warm());
        }
        hosts.entry(origin.to_string()).or_default().clone()
    }
}

impl Host {
    fn is_warm(&self) -> bool {
        self.warm_until.load(Ordering::Relaxed) > clock()
    }

    /// Notes an answer (the connection is up and pooled, and which protocol it speaks) or a
    /// failure to connect (there is no connection to share). Other failures (a reset stream, a
    /// timeout) leave the connection's state as it was.
    fn answered(
        &self,
        result: reqwest::Result<reqwest::Response>,
    ) -> reqwest::Result<reqwest::Response> {
        match &result {
            Ok(res) => {
                let until = clock() + WARM_FOR.as_millis() as u64;
                self.warm_until.store(until, Ordering::Relaxed);
                if res.version() < http::Version::HTTP_2 {
                    self.http1.store(true, Ordering::Relaxed);
                }
            }
            Err(e) if e.is_connect() => self.warm_until.store(0, Ordering::Relaxed),
            Err(_) => {}
        }
        result
    }
}
