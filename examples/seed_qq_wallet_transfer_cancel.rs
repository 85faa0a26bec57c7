//! Seed call 2: 撤销转账到QQ钱包 (cancel a transfer to a QQ wallet), from the PHP documentation
//! page, against the local emulator.
//!
//! ```sh
//! cargo run --example seed_qq_wallet_transfer_cancel --features mock
//! ```
//!
//! The call has no body: only the `out_bill_no` placeholder. PHP's `fundApp` and
//! `transferToQqWalletBills` become the path words `fund-app` and `transfer-to-qq-wallet-bills`.

use serde_json::json;
use wechatpay::{chain, mock, Error};

const TEMPLATE: &str = "v3/fund-app/mch-transfer/transfer-to-qq-wallet-bills/{out_bill_no}/cancel";

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let server = mock::Server::start().await?;
    let client = server.client_builder().build()?;

    // $instance->v3->fundApp->mchTransfer->transferToQqWalletBills->_out_bill_no_->cancel->postAsync([...])
    let cancel = chain!(
        client
            .v3
            .fundApp
            .mchTransfer
            .transferToQqWalletBills
            ._out_bill_no_
            .cancel
    );
    assert_eq!(cancel.template(), TEMPLATE);
    let res = cancel
        .post(json!({ "out_bill_no": "plfk2020042013" }))
        .await?;

    // The answer's signature was verified before `post` returned; check its content.
    assert_eq!(res.status(), 200);
    let body = res.json()?;
    assert_eq!(body["out_bill_no"], "plfk2020042013", "{body}");
    let sent = server
        .journal()
        .pop()
        .ok_or("the emulator saw no request")?;
    assert_eq!(
        sent.path,
        "/v3/fund-app/mch-transfer/transfer-to-qq-wallet-bills/plfk2020042013/cancel"
    );
    assert!(sent.verified && sent.body.is_empty());
    println!("{} verified: {body}", res.status());

    // PHP would send `…/transfer-to-qq-wallet-bills//cancel` for a forgotten placeholder; here
    // nothing leaves the process.
    let before = server.journal().len();
    let err = client.chain(TEMPLATE).post(json!({})).await.unwrap_err();
    assert!(
        matches!(&err, Error::MissingPlaceholder { name } if name == "out_bill_no"),
        "{err}"
    );
    assert_eq!(server.journal().len(), before, "nothing was sent");
    println!("without out_bill_no: refused before sending ({err})");
    Ok(())
}
