//! Never send what should not be sent: every class of bad outbound input, refused before signing,
//! with the exact error, and the emulator's journal proving that nothing reached it.
//!
//! Classes: host, scheme, segment, template, fragment, header, number. The configuration, KDF,
//! APIv2-key and pay-sign classes are in `tests/outbound_config.rs`; the property tests over
//! arbitrary input in `tests/outbound_props.rs`.
#![cfg(feature = "mock")]

use serde_json::{json, Value};
use wechatpay::mock::Server;
use wechatpay::{Chain, Client, Error};

/// How a case is expected to fail: the variant, the field it names, and words of the reason.
#[derive(Debug, Clone, Copy)]
enum Want {
    Template(&'static str),
    Argument(&'static str, &'static str),
}

fn check(class: &str, case: &str, got: wechatpay::Result<wechatpay::Response>, want: Want) {
    let err = match got {
        Err(e) => e,
        Ok(res) => panic!("[{class}] {case}: sent and answered {}", res.status()),
    };
    assert!(err.is_refused_before_sending(), "[{class}] {case}: {err:?}");
    let text = err.to_string();
    match (want, &err) {
        (Want::Template(words), Error::Template { reason, .. }) => {
            assert!(reason.contains(words), "[{class}] {case}: {text}")
        }
        (Want::Argument(name, words), Error::Argument { name: got, reason }) => {
            assert_eq!(got, name, "[{class}] {case}: {text}");
            assert!(reason.contains(words), "[{class}] {case}: {text}");
        }
        _ => panic!("[{class}] {case}: expected {want:?}, got {err:?}"),
    }
}

async fn start() -> (Server, Client) {
    let server = Server::start().await.expect("the emulator starts");
    let client = server.client_builder().build().expect("the client builds");
    (server, client)
}

/// One call through the chain; `chain` builds the path from the client.
async fn call(
    client: &Client,
    chain: impl Fn(&Client) -> Chain,
    args: Value,
) -> wechatpay::Result<wechatpay::Response> {
    chain(client).get(args).await
}

#[tokio::test]
async fn every_bad_outbound_input_is_refused_and_nothing_is_sent() {
    let (server, client) = start().await;
    type Build = Box<dyn Fn(&Client) -> Chain>;
    let t = |s: &'static str| -> Build { Box::new(move |c: &Client| c.chain(s)) };
    let segs = |s: &'static [&'static str]| -> Build {
        Box::new(move |c: &Client| s.iter().fold(c.v3(), |ch, x| ch.seg(x)))
    };
    let id_path = "v3/pay/transactions/id/{transaction_id}";
    let cases: Vec<(&str, &str, Build, Value, Want)> = vec![
        // host: the path can never name another host
        (
            "host",
            "absolute template",
            t("https://evil.example/v3/pay"),
            json!({}),
            Want::Template("not a URL"),
        ),
        (
            "host",
            "authority template",
            t("//evil.example/v3/pay"),
            json!({}),
            Want::Template("another host"),
        ),
        (
            "host",
            "{+x} to a foreign host",
            t("{+download_url}"),
            json!({"download_url": "https://evil.example/v3/billdownload/file"}),
            Want::Argument("path", "not under the client's base URI host"),
        ),
        (
            "host",
            "{+x} starting with //",
            t("{+u}"),
            json!({"u": "//evil.example/v3/x"}),
            Want::Argument("path", "another host"),
        ),
        (
            "host",
            "{+x} with user info",
            t("{+u}"),
            json!({"u": format!("{}v3/x", server.url()).replace("https://", "https://user:pw@")}),
            Want::Argument("path", "user info"),
        ),
        // scheme: https only, http only on loopback
        (
            "scheme",
            "{+x} file:",
            t("{+download_url}"),
            json!({"download_url": "file:///etc/passwd"}),
            Want::Argument("path", "`file:`"),
        ),
        (
            "scheme",
            "{+x} javascript:",
            t("{+download_url}"),
            json!({"download_url": "javascript:alert(1)"}),
            Want::Argument("path", "`javascript:`"),
        ),
        (
            "scheme",
            "{+x} http to a public host",
            t("{+download_url}"),
            json!({"download_url": "http://api.mch.weixin.qq.com/v3/billdownload/file"}),
            Want::Argument("path", "clear text"),
        ),
        (
            "scheme",
            "per-call base_uri over http",
            t("v3/pay/x"),
            json!({"base_uri": "http://api.mch.weixin.qq.com/"}),
            Want::Argument("base_uri", "clear text"),
        ),
        (
            "scheme",
            "per-call base_uri with a query",
            t("v3/pay/x"),
            json!({"base_uri": "https://api.mch.weixin.qq.com/?x=1"}),
            Want::Argument("base_uri", "query or fragment"),
        ),
        (
            "host",
            "per-call base_uri to an unknown host",
            t("v3/pay/x"),
            json!({"base_uri": "https://evil.example/"}),
            Want::Argument("base_uri", "not the client's base or failover host"),
        ),
        (
            "host",
            "absolute {+x} without //",
            t("{+u}"),
            json!({"u": "https:evil.example/v3/x"}),
            Want::Argument("path", "scheme://host/path"),
        ),
        (
            "host",
            "absolute {+x} after v2/",
            t("v2/{+u}"),
            json!({"u": "https://api.mch.weixin.qq.com/pay/micropay"}),
            Want::Argument("path", "after `v2/`"),
        ),
        (
            "template",
            "{+x} value with an empty segment",
            t("v3/{+p}"),
            json!({"p": "a//b"}),
            Want::Argument("path", "empty path segment"),
        ),
        // segment: seg() and chain! take path words only
        (
            "segment",
            "..",
            segs(&[".."]),
            json!({}),
            Want::Template("not a path word"),
        ),
        (
            "segment",
            "%2e%2e",
            segs(&["%2e%2e"]),
            json!({}),
            Want::Template("not a path word"),
        ),
        (
            "segment",
            "?x=1",
            segs(&["pay", "?x=1"]),
            json!({}),
            Want::Template("not a path word"),
        ),
        (
            "segment",
            "a/b",
            segs(&["pay/transactions"]),
            json!({}),
            Want::Template("not a path word"),
        ),
        (
            "segment",
            "empty",
            segs(&["pay", ""]),
            json!({}),
            Want::Template("not a path word"),
        ),
        (
            "segment",
            "space",
            segs(&["pay transactions"]),
            json!({}),
            Want::Template("not a path word"),
        ),
        (
            "segment",
            "{+x} form",
            segs(&["{+download_url}"]),
            json!({}),
            Want::Template("not a path word"),
        ),
        // template: a path under the base, sent as written
        (
            "template",
            "dot-dot climbs to APIv2",
            t("v3/../v2/pay/micropay"),
            json!({}),
            Want::Template("`..`"),
        ),
        (
            "template",
            "dot segment",
            t("v3/./pay"),
            json!({}),
            Want::Template("`.`"),
        ),
        (
            "template",
            "query in the template",
            t("v3/pay/transactions?mchid=1"),
            json!({}),
            Want::Template("`?` would start a query"),
        ),
        (
            "template",
            "percent-encoded dots",
            t("v3/%2e%2e/v2/pay"),
            json!({}),
            Want::Template("percent-encoded"),
        ),
        (
            "template",
            "backslash",
            t("v3\\..\\v2"),
            json!({}),
            Want::Template("not a path character"),
        ),
        (
            "template",
            "whitespace",
            t("v3/pay /x"),
            json!({}),
            Want::Template("whitespace"),
        ),
        (
            "template",
            "newline",
            t("v3/pay\nHost: evil"),
            json!({}),
            Want::Template("control"),
        ),
        (
            "template",
            "empty segment",
            t("v3//pay"),
            json!({}),
            Want::Template("empty path segment"),
        ),
        (
            "template",
            "doubled trailing slash",
            t("v3/pay//"),
            json!({}),
            Want::Template("empty path segment"),
        ),
        (
            "template",
            "empty template",
            t(""),
            json!({}),
            Want::Template("empty"),
        ),
        (
            "template",
            "{+x} value climbing",
            t("v3/{+p}"),
            json!({"p": "a/../../v2/pay"}),
            Want::Argument("p", "`.`/`..`"),
        ),
        (
            "template",
            "{+x} value %2e%2e",
            t("v3/{+p}"),
            json!({"p": "a/%2E%2e/b"}),
            Want::Argument("p", "`.`/`..`"),
        ),
        (
            "template",
            "{x} value ..",
            t("v3/a/{x}/b"),
            json!({"x": ".."}),
            Want::Argument("x", "`.`/`..`"),
        ),
        // fragment: signed but never sent, so refused
        (
            "fragment",
            "# in the template",
            t("v3/pay/a#b"),
            json!({}),
            Want::Template("`#` would start a fragment"),
        ),
        (
            "fragment",
            "# in a {+x} value",
            t("v3/{+p}"),
            json!({"p": "a#b"}),
            Want::Argument("p", "`#` would start a fragment"),
        ),
        (
            "fragment",
            "# in an absolute {+x} value",
            t("{+u}"),
            json!({"u": format!("{}v3/billdownload/file#x", server.url())}),
            Want::Argument("u", "`#`"),
        ),
        // number: only exact integers; anything else is asked for as a string
        (
            "number",
            "id beyond 64 bits",
            t(id_path),
            json!({"transaction_id": 4200000000000000000000000000.0_f64}),
            Want::Argument("transaction_id", "not an exact integer"),
        ),
        (
            "number",
            "2^64",
            t(id_path),
            serde_json::from_str(r#"{"transaction_id": 18446744073709551616}"#).unwrap(),
            Want::Argument("transaction_id", "not an exact integer"),
        ),
        (
            "number",
            "a fraction",
            t(id_path),
            json!({"transaction_id": 1.5}),
            Want::Argument("transaction_id", "not an exact integer"),
        ),
        (
            "number",
            "query float",
            t("v3/pay/x"),
            json!({"query": {"limit": 1e20}}),
            Want::Argument("query.limit", "not an exact integer"),
        ),
        (
            "number",
            "header float",
            t("v3/pay/x"),
            json!({"headers": {"X-Seq": 0.1}}),
            Want::Argument("headers.X-Seq", "not an exact integer"),
        ),
        (
            "number",
            "APIv2 field float",
            t("v2/pay/orderquery"),
            json!({"query": {"mch_id": "1900000001", "total_fee": 0.01}}),
            Want::Argument("xml.total_fee", "not an exact integer"),
        ),
    ];
    let headers: [(&str, &str, &str); 12] = [
        ("Host", "evil.example", "frames or routes"),
        ("Content-Length", "0", "frames or routes"),
        ("content-length", "9999", "frames or routes"),
        ("Transfer-Encoding", "chunked", "frames or routes"),
        ("Connection", "close", "frames or routes"),
        ("Upgrade", "h2c", "frames or routes"),
        ("TE", "trailers", "frames or routes"),
        ("Trailer", "X", "frames or routes"),
        ("Keep-Alive", "timeout=5", "frames or routes"),
        ("Proxy-Authorization", "Basic eA==", "proxy"),
        ("Proxy-Connection", "close", "proxy"),
        (
            "Authorization",
            "WECHATPAY2-SHA256-RSA2048 x",
            "signs every request",
        ),
    ];
    let mut count = 0;
    for (class, case, chain, args, want) in &cases {
        check(class, case, call(&client, chain, args.clone()).await, *want);
        count += 1;
    }
    for (name, value, words) in headers {
        let args = json!({"json": {"a": 1}, "headers": {name: value}});
        let got = client.chain("v3/pay/transactions/native").post(args).await;
        let field: &'static str = Box::leak(format!("headers.{name}").into_boxed_str());
        check("header", name, got, Want::Argument(field, words));
        count += 1;
    }
    assert!(count >= 45, "{count} cases");
    assert!(
        server.journal().is_empty(),
        "the emulator saw a request: {:?}",
        server.journal()
    );
    // The control: the same client and emulator do exchange a good call, so an empty journal
    // above means nothing was sent, not that nothing could be.
    client
        .chain("v3/pay/transactions/id/{transaction_id}")
        .get(json!({"transaction_id": 4200000000000000000_u64, "query": {"mchid": "1900000001"}}))
        .await
        .map(|_| ())
        .or_else(|e| match e {
            Error::Api { .. } => Ok(()),
            other => Err(other),
        })
        .unwrap();
    let seen = server.journal();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].path, "/v3/pay/transactions/id/4200000000000000000");
}

