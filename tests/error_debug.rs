//! `{:?}` of an error keeps answer bodies and APIv2 field values (personal data) out of logs,
//! while the status, codes, message and Request-ID stay visible. Errors made over loopback by
//! the emulator, and built by hand.
#![cfg(feature = "mock")]

use bytes::Bytes;
use serde_json::json;
use wechatpay::mock::{Answer, Server};
use wechatpay::Error;

/// Values that must never appear in a Debug print.
const PERSONAL: &[&str] = &[
    "oUpF8uMuAJO_SECRET_OPENID",
    "CMB_CREDIT",
    "招商银行",
    "张三",
    "13800138000",
    "4200000123202401010000000000",
];

fn assert_clean(debug: &str) {
    for v in PERSONAL {
        assert!(!debug.contains(v), "`{v}` in {debug}");
    }
}

#[tokio::test]
async fn an_apiv3_error_answer_s_body_stays_out_of_debug() {
    let server = Server::start().await.unwrap();
    let client = server.client_builder().build().unwrap();
    server.on(
        "GET",
        "v3/pay/transactions/out-trade-no/{out_trade_no}",
        Answer::json(
            400,
            json!({"code": "PARAM_ERROR", "message": "参数错误", "detail": {
                "openid": PERSONAL[0], "bank_type": PERSONAL[1], "bank_name": PERSONAL[2],
                "name": PERSONAL[3], "phone": PERSONAL[4], "transaction_id": PERSONAL[5],
            }}),
        ),
    );
    let e = client
        .chain("v3/pay/transactions/out-trade-no/{out_trade_no}")
        .get(json!({"out_trade_no": "D1", "query": {"mchid": server.merchant().mchid}}))
        .await
        .unwrap_err();
    let Error::Api {
        request_id, body, ..
    } = &e
    else {
        panic!("{e}")
    };
    assert!(
        String::from_utf8_lossy(body).contains(PERSONAL[0]),
        "the body is still there"
    );
    let debug = format!("{e:?}");
    assert_clean(&debug);
    let rid = request_id
        .as_deref()
        .expect("the emulator sends a Request-ID");
    for shown in ["Api", "400", "PARAM_ERROR", "参数错误", rid, "body_bytes"] {
        assert!(debug.contains(shown), "`{shown}` missing from {debug}");
    }
    assert_clean(&format!("{e:#?}"));
}

#[tokio::test]
async fn an_apiv2_failure_s_fields_stay_out_of_debug() {
    let server = Server::start().await.unwrap();
    let client = server.client_builder().build().unwrap();
    let mchid = server.merchant().mchid.clone();
    server.on(
        "POST",
        "v2/pay/orderquery",
        Answer::xml(json!({
            "return_code": "SUCCESS", "return_msg": "OK", "result_code": "FAIL",
            "err_code": "ORDERNOTEXIST", "err_code_des": "此交易订单号不存在",
            "openid": PERSONAL[0], "bank_type": PERSONAL[1], "attach": PERSONAL[2],
            "transaction_id": PERSONAL[5],
        })),
    );
    let e = client
        .chain("v2/pay/orderquery")
        .post(
            json!({"xml": {"appid": "wxd678efh567hg6787", "mch_id": mchid, "out_trade_no": "D1"}}),
        )
        .await
        .unwrap_err();
    assert!(matches!(e, Error::V2Failure { verified: true, .. }), "{e}");
    let debug = format!("{e:?}");
    assert_clean(&debug);
    for shown in [
        "V2Failure",
        "SUCCESS",
        "FAIL",
        "ORDERNOTEXIST",
        "此交易订单号不存在",
        "\"openid\"",
        "body_bytes",
    ] {
        assert!(debug.contains(shown), "`{shown}` missing from {debug}");
    }
}

#[test]
fn hand_built_errors_show_no_body_values() {
    let body = Bytes::from(format!(
        "{{\"code\":\"SYSTEM_ERROR\",\"openid\":\"{}\",\"name\":\"{}\"}}",
        PERSONAL[0], PERSONAL[3]
    ));
    let mut headers = http::HeaderMap::new();
    headers.insert("Request-ID", "08F2A3B4C5".parse().unwrap());
    headers.insert("X-Echo", PERSONAL[4].parse().unwrap());
    let api = Error::Api {
        status: http::StatusCode::INTERNAL_SERVER_ERROR,
        code: Some("SYSTEM_ERROR".into()),
        message: Some("系统错误".into()),
        request_id: Some("08F2A3B4C5".into()),
        headers: Box::new(headers),
        body: body.clone(),
        verified: false,
    };
    let mut fields = serde_json::Map::new();
    fields.insert("return_code".into(), json!("FAIL"));
    fields.insert("return_msg".into(), json!("签名错误"));
    fields.insert("openid".into(), json!(PERSONAL[0]));
    fields.insert("bank_type".into(), json!(PERSONAL[1]));
    let v2 = Error::V2Failure {
        fields,
        body,
        verified: false,
    };
    for (e, shown) in [
        (
            &api,
            &["SYSTEM_ERROR", "系统错误", "08F2A3B4C5", "500", "x-echo"][..],
        ),
        (&v2, &["FAIL", "签名错误", "bank_type"][..]),
    ] {
        let debug = format!("{e:?}");
        assert_clean(&debug);
        for s in shown {
            assert!(debug.contains(s), "`{s}` missing from {debug}");
        }
    }
}

#[tokio::test]
async fn a_transport_error_shows_no_download_token() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let base = format!("http://127.0.0.1:{port}/");
    let client = wechatpay::Client::builder()
        .mchid("1900000001")
        .serial("1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C")
        .private_key(include_str!("fixtures/client/merchant_key.pem"))
        .public_key(
            "PUB_KEY_ID_0119000000012024000000000000",
            include_str!("fixtures/client/wechatpay_pub.pem"),
        )
        .base_uri(&base)
        .build()
        .unwrap();
    let e = client
        .chain("v3/billdownload/file")
        .get(json!({"query": {"token": "SECRET_TOKEN_6XIv5TUPto7p"}}))
        .await
        .unwrap_err();
    let debug = format!("{e:?}");
    assert!(debug.starts_with("Transport("), "{debug}");
    assert!(!debug.contains("SECRET_TOKEN"), "{debug}");
    assert!(debug.contains("127.0.0.1"), "{debug}");
}
