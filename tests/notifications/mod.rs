//! Shared by the notification tests: a loopback handler that keeps what it receives, and a
//! check of a decrypted notification against its documented field table.
#![allow(dead_code)] // Each test file uses a part.

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use std::sync::{Arc, Mutex};
use wechatpay::catalogue::Field;

/// One notification received: its headers and body.
pub type Received = (http::HeaderMap, Bytes);

/// What the handler answers: (status, body) for the request's headers.
pub type Answer = Arc<dyn Fn(&http::HeaderMap) -> (u16, &'static str) + Send + Sync>;

/// The success WeChat Pay's pages ask for: APIv3 `200` (no body needed), APIv2 the XML
/// `return_code` `SUCCESS`.
pub fn success() -> Answer {
    Arc::new(|headers| {
        let xml = headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("xml"));
        if xml {
            (200, "<xml><return_code><![CDATA[SUCCESS]]></return_code><return_msg><![CDATA[OK]]></return_msg></xml>")
        } else {
            (200, "")
        }
    })
}

/// A handler on `http://127.0.0.1:PORT/notify` keeping every request.
pub async fn handler(answer: Answer) -> (String, Arc<Mutex<Vec<Received>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/notify", listener.local_addr().unwrap());
    let got = Arc::new(Mutex::new(Vec::new()));
    let kept = got.clone();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let (answer, kept) = (answer.clone(), kept.clone());
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |req: Request<Incoming>| {
                    let (answer, kept) = (answer.clone(), kept.clone());
                    async move {
                        let (parts, body) = req.into_parts();
                        let body = body.collect().await.unwrap().to_bytes();
                        let (status, reply) = answer(&parts.headers);
                        kept.lock().unwrap().push((parts.headers, body));
                        let mut res = Response::new(Full::new(Bytes::from(reply)));
                        *res.status_mut() = hyper::StatusCode::from_u16(status).unwrap();
                        Ok::<_, std::convert::Infallible>(res)
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    (url, got)
}

fn text_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Every problem of `v` against `fields`: a required field missing, a value of another type
/// (`text`: APIv2 XML, where every value is text judged by its digits), a value outside the
/// enum. Alternative rows of one name are checked once.
pub fn problems(fields: &[Field], v: &Value, at: &str, text: bool, out: &mut Vec<String>) {
    let Some(map) = v.as_object() else {
        out.push(format!("{at}: not an object"));
        return;
    };
    let mut seen = std::collections::HashSet::new();
    for f in fields {
        let name = f.name.replace("$n", "0").replace("$m", "0");
        if !seen.insert(name.clone()) {
            continue;
        }
        let path = format!("{at}.{name}");
        let Some(value) = map.get(&name) else {
            if f.required {
                out.push(format!("{path}: required, missing"));
            }
            continue;
        };
        check(f, value, &path, text, out);
    }
}

fn check(f: &Field, value: &Value, path: &str, text: bool, out: &mut Vec<String>) {
    let kind = f.kind.as_str();
    let ok = match kind {
        "object" => {
            problems(&f.children, value, path, text, out);
            true
        }
        "object[]" => match value.as_array() {
            Some(items) => {
                for (i, item) in items.iter().enumerate() {
                    problems(&f.children, item, &format!("{path}[{i}]"), text, out);
                }
                true
            }
            None => false,
        },
        "string[]" | "integer[]" | "number[]" => value.as_array().is_some(),
        "integer" | "number" | "float" if text => value
            .as_str()
            .map_or(value.is_number(), |s| s.parse::<f64>().is_ok()),
        "integer" => value.is_i64() || value.is_u64(),
        "number" | "float" => value.is_number(),
        "boolean" if text => matches!(text_of(value).as_deref(), Some("true" | "false")),
        "boolean" => value.is_boolean(),
        _ => value.is_string() || (text && value.is_number()),
    };
    if !ok {
        out.push(format!("{path}: not a {kind}: {value}"));
        return;
    }
    if kind == "string" && f.has_fields() {
        // A string holding JSON described by the nested rows.
        match value.as_str().map(serde_json::from_str::<Value>) {
            Some(Ok(inner)) => problems(&f.children, &inner, path, false, out),
            _ => out.push(format!("{path}: not a string holding JSON")),
        }
    }
    if !f.enumeration.is_empty() {
        let values: Vec<&Value> = match value {
            Value::Array(a) => a.iter().collect(),
            v => vec![v],
        };
        for v in values {
            if let Some(t) = text_of(v) {
                if !f.enumeration.contains(&t) {
                    out.push(format!("{path}: {t} is none of {:?}", f.enumeration));
                }
            }
        }
    }
}
