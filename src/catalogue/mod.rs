//! The documented WeChat Pay calls: every method and path template with its request and
//! response field tables, parsed once from `catalogue.json` (generated from the documentation's
//! tables by `tests/fixtures/catalogue/generate.py`; see `docs/emulator.md`), and the brand API's
//! calls from `brand.json` (`tests/fixtures/catalogue/brand.py`).
//!
//! Independent of the emulator: the emulator routes, checks and answers with it, and a CLI can
//! list and show it. Uses nothing of the crate.

#![allow(dead_code)] // Some accessors are for the CLI to come.

use serde_json::Value;
use std::sync::OnceLock;

pub mod notifications;

/// APIv3 (JSON) or APIv2 (XML). The brand API's calls are JSON like APIv3 (see
/// [`Endpoint::brand`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    V3,
    V2,
}

/// One row of a field table.
#[derive(Debug, Clone, Default)]
pub struct Field {
    pub name: String,
    /// `string`, `integer`, `number`, `boolean`, `object`, `object[]`, `string[]`,
    /// `number[]`, `integer[]`, `float`, or `true` (the `security` option).
    pub kind: String,
    pub required: bool,
    /// The allowed values, as documented (as text).
    pub enumeration: Vec<String>,
    /// Sent as base64 RSA-OAEP ciphertext.
    pub encrypted: bool,
    /// A string holding JSON (`by-json_encode`): its children describe the decoded value.
    pub json_encoded: bool,
    /// A string that is URL-encoded (`by-urlencode`).
    pub url_encoded: bool,
    /// Signed with an RSA private key.
    pub signed: bool,
    pub children: Vec<Field>,
}

impl Field {
    /// `object` or `object[]`, or a string whose JSON content has fields.
    pub fn has_fields(&self) -> bool {
        !self.children.is_empty()
    }
}

/// What a call answers.
#[derive(Debug, Clone)]
pub enum ResponseSpec {
    /// A JSON object of these fields.
    Json(Vec<Field>),
    /// An APIv2 XML message of these fields.
    Xml(Vec<Field>),
    /// No body, with this status (204 or 202).
    Empty(u16),
    /// A file; `error_fields` is the XML error answer the table lists (APIv2 bills), if any.
    File { error_fields: Vec<Field> },
}

/// One documented call.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// Uppercase HTTP verb.
    pub method: String,
    /// As documented, e.g. `v3/pay/transactions/id/{transaction_id}` or `v2/pay/orderquery`
    /// (the `v2/` prefix is not part of the URL; `{empty}` stands for a trailing slash).
    pub template: String,
    pub protocol: Protocol,
    pub title: String,
    /// The top-level rows naming a `{placeholder}`.
    pub path: Vec<Field>,
    pub json: Option<Field>,
    pub xml: Option<Field>,
    pub query: Option<Field>,
    pub headers: Option<Field>,
    /// A `multipart/form-data` body (uploads).
    pub body: Option<Field>,
    /// Other top-level rows (`base_uri`, `security`, `nonceless`, misnamed placeholders).
    pub options: Vec<Field>,
    pub response: ResponseSpec,
}

impl Endpoint {
    /// APIv2 calls that need the merchant's client certificate (mutual TLS).
    pub fn security(&self) -> bool {
        self.options.iter().any(|o| o.name == "security")
    }

    /// A brand API call (`brand/…`, signed `WECHATPAY-BRAND-SHA256-RSA2048` by a brand).
    pub fn brand(&self) -> bool {
        self.template.starts_with("brand/")
    }

    /// The template as the client writes it: `{empty}` is the trailing slash.
    pub fn client_template(&self) -> String {
        self.template.replace("{empty}", "")
    }
}

/// Every documented call, sorted by template then method (the brand API's `brand/…` first).
pub fn all() -> &'static [Endpoint] {
    static ALL: OnceLock<Vec<Endpoint>> = OnceLock::new();
    ALL.get_or_init(|| {
        let mut all = parse(include_str!("brand.json"));
        all.extend(parse(include_str!("catalogue.json")));
        all
    })
}

/// The documented call for this method (any case) and template.
pub fn find(method: &str, template: &str) -> Option<&'static Endpoint> {
    all()
        .iter()
        .find(|e| e.method.eq_ignore_ascii_case(method) && e.template == template)
}

fn parse(text: &str) -> Vec<Endpoint> {
    // The data is embedded and generated: a defect in it is a build bug, caught by the tests.
    let rows: Vec<Value> = serde_json::from_str(text).expect("catalogue.json is valid JSON");
    rows.iter().filter_map(endpoint).collect()
}

fn endpoint(row: &Value) -> Option<Endpoint> {
    let s = |i: usize| row.get(i).and_then(Value::as_str).unwrap_or("").to_string();
    let req = row.get(4)?;
    let one = |k: &str| req.get(k).map(field);
    let list = |k: &str| fields(req.get(k));
    let resp = row.get(5)?;
    let response = match resp.get("k").and_then(Value::as_str)? {
        "json" => ResponseSpec::Json(fields(resp.get("f"))),
        "xml" => ResponseSpec::Xml(fields(resp.get("f"))),
        "empty" => ResponseSpec::Empty(resp.get("s").and_then(Value::as_u64).unwrap_or(204) as u16),
        _ => ResponseSpec::File {
            error_fields: fields(resp.get("f")),
        },
    };
    Some(Endpoint {
        method: s(0).to_ascii_uppercase(),
        template: s(1),
        protocol: if s(2) == "v2" {
            Protocol::V2
        } else {
            Protocol::V3
        },
        title: s(3),
        path: list("path"),
        json: one("json"),
        xml: one("xml"),
        query: one("query"),
        headers: one("headers"),
        body: one("body"),
        options: list("options"),
        response,
    })
}

pub(crate) fn fields(v: Option<&Value>) -> Vec<Field> {
    v.and_then(Value::as_array)
        .map(|a| a.iter().map(field).collect())
        .unwrap_or_default()
}

/// `[name, type, flags, enum, children]`, trailing members optional.
fn field(v: &Value) -> Field {
    let s = |i: usize| v.get(i).and_then(Value::as_str).unwrap_or("");
    let flags = s(2);
    Field {
        name: s(0).to_string(),
        kind: s(1).to_string(),
        required: flags.contains('r'),
        encrypted: flags.contains('x'),
        json_encoded: flags.contains('j'),
        url_encoded: flags.contains('u'),
        signed: flags.contains('s'),
        enumeration: v
            .get(3)
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|e| e.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default(),
        children: fields(v.get(4)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_call_is_parsed() {
        let all = all();
        assert_eq!(all.len(), 1143 + 55);
        assert_eq!(all.iter().filter(|e| e.brand()).count(), 55);
        assert_eq!(
            all.iter().filter(|e| e.protocol == Protocol::V2).count(),
            126
        );
        let close = find(
            "post",
            "v3/payscore/partner/serviceorder/{out_order_no}/cancel",
        )
        .unwrap();
        assert!(matches!(close.response, ResponseSpec::Empty(204)));
        assert_eq!(close.path[0].name, "out_order_no");
        let json = close.json.as_ref().unwrap();
        assert!(json.children.iter().all(|c| c.required));
        let cancel = find("POST", "v2/wxv/cancelbill").unwrap();
        assert!(cancel.security());
        let sign_type = &cancel.xml.as_ref().unwrap().children[3];
        assert_eq!(sign_type.enumeration, ["HMAC-SHA256"]);
        assert_eq!(
            find("POST", "v3/applyment4sub/applyment/{empty}")
                .unwrap()
                .client_template(),
            "v3/applyment4sub/applyment/"
        );
    }
}
