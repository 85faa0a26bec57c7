//! Seed call 4: 服务商取消支付分订单 (a service provider cancels a Pay Score order for its
//! sub-merchant), from the PHP documentation page, against the local emulator.
//!
//! ```sh
//! cargo run --example seed_payscore_partner_cancel --features mock
//! ```
//!
//! The PHP page's answer check is `$response->getStatusCode() === 204`: the call answers
//! `204 No Content`, signed like any other answer, so the signature is verified over the empty
//! body.

use serde_json::json;
use wechatpay::{chain, mock};

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let server = mock::Server::start().await?;
    let client = server.client_builder().build()?;
    // The values of the PHP page.
    let args = json!({
        "out_order_no": "1234323JKHDFE1243252",
        "json": {
            "service_id": "2002000000000558128851361561536",
            "sub_mchid": "1900000109",
            "reason": "用户投诉",
        },
    });

    // $instance->v3->payscore->partner->serviceorder->_out_order_no_->cancel->postAsync([...])
    let res = chain!(
        client
            .v3
            .payscore
            .partner
            .serviceorder
            ._out_order_no_
            .cancel
    )
    .post(args.clone())
    .await?;
    // $instance['v3/payscore/partner/serviceorder/{out_order_no}/cancel']->postAsync([...])
    let indexed = client["v3/payscore/partner/serviceorder/{out_order_no}/cancel"]
        .post(args.clone())
        .await?;

    // Both answers were verified against the emulator's WeChat Pay public key before `post`
    // returned: the key id they were signed under is the one the client was given.
    for r in [&res, &indexed] {
        assert_eq!(r.status(), 204);
        assert!(r.body().is_empty());
        assert_eq!(
            r.headers()["Wechatpay-Serial"].to_str()?,
            server.public_key_id()
        );
    }

    let journal = server.journal();
    assert_eq!(journal.len(), 2);
    for sent in &journal {
        assert_eq!(
            sent.path,
            "/v3/payscore/partner/serviceorder/1234323JKHDFE1243252/cancel"
        );
        assert!(sent.verified, "the emulator verified our signature");
        let body: serde_json::Value = serde_json::from_slice(&sent.body)?;
        assert_eq!(body, args["json"]);
    }
    println!("{} verified (no content)", res.status());
    println!("chain and indexed forms sent the same request; both answers verified");
    Ok(())
}
