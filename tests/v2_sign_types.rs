//! APIv2 signatures follow the request: the emulator answers in the sign type the request was
//! signed with (MD5 when it names none) and notifies in the order's, naming `sign_type` where
//! WeChat Pay does; our client checks both with the type they must have. Over real sockets.
#![cfg(feature = "mock")]

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use serde_json::{json, Map, Value};
use std::time::Duration;
use tokio::sync::mpsc;
use wechatpay::mock::Server;
use wechatpay::v2::{sign, xml, SignType};
use wechatpay::{Client, Error};

/// A loopback APIv2 notification handler: every body it receives goes to the channel, and it
/// answers `SUCCESS`.
async fn handler() -> (String, mpsc::UnboundedReceiver<Bytes>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/notify", listener.local_addr().unwrap());
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let tx = tx.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
                    let tx = tx.clone();
                    async move {
                        let body = req.into_body().collect().await.unwrap().to_bytes();
                        let _ = tx.send(body);
                        let reply = wechatpay::v2::notify::notification_reply(true, "OK");
                        Ok::<_, std::convert::Infallible>(hyper::Response::new(Full::new(
                            Bytes::from(reply),
                        )))
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    (url, rx)
}

fn fields_of(body: &[u8]) -> Map<String, Value> {
    xml::from_xml(std::str::from_utf8(body).unwrap()).unwrap()
}

/// The order request, naming `sign_type` or not.
fn order(out_trade_no: &str, notify_url: &str, sign_type: Option<&str>) -> Value {
    let mut x = json!({ "appid": "wxd678efh567hg6787", "mch_id": "1900000001", "body": "x",
        "out_trade_no": out_trade_no, "total_fee": "100", "spbill_create_ip": "127.0.0.1",
        "notify_url": notify_url, "trade_type": "NATIVE" });
    if let Some(t) = sign_type {
        x["sign_type"] = json!(t);
    }
    json!({ "xml": x })
}

/// Asserts a raw APIv2 message is signed `want` (and not the other type) under `secret`.
fn assert_signed(what: &str, fields: &Map<String, Value>, secret: &str, want: SignType) {
    let other = match want {
        SignType::Md5 => SignType::HmacSha256,
        SignType::HmacSha256 => SignType::Md5,
    };
    sign::verify_as(fields, secret, want).unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        sign::verify_as(fields, secret, other).is_err(),
        "{what}: also verifies as {other:?}"
    );
}

