//! The attempt loop of a call: send, and on failure ask the [`Retry`](crate::Retry) policy
//! whether to send again, re-signed, within one deadline. With the `tracing` feature each call
//! and each attempt is a span.

use crate::answer::response::Response;
use crate::error::{Error, Result};
use crate::exchange::Sender;
use crate::request::prepared::PreparedRequest;
use http::Method;
#[cfg(feature = "tracing")]
use std::time::Instant;

/// Runs a call: `make` prepares (and signs) one attempt; it is called again for each retry, so
/// every attempt carries a fresh nonce and timestamp.
pub(crate) async fn run<F>(
    sender: &Sender<'_>,
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
        let v2 =
            crate::request::pipeline::route(template).0 == crate::request::prepared::Protocol::V2;
        let span = crate::exchange::trace::call(method, template, v2, sender.mchid);
        async {
            let started = tokio::time::Instant::now();
            let prepared = Box::new(make().await?);
            attempts(sender, method, prepared, started, make).await
        }
        .instrument(span)
        .await
    }
    #[cfg(not(feature = "tracing"))]
    {
        let _ = template;
        let started = tokio::time::Instant::now();
        // Boxed: a prepared request is about 500 bytes, which each level of the call's future
        // would otherwise hold twice (as argument and as local) and copy when it starts.
        let prepared = Box::new(make().await?);
        attempts(sender, method, prepared, started, make).await
    }
}

async fn attempts<F>(
    sender: &Sender<'_>,
    method: &Method,
    mut prepared: Box<PreparedRequest>,
    started: tokio::time::Instant,
    make: impl Fn() -> F,
) -> Result<Response>
where
    F: std::future::Future<Output = Result<PreparedRequest>>,
{
    let policy = sender.policies.retry.with_call(prepared.retry_option());
    // One deadline over the whole call: every attempt, every wait between them and any
    // certificate download an answer sets off, from before the first attempt was prepared (a
    // wait for the signing pool counts). The call's `timeout` and the policy's deadline both
    // bound it; the earlier wins.
    let budget = prepared
        .limits(sender.policies.limits)
        .timeout
        .min(policy.total_deadline());
    let deadline = started
        .checked_add(budget)
        .unwrap_or_else(|| crate::exchange::limits::deadline_after(budget));
    let mut worst: Option<Error> = None;
    if tokio::time::Instant::now() >= deadline {
        // Preparing the first attempt (a wait for the signing pool) used the whole deadline:
        // nothing was sent, and saying `timeout` would claim it may have been.
        return Err(Error::NotSent(
            "the call's deadline passed before its first attempt was sent".into(),
        ));
    }
    let mut attempt = 1;
    loop {
        prepared.set_timeout(budget);
        // A per-attempt bound, when the policy has one, ends an attempt early but never the call.
        let bounded = policy
            .attempt_bound()
            .and_then(|bound| tokio::time::Instant::now().checked_add(bound))
            .filter(|at| *at < deadline);
        let err = match one(sender, prepared, attempt, bounded.unwrap_or(deadline)).await {
            Ok(res) => return Ok(res.with_attempts(attempt)),
            Err(Error::Limit {
                limit: "timeout", ..
            }) if bounded.is_some() => attempt_timed_out(policy.attempt_bound()),
            Err(e) => e,
        };
        let retry = policy.allows(method, &err, attempt);
        let wait = policy.wait(&err, attempt);
        let kept = worse(worst.take(), err);
        let past = tokio::time::Instant::now()
            .checked_add(wait)
            .is_none_or(|at| at >= deadline);
        if !retry || past {
            return Err(kept);
        }
        crate::exchange::trace::retrying(attempt, wait);
        tokio::time::sleep(wait).await;
        attempt += 1;
        prepared = match tokio::time::timeout_at(deadline, make()).await {
            Ok(Ok(next)) => Box::new(next),
            // Preparing the next attempt failed or ran out of time: nothing more was sent, and
            // the call keeps the outcome of the attempts that were.
            Ok(Err(e)) => return Err(worse(Some(kept), e)),
            Err(_) => return Err(kept),
        };
        worst = Some(kept);
    }
}

/// An attempt that ran past the policy's per-attempt bound, with time left for another.
fn attempt_timed_out(bound: Option<std::time::Duration>) -> Error {
    Error::Limit {
        limit: "attempt_timeout",
        reason: format!(
            "the attempt took longer than {} ms; it may have reached WeChat Pay",
            bound.unwrap_or_default().as_millis()
        ),
    }
}

/// The error of the worse outcome (the latest among equals), so that a call's outcome is the
/// worst of its attempts: a write that timed out after sending stays `Unknown` when the next
/// attempts cannot connect.
fn worse(kept: Option<Error>, err: Error) -> Error {
    match kept {
        Some(kept) if kept.outcome() > err.outcome() => kept,
        _ => err,
    }
}

/// One attempt, in its own span with the tracing feature.
async fn one(
    sender: &Sender<'_>,
    prepared: Box<PreparedRequest>,
    attempt: u32,
    deadline: tokio::time::Instant,
) -> Result<Response> {
    #[cfg(feature = "tracing")]
    {
        use tracing::Instrument;
        let span =
            crate::exchange::trace::attempt(attempt, prepared.url().host_str().unwrap_or(""));
        let started = Instant::now();
        let result = crate::exchange::send::send(sender, prepared, deadline)
            .instrument(span.clone())
            .await;
        crate::exchange::trace::finished(&span, &result, started.elapsed());
        result
    }
    #[cfg(not(feature = "tracing"))]
    {
        let _ = attempt;
        crate::exchange::send::send(sender, prepared, deadline).await
    }
}
