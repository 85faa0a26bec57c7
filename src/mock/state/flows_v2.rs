//! The core flows over the same state, APIv2: `pay/unifiedorder`, `pay/orderquery`,
//! `pay/closeorder`, `secapi/pay/refund` (mutual TLS), `pay/refundquery`; the bills in
//! `bills_v2.rs`.

use super::emulator::State;
use super::orders::{close_order, remember};
use super::store::{compact_time, new_id, Order, TradeState};
use super::{bills_v2, refunds};
use crate::mock::protocol::call::{Call, Outcome};
use crate::mock::protocol::notification::beijing_time;
use crate::mock::protocol::v2::{fail, sign_type_of, success};
use crate::mock::surface::request::Request;
use serde_json::{json, Map, Value};

pub(crate) fn answer(state: &State, call: &Call, template: &str, req: &Request) -> Option<Outcome> {
    let fields = req.v2.as_ref()?;
    let mchid = call.entry.merchant.mchid.as_str();
    match template {
        "v2/pay/unifiedorder" => unifiedorder(state, mchid, fields),
        "v2/pay/orderquery" => orderquery(state, mchid, fields),
        "v2/pay/closeorder" => closeorder(state, mchid, fields),
        "v2/secapi/pay/refund" => refund(state, mchid, fields),
        "v2/pay/refundquery" => refundquery(state, mchid, fields),
        "v2/pay/downloadbill" => bills_v2::downloadbill(state, mchid, fields),
        "v2/pay/downloadfundflow" => bills_v2::downloadfundflow(state, mchid, fields),
        _ => None,
    }
}

fn get<'a>(f: &'a Map<String, Value>, k: &str) -> Option<&'a str> {
    f.get(k).and_then(Value::as_str).filter(|s| !s.is_empty())
}

fn unifiedorder(state: &State, mchid: &str, f: &Map<String, Value>) -> Option<Outcome> {
    let mut request = f.clone();
    request.remove("nonce_str");
    request.remove("sign");
    let trade_type = get(f, "trade_type").unwrap_or("JSAPI").to_string();
    let order = Order {
        mchid: mchid.to_string(),
        sub_mchid: get(f, "sub_mch_id").map(str::to_string),
        appid: get(f, "appid").unwrap_or("").to_string(),
        sub_appid: get(f, "sub_appid").map(str::to_string),
        out_trade_no: get(f, "out_trade_no")?.to_string(),
        trade_type,
        description: get(f, "body").unwrap_or("").to_string(),
        attach: get(f, "attach").map(str::to_string),
        total: get(f, "total_fee")?.parse().ok()?,
        currency: get(f, "fee_type").unwrap_or("CNY").to_string(),
        openid: get(f, "openid").map(str::to_string),
        notify_url: get(f, "notify_url").map(str::to_string),
        prepay_id: new_id("prepay"),
        request: Value::Object(request),
        partner: false,
        v2: true,
        state: TradeState::NotPay,
        transaction_id: None,
        success_time: None,
        created: crate::util::unix_now(),
        refunded: 0,
    };
    let o = match remember(state, order) {
        Ok(o) => o,
        Err(refusal) => return Some(refusal),
    };
    let mut v = json!({ "appid": o.appid, "trade_type": o.trade_type, "prepay_id": o.prepay_id });
    match o.trade_type.as_str() {
        "NATIVE" => {
            v["code_url"] = json!(format!(
                "weixin://wxpay/bizpayurl?pr={}",
                &o.prepay_id[2..9]
            ))
        }
        "MWEB" => {
            v["mweb_url"] = json!(format!(
                "https://wx.tenpay.com/cgi-bin/mmpayweb-bin/checkmweb?prepay_id={}&package=1",
                o.prepay_id
            ))
        }
        _ => {}
    }
    Some(success(&state.keys, mchid, sign_type_of(f), v))
}

fn find(state: &State, mchid: &str, f: &Map<String, Value>) -> Option<Order> {
    let (tid, otn) = (get(f, "transaction_id"), get(f, "out_trade_no"));
    state
        .flows
        .orders()
        .iter()
        .rev()
        .find(|o| {
            o.mchid == mchid
                && match (tid, otn) {
                    (Some(t), _) => o.transaction_id.as_deref() == Some(t),
                    (None, Some(n)) => o.out_trade_no == n,
                    _ => false,
                }
        })
        .cloned()
}

fn not_found(state: &State, mchid: &str, f: &Map<String, Value>) -> Option<Outcome> {
    state.flows.strict().then(|| {
        fail(
            &state.keys,
            mchid,
            sign_type_of(f),
            "ORDERNOTEXIST",
            "此交易订单号不存在",
        )
    })
}

