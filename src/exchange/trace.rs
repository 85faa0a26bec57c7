//! What the client reports through `tracing` (feature `tracing`): a span per call (method, path
//! template, protocol, mchid) and per attempt (attempt, host, status, `Request-ID`, outcome,
//! elapsed), and events for key rotation. Never a body, a key, an `Authorization` header or a
//! placeholder value (an openid, an order number): the template is logged, not the path.
//!
//! Without the feature every function here is empty and compiles away.

#[cfg(feature = "tracing")]
use crate::answer::response::Response;
use crate::error::Error;

/// The span of a call.
#[cfg(feature = "tracing")]
pub(crate) fn call(method: &http::Method, template: &str, v2: bool, mchid: &str) -> tracing::Span {
    tracing::info_span!(
        "wechatpay.call",
        method = %method,
        template = %template,
        protocol = if v2 { "v2" } else { "v3" },
        mchid = %mchid,
    )
}

/// The span of one attempt; its result fields are recorded by [`finished`].
#[cfg(feature = "tracing")]
pub(crate) fn attempt(attempt: u32, host: &str) -> tracing::Span {
    tracing::info_span!(
        "wechatpay.attempt",
        attempt,
        host = %host,
        status = tracing::field::Empty,
        request_id = tracing::field::Empty,
        outcome = tracing::field::Empty,
        elapsed_ms = tracing::field::Empty,
    )
}

/// Records how an attempt ended, and an event saying so.
#[cfg(feature = "tracing")]
pub(crate) fn finished(
    span: &tracing::Span,
    result: &Result<Response, Error>,
    elapsed: std::time::Duration,
) {
    let ms = elapsed.as_millis() as u64;
    span.record("elapsed_ms", ms);
    match result {
        Ok(res) => {
            span.record("status", res.status().as_u16());
            if let Some(id) = res.request_id() {
                span.record("request_id", id);
            }
            span.record("outcome", "ok");
            tracing::debug!(parent: span, status = res.status().as_u16(), "answer verified");
        }
        Err(e) => {
            if let Some(status) = e.status() {
                span.record("status", status.as_u16());
            }
            if let Error::Api {
                request_id: Some(id),
                ..
            } = e
            {
                span.record("request_id", id.as_str());
            }
            let outcome = format!("{:?}", e.outcome());
            span.record("outcome", outcome.as_str());
            tracing::debug!(parent: span, kind = kind(e), outcome = %outcome, "attempt failed");
        }
    }
}

/// The error's variant, not its message (which may quote what the server sent).
#[cfg(feature = "tracing")]
fn kind(e: &Error) -> &'static str {
    match e {
        Error::Transport(_) => "transport",
        Error::Limit { limit, .. } => limit,
        Error::Api { .. } => "api",
        Error::V2Failure { .. } => "v2_failure",
        Error::Signature(_) => "signature",
        Error::ClockSkew { .. } => "clock_skew",
        Error::Decode { .. } => "decode",
        Error::Sink { .. } => "sink",
        _ => "refused",
    }
}

/// A retry is about to wait.
#[cfg(feature = "tracing")]
pub(crate) fn retrying(attempt: u32, wait: std::time::Duration) {
    tracing::info!(attempt, wait_ms = wait.as_millis() as u64, "retrying");
}

#[cfg(not(feature = "tracing"))]
pub(crate) fn retrying(_attempt: u32, _wait: std::time::Duration) {}

/// A certificate download for an unknown serial.
pub(crate) fn rotation(mchid: &str, serial: &str, error: Option<&Error>) {
    #[cfg(feature = "tracing")]
    match error {
        None => tracing::info!(
            mchid,
            serial,
            "downloaded certificates for an unknown serial"
        ),
        Some(e) => tracing::warn!(
            mchid,
            serial,
            kind = kind(e),
            "certificate download for an unknown serial failed"
        ),
    }
    #[cfg(not(feature = "tracing"))]
    let _ = (mchid, serial, error);
}

/// A background refresh failed.
pub(crate) fn refresh_failed(mchid: &str, error: &Error) {
    #[cfg(feature = "tracing")]
    tracing::warn!(mchid, kind = kind(error), outcome = ?error.outcome(), "certificate refresh failed");
    #[cfg(not(feature = "tracing"))]
    let _ = (mchid, error);
}
