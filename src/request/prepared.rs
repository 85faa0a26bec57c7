//! A signed request between preparing and sending: what `--dry-run` prints and what an attempt
//! sends.

use crate::error::{Error, Result};
use crate::policy::limits::Limits;
use bytes::Bytes;
use http::header::AUTHORIZATION;
use http::{HeaderMap, HeaderValue, Method};
use serde_json::{Map, Value};
use std::path::PathBuf;
use std::time::Duration;
use url::Url;

/// Which of WeChat Pay's two APIs a call goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// JSON, RSA-SHA256 signed, answers verified with WeChat Pay's key.
    V3,
    /// XML, MD5 or HMAC-SHA256 signed with the APIv2 secret.
    V2,
}

/// A signed request, ready to send; what `wechatpay request --dry-run` prints.
#[derive(Clone)]
pub struct PreparedRequest {
    pub(crate) protocol: Protocol,
    pub(crate) method: Method,
    pub(crate) url: Url,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
    pub(crate) security: bool,
    pub(crate) limits: crate::policy::limits::CallLimits,
    pub(crate) sink: Option<PathBuf>,
    pub(crate) digest: Option<Value>,
    /// Unpack a gzip download into the `sink` file.
    pub(crate) gunzip: bool,
    pub(crate) retry: Option<Value>,
    /// True when the call named its own `base_uri`: taken as meant, never failed over.
    pub(crate) per_call_base: bool,
    /// The fapiao file download: sent without a signature, answered without one (its
    /// `SM3-Digest` header is checked instead).
    pub(crate) unsigned: bool,
    /// APIv2: the type the request was signed with, which its answer's `sign` must have.
    pub(crate) v2_sign_type: Option<crate::protocol::v2::SignType>,
}

impl PreparedRequest {
    /// True when the call named its own `base_uri`.
    pub(crate) fn has_per_call_base(&self) -> bool {
        self.per_call_base
    }

    /// The call's own `retry` option, validated when parsed.
    pub(crate) fn retry_option(&self) -> Option<&Value> {
        self.retry.as_ref()
    }

    /// Sets the whole call's time budget (its `timeout`, or the retry deadline when shorter), which
    /// the error names when it runs out.
    pub(crate) fn set_timeout(&mut self, budget: Duration) {
        self.limits.timeout = Some(budget);
    }

    /// The client's limits with this call's own options laid over them.
    pub(crate) fn limits(&self, client: Limits) -> Limits {
        client.with_call(&self.limits)
    }

    pub(crate) fn take_sink(&mut self) -> Option<PathBuf> {
        self.sink.take()
    }

    pub(crate) fn take_digest(&mut self) -> Option<Value> {
        self.digest.take()
    }

    /// True for a download WeChat Pay documents as neither signed nor verified.
    pub(crate) fn is_unsigned(&self) -> bool {
        self.unsigned
    }

    pub(crate) fn gunzip(&self) -> bool {
        self.gunzip
    }

    /// APIv2: the sign type its answer must have (MD5 when none was recorded).
    pub(crate) fn v2_sign_type(&self) -> crate::protocol::v2::SignType {
        self.v2_sign_type
            .unwrap_or(crate::protocol::v2::SignType::Md5)
    }

    /// What goes on the wire.
    pub(crate) fn into_wire(self) -> (Method, Url, HeaderMap, Bytes) {
        (self.method, self.url, self.headers, self.body)
    }

    /// Points the request at another origin with the same path (failover): the signature covers
    /// the path, not the host.
    pub(crate) fn move_to(&mut self, origin: &Url) -> std::result::Result<(), ()> {
        self.url.set_scheme(origin.scheme())?;
        self.url.set_host(origin.host_str()).map_err(|_| ())?;
        self.url.set_port(origin.port())
    }

    /// Replaces the `Authorization` header: for a signature made elsewhere over
    /// [`v3::canonical_request`](crate::v3::canonical_request), put in the header by
    /// [`v3::authorization`](crate::v3::authorization). Send it with
    /// [`Client::send_prepared`](crate::Client::send_prepared).
    ///
    /// A value that is not a valid header value (a newline, a control character) is
    /// `Error::Argument` naming `Authorization`, and so is any value on the fapiao file download,
    /// which WeChat Pay documents as unsigned: a signature never goes to `pay.wechatpay.cn`.
    ///
    /// ```no_run
    /// # fn run(client: wechatpay::Client) -> wechatpay::Result<()> {
    /// use wechatpay::http::Method;
    /// let mut prepared = client.chain("v3/certificates").prepare(Method::GET, serde_json::json!({}))?;
    /// prepared.set_authorization(
    ///     "WECHATPAY2-SHA256-RSA2048 mchid=\"1900000001\",serial_no=\"…\",timestamp=\"1554208460\",…",
    /// )?;
    /// assert!(prepared.set_authorization("two\nlines").is_err());
    /// # Ok(()) }
    /// ```
    pub fn set_authorization(&mut self, value: &str) -> Result<()> {
        if self.unsigned {
            return Err(Error::argument(
                "Authorization",
                "the fapiao file download is sent unsigned (该接口无需签名和验签): no signature goes with it",
            ));
        }
        let mut value = HeaderValue::from_str(value).map_err(|_| {
            Error::argument(
                "Authorization",
                "not a header value (printable ASCII expected: the scheme, then base64 and quoted fields)",
            )
        })?;
        // As a signature the client makes: never in HTTP/2's header table.
        value.set_sensitive(true);
        self.headers.insert(AUTHORIZATION, value);
        Ok(())
    }

    /// APIv3 or APIv2.
    pub fn protocol(&self) -> Protocol {
        self.protocol
    }

    /// HTTP method.
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// Full URL with its query.
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// Headers as they will be sent, `Authorization` included.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// Body bytes (empty for none).
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// True when sent with the merchant's client certificate.
    pub fn security(&self) -> bool {
        self.security
    }

    /// `{"method","url","headers":{name:value},"body":string-or-null}`.
    ///
    /// ```
    /// # let client = wechatpay::Client::builder().mchid("1900000001").build().unwrap();
    /// # let _ = client;
    /// // see `wechatpay request --dry-run`
    /// ```
    pub fn to_json(&self) -> Value {
        let mut headers = Map::new();
        for (name, value) in &self.headers {
            headers.insert(
                name.as_str().to_string(),
                Value::String(String::from_utf8_lossy(value.as_bytes()).into_owned()),
            );
        }
        let body = if self.body.is_empty() {
            Value::Null
        } else {
            Value::String(String::from_utf8_lossy(&self.body).into_owned())
        };
        serde_json::json!({
            "method": self.method.as_str(),
            "url": self.url.as_str(),
            "headers": headers,
            "body": body,
        })
    }
}

/// Method, host and sizes only: the path and query can hold an openid or an order number, the
/// body personal data, and the headers a signature.
impl std::fmt::Debug for PreparedRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.headers.keys().map(|k| k.as_str()).collect();
        f.debug_struct("PreparedRequest")
            .field("protocol", &self.protocol)
            .field("method", &self.method)
            .field("host", &self.url.host_str())
            .field("headers", &names)
            .field("body_bytes", &self.body.len())
            .field("security", &self.security)
            .finish_non_exhaustive()
    }
}
