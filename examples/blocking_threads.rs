//! The blocking client (`wechatpay::blocking::Client`, feature `blocking`) shared by several
//! threads, against the local emulator: no async code, no runtime to set up.
//!
//! ```sh
//! cargo run --example blocking_threads --features mock,blocking
//! ```
//!
//! One client serves every thread: clones share the connection pool, keys and the client's small
//! runtime, so build it once at start-up, not per request. Signing and verifying run on the
//! calling thread, so threads sharing the client sign in parallel.

use serde_json::json;
use std::thread;
use wechatpay::{blocking, mock};

const THREADS: usize = 4;
const ORDERS_EACH: usize = 3;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The emulator runs on a runtime of its own, on a background thread.
    let server = mock::Server::start_blocking()?;
    let client = blocking::Client::from(server.client_builder().build()?);
    let mchid = client.as_async().mchid().to_string();

    // Each thread creates its orders and queries them back; `thread::scope` lets the threads
    // borrow the one client, and a panic (a failed assert) in any of them fails the program.
    let answers: Vec<wechatpay::Result<Vec<String>>> = thread::scope(|s| {
        let handles: Vec<_> = (0..THREADS)
            .map(|t| {
                let (client, mchid) = (&client, &mchid);
                s.spawn(move || {
                    let mut orders = Vec::new();
                    for n in 0..ORDERS_EACH {
                        let out_trade_no = format!("BLOCKING{t}X{n}");
                        let order = client.chain("v3/pay/transactions/native").post(json!({ "json": {
                            "appid": "wxd678efh567hg6787", "mchid": mchid, "description": "blocking example",
                            "out_trade_no": out_trade_no, "notify_url": "https://www.weixin.qq.com/wxpay/pay.php",
                            "amount": { "total": 100 + n, "currency": "CNY" },
                        }}))?;
                        assert!(order.json()?["code_url"].is_string());
                        let q = client
                            .chain("v3/pay/transactions/out-trade-no/{out_trade_no}")
                            .get(json!({ "out_trade_no": out_trade_no, "query": { "mchid": mchid } }))?
                            .json()?;
                        assert_eq!(q["out_trade_no"], out_trade_no.as_str());
                        assert_eq!(q["trade_state"], "NOTPAY");
                        assert_eq!(q["amount"]["total"], 100 + n);
                        orders.push(out_trade_no);
                    }
                    Ok(orders)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a worker thread panicked"))
            .collect()
    });

    let mut created = 0;
    for (t, result) in answers.into_iter().enumerate() {
        let orders = result?;
        println!(
            "thread {t}: {} orders created and queried back",
            orders.len()
        );
        created += orders.len();
    }
    assert_eq!(created, THREADS * ORDERS_EACH);

    // Every request reached the emulator signed, and every nonce was fresh (a reused one would
    // be refused as a replay).
    let journal = server.journal();
    assert_eq!(journal.len(), 2 * THREADS * ORDERS_EACH);
    assert!(journal.iter().all(|r| r.verified && r.outcome == "OK"));
    println!(
        "{} calls from {THREADS} threads through one client, all verified",
        journal.len()
    );
    Ok(())
}
