//! The journal as the dashboard shows it: one line per request (template, protocol, status and
//! the verdict), and one request opened (headers, the `Authorization` fields, the canonical
//! string the emulator checked, the body, the answer).

use crate::mock::front::journal::Recorded;
use crate::mock::front::shared::Shared;
use serde_json::{json, Map, Value};

/// The requests after `since` (their `seq`), oldest first, at most 500; with `mentions`, only
/// those whose path, query or body holds it (an order's history).
pub(crate) fn list(shared: &Shared, since: u64, mentions: Option<&str>) -> Value {
    let journal = shared.journal.lock().unwrap_or_else(|e| e.into_inner());
    let start = journal.partition_point(|r| r.seq <= since);
    let holds = |r: &&Recorded| {
        mentions.is_none_or(|m| {
            let m = m.as_bytes();
            let has = |b: &[u8]| b.windows(m.len().max(1)).any(|w| w == m);
            has(r.path.as_bytes())
                || r.query.as_deref().is_some_and(|q| has(q.as_bytes()))
                || has(&r.body)
        })
    };
    let found: Vec<&Recorded> = journal[start..].iter().filter(holds).collect();
    let from = found.len().saturating_sub(500);
    Value::Array(found[from..].iter().map(|r| summary(shared, r)).collect())
}

/// One request in full.
pub(crate) fn detail(shared: &Shared, seq: u64) -> Option<Value> {
    let journal = shared.journal.lock().unwrap_or_else(|e| e.into_inner());
    let r = journal.iter().find(|r| r.seq == seq)?;
    let mut v = summary(shared, r);
    let headers: Vec<Value> = r
        .headers
        .iter()
        .map(|(k, v)| json!([k.as_str(), String::from_utf8_lossy(v.as_bytes())]))
        .collect();
    v["headers"] = Value::Array(headers);
    v["authorization"] = Value::Object(authorization(r));
    v["canonical"] = Value::String(canonical(r));
    v["body"] = Value::String(String::from_utf8_lossy(&r.body).into_owned());
    v["answer"] = Value::String(String::from_utf8_lossy(&r.answer).into_owned());
    Some(v)
}

fn summary(shared: &Shared, r: &Recorded) -> Value {
    let template =
        crate::mock::surface::routes::find(&shared.state.routes, r.method.as_str(), &r.path)
            .map(|(route, _)| route.endpoint.template.clone());
    json!({
        "seq": r.seq,
        "method": r.method.as_str(),
        "path": r.path,
        "query": r.query,
        "template": template,
        "protocol": if r.path.starts_with("/v3/") { "APIv3" } else { "APIv2" },
        "version": format!("{:?}", r.version),
        "status": r.status.as_u16(),
        "verified": r.verified,
        "outcome": r.outcome,
        "verdict": verdict(r),
        "client_cert": r.client_cert,
    })
}

/// `signature ok`, or the refusal's code and WeChat Pay's message (which names the field of a
/// `PARAM_ERROR`).
fn verdict(r: &Recorded) -> String {
    let reason = reason(&r.answer);
    match r.outcome.as_str() {
        "SIGN_ERROR" | "PARAM_ERROR" => format!("{}: {}", r.outcome, reason),
        _ if r.verified && r.status.as_u16() < 400 => "signature ok".into(),
        _ if r.verified => format!("signature ok; {} {}", r.outcome, reason),
        code => format!("{code}: {reason}"),
    }
}

fn reason(answer: &[u8]) -> String {
    if let Ok(v) = serde_json::from_slice::<Value>(answer) {
        return v["message"].as_str().unwrap_or("").to_string();
    }
    let fields = std::str::from_utf8(answer)
        .ok()
        .and_then(|s| crate::v2::xml::from_xml(s).ok())
        .unwrap_or_default();
    ["err_code_des", "return_msg"]
        .iter()
        .find_map(|k| fields.get(*k).and_then(Value::as_str))
        .unwrap_or("")
        .to_string()
}

/// The fields of an APIv3 `Authorization` header (the signature is the client's, no secret).
fn authorization(r: &Recorded) -> Map<String, Value> {
    let mut out = Map::new();
    let Some(auth) = r.headers.get("authorization").and_then(|v| v.to_str().ok()) else {
        return out;
    };
    let (scheme, fields) = auth.split_once(' ').unwrap_or((auth, ""));
    out.insert("scheme".into(), scheme.into());
    for field in fields.split(',') {
        if let Some((k, v)) = field.trim().split_once('=') {
            out.insert(k.into(), v.trim_matches('"').into());
        }
    }
    out
}

/// APIv3: `METHOD\nPATH?QUERY\nTIMESTAMP\nNONCE\nBODY\n` from the bytes received (a media
/// upload signs its `meta` part instead of the body); APIv2: the sorted `key=value` pairs and
/// `&key=` with the secret left out.
fn canonical(r: &Recorded) -> String {
    let auth = authorization(r);
    let text = String::from_utf8_lossy(&r.body);
    if r.path.starts_with("/v3/") {
        let field = |k: &str| {
            auth.get(k)
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        };
        let target = match &r.query {
            Some(q) => format!("{}?{q}", r.path),
            None => r.path.clone(),
        };
        let multipart = r
            .headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|c| c.starts_with("multipart/"));
        let body = if multipart {
            "(the `meta` part of the multipart body)".to_string()
        } else {
            text.into_owned()
        };
        return format!(
            "{}\n{target}\n{}\n{}\n{body}\n",
            r.method,
            field("timestamp"),
            field("nonce_str")
        );
    }
    let mut fields: Vec<(String, String)> = crate::v2::xml::from_xml(&text)
        .unwrap_or_default()
        .into_iter()
        .filter(|(k, _)| k != "sign")
        .filter_map(|(k, v)| match v {
            Value::String(s) if !s.is_empty() => Some((k, s)),
            Value::String(_) | Value::Null => None,
            other => Some((k, other.to_string())),
        })
        .collect();
    fields.sort();
    let pairs: Vec<String> = fields.iter().map(|(k, v)| format!("{k}={v}")).collect();
    format!("{}&key=(the merchant's APIv2 secret)", pairs.join("&"))
}
