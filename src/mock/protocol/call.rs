//! A request whose signature verified, and the answer the emulator makes to a request: what the
//! protocol checks hand up, and what every layer hands back down to the front.

use super::keys::MerchantEntry;
use bytes::Bytes;
use http::{HeaderMap, Method, StatusCode};
use serde_json::{json, Map, Value};
use std::time::Duration;

/// A request whose signature verified.
pub(crate) struct Call<'a> {
    pub method: &'a Method,
    /// As received, with its leading `/`.
    pub path: &'a str,
    pub query: Option<&'a str>,
    pub headers: &'a HeaderMap,
    pub body: &'a Bytes,
    pub entry: &'a MerchantEntry,
    /// APIv2: the signed fields (XML body, GET query, or an upload's text parts). Owned: the
    /// APIv2 check parses them from the body.
    pub v2_fields: Option<Map<String, Value>>,
}

/// What a check decided: the status, the body, and the outcome code for the journal.
pub(crate) struct Outcome {
    pub status: StatusCode,
    pub body: Bytes,
    pub content_type: &'static str,
    pub code: String,
    pub headers: Vec<(String, String)>,
    pub delay: Option<Duration>,
    /// The request's signature verified with a known merchant's key or secret.
    pub verified: bool,
}

pub(crate) fn error(status: u16, code: &str, message: &str) -> Outcome {
    Outcome {
        status: StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
        body: Bytes::from(json!({ "code": code, "message": message }).to_string()),
        content_type: "application/json",
        code: code.to_string(),
        headers: Vec::new(),
        delay: None,
        verified: false,
    }
}

pub(crate) fn v2_fail(message: &str) -> Outcome {
    let xml = crate::v2::xml::to_xml(&obj(json!({"return_code": "FAIL", "return_msg": message})));
    Outcome {
        status: StatusCode::OK,
        body: Bytes::from(xml),
        content_type: "text/xml",
        code: "FAIL".into(),
        headers: Vec::new(),
        delay: None,
        verified: false,
    }
}

pub(crate) fn obj(v: Value) -> Map<String, Value> {
    v.as_object().cloned().unwrap_or_default()
}

pub(crate) fn ok(body: Bytes, content_type: &'static str, status: StatusCode) -> Outcome {
    Outcome {
        status,
        body,
        content_type,
        code: "OK".into(),
        headers: Vec::new(),
        delay: None,
        verified: true,
    }
}
