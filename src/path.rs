//! Path rules: segment normalisation for the chain, and URI templates with their placeholders.
//!
//! Segments given one by one (macro identifiers, [`seg`](crate::Chain::seg)) follow the PHP SDK's
//! three passes, so `merchantService` is `merchant-service` and `_out_trade_no_` is
//! `{out_trade_no}`. Templates given as strings are taken literally: the PHP SDK lower-cases them,
//! which silently corrupts path values with capitals, and that is the defect we do not copy.

use crate::error::{Error, Result};
use crate::util::encode_component;
use percent_encoding::{utf8_percent_encode, AsciiSet, CONTROLS};
use serde_json::{Map, Value};
use std::borrow::Cow;

/// Normalises one chain segment as the PHP SDK does.
///
/// A leading capital is lowered; every other ASCII capital becomes `-` plus its lowercase; a
/// segment that starts and ends with `_` becomes the placeholder `{inner}`. A raw-identifier
/// prefix `r#` (from the `chain!` macro) is dropped.
///
/// ```
/// use wechatpay::normalize_segment;
/// assert_eq!(normalize_segment("merchantService"), "merchant-service");
/// assert_eq!(normalize_segment("_out_trade_no_"), "{out_trade_no}");
/// assert_eq!(normalize_segment("h5Presign"), "h5-presign");
/// assert_eq!(normalize_segment("r#return"), "return");
/// ```
pub fn normalize_segment(segment: &str) -> String {
    let segment = segment.strip_prefix("r#").unwrap_or(segment);
    let mut out = String::with_capacity(segment.len() + 4);
    for (i, c) in segment.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('-');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    if out.len() >= 2 && out.starts_with('_') && out.ends_with('_') {
        out = format!("{{{}}}", &out[1..out.len() - 1]);
    }
    out
}

/// Checks one segment given to [`seg`](crate::Chain::seg) or the `chain!` macro: a path word
/// (ASCII letters, digits, `_`, `-`), a `_name_` placeholder, or a `{name}` placeholder.
///
/// Anything else (`..`, `a/b`, `?x=1`, `%2e`, an empty string) would change the path's shape;
/// values belong in placeholders, where they are encoded.
pub(crate) fn check_segment(raw: &str) -> std::result::Result<(), String> {
    let word = raw.strip_prefix("r#").unwrap_or(raw);
    let inner = match word.strip_prefix('{').and_then(|w| w.strip_suffix('}')) {
        Some(name) => name,
        None => word,
    };
    let is_word = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    };
    if is_word(inner) {
        return Ok(());
    }
    Err(format!(
        "`{}` is not a path word (ASCII letters, digits, `_`, `-`) nor a `_name_` placeholder: put values in a \
         placeholder (`.seg(\"_id_\")` with {{\"id\": …}}), and several segments in several `seg` calls",
        raw.escape_debug()
    ))
}

/// How a placeholder's value is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Operator {
    /// `{name}` and `<name>`: only RFC 3986 unreserved characters stay.
    Simple,
    /// `{+name}`: reserved characters and existing `%XX` triplets stay.
    Reserved,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Literal(String),
    Var(Operator, String),
}

/// A parsed URI template: literal text and placeholders, in order.
#[derive(Debug, Clone)]
pub(crate) struct Template {
    source: String,
    parts: Vec<Part>,
}

