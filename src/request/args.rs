//! The untyped argument map of a call, split into placeholder values and request options.
//!
//! It mirrors the PHP SDK's array: top-level keys are either placeholder values or one of the
//! options below. Anything else is refused, naming the key and the template's placeholders, so a
//! typo such as `use_id` for `{user_id}` fails before a request is sent.

use crate::error::{Error, Result};
use crate::policy::limits::seconds;
use crate::request::template::Template;
use crate::util::json_type;
use bytes::Bytes;
use http::{HeaderName, HeaderValue};
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::time::Duration;
use url::Url;

/// The option keys a call accepts beside placeholder values.
pub(crate) const OPTION_KEYS: &[&str] = &[
    "json",
    "xml",
    "query",
    "headers",
    "body",
    "base_uri",
    "security",
    "nonceless",
    "timeout",
    "sink",
    "digest",
    "gunzip",
    "stall_timeout",
    "max_answer_bytes",
    "download_timeout",
    "max_download_bytes",
    "retry",
];

/// A call's arguments, validated. The JSON body and the query are borrowed from the caller's
/// arguments, which a retry reads again: no attempt copies them.
#[derive(Debug, Default)]
pub(crate) struct Options<'a> {
    /// The arguments the placeholder values are read from, by name (borrowed: only the
    /// placeholders' names are ever looked up in it).
    pub vars: Option<&'a Map<String, Value>>,
    /// APIv3 JSON body (copied only when the client encrypts documented fields in it).
    pub json: Option<Cow<'a, Value>>,
    /// APIv2 payload (signed and sent as XML, or as the query of a GET).
    pub xml: Option<Map<String, Value>>,
    /// Query parameters, in insertion order.
    pub query: Option<&'a Map<String, Value>>,
    /// Extra headers, e.g. `Wechatpay-Serial` or `Idempotency-Key`.
    pub headers: Vec<(HeaderName, HeaderValue)>,
    /// A raw body, sent as is (and signed as is).
    pub body: Option<Bytes>,
    /// Per-call base URI, wins over the client's.
    pub base_uri: Option<Url>,
    /// APIv2: send with the merchant's client certificate (mutual TLS).
    pub security: bool,
    /// APIv2: do not add `nonce_str`.
    pub nonceless: bool,
    /// The call's own limits (`timeout`, `stall_timeout`, `download_timeout`,
    /// `max_answer_bytes`, `max_download_bytes`).
    pub limits: crate::policy::limits::CallLimits,
    /// Per-call retry policy (validated here, applied by the attempt loop).
    pub retry: Option<Value>,
    /// A file the answer body is streamed to (downloads).
    pub sink: Option<std::path::PathBuf>,
    /// The digest a download must match (`hash_type`, `hash_value`).
    pub digest: Option<Value>,
    /// Write the unpacked bill to `sink` when the download is gzip.
    pub gunzip: bool,
}

