//! A verified call against the documented surface: the documented call its path goes to, its
//! field checks, and its default answer. The state's flows answer some calls in between (the
//! dispatch in `state/` decides); this module never calls them.

use super::checks;
use super::request::Request;
use super::routes::{self, Route};
use super::synth::Synth;
use crate::catalogue::{Endpoint, Protocol, ResponseSpec};
use crate::mock::protocol::call::{error, obj, ok, v2_fail, Call, Outcome};
use crate::mock::protocol::sensitive::Sensitive;
use crate::mock::protocol::v2::{answer_sign_type, signed_xml};
use bytes::Bytes;
use http::StatusCode;
use serde_json::{json, Value};

/// The documented call and the request's values once its fields passed the checks; else the
/// answer: `404 NOT_FOUND` (APIv2: `FAIL`) for a path no call has, the field refusal for a
/// request the checks refuse. `key` opens the sensitive fields.
pub(crate) fn checked(
    routes: &[Route],
    call: &Call,
    key: &Sensitive<'_>,
) -> Result<(&'static Endpoint, Request), Outcome> {
    let merchant = &call.entry.merchant;
    let Some((route, vars)) = routes::find(routes, call.method.as_str(), call.path) else {
        return Err(if call.v2_fields.is_none() {
            error(
                404,
                "NOT_FOUND",
                "请求的资源不存在 (no such endpoint in the emulator)",
            )
        } else {
            v2_fail("invalid url (no such endpoint in the emulator)")
        });
    };
    let endpoint = route.endpoint;
    let request = Request::read(vars, call);
    if let Err(refusal) = checks::check(endpoint, &request, key) {
        return Err(match endpoint.protocol {
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
                    Bytes::from(signed_xml(fields, answer_sign_type(call), merchant)),
                    "text/xml",
                    StatusCode::OK,
                );
                out.code = "PARAM_ERROR".into();
                out
            }
        });
    }
    Ok((endpoint, request))
}

/// The documented default answer, in the documented shape. `key` opens the sensitive fields
/// the request sent, which the answer seals again for the merchant.
pub(crate) fn synthesize(
    endpoint: &Endpoint,
    call: &Call,
    request: &Request,
    key: &Sensitive<'_>,
) -> Outcome {
    let merchant = &call.entry.merchant;
    let synth = Synth::new(call, request, key.clone());
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
            Bytes::from(signed_xml(
                synth.v2_message(fields, merchant),
                answer_sign_type(call),
                merchant,
            )),
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
