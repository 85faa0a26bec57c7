//! `doctor --online`: one call to WeChat Pay's own self-test, `POST v3/security/echo`, which
//! every merchant can make whatever key WeChat Pay signs with (the certificate listing that was
//! probed before is closed to merchants in public-key mode). Its answer proves, line by line:
//! WeChat Pay accepted the request's signature (mchid, serial and private key belong together),
//! the answer verified with the configured WeChat Pay key (which one is named), the message came
//! back unchanged, and the clock is within the window signatures allow.

use super::{now, Report};
use crate::config::Settings;
use serde_json::json;
use wechatpay::Error;

/// The clock offset above which a finding fails: WeChat Pay refuses signatures more than five
/// minutes old, so a minute leaves room for the network and a drifting clock.
const CLOCK_LIMIT: i64 = 60;

pub(super) fn echo(r: &mut Report, s: &Settings) {
    let client = match s.client() {
        Ok(c) => wechatpay::blocking::Client::from(c),
        Err(e) => return r.fail("online", e.to_string(), "fix the findings above first"),
    };
    let message = format!("wechatpay doctor {}-{}", std::process::id(), now());
    let before = now();
    // The client names its preferred WeChat Pay key in `Wechatpay-Serial`, which this call
    // requires: the answer is then signed with that key.
    let res = client
        .chain("v3/security/echo")
        .post(json!({"json": {"echo_message": message}}));
    let after = now();
    let res = match res {
        Ok(res) => res,
        Err(e) => return refused(r, e),
    };
    r.ok(
        "signature",
        "WeChat Pay accepted the request signed with mchid, serial and private_key".into(),
    );
    let key = res
        .headers()
        .get("Wechatpay-Serial")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let which = if key.starts_with("PUB_KEY_ID_") {
        format!("the WeChat Pay public key {key}")
    } else {
        format!("the platform certificate {key}")
    };
    r.ok("answer", format!("signature verified with {which}"));
    let echoed = res.json().ok().and_then(|v| {
        v.get("echo_message")
            .and_then(|m| m.as_str())
            .map(str::to_string)
    });
    match echoed {
        Some(m) if m == message => r.ok("echo", "the message came back unchanged".into()),
        _ => r.fail(
            "echo",
            "the verified answer did not echo the message sent".into(),
            "retry; if it persists, quote the Request-ID to WeChat Pay",
        ),
    }
    let ts = res
        .headers()
        .get("Wechatpay-Timestamp")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<i64>().ok());
    match ts {
        Some(t) => clock(r, t - (before + after) / 2),
        None => r.warn(
            "clock",
            "the answer had no Wechatpay-Timestamp".into(),
            "retry",
        ),
    }
}

fn clock(r: &mut Report, offset: i64) {
    if offset.abs() > CLOCK_LIMIT {
        r.fail(
            "clock",
            format!("{offset:+} s from WeChat Pay"),
            "synchronise the clock (NTP): signatures older than 5 minutes are refused",
        );
    } else {
        r.ok(
            "clock",
            format!("{offset:+} s from WeChat Pay (answer verified; within ±{CLOCK_LIMIT} s)"),
        );
    }
}

/// What a failed self-test says about the configuration.
fn refused(r: &mut Report, e: Error) {
    let text = e.to_string().replace('\n', " ");
    match &e {
        Error::Api {
            code: Some(code), ..
        } if code == "SIGN_ERROR" => r.fail(
            "signature",
            format!("WeChat Pay refused the request signature: {text}"),
            "serial must be the serial of the API certificate whose key is private_key, for this mchid",
        ),
        Error::Api { .. } => r.fail(
            "online",
            format!("the self-test was refused: {text}"),
            "see the message; `wechatpay -v request POST v3/security/echo --args '{\"json\":{\"echo_message\":\"x\"}}'` traces it",
        ),
        Error::Signature(_) => r.fail(
            "answer",
            format!("WeChat Pay's answer did not verify with the configured key: {text}"),
            "set public_key_id and public_key (or platform_certificate) to the ones on the merchant platform",
        ),
        Error::ClockSkew { offset, .. } => r.fail(
            "clock",
            format!("{offset:+} s from WeChat Pay: {text}"),
            "synchronise the clock (NTP): signatures older than 5 minutes are refused",
        ),
        _ => r.fail(
            "online",
            text,
            "see the message; `wechatpay -v request POST v3/security/echo --args '{\"json\":{\"echo_message\":\"x\"}}'` traces it",
        ),
    }
}
