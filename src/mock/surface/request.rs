//! A request's values, read once: for the field checks and for the answer's echoes.

use crate::mock::protocol::call::Call;
use crate::mock::protocol::multipart;
use serde_json::{Map, Value};

/// A request's values, read once for the checks and the answer.
pub(crate) struct Request {
    /// Placeholder values from the path.
    pub vars: Map<String, Value>,
    /// Query pairs (APIv3), as text.
    pub query: Map<String, Value>,
    /// The JSON body (APIv3).
    pub json: Option<Value>,
    /// The `meta` part of an upload, parsed.
    pub meta: Option<Value>,
    /// APIv2 fields (the XML, a GET's query or an upload's text parts), as text.
    pub v2: Option<Map<String, Value>>,
    /// The request named a key in `Wechatpay-Serial`.
    pub serial_sent: bool,
    /// The names of the headers sent (lowercase).
    pub header_names: Vec<String>,
}

impl Request {
    pub(crate) fn read(vars: Map<String, Value>, call: &Call) -> Request {
        let query = url::form_urlencoded::parse(call.query.unwrap_or("").as_bytes())
            .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
            .collect();
        let json = serde_json::from_slice::<Value>(call.body).ok();
        let meta = multipart::boundary(call.headers)
            .and_then(|b| multipart::meta(call.body, &b))
            .and_then(|content| serde_json::from_slice(content).ok());
        Request {
            serial_sent: call.headers.contains_key("Wechatpay-Serial"),
            header_names: call
                .headers
                .keys()
                .map(|k| k.as_str().to_string())
                .collect(),
            vars,
            query,
            json,
            meta,
            v2: call.v2_fields.clone(),
        }
    }

    /// The request's values by field name, at any depth (the first one seen wins): what an
    /// answer echoes.
    pub(crate) fn scalars(&self) -> Map<String, Value> {
        let mut out = Map::new();
        let mut add = |m: &Map<String, Value>| collect(m, &mut out);
        add(&self.vars);
        if let Some(v2) = &self.v2 {
            add(v2);
        }
        if let Some(Value::Object(json)) = &self.json {
            add(json);
        }
        add(&self.query);
        if let Some(Value::Object(meta)) = &self.meta {
            add(meta);
        }
        out
    }
}

fn collect(m: &Map<String, Value>, out: &mut Map<String, Value>) {
    for (k, v) in m {
        match v {
            Value::Object(inner) => collect(inner, out),
            Value::Array(items) => {
                for item in items {
                    if let Value::Object(inner) = item {
                        collect(inner, out);
                    }
                }
            }
            Value::Null => {}
            scalar => {
                out.entry(k.clone()).or_insert_with(|| scalar.clone());
            }
        }
    }
}