impl<'a> Options<'a> {
    /// Splits `args` against `template`: its placeholders take their keys first.
    pub(crate) fn parse(args: &'a Value, template: &Template) -> Result<Options<'a>> {
        let map = match args {
            Value::Null => None,
            Value::Object(map) => Some(map),
            other => {
                return Err(Error::argument(
                    "args",
                    format!(
                        "the arguments must be a JSON object (or null), found {}",
                        json_type(other)
                    ),
                ))
            }
        };
        let mut opts = Options {
            vars: map,
            ..Options::default()
        };
        for (key, value) in map.into_iter().flatten() {
            if template.has_placeholder(key) {
                continue;
            }
            // The options other than `json` and `query` are rare and small: copied.
            let owned = || value.clone();
            match key.as_str() {
                "json" => opts.json = Some(Cow::Borrowed(value)),
                "xml" => opts.xml = Some(object(key, owned())?),
                "query" => opts.query = Some(object_ref(key, value)?),
                "headers" => opts.headers = headers(owned())?,
                "body" => opts.body = Some(body(owned())?),
                "base_uri" => opts.base_uri = Some(base_uri(owned())?),
                "security" => opts.security = boolean(key, value)?,
                "nonceless" => opts.nonceless = boolean(key, value)?,
                "timeout" => opts.limits.timeout = Some(seconds(key, owned())?),
                "stall_timeout" => opts.limits.stall_timeout = Some(seconds(key, owned())?),
                "download_timeout" => opts.limits.download_timeout = Some(seconds(key, owned())?),
                "max_answer_bytes" => {
                    opts.limits.max_answer_bytes = Some(byte_count(key, owned())?)
                }
                "max_download_bytes" => {
                    opts.limits.max_download_bytes = Some(byte_count(key, owned())?)
                }
                "retry" => {
                    crate::policy::retry::parse(value, crate::Retry::default())?;
                    opts.retry = Some(owned());
                }
                "sink" => opts.sink = Some(sink(owned())?),
                "digest" => opts.digest = Some(owned()),
                "gunzip" => opts.gunzip = boolean(key, value)?,
                _ => return Err(unknown_key(key, template)),
            }
        }
        if opts.json.is_some() && opts.body.is_some() {
            return Err(Error::argument(
                "body",
                "`json` and `body` are both given; a request has one body",
            ));
        }
        if opts.gunzip && opts.sink.is_none() {
            return Err(Error::argument(
                "gunzip",
                "`gunzip` unpacks into the `sink` file; give `sink` too",
            ));
        }
        Ok(opts)
    }
}

fn unknown_key(key: &str, template: &Template) -> Error {
    let placeholders: Vec<String> = template
        .placeholders()
        .map(|p| format!("{{{p}}}"))
        .collect();
    let placeholders = if placeholders.is_empty() {
        "none".to_string()
    } else {
        placeholders.join(", ")
    };
    Error::argument(
        key,
        format!(
            "unknown key: it is neither a placeholder of `{}` (placeholders: {placeholders}) nor an option ({})",
            template.as_str(),
            OPTION_KEYS.join(", ")
        ),
    )
}

fn object_ref<'a>(key: &str, value: &'a Value) -> Result<&'a Map<String, Value>> {
    match value {
        Value::Object(map) => Ok(map),
        other => Err(Error::argument(
            key,
            format!("expected a JSON object, found {}", json_type(other)),
        )),
    }
}

fn object(key: &str, value: Value) -> Result<Map<String, Value>> {
    match value {
        Value::Object(map) => Ok(map),
        other => Err(Error::argument(
            key,
            format!("expected a JSON object, found {}", json_type(&other)),
        )),
    }
}

fn boolean(key: &str, value: &Value) -> Result<bool> {
    match value {
        Value::Bool(b) => Ok(*b),
        Value::Null => Ok(false),
        other => Err(Error::argument(
            key,
            format!("expected true or false, found {}", json_type(other)),
        )),
    }
}

fn headers(value: Value) -> Result<Vec<(HeaderName, HeaderValue)>> {
    let map = object("headers", value)?;
    let mut out = Vec::with_capacity(map.len());
    for (name, value) in map {
        let field = format!("headers.{name}");
        let header = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| Error::argument(&field, "not a valid HTTP header name"))?;
        if let Some(why) = forbidden_header(&header) {
            return Err(Error::argument(field, why));
        }
        let text = match &value {
            Value::String(s) => s.clone(),
            Value::Number(n) => crate::util::exact_integer(&field, n)?,
            other => {
                return Err(Error::argument(
                    field,
                    format!("expected a string, found {}", json_type(other)),
                ))
            }
        };
        let value = HeaderValue::from_str(&text).map_err(|_| {
            Error::argument(
                &field,
                "not a valid header value (a newline or control character?)",
            )
        })?;
        out.push((header, value));
    }
    Ok(out)
}

