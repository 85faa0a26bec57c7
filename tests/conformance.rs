//! Every documented call example of `tests/fixtures/endpoints.jsonl`, in the segment, template and
//! indexed forms, must build the request the reference expects, or be refused as it says.

use serde_json::{json, Map, Value};
use wechatpay::{http::Method, Client, Error, Protocol};

const MERCHANT_KEY: &str = include_str!("fixtures/client/merchant_key.pem");
const WECHATPAY_PUB: &str = include_str!("fixtures/client/wechatpay_pub.pem");
const SECRET: &str = "192006250b4c09247ec02edce69f6a2d";

fn client(mchid: &str) -> Client {
    Client::builder()
        .mchid(mchid)
        .serial("1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C")
        .private_key(MERCHANT_KEY)
        .public_key("PUB_KEY_ID_0119000000012024000000000000", WECHATPAY_PUB)
        .apiv2_secret(SECRET)
        .build()
        .expect("client builds")
}

fn lines() -> Vec<Value> {
    include_str!("fixtures/endpoints.jsonl")
        .lines()
        .map(|l| serde_json::from_str(l).expect("valid JSON line"))
        .collect()
}

/// The mchid an APIv2 line carries, so the client matches it.
fn v2_mchid(args: &Value) -> Option<String> {
    for part in ["xml", "query"] {
        for key in ["mch_id", "mchid", "combine_mch_id"] {
            if let Some(v) = args[part][key].as_str().filter(|v| !v.is_empty()) {
                return Some(v.to_string());
            }
        }
    }
    None
}

fn split_url(url: &str) -> (&str, Option<&str>) {
    match url.split_once('?') {
        Some((a, q)) => (a, Some(q)),
        None => (url, None),
    }
}

/// Query pairs other than the ones the APIv2 client adds.
fn v2_query_pairs(query: &str) -> Vec<&str> {
    query
        .split('&')
        .filter(|p| !p.starts_with("nonce_str=") && !p.starts_with("sign="))
        .collect()
}

#[derive(Default)]
struct Tally {
    requests: usize,
    refusals: usize,
    skipped: usize,
}

#[test]
fn every_documented_call_builds_the_expected_request() {
    let lines = lines();
    assert_eq!(lines.len(), 402);
    let default_client = client("1900000001");
    let mut tally = Tally::default();
    for line in &lines {
        let expect = &line["expect"];
        if expect.get("skip").is_some() {
            tally.skipped += 1;
            continue;
        }
        let page = line["page"].as_str().unwrap();
        let v2 = line["protocol"] == "v2";
        let owned;
        let client = match v2_mchid(&line["args"]) {
            Some(m) if v2 => {
                owned = client(&m);
                &owned
            }
            _ => &default_client,
        };
        let method =
            Method::from_bytes(line["method"].as_str().unwrap().to_uppercase().as_bytes()).unwrap();
        let template = line["template"].as_str().unwrap();
        let segments: Vec<&str> = line["chain"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap())
            .collect();

        let by_segments = segments.iter().fold(client.root(), |c, s| c.seg(s));
        assert_eq!(by_segments.template(), template, "{page}: segment form");
        let forms = [
            (
                "segments",
                by_segments.prepare(method.clone(), line["args"].clone()),
            ),
            (
                "template",
                client
                    .chain(template)
                    .prepare(method.clone(), line["args"].clone()),
            ),
            (
                "indexed",
                client[template].prepare(method.clone(), line["args"].clone()),
            ),
        ];
        for (form, result) in forms {
            let ctx = format!("{page} ({form} form)");
            if let Some(kind) = expect.get("error").and_then(|e| e.as_str()) {
                let name = expect["placeholder"].as_str().unwrap();
                match (kind, result) {
                    ("missing_placeholder", Err(Error::MissingPlaceholder { name: n })) => {
                        assert_eq!(n, name, "{ctx}")
                    }
                    ("empty_placeholder", Err(Error::EmptyPlaceholder { name: n })) => {
                        assert_eq!(n, name, "{ctx}")
                    }
                    ("mchid_mismatch", Err(Error::MchidMismatch { field, .. })) => {
                        assert_eq!(field, name, "{ctx}")
                    }
                    (kind, other) => panic!("{ctx}: expected {kind} refusal, got {other:?}"),
                }
                continue;
            }
            let req = result.unwrap_or_else(|e| panic!("{ctx}: {e}"));
            assert_eq!(
                req.method().as_str(),
                expect["method"].as_str().unwrap(),
                "{ctx}"
            );
            let want_protocol = if expect["client"] == "v2" {
                Protocol::V2
            } else {
                Protocol::V3
            };
            assert_eq!(req.protocol(), want_protocol, "{ctx}");
            let (url, query) = split_url(req.url().as_str());
            assert_eq!(url, expect["url"].as_str().unwrap(), "{ctx}");
            let want_query = expect.get("query").and_then(|q| q.as_str());
            if want_protocol == Protocol::V2 && method == Method::GET {
                let got = v2_query_pairs(query.unwrap_or(""));
                assert_eq!(got, v2_query_pairs(want_query.unwrap_or("")), "{ctx}");
            } else {
                assert_eq!(query, want_query, "{ctx}: query");
            }
            assert!(
                req.headers().contains_key("authorization") || want_protocol == Protocol::V2,
                "{ctx}"
            );
        }
        if expect.get("error").is_some() {
            tally.refusals += 1;
        } else {
            tally.requests += 1;
        }
    }
    // Every line is accounted for; none is silently passed over.
    assert_eq!(tally.requests + tally.refusals + tally.skipped, 402);
    assert!(tally.requests >= 380, "{} requests checked", tally.requests);
    eprintln!(
        "conformance: {} requests, {} refusals, {} skipped",
        tally.requests, tally.refusals, tally.skipped
    );
}

