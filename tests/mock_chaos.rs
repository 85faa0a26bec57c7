//! The emulator's chaos mode (`Server::chaos`) over real sockets on 127.0.0.1: each fault kind
//! does what its journal record says (reached, processed, changed the state, business number),
//! a refused connection sends nothing, and the admin API switches it and lists the ledger.
#![cfg(feature = "mock")]

use serde_json::{json, Value};
use std::time::Duration;
use wechatpay::mock::{Chaos, ChaosFault, Server};
use wechatpay::{Client, Outcome};

async fn strict() -> (Server, Client) {
    let server = Server::builder().strict(true).start().await.unwrap();
    let client = server.client_builder().build().unwrap();
    (server, client)
}

fn order_v3(client: &Client, out_trade_no: &str) -> Value {
    json!({ "retry": false, "timeout": 0.5, "json": {
        "appid": "wxd678efh567hg6787", "mchid": client.mchid(), "description": "chaos",
        "out_trade_no": out_trade_no, "notify_url": "https://example.com/notify",
        "amount": { "total": 100 }, "payer": { "openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o" } } })
}

fn order_v2(client: &Client, out_trade_no: &str) -> Value {
    json!({ "retry": false, "xml": {
        "appid": "wxd678efh567hg6787", "mch_id": client.mchid(), "body": "chaos",
        "out_trade_no": out_trade_no, "total_fee": "100", "spbill_create_ip": "127.0.0.1",
        "notify_url": "https://example.com/notify", "trade_type": "NATIVE" } })
}

#[tokio::test]
async fn each_fault_kind_is_journaled_with_what_it_did() {
    let (server, client) = strict().await;
    for (n, kind) in ChaosFault::ALL[1..].iter().copied().enumerate() {
        let otn = format!("CHAOS{n}");
        let chaos = Chaos::new(n as u64, 1.0)
            .only(&[kind])
            .slow(Duration::from_secs(1));
        server.chaos(chaos);
        let said = client
            .chain("v3/pay/transactions/jsapi")
            .post(order_v3(&client, &otn))
            .await;
        server.chaos_off();
        // An unknown serial also makes the client download `v3/certificates` (it holds the APIv3
        // key): that request is journaled too, with no business number.
        let journal: Vec<_> = server
            .chaos_journal()
            .into_iter()
            .filter(|r| r.path != "/v3/certificates")
            .collect();
        assert_eq!(journal.len(), 1, "{kind:?}: {journal:?}");
        let r = &journal[0];
        assert_eq!(r.fault, Some(kind));
        assert_eq!(
            (r.method.as_str(), r.path.as_str()),
            ("POST", "/v3/pay/transactions/jsapi")
        );
        assert_eq!(r.business_no.as_deref(), Some(otn.as_str()));
        let expect_processed = match kind {
            ChaosFault::DropBeforeProcessing | ChaosFault::RateLimited => false,
            // Processed or not, at random: the journal says which.
            ChaosFault::ServerError => r.processed,
            _ => true,
        };
        assert_eq!(r.processed, expect_processed, "{kind:?}");
        // A new order: processing it is changing the state, and the ledger agrees.
        assert_eq!(r.changed, r.processed, "{kind:?}");
        assert_eq!(server.order(&otn).is_some(), r.changed, "{kind:?}");
        assert_eq!(r.code, if r.processed { "OK" } else { "" }, "{kind:?}");
        // Every fault fails the call; only the signed 429 is a refusal the client may trust.
        let e = said.expect_err(&format!("{kind:?} fails the call"));
        let expected = if kind == ChaosFault::RateLimited {
            Outcome::Rejected
        } else {
            Outcome::Unknown
        };
        assert_eq!(e.outcome(), expected, "{kind:?}: {e}");
    }
    // Off, calls go through untouched and are not journaled.
    let res = client
        .chain("v3/pay/transactions/jsapi")
        .post(order_v3(&client, "CALM"))
        .await;
    assert!(res.is_ok(), "{res:?}");
    assert_eq!(server.chaos_journal().len(), 1);
}

