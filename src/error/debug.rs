//! `Debug` for [`Error`] that keeps answer bodies and APIv2 field values out of logs.
//!
//! `{:?}` of an error ends up in logs, panics and `unwrap` messages. An answer's body and an
//! APIv2 answer's fields carry personal data (openids, bank names, amounts), so, as with
//! [`Response`](crate::Response)'s `Debug`, only what identifies the failure is shown: status,
//! codes, WeChat Pay's message, the Request-ID, header and field *names*, and body sizes. A
//! transport error is shown as its `Display` (scheme, host and cause), never with the URL's path
//! and query, which for a bill download hold its token.

use crate::error::Error;
use std::fmt;

/// The APIv2 fields that say what went wrong, never who or how much.
const V2_OUTCOME_FIELDS: &[&str] = &[
    "return_code",
    "return_msg",
    "result_code",
    "err_code",
    "err_code_des",
];

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Api {
                status,
                code,
                message,
                request_id,
                headers,
                body,
                verified,
            } => {
                let names: Vec<&str> = headers.keys().map(|k| k.as_str()).collect();
                f.debug_struct("Api")
                    .field("status", status)
                    .field("code", code)
                    .field("message", message)
                    .field("request_id", request_id)
                    .field("verified", verified)
                    .field("headers", &names)
                    .field("body_bytes", &body.len())
                    .finish()
            }
            Error::V2Failure {
                fields,
                body,
                verified,
            } => {
                let mut s = f.debug_struct("V2Failure");
                for name in V2_OUTCOME_FIELDS {
                    if let Some(v) = fields.get(*name) {
                        s.field(name, &v.as_str().unwrap_or("(not text)"));
                    }
                }
                let names: Vec<&str> = fields.keys().map(String::as_str).collect();
                s.field("verified", verified)
                    .field("fields", &names)
                    .field("body_bytes", &body.len())
                    .finish()
            }
            Error::Transport(_) => f.debug_tuple("Transport").field(&self.to_string()).finish(),
            Error::Config { field, reason } => f
                .debug_struct("Config")
                .field("field", field)
                .field("reason", reason)
                .finish(),
            Error::Key { expected, reason } => f
                .debug_struct("Key")
                .field("expected", expected)
                .field("reason", reason)
                .finish(),
            Error::MissingPlaceholder { name } => f
                .debug_struct("MissingPlaceholder")
                .field("name", name)
                .finish(),
            Error::EmptyPlaceholder { name } => f
                .debug_struct("EmptyPlaceholder")
                .field("name", name)
                .finish(),
            Error::Template { template, reason } => f
                .debug_struct("Template")
                .field("template", template)
                .field("reason", reason)
                .finish(),
            Error::Argument { name, reason } => f
                .debug_struct("Argument")
                .field("name", name)
                .field("reason", reason)
                .finish(),
            Error::MchidMismatch {
                field,
                found,
                expected,
            } => f
                .debug_struct("MchidMismatch")
                .field("field", field)
                .field("found", found)
                .field("expected", expected)
                .finish(),
            Error::NotConfigured(what) => f.debug_tuple("NotConfigured").field(what).finish(),
            Error::NotSent(why) => f.debug_tuple("NotSent").field(why).finish(),
            Error::Signature(why) => f.debug_tuple("Signature").field(why).finish(),
            Error::ClockSkew {
                remote,
                local,
                offset,
            } => f
                .debug_struct("ClockSkew")
                .field("remote", remote)
                .field("local", local)
                .field("offset", offset)
                .finish(),
            Error::Decode { what, reason } => f
                .debug_struct("Decode")
                .field("what", what)
                .field("reason", reason)
                .finish(),
            Error::Limit { limit, reason } => f
                .debug_struct("Limit")
                .field("limit", limit)
                .field("reason", reason)
                .finish(),
            Error::Sink { path, reason } => f
                .debug_struct("Sink")
                .field("path", path)
                .field("reason", reason)
                .finish(),
            Error::Mismatch {
                field,
                expected,
                found,
            } => f
                .debug_struct("Mismatch")
                .field("field", field)
                .field("expected", expected)
                .field("found", found)
                .finish(),
            Error::Crypto(why) => f.debug_tuple("Crypto").field(why).finish(),
        }
    }
}
