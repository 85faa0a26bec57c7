//! One check per bullet of "Behaviour that differs on purpose".

use super::{Check, Env};
use serde_json::{json, Value};
use std::io::{Read, Write};
use wechatpay::mock::Fault;
use wechatpay::{Client, Error};

#[rustfmt::skip]
pub const CHECKS: &[Check] = &[
    Check { php: "not lower-cased", rust: "", run: case_kept },
    Check { php: "Missing or empty placeholders", rust: "", run: placeholders },
    Check { php: "`{+name}` does not double-encode", rust: "", run: reserved_expansion },
    Check { php: "unknown argument key", rust: "", run: unknown_key },
    Check { php: "A `sign_type` other than", rust: "", run: sign_type },
    Check { php: "`]]>`", rust: "", run: cdata },
    Check { php: "with whitespace", rust: "", run: build_refusals },
    Check { php: "zeroised on drop and redacted", rust: "", run: redacted },
    Check { php: "only to `https` on the client's own hosts", rust: "", run: outbound },
    Check { php: "APIv2 `false` value", rust: "", run: v2_false },
    Check { php: "Error answers are verified too", rust: "", run: error_answers },
    Check { php: "Limits on every call", rust: "", run: limits },
];

fn case_kept(env: &Env) {
    // An undocumented path is a 404, but what went on the wire is what counts.
    let _ = env.run(
        env.client
            .chain("v3/Users/{openid}/Coupons")
            .get(json!({ "openid": "oUpF8uMuAJO" })),
    );
    assert_eq!(
        env.server.journal()[0].path,
        "/v3/Users/oUpF8uMuAJO/Coupons"
    );
}

fn placeholders(env: &Env) {
    let cancel = env
        .client
        .chain("v3/fund-app/mch-transfer/transfer-to-qq-wallet-bills/{out_bill_no}/cancel");
    let missing = env.run(cancel.post(json!({}))).unwrap_err();
    assert!(
        matches!(&missing, Error::MissingPlaceholder { name } if name == "out_bill_no"),
        "{missing}"
    );
    let empty = env
        .run(cancel.post(json!({ "out_bill_no": "" })))
        .unwrap_err();
    assert!(
        matches!(&empty, Error::EmptyPlaceholder { name } if name == "out_bill_no"),
        "{empty}"
    );
    assert_eq!(env.sent(), 0);
}

fn reserved_expansion(env: &Env) {
    let url = format!("{}v3/billdownload/file?token=a%2Bb%3D", env.server.url());
    let _ = env.run(
        env.client
            .chain("{+download_url}")
            .get(json!({ "download_url": url })),
    );
    assert_eq!(
        env.server.journal()[0].query.as_deref(),
        Some("token=a%2Bb%3D")
    );
}

fn unknown_key(env: &Env) {
    let cancel = env
        .client
        .chain("v3/fund-app/mch-transfer/transfer-to-qq-wallet-bills/{out_bill_no}/cancel");
    let e = env
        .run(cancel.post(json!({ "out_bill_nu": "X" })))
        .unwrap_err();
    assert!(
        matches!(&e, Error::Argument { name, reason } if name == "out_bill_nu" && reason.contains("out_bill_no")),
        "{e}"
    );
    assert_eq!(env.sent(), 0);
}

fn orderquery(env: &Env, extra: Value) -> Value {
    let mut xml = json!({ "appid": "wxd678efh567hg6787", "mch_id": env.client.mchid(),
        "transaction_id": "4200000000000000", "out_trade_no": "T1" });
    xml.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    json!({ "xml": xml })
}

fn sign_type(env: &Env) {
    let e = env
        .run(
            env.client["v2/pay/orderquery"]
                .post(orderquery(env, json!({ "sign_type": "HMAC-SHA1" }))),
        )
        .unwrap_err();
    assert!(
        matches!(&e, Error::Argument { name, .. } if name == "xml.sign_type"),
        "{e}"
    );
    assert_eq!(env.sent(), 0);
}

fn cdata(env: &Env) {
    let text = "a]]><b>c</b>";
    env.run(env.client["v2/pay/orderquery"].post(orderquery(env, json!({ "out_trade_no": text }))))
        .unwrap();
    let sent = &env.server.journal()[0];
    let parsed = wechatpay::v2::xml::from_xml(std::str::from_utf8(&sent.body).unwrap()).unwrap();
    assert_eq!(parsed["out_trade_no"], text, "the text comes back whole");
    assert!(sent.verified, "and is signed as sent");
}

