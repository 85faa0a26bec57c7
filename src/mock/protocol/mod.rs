//! Layer 1 of the emulator: the protocols.

pub(crate) mod v2;
pub(crate) mod v3;
