//! Chaos mode: seeded random faults of every kind, each one journaled, so that a soak can
//! reconcile what its client said about every call with what the emulator did.
//!
//! The fault of a request is drawn from a SplitMix64 sequence of the seed, in arrival order, so a
//! printed seed names the faults (their assignment to calls depends on the order in which
//! concurrent requests arrive). Every request and every refused connection is kept in the chaos
//! journal: whether the request was processed, whether that changed the emulator's state, which
//! fault met it, and its business number.

pub(crate) mod admin;
pub(crate) mod draw;
pub(crate) mod kinds;

use kinds::{Chaos, ChaosRecord};

use super::server::Server;
use draw::{chaos_off, latest, Engine};
use std::sync::Arc;

impl Server {
    /// Switches chaos mode on, with a fresh chaos journal (see [`Chaos`], [`ChaosFault`](kinds::ChaosFault)).
    /// Admin calls (`/__emulator/`) pass untouched, but their connections may be refused.
    ///
    /// ```no_run
    /// # async fn run() -> wechatpay::Result<()> {
    /// use wechatpay::mock::{Chaos, Server};
    /// let server = Server::start().await?;
    /// server.chaos(Chaos::new(7, 0.01));
    /// // … calls …
    /// let faults = server.chaos_journal().iter().filter(|r| r.fault.is_some()).count();
    /// server.chaos_off();
    /// # Ok(()) }
    /// ```
    pub fn chaos(&self, chaos: Chaos) {
        *self.shared.chaos.lock().unwrap_or_else(|e| e.into_inner()) =
            Some(Arc::new(Engine::new(chaos)));
    }

    /// Switches chaos mode off; its journal stays readable until it is switched on again.
    pub fn chaos_off(&self) {
        chaos_off(&self.shared.chaos);
    }

    /// The chaos journal, oldest first (the latest 1,000,000 records).
    pub fn chaos_journal(&self) -> Vec<ChaosRecord> {
        latest(&self.shared.chaos).map_or_else(Vec::new, |e| {
            let journal = e.journal.lock().unwrap_or_else(|e| e.into_inner());
            journal.iter().cloned().collect()
        })
    }
}
