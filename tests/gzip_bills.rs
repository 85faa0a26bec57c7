//! Gzip bills over real loopback sockets: WeChat Pay's `hash_value` for `tar_type=GZIP` is the
//! digest of the unpacked bill, so the `digest` option checks what the gzip body unpacks to,
//! while the file keeps the bytes received (or, with `gunzip`, the unpacked bill).
#![cfg(feature = "mock")]

use flate2::{write::GzEncoder, Compression};
use serde_json::{json, Value};
use std::io::Write;
use std::path::{Path, PathBuf};
use tokio::io::AsyncWriteExt;
use wechatpay::{mock::Server, Error};

mod support;
use support::*;

const BILL: &str = "交易时间,公众账号ID,商户号\n`2019-06-11 10:00:00,`wx1,`1900000001\n";

fn gz(data: &[u8]) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn sha1(data: &[u8]) -> Value {
    json!({"hash_type": "SHA1", "hash_value": wechatpay::crypto::sha1_hex(data)})
}

/// A loopback server answering every request with this body, in chunks of 1 KiB.
async fn serving(body: Vec<u8>) -> String {
    serve(behaviour(move |mut s| {
        let body = body.clone();
        async move {
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/x-gzip\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = s.write_all(head.as_bytes()).await;
            for c in body.chunks(1024) {
                if s.write_all(c).await.is_err() {
                    return;
                }
            }
        }
    }))
    .await
}

