//! Reading APIv2 XML into a JSON object, within the bounds set out in the module doc.

use super::MAX_NODES;
use crate::error::{Error, Result};
use quick_xml::escape::resolve_xml_entity;
use quick_xml::events::{BytesRef, BytesStart, Event};
use quick_xml::{Reader, XmlVersion};
use serde_json::{Map, Value};
use std::borrow::Cow;

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

/// Longest name or parser message an error quotes: a hostile document can hold a name of
/// megabytes, and the error is logged.
const QUOTED: usize = 64;

/// `text` cut to [`QUOTED`] characters, `…` marking the cut.
fn quoted(text: &str) -> Cow<'_, str> {
    match text.char_indices().nth(QUOTED) {
        None => Cow::Borrowed(text),
        Some((cut, _)) => Cow::Owned(format!("{}…", &text[..cut])),
    }
}

fn name_of(start: &BytesStart<'_>) -> String {
    start.name().as_ref().to_string()
}

/// An open element: its fields go straight into a map (no list of children copied into one
/// later), so each field is held once while the document is read.
struct Frame {
    name: String,
    attributes: Map<String, Value>,
    fields: Map<String, Value>,
    text: String,
}

impl Frame {
    fn new(start: &BytesStart<'_>, nodes: &mut usize) -> Result<Frame> {
        let name = name_of(start);
        let mut attributes = Map::new();
        let mut attrs = start.attributes();
        // quick-xml checks uniqueness against every earlier attribute (quadratic); the map
        // below finds a duplicate in constant time.
        attrs.with_checks(false);
        for attr in attrs {
            let attr = attr.map_err(|e| {
                Error::decode(
                    "xml",
                    format!("in <{}>: {}", quoted(&name), quoted(&e.to_string())),
                )
            })?;
            count(nodes, &name)?;
            let key = attr.key.as_ref().to_string();
            // Same entity rule as text: only the predefined entities.
            let value = attr
                .normalized_value_with(XmlVersion::Implicit1_0, 128, resolve_xml_entity)
                .map_err(|e| {
                    Error::decode(
                        "xml",
                        format!("attribute `{}` of <{}>: {e}", quoted(&key), quoted(&name)),
                    )
                })?;
            let value = Value::String(value.into_owned());
            if let Some(_earlier) = attributes.insert(key, value) {
                return Err(Error::decode(
                    "xml",
                    format!("<{}> repeats an attribute", quoted(&name)),
                ));
            }
        }
        Ok(Frame {
            name,
            attributes,
            fields: Map::new(),
            text: String::new(),
        })
    }

    /// Adds a child: a repeated name turns its field into a list.
    fn add(&mut self, name: String, value: Value) {
        if self.fields.is_empty() {
            // Text beside child elements is not kept: free it now rather than at the end.
            self.text = String::new();
            if !self.attributes.is_empty() {
                let attributes = std::mem::take(&mut self.attributes);
                self.fields
                    .insert("@attributes".into(), Value::Object(attributes));
            }
        }
        match self.fields.get_mut(&name) {
            None => {
                self.fields.insert(name, value);
            }
            // Element values are strings or maps, never arrays: an array is a run of repeats.
            Some(Value::Array(list)) => list.push(value),
            Some(existing) => {
                let first = std::mem::take(existing);
                *existing = Value::Array(vec![first, value]);
            }
        }
    }

    fn push_text(&mut self, text: &str) {
        if self.fields.is_empty() {
            self.text.push_str(text);
        }
    }

    /// A leaf is its text; an element with children a map (the attributes of a leaf are dropped).
    fn into_value(self) -> Value {
        if self.fields.is_empty() {
            Value::String(self.text)
        } else {
            Value::Object(self.fields)
        }
    }
}

/// One more element or attribute; past [`MAX_NODES`] the document is refused.
fn count(nodes: &mut usize, name: &str) -> Result<()> {
    *nodes += 1;
    if *nodes > MAX_NODES {
        return Err(Error::decode(
            "xml",
            format!(
                "more than {MAX_NODES} elements and attributes (at <{}>): no APIv2 message has \
                 more than about a thousand",
                quoted(name)
            ),
        ));
    }
    Ok(())
}

