//! `wechatpay list` and `wechatpay show`: the documented calls, offline.

use serde_json::{json, Value};
use std::fmt::Write as _;
use std::process::ExitCode;
use wechatpay::catalogue::{self, Endpoint, Field, Protocol, ResponseSpec};
use wechatpay::Error;

/// Every field name of a call's request (placeholders, body, query, headers), nested ones too.
fn field_names(e: &Endpoint) -> Vec<&str> {
    fn walk<'a>(f: &'a Field, out: &mut Vec<&'a str>) {
        out.push(&f.name);
        f.children.iter().for_each(|c| walk(c, out));
    }
    let mut out = Vec::new();
    e.path.iter().for_each(|f| walk(f, &mut out));
    for part in [&e.json, &e.xml, &e.query, &e.headers, &e.body]
        .into_iter()
        .flatten()
    {
        part.children.iter().for_each(|f| walk(f, &mut out));
    }
    out
}

/// One word of a query: in the title, in the template (`-` and `_` alike, any case), or a
/// field's name.
fn matches(e: &Endpoint, word: &str) -> bool {
    let word = word.to_lowercase();
    let fold = |s: &str| s.to_lowercase().replace('-', "_");
    e.title.to_lowercase().contains(&word)
        || fold(&e.template).contains(&fold(&word))
        || field_names(e).iter().any(|n| n.eq_ignore_ascii_case(&word))
}

/// `examples`: each call's `show` example line instead of its title (in JSON, beside it).
pub(crate) fn list(
    query: &[String],
    v2: bool,
    v3: bool,
    as_json: bool,
    examples: bool,
) -> ExitCode {
    let found: Vec<&Endpoint> = catalogue::all()
        .iter()
        .filter(|e| (!v2 || e.protocol == Protocol::V2) && (!v3 || protocol(e) == "v3"))
        .filter(|e| query.iter().all(|w| matches(e, w)))
        .collect();
    let width = found
        .iter()
        .map(|e| e.client_template().chars().count())
        .max()
        .unwrap_or(0)
        .min(60);
    let mut out = String::new();
    if as_json {
        let rows: Vec<Value> = found
            .iter()
            .map(|e| {
                let mut row = json!({"method": e.method, "template": e.client_template(),
                       "protocol": protocol(e), "title": e.title});
                if examples {
                    row["example"] = json!(crate::example::example_line(e));
                }
                row
            })
            .collect();
        out = serde_json::to_string_pretty(&rows).unwrap_or_default() + "\n";
    }
    for e in found.iter().filter(|_| !as_json && examples) {
        let _ = writeln!(out, "{}", crate::example::example_line(e));
    }
    for e in found.iter().filter(|_| !as_json && !examples) {
        let _ = writeln!(
            out,
            "{:<6} {:<width$}  {}",
            e.method,
            e.client_template(),
            e.title
        );
    }
    print!("{out}");
    if found.is_empty() {
        eprintln!("no documented call matches `{}`", query.join(" "));
        return ExitCode::from(1);
    }
    ExitCode::SUCCESS
}

fn not_found(name: &str, reason: String) -> Error {
    Error::Argument {
        name: name.into(),
        reason,
    }
}

/// The call named by `[METHOD] TEMPLATE` (the template as documented or as the client writes it).
pub(crate) fn find(call: &[String]) -> Result<&'static Endpoint, Error> {
    let (method, template) = match call {
        [t] => (None, t.as_str()),
        [m, t] => (Some(m.as_str()), t.as_str()),
        _ => return Err(not_found("CALL", "give METHOD TEMPLATE or TEMPLATE".into())),
    };
    let template = template.trim_start_matches('/');
    // A dotted chain, as `request` takes it: `v3.refund.domestic.refunds._out_refund_no_`.
    let dotted;
    let template = if template.contains(['/', '{']) {
        template
    } else {
        dotted = template
            .split('.')
            .map(wechatpay::normalize_segment)
            .collect::<Vec<_>>()
            .join("/");
        dotted.as_str()
    };
    let found: Vec<&Endpoint> = catalogue::all()
        .iter()
        .filter(|e| e.template == template || e.client_template() == template)
        .filter(|e| method.is_none_or(|m| e.method.eq_ignore_ascii_case(m)))
        .collect();
    match found.as_slice() {
        [one] => Ok(one),
        [] => Err(not_found(
            template,
            format!(
                "no documented call{}; try `wechatpay list {}`",
                method
                    .map(|m| format!(" {}", m.to_uppercase()))
                    .unwrap_or_default(),
                template
                    .rsplit('/')
                    .find(|s| !s.is_empty() && !s.starts_with('{'))
                    .unwrap_or("")
            ),
        )),
        several => Err(not_found(
            template,
            format!(
                "documented for {}: name the method",
                several
                    .iter()
                    .map(|e| e.method.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )),
    }
}

/// One field of a table and its children, indented by depth; `key` says whose key an
/// encrypted field is sealed with (WeChat Pay's for a request, the merchant's in a notification).
pub(crate) fn describe(f: &Field, depth: usize, key: &str, out: &mut String) {
    let mut notes = Vec::new();
    notes.push(if f.required { "required" } else { "optional" }.to_string());
    if f.encrypted {
        notes.push(format!("encrypted (RSA-OAEP with the {key})"));
    }
    if f.json_encoded {
        notes.push("a string holding JSON".into());
    }
    if f.url_encoded {
        notes.push("URL-encoded".into());
    }
    if f.signed {
        notes.push("signed".into());
    }
    if !f.enumeration.is_empty() {
        notes.push(format!("one of: {}", f.enumeration.join(", ")));
    }
    let _ = writeln!(
        out,
        "{:indent$}{:<w$} {:<9} {}",
        "",
        f.name,
        f.kind,
        notes.join("; "),
        indent = 2 + 2 * depth,
        w = 28usize.saturating_sub(2 * depth),
    );
    f.children
        .iter()
        .for_each(|c| describe(c, depth + 1, key, out));
}

/// Whose key seals a request's encrypted field.
const PLATFORM_KEY: &str = "platform key";

fn protocol(e: &Endpoint) -> &'static str {
    match e.protocol {
        Protocol::V3 if e.brand() => "brand",
        Protocol::V3 => "v3",
        Protocol::V2 => "v2",
    }
}

