//! The blocking twin of the async client (feature `blocking`): the same chain, verbs that wait.
//!
//! A call runs on the calling thread: signing, verification and JSON are done there, while the
//! client's own small runtime (one worker thread) drives the sockets and timers. So N threads
//! sharing one blocking client sign on N cores. Called from inside another runtime's worker
//! (where blocking the thread is not allowed), the call is handed to the client's runtime and
//! waited for instead. Its connections live on that runtime.
//!
//! May use: the client and what it is made of (`client`, `exchange::transport`, `answer`,
//! `request`); nothing imports it.

use crate::answer::response::Response;
use crate::error::{Error, Result};
use crate::request::prepared::PreparedRequest;
use http::Method;
use serde_json::Value;
use std::future::Future;
use std::sync::Arc;

struct Runtime(Option<tokio::runtime::Runtime>);

impl Drop for Runtime {
    fn drop(&mut self) {
        let Some(rt) = self.0.take() else { return };
        if tokio::runtime::Handle::try_current().is_ok() {
            // A waiting drop panics inside another runtime; this never does.
            rt.shutdown_background();
        } else {
            // Let the worker close its connections before the process may exit, rather than
            // be cut off in the middle of TLS work.
            rt.shutdown_timeout(std::time::Duration::from_secs(1));
        }
    }
}

impl Runtime {
    fn block_on<T: Send + 'static>(
        &self,
        fut: impl Future<Output = Result<T>> + Send + 'static,
    ) -> Result<T> {
        let rt = self.0.as_ref().expect("runtime lives until drop");
        if tokio::runtime::Handle::try_current().is_err() {
            // On a multi-thread runtime, `Handle::block_on` polls the future on this thread
            // while the runtime's worker drives the I/O: the CPU work stays with the caller.
            return rt.handle().block_on(fut);
        }
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        rt.spawn(async move {
            use futures_util::FutureExt as _;
            // A panic in the call (a caller's progress callback, say) comes back to the caller
            // as the panic it is, as on the direct path above: never as an error claiming that
            // nothing was sent.
            let _ = tx.send(std::panic::AssertUnwindSafe(fut).catch_unwind().await);
        });
        match rx.recv() {
            Ok(Ok(result)) => result,
            Ok(Err(panic)) => std::panic::resume_unwind(panic),
            // The task was dropped unpolled or mid-way by a runtime shutting down: it may have
            // been sent, so the error must not be one of the "nothing sent" kinds.
            Err(_) => Err(Error::Limit {
                limit: "timeout",
                reason: "the blocking client's runtime stopped during the call; it may have reached WeChat Pay".into(),
            }),
        }
    }
}

/// A blocking client: `wechatpay::blocking::Client::from(async_client)`.
///
/// ```no_run
/// # fn run(async_client: wechatpay::Client) -> wechatpay::Result<()> {
/// use serde_json::json;
/// let client = wechatpay::blocking::Client::from(async_client);
/// let res = client
///     .chain("v3/payscore/serviceorder/{out_order_no}/cancel")
///     .post(json!({ "out_order_no": "1234323JKHDFE1243252", "json": { "reason": "用户投诉" } }))?;
/// println!("{}", res.status());
/// # Ok(()) }
/// ```
pub struct Client {
    inner: crate::Client,
    rt: Arc<Runtime>,
    index: elsa::sync::FrozenMap<String, Box<Chain>>,
}

impl Clone for Client {
    fn clone(&self) -> Self {
        Client {
            inner: self.inner.clone(),
            rt: self.rt.clone(),
            index: elsa::sync::FrozenMap::new(),
        }
    }
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("blocking::Client")
            .field(&self.inner)
            .finish()
    }
}

/// # Panics
///
/// If the operating system refuses the runtime's worker thread.
impl From<crate::Client> for Client {
    fn from(client: crate::Client) -> Self {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("wechatpay-blocking")
            .enable_all()
            .build()
            .expect("the OS refused a thread for the blocking client's runtime");
        // Connections are bound to the runtime that opened them: give this runtime its own pool.
        let mut context = (*client.context).clone();
        if let Ok(transport) = context
            .exchange
            .transport
            .new_pools(&context.exchange.config)
        {
            context.exchange.transport = transport;
        }
        // Each calling thread signs its own calls: a pool would cap them at its thread count.
        context.exchange.signing_pool = None;
        Client {
            inner: crate::Client::from_context(Arc::new(context)),
            rt: Arc::new(Runtime(Some(rt))),
            index: elsa::sync::FrozenMap::new(),
        }
    }
}

