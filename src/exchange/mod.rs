//! Stage 2 of a call, the HTTP exchange: the attempt loop, the transports and their connection
//! strategy, the proxy rule, the limits enforced while bytes move, the signing pool, tracing, and
//! `send`, which takes a prepared request to a verified answer.
//!
//! May use: `util`, `error`, `policy`, `keys`, `protocol`, `request`, `answer`. Never the client:
//! what it needs from the client (re-signing an attempt, fetching certificates for an unknown
//! serial) reaches it as a closure or a trait object.

pub(crate) mod attempts;
pub(crate) mod connection;
pub(crate) mod limits;
pub(crate) mod proxy;
pub(crate) mod send;
pub(crate) mod signing_pool;
pub(crate) mod trace;
pub(crate) mod transport;
