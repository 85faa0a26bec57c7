//! Nothing secret or personal in errors and `Debug`: a proxy or base URI's password, however
//! malformed the URI; a notification's decrypted resource; an upload's content.

use base64::Engine;
use serde_json::{json, Value};
use wechatpay::crypto::aes::aes_256_gcm_encrypt;
use wechatpay::crypto::PrivateKey;
use wechatpay::http::{HeaderMap, HeaderValue};
use wechatpay::{Client, ClientBuilder};

mod support;

const SECRET: &str = "s3cret";

/// URIs carrying the password `s3cret…`, well-formed or not: the URL parser refuses most of
/// them, so the password cannot be found by parsing.
fn uris() -> Vec<String> {
    [
        "https://user:s3cretPW@api.mch.weixin.qq.com:99999/",
        "https://user:s3cretPW@/",
        "https://user:s3cret/PW@host.example/",
        "https://user:s3cret#PW@host.example/",
        "https://user:s3cret?PW@host.example/",
        "https://user:s3cret PW@host.example/",
        "https://user:s3cretPW@[::1/",
        "https://user:s3cretPW@host.example:3128:1/",
        "https://user:s3cretPW@host.example/",
        "https://s3cretTOKEN@host.example/",
        "https://user:s3cretPW@host.example/?q=1",
        "http://user:s3cretPW@host.example/",
        "ftp://user:s3cretPW@host.example/",
        "socks5://user:s3cretPW@host.example:1080",
        "user:s3cretPW@host.example:3128",
        "//user:s3cretPW@host.example/",
        "http://user:s3cretPW@proxy.example:port",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

fn assert_hidden(what: &str, text: &str) {
    assert!(!text.contains(SECRET), "{what} shows the password: {text}");
}

fn builder() -> ClientBuilder {
    Client::builder().mchid("1900000001")
}

#[test]
fn a_password_in_a_builder_uri_never_shows() {
    for uri in uris() {
        let settings: [(&str, ClientBuilder); 3] = [
            ("base_uri", builder().base_uri(&uri)),
            ("failover_base_uri", builder().failover_base_uri(&uri)),
            ("proxy", builder().proxy(&uri)),
        ];
        for (setting, b) in settings {
            assert_hidden(
                &format!("Debug of a builder with {setting} {uri}"),
                &format!("{b:?}"),
            );
            match b.build() {
                Err(e) => {
                    assert_hidden(&format!("{setting} {uri}"), &e.to_string());
                    assert_hidden(&format!("{setting} {uri} (Debug)"), &format!("{e:?}"));
                }
                // A proxy may carry credentials when it is well-formed.
                Ok(_) => assert_eq!(setting, "proxy", "{uri} accepted as {setting}"),
            }
        }
    }
}

#[tokio::test]
async fn a_password_in_a_per_call_base_uri_never_shows() {
    let client = support::client(&format!("http://127.0.0.1:{}/", support::closed_port()));
    for uri in uris() {
        let e = client
            .chain("v3/pay/transactions/id/{transaction_id}")
            .get(json!({"transaction_id": "4200000001", "mchid": "1900000001", "base_uri": uri}))
            .await
            .expect_err("a base_uri with user info was accepted");
        assert_hidden(&format!("base_uri {uri}"), &e.to_string());
        assert_hidden(&format!("base_uri {uri} (Debug)"), &format!("{e:?}"));
    }
    // So does an absolute URL a `{+placeholder}` supplies.
    for url in [
        "https://user:s3cretPW@api.mch.weixin.qq.com:99999/v3/bill",
        "https://user:s3cretPW@other.example/v3/bill",
    ] {
        let e = client
            .chain("{+download_url}")
            .get(json!({"download_url": url}))
            .await
            .expect_err("an absolute URL with user info was accepted");
        assert_hidden(url, &format!("{e} {e:?}"));
    }
}

const APIV3_KEY: &str = "0123456789abcdef0123456789abcdef";
const OPENID: &str = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o";

/// A signed `TRANSACTION.SUCCESS` notification whose decrypted resource is `resource`.
fn notification(resource: &Value) -> (HeaderMap, Vec<u8>) {
    let nonce = b"fdasflkja484";
    let ciphertext = aes_256_gcm_encrypt(
        APIV3_KEY.as_bytes(),
        nonce,
        b"transaction",
        resource.to_string().as_bytes(),
    )
    .unwrap();
    let body = json!({
        "id": "EV-2018022511223320873", "create_time": "2015-05-20T13:29:35+08:00",
        "resource_type": "encrypt-resource", "event_type": "TRANSACTION.SUCCESS", "summary": "支付成功",
        "resource": {"original_type": "transaction", "algorithm": "AEAD_AES_256_GCM",
            "ciphertext": ciphertext, "associated_data": "transaction", "nonce": "fdasflkja484"},
    })
    .to_string()
    .into_bytes();
    let ts = support::unix_now().to_string();
    let message = wechatpay::v3::canonical_response(&ts, "5K8264ILTKCH16CQ2502SI8ZNMTM67VS", &body);
    let sig = PrivateKey::from_pem(support::WECHATPAY_KEY)
        .unwrap()
        .sign(&message)
        .unwrap();
    let mut h = HeaderMap::new();
    h.insert("Wechatpay-Timestamp", HeaderValue::from_str(&ts).unwrap());
    h.insert(
        "Wechatpay-Nonce",
        HeaderValue::from_static("5K8264ILTKCH16CQ2502SI8ZNMTM67VS"),
    );
    h.insert(
        "Wechatpay-Serial",
        HeaderValue::from_static(support::KEY_ID),
    );
    let sig = base64::engine::general_purpose::STANDARD.encode(sig);
    h.insert("Wechatpay-Signature", HeaderValue::from_str(&sig).unwrap());
    (h, body)
}

fn notify_client() -> Client {
    Client::builder()
        .mchid("1900000001")
        .public_key(support::KEY_ID, support::WECHATPAY_PUB)
        .apiv3_key(APIV3_KEY)
        .build()
        .unwrap()
}

#[test]
fn debug_of_a_notification_shows_no_personal_data() {
    let resource = json!({
        "mchid": "1900000001", "appid": "wxd678efh567hg6787",
        "out_trade_no": "1217752501201407033233368018", "transaction_id": "4200000001",
        "trade_type": "JSAPI", "trade_state": "SUCCESS", "success_time": "2018-06-08T10:34:56+08:00",
        "payer": {"openid": OPENID}, "amount": {"total": 100, "payer_total": 100, "currency": "CNY"},
        "attach": "Zhang San, 13800000000",
    });
    let (headers, body) = notification(&resource);
    let n = notify_client().parse_notification(&headers, &body).unwrap();
    let shown = format!("{n:?} {n:#?}");
    for personal in [OPENID, "Zhang San", "13800000000"] {
        assert!(!shown.contains(personal), "Debug shows {personal}: {shown}");
    }
    for kept in [
        "EV-2018022511223320873",
        "TRANSACTION.SUCCESS",
        "payer",
        "attach",
    ] {
        assert!(shown.contains(kept), "Debug lost {kept}: {shown}");
    }
    // The typed views redact too, and so do their errors on a malformed resource.
    let paid = n.transaction().unwrap();
    assert!(!format!("{paid:?} {:?}", n.event().unwrap()).contains(OPENID));
    let (headers, body) = notification(&json!({
        "mchid": "1900000001", "out_trade_no": "1", "amount": {"total": 1}, "payer": OPENID,
    }));
    let n = notify_client().parse_notification(&headers, &body).unwrap();
    let e = n.transaction().expect_err("a string payer was accepted");
    let shown = format!("{e} {e:?}");
    assert!(
        !shown.contains(OPENID) && shown.contains("invalid type"),
        "{shown}"
    );
}

#[test]
fn debug_of_an_upload_shows_no_content() {
    let media = wechatpay::Media::new("idcard.jpg", b"\xff\xd8PERSONAL-PIXELS".to_vec());
    let shown = format!("{media:?}");
    assert!(!shown.contains("PERSONAL") && shown.contains("idcard.jpg") && shown.contains("17"));
}
