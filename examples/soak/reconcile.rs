//! Reconciliation: each call's result, as the client said it, against the emulator's chaos
//! journal (what reached it, what it processed and changed, which fault met it) and its ledger
//! (the orders and refunds as they are at the end).

use crate::workload::{hash, numbers, Op, Record, Said, Scenario, CALLS_PER_SCENARIO};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use wechatpay::Outcome;

#[derive(Debug, Deserialize)]
pub struct Journal {
    pub records: Vec<Entry>,
}

/// A chaos journal record, as `GET /__emulator/chaos` lists it.
#[derive(Debug, Deserialize)]
pub struct Entry {
    pub seq: u64,
    pub fault: Option<String>,
    pub method: String,
    pub path: String,
    pub business_no: Option<String>,
    pub processed: bool,
    pub changed: bool,
    pub code: String,
}

#[derive(Debug, Deserialize)]
pub struct Ledger {
    orders: Vec<LedgerOrder>,
    refunds: Vec<LedgerRefund>,
}

#[derive(Debug, Deserialize)]
struct LedgerOrder {
    out_trade_no: String,
    trade_state: String,
    prepay_id: String,
    transaction_id: Option<String>,
}

#[derive(Debug, Deserialize)]
struct LedgerRefund {
    out_refund_no: String,
    refund_id: String,
}

/// The columns of the outcome table.
pub const COLUMNS: [&str; 5] = [
    "success",
    "NotSent",
    "Rejected",
    "Unknown, took effect",
    "Unknown, no effect",
];

#[derive(Debug, Default)]
pub struct Report {
    pub calls: usize,
    /// Faults injected, by kind, from the journal.
    pub faults: BTreeMap<String, usize>,
    /// Per fault kind that met a call (its first), the calls per column.
    pub outcomes: BTreeMap<String, [usize; 5]>,
    pub mismatches: Vec<String>,
    /// Mismatches by the rule they break.
    pub rules: BTreeMap<&'static str, usize>,
    /// Writes that reached the emulator more than once (opted in), and how many of those
    /// changed the state more than once (must be none).
    pub resent_writes: usize,
    /// Journaled requests of the soak's paths whose business number is no call's.
    pub strangers: usize,
}

fn op_of(method: &str, path: &str) -> Option<Op> {
    Some(match (method, path) {
        ("POST", "/v3/pay/transactions/jsapi" | "/pay/unifiedorder") => Op::Create,
        ("POST", "/pay/orderquery") => Op::Query,
        ("POST", "/pay/closeorder") => Op::Close,
        ("POST", "/v3/refund/domestic/refunds" | "/secapi/pay/refund") => Op::Refund,
        ("POST", p)
            if p.starts_with("/v3/pay/transactions/out-trade-no/") && p.ends_with("/close") =>
        {
            Op::Close
        }
        ("GET", p) if p.starts_with("/v3/pay/transactions/out-trade-no/") => Op::Query,
        _ => return None,
    })
}

/// An answer the client can trust to say "not done": an unfaulted refusal, or the signed 429.
fn genuine_refusal(e: &Entry) -> bool {
    (e.fault.is_none() && e.code != "OK" && !e.code.is_empty())
        || e.fault.as_deref() == Some("RateLimited")
}

fn column(said: Said, took_effect: bool) -> usize {
    match said {
        Said::Success | Said::Pending => 0,
        Said::Failed(Outcome::NotSent) => 1,
        Said::Failed(Outcome::Rejected) => 2,
        Said::Failed(_) if took_effect => 3,
        Said::Failed(_) => 4,
    }
}

