//! Layer 2 of the emulator: the documented surface.

pub(crate) mod answers;
pub(crate) mod checks;
pub(crate) mod documented;
pub(crate) mod request;
pub(crate) mod routes;
pub(crate) mod synth;
