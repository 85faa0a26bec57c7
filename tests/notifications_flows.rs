//! Notifications the emulator sends by itself: after the calls the documentation names (the
//! flows' payments and refunds, APIv3 and APIv2, and a call with no flow), retried on WeChat
//! Pay's schedule until the merchant answers as the page's answer table says. The schedule is
//! stepped with "deliver due now", never waited for.
#![cfg(feature = "mock")]

mod notifications;

use notifications::{handler, success, Answer};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use wechatpay::mock::{Delivery, Server};

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

/// A server whose retries would wait hours: only `deliver_due_now` moves them on.
async fn slow_retries() -> Server {
    Server::builder()
        .notify_retry_base(Duration::from_secs(3600))
        .start()
        .await
        .unwrap()
}

/// Steps a notification through every retry, the handler failing each: the deliveries.
async fn every_attempt(server: &Server, attempts: usize) -> Vec<Delivery> {
    for k in 1..=attempts {
        until(|| server.deliveries().len() == k).await;
        if k < attempts {
            until(|| server.pending_retries() == 1).await;
            assert_eq!(server.deliver_due_now(), 1);
        }
    }
    server.deliveries()
}

#[tokio::test]
async fn apiv3_retries_follow_wechat_pays_schedule_until_it_gives_up() {
    let server = slow_retries().await;
    let (url, got) = handler(Arc::new(|_| {
        (500, "{\"code\":\"FAIL\",\"message\":\"busy\"}")
    }))
    .await;
    server
        .schedule_notification("REFUND.SUCCESS", &url, &json!({"out_refund_no": "R-retry"}))
        .unwrap();
    let d = every_attempt(&server, 16).await;
    let waits: Vec<Option<u32>> = d.iter().map(|d| d.next_retry_seconds).collect();
    // 15s/15s/30s/3m/10m/20m/30m/30m/30m/60m/3h/3h/3h/6h/6h, then no more.
    let mut expected: Vec<Option<u32>> = [15, 15, 30, 180, 600, 1200, 1800, 1800, 1800, 3600]
        .into_iter()
        .chain([10800, 10800, 10800, 21600, 21600])
        .map(Some)
        .collect();
    expected.push(None);
    assert_eq!(waits, expected);
    assert!(d[..15]
        .iter()
        .all(|d| d.outcome == "failed" && d.status == Some(500)));
    assert_eq!((d[15].attempt, d[15].outcome.as_str()), (16, "gave-up"));
    assert_eq!(got.lock().unwrap().len(), 16);
    assert_eq!(server.pending_retries(), 0);
}

#[tokio::test]
async fn apiv2_retries_until_the_reply_says_success() {
    let server = slow_retries().await;
    let replies = Arc::new(AtomicUsize::new(0));
    let seen = replies.clone();
    // 200 with FAIL twice (a failure by the page's answer table), then SUCCESS.
    let answer: Answer = Arc::new(move |_| match seen.fetch_add(1, Ordering::SeqCst) {
        0 | 1 => (
            200,
            "<xml><return_code><![CDATA[FAIL]]></return_code></xml>",
        ),
        _ => (
            200,
            "<xml><return_code><![CDATA[SUCCESS]]></return_code></xml>",
        ),
    });
    let (url, _) = handler(answer).await;
    server
        .schedule_notification("v2/transaction-success", &url, &json!({}))
        .unwrap();
    let d = every_attempt(&server, 3).await;
    let summary: Vec<(u32, &str, Option<u32>)> = d
        .iter()
        .map(|d| (d.attempt, d.outcome.as_str(), d.next_retry_seconds))
        .collect();
    assert_eq!(
        summary,
        [
            (1, "failed", Some(15)),
            (2, "failed", Some(15)),
            (3, "delivered", None)
        ]
    );
    // The APIv2 page's own schedule: 15/15/30/180/1800/1800/1800/1800/3600 s.
    let server = slow_retries().await;
    let (url, _) = handler(Arc::new(|_| (503, ""))).await;
    server
        .schedule_notification("v2/transaction-success", &url, &json!({}))
        .unwrap();
    let d = every_attempt(&server, 10).await;
    let waits: Vec<u32> = d.iter().filter_map(|d| d.next_retry_seconds).collect();
    assert_eq!(waits, [15, 15, 30, 180, 1800, 1800, 1800, 1800, 3600]);
    assert_eq!(d[9].outcome, "gave-up");
}

