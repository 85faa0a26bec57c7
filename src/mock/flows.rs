//! The core flows over the emulator's state (APIv3): orders created `NOTPAY`, paid, queried,
//! closed and refunded; the day's trade bill and its download. Any other call, and (unless the
//! emulator is strict) an order it never created, gets the documented default answer.

use super::deliver::Job;
use super::dispatch::Call;
use super::request::Request;
use super::service::{error, ok, Outcome};
use super::state::{new_id, Order, TradeState};
use super::State;
use crate::util::unix_now;
use bytes::Bytes;
use http::StatusCode;
use serde_json::{json, Map, Value};

/// The state's answer to a call that passed its checks, if the call is one of the flows'.
pub(super) fn answer(state: &State, call: &Call, template: &str, req: &Request) -> Option<Outcome> {
    let method = call.method.as_str();
    let t = template
        .trim_start_matches("v3/")
        .replace("pay/partner/transactions", "pay/transactions");
    match (method, t.as_str()) {
        ("POST", "pay/transactions/jsapi" | "pay/transactions/native")
        | ("POST", "pay/transactions/app" | "pay/transactions/h5") => {
            create(state, call, template, req)
        }
        ("GET", "pay/transactions/id/{transaction_id}")
        | ("GET", "pay/transactions/out-trade-no/{out_trade_no}") => query(state, call, req),
        ("POST", "pay/transactions/out-trade-no/{out_trade_no}/close") => close(state, call, req),
        ("POST", "refund/domestic/refunds") => super::refunds::refund(state, call, req),
        ("GET", "refund/domestic/refunds/{out_refund_no}") => {
            super::refunds::refund_query(state, call, req)
        }
        ("GET", "bill/tradebill") => super::bills::tradebill(state, call, req),
        ("GET", "bill/fundflowbill") => super::bills::fundflowbill(state, call, req),
        ("GET", "billdownload/file") => super::bills::download(state, req),
        _ => super::flows_v2::answer(state, call, template, req),
    }
}

pub(super) fn json_ok(v: Value) -> Outcome {
    ok(
        Bytes::from(v.to_string()),
        "application/json",
        StatusCode::OK,
    )
}

pub(super) fn text<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter().try_fold(v, |v, k| v.get(k))?.as_str()
}

fn create(state: &State, call: &Call, template: &str, req: &Request) -> Option<Outcome> {
    let body = req.json.clone()?;
    let partner = template.contains("/partner/");
    let trade_type = match template.rsplit('/').next()? {
        "jsapi" => "JSAPI",
        "native" => "NATIVE",
        "app" => "APP",
        _ => "MWEB",
    };
    let out_trade_no = text(&body, &["out_trade_no"])?.to_string();
    let order = Order {
        mchid: call.entry.merchant.mchid.clone(),
        sub_mchid: text(&body, &["sub_mchid"]).map(str::to_string),
        appid: text(&body, &[if partner { "sp_appid" } else { "appid" }])
            .unwrap_or("")
            .to_string(),
        sub_appid: text(&body, &["sub_appid"]).map(str::to_string),
        out_trade_no,
        trade_type: trade_type.into(),
        description: text(&body, &["description"]).unwrap_or("").to_string(),
        attach: text(&body, &["attach"]).map(str::to_string),
        total: body.pointer("/amount/total").and_then(Value::as_i64)?,
        currency: text(&body, &["amount", "currency"])
            .unwrap_or("CNY")
            .to_string(),
        openid: ["openid", "sp_openid", "sub_openid"]
            .iter()
            .find_map(|k| text(&body, &["payer", k]))
            .map(str::to_string),
        notify_url: text(&body, &["notify_url"]).map(str::to_string),
        prepay_id: new_id("prepay"),
        request: body,
        partner,
        v2: false,
        state: TradeState::NotPay,
        transaction_id: None,
        success_time: None,
        created: unix_now(),
        refunded: 0,
    };
    let order = match remember(state, order) {
        Ok(o) => o,
        Err(refusal) => return Some(refusal),
    };
    Some(json_ok(prepay_answer(&order)))
}

