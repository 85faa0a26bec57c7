//! APIv2 notifications: payment results (XML with a `sign`) and refund results (`req_info`,
//! AES-256-ECB encrypted, which does not authenticate them), and the XML reply WeChat Pay
//! expects.

use super::{ecb, sign, xml};
use crate::error::{Error, Result};
use serde_json::{Map, Value};
use zeroize::Zeroizing;

/// Decrypts a refund notification's `req_info` and parses the XML inside.
///
/// The key is the lowercase hex MD5 of the APIv2 secret, used as 32 ASCII bytes.
///
/// **A successful decryption does not authenticate the notification.** Refund notifications
/// carry no `sign`, and AES-256-ECB encrypts each 16-byte block on its own: blocks of two
/// genuine notifications can be spliced into a `req_info` that decrypts and parses cleanly with,
/// say, one refund's `out_refund_no` and another's `refund_fee`. Take the fields as a hint only:
/// before acting on a refund, query it (`v2/pay/refundquery`, or APIv3
/// `v3/refund/domestic/refunds/{out_refund_no}`) and act on that signed answer.
///
/// # Errors
/// [`Error::Decode`] for bad base64, non-UTF-8 or malformed XML; [`Error::Crypto`] when the
/// padding is wrong (a different APIv2 secret).
///
/// ```
/// use wechatpay::v2::{ecb, notify};
/// let secret = "192006250b4c09247ec02edce69f6a2d";
/// let key = "d96eb16afdd491fa1e705096edbc2205"; // md5(secret)
/// let req_info = ecb::aes_256_ecb_encrypt(key.as_bytes(),
///     b"<root><out_refund_no><![CDATA[R1]]></out_refund_no></root>").unwrap();
/// let fields = notify::decrypt_refund_req_info(&req_info, secret).unwrap();
/// assert_eq!(fields["out_refund_no"], "R1");
/// ```
pub fn decrypt_refund_req_info(req_info_b64: &str, secret: &str) -> Result<Map<String, Value>> {
    let key = Zeroizing::new(sign::md5_hex(secret.as_bytes()));
    let plain = ecb::aes_256_ecb_decrypt(key.as_bytes(), req_info_b64)?;
    let text = String::from_utf8(plain).map_err(|e| Error::decode("req_info as UTF-8", e))?;
    xml::from_xml(&text)
}

/// Parses and verifies an APIv2 payment notification; returns its fields.
///
/// `return_code` must be `SUCCESS` and `sign` valid, of the type the notification names in
/// `sign_type` (MD5 when it names none, as WeChat Pay documents it; see
/// [`SignType::of_message`](super::SignType::of_message)).
/// `result_code` is left to the caller: a failed payment is still a genuine notification.
///
/// # Errors
/// [`Error::Decode`] for non-UTF-8 or malformed XML; [`Error::V2Failure`] when `return_code` is
/// not `SUCCESS`; [`Error::Signature`] for a missing or wrong `sign`.
///
/// ```
/// use wechatpay::v2::{notify, sign, xml, SignType};
/// let secret = "192006250b4c09247ec02edce69f6a2d";
/// let mut fields = serde_json::json!({"return_code": "SUCCESS", "out_trade_no": "1409811653"})
///     .as_object().unwrap().clone();
/// let s = sign::sign(SignType::Md5, &fields, secret).unwrap();
/// fields.insert("sign".into(), s.into());
/// let body = xml::to_xml(&fields);
/// assert_eq!(notify::parse_notification(body.as_bytes(), secret).unwrap(), fields);
/// assert!(notify::parse_notification(body.replace("1409", "9999").as_bytes(), secret).is_err());
/// // HMAC-SHA256 notifications say so; one that names no type is read as MD5.
/// fields.remove("sign");
/// let s = sign::sign(SignType::HmacSha256, &fields, secret).unwrap();
/// fields.insert("sign".into(), s.into());
/// assert!(notify::parse_notification(xml::to_xml(&fields).as_bytes(), secret).is_err());
/// fields.remove("sign");
/// fields.insert("sign_type".into(), "HMAC-SHA256".into());
/// let s = sign::sign(SignType::HmacSha256, &fields, secret).unwrap();
/// fields.insert("sign".into(), s.into());
/// assert!(notify::parse_notification(xml::to_xml(&fields).as_bytes(), secret).is_ok());
/// ```
pub fn parse_notification(body: &[u8], secret: &str) -> Result<Map<String, Value>> {
    let text =
        std::str::from_utf8(body).map_err(|e| Error::decode("the notification as UTF-8", e))?;
    let fields = xml::from_xml(text)?;
    if fields.get("return_code").and_then(Value::as_str) != Some("SUCCESS") {
        let verified = fields.contains_key("sign");
        if verified {
            verify_named(&fields, secret)?;
        }
        return Err(Error::V2Failure {
            fields,
            body: bytes::Bytes::copy_from_slice(body),
            verified,
        });
    }
    verify_named(&fields, secret)?;
    Ok(fields)
}

/// Verifies a notification with the sign type it names.
fn verify_named(fields: &Map<String, Value>, secret: &str) -> Result<()> {
    sign::verify_as(fields, secret, super::SignType::of_message(fields)?)
}

/// The XML a notification handler answers with: `SUCCESS` and `message`, or `FAIL` and `message`
/// (after which WeChat Pay sends the notification again).
///
/// ```
/// use wechatpay::v2::notify::notification_reply;
/// assert_eq!(notification_reply(true, "OK"),
///     "<xml><return_code><![CDATA[SUCCESS]]></return_code><return_msg><![CDATA[OK]]></return_msg></xml>");
/// assert_eq!(notification_reply(false, "签名失败"),
///     "<xml><return_code><![CDATA[FAIL]]></return_code><return_msg><![CDATA[签名失败]]></return_msg></xml>");
/// ```
pub fn notification_reply(success: bool, message: &str) -> String {
    format!(
        "<xml><return_code><![CDATA[{}]]></return_code><return_msg>{}</return_msg></xml>",
        if success { "SUCCESS" } else { "FAIL" },
        xml::cdata(message)
    )
}
