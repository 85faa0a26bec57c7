//! Any documented notification, on demand: the admin API's `POST /__emulator/notify/{NAME}`,
//! `GET /__emulator/notifications`, `POST /__emulator/deliveries/due`, and the [`Server`]
//! methods behind them.

use super::server::Server;
use crate::catalogue::notifications::{self, Notification};
use crate::catalogue::Protocol;
use crate::error::{Error, Result};
use crate::mock::state::emulator::State;
use crate::mock::state::events;
use http::{Method, StatusCode};
use serde_json::{json, Value};
use std::sync::Arc;

/// What one notification sent on demand came to ([`Server::send_notification`]).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Sent {
    /// The handler's HTTP status.
    pub status: u16,
    /// Whether the reply is the success the page's answer table describes (APIv3: a `20X`
    /// status; APIv2: `return_code` `SUCCESS`).
    pub accepted: bool,
    /// The content sent, before sealing: the resource (APIv2 plain: the XML fields).
    pub content: Value,
}

impl Server {
    /// Sends the documented notification `name` (an event type such as `REFUND.SUCCESS`, or a
    /// page name such as `v2/refund-processed`; `wechatpay list --notifications`) once to a
    /// loopback `url`: every required field of its table synthesized, `overrides` merged over
    /// them, sealed and signed as WeChat Pay does it.
    ///
    /// ```no_run
    /// # async fn run() -> wechatpay::Result<()> {
    /// let server = wechatpay::mock::Server::start().await?;
    /// let sent = server
    ///     .send_notification("REFUND.SUCCESS", "http://127.0.0.1:3000/notify",
    ///                        &serde_json::json!({"out_refund_no": "R1"}))
    ///     .await?;
    /// assert!(sent.accepted);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::Argument`] for an undocumented name or a URL that is not loopback;
    /// [`Error::Transport`] when the handler cannot be reached.
    pub async fn send_notification(
        &self,
        name: &str,
        url: &str,
        overrides: &Value,
    ) -> Result<Sent> {
        send(&self.shared.state, name, url, overrides, None).await
    }

    /// Ends every pending retry wait: each notification waiting to be sent again is sent now
    /// (the retry schedule, without waiting for it). Returns how many were waiting.
    ///
    /// ```no_run
    /// # async fn run() -> wechatpay::Result<()> {
    /// use std::time::Duration;
    /// // Retries an hour per 15 s of WeChat Pay's schedule: only deliver_due_now moves them.
    /// let server = wechatpay::mock::Server::builder()
    ///     .notify_retry_base(Duration::from_secs(3600))
    ///     .start()
    ///     .await?;
    /// server.schedule_notification("REFUND.SUCCESS", "http://127.0.0.1:3000/notify",
    ///                              &serde_json::json!({}))?;
    /// // … once the first attempt failed (server.deliveries()) and its retry waits:
    /// if server.pending_retries() > 0 {
    ///     server.deliver_due_now();
    /// }
    /// # Ok(()) }
    /// ```
    pub fn deliver_due_now(&self) -> usize {
        self.shared.state.flows.clock.due_now()
    }

    /// Retries waiting for their time now (what [`Server::deliver_due_now`] would send); see
    /// its example.
    pub fn pending_retries(&self) -> usize {
        self.shared.state.flows.clock.pending()
    }

    /// Queues the documented notification `name` to `url`, delivered and retried on WeChat
    /// Pay's schedule like the flows' notifications (see [`Server::deliveries`] and the example
    /// of [`Server::deliver_due_now`]).
    ///
    /// # Errors
    /// [`Error::Argument`] for an undocumented name (a URL that is not loopback is recorded as
    /// a `skipped` delivery, as the flows' are).
    pub fn schedule_notification(&self, name: &str, url: &str, overrides: &Value) -> Result<()> {
        let n = events::find(name)?;
        let state = &self.shared.state;
        let mchid = first_mchid(state);
        events::schedule(
            state,
            &mchid,
            url,
            (&n.name, &n.name),
            overrides.clone(),
            true,
            None,
        );
        Ok(())
    }
}

