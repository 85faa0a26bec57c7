//! APIv2 (MD5 or HMAC-SHA256 `sign` under the merchant's secret): the checks of a request
//! (merchant, client certificate, `nonce_str`, `sign_type`, `sign`) and the signed XML answers.

use super::call::{ok, v2_fail, Call, Outcome};
use super::keys::{Keys, Merchant};
use super::multipart;
use crate::catalogue::Endpoint;
use crate::util::nonce;
use crate::v2::SignType;
use bytes::Bytes;
use http::{HeaderMap, Method, StatusCode};
use serde_json::{json, Map, Value};

/// The sign type a message names in its `sign_type` field; MD5 when it names none (or one the
/// checks refused), as WeChat Pay reads a request and as its SDKs read a notification.
pub(crate) fn sign_type_of(fields: &Map<String, Value>) -> SignType {
    fields
        .get("sign_type")
        .and_then(Value::as_str)
        .and_then(|t| SignType::parse(t).ok())
        .unwrap_or(SignType::Md5)
}

/// The sign type of the answer to `call`: the request's (WeChat Pay answers in the type it was
/// asked in; MD5 when the request names none).
pub(crate) fn answer_sign_type(call: &Call) -> SignType {
    call.v2_fields
        .as_ref()
        .map(sign_type_of)
        .unwrap_or(SignType::Md5)
}

/// An APIv2 message as WeChat Pay signs one (an answer or a notification), as XML: a
/// `nonce_str` unless it has one, its `sign_type` field (if it carries one) set to `sign_type`,
/// and the `sign` of that type under `secret`.
///
/// Whether a message carries `sign_type` is the caller's: answers where their field table lists
/// it (notifications are signed in `sealed.rs`).
pub(crate) fn sign_v2(mut fields: Map<String, Value>, sign_type: SignType, secret: &str) -> String {
    fields
        .entry("nonce_str")
        .or_insert_with(|| Value::String(nonce(32)));
    if let Some(named) = fields.get_mut("sign_type") {
        *named = Value::String(sign_type.as_str().into());
    }
    fields.shift_remove("sign");
    if let Ok(sign) = crate::v2::sign::sign(sign_type, &fields, secret) {
        fields.insert("sign".into(), Value::String(sign));
    }
    crate::v2::xml::to_xml(&fields)
}

/// [`sign_v2`] with the merchant's APIv2 secret, unless the fields (a script's) already carry
/// their own `sign`, which is sent as given.
pub(crate) fn signed_xml(
    fields: Map<String, Value>,
    sign_type: SignType,
    merchant: &Merchant,
) -> String {
    if fields.contains_key("sign") {
        return crate::v2::xml::to_xml(&fields);
    }
    sign_v2(fields, sign_type, &merchant.apiv2_secret)
}

