//! 国密 mode (features `mock` and `shangmi`): WeChat Pay's `WECHATPAY2-SM2-WITH-SM3` scheme as the
//! emulator speaks it when started with `ServerBuilder::shangmi(true)`. Each merchant gets an
//! SM2 API key (its serial beside the RSA one), the emulator an SM2 platform key with a
//! self-signed SM2 certificate; requests must be signed SM2 with SM3 (user id
//! `1234567812345678`), answers and notifications are signed so and typed
//! `Wechatpay-Signature-Type: WECHATPAY2-SM2-WITH-SM3`, notifications and the
//! `v3/certificates?algorithm_type=SM2` listing are sealed AEAD_SM4_GCM under the key derived
//! from the APIv3 key, sensitive fields are SM2 (C1C3C2, DER). As the official Java SDK's
//! `shangmi` module does; see `crate::crypto::sm`.

use super::call::{error, ok, Call, Outcome};
use super::faults::Fault;
use super::keys::Keys;
pub(crate) use super::shangmi_keys::ShangmiKeys;
use crate::crypto::Signer as _;
use crate::crypto::Verifier as _;
use crate::error::Result;
use crate::util::{nonce, unix_now};
use base64::Engine;
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, StatusCode};
use serde_json::{json, Map, Value};
use std::collections::HashSet;

/// The scheme token and the signature type of 国密.
pub(crate) const SCHEME: &str = crate::v3::Scheme::SHANGMI.name;

fn pairs(value: &str) -> std::result::Result<Map<String, Value>, &'static str> {
    super::v3::pairs(
        value,
        SCHEME,
        "认证类型不正确 (the scheme must be WECHATPAY2-SM2-WITH-SM3 in 国密 mode)",
    )
}

/// The APIv3 checks of 国密 mode: the SM2 signature with the merchant's SM2 key, then the
/// checks every APIv3 call gets (replay, `Wechatpay-Serial`, JSON).
pub(crate) fn check<'a>(
    keys: &'a Keys,
    sm: &'a ShangmiKeys,
    method: &'a Method,
    uri: &'a http::Uri,
    headers: &'a HeaderMap,
    body: &'a Bytes,
) -> std::result::Result<Call<'a>, Outcome> {
    let value = headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let auth = pairs(value).map_err(|why| error(401, "SIGN_ERROR", why))?;
    let field = |k: &str| auth[k].as_str().unwrap_or("");
    let (Some(entry), Some(merchant)) = (
        keys.merchants.get(field("mchid")),
        sm.merchants.get(field("mchid")),
    ) else {
        return Err(error(401, "SIGN_ERROR", "商户号不存在 (unknown mchid)"));
    };
    let signature = super::v3::Signed {
        serial_no: field("serial_no"),
        timestamp: field("timestamp"),
        nonce_str: field("nonce_str"),
        signature: field("signature"),
    };
    let public_key = merchant.key.public_key();
    signature.check(
        &merchant.serial,
        "商户证书序列号有误。",
        |m, s| public_key.verify(m, s).is_ok(),
        (method, uri, headers, body),
    )?;
    // `Wechatpay-Serial` names the SM2 certificate here; the RSA names are not this scheme's.
    if let Some(serial) = headers
        .get("Wechatpay-Serial")
        .and_then(|v| v.to_str().ok())
    {
        if serial != sm.platform_cert.serial_no() {
            let mut refusal = error(
                400,
                "PARAM_ERROR",
                "平台证书序列号Wechatpay-Serial错误 (names no WeChat Pay 国密 certificate)",
            );
            refusal.verified = true;
            return Err(refusal);
        }
    }
    let mut stripped = headers.clone();
    stripped.remove("Wechatpay-Serial");
    if let Some(mut refusal) =
        super::v3::after_signature(keys, &stripped, body, field("nonce_str"), entry)
    {
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

/// The `Wechatpay-*` headers over `body`, signed SM2 with SM3 by the platform key under its
/// certificate's serial, typed `WECHATPAY2-SM2-WITH-SM3`, with any signature fault applied.
pub(crate) fn signed_headers(
    sm: &ShangmiKeys,
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
        base64::engine::general_purpose::STANDARD.encode(sm.platform_key.sign(&message)?);
    let serial = if faults.contains(&Fault::WrongSerial) {
        "7E57000000000000000000000000000000000001"
    } else {
        sm.platform_cert.serial_no()
    };
    let mut h = HeaderMap::new();
    let value = |s: &str| HeaderValue::from_str(s).unwrap_or(HeaderValue::from_static(""));
    h.insert("Wechatpay-Timestamp", value(&ts.to_string()));
    h.insert("Wechatpay-Nonce", value(&nonce));
    h.insert("Wechatpay-Signature", value(&signature));
    h.insert("Wechatpay-Serial", value(serial));
    h.insert(crate::v3::SIGNATURE_TYPE, HeaderValue::from_static(SCHEME));
    Ok(h)
}

/// A notification's resource sealed AEAD_SM4_GCM: `(algorithm, ciphertext)`.
pub(crate) fn seal(apiv3_key: &[u8], nonce: &[u8], aad: &[u8], plain: &[u8]) -> Result<String> {
    crate::crypto::sm::sm4_gcm_encrypt(apiv3_key, nonce, aad, plain)
}

/// `GET /v3/certificates?algorithm_type=SM2`: the SM2 platform certificate sealed AEAD_SM4_GCM
/// under the merchant's APIv3 key. Any other `algorithm_type` but `RSA` is refused.
/// `time` writes a Unix time as WeChat Pay's listings do (RFC 3339 at `+08:00`).
pub(crate) fn certificates(sm: &ShangmiKeys, apiv3_key: &[u8], time: fn(i64) -> String) -> Outcome {
    let nonce = nonce(12);
    let pem = sm.platform_cert.to_pem();
    let ciphertext = match seal(apiv3_key, nonce.as_bytes(), b"certificate", pem.as_bytes()) {
        Ok(c) => c,
        Err(e) => return error(500, "SYSTEM_ERROR", &e.to_string()),
    };
    let body = json!({ "data": [{
        "serial_no": sm.platform_cert.serial_no(),
        "effective_time": time(sm.platform_cert.not_before()),
        "expire_time": time(sm.platform_cert.not_after()),
        "encrypt_certificate": {
            "algorithm": "AEAD_SM4_GCM",
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

/// The `algorithm_type` a certificates query asks for (`RSA` when absent).
pub(crate) fn algorithm_type(query: Option<&str>) -> String {
    query
        .unwrap_or("")
        .split('&')
        .find_map(|p| p.strip_prefix("algorithm_type="))
        .unwrap_or("RSA")
        .to_string()
}
