//! The one error type of the crate.
//!
//! Variants separate what a caller can act on differently: bad input (fix the call), configuration
//! (fix the set-up), transport (retry), an answer from WeChat Pay (read its `code`), and answers that
//! must not be trusted (bad signature, clock skew).

//!
//! At the bottom of the crate: it holds `Error` and `Result`, [`Outcome`] (whether a failed call
//! may have taken effect), the redacted `Debug` of errors, and what a transport error says
//! (`transport`). It uses nothing of the crate above it.

mod debug;
pub(crate) mod outcome;
mod transport;

use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use outcome::Outcome;

/// Result alias used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong, from building a client to reading a notification.
///
/// ```
/// use wechatpay::Error;
/// let e = Error::MissingPlaceholder { name: "out_trade_no".into() };
/// assert_eq!(e.to_string(), "the placeholder `{out_trade_no}` has no value in the arguments");
/// ```
///
/// Its `Debug` leaves out answer bodies and APIv2 field values (personal data): it shows the
/// status, codes, message, Request-ID, and the names of headers and fields.
#[derive(thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A client setting is missing or unusable; `field` names the builder setting.
    #[error("invalid configuration `{field}`: {reason}")]
    Config {
        /// The builder setting, e.g. `serial` or `private_key`.
        field: &'static str,
        /// Why it was refused.
        reason: String,
    },

    /// A key, certificate or other secret material could not be read.
    #[error("cannot load {expected}: {reason}")]
    Key {
        /// What was expected, e.g. "a private key (PKCS#1 or PKCS#8 PEM)".
        expected: &'static str,
        /// What was found instead, or why parsing failed.
        reason: String,
    },

    /// A template placeholder has no value in the arguments.
    #[error("the placeholder `{{{name}}}` has no value in the arguments")]
    MissingPlaceholder {
        /// The placeholder name.
        name: String,
    },

    /// A template placeholder was given an empty value, which would change the path.
    #[error("the placeholder `{{{name}}}` is empty")]
    EmptyPlaceholder {
        /// The placeholder name.
        name: String,
    },

    /// The URI template itself is malformed or uses an unsupported form.
    #[error("invalid path template `{template}`: {reason}")]
    Template {
        /// The template as given.
        template: String,
        /// What is wrong with it.
        reason: String,
    },

    /// A call argument is unknown or has the wrong type.
    #[error("invalid argument `{name}`: {reason}")]
    Argument {
        /// The argument key (top-level or dotted, e.g. `query.limit`).
        name: String,
        /// What was expected.
        reason: String,
    },

    /// An APIv2 payload names a merchant other than the client's.
    #[error("the xml's `{field}` ({found}) does not match the client's mchid ({expected})")]
    MchidMismatch {
        /// `mch_id`, the field that should carry the merchant id.
        field: &'static str,
        /// The value found (empty when absent).
        found: String,
        /// The client's mchid.
        expected: String,
    },

    /// The call needs something the client was not built with (e.g. APIv2 secret, merchant certificate).
    #[error("not configured: {0}")]
    NotConfigured(String),

    /// The call was never sent, for a reason of the client's own: no place on the signing pool
    /// within the call's timeout, or the pool's thread failed while signing it.
    #[error("not sent: {0}")]
    NotSent(String),

    /// Connecting, sending or receiving failed; the message names the root cause.
    #[error("transport error: {}", transport::describe(.0))]
    Transport(#[source] reqwest::Error),

    /// WeChat Pay answered with a non-2xx status.
    ///
    /// `verified` says whether the answer's signature was checked and held: an unsigned error
    /// answer (a proxy's page, a forged `ORDER_NOT_EXIST`) is still reported, but its `code` is
    /// only what the body claims, and the `Display` says so.
    #[error("{who} answered {status}: {code} {message} (Request-ID: {request_id})",
        who = if *verified { "WeChat Pay" } else { "an unverified server (signature not checked)" },
        code = code.as_deref().unwrap_or("-"), message = message.as_deref().unwrap_or("-"),
        request_id = request_id.as_deref().unwrap_or("-"))]
    Api {
        /// HTTP status.
        status: StatusCode,
        /// WeChat's error `code` (e.g. `PARAM_ERROR`), when the body carried one.
        code: Option<String>,
        /// WeChat's error `message`.
        message: Option<String>,
        /// The `Request-ID` header, to quote to WeChat Pay support.
        request_id: Option<String>,
        /// Answer headers.
        headers: Box<HeaderMap>,
        /// Raw answer body.
        body: Bytes,
        /// True when the answer carried WeChat Pay's signature and it verified.
        verified: bool,
    },

    /// An APIv2 answer whose `return_code` or `result_code` is not `SUCCESS`.
    ///
    /// `verified` is true when the answer carried a `sign` and it verified with the APIv2
    /// secret; a failure without one (WeChat sends many unsigned) is reported with
    /// `verified: false`, and its `Display` says the fields are unverified.
    #[error("APIv2 call failed{unverified}: return_code={return_code} result_code={result_code} {message}",
        unverified = if *verified { "" } else { " (unsigned answer: fields unverified)" },
        return_code = fields.get("return_code").and_then(|v| v.as_str()).unwrap_or("-"),
        result_code = fields.get("result_code").and_then(|v| v.as_str()).unwrap_or("-"),
        message = fields.get("err_code_des").or_else(|| fields.get("return_msg")).and_then(|v| v.as_str()).unwrap_or(""))]
    V2Failure {
        /// Every field of the parsed answer.
        fields: serde_json::Map<String, serde_json::Value>,
        /// Raw answer body.
        body: Bytes,
        /// True when the answer's `sign` was present and verified.
        verified: bool,
    },

    /// An answer or notification whose signature is missing, unknown or wrong: never trust its content.
    #[error("signature verification failed: {0}")]
    Signature(String),

    /// An answer or notification timestamp outside the ±300 s window.
    #[error("timestamp {remote} is {offset} s away from local time {local}, more than the allowed ±300 s")]
    ClockSkew {
        /// The timestamp it carried.
        remote: i64,
        /// Local time.
        local: i64,
        /// Difference, remote minus local.
        offset: i64,
    },

    /// A body or field could not be decoded (JSON, XML, base64, UTF-8).
    #[error("cannot decode {what}: {reason}")]
    Decode {
        /// What was being decoded.
        what: &'static str,
        /// Why it failed.
        reason: String,
    },

    /// A limit of the call was reached: `timeout` (the whole call), `attempt_timeout` (one
    /// attempt, when the `Retry` policy sets one), `stall_timeout`, `download_timeout`,
    /// `max_answer_bytes` or `max_download_bytes` (see `docs/operations.md` for the defaults).
    ///
    /// A timeout after the request was written leaves the call's effect unknown: query before
    /// retrying a write.
    #[error("limit `{limit}` reached: {reason}")]
    Limit {
        /// The limit's name, as the builder setter and the per-call option spell it.
        limit: &'static str,
        /// What happened, with the limit's value.
        reason: String,
    },

    /// A download was received but could not be written to its `sink` file; the target file is
    /// untouched (the answer was streamed to a temporary file beside it, which is removed).
    #[error("cannot write the download to `{path}`: {reason}")]
    Sink {
        /// The target file.
        path: std::path::PathBuf,
        /// The I/O error.
        reason: String,
    },

    /// A genuine notification that is not about the order the merchant expected: another
    /// merchant, app, order number, amount or currency.
    #[error("the notification's `{field}` is {found}, not the expected {expected}")]
    Mismatch {
        /// The field that differs (`mchid`, `appid`, `out_trade_no`, `amount.total`, `amount.currency`).
        field: &'static str,
        /// What the merchant's order says.
        expected: String,
        /// What the notification says.
        found: String,
    },

    /// A cryptographic operation failed (decryption with a wrong key, bad padding, ...).
    #[error("crypto error: {0}")]
    Crypto(String),
}