fn orderquery(state: &State, mchid: &str, f: &Map<String, Value>) -> Option<Outcome> {
    let Some(o) = find(state, mchid, f) else {
        return not_found(state, mchid, f);
    };
    let mut v = json!({
        "appid": o.appid, "openid": o.openid.clone().unwrap_or_default(),
        "trade_type": o.trade_type, "trade_state": o.state.as_str(),
        "trade_state_desc": o.state.desc(), "out_trade_no": o.out_trade_no,
        "total_fee": o.total.to_string(), "fee_type": o.currency,
    });
    if let (Some(id), Some(t)) = (&o.transaction_id, o.success_time) {
        v["transaction_id"] = json!(id);
        v["time_end"] = json!(compact_time(t));
        v["cash_fee"] = json!(o.total.to_string());
        v["bank_type"] = json!("OTHERS");
        v["is_subscribe"] = json!("N");
    }
    if let Some(a) = &o.attach {
        v["attach"] = json!(a);
    }
    Some(success(&state.keys, mchid, sign_type_of(f), v))
}

fn closeorder(state: &State, mchid: &str, f: &Map<String, Value>) -> Option<Outcome> {
    let Some(o) = find(state, mchid, f) else {
        return not_found(state, mchid, f);
    };
    Some(match close_order(state, &o) {
        Ok(()) => success(
            &state.keys,
            mchid,
            sign_type_of(f),
            json!({ "appid": o.appid }),
        ),
        Err(()) => fail(
            &state.keys,
            mchid,
            sign_type_of(f),
            "ORDERPAID",
            "订单已支付",
        ),
    })
}

fn refund(state: &State, mchid: &str, f: &Map<String, Value>) -> Option<Outcome> {
    let Some(o) = find(state, mchid, f) else {
        return not_found(state, mchid, f);
    };
    let amount: i64 = get(f, "refund_fee")?.parse().ok()?;
    let total: i64 = get(f, "total_fee")?.parse().ok()?;
    let out_refund_no = get(f, "out_refund_no")?;
    let mut request = f.clone();
    request.remove("nonce_str");
    request.remove("sign");
    let made = refunds::make_refund(
        state,
        &o,
        out_refund_no,
        amount,
        total,
        Value::Object(request),
        get(f, "notify_url").map(str::to_string),
    );
    Some(match made {
        Ok(r) => success(
            &state.keys,
            mchid,
            sign_type_of(f),
            json!({
                "appid": o.appid, "transaction_id": r.transaction_id, "out_trade_no": r.out_trade_no,
                "out_refund_no": r.out_refund_no, "refund_id": r.refund_id,
                "refund_fee": r.refund.to_string(), "total_fee": r.total.to_string(),
                "cash_fee": r.total.to_string(), "refund_channel": "ORIGINAL",
            }),
        ),
        Err(("NOT_ENOUGH", des)) => fail(&state.keys, mchid, sign_type_of(f), "NOTENOUGH", des),
        Err((code, des)) => fail(&state.keys, mchid, sign_type_of(f), code, des),
    })
}

fn refundquery(state: &State, mchid: &str, f: &Map<String, Value>) -> Option<Outcome> {
    let (rno, rid) = (get(f, "out_refund_no"), get(f, "refund_id"));
    let (tid, otn) = (get(f, "transaction_id"), get(f, "out_trade_no"));
    let refunds: Vec<_> = state
        .flows
        .refunds()
        .iter()
        .filter(|r| r.mchid == mchid)
        .filter(|r| match (rno, rid, tid, otn) {
            (Some(n), ..) => r.out_refund_no == n,
            (None, Some(i), ..) => r.refund_id == i,
            (None, None, Some(t), _) => r.transaction_id == t,
            (None, None, None, Some(o)) => r.out_trade_no == o,
            _ => false,
        })
        .cloned()
        .collect();
    let Some(first) = refunds.first() else {
        return state.flows.strict().then(|| {
            fail(
                &state.keys,
                mchid,
                sign_type_of(f),
                "REFUNDNOTEXIST",
                "退款订单查询失败",
            )
        });
    };
    let mut v = json!({
        "transaction_id": first.transaction_id, "out_trade_no": first.out_trade_no,
        "total_fee": first.total.to_string(), "cash_fee": first.total.to_string(),
        "refund_count": refunds.len().to_string(),
    });
    for (n, r) in refunds.iter().enumerate() {
        v[format!("out_refund_no_{n}")] = json!(r.out_refund_no);
        v[format!("refund_id_{n}")] = json!(r.refund_id);
        v[format!("refund_fee_{n}")] = json!(r.refund.to_string());
        v[format!("refund_status_{n}")] = json!("SUCCESS");
        v[format!("refund_channel_{n}")] = json!("ORIGINAL");
        v[format!("refund_recv_accout_{n}")] = json!("支付用户零钱");
        v[format!("refund_success_time_{n}")] =
            json!(beijing_time(r.created)[..19].replace('T', " "));
    }
    Some(success(&state.keys, mchid, sign_type_of(f), v))
}
