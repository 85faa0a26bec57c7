//! Documented notifications sent by the emulator: one attempt to a loopback URL, the content
//! prepared from the catalogue, and the notifications that calls with no flow of their own
//! schedule (the calls the documentation names as setting the URL, `triggered_by`).

use super::emulator::State;
use super::jobs::Job;
use super::notify::{http, loopback};
use crate::catalogue::notifications::{self, Notification};
use crate::catalogue::Endpoint;
use crate::error::{Error, Result};
use crate::mock::protocol::call::{Call, Outcome};
use crate::mock::surface::notifications::{accepted, content, seal};
use crate::mock::surface::request::Request;
use crate::v2::SignType;
use serde_json::{Map, Value};
use std::sync::Arc;

/// The documented notification of this name or event type.
pub(crate) fn find(name: &str) -> Result<&'static Notification> {
    notifications::find(name).ok_or_else(|| {
        Error::argument(
            "event_type",
            format!("WeChat Pay documents no notification {name}"),
        )
    })
}

/// The content to send: `overrides` over the page's synthesized fields (`fill`), or as given.
pub(crate) fn prepare(
    state: &State,
    mchid: &str,
    n: &Notification,
    overrides: &Value,
    fill: bool,
) -> Result<Value> {
    if !fill {
        return Ok(overrides.clone());
    }
    let entry =
        state.keys.merchants.get(mchid).ok_or_else(|| {
            Error::argument("mchid", format!("the emulator has no merchant {mchid}"))
        })?;
    let keys = (&entry.public_key, &state.keys.platform_key);
    Ok(content(n, mchid, keys, overrides))
}

/// One attempt: the handler's status, and whether its reply is the success the page describes.
pub(crate) async fn send_once(
    state: Arc<State>,
    mchid: &str,
    url: &str,
    n: &Notification,
    content: &Value,
    sign_type: Option<SignType>,
) -> Result<(u16, bool)> {
    if !loopback(url) {
        return Err(Error::argument(
            "url",
            format!("the emulator only notifies http(s) URLs on 127.0.0.0/8, [::1] or localhost, not {url}"),
        ));
    }
    let faults = state.faults();
    let (headers, body) = seal(&state.keys, &faults, mchid, n, content, sign_type)?;
    let res = http()?
        .post(url)
        .headers(headers)
        .body(body)
        .send()
        .await
        .map_err(Error::Transport)?;
    let status = res.status().as_u16();
    let reply = res.text().await.unwrap_or_default();
    Ok((status, accepted(n, status, &reply)))
}

/// Queues notification `name` to `url`, delivered and retried by the worker; `subject` names
/// the business object in the deliveries (`out_trade_no`, `out_refund_no`…).
pub(crate) fn schedule(
    state: &State,
    mchid: &str,
    url: &str,
    (name, subject): (&str, &str),
    content: Value,
    fill: bool,
    sign_type: Option<SignType>,
) {
    state.flows.job(Job::Notify {
        mchid: mchid.to_string(),
        url: url.to_string(),
        name: name.to_string(),
        subject: subject.to_string(),
        content,
        fill,
        sign_type,
    });
}

/// After a documented call with no flow of its own was answered with success: for each URL
/// field of the request that the documentation names as a notification's (`triggered_by`),
/// the notification is scheduled, its resource fields echoing the request's values of the same
/// name. Of several notifications one field can receive, the success one is sent (the one whose
/// event ends in `SUCCESS` or `FINISHED`, else the first documented).
pub(crate) fn after_call(
    state: &State,
    call: &Call,
    endpoint: &Endpoint,
    request: &Request,
    out: &Outcome,
) {
    if !out.status.is_success() {
        return;
    }
    let triggered = notifications::triggered_by(&endpoint.method, &endpoint.template);
    if triggered.is_empty() {
        return;
    }
    let scalars = request.scalars();
    let mut fields: Vec<&str> = triggered.iter().map(|(_, t)| t.field.as_str()).collect();
    fields.dedup();
    for field in fields {
        let Some(url) = scalars.get(field).and_then(Value::as_str) else {
            continue;
        };
        let candidates: Vec<&Notification> = triggered
            .iter()
            .filter(|(_, t)| t.field == field)
            .map(|(n, _)| *n)
            .collect();
        let success = |n: &&&Notification| {
            let e = n
                .event_type
                .as_deref()
                .unwrap_or(&n.name)
                .to_ascii_uppercase();
            e.contains("SUCCESS") || e.ends_with("FINISHED")
        };
        let Some(n) = candidates
            .iter()
            .find(success)
            .or(candidates.first())
            .copied()
        else {
            continue;
        };
        let echo: Map<String, Value> = n
            .resource
            .iter()
            .chain(n.xml.iter())
            .filter(|f| !f.has_fields() && !f.encrypted && f.name != "sign")
            .filter_map(|f| Some((f.name.clone(), scalars.get(&f.name)?.clone())))
            .filter(|(_, v)| !matches!(v, Value::Object(_) | Value::Array(_)))
            .collect();
        let subject = [
            "out_trade_no",
            "out_refund_no",
            "out_batch_no",
            "out_bill_no",
        ]
        .iter()
        .find_map(|k| scalars.get(*k).and_then(Value::as_str))
        .unwrap_or(&endpoint.template)
        .to_string();
        let sign_type = scalars
            .get("sign_type")
            .and_then(Value::as_str)
            .and_then(|t| SignType::parse(t).ok());
        let mchid = &call.entry.merchant.mchid;
        schedule(
            state,
            mchid,
            url,
            (&n.name, &subject),
            Value::Object(echo),
            true,
            sign_type,
        );
    }
}
