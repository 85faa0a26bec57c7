//! APIv2 XML both ways, as a `serde_json` object so both protocols share one data model.
//!
//! Reading never processes a DTD or expands an entity other than the five predefined ones and
//! character references, so XXE payloads expand to nothing. Writing puts text with markup
//! characters in CDATA and splits any `]]>` so it cannot end the section early.

use crate::error::{Error, Result};
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;
use serde_json::{Map, Value};

/// How [`to_xml_with`] writes.
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
    let mut out = String::with_capacity(64 + data.len() * 32);
    if !opts.headless {
        out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    }
    let entries = data.iter().map(|(k, v)| (k.as_str(), v));
    write_element(
        &mut out,
        opts.root,
        Body::Children(entries.collect()),
        0,
        opts,
    );
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
            for _ in 0..depth {
                out.push(' ');
            }
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
            for (key, value) in children {
                let tag = if is_name(key) { key } else { opts.item };
                write_element(out, tag, body_of(value, opts.item), depth + 1, opts);
                if opts.indent {
                    out.push('\n');
                }
            }
            indent(out, depth);
        }
    }
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

/// The PHP SDK's element-name rule: `^[\pL_][\pL0-9._:-]*$`.
fn is_name(key: &str) -> bool {
    let mut chars = key.chars();
    match chars.next() {
        Some(c) if c.is_alphabetic() || c == '_' => {}
        _ => return false,
    }
    chars.all(|c| c.is_alphabetic() || c.is_ascii_digit() || matches!(c, '.' | '_' | ':' | '-'))
}

fn write_text(out: &mut String, text: &str) {
    if text.contains(['<', '>', '&', '"']) {
        out.push_str("<![CDATA[");
        out.push_str(&text.replace("]]>", "]]]]><![CDATA[>"));
        out.push_str("]]>");
    } else {
        for c in text.chars() {
            match c {
                '\r' => out.push_str("&#13;"),
                c => out.push(c),
            }
        }
    }
}

/// Characters XML 1.0 allows: tab, LF, CR, and the ranges outside surrogates and U+FFFE/U+FFFF.
fn is_xml_char(c: char) -> bool {
    matches!(c, '\u{9}' | '\u{A}' | '\u{D}' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

struct Frame {
    name: String,
    attributes: Map<String, Value>,
    children: Vec<(String, Value)>,
    text: String,
}

impl Frame {
    fn new(start: &BytesStart<'_>) -> Result<Frame> {
        let name = String::from_utf8_lossy(start.name().as_ref()).into_owned();
        let mut attributes = Map::new();
        for attr in start.attributes() {
            let attr = attr.map_err(|e| Error::decode("xml", e))?;
            let key = String::from_utf8_lossy(attr.key.as_ref()).into_owned();
            let value = attr.unescape_value().map_err(|e| Error::decode("xml", e))?;
            attributes.insert(key, Value::String(value.into_owned()));
        }
        Ok(Frame {
            name,
            attributes,
            children: Vec::new(),
            text: String::new(),
        })
    }

    /// A leaf is its text; an element with children a map, repeated names becoming lists.
    fn into_value(self) -> Value {
        if self.children.is_empty() {
            return Value::String(self.text);
        }
        let mut map = Map::new();
        if !self.attributes.is_empty() {
            map.insert("@attributes".into(), Value::Object(self.attributes));
        }
        for (name, value) in self.children {
            match map.get_mut(&name) {
                None => {
                    map.insert(name, value);
                }
                // Element values are never arrays, so an array here is a run of repeats.
                Some(Value::Array(list)) => list.push(value),
                Some(existing) => {
                    let first = std::mem::take(existing);
                    *existing = Value::Array(vec![first, value]);
                }
            }
        }
        Value::Object(map)
    }
}

/// Parses APIv2 XML into a JSON object: the root's children by name.
///
/// Leaves are strings, elements with children maps, repeated siblings lists, attributes of
/// non-leaf elements under `@attributes`, empty elements `""`. Malformed XML is an error.
///
/// ```
/// let v = wechatpay::v2::xml::from_xml(
///     r#"<xml a="1"><x b="2">v</x><l>1</l><l>2</l><e/><n><m>q</m></n></xml>"#).unwrap();
/// assert_eq!(serde_json::Value::Object(v), serde_json::json!(
///     {"@attributes": {"a": "1"}, "x": "v", "l": ["1", "2"], "e": "", "n": {"m": "q"}}));
/// ```
pub fn from_xml(xml: &str) -> Result<Map<String, Value>> {
    let cleaned: String;
    let xml = if xml.chars().all(is_xml_char) {
        xml
    } else {
        cleaned = xml.chars().filter(|c| is_xml_char(*c)).collect();
        &cleaned
    };
    let mut reader = Reader::from_str(xml);
    reader.config_mut().check_end_names = true;
    let mut stack: Vec<Frame> = Vec::new();
    let mut root: Option<Value> = None;
    loop {
        let event = reader.read_event().map_err(|e| {
            Error::decode("xml", format!("{e} at byte {}", reader.error_position()))
        })?;
        match event {
            Event::Start(start) => {
                if root.is_some() {
                    return Err(Error::decode("xml", "content after the root element"));
                }
                stack.push(Frame::new(&start)?);
            }
            Event::Empty(start) => {
                let frame = Frame::new(&start)?;
                match stack.last_mut() {
                    Some(parent) => parent
                        .children
                        .push((frame.name.clone(), frame.into_value())),
                    None if root.is_none() => root = Some(frame.into_value()),
                    None => return Err(Error::decode("xml", "content after the root element")),
                }
            }
            Event::End(_) => {
                let frame = stack
                    .pop()
                    .ok_or_else(|| Error::decode("xml", "unbalanced end tag"))?;
                let name = frame.name.clone();
                let value = frame.into_value();
                match stack.last_mut() {
                    Some(parent) => parent.children.push((name, value)),
                    None => root = Some(value),
                }
            }
            Event::Text(text) => {
                let text = text.decode().map_err(|e| Error::decode("xml", e))?;
                match stack.last_mut() {
                    Some(frame) => frame.text.push_str(&text),
                    None if text.trim().is_empty() => {}
                    None => return Err(Error::decode("xml", "text outside the root element")),
                }
            }
            Event::CData(data) => {
                let text = data.decode().map_err(|e| Error::decode("xml", e))?;
                if let Some(frame) = stack.last_mut() {
                    frame.text.push_str(&text);
                }
            }
            Event::GeneralRef(reference) => {
                let resolved = if reference.is_char_ref() {
                    reference
                        .resolve_char_ref()
                        .map_err(|e| Error::decode("xml", e))?
                } else {
                    match reference.as_ref() {
                        b"amp" => Some('&'),
                        b"lt" => Some('<'),
                        b"gt" => Some('>'),
                        b"quot" => Some('"'),
                        b"apos" => Some('\''),
                        // Entities a DTD would declare are never expanded (XXE).
                        _ => None,
                    }
                };
                if let (Some(c), Some(frame)) = (resolved, stack.last_mut()) {
                    frame.text.push(c);
                }
            }
            Event::Eof => break,
            Event::Decl(_) | Event::DocType(_) | Event::Comment(_) | Event::PI(_) => {}
        }
    }
    if let Some(open) = stack.last() {
        return Err(Error::decode(
            "xml",
            format!("premature end of data in tag `{}`", open.name),
        ));
    }
    match root {
        Some(Value::Object(map)) => Ok(map),
        Some(_) => Ok(Map::new()),
        None => Err(Error::decode("xml", "no root element")),
    }
}
