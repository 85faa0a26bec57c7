//! APIv2: XML payloads signed with the APIv2 secret (MD5 or HMAC-SHA256).
//!
//! A path that starts with `v2/` goes here: the `xml` argument is signed and sent as XML (a GET
//! sends the signed pairs as its query), and the answer must say `SUCCESS` and carry a valid
//! `sign`, except on the endpoints that answer without one.

pub mod ecb;
pub mod notify;
pub mod sign;
mod sign_type;
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
    /// The type it was signed with: its answer must be signed so too.
    pub sign_type: SignType,
}

/// The fields that name the merchant, in the order the reference SDK looks at them: `mch_id`
/// (most calls), `mchid` (transfers), `combine_mch_id` (combined orders).
const MCHID_FIELDS: [&str; 3] = ["mch_id", "mchid", "combine_mch_id"];

/// The merchant id a payload names: the first non-null of [`MCHID_FIELDS`], as text.
///
/// An integer with the same digits is accepted (PHP's strict `!==` would refuse it, but JSON
/// callers easily write `"mch_id": 10000100`, and the signed and sent text is the same digits).
fn named_mchid(data: &Map<String, Value>) -> String {
    let found = MCHID_FIELDS
        .iter()
        .find_map(|k| data.get(*k).filter(|v| !v.is_null()));
    match found {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) if n.is_u64() || n.is_i64() => n.to_string(),
        Some(other) => format!("<{}>", crate::util::json_type(other)),
        None => String::new(),
    }
}

/// Checks the merchant id, adds `nonce_str` and `sign`, and renders the body or query.
///
/// - `mchid`: when `Some` and not empty, the payload must name that merchant (see
///   [`MCHID_FIELDS`]), else [`Error::MchidMismatch`]; `None` (or `""`) skips the check.
/// - `sign_type` comes from the payload (default MD5); anything but exactly `MD5` or
///   `HMAC-SHA256` is an [`Error::Argument`] naming `xml.sign_type` (PHP sends an empty sign).
/// - `nonce_str` (32 base-62 characters) is appended unless present (a `null` one is filled in
///   place) or `nonceless`.
/// - `sign` is always computed and placed last, replacing any `sign` the caller put in.
/// - Keys must be XML names (see [`check_fields`]) and string values free of C0 control
///   characters other than tab, LF and CR; otherwise [`Error::Argument`] naming `xml.KEY`.
/// - Values must be scalars: arrays and objects cannot be signed (PHP signs them as `Array`), so
///   they are refused naming `xml.KEY`; nested data goes in as a JSON string (e.g. `detail`).
/// - GET: the pairs become the query, RFC 3986 encoded, in insertion order, `sign` last;
///   `true` is `1` and `false` empty, as signed (Guzzle would send `0`, breaking the signature);
///   `null` values, which are not signed, are left out. Other methods: the XML body.
pub(crate) fn prepare(
    is_get: bool,
    mut data: Map<String, Value>,
    mchid: Option<&str>,
    secret: &str,
    nonceless: bool,
) -> Result<Prepared> {
    if let Some(expected) = mchid.filter(|m| !m.is_empty()) {
        let found = named_mchid(&data);
        if found != expected {
            return Err(Error::MchidMismatch {
                field: "mch_id",
                found,
                expected: expected.to_string(),
            });
        }
    }
    check_fields(&data)?;
    let sign_type = match data.get("sign_type") {
        None | Some(Value::Null) => SignType::Md5,
        Some(Value::String(s)) => SignType::parse(s)?,
        Some(other) => {
            return Err(Error::argument(
                "xml.sign_type",
                format!(
                    "expected MD5 or HMAC-SHA256, found {}",
                    crate::util::json_type(other)
                ),
            ))
        }
    };
    if !nonceless && data.get("nonce_str").is_none_or(Value::is_null) {
        data.insert("nonce_str".into(), Value::String(nonce(32)));
    }
    let signature = sign::sign(sign_type, &data, secret)?;
    // A caller's `sign` would keep its place on `insert` (as in PHP); the signature goes last.
    data.shift_remove("sign");
    data.insert("sign".into(), Value::String(signature));
    if is_get {
        let mut query = String::new();
        for (key, value) in &data {
            if value.is_null() {
                continue;
            }
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
            sign_type,
        })
    } else {
        Ok(Prepared {
            body: Some(xml::to_xml(&data)),
            query: None,
            sign_type,
        })
    }
}

