//! APIv2: XML payloads signed with the APIv2 secret (MD5 or HMAC-SHA256).
//!
//! A path that starts with `v2/` goes here: the `xml` argument is signed and sent as XML (a GET
//! sends the signed pairs as its query), and the answer must say `SUCCESS` and carry a valid
//! `sign`, except on the endpoints that answer without one.

pub mod ecb;
pub mod notify;
pub mod sign;
pub mod xml;

pub use sign::SignType;

use crate::error::{Error, Result};
use crate::util::{encode_component, nonce};
use bytes::Bytes;
use serde_json::{Map, Value};

/// What an APIv2 call sends, after signing.
#[derive(Debug, Clone)]
pub(crate) struct Prepared {
    /// XML body (non-GET).
    pub body: Option<String>,
    /// Encoded query with `sign` last (GET).
    pub query: Option<String>,
}

/// The id fields that name the merchant, in the order the reference SDK looks at them.
const MCHID_FIELDS: [&str; 3] = ["mch_id", "mchid", "combine_mch_id"];

/// Checks the merchant id, adds `nonce_str` and `sign`, and renders the body or query.
pub(crate) fn prepare(
    is_get: bool,
    mut data: Map<String, Value>,
    mchid: Option<&str>,
    secret: &str,
    nonceless: bool,
) -> Result<Prepared> {
    if let Some(expected) = mchid {
        let found = MCHID_FIELDS
            .iter()
            .find_map(|k| data.get(*k).filter(|v| !v.is_null()));
        let found = match found {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => String::new(),
        };
        if found != expected {
            return Err(Error::MchidMismatch {
                field: "mch_id",
                found,
                expected: expected.to_string(),
            });
        }
    }
    let sign_type = match data.get("sign_type") {
        None | Some(Value::Null) => SignType::Md5,
        Some(Value::String(s)) => SignType::parse(s)?,
        Some(other) => {
            return Err(Error::argument(
                "xml.sign_type",
                format!(
                    "expected MD5 or HMAC-SHA256, found {}",
                    crate::path::json_type(other)
                ),
            ))
        }
    };
    if !nonceless && !data.contains_key("nonce_str") {
        data.insert("nonce_str".into(), Value::String(nonce(32)));
    }
    let signature = sign::sign(sign_type, &data, secret)?;
    data.insert("sign".into(), Value::String(signature));
    if is_get {
        let mut query = String::new();
        for (key, value) in &data {
            let text = sign::scalar_text(key, value)?;
            if !query.is_empty() {
                query.push('&');
            }
            query.push_str(&encode_component(key));
            query.push('=');
            query.push_str(&encode_component(&text));
        }
        Ok(Prepared {
            body: None,
            query: Some(query),
        })
    } else {
        Ok(Prepared {
            body: Some(xml::to_xml(&data)),
            query: None,
        })
    }
}

/// Endpoints that answer without `sign` (files, red packets, transfers…): passed through.
const EXEMPT: &[&str] = &[
    "/mchrisk/querymchrisk",
    "/mchrisk/setmchriskcallback",
    "/mchrisk/syncmchriskresult",
    "/mmpaymkttransfers/gethbinfo",
    "/mmpaymkttransfers/gettransferinfo",
    "/mmpaymkttransfers/pay_bank",
    "/mmpaymkttransfers/promotion/paywwsptrans2pocket",
    "/mmpaymkttransfers/promotion/querywwsptrans2pocket",
    "/mmpaymkttransfers/promotion/transfers",
    "/mmpaymkttransfers/query_bank",
    "/mmpaymkttransfers/sendgroupredpack",
    "/mmpaymkttransfers/sendminiprogramhb",
    "/mmpaymkttransfers/sendredpack",
    "/papay/entrustweb",
    "/papay/h5entrustweb",
    "/papay/partner/entrustweb",
    "/papay/partner/h5entrustweb",
    "/pay/downloadbill",
    "/pay/downloadfundflow",
    "/payitil/report",
    "/risk/getpublickey",
    "/risk/getviolation",
    "/secapi/mch/submchmanage",
    "/xdc/apiv2getsignkey/sign/getsignkey",
];

/// True for the paths (as sent, e.g. `/pay/downloadbill`) whose answers carry no `sign`.
///
/// ```
/// assert!(wechatpay::v2::is_exempt("/pay/downloadbill"));
/// assert!(!wechatpay::v2::is_exempt("/pay/orderquery"));
/// ```
pub fn is_exempt(path: &str) -> bool {
    EXEMPT.contains(&path)
}

/// Checks an APIv2 answer: `SUCCESS` codes and a valid `sign`; returns its fields.
pub(crate) fn check_response(body: &Bytes, secret: &str) -> Result<Map<String, Value>> {
    let text =
        std::str::from_utf8(body).map_err(|e| Error::decode("the APIv2 answer as UTF-8", e))?;
    let fields = xml::from_xml(text)?;
    let code = |k: &str| fields.get(k).and_then(|v| v.as_str());
    if code("return_code") != Some("SUCCESS")
        || fields
            .get("result_code")
            .is_some_and(|_| code("result_code") != Some("SUCCESS"))
    {
        return Err(Error::V2Failure {
            fields,
            body: body.clone(),
        });
    }
    sign::verify(&fields, secret)?;
    Ok(fields)
}