/// A scratch directory holding yesterday's bill.
fn scratch(case: &str) -> (PathBuf, PathBuf) {
    let dir = std::env::temp_dir().join(format!("wechatpay-gzip-{case}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("bill.csv.gz");
    std::fs::write(&file, b"yesterday").unwrap();
    (dir, file)
}

/// The file still holds yesterday's bill and nothing (no `.part`) was left beside it.
fn untouched(dir: &Path, file: &Path) {
    assert_eq!(std::fs::read(file).unwrap(), b"yesterday");
    assert_eq!(
        std::fs::read_dir(dir).unwrap().count(),
        1,
        "a .part was left"
    );
}

async fn download(base: &str, file: &Path, extra: Value) -> wechatpay::Result<()> {
    let mut args = json!({"query": {"token": "t"}, "sink": file.to_str().unwrap()});
    for (k, v) in extra.as_object().unwrap() {
        args[k] = v.clone();
    }
    client(base)
        .chain("v3/billdownload/file")
        .get(args)
        .await
        .map(drop)
}

#[tokio::test]
async fn a_gzip_bill_is_checked_unpacked_and_saved_as_received() {
    let packed = gz(BILL.as_bytes());
    let base = serving(packed.clone()).await;
    let (dir, file) = scratch("good");
    download(&base, &file, json!({"digest": sha1(BILL.as_bytes())}))
        .await
        .unwrap();
    assert_eq!(std::fs::read(&file).unwrap(), packed, "the bytes received");
    download(
        &base,
        &file,
        json!({"digest": sha1(BILL.as_bytes()), "gunzip": true}),
    )
    .await
    .unwrap();
    assert_eq!(std::fs::read_to_string(&file).unwrap(), BILL, "unpacked");
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
    // Held in memory (no sink), the digest is of the unpacked bill too.
    let res = client(&base)
        .chain("v3/billdownload/file")
        .get(json!({"query": {"token": "t"}, "digest": sha1(BILL.as_bytes())}))
        .await
        .unwrap();
    assert_eq!(res.body().as_ref(), packed);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn a_tampered_gzip_bill_is_refused_and_the_file_untouched() {
    let base = serving(gz(b"tampered,bill\n")).await;
    for extra in [json!({}), json!({"gunzip": true})] {
        let (dir, file) = scratch("tampered");
        let mut extra = extra;
        extra["digest"] = sha1(BILL.as_bytes());
        let e = download(&base, &file, extra).await.unwrap_err();
        assert!(
            matches!(&e, Error::Signature(m) if m.contains("SHA1")),
            "{e}"
        );
        untouched(&dir, &file);
        std::fs::remove_dir_all(&dir).unwrap();
    }
    // The digest of the packed bytes is not WeChat Pay's digest: refused as well.
    let packed = gz(BILL.as_bytes());
    let base = serving(packed.clone()).await;
    let (dir, file) = scratch("packed-digest");
    let e = download(&base, &file, json!({"digest": sha1(&packed)}))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Signature(_)), "{e}");
    untouched(&dir, &file);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn a_gzip_bomb_stops_at_max_download_bytes() {
    let zeros = vec![0u8; 16 << 20];
    let bomb = gz(&zeros);
    assert!(bomb.len() < 64 << 10, "{} bytes", bomb.len());
    let base = serving(bomb).await;
    let (dir, file) = scratch("bomb");
    let e = download(
        &base,
        &file,
        json!({"digest": sha1(&zeros), "gunzip": true, "max_download_bytes": 1 << 20}),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&e, Error::Limit { limit: "max_download_bytes", reason } if reason.contains("unpacks")),
        "{e}"
    );
    untouched(&dir, &file);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn a_corrupt_gzip_stream_is_a_decode_error() {
    let mut corrupt = gz(BILL.as_bytes());
    corrupt[14] ^= 0x55;
    let mut truncated = gz(BILL.as_bytes());
    truncated.truncate(truncated.len() - 4);
    for body in [corrupt, truncated] {
        let base = serving(body).await;
        let (dir, file) = scratch("corrupt");
        let e = download(&base, &file, json!({"digest": sha1(BILL.as_bytes())}))
            .await
            .unwrap_err();
        assert!(
            matches!(
                &e,
                Error::Decode {
                    what: "the gzip download",
                    ..
                }
            ),
            "{e}"
        );
        assert!(e.to_string().contains("gzip"), "{e}");
        untouched(&dir, &file);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

#[tokio::test]
async fn the_emulator_s_gzip_bill_checks_against_its_digest() {
    let server = Server::builder()
        .same_day_bills(true)
        .start()
        .await
        .unwrap();
    let client = server.client_builder().build().unwrap();
    // A paid order, so that today has a bill.
    client
        .chain("v3/pay/transactions/native")
        .post(
            json!({"json": {"appid": "wxd678efh567hg6787", "mchid": "1900000001",
            "description": "gzip", "out_trade_no": "GZ1", "notify_url": "http://127.0.0.1:9/",
            "amount": {"total": 100, "currency": "CNY"}}}),
        )
        .await
        .unwrap();
    let paid = server.pay("GZ1").unwrap();
    let today = paid["success_time"].as_str().unwrap()[..10].to_string();
    let bill = |tar: Option<&str>| {
        let mut q = json!({"bill_date": today, "bill_type": "ALL"});
        if let Some(t) = tar {
            q["tar_type"] = json!(t);
        }
        let chain = client.chain("v3/bill/tradebill");
        async move {
            chain
                .get(json!({"query": q}))
                .await
                .unwrap()
                .json()
                .unwrap()
        }
    };
    let (plain, packed) = (bill(None).await, bill(Some("GZIP")).await);
    let (dir, file) = scratch("emulator");
    let fetch = |b: &Value, gunzip: bool| {
        let args = json!({
            "download_url": b["download_url"], "sink": file.to_str().unwrap(), "gunzip": gunzip,
            "digest": {"hash_type": b["hash_type"], "hash_value": b["hash_value"]},
        });
        let chain = client.chain("{+download_url}");
        async move { chain.get(args).await }
    };
    fetch(&plain, false).await.unwrap();
    let text = std::fs::read(&file).unwrap();
    assert!(text.starts_with("\u{feff}交易时间,".as_bytes()));
    fetch(&packed, false).await.unwrap();
    assert_eq!(&std::fs::read(&file).unwrap()[..2], &[0x1f, 0x8b]);
    fetch(&packed, true).await.unwrap();
    assert_eq!(std::fs::read(&file).unwrap(), text);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn gunzip_without_a_sink_is_refused_before_sending() {
    let e = client("http://127.0.0.1:9/")
        .chain("v3/billdownload/file")
        .get(json!({"query": {"token": "t"}, "gunzip": true}))
        .await
        .unwrap_err();
    assert!(
        matches!(&e, Error::Argument { name, .. } if name == "gunzip"),
        "{e}"
    );
}
