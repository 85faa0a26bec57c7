//! Stage 2 of a call, the HTTP exchange: the attempt loop, the transports and their connection
//! strategy, the proxy rule, the limits enforced while bytes move, the signing pool, tracing, and
//! `send`, which takes a prepared request to a verified answer.
//!
//! It reads the client through a [`Sender`]: the transport, the policies, the keyring, the APIv2
//! secret. May use: `util`, `error`, `policy`, `keys`, `protocol`, `answer`, `request`. Never the
//! client: what it needs from it reaches it as a closure (the attempt loop's `make`, which
//! prepares and signs each attempt) or a trait object ([`Refresh`], the certificate download an
//! unknown serial sets off, implemented in `client::rotation`).

pub(crate) mod attempts;
pub(crate) mod connection;
pub(crate) mod download;
pub(crate) mod limits;
pub(crate) mod proxy;
pub(crate) mod send;
pub(crate) mod signing_pool;
pub(crate) mod tls;
pub(crate) mod trace;
pub(crate) mod transport;

use crate::keys::keyring::Keyring;
use crate::policy::Policies;
use signing_pool::SigningPool;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use transport::{Transport, TransportConfig};

/// A client's transport: its connection pools, what they were built from, its signing pool.
#[derive(Clone)]
pub(crate) struct Exchange {
    pub transport: Transport,
    /// Kept so the blocking twin can build a connection pool of its own.
    #[cfg_attr(not(feature = "blocking"), allow(dead_code))]
    pub config: TransportConfig,
    /// Threads that prepare and sign calls, when the caller asked for them.
    pub signing_pool: Option<Arc<SigningPool>>,
}

/// Fetches WeChat Pay's certificates when an answer names a serial the keyring lacks. The client
/// implements it (a download is a call of its own: prepared, signed, sent); `send` only asks.
pub(crate) trait Refresh: Sync {
    /// Makes sure the keyring holds `serial` if WeChat Pay lists it: true when it now does.
    fn refresh<'a>(&'a self, serial: &'a str) -> Pin<Box<dyn Future<Output = bool> + Send + 'a>>;
}

/// The parts of a client that sending a call reads, borrowed for the call.
#[derive(Clone, Copy)]
pub(crate) struct Sender<'a> {
    pub transport: &'a Transport,
    pub policies: &'a Policies,
    /// Verifies every APIv3 answer.
    pub keyring: &'a Keyring,
    /// Checks the `sign` of APIv2 answers.
    pub apiv2_secret: Option<&'a str>,
    /// Asked when an APIv3 answer names a serial the keyring lacks.
    pub refresh: &'a dyn Refresh,
    /// Named in the call's tracing span.
    #[cfg_attr(not(feature = "tracing"), allow(dead_code))]
    pub mchid: &'a str,
}