/// The APIv2 checks: the verified call, or the `FAIL` answer. `endpoint` is the documented call
/// the path goes to (the surface finds it): it says whether the call needs the merchant's
/// client certificate (`security`) and whether it is signed without a `nonce_str`.
pub(crate) fn check<'a>(
    keys: &'a Keys,
    endpoint: Option<&Endpoint>,
    method: &'a Method,
    uri: &'a http::Uri,
    headers: &'a HeaderMap,
    body: &'a Bytes,
    client_cert: Option<&[u8]>,
) -> Result<Call<'a>, Outcome> {
    let fields = if let Some(boundary) = multipart::boundary(headers) {
        // An upload (`secapi/mch/uploadmedia`): the signed fields are the text parts.
        multipart::parts(body, &boundary)
            .into_iter()
            .filter(|(name, _)| name != "media")
            .map(|(name, content)| {
                let text = String::from_utf8_lossy(content).into_owned();
                (name, Value::String(text))
            })
            .collect::<Map<String, Value>>()
    } else if method == Method::GET {
        let query = uri.query().unwrap_or("");
        url::form_urlencoded::parse(query.as_bytes())
            .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
            .collect::<Map<String, Value>>()
    } else {
        match std::str::from_utf8(body).ok().map(crate::v2::xml::from_xml) {
            Some(Ok(f)) => f,
            _ => return Err(v2_fail("XML格式错误 (the body is not XML)")),
        }
    };
    let mchid = ["mch_id", "mchid", "combine_mch_id"]
        .iter()
        .find_map(|k| fields.get(*k).and_then(|v| v.as_str()))
        .unwrap_or("");
    let Some(entry) = keys.merchants.get(mchid) else {
        return Err(v2_fail("mch_id参数格式错误 (unknown merchant)"));
    };
    // The documented `security: true` calls need mutual TLS with this merchant's certificate.
    // Refused with an XML FAIL rather than at the TLS level, so the client reads why.
    let security = endpoint.is_some_and(|e| e.security());
    // The documented `nonceless` calls are signed without a `nonce_str`.
    let nonceless = endpoint.is_some_and(|e| e.options.iter().any(|o| o.name == "nonceless"));
    match client_cert {
        _ if !security => {}
        None => {
            return Err(v2_fail(
                "证书不存在 (the merchant API certificate is missing: this call needs mutual TLS)",
            ))
        }
        Some(der) if der != entry.cert_der.as_slice() => {
            return Err(v2_fail(
                "证书与商户号不匹配 (the client certificate is not this mch_id's API certificate)",
            ))
        }
        Some(_) => {}
    }
    if method != Method::GET && !nonceless && !fields.contains_key("nonce_str") {
        return Err(v2_fail("缺少参数nonce_str"));
    }
    if let Some(t) = fields.get("sign_type").and_then(|v| v.as_str()) {
        if crate::v2::SignType::parse(t).is_err() {
            return Err(v2_fail("sign_type参数错误"));
        }
    }
    // Checked with the type the request names (MD5 when none), as WeChat Pay checks it: a
    // HMAC-SHA256 `sign` under `sign_type` MD5 (or none) is a wrong signature.
    let named = sign_type_of(&fields);
    if crate::v2::sign::verify_as(&fields, &entry.merchant.apiv2_secret, named).is_err() {
        return Err(v2_fail("签名错误"));
    }
    Ok(Call {
        method,
        path: uri.path(),
        query: uri.query(),
        headers,
        body,
        entry,
        v2_fields: Some(fields),
    })
}

/// A `SUCCESS` message to `mchid` carrying `fields` (its `result_code` among them), signed with
/// `sign_type` (the request's).
fn xml(keys: &Keys, mchid: &str, sign_type: SignType, mut fields: Map<String, Value>) -> Outcome {
    let mut head = Map::new();
    head.insert("return_code".into(), json!("SUCCESS"));
    head.insert("return_msg".into(), json!("OK"));
    head.insert("mch_id".into(), json!(mchid));
    head.append(&mut fields);
    let merchant = &keys.merchants[mchid].merchant;
    ok(
        Bytes::from(signed_xml(head, sign_type, merchant)),
        "text/xml",
        StatusCode::OK,
    )
}

/// A signed `result_code` FAIL answer.
pub(crate) fn fail(
    keys: &Keys,
    mchid: &str,
    sign_type: SignType,
    code: &str,
    des: &str,
) -> Outcome {
    let mut out = xml(
        keys,
        mchid,
        sign_type,
        json!({ "result_code": "FAIL", "err_code": code, "err_code_des": des })
            .as_object()
            .cloned()
            .unwrap_or_default(),
    );
    out.code = code.to_string();
    out
}

/// A signed `result_code` SUCCESS answer with these fields.
pub(crate) fn success(keys: &Keys, mchid: &str, sign_type: SignType, v: Value) -> Outcome {
    let mut m = v.as_object().cloned().unwrap_or_default();
    m.insert("result_code".into(), json!("SUCCESS"));
    xml(keys, mchid, sign_type, m)
}
