//! The blocking twin does its CPU work on the calling thread: a signer that records where it
//! runs shows every signature made on the thread that made the call, so N threads sign on N
//! cores. Inside an async context it hands the call to its own runtime instead.
#![cfg(all(feature = "mock", feature = "blocking"))]

use serde_json::json;
use std::sync::{Arc, Mutex};
use std::thread::ThreadId;
use wechatpay::crypto::{PrivateKey, Signer};
use wechatpay::mock::Server;

const CLOSE: &str = "v3/pay/transactions/out-trade-no/{out_trade_no}/close";

/// Signs with the merchant key and notes the signing thread.
struct Recording {
    key: PrivateKey,
    threads: Mutex<Vec<ThreadId>>,
}

impl Signer for Recording {
    fn sign(&self, message: &[u8]) -> wechatpay::Result<Vec<u8>> {
        self.threads
            .lock()
            .unwrap()
            .push(std::thread::current().id());
        Signer::sign(&self.key, message)
    }
}

fn setup() -> (
    wechatpay::mock::BlockingServer,
    wechatpay::blocking::Client,
    Arc<Recording>,
) {
    let server = Server::start_blocking().unwrap();
    let signer = Arc::new(Recording {
        key: PrivateKey::from_pem(server.merchant().private_key_pem.as_bytes()).unwrap(),
        threads: Mutex::new(Vec::new()),
    });
    let client = server
        .client_builder()
        .signer(signer.clone())
        .build()
        .unwrap();
    (server, wechatpay::blocking::Client::from(client), signer)
}

#[test]
fn each_caller_thread_signs_its_own_calls() {
    let (server, client, signer) = setup();
    let callers: Vec<_> = (0..3)
        .map(|t| {
            let client = client.clone();
            std::thread::spawn(move || {
                for i in 0..4 {
                    let args = json!({"out_trade_no": format!("T{t}N{i}"), "json": {"mchid": "1900000001"}});
                    assert_eq!(client.chain(CLOSE).post(args).unwrap().status(), 204);
                }
                std::thread::current().id()
            })
        })
        .collect();
    let callers: Vec<ThreadId> = callers.into_iter().map(|h| h.join().unwrap()).collect();
    let signed = signer.threads.lock().unwrap().clone();
    assert_eq!(signed.len(), 12);
    for caller in &callers {
        assert_eq!(
            signed.iter().filter(|t| *t == caller).count(),
            4,
            "{caller:?} signed its own calls"
        );
    }
    assert_eq!(server.journal().len(), 12);
}

#[tokio::test]
async fn inside_an_async_context_the_call_still_works() {
    let (_server, client, signer) = tokio::task::spawn_blocking(setup).await.unwrap();
    // Called right on a runtime worker: blocking it is not allowed, so the call goes to the
    // client's own runtime and is waited for.
    let res = client
        .chain(CLOSE)
        .post(json!({"out_trade_no": "A1", "json": {"mchid": "1900000001"}}))
        .unwrap();
    assert_eq!(res.status(), 204);
    assert_ne!(
        signer.threads.lock().unwrap()[0],
        std::thread::current().id()
    );
    drop(client);
}
