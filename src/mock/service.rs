//! The emulator's HTTP side: TLS accept, request checks as WeChat Pay makes them, signed answers.

use super::routes::Kind;
use super::{AnswerBody, Fault, Mode, Recorded, State};
use crate::error::Result;
use crate::util::{nonce, unix_now};
use base64::Engine;
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::{combinators::BoxBody, BodyExt, Full, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper_util::rt::TokioIo;
use serde_json::{json, Map, Value};
use std::collections::HashSet;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

type Body = BoxBody<Bytes, std::io::Error>;

/// Request bodies larger than this are not read (WeChat Pay's own limits are far lower).
const MAX_BODY: usize = 32 << 20;

/// Accepts TLS connections until `stop` turns true (then drains them) or the task is aborted
/// (then every connection task is aborted with it, being owned by the `JoinSet`).
pub(crate) async fn serve(
    listener: tokio::net::TcpListener,
    config: Arc<rustls::ServerConfig>,
    state: Arc<State>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let acceptor = tokio_rustls::TlsAcceptor::from(config);
    let mut connections = tokio::task::JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else {
                    // Out of file descriptors and the like: do not spin.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                };
                let conn = connection(acceptor.clone(), stream, state.clone(), stop.clone());
                connections.spawn(conn);
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            _ = stop.changed() => break,
        }
    }
    drop(listener);
    let drained = async { while connections.join_next().await.is_some() {} };
    let _ = tokio::time::timeout(Duration::from_secs(5), drained).await;
}

/// One TLS connection: handshake (with or without a client certificate), then HTTP.
async fn connection(
    acceptor: tokio_rustls::TlsAcceptor,
    stream: tokio::net::TcpStream,
    state: Arc<State>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let Ok(Ok(tls)) = tokio::time::timeout(Duration::from_secs(10), acceptor.accept(stream)).await
    else {
        return;
    };
    // The verifier only lets certificates issued by the emulator's CA through.
    let client_cert: Option<Arc<Vec<u8>>> = tls
        .get_ref()
        .1
        .peer_certificates()
        .and_then(|c| c.first())
        .map(|c| Arc::new(c.as_ref().to_vec()));
    let service = hyper::service::service_fn(move |req| {
        let state = state.clone();
        let client_cert = client_cert.clone();
        async move {
            let cert = client_cert.as_deref().map(Vec::as_slice);
            Ok::<_, Infallible>(handle(&state, req, cert).await)
        }
    });
    // HTTP/1.1 or HTTP/2, as the client's ALPN and preface say.
    let builder =
        hyper_util::server::conn::auto::Builder::new(hyper_util::rt::TokioExecutor::new());
    let conn = builder.serve_connection(TokioIo::new(tls), service);
    tokio::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => {}
        _ = stop.changed() => {
            conn.as_mut().graceful_shutdown();
            let _ = conn.await;
        }
    }
}

fn full(body: impl Into<Bytes>) -> Body {
    Full::new(body.into())
        .map_err(|never| match never {})
        .boxed()
}

/// What a check decided: the status, the body, and the outcome code for the journal.
struct Outcome {
    status: StatusCode,
    body: Bytes,
    content_type: &'static str,
    code: String,
    headers: Vec<(String, String)>,
    delay: Option<Duration>,
    /// The request's signature verified with a known merchant's key or secret.
    verified: bool,
}

fn error(status: u16, code: &str, message: &str) -> Outcome {
    Outcome {
        status: StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
        body: Bytes::from(json!({ "code": code, "message": message }).to_string()),
        content_type: "application/json",
        code: code.to_string(),
        headers: Vec::new(),
        delay: None,
        verified: false,
    }
}

fn v2_fail(message: &str) -> Outcome {
    let xml = crate::v2::xml::to_xml(&obj(json!({"return_code": "FAIL", "return_msg": message})));
    Outcome {
        status: StatusCode::OK,
        body: Bytes::from(xml),
        content_type: "text/xml",
        code: "FAIL".into(),
        headers: Vec::new(),
        delay: None,
        verified: false,
    }
}

fn obj(v: Value) -> Map<String, Value> {
    v.as_object().cloned().unwrap_or_default()
}

