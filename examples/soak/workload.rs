//! The calls: scenarios of three calls each on one fresh order, planned from the seed, run by
//! async tasks and blocking threads; each call's result kept in a preallocated record.

use crate::emulator::Admin;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use wechatpay::{Outcome, Response};

/// A call's business operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    Create,
    Query,
    Close,
    Refund,
}

/// What the client said.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Said {
    Pending,
    Success,
    Failed(Outcome),
}

/// One call's result. Preallocated for every call before the first is made, so that the
/// soak's own bookkeeping does not grow the resident memory it measures (but for the text of
/// the errors, a few hundred bytes per failed call).
#[derive(Debug, Clone)]
pub struct Record {
    pub said: Said,
    pub blocking: bool,
    /// A hash of what the answer said the state is (`prepay_id`, `refund_id`,
    /// `transaction_id`), compared with the emulator's ledger.
    pub answer: u64,
    pub error: Option<Box<str>>,
}

/// The four scenarios, each on its own order: close an unpaid order; refund a paid one; close a
/// paid one (refused: `ORDERPAID`); refund more than was paid (refused: `NOT_ENOUGH`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    Close,
    Refund,
    ClosePaid,
    OverRefund,
}

/// A scenario as the seed plans it.
#[derive(Debug, Clone, Copy)]
pub struct Scenario {
    pub variant: Variant,
    pub v2: bool,
    /// Per call: `"retry": {"writes": true}` (POSTs only).
    pub opted_in: [bool; 3],
}

pub const CALLS_PER_SCENARIO: usize = 3;

/// SplitMix64 (the emulator draws its faults the same way, from the same seed).
pub fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

impl Scenario {
    pub fn plan(seed: u64, s: usize) -> Scenario {
        let r = mix(seed ^ mix(s as u64));
        let variant = [
            Variant::Close,
            Variant::Refund,
            Variant::ClosePaid,
            Variant::OverRefund,
        ][(r % 4) as usize];
        let mut scenario = Scenario {
            variant,
            v2: (r >> 2) & 1 == 1,
            opted_in: [false; 3],
        };
        for (i, op) in scenario.ops().into_iter().enumerate() {
            scenario.opted_in[i] = scenario.post(op) && (r >> (3 + i)) & 1 == 1;
        }
        scenario
    }

    /// Its calls, in order (the payer pays after the first where the variant needs it).
    pub fn ops(&self) -> [Op; 3] {
        match self.variant {
            Variant::Close => [Op::Create, Op::Query, Op::Close],
            Variant::Refund | Variant::OverRefund => [Op::Create, Op::Refund, Op::Query],
            Variant::ClosePaid => [Op::Create, Op::Query, Op::Close],
        }
    }

    pub fn pays(&self) -> bool {
        self.variant != Variant::Close
    }

    /// APIv2 queries are POSTs too.
    pub fn post(&self, op: Op) -> bool {
        op != Op::Query || self.v2
    }
}

/// The business numbers of scenario `s`: `out_trade_no` and `out_refund_no`.
pub fn numbers(prefix: &str, s: usize) -> (String, String) {
    (format!("{prefix}{s:08}"), format!("{prefix}R{s:08}"))
}

const APPID: &str = "wxd678efh567hg6787";

/// The template and arguments of a call.
pub fn request(
    sc: &Scenario,
    op: Op,
    opted_in: bool,
    no: &(String, String),
    mchid: &str,
    timeout: f64,
) -> (&'static str, Value) {
    let (otn, orn) = (no.0.as_str(), no.1.as_str());
    let refund = if sc.variant == Variant::OverRefund {
        101
    } else {
        30
    };
    let (template, mut args) = match (sc.v2, op) {
        (false, Op::Create) => (
            "v3/pay/transactions/jsapi",
            json!({ "json": {
            "appid": APPID, "mchid": mchid, "description": "soak", "out_trade_no": otn,
            "notify_url": "https://example.com/notify", "amount": { "total": 100, "currency": "CNY" },
            "payer": { "openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o" } } }),
        ),
        (false, Op::Query) => (
            "v3/pay/transactions/out-trade-no/{out_trade_no}",
            json!({ "out_trade_no": otn, "query": { "mchid": mchid } }),
        ),
        (false, Op::Close) => (
            "v3/pay/transactions/out-trade-no/{out_trade_no}/close",
            json!({ "out_trade_no": otn, "json": { "mchid": mchid } }),
        ),
        (false, Op::Refund) => (
            "v3/refund/domestic/refunds",
            json!({ "json": {
            "out_trade_no": otn, "out_refund_no": orn,
            "amount": { "refund": refund, "total": 100, "currency": "CNY" } } }),
        ),
        (true, Op::Create) => (
            "v2/pay/unifiedorder",
            json!({ "xml": {
            "appid": APPID, "mch_id": mchid, "body": "soak", "out_trade_no": otn, "total_fee": "100",
            "spbill_create_ip": "127.0.0.1", "notify_url": "https://example.com/notify",
            "trade_type": "JSAPI", "openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o" } }),
        ),
        (true, Op::Query) => (
            "v2/pay/orderquery",
            json!({ "xml": { "appid": APPID, "mch_id": mchid, "out_trade_no": otn } }),
        ),
        (true, Op::Close) => (
            "v2/pay/closeorder",
            json!({ "xml": { "appid": APPID, "mch_id": mchid, "out_trade_no": otn } }),
        ),
        (true, Op::Refund) => (
            "v2/secapi/pay/refund",
            json!({ "security": true, "xml": {
            "appid": APPID, "mch_id": mchid, "out_trade_no": otn, "out_refund_no": orn,
            "total_fee": "100", "refund_fee": refund.to_string() } }),
        ),
    };
    args["timeout"] = json!(timeout);
    if opted_in {
        args["retry"] = json!({ "writes": true });
    }
    (template, args)
}

