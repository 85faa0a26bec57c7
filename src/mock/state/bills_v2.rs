//! APIv2 bills: `pay/downloadbill` and `pay/downloadfundflow` (mutual TLS, HMAC-SHA256) answer
//! the bill itself (gzip with `tar_type=GZIP`), or WeChat Pay's refusal of the `bill_date`:
//! `downloadbill` an unsigned `return_code` FAIL with `return_msg` and `error_code`,
//! `downloadfundflow` a signed `result_code` FAIL with `err_code`.

use super::bill_days::DayRefusal;
use super::bills::{bill, bill_day, fundflow_bill};
use super::emulator::State;
use super::store::gzip_stored;
use crate::mock::protocol::call::{obj, ok, Outcome};
use crate::mock::protocol::v2::{fail, sign_type_of};
use bytes::Bytes;
use http::StatusCode;
use serde_json::{json, Map, Value};

fn get<'a>(f: &'a Map<String, Value>, k: &str) -> Option<&'a str> {
    f.get(k).and_then(Value::as_str).filter(|s| !s.is_empty())
}

/// The bill as text, or gzip with `tar_type=GZIP`.
fn file(data: Vec<u8>, f: &Map<String, Value>) -> Outcome {
    if get(f, "tar_type").is_some_and(|t| t.eq_ignore_ascii_case("GZIP")) {
        ok(
            Bytes::from(gzip_stored(&data)),
            "application/octet-stream",
            StatusCode::OK,
        )
    } else {
        ok(Bytes::from(data), "text/plain", StatusCode::OK)
    }
}

/// `downloadbill`'s refusal: `return_code` FAIL, unsigned, with the `return_msg` and
/// `error_code` WeChat Pay sends (`invalid bill_date` 20001, `No Bill Exist` 20002; `Bill
/// Creating` with no code known).
fn bill_refused(day: Option<DayRefusal>) -> Outcome {
    let (msg, code) = match day {
        Some(DayRefusal::Malformed | DayRefusal::TooOld) => ("invalid bill_date", Some("20001")),
        Some(DayRefusal::Today) => ("Bill Creating", None),
        Some(DayRefusal::Future) | None => ("No Bill Exist", Some("20002")),
    };
    let mut fields = obj(json!({ "return_code": "FAIL", "return_msg": msg }));
    if let Some(code) = code {
        fields.insert("error_code".into(), json!(code));
    }
    let mut out = ok(
        Bytes::from(crate::v2::xml::to_xml(&fields)),
        "text/xml",
        StatusCode::OK,
    );
    out.code = msg.to_string();
    out
}

pub(crate) fn downloadbill(state: &State, mchid: &str, f: &Map<String, Value>) -> Option<Outcome> {
    let date = match bill_day(state, get(f, "bill_date").unwrap_or(""), true) {
        Ok(d) => d,
        Err(r) => return Some(bill_refused(Some(r))),
    };
    Some(
        match bill(state, mchid, &date, get(f, "bill_type").unwrap_or("ALL")) {
            Some(data) => file(data, f),
            None => bill_refused(None),
        },
    )
}

pub(crate) fn downloadfundflow(
    state: &State,
    mchid: &str,
    f: &Map<String, Value>,
) -> Option<Outcome> {
    let refused = |code: &str, des: &str| fail(&state.keys, mchid, sign_type_of(f), code, des);
    let date = match bill_day(state, get(f, "bill_date").unwrap_or(""), true) {
        Ok(d) => d,
        Err(DayRefusal::Malformed | DayRefusal::TooOld) => {
            return Some(refused(
                "PARAM_ERROR",
                "参数错误：bill_date 应为三个月内的 yyyyMMdd 日期",
            ))
        }
        Err(DayRefusal::Today) => return Some(refused("BILL_CREATING", "账单未生成")),
        Err(DayRefusal::Future) => return Some(refused("NO_BILL_EXIST", "账单不存在")),
    };
    let account = get(f, "account_type").unwrap_or("Basic");
    Some(match fundflow_bill(state, mchid, &date, account) {
        Some(data) => file(data, f),
        None => refused("NO_BILL_EXIST", "账单不存在"),
    })
}
