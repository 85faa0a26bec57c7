//! `Client::send_prepared`: a request prepared by the client and signed elsewhere goes out
//! through the client's own transport and answer checks, once, and only where it may go.

use base64::Engine as _;
use serde_json::json;
use wechatpay::crypto::PrivateKey;
use wechatpay::http::Method;
use wechatpay::mock::{Mode, Server};
use wechatpay::{v3, Error};

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

#[tokio::test]
async fn a_request_signed_elsewhere_is_sent_once_and_its_answer_verified() {
    // Both key modes: the call is the certificate listing, which a public-key merchant lacks.
    let server = Server::builder().mode(Mode::Both).start().await.unwrap();
    let client = server.client_builder().build().unwrap();
    let key = PrivateKey::load(server.merchant().private_key_pem.as_bytes()).unwrap();
    let serial = server.merchant().serial.clone();
    let signed = |nonce: &str| {
        let mut prepared = client
            .chain("v3/certificates")
            .prepare(Method::GET, json!({}))
            .unwrap();
        let ts = now();
        let message = v3::canonical_request("GET", "/v3/certificates", ts, "N1", prepared.body());
        let signature =
            base64::engine::general_purpose::STANDARD.encode(key.sign(&message).unwrap());
        prepared
            .set_authorization(&v3::authorization(
                client.mchid(),
                &serial,
                ts,
                nonce,
                &signature,
            ))
            .unwrap();
        prepared
    };

    let res = client.send_prepared(signed("N1")).await.unwrap();
    assert_eq!(res.attempts(), 1);
    assert!(res.json().unwrap()["data"].is_array());

    // Signed over another nonce: WeChat Pay's refusal, verified, and sent once (a GET would be
    // retried on a 5xx too: none here).
    let before = server.journal().len();
    let err = client.send_prepared(signed("N2")).await.unwrap_err();
    assert!(
        matches!(err, Error::Api { status, verified: true, .. } if status == 401),
        "{err}"
    );
    assert_eq!(server.journal().len(), before + 1);

    // Not a header value: refused, naming the header.
    let mut prepared = signed("N1");
    let err = prepared.set_authorization("a\nb").unwrap_err();
    assert!(err.to_string().contains("Authorization"), "{err}");

    // A client that may not reach the emulator refuses it before sending.
    let elsewhere = server
        .client_builder()
        .base_uri("https://api2.mch.weixin.qq.com/")
        .build()
        .unwrap();
    let before = server.journal().len();
    let err = elsewhere.send_prepared(signed("N1")).await.unwrap_err();
    assert!(err.is_refused_before_sending(), "{err}");
    assert!(err.to_string().contains("127.0.0.1"), "{err}");
    assert_eq!(server.journal().len(), before);
}
