//! Trade bills over the emulator's state: `v3/bill/tradebill` hands out a download URL on the
//! emulator with the bill's SHA1; `v3/billdownload/file?token=…` answers it (gzip when asked).

use super::dispatch::Call;
use super::request::Request;
use super::service::{error, ok, Outcome};
use super::state::{beijing_date, gzip_stored, trade_bill};
use super::State;
use bytes::Bytes;
use http::StatusCode;
use serde_json::{json, Value};
use sha1::{Digest, Sha1};

/// The bill of `mchid` for `date` (`yyyy-MM-dd`, Beijing time) and `bill_type`
/// (`ALL`, `SUCCESS`, `REFUND`).
pub(super) fn bill(state: &State, mchid: &str, date: &str, bill_type: &str) -> Vec<u8> {
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

pub(super) fn tradebill(state: &State, call: &Call, req: &Request) -> Option<Outcome> {
    let q = |k: &str| req.query.get(k).and_then(Value::as_str).unwrap_or("");
    let date = q("bill_date");
    let bill_type = if q("bill_type").is_empty() {
        "ALL"
    } else {
        q("bill_type")
    };
    let data = bill(state, &call.entry.merchant.mchid, date, bill_type);
    // WeChat Pay's `hash_value` is the digest of the bill itself (a gzip one unpacked first).
    let hash = hex::encode(Sha1::digest(&data));
    let file = if q("tar_type").eq_ignore_ascii_case("GZIP") {
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
    Some(super::flows::json_ok(json!({
        "hash_type": "SHA1",
        "hash_value": hash,
        "download_url": format!("{base}v3/billdownload/file?token={token}"),
    })))
}

pub(super) fn download(state: &State, req: &Request) -> Option<Outcome> {
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
