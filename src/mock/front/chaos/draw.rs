//! The engine of chaos mode: the seed's sequence, the draw of each request's fault, the journal.

use super::kinds::{Chaos, ChaosFault, ChaosRecord, CHAOS_JOURNAL_LIMIT};
use crate::mock::protocol::call::{error, Outcome};
use crate::mock::protocol::faults::Fault;
use crate::mock::state::emulator::State;
use crate::mock::state::store::changes;
use bytes::Bytes;
use http::Method;
use serde_json::{json, Map, Value};
use std::collections::{HashSet, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Chaos mode while it is on.
pub(crate) struct Engine {
    pub(crate) config: Chaos,
    /// Off, the engine stays in its slot so that its journal can be read.
    pub(crate) on: AtomicBool,
    /// SplitMix64's counter.
    counter: AtomicU64,
    seq: AtomicU64,
    /// Connections to refuse next, armed by faults that close one (so that the client's
    /// reconnection, often its retry, meets a refused connection too).
    armed: AtomicU32,
    pub(crate) journal: Mutex<VecDeque<ChaosRecord>>,
}

/// The slot in the emulator's state: the latest engine, on or off.
pub(crate) type Slot = Mutex<Option<Arc<Engine>>>;

impl Engine {
    pub(crate) fn new(config: Chaos) -> Engine {
        Engine {
            config,
            on: AtomicBool::new(true),
            counter: AtomicU64::new(config.seed),
            seq: AtomicU64::new(0),
            armed: AtomicU32::new(0),
            journal: Mutex::new(VecDeque::new()),
        }
    }

    /// The next number of the seed's SplitMix64 sequence.
    fn next(&self) -> u64 {
        let mut z = self
            .counter
            .fetch_add(0x9e37_79b9_7f4a_7c15, Ordering::Relaxed)
            .wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn hit(&self) -> bool {
        ((self.next() >> 11) as f64 / (1u64 << 53) as f64) < self.config.rate
    }

    fn record(&self, mut r: ChaosRecord) {
        r.seq = self.seq.fetch_add(1, Ordering::Relaxed);
        let mut journal = self.journal.lock().unwrap_or_else(|e| e.into_inner());
        if journal.len() >= CHAOS_JOURNAL_LIMIT {
            journal.pop_front();
        }
        journal.push_back(r);
    }
}

/// The latest engine, on or off.
pub(crate) fn latest(slot: &Slot) -> Option<Arc<Engine>> {
    slot.lock().unwrap_or_else(|e| e.into_inner()).clone()
}

/// The engine while chaos is on.
fn engine(slot: &Slot) -> Option<Arc<Engine>> {
    latest(slot).filter(|e| e.on.load(Ordering::Relaxed))
}

/// Whether to close a connection just accepted (journaled as [`ChaosFault::RefusedConnection`]).
pub(crate) fn refuse_connection(slot: &Slot) -> bool {
    let Some(engine) = engine(slot) else {
        return false;
    };
    let armed = engine
        .armed
        .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1))
        .is_ok();
    if !engine.config.draws(ChaosFault::RefusedConnection) || !(armed || engine.hit()) {
        return false;
    }
    engine.record(ChaosRecord {
        seq: 0,
        fault: Some(ChaosFault::RefusedConnection),
        method: String::new(),
        path: String::new(),
        business_no: None,
        processed: false,
        changed: false,
        code: String::new(),
    });
    true
}

/// Switches chaos mode off; its journal stays readable.
pub(crate) fn chaos_off(slot: &Slot) {
    if let Some(e) = latest(slot) {
        e.on.store(false, Ordering::Relaxed);
    }
}

/// A request's draw: its fault (if any) and what it needs to be journaled.
pub(crate) struct Draw {
    engine: Option<Arc<Engine>>,
    fault: Option<ChaosFault>,
    method: Method,
    path: String,
    v3: bool,
    /// APIv2: the merchant and business number from the XML.
    fields: Map<String, Value>,
    business_no: Option<String>,
    /// ServerError: whether the request is processed first.
    process_anyway: bool,
}

