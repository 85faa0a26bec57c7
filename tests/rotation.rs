//! Key rotation against the emulator in certificate mode: an answer or notification naming a
//! serial the client does not hold triggers exactly one certificate download, however many
//! callers see it at once, and a forged serial cannot flood `v3/certificates`.
#![cfg(feature = "mock")]

mod support;
use serde_json::json;
use wechatpay::mock::{Fault, Mode, Server};
use wechatpay::{Client, Error};

const CLOSE: &str = "v3/pay/transactions/out-trade-no/{out_trade_no}/close";

async fn start() -> (Server, Client) {
    let server = Server::builder()
        .mode(Mode::Certificate)
        .start()
        .await
        .unwrap();
    // The APIv3 key only: the client holds no WeChat Pay key yet.
    let client = server.client_builder().build().unwrap();
    assert!(client.keyring().is_empty());
    (server, client)
}

fn downloads(server: &Server) -> usize {
    server
        .journal()
        .iter()
        .filter(|r| r.path.ends_with("/v3/certificates"))
        .count()
}

#[tokio::test]
async fn many_concurrent_answers_with_a_new_serial_make_one_download() {
    let (server, client) = start().await;
    let results = support::close_orders(&client, 24).await;
    for r in &results {
        assert_eq!(r.as_ref().unwrap().status(), 204);
    }
    assert_eq!(downloads(&server), 1, "single flight");
    assert!(client.keyring().contains(server.platform_serial()));
}

#[tokio::test]
async fn a_forged_serial_cannot_flood_the_certificate_endpoint() {
    let (server, client) = start().await;
    server.fault(Fault::WrongSerial);
    for i in 0..10 {
        let e = client
            .chain(CLOSE)
            .post(json!({"out_trade_no": format!("N{i}"), "json": {"mchid": "1900000001"}}))
            .await
            .unwrap_err();
        assert!(matches!(e, Error::Signature(_)), "{e:?}");
    }
    assert_eq!(downloads(&server), 1, "at most one download a minute");
}

#[tokio::test]
async fn a_notification_with_a_new_serial_is_verified_after_one_download() {
    let (server, client) = start().await;
    let resource =
        json!({"out_trade_no": "1217752501201407033233368018", "trade_state": "SUCCESS"});
    let (headers, body) = server
        .notification("TRANSACTION.SUCCESS", &resource)
        .unwrap();
    assert!(matches!(
        client.parse_notification(&headers, &body),
        Err(Error::Signature(_))
    ));
    let n = client
        .parse_notification_async(&headers, &body)
        .await
        .unwrap();
    assert_eq!(n.resource["out_trade_no"], "1217752501201407033233368018");
    let n = client
        .parse_notification_async(&headers, &body)
        .await
        .unwrap();
    assert_eq!(n.event_type, "TRANSACTION.SUCCESS");
    assert_eq!(downloads(&server), 1);
}
