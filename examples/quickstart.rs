//! The main job: start the local WeChat Pay emulator, build a client for it, and make the five
//! calls of the seed pages in the chain, segment, template and indexed forms, async and blocking.
//!
//! ```sh
//! cargo run --example quickstart --features mock,blocking
//! ```
//!
//! Every answer is verified (APIv3: WeChat Pay's RSA signature; APIv2: `sign` and
//! `return_code`/`result_code`) before it is printed. The exit status is 0 only if all five are.

use serde_json::json;
use std::process::ExitCode;
use wechatpay::{chain, mock, Response};

fn show(n: usize, form: &str, what: &str, result: wechatpay::Result<Response>) -> bool {
    match result {
        Ok(res) => {
            let body = match res.json() {
                Ok(v) if !v.is_null() => v.to_string(),
                Ok(_) => "(no content)".to_string(),
                Err(_) => match res.xml() {
                    Ok(fields) => serde_json::Value::Object(fields).to_string(),
                    Err(_) => String::from_utf8_lossy(res.body()).into_owned(),
                },
            };
            println!("{n}. {what} [{form}]\n   {} verified: {body}", res.status());
            true
        }
        Err(e) => {
            println!("{n}. {what} [{form}]\n   FAILED: {e}");
            false
        }
    }
}

fn main() -> ExitCode {
    let rt = tokio::runtime::Runtime::new().expect("a tokio runtime");
    let server = match rt.block_on(mock::Server::start()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("cannot start the emulator: {e}");
            return ExitCode::FAILURE;
        }
    };
    let client = match server.client_builder().build() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("cannot build the client: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!(
        "WeChat Pay emulator on {} — merchant {}, WeChat Pay public key {}\n",
        server.url(),
        client.mchid(),
        server.public_key_id()
    );
    let mut ok = Vec::new();

    // Async, pure chain (PHP: $instance->v3->platsolution->...->_out_bill_no_->cancel->postAsync)
    ok.push(show(
        1,
        "async, chain! macro",
        "cancel an insurance claim (请求撤销保险理赔)",
        rt.block_on(
            chain!(
                client
                    .v3
                    .platsolution
                    .ecommerce
                    .mchTransfer
                    .insuranceClaimBills
                    .outBillNo
                    ._out_bill_no_
                    .cancel
            )
            .post(
                json!({ "out_bill_no": "plfk2020042013", "json": { "sub_mchid": "1900001109" } }),
            ),
        ),
    ));

    // Async, string template
    ok.push(show(
        2,
        "async, template",
        "cancel a QQ-wallet transfer (撤销转账到QQ钱包)",
        rt.block_on(
            client
                .chain("v3/fund-app/mch-transfer/transfer-to-qq-wallet-bills/{out_bill_no}/cancel")
                .post(json!({ "out_bill_no": "plfk2020042013" })),
        ),
    ));

    // The blocking twin, on its own runtime; the emulator keeps serving on `rt`'s workers.
    let blocking = wechatpay::blocking::Client::from(client.clone());

    ok.push(show(
        3,
        "blocking, segments",
        "cancel a payscore order (取消支付分订单)",
        blocking
            .v3()
            .seg("payscore")
            .seg("serviceorder")
            .seg("_out_order_no_")
            .seg("cancel")
            .post(json!({
                "out_order_no": "1234323JKHDFE1243252",
                "json": { "appid": "wxd678efh567hg6787", "service_id": "500001", "reason": "用户投诉" },
            })),
    ));

    ok.push(show(
        4,
        "blocking, chain! macro",
        "cancel a partner payscore order (服务商取消支付分订单)",
        chain!(
            blocking
                .v3
                .payscore
                .partner
                .serviceorder
                ._out_order_no_
                .cancel
        )
        .post(json!({
            "out_order_no": "1234323JKHDFE1243252",
            "json": {
                "service_id": "2002000000000558128851361561536",
                "sub_mchid": "1900000109",
                "reason": "用户投诉",
            },
        })),
    ));

    // APIv2 over mutual TLS, indexed template (PHP: $instance['v2/wxv/cancelbill']->post([...]))
    ok.push(show(
        5,
        "blocking, indexed, APIv2 + mTLS",
        "cancel a rental order, 撤销租借订单 (v2/wxv/cancelbill)",
        blocking["v2/wxv/cancelbill"].post(json!({
            "security": true,
            "xml": {
                "version": "1.0",
                "appid": "wxd678efh567hg6787",
                "mch_id": client.mchid(),
                "sign_type": "HMAC-SHA256",
                "out_order_no": "1234323JKHDFE1243252",
                "reason": "用户投诉",
                // required by the documentation's table, which the emulator checks
                "service_id": "500001",
            },
        })),
    ));

    drop(blocking);
    let verified = ok.iter().filter(|v| **v).count();
    println!("\n{verified}/{} answers verified", ok.len());
    drop(server);
    if verified == ok.len() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
