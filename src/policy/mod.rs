//! The client's policies, as values: where a request may go (`hosts`), how long a call may take
//! and how much it may bring back (`limits`), when a failed call is sent again (`retry`).
//!
//! May use: `util`, `error`. Set on the builder and, per call, by the request stage (a call's
//! own options); enforced by the request stage (the outbound target rule) and the exchange.

pub(crate) mod hosts;
pub(crate) mod limits;
pub(crate) mod retry;
