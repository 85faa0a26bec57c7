//! What the front end needs to open the WeChat Pay cashier (APIv3, RSA `paySign`).

use crate::client::Client;
use crate::error::{Error, Result};
use crate::util::{nonce, unix_now};
use base64::Engine;
use serde_json::{json, Value};

impl Client {
    fn rsa_sign_lines(&self, lines: &[&str]) -> Result<String> {
        let identity = self.inner.v3.as_ref().ok_or_else(|| {
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
    /// ```no_run
    /// # fn run(client: wechatpay::Client) -> wechatpay::Result<()> {
    /// let params = client.jsapi_pay_params("wxd678efh567hg6787", "wx201410272009395522657a690389285100")?;
    /// assert_eq!(params["signType"], "RSA");
    /// # Ok(()) }
    /// ```
    pub fn jsapi_pay_params(&self, appid: &str, prepay_id: &str) -> Result<Value> {
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
    pub fn app_pay_params(&self, appid: &str, prepay_id: &str) -> Result<Value> {
        let ts = unix_now().to_string();
        let nonce = nonce(32);
        let sign = self.rsa_sign_lines(&[appid, &ts, &nonce, prepay_id])?;
        Ok(json!({
            "appid": appid,
            "partnerid": self.inner.mchid,
            "prepayid": prepay_id,
            "package": "Sign=WXPay",
            "noncestr": nonce,
            "timestamp": ts,
            "sign": sign,
        }))
    }
}
