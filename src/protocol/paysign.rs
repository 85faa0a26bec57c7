//! What the front end needs to open the WeChat Pay cashier (APIv3, RSA `paySign`).
//!
//! A pay sign is the merchant key's RSA signature over lines, the same key and the same form as
//! an APIv3 request signature. A caller string holding a newline could therefore turn the lines
//! into a request's message (`POST\n/v3/refund/domestic/refunds\n…`) and these helpers into a
//! signing oracle for it: every caller string is refused if it holds a control character.
//! The client's methods (`Client::jsapi_pay_params`, `Client::app_pay_params`) are in
//! `client/paysign.rs`.

use crate::error::{Error, Result};
use crate::protocol::identity::Identity;
use crate::util::{nonce, unix_now};
use base64::Engine;
use serde_json::{json, Value};

/// The merchant key's RSA signature over `lines`, each ended by `\n`, in base64.
fn rsa_sign_lines(identity: &Identity, lines: &[&str]) -> Result<String> {
    // The named arguments were checked by the callers; the generated ones are clean.
    debug_assert!(lines.iter().all(|l| !l.contains(char::is_control)));
    // The cashier takes a merchant's signature only; a brand key must not sign payments.
    if identity.scheme != &crate::protocol::v3::Scheme::MERCHANT {
        return Err(Error::NotConfigured(format!(
            "paySign is signed by a merchant; this client signs as {} {}",
            identity.scheme.signer, identity.id
        )));
    }
    let v3 = identity.v3.as_ref().ok_or_else(|| {
        Error::NotConfigured(
            "paySign needs the merchant private key: set ClientBuilder::private_key".into(),
        )
    })?;
    let mut message = String::new();
    for line in lines {
        message.push_str(line);
        message.push('\n');
    }
    let signature = v3.signer.sign(message.as_bytes())?;
    Ok(base64::engine::general_purpose::STANDARD.encode(signature))
}

/// The JSAPI and mini-program parameters (`Client::jsapi_pay_params`).
pub(crate) fn jsapi_pay_params(identity: &Identity, appid: &str, prepay_id: &str) -> Result<Value> {
    check_line("appid", appid)?;
    check_line("prepay_id", prepay_id)?;
    let ts = unix_now().to_string();
    let nonce = nonce(32);
    let package = format!("prepay_id={prepay_id}");
    let pay_sign = rsa_sign_lines(identity, &[appid, &ts, &nonce, &package])?;
    Ok(json!({
        "appId": appid,
        "timeStamp": ts,
        "nonceStr": nonce,
        "package": package,
        "signType": "RSA",
        "paySign": pay_sign,
    }))
}

/// The APP SDK's `PayReq` parameters (`Client::app_pay_params`).
pub(crate) fn app_pay_params(identity: &Identity, appid: &str, prepay_id: &str) -> Result<Value> {
    check_line("appid", appid)?;
    check_line("prepay_id", prepay_id)?;
    let ts = unix_now().to_string();
    let nonce = nonce(32);
    let sign = rsa_sign_lines(identity, &[appid, &ts, &nonce, prepay_id])?;
    Ok(json!({
        "appid": appid,
        "partnerid": identity.id,
        "prepayid": prepay_id,
        "package": "Sign=WXPay",
        "noncestr": nonce,
        "timestamp": ts,
        "sign": sign,
    }))
}

/// Refuses a pay-sign argument holding a control character (`\n` above all), naming it.
pub(crate) fn check_line(name: &'static str, value: &str) -> Result<()> {
    match value.char_indices().find(|(_, c)| c.is_control()) {
        None => Ok(()),
        Some((i, c)) => Err(Error::argument(
            name,
            format!(
                "contains the control character U+{:04X} at byte {i}: a signed pay-sign value is \
                 one line (an appid such as wx8888888888888888, a prepay_id), and a newline would \
                 make the signature valid for another message",
                c as u32
            ),
        )),
    }
}
