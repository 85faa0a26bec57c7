//! Bills over the emulator's state: `v3/bill/tradebill` and `v3/bill/fundflowbill` hand out a
//! download URL on the emulator with the bill's SHA1; `v3/billdownload/file?token=…` answers it
//! (gzip when asked).

use super::emulator::State;
use super::orders::json_ok;
use super::store::{beijing_date, gzip_stored, trade_bill};
use crate::mock::protocol::call::{error, ok, Call, Outcome};
use crate::mock::protocol::notification::beijing_time;
use crate::mock::surface::request::Request;
use bytes::Bytes;
use http::StatusCode;
use serde_json::{json, Value};
use sha1::{Digest, Sha1};

/// The bill of `mchid` for `date` (`yyyy-MM-dd`, Beijing time) and `bill_type`
/// (`ALL`, `SUCCESS`, `REFUND`).
pub(crate) fn bill(state: &State, mchid: &str, date: &str, bill_type: &str) -> Vec<u8> {
    let orders: Vec<_> = state
        .flows
        .orders()
        .iter()
        .filter(|o| o.mchid == mchid && bill_type != "REFUND")
        .filter(|o| o.success_time.is_some_and(|t| beijing_date(t) == date))
        .cloned()
        .collect();
    let refunds: Vec<_> = state
        .flows
        .refunds()
        .iter()
        .filter(|r| r.mchid == mchid && bill_type != "SUCCESS")
        .filter(|r| beijing_date(r.created) == date)
        .cloned()
        .collect();
    trade_bill(&orders, &refunds)
}

pub(crate) fn tradebill(state: &State, call: &Call, req: &Request) -> Option<Outcome> {
    let q = |k: &str| req.query.get(k).and_then(Value::as_str).unwrap_or("");
    let date = q("bill_date");
    let bill_type = if q("bill_type").is_empty() {
        "ALL"
    } else {
        q("bill_type")
    };
    let data = bill(state, &call.entry.merchant.mchid, date, bill_type);
    hand_out(state, data, q("tar_type"))
}

/// The fund-flow bill of `mchid` for `date`: payments in and refunds out of the basic account
/// (`BASIC`); the operation and fees accounts (`OPERATION`, `FEES`) have no movement here.
pub(crate) fn fundflow_bill(state: &State, mchid: &str, date: &str, account: &str) -> Vec<u8> {
    let yuan = |fen: i64| format!("{}.{:02}", fen / 100, fen % 100);
    let mut out = String::from(
        "记账时间,微信支付业务单号,资金流水单号,业务名称,业务类型,收支类型,收支金额（元）,\
         账户结余（元）,资金变更提交申请人,备注,业务凭证号\r\n",
    );
    // (time, business id, voucher, kind, signed amount)
    let mut moves: Vec<(i64, String, String, &str, i64)> = Vec::new();
    if account.eq_ignore_ascii_case("BASIC") {
        for o in state.flows.orders().iter().filter(|o| o.mchid == mchid) {
            if let (Some(t), Some(id)) = (o.success_time, &o.transaction_id) {
                moves.push((t, id.clone(), o.out_trade_no.clone(), "交易", o.total));
            }
        }
        for r in state.flows.refunds().iter().filter(|r| r.mchid == mchid) {
            let id = r.refund_id.clone();
            moves.push((r.created, id, r.out_refund_no.clone(), "退款", -r.refund));
        }
    }
    moves.retain(|m| beijing_date(m.0) == date);
    moves.sort_by_key(|m| m.0);
    let (mut balance, mut income, mut spent, mut ins) = (0i64, 0i64, 0i64, 0usize);
    for (n, (t, id, voucher, kind, amount)) in moves.iter().enumerate() {
        balance += amount;
        let way = if *amount >= 0 { "收入" } else { "支出" };
        if *amount >= 0 {
            (income, ins) = (income + amount, ins + 1);
        } else {
            spent -= amount;
        }
        let time = beijing_time(*t)[..19].replace('T', " ");
        out.push_str(&format!(
            "`{time},`{id},`{:020},`{kind},`{kind},`{way},`{},`{},`system,`缺省,`{voucher}\r\n",
            n + 1,
            yuan(amount.abs()),
            yuan(balance),
        ));
    }
    out.push_str("资金流水总笔数,收入笔数,收入金额,支出笔数,支出金额\r\n");
    out.push_str(&format!(
        "`{},`{ins},`{},`{},`{}\r\n",
        moves.len(),
        yuan(income),
        moves.len() - ins,
        yuan(spent)
    ));
    out.into_bytes()
}

pub(crate) fn fundflowbill(state: &State, call: &Call, req: &Request) -> Option<Outcome> {
    let q = |k: &str| req.query.get(k).and_then(Value::as_str).unwrap_or("");
    let account = if q("account_type").is_empty() {
        "BASIC"
    } else {
        q("account_type")
    };
    let data = fundflow_bill(state, &call.entry.merchant.mchid, q("bill_date"), account);
    hand_out(state, data, q("tar_type"))
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