async fn handle(
    state: &State,
    req: Request<Incoming>,
    client_cert: Option<&[u8]>,
) -> Response<Body> {
    let (parts, body) = req.into_parts();
    // A body cut short or over the limit is checked as empty, so its signature fails.
    let body = match http_body_util::Limited::new(body, MAX_BODY).collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => Bytes::new(),
    };
    let faults = state
        .faults
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    let path = parts.uri.path().to_string();
    let mut outcome = if path.starts_with("/v3/") {
        v3(state, &parts.method, &parts.uri, &parts.headers, &body)
    } else {
        v2(state, &parts.method, &parts.uri, &body, client_cert)
    };
    if faults.contains(&Fault::ServerError) {
        // The checks still ran (the journal says whether the request was good); the answer fails.
        let verified = outcome.verified;
        outcome = error(500, "SYSTEM_ERROR", "系统错误 (emulated fault)");
        outcome.verified = verified;
    }
    {
        let mut journal = state.journal.lock().unwrap_or_else(|e| e.into_inner());
        if journal.len() >= super::JOURNAL_LIMIT {
            journal.remove(0);
        }
        journal.push(Recorded {
            method: parts.method.clone(),
            path: path.clone(),
            query: parts.uri.query().map(str::to_string),
            headers: parts.headers.clone(),
            body: body.clone(),
            client_cert: client_cert.is_some(),
            verified: outcome.verified,
            outcome: outcome.code.clone(),
            version: parts.version,
        });
    }
    for fault in &faults {
        if let Fault::Slow(ms) = fault {
            tokio::time::sleep(Duration::from_millis(*ms)).await;
        }
    }
    if let Some(delay) = outcome.delay {
        tokio::time::sleep(delay).await;
    }
    respond(state, outcome, path.starts_with("/v3/"), &faults)
}

fn respond(state: &State, outcome: Outcome, v3: bool, faults: &HashSet<Fault>) -> Response<Body> {
    let mut headers = if v3 {
        signed_headers(state, &outcome.body, faults).unwrap_or_default()
    } else {
        HeaderMap::new()
    };
    headers.insert(
        "Request-ID",
        HeaderValue::from_str(&format!("08{}", nonce(30))).unwrap_or(HeaderValue::from_static("0")),
    );
    if !outcome.body.is_empty() {
        headers.insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static(outcome.content_type),
        );
    }
    for (k, v) in &outcome.headers {
        if let (Ok(k), Ok(v)) = (
            http::HeaderName::from_bytes(k.as_bytes()),
            HeaderValue::from_str(v),
        ) {
            headers.insert(k, v);
        }
    }
    let mut status = outcome.status;
    let body = if faults.contains(&Fault::DropConnection) {
        // Promise the whole body, send half, then fail the stream: hyper closes the connection.
        // A bodiless answer (204) becomes a 200 promising bytes that never come.
        if outcome.body.is_empty() {
            status = StatusCode::OK;
        }
        headers.insert(
            http::header::CONTENT_LENGTH,
            HeaderValue::from(outcome.body.len().max(64) as u64),
        );
        let half = outcome.body.slice(..outcome.body.len() / 2);
        let chunks: Vec<std::result::Result<Frame<Bytes>, std::io::Error>> = vec![
            Ok(Frame::data(half)),
            Err(std::io::Error::new(
                std::io::ErrorKind::ConnectionAborted,
                "emulated drop",
            )),
        ];
        StreamBody::new(futures_util::stream::iter(chunks)).boxed()
    } else {
        full(outcome.body)
    };
    let mut res = Response::new(body);
    *res.status_mut() = status;
    *res.headers_mut() = headers;
    res
}

/// The four `Wechatpay-*` headers over `body`, with any signature fault applied.
pub(crate) fn signed_headers(
    state: &State,
    body: &[u8],
    faults: &HashSet<Fault>,
) -> Result<HeaderMap> {
    let mut ts = unix_now();
    if faults.contains(&Fault::SkewedClock) {
        ts -= 600;
    }
    let nonce = nonce(32);
    let signed: &[u8] = if faults.contains(&Fault::BadSignature) {
        b"not the body"
    } else {
        body
    };
    let message = crate::v3::canonical_response(&ts.to_string(), &nonce, signed);
    let signature =
        base64::engine::general_purpose::STANDARD.encode(state.platform_key.sign(&message)?);
    let serial = if faults.contains(&Fault::WrongSerial) {
        "PUB_KEY_ID_0000000000000000000000000000".to_string()
    } else if state.mode == Mode::Certificate {
        state.platform_serial.clone()
    } else {
        state.public_key_id.clone()
    };
    let mut h = HeaderMap::new();
    let value = |s: &str| HeaderValue::from_str(s).unwrap_or(HeaderValue::from_static(""));
    h.insert("Wechatpay-Timestamp", value(&ts.to_string()));
    h.insert("Wechatpay-Nonce", value(&nonce));
    h.insert("Wechatpay-Signature", value(&signature));
    h.insert("Wechatpay-Serial", value(&serial));
    Ok(h)
}

