//! Who may use the admin API and the dashboard (issue 21): a page of another site must not
//! drive the emulator. Over real sockets, on the dashboard's port and the emulator's.
#![cfg(feature = "mock")]

use reqwest::Method;
use serde_json::{json, Value};
use wechatpay::mock::Server;

fn dashboard_base(server: &Server) -> String {
    let url = server.dashboard_url();
    url.split("?token=").next().unwrap().to_string()
}

async fn send(
    http: &reqwest::Client,
    method: Method,
    url: &str,
    headers: &[(&str, &str)],
) -> (u16, Value) {
    let mut req = http.request(method, url);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    let text = res.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

#[tokio::test]
async fn cross_origin_foreign_host_and_missing_token_are_refused() {
    let server = Server::start().await.unwrap();
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let base = dashboard_base(&server);
    let token = server.admin_token().to_string();
    let origin = base.trim_end_matches("/__emulator/").to_string();
    let fault = format!("{base}faults/BadSignature");

    // The page itself, with headers that keep it unframed and its URL unsent.
    let res = http.get(&base).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let csp = res.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert_eq!(res.headers()["referrer-policy"], "no-referrer");
    assert!(res.text().await.unwrap().contains("WeChat Pay emulator"));

    // Another site's page, even with the token: 403, and nothing changes.
    let evil = [
        ("origin", "http://evil.example"),
        ("x-emulator-token", token.as_str()),
    ];
    let (status, v) = send(&http, Method::POST, &fault, &evil).await;
    assert_eq!(
        (status, v["code"].as_str()),
        (403, Some("FORBIDDEN")),
        "{v}"
    );
    assert!(v["message"].as_str().unwrap().contains("Origin"), "{v}");
    // A name re-bound to 127.0.0.1 (DNS rebinding): its Host is refused, reads included.
    let host = format!("evil.example:{}", origin.rsplit(':').next().unwrap());
    let (status, v) = send(
        &http,
        Method::GET,
        &format!("{base}journal"),
        &[("host", &host)],
    )
    .await;
    assert_eq!(status, 403, "{v}");
    assert!(v["message"].as_str().unwrap().contains("Host"), "{v}");
    // No token, a wrong one: refused.
    let (status, _) = send(&http, Method::POST, &fault, &[("origin", &origin)]).await;
    assert_eq!(status, 403);
    let wrong = [
        ("origin", origin.as_str()),
        ("x-emulator-token", "0123456789abcdef0123456789abcdef"),
    ];
    let (status, _) = send(&http, Method::POST, &fault, &wrong).await;
    assert_eq!(status, 403);
    let (_, faults) = send(&http, Method::GET, &format!("{base}faults"), &[]).await;
    assert_eq!(faults, json!([]));
    // Keys and secrets want the token even to be read.
    let (status, _) = send(&http, Method::GET, &format!("{base}config"), &[]).await;
    assert_eq!(status, 403);
    let (status, _) = send(
        &http,
        Method::GET,
        &format!("{base}keys/apiclient_key.pem"),
        &[],
    )
    .await;
    assert_eq!(status, 403);

    // The dashboard's own origin with the token: obeyed.
    let own = [
        ("origin", origin.as_str()),
        ("x-emulator-token", token.as_str()),
    ];
    let (status, v) = send(&http, Method::POST, &fault, &own).await;
    assert_eq!(status, 200, "{v}");
    let (_, faults) = send(&http, Method::GET, &format!("{base}faults"), &[]).await;
    assert_eq!(faults, json!(["BadSignature"]));
    let (status, key) = send(
        &http,
        Method::GET,
        &format!("{base}keys/apiclient_key.pem?token={token}"),
        &[],
    )
    .await;
    assert_eq!(status, 200);
    assert!(key.as_str().unwrap().contains("PRIVATE KEY"));
    let (status, config) = send(
        &http,
        Method::GET,
        &format!("{base}config?token={token}"),
        &[],
    )
    .await;
    assert_eq!(
        (status, config["admin_token"].as_str()),
        (200, Some(token.as_str()))
    );
}

#[tokio::test]
async fn the_emulators_own_port_guards_its_admin_api_the_same_way() {
    let server = Server::start().await.unwrap();
    let http = reqwest::Client::builder()
        .no_proxy()
        .tls_certs_merge(reqwest::Certificate::from_pem_bundle(server.ca_pem().as_bytes()).unwrap())
        .build()
        .unwrap();
    let fault = format!("{}__emulator/faults/BadSignature", server.url());
    let token = server.admin_token().to_string();
    // The case: a cross-origin POST was obeyed (200); now refused.
    let evil = [("origin", "https://evil.example")];
    assert_eq!(send(&http, Method::POST, &fault, &evil).await.0, 403);
    assert_eq!(send(&http, Method::POST, &fault, &[]).await.0, 403);
    let (status, _) = send(&http, Method::POST, &fault, &[("x-emulator-token", &token)]).await;
    assert_eq!(status, 200);
    // The Rust handle needs no token.
    server.clear_faults();
    let client = server.client_builder().build().unwrap();
    let made = client
        .chain("v3/pay/transactions/native")
        .post(json!({ "json": {
            "appid": "wxd678efh567hg6787", "mchid": server.merchant().mchid, "description": "d",
            "out_trade_no": "ACC1", "notify_url": "https://www.weixin.qq.com/wxpay/pay.php",
            "amount": { "total": 1 } } }))
        .await;
    assert!(made.is_ok(), "{made:?}");
    assert_eq!(server.pay("ACC1").unwrap()["trade_state"], "SUCCESS");
}

#[tokio::test]
async fn the_request_list_gives_the_verdict_and_the_checked_string() {
    let server = Server::start().await.unwrap();
    let client = server.client_builder().build().unwrap();
    let http = reqwest::Client::builder()
        .no_proxy()
        .tls_certs_merge(reqwest::Certificate::from_pem_bundle(server.ca_pem().as_bytes()).unwrap())
        .build()
        .unwrap();
    // A good request, one missing a required field, and one with a forged signature.
    let native = client.chain("v3/pay/transactions/native");
    let order = |no: &str| {
        json!({ "json": {
        "appid": "wxd678efh567hg6787", "mchid": server.merchant().mchid, "description": "d",
        "out_trade_no": no, "notify_url": "https://www.weixin.qq.com/wxpay/pay.php",
        "amount": { "total": 1 } } })
    };
    native.post(order("V1")).await.unwrap();
    let mut missing = order("V2");
    missing["json"]["amount"] = json!({});
    let _ = native.post(missing).await;
    let forged = "WECHATPAY2-SHA256-RSA2048 mchid=\"1900000001\",nonce_str=\"n1\",signature=\"AAAA\",timestamp=\"1700000000\",serial_no=\"X\"";
    let _ = http
        .post(format!("{}v3/pay/transactions/native", server.url()))
        .header("authorization", forged)
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();

    let base = dashboard_base(&server);
    let plain = reqwest::Client::builder().no_proxy().build().unwrap();
    let (_, list) = send(&plain, Method::GET, &format!("{base}requests"), &[]).await;
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 3, "{list:?}");
    assert_eq!(list[0]["verdict"], "signature ok");
    assert_eq!(list[0]["template"], "v3/pay/transactions/native");
    assert_eq!(list[0]["protocol"], "APIv3");
    let param = list[1]["verdict"].as_str().unwrap();
    assert!(
        param.starts_with("PARAM_ERROR") && param.contains("amount.total"),
        "{param}"
    );
    let sign = list[2]["verdict"].as_str().unwrap();
    assert!(sign.starts_with("SIGN_ERROR: "), "{sign}");
    assert_eq!(list[2]["status"], 401);

    let seq = list[2]["seq"].as_u64().unwrap();
    let (_, one) = send(&plain, Method::GET, &format!("{base}requests/{seq}"), &[]).await;
    assert_eq!(
        one["canonical"],
        "POST\n/v3/pay/transactions/native\n1700000000\nn1\n{}\n"
    );
    assert_eq!(one["authorization"]["serial_no"], "X");
    assert!(one["answer"].as_str().unwrap().contains("SIGN_ERROR"));
    // Since a seq: only the later ones.
    let (_, later) = send(
        &plain,
        Method::GET,
        &format!("{base}requests?since={seq}"),
        &[],
    )
    .await;
    assert_eq!(later, json!([]));
    // No secret of the emulator in any of it.
    let text = one.to_string();
    assert!(!text.contains(server.merchant().apiv3_key.as_str()));
    assert!(!text.contains(server.merchant().apiv2_secret.as_str()));
}
