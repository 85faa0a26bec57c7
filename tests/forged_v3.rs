//! Forged APIv3 answers and notifications: one row per way to tamper, each with the error it
//! must give, through `v3::verify_response` and through the notification parser; then
//! certificate listings and a few rows end to end through the emulator.

use base64::Engine;
use serde_json::{json, Value};
use wechatpay::crypto::aes::aes_256_gcm_encrypt;
use wechatpay::crypto::{Certificate, PrivateKey, PublicKey};
use wechatpay::http::{HeaderMap, HeaderValue};
use wechatpay::notify::NotificationParser;
use wechatpay::{v3, Error, Keyring};

const WECHATPAY_KEY: &str = include_str!("fixtures/client/wechatpay_key.pem");
const WECHATPAY_PUB: &str = include_str!("fixtures/client/wechatpay_pub.pem");
const OTHER_KEY: &str = include_str!("fixtures/client/merchant_key.pem");
const PLATFORM: &str = include_str!("fixtures/client/platform_cert.pem");
const EXPIRED: &str = include_str!("fixtures/v3/platform_expired.pem");
const MERCHANT_CERT: &str = include_str!("fixtures/client/merchant_cert.pem");
const ATTACKER_KEY: &str = include_str!("fixtures/keys/rsa.pkcs8.key");
const ATTACKER_CERT: &str = include_str!("fixtures/keys/rsa.crt");
const PUB_ID: &str = "PUB_KEY_ID_0119000000012024000000000000";
const APIV3: &[u8] = b"0123456789abcdef0123456789abcdef";
const NONCE: &str = "5K8264ILTKCH16CQ2502SI8ZNMTM67VS";
const TS: &str = "Wechatpay-Timestamp";
const NC: &str = "Wechatpay-Nonce";
const SIG: &str = "Wechatpay-Signature";
const SER: &str = "Wechatpay-Serial";
const SHA1: &str = "Wechatpay-Statement-Sha1";
const TYPE: &str = "Wechatpay-Signature-Type";
const RSA: &str = "WECHATPAY2-SHA256-RSA2048";
const MISMATCH: &str = "does not verify over the body";
#[cfg(not(feature = "shangmi"))]
const SM2_REFUSAL: &str = "enable the crate feature `shangmi`";
#[cfg(feature = "shangmi")]
const SM2_REFUSAL: &str = "names WECHATPAY2-SM2-WITH-SM3, but `";

/// Inside the platform certificate's validity, so it can sign too.
fn now() -> i64 {
    cert(PLATFORM).not_before() + 86_400
}