impl Draw {
    /// Draws the fault of a request (none while chaos is off).
    pub(crate) fn new(slot: &Slot, method: &Method, path: &str, body: &Bytes) -> Draw {
        let engine = engine(slot);
        let v3 = path.starts_with("/v3/");
        let mut draw = Draw {
            fault: None,
            method: method.clone(),
            path: path.to_string(),
            v3,
            fields: Map::new(),
            business_no: None,
            process_anyway: false,
            engine: None,
        };
        let Some(engine) = engine else { return draw };
        if engine.hit() {
            // APIv2 answers carry no serial and no timestamp.
            let v3_only = [ChaosFault::UnknownSerial, ChaosFault::SkewedClock];
            let kinds: Vec<ChaosFault> = ChaosFault::ALL[1..]
                .iter()
                .copied()
                .filter(|k| engine.config.draws(*k) && (v3 || !v3_only.contains(k)))
                .collect();
            if !kinds.is_empty() {
                let kind = kinds[(engine.next() % kinds.len() as u64) as usize];
                draw.process_anyway = engine.next() % 2 == 0;
                if kind.closes() && engine.config.draws(ChaosFault::RefusedConnection) {
                    engine
                        .armed
                        .fetch_add((engine.next() % 3) as u32, Ordering::Relaxed);
                }
                draw.fault = Some(kind);
            }
        }
        if !v3 {
            draw.fields = std::str::from_utf8(body)
                .ok()
                .and_then(|s| crate::v2::xml::from_xml(s).ok())
                .unwrap_or_default();
        }
        draw.business_no = business_no(path, body, &draw.fields);
        draw.engine = Some(engine);
        draw
    }

    /// Whether the request is to be processed at all.
    pub(crate) fn processes(&self) -> bool {
        match self.fault {
            Some(ChaosFault::DropBeforeProcessing | ChaosFault::RateLimited) => false,
            Some(ChaosFault::ServerError) => self.process_anyway,
            _ => true,
        }
    }

    /// Runs `process` (if the draw lets it), journals the request, and applies the fault: the
    /// outcome to answer with, the faults of the answer added to `faults`. After a draw that
    /// [`drops`](Self::drops) the connection, the outcome (code `NO_ANSWER`) is for the journal.
    pub(crate) fn run(
        &self,
        state: &State,
        faults: &mut HashSet<Fault>,
        process: impl FnOnce() -> Outcome,
    ) -> Outcome {
        let before = changes();
        let processed = self.processes().then(process);
        let changed = changes() != before;
        let Some(engine) = &self.engine else {
            return processed.unwrap_or_else(|| self.refusal(state, 500, "SYSTEM_ERROR"));
        };
        engine.record(ChaosRecord {
            seq: 0,
            fault: self.fault,
            method: self.method.to_string(),
            path: self.path.clone(),
            business_no: self.business_no.clone(),
            processed: processed.is_some(),
            changed,
            code: processed
                .as_ref()
                .map(|o| o.code.clone())
                .unwrap_or_default(),
        });
        let mut outcome = match (processed, self.fault) {
            (
                processed,
                Some(ChaosFault::DropBeforeProcessing | ChaosFault::DropAfterProcessing),
            ) => {
                let mut o = processed.unwrap_or_else(|| error(500, "NO_ANSWER", "dropped"));
                o.code = "NO_ANSWER".into();
                return o;
            }
            (processed, Some(ChaosFault::ServerError)) => {
                let verified = processed.is_some_and(|o| o.verified);
                let mut o = self.refusal(state, 500, "SYSTEM_ERROR");
                o.verified = verified;
                o
            }
            (_, Some(ChaosFault::RateLimited)) => {
                let mut o = self.refusal(state, 429, "FREQUENCY_LIMITED");
                o.headers.push(("Retry-After".into(), "1".into()));
                o
            }
            (Some(o), _) => o,
            (None, _) => self.refusal(state, 500, "SYSTEM_ERROR"),
        };
        match self.fault {
            Some(ChaosFault::Slow) => outcome.delay = Some(engine.config.slow),
            Some(ChaosFault::BadSignature) if self.v3 => {
                faults.insert(Fault::BadSignature);
            }
            Some(ChaosFault::BadSignature | ChaosFault::Unsigned) if !self.v3 => {
                let forge = self.fault == Some(ChaosFault::BadSignature);
                outcome.body = v2_resigned(&outcome.body, forge);
            }
            Some(ChaosFault::UnknownSerial) => {
                faults.insert(Fault::WrongSerial);
            }
            Some(ChaosFault::SkewedClock) => {
                faults.insert(Fault::SkewedClock);
            }
            Some(ChaosFault::Truncated) => {
                faults.insert(Fault::DropConnection);
            }
            _ => {}
        }
        outcome
    }

