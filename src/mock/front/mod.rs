//! Layer 4 of the emulator: the front.

pub(crate) mod admin;
pub(crate) mod blocking;
pub(crate) mod builder;
pub(crate) mod chaos;
pub(crate) mod fast;
pub(crate) mod journal;
pub(crate) mod server;
pub(crate) mod service;
pub(crate) mod shared;
pub(crate) mod tls;
