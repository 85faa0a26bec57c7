//! Platform keys and files against the emulator: public-key mode, certificate mode with
//! download and background refresh, both at once; scripted answers; a bill streamed to a file;
//! media uploads; failover.
//! (The emulator's own checks and faults are in tests/mock.rs.)
#![cfg(feature = "mock")]

mod support;
use serde_json::{json, Value};
use std::time::Duration;
use support::closed_port;
use wechatpay::mock::{Answer, Mode, Server};
use wechatpay::{Client, Error, Media};

async fn start() -> (Server, Client) {
    let server = Server::start().await.expect("emulator starts");
    let client = server.client_builder().build().expect("client builds");
    (server, client)
}

/// An emulator in certificate mode and a client that has no WeChat Pay key yet.
async fn start_in_certificate_mode() -> (Server, Client) {
    let server = Server::builder()
        .mode(Mode::Certificate)
        .start()
        .await
        .unwrap();
    let client = server.client_builder().build().unwrap();
    (server, client)
}

fn cancel(client: &Client) -> wechatpay::Chain {
    client.chain("v3/payscore/serviceorder/{out_order_no}/cancel")
}

fn cancel_args() -> Value {
    json!({ "out_order_no": "1234323JKHDFE1243252", "json": { "appid": "wxd678efh567hg6787", "service_id": "500001", "reason": "用户投诉" } })
}

#[tokio::test]
async fn scripted_answers_and_downloads() {
    let (server, client) = start().await;
    server.on(
        "GET",
        "v3/pay/transactions/id/{transaction_id}",
        Answer::json(200, json!({"trade_state": "SUCCESS"})).with_header("X-Emulated", "1"),
    );
    let res = client
        .chain("v3/pay/transactions/id/{transaction_id}")
        .get(json!({"transaction_id": "4200000000", "query": {"mchid": "1900000001"}}))
        .await
        .unwrap();
    assert_eq!(res.json().unwrap()["trade_state"], "SUCCESS");
    assert_eq!(res.headers()["x-emulated"], "1");
    server.on(
        "GET",
        "v3/pay/transactions/id/{transaction_id}",
        Answer::json(
            404,
            json!({"code": "ORDER_NOT_EXIST", "message": "订单不存在"}),
        ),
    );
    let e = client
        .chain("v3/pay/transactions/id/{transaction_id}")
        .get(json!({"transaction_id": "1", "query": {"mchid": "1900000001"}}))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("ORDER_NOT_EXIST"));

    // An unsigned bill download streamed to a file.
    let csv = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/bill.ALL.csv"
    ))
    .unwrap();
    server.on("GET", "v3/billdownload/file", Answer::raw(200, csv.clone()));
    let path = std::env::temp_dir().join(format!("wechatpay-bill-{}.csv", std::process::id()));
    let res = client
        .chain("v3/billdownload/file")
        .get(json!({"query": {"token": "dN7J6yDgUzbX8Uk3sD4a4e"}, "sink": path.to_str().unwrap()}))
        .await
        .unwrap();
    assert!(res.body().is_empty());
    let written = std::fs::read(&path).unwrap();
    std::fs::remove_file(&path).ok();
    assert_eq!(
        wechatpay::crypto::sha1_hex(&written),
        "9bb6cd819be348f17a9cbcedddc8eb62fefbd790"
    );
}

#[tokio::test]
async fn public_key_mode_certificate_mode_and_both() {
    // Public-key mode only (the default).
    let (_server, client) = start().await;
    cancel(&client).post(cancel_args()).await.unwrap();

    // Certificate mode only: nothing to verify with until the certificates are downloaded.
    let (server, client) = start_in_certificate_mode().await;
    assert!(client.keyring().is_empty());
    let certs = client.download_certificates().await.unwrap();
    assert_eq!(certs.len(), 1);
    assert_eq!(certs[0].serial_no(), server.platform_serial());
    assert_eq!(
        client.keyring().ids(),
        vec![server.platform_serial().to_string()]
    );
    cancel(&client).post(cancel_args()).await.unwrap();

    // A wrong APIv3 key cannot decrypt them: a clear error, nothing added.
    let wrong = server
        .client_builder()
        .apiv3_key("0123456789abcdef0123456789abcdef")
        .build()
        .unwrap();
    match wrong.download_certificates().await {
        Err(Error::Crypto(m)) => assert!(m.contains("APIv3 key"), "{m}"),
        other => panic!("{other:?}"),
    }
    assert!(wrong.keyring().is_empty());

    // Both at once (the switch from certificate to public key): the public key and the
    // platform certificate side by side. (tests/key_modes.rs has each key named in turn.)
    let server = Server::builder().mode(Mode::Both).start().await.unwrap();
    let both = server.client_builder().build().unwrap();
    assert_eq!(both.keyring().len(), 2);
    let res = cancel(&both).post(cancel_args()).await.unwrap();
    assert_eq!(res.headers()["Wechatpay-Serial"], server.public_key_id());
}

