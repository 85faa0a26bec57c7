//! Property tests of the outbound rule over arbitrary templates, segments and values (bounded:
//! a few hundred cases each): whatever is accepted goes to the base's scheme, host and port,
//! under the base path, with no fragment, and what is signed is byte for byte what is sent.

use base64::Engine;
use proptest::prelude::*;
use serde_json::{json, Map, Value};
use wechatpay::crypto::PrivateKey;
use wechatpay::http::Method;
use wechatpay::{Client, PreparedRequest};

const KEY: &str = include_str!("fixtures/client/merchant_key.pem");
const WECHATPAY_PUB: &str = include_str!("fixtures/client/wechatpay_pub.pem");
const BASE: &str = "https://api.mch.weixin.qq.com:8443/hk/";

fn client() -> Client {
    Client::builder()
        .mchid("1900000001")
        .serial("1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C")
        .private_key(KEY)
        .public_key("PUB_KEY_ID_0119000000012024000000000000", WECHATPAY_PUB)
        .apiv2_secret("192006250b4c09247ec02edce69f6a2d")
        .base_uri(BASE)
        .build()
        .unwrap()
}

/// Pieces that have broken URL building somewhere: hosts, schemes, dots, delimiters, controls.
fn hostile() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("v3".to_string()),
        Just("v2".to_string()),
        Just("/".to_string()),
        Just("//".to_string()),
        Just("..".to_string()),
        Just(".".to_string()),
        Just("%2e%2E".to_string()),
        Just("?".to_string()),
        Just("#".to_string()),
        Just(":".to_string()),
        Just("@".to_string()),
        Just("\\".to_string()),
        Just(" ".to_string()),
        Just("\n".to_string()),
        Just("\t".to_string()),
        Just("\u{0}".to_string()),
        Just("https://evil.example".to_string()),
        Just("http://127.0.0.1".to_string()),
        Just("//evil.example".to_string()),
        Just("file:///etc/passwd".to_string()),
        Just("javascript:x".to_string()),
        Just("{x}".to_string()),
        Just("{+y}".to_string()),
        Just("<x>".to_string()),
        Just("pay".to_string()),
        Just("out-trade-no".to_string()),
        Just("中文".to_string()),
        "[a-zA-Z0-9_-]{1,8}".prop_map(|s| s),
        any::<String>(),
    ]
}

fn joined(parts: Vec<String>) -> String {
    parts.concat()
}

/// Checks one accepted request against the rule.
fn holds(req: &PreparedRequest) -> Result<(), TestCaseError> {
    let base = url::Url::parse(BASE).unwrap();
    let url = req.url();
    prop_assert_eq!(url.scheme(), base.scheme());
    prop_assert_eq!(url.host_str(), base.host_str());
    prop_assert_eq!(url.port(), base.port());
    prop_assert!(
        url.path().starts_with(base.path()),
        "{} not under {}",
        url,
        base
    );
    prop_assert!(url.fragment().is_none(), "{}", url);
    // What reqwest puts on the wire is the serialised URL: re-parsing it changes nothing.
    let reparsed = url::Url::parse(url.as_str()).unwrap();
    prop_assert_eq!(&reparsed, url);
    if let Some(auth) = req.headers().get("authorization") {
        let auth = auth.to_str().unwrap();
        let field = |k: &str| {
            let start = auth.find(&format!("{k}=\"")).unwrap() + k.len() + 2;
            auth[start..start + auth[start..].find('"').unwrap()].to_string()
        };
        let target = &url[url::Position::BeforePath..];
        let message = wechatpay::v3::canonical_request(
            req.method().as_str(),
            target,
            field("timestamp").parse().unwrap(),
            &field("nonce_str"),
            req.body(),
        );
        let signature = base64::engine::general_purpose::STANDARD
            .decode(field("signature"))
            .unwrap();
        let public = PrivateKey::from_pem(KEY).unwrap().public_key();
        prop_assert!(
            public.verify(&message, &signature).is_ok(),
            "the signature does not cover what is sent: {}",
            target
        );
    }
    Ok(())
}

/// Values for the placeholders `template` has (an unknown key would be refused, which would
/// make the property vacuous).
fn args_for(template: &str, x: String, y: String, query: Option<String>) -> Value {
    let mut map = Map::new();
    if template.contains("{x}") || template.contains("<x>") {
        map.insert("x".into(), Value::String(x));
    }
    if template.contains("{+y}") {
        map.insert("y".into(), Value::String(y));
    }
    if let Some(q) = query {
        map.insert("query".into(), json!({ "q": q }));
    }
    Value::Object(map)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn templates_and_values_never_leave_the_base(
        template in prop::collection::vec(hostile(), 1..8).prop_map(joined),
        x in hostile(),
        y in prop::collection::vec(hostile(), 1..4).prop_map(joined),
        query in prop::option::of(hostile()),
    ) {
        let client = client();
        for method in [Method::GET, Method::POST] {
            if let Ok(req) = client.chain(&template).prepare(method, args_for(&template, x.clone(), y.clone(), query.clone())) {
                holds(&req)?;
            }
        }
        // Any value fits an `{x}` placeholder of a good template (encoded), except the ones that
        // cannot be a segment at all: so the property above is checked on accepted requests too.
        let fixed = client
            .chain("v3/pay/{x}/close")
            .prepare(Method::POST, args_for("{x}", x.clone(), y.clone(), query.clone()));
        let unusable = x.is_empty() || x == "." || x == "..";
        match fixed {
            Ok(req) => holds(&req)?,
            Err(e) => prop_assert!(unusable, "{:?} refused: {}", x, e),
        }
    }

    #[test]
    fn segments_never_leave_the_base(
        segments in prop::collection::vec(hostile(), 1..6),
        x in hostile(),
    ) {
        let client = client();
        let chain = segments.iter().fold(client.v3(), |c, s| c.seg(s));
        if let Ok(req) = chain.prepare(Method::GET, args_for(chain.template(), x.clone(), x, None)) {
            holds(&req)?;
        }
        // Every accepted segment is a path word or a placeholder.
        let all_words = segments.iter().all(|s| {
            let inner = s.strip_prefix('{').and_then(|s| s.strip_suffix('}')).unwrap_or(s);
            !inner.is_empty() && inner.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        });
        let chain = segments.iter().fold(client.v3(), |c, s| c.seg(s));
        let refused_for_a_segment = matches!(
            chain.prepare(Method::GET, args_for(chain.template(), "1".into(), "1".into(), None)),
            Err(wechatpay::Error::Template { ref reason, .. }) if reason.starts_with("segment")
        );
        prop_assert_eq!(refused_for_a_segment, !all_words, "{:?}", segments);
    }

    #[test]
    fn absolute_values_reach_only_the_base_host(
        host in prop_oneof![Just("api.mch.weixin.qq.com:8443"), Just("evil.example"), Just("api.mch.weixin.qq.com.evil.example"), Just("127.0.0.1"), Just("[::1]")],
        scheme in prop_oneof![Just("https"), Just("http"), Just("HTTPS"), Just("file"), Just("ftp")],
        rest in prop::collection::vec(hostile(), 0..4).prop_map(joined),
    ) {
        let client = client();
        let u = format!("{scheme}://{host}/hk/v3/{rest}");
        if let Ok(req) = client.chain("{+y}").prepare(Method::GET, json!({ "y": u })) {
            holds(&req)?;
        }
    }
}
