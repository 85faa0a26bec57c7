//! When a failed call is sent again: by its [`Outcome`], never blindly.
//!
//! - `NotSent` (the connection could not be made) is always safe to send again, on the failover
//!   host where one is configured.
//! - Reads (`GET`) are retried on 429 and 5xx (signed or not) and resets, honouring a verified
//!   answer's `Retry-After`; a timeout ended the call's one deadline and is not retried, an
//!   `attempt_timeout` is while time is left. A download refused at a limit is not retried.
//! - Writes are never retried automatically: a payment, refund or transfer sent twice may take
//!   effect twice unless its business number (`out_trade_no`, `out_refund_no`, `out_bill_no`…)
//!   is the same, which WeChat Pay then answers idempotently. A caller who resends with the same
//!   number opts in for that call with `"retry": {"writes": true}`.
//!
//! Every attempt is signed afresh (new nonce and timestamp), and all attempts share one deadline;
//! the call's error is the one of its worst outcome (`exchange::attempts`).

use crate::error::{Error, Result};
use crate::util::json_type;
use crate::Outcome;
use http::Method;
use serde_json::Value;
use std::time::Duration;

/// A retry policy, per client ([`ClientBuilder::retry`](crate::ClientBuilder::retry)) and per
/// call (the `retry` option: `false`, `true`, or `{"attempts": 3, "reads": true, "writes": true,
/// "attempt_timeout": 2}`).
///
/// ```
/// use std::time::Duration;
/// use wechatpay::Retry;
/// let policy = Retry::default()
///     .attempts(4)
///     .backoff(Duration::from_millis(100), Duration::from_secs(2))
///     .deadline(Duration::from_secs(20));
/// let client = wechatpay::Client::builder().mchid("1900000001").retry(policy).build().unwrap();
/// # let _ = client;
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retry {
    attempts: u32,
    backoff: Duration,
    max_backoff: Duration,
    reads: bool,
    writes: bool,
    deadline: Duration,
    attempt_timeout: Option<Duration>,
}

impl Default for Retry {
    /// Three attempts, backoff from 200 ms to 5 s with jitter, reads retried, writes not, all
    /// within 60 s.
    fn default() -> Self {
        Retry {
            attempts: 3,
            backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(5),
            reads: true,
            writes: false,
            deadline: Duration::from_secs(60),
            attempt_timeout: None,
        }
    }
}

impl Retry {
    /// One attempt only: nothing is ever sent twice.
    pub fn none() -> Retry {
        Retry {
            attempts: 1,
            ..Retry::default()
        }
    }

    /// Attempts in all, the first included (at least 1, at most 10).
    pub fn attempts(mut self, attempts: u32) -> Retry {
        self.attempts = attempts.clamp(1, 10);
        self
    }

    /// The first wait, doubled each attempt up to `max`, each with up to 50% random jitter.
    pub fn backoff(mut self, first: Duration, max: Duration) -> Retry {
        self.backoff = first;
        self.max_backoff = max.max(first);
        self
    }

    /// Whether `GET`s are retried on 429, 5xx, resets and attempt timeouts (default: yes).
    pub fn reads(mut self, on: bool) -> Retry {
        self.reads = on;
        self
    }

    /// Whether writes are retried when their outcome is unknown (default: no). Set it only for
    /// calls resent with the same business number.
    pub fn writes(mut self, on: bool) -> Retry {
        self.writes = on;
        self
    }

    /// One deadline for all attempts together, waits included. The call's `timeout` bounds the
    /// whole call too; the earlier of the two ends it.
    pub fn deadline(mut self, deadline: Duration) -> Retry {
        self.deadline = deadline;
        self
    }

    /// A bound on each attempt, within the call's one deadline (default: none, an attempt may
    /// use all that is left). An attempt that runs past it is `Error::Limit { limit:
    /// "attempt_timeout" }`, retried like a timeout when the policy allows (reads by default)
    /// and time is left. Per call: `"retry": {"attempt_timeout": 0.5}` (seconds).
    ///
    /// ```
    /// use std::time::Duration;
    /// use wechatpay::Retry;
    /// // Three tries of at most 2 s each, all within the call's `timeout`.
    /// let policy = Retry::default().attempt_timeout(Duration::from_secs(2));
    /// # let _ = policy;
    /// ```
    pub fn attempt_timeout(mut self, bound: Duration) -> Retry {
        self.attempt_timeout = Some(bound).filter(|b| !b.is_zero());
        self
    }

    pub(crate) fn total_deadline(&self) -> Duration {
        self.deadline
    }

    pub(crate) fn attempt_bound(&self) -> Option<Duration> {
        self.attempt_timeout
    }

    /// Whether `err`, from attempt number `attempt` (1-based), is worth another attempt.
    pub(crate) fn allows(&self, method: &Method, err: &Error, attempt: u32) -> bool {
        if attempt >= self.attempts || !err.is_retryable() {
            return false;
        }
        match err.outcome() {
            Outcome::NotSent => true,
            // A verified 429: WeChat Pay did not act, so a write is as safe as a read; still,
            // writes wait for the caller's consent.
            Outcome::Rejected | Outcome::Unknown => {
                if *method == Method::GET {
                    self.reads
                } else {
                    self.writes
                }
            }
        }
    }