#[tokio::test]
async fn certificates_refresh_in_the_background() {
    let (server, client) = start_in_certificate_mode().await;
    // A long interval: the first download happens at once, not after it.
    let refresher = client
        .spawn_certificate_refresh(Duration::from_secs(3600))
        .unwrap();
    let mut updates = refresher.subscribe();
    tokio::time::timeout(Duration::from_secs(10), updates.changed())
        .await
        .unwrap()
        .unwrap();
    let status = refresher.status();
    assert_eq!((status.rounds, status.failures), (1, 0), "{status:?}");
    assert!(status.last_success.is_some());
    assert_eq!(
        client.keyring().ids(),
        vec![server.platform_serial().to_string()]
    );
    cancel(&client).post(cancel_args()).await.unwrap();
    drop(refresher);

    // The task ends by itself once every clone of the client is gone (it notices at its next
    // round), and dropping the handle stops it at once.
    let refresher = client
        .spawn_certificate_refresh(Duration::from_millis(20))
        .unwrap();
    drop(client);
    for _ in 0..500 {
        if refresher.is_finished() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(refresher.is_finished(), "the refresher outlived its client");
}

#[tokio::test]
async fn a_failing_refresh_is_reported_and_one_task_serves_many_clients() {
    let (server, client) = start_in_certificate_mode().await;
    // A second merchant whose APIv3 key is wrong: its listing never decrypts.
    let wrong = server
        .client_builder()
        .apiv3_key("0123456789abcdef0123456789abcdef")
        .build()
        .unwrap();
    let refresher =
        wechatpay::CertificateRefresher::spawn([&client, &wrong], Duration::from_secs(3600))
            .unwrap();
    let mut updates = refresher.subscribe();
    tokio::time::timeout(Duration::from_secs(10), updates.changed())
        .await
        .unwrap()
        .unwrap();
    let status = refresher.status();
    assert_eq!((status.rounds, status.failures), (1, 1), "{status:?}");
    let error = status.last_error.unwrap();
    assert!(error.starts_with("1900000001: "), "{error}");
    assert!(
        !error.contains("0123456789abcdef"),
        "no key in the report: {error}"
    );
    // the good client got its keys from the same round
    assert!(client.keyring().contains(server.platform_serial()));
}

#[test]
fn a_refresher_outside_a_runtime_is_an_error_not_a_panic() {
    let client = Client::builder()
        .mchid("1900000001")
        .apiv3_key("0123456789abcdef0123456789abcdef")
        .build()
        .unwrap();
    match client.spawn_certificate_refresh(Duration::from_secs(60)) {
        Err(Error::NotConfigured(m)) => assert!(m.contains("tokio runtime"), "{m}"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn failover_to_the_backup_domain_when_the_primary_cannot_be_reached() {
    let server = Server::start().await.unwrap();
    // A loopback port with nothing listening plays the unreachable primary.
    let closed = closed_port();
    let primary = format!("https://127.0.0.1:{closed}/");
    let plain = server.client_builder().base_uri(&primary).build().unwrap();
    assert!(
        matches!(cancel(&plain).post(cancel_args()).await, Err(Error::Transport(e)) if e.is_connect())
    );
    assert!(server.journal().is_empty());

    let client = server
        .client_builder()
        .base_uri(&primary)
        .failover_base_uri(server.url())
        .build()
        .unwrap();
    let res = cancel(&client).post(cancel_args()).await.unwrap();
    assert_eq!(res.status(), 200);
    let journal = server.journal();
    assert_eq!(journal.len(), 1, "sent once, to the backup");
    assert!(journal[0].verified);

    // A per-call base URI other than the client's is taken as meant: no failover.
    let other = closed_port();
    let mut args = cancel_args();
    args["base_uri"] = json!(format!("https://127.0.0.1:{other}/"));
    assert!(cancel(&client).post(args).await.is_err());
    // Nor is a per-call base URI that names the client's own (unreachable) base.
    let mut args = cancel_args();
    args["base_uri"] = json!(primary);
    let before = server.journal().len();
    assert!(matches!(cancel(&client).post(args).await, Err(Error::Transport(e)) if e.is_connect()));
    assert_eq!(server.journal().len(), before, "not failed over");

    // The backup must share the base path, which the signature covers.
    let e = server
        .client_builder()
        .base_uri(&primary)
        .failover_base_uri(format!("{}hk/", server.url()))
        .build()
        .unwrap_err();
    assert!(e.to_string().contains("failover_base_uri"), "{e}");
}

#[tokio::test]
async fn media_uploads_are_signed_over_their_meta() {
    let (server, client) = start().await;
    let logo = Media::from_file(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/logo.png"
    ))
    .unwrap();
    assert_eq!(
        logo.meta(),
        r#"{"filename":"logo.png","sha256":"01c9b1153143ad6927290a6523a1e3c98291f58388d44e59c8d2d8a98a8d1050"}"#
    );
    server.on(
        "POST",
        "v3/merchant/media/upload",
        Answer::json(
            200,
            json!({"media_id": "BB04A5DEEFEA18D4F2554C1EDD3B610B.png"}),
        ),
    );
    let res = client
        .chain("v3/merchant/media/upload")
        .upload(&logo, json!({}))
        .await
        .unwrap();
    assert_eq!(
        res.json().unwrap()["media_id"],
        "BB04A5DEEFEA18D4F2554C1EDD3B610B.png"
    );
    let sent = server.journal().pop().unwrap();
    assert!(
        sent.verified,
        "the emulator checked the signature over the meta part"
    );
    let content_type = sent.headers["content-type"].to_str().unwrap();
    assert!(
        content_type.starts_with("multipart/form-data; boundary="),
        "{content_type}"
    );
    let png = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/logo.png"
    ))
    .unwrap();
    assert!(sent.body.windows(png.len()).any(|w| w == png.as_slice()));

    // Extra meta fields are signed as sent; a JSON body beside the media is refused.
    let with_bank = logo
        .clone()
        .with_meta(json!({"filename": "logo.png", "sha256": "01c9b1153143ad6927290a6523a1e3c98291f58388d44e59c8d2d8a98a8d1050", "bank_type": "CFT"}))
        .unwrap();
    client
        .chain("v3/merchant/media/upload")
        .upload(&with_bank, json!({}))
        .await
        .unwrap();
    assert!(server.journal().pop().unwrap().verified);
    let e = client
        .chain("v3/merchant/media/upload")
        .upload(&logo, json!({"json": {"a": 1}}))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Argument { .. }), "{e}");
}

