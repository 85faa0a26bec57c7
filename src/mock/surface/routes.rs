//! Path templates the emulator knows: the documented calls (the catalogue) and scripted ones.

use crate::catalogue::Endpoint;
use serde_json::{Map, Value};

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
            // `{empty}` is the documentation's device for a trailing slash.
            segments: template
                .split('/')
                .map(|s| if s == "{empty}" { "" } else { s }.to_string())
                .collect(),
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

/// A documented call and the pattern that matches its paths.
pub(crate) struct Route {
    pub pattern: Pattern,
    pub endpoint: &'static Endpoint,
}

/// Every documented call, most specific first: where two templates match a path, the one with a
/// literal segment earlier wins (`v3/a/literal` before `v3/a/{id}`).
pub(crate) fn documented() -> Vec<Route> {
    let mut routes: Vec<Route> = crate::catalogue::all()
        .iter()
        .map(|e| Route {
            pattern: Pattern::new(&e.method, &e.template),
            endpoint: e,
        })
        .collect();
    routes.sort_by_cached_key(|r| {
        r.pattern
            .segments
            .iter()
            .map(|s| s.starts_with('{') || s.starts_with('<'))
            .collect::<Vec<bool>>()
    });
    routes
}

/// The documented call a request goes to, with its placeholder values.
pub(crate) fn find<'a>(
    routes: &'a [Route],
    method: &str,
    path: &str,
) -> Option<(&'a Route, Map<String, Value>)> {
    let mut found = routes
        .iter()
        .filter_map(|r| r.pattern.matches(method, path).map(|vars| (r, vars)));
    let first = found.next()?;
    // Two APIv2 templates of one shape (`secapi/mch/{modifyinstitutionsub}` and
    // `secapi/mch/{queryinstitutionsub}`) stand for literal paths: the one whose placeholder
    // value is its own name wins.
    let named = |(_, vars): &(&Route, Map<String, Value>)| vars.iter().any(|(k, v)| v == k);
    if named(&first) {
        return Some(first);
    }
    Some(found.find(named).unwrap_or(first))
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
        let routes = documented();
        assert_eq!(routes.len(), 1143 + 55);
        let (r, vars) = find(&routes, "GET", "/v3/pay/transactions/id/4200000001").unwrap();
        assert_eq!(
            r.endpoint.template,
            "v3/pay/transactions/id/{transaction_id}"
        );
        assert_eq!(vars["transaction_id"], "4200000001");
        let (r, _) = find(&routes, "POST", "/v3/applyment4sub/applyment/").unwrap();
        assert_eq!(r.endpoint.template, "v3/applyment4sub/applyment/{empty}");
        assert!(find(&routes, "POST", "/v3/applyment4sub/applyment").is_none());
        assert!(find(&routes, "GET", "/v3/no/such/call").is_none());
        assert_eq!(routes.iter().filter(|r| r.endpoint.security()).count(), 57);
    }
}
