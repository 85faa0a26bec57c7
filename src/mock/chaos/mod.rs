//! Chaos mode: seeded random faults of every kind, each one journaled, so that a soak can
//! reconcile what its client said about every call with what the emulator did.
//!
//! The fault of a request is drawn from a SplitMix64 sequence of the seed, in arrival order, so a
//! printed seed names the faults (their assignment to calls depends on the order in which
//! concurrent requests arrive). Every request and every refused connection is kept in the chaos
//! journal: whether the request was processed, whether that changed the emulator's state, which
//! fault met it, and its business number.

mod admin;
mod draw;

pub(crate) use admin::admin;
pub(crate) use draw::{changed, refuse_connection, Draw, Engine, Slot};

use super::Server;
use draw::latest;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

/// How many records the chaos journal keeps (the oldest go first past it).
const CHAOS_JOURNAL_LIMIT: usize = 1_000_000;

/// A chaos configuration for [`Server::chaos`]: about `rate` of the requests (and of the
/// connections) meet one fault, drawn at random from the seed.
///
/// ```
/// use std::time::Duration;
/// let chaos = wechatpay::mock::Chaos::new(42, 0.01).slow(Duration::from_secs(3));
/// assert_eq!((chaos.seed(), chaos.rate()), (42, 0.01));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Chaos {
    seed: u64,
    rate: f64,
    slow: Duration,
    /// The kinds drawn from, one bit per [`ChaosFault::ALL`] index.
    kinds: u16,
}

impl Chaos {
    /// Faults for `rate` (0 to 1, clamped) of the requests, drawn from `seed`; slow answers wait
    /// 5 s unless [`Chaos::slow`] says otherwise.
    pub fn new(seed: u64, rate: f64) -> Chaos {
        let rate = if rate.is_nan() {
            0.0
        } else {
            rate.clamp(0.0, 1.0)
        };
        Chaos {
            seed,
            rate,
            slow: Duration::from_secs(5),
            kinds: (1 << ChaosFault::ALL.len()) - 1,
        }
    }

    /// Draws only from these kinds (for a test of one fault: `rate` 1 and one kind). A request
    /// that none of them fits (the APIv3-only kinds on an APIv2 call) meets no fault.
    ///
    /// ```
    /// use wechatpay::mock::{Chaos, ChaosFault};
    /// let every_request_dropped = Chaos::new(1, 1.0).only(&[ChaosFault::DropAfterProcessing]);
    /// assert!(every_request_dropped.draws(ChaosFault::DropAfterProcessing));
    /// assert!(!every_request_dropped.draws(ChaosFault::Slow));
    /// ```
    pub fn only(mut self, kinds: &[ChaosFault]) -> Chaos {
        self.kinds = kinds.iter().fold(0, |mask, k| mask | k.bit());
        self
    }

    /// Whether this kind is drawn from.
    pub fn draws(&self, kind: ChaosFault) -> bool {
        self.kinds & kind.bit() != 0
    }

    /// How long a [`ChaosFault::Slow`] answer waits: longer than the client's timeout.
    pub fn slow(mut self, wait: Duration) -> Chaos {
        self.slow = wait;
        self
    }

    /// The seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The share of requests that meet a fault.
    pub fn rate(&self) -> f64 {
        self.rate
    }
}

/// A fault of chaos mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ChaosFault {
    /// The TCP connection is closed at accept, before the TLS handshake: the client cannot
    /// connect, and nothing is sent.
    RefusedConnection,
    /// The request is read, then its connection closed unprocessed: no state change, no answer.
    DropBeforeProcessing,
    /// The request is processed (state may change), then its connection closed: no answer.
    DropAfterProcessing,
    /// A signed `500 SYSTEM_ERROR` (APIv2: a signed `SYSTEMERROR` FAIL); the request is processed
    /// or not, at random (the journal says which).
    ServerError,
    /// A signed `429 FREQUENCY_LIMITED` with `Retry-After: 1` (APIv2: a signed
    /// `FREQUENCY_LIMITED` FAIL); not processed.
    RateLimited,
    /// Processed; the answer waits [`Chaos::slow`] first.
    Slow,
    /// Processed; the answer's signature is over other bytes (APIv2: a wrong `sign`).
    BadSignature,
    /// Processed; the answer carries no signature (APIv2: no `sign`).
    Unsigned,
    /// Processed; the answer names a `Wechatpay-Serial` the client does not hold (APIv3 only).
    UnknownSerial,
    /// Processed; the answer is timestamped ten minutes off (APIv3 only).
    SkewedClock,
    /// Processed; the answer promises a `Content-Length`, sends half, and the connection closes.
    Truncated,
}