#[tokio::test]
async fn bills_stream_to_a_file_and_are_checked_against_the_signed_digest() {
    let (server, client) = start().await;
    let csv = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/bill.ALL.csv"
    ))
    .unwrap();
    // The signed answer that hands out the bill: its download_url and digest.
    let download_url = format!("{}v3/billdownload/file?token=6XIv5TUPto7pByrTQKhd6kwvyKLG2uY2wMMR8cNXqaA_Cv_isgaUtBzp4QtiozLO", server.url());
    server.on(
        "GET",
        "v3/bill/tradebill",
        Answer::json(200, json!({"hash_type": "SHA1", "hash_value": "9bb6cd819be348f17a9cbcedddc8eb62fefbd790", "download_url": download_url})),
    );
    server.on("GET", "v3/billdownload/file", Answer::raw(200, csv.clone()));
    let bill = client
        .chain("v3/bill/tradebill")
        .get(json!({"query": {"bill_date": "2019-06-11", "bill_type": "ALL"}}))
        .await
        .unwrap()
        .json()
        .unwrap();

    let path = std::env::temp_dir().join(format!("wechatpay-tradebill-{}.csv", std::process::id()));
    let digest = json!({"hash_type": bill["hash_type"], "hash_value": bill["hash_value"]});
    client
        .chain("{+download_url}")
        .get(json!({"download_url": bill["download_url"], "sink": path.to_str().unwrap(), "digest": digest}))
        .await
        .unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), csv);
    let sent = server.journal().pop().unwrap();
    assert_eq!(sent.path, "/v3/billdownload/file");
    assert!(sent
        .query
        .unwrap()
        .starts_with("token=6XIv5TUPto7pByrTQKhd6kwvyKLG2uY2wMMR8cNXqaA_Cv_isgaUtBzp4QtiozLO"));

    // A file that does not match the signed digest is refused, and the bill already there stays.
    server.on(
        "GET",
        "v3/billdownload/file",
        Answer::raw(200, b"tampered,bill\r\n".to_vec()),
    );
    let e = client
        .chain("{+download_url}")
        .get(json!({"download_url": bill["download_url"], "sink": path.to_str().unwrap(), "digest": digest}))
        .await
        .unwrap_err();
    assert!(
        matches!(&e, Error::Signature(m) if m.contains("SHA1")),
        "{e}"
    );
    assert_eq!(
        std::fs::read(&path).unwrap(),
        csv,
        "the target is untouched"
    );
    // In memory too, and a malformed digest is refused before anything is sent.
    let e = client
        .chain("v3/billdownload/file")
        .get(json!({"digest": digest}))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Signature(_)), "{e}");
    let before = server.journal().len();
    let e = client
        .chain("v3/billdownload/file")
        .get(json!({"digest": {"hash_type": "MD5", "hash_value": "00"}}))
        .await
        .unwrap_err();
    assert!(
        matches!(&e, Error::Argument { name, .. } if name == "digest"),
        "{e}"
    );
    assert_eq!(server.journal().len(), before);
}