    /// The wait before attempt `attempt + 1`: jittered exponential backoff, or the answer's
    /// `Retry-After` when longer.
    pub(crate) fn wait(&self, err: &Error, attempt: u32) -> Duration {
        let exp = self
            .backoff
            .saturating_mul(1u32 << (attempt - 1).min(16))
            .min(self.max_backoff);
        let mut byte = [0u8; 1];
        let jitter = getrandom::getrandom(&mut byte).map_or(0, |_| byte[0]);
        let backoff = exp.saturating_add(exp.mul_f64(f64::from(jitter) / 255.0 / 2.0));
        backoff.max(retry_after(err).unwrap_or_default())
    }

    /// This policy with a call's `retry` option laid over it.
    pub(crate) fn with_call(self, call: Option<&Value>) -> Retry {
        match call {
            None => self,
            Some(v) => parse(v, self).unwrap_or(self),
        }
    }
}

/// `Retry-After` in seconds from a verified error answer (an HTTP date is ignored: WeChat Pay
/// sends seconds). An unverified answer's is not WeChat Pay's word: anyone on the path could
/// otherwise stretch every retry to the deadline.
fn retry_after(err: &Error) -> Option<Duration> {
    let Error::Api {
        headers,
        verified: true,
        ..
    } = err
    else {
        return None;
    };
    let secs: u64 = headers
        .get("Retry-After")?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    Some(Duration::from_secs(secs.min(3600)))
}

/// Reads the `retry` option, refusing anything but the documented forms.
pub(crate) fn parse(value: &Value, base: Retry) -> Result<Retry> {
    let bad = |why: String| Error::argument("retry", why);
    match value {
        Value::Bool(false) => Ok(Retry {
            attempts: 1,
            ..base
        }),
        Value::Bool(true) | Value::Null => Ok(base),
        Value::Object(map) => {
            let mut out = base;
            for (key, v) in map {
                match (key.as_str(), v) {
                    ("attempts", Value::Number(n)) => match n.as_u64() {
                        Some(n @ 1..=10) => out.attempts = n as u32,
                        _ => return Err(bad(format!("`attempts` must be 1 to 10, found {n}"))),
                    },
                    ("reads", Value::Bool(b)) => out.reads = *b,
                    ("writes", Value::Bool(b)) => out.writes = *b,
                    ("attempt_timeout", Value::Number(_)) => {
                        let bound = crate::policy::limits::seconds("retry.attempt_timeout", v.clone())?;
                        out.attempt_timeout = Some(bound);
                    }
                    ("attempts" | "reads" | "writes" | "attempt_timeout", other) => {
                        return Err(bad(format!(
                            "`{key}` has the wrong type: {}",
                            json_type(other)
                        )))
                    }
                    _ => {
                        return Err(bad(format!(
                            "unknown key `{key}`: expected attempts, reads, writes, attempt_timeout"
                        )))
                    }
                }
            }
            Ok(out)
        }
        other => Err(bad(format!(
            "expected true, false or {{\"attempts\", \"reads\", \"writes\", \"attempt_timeout\"}}, found {}",
            json_type(other)
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_option_forms() {
        let base = Retry::default();
        assert_eq!(parse(&json!(false), base).unwrap().attempts, 1);
        assert_eq!(parse(&json!(true), base).unwrap(), base);
        let r = parse(&json!({"attempts": 5, "writes": true}), base).unwrap();
        assert_eq!((r.attempts, r.writes, r.reads), (5, true, true));
        let r = parse(&json!({"attempt_timeout": 0.5}), base).unwrap();
        assert_eq!(r.attempt_bound(), Some(Duration::from_millis(500)));
        let e = parse(&json!({"attempt_timeout": 0}), base).unwrap_err();
        assert!(e.to_string().contains("retry.attempt_timeout"), "{e}");
        for bad in [
            json!({"attempts": 0}),
            json!({"attempts": 11}),
            json!({"writes": "yes"}),
            json!({"attempt_timeout": 0}),
            json!({"attempt_timeout": -1}),
            json!({"attempt_timeout": 86_400}),
            json!({"attempt_timeout": "2"}),
            json!({"x": 1}),
            json!(3),
        ] {
            assert!(parse(&bad, base).is_err(), "{bad}");
        }
    }

    #[test]
    fn refusals_and_writes_are_never_retried_by_default() {
        let r = Retry::default();
        let refused = Error::MissingPlaceholder { name: "x".into() };
        assert!(!r.allows(&Method::GET, &refused, 1));
        let timeout = Error::Limit {
            limit: "timeout",
            reason: String::new(),
        };
        assert!(r.allows(&Method::GET, &timeout, 1));
        assert!(!r.allows(&Method::POST, &timeout, 1));
        assert!(r.writes(true).allows(&Method::POST, &timeout, 1));
        assert!(!r.allows(&Method::GET, &timeout, 3), "attempts used up");
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let r = Retry::default().backoff(Duration::from_millis(100), Duration::from_millis(300));
        let e = Error::Signature(String::new());
        let first = r.wait(&e, 1);
        assert!(first >= Duration::from_millis(100) && first <= Duration::from_millis(150));
        let late = r.wait(&e, 8);
        assert!(late >= Duration::from_millis(300) && late <= Duration::from_millis(450));
    }
}
