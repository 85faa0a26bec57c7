//! [`Server`]: the running emulator's handle.

use super::journal::Recorded;
use super::shared::Shared;
use crate::builder::ClientBuilder;
use crate::error::Result;
use crate::mock::protocol::faults::Fault;
use crate::mock::protocol::keys::MerchantEntry;
use crate::mock::protocol::keys::{Keys, Merchant, Mode};
use crate::mock::protocol::notification;
use crate::mock::state::notify;
use crate::mock::surface::answers::Answer;
use crate::mock::surface::answers::Script;
use crate::mock::surface::routes::Pattern;
use http::{HeaderMap, StatusCode};
use serde_json::Value;
use std::sync::Arc;
use tokio::task::JoinHandle;

/// A running emulator; it stops when dropped (see also [`Server::shutdown`]).
pub struct Server {
    pub(crate) shared: Arc<Shared>,
    pub(crate) url: String,
    pub(crate) ca_pem: String,
    pub(crate) first_mchid: String,
    pub(crate) task: Option<JoinHandle<()>>,
    /// Auto-payments and notification deliveries.
    pub(crate) worker: Option<JoinHandle<()>>,
    /// The dashboard's listener.
    pub(crate) dashboard: Option<JoinHandle<()>>,
    pub(crate) stop: tokio::sync::watch::Sender<bool>,
}

impl Drop for Server {
    fn drop(&mut self) {
        // Aborting the accept task drops its set of connection tasks, which aborts them too.
        if let Some(task) = &self.task {
            task.abort();
        }
        if let Some(worker) = &self.worker {
            worker.abort();
        }
        if let Some(dashboard) = &self.dashboard {
            dashboard.abort();
        }
    }
}

impl Server {
    fn keys(&self) -> &Keys {
        &self.shared.state.keys
    }
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("url", &self.url)
            .field("public_key_id", &self.keys().public_key_id)
            .finish_non_exhaustive()
    }
}

impl Server {
    /// Base URI (`https://127.0.0.1:PORT/`).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The CA that signed the server and merchant certificates (PEM): trust it in the client.
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    /// The `PUB_KEY_ID_…` of the WeChat Pay public key.
    pub fn public_key_id(&self) -> &str {
        &self.keys().public_key_id
    }

    /// The WeChat Pay public key (SPKI PEM).
    pub fn public_key_pem(&self) -> String {
        self.keys().platform_key.public_key().to_pem()
    }

    /// The platform certificate (PEM), over a key of its own, for certificate and both modes.
    pub fn platform_certificate_pem(&self) -> &str {
        &self.keys().platform_cert_pem
    }

    /// The platform certificate's serial.
    pub fn platform_serial(&self) -> &str {
        &self.keys().platform_serial
    }

    /// The first merchant (the generated one unless others were given).
    pub fn merchant(&self) -> &Merchant {
        self.merchant_by_id(&self.first_mchid)
            .expect("the emulator knows at least one merchant")
    }

    /// A merchant by mchid.
    pub fn merchant_by_id(&self, mchid: &str) -> Option<&Merchant> {
        self.keys().merchants.get(mchid).map(|e| &e.merchant)
    }

    /// The merchant's API certificate (PEM), its client certificate for mutual TLS.
    pub fn merchant_certificate_pem(&self) -> &str {
        &self.keys().merchants[&self.first_mchid].cert_pem
    }

    /// Which WeChat Pay keys the merchant has now ([`ServerBuilder::mode`](crate::mock::ServerBuilder::mode)).
    pub fn mode(&self) -> Mode {
        self.keys().mode.get()
    }

    /// Switches the key mode while the emulator runs (as `PUT /__emulator/mode` does): the
    /// next answer is signed, and `GET /v3/certificates` answered, as in the new mode.
    ///
    /// ```no_run
    /// # async fn run() -> wechatpay::Result<()> {
    /// use wechatpay::mock::{Mode, Server};
    /// let server = Server::start().await?;
    /// server.set_mode(Mode::Both); // the merchant starts switching to the public key
    /// assert_eq!(server.mode(), Mode::Both);
    /// # Ok(()) }
    /// ```
    pub fn set_mode(&self, mode: Mode) {
        self.keys().mode.set(mode);
    }

    /// A client builder with everything set for the first merchant: ids, keys, secrets, the
    /// emulator's base URI and CA, the mTLS identity, and the WeChat Pay keys of the server's
    /// mode when it was called: the public key, the platform certificate too in
    /// [`Mode::Both`], none in [`Mode::Certificate`] (call `download_certificates`).
    pub fn client_builder(&self) -> ClientBuilder {
        self.entry_builder(&self.keys().merchants[&self.first_mchid])
    }

    /// [`Server::client_builder`] for another merchant the emulator knows.
    pub fn client_builder_for(&self, mchid: &str) -> Option<ClientBuilder> {
        self.shared
            .state
            .keys
            .merchants
            .get(mchid)
            .map(|e| self.entry_builder(e))
    }

