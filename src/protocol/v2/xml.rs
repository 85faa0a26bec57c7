//! APIv2 XML both ways, as a `serde_json` object so both protocols share one data model.
//!
//! Writing follows the PHP SDK's `Transformer::toXml` byte for byte, except that a `]]>` inside
//! CDATA is split (`]]]]><![CDATA[>`) instead of ending the section early.
//!
//! Reading follows `Transformer::toArray`, except that malformed XML is an error instead of an
//! empty array, and so is a DOCTYPE anywhere: no WeChat message has one, and a DTD is where the
//! XXE and billion-laughs attacks live. No entity is expanded other than the five predefined ones
//! and character references; any other is an error.
//!
//! # Bounds on reading
//!
//! [`from_xml`] reads answers and notifications before their `sign` is checked, and the
//! notification URL is open to anyone, so what a document may cost is bounded before anything
//! is verified:
//!
//! - at most [`MAX_NODES`] (10,000) elements and attributes together. WeChat Pay's APIv2
//!   messages are one flat `<xml>` of fields: the largest documented, a refund query page (10
//!   refunds, each with about a dozen `…_$n` fields and three `coupon_…_$n_$m` per coupon), stays
//!   under a thousand, so the bound leaves ten times that and still caps the fields' table (about
//!   250 bytes a field, names included) near 2.5 MB;
//! - at most 64 levels of nesting (APIv2 uses three);
//! - one copy of each name and text, and of the whole input only when it holds characters XML
//!   forbids (they are removed first); names and parser messages quoted in errors are cut to 64
//!   characters; repeated fields become lists and repeated attributes an error, each found in
//!   constant time, so time is linear in the input.
//!
//! Measured (`tests/xml_memory.rs`, a counting allocator): the parse's peak heap stays within
//! 4 × its input + 4 MiB whatever the shape, 2 × its input at most for a large one (before these
//! bounds, a 2 MB notification of empty elements took 107 MB and 31 MB took 1.7 GB).

use serde_json::{Map, Value};

mod read;
pub use read::from_xml;

/// Most elements and attributes (together) one document may hold; [`from_xml`] refuses more.
///
/// ```
/// assert_eq!(wechatpay::v2::xml::MAX_NODES, 10_000);
/// ```
pub const MAX_NODES: usize = 10_000;

/// How [`to_xml_with`] writes.
///
/// `root` and `item` should be valid element names; an invalid one is replaced by `xml` or
/// `item` so the output stays well-formed.
#[derive(Debug, Clone, Copy)]
pub struct XmlOptions<'a> {
    /// No `<?xml …?>` declaration (the APIv2 wire form).
    pub headless: bool,
    /// One space per level, a newline after each element.
    pub indent: bool,
    /// Root element name.
    pub root: &'a str,
    /// Element name for list items and keys that are not valid names.
    pub item: &'a str,
}

impl Default for XmlOptions<'_> {
    /// Headless, not indented, root `xml`, items `item`: what APIv2 requests look like.
    fn default() -> Self {
        XmlOptions {
            headless: true,
            indent: false,
            root: "xml",
            item: "item",
        }
    }
}

/// Writes `data` as `<xml>…</xml>`, elements in insertion order.
///
/// Strings with `<`, `>`, `&` or `"` go entirely in CDATA, others as text with `\r` as `&#13;`;
/// `true` is `1`, `false` and `null` empty elements, numbers decimal; objects nest, arrays
/// repeat `<item>`. A key that is not an element name (`1abc`, `bad name`, `5`) becomes `<item>`.
///
/// ```
/// let data = serde_json::json!({"appid": "wx2421b1c4370ec43b", "detail": "a<b", "total_fee": 1, "ok": true});
/// assert_eq!(
///     wechatpay::v2::xml::to_xml(data.as_object().unwrap()),
///     "<xml><appid>wx2421b1c4370ec43b</appid><detail><![CDATA[a<b]]></detail><total_fee>1</total_fee><ok>1</ok></xml>"
/// );
/// ```
pub fn to_xml(data: &Map<String, Value>) -> String {
    to_xml_with(data, &XmlOptions::default())
}

