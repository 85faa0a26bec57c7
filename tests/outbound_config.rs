//! Configuration and outbound refusals, one table row per case: what `build()` refuses (mchid,
//! APIv2 secret, PKCS#12 in any slot, a mismatched mTLS pair, hostile KDF parameters in an
//! encrypted key), and what an APIv2 payload or a pay-sign helper refuses before anything is
//! signed. Cases that go through a client call run against the emulator, whose journal must stay
//! empty: a refused request is never sent.
#![cfg(feature = "mock")]

use base64::Engine as _;
use pkcs8::der::Encode as _;
use pkcs8::pkcs5::pbes2::{self, Kdf, Pbkdf2Params, Pbkdf2Prf, ScryptParams};
use serde_json::{json, Value};
use wechatpay::mock::Server;
use wechatpay::{Client, ClientBuilder, Error};

const MCHID: &str = "1900000001";
const SERIAL: &str = "1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C";
const SECRET: &str = "192006250b4c09247ec02edce69f6a2d";
const KEY: &str = include_str!("fixtures/keys/rsa.pkcs8.key");
const CERT: &str = include_str!("fixtures/keys/rsa.crt");
const OTHER_KEY: &str = include_str!("fixtures/keys/other.pkcs8.key");
const OTHER_PUB: &str = include_str!("fixtures/keys/other.spki.pem");
const ENCRYPTED: &str = include_str!("fixtures/keys/rsa.pkcs8.encrypted.key");
const PASSPHRASE: &str = "wechatpay-test-passphrase";
const PUB_KEY_ID: &str = "PUB_KEY_ID_0119000000012024000000000000";

/// `openssl pkcs12 -export -nokeys -in tests/fixtures/keys/rsa.crt -passout pass:1900000001`:
/// a real archive, as WeChat Pay's `apiclient_cert.p12` (which also holds the key) starts.
const P12_B64: &str = "\
    MIIExwIBAzCCBH0GCSqGSIb3DQEHAaCCBG4EggRqMIIEZjCCBGIGCSqGSIb3DQEHBqCCBFMwggRPAgEAMIIESAYJKoZIhvcN\
    AQcBMFcGCSqGSIb3DQEFDTBKMCkGCSqGSIb3DQEFDDAcBAiFpqgLqz9rewICCAAwDAYIKoZIhvcNAgkFADAdBglghkgBZQME\
    ASoEEEsJZOSiwxIV2yFhilF3ZVaAggPgyN8SUNwjx/F3K0MSXuEmTqhbdIbhbCPM6FjB4BjpvqizJCxHqryBZX+PYG+2PMJL\
    F5upCjnnCyprpGhU0OJMrerCS9LeO6JMIYuWR1FAhO4ThSF/DukHqi+wlQP58FK/O5+ji73eiaWO6tX1nLJz1h9Lnvclpc9v\
    3xq14Uz9tDx1OPT7tgZJQDH8pudzwmrF2qtWjLR6ON5GbDIq7rDEYUL1i59+eCvHEXmW3TAL+2Csvxfy+f0CwraSa1hreKGD\
    +akuxZbhu7nK+LuTwuYmiGwXephYjbdfO5OS52IH8ajHM3uFxMTpt/1qjDZQxOvqg0ALEfEAIQHKRl7ve7Fe8irLLVaoQZPY\
    iC9AlW+WWnXPmIYG0ZGY4lphmCxLUE8qVeKAQHtGUYmMVSkk1vNduRjDkM0PWRjq+3WHuXiN6wvzQnqWHdoDRvHkH5L46vO0\
    R1sBcXQqsqL9oqeu6fBFjuLKFT3n2Hr/xISnKAOcPBNXwXA/uRszu3R3HGzo9XMsziMpguj3usg5oiL/Wlno2/X0/ODQFvne\
    XU2DWZYNJskEobuLKzneehzbil8AcW3vcbs4yS5q2zG+ijJvnrj2vPb9M1DR1q4Ll9JVFmpMaAiBHMJAVaakKwroDwSGb7s7\
    Syr3iUjBYNGgK25GIkwWA7AkikAhZb1PyhcXAMZzN8Uz43/CzazloQqqN6UetBzZb8ZieNO0TTDe+kjIN4uRQQAQqSTL4viU\
    Y9pZTC5+SNR5OZSiarm/fdmW+XbhrLsbXPpAiwZSEh4H1IxF3QKSqhLSH3DuArsseyTMT5hUvQ2kbOQEXux4tJQWN6bMuBdT\
    Ur4CdwAKd7Pv0qrCuJjF0ZHI1kobPFYp5a6pfY8HEDLJNNIBFb/ftDrwnuPLGA2bCjgREfoGFThj57bS6tUCIJdYTa2VcfcC\
    EdWhp3TPA5c7fETxm7XwXHM8GoRbtLqD6qB3hSwdOxpw+mArPZXRKFDG0B7NJbKtST7Yvjo4eVedRwGc0dfHk8AIVWj3us0H\
    nXIS/CjkYMaIsrwHO2gpa9W9ceVAcXLddh1kYdt/btapiSGYlX7LMPOKspqx2vFvKn7jPZVUkvPrbN8TnCGNS6xehJ12Lcom\
    3XPcBV9qKQdbX5H+HtiXkWozMEBCkGnh2bV8B2FOrECf94HlLRE2JUTVUuH5Dw2J3bZYmcjTrk4tEzNI1y9KuBePEWCoQDEq\
    uJl1Y3caXbt5EFKlS58wb2tjQxKCtfkKwBJI1eXwMp9WB5O/S0GjY6R3/xwQZn+b9rmYVtAj/G0vtdtgeYlA7kj1RW/N+pQK\
    8pJgNuj+Yy4wQTAxMA0GCWCGSAFlAwQCAQUABCBVb69tvLfYa4QxjITKs/q4daaAsFgv0byboxux+Yi2RgQIiui3xJn+wO8C\
    AggA\
";

