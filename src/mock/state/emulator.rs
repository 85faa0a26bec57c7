//! The emulator's state below its front: what the checks, the surface and the flows share.

use super::store::Flows;
use crate::mock::protocol::faults::Fault;
use crate::mock::protocol::keys::Keys;
use crate::mock::surface::answers::Script;
use crate::mock::surface::routes::Route;
use std::collections::HashSet;
use std::sync::Mutex;

/// Keys, routes and scripts, the flows' memory, and the faults switched on (the notifications
/// the worker sends carry the signature faults too, so the faults live here, not in the front).
pub(crate) struct State {
    pub keys: Keys,
    /// The brands, for the brand API (`protocol/brand.rs`).
    pub brands: crate::mock::protocol::brand::Brands,
    pub routes: Vec<Route>,
    pub scripts: Mutex<Vec<Script>>,
    pub faults: Mutex<HashSet<Fault>>,
    pub flows: Flows,
}

impl State {
    /// The faults switched on now.
    pub(crate) fn faults(&self) -> HashSet<Fault> {
        self.faults
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}
