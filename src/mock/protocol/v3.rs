//! APIv3 checks: `Authorization`, signature, replay, `Wechatpay-Serial`, JSON body.

use crate::mock::front::service::{error, ok, Outcome};
use crate::mock::State;
use crate::util::{nonce, unix_now};
use base64::Engine;
use bytes::Bytes;
use http::{HeaderMap, Method, StatusCode};
use serde_json::{json, Map, Value};

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

/// The APIv3 checks, then the answer.
pub(crate) fn check(
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
    entry: &crate::mock::MerchantEntry,
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
    crate::mock::state::dispatch::answer(
        state,
        &crate::mock::state::dispatch::Call {
            method,
            path,
            query: uri.query(),
            headers,
            body,
            entry,
            v2_fields: None,
        },
    )
}

fn certificates(state: &State, merchant: &crate::mock::Merchant) -> Outcome {
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

/// The bytes an APIv3 signature covers: the body, except for a media upload
/// (`multipart/form-data` with a `meta` part), where WeChat Pay signs the `meta` JSON alone.
pub(crate) fn signed_body<'a>(headers: &HeaderMap, body: &'a [u8]) -> &'a [u8] {
    multipart_boundary(headers)
        .and_then(|b| multipart_meta(body, &b))
        .unwrap_or(body)
}

/// The content of the part named `meta` of a multipart body.
fn multipart_meta<'a>(body: &'a [u8], boundary: &str) -> Option<&'a [u8]> {
    multipart_parts(body, boundary)
        .into_iter()
        .find(|(name, _)| name == "meta")
        .map(|(_, content)| content)
}

/// The boundary of a `multipart/form-data` request.
pub(crate) fn multipart_boundary(headers: &HeaderMap) -> Option<String> {
    headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .filter(|v| v.to_ascii_lowercase().starts_with("multipart/form-data"))
        .and_then(|v| {
            v.split(';')
                .filter_map(|p| p.trim().split_once('='))
                .find(|(k, _)| k.eq_ignore_ascii_case("boundary"))
                .map(|(_, b)| b.trim_matches('"').to_string())
        })
}

/// The parts of a multipart body: (name, content), in order.
pub(crate) fn multipart_parts<'a>(body: &'a [u8], boundary: &str) -> Vec<(String, &'a [u8])> {
    let delimiter = format!("--{boundary}");
    let mut parts = Vec::new();
    let mut rest = body;
    while let Some(at) = find(rest, delimiter.as_bytes()) {
        rest = &rest[at + delimiter.len()..];
        let Some(head_end) = find(rest, b"\r\n\r\n") else {
            break;
        };
        let head = String::from_utf8_lossy(&rest[..head_end]).to_string();
        let content = &rest[head_end + 4..];
        let Some(end) = find(content, format!("\r\n{delimiter}").as_bytes()) else {
            break;
        };
        let name = head
            .split(';')
            .filter_map(|p| p.trim().split_once('='))
            .find(|(k, _)| k.eq_ignore_ascii_case("name"))
            .map(|(_, v)| v.trim().trim_matches('"').to_string())
            .unwrap_or_default();
        parts.push((name, &content[..end]));
        rest = &content[end..];
    }
    parts
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}
