//! Invariant checks shared by the fuzz targets (`fuzz/fuzz_targets/*.rs`) and the stable replay of
//! their corpora (`tests/fuzz_corpus.rs`), so what CI replays is exactly what was fuzzed.
//!
//! Each `check_*` takes raw bytes, splits them into the call's inputs (formats below, chosen so
//! seeds can be written by hand), makes the call and, when it succeeds, checks what a success
//! promises: an `Err` is always acceptable, a panic or a broken promise is a finding.
//!
//! The promises are checked independently of the code under test where that is cheap: the APIv3
//! signature is verified with the merchant's public key from its certificate over a message
//! rebuilt here, and APIv2 signs are recomputed here with `md-5`/`hmac` over what goes on the wire.

// Each fuzz target calls one check; the replay test calls them all.
#![allow(dead_code)]

use base64::Engine as _;
use hmac::{Hmac, Mac};
use md5::{Digest as _, Md5};
use serde_json::{Map, Value};
use std::sync::OnceLock;
use url::Url;
use wechatpay::crypto::{Certificate, PrivateKey, PublicKey};
use wechatpay::http::{header::AUTHORIZATION, HeaderMap, HeaderName, HeaderValue, Method};
use wechatpay::v2::SignType;
use wechatpay::{Client, Keyring, PreparedRequest, Protocol};

pub const MCHID: &str = "1900000001";
pub const SERIAL: &str = "1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C";
pub const PUB_ID: &str = "PUB_KEY_ID_0119000000012024000000000000";
/// Serial of `platform_cert.pem`, a certificate over the same key as `wechatpay_pub.pem`.
pub const PLATFORM_SERIAL: &str = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1";
pub const SECRET: &str = "192006250b4c09247ec02edce69f6a2d";
pub const APIV3_KEY: &[u8] = b"0123456789abcdef0123456789abcdef";
/// The clock of the verification targets (2027, inside the platform certificate's validity);
/// seeds are signed at this time.
pub const NOW: i64 = 1_800_000_000;
/// The passphrase of `tests/fixtures/keys/rsa.pkcs8.encrypted.key`.
pub const PASSPHRASE: &[u8] = b"wechatpay-test-passphrase";
/// The client's base URIs: a bare host, and one with a base path (the Hong Kong style).
pub const BASES: [&str; 2] = [
    "https://api.mch.weixin.qq.com/",
    "https://127.0.0.1:8443/hk/",
];

pub const MERCHANT_KEY: &str = include_str!("../fixtures/client/merchant_key.pem");
pub const MERCHANT_CERT: &str = include_str!("../fixtures/client/merchant_cert.pem");
pub const WECHATPAY_KEY: &str = include_str!("../fixtures/client/wechatpay_key.pem");
pub const WECHATPAY_PUB: &str = include_str!("../fixtures/client/wechatpay_pub.pem");
pub const PLATFORM_CERT: &str = include_str!("../fixtures/client/platform_cert.pem");

struct Fixtures {
    clients: [Client; 2],
    /// The merchant's public key, from its certificate: what WeChat Pay verifies requests with.
    merchant_pub: PublicKey,
    wechatpay_pub: PublicKey,
    keyring: Keyring,
}

fn fixtures() -> &'static Fixtures {
    static FIXTURES: OnceLock<Fixtures> = OnceLock::new();
    FIXTURES.get_or_init(|| {
        let client = |base: &str| {
            Client::builder()
                .mchid(MCHID)
                .serial(SERIAL)
                .private_key(MERCHANT_KEY)
                .public_key(PUB_ID, WECHATPAY_PUB)
                .apiv2_secret(SECRET)
                .apiv3_key(APIV3_KEY)
                .base_uri(base)
                .build()
                .expect("the fixture client builds")
        };
        let wechatpay_pub = PublicKey::from_pem(WECHATPAY_PUB).unwrap();
        let keyring = Keyring::default();
        keyring.insert_key(PUB_ID, wechatpay_pub.clone(), None);
        let platform = Certificate::from_pem(PLATFORM_CERT).unwrap();
        assert_eq!(platform.serial_no(), PLATFORM_SERIAL);
        keyring.insert_key(
            platform.serial_no(),
            platform.public_key().clone(),
            Some(platform.not_after()),
        );
        Fixtures {
            clients: [client(BASES[0]), client(BASES[1])],
            merchant_pub: Certificate::from_pem(MERCHANT_CERT)
                .unwrap()
                .public_key()
                .clone(),
            wechatpay_pub,
            keyring,
        }
    })
}

