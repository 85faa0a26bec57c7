//! APIv2 checks: merchant, client certificate, `nonce_str`, `sign_type`, `sign`.

use crate::mock::front::service::{v2_fail, Outcome};
use crate::mock::State;
use crate::util::nonce;
use bytes::Bytes;
use http::{HeaderMap, Method};
use serde_json::{Map, Value};

/// Adds `nonce_str` and an HMAC-SHA256 `sign` unless the script gave its own `sign`.
pub(crate) fn signed_xml(
    mut fields: Map<String, Value>,
    merchant: &crate::mock::Merchant,
) -> String {
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

/// The APIv2 checks, then the answer.
pub(crate) fn check(
    state: &State,
    method: &Method,
    uri: &http::Uri,
    headers: &HeaderMap,
    body: &Bytes,
    client_cert: Option<&[u8]>,
) -> Outcome {
    let path = uri.path();
    let fields = if let Some(boundary) = crate::mock::protocol::v3::multipart_boundary(headers) {
        // An upload (`secapi/mch/uploadmedia`): the signed fields are the text parts.
        crate::mock::protocol::v3::multipart_parts(body, &boundary)
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
    let route =
        crate::mock::surface::routes::find(&state.routes, method.as_str(), path).map(|(r, _)| r);
    let security = route.is_some_and(|r| r.endpoint.security());
    // The documented `nonceless` calls are signed without a `nonce_str`.
    let nonceless = route.is_some_and(|r| r.endpoint.options.iter().any(|o| o.name == "nonceless"));
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
    if method != Method::GET && !nonceless && !fields.contains_key("nonce_str") {
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
    let mut out = crate::mock::state::dispatch::answer(
        state,
        &crate::mock::state::dispatch::Call {
            method,
            path,
            query: uri.query(),
            headers,
            body,
            entry,
            v2_fields: Some(&fields),
        },
    );
    out.verified = true;
    out
}