/// A field table as JSON: name, type, required, and what applies of enum, encrypted, children.
fn fields_json(fields: &[Field]) -> Value {
    Value::Array(
        fields
            .iter()
            .map(|f| {
                let mut v = json!({"name": f.name, "type": f.kind, "required": f.required});
                if !f.enumeration.is_empty() {
                    v["enum"] = json!(f.enumeration);
                }
                for (flag, name) in [
                    (f.encrypted, "encrypted"),
                    (f.json_encoded, "json_encoded"),
                    (f.url_encoded, "url_encoded"),
                    (f.signed, "signed"),
                ] {
                    if flag {
                        v[name] = json!(true);
                    }
                }
                if f.has_fields() {
                    v["children"] = fields_json(&f.children);
                }
                v
            })
            .collect(),
    )
}

fn show_json(e: &Endpoint) {
    let mut v = json!({
        "method": e.method,
        "template": e.client_template(),
        "protocol": protocol(e),
        "title": e.title,
        "mtls": e.security(),
        "placeholders": fields_json(&e.path),
    });
    for (name, part) in [
        ("query", &e.query),
        ("headers", &e.headers),
        ("json", &e.json),
        ("xml", &e.xml),
        ("body", &e.body),
    ] {
        if let Some(part) = part {
            v[name] = fields_json(&part.children);
        }
    }
    v["response"] = match &e.response {
        ResponseSpec::Json(f) => json!({"kind": "json", "fields": fields_json(f)}),
        ResponseSpec::Xml(f) => json!({"kind": "xml", "fields": fields_json(f)}),
        ResponseSpec::Empty(status) => json!({"kind": "empty", "status": status}),
        ResponseSpec::File { .. } => json!({"kind": "file"}),
    };
    match crate::example::upload_note(e) {
        Some(note) => {
            v["example"] = Value::Null;
            v["note"] = json!(note);
        }
        None => v["example"] = json!(crate::example::request_line(e)),
    }
    println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
}

pub(crate) fn show(call: &[String], as_json: bool) -> Result<(), Error> {
    let e = find(call)?;
    if as_json {
        show_json(e);
        return Ok(());
    }
    let mut out = String::new();
    let _ = writeln!(out, "{} {}", e.method, e.client_template());
    let _ = writeln!(out, "title:     {}", e.title);
    let _ = writeln!(
        out,
        "protocol:  {}",
        match e.protocol {
            Protocol::V3 if e.brand() => {
                "brand API (JSON, WECHATPAY-BRAND-SHA256-RSA2048 signed with the brand key, answers verified with the WeChat Pay public key)"
            }
            Protocol::V3 => "APIv3 (JSON, signed with the merchant key, answers verified)",
            Protocol::V2 => "APIv2 (XML, MD5 or HMAC-SHA256 signed with the APIv2 secret)",
        }
    );
    let _ = writeln!(
        out,
        "mTLS:      {}",
        if e.security() {
            "required (merchant certificate: WECHATPAY_MERCHANT_CERT and WECHATPAY_MERCHANT_KEY)"
        } else {
            "not needed"
        }
    );
    if !e.path.is_empty() {
        out.push_str("placeholders:\n");
        e.path
            .iter()
            .for_each(|f| describe(f, 0, PLATFORM_KEY, &mut out));
    }
    for (name, part) in [
        ("query", &e.query),
        ("headers", &e.headers),
        ("json body", &e.json),
        ("xml body", &e.xml),
        ("multipart body", &e.body),
    ] {
        if let Some(part) = part {
            let _ = writeln!(out, "{name}:");
            part.children
                .iter()
                .for_each(|f| describe(f, 0, PLATFORM_KEY, &mut out));
        }
    }
    let encrypted: Vec<&str> = [&e.json, &e.xml, &e.body]
        .into_iter()
        .flatten()
        .flat_map(|p| encrypted_names(&p.children))
        .collect();
    if !encrypted.is_empty() {
        let _ = writeln!(
            out,
            "encrypted: {} (send `wechatpay encrypt` output; add headers.Wechatpay-Serial)",
            encrypted.join(", ")
        );
    }
    match &e.response {
        ResponseSpec::Json(fields) => {
            out.push_str("answer (JSON):\n");
            fields
                .iter()
                .for_each(|f| describe(f, 0, PLATFORM_KEY, &mut out));
        }
        ResponseSpec::Xml(fields) => {
            out.push_str("answer (XML):\n");
            fields
                .iter()
                .for_each(|f| describe(f, 0, PLATFORM_KEY, &mut out));
        }
        ResponseSpec::Empty(status) => {
            let _ = writeln!(out, "answer:    {status}, no body");
        }
        ResponseSpec::File { .. } => out.push_str("answer:    a file\n"),
    }
    let _ = writeln!(out, "example:\n  {}", crate::example::example_line(e));
    print!("{out}");
    Ok(())
}

fn encrypted_names(fields: &[Field]) -> Vec<&str> {
    let mut out = Vec::new();
    for f in fields {
        if f.encrypted {
            out.push(f.name.as_str());
        }
        out.extend(encrypted_names(&f.children));
    }
    out
}