impl Error {
    /// Shorthand for an [`Error::Argument`].
    pub(crate) fn argument(name: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::Argument {
            name: name.into(),
            reason: reason.into(),
        }
    }

    /// Shorthand for an [`Error::Config`].
    pub(crate) fn config(field: &'static str, reason: impl Into<String>) -> Self {
        Error::Config {
            field,
            reason: reason.into(),
        }
    }

    /// Shorthand for an [`Error::Decode`].
    pub(crate) fn decode(what: &'static str, reason: impl ToString) -> Self {
        Error::Decode {
            what,
            reason: reason.to_string(),
        }
    }

    /// Shorthand for an [`Error::Key`].
    pub(crate) fn key(expected: &'static str, reason: impl Into<String>) -> Self {
        Error::Key {
            expected,
            reason: reason.into(),
        }
    }

    /// WeChat's error `code` for API errors, `err_code` or `return_code` for APIv2 failures.
    pub fn code(&self) -> Option<&str> {
        match self {
            Error::Api { code, .. } => code.as_deref(),
            Error::V2Failure { fields, .. } => fields
                .get("err_code")
                .or_else(|| fields.get("return_code"))
                .and_then(|v| v.as_str()),
            _ => None,
        }
    }

    /// The HTTP status of an API error.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Error::Api { status, .. } => Some(*status),
            Error::Transport(e) => e.status(),
            _ => None,
        }
    }

    /// True when the call was refused before anything was sent: bad input or configuration.
    ///
    /// Such a call certainly did not take effect; fix it and call again. Every other error may
    /// come after the request left (a timeout, an answer that failed verification, a file that
    /// could not be written).
    ///
    /// ```
    /// let e = wechatpay::Error::MissingPlaceholder { name: "out_trade_no".into() };
    /// assert!(e.is_refused_before_sending());
    /// ```
    pub fn is_refused_before_sending(&self) -> bool {
        matches!(
            self,
            Error::Config { .. }
                | Error::Key { .. }
                | Error::MissingPlaceholder { .. }
                | Error::EmptyPlaceholder { .. }
                | Error::Template { .. }
                | Error::Argument { .. }
                | Error::MchidMismatch { .. }
                | Error::NotConfigured(_)
                | Error::NotSent(_)
        )
    }

    /// Whether the call may have taken effect at WeChat Pay (see [`Outcome`]).
    ///
    /// ```
    /// use wechatpay::{Error, Outcome};
    /// let e = Error::Signature("the signature does not verify".into());
    /// assert_eq!(e.outcome(), Outcome::Unknown, "a forged answer says nothing about the call");
    /// ```
    pub fn outcome(&self) -> Outcome {
        if self.is_refused_before_sending() {
            return Outcome::NotSent;
        }
        match self {
            Error::Transport(e) if transport::nothing_sent(e) => Outcome::NotSent,
            Error::Api {
                status, verified, ..
            } if *verified && status.is_client_error() => Outcome::Rejected,
            // Only a signed failure is WeChat Pay's word: anyone on the path can write an
            // unsigned `FAIL` for a payment that went through.
            Error::V2Failure { verified: true, .. }
                if !self
                    .code()
                    .is_some_and(|c| outcome::V2_UNCERTAIN.contains(&c)) =>
            {
                Outcome::Rejected
            }
            _ => Outcome::Unknown,
        }
    }

    /// True when the call may have taken effect: query (with the same business number) before
    /// sending a write again.
    pub fn may_have_taken_effect(&self) -> bool {
        self.outcome() == Outcome::Unknown
    }

    /// True for errors a retry might cure: connection failures (but not an untrusted
    /// certificate), timeouts, 429 and 5xx answers. Whether a retry is *safe* is
    /// [`outcome`](Self::outcome)'s question.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Transport(e) => !transport::is_tls_certificate_problem(e),
            // A timeout may pass; a download refused at its size or pace limit would only
            // be refused again, at the same cost.
            Error::Limit { limit, .. } => matches!(*limit, "timeout" | "attempt_timeout"),
            Error::Api { status, .. } => status.is_server_error() || status.as_u16() == 429,
            _ => false,
        }
    }
}
