//! The brand's product-coupon notifications: the notify URL a brand sets (`notify-configs`),
//! and the `PRODUCT_COUPON.SEND` notification WeChat Pay sends it after a coupon is sent to a
//! user, delivered and retried by the worker as the merchants' notifications are.

use super::emulator::State;
use super::jobs::Job;
use super::notify::{http, loopback};
use crate::catalogue::Endpoint;
use crate::error::{Error, Result};
use crate::mock::protocol::brand::{self, BrandEntry};
use crate::mock::protocol::call::{error, ok, Call, Outcome};
use crate::mock::protocol::notification::beijing_time;
use crate::mock::surface::request::Request;
use crate::util::unix_now;
use bytes::Bytes;
use http::{Method, StatusCode};
use serde_json::{json, Value};
use std::sync::Arc;

/// Where a brand sets and reads its product-coupon notify URL.
pub(crate) const NOTIFY_CONFIGS: &str = "brand/marketing/product-coupon/notify-configs";

/// The calls after which WeChat Pay tells the brand a coupon reached a user: sending it
/// (向用户发放商品券) and confirming a pre-sent one (确认发放用户商品券). Pre-sending alone
/// (`pre-send-coupon`) does not: the coupon is the user's only once confirmed.
const SENDS: [&str; 2] = [
    "brand/marketing/product-coupon/users/{openid}/coupons",
    "brand/marketing/product-coupon/users/{openid}/coupons/{coupon_code}/confirm",
];

/// The event WeChat Pay names a coupon received by a user (the one brand notification seen in
/// public).
pub(crate) const SEND_EVENT: &str = "PRODUCT_COUPON.SEND";

fn entry<'a>(state: &'a State, call: &Call) -> Option<&'a BrandEntry> {
    if !call.path.starts_with("/brand/") {
        return None;
    }
    state.brands.get(&call.entry.merchant.mchid)
}

/// The brand's notify URL and when it was set, if it set one.
pub(crate) fn notify_config(entry: &BrandEntry) -> Option<(String, String)> {
    entry
        .notify
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone()
}

fn config_json((url, time): (String, String)) -> Outcome {
    let body = json!({ "notify_url": url, "update_time": time }).to_string();
    ok(Bytes::from(body), "application/json", StatusCode::OK)
}

/// The answer to `notify-configs`: `POST` stores the URL, `GET` reads it back once set.
pub(crate) fn answer(state: &State, call: &Call, template: &str, req: &Request) -> Option<Outcome> {
    if template != NOTIFY_CONFIGS {
        return None;
    }
    let entry = entry(state, call)?;
    if *call.method == Method::GET {
        // Before any POST the documented default answer, as for every call with no state:
        // WeChat Pay's documents do not say what an unset URL reads as.
        return notify_config(entry).map(config_json);
    }
    let url = req
        .json
        .as_ref()
        .and_then(|j| j.get("notify_url"))
        .and_then(Value::as_str)
        .filter(|u| !u.is_empty());
    // The source marks no field required (see docs/emulator.md): without a URL the call is
    // answered its documented default and nothing is stored.
    let url = url?;
    if !url.starts_with("https://") && !url.starts_with("http://") {
        return Some(error(
            400,
            "PARAM_ERROR",
            "notify_url 格式错误 (an http(s) URL)",
        ));
    }
    let config = (url.to_string(), beijing_time(unix_now()));
    *entry.notify.lock().unwrap_or_else(|e| e.into_inner()) = Some(config.clone());
    Some(config_json(config))
}

/// After a brand's successful send or confirm of a user's coupon: `PRODUCT_COUPON.SEND` to the
/// brand's notify URL, if it set one. The resource is the user coupon as the call answered it,
/// with the path's `openid` and `coupon_code` and the `brand_id` where the answer lacks them.
pub(crate) fn after_call(
    state: &State,
    call: &Call,
    endpoint: &Endpoint,
    req: &Request,
    out: &Outcome,
) {
    if !out.status.is_success() || !endpoint.method.eq_ignore_ascii_case("POST") {
        return;
    }
    if !SENDS.contains(&endpoint.template.as_str()) {
        return;
    }
    let Some(entry) = entry(state, call) else {
        return;
    };
    let Some((url, _)) = notify_config(entry) else {
        return;
    };
    let mut resource = match serde_json::from_slice::<Value>(&out.body) {
        Ok(Value::Object(m)) => m,
        _ => serde_json::Map::new(),
    };
    let scalars = req.scalars();
    for k in ["openid", "coupon_code", "product_coupon_id", "stock_id"] {
        if let Some(v) = scalars.get(k) {
            resource.entry(k).or_insert_with(|| v.clone());
        }
    }
    resource
        .entry("brand_id")
        .or_insert_with(|| Value::String(entry.brand.brand_id.clone()));
    let subject = resource
        .get("coupon_code")
        .and_then(Value::as_str)
        .unwrap_or(&endpoint.template)
        .to_string();
    state.flows.job(Job::BrandNotify {
        brand_id: entry.brand.brand_id.clone(),
        url,
        event_type: SEND_EVENT.into(),
        subject,
        resource: Value::Object(resource),
    });
}

/// One attempt of a brand notification: the handler's status, and whether it is a `2XX`.
pub(crate) async fn send_once(
    state: Arc<State>,
    brand_id: &str,
    url: &str,
    event_type: &str,
    resource: &Value,
) -> Result<(u16, bool)> {
    if !loopback(url) {
        return Err(Error::argument(
            "url",
            format!("the emulator only notifies http(s) URLs on 127.0.0.0/8, [::1] or localhost, not {url}"),
        ));
    }
    let faults = state.faults();
    let (headers, body) = brand::notification(
        &state.keys,
        &state.brands,
        &faults,
        brand_id,
        event_type,
        resource,
    )?;
    let res = http()?
        .post(url)
        .headers(headers)
        .body(body)
        .send()
        .await
        .map_err(Error::Transport)?;
    let status = res.status().as_u16();
    Ok((status, (200..300).contains(&status)))
}
