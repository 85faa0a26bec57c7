//! After a request passed the protocol checks: its scripted answer, else the documented call's
//! field checks and default answer, else `404 NOT_FOUND` (APIv3) or `FAIL` (APIv2).

use crate::catalogue::{Protocol, ResponseSpec};
use crate::mock::front::service::{error, obj, ok, v2_fail, Outcome};
use crate::mock::protocol::v2::signed_xml;
use crate::mock::surface::answers::AnswerBody;
use crate::mock::{surface::checks, surface::request, surface::synth, MerchantEntry, State};
use bytes::Bytes;
use http::{HeaderMap, Method, StatusCode};
use serde_json::{json, Map, Value};

/// A request whose signature verified.
pub(crate) struct Call<'a> {
    pub method: &'a Method,
    /// As received, with its leading `/`.
    pub path: &'a str,
    pub query: Option<&'a str>,
    pub headers: &'a HeaderMap,
    pub body: &'a Bytes,
    pub entry: &'a MerchantEntry,
    /// APIv2: the signed fields (XML body, GET query, or an upload's text parts).
    pub v2_fields: Option<&'a Map<String, Value>>,
}

/// The scripted answer for the route, else the documented default, else 404.
pub(crate) fn answer(state: &State, call: &Call) -> Outcome {
    let merchant = &call.entry.merchant;
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
    let Some((route, vars)) =
        crate::mock::surface::routes::find(&state.routes, call.method.as_str(), call.path)
    else {
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
    if let Err(refusal) = checks::check(endpoint, &request, &state.platform_key) {
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
