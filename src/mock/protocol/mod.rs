//! Layer 1 of the emulator: the protocols.

pub(crate) mod call;
pub(crate) mod faults;
pub(crate) mod keys;
pub(crate) mod multipart;
pub(crate) mod notification;
pub(crate) mod v2;
pub(crate) mod v3;