#[tokio::test]
async fn redirects_are_never_followed() {
    let (server, client) = start().await;
    server.on(
        "GET",
        "v3/merchant/fund/balance/{account_type}",
        Answer::empty(302).with_header("Location", "https://127.0.0.1:9/elsewhere"),
    );
    let balance = client.chain("v3/merchant/fund/balance/{account_type}");
    match balance.get(json!({"account_type": "BASIC"})).await {
        Err(Error::Api { status, .. }) => assert_eq!(status.as_u16(), 302),
        other => panic!("a redirect must not be followed: {other:?}"),
    }
    assert_eq!(server.journal().len(), 1);
}

const EXPIRED: &str = include_str!("fixtures/v3/platform_expired.pem");
const FUTURE: &str = include_str!("fixtures/v3/platform_future.pem");
const PLATFORM: &str = include_str!("fixtures/client/platform_cert.pem");

#[test]
fn platform_certificates_outside_their_validity_are_refused_at_build() {
    for (pem, serial, words) in [
        (
            EXPIRED,
            "3E0E2D1C4B5A69788796A5B4C3D2E1F0A1B2C3D4",
            ["expired", "2020-01-01T00:00:00Z", "2021-01-01T00:00:00Z"],
        ),
        (
            FUTURE,
            "4F1F3E2D5C6B7A8998A7B6C5D4E3F2A1B2C3D4E5",
            [
                "not yet valid",
                "2090-01-01T00:00:00Z",
                "2091-01-01T00:00:00Z",
            ],
        ),
    ] {
        let e = Client::builder()
            .mchid("1900000001")
            .platform_certificate(pem)
            .build()
            .unwrap_err();
        match e {
            Error::Config {
                field: "platform_certificate",
                reason,
            } => {
                assert!(reason.contains(serial), "{reason}");
                for w in words {
                    assert!(reason.contains(w), "{w}: {reason}");
                }
            }
            other => panic!("{other:?}"),
        }
    }
    let ok = Client::builder()
        .mchid("1900000001")
        .platform_certificate(PLATFORM)
        .build()
        .unwrap();
    assert_eq!(ok.keyring().len(), 1);
}

#[test]
fn encryption_skips_certificates_that_expired_while_the_client_runs() {
    let client = Client::builder()
        .mchid("1900000001")
        .apiv3_key("0123456789abcdef0123456789abcdef")
        .build()
        .unwrap();
    // The keyring is shared with the certificate refresh; an expired one can land there.
    let expired = wechatpay::crypto::Certificate::from_pem(EXPIRED).unwrap();
    client.keyring().insert_certificate(&expired);
    match client.encrypt("张三") {
        Err(Error::NotConfigured(m)) => assert!(
            m.contains(expired.serial_no()) && m.contains("expired at 2021-01-01T00:00:00Z"),
            "{m}"
        ),
        other => panic!("{other:?}"),
    }
    assert!(client.keyring().encryption_key().is_none());
    assert!(client.keyring().get(expired.serial_no()).is_none());
    let current = wechatpay::crypto::Certificate::from_pem(PLATFORM).unwrap();
    client.keyring().insert_certificate(&current);
    assert_eq!(client.encrypt("张三").unwrap().serial, current.serial_no());
}

#[tokio::test]
async fn with_a_key_held_a_listing_signed_only_by_what_it_carries_is_refused() {
    let server = Server::builder()
        .mode(Mode::Certificate)
        .start()
        .await
        .unwrap();
    // The client holds another platform certificate, valid now: the emulator's listing is
    // signed by the certificate it carries, which the client does not hold.
    let client = server
        .client_builder()
        .platform_certificate(PLATFORM)
        .build()
        .unwrap();
    match client.download_certificates().await {
        Err(Error::Signature(m)) => assert!(
            m.contains("carries itself") && m.contains(server.platform_serial()),
            "{m}"
        ),
        other => panic!("{other:?}"),
    }
    assert!(!client.keyring().contains(server.platform_serial()));
    // Holding the emulator's certificate, the refresh verifies and keeps it.
    let held = server
        .client_builder()
        .platform_certificate(server.platform_certificate_pem())
        .build()
        .unwrap();
    let certs = held.download_certificates().await.unwrap();
    assert_eq!(certs[0].serial_no(), server.platform_serial());
}
