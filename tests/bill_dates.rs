//! `bill_date` refused as WeChat Pay refuses it, over APIv3 and APIv2: a malformed date, today
//! (made the next morning), a future day, a day without movement, a day more than three months
//! back; and the same-day switch. Over real sockets, against `wechatpay::mock`.
#![cfg(feature = "mock")]

use serde_json::{json, Value};
use wechatpay::mock::Server;
use wechatpay::{Client, Error};

/// `yyyy-MM-dd` in Beijing of unix time `t`.
fn beijing_date(t: i64) -> String {
    let days = (t + 8 * 3600).div_euclid(86_400);
    let (z, era) = (days + 719_468, (days + 719_468).div_euclid(146_097));
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    format!("{:04}-{m:02}-{d:02}", yoe + era * 400 + i64::from(m <= 2))
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// Downloads the bill a v3 bill call hands out.
async fn v3_file(client: &Client, path: &str, query: Value) -> Vec<u8> {
    let handed = client
        .chain(path)
        .get(json!({ "query": query }))
        .await
        .unwrap()
        .json()
        .unwrap();
    client
        .chain("{+download_url}")
        .get(json!({"download_url": handed["download_url"]}))
        .await
        .unwrap()
        .body()
        .to_vec()
}

/// `(status, code)` of a refused v3 bill call.
async fn v3_refusal(client: &Client, path: &str, date: &str) -> (u16, String) {
    match client
        .chain(path)
        .get(json!({"query": {"bill_date": date}}))
        .await
    {
        Err(e @ Error::Api { .. }) => (
            e.status().unwrap().as_u16(),
            e.code().unwrap_or("").to_string(),
        ),
        other => panic!("{path} {date}: {other:?}"),
    }
}

#[tokio::test]
async fn v3_bill_dates_are_refused_as_wechat_pay_refuses_them() {
    let server = Server::start().await.unwrap();
    let client = server.client_builder().build().unwrap();
    let t = now();
    let (today, yesterday) = (beijing_date(t), beijing_date(t - 86_400));
    let long_ago = beijing_date(t - 100 * 86_400);
    for path in ["v3/bill/tradebill", "v3/bill/fundflowbill"] {
        for (date, want) in [
            ("2026-13-45", (400, "PARAM_ERROR")),
            ("20260101", (400, "PARAM_ERROR")),
            ("2026-02-30", (400, "PARAM_ERROR")),
            (today.as_str(), (400, "STATEMENT_CREATING")),
            ("2099-01-01", (400, "NO_STATEMENT_EXIST")),
            (yesterday.as_str(), (400, "NO_STATEMENT_EXIST")),
            (long_ago.as_str(), (400, "INVALID_REQUEST")),
        ] {
            let (status, code) = v3_refusal(&client, path, date).await;
            assert_eq!((status, code.as_str()), want, "{path} {date}");
        }
    }
    // Same-day bills (the admin API's switch): today's bill is handed out once there is one.
    let http = reqwest::Client::builder()
        .no_proxy()
        .tls_certs_merge(reqwest::Certificate::from_pem_bundle(server.ca_pem().as_bytes()).unwrap())
        .build()
        .unwrap();
    let admin = format!("{}__emulator/same-day-bills", server.url());
    assert!(http
        .post(&admin)
        .send()
        .await
        .unwrap()
        .status()
        .is_success());
    let (_, code) = v3_refusal(&client, "v3/bill/tradebill", &today).await;
    assert_eq!(code, "NO_STATEMENT_EXIST", "nothing was paid today");
    client
        .chain("v3/pay/transactions/native")
        .post(
            json!({"json": {"appid": "wxd678efh567hg6787", "mchid": "1900000001",
            "description": "x", "out_trade_no": "D1", "notify_url": "http://127.0.0.1:9/",
            "amount": {"total": 1, "currency": "CNY"}}}),
        )
        .await
        .unwrap();
    server.pay("D1").unwrap();
    v3_file(&client, "v3/bill/tradebill", json!({"bill_date": today})).await;
    assert!(http
        .delete(&admin)
        .send()
        .await
        .unwrap()
        .status()
        .is_success());
    let (_, code) = v3_refusal(&client, "v3/bill/tradebill", &today).await;
    assert_eq!(code, "STATEMENT_CREATING");
}

#[tokio::test]
async fn v2_bill_dates_are_refused_as_wechat_pay_refuses_them() {
    let server = Server::start().await.unwrap();
    let client = server.client_builder().build().unwrap();
    let t = now();
    let compact = |d: String| d.replace('-', "");
    let (today, yesterday) = (compact(beijing_date(t)), compact(beijing_date(t - 86_400)));
    let long_ago = compact(beijing_date(t - 100 * 86_400));
    let refusal = |r: wechatpay::Result<wechatpay::Response>| match r {
        Err(Error::V2Failure {
            fields, verified, ..
        }) => (fields, verified),
        other => panic!("{other:?}"),
    };
    for (date, msg, code) in [
        ("2026-13-45", "invalid bill_date", Some("20001")),
        ("20261345", "invalid bill_date", Some("20001")),
        (long_ago.as_str(), "invalid bill_date", Some("20001")),
        (today.as_str(), "Bill Creating", None),
        ("20990101", "No Bill Exist", Some("20002")),
        (yesterday.as_str(), "No Bill Exist", Some("20002")),
    ] {
        let r = client
            .chain("v2/pay/downloadbill")
            .post(
                json!({"xml": {"appid": "wxd678efh567hg6787", "mch_id": "1900000001",
                "bill_date": date, "bill_type": "ALL"}}),
            )
            .await;
        let (fields, verified) = refusal(r);
        assert!(!verified, "downloadbill refusals come unsigned");
        assert_eq!(fields["return_code"], "FAIL", "{date}");
        assert_eq!(fields["return_msg"], msg, "{date}");
        assert_eq!(
            fields.get("error_code").and_then(Value::as_str),
            code,
            "{date}"
        );
    }
    for (date, code) in [
        ("2026-13-45", "PARAM_ERROR"),
        (long_ago.as_str(), "PARAM_ERROR"),
        (today.as_str(), "BILL_CREATING"),
        ("20990101", "NO_BILL_EXIST"),
        (yesterday.as_str(), "NO_BILL_EXIST"),
    ] {
        let r = client
            .chain("v2/pay/downloadfundflow")
            .post(
                json!({"security": true, "xml": {"appid": "wxd678efh567hg6787",
                "mch_id": "1900000001", "sign_type": "HMAC-SHA256", "bill_date": date,
                "account_type": "Basic"}}),
            )
            .await;
        let (fields, verified) = refusal(r);
        assert!(verified, "signed HMAC-SHA256, as asked: {date}");
        assert_eq!(
            (fields["result_code"].as_str(), fields["err_code"].as_str()),
            (Some("FAIL"), Some(code)),
            "{date}"
        );
    }
}
