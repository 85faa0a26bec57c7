//! The emulator's state for the core flows: orders created, paid, queried, closed, refunded,
//! billed; notifications delivered and retried; the admin API.
#![cfg(feature = "mock")]

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use wechatpay::mock::Server;
use wechatpay::{Client, Error};

async fn strict() -> (Server, Client) {
    let server = Server::builder().strict(true).start().await.unwrap();
    let client = server.client_builder().build().unwrap();
    (server, client)
}

fn jsapi(no: &str, total: i64, notify_url: &str) -> Value {
    json!({ "json": {
        "appid": "wxd678efh567hg6787", "mchid": "1900000001", "description": "Image形象店-深圳腾大-QQ公仔",
        "out_trade_no": no, "notify_url": notify_url,
        "amount": { "total": total, "currency": "CNY" }, "payer": { "openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o" },
    }})
}

fn api_code(r: wechatpay::Result<wechatpay::Response>) -> (u16, String) {
    match r {
        Err(Error::Api { status, code, .. }) => (status.as_u16(), code.unwrap_or_default()),
        other => panic!("expected an API error, got {other:?}"),
    }
}

async fn query(client: &Client, no: &str) -> Value {
    client
        .chain("v3/pay/transactions/out-trade-no/{out_trade_no}")
        .get(json!({ "out_trade_no": no, "query": { "mchid": "1900000001" } }))
        .await
        .unwrap()
        .json()
        .unwrap()
}

fn refund(no: &str, out_refund_no: &str, amount: i64, total: i64) -> Value {
    json!({ "json": { "out_trade_no": no, "out_refund_no": out_refund_no,
        "amount": { "refund": amount, "total": total, "currency": "CNY" } } })
}

