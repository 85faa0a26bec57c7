//! The attempt loop of a call: send, and on failure ask the [`Retry`](crate::Retry) policy
//! whether to send again, re-signed, within one deadline.

use crate::client::Inner;
use crate::error::Result;
use crate::pipeline::PreparedRequest;
use crate::response::Response;
use http::Method;
use std::time::{Duration, Instant};

/// Runs a call: `make` prepares (and signs) one attempt; it is called again for each retry, so
/// every attempt carries a fresh nonce and timestamp.
pub(crate) async fn run(
    inner: &Inner,
    method: &Method,
    make: impl Fn() -> Result<PreparedRequest>,
) -> Result<Response> {
    let mut prepared = make()?;
    let policy = inner.retry.with_call(prepared.retry_option());
    let started = Instant::now();
    let deadline = policy.total_deadline();
    let mut attempt = 1;
    loop {
        let remaining = deadline.saturating_sub(started.elapsed());
        prepared.cap_timeout(remaining.max(Duration::from_millis(1)), inner.limits);
        let err = match crate::send::send(inner, prepared).await {
            Ok(res) => return Ok(res),
            Err(e) => e,
        };
        if !policy.allows(method, &err, attempt) {
            return Err(err);
        }
        let wait = policy.wait(&err, attempt);
        if started.elapsed() + wait >= deadline {
            return Err(err);
        }
        tokio::time::sleep(wait).await;
        attempt += 1;
        prepared = make()?;
    }
}
