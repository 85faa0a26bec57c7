//! Key rotation that never stalls: an answer naming a serial the client does not hold triggers
//! one certificate download shared by every concurrent caller (single flight), at most once a
//! minute, then one re-verification; and a background refresher that downloads at once, then on
//! its interval, reports every failure, and serves many merchants' clients from one task.
//!
//! Here, with the client, because a download wires the stages together: the request is prepared
//! (`request`), sent (`exchange`), and its listing verified (`protocol::v3`) into the keyring
//! (`keys`). `send` reaches it through the [`Refresh`] trait, never by importing the client.

use crate::client::context::Context;
use crate::client::Client;
use crate::error::{Error, Result};
use crate::exchange::Refresh;
use crate::keys::crypto::Certificate;
use crate::util::unix_now;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant, SystemTime};
use tokio::sync::watch;

/// The shortest time between two downloads triggered by unknown serials: a forged serial in
/// every answer cannot turn the client into a flood of `v3/certificates` calls.
pub(crate) const MIN_INTERVAL: Duration = Duration::from_secs(60);

/// Makes sure the keyring holds `serial` if WeChat Pay lists it: true when it now does. The
/// trust store's gate lets one download run at a time (see `keys::RefreshGate`).
pub(crate) async fn refresh_for(context: &Context, serial: &str) -> bool {
    if context.identity.apiv3_key.is_none() || serial.is_empty() {
        return false;
    }
    // The listing holds platform certificates only: it never names a public key, and a
    // public-key client is answered with the key its requests name, so for either an unknown
    // serial is a forgery or a misconfiguration, not a rotation.
    if serial.starts_with("PUB_KEY_ID_") || context.trust.keyring.is_public_key_only() {
        return false;
    }
    let trust = &context.trust;
    let mut last = trust.refresh_gate.last.lock().await;
    if trust.keyring.contains(serial) {
        return true;
    }
    if last.is_some_and(|t| t.elapsed() < MIN_INTERVAL) {
        return false;
    }
    let result = download(context).await;
    // Counted when it ends, won or failed: a download cut short by its caller's deadline (the
    // future dropped above) leaves the minute unspent, so the next caller may try.
    *last = Some(Instant::now());
    crate::exchange::trace::rotation(&context.identity.id, serial, result.as_ref().err());
    result.is_ok() && trust.keyring.contains(serial)
}

impl Refresh for Context {
    fn refresh<'a>(&'a self, serial: &'a str) -> Pin<Box<dyn Future<Output = bool> + Send + 'a>> {
        Box::pin(refresh_for(self, serial))
    }
}

/// Downloads the platform certificates, verifies them and adds them to the keyring.
pub(crate) async fn download(context: &Context) -> Result<Vec<Certificate>> {
    let identity = &context.identity;
    // Said before anything is prepared: a brand has no certificates to download, which is
    // clearer than the path refusal `prepare` would give.
    if !identity.scheme.platform_certificates {
        return Err(no_certificates(identity));
    }
    let key = identity.apiv3_key.as_ref().ok_or_else(|| {
        Error::NotConfigured(
            "downloading platform certificates needs the APIv3 key: set ClientBuilder::apiv3_key"
                .into(),
        )
    })?;
    let prepared = context.prepare(
        http::Method::GET,
        "v3/certificates",
        &serde_json::Value::Null,
        None,
    )?;
    let res = crate::exchange::send::send_unverified(&context.sender(), prepared).await?;
    let keyring = &context.trust.keyring;
    let certs = crate::protocol::v3::verify_certificate_listing(
        keyring,
        key,
        &identity.id,
        unix_now(),
        res.headers(),
        res.body(),
    )?;
    for cert in &certs {
        keyring.insert_certificate(cert);
    }
    Ok(certs)
}

/// The refusal for an identity whose answers are verified with the WeChat Pay public key only.
fn no_certificates(identity: &crate::protocol::identity::Identity) -> Error {
    Error::NotConfigured(format!(
        "{} {}: its answers are verified with the WeChat Pay public key only; there are no platform certificates to refresh",
        identity.scheme.signer, identity.id
    ))
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
        let mut weak: Vec<Weak<Context>> = Vec::new();
        for client in clients {
            let identity = &client.context.identity;
            if !identity.scheme.platform_certificates {
                return Err(no_certificates(identity));
            }
            if identity.apiv3_key.is_none() {
                return Err(Error::NotConfigured(format!(
                    "merchant {}: refreshing certificates needs the APIv3 key (ClientBuilder::apiv3_key)",
                    identity.id
                )));
            }
            weak.push(Arc::downgrade(&client.context));
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

async fn run(clients: Vec<Weak<Context>>, interval: Duration, tx: watch::Sender<RefreshStatus>) {
    loop {
        let mut live = 0;
        let mut status = tx.borrow().clone();
        let mut error = None;
        for weak in &clients {
            let Some(context) = weak.upgrade() else {
                continue;
            };
            live += 1;
            if let Err(e) = download(&context).await {
                let mchid = &context.identity.id;
                crate::exchange::trace::refresh_failed(mchid, &e);
                status.failures += 1;
                error = Some(format!("{mchid}: {e}"));
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
    /// Downloads the platform certificates, verifies them and adds them to the keyring.
    ///
    /// Each certificate is decrypted with the APIv3 key, its serial must match the listing and it
    /// must be valid now; the answer must verify with a key already held or one it carries.
    ///
    /// ```no_run
    /// # async fn run(client: wechatpay::Client) -> wechatpay::Result<()> {
    /// for cert in client.download_certificates().await? {
    ///     println!("{} valid until {}", cert.serial_no(), cert.not_after());
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn download_certificates(&self) -> Result<Vec<Certificate>> {
        download(&self.context).await
    }

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