fn first_mchid(state: &State) -> String {
    state
        .flows
        .info
        .get()
        .map(|i| i.mchid.clone())
        .unwrap_or_default()
}

async fn send(
    state: &Arc<State>,
    name: &str,
    url: &str,
    overrides: &Value,
    sign_type: Option<crate::v2::SignType>,
) -> Result<Sent> {
    let n = events::find(name)?;
    let mchid = first_mchid(state);
    let content = events::prepare(state, &mchid, n, overrides, true)?;
    let (status, accepted) =
        events::send_once(state.clone(), &mchid, url, n, &content, sign_type).await?;
    Ok(Sent {
        status,
        accepted,
        content,
    })
}

/// One notification of the catalogue, as `GET /__emulator/notifications` lists it.
pub(crate) fn listed(n: &Notification) -> Value {
    json!({
        "name": n.name,
        "event_type": n.event_type,
        "protocol": if n.protocol == Protocol::V2 { "v2" } else { "v3" },
        "title": n.title,
        "triggered_by": n.triggered_by.iter().map(|t| json!({
            "method": t.method, "template": t.template, "field": t.field,
            "basis": if t.stated { "page-text" } else { "inferred" },
        })).collect::<Vec<_>>(),
    })
}

/// The admin calls of this file, if `parts` is one: (status, JSON).
pub(crate) async fn admin(
    state: &Arc<State>,
    method: &Method,
    parts: &[&str],
    body: &Value,
) -> Option<(StatusCode, Value)> {
    let bad =
        |code: StatusCode, why: String| (code, json!({ "code": "PARAM_ERROR", "message": why }));
    Some(match (method.as_str(), parts) {
        ("GET", ["notifications"]) => (
            StatusCode::OK,
            Value::Array(notifications::all().iter().map(listed).collect()),
        ),
        ("GET", ["deliveries", "due"]) => (
            StatusCode::OK,
            json!({ "pending": state.flows.clock.pending() }),
        ),
        ("POST", ["deliveries", "due"]) => (
            StatusCode::OK,
            json!({ "due": state.flows.clock.due_now() }),
        ),
        ("POST", ["notify", name @ ..]) if !name.is_empty() => {
            let name = percent_encoding::percent_decode_str(&name.join("/"))
                .decode_utf8_lossy()
                .into_owned();
            let Some(url) = body["to"].as_str().or(body["url"].as_str()) else {
                return Some(bad(
                    StatusCode::BAD_REQUEST,
                    "`to` (the notify URL) is required".into(),
                ));
            };
            let overrides = body.get("resource").cloned().unwrap_or(json!({}));
            if body["retry"].as_bool() == Some(true) {
                let Ok(n) = events::find(&name) else {
                    return Some(bad(
                        StatusCode::NOT_FOUND,
                        format!("WeChat Pay documents no notification {name}"),
                    ));
                };
                let mchid = first_mchid(state);
                events::schedule(
                    state,
                    &mchid,
                    url,
                    (&n.name, &n.name),
                    overrides,
                    true,
                    None,
                );
                return Some((StatusCode::ACCEPTED, json!({ "scheduled": n.name })));
            }
            let sign_type = body["sign_type"]
                .as_str()
                .and_then(|t| crate::v2::SignType::parse(t).ok());
            match send(state, &name, url, &overrides, sign_type).await {
                Ok(s) => (
                    StatusCode::OK,
                    json!({ "name": name, "status": s.status, "accepted": s.accepted, "resource": s.content }),
                ),
                Err(Error::Argument { reason, .. }) => bad(StatusCode::BAD_REQUEST, reason),
                Err(e) => (
                    StatusCode::BAD_GATEWAY,
                    json!({ "code": "NOT_DELIVERED", "message": e.to_string() }),
                ),
            }
        }
        _ => return None,
    })
}
