//! The orders both APIs share: kept (or found again), queried, closed, paid; their query form
//! and the fields of their payment notification (APIv3 resource, APIv2 XML).

use super::emulator::State;
use super::events;
use super::jobs::Job;
use super::store::{changed, compact_time, new_id, Order, TradeState};
use crate::mock::protocol::call::{error, ok, Outcome};
use crate::mock::protocol::notification::beijing_time;
use crate::mock::protocol::v2;
use crate::mock::surface::request::Request;
use crate::util::unix_now;
use bytes::Bytes;
use http::StatusCode;
use serde_json::{json, Map, Value};

pub(crate) fn json_ok(v: Value) -> Outcome {
    ok(
        Bytes::from(v.to_string()),
        "application/json",
        StatusCode::OK,
    )
}

pub(crate) fn text<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter().try_fold(v, |v, k| v.get(k))?.as_str()
}

/// Keeps a new order, or finds the same one created before. A repeated `out_trade_no` with
/// another request is `400 INVALID_REQUEST` when strict; otherwise the new order replaces an
/// order of the same kind (and stands beside orders of other kinds).
pub(crate) fn remember(state: &State, order: Order) -> Result<Order, Outcome> {
    let strict = state.flows.strict();
    let mut orders = state.flows.orders();
    let same = |o: &Order| {
        o.mchid == order.mchid
            && o.out_trade_no == order.out_trade_no
            && (strict
                || (o.trade_type == order.trade_type
                    && o.partner == order.partner
                    && o.v2 == order.v2))
    };
    if let Some(at) = orders.iter().rposition(same) {
        if orders[at].request == order.request {
            return Ok(orders[at].clone());
        }
        if strict {
            return Err(if order.v2 {
                v2::fail(
                    &state.keys,
                    &order.mchid,
                    order.v2_sign_type(),
                    "OUT_TRADE_NO_USED",
                    "商户订单号重复",
                )
            } else {
                error(
                    400,
                    "INVALID_REQUEST",
                    "201 商户订单号重复 (the same out_trade_no with other parameters)",
                )
            });
        }
        orders.remove(at);
    }
    orders.push(order.clone());
    drop(orders);
    changed();
    if let Some(after) = state.flows.config.auto_pay {
        state.flows.job(Job::AutoPay {
            mchid: order.mchid.clone(),
            out_trade_no: order.out_trade_no.clone(),
            after,
        });
    }
    Ok(order)
}

/// The order as a query answers it (and as `TRANSACTION.SUCCESS` carries it).
pub(crate) fn order_json(o: &Order) -> Value {
    let mut m = Map::new();
    let mut put = |k: &str, v: Value| {
        m.insert(k.to_string(), v);
    };
    if o.partner {
        put("sp_appid", json!(o.appid));
        put("sp_mchid", json!(o.mchid));
        if let Some(s) = &o.sub_appid {
            put("sub_appid", json!(s));
        }
        put("sub_mchid", json!(o.sub_mchid.as_deref().unwrap_or("")));
    } else {
        put("appid", json!(o.appid));
        put("mchid", json!(o.mchid));
    }
    put("out_trade_no", json!(o.out_trade_no));
    // Not in WeChat Pay's answer, but the documentation's table lists them as required.
    put("description", json!(o.description));
    put("notify_url", json!(o.notify_url.as_deref().unwrap_or("")));
    if let Some(id) = &o.transaction_id {
        put("transaction_id", json!(id));
    }
    put("trade_type", json!(o.trade_type));
    put("trade_state", json!(o.state.as_str()));
    put("trade_state_desc", json!(o.state.desc()));
    if let Some(a) = &o.attach {
        put("attach", json!(a));
    }
    if let Some(t) = o.success_time {
        put("bank_type", json!("OTHERS"));
        put("success_time", json!(beijing_time(t)));
    }
    let openid = o.openid.clone().unwrap_or_default();
    put(
        "payer",
        if o.partner {
            json!({ "sp_openid": openid, "sub_openid": openid })
        } else {
            json!({ "openid": openid })
        },
    );
    let mut amount =
        json!({ "total": o.total, "currency": o.currency, "payer_currency": o.currency });
    if o.state.paid() {
        amount["payer_total"] = json!(o.total);
    }
    put("amount", amount);
    Value::Object(m)
}

/// The latest order of this merchant with this `out_trade_no` or `transaction_id`; through a
/// `partner` path, a partner order only (and the other way round); `None`: either.
pub(crate) fn find(
    state: &State,
    mchid: &str,
    req: &Request,
    partner: Option<bool>,
) -> Option<Order> {
    let all = req.scalars();
    let by = |k: &str| all.get(k).and_then(Value::as_str).map(str::to_string);
    let (tid, otn) = (by("transaction_id"), by("out_trade_no"));
    state
        .flows
        .orders()
        .iter()
        .rev()
        .find(|o| {
            o.mchid == mchid
                && partner.is_none_or(|p| p == o.partner)
                && match (&tid, &otn) {
                    (Some(t), _) => o.transaction_id.as_deref() == Some(t.as_str()),
                    (None, Some(n)) => &o.out_trade_no == n,
                    _ => false,
                }
        })
        .cloned()
}