    /// Whether the connection is closed without an answer.
    pub(crate) fn drops(&self) -> bool {
        matches!(
            self.fault,
            Some(ChaosFault::DropBeforeProcessing | ChaosFault::DropAfterProcessing)
        )
    }

    /// Whether the answer goes without the `Wechatpay-*` signature headers.
    pub(crate) fn unsigned(&self) -> bool {
        self.v3 && self.fault == Some(ChaosFault::Unsigned)
    }

    /// WeChat Pay's signed refusal: APIv3 a JSON error (signed on the way out), APIv2 a signed
    /// `result_code` FAIL (`SYSTEM_ERROR` is APIv2's `SYSTEMERROR`).
    fn refusal(&self, state: &State, status: u16, code: &str) -> Outcome {
        if self.v3 {
            return error(status, code, "emulated fault (chaos mode)");
        }
        let mchid = ["mch_id", "mchid"]
            .iter()
            .find_map(|k| self.fields.get(*k).and_then(Value::as_str))
            .filter(|m| state.keys.merchants.contains_key(*m))
            .or_else(|| state.flows.info.get().map(|i| i.mchid.as_str()))
            .unwrap_or_default()
            .to_string();
        if !state.keys.merchants.contains_key(&mchid) {
            return crate::mock::protocol::call::v2_fail("emulated fault (chaos mode)");
        }
        let code = if code == "SYSTEM_ERROR" {
            "SYSTEMERROR"
        } else {
            code
        };
        let sign_type = crate::mock::protocol::v2::sign_type_of(&self.fields);
        crate::mock::protocol::v2::fail(
            &state.keys,
            &mchid,
            sign_type,
            code,
            "emulated fault (chaos mode)",
        )
    }
}

/// An APIv2 XML answer with its `sign` forged (`forge`) or removed; other bodies as they are.
fn v2_resigned(body: &Bytes, forge: bool) -> Bytes {
    let Some(mut fields) = std::str::from_utf8(body)
        .ok()
        .and_then(|s| crate::v2::xml::from_xml(s).ok())
    else {
        return body.clone();
    };
    if forge {
        fields.insert("sign".into(), json!("0".repeat(64)));
    } else {
        fields.remove("sign");
    }
    Bytes::from(crate::v2::xml::to_xml(&fields))
}

/// `out_refund_no`, else `out_trade_no`: from the JSON body, the APIv2 fields, or the path
/// (`…/out-trade-no/{no}…`, `…/refunds/{no}`).
fn business_no(path: &str, body: &Bytes, fields: &Map<String, Value>) -> Option<String> {
    let json: Option<Value> = if path.starts_with("/v3/") && !body.is_empty() {
        serde_json::from_slice(body).ok()
    } else {
        None
    };
    for key in ["out_refund_no", "out_trade_no"] {
        let found = json
            .as_ref()
            .and_then(|j| j.get(key))
            .or_else(|| fields.get(key))
            .and_then(Value::as_str);
        if let Some(no) = found {
            return Some(no.to_string());
        }
    }
    let segments: Vec<&str> = path.split('/').collect();
    segments
        .windows(2)
        .find(|w| w[0] == "out-trade-no" || w[0] == "refunds")
        .map(|w| w[1].to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hits(engine: &Engine, n: usize) -> Vec<usize> {
        (0..n).filter(|_| engine.hit()).collect()
    }

    #[test]
    fn a_seed_names_its_faults_and_the_rate_holds() {
        let a = Engine::new(Chaos::new(42, 0.01));
        let b = Engine::new(Chaos::new(42, 0.01));
        let c = Engine::new(Chaos::new(43, 0.01));
        let (ha, hb, hc) = (hits(&a, 100_000), hits(&b, 100_000), hits(&c, 100_000));
        assert_eq!(ha, hb, "the same seed draws the same faults");
        assert_ne!(ha, hc);
        assert!((800..1200).contains(&ha.len()), "{} hits at 1%", ha.len());
        assert!(hits(&Engine::new(Chaos::new(1, 0.0)), 10_000).is_empty());
        assert_eq!(hits(&Engine::new(Chaos::new(1, 1.0)), 10_000).len(), 10_000);
        assert_eq!(Chaos::new(1, f64::NAN).rate(), 0.0);
        assert_eq!(Chaos::new(1, 7.0).rate(), 1.0);
    }
}