impl Template {
    /// Parses `{name}`, `{+name}` and `<name>` placeholders; any other RFC 6570 form is refused.
    pub(crate) fn parse(source: &str) -> Result<Template> {
        let err = |reason: String| Error::Template {
            template: source.to_string(),
            reason,
        };
        let mut parts = Vec::new();
        let mut literal = String::new();
        let mut rest = source;
        while let Some(pos) = rest.find(['{', '<', '}', '>']) {
            let (before, tail) = rest.split_at(pos);
            literal.push_str(before);
            let open = tail.as_bytes()[0];
            if open == b'}' || open == b'>' {
                return Err(err(format!(
                    "`{}` at byte {} closes nothing",
                    open as char,
                    source.len() - tail.len()
                )));
            }
            let close = if open == b'{' { '}' } else { '>' };
            let end = tail[1..].find(close).ok_or_else(|| {
                err(format!(
                    "`{}` at byte {} is never closed",
                    open as char,
                    source.len() - tail.len()
                ))
            })?;
            let inner = &tail[1..1 + end];
            let (op, name) = match inner.as_bytes().first() {
                Some(b'+') if open == b'{' => (Operator::Reserved, &inner[1..]),
                _ => (Operator::Simple, inner),
            };
            if name.is_empty() {
                return Err(err("a placeholder has no name".into()));
            }
            if let Some(bad) = name
                .chars()
                .find(|c| !(c.is_alphanumeric() || matches!(c, '_' | '-' | '.')))
            {
                return Err(err(format!(
                    "placeholder `{inner}` uses `{bad}`: only {{name}}, {{+name}} and <name> are supported \
                     (no other RFC 6570 operators, lists, prefixes or explode)"
                )));
            }
            if !literal.is_empty() {
                parts.push(Part::Literal(std::mem::take(&mut literal)));
            }
            parts.push(Part::Var(op, name.to_string()));
            rest = &tail[1 + end + 1..];
        }
        literal.push_str(rest);
        if !literal.is_empty() {
            parts.push(Part::Literal(literal));
        }
        check_shape(source, &parts).map_err(err)?;
        Ok(Template {
            source: source.to_string(),
            parts,
        })
    }

    /// The template as written.
    pub(crate) fn as_str(&self) -> &str {
        &self.source
    }

    /// The placeholder names, in order of appearance.
    pub(crate) fn placeholders(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|p| match p {
            Part::Var(_, name) => Some(name.as_str()),
            Part::Literal(_) => None,
        })
    }

    /// True if `name` is one of the placeholders.
    pub(crate) fn has_placeholder(&self, name: &str) -> bool {
        self.placeholders().any(|p| p == name)
    }

    /// Expands the template with values from `args`, refusing missing or empty values.
    pub(crate) fn expand(&self, args: &Map<String, Value>) -> Result<String> {
        let mut out = String::with_capacity(self.source.len() + 32);
        for part in &self.parts {
            match part {
                Part::Literal(text) => out.push_str(text),
                Part::Var(op, name) => {
                    let value = placeholder_value(name, args.get(name))?;
                    refuse_dot_segments(name, *op, &value)?;
                    match op {
                        Operator::Simple => out.push_str(&encode_component(&value)),
                        Operator::Reserved => out.push_str(&encode_reserved(&value)),
                    }
                }
            }
        }
        Ok(out)
    }
}

/// A template is a path under the base URI: path words, `/` and placeholders, nothing that
/// could name another host, climb a level, start a query or a fragment, or be sent other than
/// as written.
fn check_shape(source: &str, parts: &[Part]) -> std::result::Result<(), String> {
    for part in parts {
        let Part::Literal(text) = part else { continue };
        if let Some(c) = text
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '~' | '/')))
        {
            return Err(match c {
                '?' => "`?` would start a query: pass query parameters in the `query` option".into(),
                '#' => "`#` would start a fragment, which is signed but never sent".into(),
                ':' => "a template is a path under the base URI, not a URL: to reach another host, \
                        pass `base_uri` (and allow it with ClientBuilder::allow_host)"
                    .into(),
                '%' => "percent-encoded text in a template: put the value in a placeholder, which encodes it".into(),
                c if c.is_whitespace() || c.is_control() => {
                    format!("{c:?} (whitespace or a control character) is never part of a path")
                }
                c => format!(
                    "`{c}` is not a path character: a template holds letters, digits, `-`, `_`, `.`, `~`, `/` and \
                     placeholders; put other text in a placeholder value"
                ),
            });
        }
    }
    // One leading `/` is tolerated (the path stays under the base); the rest must be segments.
    let mut shape = String::with_capacity(source.len());
    for part in parts {
        match part {
            Part::Literal(text) => shape.push_str(text),
            Part::Var(..) => shape.push('x'),
        }
    }
    let rel = shape.strip_prefix('/').unwrap_or(&shape);
    if rel.is_empty() {
        return Err("the path is empty".into());
    }
    if rel.starts_with('/') {
        return Err("`//` would name another host: a template is a path under the base URI".into());
    }
    for segment in rel.split('/') {
        match segment {
            "" => return Err("an empty path segment (`//` or a trailing `/`)".into()),
            "." | ".." => {
                return Err(format!(
                    "the segment `{segment}` would be resolved away and change the path (and the API it reaches)"
                ))
            }
            _ => {}
        }
    }
    Ok(())
}