/// Headers the caller may not set: the signature, and those that frame or route the request
/// (a wrong `Content-Length` sends a body other than the one signed; `Host` or a proxy header
/// sends it elsewhere).
fn forbidden_header(name: &HeaderName) -> Option<&'static str> {
    use http::header;
    let framing = [
        header::HOST,
        header::CONTENT_LENGTH,
        header::TRANSFER_ENCODING,
        header::CONNECTION,
        header::UPGRADE,
        header::TE,
        header::TRAILER,
    ];
    if *name == header::AUTHORIZATION {
        Some("the client signs every request itself; remove the Authorization header")
    } else if framing.contains(name) || name.as_str() == "keep-alive" {
        Some("this header frames or routes the request and is set by the client: it may not be given")
    } else if name.as_str().starts_with("proxy-") {
        Some("proxy headers may not be given per call: configure a proxy on the client")
    } else {
        None
    }
}

fn body(value: Value) -> Result<Bytes> {
    match value {
        Value::String(s) => Ok(Bytes::from(s)),
        other => Err(Error::argument(
            "body",
            format!(
                "expected the raw body as a string, found {} (use `json` for a JSON body)",
                json_type(&other)
            ),
        )),
    }
}

fn base_uri(value: Value) -> Result<Url> {
    match value {
        Value::String(s) => crate::policy::hosts::parse_base_uri("base_uri", &s),
        other => Err(Error::argument(
            "base_uri",
            format!("expected a URL string, found {}", json_type(&other)),
        )),
    }
}

fn sink(value: Value) -> Result<std::path::PathBuf> {
    match value {
        Value::String(s) if !s.is_empty() => Ok(s.into()),
        other => Err(Error::argument(
            "sink",
            format!("expected a file path, found {}", json_type(&other)),
        )),
    }
}

/// The per-call `timeout`, if one is given and valid (a bad one is refused later, by `parse`).
pub(crate) fn timeout_of(args: &Value) -> Option<Duration> {
    args.get("timeout")
        .and_then(|v| seconds("timeout", v.clone()).ok())
}

fn byte_count(key: &str, value: Value) -> Result<u64> {
    value.as_u64().filter(|n| *n > 0).ok_or_else(|| {
        Error::argument(
            key,
            format!(
                "expected a positive whole number of bytes, found {}",
                json_type(&value)
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn splits_placeholders_and_options() {
        let t = Template::parse("v3/users/{user_id}/x").unwrap();
        let args = json!({"user_id": "u1", "json": {"a": 1}, "query": {"q": 1}, "headers": {"Wechatpay-Serial": "PUB_KEY_ID_1"}, "timeout": 2});
        let o = Options::parse(&args, &t).unwrap();
        assert_eq!(o.vars.unwrap()["user_id"], "u1");
        assert_eq!(o.json.as_deref(), Some(&json!({"a": 1})));
        assert!(
            matches!(o.json, Some(Cow::Borrowed(_))),
            "the body is not copied"
        );
        assert_eq!(o.query, Some(json!({"q": 1}).as_object().unwrap()));
        assert_eq!(o.headers[0].0.as_str(), "wechatpay-serial");
        assert_eq!(o.limits.timeout, Some(Duration::from_secs(2)));
    }

    #[test]
    fn unknown_key_names_it_and_the_placeholders() {
        let t = Template::parse("v3/users/{user_id}").unwrap();
        let e = Options::parse(&json!({"use_id": "u1"}), &t).unwrap_err();
        let text = e.to_string();
        assert!(text.contains("`use_id`"), "{text}");
        assert!(text.contains("{user_id}"), "{text}");
    }

    #[test]
    fn bad_option_types_are_refused() {
        let t = Template::parse("v3/x").unwrap();
        for (args, field) in [
            (json!({"query": "a=1"}), "query"),
            (json!({"headers": {"X": "a\nb"}}), "headers.X"),
            (
                json!({"headers": {"Authorization": "x"}}),
                "headers.Authorization",
            ),
            (json!({"base_uri": "not a url"}), "base_uri"),
            (json!({"security": "yes"}), "security"),
            (json!({"timeout": -1}), "timeout"),
            (json!([1]), "args"),
        ] {
            match Options::parse(&args, &t) {
                Err(Error::Argument { name, .. }) => assert_eq!(name, field),
                other => panic!("{field}: {other:?}"),
            }
        }
    }
}
