//! Bills over the emulator's state: `v3/bill/tradebill` and `v3/bill/fundflowbill` check the
//! `bill_date` and hand out a download URL on the emulator with the bill's SHA1;
//! `v3/billdownload/file?token=…` answers it (gzip when asked). The bytes: `bill_files.rs`.

use super::bill_days::{self, DayRefusal};
use super::bill_files::{self, Move};
use super::emulator::State;
use super::orders::json_ok;
use super::store::{beijing_date, gzip_stored, Order, Refund};
use crate::mock::protocol::call::{error, ok, Call, Outcome};
use crate::mock::surface::request::Request;
use bytes::Bytes;
use http::StatusCode;
use serde_json::{json, Value};
use sha1::{Digest, Sha1};

/// The orders paid and refunds made by `mchid` on `date` (`yyyy-MM-dd`, Beijing time).
fn day_of(state: &State, mchid: &str, date: &str) -> (Vec<Order>, Vec<Refund>) {
    let orders = state
        .flows
        .orders()
        .iter()
        .filter(|o| o.mchid == mchid)
        .filter(|o| o.success_time.is_some_and(|t| beijing_date(t) == date))
        .cloned()
        .collect();
    let refunds = state
        .flows
        .refunds()
        .iter()
        .filter(|r| r.mchid == mchid && beijing_date(r.created) == date)
        .cloned()
        .collect();
    (orders, refunds)
}

/// The trade bill of `mchid` for `date` and `bill_type` (`ALL`, `SUCCESS`, `REFUND`); `None`
/// when nothing was paid or refunded that day: WeChat Pay makes no bill of such a day.
pub(crate) fn bill(state: &State, mchid: &str, date: &str, bill_type: &str) -> Option<Vec<u8>> {
    let (mut orders, mut refunds) = day_of(state, mchid, date);
    if orders.is_empty() && refunds.is_empty() {
        return None;
    }
    match bill_type {
        "SUCCESS" => refunds.clear(),
        "REFUND" => orders.clear(),
        _ => {}
    }
    let all = state.flows.orders().clone();
    Some(bill_files::trade_bill(&orders, &refunds, &all))
}

/// The fund-flow bill of `mchid` for `date` and `account` (`BASIC`, `OPERATION`, `FEES`, any
/// case): payments in and refunds out of the basic account; `None` when the account did not
/// move that day (the operation and fees accounts never move here).
pub(crate) fn fundflow_bill(
    state: &State,
    mchid: &str,
    date: &str,
    account: &str,
) -> Option<Vec<u8>> {
    if !account.eq_ignore_ascii_case("BASIC") {
        return None;
    }
    let (orders, refunds) = day_of(state, mchid, date);
    let mut moves: Vec<Move> = orders
        .into_iter()
        .filter_map(|o| {
            Some(Move {
                time: o.success_time?,
                business_no: o.transaction_id?,
                voucher: o.out_trade_no,
                amount: o.total,
                mchid: o.mchid,
            })
        })
        .chain(refunds.into_iter().map(|r| Move {
            time: r.created,
            business_no: r.refund_id,
            voucher: r.out_refund_no,
            amount: -r.refund,
            mchid: r.mchid,
        }))
        .collect();
    if moves.is_empty() {
        return None;
    }
    moves.sort_by_key(|m| m.time);
    Some(bill_files::fundflow_bill(&moves))
}

/// The day `date` names when a bill of it may exist (see [`bill_days::check`]); today's too
/// when the emulator makes same-day bills.
pub(crate) fn bill_day(state: &State, date: &str, compact: bool) -> Result<String, DayRefusal> {
    let now = crate::util::unix_now();
    match bill_days::check(date, compact, now) {
        Err(DayRefusal::Today) if state.flows.same_day_bills() => Ok(beijing_date(now)),
        other => other,
    }
}

/// The APIv3 refusal of a day without a bill, as WeChat Pay documents it for `tradebill` and
/// `fundflowbill`; `None` is a day that had no movement.
fn refused(day: Option<DayRefusal>) -> Outcome {
    match day {
        Some(DayRefusal::Malformed) => error(
            400,
            "PARAM_ERROR",
            "bill_date 参数格式错误，应为 yyyy-MM-dd 格式的日期",
        ),
        Some(DayRefusal::TooOld) => error(
            400,
            "INVALID_REQUEST",
            "bill_date 超出范围：仅支持三个月内的账单下载申请",
        ),
        Some(DayRefusal::Today) => error(400, "STATEMENT_CREATING", "账单生成中"),
        Some(DayRefusal::Future) | None => error(400, "NO_STATEMENT_EXIST", "请求的账单文件不存在"),
    }
}

pub(crate) fn tradebill(state: &State, call: &Call, req: &Request) -> Option<Outcome> {
    let q = |k: &str| req.query.get(k).and_then(Value::as_str).unwrap_or("");
    let date = match bill_day(state, q("bill_date"), false) {
        Ok(d) => d,
        Err(r) => return Some(refused(Some(r))),
    };
    let bill_type = if q("bill_type").is_empty() {
        "ALL"
    } else {
        q("bill_type")
    };
    match bill(state, &call.entry.merchant.mchid, &date, bill_type) {
        Some(data) => hand_out(state, data, q("tar_type")),
        None => Some(refused(None)),
    }
}

pub(crate) fn fundflowbill(state: &State, call: &Call, req: &Request) -> Option<Outcome> {
    let q = |k: &str| req.query.get(k).and_then(Value::as_str).unwrap_or("");
    let date = match bill_day(state, q("bill_date"), false) {
        Ok(d) => d,
        Err(r) => return Some(refused(Some(r))),
    };
    let account = if q("account_type").is_empty() {
        "BASIC"
    } else {
        q("account_type")
    };
    match fundflow_bill(state, &call.entry.merchant.mchid, &date, account) {
        Some(data) => hand_out(state, data, q("tar_type")),
        None => Some(refused(None)),
    }
}

/// Stores the bill under a new token and answers its download URL and digest.
fn hand_out(state: &State, data: Vec<u8>, tar_type: &str) -> Option<Outcome> {
    // WeChat Pay's `hash_value` is the digest of the bill itself (a gzip one unpacked first).
    let hash = hex::encode(Sha1::digest(&data));
    let file = if tar_type.eq_ignore_ascii_case("GZIP") {
        gzip_stored(&data)
    } else {
        data
    };
    let token = crate::util::nonce(32);
    state
        .flows
        .bills
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(token.clone(), file);
    let base = state
        .flows
        .info
        .get()
        .map(|i| i.url.clone())
        .unwrap_or_default();
    Some(json_ok(json!({
        "hash_type": "SHA1",
        "hash_value": hash,
        "download_url": format!("{base}v3/billdownload/file?token={token}"),
    })))
}

pub(crate) fn download(state: &State, req: &Request) -> Option<Outcome> {
    let token = req.query.get("token").and_then(Value::as_str)?;
    let file = state
        .flows
        .bills
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(token)
        .cloned();
    match file {
        Some(bytes) => Some(ok(
            Bytes::from(bytes),
            "application/octet-stream",
            StatusCode::OK,
        )),
        None => state.flows.strict().then(|| {
            error(
                400,
                "INVALID_REQUEST",
                "token 无效 (no bill was handed out with this token)",
            )
        }),
    }
}