fn p12() -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(P12_B64)
        .unwrap()
}

/// A complete APIv3 + APIv2 configuration that builds; each case spoils one setting.
fn good() -> ClientBuilder {
    Client::builder()
        .mchid(MCHID)
        .serial(SERIAL)
        .private_key(KEY)
        .public_key(PUB_KEY_ID, OTHER_PUB)
        .apiv2_secret(SECRET)
}

/// An `ENCRYPTED PRIVATE KEY` PEM with these KDF parameters and junk ciphertext: the caps must
/// refuse it before anything is derived (a derive at these costs would take minutes or GiBs).
fn encrypted_with(kdf: Kdf<'_>) -> String {
    let iv = [7u8; 16];
    let info = pkcs8::EncryptedPrivateKeyInfo {
        encryption_algorithm: pkcs8::pkcs5::EncryptionScheme::Pbes2(pbes2::Parameters {
            kdf,
            encryption: pbes2::EncryptionScheme::Aes256Cbc { iv: &iv },
        }),
        encrypted_data: &[0x5a; 1232],
    };
    let b64 = base64::engine::general_purpose::STANDARD.encode(info.to_der().unwrap());
    format!("-----BEGIN ENCRYPTED PRIVATE KEY-----\n{b64}\n-----END ENCRYPTED PRIVATE KEY-----\n")
}

fn pbkdf2(iteration_count: u32) -> String {
    encrypted_with(Kdf::Pbkdf2(Pbkdf2Params {
        salt: &[1; 16],
        iteration_count,
        key_length: None,
        prf: Pbkdf2Prf::HmacWithSha256,
    }))
}

fn scrypt(log_n: u32, r: u16, p: u16) -> String {
    encrypted_with(Kdf::Scrypt(ScryptParams {
        salt: &[1; 16],
        cost_parameter: 1u64 << log_n,
        block_size: r,
        parallelization: p,
        key_length: None,
    }))
}

fn config_error(builder: ClientBuilder) -> (&'static str, String) {
    match builder.build() {
        Err(Error::Config { field, reason }) => (field, reason),
        other => panic!("expected a configuration error, got {other:?}"),
    }
}

