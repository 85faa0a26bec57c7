//! The emulator's admin API, for tests in any language: plain JSON under `/__emulator/` on the
//! same port (a prefix WeChat Pay never uses), no signature (the emulator listens on 127.0.0.1
//! only); and the [`Server`] methods over the flows' state.

use super::server::Server;
use super::shared::Shared;
use crate::error::{Error, Result};
use crate::mock::protocol::faults::Fault;
use crate::mock::state::emulator::State;
use crate::mock::state::jobs::Delivery;
use crate::mock::state::{notify, orders};
use crate::mock::surface::answers::Answer;
use crate::mock::surface::answers::Script;
use crate::mock::surface::routes::Pattern;
use bytes::Bytes;
use http::{Method, StatusCode};
use serde_json::{json, Value};
use std::sync::Arc;

/// The prefix of the admin API.
pub(crate) const PREFIX: &str = "/__emulator/";

impl Server {
    /// Marks the latest unpaid order with this `out_trade_no` paid (`SUCCESS`, with a
    /// `transaction_id`, `success_time`, `amount.payer_total` and, for an order that named no
    /// payer, a generated `payer.openid`: see [`pay_as`](Self::pay_as)) and sends its
    /// `TRANSACTION.SUCCESS` notification to its loopback `notify_url` (see
    /// [`Server::deliveries`]). Returns the order as a query answers it; an order paid before is
    /// returned as it is. A closed or unknown order is an [`Error::Argument`].
    pub fn pay(&self, out_trade_no: &str) -> Result<Value> {
        orders::pay(&self.shared.state, None, out_trade_no)
            .map(|o| orders::order_json(&o))
            .map_err(|why| Error::argument("out_trade_no", why))
    }

    /// [`pay`](Self::pay), by this payer: an order with no payer of its own (Native, App, H5)
    /// gets `payer.openid` = `openid` (`pay` gives it one in WeChat Pay's shape, `o` and 27
    /// characters); a JSAPI order keeps the payer its request named.
    ///
    /// ```no_run
    /// # async fn run(server: &wechatpay::mock::Server) -> wechatpay::Result<()> {
    /// let order = server.pay_as("1217752501201407033233368018", "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o")?;
    /// assert_eq!(order["payer"]["openid"], "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o");
    /// # Ok(()) }
    /// ```
    pub fn pay_as(&self, out_trade_no: &str, openid: &str) -> Result<Value> {
        orders::pay_as(&self.shared.state, None, out_trade_no, Some(openid))
            .map(|o| orders::order_json(&o))
            .map_err(|why| Error::argument("out_trade_no", why))
    }

    /// The latest order with this `out_trade_no`, as a query answers it.
    pub fn order(&self, out_trade_no: &str) -> Option<Value> {
        let orders = self.shared.state.flows.orders();
        let o = orders
            .iter()
            .rev()
            .find(|o| o.out_trade_no == out_trade_no)?;
        Some(orders::order_json(o))
    }

