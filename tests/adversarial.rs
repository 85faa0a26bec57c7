//! An attacker's and a stranger's reading of the signature-type, fapiao-download, APIv2
//! sign-type and brand-scheme rules: each test here failed before its fix. Real sockets on
//! 127.0.0.1 (a raw listener where the emulator would be too polite).
#![cfg(feature = "mock")]

use serde_json::json;
use wechatpay::http::Method;
use wechatpay::mock::Server;
use wechatpay::{Client, Error};

const BRAND_KEY: &str = include_str!("fixtures/brand/brand_key.pem");
const BRAND_PUB: &str = include_str!("fixtures/brand/brand_pub.pem");

/// Answers every connection with `head` then `body`, and counts the connections.
async fn raw_server(
    head: String,
    body: Vec<u8>,
) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = std::sync::Arc::new(AtomicUsize::new(0));
    let count = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            count.fetch_add(1, Ordering::SeqCst);
            let mut buf = vec![0u8; 8192];
            let _ = s.read(&mut buf).await;
            let _ = s.write_all(head.as_bytes()).await;
            let _ = s.write_all(&body).await;
            let _ = s.shutdown().await;
        }
    });
    (format!("http://{addr}/"), seen)
}

/// WeChat Pay sends `SM3-Digest` with every fapiao file ("正常情况下…回包头部有SM3-Digest字段");
/// an answer without it (a middlebox that dropped it, a stand-in server) is not taken unchecked,
/// in memory or streamed to a file. Other unsigned downloads (bills) carry none and stay as
/// they were.
#[tokio::test]
async fn a_fapiao_file_without_its_sm3_digest_is_refused() {
    let server = Server::start().await.unwrap();
    let head = "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: 3\r\nConnection: close\r\n\r\n".to_string();
    let (base, _) = raw_server(head, b"abc".to_vec()).await;
    let client = server.client_builder().base_uri(&base).build().unwrap();
    let url = format!("{base}invoicing/fapiao/fapiao-file?token=x");
    let e = client
        .chain("{+download_url}")
        .get(json!({"download_url": url}))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Signature(_)), "{e:?}");
    assert!(e.to_string().contains("without its `SM3-Digest`"), "{e}");

    let dir = std::env::temp_dir().join(format!("wechatpay-adv-sm3-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("fapiao.pdf");
    std::fs::write(&file, b"the earlier file").unwrap();
    let e = client
        .chain("{+download_url}")
        .get(json!({"download_url": url, "sink": file.to_str().unwrap()}))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("without its `SM3-Digest`"), "{e}");
    assert_eq!(std::fs::read(&file).unwrap(), b"the earlier file");
    std::fs::remove_dir_all(&dir).ok();

    // A bill download is unsigned too, and has no SM3-Digest: still accepted.
    let res = client
        .chain("v3/billdownload/file")
        .get(json!({"query": {"token": "x"}}))
        .await
        .unwrap();
    assert_eq!(res.body(), b"abc".as_slice());
}

/// A signature made elsewhere never goes with the unsigned fapiao download.
#[tokio::test]
async fn the_fapiao_download_takes_no_authorization() {
    let server = Server::start().await.unwrap();
    let client = server.client_builder().build().unwrap();
    let mut prepared = client
        .chain("{+download_url}")
        .prepare(
            Method::GET,
            json!({"download_url": "https://pay.wechatpay.cn/invoicing/fapiao/fapiao-file?token=x"}),
        )
        .unwrap();
    let e = prepared
        .set_authorization("WECHATPAY2-SHA256-RSA2048 mchid=\"1900000001\",signature=\"x\"")
        .unwrap_err();
    assert!(
        matches!(&e, Error::Argument { name, .. } if name == "Authorization"),
        "{e:?}"
    );
    assert!(prepared.headers().get("Authorization").is_none());
}

