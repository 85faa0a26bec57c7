//! The call's limits enforced while bytes move: the whole-call deadline, the stalled-chunk and
//! download bounds of a streamed download, and the cap on an answer held in memory (the limits
//! themselves, and their defaults, are in `policy::limits`).

use crate::error::{Error, Result};
use crate::policy::limits::Limits;
use bytes::{Bytes, BytesMut};
use std::future::Future;
use std::time::Duration;

/// Runs `fut` until `deadline` (the whole-call `timeout` from the attempt's start), so that
/// every step of one attempt shares one bound.
///
/// Not an `async fn`: that would hold `fut` twice in its state (as its argument and inside the
/// timeout), and a call's future is kilobytes that every poll path copies.
pub(crate) fn until<T>(
    deadline: tokio::time::Instant,
    limit: Duration,
    fut: impl Future<Output = Result<T>>,
) -> impl Future<Output = Result<T>> {
    use futures_util::FutureExt;
    tokio::time::timeout_at(deadline, fut)
        .map(move |res| res.unwrap_or_else(|_| Err(timed_out(limit))))
}

fn timed_out(limit: Duration) -> Error {
    Error::Limit {
        limit: "timeout",
        reason: format!(
            "the call took longer than {} (its attempts, the waits between them and any certificate download together); it may have reached WeChat Pay",
            show(limit)
        ),
    }
}

/// The instant `limit` from now; a limit lifted by setting it very high (`Duration::MAX`) is a
/// deadline some thirty years away rather than an overflow.
pub(crate) fn deadline_after(limit: Duration) -> tokio::time::Instant {
    let now = tokio::time::Instant::now();
    now.checked_add(limit)
        .or_else(|| now.checked_add(FAR))
        .unwrap_or(now)
}

/// Far enough to be never, near enough for every clock's arithmetic.
const FAR: Duration = Duration::from_secs(30 * 365 * 24 * 3600);

/// The next chunk of a streamed download, waiting at most `stall_timeout` for it and never past
/// the download's own deadline (`download_timeout` from its first byte): a server that sends a
/// byte just before each stall would otherwise hold the call forever.
pub(crate) async fn next_chunk(
    answer: &mut reqwest::Response,
    limits: &Limits,
    download_deadline: tokio::time::Instant,
) -> Result<Option<Bytes>> {
    let stall_deadline = deadline_after(limits.stall_timeout);
    let stalled = stall_deadline <= download_deadline;
    match tokio::time::timeout_at(stall_deadline.min(download_deadline), answer.chunk()).await {
        Ok(chunk) => chunk.map_err(Error::Transport),
        Err(_) if stalled => Err(Error::Limit {
            limit: "stall_timeout",
            reason: format!(
                "no data arrived for {} while the answer streamed",
                show(limits.stall_timeout)
            ),
        }),
        Err(_) => Err(Error::Limit {
            limit: "download_timeout",
            reason: format!(
                "the download took longer than {}",
                show(limits.download_timeout)
            ),
        }),
    }
}

/// Refuses a download that grew past `max_download_bytes`.
pub(crate) fn check_download_size(written: u64, limits: &Limits) -> Result<()> {
    if written > limits.max_download_bytes {
        return Err(Error::Limit {
            limit: "max_download_bytes",
            reason: format!("the download passed {} bytes", limits.max_download_bytes),
        });
    }
    Ok(())
}

/// Reads a whole answer body, refusing one larger than `max` before holding it.
pub(crate) async fn read_capped(mut answer: reqwest::Response, max: u64) -> Result<Bytes> {
    let too_large = |seen: String| {
        Error::Limit {
        limit: "max_answer_bytes",
        reason: format!(
            "the answer is {seen}, more than the {max} bytes held in memory; stream large downloads with `sink`"
        ),
    }
    };
    if let Some(len) = answer.content_length() {
        if len > max {
            return Err(too_large(format!("{len} bytes (Content-Length)")));
        }
    }
    // Most answers arrive in one chunk: hand it over without a copy.
    let Some(first) = answer.chunk().await.map_err(Error::Transport)? else {
        return Ok(Bytes::new());
    };
    if first.len() as u64 > max {
        return Err(too_large("longer".into()));
    }
    let Some(second) = answer.chunk().await.map_err(Error::Transport)? else {
        return Ok(first);
    };
    let mut body = BytesMut::with_capacity(first.len() + second.len());
    body.extend_from_slice(&first);
    let mut next = Some(second);
    while let Some(chunk) = next {
        if (body.len() + chunk.len()) as u64 > max {
            return Err(too_large("longer".into()));
        }
        body.extend_from_slice(&chunk);
        next = answer.chunk().await.map_err(Error::Transport)?;
    }
    Ok(body.freeze())
}

fn show(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{} s", d.as_secs())
    } else {
        format!("{} ms", d.as_millis())
    }
}