/// The client for a selector field: an odd first byte (`1`) picks the base with a path.
fn pick(sel: &[u8]) -> usize {
    sel.first().map_or(0, |b| (b & 1) as usize)
}

/// Call arguments: empty is `null`; anything that is not JSON is not worth a call.
fn parse_args(raw: &[u8]) -> Option<Value> {
    if raw.is_empty() {
        return Some(Value::Null);
    }
    serde_json::from_slice(raw).ok()
}

/// `name: value` lines up to a blank line, then the body. Lines that are not a valid header are
/// skipped: `HeaderMap` cannot hold them, so no caller could pass them.
fn parse_headers(data: &[u8]) -> (HeaderMap, &[u8]) {
    let (head, body) = match data.windows(2).position(|w| w == b"\n\n") {
        Some(i) => (&data[..i], &data[i + 2..]),
        None => (data, &b""[..]),
    };
    let mut headers = HeaderMap::new();
    for line in head.split(|&b| b == b'\n') {
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            continue;
        };
        let value = &line[colon + 1..];
        let value = value.strip_prefix(b" ").unwrap_or(value);
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(&line[..colon]),
            HeaderValue::from_bytes(value),
        ) {
            headers.append(name, value);
        }
    }
    (headers, body)
}

// ---------------------------------------------------------------------------------------------
// Outbound: prepared requests

/// `SEL \0 METHOD \0 TEMPLATE \0 ARGS-JSON` (missing fields: base 0, `GET`, empty, `null`).
pub fn check_prepare(data: &[u8]) {
    let mut fields = data.splitn(4, |&b| b == 0);
    let sel = fields.next().unwrap_or_default();
    let method = fields.next().unwrap_or(b"GET");
    let Ok(template) = std::str::from_utf8(fields.next().unwrap_or_default()) else {
        return;
    };
    let Some(args) = parse_args(fields.next().unwrap_or_default()) else {
        return;
    };
    let Ok(method) = Method::from_bytes(method) else {
        return;
    };
    let i = pick(sel);
    let chain = fixtures().clients[i].chain(template);
    if let Ok(req) = chain.prepare(method.clone(), args.clone()) {
        check_prepared(BASES[i], &method, &args, &req, template);
    }
}

/// `SEL \0 METHOD \0 ARGS-JSON \0 SEGMENT \0 SEGMENT ...`: each segment through `seg()`.
pub fn check_segments(data: &[u8]) {
    let mut fields = data.split(|&b| b == 0);
    let sel = fields.next().unwrap_or_default();
    let method = fields.next().unwrap_or(b"GET");
    let Some(args) = parse_args(fields.next().unwrap_or_default()) else {
        return;
    };
    let Ok(method) = Method::from_bytes(method) else {
        return;
    };
    let mut segments = Vec::new();
    for raw in fields {
        let Ok(s) = std::str::from_utf8(raw) else {
            return;
        };
        segments.push(s);
    }
    let i = pick(sel);
    let mut chain = fixtures().clients[i].root();
    for s in &segments {
        chain = chain.seg(s);
    }
    // Segments are joined by `/`, and an empty chain takes no `/` before its next segment.
    let mut template = String::new();
    for s in &segments {
        if !template.is_empty() {
            template.push('/');
        }
        template.push_str(&wechatpay::normalize_segment(s));
    }
    assert_eq!(
        chain.template(),
        template,
        "the chain is its normalised segments"
    );
    if let Ok(req) = chain.prepare(method.clone(), args.clone()) {
        check_prepared(BASES[i], &method, &args, &req, &template);
    }
}

