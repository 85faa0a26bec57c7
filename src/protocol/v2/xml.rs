//! APIv2 XML both ways, as a `serde_json` object so both protocols share one data model.
//!
//! Writing follows the PHP SDK's `Transformer::toXml` byte for byte, except that a `]]>` inside
//! CDATA is split (`]]]]><![CDATA[>`) instead of ending the section early.
//!
//! Reading follows `Transformer::toArray`, except that malformed XML is an error instead of an
//! empty array, and so is a DOCTYPE anywhere: no WeChat message has one, and a DTD is where the
//! XXE and billion-laughs attacks live. No entity is expanded other than the five predefined ones
//! and character references; any other is an error.

use crate::error::{Error, Result};
use quick_xml::escape::resolve_xml_entity;
use quick_xml::events::{BytesRef, BytesStart, Event};
use quick_xml::Reader;
use serde_json::{Map, Value};

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

/// Characters XML 1.0 allows: tab, LF, CR, and the ranges outside surrogates and U+FFFE/U+FFFF.
fn is_xml_char(c: char) -> bool {
    matches!(c, '\u{9}' | '\u{A}' | '\u{D}' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Why a DOCTYPE is refused wherever it stands.
const DOCTYPE_REFUSED: &str =
    "a DOCTYPE: no WeChat Pay message has one (DTDs carry XXE and entity-expansion attacks)";

/// Deeper documents are refused: APIv2 XML is at most three levels deep, and a bound keeps
/// hostile input from exhausting the stack when the nested value is dropped.
const MAX_DEPTH: usize = 64;

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
            let attr = attr.map_err(|e| Error::decode("xml", format!("in <{name}>: {e}")))?;
            let key = String::from_utf8_lossy(attr.key.as_ref()).into_owned();
            // Same entity rule as text: only the predefined entities.
            let value = attr
                .unescape_value_with(resolve_xml_entity)
                .map_err(|e| Error::decode("xml", format!("attribute `{key}` of <{name}>: {e}")))?;
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
                // Element values are strings or maps, never arrays: an array is a run of repeats.
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

/// Resolves `&name;` or `&#n;`; any entity but the five predefined ones is an error.
fn resolve_ref(reference: &BytesRef<'_>) -> Result<Option<char>> {
    if reference.is_char_ref() {
        let c = reference
            .resolve_char_ref()
            .map_err(|e| Error::decode("xml", e))?;
        return match c {
            Some(c) if !is_xml_char(c) => Err(Error::decode(
                "xml",
                format!(
                    "character reference to U+{:04X}, not allowed in XML",
                    c as u32
                ),
            )),
            c => Ok(c),
        };
    }
    let name = reference.decode().map_err(|e| Error::decode("xml", e))?;
    match resolve_xml_entity(&name) {
        Some(s) => Ok(s.chars().next()),
        None => Err(Error::decode(
            "xml",
            format!("undeclared entity `&{name};`"),
        )),
    }
}

/// Parses APIv2 XML into a JSON object: the root's children by name.
///
/// Characters XML 1.0 forbids are removed first. The root's name is ignored. Leaves are strings
/// (their text verbatim, CDATA merged), elements with children maps, repeated siblings lists,
/// the attributes of non-leaf elements go under `@attributes`, empty elements are `""`.
///
/// # Errors
/// [`Error::Decode`] (`what: "xml"`) for malformed XML, a DOCTYPE, or an entity other than the
/// five predefined ones.
/// The PHP SDK returns an empty array there, which then fails later and less clearly.
///
/// ```
/// let v = wechatpay::v2::xml::from_xml(
///     r#"<xml a="1"><x b="2">v</x><l>1</l><l>2</l><e/><n><m>q</m></n></xml>"#).unwrap();
/// assert_eq!(serde_json::Value::Object(v), serde_json::json!(
///     {"@attributes": {"a": "1"}, "x": "v", "l": ["1", "2"], "e": "", "n": {"m": "q"}}));
/// assert!(wechatpay::v2::xml::from_xml("<html><hr></html>").is_err());
/// // No WeChat message has a DOCTYPE: refused wherever it stands.
/// assert!(wechatpay::v2::xml::from_xml("<!DOCTYPE xml><xml><a>1</a></xml>").is_err());
/// ```
pub fn from_xml(xml: &str) -> Result<Map<String, Value>> {
    let xml = xml.strip_prefix('\u{FEFF}').unwrap_or(xml);
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
            Event::Start(start) | Event::Empty(start)
                if root.is_some() || stack.len() >= MAX_DEPTH =>
            {
                let why = if root.is_some() {
                    "a second root element".to_string()
                } else {
                    format!("elements nested deeper than {MAX_DEPTH} levels")
                };
                let name = String::from_utf8_lossy(start.name().as_ref()).into_owned();
                return Err(Error::decode("xml", format!("{why} (<{name}>)")));
            }
            Event::Start(start) => stack.push(Frame::new(&start)?),
            Event::Empty(start) => {
                let frame = Frame::new(&start)?;
                match stack.last_mut() {
                    Some(parent) => parent
                        .children
                        .push((frame.name.clone(), frame.into_value())),
                    None => root = Some(frame.into_value()),
                }
            }
            Event::End(_) => {
                let frame = stack
                    .pop()
                    .ok_or_else(|| Error::decode("xml", "an end tag without a start tag"))?;
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
                match stack.last_mut() {
                    Some(frame) => frame.text.push_str(&text),
                    None => return Err(Error::decode("xml", "CDATA outside the root element")),
                }
            }
            Event::GeneralRef(reference) => {
                let Some(frame) = stack.last_mut() else {
                    return Err(Error::decode("xml", "a reference outside the root element"));
                };
                if let Some(c) = resolve_ref(&reference)? {
                    frame.text.push(c);
                }
            }
            Event::DocType(_) => {
                // Never read, never skipped: a message with a DTD is not WeChat's.
                return Err(Error::decode("xml", DOCTYPE_REFUSED));
            }
            Event::Eof => break,
            Event::Decl(_) | Event::Comment(_) | Event::PI(_) => {}
        }
    }
    if let Some(open) = stack.last() {
        return Err(Error::decode(
            "xml",
            format!("premature end of data in tag <{}>", open.name),
        ));
    }
    match root {
        Some(Value::Object(map)) => Ok(map),
        // A root without children (`<xml/>`, `<xml>text</xml>`) has no fields.
        Some(_) => Ok(Map::new()),
        None => Err(Error::decode("xml", "no root element")),
    }
}

#[cfg(test)]
mod tests;