#[test]
fn configuration_of_hosts_and_schemes() {
    let b = || Client::builder().mchid("1900000001");
    let cases: [(&str, wechatpay::Result<Client>, &str, &str); 6] = [
        (
            "http base",
            b().base_uri("http://api.mch.weixin.qq.com/").build(),
            "base_uri",
            "clear text",
        ),
        (
            "ftp base",
            b().base_uri("ftp://api.mch.weixin.qq.com/").build(),
            "base_uri",
            "not https",
        ),
        (
            "user info",
            b().base_uri("https://u:secret@api.mch.weixin.qq.com/")
                .build(),
            "base_uri",
            "user info",
        ),
        (
            "http failover",
            b().failover_base_uri("http://api2.mch.weixin.qq.com/")
                .build(),
            "failover_base_uri",
            "clear text",
        ),
        (
            "allow_host with a scheme",
            b().allow_host("https://x.example").build(),
            "allow_host",
            "bare host",
        ),
        (
            "allow_host with a port",
            b().allow_host("x.example:8443").build(),
            "allow_host",
            "bare host",
        ),
    ];
    for (case, got, field, words) in cases {
        match got {
            Err(Error::Config { field: f, reason }) => {
                assert_eq!(f, field, "{case}: {reason}");
                assert!(reason.contains(words), "{case}: {reason}");
                assert!(
                    !reason.contains("secret"),
                    "{case}: user info echoed: {reason}"
                );
            }
            other => panic!("{case}: {other:?}"),
        }
    }
    // http on loopback is what the emulator and tests use
    for ok in [
        "http://127.0.0.1:8080/",
        "http://127.8.9.10/",
        "http://[::1]:1/",
        "http://localhost/",
    ] {
        b().base_uri(ok)
            .build()
            .unwrap_or_else(|e| panic!("{ok}: {e}"));
    }
}