impl ChaosFault {
    /// Every fault, in a fixed order.
    pub const ALL: [ChaosFault; 11] = [
        ChaosFault::RefusedConnection,
        ChaosFault::DropBeforeProcessing,
        ChaosFault::DropAfterProcessing,
        ChaosFault::ServerError,
        ChaosFault::RateLimited,
        ChaosFault::Slow,
        ChaosFault::BadSignature,
        ChaosFault::Unsigned,
        ChaosFault::UnknownSerial,
        ChaosFault::SkewedClock,
        ChaosFault::Truncated,
    ];

    /// Its name, as the admin API's journal spells it (`DropAfterProcessing`).
    pub fn name(self) -> &'static str {
        match self {
            ChaosFault::RefusedConnection => "RefusedConnection",
            ChaosFault::DropBeforeProcessing => "DropBeforeProcessing",
            ChaosFault::DropAfterProcessing => "DropAfterProcessing",
            ChaosFault::ServerError => "ServerError",
            ChaosFault::RateLimited => "RateLimited",
            ChaosFault::Slow => "Slow",
            ChaosFault::BadSignature => "BadSignature",
            ChaosFault::Unsigned => "Unsigned",
            ChaosFault::UnknownSerial => "UnknownSerial",
            ChaosFault::SkewedClock => "SkewedClock",
            ChaosFault::Truncated => "Truncated",
        }
    }

    fn bit(self) -> u16 {
        1 << ChaosFault::ALL.iter().position(|k| *k == self).unwrap_or(0)
    }

    /// Whether the emulator sends no answer at all.
    pub(crate) fn closes(self) -> bool {
        matches!(
            self,
            ChaosFault::DropBeforeProcessing
                | ChaosFault::DropAfterProcessing
                | ChaosFault::Truncated
        )
    }
}

/// One entry of the chaos journal: a request as chaos mode saw it, or a refused connection.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ChaosRecord {
    /// Arrival order, from 0 (connections and requests share the count).
    pub seq: u64,
    /// The fault applied, if any.
    pub fault: Option<ChaosFault>,
    /// The request's method (empty for a refused connection).
    pub method: String,
    /// The request's path (empty for a refused connection).
    pub path: String,
    /// `out_refund_no`, else `out_trade_no`, from the body, APIv2 fields or path.
    pub business_no: Option<String>,
    /// The request went through the emulator's checks and flows.
    pub processed: bool,
    /// Processing changed the emulator's state (an order made, closed or paid, a refund made).
    pub changed: bool,
    /// What the emulator answered before any fault: `OK` or the error code (empty if not
    /// processed).
    pub code: String,
}

impl Server {
    /// Switches chaos mode on, with a fresh chaos journal (see [`Chaos`], [`ChaosFault`]).
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
        *self.state.chaos.lock().unwrap_or_else(|e| e.into_inner()) =
            Some(Arc::new(Engine::new(chaos)));
    }

    /// Switches chaos mode off; its journal stays readable until it is switched on again.
    pub fn chaos_off(&self) {
        chaos_off(&self.state);
    }

    /// The chaos journal, oldest first (the latest 1,000,000 records).
    pub fn chaos_journal(&self) -> Vec<ChaosRecord> {
        latest(&self.state).map_or_else(Vec::new, |e| {
            let journal = e.journal.lock().unwrap_or_else(|e| e.into_inner());
            journal.iter().cloned().collect()
        })
    }
}

pub(crate) fn chaos_off(state: &super::State) {
    if let Some(e) = latest(state) {
        e.on.store(false, Ordering::Relaxed);
    }
}
