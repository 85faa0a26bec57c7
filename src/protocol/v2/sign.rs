//! APIv2 signatures: the sorted `key=value` string and its MD5 or HMAC-SHA256 `sign`.
//!
//! The signed message is `canonical + "&key=" + secret`; HMAC-SHA256 is additionally keyed with
//! the secret. Both digests are sent as uppercase hex.

use crate::error::{Error, Result};
use crate::util::json_type;
use crate::util::{nonce, unix_now};
use hmac::{Hmac, Mac};
use md5::{Digest, Md5};
use serde_json::{Map, Value};
use sha2::Sha256;
use std::borrow::Cow;
use zeroize::Zeroizing;

pub use super::sign_type::SignType;

/// A scalar's text as PHP stringifies it: `true` is `1`, `false` and `null` are empty.
///
/// Arrays and objects have no text: PHP signs them as the word `Array` (with a warning), which no
/// server accepts, so they are refused, naming `xml.KEY`.
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

/// The string APIv2 signs: keys sorted byte-wise, `key=value` joined by `&`, no URL-encoding.
///
/// Skipped: the key `sign`, and every value whose text is empty: `null`, `""` and `false`. Kept:
/// `0` and `"0"`. `true` is `1`, numbers are decimal. Byte-wise order puts uppercase before `_`
/// before lowercase, so `re_openid` precedes `remark` (PHP issue #41).
///
/// This departs from the PHP SDK on purpose: PHP signs `false` as `f=` but sends it as an empty
/// value, which WeChat Pay leaves out when it checks, so such a request could never verify.
///
/// # Errors
/// [`Error::Argument`] naming `xml.KEY` for an array or object value.
///
/// ```
/// let data = serde_json::json!({"b": "2", "a": "1", "sign": "x", "e": "", "t": true, "f": false});
/// assert_eq!(wechatpay::v2::sign::canonical_string(data.as_object().unwrap()).unwrap(), "a=1&b=2&t=1");
/// ```
pub fn canonical_string(data: &Map<String, Value>) -> Result<String> {
    let mut pairs: Vec<(&str, Cow<'_, str>)> = Vec::with_capacity(data.len());
    for (key, value) in data {
        if key == "sign" {
            continue;
        }
        // Skipped by its text, not its JSON form: `false` is written as an empty element (or
        // `f=` in a query), which WeChat Pay skips when it checks, so it must not be signed as
        // `f=` either (found by fuzzing).
        let text = scalar_text(key, value)?;
        if text.is_empty() {
            continue;
        }
        pairs.push((key, text));
    }
    // Keys are unique in a map, so an unstable sort is deterministic.
    pairs.sort_unstable_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    Ok(join_pairs(pairs.iter().map(|(k, v)| (*k, v.as_ref()))))
}

fn join_pairs<'a>(pairs: impl Iterator<Item = (&'a str, &'a str)>) -> String {
    let mut out = String::new();
    for (key, value) in pairs {
        if !out.is_empty() {
            out.push('&');
        }
        out.push_str(key);
        out.push('=');
        out.push_str(value);
    }
    out
}

/// Lowercase hex MD5 of `data`.
pub(crate) fn md5_hex(data: &[u8]) -> String {
    hex::encode(Md5::digest(data))
}

/// Lowercase hex HMAC-SHA256 of `data` keyed with `key`.
pub(crate) fn hmac_sha256_hex(key: &[u8], data: &[u8]) -> String {
    // HMAC hashes over-long keys and pads short ones: every key length is accepted.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC accepts any key length");
    mac.update(data);
    hex::encode(mac.finalize().into_bytes())
}

/// The uppercase hex `sign` of a canonical string: over `canonical + "&key=" + secret`, MD5, or
/// HMAC-SHA256 keyed with the secret.
///
/// ```
/// use wechatpay::v2::{sign::sign_str, SignType};
/// assert_eq!(sign_str(SignType::Md5, "abc", "key"), "0BB036EB7AE434051095681178E0F961");
/// assert_eq!(sign_str(SignType::HmacSha256, "abc", "key"),
///     "3BC1540F813347B85D0F5907DBEFBDC97438A8770FD7CF4EF760939A3029EB0C");
/// ```
pub fn sign_str(sign_type: SignType, canonical: &str, secret: &str) -> String {
    // The message embeds the secret: wipe it once hashed.
    let message = Zeroizing::new(format!("{canonical}&key={secret}"));
    let digest = match sign_type {
        SignType::Md5 => md5_hex(message.as_bytes()),
        SignType::HmacSha256 => hmac_sha256_hex(secret.as_bytes(), message.as_bytes()),
    };
    digest.to_ascii_uppercase()
}