/// The `Authorization` fields, or why they are unusable.
fn authorization(headers: &HeaderMap) -> std::result::Result<Map<String, Value>, &'static str> {
    let value = headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or("Authorization 头缺失 (missing)")?;
    let fields = value
        .strip_prefix(crate::v3::AUTH_SCHEME)
        .and_then(|rest| rest.strip_prefix(' '))
        .ok_or("认证类型不正确 (the scheme must be WECHATPAY2-SHA256-RSA2048)")?;
    let mut map = Map::new();
    for pair in fields.split(',') {
        let (k, v) = pair
            .split_once('=')
            .ok_or("Authorization 格式错误 (malformed)")?;
        let v = v
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .ok_or("Authorization 格式错误 (unquoted)")?;
        map.insert(k.trim().to_string(), Value::String(v.to_string()));
    }
    for k in ["mchid", "serial_no", "timestamp", "nonce_str", "signature"] {
        if !map.contains_key(k) {
            return Err("Authorization 缺少字段 (a field is missing)");
        }
    }
    Ok(map)
}

fn v3(
    state: &State,
    method: &Method,
    uri: &http::Uri,
    headers: &HeaderMap,
    body: &Bytes,
) -> Outcome {
    let auth = match authorization(headers) {
        Ok(a) => a,
        Err(why) => return error(401, "SIGN_ERROR", why),
    };
    let field = |k: &str| auth[k].as_str().unwrap_or("");
    let Some(entry) = state.merchants.get(field("mchid")) else {
        return error(401, "SIGN_ERROR", "商户号不存在 (unknown mchid)");
    };
    if field("serial_no") != entry.merchant.serial {
        return error(
            401,
            "SIGN_ERROR",
            "证书序列号不匹配 (serial_no is not the merchant's API certificate)",
        );
    }
    let Ok(ts) = field("timestamp").parse::<i64>() else {
        return error(401, "SIGN_ERROR", "timestamp 格式错误");
    };
    // abs_diff: `now - i64::MIN` overflows (a panic in debug, a skipped check in release).
    if unix_now().abs_diff(ts) > 300 {
        return error(401, "SIGN_ERROR", "请求已过期 (timestamp outside ±300 s)");
    }
    let target = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    let signed = signed_body(headers, body);
    let message =
        crate::v3::canonical_request(method.as_str(), target, ts, field("nonce_str"), signed);
    let verified = base64::engine::general_purpose::STANDARD
        .decode(field("signature"))
        .ok()
        .is_some_and(|sig| entry.public_key.verify(&message, &sig).is_ok());
    if !verified {
        return error(
            401,
            "SIGN_ERROR",
            "签名错误 (the signature does not verify over the request received)",
        );
    }
    let mut out = v3_signed(state, method, uri, headers, body, entry, field("nonce_str"));
    out.verified = true;
    out
}

/// The checks and the answer after the signature verified.
fn v3_signed(
    state: &State,
    method: &Method,
    uri: &http::Uri,
    headers: &HeaderMap,
    body: &Bytes,
    entry: &super::MerchantEntry,
    nonce_str: &str,
) -> Outcome {
    {
        let now = unix_now();
        let mut nonces = state.nonces.lock().unwrap_or_else(|e| e.into_inner());
        nonces.retain(|_, seen| now - *seen <= 300);
        let key = (entry.merchant.mchid.clone(), nonce_str.to_string());
        if nonces.contains_key(&key) {
            return error(401, "SIGN_ERROR", "重复的请求 (nonce_str replayed)");
        }
        nonces.insert(key, now);
    }
    if let Some(serial) = headers
        .get("Wechatpay-Serial")
        .and_then(|v| v.to_str().ok())
    {
        if serial != state.public_key_id && serial != state.platform_serial {
            return error(
                400,
                "PARAM_ERROR",
                "Wechatpay-Serial 不正确 (names no WeChat Pay key)",
            );
        }
    }
    let is_json = headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("application/json"));
    if is_json && !body.is_empty() && serde_json::from_slice::<Value>(body).is_err() {
        return error(
            400,
            "PARAM_ERROR",
            "请求体不是合法的JSON (the body is not valid JSON)",
        );
    }
    let path = uri.path();
    if method == Method::GET && path == "/v3/certificates" {
        return certificates(state, &entry.merchant);
    }
    answer(state, method, path, body, &entry.merchant, true)
}

