//! SM3 for ordinary merchants: the GB/T 32905-2016 vectors, the `digest` option's `SM3`, and the
//! fapiao file download checked by its `SM3-Digest` header against the emulator over a real
//! socket, a tampered body refused.
#![cfg(feature = "mock")]

use serde_json::{json, Value};
use wechatpay::mock::{Fault, Server};
use wechatpay::{Client, Error, Media};

/// GB/T 32905-2016, Appendix A: example 1 ("abc") and example 2 ("abcd" × 16, 512 bits).
const ABC: &str = "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0";
const ABCD16: &str = "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732";

#[test]
fn gbt_32905_vectors() {
    assert_eq!(wechatpay::crypto::sm3_hex(b"abc"), ABC);
    let abcd16 = "abcd".repeat(16);
    assert_eq!(abcd16.len(), 64);
    assert_eq!(wechatpay::crypto::sm3_hex(abcd16.as_bytes()), ABCD16);
    // The fapiao upload's `meta.digest`: lowercase, as the official samples pass it.
    assert_eq!(Media::new("fapiao.pdf", &b"abc"[..]).sm3_hex(), ABC);
    assert_eq!(Media::new("f.pdf", abcd16.into_bytes()).sm3_hex(), ABCD16);
}

async fn start() -> (Server, Client) {
    let server = Server::start().await.expect("the emulator starts");
    let client = server.client_builder().build().expect("the client builds");
    (server, client)
}

/// Asks for the fapiao's download information and returns its `download_url`.
async fn download_url(client: &Client) -> String {
    let res = client
        .chain("v3/new-tax-control-fapiao/fapiao-applications/{fapiao_apply_id}/fapiao-files")
        .get(json!({
            "fapiao_apply_id": "4200000444201910177461284488",
            "query": {"sub_mchid": "1900000109", "fapiao_id": "fapiao-12"},
        }))
        .await
        .expect("the signed fapiao-files answer");
    let v: Value = res.json().unwrap();
    let info = &v["fapiao_download_info_list"][0];
    assert_eq!(info["status"], "ISSUED");
    assert_eq!(info["fapiao_id"], "fapiao-12");
    let url = info["download_url"].as_str().unwrap().to_string();
    assert!(
        url.contains("/invoicing/fapiao/fapiao-file?token="),
        "{url}"
    );
    url
}