#[tokio::test]
async fn answers_and_notifications_follow_the_sign_type() {
    let server = Server::builder()
        .strict(true)
        .notify_retry_base(Duration::from_millis(20))
        .start()
        .await
        .unwrap();
    let client: Client = server.client_builder().build().unwrap();
    let secret = server.merchant().apiv2_secret.to_string();
    let (url, mut notified) = handler().await;
    for (n, (named, want)) in [
        (None, SignType::Md5),
        (Some("MD5"), SignType::Md5),
        (Some("HMAC-SHA256"), SignType::HmacSha256),
    ]
    .into_iter()
    .enumerate()
    {
        let no = format!("SIGNTYPE{n}");
        let what = |call: &str| format!("{call} with sign_type {named:?}");
        // The client checks each answer with the type it sent (a mismatch would be an error).
        let made = client
            .chain("v2/pay/unifiedorder")
            .post(order(&no, &url, named))
            .await
            .unwrap();
        let fields = fields_of(made.body());
        assert_signed(&what("unifiedorder"), &fields, &secret, want);
        // The unifiedorder answer's table lists no `sign_type`, and WeChat Pay sends none.
        assert!(!fields.contains_key("sign_type"), "{fields:?}");

        let mut query = json!({ "xml": { "appid": "wxd678efh567hg6787", "mch_id": "1900000001",
            "out_trade_no": no } });
        if let Some(t) = named {
            query["xml"]["sign_type"] = json!(t);
        }
        server.pay(&no).unwrap();
        let paid = client
            .chain("v2/pay/orderquery")
            .post(query.clone())
            .await
            .unwrap();
        let fields = fields_of(paid.body());
        assert_eq!(fields["trade_state"], "SUCCESS");
        assert_signed(&what("orderquery"), &fields, &secret, want);

        // A business failure (`ORDERPAID`) is signed the same way, and verified.
        let err = client
            .chain("v2/pay/closeorder")
            .post(query)
            .await
            .unwrap_err();
        match &err {
            Error::V2Failure {
                fields, verified, ..
            } => {
                assert!(verified, "{err}");
                assert_eq!(fields["err_code"], "ORDERPAID");
                assert_signed(&what("closeorder"), fields, &secret, want);
            }
            other => panic!("{other:?}"),
        }

        // The notification: signed with the order's type; it names HMAC-SHA256, and names
        // nothing when MD5 (WeChat Pay's default, which its SDKs assume when none is named).
        let body = tokio::time::timeout(Duration::from_secs(10), notified.recv())
            .await
            .expect("no notification")
            .unwrap();
        let fields = fields_of(&body);
        assert_eq!(fields["out_trade_no"], no.as_str());
        assert_signed(&what("notification"), &fields, &secret, want);
        assert_eq!(
            fields.get("sign_type").and_then(Value::as_str),
            (want == SignType::HmacSha256).then_some("HMAC-SHA256"),
            "{fields:?}"
        );
        assert_eq!(client.parse_v2_notification(&body).unwrap(), fields);
    }
}

#[tokio::test]
async fn answers_that_carry_sign_type_name_the_request_s() {
    let server = Server::start().await.unwrap();
    let client = server.client_builder().build().unwrap();
    let secret = server.merchant().apiv2_secret.to_string();
    // Its answer table lists `sign_type` (the request's table allows HMAC-SHA256 only).
    let res = client
        .chain("v2/fund/queryautowithdrawbydate")
        .post(json!({ "security": true, "xml": { "mch_id": "1900000001",
            "sub_mch_id": "1900000109", "sign_type": "HMAC-SHA256", "date": "20260601" } }))
        .await
        .unwrap();
    let fields = fields_of(res.body());
    assert_eq!(fields["sign_type"], "HMAC-SHA256");
    assert_signed(
        "queryautowithdrawbydate",
        &fields,
        &secret,
        SignType::HmacSha256,
    );
}

#[tokio::test]
async fn a_request_signed_in_another_type_than_it_names_is_refused() {
    let server = Server::start().await.unwrap();
    let client = server.client_builder().build().unwrap();
    let secret = server.merchant().apiv2_secret.to_string();
    let base = json!({ "appid": "wxd678efh567hg6787", "mch_id": "1900000001",
        "out_trade_no": "X1", "nonce_str": "5K8264ILTKCH16CQ2502SI8ZNMTM67VS" });
    for (named, signed) in [
        (None, SignType::HmacSha256),
        (Some("MD5"), SignType::HmacSha256),
        (Some("HMAC-SHA256"), SignType::Md5),
    ] {
        let mut fields = base.as_object().unwrap().clone();
        if let Some(t) = named {
            fields.insert("sign_type".into(), json!(t));
        }
        let s = sign::sign(signed, &fields, &secret).unwrap();
        fields.insert("sign".into(), json!(s));
        // `body` sends these bytes as they are, in place of the client's own signing.
        let err = client
            .chain("v2/pay/orderquery")
            .post(json!({ "xml": { "mch_id": "1900000001" }, "body": xml::to_xml(&fields) }))
            .await
            .unwrap_err();
        match &err {
            Error::V2Failure { fields, .. } => {
                assert_eq!(fields["return_code"], "FAIL", "{named:?}");
                assert_eq!(fields["return_msg"], "签名错误", "{named:?}");
            }
            other => panic!("{named:?}: {other:?}"),
        }
    }
}