/// Resolves `&name;` or `&#n;`; any entity but the five predefined ones is an error.
fn resolve_ref(reference: &BytesRef<'_>) -> Result<Option<char>> {
    if reference.is_char_ref() {
        let c = reference
            .resolve_char_ref()
            .map_err(|e| Error::decode("xml", quoted(&e.to_string())))?;
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
    let name: &str = reference;
    match resolve_xml_entity(name) {
        Some(s) => Ok(s.chars().next()),
        None => Err(Error::decode(
            "xml",
            format!("undeclared entity `&{};`", quoted(name)),
        )),
    }
}

/// Parses APIv2 XML into a JSON object: the root's children by name.
///
/// Characters XML 1.0 forbids are removed first. The root's name is ignored. Leaves are strings
/// (their text verbatim, CDATA merged), elements with children maps, repeated siblings lists,
/// the attributes of non-leaf elements go under `@attributes`, empty elements are `""`.
///
/// Memory and time are linear in the input, and bounded: see the [module doc](crate::v2::xml) for the
/// limits and the figures.
///
/// # Errors
/// [`Error::Decode`] (`what: "xml"`) for malformed XML, a DOCTYPE, an entity other than the
/// five predefined ones, more than [`MAX_NODES`] elements and attributes, or elements nested
/// deeper than 64 levels.
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
/// // Nor tens of thousands of fields.
/// let many = format!("<xml>{}</xml>", "<a/>".repeat(wechatpay::v2::xml::MAX_NODES + 1));
/// assert!(wechatpay::v2::xml::from_xml(&many).is_err());
/// ```
pub fn from_xml(xml: &str) -> Result<Map<String, Value>> {
    let xml = xml.strip_prefix('\u{FEFF}').unwrap_or(xml);
    let cleaned: String;
    let xml = if xml.chars().all(is_xml_char) {
        xml
    } else {
        // Sized once: collecting into a growing string would hold up to twice the input.
        let mut kept = String::with_capacity(xml.len());
        kept.extend(xml.chars().filter(|c| is_xml_char(*c)));
        cleaned = kept;
        &cleaned
    };
    let mut reader = Reader::from_str(xml);
    reader.config_mut().check_end_names = true;
    let mut stack: Vec<Frame> = Vec::new();
    let mut root: Option<Value> = None;
    let mut nodes = 0usize;
    loop {
        let event = reader.read_event().map_err(|e| {
            let e = e.to_string();
            Error::decode(
                "xml",
                format!("{} at byte {}", quoted(&e), reader.error_position()),
            )
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
                let name = name_of(&start);
                return Err(Error::decode("xml", format!("{why} (<{}>)", quoted(&name))));
            }
            Event::Start(start) => {
                count(&mut nodes, start.name().as_ref())?;
                stack.push(Frame::new(&start, &mut nodes)?);
            }
            Event::Empty(start) => {
                count(&mut nodes, start.name().as_ref())?;
                let frame = Frame::new(&start, &mut nodes)?;
                match stack.last_mut() {
                    Some(parent) => {
                        let name = frame.name.clone();
                        parent.add(name, frame.into_value());
                    }
                    None => root = Some(frame.into_value()),
                }
            }
            Event::End(_) => {
                let mut frame = stack
                    .pop()
                    .ok_or_else(|| Error::decode("xml", "an end tag without a start tag"))?;
                let name = std::mem::take(&mut frame.name);
                let value = frame.into_value();
                match stack.last_mut() {
                    Some(parent) => parent.add(name, value),
                    None => root = Some(value),
                }
            }
            Event::Text(text) => {
                // As written: no end-of-line normalisation, so a CR sent as-is is signed as-is.
                let text: &str = &text;
                match stack.last_mut() {
                    Some(frame) => frame.push_text(text),
                    None if text.trim().is_empty() => {}
                    None => return Err(Error::decode("xml", "text outside the root element")),
                }
            }
            Event::CData(data) => {
                let text: &str = &data;
                match stack.last_mut() {
                    Some(frame) => frame.push_text(text),
                    None => return Err(Error::decode("xml", "CDATA outside the root element")),
                }
            }
            Event::GeneralRef(reference) => {
                let Some(frame) = stack.last_mut() else {
                    return Err(Error::decode("xml", "a reference outside the root element"));
                };
                if let Some(c) = resolve_ref(&reference)? {
                    frame.push_text(c.encode_utf8(&mut [0; 4]));
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
            format!("premature end of data in tag <{}>", quoted(&open.name)),
        ));
    }
    match root {
        Some(Value::Object(map)) => Ok(map),
        // A root without children (`<xml/>`, `<xml>text</xml>`) has no fields.
        Some(_) => Ok(Map::new()),
        None => Err(Error::decode("xml", "no root element")),
    }
}