    fn entry_builder(&self, entry: &MerchantEntry) -> ClientBuilder {
        #[cfg(feature = "shangmi")]
        if let Some(b) = self.shangmi_builder(entry) {
            return b;
        }
        let m = &entry.merchant;
        let mut b = ClientBuilder::new()
            .mchid(&m.mchid)
            .serial(&m.serial)
            .private_key(m.private_key_pem.as_bytes())
            .apiv2_secret(m.apiv2_secret.as_str())
            .apiv3_key(m.apiv3_key.as_bytes())
            .merchant_identity(&entry.cert_pem, m.private_key_pem.as_bytes())
            .base_uri(&self.url)
            .add_root_certificate(&self.ca_pem);
        let mode = self.mode();
        if mode.has_public_key() {
            b = b.public_key(&self.keys().public_key_id, self.public_key_pem());
        }
        if mode == Mode::Both {
            b = b.platform_certificate(&self.keys().platform_cert_pem);
        }
        b
    }

    /// Scripts the answer to `method` on `template`, written as the client writes it
    /// (`v3/pay/transactions/id/{transaction_id}`, `v2/pay/orderquery`; `{name}` matches one
    /// non-empty segment). The latest script for a route wins; it is answered after the request
    /// passed the protocol checks, so a scripted route still refuses badly signed calls. The
    /// documented field checks are the default answer's, and a script replaces them: any
    /// well-signed request gets it.
    pub fn on(&self, method: &str, template: &str, answer: Answer) {
        self.on_sequence(method, template, vec![answer]);
    }

    /// Scripts a sequence of answers to `method` on `template`: the first request gets the
    /// first answer, and so on; the last one repeats. For retry tests: `[500, 500, 200]`.
    ///
    /// # Panics
    ///
    /// If `answers` is empty.
    pub fn on_sequence(&self, method: &str, template: &str, answers: Vec<Answer>) {
        assert!(!answers.is_empty(), "a sequence needs at least one answer");
        let mut scripts = self
            .shared
            .state
            .scripts
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        scripts.insert(
            0,
            Script {
                pattern: Pattern::new(method, template),
                answers,
                served: 0,
            },
        );
    }

    /// Switches a fault on.
    pub fn fault(&self, fault: Fault) {
        self.shared
            .state
            .faults
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(fault);
    }

    /// Switches every fault off.
    pub fn clear_faults(&self) {
        self.shared
            .state
            .faults
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    /// Every request received so far, oldest first (the latest 10,000).
    pub fn journal(&self) -> Vec<Recorded> {
        self.shared
            .journal
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Empties the journal.
    pub fn clear_journal(&self) {
        self.shared
            .journal
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    /// Decrypts a sensitive field the client encrypted for WeChat Pay (RSA-OAEP under the
    /// WeChat Pay public key or the platform certificate's key, whichever opens it); read the
    /// ciphertext from [`Recorded::body`].
    pub fn decrypt(&self, ciphertext_b64: &str) -> Result<String> {
        #[cfg(feature = "shangmi")]
        if let Some(sm) = &self.keys().shangmi {
            return crate::crypto::sm::decrypt_sensitive_sm2(&sm.platform_key, ciphertext_b64);
        }
        let keys = self.keys();
        crate::crypto::decrypt_sensitive(&keys.platform_key, ciphertext_b64)
            .or_else(|_| crate::crypto::decrypt_sensitive(&keys.certificate_key, ciphertext_b64))
    }

    /// A notification (callback) as WeChat Pay would send it to the first merchant, without
    /// sending it: the signed `Wechatpay-*` headers and the JSON envelope whose `resource` is
    /// `resource` encrypted with AES-256-GCM under the merchant's APIv3 key. The signature
    /// faults ([`Fault::BadSignature`], [`Fault::WrongSerial`], [`Fault::SkewedClock`]) apply.
    pub fn notification(&self, event_type: &str, resource: &Value) -> Result<(HeaderMap, Vec<u8>)> {
        let faults = self.shared.state.faults();
        notification::build(
            self.keys(),
            &faults,
            &self.first_mchid,
            event_type,
            resource,
        )
    }

    /// POSTs a notification (see [`Server::notification`]) to `url`, which must be an
    /// `http(s)://127.0.0.1…` or `[::1]` address (the emulator never calls out), and returns the
    /// handler's HTTP status.
    pub async fn notify(
        &self,
        url: &str,
        event_type: &str,
        resource: &Value,
    ) -> Result<StatusCode> {
        notify::send(
            self.shared.state.clone(),
            self.first_mchid.clone(),
            url.to_string(),
            event_type.to_string(),
            resource.clone(),
        )
        .await
    }

    /// How many TCP connections the emulator has accepted so far: a client that opens one per
    /// request of a cold burst shows here.
    pub fn connections(&self) -> usize {
        self.shared
            .connections
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Stops accepting connections, lets the requests in flight finish (for up to 5 s), then
    /// closes every connection. Dropping the server stops it at once instead.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}
