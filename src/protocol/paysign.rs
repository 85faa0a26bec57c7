//! What the front end needs to open the WeChat Pay cashier (APIv3, RSA `paySign`).
//!
//! A pay sign is the merchant key's RSA signature over lines, the same key and the same form as
//! an APIv3 request signature. A caller string holding a newline could therefore turn the lines
//! into a request's message (`POST\n/v3/refund/domestic/refunds\n…`) and these helpers into a
//! signing oracle for it: every caller string is refused if it holds a control character.

use crate::client::Client;
use crate::error::{Error, Result};
use crate::util::{nonce, unix_now};
use base64::Engine;
use serde_json::{json, Value};

impl Client {
    fn rsa_sign_lines(&self, lines: &[&str]) -> Result<String> {
        // The named arguments were checked by the callers; the generated ones are clean.
        debug_assert!(lines.iter().all(|l| !l.contains(char::is_control)));
        let identity = self.context.identity.v3.as_ref().ok_or_else(|| {
            Error::NotConfigured(
                "paySign needs the merchant private key: set ClientBuilder::private_key".into(),
            )
        })?;
        let mut message = String::new();
        for line in lines {
            message.push_str(line);
            message.push('\n');
        }
        let signature = identity.signer.sign(message.as_bytes())?;
        Ok(base64::engine::general_purpose::STANDARD.encode(signature))
    }

    /// Parameters for JSAPI `WeixinJSBridge.invoke('getBrandWCPayRequest', …)` and mini-program
    /// `wx.requestPayment`: `appId`, `timeStamp`, `nonceStr`, `package`, `signType`, `paySign`.
    ///
    /// # Errors
    /// [`Error::Argument`] naming `appid` or `prepay_id` when it holds a control character
    /// (a newline would let the signed lines pass for another request's).
    ///
    /// ```no_run
    /// # fn run(client: wechatpay::Client) -> wechatpay::Result<()> {
    /// let params = client.jsapi_pay_params("wxd678efh567hg6787", "wx201410272009395522657a690389285100")?;
    /// assert_eq!(params["signType"], "RSA");
    /// # Ok(()) }
    /// ```
    pub fn jsapi_pay_params(&self, appid: &str, prepay_id: &str) -> Result<Value> {
        check_line("appid", appid)?;
        check_line("prepay_id", prepay_id)?;
        let ts = unix_now().to_string();
        let nonce = nonce(32);
        let package = format!("prepay_id={prepay_id}");
        let pay_sign = self.rsa_sign_lines(&[appid, &ts, &nonce, &package])?;
        Ok(json!({
            "appId": appid,
            "timeStamp": ts,
            "nonceStr": nonce,
            "package": package,
            "signType": "RSA",
            "paySign": pay_sign,
        }))
    }

    /// Parameters for the APP SDK's `PayReq`: `appid`, `partnerid`, `prepayid`, `package`,
    /// `noncestr`, `timestamp`, `sign`.
    ///
    /// # Errors
    /// [`Error::Argument`] naming `appid` or `prepay_id` when it holds a control character.
    ///
    /// ```no_run
    /// # fn run(client: wechatpay::Client) -> wechatpay::Result<()> {
    /// let params = client.app_pay_params("wxd678efh567hg6787", "wx201410272009395522657a690389285100")?;
    /// assert_eq!(params["package"], "Sign=WXPay");
    /// // A newline would make the signed lines those of a refund request: refused.
    /// assert!(client.app_pay_params("POST\n/v3/refund/domestic/refunds", "{}").is_err());
    /// # Ok(()) }
    /// ```
    pub fn app_pay_params(&self, appid: &str, prepay_id: &str) -> Result<Value> {
        check_line("appid", appid)?;
        check_line("prepay_id", prepay_id)?;
        let ts = unix_now().to_string();
        let nonce = nonce(32);
        let sign = self.rsa_sign_lines(&[appid, &ts, &nonce, prepay_id])?;
        Ok(json!({
            "appid": appid,
            "partnerid": self.context.identity.mchid,
            "prepayid": prepay_id,
            "package": "Sign=WXPay",
            "noncestr": nonce,
            "timestamp": ts,
            "sign": sign,
        }))
    }
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