fn cert(pem: &str) -> Certificate {
    Certificate::from_pem(pem).unwrap()
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn ring() -> Keyring {
    let ring = Keyring::default();
    ring.insert_key(PUB_ID, PublicKey::from_pem(WECHATPAY_PUB).unwrap(), None);
    ring.insert_certificate(&cert(PLATFORM));
    ring.insert_certificate(&cert(EXPIRED));
    ring
}

fn signature(key: &str, ts: &str, body: &[u8]) -> String {
    let message = v3::canonical_response(ts, NONCE, body);
    b64(&PrivateKey::from_pem(key).unwrap().sign(&message).unwrap())
}

fn headers(key: &str, ts: &str, serial: &str, body: &[u8]) -> HeaderMap {
    let mut h = HeaderMap::new();
    for (name, value) in [
        (TS, ts.to_string()),
        (NC, NONCE.to_string()),
        (SER, serial.to_string()),
        (SIG, signature(key, ts, body)),
    ] {
        h.insert(name, HeaderValue::from_str(&value).unwrap());
    }
    h
}

/// What a row must give: accepted, a signature error containing this text, or this skew.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Expect {
    Ok,
    Sig(&'static str),
    Skew(i64),
}

struct Row {
    name: String,
    headers: HeaderMap,
    body: Vec<u8>,
    now: i64,
    expect: Expect,
}

fn outcome(result: &wechatpay::Result<()>, expect: Expect) -> bool {
    match (result, expect) {
        (Ok(()), Expect::Ok) => true,
        (Err(Error::Signature(m)), Expect::Sig(text)) => m.contains(text),
        (Err(Error::ClockSkew { offset, .. }), Expect::Skew(want)) => *offset == want,
        _ => false,
    }
}

fn changed_body(body: &[u8]) -> Vec<u8> {
    let mut changed = body.to_vec();
    changed[2] ^= 1;
    changed
}

/// Every way to tamper with a signed `body`, shared by answers and notifications.
#[rustfmt::skip]
fn rows(body: &[u8]) -> Vec<Row> {
    let now = now();
    let t = now.to_string();
    let good = || headers(WECHATPAY_KEY, &t, PUB_ID, body);
    let mut rows = Vec::new();
    let mut row = |name: String, headers: HeaderMap, body: Vec<u8>, expect: Expect| {
        rows.push(Row { name, headers, body, now, expect })
    };
    let mut changed = body.to_vec();
    changed[2] ^= 1;
    for (name, body, expect) in [
        ("untouched", body.to_vec(), Expect::Ok),
        ("body changed", changed, Expect::Sig(MISMATCH)),
        ("body appended", [body, b" "].concat(), Expect::Sig(MISMATCH)),
        ("body truncated", body[..body.len() - 1].to_vec(), Expect::Sig(MISMATCH)),
        ("body empty", Vec::new(), Expect::Sig(MISMATCH)),
    ] {
        row(name.into(), good(), body, expect);
    }
    for (name, spaced) in [(TS, "not a Unix timestamp"), (NC, MISMATCH), (SIG, "not base64"), (SER, "names no configured")] {
        let value = good()[name].to_str().unwrap().to_string();
        let tamper = |f: &dyn Fn(&mut HeaderMap)| { let mut h = good(); f(&mut h); h };
        row(format!("{name} missing"), tamper(&|h| { h.remove(name); }), body.to_vec(), Expect::Sig("missing"));
        row(format!("{name} twice"), tamper(&|h| { h.append(name, h[name].clone()); }), body.to_vec(), Expect::Sig("appears 2 times"));
        row(format!("{name} empty"), tamper(&|h| { h.insert(name, HeaderValue::from_static("")); }), body.to_vec(), Expect::Sig("is empty"));
        let padded = HeaderValue::from_str(&format!(" {value}\t")).unwrap();
        row(format!("{name} with whitespace"), tamper(&|h| { h.insert(name, padded.clone()); }), body.to_vec(), Expect::Sig(spaced));
    }
    for (ts, expect) in [
        (i64::MIN.to_string(), Expect::Sig("not a Unix timestamp")),
        (i64::MAX.to_string(), Expect::Skew(i64::MAX - now)),
        ((now - 301).to_string(), Expect::Skew(-301)),
        ((now + 301).to_string(), Expect::Skew(301)),
        ((now - 300).to_string(), Expect::Ok),
        ((now + 300).to_string(), Expect::Ok),
        (format!("+{now}"), Expect::Sig("not a Unix timestamp")),
        (format!(" {now}"), Expect::Sig("not a Unix timestamp")),
        (format!("0{now}"), Expect::Sig("not a Unix timestamp")),
        ("1e9".to_string(), Expect::Sig("not a Unix timestamp")),
        ("1".repeat(30), Expect::Sig("not a Unix timestamp")),
    ] {
        row(format!("timestamp {ts:?}"), headers(WECHATPAY_KEY, &ts, PUB_ID, body), body.to_vec(), expect);
    }
    let sig = good()[SIG].to_str().unwrap().to_string();
    // A newline cannot reach the verifier: `http` refuses it in a header value; a tab can.
    assert!(HeaderValue::from_str(&format!("{sig}\n")).is_err());
    for (name, value, expect) in [
        ("signature not base64", "!!!!".to_string(), "not base64"),
        ("signature base64url", sig.replace('+', "-").replace('/', "_").replace('=', ""), "not base64"),
        ("signature with a tab inside", format!("{}\t{}", &sig[..100], &sig[100..]), "not base64"),
        ("signature truncated", sig[..sig.len() - 4].to_string(), MISMATCH),
        ("signature of another key", signature(OTHER_KEY, &t, body), MISMATCH),
        ("signature of another body", signature(WECHATPAY_KEY, &t, b"{}"), MISMATCH),
        ("signature probe", format!("WECHATPAY/SIGNTEST/{sig}"), "SIGNTEST"),
    ] {
        let mut h = good();
        h.insert(SIG, HeaderValue::from_str(&value).unwrap());
        row(name.into(), h, body.to_vec(), Expect::Sig(expect));
    }
    // `Wechatpay-Signature-Type`: absent or WeChat Pay's RSA name verifies; anything else is
    // refused by name before any key is looked up (even over a body that was changed too).
    let named = |values: &[&str], body: &[u8]| {
        let mut h = good();
        for v in values {
            h.append(TYPE, HeaderValue::from_str(v).unwrap());
        }
        (h, body.to_vec())
    };
    for (name, values, body, expect) in [
        ("type RSA", &[RSA][..], body.to_vec(), Expect::Ok),
        ("type RSA over a changed body", &[RSA], changed_body(body), Expect::Sig(MISMATCH)),
        ("type unknown", &["HMAC-SHA256"], body.to_vec(), Expect::Sig("`HMAC-SHA256` is not a signature type")),
        ("type lowercase", &["wechatpay2-sha256-rsa2048"], body.to_vec(), Expect::Sig("`wechatpay2-sha256-rsa2048` is not")),
        ("type odd spelling", &["WECHATPAY2-SHA256-RSA-2048"], body.to_vec(), Expect::Sig("supported: WECHATPAY2-SHA256-RSA2048")),
        // An RSA-signed answer typed SM2: without the feature, the feature is named; with it,
        // the RSA key is not tried for an SM2 type (tests/forged_sm2.rs has the SM2 rows).
        ("type SM2", &["WECHATPAY2-SM2-WITH-SM3"], body.to_vec(), Expect::Sig(SM2_REFUSAL)),
        ("type unknown over a changed body", &["HMAC-SHA256"], changed_body(body), Expect::Sig("`HMAC-SHA256` is not")),
        ("type twice", &[RSA, RSA], body.to_vec(), Expect::Sig("Wechatpay-Signature-Type appears 2 times")),
        ("type twice, one SM2", &[RSA, "WECHATPAY2-SM2-WITH-SM3"], body.to_vec(), Expect::Sig("appears 2 times")),
        ("type empty", &[""], body.to_vec(), Expect::Sig("`` is not")),
    ] {
        let (h, body) = named(values, &body);
        row(name.into(), h, body, expect);
    }
    let platform = cert(PLATFORM);
    let serial = platform.serial_no();
    for (name, serial, expect) in [
        ("serial unknown", "PUB_KEY_ID_0000000000000000000000000000".to_string(), Expect::Sig("names no configured")),
        ("serial lowercase", serial.to_lowercase(), Expect::Sig("names no configured")),
        ("serial id lowercase", PUB_ID.to_lowercase(), Expect::Sig("names no configured")),
        ("platform certificate", serial.to_string(), Expect::Ok),
        ("certificate expired", cert(EXPIRED).serial_no().to_string(), Expect::Sig("expired at 2021-01-01T00:00:00Z")),
    ] {
        row(name.into(), headers(WECHATPAY_KEY, &t, &serial, body), body.to_vec(), expect);
    }
    // A certificate that expires while the client runs: valid at not_after, refused a second on.
    let end = platform.not_after();
    for (now, expect) in [(end, Expect::Ok), (end + 1, Expect::Sig("expired at"))] {
        let headers = headers(WECHATPAY_KEY, &now.to_string(), serial, body);
        rows.push(Row { name: format!("certificate at {now}, not_after {end}"), headers, body: body.to_vec(), now, expect });
    }
    rows
}

/// Collects the rows whose outcome differs from the one expected.
fn mismatches(rows: impl IntoIterator<Item = (String, wechatpay::Result<()>, Expect)>) {
    let failures: Vec<String> = rows
        .into_iter()
        .filter(|(_, got, expect)| !outcome(got, *expect))
        .map(|(name, got, expect)| format!("{name}: expected {expect:?}, got {got:?}"))
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn check(rows: Vec<Row>, run: impl Fn(&Row) -> wechatpay::Result<()>) {
    mismatches(
        rows.iter()
            .map(|row| (row.name.clone(), run(row), row.expect)),
    );
}

#[test]
fn forged_answers_are_refused_by_verify_response() {
    let ring = ring();
    let body = br#"{"trade_state":"SUCCESS","amount":{"total":100}}"#;
    check(rows(body), |r| {
        v3::verify_response(
            &ring,
            r.now,
            "/v3/pay/transactions/id/1",
            &r.headers,
            &r.body,
        )
    });
}

fn notification_body() -> Vec<u8> {
    let resource =
        json!({"out_trade_no": "1217752501201407033233368018", "trade_state": "SUCCESS"});
    let ciphertext = aes_256_gcm_encrypt(
        APIV3,
        b"fdasflkja484",
        b"transaction",
        resource.to_string().as_bytes(),
    )
    .unwrap();
    json!({"id": "EV-2018022511223320873", "create_time": "2015-05-20T13:29:35+08:00",
        "resource_type": "encrypt-resource", "event_type": "TRANSACTION.SUCCESS", "summary": "支付成功",
        "resource": {"original_type": "transaction", "algorithm": "AEAD_AES_256_GCM",
            "ciphertext": ciphertext, "associated_data": "transaction", "nonce": "fdasflkja484"}})
    .to_string()
    .into_bytes()
}

#[test]
fn forged_notifications_are_refused_by_the_parser() {
    let ring = ring();
    let parser = NotificationParser::new(&ring, APIV3);
    check(rows(&notification_body()), |r| {
        parser.parse_at(&r.headers, &r.body, r.now).map(|n| {
            assert_eq!(n.resource["trade_state"], "SUCCESS");
        })
    });
}

#[test]
#[rustfmt::skip]
fn forged_statements_are_refused() {
    let ring = ring();
    let t = now().to_string();
    let csv = b"Date,Amount\r\n2019-12-01,100\r\n".to_vec();
    let sha1 = wechatpay::crypto::sha1_hex(&csv);
    let statement = |sha1: &str, header: bool| {
        let mut h = headers(WECHATPAY_KEY, &t, PUB_ID, format!("{{\"sha1\":\"{sha1}\"}}").as_bytes());
        if header {
            h.insert(SHA1, HeaderValue::from_str(sha1).unwrap());
        }
        h
    };
    let other = wechatpay::crypto::sha1_hex(b"another file");
    let mut twice = statement(&sha1, true);
    twice.append(SHA1, HeaderValue::from_str(&sha1).unwrap());
    let rows = [
        ("good", "/v3/global/statements", statement(&sha1, true), Expect::Ok),
        ("hk base path", "/hk/v3/statements", statement(&sha1, true), Expect::Ok),
        ("proxy base path", "/proxy/v3/GLOBAL/statements", statement(&sha1, true), Expect::Ok),
        ("uppercase SHA-1", "/v3/global/statements", statement(&sha1.to_uppercase(), true), Expect::Ok),
        ("mismatching SHA-1", "/v3/global/statements", statement(&other, true), Expect::Sig("file was replaced")),
        ("SHA-1 header missing", "/v3/global/statements", statement(&sha1, false), Expect::Sig(MISMATCH)),
        ("SHA-1 header twice", "/v3/global/statements", twice, Expect::Sig("appears 2 times")),
        ("SHA-1 not hex", "/v3/global/statements", statement(&"z".repeat(40), true), Expect::Sig("40 hex")),
        ("not a statement path", "/v3/statements", statement(&sha1, true), Expect::Sig(MISMATCH)),
    ];
    mismatches(rows.into_iter().map(|(name, path, h, expect)| {
        (name.to_string(), v3::verify_response(&ring, now(), path, &h, &csv), expect)
    }));
}

#[test]
fn unsigned_downloads_are_exactly_the_documented_ones() {
    let ring = ring();
    let unsigned = HeaderMap::new();
    let verify = |path: &str| v3::verify_response(&ring, now(), path, &unsigned, b"file");
    let downloads = [
        "/v3/billdownload/file",
        "/v3/transferdownload/elecvoucherfile",
        "/v3/transferdownload/signfile",
        "/v3/new-tax-control-fapiao/download",
        "/v3/merchant-service/images/ChsyMDAwMDAwMDIwMjAwNTIwMDAwMDAwMDAw",
        "/v3/global/merchant-service/images/ChsyMDAwMDAwMDIw",
    ];
    let mut rows = Vec::new();
    for path in downloads {
        for base in ["", "/hk", "/Proxy/WeChat"] {
            let path = format!("{base}{path}");
            rows.push((
                path.to_uppercase(),
                verify(&path.to_uppercase()),
                Expect::Ok,
            ));
            rows.push((path.clone(), verify(&path), Expect::Ok));
        }
    }
    for path in [
        "/v3/billdownload/file/x",
        "/v3/billdownload/file2",
        "/v3/billdownload/",
        "/v3/bill/tradebill",
        "/v3/transferdownload/signfile/",
        "/v3/transferdownload/elecvoucherfile.pdf",
        "/v3/new-tax-control-fapiao/download/1",
        "/v3/merchant-service/images/upload",
        "/v3/global/merchant-service/images/Upload",
        "/v3/merchant-service/images/",
        "/v3/merchant-service/images/a/b",
        "/v3/pay/transactions/id/x/v3/billdownload/file",
        "/v3/global/statements",
        "/hk/v3/statements",
        "/billdownload/file",
    ] {
        rows.push((path.to_string(), verify(path), Expect::Sig("missing")));
    }
    mismatches(rows);
}

fn listing(apiv3_key: &[u8], pems: &[&str]) -> Vec<u8> {
    let data: Vec<Value> = pems
        .iter()
        .map(|pem| {
            let nonce = b"0123456789ab";
            let c = aes_256_gcm_encrypt(apiv3_key, nonce, b"certificate", pem.as_bytes()).unwrap();
            json!({"serial_no": cert(pem).serial_no(), "encrypt_certificate": {"algorithm": "AEAD_AES_256_GCM",
                "nonce": "0123456789ab", "associated_data": "certificate", "ciphertext": c}})
        })
        .collect();
    json!({ "data": data }).to_string().into_bytes()
}

#[test]
#[rustfmt::skip]
fn forged_certificate_listings_are_refused() {
    let t = now().to_string();
    let platform = cert(PLATFORM);
    let held = Keyring::default();
    held.insert_certificate(&platform);
    let empty = Keyring::default();
    let wechatpay = |body: &[u8]| headers(WECHATPAY_KEY, &t, platform.serial_no(), body);
    let good = listing(APIV3, &[PLATFORM, ATTACKER_CERT]);
    let own = listing(APIV3, &[ATTACKER_CERT]);
    let merchant = listing(APIV3, &[PLATFORM, MERCHANT_CERT]);
    let expired = listing(APIV3, &[EXPIRED]);
    let rows: [(&str, &Keyring, HeaderMap, &[u8], Expect); 10] = [
        ("signed by a held certificate", &held, wechatpay(&good), &good, Expect::Ok),
        ("bootstrap: signed by one it carries", &empty, wechatpay(&good), &good, Expect::Ok),
        ("forged: signed over other bytes", &held, wechatpay(b"{}"), &good, Expect::Sig(MISMATCH)),
        ("forged on bootstrap", &empty, wechatpay(b"{}"), &good, Expect::Sig(MISMATCH)),
        ("self-signed by a carried cert, keys held", &held, headers(ATTACKER_KEY, &t, cert(ATTACKER_CERT).serial_no(), &own), &own, Expect::Sig("carries itself")),
        ("the merchant's own certificate", &held, wechatpay(&merchant), &merchant, Expect::Sig("CN=1900000001")),
        ("the merchant's own, bootstrap", &empty, wechatpay(&merchant), &merchant, Expect::Sig("CN=1900000001")),
        ("only an expired certificate", &held, wechatpay(&expired), &expired, Expect::Sig("no certificate valid now")),
        ("bootstrap signed by an expired one", &empty, headers(WECHATPAY_KEY, &t, cert(EXPIRED).serial_no(), &expired), &expired, Expect::Sig("names no configured")),
        ("unsigned", &empty, HeaderMap::new(), &good, Expect::Sig("missing")),
    ];
    mismatches(rows.into_iter().map(|(name, ring, h, body, expect)| {
        let got = v3::verify_certificate_listing(ring, APIV3, "1900000001", now(), &h, body);
        if let (Ok(certs), Expect::Ok) = (&got, expect) {
            assert_eq!(certs.len(), 2, "{name}");
        }
        (name.to_string(), got.map(|_| ()), expect)
    }));
    assert_eq!(held.ids(), [platform.serial_no()], "verifying adds nothing");
    assert!(empty.is_empty());
}

#[cfg(feature = "mock")]
mod through_the_emulator {
    use super::*;
    use wechatpay::mock::{Answer, Fault, Mode, Server};

    fn unix_now() -> i64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64
    }

    async fn server(mode: Mode) -> Server {
        Server::builder()
            .platform_key(WECHATPAY_KEY, PUB_ID)
            .mode(mode)
            .start()
            .await
            .unwrap()
    }

    /// Answer headers signed over `signed` now, to script in place of the emulator's.
    fn scripted(answer: Answer, key: &str, serial: &str, signed: &[u8]) -> Answer {
        let ts = unix_now().to_string();
        headers(key, &ts, serial, signed)
            .iter()
            .fold(answer, |a, (k, v)| {
                a.with_header(k.as_str(), v.to_str().unwrap())
            })
    }

    #[tokio::test]
    async fn forged_answers_end_to_end() {
        let server = server(Mode::PublicKey).await;
        let client = server.client_builder().build().unwrap();
        let route = "v3/pay/transactions/id/{transaction_id}";
        let body = br#"{"trade_state":"SUCCESS"}"#;
        let args = json!({"transaction_id": "4200", "query": {"mchid": "1900000001"}});
        let call = || async { client.chain(route).get(args.clone()).await };
        // A 200 whose signature covers another body.
        let forged = scripted(
            Answer::raw(200, body.to_vec()),
            WECHATPAY_KEY,
            PUB_ID,
            br#"{"trade_state":"NOTPAY"}"#,
        );
        server.on("GET", route, forged);
        assert!(matches!(call().await, Err(Error::Signature(ref m)) if m.contains(MISMATCH)));
        // Signed by a key the client does not hold, under the right id.
        server.on(
            "GET",
            route,
            scripted(Answer::raw(200, body.to_vec()), OTHER_KEY, PUB_ID, body),
        );
        assert!(matches!(call().await, Err(Error::Signature(ref m)) if m.contains(MISMATCH)));
        // Signed right: accepted, which shows the rows above failed for their forgery alone.
        server.on(
            "GET",
            route,
            scripted(Answer::raw(200, body.to_vec()), WECHATPAY_KEY, PUB_ID, body),
        );
        assert_eq!(call().await.unwrap().body().as_ref(), body);

        // A statement whose CSV was replaced after WeChat Pay signed its digest.
        let csv = b"Date,Amount\r\n2019-12-01,100\r\n".to_vec();
        let sha1 = wechatpay::crypto::sha1_hex(&csv);
        let signed = format!("{{\"sha1\":\"{sha1}\"}}");
        let statement = |file: &[u8]| {
            let a = Answer::raw(200, file.to_vec()).with_header(SHA1, &sha1);
            scripted(a, WECHATPAY_KEY, PUB_ID, signed.as_bytes())
        };
        let query = json!({"query": {"date": "2019-12-01"}});
        let get = || async {
            client
                .chain("v3/global/statements")
                .get(query.clone())
                .await
        };
        server.on(
            "GET",
            "v3/global/statements",
            statement(b"Date,Amount\r\n2019-12-01,999\r\n"),
        );
        assert!(
            matches!(get().await, Err(Error::Signature(ref m)) if m.contains("file was replaced"))
        );
        server.on("GET", "v3/global/statements", statement(&csv));
        assert_eq!(get().await.unwrap().body().as_ref(), csv.as_slice());
        // Every request was good: the refusals above were the client's, of the answers.
        let journal = server.journal();
        assert_eq!(journal.len(), 5);
        assert!(journal.iter().all(|r| r.verified), "{journal:#?}");
    }

    /// The emulator names its type on every signed answer; a type the client does not verify is
    /// refused by name, with a bad signature's outcome, and sets off no certificate download
    /// even when the serial is unknown too.
    #[tokio::test]
    async fn signature_types_end_to_end() {
        let server = server(Mode::Certificate).await;
        let client = server
            .client_builder()
            .platform_certificate(server.platform_certificate_pem())
            .build()
            .unwrap();
        let route = "v3/pay/transactions/id/{transaction_id}";
        let args = json!({"transaction_id": "4200", "query": {"mchid": "1900000001"}});
        let call = || async { client.chain(route).get(args.clone()).await };
        let res = call().await.unwrap();
        assert_eq!(res.headers()[TYPE], RSA);
        server.fault(Fault::BadSignature);
        let bad = call().await.unwrap_err();
        server.clear_faults();
        for name in [
            "WECHATPAY2-SM2-WITH-SM3",
            "wechatpay2-sha256-rsa2048",
            "RSA",
        ] {
            let answer = Answer::json(200, json!({"trade_state": "SUCCESS"}))
                .with_header(TYPE, name)
                .with_header(SER, "7E57000000000000000000000000000000000001");
            server.on("GET", route, answer);
            let e = call().await.unwrap_err();
            let want = match name {
                // Read with the feature (the serial is then unknown: never a rotation, since
                // the RSA listing brings no SM2 key), named as a missing feature without it.
                "WECHATPAY2-SM2-WITH-SM3" if cfg!(feature = "shangmi") => {
                    "names no configured WeChat Pay public key".to_string()
                }
                "WECHATPAY2-SM2-WITH-SM3" => "enable the crate feature `shangmi`".to_string(),
                _ => format!("`{name}` is not a signature type"),
            };
            assert!(
                matches!(e, Error::Signature(ref m) if m.contains(&want)),
                "{e:?}"
            );
            assert_eq!(e.outcome(), bad.outcome(), "{name}");
        }
        let downloads = server
            .journal()
            .iter()
            .filter(|r| r.path == "/v3/certificates")
            .count();
        assert_eq!(downloads, 0, "a refused type is no rotation");
    }

    #[tokio::test]
    async fn forged_certificate_listings_end_to_end() {
        let server = server(Mode::Certificate).await;
        let held = server
            .client_builder()
            .platform_certificate(server.platform_certificate_pem())
            .build()
            .unwrap();
        let fresh = server.client_builder().build().unwrap();
        server.fault(Fault::BadSignature);
        let e = held.download_certificates().await;
        assert!(
            matches!(e, Err(Error::Signature(ref m)) if m.contains(MISMATCH)),
            "{e:?}"
        );
        let e = fresh.download_certificates().await;
        assert!(
            matches!(e, Err(Error::Signature(ref m)) if m.contains(MISMATCH)),
            "{e:?}"
        );
        server.clear_faults();
        server.fault(Fault::WrongSerial);
        let e = held.download_certificates().await;
        assert!(
            matches!(e, Err(Error::Signature(ref m)) if m.contains("names no configured")),
            "{e:?}"
        );
        server.clear_faults();
        assert!(fresh.keyring().is_empty(), "nothing was added");
        held.download_certificates().await.unwrap();
        fresh.download_certificates().await.unwrap();
        assert_eq!(fresh.keyring().ids(), [server.platform_serial()]);
    }

    #[tokio::test]
    async fn the_emulator_refuses_extreme_request_timestamps_without_panicking() {
        let server = server(Mode::PublicKey).await;
        let key = PrivateKey::from_pem(server.merchant().private_key_pem.as_bytes()).unwrap();
        let http = reqwest::Client::builder()
            .tls_certs_merge([reqwest::Certificate::from_pem(server.ca_pem().as_bytes()).unwrap()])
            .build()
            .unwrap();
        for ts in [i64::MIN, i64::MAX, -1] {
            let target = "/v3/pay/transactions/out-trade-no/T/close";
            let body = br#"{"mchid":"1900000001"}"#;
            let message = v3::canonical_request("POST", target, ts, "EXTREME", body);
            let sig = b64(&key.sign(&message).unwrap());
            let auth =
                v3::authorization("1900000001", &server.merchant().serial, ts, "EXTREME", &sig);
            let res = http
                .post(format!("{}{}", server.url(), &target[1..]))
                .header("Authorization", auth)
                .header("Content-Type", "application/json")
                .body(body.to_vec())
                .send()
                .await
                .unwrap_or_else(|e| {
                    panic!("timestamp {ts}: the emulator dropped the connection: {e}")
                });
            assert_eq!(res.status(), 401, "timestamp {ts}");
            let answer: Value = serde_json::from_slice(&res.bytes().await.unwrap()).unwrap();
            assert_eq!(answer["code"], "SIGN_ERROR");
        }
    }
}