fn build_refusals(env: &Env) {
    let m = env.server.merchant();
    let base = || env.server.client_builder();
    for (builder, field) in [
        (base().mchid(" 1900000001"), "mchid"),
        (base().serial(format!("{} ", m.serial)), "serial"),
        // The merchant's own serial given as a WeChat Pay key: answers it signs are not WeChat Pay's.
        // (the error names the merchant's `serial`, the setting it collides with)
        (
            base().public_key(&m.serial, env.server.public_key_pem()),
            "serial",
        ),
    ] {
        match builder.build() {
            Err(Error::Config { field: f, .. }) => assert_eq!(f, field),
            other => panic!("{field}: {other:?}"),
        }
    }
}

fn redacted(env: &Env) {
    let m = env.server.merchant();
    let shown = format!("{:?} {:?}", env.client, m);
    let key_body = m.private_key_pem.lines().nth(1).unwrap();
    for secret in [m.apiv2_secret.as_str(), m.apiv3_key.as_str(), key_body] {
        assert!(!shown.contains(secret), "a secret in Debug");
    }
}

fn outbound(env: &Env) {
    let c = &env.client;
    let refused = [
        ("https://evil.example/v3/certificates", json!({})),
        ("v3/pay/../certificates", json!({})),
        ("v3/certificates?x=1", json!({})),
        ("v3/certificates#x", json!({})),
        (
            "v3/certificates",
            json!({ "headers": { "Content-Length": "0" } }),
        ),
        ("v3/certificates", json!({ "query": { "limit": 1.5 } })),
    ];
    for (template, args) in refused {
        let e = env.run(c.chain(template).get(args.clone()));
        assert!(e.is_err(), "{template} {args} was allowed");
    }
    assert_eq!(env.sent(), 0, "each refused before signing");
}

fn v2_false(env: &Env) {
    env.run(env.client["v2/pay/orderquery"].post(orderquery(env, json!({ "sub_appid": false }))))
        .unwrap();
    let sent = &env.server.journal()[0];
    let fields = wechatpay::v2::xml::from_xml(std::str::from_utf8(&sent.body).unwrap()).unwrap();
    assert_eq!(fields["sub_appid"], "", "sent empty");
    // Verified by a server that skips empty values, so it was not signed.
    assert!(sent.verified);
}

fn error_answers(env: &Env) {
    let c = &env.client;
    let q = json!({ "transaction_id": "4200000000000000", "query": { "mchid": c.mchid() } });
    env.server.set_strict(true);
    match env.run(
        c.chain("v3/pay/transactions/id/{transaction_id}")
            .get(q.clone()),
    ) {
        Err(Error::Api {
            verified: true,
            status,
            ..
        }) => assert_eq!(status, 404),
        other => panic!("signed: {other:?}"),
    }
    // The same error from a server that does not sign: reported, and said to be unverified.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}/", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        let _ = s.read(&mut [0; 8192]);
        let body = r#"{"code":"ORDER_NOT_EXIST","message":"forged"}"#;
        let _ = write!(
            s,
            "HTTP/1.1 404 Not Found\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
    });
    let unsigned = env.server.client_builder().base_uri(base).build().unwrap();
    match env.run(
        unsigned
            .chain("v3/pay/transactions/id/{transaction_id}")
            .get(q),
    ) {
        Err(
            e @ Error::Api {
                verified: false, ..
            },
        ) => assert!(e.to_string().contains("unverified"), "{e}"),
        other => panic!("unsigned: {other:?}"),
    }
}

fn limits(env: &Env) {
    let c: &Client = &env.client;
    env.server.fault(Fault::Slow(3000));
    let e = env
        .run(
            c.chain("v3/certificates")
                .get(json!({ "timeout": 0.3, "retry": false })),
        )
        .unwrap_err();
    assert!(
        matches!(
            e,
            Error::Limit {
                limit: "timeout",
                ..
            }
        ),
        "{e}"
    );
    env.server.clear_faults();
    let e = env
        .run(
            c.chain("v3/certificates")
                .get(json!({ "max_answer_bytes": 16 })),
        )
        .unwrap_err();
    assert!(
        matches!(
            e,
            Error::Limit {
                limit: "max_answer_bytes",
                ..
            }
        ),
        "{e}"
    );
}
