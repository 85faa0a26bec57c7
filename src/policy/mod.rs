//! The client's policies, as values: when a failed call is sent again ([`Retry`](retry::Retry)).
//!
//! May use: `util`, `error`. Parsed by the builder and by the request stage (a call's own
//! options), applied by the exchange.

pub(crate) mod retry;
