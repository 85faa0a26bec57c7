//! Scripted answers ([`Server::on`](crate::mock::Server::on)): what they hold, and how a verified
//! call gets the one scripted for its route.

use super::routes::Pattern;
use crate::mock::protocol::call::{ok, Call, Outcome};
use crate::mock::protocol::v2::{answer_sign_type, signed_xml};
use bytes::Bytes;
use http::StatusCode;
use serde_json::{Map, Value};
use std::sync::Mutex;
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

/// The latest script whose route matches the call, answered (the script advances).
pub(crate) fn scripted(scripts: &Mutex<Vec<Script>>, call: &Call) -> Option<Outcome> {
    let a = {
        let mut scripts = scripts.lock().unwrap_or_else(|e| e.into_inner());
        scripts
            .iter_mut()
            .find(|s| s.pattern.matches(call.method.as_str(), call.path).is_some())
            .map(|s| s.next())
    }?;
    let (bytes, content_type) = match a.body {
        AnswerBody::Empty => (Bytes::new(), "application/json"),
        AnswerBody::Json(v) => (Bytes::from(v.to_string()), "application/json"),
        AnswerBody::Raw(b) => (b, "application/octet-stream"),
        AnswerBody::Xml(fields) => (
            Bytes::from(signed_xml(
                fields,
                answer_sign_type(call),
                &call.entry.merchant,
            )),
            "text/xml",
        ),
    };
    let mut out = ok(bytes, content_type, a.status);
    if !a.status.is_success() {
        out.code = format!("HTTP_{}", a.status.as_u16());
    }
    out.headers = a.headers;
    out.delay = a.delay;
    Some(out)
}
