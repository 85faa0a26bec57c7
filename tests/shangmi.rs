//! 国密 end to end: a 国密 client (`ClientBuilder::shangmi_private_key`) against the emulator in
//! its 国密 mode (`ServerBuilder::shangmi(true)`), over sockets on 127.0.0.1: an order, its
//! query, a notification (AEAD_SM4_GCM, SM2-signed) delivered to a handler, sensitive fields
//! both ways (SM2), the SM2 certificate listing; and the refusals between the schemes.
#![cfg(all(feature = "mock", feature = "shangmi"))]

use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use wechatpay::http::{HeaderMap, HeaderName, HeaderValue};
use wechatpay::mock::Server;
use wechatpay::Error;

const SM2_TYPE: &str = "WECHATPAY2-SM2-WITH-SM3";

fn order(no: &str) -> Value {
    json!({ "json": {
        "appid": "wxd678efh567hg6787", "mchid": "1900000001", "description": "Image形象店-深圳腾大-QQ公仔",
        "out_trade_no": no, "notify_url": "https://example.com/notify",
        "amount": { "total": 100, "currency": "CNY" },
    }})
}

/// One HTTP request read from a raw socket: its headers and body; answered `200`.
async fn receive_one(listener: tokio::net::TcpListener) -> (HeaderMap, Vec<u8>) {
    let (mut stream, _) = listener.accept().await.unwrap();
    let mut data = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = stream.read(&mut buf).await.unwrap();
        assert!(n > 0, "the connection closed before the request was whole");
        data.extend_from_slice(&buf[..n]);
        let Some(end) = data.windows(4).position(|w| w == b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8(data[..end].to_vec()).unwrap();
        let mut headers = HeaderMap::new();
        for line in head.lines().skip(1) {
            let (k, v) = line.split_once(':').unwrap();
            headers.append(
                HeaderName::from_bytes(k.trim().as_bytes()).unwrap(),
                HeaderValue::from_str(v.trim()).unwrap(),
            );
        }
        let length: usize = headers["content-length"].to_str().unwrap().parse().unwrap();
        if data.len() >= end + 4 + length {
            stream
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                .await
                .unwrap();
            return (headers, data[end + 4..end + 4 + length].to_vec());
        }
    }
}

#[tokio::test]
async fn the_whole_flow_runs_under_sm2_sm3_and_sm4() {
    let server = Server::builder().shangmi(true).start().await.unwrap();
    let client = server.client_builder().build().unwrap();
    assert_eq!(client.scheme().name, SM2_TYPE);

    // Order and query: signed SM2 by the client, checked by the emulator, answered SM2.
    let created = client
        .chain("v3/pay/transactions/native")
        .post(order("SM1"))
        .await
        .unwrap();
    assert_eq!(created.headers()["Wechatpay-Signature-Type"], SM2_TYPE);
    assert!(created.json().unwrap()["code_url"].is_string());
    let journal = server.journal();
    let auth = journal.last().unwrap().headers["authorization"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        auth.starts_with("WECHATPAY2-SM2-WITH-SM3 mchid=\"1900000001\",serial_no=\""),
        "{auth}"
    );
    let queried = client
        .chain("v3/pay/transactions/out-trade-no/{out_trade_no}")
        .get(json!({ "out_trade_no": "SM1", "query": { "mchid": "1900000001" } }))
        .await
        .unwrap();
    assert_eq!(queried.json().unwrap()["out_trade_no"], "SM1");

    // A notification delivered to a handler: SM2-signed, its resource AEAD_SM4_GCM.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/notify", listener.local_addr().unwrap());
    let received = tokio::spawn(receive_one(listener));
    let resource = json!({ "out_trade_no": "SM1", "trade_state": "SUCCESS" });
    let status = server
        .notify(&url, "TRANSACTION.SUCCESS", &resource)
        .await
        .unwrap();
    assert_eq!(status.as_u16(), 200);
    let (headers, body) = received.await.unwrap();
    assert_eq!(headers["wechatpay-signature-type"], SM2_TYPE);
    let envelope: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(envelope["resource"]["algorithm"], "AEAD_SM4_GCM");
    let n = client.parse_notification(&headers, &body).unwrap();
    assert_eq!(n.resource["out_trade_no"], "SM1");
    let mut tampered = body.clone();
    tampered[body.len() / 2] ^= 1;
    assert!(matches!(
        client.parse_notification(&headers, &tampered),
        Err(Error::Signature(_))
    ));

    // Sensitive fields: SM2 to WeChat Pay's certificate (its serial to send), and back.
    let name = client.encrypt("张三").unwrap();
    let listed = server.shangmi_platform_certificate().unwrap();
    let cert = wechatpay::crypto::sm::Sm2Certificate::from_pem(&listed).unwrap();
    assert_eq!(name.serial, cert.serial_no());
    assert_eq!(server.decrypt(&name.ciphertext).unwrap(), "张三");
    let back = server.shangmi_encrypt_for("1900000001", "李四").unwrap();
    assert_eq!(client.decrypt(&back).unwrap(), "李四");

    // A documented sensitive field: opened by the emulator with its SM2 key, sealed back in the
    // answer with the merchant's; RSA-OAEP or garbage is refused in WeChat Pay's words.
    let receiver = |name: &str| {
        json!({ "json": {
            "appid": "wxd678efh567hg6787", "type": "MERCHANT_ID", "account": "86693852",
            "name": name, "relation_type": "STORE",
        }})
    };
    let add = client.chain("v3/profitsharing/receivers/add");
    let sealed = client.encrypt("示例商户全称").unwrap();
    let answer = add
        .post(receiver(&sealed.ciphertext))
        .await
        .unwrap()
        .json()
        .unwrap();
    let echoed = answer["name"].as_str().unwrap();
    assert_ne!(echoed, sealed.ciphertext);
    assert_eq!(client.decrypt(echoed).unwrap(), "示例商户全称");
    let e = add
        .post(receiver("bm90IGNpcGhlcnRleHQ="))
        .await
        .unwrap_err();
    let says = e.to_string();
    assert!(says.contains("name") && says.contains("SM2"), "{says}");

    // The SM2 certificate listing: verified, opened with the SM4 key from the APIv3 key.
    let certs = client.download_sm2_certificates().await.unwrap();
    assert_eq!(certs.len(), 1);
    assert_eq!(certs[0].serial_no(), cert.serial_no());
    let bad = client
        .chain("v3/certificates")
        .get(json!({ "query": { "algorithm_type": "SM9" } }))
        .await;
    assert!(matches!(bad, Err(Error::Api { .. })), "{bad:?}");
}

