//! Refunds over the emulator's state (APIv3 `v3/refund/domestic/refunds`, and the checks the
//! APIv2 `secapi/pay/refund` shares): amounts checked against the order, the same
//! `out_refund_no` answered the same, `REFUND.SUCCESS` to a loopback `notify_url`.

use super::emulator::State;
use super::events;
use super::orders::{find, json_ok, not_found, text, update};
use super::store::{changed, new_id, Order, Refund, TradeState};
use crate::mock::protocol::call::{error, Call, Outcome};
use crate::mock::protocol::notification::beijing_time;
use crate::mock::surface::request::Request;
use crate::util::unix_now;
use serde_json::{json, Value};
/// Why a refund cannot be made: (code, message).
pub(crate) type Refusal = (&'static str, &'static str);

/// Makes a refund of `amount` fen of `o` (or finds the same one made before).
pub(crate) fn make_refund(
    state: &State,
    o: &Order,
    out_refund_no: &str,
    amount: i64,
    total: i64,
    request: Value,
    notify_url: Option<String>,
) -> Result<Refund, Refusal> {
    let mut refunds = state.flows.refunds();
    if let Some(r) = refunds
        .iter()
        .find(|r| r.mchid == o.mchid && r.out_refund_no == out_refund_no)
    {
        return if r.request == request {
            Ok(r.clone())
        } else {
            Err((
                "INVALID_REQUEST",
                "商户退款单号重复 (the same out_refund_no with other parameters)",
            ))
        };
    }
    if !o.state.paid() {
        return Err(("INVALID_REQUEST", "订单未支付 (the order is not paid)"));
    }
    if total != o.total {
        return Err((
            "INVALID_REQUEST",
            "订单金额不一致 (amount.total is not the order's total)",
        ));
    }
    if amount <= 0 {
        return Err((
            "PARAM_ERROR",
            "退款金额必须大于0 (the refund must be positive)",
        ));
    }
    if amount > o.total - o.refunded {
        return Err((
            "NOT_ENOUGH",
            "可退金额不足 (more than what is left to refund)",
        ));
    }
    let r = Refund {
        mchid: o.mchid.clone(),
        out_refund_no: out_refund_no.to_string(),
        refund_id: new_id("refund"),
        out_trade_no: o.out_trade_no.clone(),
        transaction_id: o.transaction_id.clone().unwrap_or_default(),
        refund: amount,
        total: o.total,
        currency: o.currency.clone(),
        request,
        created: unix_now(),
        notify_url,
        status: "SUCCESS",
    };
    refunds.push(r.clone());
    drop(refunds);
    changed();
    update(state, o, |x| {
        x.refunded += amount;
        x.state = TradeState::Refund;
    });
    if let Some(url) = &r.notify_url {
        let (name, content) = if o.v2 {
            ("v2/refund-processed", v2_refund_notification(&r))
        } else {
            (
                "REFUND.SUCCESS",
                json!({
                    "mchid": r.mchid, "out_trade_no": r.out_trade_no, "transaction_id": r.transaction_id,
                    "out_refund_no": r.out_refund_no, "refund_id": r.refund_id, "refund_status": "SUCCESS",
                    "success_time": beijing_time(r.created),
                    "user_received_account": "支付用户零钱",
                    "amount": { "total": r.total, "refund": r.refund, "payer_total": r.total,
                                "payer_refund": r.refund, "currency": r.currency, "payer_currency": r.currency },
                }),
            )
        };
        let no = &r.out_refund_no;
        events::schedule(state, &r.mchid, url, (name, no), content, false, None);
    }
    Ok(r)
}

/// The `req_info` fields of an APIv2 refund notification (its page's table).
fn v2_refund_notification(r: &Refund) -> Value {
    let fen = |v: i64| v.to_string();
    json!({
        "out_refund_no": r.out_refund_no, "out_trade_no": r.out_trade_no,
        "refund_account": "REFUND_SOURCE_RECHARGE_FUNDS", "refund_fee": fen(r.refund),
        "refund_id": r.refund_id, "refund_recv_accout": "支付用户的零钱",
        "refund_request_source": "API", "refund_status": "SUCCESS",
        "settlement_refund_fee": fen(r.refund), "settlement_total_fee": fen(r.total),
        "success_time": beijing_time(r.created)[..19].replace('T', " "),
        "total_fee": fen(r.total), "transaction_id": r.transaction_id, "cash_refund_fee": fen(r.refund),
    })
}

/// Sets a refund's status (`SUCCESS` or `ABNORMAL`), as WeChat Pay's later word on it; the
/// refund as it now is, or `None` when there is no such refund.
pub(crate) fn set_status(
    state: &State,
    out_refund_no: &str,
    status: &'static str,
) -> Option<Refund> {
    let mut refunds = state.flows.refunds();
    let r = refunds
        .iter_mut()
        .rev()
        .find(|r| r.out_refund_no == out_refund_no)?;
    r.status = status;
    let r = r.clone();
    drop(refunds);
    changed();
    Some(r)
}

pub(crate) fn refund_json(r: &Refund) -> Value {
    let time = beijing_time(r.created);
    let mut json = json!({
        "refund_id": r.refund_id, "out_refund_no": r.out_refund_no,
        "transaction_id": r.transaction_id, "out_trade_no": r.out_trade_no,
        "channel": "ORIGINAL", "user_received_account": "支付用户零钱",
        "success_time": time, "create_time": time, "status": r.status, "funds_account": "AVAILABLE",
        "amount": {
            "total": r.total, "refund": r.refund, "from": [], "payer_total": r.total,
            "payer_refund": r.refund, "settlement_refund": r.refund, "settlement_total": r.total,
            "discount_refund": 0, "currency": r.currency, "refund_fee": 0,
        },
    });
    // Only a refund that went through has a success time (WeChat Pay's query table).
    if r.status != "SUCCESS" {
        json.as_object_mut().map(|m| m.remove("success_time"));
    }
    json
}

pub(crate) fn refund(state: &State, call: &Call, req: &Request) -> Option<Outcome> {
    let body = req.json.clone()?;
    let Some(o) = find(state, &call.entry.merchant.mchid, req, None) else {
        return not_found(state);
    };
    let amount = body.pointer("/amount/refund").and_then(Value::as_i64)?;
    let total = body.pointer("/amount/total").and_then(Value::as_i64)?;
    let out_refund_no = text(&body, &["out_refund_no"])?.to_string();
    let notify_url = text(&body, &["notify_url"]).map(str::to_string);
    Some(
        match make_refund(state, &o, &out_refund_no, amount, total, body, notify_url) {
            Ok(r) => json_ok(refund_json(&r)),
            Err((code, message)) => error(400, code, message),
        },
    )
}

pub(crate) fn refund_query(state: &State, call: &Call, req: &Request) -> Option<Outcome> {
    let no = req.vars.get("out_refund_no").and_then(Value::as_str)?;
    let found = state
        .flows
        .refunds()
        .iter()
        .find(|r| r.mchid == call.entry.merchant.mchid && r.out_refund_no == no)
        .cloned();
    match found {
        Some(r) => Some(json_ok(refund_json(&r))),
        None => state.flows.strict().then(|| {
            error(
                404,
                "RESOURCE_NOT_EXISTS",
                "退款单不存在 (the emulator has no such refund)",
            )
        }),
    }
}
