//! The emulator for blocking code: a [`Server`] on a runtime of its own, on a background thread.

use super::builder::ServerBuilder;
use super::server::Server;
use crate::error::{Error, Result};
use crate::mock::state::notify;
use http::StatusCode;
use serde_json::Value;
use std::sync::mpsc;

/// A running emulator for blocking code, from [`Server::start_blocking`]. It dereferences to the
/// [`Server`], so every accessor (`url`, `client_builder`, `on`, `fault`, `journal`…) is there;
/// [`BlockingServer::notify`] and [`BlockingServer::shutdown`] are the blocking forms of the
/// async ones. It stops when dropped.
pub struct BlockingServer {
    // Dropped first (see `Drop`): aborts the emulator's tasks while its runtime still runs.
    server: Option<Server>,
    handle: tokio::runtime::Handle,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl BlockingServer {
    pub(crate) fn start(builder: ServerBuilder) -> Result<BlockingServer> {
        let (started_tx, started_rx) = mpsc::channel();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("wechatpay-mock".into())
            .spawn(move || {
                let rt = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(e) => {
                        let _ = started_tx.send(Err(Error::NotConfigured(format!(
                            "the emulator's runtime: {e}"
                        ))));
                        return;
                    }
                };
                rt.block_on(async move {
                    let started = builder
                        .start()
                        .await
                        .map(|s| (s, tokio::runtime::Handle::current()));
                    let ok = started.is_ok();
                    if started_tx.send(started).is_ok() && ok {
                        // Drive the emulator's tasks until the handle is dropped.
                        let _ = stopped.await;
                    }
                });
            })
            .map_err(|e| Error::NotConfigured(format!("the emulator's thread: {e}")))?;
        let (server, handle) = started_rx.recv().map_err(|_| {
            Error::NotConfigured("the emulator's thread stopped before it started".into())
        })??;
        Ok(BlockingServer {
            server: Some(server),
            handle,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    fn server(&self) -> &Server {
        // Only `shutdown` and `drop` take it, and both consume the handle.
        self.server
            .as_ref()
            .expect("the emulator is present until shutdown")
    }

    /// [`Server::notify`], blocking.
    pub fn notify(&self, url: &str, event_type: &str, resource: &Value) -> Result<StatusCode> {
        let s = self.server();
        let task = notify::send(
            s.shared.state.clone(),
            s.first_mchid.clone(),
            url.to_string(),
            event_type.to_string(),
            resource.clone(),
        );
        self.run(task)?
    }

    /// [`Server::shutdown`], blocking: waits for the requests in flight (up to 5 s).
    pub fn shutdown(mut self) {
        if let Some(server) = self.server.take() {
            let _ = self.run(server.shutdown());
        }
    }

    /// Runs `task` on the emulator's runtime and waits for it.
    fn run<T: Send + 'static>(
        &self,
        task: impl std::future::Future<Output = T> + Send + 'static,
    ) -> Result<T> {
        let (tx, rx) = mpsc::channel();
        self.handle.spawn(async move {
            let _ = tx.send(task.await);
        });
        rx.recv()
            .map_err(|_| Error::NotConfigured("the emulator's runtime has stopped".into()))
    }
}

impl std::ops::Deref for BlockingServer {
    type Target = Server;

    fn deref(&self) -> &Server {
        self.server()
    }
}

impl std::fmt::Debug for BlockingServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.server {
            Some(s) => s.fmt(f),
            None => f.write_str("BlockingServer(stopped)"),
        }
    }
}

impl Drop for BlockingServer {
    fn drop(&mut self) {
        drop(self.server.take());
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            // The thread ends as soon as `stop` is dropped; never wait on ourselves.
            if thread.thread().id() != std::thread::current().id() {
                let _ = thread.join();
            }
        }
    }
}

impl Server {
    /// [`Server::start`] for blocking code: the emulator runs on its own runtime on a
    /// background thread.
    ///
    /// ```no_run
    /// # #[cfg(feature = "blocking")]
    /// # fn run() -> wechatpay::Result<()> {
    /// let server = wechatpay::mock::Server::start_blocking()?;
    /// let client = wechatpay::blocking::Client::from(server.client_builder().build()?);
    /// let res = client.chain("v3/certificates").get(serde_json::json!({}))?;
    /// assert_eq!(res.status(), 200);
    /// # Ok(()) }
    /// ```
    pub fn start_blocking() -> Result<BlockingServer> {
        Server::builder().start_blocking()
    }
}

impl ServerBuilder {
    /// Starts the emulator on a runtime of its own, on a background thread, for blocking code
    /// (no tokio runtime needed by the caller).
    pub fn start_blocking(self) -> Result<BlockingServer> {
        BlockingServer::start(self)
    }
}
