//! URI templates: literal path text and `{name}`, `{+name}`, `<name>` placeholders, taken
//! literally. The PHP SDK lower-cases templates, which silently corrupts path values with
//! capitals; that is the defect we do not copy.

use crate::error::{Error, Result};
use crate::util::encode_component;
use crate::util::{exact_integer, json_type};
use percent_encoding::{utf8_percent_encode, AsciiSet, CONTROLS};
use serde_json::{Map, Value};
use std::borrow::Cow;

/// How a placeholder's value is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Operator {
    /// `{name}` and `<name>`: only RFC 3986 unreserved characters stay.
    Simple,
    /// `{+name}`: reserved characters and existing `%XX` triplets stay.
    Reserved,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part<'a> {
    Literal(&'a str),
    Var(Operator, &'a str),
}

/// A parsed URI template: literal text and placeholders, in order. It borrows the text it was
/// parsed from: a template is parsed for every call, and slices cost no allocation.
#[derive(Debug, Clone)]
pub(crate) struct Template<'a> {
    source: &'a str,
    parts: Vec<Part<'a>>,
}

impl<'a> Template<'a> {
    /// Parses `{name}`, `{+name}` and `<name>` placeholders; any other RFC 6570 form is refused.
    pub(crate) fn parse(source: &'a str) -> Result<Template<'a>> {
        let err = |reason: String| Error::Template {
            template: source.to_string(),
            reason,
        };
        let mut parts = Vec::with_capacity(8);
        let mut rest = source;
        while let Some(pos) = rest.find(['{', '<', '}', '>']) {
            let (before, tail) = rest.split_at(pos);
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
            if !before.is_empty() {
                parts.push(Part::Literal(before));
            }
            parts.push(Part::Var(op, name));
            rest = &tail[1 + end + 1..];
        }
        if !rest.is_empty() {
            parts.push(Part::Literal(rest));
        }
        check_shape(source, &parts).map_err(err)?;
        Ok(Template { source, parts })
    }

    /// The template as written.
    pub(crate) fn as_str(&self) -> &'a str {
        self.source
    }

    /// The placeholder names, in order of appearance.
    pub(crate) fn placeholders(&self) -> impl Iterator<Item = &'a str> + '_ {
        self.parts.iter().filter_map(|p| match p {
            Part::Var(_, name) => Some(*name),
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
                    let value = placeholder_value(name, args.get(*name))?;
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
    // Read on the source as written: a placeholder is non-empty text without `/`, so the
    // segments, and which are empty or dots, are those of the path it expands to.
    let rel = source.strip_prefix('/').unwrap_or(source);
    if rel.is_empty() {
        return Err("the path is empty".into());
    }
    if rel.starts_with('/') {
        return Err("`//` would name another host: a template is a path under the base URI".into());
    }
    // One trailing `/` is a path WeChat Pay has (`v3/applyment4sub/applyment/`,
    // `v3/ecommerce/applyments/`); an empty segment anywhere else is not.
    let body = rel.strip_suffix('/').unwrap_or(rel);
    if body.is_empty() {
        return Err("the path is empty".into());
    }
    for segment in body.split('/') {
        match segment {
            "" => return Err("an empty path segment (`//`)".into()),
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
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
}