#[test]
fn the_good_configuration_builds() {
    good().build().unwrap();
    // The controls of the cases below: the matching mTLS pair, the encrypted key within caps.
    good().merchant_identity(CERT, KEY).build().unwrap();
    good()
        .private_key_encrypted(ENCRYPTED, PASSPHRASE)
        .build()
        .unwrap();
    for mchid in ["1", "10000100", &"9".repeat(32)] {
        good().mchid(mchid).build().unwrap();
    }
}

#[test]
fn configuration_table() {
    let p12 = p12();
    let huge = "1".repeat(1 << 20);
    #[rustfmt::skip]
    let cases: Vec<(&str, ClientBuilder, &str, &[&str])> = vec![
        ("secret of 5", good().apiv2_secret("abcde"), "apiv2_secret", &["got 5 characters"]),
        ("secret of 42", good().apiv2_secret("0123456789".repeat(4) + "ab"), "apiv2_secret", &["got 42 characters"]),
        ("secret with newline", good().apiv2_secret(format!("{SECRET}\n")), "apiv2_secret", &["character 33 of 33 is a newline"]),
        ("secret with space", good().apiv2_secret("0123456789abcdef 123456789abcdef"), "apiv2_secret", &["character 17 of 32 is whitespace"]),
        ("secret non-ASCII", good().apiv2_secret("0123456789abcdef0123456789abcdé"), "apiv2_secret", &["is a non-ASCII character"]),
        ("mchid with letters", good().mchid("19000000ab"), "mchid", &["`19000000ab` is not a merchant id", "ASCII digits only", "'a' at position 8"]),
        ("mchid non-ASCII digits", good().mchid("１９００"), "mchid", &["ASCII digits only"]),
        ("mchid of 33 digits", good().mchid("1".repeat(33)), "mchid", &["33 digits long", "1 to 32 ASCII digits"]),
        ("mchid of 1 MB", good().mchid(huge.clone()), "mchid", &["1048576 digits long", "1048576 bytes in all"]),
        ("mchid of 1 MB letters", good().mchid(format!("{huge}x")), "mchid", &["1048577 bytes in all"]),
        ("p12 as private_key", good().private_key(&p12), "private_key", &[]),
        ("p12 as private_key_encrypted", good().private_key_encrypted(&p12, PASSPHRASE), "private_key", &[]),
        ("p12 as public_key", good().public_key(PUB_KEY_ID, &p12), "public_key", &["not WeChat Pay's public key"]),
        ("p12 as platform_certificate", good().platform_certificate(&p12), "platform_certificate", &[]),
        ("p12 as identity certificate", good().merchant_identity(&p12, KEY), "merchant_identity", &["certificate: "]),
        ("p12 as identity key", good().merchant_identity(CERT, &p12), "merchant_identity", &["key: "]),
        ("p12 base64 as public_key", good().public_key(PUB_KEY_ID, P12_B64), "public_key", &[]),
        ("mismatched identity", good().merchant_identity(CERT, OTHER_KEY), "merchant_identity", &["do not belong together", "apiclient_cert.pem and apiclient_key.pem"]),
        ("pbkdf2 over the cap", good().private_key_encrypted(pbkdf2(10_000_001), PASSPHRASE), "private_key", &["PBKDF2 iteration count is 10000001, above the cap of 10000000"]),
        ("pbkdf2 at u32::MAX", good().private_key_encrypted(pbkdf2(u32::MAX), PASSPHRASE), "private_key", &["above the cap of 10000000"]),
        ("scrypt log_n 21", good().private_key_encrypted(scrypt(21, 8, 1), PASSPHRASE), "private_key", &["scrypt log_n is 21", "above the cap of 20"]),
        ("scrypt log_n 63", good().private_key_encrypted(scrypt(63, 8, 1), PASSPHRASE), "private_key", &["scrypt log_n is 63"]),
        ("scrypt r*p memory", good().private_key_encrypted(scrypt(1, 65535, 65535), PASSPHRASE), "private_key", &["r = 65535, p = 65535", "above the cap of 1024 MiB"]),
        ("scrypt r*N memory", good().private_key_encrypted(scrypt(20, 16, 1), PASSPHRASE), "private_key", &["2048 MiB", "above the cap of 1024 MiB"]),
        ("scrypt work", good().private_key_encrypted(scrypt(14, 8, 4096), PASSPHRASE), "private_key", &["N·r·p = 536870912", "above the cap of 2^25"]),
    ];
    for (name, builder, want_field, want_text) in cases {
        let (field, reason) = config_error(builder);
        assert_eq!(field, want_field, "{name}: {reason}");
        for text in want_text {
            assert!(reason.contains(text), "{name}: {reason}");
        }
        if name.starts_with("p12") {
            assert!(
                reason.contains("found a PKCS#12 archive (apiclient_cert.p12?)")
                    && reason.contains("openssl pkcs12 -in apiclient_cert.p12 -nocerts -nodes")
                    && reason.contains("-clcerts -nokeys -out apiclient_cert.pem"),
                "{name}: {reason}"
            );
        }
        // Never the secret, never a huge echo.
        assert!(
            !reason.contains(SECRET) && !reason.contains("abcde"),
            "{name}"
        );
        assert!(reason.len() < 1024, "{name}: {} bytes", reason.len());
    }
}

