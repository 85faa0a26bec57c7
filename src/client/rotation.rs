//! Key rotation that never stalls: an answer naming a serial the client does not hold triggers
//! one certificate download shared by every concurrent caller (single flight), at most once a
//! minute, then one re-verification; and a background refresher that downloads at once, then on
//! its interval, reports every failure, and serves many merchants' clients from one task.

use crate::client::{Client, Inner};
use crate::error::{Error, Result};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant, SystemTime};
use tokio::sync::watch;

/// The shortest time between two downloads triggered by unknown serials: a forged serial in
/// every answer cannot turn the client into a flood of `v3/certificates` calls.
pub(crate) const MIN_INTERVAL: Duration = Duration::from_secs(60);

/// Serialises unknown-serial downloads: the first caller downloads while the others wait, then
/// they all find the new key (or the recent attempt) and do not download again.
#[derive(Default)]
pub(crate) struct RefreshGate {
    last: tokio::sync::Mutex<Option<Instant>>,
}

/// Makes sure the keyring holds `serial` if WeChat Pay lists it: true when it now does.
pub(crate) async fn refresh_for(inner: &Inner, serial: &str) -> bool {
    if inner.apiv3_key.is_none() || serial.is_empty() {
        return false;
    }
    let mut last = inner.refresh_gate.last.lock().await;
    if inner.keyring.contains(serial) {
        return true;
    }
    if last.is_some_and(|t| t.elapsed() < MIN_INTERVAL) {
        return false;
    }
    *last = Some(Instant::now());
    let result = crate::keys::certificates::download(inner).await;
    crate::exchange::trace::rotation(&inner.mchid, serial, result.as_ref().err());
    result.is_ok() && inner.keyring.contains(serial)
}

/// What the background refresher has done so far.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RefreshStatus {
    /// Completed rounds (one download per live client each).
    pub rounds: u64,
    /// Downloads that failed, over all rounds.
    pub failures: u64,
    /// The latest failure, `mchid: error`; cleared by the next round without one.
    pub last_error: Option<String>,
    /// When the latest round without a failure ended.
    pub last_success: Option<SystemTime>,
}

/// A background task that keeps the platform certificates of one or many clients fresh.
///
/// It downloads at once, then every `interval`; a failure keeps the keys already held and is
/// reported ([`status`](Self::status), [`subscribe`](Self::subscribe), and a tracing event with
/// the `tracing` feature). It stops when this handle is dropped or when every client it serves
/// is gone.
///
/// ```no_run
/// # async fn run(a: wechatpay::Client, b: wechatpay::Client) -> wechatpay::Result<()> {
/// use std::time::Duration;
/// let refresher = wechatpay::CertificateRefresher::spawn([&a, &b], Duration::from_secs(12 * 3600))?;
/// let mut updates = refresher.subscribe();
/// updates.changed().await.ok();
/// if let Some(e) = &refresher.status().last_error {
///     eprintln!("certificate refresh failed: {e}");
/// }
/// # Ok(()) }
/// ```
pub struct CertificateRefresher {
    task: tokio::task::JoinHandle<()>,
    status: watch::Receiver<RefreshStatus>,
}

impl CertificateRefresher {
    /// Starts the task on the current tokio runtime; outside one it is an error, not a panic.
    pub fn spawn<'a>(
        clients: impl IntoIterator<Item = &'a Client>,
        interval: Duration,
    ) -> Result<CertificateRefresher> {
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| {
            Error::NotConfigured(
                "the certificate refresher runs on a tokio runtime: start it from within one"
                    .into(),
            )
        })?;
        if interval.is_zero() {
            return Err(Error::argument("interval", "must be longer than zero"));
        }
        let mut weak: Vec<Weak<Inner>> = Vec::new();
        for client in clients {
            if client.inner.apiv3_key.is_none() {
                return Err(Error::NotConfigured(format!(
                    "merchant {}: refreshing certificates needs the APIv3 key (ClientBuilder::apiv3_key)",
                    client.inner.mchid
                )));
            }
            weak.push(Arc::downgrade(&client.inner));
        }
        let (tx, rx) = watch::channel(RefreshStatus::default());
        let task = runtime.spawn(run(weak, interval, tx));
        Ok(CertificateRefresher { task, status: rx })
    }

    /// The latest status.
    pub fn status(&self) -> RefreshStatus {
        self.status.borrow().clone()
    }

    /// A receiver that wakes after every round.
    pub fn subscribe(&self) -> watch::Receiver<RefreshStatus> {
        self.status.clone()
    }

    /// True once the task has ended (every client dropped).
    pub fn is_finished(&self) -> bool {
        self.task.is_finished()
    }
}

impl Drop for CertificateRefresher {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl std::fmt::Debug for CertificateRefresher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CertificateRefresher")
            .field("status", &*self.status.borrow())
            .finish_non_exhaustive()
    }
}

async fn run(clients: Vec<Weak<Inner>>, interval: Duration, tx: watch::Sender<RefreshStatus>) {
    loop {
        let mut live = 0;
        let mut status = tx.borrow().clone();
        let mut error = None;
        for weak in &clients {
            let Some(inner) = weak.upgrade() else {
                continue;
            };
            live += 1;
            if let Err(e) = crate::keys::certificates::download(&inner).await {
                crate::exchange::trace::refresh_failed(&inner.mchid, &e);
                status.failures += 1;
                error = Some(format!("{}: {e}", inner.mchid));
            }
        }
        if live == 0 {
            break;
        }
        status.rounds += 1;
        if error.is_none() {
            status.last_success = Some(SystemTime::now());
        }
        status.last_error = error;
        if tx.send(status).is_err() {
            break;
        }
        tokio::time::sleep(interval).await;
    }
}

impl Client {
    /// Keeps this client's platform certificates fresh in the background: see
    /// [`CertificateRefresher`]. The first download starts at once.
    ///
    /// ```no_run
    /// # async fn run(client: wechatpay::Client) -> wechatpay::Result<()> {
    /// let refresher = client.spawn_certificate_refresh(std::time::Duration::from_secs(12 * 3600))?;
    /// # drop(refresher);
    /// # Ok(()) }
    /// ```
    pub fn spawn_certificate_refresh(&self, interval: Duration) -> Result<CertificateRefresher> {
        CertificateRefresher::spawn([self], interval)
    }
}
