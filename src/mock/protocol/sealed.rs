//! Any documented notification sealed and signed as WeChat Pay sends it: the APIv3 JSON envelope
//! (resource under AEAD_AES_256_GCM with the APIv3 key, `Wechatpay-*` headers), and the three
//! APIv2 forms (plain signed XML; `event_ciphertext` under AEAD_AES_256_GCM; `req_info` under
//! AES-256-ECB with the MD5 of the APIv2 key).

use super::faults::Fault;
use super::keys::{Keys, Merchant};
use super::notification::beijing_time;
use crate::error::{Error, Result};
use crate::v2::SignType;
use http::{HeaderMap, HeaderValue};
use serde_json::{json, Map, Value};
use std::collections::HashSet;

/// What an APIv3 envelope says about its resource.
pub(crate) struct Envelope<'a> {
    pub event_type: &'a str,
    /// `resource.original_type`, also the AEAD associated data.
    pub original_type: &'a str,
    pub resource_type: &'a str,
    pub summary: &'a str,
}

fn merchant<'k>(keys: &'k Keys, mchid: &str) -> Result<&'k Merchant> {
    keys.merchants
        .get(mchid)
        .map(|e| &e.merchant)
        .ok_or_else(|| Error::argument("mchid", format!("the emulator has no merchant {mchid}")))
}

/// The signed headers and the JSON envelope of an APIv3 notification to merchant `mchid`.
pub(crate) fn v3(
    keys: &Keys,
    faults: &HashSet<Fault>,
    mchid: &str,
    envelope: &Envelope<'_>,
    resource: &Value,
) -> Result<(HeaderMap, Vec<u8>)> {
    let merchant = merchant(keys, mchid)?;
    // A 12-character nonce, as WeChat Pay's AEAD_AES_256_GCM uses.
    let nonce = crate::util::nonce(12);
    let (algorithm, seal) = super::resource_cipher(keys);
    let ciphertext = seal(
        merchant.apiv3_key.as_bytes(),
        nonce.as_bytes(),
        envelope.original_type.as_bytes(),
        resource.to_string().as_bytes(),
    )?;
    let body = json!({
        "id": format!("EV-{}", crate::util::nonce(32)),
        "create_time": beijing_time(crate::util::unix_now()),
        "resource_type": envelope.resource_type,
        "event_type": envelope.event_type,
        "summary": envelope.summary,
        "resource": {
            "original_type": envelope.original_type,
            "algorithm": algorithm,
            "ciphertext": ciphertext,
            "associated_data": envelope.original_type,
            "nonce": nonce,
        },
    })
    .to_string()
    .into_bytes();
    let mut headers = match super::shangmi_headers(keys, &body, faults) {
        Some(headers) => headers,
        None => super::v3::signed_headers(keys, &body, faults)?,
    };
    headers.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    // Every callback page lists `Request-ID` (通知的唯一标识) among the request headers.
    if let Ok(id) = HeaderValue::from_str(&super::wire::request_id(crate::util::unix_now())) {
        headers.insert("Request-ID", id);
    }
    Ok((headers, body))
}

/// Signs an APIv2 message: `sign` over every other field with the merchant's APIv2 key.
///
/// The one place APIv2 notifications are signed, so the sign-type rules of the answers apply
/// here by changing this function alone.
pub(crate) fn sign_v2(
    mut fields: Map<String, Value>,
    merchant: &Merchant,
    sign_type: SignType,
) -> Map<String, Value> {
    fields.remove("sign");
    if let Ok(sign) = crate::v2::sign::sign(sign_type, &fields, &merchant.apiv2_secret) {
        fields.insert("sign".into(), Value::String(sign));
    }
    fields
}

/// An APIv2 notification's XML: `fields` signed with `sign_type` (unless `signed` is false: the
/// refund notification carries no `sign`).
pub(crate) fn v2_plain(
    keys: &Keys,
    mchid: &str,
    fields: Map<String, Value>,
    sign_type: Option<SignType>,
) -> Result<String> {
    let merchant = merchant(keys, mchid)?;
    let fields = match sign_type {
        Some(t) => sign_v2(fields, merchant, t),
        None => fields,
    };
    Ok(crate::v2::xml::to_xml(&fields))
}

/// The `event_ciphertext` of an APIv2 免押 notification: (nonce, ciphertext) of `resource` as
/// JSON under the APIv3 key, with `aad` as associated data.
pub(crate) fn event_ciphertext(
    keys: &Keys,
    mchid: &str,
    aad: &str,
    resource: &Value,
) -> Result<(String, String)> {
    let merchant = merchant(keys, mchid)?;
    let nonce = crate::util::nonce(12);
    let sealed = crate::crypto::aes::aes_256_gcm_encrypt(
        merchant.apiv3_key.as_bytes(),
        nonce.as_bytes(),
        aad.as_bytes(),
        resource.to_string().as_bytes(),
    )?;
    Ok((nonce, sealed))
}

/// The `req_info` of an APIv2 refund notification: `fields` as `<root>` XML, AES-256-ECB under
/// the lowercase hex MD5 of the APIv2 key, base64.
pub(crate) fn req_info(keys: &Keys, mchid: &str, fields: &Map<String, Value>) -> Result<String> {
    let merchant = merchant(keys, mchid)?;
    let key = zeroize::Zeroizing::new(crate::v2::sign::md5_hex(merchant.apiv2_secret.as_bytes()));
    let opts = crate::v2::xml::XmlOptions {
        root: "root",
        ..Default::default()
    };
    let xml = crate::v2::xml::to_xml_with(fields, &opts);
    crate::v2::ecb::aes_256_ecb_encrypt(key.as_bytes(), xml.as_bytes())
}
