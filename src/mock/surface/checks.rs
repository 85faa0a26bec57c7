//! The field checks WeChat Pay makes after the signature: required fields present (nested ones
//! too), values of the documented type and within the documented `enum`, sensitive fields that
//! decrypt. Refusals name the field by its dotted path (`amount.total`, `goods[0].id`).
//!
//! The tables have defects (placeholders listed as body fields, alternative rows sharing a
//! name, empty tables): these never make a request fail. When unsure, the emulator accepts.

use super::request::Request;
use crate::catalogue::{Endpoint, Field};
use crate::mock::protocol::sensitive::Sensitive;
use serde_json::{Map, Value};

/// Why a request is refused, naming the field.
#[derive(Debug)]
pub(crate) struct Refusal {
    pub field: String,
    /// A required field is missing (APIv2 answers it as a `return_code` FAIL).
    pub missing: bool,
    pub why: String,
}

impl Refusal {
    pub(crate) fn message(&self) -> String {
        if self.missing {
            format!(
                "输入源“{}”缺少必填参数 (missing required field: {})",
                self.field, self.field
            )
        } else {
            format!("参数“{}”错误 ({}: {})", self.field, self.field, self.why)
        }
    }
}

type Checked = std::result::Result<(), Refusal>;

/// Values arrive as JSON (APIv3 body, upload `meta`) or as text (query, APIv2 fields).
#[derive(Clone, Copy, PartialEq)]
enum Form {
    Json,
    Text,
}

struct Ctx<'a> {
    key: &'a Sensitive<'a>,
    /// A sensitive field was sent (then `Wechatpay-Serial` must name the key, where documented).
    encrypted_seen: std::cell::Cell<bool>,
    /// The template's placeholders: a body or query row of that name is the path value.
    placeholders: Vec<&'a str>,
}

/// Checks the request against the endpoint's tables.
pub(crate) fn check<'a>(endpoint: &'a Endpoint, req: &Request, key: &'a Sensitive<'a>) -> Checked {
    let ctx = Ctx {
        key,
        encrypted_seen: std::cell::Cell::new(false),
        placeholders: placeholders(&endpoint.template),
    };
    if let Some(table) = &endpoint.json {
        let empty = Map::new();
        let body = match &req.json {
            Some(Value::Object(m)) => m,
            // A table with no required field accepts an empty body.
            _ => &empty,
        };
        rows(&ctx, &table.children, body, "", Form::Json, true)?;
    }
    if let Some(table) = &endpoint.query {
        // An APIv2 GET sends its signed fields as the query; an APIv2 POST may add a query.
        let fields = match &req.v2 {
            Some(v2) if endpoint.method == "GET" => v2,
            _ => &req.query,
        };
        rows(&ctx, &table.children, fields, "", Form::Text, true)?;
    }
    if let (Some(table), Some(fields)) = (&endpoint.xml, &req.v2) {
        rows(&ctx, &table.children, fields, "", Form::Text, true)?;
    }
    if let Some(table) = &endpoint.body {
        if let (Some(meta), Some(Value::Object(sent))) =
            (table.children.iter().find(|f| f.name == "meta"), &req.meta)
        {
            rows(&ctx, &meta.children, sent, "meta.", Form::Json, false)?;
        }
        if let Some(fields) = &req.v2 {
            let text: Vec<Field> = table
                .children
                .iter()
                .filter(|f| f.kind != "object")
                .cloned()
                .collect();
            rows(&ctx, &text, fields, "", Form::Text, true)?;
        }
    }
    // Required headers (`Idempotency-Key`) are present; `Wechatpay-Serial` is below.
    if let Some(table) = &endpoint.headers {
        let lowercase = |f: &Field| f.name.to_ascii_lowercase();
        if let Some(missing) = table
            .children
            .iter()
            .filter(|f| f.required && !req.header_names.contains(&lowercase(f)))
            .find(|f| !f.name.eq_ignore_ascii_case("Wechatpay-Serial"))
        {
            return Err(Refusal {
                field: missing.name.clone(),
                missing: true,
                why: "missing".into(),
            });
        }
    }
    // The key a sensitive field is encrypted with is named by `Wechatpay-Serial` (its value is
    // checked with the signature); the tables list the header where it applies.
    let serial_documented = endpoint.headers.as_ref().is_some_and(|h| {
        h.children
            .iter()
            .any(|f| f.name.eq_ignore_ascii_case("Wechatpay-Serial"))
    });
    if ctx.encrypted_seen.get() && serial_documented && !req.serial_sent {
        return Err(Refusal {
            field: "Wechatpay-Serial".into(),
            missing: true,
            why: "missing".into(),
        });
    }
    Ok(())
}

fn placeholders(template: &str) -> Vec<&str> {
    template
        .split('/')
        .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(|s| s.trim_start_matches('+'))
        .collect()
}

/// The rows of one table level against the values sent at that level.
fn rows(
    ctx: &Ctx,
    fields: &[Field],
    sent: &Map<String, Value>,
    prefix: &str,
    form: Form,
    top: bool,
) -> Checked {
    for (i, field) in fields.iter().enumerate() {
        let name = format!("{prefix}{}", field.name);
        // Defects: a placeholder listed as a body or query row (its value is in the path), the
        // APIv2 `sign`/`nonce_str` the client adds itself.
        if top && ctx.placeholders.contains(&field.name.as_str()) {
            continue;
        }
        if form == Form::Text && top && matches!(field.name.as_str(), "sign" | "nonce_str") {
            continue;
        }
        // Alternatives sharing a name (per-scene `scene_info`): presence is all that is checked.
        let alternatives = fields.iter().filter(|f| f.name == field.name).count() > 1;
        if alternatives && fields[..i].iter().any(|f| f.name == field.name) {
            continue;
        }
        let value = sent.get(&field.name).filter(|v| match v {
            Value::Null => false,
            Value::String(s) => !(form == Form::Text && s.is_empty()),
            _ => true,
        });
        let Some(value) = value else {
            if field.required && !alternative_id_sent(&field.name, sent) {
                return Err(Refusal {
                    field: name,
                    missing: true,
                    why: "missing".into(),
                });
            }
            continue;
        };
        if !alternatives {
            one(ctx, field, value, &name, form)?;
        }
    }
    Ok(())
}