/// The explanation lives in `crypto`, so every loader gives it, not just the builder.
#[test]
fn pkcs12_is_explained_by_every_loader() {
    use wechatpay::crypto::{Certificate, PrivateKey, PublicKey};
    let p12 = p12();
    let results = [
        ("PrivateKey::load", PrivateKey::load(&p12).err()),
        ("PrivateKey::from_der", PrivateKey::from_der(&p12).err()),
        (
            "PrivateKey::from_base64",
            PrivateKey::from_base64(P12_B64).err(),
        ),
        (
            "PrivateKey::from_pem_encrypted",
            PrivateKey::from_pem_encrypted(&p12, b"x").err(),
        ),
        ("PublicKey::load", PublicKey::load(&p12).err()),
        ("PublicKey::from_der", PublicKey::from_der(&p12).err()),
        ("Certificate::from_pem", Certificate::from_pem(&p12).err()),
        (
            "Certificate::from_pem (base64)",
            Certificate::from_pem(P12_B64).err(),
        ),
        ("Certificate::from_der", Certificate::from_der(&p12).err()),
    ];
    for (name, err) in results {
        match err {
            Some(Error::Key { reason, .. }) => assert!(
                reason.starts_with("found a PKCS#12 archive (apiclient_cert.p12?)")
                    && reason.contains("openssl pkcs12 -in apiclient_cert.p12 -nocerts -nodes"),
                "{name}: {reason}"
            ),
            other => panic!("{name}: {other:?}"),
        }
    }
}

fn argument_error<T: std::fmt::Debug>(result: wechatpay::Result<T>) -> (String, String) {
    match result {
        Err(Error::Argument { name, reason }) => (name, reason),
        other => panic!("expected an argument error, got {other:?}"),
    }
}

