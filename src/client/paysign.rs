//! The client's pay-sign methods: the front end's parameters to open the cashier, signed with
//! the client's merchant key (`protocol::paysign`).

use crate::client::Client;
use crate::error::Result;
use serde_json::Value;

impl Client {
    /// Parameters for JSAPI `WeixinJSBridge.invoke('getBrandWCPayRequest', …)` and mini-program
    /// `wx.requestPayment`: `appId`, `timeStamp`, `nonceStr`, `package`, `signType`, `paySign`.
    ///
    /// # Errors
    /// [`Error::Argument`](crate::Error::Argument) naming `appid` or `prepay_id` when it holds a control character
    /// (a newline would let the signed lines pass for another request's).
    ///
    /// ```no_run
    /// # fn run(client: wechatpay::Client) -> wechatpay::Result<()> {
    /// let params = client.jsapi_pay_params("wxd678efh567hg6787", "wx201410272009395522657a690389285100")?;
    /// assert_eq!(params["signType"], "RSA");
    /// # Ok(()) }
    /// ```
    pub fn jsapi_pay_params(&self, appid: &str, prepay_id: &str) -> Result<Value> {
        crate::protocol::paysign::jsapi_pay_params(&self.context.identity, appid, prepay_id)
    }

    /// Parameters for the APP SDK's `PayReq`: `appid`, `partnerid`, `prepayid`, `package`,
    /// `noncestr`, `timestamp`, `sign`.
    ///
    /// # Errors
    /// [`Error::Argument`](crate::Error::Argument) naming `appid` or `prepay_id` when it holds a control character.
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
        crate::protocol::paysign::app_pay_params(&self.context.identity, appid, prepay_id)
    }
}