#[tokio::test]
async fn the_fapiao_file_is_downloaded_unsigned_and_checked_by_its_sm3_digest() {
    let (server, client) = start().await;
    let url = download_url(&client).await;
    let res = client
        .chain("{+download_url}")
        .get(json!({"download_url": url}))
        .await
        .expect("the fapiao file");
    let header = res.headers()["SM3-Digest"].to_str().unwrap().to_string();
    // WeChat Pay sends 64 uppercase hex digits; the client compares without regard to case.
    assert_eq!(header.len(), 64);
    assert_eq!(header, header.to_ascii_uppercase());
    assert_eq!(
        header,
        wechatpay::crypto::sm3_hex(res.body()).to_ascii_uppercase()
    );
    assert!(res.body().starts_with(b"%PDF-"));
    assert!(res.headers().get("Wechatpay-Signature").is_none());
    let sent = server.journal();
    let last = sent.last().unwrap();
    assert_eq!(last.path, "/invoicing/fapiao/fapiao-file");
    assert!(!last.headers.contains_key("Authorization"), "sent unsigned");

    // The `digest` option takes SM3 too, in either case.
    for value in [header.clone(), header.to_ascii_lowercase()] {
        client
            .chain("{+download_url}")
            .get(json!({"download_url": url, "digest": {"hash_type": "SM3", "hash_value": value}}))
            .await
            .expect("the SM3 digest option matches");
    }
    let e = client
        .chain("{+download_url}")
        .get(json!({"download_url": url, "digest": {"hash_type": "sm3", "hash_value": ABC}}))
        .await
        .unwrap_err();
    let text = e.to_string();
    assert!(matches!(e, Error::Signature(_)), "{e:?}");
    assert!(
        text.contains("SM3") && text.contains(ABC) && text.contains("signed answer"),
        "{text}"
    );

    // Streamed to a file: written, and checked the same way.
    let dir = std::env::temp_dir().join(format!("wechatpay-sm3-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("fapiao.pdf");
    client
        .chain("{+download_url}")
        .get(json!({"download_url": url, "sink": file.to_str().unwrap()}))
        .await
        .expect("the fapiao file, saved");
    let saved = std::fs::read(&file).unwrap();
    assert_eq!(
        wechatpay::crypto::sm3_hex(&saved).to_ascii_uppercase(),
        header
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test]
async fn a_tampered_fapiao_file_is_refused_naming_its_sm3_digest_header() {
    let (server, client) = start().await;
    let url = download_url(&client).await;
    let good = client
        .chain("{+download_url}")
        .get(json!({"download_url": url}))
        .await
        .unwrap();
    let want = good.headers()["SM3-Digest"]
        .to_str()
        .unwrap()
        .to_ascii_lowercase();
    // The emulator alters the body after taking its digest.
    server.fault(Fault::BadSignature);
    let e = client
        .chain("{+download_url}")
        .get(json!({"download_url": url}))
        .await
        .unwrap_err();
    let text = e.to_string();
    assert!(matches!(e, Error::Signature(_)), "{e:?}");
    assert!(text.contains("`SM3-Digest` header"), "{text}");
    assert!(text.contains(&want), "names what was expected: {text}");

    // Streamed to a file: refused, and the file that was there is left untouched.
    let dir = std::env::temp_dir().join(format!("wechatpay-sm3-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("fapiao.pdf");
    std::fs::write(&file, b"the earlier file").unwrap();
    let e = client
        .chain("{+download_url}")
        .get(json!({"download_url": url, "sink": file.to_str().unwrap()}))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("`SM3-Digest` header"), "{e}");
    assert_eq!(std::fs::read(&file).unwrap(), b"the earlier file");
    std::fs::remove_dir_all(&dir).ok();
}

/// A raw socket answering one HTTP/1.1 request with `head` and `body`.
async fn raw_server(head: String, body: Vec<u8>) -> String {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            let mut buf = vec![0u8; 8192];
            let _ = s.read(&mut buf).await;
            let _ = s.write_all(head.as_bytes()).await;
            let _ = s.write_all(&body).await;
            let _ = s.shutdown().await;
        }
    });
    format!("http://{addr}/")
}

#[tokio::test]
async fn a_malformed_or_doubled_sm3_digest_header_is_refused() {
    let server = Server::start().await.unwrap();
    for (headers, words) in [
        ("SM3-Digest: 1234\r\n".to_string(), "not an SM3 digest"),
        (
            format!("sm3-digest: {ABC}\r\nSM3-Digest: {ABC}\r\n"),
            "more than one",
        ),
        (format!("sm3-digest: {ABCD16}\r\n"), ABCD16),
    ] {
        let body = b"abc".to_vec();
        let head = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        );
        let base = raw_server(head, body).await;
        let client = server.client_builder().base_uri(&base).build().unwrap();
        let url = format!("{base}invoicing/fapiao/fapiao-file?token=x");
        let e = client
            .chain("{+download_url}")
            .get(json!({"download_url": url}))
            .await
            .unwrap_err();
        assert!(matches!(e, Error::Signature(_)), "{headers}: {e:?}");
        assert!(e.to_string().contains(words), "{headers}: {e}");
    }
    // The right digest, in lowercase, under a lowercase header name: accepted.
    let head = format!(
        "HTTP/1.1 200 OK\r\nsm3-digest: {ABC}\r\nContent-Length: 3\r\nConnection: close\r\n\r\n"
    );
    let base = raw_server(head, b"abc".to_vec()).await;
    let client = server.client_builder().base_uri(&base).build().unwrap();
    let res = client
        .chain("{+download_url}")
        .get(json!({"download_url": format!("{base}invoicing/fapiao/fapiao-file?token=x")}))
        .await
        .unwrap();
    assert_eq!(res.body(), b"abc".as_slice());
}