/// Signs `data` (its `sign` field, if any, is left out of the string).
///
/// # Errors
/// [`Error::Argument`] naming `xml.KEY` for an array or object value.
///
/// ```
/// use wechatpay::v2::{sign::sign, SignType};
/// let data = serde_json::json!({"appid": "wxd930ea5d5a258f4f", "mch_id": "10000100",
///     "device_info": "1000", "body": "test", "nonce_str": "ibuaiVcKdpRxkhJA"});
/// assert_eq!(sign(SignType::Md5, data.as_object().unwrap(), "192006250b4c09247ec02edce69f6a2d").unwrap(),
///     "9A0A8659F005D6984697E2CA0A9CF3B7");
/// ```
pub fn sign(sign_type: SignType, data: &Map<String, Value>, secret: &str) -> Result<String> {
    Ok(sign_str(sign_type, &canonical_string(data)?, secret))
}

/// Equality whose time does not depend on where the strings differ.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Checks `data["sign"]` in constant time; its type (MD5 or HMAC-SHA256) comes from its length.
///
/// Where the type is known, [`verify_as`] is stricter: answers are signed with the type the
/// request was, notifications with the type they name.
///
/// # Errors
/// [`Error::Signature`] when `sign` is missing, not a string, wrong, or when a field is nested
/// (an answer with nested elements cannot carry a valid APIv2 signature).
///
/// ```
/// use wechatpay::v2::sign::verify;
/// let mut data = serde_json::json!({"return_code": "SUCCESS", "sign": "0BB036EB7AE434051095681178E0F961"});
/// assert!(verify(data.as_object().unwrap(), "key").is_err());
/// let sign = wechatpay::v2::sign::sign(wechatpay::v2::SignType::Md5, data.as_object().unwrap(), "key").unwrap();
/// data["sign"] = sign.into();
/// assert!(verify(data.as_object().unwrap(), "key").is_ok());
/// ```
pub fn verify(data: &Map<String, Value>, secret: &str) -> Result<()> {
    let given = given_sign(data)?;
    verify_as(data, secret, SignType::from_sign_len(given))
}

fn given_sign(data: &Map<String, Value>) -> Result<&str> {
    match data.get("sign") {
        Some(Value::String(s)) if !s.is_empty() => Ok(s),
        _ => Err(Error::Signature(
            "the APIv2 message carries no `sign`".into(),
        )),
    }
}

/// Checks `data["sign"]` in constant time as a `sign_type` signature: the type the request was
/// signed with for an answer, [`SignType::of_message`] for a notification. A `sign` of the other
/// type is refused, as WeChat Pay refuses it.
///
/// # Errors
/// [`Error::Signature`] when `sign` is missing, not a string, wrong or of the other type, or
/// when a field is nested.
///
/// ```
/// use wechatpay::v2::{sign::{sign, verify_as}, SignType};
/// let mut data = serde_json::json!({"return_code": "SUCCESS"});
/// data["sign"] = sign(SignType::HmacSha256, data.as_object().unwrap(), "key").unwrap().into();
/// assert!(verify_as(data.as_object().unwrap(), "key", SignType::HmacSha256).is_ok());
/// assert!(verify_as(data.as_object().unwrap(), "key", SignType::Md5).is_err());
/// ```
pub fn verify_as(data: &Map<String, Value>, secret: &str, sign_type: SignType) -> Result<()> {
    let given = given_sign(data)?;
    let canonical = canonical_string(data)
        .map_err(|e| Error::Signature(format!("the APIv2 message cannot be verified: {e}")))?;
    let expected = sign_str(sign_type, &canonical, secret);
    if constant_time_eq(expected.as_bytes(), given.as_bytes()) {
        Ok(())
    } else if SignType::from_sign_len(given) != sign_type {
        Err(Error::Signature(format!(
            "the APIv2 `sign` is not a {} signature (expected {} hex digits, found {})",
            sign_type.as_str(),
            match sign_type {
                SignType::Md5 => 32,
                SignType::HmacSha256 => 64,
            },
            given.len()
        )))
    } else {
        Err(Error::Signature(
            "the APIv2 `sign` does not match (wrong APIv2 secret, or a tampered message)".into(),
        ))
    }
}