/// What every prepared request promises, whatever the template and arguments.
fn check_prepared(base: &str, method: &Method, args: &Value, req: &PreparedRequest, t: &str) {
    let url = req.url();
    // A per-call `base_uri` is the one other origin a caller may name, explicitly.
    let base = match args.get("base_uri").and_then(Value::as_str) {
        Some(explicit) => Url::parse(explicit).expect("an accepted base_uri parses"),
        None => Url::parse(base).unwrap(),
    };
    let ctx = || format!("template {t:?}, args {args}, base {base}: sent to {url}");
    assert_eq!(url.scheme(), base.scheme(), "scheme changed; {}", ctx());
    assert_eq!(url.host_str(), base.host_str(), "host changed; {}", ctx());
    assert_eq!(
        url.port_or_known_default(),
        base.port_or_known_default(),
        "port changed; {}",
        ctx()
    );
    assert_eq!(
        (url.username(), url.password()),
        (base.username(), base.password()),
        "credentials changed; {}",
        ctx()
    );
    // RFC 3986 resolution keeps the base path up to its last `/`.
    let base_dir = &base.path()[..=base.path().rfind('/').unwrap_or(0)];
    assert!(
        url.path().starts_with(base_dir),
        "the path left the base path {base_dir}; {}",
        ctx()
    );
    // A fragment is never sent (HTTP strips it), so whatever signed it signed something else.
    assert_eq!(url.fragment(), None, "a fragment; {}", ctx());
    assert_eq!(req.method(), method);
    // What HTTP/1.1 puts in the request line: the path and the query, nothing else.
    let target = match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_string(),
    };
    let rel = &url.path()[base_dir.len().min(url.path().len())..];
    match req.protocol() {
        Protocol::V3 => check_v3_signature(method, &target, req, &ctx),
        Protocol::V2 => {
            assert!(
                req.headers().get(AUTHORIZATION).is_none(),
                "an APIv2 request carries Authorization; {}",
                ctx()
            );
            assert!(
                !rel.get(..3).is_some_and(|p| p.eq_ignore_ascii_case("v3/")),
                "an APIv2-signed request to an APIv3 path; {}",
                ctx()
            );
            // A raw `body` is the caller's own bytes, sent as given by design.
            if args.get("body").is_some_and(|b| !b.is_null()) {
                return;
            }
            let pairs = if method == Method::GET {
                let query = url.query().unwrap_or_default();
                url::form_urlencoded::parse(query.as_bytes())
                    .map(|(k, v)| (k.into_owned(), v.into_owned()))
                    .collect()
            } else {
                let text = std::str::from_utf8(req.body())
                    .unwrap_or_else(|_| panic!("the APIv2 body is not UTF-8; {}", ctx()));
                let fields = wechatpay::v2::xml::from_xml(text)
                    .unwrap_or_else(|e| panic!("the APIv2 body does not parse ({e}); {}", ctx()));
                flat_pairs(&fields).unwrap_or_else(|| {
                    panic!(
                        "the APIv2 body reads back nested ({}); {}",
                        Value::Object(fields.clone()),
                        ctx()
                    )
                })
            };
            let sign_type = match pairs.iter().find(|(k, _)| k == "sign_type") {
                Some((_, v)) if v == "HMAC-SHA256" => SignType::HmacSha256,
                _ => SignType::Md5,
            };
            let sent: Vec<&str> = pairs
                .iter()
                .filter(|(k, _)| k == "sign")
                .map(|(_, v)| v.as_str())
                .collect();
            let expected = v2_sign(&pairs, sign_type, SECRET);
            assert_eq!(
                sent,
                [expected.as_str()],
                "the APIv2 sign does not verify over what is sent ({pairs:?}); {}",
                ctx()
            );
        }
    }
}

/// The `Authorization` header verifies, with the merchant's public key, over
/// `METHOD\nPATH?QUERY\nTIMESTAMP\nNONCE\nBODY\n` as sent.
fn check_v3_signature(
    method: &Method,
    target: &str,
    req: &PreparedRequest,
    ctx: &dyn Fn() -> String,
) {
    let auth = req
        .headers()
        .get(AUTHORIZATION)
        .unwrap_or_else(|| panic!("an APIv3 request without Authorization; {}", ctx()));
    let auth = auth.to_str().expect("Authorization is ASCII");
    let params = auth
        .strip_prefix("WECHATPAY2-SHA256-RSA2048 ")
        .unwrap_or_else(|| panic!("Authorization scheme: {auth}"));
    let mut fields = Map::new();
    for part in params.split(',') {
        let (k, v) = part.split_once('=').expect("key=\"value\"");
        let v = v
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .expect("a quoted value");
        assert!(
            fields.insert(k.to_string(), v.into()).is_none(),
            "{k} twice in {auth}"
        );
    }
    let get = |k: &str| {
        fields
            .get(k)
            .and_then(Value::as_str)
            .unwrap_or_else(|| panic!("{k} missing from {auth}"))
    };
    assert_eq!(get("mchid"), MCHID);
    assert_eq!(get("serial_no"), SERIAL);
    let ts = get("timestamp");
    assert!(ts.parse::<i64>().is_ok(), "timestamp {ts}");
    let nonce = get("nonce_str");
    let signature = base64::engine::general_purpose::STANDARD
        .decode(get("signature"))
        .expect("the signature is base64");
    let mut message = format!("{method}\n{target}\n{ts}\n{nonce}\n").into_bytes();
    message.extend_from_slice(req.body());
    message.push(b'\n');
    if let Err(e) = fixtures().merchant_pub.verify(&message, &signature) {
        panic!(
            "the Authorization signature does not verify over what is sent ({e}): {:?}; {}",
            String::from_utf8_lossy(&message),
            ctx()
        );
    }
}

