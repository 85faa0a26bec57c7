//! Chaos mode and the ledger over the admin API: `GET`/`POST`/`DELETE /__emulator/chaos`,
//! `GET /__emulator/ledger`.

use super::{Chaos, ChaosRecord, Engine};
use crate::mock::State;
use http::StatusCode;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;

/// Answers the admin calls of chaos mode and the ledger; `None` for any other.
pub(crate) fn admin(
    state: &State,
    method: &str,
    parts: &[&str],
    body: &Value,
) -> Option<(StatusCode, Value)> {
    Some(match (method, parts) {
        ("GET", ["chaos"]) => (StatusCode::OK, journal(state)),
        ("POST", ["chaos"]) => {
            let (Some(seed), Some(rate)) = (body["seed"].as_u64(), body["rate"].as_f64()) else {
                return Some((
                    StatusCode::BAD_REQUEST,
                    json!({ "code": "PARAM_ERROR", "message": "`seed` (an integer) and `rate` (0 to 1) are required" }),
                ));
            };
            let mut chaos = Chaos::new(seed, rate);
            if let Some(ms) = body["slow_ms"].as_u64() {
                chaos = chaos.slow(Duration::from_millis(ms));
            }
            *state.chaos.lock().unwrap_or_else(|e| e.into_inner()) =
                Some(Arc::new(Engine::new(chaos)));
            (StatusCode::OK, settings(Some(&chaos), true))
        }
        ("DELETE", ["chaos"]) => {
            super::chaos_off(state);
            (StatusCode::OK, json!({ "on": false }))
        }
        ("GET", ["ledger"]) => (StatusCode::OK, ledger(state)),
        _ => return None,
    })
}

fn settings(chaos: Option<&Chaos>, on: bool) -> Value {
    json!({
        "on": on,
        "seed": chaos.map(|c| c.seed),
        "rate": chaos.map(|c| c.rate),
        "slow_ms": chaos.map(|c| c.slow.as_millis() as u64),
    })
}

fn journal(state: &State) -> Value {
    let Some(engine) = super::latest(state) else {
        return settings(None, false);
    };
    let mut out = settings(
        Some(&engine.config),
        engine.on.load(std::sync::atomic::Ordering::Relaxed),
    );
    let journal = engine.journal.lock().unwrap_or_else(|e| e.into_inner());
    out["records"] = Value::Array(journal.iter().map(record).collect());
    out
}

fn record(r: &ChaosRecord) -> Value {
    json!({
        "seq": r.seq, "fault": r.fault.map(|f| f.name()), "method": r.method, "path": r.path,
        "business_no": r.business_no, "processed": r.processed, "changed": r.changed,
        "code": r.code,
    })
}

/// Every order and refund in a compact form, with what a reconciler compares (the `prepay_id`
/// and `refund_id` a successful call was answered with, the refunded amount).
fn ledger(state: &State) -> Value {
    let orders: Vec<Value> = state
        .flows
        .orders()
        .iter()
        .map(|o| {
            json!({
                "mchid": o.mchid, "out_trade_no": o.out_trade_no, "trade_state": o.state.as_str(),
                "prepay_id": o.prepay_id, "transaction_id": o.transaction_id,
                "total": o.total, "refunded": o.refunded, "v2": o.v2,
            })
        })
        .collect();
    let refunds: Vec<Value> = state
        .flows
        .refunds()
        .iter()
        .map(|r| {
            json!({
                "mchid": r.mchid, "out_refund_no": r.out_refund_no, "refund_id": r.refund_id,
                "out_trade_no": r.out_trade_no, "refund": r.refund,
            })
        })
        .collect();
    json!({ "orders": orders, "refunds": refunds })
}
