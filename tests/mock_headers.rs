//! The emulator's answers and notifications carry WeChat Pay's headers (`Wechatpay-Signature-Type`,
//! `Request-ID` in its form, `Content-Type`), and its values are WeChat Pay's: errors in its words,
//! sensitive answer fields holding what was sent, a payer on every paid order, times of the call.
//! Real sockets on 127.0.0.1: the crate's client, a plain HTTPS client, a raw TCP handler.
#![cfg(feature = "mock")]

use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use wechatpay::http::HeaderMap;
use wechatpay::mock::{Mode, Server};
use wechatpay::{Client, Error};

const TYPE: &str = "Wechatpay-Signature-Type";
const RSA: &str = "WECHATPAY2-SHA256-RSA2048";
const JSON: &str = "application/json; charset=utf-8";

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// `Request-ID` as WeChat Pay writes it: upper-case hex of varint fields, the first (`08`) the
/// time, then `-0`. Returns that time.
fn request_id_time(headers: &HeaderMap) -> i64 {
    let all: Vec<_> = headers.get_all("Request-ID").iter().collect();
    assert_eq!(all.len(), 1, "{headers:?}");
    let id = all[0].to_str().unwrap();
    let hex = id.strip_suffix("-0").unwrap_or_else(|| panic!("{id}"));
    assert!(hex.len() % 2 == 0 && hex.len() >= 20, "{id}");
    let bytes: Vec<u8> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect();
    assert!(hex.bytes().all(|b| !b.is_ascii_lowercase()), "{id}");
    assert_eq!(bytes[0], 0x08, "{id}");
    let (mut value, mut shift) = (0i64, 0);
    for b in &bytes[1..] {
        value |= i64::from(b & 0x7F) << shift;
        shift += 7;
        if b & 0x80 == 0 {
            break;
        }
    }
    value
}

/// A signed APIv3 answer's headers, as WeChat Pay sends them.
fn assert_wechat_headers(h: &HeaderMap, content_type: Option<&str>) {
    let types: Vec<_> = h.get_all(TYPE).iter().collect();
    assert_eq!(types, [RSA], "{h:?}");
    let ts: i64 = h["Wechatpay-Timestamp"].to_str().unwrap().parse().unwrap();
    assert!((request_id_time(h) - ts).abs() <= 1, "{h:?}");
    assert_eq!(
        h.get("Content-Type").map(|v| v.to_str().unwrap()),
        content_type
    );
}

#[tokio::test]
async fn answers_carry_the_signature_type_request_id_and_content_type() {
    for mode in [Mode::PublicKey, Mode::Certificate] {
        let server = Server::builder().mode(mode).start().await.unwrap();
        let client = server
            .client_builder()
            .platform_certificate(server.platform_certificate_pem())
            .build()
            .unwrap();
        let order = client
            .chain("v3/pay/transactions/out-trade-no/{out_trade_no}")
            .get(json!({"out_trade_no": "T1", "query": {"mchid": "1900000001"}}))
            .await
            .unwrap();
        assert_wechat_headers(order.headers(), Some(JSON));
        // An error answer is signed and shaped the same way.
        let e = client
            .chain("v3/pay/transactions/native")
            .post(json!({"json": {"mchid": "1900000001"}}))
            .await
            .unwrap_err();
        let Error::Api {
            status, headers, ..
        } = &e
        else {
            panic!("{e:?}")
        };
        assert_eq!(status.as_u16(), 400);
        assert_wechat_headers(headers, Some(JSON));
        // A 204 has no body and no Content-Type, but is signed.
        let closed = client
            .chain("v3/pay/transactions/out-trade-no/{out_trade_no}/close")
            .post(json!({"out_trade_no": "T1", "json": {"mchid": "1900000001"}}))
            .await
            .unwrap();
        assert_eq!(closed.status().as_u16(), 204);
        assert_wechat_headers(closed.headers(), None);
    }
}

#[tokio::test]
async fn fast_mode_answers_carry_them_too() {
    let server = Server::builder().fast(true).start().await.unwrap();
    let client = server.client_builder().build().unwrap();
    let res = client.chain("v3/anything").get(json!({})).await.unwrap();
    assert_wechat_headers(res.headers(), Some(JSON));
}

