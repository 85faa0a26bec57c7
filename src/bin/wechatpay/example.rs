//! The `wechatpay request` line `show` prints: the required fields filled with example values
//! (ids always as quoted text, encrypted fields through `$(wechatpay encrypt …)`).

use serde_json::{Map, Value};
use wechatpay::catalogue::{Endpoint, Field, Protocol};

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
    let v2 = e.protocol == Protocol::V2;
    let mut p = Vec::new();
    if v2 {
        // APIv2 paths carry no ids: a placeholder there stands for a literal word of the path
        // (`secapi/mch/{queryinstitutionsub}`), which is its own name.
        for f in &e.path {
            p.push(format!("{0}='{0}'", f.name));
        }
    } else {
        pairs("", &e.path, &[], false, &mut p);
    }
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
    // The client refuses an APIv2 payload without the merchant's id, even where the table
    // lists no fields at all (`applyment/micro/signcontract`).
    if v2 && !p.iter().any(|w| w.starts_with("xml.mch_id=")) {
        p.push("xml.mch_id='1900000001'".into());
    }
    words.extend(p);
    words.join(" ")
}

/// Why a call has no `wechatpay request` line: a multipart upload, which the command cannot
/// send (it has no file form), said instead of printing a line that would send no file.
pub(crate) fn upload_note(e: &Endpoint) -> Option<String> {
    let body = e.body.as_ref()?;
    let parts: Vec<&str> = body.children.iter().map(|f| f.name.as_str()).collect();
    Some(match e.protocol {
        Protocol::V3 => {
            let meta: Vec<&str> = body
                .children
                .iter()
                .filter(|f| f.name == "meta")
                .flat_map(|f| f.children.iter().map(|c| c.name.as_str()))
                .collect();
            // The library's `Media` names its parts `meta` and `file`.
            let how = if parts.iter().all(|p| matches!(*p, "file" | "meta")) {
                "use the library's Chain::upload with a wechatpay::Media"
            } else {
                "the library's Chain::upload names its parts meta and file, so this one needs a \
                 multipart form of your own"
            };
            format!(
                "a multipart upload (parts: {}; meta: {}), which `wechatpay request` cannot send: {how}",
                parts.join(", "),
                meta.join(", ")
            )
        }
        Protocol::V2 => format!(
            "an APIv2 multipart upload (fields: {}), which neither `wechatpay request` nor the \
             library sends",
            parts.join(", ")
        ),
    })
}

/// What `show` prints under `example:`: the request line, or `# ` and why there is none. A
/// brand call's line signs as a brand (`--brand-id`, the brand `wechatpay mock --brand` knows;
/// its settings from a brand profile or the WECHATPAY_BRAND_* variables).
pub(crate) fn example_line(e: &Endpoint) -> String {
    if let Some(note) = upload_note(e) {
        return format!("# {note}");
    }
    let line = request_line(e);
    if e.brand() {
        return line.replacen("wechatpay request", "wechatpay --brand-id 1001 request", 1);
    }
    line
}