#[tokio::test]
async fn the_schemes_do_not_mix() {
    let sm = Server::builder().shangmi(true).start().await.unwrap();
    let (serial, key) = sm.shangmi_merchant_key("1900000001").unwrap();
    let platform = sm.shangmi_platform_certificate().unwrap();

    // The merchant's RSA client against the 国密 emulator: WeChat Pay answers another scheme
    // `401 SIGN_ERROR`, signed SM2, which the RSA client verifies with none of its keys.
    let m = sm.merchant();
    let rsa = wechatpay::Client::builder()
        .mchid(&m.mchid)
        .serial(&m.serial)
        .private_key(m.private_key_pem.as_bytes())
        .apiv3_key(m.apiv3_key.as_bytes())
        .base_uri(sm.url())
        .add_root_certificate(sm.ca_pem())
        .build()
        .unwrap();
    let refused = rsa
        .chain("v3/pay/transactions/native")
        .post(order("R1"))
        .await;
    assert!(
        matches!(refused, Err(Error::Signature(_)) | Err(Error::Api { .. })),
        "{refused:?}"
    );
    let last = sm.journal().pop().unwrap();
    assert_eq!(last.outcome, "SIGN_ERROR");

    // A 国密 client against an RSA emulator: its SM2 request is refused there, and the RSA
    // answer fails by name: an RSA-typed answer and only SM2 keys.
    let plain = Server::start().await.unwrap();
    let client = wechatpay::Client::builder()
        .mchid("1900000001")
        .serial(&serial)
        .shangmi_private_key(&key)
        .shangmi_platform_certificate(&platform)
        .base_uri(plain.url())
        .add_root_certificate(plain.ca_pem())
        .build()
        .unwrap();
    let e = client
        .chain("v3/pay/transactions/native")
        .post(order("SM2"))
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("Wechatpay-Serial") || e.contains("RSA"), "{e}");

    // The builder: SM2 keys of WeChat Pay without the merchant's SM2 key, and an RSA key
    // beside the SM2 key, are refused by name.
    let e = wechatpay::Client::builder()
        .mchid("1900000001")
        .serial(&serial)
        .private_key(m.private_key_pem.as_bytes())
        .shangmi_platform_certificate(&platform)
        .build()
        .unwrap_err()
        .to_string();
    assert!(e.contains("shangmi_private_key"), "{e}");
    let e = wechatpay::Client::builder()
        .mchid("1900000001")
        .serial(&serial)
        .private_key(m.private_key_pem.as_bytes())
        .shangmi_private_key(&key)
        .shangmi_platform_certificate(&platform)
        .build()
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("`private_key`") && e.contains("shangmi_private_key"),
        "{e}"
    );
    // WeChat Pay's certificate must not be the merchant's own key.
    let own = wechatpay::crypto::sm::Sm2Certificate::self_signed(
        &wechatpay::crypto::sm::Sm2PrivateKey::from_pem(&key).unwrap(),
        "11",
        "1900000001",
        0,
        4_000_000_000,
    )
    .unwrap();
    let e = wechatpay::Client::builder()
        .mchid("1900000001")
        .serial(&serial)
        .shangmi_private_key(&key)
        .shangmi_platform_certificate(own.to_pem())
        .build()
        .unwrap_err()
        .to_string();
    assert!(e.contains("your own SM2 key"), "{e}");
}