/// A per-call `base_uri` whose path ends in `brand/` makes `card-member/cards` a brand call
/// (`/brand/card-member/cards` on the wire): a merchant client refuses it before signing, a
/// brand client signs it. Nothing reaches the listener for the refusal.
#[tokio::test]
async fn a_brand_path_hidden_in_a_per_call_base_is_still_a_brand_path() {
    let head =
        "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            .to_string();
    let (base, seen) = raw_server(head, Vec::new()).await;
    let merchant = Client::builder()
        .mchid("1900000001")
        .serial("1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C")
        .private_key(BRAND_KEY)
        .public_key("PUB_KEY_ID_0119000000012024000000000000", BRAND_PUB)
        .base_uri(&base)
        .build()
        .unwrap();
    let per_call = format!("{base}brand/");
    let e = merchant
        .chain("card-member/cards")
        .get(json!({"base_uri": per_call}))
        .await
        .unwrap_err();
    assert!(e.is_refused_before_sending(), "{e:?}");
    assert!(e.to_string().contains("brand call"), "{e}");
    // One sentence a stranger reads, without runs of spaces from a broken line continuation.
    assert!(!e.to_string().contains("  "), "{e}");
    assert_eq!(seen.load(std::sync::atomic::Ordering::SeqCst), 0);

    let brand = Client::builder()
        .brand_id("1001")
        .serial("3493DE0D9BB4EB98A8C65EAA7E8EE887EC24B71A")
        .private_key(BRAND_KEY)
        .public_key("PUB_KEY_ID_0119000000012024000000000000", BRAND_PUB)
        .base_uri(&base)
        .build()
        .unwrap();
    let prepared = brand
        .chain("card-member/cards")
        .prepare(Method::GET, json!({"base_uri": per_call}))
        .unwrap();
    assert_eq!(prepared.url().path(), "/brand/card-member/cards");
    let auth = prepared.headers()["Authorization"].to_str().unwrap();
    assert!(
        auth.starts_with("WECHATPAY-BRAND-SHA256-RSA2048 brand_id="),
        "{auth}"
    );
}

/// An unsigned download is not verified, so a `Wechatpay-Serial` it happens to carry is no
/// rotation: it never sets off a certificate download (the emulator, in certificate mode,
/// counts them; the file comes from a raw listener on the client's failover origin).
#[tokio::test]
async fn an_unsigned_download_naming_a_serial_sets_off_no_certificate_download() {
    use wechatpay::mock::Mode;
    let server = Server::builder()
        .mode(Mode::Certificate)
        .start()
        .await
        .unwrap();
    let abc = "66C7F0F462EEEDD9D1F2D46BDC10E4E24167C4875CF2F7A2297DA02B8F4BA8E0";
    let head = format!(
        "HTTP/1.1 200 OK\r\nSM3-Digest: {abc}\r\nWechatpay-Serial: 5157F09EFDC096DE15EBE81A47057A7232F1B8E1\r\nWechatpay-Signature-Type: WECHATPAY2-SHA256-RSA2048\r\nContent-Length: 3\r\nConnection: close\r\n\r\n"
    );
    let (file_host, seen) = raw_server(head, b"abc".to_vec()).await;
    let client = server
        .client_builder()
        .failover_base_uri(&file_host)
        .build()
        .unwrap();
    assert!(client.keyring().is_empty());
    let res = client
        .chain("{+download_url}")
        .get(json!({"download_url": format!("{file_host}invoicing/fapiao/fapiao-file?token=x")}))
        .await
        .unwrap();
    assert_eq!(res.body(), b"abc".as_slice());
    assert_eq!(seen.load(std::sync::atomic::Ordering::SeqCst), 1);
    let downloads = server
        .journal()
        .iter()
        .filter(|r| r.path.ends_with("/v3/certificates"))
        .count();
    assert_eq!(
        downloads, 0,
        "no certificate download for an unverified answer"
    );
}

/// A brand has no platform certificates: asking for them is refused by name, before anything
/// is sent (the listener sees no connection).
#[tokio::test]
async fn a_brand_client_never_downloads_platform_certificates() {
    let head =
        "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            .to_string();
    let (base, seen) = raw_server(head, Vec::new()).await;
    let brand = Client::builder()
        .brand_id("1001")
        .serial("3493DE0D9BB4EB98A8C65EAA7E8EE887EC24B71A")
        .private_key(BRAND_KEY)
        .public_key("PUB_KEY_ID_0119000000012024000000000000", BRAND_PUB)
        .brand_api_key("0123456789abcdefABCDEF0123456789")
        .base_uri(&base)
        .build()
        .unwrap();
    let e = brand.download_certificates().await.unwrap_err();
    assert!(matches!(e, Error::NotConfigured(_)), "{e:?}");
    assert!(e.to_string().contains("public key only"), "{e}");
    let e = brand
        .spawn_certificate_refresh(std::time::Duration::from_secs(3600))
        .unwrap_err();
    assert!(e.to_string().contains("public key only"), "{e}");
    assert_eq!(seen.load(std::sync::atomic::Ordering::SeqCst), 0);
}
