//! APIv2 notifications: payment results (XML, `sign`) and refund results (`req_info`, AES-256-ECB).

use super::{ecb, sign, xml};
use crate::error::{Error, Result};
use md5::{Digest, Md5};
use serde_json::{Map, Value};

/// Decrypts a refund notification's `req_info`: AES-256-ECB with the lowercase hex MD5 of the
/// APIv2 secret as key, then XML.
///
/// ```
/// use wechatpay::v2::{ecb, notify};
/// let secret = "192006250b4c09247ec02edce69f6a2d";
/// let key = "d96eb16afdd491fa1e705096edbc2205"; // md5(secret)
/// let req_info = ecb::aes_256_ecb_encrypt(key.as_bytes(), b"<root><out_refund_no>R1</out_refund_no></root>").unwrap();
/// let fields = notify::decrypt_refund_req_info(&req_info, secret).unwrap();
/// assert_eq!(fields["out_refund_no"], "R1");
/// ```
pub fn decrypt_refund_req_info(req_info_b64: &str, secret: &str) -> Result<Map<String, Value>> {
    let key = hex::encode(Md5::digest(secret.as_bytes()));
    let plain = ecb::aes_256_ecb_decrypt(key.as_bytes(), req_info_b64)?;
    let text = String::from_utf8(plain).map_err(|e| Error::decode("req_info as UTF-8", e))?;
    xml::from_xml(&text)
}

/// Verifies a payment notification: `return_code` `SUCCESS` and a valid `sign`; returns its fields.
pub fn parse_notification(body: &[u8], secret: &str) -> Result<Map<String, Value>> {
    let text =
        std::str::from_utf8(body).map_err(|e| Error::decode("the notification as UTF-8", e))?;
    let fields = xml::from_xml(text)?;
    if fields.get("return_code").and_then(|v| v.as_str()) != Some("SUCCESS") {
        return Err(Error::V2Failure {
            fields,
            body: bytes::Bytes::copy_from_slice(body),
        });
    }
    sign::verify(&fields, secret)?;
    Ok(fields)
}

/// The XML a notification handler answers with.
///
/// ```
/// assert_eq!(wechatpay::v2::notify::notification_reply(true, "OK"),
///     "<xml><return_code><![CDATA[SUCCESS]]></return_code><return_msg><![CDATA[OK]]></return_msg></xml>");
/// ```
pub fn notification_reply(success: bool, message: &str) -> String {
    format!(
        "<xml><return_code><![CDATA[{}]]></return_code><return_msg><![CDATA[{}]]></return_msg></xml>",
        if success { "SUCCESS" } else { "FAIL" },
        message.replace("]]>", "]]]]><![CDATA[>")
    )
}
