//! A trade bill (交易账单) against the local emulator: `v3/bill/tradebill` hands out a download
//! URL and the bill's digest in a signed answer; the download streams to a file (`sink`) and is
//! checked against that digest (`digest`) as it arrives.
//!
//! ```sh
//! cargo run --example bill_download --features mock
//! ```
//!
//! PHP: `'sink' => './bill.csv'`, then re-read the file and compare its SHA-1 by hand.

use serde_json::json;
use wechatpay::mock::{Answer, Server};
use wechatpay::Error;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Same-day bills: WeChat Pay makes a day's bill the next morning; the emulator at once.
    let server = Server::builder().same_day_bills(true).start().await?;
    let client = server.client_builder().build()?;

    // A paid order, so the day's bill has a line to show.
    let out_trade_no = "1217752501201407033233368018";
    client
        .chain("v3/pay/transactions/native")
        .post(json!({ "json": {
            "appid": "wxd678efh567hg6787", "mchid": client.mchid(), "description": "Image形象店-深圳腾大-QQ公仔",
            "out_trade_no": out_trade_no, "notify_url": "https://www.weixin.qq.com/wxpay/pay.php",
            "amount": { "total": 100, "currency": "CNY" },
        }}))
        .await?;
    let paid = server.pay(out_trade_no)?;
    let date = &paid["success_time"].as_str().ok_or("no success_time")?[..10];

    let bill = client
        .chain("v3/bill/tradebill")
        .get(json!({ "query": { "bill_date": date, "bill_type": "ALL" } }))
        .await?
        .json()?;
    println!(
        "bill of {date}: {} {}",
        bill["hash_type"], bill["hash_value"]
    );
    let digest = json!({ "hash_type": bill["hash_type"], "hash_value": bill["hash_value"] });

    let dir = std::env::temp_dir().join(format!("wechatpay-bill-example-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let file = dir.join("tradebill.csv");
    // `{+download_url}` takes the signed URL as it is: reserved characters are not re-encoded.
    let res = client
        .chain("{+download_url}")
        .get(json!({
            "download_url": bill["download_url"],
            "sink": file.to_str().ok_or("a UTF-8 temp path")?,
            "digest": digest,
        }))
        .await?;
    assert!(res.status().is_success());
    // The bill went to the file, not to memory.
    let csv = std::fs::read_to_string(&file)?;
    assert!(csv.contains(out_trade_no), "{csv}");
    println!(
        "downloaded to {} ({} bytes); SHA1 digest checked while streaming",
        file.display(),
        csv.len()
    );

    // A download that does not match the signed digest is refused, and the bill already in the
    // file stays as it was.
    server.on(
        "GET",
        "v3/billdownload/file",
        Answer::raw(200, b"tampered,bill\r\n".to_vec()),
    );
    let err = client
        .chain("{+download_url}")
        .get(json!({ "download_url": bill["download_url"], "sink": file.to_str(), "digest": digest }))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Signature(m) if m.contains("SHA1")),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(&file)?,
        csv,
        "the good bill is untouched"
    );
    println!(
        "a tampered download: refused ({err}); {} untouched",
        file.display()
    );

    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