fn certificates(state: &State, merchant: &super::Merchant) -> Outcome {
    let nonce = nonce(12);
    let ciphertext = match crate::crypto::aes::aes_256_gcm_encrypt(
        merchant.apiv3_key.as_bytes(),
        nonce.as_bytes(),
        b"certificate",
        state.platform_cert_pem.as_bytes(),
    ) {
        Ok(c) => c,
        Err(e) => return error(500, "SYSTEM_ERROR", &e.to_string()),
    };
    let body = json!({ "data": [{
        "serial_no": state.platform_serial,
        "effective_time": "2026-01-01T00:00:00+08:00",
        "expire_time": "2031-01-01T00:00:00+08:00",
        "encrypt_certificate": {
            "algorithm": "AEAD_AES_256_GCM",
            "nonce": nonce,
            "associated_data": "certificate",
            "ciphertext": ciphertext,
        },
    }]});
    ok(
        Bytes::from(body.to_string()),
        "application/json",
        StatusCode::OK,
    )
}

fn ok(body: Bytes, content_type: &'static str, status: StatusCode) -> Outcome {
    Outcome {
        status,
        body,
        content_type,
        code: "OK".into(),
        headers: Vec::new(),
        delay: None,
        verified: true,
    }
}

/// The scripted answer for the route, else the documented default, else 404.
fn answer(
    state: &State,
    method: &Method,
    path: &str,
    body: &Bytes,
    merchant: &super::Merchant,
    v3: bool,
) -> Outcome {
    let scripted = {
        let mut scripts = state.scripts.lock().unwrap_or_else(|e| e.into_inner());
        scripts
            .iter_mut()
            .find(|s| s.pattern.matches(method.as_str(), path).is_some())
            .map(|s| s.next())
    };
    if let Some(a) = scripted {
        let (bytes, content_type) = match a.body {
            AnswerBody::Empty => (Bytes::new(), "application/json"),
            AnswerBody::Json(v) => (Bytes::from(v.to_string()), "application/json"),
            AnswerBody::Raw(b) => (b, "application/octet-stream"),
            AnswerBody::Xml(fields) => (Bytes::from(signed_xml(fields, merchant)), "text/xml"),
        };
        let mut out = ok(bytes, content_type, a.status);
        if !a.status.is_success() {
            out.code = format!("HTTP_{}", a.status.as_u16());
        }
        out.headers = a.headers;
        out.delay = a.delay;
        return out;
    }
    let route = state.routes.iter().find_map(|r| {
        r.pattern
            .matches(method.as_str(), path)
            .map(|vars| (r, vars))
    });
    let Some((route, vars)) = route else {
        return if v3 {
            error(
                404,
                "NOT_FOUND",
                "请求的资源不存在 (no such endpoint in the emulator)",
            )
        } else {
            v2_fail("invalid url (no such endpoint in the emulator)")
        };
    };
    match route.kind {
        Kind::Empty => ok(Bytes::new(), "application/json", StatusCode::NO_CONTENT),
        Kind::Json => {
            // Echo what identifies the call: path values and the request's top-level fields.
            let mut answer = vars;
            for (k, v) in &route.fields {
                answer.insert(k.clone(), v.clone());
            }
            if let Ok(Value::Object(sent)) = serde_json::from_slice::<Value>(body) {
                for (k, v) in sent {
                    if v.is_string() || v.is_number() {
                        answer.entry(k).or_insert(v);
                    }
                }
            }
            ok(
                Bytes::from(Value::Object(answer).to_string()),
                "application/json",
                StatusCode::OK,
            )
        }
        Kind::Xml => {
            let fields = obj(
                json!({"return_code": "SUCCESS", "return_msg": "OK", "result_code": "SUCCESS", "mch_id": merchant.mchid}),
            );
            ok(
                Bytes::from(signed_xml(fields, merchant)),
                "text/xml",
                StatusCode::OK,
            )
        }
        Kind::Other => ok(
            Bytes::from_static(b"emulated file content\n"),
            "application/octet-stream",
            StatusCode::OK,
        ),
    }
}