/// The ids that identify an order or a refund are alternatives (`transaction_id` or
/// `out_trade_no`), though some tables mark one of them required.
const IDS: &[&str] = &[
    "transaction_id",
    "out_trade_no",
    "refund_id",
    "out_refund_no",
    "order_id",
    "out_order_no",
    "sub_order_id",
    "out_sub_order_no",
];

fn alternative_id_sent(name: &str, sent: &Map<String, Value>) -> bool {
    IDS.contains(&name)
        && IDS
            .iter()
            .any(|id| sent.get(*id).is_some_and(|v| !v.is_null()))
}

fn refuse(field: &str, why: String) -> Checked {
    Err(Refusal {
        field: field.to_string(),
        missing: false,
        why,
    })
}

fn found(v: &Value) -> &'static str {
    crate::path::json_type(v)
}

/// One value against its row.
fn one(ctx: &Ctx, field: &Field, value: &Value, name: &str, form: Form) -> Checked {
    let kind = field.kind.as_str();
    if form == Form::Text {
        // Text: the types are judged by the digits; containers are not checked.
        let Some(text) = value.as_str() else {
            if let (Value::Object(inner), true) = (value, field.has_fields()) {
                return rows(
                    ctx,
                    &field.children,
                    inner,
                    &format!("{name}."),
                    form,
                    false,
                );
            }
            return Ok(());
        };
        let ok = match kind {
            "integer" => text.parse::<i64>().is_ok(),
            "number" | "float" => text.parse::<f64>().is_ok(),
            _ => true,
        };
        if !ok {
            return refuse(name, format!("expected {kind}, found {text:?}"));
        }
        return scalar(ctx, field, text, name);
    }
    match (kind, value) {
        ("string", Value::String(s)) => {
            scalar(ctx, field, s, name)?;
            if field.has_fields() {
                // A string holding JSON: its content is checked when it parses.
                match serde_json::from_str::<Value>(s) {
                    Ok(Value::Object(inner)) => rows(
                        ctx,
                        &field.children,
                        &inner,
                        &format!("{name}."),
                        form,
                        false,
                    )?,
                    Ok(Value::Array(items)) => {
                        for (i, item) in items.iter().enumerate() {
                            if let Value::Object(inner) = item {
                                let prefix = format!("{name}[{i}].");
                                rows(ctx, &field.children, inner, &prefix, form, false)?;
                            }
                        }
                    }
                    _ => {}
                }
            }
            Ok(())
        }
        ("integer", Value::Number(n)) if n.is_i64() || n.is_u64() => {
            scalar(ctx, field, &n.to_string(), name)
        }
        ("number" | "float", Value::Number(n)) => scalar(ctx, field, &n.to_string(), name),
        ("boolean", Value::Bool(b)) => scalar(ctx, field, &b.to_string(), name),
        ("object", Value::Object(inner)) => rows(
            ctx,
            &field.children,
            inner,
            &format!("{name}."),
            form,
            false,
        ),
        ("object[]", Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                match item {
                    Value::Object(inner) => {
                        let prefix = format!("{name}[{i}].");
                        rows(ctx, &field.children, inner, &prefix, form, false)?;
                    }
                    other => {
                        return refuse(
                            &format!("{name}[{i}]"),
                            format!("expected object, found {}", found(other)),
                        )
                    }
                }
            }
            Ok(())
        }
        ("string[]" | "integer[]" | "number[]", Value::Array(items)) => {
            let element = kind.trim_end_matches("[]");
            for (i, item) in items.iter().enumerate() {
                let item_name = format!("{name}[{i}]");
                let text = match (element, item) {
                    ("string", Value::String(s)) => s.clone(),
                    ("integer", Value::Number(n)) if n.is_i64() || n.is_u64() => n.to_string(),
                    ("number", Value::Number(n)) => n.to_string(),
                    (_, other) => {
                        return refuse(
                            &item_name,
                            format!("expected {element}, found {}", found(other)),
                        )
                    }
                };
                scalar(ctx, field, &text, &item_name)?;
            }
            Ok(())
        }
        (
            "string" | "integer" | "number" | "float" | "boolean" | "object" | "object[]"
            | "string[]" | "integer[]" | "number[]",
            other,
        ) => refuse(name, format!("expected {kind}, found {}", found(other))),
        // A type the tables do not use elsewhere: accepted.
        _ => Ok(()),
    }
}

/// The enum and the ciphertext of a scalar, as text.
fn scalar(ctx: &Ctx, field: &Field, text: &str, name: &str) -> Checked {
    if !field.enumeration.is_empty() && !field.enumeration.iter().any(|e| e == text) {
        return refuse(
            name,
            format!(
                "{text:?} is not one of the documented values ({})",
                field.enumeration.join(", ")
            ),
        );
    }
    if field.encrypted {
        ctx.encrypted_seen.set(true);
    }
    if field.encrypted && ctx.key.open(text).is_err() {
        return refuse(
            name,
            // WeChat Pay's own words for a field it cannot decrypt.
            format!(
                "请确认待处理的消息是否为加密后的密文 (expected {})",
                ctx.key.expected()
            ),
        );
    }
    Ok(())
}

#[cfg(test)]
#[path = "checks_tests.rs"]
mod tests;