pub(crate) fn not_found(state: &State) -> Option<Outcome> {
    state.flows.strict().then(|| {
        error(
            404,
            "ORDER_NOT_EXIST",
            "订单不存在 (the emulator has no such order)",
        )
    })
}

pub(crate) fn update(state: &State, o: &Order, change: impl FnOnce(&mut Order)) -> Order {
    let mut orders = state.flows.orders();
    match orders
        .iter_mut()
        .rev()
        .find(|x| x.mchid == o.mchid && x.prepay_id == o.prepay_id)
    {
        Some(x) => {
            change(x);
            x.clone()
        }
        None => o.clone(),
    }
}

/// Closes an order: `Ok` when it is (or was) closed, `Err(code)` when it is paid.
pub(crate) fn close_order(state: &State, o: &Order) -> Result<(), ()> {
    if o.state.paid() {
        return Err(());
    }
    if o.state != TradeState::Closed {
        changed();
    }
    update(state, o, |x| x.state = TradeState::Closed);
    Ok(())
}

/// Marks the latest `NOTPAY` order with this `out_trade_no` paid and sends `TRANSACTION.SUCCESS`
/// to its loopback `notify_url`. An order paid before is answered as it is.
pub(crate) fn pay(state: &State, mchid: Option<&str>, out_trade_no: &str) -> Result<Order, String> {
    pay_as(state, mchid, out_trade_no, None)
}

/// [`pay`], by a payer: the order's own (a JSAPI order names its payer), else `openid`, else
/// one generated in WeChat Pay's shape. Someone always pays: a Native, App or H5 order learns
/// its payer when paid, and WeChat Pay's answers and notifications then carry `payer.openid`.
pub(crate) fn pay_as(
    state: &State,
    mchid: Option<&str>,
    out_trade_no: &str,
    openid: Option<&str>,
) -> Result<Order, String> {
    let mut orders = state.flows.orders();
    let Some(o) = orders
        .iter_mut()
        .rev()
        .find(|o| o.out_trade_no == out_trade_no && mchid.is_none_or(|m| m == o.mchid))
    else {
        return Err(format!("the emulator has no order {out_trade_no}"));
    };
    match o.state {
        TradeState::Closed => return Err(format!("the order {out_trade_no} is closed")),
        TradeState::Success | TradeState::Refund => return Ok(o.clone()),
        TradeState::NotPay => {}
    }
    o.state = TradeState::Success;
    if o.openid.as_deref().is_none_or(str::is_empty) {
        o.openid = Some(openid.map_or_else(generated_openid, str::to_string));
    }
    changed();
    o.transaction_id = Some(new_id("transaction"));
    o.success_time = Some(unix_now());
    let o = o.clone();
    drop(orders);
    if let Some(url) = &o.notify_url {
        // The documented notification (catalogue), with the order as a query answers it.
        let (name, content) = if o.v2 {
            ("v2/transaction-success", v2_notification(&o))
        } else {
            ("TRANSACTION.SUCCESS", order_json(&o))
        };
        let sign_type = o
            .request
            .get("sign_type")
            .and_then(Value::as_str)
            .and_then(|t| crate::v2::SignType::parse(t).ok());
        let no = &o.out_trade_no;
        events::schedule(state, &o.mchid, url, (name, no), content, false, sign_type);
    }
    Ok(o)
}

/// An openid in WeChat Pay's shape: `o` and 27 letters and digits (28 characters in all).
pub(crate) fn generated_openid() -> String {
    format!("o{}", crate::util::nonce(27))
}

/// The fields of an APIv2 payment notification (`nonce_str` and `sign` are added when sent, of
/// the order's sign type, which a HMAC-SHA256 notification names).
pub(crate) fn v2_notification(o: &Order) -> Value {
    let mut v = json!({
        "return_code": "SUCCESS", "return_msg": "OK", "appid": o.appid, "mch_id": o.mchid,
        "result_code": "SUCCESS", "openid": o.openid.clone().unwrap_or_default(),
        "is_subscribe": "N", "trade_type": o.trade_type, "bank_type": "OTHERS",
        "total_fee": o.total.to_string(), "fee_type": o.currency, "cash_fee": o.total.to_string(),
        "transaction_id": o.transaction_id.clone().unwrap_or_default(),
        "out_trade_no": o.out_trade_no,
        "time_end": compact_time(o.success_time.unwrap_or(o.created)),
    });
    if let Some(a) = &o.attach {
        v["attach"] = json!(a);
    }
    if o.v2_sign_type() == crate::v2::SignType::HmacSha256 {
        v["sign_type"] = json!("HMAC-SHA256");
    }
    v
}
