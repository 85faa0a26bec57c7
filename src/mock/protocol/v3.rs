//! APIv3 (`WECHATPAY2-SHA256-RSA2048`): the checks of a request (`Authorization`, signature,
//! replay, `Wechatpay-Serial`, JSON body), the signature of an answer (`Wechatpay-*`), and the
//! platform certificate download.

use super::call::{error, ok, Call, Outcome};
use super::faults::Fault;
use super::keys::{Keys, Merchant, Signing};
use super::multipart;
use crate::error::Result;
use crate::util::{nonce, unix_now};
use base64::Engine;
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, StatusCode};
use serde_json::{json, Map, Value};
use std::collections::HashSet;

/// The `Authorization` fields, or why they are unusable.
fn authorization(headers: &HeaderMap) -> std::result::Result<Map<String, Value>, &'static str> {
    let value = headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or("Authorization 头缺失 (missing)")?;
    pairs(
        value,
        crate::v3::AUTH_SCHEME,
        "认证类型不正确 (the scheme must be WECHATPAY2-SHA256-RSA2048)",
    )
}

/// The five fields of a merchant's `Authorization` value under `scheme` (the RSA one, or 国密's),
/// or why they are unusable (`wrong_scheme` when it is another scheme).
pub(crate) fn pairs(
    value: &str,
    scheme: &str,
    wrong_scheme: &'static str,
) -> std::result::Result<Map<String, Value>, &'static str> {
    let fields = value
        .strip_prefix(scheme)
        .and_then(|rest| rest.strip_prefix(' '))
        .ok_or(wrong_scheme)?;
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

/// The APIv3 checks: the verified call, or the refusal to answer with. A refusal made after
/// the signature verified (a replay, an unknown `Wechatpay-Serial`, a body that is not JSON)
/// says so in `verified`, as the journal records it.
pub(crate) fn check<'a>(
    keys: &'a Keys,
    method: &'a Method,
    uri: &'a http::Uri,
    headers: &'a HeaderMap,
    body: &'a Bytes,
) -> std::result::Result<Call<'a>, Outcome> {
    let auth = match authorization(headers) {
        Ok(a) => a,
        Err(why) => return Err(error(401, "SIGN_ERROR", why)),
    };
    let field = |k: &str| auth[k].as_str().unwrap_or("");
    let Some(entry) = keys.merchants.get(field("mchid")) else {
        return Err(error(401, "SIGN_ERROR", "商户号不存在 (unknown mchid)"));
    };
    let signature = Signed {
        serial_no: field("serial_no"),
        timestamp: field("timestamp"),
        nonce_str: field("nonce_str"),
        signature: field("signature"),
    };
    signature.check(
        &entry.merchant.serial,
        "商户证书序列号有误。",
        |m, s| entry.public_key.verify(m, s).is_ok(),
        (method, uri, headers, body),
    )?;
    if let Some(mut refusal) = after_signature(keys, headers, body, field("nonce_str"), entry) {
        refusal.verified = true;
        return Err(refusal);
    }
    Ok(Call {
        method,
        path: uri.path(),
        query: uri.query(),
        headers,
        body,
        entry,
        v2_fields: None,
    })
}

/// The signature pairs of an APIv3-style `Authorization` (the merchant's, the brand's, 国密's),
/// as read from the header.
pub(crate) struct Signed<'a> {
    pub serial_no: &'a str,
    pub timestamp: &'a str,
    pub nonce_str: &'a str,
    pub signature: &'a str,
}

impl Signed<'_> {
    /// What every APIv3-style scheme checks once its pairs are read: the signer's certificate
    /// serial, the timestamp within ±300 s, and `verify` over the canonical request of the bytes
    /// received. The refusal is `401 SIGN_ERROR` in WeChat Pay's words.
    pub(crate) fn check(
        &self,
        serial: &str,
        wrong_serial: &str,
        verify: impl Fn(&[u8], &[u8]) -> bool,
        (method, uri, headers, body): (&Method, &http::Uri, &HeaderMap, &[u8]),
    ) -> std::result::Result<(), Outcome> {
        // A hex number: WeChat Pay takes it in either case (SDKs that read it off the
        // certificate, such as npm's wechatpay-node-v3, send it in lowercase).
        if !self.serial_no.eq_ignore_ascii_case(serial) {
            return Err(error(401, "SIGN_ERROR", wrong_serial));
        }
        let Ok(ts) = self.timestamp.parse::<i64>() else {
            return Err(error(401, "SIGN_ERROR", "timestamp 格式错误"));
        };
        // abs_diff: `now - i64::MIN` overflows (a panic in debug, a skipped check in release).
        if unix_now().abs_diff(ts) > 300 {
            return Err(error(
                401,
                "SIGN_ERROR",
                "请求已过期 (timestamp outside ±300 s)",
            ));
        }
        let target = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
        let signed = signed_body(headers, body);
        let message =
            crate::v3::canonical_request(method.as_str(), target, ts, self.nonce_str, signed);
        let verified = base64::engine::general_purpose::STANDARD
            .decode(self.signature)
            .ok()
            .is_some_and(|sig| verify(&message, &sig));
        if !verified {
            return Err(error(
                401,
                "SIGN_ERROR",
                "签名错误 (the signature does not verify over the request received)",
            ));
        }
        Ok(())
    }
}

