//! Layer 3 of the emulator: state and flows.

pub(crate) mod bills;
pub(crate) mod deliver;
pub(crate) mod dispatch;
pub(crate) mod emulator;
pub(crate) mod flows;
pub(crate) mod flows_v2;
pub(crate) mod jobs;
pub(crate) mod notify;
pub(crate) mod orders;
pub(crate) mod refunds;
pub(crate) mod store;
