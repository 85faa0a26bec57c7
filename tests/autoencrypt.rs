//! Opt-in encryption of the documented sensitive fields: plain text in, the emulator (which
//! decrypts every `encrypted` field with its platform key) accepts it; off by default.
#![cfg(all(feature = "mock", feature = "catalogue"))]

use serde_json::json;
use wechatpay::mock::Server;

const ADD: &str = "v3/profitsharing/receivers/add";

fn receiver(name: &str) -> serde_json::Value {
    json!({"json": {"appid": "wx8888888888888888", "type": "PERSONAL_OPENID", "account": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o",
                    "name": name, "relation_type": "STORE"}})
}

#[tokio::test]
async fn plain_text_sensitive_fields_are_encrypted_when_asked() {
    let server = Server::start().await.unwrap();
    let on = server
        .client_builder()
        .encrypt_documented_fields(true)
        .build()
        .unwrap();
    let res = on.chain(ADD).post(receiver("张三")).await.unwrap();
    assert_eq!(res.status(), 200);
    let sent = server.journal().pop().unwrap();
    let body: serde_json::Value = serde_json::from_slice(&sent.body).unwrap();
    let name = body["name"].as_str().unwrap();
    assert_ne!(name, "张三", "never sent in clear");
    assert_eq!(server.decrypt(name).unwrap(), "张三");
    assert_eq!(sent.headers["wechatpay-serial"], server.public_key_id());

    // Already encrypted: sent as given.
    let own = on.encrypt("李四").unwrap();
    on.chain(ADD).post(receiver(&own.ciphertext)).await.unwrap();
    let sent = server.journal().pop().unwrap();
    let body: serde_json::Value = serde_json::from_slice(&sent.body).unwrap();
    assert_eq!(body["name"], own.ciphertext.as_str());

    // Off by default: the plain text goes as written, and WeChat Pay (here the emulator) refuses it.
    let off = server.client_builder().build().unwrap();
    let e = off.chain(ADD).post(receiver("张三")).await.unwrap_err();
    assert_eq!(e.status().map(|s| s.as_u16()), Some(400), "{e}");
    assert!(e.to_string().contains("name"), "{e}");
}