/// The checks after the signature verified: replay, `Wechatpay-Serial`, a JSON body.
pub(crate) fn after_signature(
    keys: &Keys,
    headers: &HeaderMap,
    body: &Bytes,
    nonce_str: &str,
    entry: &super::keys::MerchantEntry,
) -> Option<Outcome> {
    if let Some(replay) = replayed(keys, entry.merchant.mchid.clone(), nonce_str) {
        return Some(replay);
    }
    if let Some(serial) = headers
        .get("Wechatpay-Serial")
        .and_then(|v| v.to_str().ok())
    {
        // WeChat Pay's own words (seen in its answers); a key the merchant lacks in this mode
        // (a certificate in public-key mode, say) is as unknown as a made-up one.
        if keys.named(serial).is_none() {
            return Some(error(
                400,
                "PARAM_ERROR",
                "平台证书序列号Wechatpay-Serial错误 (names no WeChat Pay key of this merchant)",
            ));
        }
    }
    not_json(headers, body)
}

/// A nonce `signer` (a mchid, or a brand's own name) used within the last 300 s: the replay
/// refusal; else the nonce is noted.
pub(crate) fn replayed(keys: &Keys, signer: String, nonce_str: &str) -> Option<Outcome> {
    let now = unix_now();
    let mut nonces = keys.nonces.lock().unwrap_or_else(|e| e.into_inner());
    nonces.retain(|_, seen| now - *seen <= 300);
    if nonces
        .insert((signer, nonce_str.to_string()), now)
        .is_some()
    {
        return Some(error(401, "SIGN_ERROR", "重复的请求 (nonce_str replayed)"));
    }
    None
}

/// A body sent as JSON that is not: WeChat Pay's `PARAM_ERROR`.
pub(crate) fn not_json(headers: &HeaderMap, body: &[u8]) -> Option<Outcome> {
    let is_json = headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("application/json"));
    if is_json && !body.is_empty() && serde_json::from_slice::<Value>(body).is_err() {
        return Some(error(
            400,
            "PARAM_ERROR",
            "请求体不是合法的JSON (the body is not valid JSON)",
        ));
    }
    None
}

/// The bytes an APIv3 signature covers: the body, except for a media upload
/// (`multipart/form-data` with a `meta` part), where WeChat Pay signs the `meta` JSON alone.
pub(crate) fn signed_body<'a>(headers: &HeaderMap, body: &'a [u8]) -> &'a [u8] {
    multipart::boundary(headers)
        .and_then(|b| multipart::meta(body, &b))
        .unwrap_or(body)
}

/// The `Wechatpay-*` headers of a notification over `body` (the four signature headers and
/// `Wechatpay-Signature-Type`, as WeChat Pay sends them), signed with the mode's notification
/// key, with any signature fault applied.
pub(crate) fn signed_headers(
    keys: &Keys,
    body: &[u8],
    faults: &HashSet<Fault>,
) -> Result<HeaderMap> {
    signed_with(keys.notification_key(), body, faults)
}

/// The `Wechatpay-*` headers of the answer to a request whose `Wechatpay-Serial` is `named`.
pub(crate) fn signed_answer_headers(
    keys: &Keys,
    named: Option<&str>,
    body: &[u8],
    faults: &HashSet<Fault>,
) -> Result<HeaderMap> {
    signed_with(keys.answer_key(named), body, faults)
}

/// The `Wechatpay-*` headers over `body` signed with `signing`.
pub(crate) fn signed_with(
    signing: Signing<'_>,
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
    let signature = base64::engine::general_purpose::STANDARD.encode(signing.key.sign(&message)?);
    // A serial of the signing key's own kind that the client cannot hold: a certificate's hex
    // serial for a certificate (what a rotation looks like), a public key id otherwise.
    let serial = if faults.contains(&Fault::WrongSerial) {
        if signing.certificate {
            "7E57000000000000000000000000000000000001"
        } else {
            "PUB_KEY_ID_0000000000000000000000000000"
        }
    } else {
        signing.serial
    };
    let mut h = HeaderMap::new();
    let value = |s: &str| HeaderValue::from_str(s).unwrap_or(HeaderValue::from_static(""));
    h.insert("Wechatpay-Timestamp", value(&ts.to_string()));
    h.insert("Wechatpay-Nonce", value(&nonce));
    h.insert("Wechatpay-Signature", value(&signature));
    h.insert("Wechatpay-Serial", value(serial));
    let kind = crate::v3::SignatureType::Rsa2048.as_str();
    h.insert(crate::v3::SIGNATURE_TYPE, HeaderValue::from_static(kind));
    Ok(h)
}

/// `GET /v3/certificates`: the platform certificate sealed under the merchant's APIv3 key; a
/// merchant with the public key only has none, and WeChat Pay then answers `404` with these
/// words (as its answers to such merchants read since late 2024).
pub(crate) fn certificates(keys: &Keys, merchant: &Merchant) -> Outcome {
    if !keys.mode.get().has_certificate() {
        return error(
            404,
            "RESOURCE_NOT_EXISTS",
            "无可用的平台证书，请在商户平台-API安全申请使用微信支付公钥。可查看指引\
             https://pay.weixin.qq.com/docs/merchant/products/platform-certificate/wxp-pub-key-guide.html",
        );
    }
    let nonce = nonce(12);
    let ciphertext = match crate::crypto::aes::aes_256_gcm_encrypt(
        merchant.apiv3_key.as_bytes(),
        nonce.as_bytes(),
        b"certificate",
        keys.platform_cert_pem.as_bytes(),
    ) {
        Ok(c) => c,
        Err(e) => return error(500, "SYSTEM_ERROR", &e.to_string()),
    };
    let body = json!({ "data": [{
        "serial_no": keys.platform_serial,
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