#[test]
fn wechat_pays_trailing_slash_endpoints_are_reachable() {
    let client = Client::builder()
        .mchid("1900000001")
        .serial("1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C")
        .private_key(include_str!("fixtures/client/merchant_key.pem"))
        .public_key(
            "PUB_KEY_ID_0119000000012024000000000000",
            include_str!("fixtures/client/wechatpay_pub.pem"),
        )
        .build()
        .unwrap();
    for template in ["v3/applyment4sub/applyment/", "v3/ecommerce/applyments/"] {
        let req = client
            .chain(template)
            .prepare(wechatpay::http::Method::POST, json!({"json": {}}))
            .unwrap();
        assert_eq!(req.url().path(), format!("/{template}"));
    }
}

#[test]
fn base_uris_are_normalised_never_truncated() {
    let client = Client::builder()
        .mchid("1900000001")
        .base_uri("https://apihk.mch.weixin.qq.com/hk")
        .build()
        .unwrap();
    let v2 = Client::builder()
        .mchid("1900000001")
        .apiv2_secret("192006250b4c09247ec02edce69f6a2d")
        .base_uri("https://apihk.mch.weixin.qq.com/hk")
        .build()
        .unwrap();
    let req = v2
        .chain("v2/pay/orderquery")
        .prepare(
            wechatpay::http::Method::POST,
            json!({"xml": {"mch_id": "1900000001"}}),
        )
        .unwrap();
    assert_eq!(
        req.url().as_str(),
        "https://apihk.mch.weixin.qq.com/hk/pay/orderquery"
    );
    // A leading slash stays under the base path too.
    let e = client
        .chain("/v3/x")
        .prepare(wechatpay::http::Method::GET, json!({}));
    assert!(
        matches!(e, Err(Error::NotConfigured(_))),
        "only the missing key stops it: {e:?}"
    );
}

