//! The product-coupon notifications the emulator delivers to a brand by itself: the brand sets
//! its URL with `notify-configs` (and reads it back), and sending or confirming a user's coupon
//! delivers `PRODUCT_COUPON.SEND`, sealed with the brand API key, signed under the public key,
//! retried on WeChat Pay's schedule; the admin API sends one by hand. Retries are stepped with
//! "deliver due now", never waited for.
#![cfg(feature = "mock")]

mod notifications;

use notifications::{handler, success, Answer};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use wechatpay::mock::{Brand, Server};
use wechatpay::{Client, Error};

const CONFIGS: &str = "brand/marketing/product-coupon/notify-configs";
const SEND: &str = "brand/marketing/product-coupon/users/{openid}/coupons";
const CONFIRM: &str = "brand/marketing/product-coupon/users/{openid}/coupons/{coupon_code}/confirm";

/// Waits (by polling, not by a clock) until `ready` holds.
async fn until(mut ready: impl FnMut() -> bool) {
    for _ in 0..20_000 {
        if ready() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    panic!("never happened");
}

/// A server with brand 1001 whose retries would wait hours, and the brand's client.
async fn start() -> (Server, Client) {
    let server = Server::builder()
        .brand(Brand::generate("1001").unwrap())
        .notify_retry_base(Duration::from_secs(3600))
        .start()
        .await
        .unwrap();
    let client = server
        .brand_client_builder("1001")
        .unwrap()
        .build()
        .unwrap();
    (server, client)
}

async fn set_url(client: &Client, url: &str) -> Value {
    client
        .chain(CONFIGS)
        .post(json!({"json": {"notify_url": url}}))
        .await
        .unwrap()
        .json()
        .unwrap()
}

#[tokio::test]
async fn notify_configs_round_trip() {
    let (_server, client) = start().await;
    // Before any POST: the documented default answer, in shape.
    let before: Value = client
        .chain(CONFIGS)
        .get(json!({}))
        .await
        .unwrap()
        .json()
        .unwrap();
    assert!(before.get("notify_url").is_some(), "{before}");
    let set = set_url(&client, "https://brand.example.com/coupon-events").await;
    assert_eq!(set["notify_url"], "https://brand.example.com/coupon-events");
    let time = set["update_time"].as_str().unwrap();
    assert!(time.ends_with("+08:00"), "{time}");
    let got: Value = client
        .chain(CONFIGS)
        .get(json!({}))
        .await
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(got, set);
    // A later POST replaces it.
    let again = set_url(&client, "http://127.0.0.1:9/other").await;
    let got: Value = client
        .chain(CONFIGS)
        .get(json!({}))
        .await
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(got["notify_url"], again["notify_url"]);
    // Without a URL nothing is stored (no field is marked required); a URL that is not one
    // is refused naming the field.
    client
        .chain(CONFIGS)
        .post(json!({"json": {}}))
        .await
        .unwrap();
    let got: Value = client
        .chain(CONFIGS)
        .get(json!({}))
        .await
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(got["notify_url"], again["notify_url"]);
    match client
        .chain(CONFIGS)
        .post(json!({"json": {"notify_url": "ftp://x"}}))
        .await
        .unwrap_err()
    {
        Error::Api {
            status,
            code,
            message,
            ..
        } => {
            assert_eq!(
                (status.as_u16(), code.as_deref().unwrap_or("")),
                (400, "PARAM_ERROR")
            );
            let message = message.unwrap_or_default();
            assert!(message.contains("notify_url"), "{message}");
        }
        e => panic!("{e:?}"),
    }
}

#[tokio::test]
async fn sending_a_coupon_delivers_product_coupon_send() {
    let (server, client) = start().await;
    let (url, got) = handler(success()).await;
    set_url(&client, &url).await;
    let res = client
        .chain(SEND)
        .post(json!({"openid": "o-user-1", "json": {"product_coupon_id": "200000001"}}))
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    until(|| server.deliveries().len() == 1).await;
    let d = &server.deliveries()[0];
    assert_eq!(
        (
            d.event_type.as_str(),
            d.outcome.as_str(),
            d.attempt,
            d.url.as_str()
        ),
        ("PRODUCT_COUPON.SEND", "delivered", 1, url.as_str())
    );
    let (headers, body) = got.lock().unwrap()[0].clone();
    let n = client.parse_notification(&headers, &body).unwrap();
    assert_eq!(n.event_type, "PRODUCT_COUPON.SEND");
    assert_eq!(n.original_type, "product_coupon");
    assert_eq!(n.resource["openid"], "o-user-1");
    assert_eq!(n.resource["brand_id"], "1001");
    assert_eq!(n.resource["product_coupon_id"], "200000001");
    assert_eq!(
        headers["Wechatpay-Serial"].to_str().unwrap(),
        server.public_key_id()
    );
    // A merchant's APIv3 key cannot open it: it is sealed with the brand API key.
    let merchant = server.client_builder().build().unwrap();
    assert!(merchant.parse_notification(&headers, &body).is_err());
}

#[tokio::test]
async fn confirming_a_pre_sent_coupon_delivers_it_and_failures_are_retried() {
    let (server, client) = start().await;
    let answers = Arc::new(AtomicUsize::new(0));
    let seen = answers.clone();
    // The brand's handler fails once, then takes it.
    let answer: Answer = Arc::new(move |_| match seen.fetch_add(1, Ordering::SeqCst) {
        0 => (500, "{\"code\":\"FAIL\",\"message\":\"busy\"}"),
        _ => (200, ""),
    });
    let (url, got) = handler(answer).await;
    set_url(&client, &url).await;
    client
        .chain(CONFIRM)
        .post(json!({"openid": "o-user-2", "coupon_code": "C-42", "json": {}}))
        .await
        .unwrap();
    until(|| server.deliveries().len() == 1).await;
    let first = &server.deliveries()[0];
    assert_eq!(
        (first.outcome.as_str(), first.status),
        ("failed", Some(500))
    );
    assert_eq!(first.next_retry_seconds, Some(15));
    until(|| server.pending_retries() == 1).await;
    assert_eq!(server.deliver_due_now(), 1);
    until(|| server.deliveries().len() == 2).await;
    let second = &server.deliveries()[1];
    assert_eq!((second.attempt, second.outcome.as_str()), (2, "delivered"));
    assert_eq!(second.subject, "C-42");
    let got = got.lock().unwrap();
    assert_eq!(got.len(), 2);
    let n = client.parse_notification(&got[1].0, &got[1].1).unwrap();
    assert_eq!(n.resource["coupon_code"], "C-42");
}

#[tokio::test]
async fn the_admin_api_sends_a_brand_notification() {
    let (server, client) = start().await;
    let (url, got) = handler(success()).await;
    // The run's token: the admin API obeys state-changing calls only with it.
    let mut token = reqwest::header::HeaderMap::new();
    token.insert("x-emulator-token", server.admin_token().parse().unwrap());
    let http = reqwest::Client::builder()
        .no_proxy()
        .default_headers(token)
        .tls_certs_merge(reqwest::Certificate::from_pem_bundle(server.ca_pem().as_bytes()).unwrap())
        .build()
        .unwrap();
    let admin = format!("{}__emulator/brand-notify/", server.url());
    let post = |path: String, body: Value| http.post(path).body(body.to_string()).send();
    // No `to` and no URL set: refused, naming what is missing.
    let res = post(format!("{admin}1001"), json!({})).await.unwrap();
    assert_eq!(res.status(), 400);
    assert!(res.text().await.unwrap().contains("notify_url"));
    let res = post(format!("{admin}9999"), json!({"to": url}))
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let resource = json!({"coupon_code": "C-7", "openid": "o-3"});
    let res = post(
        format!("{admin}1001"),
        json!({"to": url, "event_type": "PRODUCT_COUPON.USE", "resource": resource}),
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 200);
    let answer: Value = res.text().await.unwrap().parse().unwrap();
    assert_eq!(
        (answer["status"].as_u64(), answer["accepted"].as_bool()),
        (Some(200), Some(true))
    );
    let (headers, body) = got.lock().unwrap()[0].clone();
    let n = client.parse_notification(&headers, &body).unwrap();
    assert_eq!(n.event_type, "PRODUCT_COUPON.USE");
    assert_eq!(n.resource, resource);
    // `retry`: queued to the URL the brand set, listed in the deliveries.
    set_url(&client, &url).await;
    let res = post(
        format!("{admin}1001"),
        json!({"retry": true, "resource": resource}),
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 202);
    until(|| server.deliveries().len() == 1).await;
    assert_eq!(server.deliveries()[0].event_type, "PRODUCT_COUPON.SEND");
    assert_eq!(server.deliveries()[0].outcome, "delivered");
}