/// Adds `nonce_str` and an HMAC-SHA256 `sign` unless the script gave its own `sign`.
fn signed_xml(mut fields: Map<String, Value>, merchant: &super::Merchant) -> String {
    if !fields.contains_key("sign") {
        fields
            .entry("nonce_str")
            .or_insert_with(|| Value::String(nonce(32)));
        if let Ok(sign) = crate::v2::sign::sign(
            crate::v2::SignType::HmacSha256,
            &fields,
            &merchant.apiv2_secret,
        ) {
            fields.insert("sign".into(), Value::String(sign));
        }
    }
    crate::v2::xml::to_xml(&fields)
}

fn v2(
    state: &State,
    method: &Method,
    uri: &http::Uri,
    body: &Bytes,
    client_cert: Option<&[u8]>,
) -> Outcome {
    let path = uri.path();
    let fields = if method == Method::GET {
        let query = uri.query().unwrap_or("");
        url::form_urlencoded::parse(query.as_bytes())
            .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
            .collect::<Map<String, Value>>()
    } else {
        match std::str::from_utf8(body).ok().map(crate::v2::xml::from_xml) {
            Some(Ok(f)) => f,
            _ => return v2_fail("XML格式错误 (the body is not XML)"),
        }
    };
    let mchid = ["mch_id", "mchid", "combine_mch_id"]
        .iter()
        .find_map(|k| fields.get(*k).and_then(|v| v.as_str()))
        .unwrap_or("");
    let Some(entry) = state.merchants.get(mchid) else {
        return v2_fail("mch_id参数格式错误 (unknown merchant)");
    };
    // The documented `security: true` calls need mutual TLS with this merchant's certificate.
    // Refused with an XML FAIL rather than at the TLS level, so the client reads why.
    let security = state
        .routes
        .iter()
        .any(|r| r.security && r.pattern.matches(method.as_str(), path).is_some());
    match client_cert {
        _ if !security => {}
        None => {
            return v2_fail(
                "证书不存在 (the merchant API certificate is missing: this call needs mutual TLS)",
            )
        }
        Some(der) if der != entry.cert_der.as_slice() => {
            return v2_fail(
                "证书与商户号不匹配 (the client certificate is not this mch_id's API certificate)",
            )
        }
        Some(_) => {}
    }
    if method != Method::GET && !fields.contains_key("nonce_str") {
        return v2_fail("缺少参数nonce_str");
    }
    if let Some(t) = fields.get("sign_type").and_then(|v| v.as_str()) {
        if crate::v2::SignType::parse(t).is_err() {
            return v2_fail("sign_type参数错误");
        }
    }
    if crate::v2::sign::verify(&fields, &entry.merchant.apiv2_secret).is_err() {
        return v2_fail("签名错误");
    }
    let mut out = answer(state, method, path, body, &entry.merchant, false);
    out.verified = true;
    out
}

/// The bytes an APIv3 signature covers: the body, except for a media upload
/// (`multipart/form-data` with a `meta` part), where WeChat Pay signs the `meta` JSON alone.
fn signed_body<'a>(headers: &HeaderMap, body: &'a [u8]) -> &'a [u8] {
    let boundary = headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .filter(|v| v.to_ascii_lowercase().starts_with("multipart/form-data"))
        .and_then(|v| {
            v.split(';')
                .filter_map(|p| p.trim().split_once('='))
                .find(|(k, _)| k.eq_ignore_ascii_case("boundary"))
                .map(|(_, b)| b.trim_matches('"').to_string())
        });
    boundary
        .and_then(|b| multipart_meta(body, &b))
        .unwrap_or(body)
}

/// The content of the part named `meta` of a multipart body.
fn multipart_meta<'a>(body: &'a [u8], boundary: &str) -> Option<&'a [u8]> {
    let delimiter = format!("--{boundary}");
    let mut rest = body;
    while let Some(at) = find(rest, delimiter.as_bytes()) {
        rest = &rest[at + delimiter.len()..];
        let head_end = find(rest, b"\r\n\r\n")?;
        let head = String::from_utf8_lossy(&rest[..head_end]).to_ascii_lowercase();
        let content = &rest[head_end + 4..];
        let end = find(content, format!("\r\n{delimiter}").as_bytes())?;
        if head.contains("name=\"meta\"") {
            return Some(&content[..end]);
        }
        rest = &content[end..];
    }
    None
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}
