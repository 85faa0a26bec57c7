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
    /// Fields a JSON answer carries besides the echoed ones (e.g. a `prepay_id`).
    pub fields: Map<String, Value>,
}

/// The core payment calls, which the documented examples (`routes.tsv`, generated from
/// `endpoints.jsonl`) do not all cover, with the field their answer is read for.
const CORE: &str = "\
POST\tv3/pay/transactions/jsapi\tjson\t0\t{\"prepay_id\":\"wx201410272009395522657a690389285100\"}
POST\tv3/pay/transactions/app\tjson\t0\t{\"prepay_id\":\"wx201410272009395522657a690389285100\"}
POST\tv3/pay/transactions/h5\tjson\t0\t{\"h5_url\":\"https://wx.tenpay.com/cgi-bin/mmpayweb-bin/checkmweb?prepay_id=wx2016121516420242444321ca0631331346\"}
POST\tv3/pay/transactions/native\tjson\t0\t{\"code_url\":\"weixin://wxpay/bizpayurl?pr=p4lpSuKzz\"}
POST\tv3/pay/partner/transactions/h5\tjson\t0\t{\"h5_url\":\"https://wx.tenpay.com/cgi-bin/mmpayweb-bin/checkmweb?prepay_id=wx2016121516420242444321ca0631331346\"}
POST\tv3/pay/partner/transactions/native\tjson\t0\t{\"code_url\":\"weixin://wxpay/bizpayurl?pr=p4lpSuKzz\"}
GET\tv3/pay/transactions/id/{transaction_id}\tjson\t0\t{\"trade_state\":\"SUCCESS\"}
GET\tv3/pay/transactions/out-trade-no/{out_trade_no}\tjson\t0\t{\"trade_state\":\"SUCCESS\"}
GET\tv3/pay/partner/transactions/id/{transaction_id}\tjson\t0\t{\"trade_state\":\"SUCCESS\"}
GET\tv3/pay/partner/transactions/out-trade-no/{out_trade_no}\tjson\t0\t{\"trade_state\":\"SUCCESS\"}
POST\tv3/pay/partner/transactions/out-trade-no/{out_trade_no}/close\tempty(204)\t0\t{}
POST\tv3/refund/domestic/refunds\tjson\t0\t{\"status\":\"PROCESSING\"}
";

/// The calls the emulator answers by default: the documented examples, then the core calls.
pub(crate) fn documented() -> Vec<Route> {
    include_str!("routes.tsv")
        .lines()
        .chain(CORE.lines())
        .filter_map(|line| {
            let mut cols = line.split('\t');
            let (method, template, kind, security) =
                (cols.next()?, cols.next()?, cols.next()?, cols.next()?);
            let fields = match cols.next().map(serde_json::from_str::<Value>) {
                Some(Ok(Value::Object(map))) => map,
                _ => Map::new(),
            };
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
                fields,
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
        let routes = documented();
        assert_eq!(routes.len(), 402 + CORE.lines().count());
        let native = routes
            .iter()
            .find(|r| {
                r.pattern
                    .matches("POST", "/v3/pay/transactions/native")
                    .is_some()
            })
            .unwrap();
        assert_eq!(
            native.fields["code_url"],
            "weixin://wxpay/bizpayurl?pr=p4lpSuKzz"
        );
        assert_eq!(routes.iter().filter(|r| r.security).count(), 21);
    }
}