/// Reads one HTTP/1.1 request from a raw socket, answers `200`, and returns its head and body.
async fn one_request(listener: tokio::net::TcpListener) -> (String, Vec<u8>) {
    let (mut socket, _) = listener.accept().await.unwrap();
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = socket.read(&mut chunk).await.unwrap();
        assert!(n > 0, "the request ended early");
        buf.extend_from_slice(&chunk[..n]);
        let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8(buf[..end].to_vec()).unwrap();
        let length: usize = head
            .lines()
            .find_map(|l| {
                l.to_ascii_lowercase()
                    .strip_prefix("content-length:")
                    .map(|v| v.trim().parse().unwrap())
            })
            .unwrap_or(0);
        if buf.len() >= end + 4 + length {
            socket
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
                .await
                .unwrap();
            return (head, buf[end + 4..end + 4 + length].to_vec());
        }
    }
}

#[tokio::test]
async fn notifications_carry_the_signature_type_and_a_request_id() {
    let server = Server::start().await.unwrap();
    let client = server.client_builder().build().unwrap();
    let resource = json!({"out_trade_no": "T1", "trade_state": "SUCCESS"});
    let (headers, body) = server
        .notification("TRANSACTION.SUCCESS", &resource)
        .unwrap();
    assert_wechat_headers(&headers, Some("application/json"));
    assert_eq!(
        client.parse_notification(&headers, &body).unwrap().resource,
        resource
    );

    // As delivered over a socket, to a handler that reads the raw request.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/notify", listener.local_addr().unwrap());
    let handler = tokio::spawn(one_request(listener));
    let status = server
        .notify(&url, "TRANSACTION.SUCCESS", &resource)
        .await
        .unwrap();
    assert_eq!(status.as_u16(), 200);
    let (head, body) = handler.await.unwrap();
    let mut received = HeaderMap::new();
    for line in head.lines().skip(1) {
        let (k, v) = line.split_once(':').unwrap();
        received.append(
            wechatpay::http::HeaderName::from_bytes(k.trim().as_bytes()).unwrap(),
            v.trim().parse().unwrap(),
        );
    }
    assert_wechat_headers(&received, Some("application/json"));
    assert_eq!(
        client
            .parse_notification(&received, &body)
            .unwrap()
            .resource,
        resource
    );
}

