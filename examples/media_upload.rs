//! A media upload (`v3/merchant/media/upload`, 图片上传) against the local emulator: a
//! `multipart/form-data` body whose signature covers only the `meta` part.
//!
//! ```sh
//! cargo run --example media_upload --features mock
//! ```
//!
//! PHP: `$media = new MediaUtil('logo.png')`, then `'body' => $media->getStream()` and the
//! `Content-Type` header by hand. Here `Media` builds both parts and `upload` signs over `meta`.

use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use wechatpay::{mock, Media};

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let server = mock::Server::start().await?;
    let client = server.client_builder().build()?;

    // `Media::from_file("logo.png")?` reads a file; the repository's fixture keeps this runnable.
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/logo.png");
    let logo = Media::from_file(path)?;
    let content = std::fs::read(path)?;
    let meta: Value = serde_json::from_str(logo.meta())?;
    // The meta WeChat Pay checks the file against: its name and SHA-256.
    assert_eq!(meta["filename"], "logo.png");
    assert_eq!(meta["sha256"], hex::encode(Sha256::digest(&content)));

    let res = client
        .chain("v3/merchant/media/upload")
        .upload(&logo, json!({}))
        .await?;
    // Verified before `upload` returned; the answer carries the id to use in later calls.
    let body = res.json()?;
    let media_id = body["media_id"].as_str().ok_or("no media_id")?;
    assert!(!media_id.is_empty());

    let sent = server
        .journal()
        .pop()
        .ok_or("the emulator saw no request")?;
    assert_eq!(sent.path, "/v3/merchant/media/upload");
    assert!(sent.verified, "the signature over `meta` verified");
    let content_type = sent.headers["content-type"].to_str()?;
    assert!(content_type.starts_with("multipart/form-data; boundary="));
    // Both parts went up: the exact signed meta, and the file's bytes unchanged.
    let body_bytes = &sent.body[..];
    assert!(contains(body_bytes, logo.meta().as_bytes()));
    assert!(contains(body_bytes, &content));

    println!(
        "uploaded {} ({} bytes), verified: media_id {media_id}",
        logo.filename(),
        content.len()
    );
    Ok(())
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}
