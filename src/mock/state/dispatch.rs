//! The dispatch of a request: the protocol's checks, then for a verified call its scripted
//! answer, else the documented call's field checks, then the flow that keeps state for it, else
//! the documented default answer; `404 NOT_FOUND` (APIv3) or `FAIL` (APIv2) for a path no call
//! has. The composition lives here, above the surface, so the surface never calls a flow.

use super::emulator::State;
use super::{brand_coupons, events, flows, flows_v2};
use crate::mock::protocol::call::{Call, Outcome};
use crate::mock::protocol::sensitive::Sensitive;
use crate::mock::protocol::{brand, v2, v3};
use crate::mock::surface::{answers, documented, routes};
use bytes::Bytes;
use http::Method;

/// A request's answer: the protocol's checks, then the verified call's answer.
pub(crate) fn process(
    state: &State,
    parts: &http::request::Parts,
    body: &Bytes,
    client_cert: Option<&[u8]>,
) -> Outcome {
    let (method, uri, headers) = (&parts.method, &parts.uri, &parts.headers);
    // Documented as neither signed nor verified: the token in its query is the credential.
    if uri.path() == super::fapiao::FILE_PATH && method == Method::GET {
        return super::fapiao::download(state, uri.query());
    }
    #[cfg(feature = "shangmi")]
    let shangmi = state
        .keys
        .shangmi
        .as_ref()
        .filter(|_| uri.path().starts_with("/v3/"));
    #[cfg(not(feature = "shangmi"))]
    let shangmi: Option<()> = None;
    let checked = if let Some(_sm) = shangmi {
        #[cfg(feature = "shangmi")]
        {
            crate::mock::protocol::shangmi::check(&state.keys, _sm, method, uri, headers, body)
        }
        #[cfg(not(feature = "shangmi"))]
        unreachable!()
    } else if uri.path().starts_with("/v3/") {
        v3::check(&state.keys, method, uri, headers, body)
    } else if uri.path().starts_with("/brand/") {
        brand::check(&state.keys, &state.brands, method, uri, headers, body)
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

/// The scripted answer for the route, else the flow's answer to a documented call whose fields
/// passed the checks, else its documented default; a path no call has is `404`.
fn answer(state: &State, call: &Call) -> Outcome {
    // The platform certificate comes from the emulator's own keys: no script replaces it.
    if call.method == Method::GET && call.path == "/v3/certificates" {
        #[cfg(feature = "shangmi")]
        if let Some(out) = shangmi_certificates(state, call) {
            return out;
        }
        return v3::certificates(&state.keys, &call.entry.merchant);
    }
    if let Some(out) = answers::scripted(&state.scripts, call) {
        return out;
    }
    let key = sensitive(state, call);
    let (endpoint, request) = match documented::checked(&state.routes, call, &key) {
        Ok(checked) => checked,
        Err(refusal) => return refusal,
    };
    let template = endpoint.template.as_str();
    let flow = flows::answer(state, call, template, &request)
        .or_else(|| flows_v2::answer(state, call, template, &request))
        .or_else(|| brand_coupons::answer(state, call, template, &request));
    if let Some(out) = flow {
        return out;
    }
    let out = documented::synthesize(endpoint, call, &request, &key);
    // A call with no flow of its own still sends the notification its documentation names.
    events::after_call(state, call, endpoint, &request, &out);
    brand_coupons::after_call(state, call, endpoint, &request, &out);
    out
}

/// 国密 mode lists its SM2 certificate for `algorithm_type=SM2`; an `algorithm_type` other than
/// `RSA` and `SM2` is refused, in either mode, as WeChat Pay validates the parameter.
#[cfg(feature = "shangmi")]
fn shangmi_certificates(state: &State, call: &Call) -> Option<Outcome> {
    use crate::mock::protocol::{call::error, shangmi};
    match shangmi::algorithm_type(call.query).as_str() {
        "RSA" => None,
        "SM2" => Some(match &state.keys.shangmi {
            Some(sm) => shangmi::certificates(
                sm,
                call.entry.merchant.apiv3_key.as_bytes(),
                crate::mock::protocol::notification::beijing_time,
            ),
            None => error(
                404,
                "RESOURCE_NOT_EXISTS",
                "商户未开通国密，无国密平台证书 (this merchant has no 国密 certificate)",
            ),
        }),
        _ => Some(error(
            400,
            "PARAM_ERROR",
            "algorithm_type 取值错误 (RSA or SM2)",
        )),
    }
}

/// The keys of the call's sensitive fields: SM2 in 国密 mode, RSA otherwise.
fn sensitive<'a>(state: &'a State, call: &Call<'a>) -> Sensitive<'a> {
    #[cfg(feature = "shangmi")]
    if let Some(sm) = &state.keys.shangmi {
        if let Some(m) = sm.merchants.get(&call.entry.merchant.mchid) {
            return Sensitive::Sm2 {
                merchant: m.key.public_key(),
                platform: &sm.platform_key,
            };
        }
    }
    // The RSA key the request names in Wechatpay-Serial (key modes), else the mode's own.
    let named = call
        .headers
        .get("Wechatpay-Serial")
        .and_then(|v| v.to_str().ok());
    Sensitive::Rsa {
        merchant: &call.entry.public_key,
        platform: state.keys.decryption_key(named),
    }
}