pub fn reconcile(
    seed: u64,
    prefix: &str,
    records: &[Record],
    journal: &Journal,
    ledger: &Ledger,
) -> Report {
    let mut report = Report {
        calls: records.len(),
        ..Report::default()
    };
    let mut by_key: HashMap<(Op, &str), Vec<&Entry>> = HashMap::new();
    for e in &journal.records {
        if let Some(kind) = &e.fault {
            *report.faults.entry(kind.clone()).or_default() += 1;
        }
        if let (Some(op), Some(no)) = (op_of(&e.method, &e.path), e.business_no.as_deref()) {
            by_key.entry((op, no)).or_default().push(e);
        }
    }
    for entries in by_key.values_mut() {
        entries.sort_by_key(|e| e.seq);
    }
    let orders: HashMap<&str, &LedgerOrder> = ledger
        .orders
        .iter()
        .map(|o| (o.out_trade_no.as_str(), o))
        .collect();
    let refunds: HashMap<&str, &LedgerRefund> = ledger
        .refunds
        .iter()
        .map(|r| (r.out_refund_no.as_str(), r))
        .collect();
    let mut matched = 0;
    let mut not_sent = 0;
    for (idx, record) in records.iter().enumerate() {
        let s = idx / CALLS_PER_SCENARIO;
        let i = idx % CALLS_PER_SCENARIO;
        let sc = Scenario::plan(seed, s);
        let op = sc.ops()[i];
        let no = numbers(prefix, s);
        let key = if op == Op::Refund {
            no.1.as_str()
        } else {
            no.0.as_str()
        };
        let entries: &[&Entry] = by_key.get(&(op, key)).map_or(&[], |v| v.as_slice());
        matched += entries.len();
        let order = orders.get(no.0.as_str());
        let refund = refunds.get(no.1.as_str());
        let effect = match op {
            Op::Create => Some(order.is_some()),
            Op::Close => Some(order.is_some_and(|o| o.trade_state == "CLOSED")),
            Op::Refund => Some(refund.is_some()),
            Op::Query => None,
        };
        let changes = entries.iter().filter(|e| e.changed).count();
        let processed = entries.iter().filter(|e| e.processed).count();
        let last = entries.last();
        let clean = entries.iter().all(|e| e.fault.is_none());
        let api = if sc.v2 { "APIv2" } else { "APIv3" };
        let how = if record.blocking { "blocking" } else { "async" };
        let faults: Vec<&str> = entries.iter().filter_map(|e| e.fault.as_deref()).collect();
        let codes: Vec<&str> = entries.iter().map(|e| e.code.as_str()).collect();
        let mut wrong = |rule: &'static str, detail: String| {
            *report.rules.entry(rule).or_default() += 1;
            report.mismatches.push(format!(
                "call {idx} ({op:?} {key}, {api}, {how}{}): client said {:?}{}; {} request(s) reached the emulator, faults {faults:?}, codes {codes:?}: {rule}{detail}",
                if sc.opted_in[i] { ", opted in" } else { "" },
                record.said,
                record.error.as_deref().map(|e| format!(" ({e})")).unwrap_or_default(),
                entries.len(),
            ))
        };
        if let Some(effect) = effect {
            if effect != (changes > 0) {
                wrong(
                    "ledger and journal disagree",
                    format!(
                        ": the ledger says took effect = {effect}, the journal {changes} change(s)"
                    ),
                );
            }
        }
        if changes > 1 {
            wrong("a write executed twice", format!(" ({changes} changes)"));
        }
        if sc.post(op) && op != Op::Query && processed > 1 {
            report.resent_writes += 1;
            if !sc.opted_in[i] {
                wrong(
                    "a write resent without the caller's opt-in",
                    format!(" (processed {processed} times)"),
                );
            }
        }
        match record.said {
            Said::Pending => wrong("a call that never finished", String::new()),
            Said::Success => {
                if !last.is_some_and(|e| e.fault.is_none() && e.code == "OK") {
                    wrong("success without a genuine OK answer", String::new());
                }
                let agrees = match op {
                    Op::Create => order.is_some_and(|o| hash(&o.prepay_id) == record.answer),
                    Op::Refund => refund.is_some_and(|r| hash(&r.refund_id) == record.answer),
                    Op::Query => order.is_some_and(|o| {
                        hash(o.transaction_id.as_deref().unwrap_or("")) == record.answer
                    }),
                    Op::Close => effect == Some(true),
                };
                if !agrees {
                    wrong("success the ledger does not hold", String::new());
                }
            }
            Said::Failed(Outcome::NotSent) => {
                not_sent += 1;
                if !entries.is_empty() {
                    wrong(
                        "NotSent, but the request reached the emulator",
                        String::new(),
                    );
                }
            }
            Said::Failed(Outcome::Rejected) => {
                if changes > 0 {
                    wrong("Rejected, but the state changed", String::new());
                }
                if !last.is_some_and(|e| genuine_refusal(e)) {
                    wrong(
                        "Rejected without a genuine refusal as its last answer",
                        String::new(),
                    );
                } else if let Some(e) = entries.iter().find(|e| !genuine_refusal(e)) {
                    wrong(
                        "Rejected after an attempt of unknown effect (the worst attempt decides)",
                        format!(
                            ": {} (code {:?})",
                            e.fault.as_deref().unwrap_or("no fault"),
                            e.code
                        ),
                    );
                }
            }
            Said::Failed(_) => {
                if entries.is_empty() {
                    wrong("Unknown, but nothing reached the emulator", String::new());
                } else if clean {
                    wrong("Unknown after fault-free answers only", String::new());
                }
            }
        }
        let row = entries
            .iter()
            .find_map(|e| e.fault.clone())
            .unwrap_or_else(|| match record.said {
                Said::Failed(Outcome::NotSent) => "RefusedConnection".into(),
                _ => "none".into(),
            });
        report.outcomes.entry(row).or_default()[column(record.said, changes > 0)] += 1;
    }
    let refused = report.faults.get("RefusedConnection").copied().unwrap_or(0);
    if not_sent > refused {
        *report
            .rules
            .entry("more NotSent calls than refused connections")
            .or_default() += 1;
        report.mismatches.push(format!(
            "{not_sent} calls NotSent, but only {refused} connections were refused"
        ));
    }
    let ours = journal
        .records
        .iter()
        .filter(|e| op_of(&e.method, &e.path).is_some())
        .count();
    report.strangers = ours - matched;
    report
}