#[test]
fn allowed_hosts_and_per_call_bases_are_reachable() {
    let client = Client::builder()
        .mchid("1900000001")
        .apiv2_secret("192006250b4c09247ec02edce69f6a2d")
        .allow_host("files.example")
        .build()
        .unwrap();
    let m = wechatpay::http::Method::GET;
    let ok = client
        .chain("v2/{+p}")
        .prepare(
            m.clone(),
            json!({"p": "pay/downloadbill", "query": {"mch_id": "1900000001"}}),
        )
        .unwrap();
    assert_eq!(ok.url().host_str(), Some("api.mch.weixin.qq.com"));
    let ok = client
        .chain("v2/pay/downloadbill")
        .prepare(m.clone(), json!({"base_uri": "https://api2.mch.weixin.qq.com/", "query": {"mch_id": "1900000001"}}))
        .unwrap();
    assert_eq!(ok.url().host_str(), Some("api2.mch.weixin.qq.com"));
    // An absolute {+x} value to an allowed host passes the host rule (only the missing APIv3
    // key stops this client); to any other host it is refused first.
    let to = |u: &str| client.chain("{+u}").prepare(m.clone(), json!({"u": u}));
    assert!(matches!(
        to("https://files.example/v3/x"),
        Err(Error::NotConfigured(_))
    ));
    assert!(matches!(
        to("https://api.mch.weixin.qq.com/v3/x"),
        Err(Error::NotConfigured(_))
    ));
    assert!(
        matches!(to("https://evil.example/v3/x"), Err(Error::Argument { name, .. }) if name == "path")
    );
}

#[test]
fn debug_prints_of_a_request_show_no_path_value_body_or_signature() {
    let client = Client::builder()
        .mchid("1900000001")
        .serial("1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C")
        .private_key(include_str!("fixtures/client/merchant_key.pem"))
        .public_key(
            "PUB_KEY_ID_0119000000012024000000000000",
            include_str!("fixtures/client/wechatpay_pub.pem"),
        )
        .build()
        .unwrap();
    let req = client
        .chain("v3/users/{openid}/x")
        .prepare(
            wechatpay::http::Method::POST,
            json!({"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o", "json": {"name": "PERSONAL-NAME"}}),
        )
        .unwrap();
    let shown = format!("{req:?}");
    for secret in ["oUpF8uMu", "PERSONAL-NAME", "signature=", "WECHATPAY2"] {
        assert!(!shown.contains(secret), "{secret} in {shown}");
    }
    assert!(shown.contains("api.mch.weixin.qq.com"), "{shown}");
}
