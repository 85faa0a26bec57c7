//! Seed call 1: 请求撤销保险理赔 (cancel an insurance claim), the endpoint of both the PHP
//! documentation page and the official WeChat Pay page the project started from, against the
//! local emulator.
//!
//! ```sh
//! cargo run --example seed_insurance_claim_cancel --features mock
//! ```
//!
//! The PHP page shows the call in three async forms (pure chain, `chain('…')`, `$instance['…']`);
//! the Rust twins are below, and all three must send the same signed request.

use serde_json::json;
use wechatpay::{chain, mock};

const TEMPLATE: &str =
    "v3/platsolution/ecommerce/mch-transfer/insurance-claim-bills/out-bill-no/{out_bill_no}/cancel";

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let server = mock::Server::start().await?;
    let client = server.client_builder().build()?;
    // The values of the PHP page, unchanged.
    let args = json!({ "out_bill_no": "plfk2020042013", "json": { "sub_mchid": "1900001109" } });

    // $instance->v3->platsolution->ecommerce->mchTransfer->insuranceClaimBills->outBillNo->_out_bill_no_->cancel
    let by_chain = chain!(
        client
            .v3
            .platsolution
            .ecommerce
            .mchTransfer
            .insuranceClaimBills
            .outBillNo
            ._out_bill_no_
            .cancel
    );
    // The macro's camelCase words must normalise to the documented template, or the chain form
    // would quietly call another path.
    assert_eq!(by_chain.template(), TEMPLATE);
    let answers = [
        by_chain.post(args.clone()).await?,
        client.chain(TEMPLATE).post(args.clone()).await?,
        client[TEMPLATE].post(args.clone()).await?,
    ];

    // Reaching here means each answer's WeChat Pay signature verified (the client refuses an
    // answer that does not); what is left to check is what was sent and what came back.
    let journal = server.journal();
    assert_eq!(journal.len(), 3);
    for (res, sent) in answers.iter().zip(&journal) {
        assert_eq!(res.status(), 200);
        let body = res.json()?;
        assert_eq!(body["out_bill_no"], "plfk2020042013", "{body}");
        assert_eq!(sent.method, "POST");
        assert_eq!(
            sent.path,
            "/v3/platsolution/ecommerce/mch-transfer/insurance-claim-bills/out-bill-no/plfk2020042013/cancel"
        );
        assert!(sent.verified, "the emulator verified our signature");
        let json: serde_json::Value = serde_json::from_slice(&sent.body)?;
        assert_eq!(json, args["json"], "only the `json` option is the body");
    }
    println!("{} verified: {}", answers[0].status(), answers[0].json()?);
    println!("3 call forms, 3 identical signed requests, 3 verified answers");
    Ok(())
}
