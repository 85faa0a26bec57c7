//! Seed call 3: 取消支付分订单 (cancel a WeChat Pay Score order), the direct-merchant call the
//! quickstart makes beside the partner one, against the local emulator, built segment by
//! segment and sent with the blocking client.
//!
//! ```sh
//! cargo run --example seed_payscore_cancel --features mock,blocking
//! ```

use serde_json::json;
use wechatpay::{blocking, mock};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The emulator on a runtime of its own, so this program needs none.
    let server = mock::Server::start_blocking()?;
    let client = blocking::Client::from(server.client_builder().build()?);

    let args = json!({
        "out_order_no": "1234323JKHDFE1243252",
        "json": { "appid": "wxd678efh567hg6787", "service_id": "500001", "reason": "用户投诉" },
    });
    // One `seg` per path word, as PHP's `$instance->v3->payscore->…` builds the chain.
    let res = client
        .v3()
        .seg("payscore")
        .seg("serviceorder")
        .seg("_out_order_no_")
        .seg("cancel")
        .post(args.clone())?;

    // Verified before `post` returned; the documented answer echoes the order.
    assert_eq!(res.status(), 200);
    let body = res.json()?;
    assert_eq!(body["out_order_no"], "1234323JKHDFE1243252", "{body}");
    assert_eq!(body["service_id"], "500001", "{body}");

    let sent = server
        .journal()
        .pop()
        .ok_or("the emulator saw no request")?;
    assert_eq!(
        sent.path,
        "/v3/payscore/serviceorder/1234323JKHDFE1243252/cancel"
    );
    assert!(sent.verified);
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&sent.body)?,
        args["json"]
    );
    println!("{} verified: {body}", res.status());

    // The emulator checks the documented required fields as WeChat Pay does: without `reason`
    // the call is a verified 400 PARAM_ERROR naming it, not a silent success.
    let mut bad = args;
    bad["json"]
        .as_object_mut()
        .ok_or("json is an object")?
        .remove("reason");
    match client
        .chain("v3/payscore/serviceorder/{out_order_no}/cancel")
        .post(bad)
    {
        Err(wechatpay::Error::Api {
            status,
            code,
            message,
            verified,
            ..
        }) => {
            assert_eq!(
                (status.as_u16(), code.as_deref()),
                (400, Some("PARAM_ERROR"))
            );
            assert!(verified && message.as_deref().unwrap_or("").contains("reason"));
            println!("without reason: {status} PARAM_ERROR, verified");
        }
        other => return Err(format!("expected PARAM_ERROR, got {other:?}").into()),
    }
    Ok(())
}
