//! One notification of every documented event type (all 114 pages' lines, APIv3 and APIv2) sent
//! by the emulator to a loopback handler, parsed back by the crate's own parsers (signature,
//! decryption) and checked against its documented field table.
#![cfg(feature = "mock")]

mod notifications;

use notifications::{handler, problems, success};
use serde_json::{json, Value};
use wechatpay::catalogue::notifications::{all, Notification, Sealing};
use wechatpay::catalogue::Protocol;
use wechatpay::mock::Server;
use wechatpay::Client;

/// The decrypted content of one received notification, checked: (content, APIv2 text values).
fn open(
    client: &Client,
    server: &Server,
    n: &Notification,
    headers: &http::HeaderMap,
    body: &[u8],
) -> (Value, bool) {
    let secret = server.merchant().apiv2_secret.as_str();
    match n.sealing {
        Sealing::Resource => {
            assert_eq!(
                headers["Wechatpay-Signature-Type"], "WECHATPAY2-SHA256-RSA2048",
                "{}",
                n.name
            );
            assert!(
                headers["Request-ID"].to_str().unwrap().ends_with("-0"),
                "{}",
                n.name
            );
            let parsed = client.parse_notification(headers, body).unwrap();
            assert_eq!(
                Some(&parsed.event_type),
                n.event_type.as_ref(),
                "{}",
                n.name
            );
            assert_eq!(
                parsed.resource_type,
                n.resource_type
                    .first()
                    .map_or("encrypt-resource", String::as_str)
            );
            if !n.original_type.is_empty() {
                assert!(
                    n.original_type.contains(&parsed.original_type),
                    "{}",
                    n.name
                );
            }
            let envelope: Value = serde_json::from_slice(body).unwrap();
            for k in [
                "id",
                "create_time",
                "event_type",
                "resource_type",
                "summary",
            ] {
                assert!(envelope[k].is_string(), "{}: {k}", n.name);
            }
            for k in [
                "original_type",
                "algorithm",
                "associated_data",
                "nonce",
                "ciphertext",
            ] {
                assert!(
                    envelope["resource"][k].is_string(),
                    "{}: resource.{k}",
                    n.name
                );
            }
            (parsed.resource, false)
        }
        Sealing::None => {
            let fields = wechatpay::v2::xml::from_xml(std::str::from_utf8(body).unwrap()).unwrap();
            if fields.contains_key("return_code") {
                client.parse_v2_notification(body).unwrap();
            } else {
                wechatpay::v2::sign::verify(&fields, secret).unwrap();
            }
            (Value::Object(fields), true)
        }
        Sealing::ReqInfo => {
            let fields = wechatpay::v2::xml::from_xml(std::str::from_utf8(body).unwrap()).unwrap();
            let mut outer = Vec::new();
            problems(
                &n.xml,
                &Value::Object(fields.clone()),
                &n.name,
                true,
                &mut outer,
            );
            assert!(outer.is_empty(), "{outer:?}");
            let inner = client
                .decrypt_v2_refund(fields["req_info"].as_str().unwrap())
                .unwrap();
            (Value::Object(inner), true)
        }
        Sealing::EventCiphertext => {
            let fields = wechatpay::v2::xml::from_xml(std::str::from_utf8(body).unwrap()).unwrap();
            wechatpay::v2::sign::verify(&fields, secret).unwrap();
            assert_eq!(fields["sign"].as_str().unwrap().len(), 64, "HMAC-SHA256");
            let mut outer = Vec::new();
            problems(
                &n.xml,
                &Value::Object(fields.clone()),
                &n.name,
                true,
                &mut outer,
            );
            assert!(outer.is_empty(), "{outer:?}");
            let s = |k: &str| fields[k].as_str().unwrap().to_string();
            let plain = wechatpay::crypto::aes::aes_256_gcm_decrypt(
                server.merchant().apiv3_key.as_bytes(),
                s("event_nonce").as_bytes(),
                s("event_associated_data").as_bytes(),
                &s("event_ciphertext"),
            )
            .unwrap();
            (serde_json::from_slice(&plain).unwrap(), false)
        }
    }
}

#[tokio::test]
async fn every_documented_notification_is_sent_parsed_and_as_documented() {
    let server = Server::start().await.unwrap();
    let client = server.client_builder().build().unwrap();
    let (url, got) = handler(success()).await;
    let all = all();
    assert_eq!(all.len(), 114);
    let mut checked = (0, 0);
    for n in all {
        let sent = server
            .send_notification(&n.name, &url, &json!({}))
            .await
            .unwrap();
        assert!(sent.accepted, "{}: {}", n.name, sent.status);
        let (headers, body) = got.lock().unwrap().pop().unwrap();
        let (content, text) = open(&client, &server, n, &headers, &body);
        let table = if n.sealing == Sealing::None {
            &n.xml
        } else {
            &n.resource
        };
        let mut found = Vec::new();
        problems(table, &content, &n.name, text, &mut found);
        assert!(found.is_empty(), "{found:?}");
        let mut opened = content.clone();
        if n.sealing == Sealing::None {
            // Added when signed.
            for k in ["nonce_str", "sign", "sign_type"] {
                opened.as_object_mut().unwrap().remove(k);
            }
        }
        assert_eq!(
            opened, sent.content,
            "{}: what was sealed is what was opened",
            n.name
        );
        // Sensitive fields are RSA-OAEP under the merchant's key: the client opens them.
        for f in table
            .iter()
            .filter(|f| f.encrypted && n.sealing == Sealing::Resource)
        {
            if let Some(c) = content[&f.name].as_str() {
                assert_eq!(client.decrypt(c).unwrap(), "emulated", "{}", n.name);
            }
        }
        match n.protocol {
            Protocol::V3 => checked.0 += 1,
            Protocol::V2 => checked.1 += 1,
        }
    }
    assert_eq!(checked, (104, 10));
}

#[tokio::test]
async fn the_callers_values_are_merged_and_a_v2_order_sign_type_is_used() {
    let server = Server::start().await.unwrap();
    let client = server.client_builder().build().unwrap();
    let (url, got) = handler(success()).await;
    let over = json!({"out_refund_no": "R-merged", "amount": {"refund": 42}});
    let sent = server
        .send_notification("REFUND.SUCCESS", &url, &over)
        .await
        .unwrap();
    assert_eq!(sent.content["amount"]["refund"], 42);
    assert!(
        sent.content["amount"]["total"].is_number(),
        "kept beside the override"
    );
    let (headers, body) = got.lock().unwrap().pop().unwrap();
    let n = client.parse_notification(&headers, &body).unwrap();
    assert_eq!(n.resource["out_refund_no"], "R-merged");
    assert_eq!(n.summary, "退款成功");
    // An APIv2 page with no sign_type row is signed MD5, WeChat Pay's default.
    server
        .send_notification(
            "v2/transaction-success",
            &url,
            &json!({"out_trade_no": "V2-1"}),
        )
        .await
        .unwrap();
    let (_, body) = got.lock().unwrap().pop().unwrap();
    let fields = client.parse_v2_notification(&body).unwrap();
    assert_eq!(fields["out_trade_no"], "V2-1");
    assert_eq!(fields["sign"].as_str().unwrap().len(), 32, "MD5");
    // Unknown names are refused in WeChat Pay's terms.
    let err = server
        .send_notification("NO.SUCH", &url, &json!({}))
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("documents no notification NO.SUCH"),
        "{err}"
    );
}
