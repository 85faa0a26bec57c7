//! The attempt loop of a call: send, and on failure ask the [`Retry`](crate::Retry) policy
//! whether to send again, re-signed, within one deadline. With the `tracing` feature each call
//! and each attempt is a span.

use crate::client::Inner;
use crate::error::Result;
use crate::pipeline::PreparedRequest;
use crate::response::Response;
use http::Method;
use std::time::{Duration, Instant};

/// Runs a call: `make` prepares (and signs) one attempt; it is called again for each retry, so
/// every attempt carries a fresh nonce and timestamp.
pub(crate) async fn run<F>(
    inner: &Inner,
    method: &Method,
    template: &str,
    make: impl Fn() -> F,
) -> Result<Response>
where
    F: std::future::Future<Output = Result<PreparedRequest>>,
{
    #[cfg(feature = "tracing")]
    {
        use tracing::Instrument;
        // The span opens before the first attempt is prepared, so a wait for the signing pool
        // is inside it; the protocol is read from the template as the pipeline routes it.
        let v2 = crate::pipeline::route(template).0 == crate::pipeline::Protocol::V2;
        let span = crate::trace::call(method, template, v2, &inner.mchid);
        async {
            let prepared = make().await?;
            attempts(inner, method, prepared, make).await
        }
        .instrument(span)
        .await
    }
    #[cfg(not(feature = "tracing"))]
    {
        let _ = template;
        let prepared = make().await?;
        attempts(inner, method, prepared, make).await
    }
}

async fn attempts<F>(
    inner: &Inner,
    method: &Method,
    mut prepared: PreparedRequest,
    make: impl Fn() -> F,
) -> Result<Response>
where
    F: std::future::Future<Output = Result<PreparedRequest>>,
{
    let policy = inner.retry.with_call(prepared.retry_option());
    let started = Instant::now();
    let deadline = policy.total_deadline();
    let mut attempt = 1;
    loop {
        let remaining = deadline.saturating_sub(started.elapsed());
        prepared.cap_timeout(remaining.max(Duration::from_millis(1)), inner.limits);
        let err = match one(inner, prepared, attempt).await {
            Ok(res) => return Ok(res.with_attempts(attempt)),
            Err(e) => e,
        };
        if !policy.allows(method, &err, attempt) {
            return Err(err);
        }
        let wait = policy.wait(&err, attempt);
        if started.elapsed() + wait >= deadline {
            return Err(err);
        }
        crate::trace::retrying(attempt, wait);
        tokio::time::sleep(wait).await;
        attempt += 1;
        prepared = make().await?;
    }
}

/// One attempt, in its own span with the tracing feature.
async fn one(inner: &Inner, prepared: PreparedRequest, attempt: u32) -> Result<Response> {
    #[cfg(feature = "tracing")]
    {
        use tracing::Instrument;
        let span = crate::trace::attempt(attempt, prepared.url().host_str().unwrap_or(""));
        let started = Instant::now();
        let result = crate::send::send(inner, prepared)
            .instrument(span.clone())
            .await;
        crate::trace::finished(&span, &result, started.elapsed());
        result
    }
    #[cfg(not(feature = "tracing"))]
    {
        let _ = attempt;
        crate::send::send(inner, prepared).await
    }
}