#[tokio::test]
async fn the_admin_api_sends_lists_and_delivers_due_notifications() {
    let server = slow_retries().await;
    let client = server.client_builder().build().unwrap();
    let (url, got) = handler(success()).await;
    let admin = Admin::new(&server);
    let (status, sent) = admin
        .call(
            "POST",
            "notify/MCHTRANSFER.BILL.FINISHED",
            json!({"to": url, "resource": {"out_bill_no": "B1"}}),
        )
        .await;
    assert_eq!(
        (status, sent["accepted"].as_bool()),
        (200, Some(true)),
        "{sent}"
    );
    let (headers, body) = got.lock().unwrap().pop().unwrap();
    let n = client.parse_notification(&headers, &body).unwrap();
    assert_eq!(n.event_type, "MCHTRANSFER.BILL.FINISHED");
    assert_eq!(n.resource["out_bill_no"], "B1");
    // An APIv2 page by its name.
    let (status, _) = admin
        .call(
            "POST",
            "notify/v2/refund-processed",
            json!({"to": url, "resource": {"out_refund_no": "VR9"}}),
        )
        .await;
    assert_eq!(status, 200);
    let (_, body) = got.lock().unwrap().pop().unwrap();
    let fields = wechatpay::v2::xml::from_xml(std::str::from_utf8(&body).unwrap()).unwrap();
    let inner = client
        .decrypt_v2_refund(fields["req_info"].as_str().unwrap())
        .unwrap();
    assert_eq!(inner["out_refund_no"], "VR9");
    // Unknown: refused in WeChat Pay's terms; the list has all 114.
    let (status, why) = admin
        .call("POST", "notify/NO.SUCH", json!({"to": url}))
        .await;
    assert_eq!(status, 400);
    assert!(why["message"]
        .as_str()
        .unwrap()
        .contains("documents no notification"));
    let (_, list) = admin.call("GET", "notifications", Value::Null).await;
    assert_eq!(list.as_array().unwrap().len(), 114);
    // Scheduled with retries; a failing handler; the due retry sent at once.
    let (bad, _) = handler(Arc::new(|_| (500, ""))).await;
    let (status, _) = admin
        .call(
            "POST",
            "notify/REFUND.SUCCESS",
            json!({"to": bad, "retry": true}),
        )
        .await;
    assert_eq!(status, 202);
    until(|| server.pending_retries() == 1).await;
    let (_, due) = admin.call("POST", "deliveries/due", Value::Null).await;
    assert_eq!(due["due"], 1);
    until(|| server.deliveries().len() == 2).await;
    let (_, listed) = admin.call("GET", "deliveries", Value::Null).await;
    assert_eq!(listed[0]["next_retry_seconds"], 15);
}

/// The admin API over the emulator's TLS.
struct Admin {
    http: reqwest::Client,
    base: String,
}

impl Admin {
    fn new(server: &Server) -> Admin {
        let ca = reqwest::Certificate::from_pem(server.ca_pem().as_bytes()).unwrap();
        Admin {
            http: reqwest::Client::builder()
                .add_root_certificate(ca)
                .build()
                .unwrap(),
            base: format!("{}__emulator/", server.url()),
        }
    }

    async fn call(&self, method: &str, path: &str, body: Value) -> (u16, Value) {
        let url = format!("{}{path}", self.base);
        let req = match method {
            "GET" => self.http.get(url),
            _ => self.http.post(url),
        };
        let req = if body.is_null() {
            req
        } else {
            req.body(body.to_string())
        };
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        let bytes = res.bytes().await.unwrap();
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }
}

#[tokio::test]
async fn calls_send_their_documented_notifications_by_themselves() {
    let server = Server::start().await.unwrap();
    let client = server.client_builder().build().unwrap();
    let (url, got) = handler(success()).await;
    // A call the emulator keeps no state for: its page names notify_url as the URL of
    // SECURITY_ECHO.SUCCESS.
    client
        .chain("v3/security/echo")
        .post(json!({
            "json": {"notify_url": url, "echo_message": "hello"},
            "headers": {"Wechatpay-Serial": server.public_key_id()},
        }))
        .await
        .unwrap();
    until(|| !got.lock().unwrap().is_empty()).await;
    let (headers, body) = got.lock().unwrap().pop().unwrap();
    let n = client.parse_notification(&headers, &body).unwrap();
    assert_eq!(n.event_type, "SECURITY_ECHO.SUCCESS");
    // An APIv2 refund notifies its notify_url with the documented req_info form.
    let order = json!({ "xml": { "appid": "wxd678efh567hg6787", "mch_id": "1900000001", "body": "x",
        "out_trade_no": "AV1", "total_fee": "100", "spbill_create_ip": "127.0.0.1",
        "notify_url": url, "trade_type": "NATIVE", "sign_type": "HMAC-SHA256" } });
    client
        .chain("v2/pay/unifiedorder")
        .post(order)
        .await
        .unwrap();
    server.pay("AV1").unwrap();
    until(|| !got.lock().unwrap().is_empty()).await;
    let (_, body) = got.lock().unwrap().pop().unwrap();
    let paid = client.parse_v2_notification(&body).unwrap();
    assert_eq!(paid["out_trade_no"], "AV1");
    assert_eq!(
        paid["sign"].as_str().unwrap().len(),
        64,
        "the order's HMAC-SHA256"
    );
    client
        .chain("v2/secapi/pay/refund")
        .post(
            json!({ "xml": { "appid": "wxd678efh567hg6787", "mch_id": "1900000001",
            "out_trade_no": "AV1", "out_refund_no": "AVR1", "total_fee": "100", "refund_fee": "40",
            "notify_url": url }, "security": true }),
        )
        .await
        .unwrap();
    until(|| !got.lock().unwrap().is_empty()).await;
    let (_, body) = got.lock().unwrap().pop().unwrap();
    let fields = wechatpay::v2::xml::from_xml(std::str::from_utf8(&body).unwrap()).unwrap();
    let refund = client
        .decrypt_v2_refund(fields["req_info"].as_str().unwrap())
        .unwrap();
    assert_eq!(
        (
            refund["out_refund_no"].as_str(),
            refund["refund_fee"].as_str()
        ),
        (Some("AVR1"), Some("40"))
    );
}