/// Keeps a new order, or finds the same one created before. A repeated `out_trade_no` with
/// another request is `400 INVALID_REQUEST` when strict; otherwise the new order replaces an
/// order of the same kind (and stands beside orders of other kinds).
pub(super) fn remember(state: &State, order: Order) -> Result<Order, Outcome> {
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
                super::flows_v2::fail(state, &order.mchid, "OUT_TRADE_NO_USED", "商户订单号重复")
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
    super::chaos::changed();
    if let Some(after) = state.flows.config.auto_pay {
        state.flows.job(Job::AutoPay {
            mchid: order.mchid.clone(),
            out_trade_no: order.out_trade_no.clone(),
            after,
        });
    }
    Ok(order)
}

fn prepay_answer(o: &Order) -> Value {
    match o.trade_type.as_str() {
        "NATIVE" => {
            json!({ "code_url": format!("weixin://wxpay/bizpayurl?pr={}", &o.prepay_id[2..9]) })
        }
        "MWEB" => json!({ "h5_url": format!(
            "https://wx.tenpay.com/cgi-bin/mmpayweb-bin/checkmweb?prepay_id={}&package=1",
            o.prepay_id
        ) }),
        _ => json!({ "prepay_id": o.prepay_id }),
    }
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
        put("success_time", json!(super::notify::beijing_time(t)));
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
pub(super) fn find(
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

pub(super) fn not_found(state: &State) -> Option<Outcome> {
    state.flows.strict().then(|| {
        error(
            404,
            "ORDER_NOT_EXIST",
            "订单不存在 (the emulator has no such order)",
        )
    })
}

fn query(state: &State, call: &Call, req: &Request) -> Option<Outcome> {
    let partner = Some(call.path.contains("/partner/"));
    match find(state, &call.entry.merchant.mchid, req, partner) {
        Some(o) => Some(json_ok(order_json(&o))),
        None => not_found(state),
    }
}

pub(super) fn update(state: &State, o: &Order, change: impl FnOnce(&mut Order)) -> Order {
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
pub(super) fn close_order(state: &State, o: &Order) -> Result<(), ()> {
    if o.state.paid() {
        return Err(());
    }
    if o.state != TradeState::Closed {
        super::chaos::changed();
    }
    update(state, o, |x| x.state = TradeState::Closed);
    Ok(())
}

fn close(state: &State, call: &Call, req: &Request) -> Option<Outcome> {
    let partner = Some(call.path.contains("/partner/"));
    let Some(o) = find(state, &call.entry.merchant.mchid, req, partner) else {
        return not_found(state);
    };
    Some(match close_order(state, &o) {
        Ok(()) => ok(Bytes::new(), "application/json", StatusCode::NO_CONTENT),
        Err(()) => error(
            400,
            "ORDERPAID",
            "订单已支付 (the order is paid: refund it instead)",
        ),
    })
}

/// Marks the latest `NOTPAY` order with this `out_trade_no` paid and sends `TRANSACTION.SUCCESS`
/// to its loopback `notify_url`. An order paid before is answered as it is.
pub(crate) fn pay(state: &State, mchid: Option<&str>, out_trade_no: &str) -> Result<Order, String> {
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
    super::chaos::changed();
    o.transaction_id = Some(new_id("transaction"));
    o.success_time = Some(unix_now());
    let o = o.clone();
    drop(orders);
    if let Some(url) = &o.notify_url {
        state.flows.job(Job::Notify {
            mchid: o.mchid.clone(),
            url: url.clone(),
            event_type: "TRANSACTION.SUCCESS".into(),
            subject: o.out_trade_no.clone(),
            resource: if o.v2 {
                super::flows_v2::notification(&o)
            } else {
                order_json(&o)
            },
            v2: o.v2,
        });
    }
    Ok(o)
}
