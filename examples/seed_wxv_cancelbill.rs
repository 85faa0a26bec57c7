//! Seed call 5: 撤销租借订单 (`v2/wxv/cancelbill`), an APIv2 call over mutual TLS, from the PHP
//! documentation page, against the local emulator.
//!
//! ```sh
//! cargo run --example seed_wxv_cancelbill --features mock
//! ```
//!
//! `security: true` presents the merchant API certificate (`ClientBuilder::merchant_identity`);
//! the emulator issued that certificate to its merchant, and `client_builder()` sets it. The
//! emulator is started with the PHP page's merchant id, `1230000109`, so the page's values are
//! sent as written.

use serde_json::json;
use wechatpay::mock::{Merchant, Server};
use wechatpay::Error;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let server = Server::builder()
        .merchant(Merchant::generate("1230000109")?)
        .start()
        .await?;
    let client = server.client_builder().build()?;
    let xml = json!({
        "version": "1.0",
        "appid": "wxd678efh567hg6787",
        "mch_id": "1230000109",
        "sign_type": "HMAC-SHA256",
        "out_order_no": "1234323JKHDFE1243252",
        "reason": "用户投诉",
        // The PHP page sends '' here; the documentation marks it required and the emulator
        // checks that, so a service id is given.
        "service_id": "500001",
    });

    // $instance['v2/wxv/cancelbill']->post(['security' => true, 'xml' => [...]])
    let res = client["v2/wxv/cancelbill"]
        .post(json!({ "security": true, "xml": xml }))
        .await?;
    // `post` returned Ok, so the answer's HMAC-SHA256 `sign` verified under the APIv2 secret and
    // its return_code and result_code are SUCCESS (anything else is Error::V2Failure).
    let fields = res.xml()?;
    assert_eq!(fields["return_code"], "SUCCESS");
    assert_eq!(fields["result_code"], "SUCCESS");
    assert_eq!(fields["mch_id"], "1230000109");

    let sent = server
        .journal()
        .pop()
        .ok_or("the emulator saw no request")?;
    assert_eq!(sent.path, "/wxv/cancelbill", "APIv2 paths drop the `v2/`");
    assert!(sent.client_cert, "the merchant certificate was presented");
    assert!(sent.verified, "the request's sign verified");
    let body = String::from_utf8_lossy(&sent.body);
    assert!(
        body.contains("<sign>") && body.contains("<nonce_str>"),
        "{body}"
    );
    println!(
        "{} verified: {}",
        res.status(),
        serde_json::Value::Object(fields)
    );

    // Without the certificate the same call cannot be made: the client refuses it before
    // sending (the emulator, like WeChat Pay, would refuse it too).
    let anonymous = wechatpay::Client::builder()
        .mchid("1230000109")
        .apiv2_secret(server.merchant().apiv2_secret.as_str())
        .base_uri(server.url())
        .add_root_certificate(server.ca_pem())
        .build()?;
    let before = server.journal().len();
    let err = anonymous["v2/wxv/cancelbill"]
        .post(json!({ "security": true, "xml": xml }))
        .await
        .unwrap_err();
    assert!(matches!(&err, Error::NotConfigured(_)), "{err}");
    assert_eq!(server.journal().len(), before, "nothing was sent");
    println!("without the merchant certificate: refused ({err})");
    Ok(())
}
