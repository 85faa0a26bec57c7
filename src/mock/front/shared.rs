//! What the listener, the admin API and the [`Server`](crate::mock::Server) handle share: the
//! state below the front, and the front's own parts (the journal, fast mode, the connection
//! count, chaos mode).

use super::chaos::draw::Slot;
use super::fast::FastAnswer;
use super::journal::Recorded;
use crate::mock::state::emulator::State;
use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, Mutex};

/// The state below the front, wrapped with the front's own parts.
pub(crate) struct Shared {
    /// Its own `Arc`: the notification worker holds it without the front.
    pub state: Arc<State>,
    pub journal: Mutex<Vec<Recorded>>,
    /// Set in fast mode: the one answer every request gets.
    pub fast: Option<FastAnswer>,
    /// TCP connections accepted so far (a cold burst should not open one per request).
    pub connections: AtomicUsize,
    /// Chaos mode ([`Server::chaos`](crate::mock::Server::chaos)).
    pub chaos: Slot,
    /// The run's admin token and the dashboard's origin.
    pub access: super::dashboard::guard::Access,
}