#[tokio::test]
async fn orders_are_created_paid_queried_closed_and_refunded() {
    let (server, client) = strict().await;
    let create = client.chain("v3/pay/transactions/jsapi");
    let url = "https://example.com/notify";
    let first = create
        .post(jsapi("T1", 100, url))
        .await
        .unwrap()
        .json()
        .unwrap();
    let prepay = first["prepay_id"].as_str().unwrap().to_string();
    assert!(prepay.starts_with("wx"));
    let again = create
        .post(jsapi("T1", 100, url))
        .await
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(
        again["prepay_id"],
        prepay.as_str(),
        "the same order, the same prepay_id"
    );
    assert_eq!(
        api_code(create.post(jsapi("T1", 101, url)).await),
        (400, "INVALID_REQUEST".into())
    );

    let before = query(&client, "T1").await;
    assert_eq!(before["trade_state"], "NOTPAY");
    assert!(before.get("transaction_id").is_none());
    assert!(before["amount"].get("payer_total").is_none());

    let paid = server.pay("T1").unwrap();
    let tid = paid["transaction_id"].as_str().unwrap().to_string();
    let after = query(&client, "T1").await;
    assert_eq!(after["trade_state"], "SUCCESS");
    assert_eq!(after["transaction_id"], tid.as_str());
    assert_eq!(after["amount"]["payer_total"], 100);
    assert!(after["success_time"].as_str().unwrap().ends_with("+08:00"));
    let by_id = client
        .chain("v3/pay/transactions/id/{transaction_id}")
        .get(json!({ "transaction_id": tid, "query": { "mchid": "1900000001" } }))
        .await
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(by_id, after);

    let close = client.chain("v3/pay/transactions/out-trade-no/{out_trade_no}/close");
    let close_args = |no: &str| json!({ "out_trade_no": no, "json": { "mchid": "1900000001" } });
    assert_eq!(
        api_code(close.post(close_args("T1")).await),
        (400, "ORDERPAID".into())
    );

    let refunds = client.chain("v3/refund/domestic/refunds");
    let r1 = refunds
        .post(refund("T1", "R1", 40, 100))
        .await
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(
        (r1["status"].as_str(), r1["amount"]["refund"].as_i64()),
        (Some("SUCCESS"), Some(40))
    );
    assert_eq!(
        api_code(refunds.post(refund("T1", "R2", 70, 100)).await),
        (400, "NOT_ENOUGH".into())
    );
    assert_eq!(
        api_code(refunds.post(refund("T1", "R2", 60, 99)).await).1,
        "INVALID_REQUEST"
    );
    refunds.post(refund("T1", "R2", 60, 100)).await.unwrap();
    assert_eq!(
        api_code(refunds.post(refund("T1", "R3", 1, 100)).await).1,
        "NOT_ENOUGH"
    );
    let r2 = client
        .chain("v3/refund/domestic/refunds/{out_refund_no}")
        .get(json!({ "out_refund_no": "R2" }))
        .await
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(
        (
            r2["out_refund_no"].as_str(),
            r2["amount"]["refund"].as_i64()
        ),
        (Some("R2"), Some(60))
    );
    assert_eq!(query(&client, "T1").await["trade_state"], "REFUND");

    // Another order: closed unpaid, then cannot be paid.
    create.post(jsapi("T2", 1, url)).await.unwrap();
    assert_eq!(close.post(close_args("T2")).await.unwrap().status(), 204);
    assert_eq!(query(&client, "T2").await["trade_state"], "CLOSED");
    assert!(server.pay("T2").is_err());

    // Unknown orders and refunds.
    let unknown = client
        .chain("v3/pay/transactions/out-trade-no/{out_trade_no}")
        .get(json!({ "out_trade_no": "NOPE", "query": { "mchid": "1900000001" } }))
        .await;
    assert_eq!(api_code(unknown), (404, "ORDER_NOT_EXIST".into()));
    assert_eq!(
        api_code(refunds.post(refund("NOPE", "R9", 1, 1)).await),
        (404, "ORDER_NOT_EXIST".into())
    );

    // The other trade types, and the partner form.
    let mut native = jsapi("N1", 5, url);
    native["json"].as_object_mut().unwrap().remove("payer");
    let n = client
        .chain("v3/pay/transactions/native")
        .post(native)
        .await
        .unwrap()
        .json()
        .unwrap();
    assert!(n["code_url"]
        .as_str()
        .unwrap()
        .starts_with("weixin://wxpay/bizpayurl?pr="));
    let partner = json!({ "json": {
        "sp_appid": "wx8888888888888888", "sp_mchid": "1900000001", "sub_mchid": "1900000109",
        "description": "x", "out_trade_no": "P1", "notify_url": url,
        "amount": { "total": 7 }, "payer": { "sp_openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o" },
    }});
    let p = client
        .chain("v3/pay/partner/transactions/jsapi")
        .post(partner)
        .await
        .unwrap()
        .json()
        .unwrap();
    assert!(p["prepay_id"].is_string());
    server.pay("P1").unwrap();
    let pq = client
        .chain("v3/pay/partner/transactions/out-trade-no/{out_trade_no}")
        .get(json!({ "out_trade_no": "P1", "query": { "sp_mchid": "1900000001", "sub_mchid": "1900000109" } }))
        .await
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(
        (pq["trade_state"].as_str(), pq["sub_mchid"].as_str()),
        (Some("SUCCESS"), Some("1900000109"))
    );

    // A notify_url that is not loopback is never contacted: recorded as skipped.
    // Two paid orders (T1, P1) and one refund with no notify_url: two deliveries.
    for _ in 0..500 {
        if server.deliveries().len() >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let d = server.deliveries();
    assert!(
        !d.is_empty() && d.iter().all(|d| d.outcome == "skipped"),
        "{d:?}"
    );
}

#[tokio::test]
async fn lenient_by_default_unknown_orders_get_the_documented_answer() {
    let server = Server::start().await.unwrap();
    let client = server.client_builder().build().unwrap();
    assert_eq!(query(&client, "unknown").await["trade_state"], "SUCCESS");
    client
        .chain("v3/pay/transactions/jsapi")
        .post(jsapi("L1", 3, "http://127.0.0.1:9/n"))
        .await
        .unwrap();
    assert_eq!(query(&client, "L1").await["trade_state"], "NOTPAY");
    server.set_strict(true);
    let unknown = client
        .chain("v3/pay/transactions/out-trade-no/{out_trade_no}")
        .get(json!({ "out_trade_no": "unknown", "query": { "mchid": "1900000001" } }))
        .await;
    assert_eq!(api_code(unknown).1, "ORDER_NOT_EXIST");
}

/// The stored (uncompressed) deflate blocks of a gzip file, unpacked.
fn gunzip_stored(gz: &[u8]) -> Vec<u8> {
    assert_eq!(&gz[..3], &[0x1f, 0x8b, 8]);
    let (mut at, mut out) = (10, Vec::new());
    loop {
        let last = gz[at] & 1 == 1;
        assert_eq!(gz[at] & 6, 0, "a stored block");
        let len = u16::from_le_bytes([gz[at + 1], gz[at + 2]]) as usize;
        out.extend_from_slice(&gz[at + 5..at + 5 + len]);
        at += 5 + len;
        if last {
            break;
        }
    }
    assert_eq!(
        u32::from_le_bytes(gz[at + 4..at + 8].try_into().unwrap()) as usize,
        out.len()
    );
    out
}

fn today() -> String {
    // Beijing date (+08:00), as the bill is dated.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
        + 8 * 3600;
    let days = now / 86_400;
    let (z, era) = (days + 719_468, (days + 719_468).div_euclid(146_097));
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    format!("{:04}-{m:02}-{d:02}", yoe + era * 400 + i64::from(m <= 2))
}

#[tokio::test]
async fn the_days_bill_lists_the_transactions_and_downloads_with_its_digest() {
    let (server, client) = strict().await;
    server.set_same_day_bills(true);
    for (no, total) in [("B1", 100), ("B2", 250)] {
        client
            .chain("v3/pay/transactions/jsapi")
            .post(jsapi(no, total, "http://127.0.0.1:9/"))
            .await
            .unwrap();
        server.pay(no).unwrap();
    }
    client
        .chain("v3/refund/domestic/refunds")
        .post(refund("B2", "BR1", 50, 250))
        .await
        .unwrap();
    let bill = |tar: Option<&str>| {
        let mut q = json!({ "bill_date": today(), "bill_type": "ALL" });
        if let Some(t) = tar {
            q["tar_type"] = json!(t);
        }
        let chain = client.chain("v3/bill/tradebill");
        async move { chain.get(json!({ "query": q })).await }
    };
    let plain = bill(None).await.unwrap().json().unwrap();
    assert_eq!(plain["hash_type"], "SHA1");
    let url = plain["download_url"].as_str().unwrap();
    assert!(
        url.starts_with(&format!("{}v3/billdownload/file?token=", server.url())),
        "{url}"
    );
    let digest = json!({ "hash_type": plain["hash_type"], "hash_value": plain["hash_value"] });
    let file = client
        .chain("{+download_url}")
        .get(json!({ "download_url": url, "digest": digest }))
        .await
        .unwrap();
    let text = String::from_utf8(file.body().to_vec()).unwrap();
    assert!(text.starts_with("\u{feff}交易时间,"), "{text}");
    assert!(
        text.contains("`B1,") && text.contains("`B2,") && text.contains("`BR1,"),
        "{text}"
    );
    assert!(text.contains("`2,`3.50,`0.50,"), "the totals: {text}");

    let gz = bill(Some("GZIP")).await.unwrap().json().unwrap();
    assert_eq!(
        gz["hash_value"], plain["hash_value"],
        "the digest of the bill itself"
    );
    let packed = client
        .chain("{+download_url}")
        .get(json!({ "download_url": gz["download_url"] }))
        .await
        .unwrap();
    assert_eq!(gunzip_stored(packed.body()), text.as_bytes());
}

/// What a loopback notification handler does with one delivery: (status, reply body).
type Handle = Arc<dyn Fn(&http::HeaderMap, &Bytes) -> (u16, &'static str) + Send + Sync>;

/// A notification endpoint on loopback (`http://127.0.0.1:PORT/notify`) that hands each
/// delivery to `handle`.
async fn notify_endpoint(handle: Handle) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/notify", listener.local_addr().unwrap());
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let handle = handle.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |req: Request<Incoming>| {
                    let handle = handle.clone();
                    async move {
                        let (parts, body) = req.into_parts();
                        let body = body.collect().await.unwrap().to_bytes();
                        let (status, reply) = handle(&parts.headers, &body);
                        let mut res = Response::new(Full::new(Bytes::from(reply)));
                        *res.status_mut() = hyper::StatusCode::from_u16(status).unwrap();
                        Ok::<_, std::convert::Infallible>(res)
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    url
}

/// A notification handler on loopback that fails the first `failures` deliveries.
async fn handler(client: Client, failures: usize) -> (String, Arc<Mutex<Vec<Value>>>) {
    let got = Arc::new(Mutex::new(Vec::new()));
    let seen = AtomicUsize::new(0);
    let kept = got.clone();
    let url = notify_endpoint(Arc::new(move |headers, body| {
        let n = client.parse_notification(headers, body).unwrap();
        if seen.fetch_add(1, Ordering::SeqCst) < failures {
            return (500, "");
        }
        kept.lock()
            .unwrap()
            .push(json!({ "event_type": n.event_type, "resource": n.resource }));
        (200, "")
    }))
    .await;
    (url, got)
}

#[tokio::test]
async fn auto_paid_orders_notify_and_failed_deliveries_are_retried() {
    let server = Server::builder()
        .strict(true)
        .auto_pay(Duration::from_millis(50))
        .notify_retry_base(Duration::from_millis(20))
        .start()
        .await
        .unwrap();
    let client = server.client_builder().build().unwrap();
    let (url, got) = handler(client.clone(), 2).await;
    client
        .chain("v3/pay/transactions/jsapi")
        .post(jsapi("A1", 100, &url))
        .await
        .unwrap();
    let mut waited = 0;
    while got.lock().unwrap().is_empty() && waited < 100 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        waited += 1;
    }
    let n = got.lock().unwrap()[0].clone();
    assert_eq!(n["event_type"], "TRANSACTION.SUCCESS");
    assert_eq!(
        (
            n["resource"]["out_trade_no"].as_str(),
            n["resource"]["trade_state"].as_str()
        ),
        (Some("A1"), Some("SUCCESS"))
    );
    while !server.deliveries().iter().any(|d| d.outcome == "delivered") && waited < 200 {
        tokio::time::sleep(Duration::from_millis(10)).await;
        waited += 1;
    }
    let outcomes: Vec<(u32, String, Option<u16>)> = server
        .deliveries()
        .into_iter()
        .map(|d| (d.attempt, d.outcome, d.status))
        .collect();
    assert_eq!(
        outcomes,
        vec![
            (1, "failed".into(), Some(500)),
            (2, "failed".into(), Some(500)),
            (3, "delivered".into(), Some(200))
        ]
    );

    // A refund notifies its own notify_url.
    let mut r = refund("A1", "AR1", 100, 100);
    r["json"]["notify_url"] = json!(url);
    client
        .chain("v3/refund/domestic/refunds")
        .post(r)
        .await
        .unwrap();
    let mut waited = 0;
    while got.lock().unwrap().len() < 2 && waited < 100 {
        tokio::time::sleep(Duration::from_millis(20)).await;
        waited += 1;
    }
    let n = got.lock().unwrap()[1].clone();
    assert_eq!(n["event_type"], "REFUND.SUCCESS");
    assert_eq!(
        (
            n["resource"]["out_refund_no"].as_str(),
            n["resource"]["refund_status"].as_str()
        ),
        (Some("AR1"), Some("SUCCESS"))
    );
}

fn v2_code(r: wechatpay::Result<wechatpay::Response>) -> String {
    match r {
        Err(e) => e.code().unwrap_or_default().to_string(),
        Ok(res) => panic!("expected a FAIL answer, got {:?}", res.xml()),
    }
}

/// An APIv2 notification handler on loopback: checks the `sign`, keeps the fields.
async fn handler_v2(client: Client) -> (String, Arc<Mutex<Vec<Value>>>) {
    let got = Arc::new(Mutex::new(Vec::new()));
    let kept = got.clone();
    let url = notify_endpoint(Arc::new(move |_, body| {
        let fields = client.parse_v2_notification(body).unwrap();
        kept.lock().unwrap().push(Value::Object(fields));
        (
            200,
            "<xml><return_code><![CDATA[SUCCESS]]></return_code><return_msg><![CDATA[OK]]></return_msg></xml>",
        )
    }))
    .await;
    (url, got)
}

#[tokio::test]
async fn apiv2_orders_share_the_state() {
    let (server, client) = strict().await;
    let (notify_url, notified) = handler_v2(client.clone()).await;
    let order = json!({ "xml": { "appid": "wxd678efh567hg6787", "mch_id": "1900000001", "body": "x",
        "out_trade_no": "V1", "total_fee": "100", "spbill_create_ip": "127.0.0.1",
        "notify_url": notify_url, "trade_type": "NATIVE" } });
    let made = client
        .chain("v2/pay/unifiedorder")
        .post(order.clone())
        .await
        .unwrap()
        .xml()
        .unwrap();
    assert!(made["prepay_id"].as_str().unwrap().starts_with("wx"));
    assert!(made["code_url"].as_str().unwrap().starts_with("weixin://"));
    let again = client
        .chain("v2/pay/unifiedorder")
        .post(order)
        .await
        .unwrap()
        .xml()
        .unwrap();
    assert_eq!(again["prepay_id"], made["prepay_id"]);
    let q = |no: &str| json!({ "xml": { "appid": "wxd678efh567hg6787", "mch_id": "1900000001", "out_trade_no": no } });
    let before = client
        .chain("v2/pay/orderquery")
        .post(q("V1"))
        .await
        .unwrap()
        .xml()
        .unwrap();
    assert_eq!(before["trade_state"], "NOTPAY");
    server.pay("V1").unwrap();
    let after = client
        .chain("v2/pay/orderquery")
        .post(q("V1"))
        .await
        .unwrap()
        .xml()
        .unwrap();
    assert_eq!(
        (after["trade_state"].as_str(), after["total_fee"].as_str()),
        (Some("SUCCESS"), Some("100"))
    );
    assert_eq!(after["time_end"].as_str().unwrap().len(), 14);
    // Its APIv2 (signed XML) notification.
    let mut waited = 0;
    while notified.lock().unwrap().is_empty() && waited < 100 {
        tokio::time::sleep(Duration::from_millis(20)).await;
        waited += 1;
    }
    let n = notified
        .lock()
        .unwrap()
        .first()
        .cloned()
        .unwrap_or_else(|| panic!("{:?}", server.deliveries()));
    assert_eq!(
        (n["out_trade_no"].as_str(), n["result_code"].as_str()),
        (Some("V1"), Some("SUCCESS"))
    );
    assert_eq!(n["transaction_id"], after["transaction_id"]);
    while server.deliveries().is_empty() && waited < 200 {
        tokio::time::sleep(Duration::from_millis(10)).await;
        waited += 1;
    }
    assert_eq!(server.deliveries()[0].outcome, "delivered");
    // The APIv3 query sees the same order.
    assert_eq!(
        query(&client, "V1").await["transaction_id"],
        after["transaction_id"]
    );
    assert_eq!(
        v2_code(client.chain("v2/pay/closeorder").post(q("V1")).await),
        "ORDERPAID"
    );
    assert_eq!(
        v2_code(client.chain("v2/pay/orderquery").post(q("NOPE")).await),
        "ORDERNOTEXIST"
    );
    let refund = |no: &str, fee: &str| {
        json!({ "xml": { "appid": "wxd678efh567hg6787", "mch_id": "1900000001",
        "out_trade_no": "V1", "out_refund_no": no, "total_fee": "100", "refund_fee": fee }, "security": true })
    };
    let r = client
        .chain("v2/secapi/pay/refund")
        .post(refund("VR1", "30"))
        .await
        .unwrap()
        .xml()
        .unwrap();
    assert_eq!(
        (r["refund_fee"].as_str(), r["out_refund_no"].as_str()),
        (Some("30"), Some("VR1"))
    );
    assert_eq!(
        v2_code(
            client
                .chain("v2/secapi/pay/refund")
                .post(refund("VR2", "71"))
                .await
        ),
        "NOTENOUGH"
    );
    let rq = client
        .chain("v2/pay/refundquery")
        .post(json!({ "xml": { "appid": "wxd678efh567hg6787", "mch_id": "1900000001", "out_trade_no": "V1" } }))
        .await
        .unwrap()
        .xml()
        .unwrap();
    assert_eq!(
        (rq["refund_count"].as_str(), rq["out_refund_no_0"].as_str()),
        (Some("1"), Some("VR1"))
    );
    assert_eq!(rq["refund_status_0"], "SUCCESS");
    let date = today().replace('-', "");
    server.set_same_day_bills(true);
    let bill = client
        .chain("v2/pay/downloadbill")
        .post(json!({ "xml": { "appid": "wxd678efh567hg6787", "mch_id": "1900000001", "bill_date": date, "bill_type": "ALL" } }))
        .await
        .unwrap();
    let text = String::from_utf8(bill.body().to_vec()).unwrap();
    assert!(text.contains("`V1,") && text.contains("`VR1,"), "{text}");
}

#[tokio::test]
async fn the_admin_api_scripts_pays_faults_and_configures() {
    let (server, client) = strict().await;
    let http = reqwest::Client::builder()
        .no_proxy()
        .tls_certs_merge(reqwest::Certificate::from_pem_bundle(server.ca_pem().as_bytes()).unwrap())
        .build()
        .unwrap();
    let admin = format!("{}__emulator/", server.url());
    let config: Value = http
        .get(format!("{admin}config"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
        .parse::<Value>()
        .unwrap();
    assert_eq!(config["base_url"], server.url());
    assert_eq!(config["mchid"], "1900000001");
    assert_eq!(config["public_key_id"], server.public_key_id());
    assert_eq!(config["apiv3_key"], server.merchant().apiv3_key.as_str());
    assert!(config["private_key_pem"]
        .as_str()
        .unwrap()
        .contains("PRIVATE KEY"));
    assert_eq!(config, server.config_json());

    client
        .chain("v3/pay/transactions/jsapi")
        .post(jsapi("AD1", 9, "http://127.0.0.1:9/"))
        .await
        .unwrap();
    let paid: Value = http
        .post(format!("{admin}orders/AD1/pay"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
        .parse::<Value>()
        .unwrap();
    assert_eq!(paid["trade_state"], "SUCCESS");
    assert_eq!(query(&client, "AD1").await["trade_state"], "SUCCESS");
    let missing = http
        .post(format!("{admin}orders/NOPE/pay"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);

    let script = json!({ "method": "GET", "template": "v3/merchant-service/complaints-v2", "status": 200, "json": { "data": [], "total_count": 0 } });
    assert!(http
        .post(format!("{admin}script"))
        .body(script.to_string())
        .send()
        .await
        .unwrap()
        .status()
        .is_success());
    let res = client
        .chain("v3/merchant-service/complaints-v2")
        .get(json!({}))
        .await
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(res, json!({ "data": [], "total_count": 0 }));

    assert!(http
        .post(format!("{admin}faults/ServerError"))
        .send()
        .await
        .unwrap()
        .status()
        .is_success());
    assert_eq!(
        api_code(client.chain("v3/certificates").get(json!({})).await).0,
        500
    );
    assert!(http
        .delete(format!("{admin}faults/ServerError"))
        .send()
        .await
        .unwrap()
        .status()
        .is_success());
    // The fault is off: the listing as WeChat Pay answers a merchant with the public key only.
    assert_eq!(
        api_code(client.chain("v3/certificates").get(json!({})).await).0,
        404
    );

    let journal: Value = http
        .get(format!("{admin}journal"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
        .parse::<Value>()
        .unwrap();
    let journal = journal.as_array().unwrap();
    assert!(journal
        .iter()
        .any(|r| r["path"] == "/v3/pay/transactions/jsapi" && r["verified"] == true));

    let (url, got) = handler(client.clone(), 0).await;
    let sent: Value = http
        .post(format!("{admin}notify"))
        .body(json!({ "url": url, "event_type": "TRANSACTION.SUCCESS", "resource": { "out_trade_no": "AD1" } }).to_string())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(sent["status"], 200);
    assert_eq!(got.lock().unwrap()[0]["resource"]["out_trade_no"], "AD1");
    let refused = http
        .post(format!("{admin}notify"))
        .body(
            json!({ "url": "https://example.com/", "event_type": "TRANSACTION.SUCCESS" })
                .to_string(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 502);
}

/// `wechatpay mock --json` prints one JSON object: the environment values and the config.
#[test]
fn the_cli_prints_its_config_as_json() {
    let Some(bin) = option_env!("CARGO_BIN_EXE_wechatpay") else {
        return; // built without the `cli` feature
    };
    use std::io::BufRead;
    let mut child = std::process::Command::new(bin)
        .args(["mock", "--json", "--strict"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let _ = child.kill();
    let _ = child.wait();
    let v: Value = line.parse().unwrap();
    assert!(v["base_url"]
        .as_str()
        .unwrap()
        .starts_with("https://127.0.0.1:"));
    assert_eq!(v["WECHATPAY_BASE_URI"], v["base_url"]);
    assert_eq!(v["WECHATPAY_MCHID"], "1900000001");
    assert_eq!(v["strict"], true);
    assert!(v["ca_pem"].as_str().unwrap().contains("BEGIN CERTIFICATE"));
}
