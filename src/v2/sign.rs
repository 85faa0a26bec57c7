//! APIv2 signatures: the sorted `key=value` string and its MD5 or HMAC-SHA256 `sign`.

use crate::error::{Error, Result};
use crate::path::json_type;
use crate::util::{nonce, unix_now};
use hmac::{Hmac, Mac};
use md5::{Digest, Md5};
use serde_json::{Map, Value};
use sha2::Sha256;
use std::borrow::Cow;

/// The two APIv2 signature types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignType {
    /// `MD5`, the default.
    Md5,
    /// `HMAC-SHA256`.
    HmacSha256,
}

impl SignType {
    /// Parses `MD5` or `HMAC-SHA256`, exactly; anything else is refused.
    ///
    /// ```
    /// use wechatpay::v2::SignType;
    /// assert_eq!(SignType::parse("HMAC-SHA256").unwrap(), SignType::HmacSha256);
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

    /// `MD5` or `HMAC-SHA256`.
    pub fn as_str(&self) -> &'static str {
        match self {
            SignType::Md5 => "MD5",
            SignType::HmacSha256 => "HMAC-SHA256",
        }
    }

    /// The type of an existing `sign`: 64 hex digits are HMAC-SHA256, anything else MD5.
    pub fn from_sign_len(sign: &str) -> SignType {
        if sign.len() == 64 {
            SignType::HmacSha256
        } else {
            SignType::Md5
        }
    }
}

/// A scalar's text in the signed string: `true` is `1`, `false` and `null` empty.
pub(crate) fn scalar_text<'a>(key: &str, value: &'a Value) -> Result<Cow<'a, str>> {
    Ok(match value {
        Value::String(s) => Cow::Borrowed(s),
        Value::Number(n) => Cow::Owned(n.to_string()),
        Value::Bool(true) => Cow::Borrowed("1"),
        Value::Bool(false) | Value::Null => Cow::Borrowed(""),
        other => {
            return Err(Error::argument(
                format!("xml.{key}"),
                format!(
                "{} cannot be signed: APIv2 signs flat values; pass nested data as a JSON string",
                json_type(other)
            ),
            ))
        }
    })
}

/// The string APIv2 signs: keys sorted byte-wise, `sign`, `null` and `""` skipped, no encoding.
///
/// ```
/// let data = serde_json::json!({"b": "2", "a": "1", "sign": "x", "e": "", "t": true, "f": false});
/// assert_eq!(wechatpay::v2::sign::canonical_string(data.as_object().unwrap()).unwrap(), "a=1&b=2&f=&t=1");
/// ```
pub fn canonical_string(data: &Map<String, Value>) -> Result<String> {
    let mut pairs: Vec<(&str, Cow<'_, str>)> = Vec::with_capacity(data.len());
    for (key, value) in data {
        if key == "sign" || value.is_null() || value.as_str() == Some("") {
            continue;
        }
        pairs.push((key, scalar_text(key, value)?));
    }
    pairs.sort_unstable_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    let mut out = String::with_capacity(pairs.iter().map(|(k, v)| k.len() + v.len() + 2).sum());
    for (i, (key, value)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(key);
        out.push('=');
        out.push_str(value);
    }
    Ok(out)
}

/// The uppercase hex `sign` of a canonical string.
///
/// ```
/// use wechatpay::v2::{sign::sign_str, SignType};
/// assert_eq!(sign_str(SignType::Md5, "abc", "key"), "0BB036EB7AE434051095681178E0F961");
/// ```
pub fn sign_str(sign_type: SignType, canonical: &str, secret: &str) -> String {
    let mut message = String::with_capacity(canonical.len() + secret.len() + 5);
    message.push_str(canonical);
    message.push_str("&key=");
    message.push_str(secret);
    let digest = match sign_type {
        SignType::Md5 => Md5::digest(message.as_bytes()).to_vec(),
        SignType::HmacSha256 => {
            let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes())
                .expect("HMAC takes keys of any length");
            mac.update(message.as_bytes());
            mac.finalize().into_bytes().to_vec()
        }
    };
    hex::encode_upper(digest)
}

/// Signs `data` (its `sign` field, if any, is left out of the string).
pub fn sign(sign_type: SignType, data: &Map<String, Value>, secret: &str) -> Result<String> {
    Ok(sign_str(sign_type, &canonical_string(data)?, secret))
}

/// Equality that takes the same time wherever the strings differ.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Checks `data["sign"]` (its type from its length), in constant time.
pub fn verify(data: &Map<String, Value>, secret: &str) -> Result<()> {
    let given = data
        .get("sign")
        .and_then(|v| v.as_str())
        .ok_or_else(|| Error::Signature("the APIv2 answer carries no `sign`".into()))?;
    let expected = sign(SignType::from_sign_len(given), data, secret)?;
    if constant_time_eq(expected.as_bytes(), given.as_bytes()) {
        Ok(())
    } else {
        Err(Error::Signature(
            "the APIv2 `sign` does not match (wrong APIv2 secret, or a tampered answer)".into(),
        ))
    }
}

/// The APIv2 JSAPI / mini-program payment parameters, `paySign` included.
///
/// ```
/// use wechatpay::v2::{sign::jsapi_pay_params, SignType};
/// let p = jsapi_pay_params("wxd930ea5d5a258f4f", "wx2017033010242291fcfe0db70013231072", SignType::Md5,
///     "192006250b4c09247ec02edce69f6a2d");
/// assert_eq!(p["package"], "prepay_id=wx2017033010242291fcfe0db70013231072");
/// assert_eq!(p["paySign"].as_str().unwrap().len(), 32);
/// ```
pub fn jsapi_pay_params(
    appid: &str,
    prepay_id: &str,
    sign_type: SignType,
    secret: &str,
) -> Map<String, Value> {
    let mut p = Map::new();
    p.insert("appId".into(), appid.into());
    p.insert("timeStamp".into(), unix_now().to_string().into());
    p.insert("nonceStr".into(), nonce(32).into());
    p.insert("package".into(), format!("prepay_id={prepay_id}").into());
    p.insert("signType".into(), sign_type.as_str().into());
    let pay_sign = sign(sign_type, &p, secret).expect("flat string values always sign");
    p.insert("paySign".into(), pay_sign.into());
    p
}
