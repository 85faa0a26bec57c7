//! The one call that reaches `pay.wechatpay.cn`: the fapiao file download, `GET` on
//! `/invoicing/fapiao/fapiao-file`, sent unsigned as WeChat Pay documents it. Everything else on
//! that host, and that path anywhere but there (or the emulator's loopback origin), is refused
//! before anything is signed or sent.
#![cfg(feature = "mock")]

use serde_json::json;
use wechatpay::http::Method;
use wechatpay::mock::Server;
use wechatpay::{Client, Error};

async fn start() -> (Server, Client) {
    let server = Server::start().await.expect("the emulator starts");
    let client = server.client_builder().build().expect("the client builds");
    (server, client)
}

const FILE: &str =
    "https://pay.wechatpay.cn/invoicing/fapiao/fapiao-file?token=T0k&mchid=1900000109";

#[tokio::test]
async fn the_fapiao_file_download_is_allowed_unsigned() {
    let (_server, client) = start().await;
    for url in [
        FILE,
        "https://PAY.wechatpay.cn/invoicing/fapiao/fapiao-file?token=x",
        "https://pay.wechatpay.cn:443/invoicing/fapiao/fapiao-file?token=x",
    ] {
        let prepared = client
            .chain("{+download_url}")
            .prepare(Method::GET, json!({"download_url": url}))
            .unwrap_or_else(|e| panic!("{url}: {e}"));
        assert_eq!(prepared.url().host_str(), Some("pay.wechatpay.cn"), "{url}");
        assert_eq!(prepared.url().path(), "/invoicing/fapiao/fapiao-file");
        // "该接口无需签名和验签": no signature and no key id go to the file host.
        assert!(prepared.headers().get("Authorization").is_none(), "{url}");
        assert!(
            prepared.headers().get("Wechatpay-Serial").is_none(),
            "{url}"
        );
        assert!(prepared.body().is_empty());
    }
    let prepared = client
        .chain("{+download_url}")
        .prepare(
            Method::GET,
            json!({"download_url": FILE, "query": {"file_format": "OFD"}}),
        )
        .unwrap();
    assert!(
        prepared.url().as_str().ends_with("&file_format=OFD"),
        "{}",
        prepared.url()
    );
}

#[tokio::test]
async fn everything_else_on_the_file_host_is_refused_before_sending() {
    let (server, client) = start().await;
    let refused = |e: &Error, words: &str, case: &str| {
        assert!(e.is_refused_before_sending(), "{case}: {e:?}");
        match e {
            Error::Argument { name, reason } => {
                assert_eq!(name, "path", "{case}: {e}");
                assert!(reason.contains(words), "{case}: {e}");
            }
            other => panic!("{case}: expected an Argument error, got {other:?}"),
        }
    };
    // Another method on the download itself: named as the reason.
    for method in [Method::POST, Method::PUT, Method::DELETE, Method::PATCH] {
        let e = client
            .chain("{+download_url}")
            .prepare(method.clone(), json!({"download_url": FILE}))
            .unwrap_err();
        refused(&e, "the fapiao file download is a GET", method.as_str());
    }
    // Other paths and forms on the host: the ordinary outbound rule refuses them.
    for url in [
        "https://pay.wechatpay.cn/v3/pay/transactions/jsapi",
        "https://pay.wechatpay.cn/invoicing/fapiao/fapiao-file/x?token=x",
        "https://pay.wechatpay.cn/invoicing/fapiao/fapiao-files?token=x",
        "https://pay.wechatpay.cn/invoicing/fapiao/Fapiao-File?token=x",
        "https://pay.wechatpay.cn/invoicing/fapiao/fapiao-file/?token=x",
        "https://pay.wechatpay.cn/x/invoicing/fapiao/fapiao-file?token=x",
        "https://pay.wechatpay.cn:8443/invoicing/fapiao/fapiao-file?token=x",
        "https://evil.pay.wechatpay.cn/invoicing/fapiao/fapiao-file?token=x",
        "https://pay.wechatpay.cn.evil.example/invoicing/fapiao/fapiao-file?token=x",
        "https://api.mch.weixin.qq.com/invoicing/fapiao/fapiao-file?token=x",
        "https://u:p@pay.wechatpay.cn/invoicing/fapiao/fapiao-file?token=x",
    ] {
        let e = client
            .chain("{+download_url}")
            .get(json!({"download_url": url}))
            .await
            .unwrap_err();
        assert!(e.is_refused_before_sending(), "{url}: {e:?}");
        assert!(matches!(e, Error::Argument { .. }), "{url}: {e:?}");
        assert!(!e.to_string().contains("u:p@"), "{url}: {e}");
    }
    // Plain http is refused by the scheme rule; a rewritten path by the exact-bytes rule.
    let e = client
        .chain("{+download_url}")
        .get(
            json!({"download_url": "http://pay.wechatpay.cn/invoicing/fapiao/fapiao-file?token=x"}),
        )
        .await
        .unwrap_err();
    refused(&e, "clear text", "http");
    let e = client
        .chain("{+download_url}")
        .get(json!({"download_url": "https://pay.wechatpay.cn/invoicing/x/../fapiao/fapiao-file?token=x"}))
        .await
        .unwrap_err();
    assert!(e.is_refused_before_sending(), "{e:?}");
    assert!(e.to_string().contains("`..`"), "{e}");
    // The file host is no base URI: a per-call base_uri naming it is refused.
    let e = client
        .chain("invoicing/fapiao/fapiao-file")
        .get(json!({"base_uri": "https://pay.wechatpay.cn/"}))
        .await
        .unwrap_err();
    assert!(
        matches!(&e, Error::Argument { name, .. } if name == "base_uri"),
        "{e:?}"
    );
    // A relative path on the client's own host is an APIv3 call like any other: signed, and its
    // answer verified (the emulator knows no such call: 404).
    let e = client
        .chain("invoicing/fapiao/fapiao-file")
        .get(json!({"query": {"token": "x"}}))
        .await
        .unwrap_err();
    assert!(!e.is_refused_before_sending(), "{e:?}");
    assert!(
        server
            .journal()
            .iter()
            .all(|r| r.path != "/invoicing/fapiao/fapiao-file"
                || r.headers.contains_key("Authorization")),
        "only the relative call reached the emulator, signed"
    );
}