    /// Every notification delivery attempt so far, oldest first (including the skipped ones:
    /// a `notify_url` that is not loopback is never contacted).
    pub fn deliveries(&self) -> Vec<Delivery> {
        self.shared
            .state
            .flows
            .deliveries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Switches strict orders on or off (see [`ServerBuilder::strict`](crate::mock::ServerBuilder::strict)).
    pub fn set_strict(&self, on: bool) {
        self.shared
            .state
            .flows
            .strict
            .store(on, std::sync::atomic::Ordering::Relaxed);
    }

    /// Switches same-day bills on or off (see
    /// [`ServerBuilder::same_day_bills`](crate::mock::ServerBuilder::same_day_bills)); the admin
    /// API's `POST`/`DELETE /__emulator/same-day-bills`.
    pub fn set_same_day_bills(&self, on: bool) {
        self.shared
            .state
            .flows
            .same_day_bills
            .store(on, std::sync::atomic::Ordering::Relaxed);
    }

    /// What a client in any language needs (`GET /__emulator/config`): the base URL, the CA,
    /// the merchant's ids, keys and secrets, the WeChat Pay public key, the brands (`brands`:
    /// id, serial, key, brand API key). Keys are generated per run: this is a test double.
    pub fn config_json(&self) -> Value {
        config(&self.shared)
    }
}

fn config(shared: &Shared) -> Value {
    let state = &shared.state;
    let Some(info) = state.flows.info.get() else {
        return json!({});
    };
    let entry = &state.keys.merchants[&info.mchid];
    let m = &entry.merchant;
    let mut config = json!({
        "base_url": info.url,
        "admin_url": format!("{}{}", info.url, &PREFIX[1..]),
        "ca_pem": info.ca_pem,
        "mchid": m.mchid,
        "serial": m.serial,
        "private_key_pem": m.private_key_pem.as_str(),
        "merchant_certificate_pem": entry.cert_pem,
        "apiv2_secret": m.apiv2_secret.as_str(),
        "apiv3_key": m.apiv3_key.as_str(),
        "strict": state.flows.strict(),
        "admin_token": shared.access.token,
        "dashboard_url": shared.access.dashboard_port.get().map(|p| format!("http://127.0.0.1:{p}{PREFIX}?token={}", shared.access.token)),
        "brands": crate::mock::protocol::brand::config(&state.brands),
    });
    if let Value::Object(map) = &mut config {
        map.extend(super::modes::keys_json(state));
    }
    config
}

fn fault(name: &str, body: &Value, query: Option<&str>) -> Option<Fault> {
    let key: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_lowercase();
    Some(match key.as_str() {
        "badsignature" => Fault::BadSignature,
        "wrongserial" => Fault::WrongSerial,
        "skewedclock" => Fault::SkewedClock,
        "servererror" => Fault::ServerError,
        "dropconnection" => Fault::DropConnection,
        "slow" => {
            let from_query = query.and_then(|q| {
                url::form_urlencoded::parse(q.as_bytes())
                    .find(|(k, _)| k == "ms")
                    .and_then(|(_, v)| v.parse().ok())
            });
            Fault::Slow(from_query.or(body["ms"].as_u64()).unwrap_or(1000))
        }
        _ => return None,
    })
}

fn journal(shared: &Shared) -> Value {
    let journal = shared.journal.lock().unwrap_or_else(|e| e.into_inner());
    Value::Array(
        journal
            .iter()
            .map(|r| {
                json!({
                    "method": r.method.as_str(), "path": r.path, "query": r.query,
                    "body": String::from_utf8_lossy(&r.body), "verified": r.verified,
                    "outcome": r.outcome, "client_cert": r.client_cert,
                    "version": format!("{:?}", r.version),
                })
            })
            .collect(),
    )
}

fn deliveries(state: &State) -> Value {
    let list = state
        .flows
        .deliveries
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    Value::Array(
        list.iter()
            .enumerate()
            .map(|(id, d)| {
                json!({
                    "url": d.url, "event_type": d.event_type, "subject": d.subject,
                    "attempt": d.attempt, "status": d.status, "outcome": d.outcome, "error": d.error,
                    "next_retry_seconds": d.next_retry_seconds,
                    "id": id, "name": d.name, "resource": d.resource, "envelope": d.envelope,
                    "reply": d.reply, "millis": d.millis,
                })
            })
            .collect(),
    )
}

fn script(state: &State, body: &Value) -> std::result::Result<Value, String> {
    let method = body["method"].as_str().ok_or("`method` is required")?;
    let template = body["template"].as_str().ok_or("`template` is required")?;
    let status = body["status"].as_u64().unwrap_or(200) as u16;
    let mut answer = if let Some(xml) = body.get("xml") {
        Answer::xml(xml.clone())
    } else if let Some(text) = body["body"].as_str() {
        Answer::raw(status, text.as_bytes().to_vec())
    } else if let Some(v) = body.get("json") {
        Answer::json(status, v.clone())
    } else {
        Answer::empty(status)
    };
    if let Some(headers) = body["headers"].as_object() {
        for (k, v) in headers {
            answer = answer.with_header(k, v.as_str().unwrap_or(""));
        }
    }
    if let Some(ms) = body["delay_ms"].as_u64() {
        answer = answer.with_delay(std::time::Duration::from_millis(ms));
    }
    let mut scripts = state.scripts.lock().unwrap_or_else(|e| e.into_inner());
    scripts.insert(
        0,
        Script {
            pattern: Pattern::new(method, template),
            answers: vec![answer],
            served: 0,
        },
    );
    Ok(json!({ "scripted": format!("{} {template}", method.to_ascii_uppercase()) }))
}

/// Answers an admin request: (status, JSON).
pub(crate) async fn handle(
    shared: &Arc<Shared>,
    method: &Method,
    path: &str,
    query: Option<&str>,
    body: &Bytes,
) -> (StatusCode, Value) {
    let body: Value = if body.is_empty() {
        json!({})
    } else {
        match serde_json::from_slice(body) {
            Ok(v) => v,
            Err(e) => return bad(&format!("the body is not JSON: {e}")),
        }
    };
    let state = &shared.state;
    let rest = path.strip_prefix(PREFIX).unwrap_or("");
    let parts: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
    let okj = |v: Value| (StatusCode::OK, v);
    match (method.as_str(), parts.as_slice()) {
        ("GET", ["config"]) => okj(config(shared)),
        ("GET" | "PUT" | "POST", ["mode"]) => super::modes::admin(state, method, &body),
        ("GET", ["journal"]) => okj(journal(shared)),
        ("DELETE", ["journal"]) => {
            shared
                .journal
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .clear();
            okj(json!({ "cleared": true }))
        }
        ("GET", ["deliveries"]) => okj(deliveries(state)),
        ("GET", ["orders"]) => okj(Value::Array(
            state
                .flows
                .orders()
                .iter()
                .map(orders::order_json)
                .collect(),
        )),
        ("POST", ["script"]) => match script(state, &body) {
            Ok(v) => okj(v),
            Err(why) => bad(&why),
        },
        ("DELETE", ["script"]) => {
            state
                .scripts
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .clear();
            okj(json!({ "cleared": true }))
        }
        ("POST", ["orders", no, "pay"]) => {
            let no = percent_encoding::percent_decode_str(no).decode_utf8_lossy();
            let payer = match payer(&body) {
                Ok(p) => p,
                Err(why) => return bad(&why),
            };
            match orders::pay_as(state, None, &no, payer) {
                Ok(o) => okj(orders::order_json(&o)),
                Err(why) => (
                    StatusCode::NOT_FOUND,
                    json!({ "code": "ORDER_NOT_EXIST", "message": why }),
                ),
            }
        }
        ("POST", ["notify"]) => {
            let (Some(url), Some(event)) = (body["url"].as_str(), body["event_type"].as_str())
            else {
                return bad("`url` and `event_type` are required");
            };
            let mchid = state
                .flows
                .info
                .get()
                .map(|i| i.mchid.clone())
                .unwrap_or_default();
            let resource = body.get("resource").cloned().unwrap_or(json!({}));
            let sent = notify::send(state.clone(), mchid, url.into(), event.into(), resource).await;
            match sent {
                Ok(status) => okj(json!({ "status": status.as_u16() })),
                Err(e) => (
                    StatusCode::BAD_GATEWAY,
                    json!({ "code": "NOT_DELIVERED", "message": e.to_string() }),
                ),
            }
        }
        ("POST" | "DELETE", ["faults", name]) => {
            let Some(f) = fault(name, &body, query) else {
                return bad(&format!("no fault {name}: BadSignature, WrongSerial, SkewedClock, ServerError, Slow, DropConnection"));
            };
            let mut faults = state.faults.lock().unwrap_or_else(|e| e.into_inner());
            if method == Method::POST {
                faults.insert(f);
            } else {
                faults.retain(|x| std::mem::discriminant(x) != std::mem::discriminant(&f));
            }
            okj(json!({ "faults": faults.iter().map(|f| format!("{f:?}")).collect::<Vec<_>>() }))
        }
        ("DELETE", ["faults"]) => {
            state
                .faults
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .clear();
            okj(json!({ "faults": [] }))
        }
        ("POST" | "DELETE", ["strict"]) => {
            let on = method == Method::POST;
            state
                .flows
                .strict
                .store(on, std::sync::atomic::Ordering::Relaxed);
            okj(json!({ "strict": on }))
        }
        ("POST" | "DELETE", ["same-day-bills"]) => {
            let on = method == Method::POST;
            state
                .flows
                .same_day_bills
                .store(on, std::sync::atomic::Ordering::Relaxed);
            okj(json!({ "same_day_bills": on }))
        }
        (_, ["brand-notify", ..]) => super::brand::admin(state, method, &parts, &body)
            .await
            .unwrap_or_else(|| not_found(method, path)),
        (_, ["notify" | "notifications" | "deliveries", _, ..] | ["notifications"]) => {
            match super::notifications::admin(state, method, &parts, &body).await {
                Some(answer) => answer,
                None => not_found(method, path),
            }
        }
        (m, parts) => super::chaos::admin::admin(shared, m, parts, &body).unwrap_or_else(|| {
            (
                StatusCode::NOT_FOUND,
                json!({ "code": "NOT_FOUND", "message": format!("no admin call {method} {path}") }),
            )
        }),
    }
}

fn not_found(method: &Method, path: &str) -> (StatusCode, Value) {
    (
        StatusCode::NOT_FOUND,
        json!({ "code": "NOT_FOUND", "message": format!("no admin call {method} {path}") }),
    )
}

/// The payer a pay call may name (`{"openid": "o…"}`): 1 to 128 visible ASCII characters.
fn payer(body: &Value) -> std::result::Result<Option<&str>, String> {
    match &body["openid"] {
        Value::Null => Ok(None),
        Value::String(s)
            if (1..=128).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_graphic()) =>
        {
            Ok(Some(s))
        }
        _ => Err("`openid` must be 1 to 128 visible ASCII characters".into()),
    }
}

fn bad(why: &str) -> (StatusCode, Value) {
    (
        StatusCode::BAD_REQUEST,
        json!({ "code": "PARAM_ERROR", "message": why }),
    )
}
