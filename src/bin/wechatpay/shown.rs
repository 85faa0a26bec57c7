//! Text from a server, made safe to print: an answer (even an unverified one) must not be able to
//! drive the terminal it is shown on (move the cursor, retitle the window, rewrite what was
//! printed before, or reorder a line with bidi overrides).
//!
//! - [`text`] is for lines meant for a person (errors, status lines, headers): every control
//!   character (C0, DEL, C1) and every bidi control is shown as `\u{1b}`.
//! - [`json`] is for the JSON printed on stdout as data: the same characters become JSON
//!   `\u001b` escapes, so the output still parses to the very same value.

use std::borrow::Cow;

/// Characters that steer a terminal or the order text is displayed in.
fn steers(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
        )
}

/// `s` with each steering character written `\u{…}` (a tab too: a line stays one line).
pub(crate) fn text(s: &str) -> Cow<'_, str> {
    if !s.chars().any(steers) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        if steers(c) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Serialised JSON with each steering character inside its strings written as a JSON `\u`
/// escape (serde_json already escapes C0; this adds DEL, C1 and the bidi controls). Outside
/// strings JSON has only ASCII punctuation, digits, letters and whitespace, none of them steering
/// except the layout's own newlines and spaces, which are kept.
pub(crate) fn json(s: &str) -> Cow<'_, str> {
    let escaped = |c: char| steers(c) && !matches!(c, '\n' | '\r' | '\t');
    if !s.chars().any(escaped) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        if escaped(c) {
            // All of them are in the Basic Multilingual Plane: one `\uXXXX` each.
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// A JSON value (or map), pretty, as [`json`] prints it.
pub(crate) fn pretty(v: &impl serde::Serialize) -> String {
    let s = serde_json::to_string_pretty(v).unwrap_or_default();
    json(&s).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_are_shown_never_sent_to_the_terminal() {
        assert_eq!(text("plain 中文"), "plain 中文");
        assert_eq!(
            text("a\u{1b}[2Jb\u{9b}c\u{202e}d\u{7f}\t"),
            "a\\u{1b}[2Jb\\u{9b}c\\u{202e}d\\u{7f}\\u{9}"
        );
        let v = serde_json::json!({"m": "x\u{1b}]0;t\u{7}\u{9b}\u{2066}y"});
        let shown = pretty(&v);
        assert!(!shown.chars().any(|c| steers(c) && c != '\n'), "{shown}");
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&shown).unwrap(),
            v
        );
    }
}
