//! The admin calls the dashboard adds to the admin API: the journal's lines and details,
//! refunds, the buyer's and WeChat Pay's buttons (close, expire, refund success or abnormal),
//! bills, key files and the QR code.

use super::{qr, requests};
use crate::mock::front::shared::Shared;
use crate::mock::protocol::notification::beijing_time;
use crate::mock::state::events;
use crate::mock::state::orders;
use crate::mock::state::refunds::refund_json;
use crate::mock::state::store::beijing_date;
use http::{Method, StatusCode};
use serde_json::{json, Value};

/// What the dashboard answers beyond JSON.
pub(crate) enum Reply {
    Json(StatusCode, Value),
    /// Bytes, their content type and, for a download, a file name.
    File(&'static str, Vec<u8>, Option<String>),
}

fn param(query: Option<&str>, name: &str) -> Option<String> {
    url::form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

fn not_found(what: String) -> Reply {
    Reply::Json(
        StatusCode::NOT_FOUND,
        json!({ "code": "NOT_FOUND", "message": what }),
    )
}

/// Answers the dashboard's own calls; `None` for the rest of the admin API.
pub(crate) fn answer(
    shared: &Shared,
    method: &Method,
    call: &[&str],
    query: Option<&str>,
) -> Option<Reply> {
    let state = &shared.state;
    let ok = |v: Value| Some(Reply::Json(StatusCode::OK, v));
    match (method.as_str(), call) {
        ("GET", ["requests"]) => {
            let since = param(query, "since")
                .and_then(|s| s.parse().ok())
                .unwrap_or(0);
            ok(requests::list(
                shared,
                since,
                param(query, "mentions").as_deref(),
            ))
        }
        ("GET", ["requests", seq]) => Some(
            match seq.parse().ok().and_then(|s| requests::detail(shared, s)) {
                Some(v) => Reply::Json(StatusCode::OK, v),
                None => not_found(format!("no request {seq} in the journal")),
            },
        ),
        ("GET", ["faults"]) => {
            let faults = state.faults.lock().unwrap_or_else(|e| e.into_inner());
            ok(json!(faults
                .iter()
                .map(|f| format!("{f:?}"))
                .collect::<Vec<_>>()))
        }
        ("GET", ["refunds"]) => ok(Value::Array(
            state.flows.refunds().iter().map(refund_json).collect(),
        )),
        ("POST", ["orders", no, action @ ("close" | "expire")]) => {
            let no = decode(no);
            let found = state
                .flows
                .orders()
                .iter()
                .rev()
                .find(|o| o.out_trade_no == no)
                .cloned();
            Some(match found {
                None => not_found(format!("the emulator has no order {no}")),
                Some(o) => match orders::close_order(state, &o) {
                    Ok(()) => {
                        let closed = orders::order_json(&orders::update(state, &o, |_| {}));
                        Reply::Json(StatusCode::OK, json!({ "action": action, "order": closed }))
                    }
                    Err(()) => Reply::Json(
                        StatusCode::BAD_REQUEST,
                        json!({ "code": "ORDERPAID", "message": format!("the order {no} is paid") }),
                    ),
                },
            })
        }
        ("POST", ["refunds", no, outcome @ ("success" | "abnormal")]) => {
            Some(refund_outcome(shared, &decode(no), outcome))
        }
        ("POST", ["deliveries", id, "redeliver"]) => Some(redeliver(shared, id)),
        ("GET", ["bills"]) => {
            let on = state
                .flows
                .same_day_bills
                .load(std::sync::atomic::Ordering::Relaxed);
            ok(json!({ "same_day_bills": on }))
        }
        ("GET", ["bills", kind]) => {
            let date =
                param(query, "date").unwrap_or_else(|| beijing_date(crate::util::unix_now()));
            let mchid = state.flows.info.get()?.mchid.clone();
            let bytes = match *kind {
                "trade" => crate::mock::state::bills::bill(state, &mchid, &date, "ALL"),
                "fundflow" => {
                    crate::mock::state::bills::fundflow_bill(state, &mchid, &date, "BASIC")
                }
                _ => return Some(not_found(format!("no bill {kind}: trade or fundflow"))),
            };
            // A day with nothing paid or refunded has no bill, as WeChat Pay answers it.
            Some(match bytes {
                Some(bytes) => Reply::File(
                    "text/csv; charset=utf-8",
                    bytes,
                    Some(format!("{kind}bill-{date}.csv")),
                ),
                None => Reply::Json(
                    StatusCode::BAD_REQUEST,
                    json!({ "code": "NO_STATEMENT_EXIST", "message": format!("账单不存在 (nothing was paid or refunded on {date})") }),
                ),
            })
        }
        ("GET", ["keys", file]) => Some(match key_file(shared, file) {
            Some(text) => Reply::File(
                "application/x-pem-file",
                text.into_bytes(),
                Some(file.to_string()),
            ),
            None => not_found(format!("no key file {file}")),
        }),
        ("GET", ["qr.svg"]) => {
            let text = param(query, "text").unwrap_or_default();
            Some(match qr::svg(text.as_bytes()) {
                Some(svg) => Reply::File("image/svg+xml", svg.into_bytes(), None),
                None => Reply::Json(
                    StatusCode::BAD_REQUEST,
                    json!({ "code": "PARAM_ERROR", "message": "text is too long for a QR code of version 10" }),
                ),
            })
        }
        _ => None,
    }
}

fn decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

/// WeChat Pay's word on a refund: `REFUND.SUCCESS` again, or `REFUND.ABNORMAL` (the buyer's
/// card was closed and the money waits for the merchant to act), to the refund's `notify_url`.
fn refund_outcome(shared: &Shared, no: &str, outcome: &str) -> Reply {
    let state = &shared.state;
    let status = if outcome == "abnormal" {
        "ABNORMAL"
    } else {
        "SUCCESS"
    };
    // The refund's query answers what the notification says from now on.
    let Some(r) = crate::mock::state::refunds::set_status(state, no, status) else {
        return not_found(format!("the emulator has no refund {no}"));
    };
    let mut resource = json!({
        "mchid": r.mchid, "out_trade_no": r.out_trade_no, "transaction_id": r.transaction_id,
        "out_refund_no": r.out_refund_no, "refund_id": r.refund_id, "refund_status": status,
        "user_received_account": "支付用户零钱",
        "amount": { "total": r.total, "refund": r.refund, "payer_total": r.total, "payer_refund": r.refund },
    });
    if status == "SUCCESS" {
        resource["success_time"] = beijing_time(r.created).into();
    }
    let Some(url) = r.notify_url.clone() else {
        return Reply::Json(
            StatusCode::BAD_REQUEST,
            json!({ "code": "PARAM_ERROR", "message": format!("the refund {no} named no notify_url") }),
        );
    };
    let event_type = format!("REFUND.{status}");
    let subject = (event_type.as_str(), r.out_refund_no.as_str());
    events::schedule(state, &r.mchid, &url, subject, resource, false, None);
    Reply::Json(
        StatusCode::OK,
        json!({ "sent": event_type, "out_refund_no": no }),
    )
}

/// Sends a delivery's notification again, as it was (retried like the first).
fn redeliver(shared: &Shared, id: &str) -> Reply {
    let state = &shared.state;
    let found = id.parse::<usize>().ok().and_then(|i| {
        let list = state
            .flows
            .deliveries
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        list.get(i).cloned()
    });
    let (Some(d), Some(info)) = (found, state.flows.info.get()) else {
        return not_found(format!("no delivery {id}"));
    };
    let subject = (d.name.as_str(), d.subject.as_str());
    events::schedule(state, &info.mchid, &d.url, subject, d.resource, false, None);
    Reply::Json(
        StatusCode::OK,
        json!({ "redelivering": d.name, "to": d.url }),
    )
}

/// The files an SDK needs, and `env.sh` with the export lines of `wechatpay mock` (the keys
/// of the current key mode only) naming them in the current directory.
fn key_file(shared: &Shared, file: &str) -> Option<String> {
    let state = &shared.state;
    let info = state.flows.info.get()?;
    let entry = state.keys.merchants.get(&info.mchid)?;
    let m = &entry.merchant;
    Some(match file {
        "apiclient_key.pem" => m.private_key_pem.as_str().to_string(),
        "apiclient_cert.pem" => entry.cert_pem.clone(),
        "pub_key.pem" => state.keys.platform_key.public_key().to_pem(),
        "wechatpay_platform.pem" => state.keys.platform_cert_pem.clone(),
        "emulator_ca.pem" => info.ca_pem.clone(),
        "env.sh" => {
            let mode = state.keys.mode.get();
            let mut vars = vec![
                ("WECHATPAY_MODE", mode.as_str().to_string()),
                ("WECHATPAY_MCHID", m.mchid.clone()),
                ("WECHATPAY_SERIAL", m.serial.clone()),
                ("WECHATPAY_PRIVATE_KEY", "$PWD/apiclient_key.pem".into()),
                ("WECHATPAY_MERCHANT_CERT", "$PWD/apiclient_cert.pem".into()),
                ("WECHATPAY_MERCHANT_KEY", "$PWD/apiclient_key.pem".into()),
                ("WECHATPAY_APIV2_SECRET", m.apiv2_secret.to_string()),
                ("WECHATPAY_APIV3_KEY", m.apiv3_key.to_string()),
            ];
            if mode.has_public_key() {
                vars.push(("WECHATPAY_PUBLIC_KEY_ID", state.keys.public_key_id.clone()));
                vars.push(("WECHATPAY_PUBLIC_KEY", "$PWD/pub_key.pem".into()));
            }
            if mode.has_certificate() {
                vars.push((
                    "WECHATPAY_PLATFORM_SERIAL",
                    state.keys.platform_serial.clone(),
                ));
                vars.push((
                    "WECHATPAY_PLATFORM_CERT",
                    "$PWD/wechatpay_platform.pem".into(),
                ));
            }
            vars.push(("WECHATPAY_BASE_URI", info.url.clone()));
            vars.push(("WECHATPAY_ADMIN_URL", format!("{}__emulator/", info.url)));
            vars.push(("WECHATPAY_ADMIN_TOKEN", shared.access.token.clone()));
            vars.push(("WECHATPAY_CA", "$PWD/emulator_ca.pem".into()));
            vars.iter()
                .map(|(k, v)| format!("export {k}={v}\n"))
                .collect()
        }
        _ => return None,
    })
}