/// What a successful answer says of the state, hashed.
pub fn answer_hash(op: Op, v2: bool, res: &Response) -> u64 {
    let key = match op {
        Op::Create => "prepay_id",
        Op::Refund => "refund_id",
        Op::Query => "transaction_id",
        Op::Close => return 0,
    };
    let fields = if v2 {
        res.xml().map(Value::Object).unwrap_or_default()
    } else {
        res.json().unwrap_or_default()
    };
    hash(fields[key].as_str().unwrap_or(""))
}

pub fn hash(s: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    s.hash(&mut h);
    h.finish()
}

/// What the workers share.
pub struct Shared {
    pub seed: u64,
    pub prefix: String,
    pub mchid: String,
    pub timeout: f64,
    pub scenarios: usize,
    pub next: AtomicUsize,
    pub done: AtomicUsize,
    pub records: Vec<Mutex<Record>>,
    pub admin: Admin,
    /// Called with the number of calls done after each call (memory checkpoints, progress).
    pub tick: Box<dyn Fn(usize) + Send + Sync>,
}

impl Shared {
    fn keep(
        &self,
        idx: usize,
        op: Op,
        v2: bool,
        blocking: bool,
        result: wechatpay::Result<Response>,
    ) {
        let record = match result {
            Ok(res) => Record {
                said: Said::Success,
                blocking,
                answer: answer_hash(op, v2, &res),
                error: None,
            },
            Err(e) => Record {
                said: Said::Failed(e.outcome()),
                blocking,
                answer: 0,
                error: Some(e.to_string().chars().take(240).collect::<String>().into()),
            },
        };
        *self.records[idx].lock().unwrap_or_else(|e| e.into_inner()) = record;
        let done = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        (self.tick)(done);
    }

    fn claim(&self) -> Option<usize> {
        let s = self.next.fetch_add(1, Ordering::Relaxed);
        (s < self.scenarios).then_some(s)
    }
}

/// An async worker: scenarios through `wechatpay::Client`.
pub async fn run_async(shared: std::sync::Arc<Shared>, client: wechatpay::Client) {
    while let Some(s) = shared.claim() {
        let sc = Scenario::plan(shared.seed, s);
        let no = numbers(&shared.prefix, s);
        for (i, op) in sc.ops().into_iter().enumerate() {
            let (template, args) =
                request(&sc, op, sc.opted_in[i], &no, &shared.mchid, shared.timeout);
            let chain = client.chain(template);
            let result = if sc.post(op) {
                chain.post(args).await
            } else {
                chain.get(args).await
            };
            shared.keep(s * CALLS_PER_SCENARIO + i, op, sc.v2, false, result);
            if i == 0 && sc.pays() {
                shared.admin.pay(&no.0).await;
            }
        }
    }
}

/// A blocking worker: scenarios through `wechatpay::blocking::Client`, on a plain thread.
pub fn run_blocking(
    shared: std::sync::Arc<Shared>,
    client: wechatpay::blocking::Client,
    rt: tokio::runtime::Handle,
) {
    while let Some(s) = shared.claim() {
        let sc = Scenario::plan(shared.seed, s);
        let no = numbers(&shared.prefix, s);
        for (i, op) in sc.ops().into_iter().enumerate() {
            let (template, args) =
                request(&sc, op, sc.opted_in[i], &no, &shared.mchid, shared.timeout);
            let chain = client.chain(template);
            let result = if sc.post(op) {
                chain.post(args)
            } else {
                chain.get(args)
            };
            shared.keep(s * CALLS_PER_SCENARIO + i, op, sc.v2, true, result);
            if i == 0 && sc.pays() {
                rt.block_on(shared.admin.pay(&no.0));
            }
        }
    }
}