/// A number as WeChat Pay reads it: an exact integer, never a float that lost digits.
pub(crate) fn exact_integer(name: &str, n: &serde_json::Number) -> Result<String> {
    if n.is_i64() || n.is_u64() {
        return Ok(n.to_string());
    }
    Err(Error::argument(
        name,
        format!(
            "{n} is not an exact integer (JSON numbers beyond 64 bits or with a fraction lose digits): pass it as a \
             string, e.g. \"4200000000000000000000000000\""
        ),
    ))
}

/// The string form of a placeholder value: strings and numbers only, never empty.
fn placeholder_value<'a>(name: &str, value: Option<&'a Value>) -> Result<Cow<'a, str>> {
    match value {
        None | Some(Value::Null) => Err(Error::MissingPlaceholder { name: name.into() }),
        Some(Value::String(s)) if s.is_empty() => {
            Err(Error::EmptyPlaceholder { name: name.into() })
        }
        Some(Value::String(s)) => Ok(Cow::Borrowed(s)),
        Some(Value::Number(n)) => Ok(Cow::Owned(exact_integer(name, n)?)),
        Some(other) => Err(Error::argument(
            name,
            format!(
                "a placeholder value must be a string or a number, found {}",
                json_type(other)
            ),
        )),
    }
}

/// `.` and `..` are unreserved, so encoding leaves them as they are, and URL resolution would
/// then climb out of the segment: `v3/a/{x}/b` with `..` is `/v3/b`. No id is ever a dot segment.
fn refuse_dot_segments(name: &str, op: Operator, value: &str) -> Result<()> {
    let is_dots = |s: &str| {
        let s = s.to_ascii_lowercase().replace("%2e", ".");
        s == "." || s == ".."
    };
    if op == Operator::Reserved && value.contains('#') {
        return Err(Error::argument(
            name,
            "`#` would start a fragment, which is signed but never sent: use `{name}` (encoded) for such values",
        ));
    }
    let climbs = match op {
        Operator::Simple => value == "." || value == "..",
        Operator::Reserved => value.split(['/', '?']).any(is_dots),
    };
    if climbs {
        return Err(Error::argument(
            name,
            format!("`{value}` would be a `.`/`..` path segment and change the path"),
        ));
    }
    Ok(())
}

/// The JSON type name of a value, for error messages.
pub(crate) fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Characters `{+name}` encodes: everything outside unreserved and reserved, `%` handled apart.
const RESERVED_EXPANSION: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'%')
    .add(b'<')
    .add(b'>')
    .add(b'\\')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

/// RFC 6570 reserved expansion: reserved characters and valid `%XX` triplets pass unchanged
/// (the PHP SDK double-encodes those triplets, guzzle/uri-template#18).
fn encode_reserved(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let bytes = value.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let triplet = i + 2 < bytes.len()
                && bytes[i + 1].is_ascii_hexdigit()
                && bytes[i + 2].is_ascii_hexdigit();
            out.extend(utf8_percent_encode(&value[start..i], RESERVED_EXPANSION));
            if triplet {
                out.push_str(&value[i..i + 3]);
                i += 3;
            } else {
                out.push_str("%25");
                i += 1;
            }
            start = i;
        } else {
            i += 1;
        }
    }
    out.extend(utf8_percent_encode(&value[start..], RESERVED_EXPANSION));
    out
}

