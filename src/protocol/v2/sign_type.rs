//! The two APIv2 signature types, and how a message names its own.

use crate::error::{Error, Result};
use crate::util::json_type;
use serde_json::{Map, Value};

/// The two APIv2 signature types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignType {
    /// `MD5`, the default when a payload names no `sign_type`.
    Md5,
    /// `HMAC-SHA256`.
    HmacSha256,
}

impl SignType {
    /// Parses `MD5` or `HMAC-SHA256`, exactly (case-sensitive, as WeChat Pay compares them).
    ///
    /// The PHP SDK signs an unknown type with an empty `sign`; refusing it here turns a
    /// server-side `签名错误` into an error that names the field.
    ///
    /// ```
    /// use wechatpay::v2::SignType;
    /// assert_eq!(SignType::parse("HMAC-SHA256").unwrap(), SignType::HmacSha256);
    /// assert_eq!(SignType::parse("MD5").unwrap(), SignType::Md5);
    /// assert!(SignType::parse("md5").is_err());
    /// ```
    pub fn parse(s: &str) -> Result<SignType> {
        match s {
            "MD5" => Ok(SignType::Md5),
            "HMAC-SHA256" => Ok(SignType::HmacSha256),
            other => Err(Error::argument(
                "xml.sign_type",
                format!("`{other}` is not a sign type: use MD5 or HMAC-SHA256 (exactly)"),
            )),
        }
    }

    /// The wire name: `MD5` or `HMAC-SHA256`.
    ///
    /// ```
    /// assert_eq!(wechatpay::v2::SignType::HmacSha256.as_str(), "HMAC-SHA256");
    /// ```
    pub fn as_str(&self) -> &'static str {
        match self {
            SignType::Md5 => "MD5",
            SignType::HmacSha256 => "HMAC-SHA256",
        }
    }

    /// The type a message names in its `sign_type` field, MD5 when it names none: how a
    /// notification says how it was signed (WeChat Pay's payment notification lists `sign_type`
    /// as optional, default MD5).
    ///
    /// # Errors
    /// [`Error::Signature`] naming the value when `sign_type` is neither `MD5` nor
    /// `HMAC-SHA256` (or not text): such a message cannot be verified.
    ///
    /// ```
    /// use wechatpay::v2::SignType;
    /// let named = serde_json::json!({"sign_type": "HMAC-SHA256"});
    /// assert_eq!(SignType::of_message(named.as_object().unwrap()).unwrap(), SignType::HmacSha256);
    /// let none = serde_json::json!({"return_code": "SUCCESS"});
    /// assert_eq!(SignType::of_message(none.as_object().unwrap()).unwrap(), SignType::Md5);
    /// let other = serde_json::json!({"sign_type": "SHA1"});
    /// assert!(SignType::of_message(other.as_object().unwrap()).is_err());
    /// ```
    pub fn of_message(data: &Map<String, Value>) -> Result<SignType> {
        match data.get("sign_type") {
            None => Ok(SignType::Md5),
            Some(Value::String(s)) if s.is_empty() => Ok(SignType::Md5),
            Some(Value::String(s)) => SignType::parse(s).map_err(|_| {
                Error::Signature(format!(
                    "the APIv2 message names `sign_type` `{}`, which is neither MD5 nor HMAC-SHA256",
                    shown(s)
                ))
            }),
            Some(other) => Err(Error::Signature(format!(
                "the APIv2 message's `sign_type` is {}, not MD5 or HMAC-SHA256",
                json_type(other)
            ))),
        }
    }

    /// The type of an existing `sign`: 64 characters are HMAC-SHA256, anything else MD5.
    ///
    /// Answers do not say how they were signed, so the length decides, as in the PHP SDK.
    ///
    /// ```
    /// use wechatpay::v2::SignType;
    /// assert_eq!(SignType::from_sign_len(&"A".repeat(64)), SignType::HmacSha256);
    /// assert_eq!(SignType::from_sign_len("9A0A8659F005D6984697E2CA0A9CF3B7"), SignType::Md5);
    /// ```
    pub fn from_sign_len(sign: &str) -> SignType {
        if sign.len() == 64 {
            SignType::HmacSha256
        } else {
            SignType::Md5
        }
    }
}

/// A `sign_type` a message named, for an error: escaped and cut to 64 characters, since the
/// message (a notification, an answer) is anyone's to write.
pub(crate) fn shown(named: &str) -> String {
    let cut: String = named.chars().take(64).collect();
    let more = if named.chars().nth(64).is_some() {
        "…"
    } else {
        ""
    };
    format!("{}{more}", cut.escape_debug())
}
