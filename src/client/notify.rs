//! The client's notification methods: the parser of `notify` (APIv3) and of `protocol::v2`
//! (APIv2) with the client's keys, and one certificate download when a notification names a
//! serial the client does not hold.

use crate::client::Client;
use crate::error::{Error, Result};
use crate::notify::{Notification, NotificationParser};
use http::HeaderMap;
use serde_json::{Map, Value};

impl Client {
    /// Verifies and decrypts an APIv3 notification from the raw body and the request headers.
    ///
    /// ```no_run
    /// # fn handle(client: &wechatpay::Client, headers: &http::HeaderMap, body: &[u8]) {
    /// use wechatpay::notify::Reply;
    /// let reply = match client.parse_notification(headers, body) {
    ///     Ok(n) if n.event_type == "TRANSACTION.SUCCESS" => {
    ///         println!("paid: {}", n.resource["out_trade_no"]);
    ///         Reply::success()
    ///     }
    ///     Ok(_) => Reply::success(),
    ///     Err(e) => Reply::failure(&e.to_string()),
    /// };
    /// # let _ = reply;
    /// # }
    /// ```
    pub fn parse_notification(&self, headers: &HeaderMap, body: &[u8]) -> Result<Notification> {
        let identity = &self.context.identity;
        let key = identity.apiv3_key.as_ref().ok_or_else(|| {
            Error::NotConfigured(format!(
                "notifications need the {}: set ClientBuilder::{}",
                identity.scheme.notification_key_name, identity.scheme.notification_key
            ))
        })?;
        NotificationParser::new(&self.context.trust.keyring, key).parse(headers, body)
    }

    /// As [`parse_notification`](Self::parse_notification), and when the notification names a
    /// serial the client does not hold (WeChat Pay rotated its certificate), first one
    /// certificate download shared with every concurrent caller (at most once a minute), then a
    /// second look. Needs the APIv3 key; in public-key mode it behaves as the plain call.
    ///
    /// ```no_run
    /// # async fn handle(client: &wechatpay::Client, headers: &http::HeaderMap, body: &[u8]) -> wechatpay::Result<()> {
    /// let n = client.parse_notification_async(headers, body).await?;
    /// println!("{}", n.event_type);
    /// # Ok(()) }
    /// ```
    pub async fn parse_notification_async(
        &self,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<Notification> {
        let first = self.parse_notification(headers, body);
        let Err(Error::Signature(_)) = &first else {
            return first;
        };
        let serial = headers
            .get("Wechatpay-Serial")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        // A refused signature type is not a rotation, nor an SM2 one (the RSA listing holds no
        // SM2 key): no download for them.
        if !self.context.trust.keyring.contains(serial)
            && matches!(
                crate::protocol::v3::SignatureType::of(headers),
                Ok(crate::protocol::v3::SignatureType::Rsa2048)
            )
            && super::rotation::refresh_for(&self.context, serial).await
        {
            return self.parse_notification(headers, body);
        }
        first
    }

    /// Verifies an APIv2 (XML) payment notification's `sign` and returns its fields.
    pub fn parse_v2_notification(&self, body: &[u8]) -> Result<Map<String, Value>> {
        let secret = self.context.identity.apiv2_secret.as_ref().ok_or_else(|| {
            Error::NotConfigured(
                "APIv2 notifications need the APIv2 secret: set ClientBuilder::apiv2_secret".into(),
            )
        })?;
        crate::protocol::v2::notify::parse_notification(body, secret)
    }

    /// Decrypts an APIv2 refund notification's `req_info` (AES-256-ECB, key = MD5 of the secret).
    ///
    /// A clean decryption does not authenticate it (ECB blocks of two notifications can be
    /// spliced): query the refund (`v2/pay/refundquery`, or the APIv3 refund query) before
    /// acting on it. See [`crate::v2::notify::decrypt_refund_req_info`].
    pub fn decrypt_v2_refund(&self, req_info: &str) -> Result<Map<String, Value>> {
        let secret = self.context.identity.apiv2_secret.as_ref().ok_or_else(|| {
            Error::NotConfigured("APIv2 refund notifications need the APIv2 secret".into())
        })?;
        crate::protocol::v2::notify::decrypt_refund_req_info(req_info, secret)
    }
}
