//! `wechatpay list` and `wechatpay show`: the documented calls, offline.

use serde_json::{Map, Value};
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

pub(crate) fn list(query: &[String], v2: bool, v3: bool) -> ExitCode {
    let found: Vec<&Endpoint> = catalogue::all()
        .iter()
        .filter(|e| (!v2 || e.protocol == Protocol::V2) && (!v3 || e.protocol == Protocol::V3))
        .filter(|e| query.iter().all(|w| matches(e, w)))
        .collect();
    let width = found
        .iter()
        .map(|e| e.client_template().chars().count())
        .max()
        .unwrap_or(0)
        .min(60);
    let mut out = String::new();
    for e in &found {
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

fn describe(f: &Field, depth: usize, out: &mut String) {
    let mut notes = Vec::new();
    notes.push(if f.required { "required" } else { "optional" }.to_string());
    if f.encrypted {
        notes.push("encrypted (RSA-OAEP with the platform key)".into());
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
    f.children.iter().for_each(|c| describe(c, depth + 1, out));
}

/// An example value for a string field, from its name.
fn example_string(f: &Field) -> String {
    if let Some(first) = f.enumeration.first() {
        return first.clone();
    }
    let n = f.name.to_ascii_lowercase();
    let s = if n.contains("mchid") || n.contains("mch_id") {
        "1900000001"
    } else if n.contains("appid") {
        "wxd678efh567hg6787"
    } else if n.contains("openid") {
        "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"
    } else if n.contains("url") {
        "https://www.weixin.qq.com/wxpay/pay.php"
    } else if n.contains("time") || n.ends_with("_at") {
        "2018-06-08T10:34:56+08:00"
    } else if n.contains("date") {
        "2019-06-11"
    } else if n.ends_with("id") || n.ends_with("_no") || n.contains("number") {
        "1217752501201407033233368018"
    } else if n == "currency" {
        "CNY"
    } else if n.contains("serial") {
        "PUB_KEY_ID_0114232134912410000000000000"
    } else {
        "example"
    };
    s.to_string()
}

/// An example JSON value holding the field's required content.
fn example(f: &Field) -> Value {
    let object = |f: &Field| {
        let mut m = Map::new();
        for c in f.children.iter().filter(|c| c.required) {
            let v = match example(c) {
                // Marked: the shell line encrypts it (see `pairs`).
                Value::String(s) if c.encrypted && !f.json_encoded => {
                    Value::String(format!("{ENCRYPT}{s}{ENCRYPT}"))
                }
                v => v,
            };
            m.insert(c.name.clone(), v);
        }
        Value::Object(m)
    };
    let first_number = || f.enumeration.first().and_then(|e| e.parse::<i64>().ok());
    match f.kind.as_str() {
        "integer" | "number" | "float" => Value::from(first_number().unwrap_or(1)),
        "boolean" | "true" => Value::Bool(true),
        "object" => object(f),
        "object[]" => Value::Array(vec![object(f)]),
        "integer[]" | "number[]" => Value::Array(vec![Value::from(1)]),
        "string[]" => Value::Array(vec![Value::String(example_string(f))]),
        _ if f.json_encoded && f.has_fields() => Value::String(object(f).to_string()),
        _ => Value::String(example_string(f)),
    }
}

/// Marks an encrypted value inside a JSON example.
const ENCRYPT: &str = "@@ENCRYPT@@";

/// A JSON example as one shell word: single-quoted, or double-quoted with each encrypted value
/// made by `$(wechatpay encrypt …)`.
fn json_word(v: &Value) -> String {
    let text = v.to_string();
    if !text.contains(ENCRYPT) {
        return quote(&text);
    }
    let mut out = String::from("\"");
    for (i, part) in text.split(ENCRYPT).enumerate() {
        if i % 2 == 1 {
            out.push_str(&format!(
                "$(wechatpay encrypt '{}' 2>/dev/null)",
                part.replace('\'', r"'\''")
            ));
        } else {
            for c in part.chars() {
                if matches!(c, '"' | '\\' | '$' | '`') {
                    out.push('\\');
                }
                out.push(c);
            }
        }
    }
    out.push('"');
    out
}

/// Shell-quotes a word when it needs it.
fn quote(s: &str) -> String {
    if !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:/@+,".contains(&b))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// `key=value` pairs for the required fields under `prefix`.
/// Whether a field names the merchant (always text, and always sent on APIv2).
fn names_merchant(f: &Field) -> bool {
    matches!(f.name.as_str(), "mch_id" | "mchid")
}

/// `key=value` pairs for the required fields under `prefix` (and the merchant id when `v2`).
fn pairs(prefix: &str, fields: &[Field], skip: &[&str], v2: bool, out: &mut Vec<String>) {
    for f in fields
        .iter()
        .filter(|f| (f.required || (v2 && names_merchant(f))) && !skip.contains(&f.name.as_str()))
    {
        let key = if prefix.is_empty() {
            f.name.clone()
        } else {
            format!("{prefix}.{}", f.name)
        };
        let value = if names_merchant(f) {
            Value::String(example_string(f))
        } else {
            example(f)
        };
        match value {
            // Encrypted with the configured WeChat Pay key by the shell, on the way.
            Value::String(s) if f.encrypted => out.push(format!(
                "{key}=\"$(wechatpay encrypt '{}' 2>/dev/null)\"",
                s.replace('\'', r"'\''")
            )),
            // Always quoted: an id is text, whatever its digits.
            Value::String(s) => out.push(format!("{key}='{}'", s.replace('\'', r"'\''"))),
            Value::Object(_) if f.kind == "object" && f.children.iter().any(|c| c.required) => {
                pairs(&key, &f.children, &[], false, out)
            }
            v => out.push(format!("{key}:={}", json_word(&v))),
        }
    }
}

/// The `{name}` placeholders of a template (`{empty}` is the trailing slash).
fn placeholders(template: &str) -> Vec<&str> {
    template
        .split('{')
        .skip(1)
        .filter_map(|s| s.split_once('}').map(|(name, _)| name))
        .map(|name| name.trim_start_matches('+'))
        .filter(|name| *name != "empty")
        .collect()
}

/// The `wechatpay request` line for the call with its required fields filled in.
pub(crate) fn request_line(e: &Endpoint) -> String {
    let mut words = vec![
        "wechatpay request".to_string(),
        e.method.clone(),
        quote(&e.client_template()),
    ];
    let mut p = Vec::new();
    pairs("", &e.path, &[], false, &mut p);
    // Placeholders the tables do not list as required still need a value.
    for name in placeholders(&e.template) {
        if !p.iter().any(|w| w.starts_with(&format!("{name}="))) {
            let f = Field {
                name: name.to_string(),
                kind: "string".into(),
                ..Field::default()
            };
            p.push(format!("{name}='{}'", example_string(&f)));
        }
    }
    if e.security() {
        p.push("security:=true".into());
    }
    let v2 = e.protocol == Protocol::V2;
    for (name, part) in [
        ("query", &e.query),
        ("headers", &e.headers),
        ("json", &e.json),
        ("xml", &e.xml),
    ] {
        if let Some(part) = part {
            // The client adds these: APIv2's signature and nonce, APIv3's key id.
            let skip: &[&str] = if v2 {
                &["sign", "nonce_str"]
            } else {
                &["Wechatpay-Serial", "wechatpay-serial"]
            };
            pairs(name, &part.children, skip, v2, &mut p);
        }
    }
    words.extend(p);
    words.join(" ")
}

pub(crate) fn show(call: &[String]) -> Result<(), Error> {
    let e = find(call)?;
    let mut out = String::new();
    let _ = writeln!(out, "{} {}", e.method, e.client_template());
    let _ = writeln!(out, "title:     {}", e.title);
    let _ = writeln!(
        out,
        "protocol:  {}",
        match e.protocol {
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
        e.path.iter().for_each(|f| describe(f, 0, &mut out));
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
            part.children.iter().for_each(|f| describe(f, 0, &mut out));
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
            fields.iter().for_each(|f| describe(f, 0, &mut out));
        }
        ResponseSpec::Xml(fields) => {
            out.push_str("answer (XML):\n");
            fields.iter().for_each(|f| describe(f, 0, &mut out));
        }
        ResponseSpec::Empty(status) => {
            let _ = writeln!(out, "answer:    {status}, no body");
        }
        ResponseSpec::File { .. } => out.push_str("answer:    a file\n"),
    }
    let _ = writeln!(out, "example:\n  {}", request_line(e));
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