/// Refuses what would be signed one way and read another: a key that is not an XML name (the
/// XML writer would send it as `<item>` while `bad key=` is signed; in a GET query `a=b&c` would
/// add a pair), and a C0 control character in a value (illegal in XML 1.0, never in a WeChat
/// field). Tab, LF and CR are allowed in values; NUL never is.
fn check_fields(data: &Map<String, Value>) -> Result<()> {
    for (key, value) in data {
        if !xml::is_name(key) {
            return Err(Error::argument(
                field_name(key),
                "is not an XML name: a field name starts with a letter or `_` and goes on with \
                 letters, digits, `.`, `_`, `:` or `-` (no spaces, no markup, not empty)",
            ));
        }
        if let Value::Number(n) = value {
            // A float, or an integer beyond 64 bits that JSON turned into one, is not the
            // number the caller wrote: ask for a string.
            crate::util::exact_integer(&field_name(key), n)?;
        }
        if let Some(text) = value.as_str() {
            if let Some((i, c)) = text.char_indices().find(|(_, c)| {
                (*c < ' ' && !matches!(c, '\t' | '\n' | '\r'))
                    || matches!(c, '\u{FFFE}' | '\u{FFFF}')
            }) {
                return Err(Error::argument(
                    field_name(key),
                    format!(
                        "contains the {} U+{:04X} at byte {i}: APIv2 values never carry one (tab, \
                         LF and CR are allowed), and XML cannot hold it",
                        if c < ' ' {
                            "control character"
                        } else {
                            "noncharacter"
                        },
                        c as u32
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// `xml.KEY`, with an absurdly long key cut so the error stays readable.
fn field_name(key: &str) -> String {
    match key.char_indices().nth(64) {
        None => format!("xml.{key}"),
        Some((cut, _)) => format!("xml.{}…", &key[..cut]),
    }
}

/// Endpoints that answer without `sign` (files, red packets, transfers…): passed through.
const EXEMPT: &[&str] = &[
    // Documented to answer JSON (an access token), not signed XML; not in the reference's list,
    // which therefore cannot call it.
    "/appauth/getaccesstoken",
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
/// Their answers (bills, red packets, transfers, contract pages…) pass through unchecked. The
/// match is exact and case-sensitive, as in the reference SDK, so a base URI with a path prefix
/// (a sandbox) does not match.
///
/// ```
/// assert!(wechatpay::v2::is_exempt("/pay/downloadbill"));
/// assert!(!wechatpay::v2::is_exempt("/pay/orderquery"));
/// ```
pub fn is_exempt(path: &str) -> bool {
    EXEMPT.contains(&path)
}

/// Checks an APIv2 answer and returns its fields.
///
/// `return_code` must be `SUCCESS`, and `result_code`, when present, too; otherwise
/// [`Error::V2Failure`] carries the fields and body, with `verified` telling whether a `sign`
/// came with them and held (business failures usually come unsigned; a failure with a wrong
/// `sign` is an [`Error::Signature`]).
/// Then `sign` must be present and valid, of `sign_type`, the type the request was signed with
/// (WeChat Pay answers in the type it was asked in), compared in constant time; an answer that
/// names another `sign_type`, or whose `sign` is of the other type, is an [`Error::Signature`].
/// A body that is not UTF-8 XML is an [`Error::Decode`].
pub(crate) fn check_response(
    body: &Bytes,
    secret: &str,
    sign_type: SignType,
) -> Result<Map<String, Value>> {
    let text =
        std::str::from_utf8(body).map_err(|e| Error::decode("the APIv2 answer as UTF-8", e))?;
    let fields = xml::from_xml(text)?;
    let code = |k: &str| fields.get(k).and_then(Value::as_str);
    let failed = code("return_code") != Some("SUCCESS")
        || (fields.contains_key("result_code") && code("result_code") != Some("SUCCESS"));
    if failed {
        // A failure may be unsigned (WeChat signs few of them), but one that carries a `sign`
        // must carry a good one: a forged `ORDERPAID` is not WeChat's word.
        let verified = fields.contains_key("sign");
        if verified {
            verify_answer(&fields, secret, sign_type)?;
        }
        return Err(Error::V2Failure {
            fields,
            body: body.clone(),
            verified,
        });
    }
    verify_answer(&fields, secret, sign_type)?;
    Ok(fields)
}

/// An answer's `sign`, of the type sent; a `sign_type` the answer names (a few calls' answers
/// carry one) must be that type too.
fn verify_answer(fields: &Map<String, Value>, secret: &str, sent: SignType) -> Result<()> {
    if let Some(named) = fields.get("sign_type").and_then(Value::as_str) {
        if named != sent.as_str() {
            return Err(Error::Signature(format!(
                "the APIv2 answer names `sign_type` `{}`, but the request was signed {}",
                sign_type::shown(named),
                sent.as_str()
            )));
        }
    }
    sign::verify_as(fields, secret, sent)
}

#[cfg(test)]
mod tests;
