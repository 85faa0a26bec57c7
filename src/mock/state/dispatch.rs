//! After a request passed the protocol checks: its scripted answer, else the documented call's
//! field checks and default answer, else `404 NOT_FOUND` (APIv3) or `FAIL` (APIv2).

use crate::catalogue::{Protocol, ResponseSpec};
use crate::mock::protocol::call::{error, obj, ok, v2_fail, Call, Outcome};
use crate::mock::protocol::v2::{self, signed_xml};
use crate::mock::protocol::v3;
use crate::mock::surface::answers::AnswerBody;
use crate::mock::surface::routes;
use crate::mock::{surface::checks, surface::request, surface::synth, State};
use bytes::Bytes;
use http::{Method, StatusCode};
use serde_json::{json, Value};

/// A request's answer: the protocol's checks, then the verified call's answer.
pub(crate) fn process(
    state: &State,
    parts: &http::request::Parts,
    body: &Bytes,
    client_cert: Option<&[u8]>,
) -> Outcome {
    let (method, uri, headers) = (&parts.method, &parts.uri, &parts.headers);
    let checked = if uri.path().starts_with("/v3/") {
        v3::check(&state.keys, method, uri, headers, body)
    } else {
        // Whether an APIv2 call needs mutual TLS or a nonce is the documented call's option.
        let endpoint =
            routes::find(&state.routes, method.as_str(), uri.path()).map(|(r, _)| r.endpoint);
        v2::check(
            &state.keys,
            endpoint,
            method,
            uri,
            headers,
            body,
            client_cert,
        )
    };
    match checked {
        Err(refusal) => refusal,
        Ok(call) => {
            let mut out = answer(state, &call);
            out.verified = true;
            out
        }
    }
}

/// The scripted answer for the route, else the documented default, else 404.
fn answer(state: &State, call: &Call) -> Outcome {
    let merchant = &call.entry.merchant;
    // The key download is answered in either key mode, before any script.
    if call.method == Method::GET && call.path == "/v3/certificates" {
        return v3::certificates(&state.keys, merchant);
    }
    let scripted = {
        let mut scripts = state.scripts.lock().unwrap_or_else(|e| e.into_inner());
        scripts
            .iter_mut()
            .find(|s| s.pattern.matches(call.method.as_str(), call.path).is_some())
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
    let Some((route, vars)) = routes::find(&state.routes, call.method.as_str(), call.path) else {
        return if call.v2_fields.is_none() {
            error(
                404,
                "NOT_FOUND",
                "请求的资源不存在 (no such endpoint in the emulator)",
            )
        } else {
            v2_fail("invalid url (no such endpoint in the emulator)")
        };
    };
    let endpoint = route.endpoint;
    let request = request::Request::read(vars, call);
    if let Err(refusal) = checks::check(endpoint, &request, &state.keys.platform_key) {
        return match endpoint.protocol {
            Protocol::V3 => error(400, "PARAM_ERROR", &refusal.message()),
            Protocol::V2 if refusal.missing => v2_fail(&refusal.message()),
            Protocol::V2 => {
                let fields = obj(json!({
                    "return_code": "SUCCESS",
                    "return_msg": "OK",
                    "mch_id": merchant.mchid,
                    "result_code": "FAIL",
                    "err_code": "PARAM_ERROR",
                    "err_code_des": refusal.message(),
                }));
                let mut out = ok(
                    Bytes::from(signed_xml(fields, merchant)),
                    "text/xml",
                    StatusCode::OK,
                );
                out.code = "PARAM_ERROR".into();
                out
            }
        };
    }
    if let Some(out) = crate::mock::state::flows::answer(state, call, &endpoint.template, &request)
    {
        return out;
    }
    let synth = synth::Synth::new(call, &request, &call.entry.public_key);
    match &endpoint.response {
        ResponseSpec::Empty(status) => ok(
            Bytes::new(),
            "application/json",
            StatusCode::from_u16(*status).unwrap_or(StatusCode::NO_CONTENT),
        ),
        ResponseSpec::Json(fields) => ok(
            Bytes::from(Value::Object(synth.answer(fields)).to_string()),
            "application/json",
            StatusCode::OK,
        ),
        ResponseSpec::Xml(fields) => ok(
            Bytes::from(signed_xml(synth.v2_message(fields, merchant), merchant)),
            "text/xml",
            StatusCode::OK,
        ),
        ResponseSpec::File { .. } => ok(
            Bytes::from(synth.file(endpoint)),
            "application/octet-stream",
            StatusCode::OK,
        ),
    }
}