/// Builds a query string from a JSON object, in insertion order, RFC 3986 encoded.
///
/// Booleans are `true`/`false` (the WeChat documentation's form); `null` entries are left out;
/// arrays and objects are refused because WeChat Pay has no encoding for them.
pub(crate) fn build_query(query: &Map<String, Value>) -> Result<String> {
    let mut out = String::new();
    for (key, value) in query {
        let text: Cow<'_, str> = match value {
            Value::Null => continue,
            Value::String(s) => Cow::Borrowed(s),
            Value::Number(n) => Cow::Owned(exact_integer(&format!("query.{key}"), n)?),
            Value::Bool(b) => Cow::Borrowed(if *b { "true" } else { "false" }),
            other => {
                return Err(Error::argument(
                    format!("query.{key}"),
                    format!(
                        "a query value must be a string, number or boolean, found {}",
                        json_type(other)
                    ),
                ))
            }
        };
        if !out.is_empty() {
            out.push('&');
        }
        out.push_str(&encode_component(key));
        out.push('=');
        out.push_str(&encode_component(&text));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn php_normalisation_table() {
        let cases = [
            ("V3", "v3"),
            ("merchantService", "merchant-service"),
            ("ComplaintNotifications", "complaint-notifications"),
            ("_transaction_id_", "{transaction_id}"),
            ("_openId_", "{open-id}"),
            ("{combine_out_trade_no}", "{combine_out_trade_no}"),
            ("_a__", "{a_}"),
            ("_x", "_x"),
            ("HTTPServer", "h-t-t-p-server"),
            ("{OpenID}", "{-open-i-d}"),
            ("applyment4sub", "applyment4sub"),
            ("mch_archives", "mch_archives"),
            ("complaintsV2", "complaints-v2"),
            ("", ""),
            ("pay/transactions", "pay/transactions"),
            ("r#use", "use"),
        ];
        for (input, want) in cases {
            assert_eq!(normalize_segment(input), want, "input {input:?}");
        }
    }

    #[test]
    fn templates_expand_and_encode() {
        let t = Template::parse("v3/pay/transactions/out-trade-no/{out_trade_no}").unwrap();
        assert_eq!(
            t.expand(&map(json!({"out_trade_no": "N12/3 a+b%&?#中"})))
                .unwrap(),
            "v3/pay/transactions/out-trade-no/N12%2F3%20a%2Bb%25%26%3F%23%E4%B8%AD"
        );
        let t = Template::parse("v3/users/<openid>/x/{n}").unwrap();
        assert_eq!(
            t.expand(&map(
                json!({"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o", "n": 123})
            ))
            .unwrap(),
            "v3/users/oUpF8uMuAJO_M2pxb1Q9zNjWeS6o/x/123"
        );
        let t = Template::parse("{+p}").unwrap();
        assert_eq!(
            t.expand(&map(json!({"p": "v2/pay/a%2Fb%3D c"}))).unwrap(),
            "v2/pay/a%2Fb%3D%20c"
        );
        assert_eq!(
            t.expand(&map(json!({"p": "100%"}))).unwrap(),
            "100%25",
            "a lone % is encoded"
        );
    }

    #[test]
    fn dot_segments_in_values_cannot_climb() {
        let t = Template::parse("v3/a/{x}/b").unwrap();
        assert_eq!(
            t.expand(&map(json!({"x": "../../v2/pay"}))).unwrap(),
            "v3/a/..%2F..%2Fv2%2Fpay/b"
        );
    }

    #[test]
    fn refusals() {
        let t = Template::parse("v3/a/{x}").unwrap();
        assert!(
            matches!(t.expand(&map(json!({}))), Err(Error::MissingPlaceholder { name }) if name == "x")
        );
        assert!(matches!(
            t.expand(&map(json!({"x": null}))),
            Err(Error::MissingPlaceholder { .. })
        ));
        assert!(
            matches!(t.expand(&map(json!({"x": ""}))), Err(Error::EmptyPlaceholder { name }) if name == "x")
        );
        assert!(
            matches!(t.expand(&map(json!({"x": ["a"]}))), Err(Error::Argument { name, .. }) if name == "x")
        );
        for bad in [
            "v3/{?q}", "v3/{#f}", "v3/{a,b}", "v3/{a:3}", "v3/{a*}", "v3/{}", "v3/{a", "v3/a}",
            "v3/<x",
        ] {
            assert!(
                matches!(Template::parse(bad), Err(Error::Template { .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn query_in_order_with_booleans() {
        let q = map(
            json!({"limit": 10, "offset": 0, "q": "a b/c", "flag": true, "no": false, "skip": null}),
        );
        assert_eq!(
            build_query(&q).unwrap(),
            "limit=10&offset=0&q=a%20b%2Fc&flag=true&no=false"
        );
        assert!(build_query(&map(json!({"x": [1]}))).is_err());
    }
}
