//! The raw, verified answer of a call.

use crate::error::{Error, Result};
use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use serde_json::{Map, Value};

/// A verified answer: status, headers and the body bytes as WeChat Pay sent them.
///
/// Nothing is decoded until asked, so file downloads pass through untouched.
///
/// ```
/// # fn show(res: wechatpay::Response) -> wechatpay::Result<()> {
/// if res.status() == 204 {
///     println!("accepted, no content");
/// } else {
///     let body = res.json()?;
///     println!("{}", body["trade_state"]);
/// }
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Response {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
    attempts: u32,
}

impl Response {
    pub(crate) fn new(status: StatusCode, headers: HeaderMap, body: Bytes) -> Self {
        Response {
            status,
            headers,
            body,
            attempts: 1,
        }
    }

    pub(crate) fn with_attempts(mut self, attempts: u32) -> Self {
        self.attempts = attempts;
        self
    }

    /// How many attempts the call took (1 unless it was retried; see [`Retry`](crate::Retry)).
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    pub(crate) fn into_parts(self) -> (StatusCode, HeaderMap, Bytes) {
        (self.status, self.headers, self.body)
    }

    /// HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// Answer headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The `Request-ID` WeChat Pay gives each answer, to quote to its support.
    pub fn request_id(&self) -> Option<&str> {
        self.headers.get("Request-ID").and_then(|v| v.to_str().ok())
    }

    /// Body bytes.
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// Takes the body.
    pub fn into_body(self) -> Bytes {
        self.body
    }

    /// The body as UTF-8 text.
    pub fn text(&self) -> Result<&str> {
        std::str::from_utf8(&self.body).map_err(|e| Error::decode("the answer body as UTF-8", e))
    }

    /// The body parsed as JSON (APIv3); an empty body (204) is `null`.
    pub fn json(&self) -> Result<Value> {
        if self.body.is_empty() {
            return Ok(Value::Null);
        }
        serde_json::from_slice(&self.body).map_err(|e| Error::decode("the answer body as JSON", e))
    }

    /// The body parsed as APIv2 XML into a JSON object, the same data model as [`json`](Self::json).
    pub fn xml(&self) -> Result<Map<String, Value>> {
        crate::protocol::v2::xml::from_xml(self.text()?)
    }
}

/// Status, `Request-ID` and sizes only: the body can hold personal data (an openid, a name).
impl std::fmt::Debug for Response {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Response")
            .field("status", &self.status)
            .field("request_id", &self.request_id())
            .field("body_bytes", &self.body.len())
            .field("attempts", &self.attempts)
            .finish()
    }
}
