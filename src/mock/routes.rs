//! Path templates the emulator knows: the documented calls (`routes.tsv`) and scripted ones.

use serde_json::{Map, Value};

/// What a documented call answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Json,
    Empty,
    Xml,
    Other,
}

/// A method and a path template, matched segment by segment.
#[derive(Debug, Clone)]
pub(crate) struct Pattern {
    method: String,
    segments: Vec<String>,
}

impl Pattern {
    /// `template` as the client writes it; a leading `v2/` is dropped, as the client does.
    pub(crate) fn new(method: &str, template: &str) -> Pattern {
        let template = template.trim_start_matches('/');
        let template = match template.get(..3) {
            Some(p) if p.eq_ignore_ascii_case("v2/") => &template[3..],
            _ => template,
        };
        Pattern {
            method: method.to_ascii_uppercase(),
            segments: template.split('/').map(str::to_string).collect(),
        }
    }

    /// The placeholder values if `path` (as received, with its leading `/`) matches.
    pub(crate) fn matches(&self, method: &str, path: &str) -> Option<Map<String, Value>> {
        if !self.method.eq_ignore_ascii_case(method) {
            return None;
        }
        let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        if parts.len() != self.segments.len() {
            return None;
        }
        let mut vars = Map::new();
        for (want, got) in self.segments.iter().zip(parts) {
            let name = want
                .strip_prefix('{')
                .and_then(|w| w.strip_suffix('}'))
                .or_else(|| want.strip_prefix('<').and_then(|w| w.strip_suffix('>')));
            match name {
                Some(name) if !got.is_empty() => {
                    let value = percent_encoding::percent_decode_str(got).decode_utf8_lossy();
                    vars.insert(
                        name.trim_start_matches('+').to_string(),
                        Value::String(value.into_owned()),
                    );
                }
                Some(_) => return None,
                None if want == got => {}
                None => return None,
            }
        }
        Some(vars)
    }
}

/// A documented call.
pub(crate) struct Route {
    pub pattern: Pattern,
    pub kind: Kind,
    pub security: bool,
}

/// The documented calls, from the conformance examples.
pub(crate) fn documented() -> Vec<Route> {
    include_str!("routes.tsv")
        .lines()
        .filter_map(|line| {
            let mut cols = line.split('\t');
            let (method, template, kind, security) =
                (cols.next()?, cols.next()?, cols.next()?, cols.next()?);
            let kind = match kind {
                "json" => Kind::Json,
                "empty(204)" => Kind::Empty,
                "xml" => Kind::Xml,
                _ => Kind::Other,
            };
            Some(Route {
                pattern: Pattern::new(method, template),
                kind,
                security: security == "1",
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_match_paths() {
        let p = Pattern::new("post", "v3/payscore/serviceorder/{out_order_no}/cancel");
        let vars = p
            .matches("POST", "/v3/payscore/serviceorder/A%20B/cancel")
            .unwrap();
        assert_eq!(vars["out_order_no"], "A B");
        assert!(p
            .matches("GET", "/v3/payscore/serviceorder/x/cancel")
            .is_none());
        assert!(p
            .matches("POST", "/v3/payscore/serviceorder//cancel")
            .is_none());
        assert!(Pattern::new("POST", "v2/wxv/cancelbill")
            .matches("POST", "/wxv/cancelbill")
            .is_some());
        assert!(documented().len() >= 400);
    }
}