/// The v2 lines' XML bodies carry a `sign` that verifies with the secret.
#[test]
fn v2_bodies_are_signed() {
    let mut checked = 0;
    for line in lines()
        .iter()
        .filter(|l| l["protocol"] == "v2" && l["expect"].get("url").is_some())
    {
        let mchid = v2_mchid(&line["args"]).unwrap();
        let method =
            Method::from_bytes(line["method"].as_str().unwrap().to_uppercase().as_bytes()).unwrap();
        let req = client(&mchid)
            .chain(line["template"].as_str().unwrap())
            .prepare(method, line["args"].clone())
            .unwrap();
        let fields: Map<String, Value> = if req.body().is_empty() {
            let query = req.url().query().unwrap_or("");
            url::form_urlencoded::parse(query.as_bytes())
                .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
                .collect()
        } else {
            wechatpay::v2::xml::from_xml(std::str::from_utf8(req.body()).unwrap()).unwrap()
        };
        assert!(fields.get("nonce_str").is_some() || line["args"]["nonceless"] == json!(true));
        wechatpay::v2::sign::verify(&fields, SECRET)
            .unwrap_or_else(|e| panic!("{}: {e}", line["page"]));
        checked += 1;
    }
    assert!(checked >= 40, "{checked}");
}

/// Rules that must hold beyond the documented examples: any value is confined to its segment.
#[test]
fn placeholder_values_never_change_the_path() {
    let client = client("1900000001");
    let hostile = [
        "../../v2/pay/refund",
        "a/b",
        "x?y=1",
        "x#frag",
        "%2F",
        " ",
        "中文",
        "a+b&c=d",
    ];
    for value in hostile {
        let req = client
            .chain("v3/pay/transactions/out-trade-no/{out_trade_no}")
            .prepare(
                Method::GET,
                json!({ "out_trade_no": value, "query": {"mchid": "1900000001"} }),
            )
            .unwrap();
        let path = req.url().path();
        assert!(
            path.starts_with("/v3/pay/transactions/out-trade-no/"),
            "{value}: {path}"
        );
        assert_eq!(path.matches('/').count(), 5, "{value}: {path}");
        assert_eq!(req.url().query(), Some("mchid=1900000001"), "{value}");
        assert_eq!(req.protocol(), Protocol::V3);
    }
}

/// Every character a value can hold comes back intact from the one segment it was put in, and
/// only RFC 3986 unreserved characters are sent unencoded.
#[test]
fn every_character_round_trips_within_its_segment() {
    let client = client("1900000001");
    let mut values: Vec<String> = (0x20u8..0x7f).map(|b| format!("a{}b", b as char)).collect();
    values.extend(["中文", "é", "😀", "a b", "%41", "...", ".a", "%2e%2e", "~"].map(String::from));
    for value in values {
        let req = client
            .chain("v3/a/{x}/b")
            .prepare(Method::GET, json!({ "x": value }))
            .unwrap();
        let path = req.url().path();
        let segment = path
            .strip_prefix("/v3/a/")
            .and_then(|p| p.strip_suffix("/b"))
            .unwrap_or_else(|| panic!("{value:?} escaped its segment: {path}"));
        assert!(
            segment
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-._~%".contains(&b)),
            "{value:?} sent as {segment}"
        );
        let decoded = percent_encoding::percent_decode_str(segment)
            .decode_utf8()
            .unwrap();
        assert_eq!(decoded, value.as_str());
    }
    // Dot segments would climb out: refused, naming the placeholder.
    for dots in [".", ".."] {
        match client
            .chain("v3/a/{x}/b")
            .prepare(Method::GET, json!({ "x": dots }))
        {
            Err(Error::Argument { name, .. }) => assert_eq!(name, "x"),
            other => panic!("{dots}: {other:?}"),
        }
    }
}
