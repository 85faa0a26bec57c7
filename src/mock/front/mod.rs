//! Layer 4 of the emulator, the front: what listens, and the handles a test holds.
//!
//! - `service.rs`: the TLS listener and the hyper service (journal, faults, signed answers);
//!   `tls.rs`: the CA and the certificates it issues.
//! - `server.rs`, `builder.rs`, `blocking.rs`: [`Server`](crate::mock::Server),
//!   [`ServerBuilder`](crate::mock::ServerBuilder), [`BlockingServer`](crate::mock::BlockingServer).
//! - `brand.rs`: the server's brand API methods (brands, a brand client builder, brand
//!   notifications).
//! - `admin.rs`: the admin API under `/__emulator/` and the server's methods over the flows;
//!   `dashboard/`: the dashboard on its own port, and who may use the admin API (`guard.rs`);
//!   `modes.rs`: the key mode over it; `exports.rs`: the `export` lines of `wechatpay mock`;
//!   `notifications.rs`: any documented notification on demand (admin API and methods).
//! - `fast.rs`: fast mode; `chaos/`: chaos mode; `journal.rs`: the journal's records;
//!   `shared.rs`: what the listener and the handles share.
//!
//! It may use every layer below it; nothing below imports it.

pub(crate) mod admin;
pub(crate) mod blocking;
pub(crate) mod brand;
pub(crate) mod builder;
pub(crate) mod chaos;
pub(crate) mod dashboard;
pub(crate) mod exports;
pub(crate) mod fast;
pub(crate) mod journal;
pub(crate) mod modes;
pub(crate) mod notifications;
pub(crate) mod server;
pub(crate) mod service;
#[cfg(feature = "shangmi")]
pub(crate) mod shangmi;
pub(crate) mod shared;
pub(crate) mod tls;
