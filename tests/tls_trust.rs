//! Trust with the shared TLS verifier (issue 22: one verifier per client) is what it was. With the emulator's CA
//! added, a server whose certificate does not name the host asked for is still refused, by the
//! async client and by its blocking twin (which now shares the client's verifier), with
//! nothing sent; the name the certificate does carry still connects.
#![cfg(all(feature = "mock", feature = "blocking"))]

use serde_json::{json, Value};
use wechatpay::mock::Server;
use wechatpay::Outcome;

const QUERY: &str = "v3/pay/transactions/out-trade-no/{out_trade_no}";

fn args() -> Value {
    json!({"out_trade_no": "1217752501201407033233368018", "query": {"mchid": "1900000001"}, "retry": false})
}

#[tokio::test]
async fn a_certificate_for_another_name_is_refused_with_the_ca_trusted() {
    let server = Server::start().await.unwrap();
    let port = url::Url::parse(server.url()).unwrap().port().unwrap();
    let addr: std::net::SocketAddr = ([127, 0, 0, 1], port).into();
    // The emulator's certificate names 127.0.0.1 and localhost, not this host.
    let client = server
        .client_builder()
        .base_uri(format!("https://pay.example.test:{port}/"))
        .resolve("pay.example.test", addr)
        .build()
        .unwrap();
    let e = client.chain(QUERY).get(args()).await.unwrap_err();
    assert_eq!(e.outcome(), Outcome::NotSent, "{e}");
    assert!(e.to_string().to_lowercase().contains("certificate"), "{e}");

    let blocking = wechatpay::blocking::Client::from(client);
    let e = tokio::task::spawn_blocking(move || blocking.chain(QUERY).get(args()))
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(e.outcome(), Outcome::NotSent, "{e}");
    assert!(e.to_string().to_lowercase().contains("certificate"), "{e}");
    assert!(server.journal().is_empty(), "nothing reached the server");

    // The name on the certificate, through the same resolution, connects.
    let named = server
        .client_builder()
        .base_uri(format!("https://localhost:{port}/"))
        .resolve("localhost", addr)
        .build()
        .unwrap();
    named.chain(QUERY).get(args()).await.unwrap();
    assert_eq!(server.journal().len(), 1);
}