/// The APIv2 JSAPI / mini-program payment parameters for the front end, `paySign` included.
///
/// `paySign` covers `appId`, `timeStamp` (now), `nonceStr` (32 random characters), `package`
/// (`prepay_id=…`) and `signType`, sorted and signed like any APIv2 payload.
///
/// # Errors
/// [`Error::Argument`] naming `appid` or `prepay_id` when it holds a control character or `&`:
/// the APIv2 secret signs requests in the same `key=value&…` form, so a value that adds lines or
/// pairs to the signed string could buy a signature over something else.
///
/// ```
/// use wechatpay::v2::{sign::{jsapi_pay_params, sign, verify}, SignType};
/// let secret = "192006250b4c09247ec02edce69f6a2d";
/// let p = jsapi_pay_params("wxd930ea5d5a258f4f", "wx2017033010242291fcfe0db70013231072",
///     SignType::Md5, secret)?;
/// assert_eq!(p["package"], "prepay_id=wx2017033010242291fcfe0db70013231072");
/// assert_eq!(p["signType"], "MD5");
/// let mut unsigned = p.clone();
/// let pay_sign = unsigned.remove("paySign").unwrap();
/// assert_eq!(pay_sign, sign(SignType::Md5, &unsigned, secret)?);
/// assert!(jsapi_pay_params("wx1", "wx2&total_fee=1", SignType::Md5, secret).is_err());
/// # Ok::<(), wechatpay::Error>(())
/// ```
pub fn jsapi_pay_params(
    appid: &str,
    prepay_id: &str,
    sign_type: SignType,
    secret: &str,
) -> Result<Map<String, Value>> {
    for (name, value) in [("appid", appid), ("prepay_id", prepay_id)] {
        if let Some((i, c)) = value
            .char_indices()
            .find(|(_, c)| c.is_control() || *c == '&')
        {
            return Err(Error::argument(
                name,
                format!(
                    "contains {} at byte {i}: a pay-sign value is one plain token (an appid such \
                     as wxd930ea5d5a258f4f, a prepay_id), and this character would change what \
                     the APIv2 secret signs",
                    if c == '&' {
                        "`&`".to_string()
                    } else {
                        format!("the control character U+{:04X}", c as u32)
                    }
                ),
            ));
        }
    }
    let timestamp = unix_now().to_string();
    let nonce_str = nonce(32);
    let package = format!("prepay_id={prepay_id}");
    // Already in byte-wise key order.
    let canonical = join_pairs(
        [
            ("appId", appid),
            ("nonceStr", nonce_str.as_str()),
            ("package", package.as_str()),
            ("signType", sign_type.as_str()),
            ("timeStamp", timestamp.as_str()),
        ]
        .into_iter()
        .filter(|(_, v)| !v.is_empty()),
    );
    let pay_sign = sign_str(sign_type, &canonical, secret);
    let mut p = Map::new();
    p.insert("appId".into(), appid.into());
    p.insert("timeStamp".into(), timestamp.into());
    p.insert("nonceStr".into(), nonce_str.into());
    p.insert("package".into(), package.into());
    p.insert("signType".into(), sign_type.as_str().into());
    p.insert("paySign".into(), pay_sign.into());
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_vectors_of_section_6_4() {
        assert_eq!(md5_hex(b"abc"), "900150983cd24fb0d6963f7d28e17f72");
        assert_eq!(md5_hex(b"abc&key=key"), "0bb036eb7ae434051095681178e0f961");
        // WeCom's `agency` form signs `&secret=` instead.
        assert_eq!(
            md5_hex(b"abc&secret=key"),
            "0777b86affe144d52cc167584afad454"
        );
        assert_eq!(
            hmac_sha256_hex(b"key", b"abc&key=key"),
            "3bc1540f813347b85d0f5907dbefbdc97438a8770fd7cf4ef760939a3029eb0c"
        );
        assert_eq!(
            md5_hex(b"192006250b4c09247ec02edce69f6a2d"),
            "d96eb16afdd491fa1e705096edbc2205"
        );
    }

    #[test]
    fn constant_time_eq_compares_everything() {
        assert!(constant_time_eq(b"ABC", b"ABC"));
        assert!(!constant_time_eq(b"ABC", b"ABD"));
        assert!(!constant_time_eq(b"ABC", b"AB"));
        assert!(constant_time_eq(b"", b""));
    }
}