/// APIv2 payloads and pay-sign arguments the client must refuse before signing; the emulator
/// proves nothing was sent.
#[tokio::test]
async fn outbound_refusals_send_nothing() {
    let server = Server::start().await.unwrap();
    let client = server.client_builder().build().unwrap();
    let xml = |key: &str, value: Value| {
        let mut fields =
            json!({"appid": "wxd678efh567hg6787", "mch_id": MCHID, "out_trade_no": "T1"});
        fields[key] = value;
        fields
    };
    #[rustfmt::skip]
    let cases: Vec<(&str, Value, &str, &str)> = vec![
        ("key with a space", xml("bad key", json!("1")), "xml.bad key", "is not an XML name"),
        ("key with a digit first", xml("1a", json!("1")), "xml.1a", "is not an XML name"),
        ("key with markup", xml("a<b", json!("1")), "xml.a<b", "is not an XML name"),
        ("empty key", xml("", json!("1")), "xml.", "is not an XML name"),
        ("key with a query separator", xml("a=1&b", json!("1")), "xml.a=1&b", "is not an XML name"),
        ("value with NUL", xml("body", json!("a\u{0}b")), "xml.body", "U+0000 at byte 1"),
        ("value with BEL", xml("body", json!("a\u{7}")), "xml.body", "U+0007 at byte 1"),
        ("value with ESC", xml("attach", json!("\u{1b}[2J")), "xml.attach", "U+001B at byte 0"),
        ("value with U+FFFF", xml("attach", json!("a\u{ffff}")), "xml.attach", "noncharacter U+FFFF at byte 1"),
    ];
    for (name, fields, want_name, want_reason) in cases {
        for method in ["POST", "GET"] {
            let result = if method == "POST" {
                client
                    .chain("v2/pay/orderquery")
                    .post(json!({ "xml": fields }))
                    .await
            } else {
                client
                    .chain("v2/pay/orderquery")
                    .get(json!({ "query": fields }))
                    .await
            };
            let (arg, reason) = argument_error(result);
            assert_eq!(arg, want_name, "{name} ({method}): {reason}");
            assert!(reason.contains(want_reason), "{name} ({method}): {reason}");
        }
    }
    // Tab, LF and CR are text; the control case above is only what XML cannot carry.
    client
        .chain("v2/pay/orderquery")
        .post(json!({"xml": xml("body", json!("a\tb\r\nc"))}))
        .await
        .unwrap();
    assert_eq!(server.journal().len(), 1, "only the good call was sent");
    server.clear_journal();

    // Pay-sign helpers: the RSA lines are an APIv3 request's form, so an appid carrying
    // `POST\n/v3/refund/domestic/refunds` would buy the signature of a refund request.
    let refund = json!({"out_trade_no": "T1", "out_refund_no": "R1", "amount": {"refund": 1, "total": 1, "currency": "CNY"}}).to_string();
    let oracle = "POST\n/v3/refund/domestic/refunds";
    #[rustfmt::skip]
    let pay_sign: Vec<(&str, wechatpay::Result<Value>, &str)> = vec![
        ("app appid", client.app_pay_params(oracle, &refund), "appid"),
        ("app prepay_id", client.app_pay_params("wx8888888888888888", &format!("wx1\n{refund}")), "prepay_id"),
        ("jsapi appid", client.jsapi_pay_params(oracle, &refund), "appid"),
        ("jsapi prepay_id", client.jsapi_pay_params("wx8888888888888888", "wx1\r\n"), "prepay_id"),
        ("app appid NUL", client.app_pay_params("wx1\u{0}", "wx1"), "appid"),
    ];
    for (name, result, want) in pay_sign {
        let (arg, reason) = argument_error(result);
        assert_eq!(arg, want, "{name}: {reason}");
        assert!(reason.contains("control character U+"), "{name}: {reason}");
    }
    let v2_pay_sign = [
        ("v2 appid newline", "wx1\nx", "wx2", "appid"),
        (
            "v2 prepay_id ampersand",
            "wx1",
            "wx2&total_fee=1",
            "prepay_id",
        ),
        ("v2 prepay_id control", "wx1", "wx2\u{1}", "prepay_id"),
    ];
    for (name, appid, prepay_id, want) in v2_pay_sign {
        let result = wechatpay::v2::sign::jsapi_pay_params(
            appid,
            prepay_id,
            wechatpay::v2::SignType::Md5,
            SECRET,
        );
        let (arg, reason) = argument_error(result);
        assert_eq!(arg, want, "{name}: {reason}");
    }
    // The controls: well-formed arguments are signed.
    client
        .app_pay_params("wx8888888888888888", "wx201410272009395522657a690389285100")
        .unwrap();
    client
        .jsapi_pay_params("wx8888888888888888", "wx201410272009395522657a690389285100")
        .unwrap();
    assert!(server.journal().is_empty(), "{:?}", server.journal());
}