/// The fields of a flat APIv2 message as `(key, text)`; `None` if any value is not a string.
fn flat_pairs(fields: &Map<String, Value>) -> Option<Vec<(String, String)>> {
    fields
        .iter()
        .map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string())))
        .collect()
}

/// The APIv2 sign as WeChat Pay computes it on receipt: pairs sorted by key, empty values and
/// `sign` left out, `&key=SECRET` appended, MD5 or HMAC-SHA256, uppercase hex. Written here
/// rather than taken from the library so that a shared mistake cannot hide.
fn v2_sign(pairs: &[(String, String)], sign_type: SignType, secret: &str) -> String {
    let mut kept: Vec<&(String, String)> = pairs
        .iter()
        .filter(|(k, v)| k != "sign" && !v.is_empty())
        .collect();
    kept.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    let mut message = kept
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    // `stringA&key=SECRET` literally, so an empty stringA still leaves its `&`.
    message.push_str("&key=");
    message.push_str(secret);
    let digest = match sign_type {
        SignType::Md5 => Md5::digest(message.as_bytes()).to_vec(),
        SignType::HmacSha256 => {
            let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
            mac.update(message.as_bytes());
            mac.finalize().into_bytes().to_vec()
        }
    };
    digest.iter().map(|b| format!("{b:02X}")).collect()
}

// ---------------------------------------------------------------------------------------------
// APIv2 XML and signs

/// The whole input is the XML text.
pub fn check_v2_xml(data: &[u8]) {
    use wechatpay::v2::{sign, xml};
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(fields) = xml::from_xml(text) else {
        return;
    };
    let written = xml::to_xml(&fields);
    let back = xml::from_xml(&written)
        .unwrap_or_else(|e| panic!("to_xml wrote XML that does not parse ({e}): {written:?}"));
    // Attributes and repeated elements have no to_xml form (it writes `<item>`s, as the PHP
    // SDK does), so the map comes back the same only when it holds neither.
    if representable(&fields) {
        assert_eq!(
            back, fields,
            "from_xml(to_xml(m)) != m for {text:?} (written {written:?})"
        );
    }
    for sign_type in [SignType::Md5, SignType::HmacSha256] {
        let Ok(s) = sign::sign(sign_type, &fields, SECRET) else {
            continue;
        };
        let mut signed = fields.clone();
        signed.insert("sign".into(), Value::String(s.clone()));
        sign::verify(&signed, SECRET)
            .unwrap_or_else(|e| panic!("sign then verify fails ({e}) for {text:?}"));
        assert!(
            sign::verify(&signed, "another secret").is_err(),
            "verifies with another secret: {text:?}"
        );
        // The signed message survives the wire: written, read back, verified by the receiver.
        // (Keys that are not element names are written as `<item>` by design, so only messages
        // to_xml can represent are held to it; outbound requests refuse the others.)
        if let Some(pairs) = flat_pairs(&signed).filter(|_| representable(&signed)) {
            let wire = xml::to_xml(&signed);
            let received = xml::from_xml(&wire).expect("to_xml output parses");
            sign::verify(&received, SECRET).unwrap_or_else(|e| {
                panic!("a signed message fails verification after the wire ({e}): {wire:?}")
            });
            let received = flat_pairs(&received).unwrap_or_else(|| {
                panic!("a flat message reads back nested: {pairs:?} as {wire:?}")
            });
            assert_eq!(
                v2_sign(&received, sign_type, SECRET),
                s,
                "the sign is not WeChat Pay's over {received:?}"
            );
        }
    }
}

/// True when `map` holds only strings and maps, under element names, and no `@attributes`.
fn representable(map: &Map<String, Value>) -> bool {
    map.iter().all(|(k, v)| {
        is_element_name(k)
            && match v {
                Value::String(_) => true,
                Value::Object(m) => !m.is_empty() && representable(m),
                _ => false,
            }
    })
}