#[tokio::test]
async fn apiv2_answers_lose_or_forge_their_sign() {
    let (server, client) = strict().await;
    for (n, kind) in [ChaosFault::Unsigned, ChaosFault::BadSignature]
        .into_iter()
        .enumerate()
    {
        server.chaos(Chaos::new(9, 1.0).only(&[kind]));
        let otn = format!("V2CHAOS{n}");
        let said = client
            .chain("v2/pay/unifiedorder")
            .post(order_v2(&client, &otn))
            .await;
        server.chaos_off();
        let r = &server.chaos_journal()[0];
        assert_eq!(
            (r.fault, r.processed, r.changed, r.business_no.as_deref()),
            (Some(kind), true, true, Some(otn.as_str()))
        );
        assert!(server.order(&otn).is_some());
        let e = said.expect_err("an answer with no valid sign is refused");
        assert_eq!(e.outcome(), Outcome::Unknown, "{kind:?}: {e}");
    }
    // The kinds of APIv3 answers only never meet an APIv2 call.
    server.chaos(Chaos::new(9, 1.0).only(&[ChaosFault::UnknownSerial, ChaosFault::SkewedClock]));
    let ok = client
        .chain("v2/pay/unifiedorder")
        .post(order_v2(&client, "V2CALM"))
        .await;
    assert!(ok.is_ok(), "{ok:?}");
    assert_eq!(server.chaos_journal()[0].fault, None);
}

#[tokio::test]
async fn a_refused_connection_sends_nothing() {
    let (server, client) = strict().await;
    server.chaos(Chaos::new(3, 1.0).only(&[ChaosFault::RefusedConnection]));
    let e = client
        .chain("v3/pay/transactions/jsapi")
        .post(order_v3(&client, "NEVER"))
        .await
        .expect_err("no connection can be made");
    assert_eq!(e.outcome(), Outcome::NotSent, "{e}");
    let journal = server.chaos_journal();
    assert!(!journal.is_empty());
    assert!(journal
        .iter()
        .all(|r| r.fault == Some(ChaosFault::RefusedConnection)
            && r.business_no.is_none()
            && !r.processed));
    assert!(server.journal().is_empty());
    assert!(server.order("NEVER").is_none());
}

/// An admin call: (status, JSON answer).
async fn admin(
    http: &reqwest::Client,
    method: reqwest::Method,
    url: String,
    body: Value,
) -> (u16, Value) {
    let res = http
        .request(method, url)
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (
        status,
        serde_json::from_slice(&res.bytes().await.unwrap()).unwrap(),
    )
}

#[tokio::test]
async fn the_admin_api_switches_chaos_and_lists_the_ledger() {
    use reqwest::Method;
    let (server, client) = strict().await;
    let http = reqwest::Client::builder()
        .default_headers(token_header(&server))
        .no_proxy()
        .tls_certs_merge(reqwest::Certificate::from_pem_bundle(server.ca_pem().as_bytes()).unwrap())
        .build()
        .unwrap();
    let url = |p: &str| format!("{}__emulator/{p}", server.url());
    let on = admin(
        &http,
        Method::POST,
        url("chaos"),
        json!({ "seed": 5, "rate": 0.0, "slow_ms": 100 }),
    )
    .await;
    assert_eq!(
        on,
        (
            200,
            json!({ "on": true, "seed": 5, "rate": 0.0, "slow_ms": 100 })
        )
    );
    let made = client
        .chain("v3/pay/transactions/jsapi")
        .post(order_v3(&client, "LEDGER1"))
        .await
        .unwrap()
        .json()
        .unwrap();
    let (_, chaos) = admin(&http, Method::GET, url("chaos"), json!({})).await;
    assert_eq!(chaos["records"].as_array().unwrap().len(), 1);
    let r = &chaos["records"][0];
    assert_eq!(
        (
            &r["fault"],
            &r["business_no"],
            &r["processed"],
            &r["changed"],
            &r["code"]
        ),
        (
            &Value::Null,
            &json!("LEDGER1"),
            &json!(true),
            &json!(true),
            &json!("OK")
        )
    );
    let (_, ledger) = admin(&http, Method::GET, url("ledger"), json!({})).await;
    assert_eq!(ledger["orders"][0]["out_trade_no"], "LEDGER1");
    assert_eq!(ledger["orders"][0]["trade_state"], "NOTPAY");
    assert_eq!(ledger["orders"][0]["prepay_id"], made["prepay_id"]);
    assert_eq!(ledger["refunds"], json!([]));
    let (_, off) = admin(&http, Method::DELETE, url("chaos"), json!({})).await;
    assert_eq!(off["on"], false);
    let (status, _) = admin(&http, Method::POST, url("chaos"), json!({})).await;
    assert_eq!(status, 400);
}

/// The run's admin token, which every state-changing admin call carries.
fn token_header(server: &wechatpay::mock::Server) -> reqwest::header::HeaderMap {
    let mut h = reqwest::header::HeaderMap::new();
    h.insert("x-emulator-token", server.admin_token().parse().unwrap());
    h
}