impl Client {
    /// The async client underneath (shares keys, not connections).
    pub fn as_async(&self) -> &crate::Client {
        &self.inner
    }

    /// An empty chain.
    pub fn root(&self) -> Chain {
        Chain {
            chain: self.inner.root(),
            rt: self.rt.clone(),
        }
    }

    /// A chain from one normalised segment.
    pub fn seg(&self, segment: &str) -> Chain {
        self.root().seg(segment)
    }

    /// The chain `v3`.
    pub fn v3(&self) -> Chain {
        self.seg("v3")
    }

    /// The chain `v2`.
    pub fn v2(&self) -> Chain {
        self.seg("v2")
    }

    /// A chain from a literal URI template.
    pub fn chain(&self, template: &str) -> Chain {
        self.root().chain(template)
    }

    /// Downloads platform certificates into the keyring (see [`crate::Client::download_certificates`]).
    pub fn download_certificates(&self) -> Result<Vec<crate::keys::crypto::Certificate>> {
        let client = self.inner.clone();
        self.rt
            .block_on(async move { client.download_certificates().await })
    }
}

impl std::ops::Index<&str> for Client {
    type Output = Chain;

    fn index(&self, template: &str) -> &Chain {
        crate::client::cached(&self.index, template, || self.chain(template))
    }
}

/// A blocking chain: the same path rules, verbs that wait for the verified answer.
#[derive(Clone)]
pub struct Chain {
    chain: crate::Chain,
    rt: Arc<Runtime>,
}

impl std::fmt::Debug for Chain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("blocking::Chain")
            .field(&self.chain.template())
            .finish()
    }
}

impl Chain {
    /// Appends one normalised segment.
    pub fn seg(self, segment: &str) -> Chain {
        Chain {
            chain: self.chain.seg(segment),
            rt: self.rt,
        }
    }

    /// Appends a literal template.
    pub fn chain(self, template: &str) -> Chain {
        Chain {
            chain: self.chain.chain(template),
            rt: self.rt,
        }
    }

    /// The URI template built so far.
    pub fn template(&self) -> &str {
        self.chain.template()
    }

    /// Builds and signs the request without sending it.
    pub fn prepare(&self, method: Method, args: Value) -> Result<PreparedRequest> {
        self.chain.prepare(method, args)
    }

    /// Sends the call with any method.
    pub fn request(&self, method: Method, args: Value) -> Result<Response> {
        let chain = self.chain.clone();
        self.rt
            .block_on(async move { chain.request(method, args).await })
    }

    /// `POST`s a media upload (see [`crate::Chain::upload`]).
    pub fn upload(&self, media: &crate::Media, args: Value) -> Result<Response> {
        let chain = self.chain.clone();
        let media = media.clone();
        self.rt
            .block_on(async move { chain.upload(&media, args).await })
    }

    /// `GET`.
    pub fn get(&self, args: Value) -> Result<Response> {
        self.request(Method::GET, args)
    }

    /// `POST`.
    pub fn post(&self, args: Value) -> Result<Response> {
        self.request(Method::POST, args)
    }

    /// `PUT`.
    pub fn put(&self, args: Value) -> Result<Response> {
        self.request(Method::PUT, args)
    }

    /// `PATCH`.
    pub fn patch(&self, args: Value) -> Result<Response> {
        self.request(Method::PATCH, args)
    }

    /// `DELETE`.
    pub fn delete(&self, args: Value) -> Result<Response> {
        self.request(Method::DELETE, args)
    }
}

impl crate::ChainStart for Client {
    type Chain = Chain;
    fn chain_start(&self) -> Chain {
        self.root()
    }
}

impl crate::ChainStart for Chain {
    type Chain = Chain;
    fn chain_start(&self) -> Chain {
        self.clone()
    }
}

#[cfg(test)]
mod tests {
    use crate::exchange::tls::tests::BUILT;
    use std::cell::Cell;

    const CERT: &str = include_str!("../../tests/fixtures/client/merchant_cert.pem");
    const KEY: &str = include_str!("../../tests/fixtures/client/merchant_key.pem");

    #[test]
    fn the_blocking_twin_reuses_its_clients_verifier() {
        let client = crate::Client::builder()
            .mchid("1900000001")
            .merchant_identity(CERT, KEY)
            .build()
            .unwrap();
        BUILT.with(|n| n.set(0));
        let blocking = super::Client::from(client);
        assert_eq!(
            BUILT.with(Cell::get),
            0,
            "the twin built a verifier of its own"
        );
        let transport = &blocking.as_async().context.exchange.transport;
        assert!(transport.client(true).is_ok());
    }
}