/// The PHP SDK's element-name rule, `^[\pL_][\pL0-9._:-]*$`, that to_xml applies.
fn is_element_name(key: &str) -> bool {
    let mut chars = key.chars();
    matches!(chars.next(), Some(c) if c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphabetic() || c.is_ascii_digit() || ".:_-".contains(c))
}

/// `0` then a notification body for `parse_notification`; `1` then a `req_info` to decrypt.
pub fn check_notify_v2(data: &[u8]) {
    use wechatpay::v2::{ecb, notify, xml};
    let (op, rest) = data.split_first().unwrap_or((&b'0', &[][..]));
    if op & 1 == 1 {
        let Ok(req_info) = std::str::from_utf8(rest) else {
            return;
        };
        if let Ok(fields) = notify::decrypt_refund_req_info(req_info, SECRET) {
            // The key is the lowercase hex MD5 of the secret; without a MAC, anything encrypted
            // with it decrypts, so what can be checked is that it is that, read the same way.
            let key: String = Md5::digest(SECRET.as_bytes())
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            let plain = ecb::aes_256_ecb_decrypt(key.as_bytes(), req_info)
                .expect("decrypted once, decrypts again");
            let text = String::from_utf8(plain).expect("it was UTF-8");
            assert_eq!(xml::from_xml(&text).ok(), Some(fields));
        }
        return;
    }
    if let Ok(fields) = notify::parse_notification(rest, SECRET) {
        assert_eq!(
            fields.get("return_code").and_then(Value::as_str),
            Some("SUCCESS"),
            "accepted a notification that is not a success: {fields:?}"
        );
        let pairs = flat_pairs(&fields)
            .unwrap_or_else(|| panic!("accepted a nested notification: {fields:?}"));
        let given = fields["sign"].as_str().unwrap();
        // The sign type is told by the sign's length, as the library documents.
        let sign_type = if given.len() == 64 {
            SignType::HmacSha256
        } else {
            SignType::Md5
        };
        assert_eq!(
            given,
            v2_sign(&pairs, sign_type, SECRET),
            "accepted a notification whose sign is not WeChat Pay's: {fields:?}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Inbound APIv3: notifications and answers

/// True when the headers carry a signature by the fixture WeChat Pay key over `signed`, with a
/// serial naming that key and a timestamp within 300 s of [`NOW`]: the only way in.
fn signed_by_wechatpay(headers: &HeaderMap, signed: &[u8]) -> bool {
    let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let (Some(ts), Some(nonce), Some(signature), Some(serial)) = (
        get("Wechatpay-Timestamp"),
        get("Wechatpay-Nonce"),
        get("Wechatpay-Signature"),
        get("Wechatpay-Serial"),
    ) else {
        return false;
    };
    if serial != PUB_ID && serial != PLATFORM_SERIAL {
        return false;
    }
    match ts.trim().parse::<i64>() {
        Ok(t) if (t - NOW).abs() <= 300 => {}
        _ => return false,
    }
    let Ok(raw) = base64::engine::general_purpose::STANDARD.decode(signature.trim()) else {
        return false;
    };
    let mut message = format!("{ts}\n{nonce}\n").into_bytes();
    message.extend_from_slice(signed);
    message.push(b'\n');
    fixtures().wechatpay_pub.verify(&message, &raw).is_ok()
}

/// Header lines, a blank line, the body (see [`parse_headers`]).
pub fn check_notify_v3(data: &[u8]) {
    let (headers, body) = parse_headers(data);
    let parser = wechatpay::notify::NotificationParser::new(&fixtures().keyring, APIV3_KEY);
    if let Ok(n) = parser.parse_at(&headers, body, NOW) {
        assert!(
            signed_by_wechatpay(&headers, body),
            "accepted a notification WeChat Pay did not sign: {headers:?} {:?}",
            String::from_utf8_lossy(body)
        );
        let envelope: Value = serde_json::from_slice(body).expect("an accepted body is JSON");
        assert_eq!(envelope["id"], n.id);
        assert_eq!(envelope["event_type"], n.event_type);
    }
}

/// A path line, header lines, a blank line, the body.
pub fn check_verify_answer(data: &[u8]) {
    let (path, rest) = match data.iter().position(|&b| b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &b""[..]),
    };
    let Ok(path) = std::str::from_utf8(path) else {
        return;
    };
    let (headers, body) = parse_headers(rest);
    let ring = &fixtures().keyring;
    if wechatpay::v3::verify_response(ring, NOW, path, &headers, body).is_err() {
        return;
    }
    if unsigned_download(path) {
        return;
    }
    let (base, rel) = split_v3(path).unwrap_or(("", ""));
    // Overseas statements sign the SHA-1 header instead of the CSV body, which must match it.
    let statement = rel.eq_ignore_ascii_case("/v3/global/statements")
        || (rel.eq_ignore_ascii_case("/v3/statements")
            && base.to_ascii_lowercase().ends_with("/hk"));
    let sha1 = headers
        .get("Wechatpay-Statement-Sha1")
        .and_then(|v| v.to_str().ok());
    let signed = match (statement, sha1) {
        (true, Some(sha1)) => {
            let actual: String = sha1::Sha1::digest(body)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            assert!(
                actual.eq_ignore_ascii_case(sha1),
                "accepted a statement whose body is not the signed SHA-1 {sha1}"
            );
            format!("{{\"sha1\":\"{sha1}\"}}").into_bytes()
        }
        _ => body.to_vec(),
    };
    assert!(
        signed_by_wechatpay(&headers, &signed),
        "accepted an answer WeChat Pay did not sign for {path:?}: {headers:?} {:?}",
        String::from_utf8_lossy(body)
    );
}

/// A request path split at its first `/v3/` (case-insensitively), after dropping any query or
/// fragment: the base path and the API path.
fn split_v3(path: &str) -> Option<(&str, &str)> {
    let path = path.split(['?', '#']).next().unwrap_or(path);
    let start = path.to_ascii_lowercase().find("/v3/")?;
    Some(path.split_at(start))
}

/// The unsigned downloads, restated from the documentation: after any base path, one of the
/// download paths exactly, or one complaint image (a single segment other than `upload`, and
/// not a `.`/`..` segment, which a server would resolve to another path).
fn unsigned_download(path: &str) -> bool {
    let Some((_, rel)) = split_v3(path) else {
        return false;
    };
    let rel = rel.to_ascii_lowercase();
    const DOWNLOADS: [&str; 4] = [
        "/v3/billdownload/file",
        "/v3/transferdownload/elecvoucherfile",
        "/v3/transferdownload/signfile",
        "/v3/new-tax-control-fapiao/download",
    ];
    if DOWNLOADS.contains(&rel.as_str()) {
        return true;
    }
    [
        "/v3/merchant-service/images/",
        "/v3/global/merchant-service/images/",
    ]
    .iter()
    .filter_map(|prefix| rel.strip_prefix(prefix))
    .any(|id| {
        let decoded = id.replace("%2e", ".");
        !id.is_empty() && !id.contains('/') && id != "upload" && decoded != "." && decoded != ".."
    })
}

// ---------------------------------------------------------------------------------------------
// Keys and certificates

/// A selector byte (`0`-`8`, taken modulo 9) then the key or certificate bytes:
/// private PEM, private DER, private load, private encrypted PEM, public PEM, public DER,
/// public load, certificate PEM, certificate DER.
pub fn check_keys(data: &[u8]) {
    let Some((op, input)) = data.split_first() else {
        return;
    };
    // `load` follows `file://` to the file system: that is reading files, not parsing keys.
    if matches!(op % 9, 2 | 6) && input.windows(7).any(|w| w.eq_ignore_ascii_case(b"file://")) {
        return;
    }
    match op % 9 {
        0 => private_ok(PrivateKey::from_pem(input)),
        1 => private_ok(PrivateKey::from_der(input)),
        2 => private_ok(PrivateKey::load(input)),
        3 => private_ok(PrivateKey::from_pem_encrypted(input, PASSPHRASE)),
        4 => public_ok(PublicKey::from_pem(input)),
        5 => public_ok(PublicKey::from_der(input)),
        6 => public_ok(PublicKey::load(input)),
        7 => cert_ok(Certificate::from_pem(input)),
        _ => cert_ok(Certificate::from_der(input)),
    }
}

const MESSAGE: &[u8] = b"GET\n/v3/certificates\n1554208460\n593BEC0C930BF1AFEB40B4A08C8FB242\n\n";

/// A loaded private key signs what its public key verifies, and survives PKCS#8 PEM.
fn private_ok(key: wechatpay::Result<PrivateKey>) {
    let Ok(key) = key else { return };
    let public = key.public_key();
    public_ok(Ok(public.clone()));
    let signature = key.sign(MESSAGE).expect("a loaded key signs");
    public
        .verify(MESSAGE, &signature)
        .expect("its public key verifies its signature");
    let again = PrivateKey::from_pem(key.to_pkcs8_pem().as_bytes()).expect("its PEM reloads");
    assert_eq!(again.public_key(), public);
}

/// A loaded public key is RSA of an accepted size, survives DER and PEM, and refuses garbage.
fn public_ok(key: wechatpay::Result<PublicKey>) {
    let Ok(key) = key else { return };
    assert!((2048..=8192).contains(&key.bits()), "{} bits", key.bits());
    assert_eq!(
        PublicKey::from_der(key.spki_der()).as_ref().ok(),
        Some(&key)
    );
    assert_eq!(PublicKey::from_pem(key.to_pem()).as_ref().ok(), Some(&key));
    assert!(key.verify(MESSAGE, &[0u8; 256]).is_err());
    assert!(key.verify(MESSAGE, b"").is_err());
}

/// A loaded certificate has an uppercase hex serial and survives DER and PEM.
fn cert_ok(cert: wechatpay::Result<Certificate>) {
    let Ok(cert) = cert else { return };
    let serial = cert.serial_no();
    assert!(
        !serial.is_empty()
            && serial
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(&b)),
        "serial {serial:?}"
    );
    public_ok(Ok(cert.public_key().clone()));
    for again in [
        Certificate::from_der(cert.der()),
        Certificate::from_pem(cert.to_pem()),
    ] {
        let again = again.expect("a loaded certificate reloads");
        assert_eq!(again.serial_no(), serial);
        assert_eq!(again.public_key(), cert.public_key());
        assert_eq!(again.der(), cert.der());
    }
}

/// `intake`: `FLAGS CAP SPLIT BODY`. `FLAGS` bits 0–1 pick the digest (0 none, 1 the right
/// SHA1, 2 the right SHA256, 3 a wrong SHA1), bit 2 `gunzip`, bit 3 a `sink` file; `CAP` is the
/// unpacked cap (`CAP * 64` bytes, 255 for 4 GiB); `SPLIT` seeds the chunk sizes (0: one chunk).
/// The body goes through the download intake (`wechatpay::__intake`) in those chunks.
///
/// "Right" is computed here with flate2's *reading* `GzDecoder`, member after member, over the
/// whole body when it starts with `1f 8b` (the bytes received otherwise). `Ok` only for a body
/// that decodes here to at most `CAP` bytes, in at most one member per KiB of `CAP` (one at
/// least), with the digest given; then the file is the bytes received, or the
/// unpacked bytes with `gunzip`. A `max_download_bytes` error only when more than `CAP` bytes
/// unpack or more members begin. A valid body within the cap with the right digest must be accepted, however split.
/// No temporary file is left behind either way.
pub fn check_intake(data: &[u8]) {
    use sha1::Sha1;
    use sha2::Sha256;

    let [flags, cap, split, body @ ..] = data else {
        return;
    };
    let cap: u64 = if *cap == 255 {
        4 << 30
    } else {
        u64::from(*cap) * 64
    };
    let gunzip = flags & 4 != 0;
    let mode = flags & 3;
    let looks = mode != 0 || gunzip;
    let gzip = looks && body.starts_with(&[0x1f, 0x8b]);

    // What the body is, decoded independently (member after member, as flate2's reading
    // `MultiGzDecoder` does): `Some` only when valid and within the cap; whether more than `cap`
    // bytes came out before any error; how many members were begun.
    let (content, mut over_cap, members): (Option<Vec<u8>>, bool, u64) = if gzip {
        let (out, ok, members) = unpack(body, cap);
        let over = out.len() as u64 > cap;
        ((ok && !over).then_some(out), over, members)
    } else {
        (Some(body.to_vec()), false, 0)
    };
    // Each member counts as 1 KiB toward the cap; one is always allowed.
    let too_many = members > (cap / 1024).max(1);
    let content = content.filter(|_| !too_many);
    let hashed: &[u8] = content.as_deref().unwrap_or(body);
    let digest = match mode {
        0 => None,
        1 | 3 => {
            let mut hex = hex_of(&Sha1::digest(hashed));
            if mode == 3 {
                let flipped = if hex.starts_with('0') { "1" } else { "0" };
                hex.replace_range(0..1, flipped);
            }
            Some(serde_json::json!({"hash_type": "SHA1", "hash_value": hex}))
        }
        _ => Some(
            serde_json::json!({"hash_type": "SHA256", "hash_value": hex_of(&Sha256::digest(hashed))}),
        ),
    };

    // Chunk sizes from a xorshift seeded by `split`, 0 to `split % 32 + 1` bytes each.
    let mut chunks: Vec<&[u8]> = Vec::new();
    if *split == 0 {
        chunks.push(body);
    } else {
        let most = usize::from(*split % 32) + 1;
        let mut state = u32::from(*split) | 0x100;
        let mut rest = body;
        while !rest.is_empty() {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            let n = (state as usize % (most + 1)).min(rest.len());
            let (chunk, tail) = rest.split_at(n);
            chunks.push(chunk);
            rest = tail;
        }
    }

    let dir = intake_dir();
    let sink = (flags & 8 != 0).then(|| dir.join("bill.csv"));
    let result = wechatpay::__intake(chunks, digest, sink.as_deref(), gunzip, cap);
    let left: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
    assert!(left.is_empty(), "files left behind: {left:?}");

    let valid = content.is_some();
    match result {
        Ok(file) => {
            assert!(valid, "accepted a body that does not decode within the cap");
            assert_ne!(mode, 3, "accepted a wrong digest");
            let content = content.unwrap();
            assert!(
                content.len() as u64 <= cap || !gzip,
                "unpacked past the cap"
            );
            if let Some(file) = file {
                let want: &[u8] = if gunzip && gzip { &content } else { body };
                assert!(
                    file == want,
                    "the file is not what was received or unpacked"
                );
            } else {
                assert!(sink.is_none(), "no file although a sink was given");
            }
        }
        Err(e) => {
            if let wechatpay::Error::Limit { limit, .. } = &e {
                assert_eq!(*limit, "max_download_bytes", "{e}");
                // Reading drops what inflated in the call that met the damage, and with the
                // whole body at hand may meet it sooner than a stream does: counted again as a
                // stream (flate2's writing decoder, a byte at a time, flushed after the error).
                if gzip && !over_cap {
                    over_cap = streamed_len(body, cap) > cap;
                }
                assert!(
                    over_cap || too_many,
                    "a limit error, but at most {cap} bytes and {members} members unpack: {e}"
                );
            }
            assert!(
                !valid || mode == 3,
                "refused a valid body with the right digest: {e}"
            );
        }
    }
}

/// Unpacks `body` member after member, up to `cap + 1` bytes: what came out, whether it ended
/// cleanly, how many members were begun.
fn unpack(body: &[u8], cap: u64) -> (Vec<u8>, bool, u64) {
    use std::io::Read;
    let mut rest: &[u8] = body;
    let mut out = Vec::new();
    let mut members = 0;
    let mut buf = [0u8; 8192];
    let ok = 'members: loop {
        members += 1;
        let mut decoder = flate2::bufread::GzDecoder::new(rest);
        loop {
            match decoder.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => out.extend_from_slice(&buf[..n]),
                Err(_) => break 'members false,
            }
            if out.len() as u64 > cap {
                break 'members false;
            }
        }
        rest = decoder.into_inner();
        if rest.is_empty() {
            break true;
        }
    };
    (out, ok, members)
}

/// How many bytes flate2's writing `MultiGzDecoder` lets out of `body` fed a byte at a time,
/// up to the first error and what a finish flushes after it (at most `cap + 1` counted).
fn streamed_len(body: &[u8], cap: u64) -> u64 {
    use std::io::Write;
    struct Count(u64, u64);
    impl Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len() as u64;
            if self.0 > self.1 {
                return Err(std::io::Error::other("enough"));
            }
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut decoder = flate2::write::MultiGzDecoder::new(Count(0, cap));
    for byte in body.chunks(1) {
        if decoder.write_all(byte).is_err() {
            break;
        }
    }
    let _ = decoder.try_finish();
    decoder.get_ref().0
}

/// A directory of this process's own for the intake's files.
fn intake_dir() -> std::path::PathBuf {
    static DIR: OnceLock<std::path::PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir =
            std::env::temp_dir().join(format!("wechatpay-fuzz-intake-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    })
    .clone()
}

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