/// A refusal's message, from a client call that must fail with `400 PARAM_ERROR`.
fn param_error(result: wechatpay::Result<wechatpay::Response>) -> String {
    match result {
        Err(Error::Api {
            status,
            code,
            message,
            ..
        }) if status.as_u16() == 400 => {
            assert_eq!(code.as_deref(), Some("PARAM_ERROR"));
            message.unwrap_or_default()
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn sensitive_fields_are_refused_in_wechat_pay_words_and_answered_with_the_value_sent() {
    let server = Server::start().await.unwrap();
    let client: Client = server.client_builder().build().unwrap();
    let add = client.chain("v3/profitsharing/receivers/add");
    let receiver = |name: &str| {
        json!({"headers": {"Wechatpay-Serial": server.public_key_id()}, "json": {
            "appid": "wxd678efh567hg6787", "type": "PERSONAL_OPENID", "account": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o",
            "name": name, "relation_type": "STORE"}})
    };
    let message = param_error(add.post(receiver("张三")).await);
    assert!(
        message.contains("请确认待处理的消息是否为加密后的密文"),
        "{message}"
    );
    for crate_word in ["client.", "encrypt(", "wechatpay::", "Client"] {
        assert!(!message.contains(crate_word), "{message}");
    }
    let sealed = client.encrypt("张三").unwrap().ciphertext;
    let answer = add.post(receiver(&sealed)).await.unwrap().json().unwrap();
    let name = answer["name"]
        .as_str()
        .expect("the answer carries the name sent");
    assert_ne!(name, sealed, "sealed again, for the merchant");
    assert_eq!(client.decrypt(name).unwrap(), "张三");

    // The echo call: what was sent encrypted comes back, encrypted for the merchant.
    let echo = client.encrypt("回声 echo").unwrap();
    let answer = client
        .chain("v3/security/echo")
        .post(json!({"headers": {"Wechatpay-Serial": echo.serial},
            "json": {"echo_message": "plain", "encrypted_echo_message": echo.ciphertext}}))
        .await
        .unwrap()
        .json()
        .unwrap();
    let back = answer["encrypted_echo_message"].as_str().unwrap();
    assert_eq!(client.decrypt(back).unwrap(), "回声 echo");
}

/// Unix seconds of `yyyy-MM-ddTHH:mm:ss+08:00` (or APIv2's `yyyyMMddHHmmss`, Beijing time).
fn beijing_unix(t: &str) -> i64 {
    let digits: String = t
        .trim_end_matches("+08:00")
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    assert_eq!(digits.len(), 14, "{t}");
    let n = |r: std::ops::Range<usize>| digits[r].parse::<i64>().unwrap();
    let (y, m, d) = (n(0..4), n(4..6), n(6..8));
    // Days from 1970-01-01 (H. Hinnant's days_from_civil).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let days = era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468;
    days * 86_400 + n(8..10) * 3600 + n(10..12) * 60 + n(12..14) - 8 * 3600
}

#[tokio::test]
async fn synthesized_times_are_the_time_of_the_call() {
    assert_eq!(beijing_unix("2018-06-08T10:34:56+08:00"), 1_528_425_296);
    let server = Server::start().await.unwrap();
    let client = server.client_builder().build().unwrap();
    let before = unix_now();
    let order = client
        .chain("v3/pay/transactions/out-trade-no/{out_trade_no}")
        .get(json!({"out_trade_no": "T9", "query": {"mchid": "1900000001"}}))
        .await
        .unwrap()
        .json()
        .unwrap();
    let v2 = client
        .chain("v2/pay/orderquery")
        .post(json!({"xml": {"appid": "wxd678efh567hg6787", "mch_id": "1900000001", "out_trade_no": "T9"}}))
        .await
        .unwrap()
        .xml()
        .unwrap();
    let after = unix_now();
    let t = order["success_time"].as_str().expect("a synthesized time");
    assert!(
        t.ends_with("+08:00") && t.len() == 25 && t.as_bytes()[10] == b'T',
        "{t}"
    );
    let t2 = v2["time_end"].as_str().expect("a synthesized APIv2 time");
    for t in [t, t2] {
        let at = beijing_unix(t);
        assert!(
            (before..=after).contains(&at),
            "{t} is not the time of the call"
        );
    }
}

#[tokio::test]
async fn a_native_order_paid_through_the_admin_api_has_a_payer() {
    let server = Server::start().await.unwrap();
    let client = server.client_builder().build().unwrap();
    let http = reqwest::Client::builder()
        .tls_certs_merge([reqwest::Certificate::from_pem(server.ca_pem().as_bytes()).unwrap()])
        .build()
        .unwrap();
    let natives = client.chain("v3/pay/transactions/native");
    let native = |no: &str| {
        natives.post(json!({"json": {
            "appid": "wxd678efh567hg6787", "mchid": "1900000001", "description": "Image形象店",
            "out_trade_no": no, "notify_url": "https://www.weixin.qq.com/wxpay/pay.php",
            "amount": {"total": 100}}}))
    };
    let pay = |no: &str, body: Option<Value>| {
        let mut req = http.post(format!("{}__emulator/orders/{no}/pay", server.url()));
        if let Some(body) = body {
            req = req.body(body.to_string());
        }
        req.send()
    };
    let by_no = client.chain("v3/pay/transactions/out-trade-no/{out_trade_no}");
    let query = |no: &str| by_no.get(json!({"out_trade_no": no, "query": {"mchid": "1900000001"}}));
    native("N1").await.unwrap();
    let paid: Value =
        serde_json::from_slice(&pay("N1", None).await.unwrap().bytes().await.unwrap()).unwrap();
    let openid = paid["payer"]["openid"].as_str().unwrap().to_string();
    assert!(openid.len() == 28 && openid.starts_with('o'), "{openid}");
    assert!(
        openid
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-'),
        "{openid}"
    );
    let queried = query("N1").await.unwrap().json().unwrap();
    assert_eq!(queried["payer"]["openid"], openid.as_str());

    // A payer chosen by the caller; an unusable one is refused.
    native("N2").await.unwrap();
    let bad = pay("N2", Some(json!({"openid": ""}))).await.unwrap();
    assert_eq!(bad.status(), 400);
    let chosen = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o";
    let paid = pay("N2", Some(json!({"openid": chosen}))).await.unwrap();
    let paid: Value = serde_json::from_slice(&paid.bytes().await.unwrap()).unwrap();
    assert_eq!(paid["payer"]["openid"], chosen);
    native("N3").await.unwrap();
    assert_eq!(
        server.pay_as("N3", "o_chosen_by_rust").unwrap()["payer"]["openid"],
        "o_chosen_by_rust"
    );
}