/// Writes `data` with the given options.
///
/// ```
/// use wechatpay::v2::xml::{to_xml_with, XmlOptions};
/// let data = serde_json::json!({"a": {"b": "c"}});
/// let opts = XmlOptions { headless: false, indent: true, root: "qqpay", item: "item" };
/// assert_eq!(
///     to_xml_with(data.as_object().unwrap(), &opts),
///     "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<qqpay>\n <a>\n  <b>c</b>\n </a>\n</qqpay>\n"
/// );
/// ```
pub fn to_xml_with(data: &Map<String, Value>, opts: &XmlOptions) -> String {
    let opts = XmlOptions {
        root: if is_name(opts.root) { opts.root } else { "xml" },
        item: if is_name(opts.item) {
            opts.item
        } else {
            "item"
        },
        ..*opts
    };
    let mut out = String::with_capacity(64 + data.len() * 32);
    if !opts.headless {
        out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    }
    let children = data.iter().map(|(k, v)| (k.as_str(), v)).collect();
    write_element(&mut out, opts.root, Body::Children(children), 0, &opts);
    // XMLWriter ends the document with a newline when it indents or writes a declaration.
    if opts.indent || !opts.headless {
        out.push('\n');
    }
    out
}

enum Body<'a> {
    Text(String),
    Children(Vec<(&'a str, &'a Value)>),
}

fn body_of<'a>(value: &'a Value, item: &'a str) -> Body<'a> {
    match value {
        Value::Object(map) => Body::Children(map.iter().map(|(k, v)| (k.as_str(), v)).collect()),
        Value::Array(list) => Body::Children(list.iter().map(|v| (item, v)).collect()),
        Value::String(s) => Body::Text(s.clone()),
        Value::Number(n) => Body::Text(n.to_string()),
        Value::Bool(true) => Body::Text("1".into()),
        Value::Bool(false) | Value::Null => Body::Text(String::new()),
    }
}

fn write_element(out: &mut String, name: &str, body: Body<'_>, depth: usize, opts: &XmlOptions) {
    let indent = |out: &mut String, depth: usize| {
        if opts.indent {
            out.extend(std::iter::repeat_n(' ', depth));
        }
    };
    indent(out, depth);
    out.push('<');
    out.push_str(name);
    out.push('>');
    match body {
        Body::Text(text) => write_text(out, &text),
        Body::Children(children) => {
            if opts.indent && !children.is_empty() {
                out.push('\n');
            }
            let nonempty = !children.is_empty();
            for (key, value) in children {
                let tag = if is_name(key) { key } else { opts.item };
                write_element(out, tag, body_of(value, opts.item), depth + 1, opts);
                if opts.indent {
                    out.push('\n');
                }
            }
            if nonempty {
                indent(out, depth);
            }
        }
    }
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

/// The PHP SDK's element-name rule: `^[\pL_][\pL0-9._:-]*$`.
pub(crate) fn is_name(key: &str) -> bool {
    let mut chars = key.chars();
    match chars.next() {
        Some(c) if c.is_alphabetic() || c == '_' => {}
        _ => return false,
    }
    chars.all(|c| c.is_alphabetic() || c.is_ascii_digit() || matches!(c, '.' | '_' | ':' | '-'))
}

/// `text` as a CDATA section; a `]]>` inside is split across two sections.
pub(crate) fn cdata(text: &str) -> String {
    // A CR inside CDATA is read back as LF (XML end-of-line handling), so the receiver would
    // sign other bytes than were sent: it goes out as a character reference between sections.
    let inner = text
        .replace("]]>", "]]]]><![CDATA[>")
        .replace('\r', "]]>&#13;<![CDATA[");
    format!("<![CDATA[{inner}]]>")
}

fn write_text(out: &mut String, text: &str) {
    if text.contains(['<', '>', '&', '"']) {
        out.push_str(&cdata(text));
    } else {
        // Without markup characters only `\r` needs escaping (XML would read it as `\n`).
        for c in text.chars() {
            match c {
                '\r' => out.push_str("&#13;"),
                c => out.push(c),
            }
        }
    }
}

#[cfg(test)]
mod tests;
