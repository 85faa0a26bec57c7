//! Scripted answers, faults and the journal's records.

use crate::mock::surface::routes::Pattern;
// For the doc links.
#[allow(unused_imports)]
use crate::error::Error;
#[allow(unused_imports)]
use crate::mock::Server;
use bytes::Bytes;
use http::{HeaderMap, Method, StatusCode};
use serde_json::{Map, Value};
use std::time::Duration;

/// A scripted answer.
#[derive(Debug, Clone)]
pub struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) body: AnswerBody,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) delay: Option<Duration>,
}

#[derive(Debug, Clone)]
pub(crate) enum AnswerBody {
    Empty,
    Json(Value),
    Xml(Map<String, Value>),
    Raw(Bytes),
}

impl Answer {
    /// A JSON answer.
    pub fn json(status: u16, body: Value) -> Answer {
        Answer::new(status, AnswerBody::Json(body))
    }

    /// An answer with no body (e.g. 204).
    pub fn empty(status: u16) -> Answer {
        Answer::new(status, AnswerBody::Empty)
    }

    /// An answer with this status and no body: `Answer::status(204)`.
    pub fn status(status: u16) -> Answer {
        Answer::empty(status)
    }

    /// An APIv2 XML answer (`200`) of these fields (a JSON object or map; other values give an
    /// empty `<xml/>`). The emulator adds `nonce_str` and an HMAC-SHA256 `sign` with the merchant's
    /// APIv2 secret, unless the fields carry their own `sign` (to forge one).
    pub fn xml(fields: impl Into<Value>) -> Answer {
        let fields = match fields.into() {
            Value::Object(map) => map,
            _ => Map::new(),
        };
        Answer::new(200, AnswerBody::Xml(fields))
    }

    /// Raw bytes (a file download, say).
    pub fn raw(status: u16, body: impl Into<Bytes>) -> Answer {
        Answer::new(status, AnswerBody::Raw(body.into()))
    }

    fn new(status: u16, body: AnswerBody) -> Answer {
        Answer {
            // An impossible status (<100 or >999) is a test bug; answer it visibly as a 500.
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            body,
            headers: Vec::new(),
            delay: None,
        }
    }

    /// Adds a header (the `Wechatpay-*` signature headers are the emulator's; a header given
    /// here with the same name replaces it).
    pub fn with_header(mut self, name: &str, value: &str) -> Answer {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    /// Waits before answering.
    pub fn with_delay(mut self, delay: Duration) -> Answer {
        self.delay = Some(delay);
        self
    }
}

/// One request as the emulator received it, and what it made of it.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Recorded {
    /// Method.
    pub method: Method,
    /// Path as received.
    pub path: String,
    /// Query as received.
    pub query: Option<String>,
    /// Headers.
    pub headers: HeaderMap,
    /// Body bytes.
    pub body: Bytes,
    /// True if the connection presented a client certificate issued by the emulator's CA.
    pub client_cert: bool,
    /// True if the request's signature (APIv3 `Authorization`, APIv2 `sign`) verified with a
    /// known merchant's key or secret.
    pub verified: bool,
    /// `OK`, or the error code answered (`SIGN_ERROR`, `NOT_FOUND`, `FAIL`…).
    pub outcome: String,
    /// HTTP/1.1 or HTTP/2.
    pub version: http::Version,
}

pub(crate) struct Script {
    pub(crate) pattern: Pattern,
    /// Answered in order; the last one repeats.
    pub(crate) answers: Vec<Answer>,
    pub(crate) served: usize,
}

impl Script {
    pub(crate) fn next(&mut self) -> Answer {
        let i = self.served.min(self.answers.len() - 1);
        self.served += 1;
        self.answers[i].clone()
    }
}
