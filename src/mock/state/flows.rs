//! The core flows over the emulator's state (APIv3): orders created `NOTPAY`, paid, queried,
//! closed and refunded; the day's trade bill and its download. Any other call, and (unless the
//! emulator is strict) an order it never created, gets the documented default answer.

use super::emulator::State;
use super::orders::{close_order, find, json_ok, not_found, order_json, remember, text};
use super::store::{new_id, Order, TradeState};
use super::{bills, fapiao, refunds};
use crate::mock::protocol::call::{error, ok, Call, Outcome};
use crate::mock::surface::request::Request;
use crate::util::unix_now;
use bytes::Bytes;
use http::StatusCode;
use serde_json::{json, Value};

/// The state's answer to a call that passed its checks, if the call is one of the flows'.
pub(crate) fn answer(state: &State, call: &Call, template: &str, req: &Request) -> Option<Outcome> {
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
        ("POST", "refund/domestic/refunds") => refunds::refund(state, call, req),
        ("GET", "refund/domestic/refunds/{out_refund_no}") => {
            refunds::refund_query(state, call, req)
        }
        ("GET", "bill/tradebill") => bills::tradebill(state, call, req),
        ("GET", "bill/fundflowbill") => bills::fundflowbill(state, call, req),
        ("GET", "billdownload/file") => bills::download(state, req),
        ("GET", "new-tax-control-fapiao/fapiao-applications/{fapiao_apply_id}/fapiao-files") => {
            fapiao::files(state, call, req)
        }
        _ => None,
    }
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

fn query(state: &State, call: &Call, req: &Request) -> Option<Outcome> {
    let partner = Some(call.path.contains("/partner/"));
    match find(state, &call.entry.merchant.mchid, req, partner) {
        Some(o) => Some(json_ok(order_json(&o))),
        None => not_found(state),
    }
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
