//! The merchant certificate serial in `Authorization` is a hex number: the emulator takes it in
//! either case, as WeChat Pay does (npm's `wechatpay-node-v3` sends it in lowercase, read off the
//! certificate), and still refuses another certificate's serial.
#![cfg(feature = "mock")]

use serde_json::json;
use wechatpay::mock::{Merchant, Server};

const CLOSE: &str = "v3/pay/transactions/out-trade-no/{out_trade_no}/close";

#[tokio::test]
async fn the_merchant_serial_is_taken_in_either_case() {
    let server = Server::start().await.unwrap();
    let serial = server.merchant().serial.clone();
    assert_ne!(serial.to_lowercase(), serial, "a serial with hex letters");
    let close = json!({ "out_trade_no": "T1", "json": { "mchid": "1900000001" } });
    for sent in [serial.to_lowercase(), serial.to_uppercase()] {
        let client = server
            .client_builder()
            .serial(sent.clone())
            .build()
            .unwrap();
        let answer = client.chain(CLOSE).post(close.clone()).await;
        assert_eq!(
            answer.map(|r| r.status().as_u16()).ok(),
            Some(204),
            "serial_no {sent}"
        );
    }
    let stranger = Merchant::generate("1900000002").unwrap();
    let other = server
        .client_builder()
        .serial(stranger.serial.to_lowercase())
        .build()
        .unwrap();
    let refused = other
        .chain(CLOSE)
        .post(close)
        .await
        .unwrap_err()
        .to_string();
    assert!(refused.contains("SIGN_ERROR"), "{refused}");
    // In WeChat Pay's own words (as real answers quote them, e.g. WxJava #3757).
    assert!(refused.contains("商户证书序列号有误。"), "{refused}");
    let journal = server.journal();
    let outcomes: Vec<&str> = journal.iter().map(|r| r.outcome.as_str()).collect();
    assert_eq!(outcomes, ["OK", "OK", "SIGN_ERROR"], "{journal:#?}");
}
