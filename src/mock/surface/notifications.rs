//! The documented notifications as the emulator sends them: the content synthesized from the
//! page's field table (every required field, a value of its type, enums their first value) with
//! the caller's values merged over it, then sealed and signed in the page's form.

use super::synth::Synth;
use crate::catalogue::notifications::{Notification, Sealing};
use crate::catalogue::{Field, Protocol};
use crate::crypto::{PrivateKey, PublicKey};
use crate::error::Result;
use crate::mock::protocol::faults::Fault;
use crate::mock::protocol::keys::Keys;
use crate::mock::protocol::notification::beijing_time;
use crate::mock::protocol::sealed::{self, Envelope};
use crate::v2::SignType;
use http::{HeaderMap, HeaderValue};
use serde_json::{Map, Value};
use std::collections::HashSet;

/// `over` merged into `base`: objects key by key, anything else replaced.
pub(crate) fn merge(base: &mut Value, over: &Value) {
    match (base, over) {
        (Value::Object(b), Value::Object(o)) => {
            for (k, v) in o {
                match b.get_mut(k) {
                    Some(slot) => merge(slot, v),
                    None => {
                        b.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (b, o) => *b = o.clone(),
    }
}

/// The content a notification carries: the resource (APIv3; APIv2 `req_info` and
/// `event_ciphertext` plaintext) or the XML fields (APIv2 plain), each required field
/// synthesized, `overrides` merged over them. `keys`: the merchant's public key (sensitive
/// fields are sealed for it) and the platform key.
pub(crate) fn content(
    n: &Notification,
    mchid: &str,
    keys: (&PublicKey, &PrivateKey),
    overrides: &Value,
) -> Value {
    // Fresh values each time: two notifications are two events.
    let seed = format!("{}:{}", n.name, crate::util::nonce(16));
    // APIv2 XML carries compact times; the 免押 JSON and the req_info XML are as their tables say.
    let v2_text = n.protocol == Protocol::V2 && n.sealing != Sealing::EventCiphertext;
    let synth = Synth::seeded(&seed, mchid, keys, v2_text);
    let mut out = Value::Object(if n.sealing == Sealing::None {
        let fields: Vec<Field> = n
            .xml
            .iter()
            // Set when it is signed.
            .filter(|f| !matches!(f.name.as_str(), "sign" | "nonce_str" | "sign_type"))
            .cloned()
            .collect();
        let mut m = synth.object(&fields);
        for code in ["return_code", "result_code"] {
            if m.contains_key(code) {
                m.insert(code.into(), "SUCCESS".into());
            }
        }
        for key in ["mch_id", "combine_mch_id"] {
            if let Some(Value::String(id)) = m.get_mut(key) {
                *id = mchid.to_string();
            }
        }
        m
    } else {
        synth.object(&n.resource)
    });
    if let Value::Object(m) = &mut out {
        if n.protocol == Protocol::V3 && m.contains_key("mchid") {
            m.insert("mchid".into(), mchid.into());
        }
    }
    merge(&mut out, overrides);
    out
}

/// `TRANSACTION.SUCCESS` → `transaction` where the page documents no `original_type`.
fn original_type(n: &Notification) -> String {
    n.original_type.first().cloned().unwrap_or_else(|| {
        let event = n.event_type.as_deref().unwrap_or(&n.name);
        event.split('.').next().unwrap_or("").to_ascii_lowercase()
    })
}

/// The page title's phrase before its event type: `支付成功(TRANSACTION.SUCCESS)通知(JSON)` → `支付成功`.
fn summary(n: &Notification) -> &str {
    n.title
        .split(['(', '（'])
        .next()
        .filter(|s| !s.is_empty())
        .unwrap_or(&n.title)
}

/// The sign type of an APIv2 notification: the caller's (the order's), else the one the page's
/// `sign_type` row allows, else MD5 (WeChat Pay's default when a request names none).
fn sign_type(n: &Notification, content: &Value, asked: Option<SignType>) -> SignType {
    let from = |v: Option<&str>| v.and_then(|t| SignType::parse(t).ok());
    asked
        .or_else(|| from(content.get("sign_type").and_then(Value::as_str)))
        .or_else(|| {
            let row = n.xml.iter().find(|f| f.name == "sign_type")?;
            from(row.enumeration.first().map(String::as_str))
        })
        .unwrap_or(SignType::Md5)
}

/// The headers and body of notification `n` carrying `content`, sealed and signed as its page
/// says, to merchant `mchid`.
pub(crate) fn seal(
    keys: &Keys,
    faults: &HashSet<Fault>,
    mchid: &str,
    n: &Notification,
    content: &Value,
    asked: Option<SignType>,
) -> Result<(HeaderMap, Vec<u8>)> {
    let xml = |text: String| {
        let mut h = HeaderMap::new();
        h.insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("text/xml"),
        );
        (h, text.into_bytes())
    };
    let object = |v: &Value| v.as_object().cloned().unwrap_or_default();
    let nonce = || Value::String(crate::util::nonce(32));
    match n.sealing {
        Sealing::Resource => {
            let original_type = original_type(n);
            let envelope = Envelope {
                event_type: n.event_type.as_deref().unwrap_or(&n.name),
                original_type: &original_type,
                resource_type: n
                    .resource_type
                    .first()
                    .map_or("encrypt-resource", String::as_str),
                summary: summary(n),
            };
            sealed::v3(keys, faults, mchid, &envelope, content)
        }
        Sealing::None => {
            let mut fields = object(content);
            fields.insert("nonce_str".into(), nonce());
            let t = sign_type(n, content, asked);
            if n.xml.iter().any(|f| f.name == "sign_type") {
                fields.insert("sign_type".into(), t.as_str().into());
            }
            Ok(xml(sealed::v2_plain(keys, mchid, fields, Some(t))?))
        }
        Sealing::ReqInfo => {
            let mut fields = Map::new();
            fields.insert("return_code".into(), "SUCCESS".into());
            fields.insert("return_msg".into(), "OK".into());
            fields.insert("mch_id".into(), mchid.into());
            fields.insert("appid".into(), "wxd678efh567hg6787".into());
            fields.insert("nonce_str".into(), nonce());
            fields.insert(
                "req_info".into(),
                sealed::req_info(keys, mchid, &object(content))?.into(),
            );
            // The refund notification carries no `sign` (its table lists none).
            Ok(xml(sealed::v2_plain(keys, mchid, fields, None)?))
        }
        Sealing::EventCiphertext => {
            let aad = original_type(n);
            let (event_nonce, ciphertext) = sealed::event_ciphertext(keys, mchid, &aad, content)?;
            let mut fields = Map::new();
            fields.insert("mch_id".into(), mchid.into());
            fields.insert("appid".into(), "wxd678efh567hg6787".into());
            // `algorithm` is the sign's (the pages say HMAC-SHA256), `event_algorithm` the seal's.
            fields.insert("algorithm".into(), "HMAC-SHA256".into());
            fields.insert("nonce_str".into(), nonce());
            fields.insert(
                "event_id".into(),
                format!("EV-{}", crate::util::nonce(32)).into(),
            );
            fields.insert(
                "event_create_time".into(),
                beijing_time(crate::util::unix_now()).into(),
            );
            let event = n.event_type.as_deref().unwrap_or(&n.name);
            fields.insert("event_type".into(), event.into());
            fields.insert("event_algorithm".into(), "AEAD_AES_256_GCM".into());
            fields.insert("event_nonce".into(), event_nonce.into());
            fields.insert("event_associated_data".into(), aad.into());
            fields.insert("event_ciphertext".into(), ciphertext.into());
            let t = Some(SignType::HmacSha256);
            Ok(xml(sealed::v2_plain(keys, mchid, fields, t)?))
        }
    }
}

/// Whether the merchant's reply is the success the page's answer table describes: APIv3 a
/// `20X` status; APIv2 a 2xx whose XML says `return_code` `SUCCESS`.
pub(crate) fn accepted(n: &Notification, status: u16, reply: &str) -> bool {
    if !(200..300).contains(&status) {
        return false;
    }
    if !n.answer_xml {
        return true;
    }
    crate::v2::xml::from_xml(reply)
        .ok()
        .and_then(|m| {
            m.get("return_code")
                .and_then(Value::as_str)
                .map(str::to_string)
        })
        .is_some_and(|c| c == "SUCCESS")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn merges_and_names() {
        let mut base = json!({"a": 1, "amount": {"total": 1, "currency": "CNY"}});
        merge(&mut base, &json!({"amount": {"total": 100}, "b": [1]}));
        assert_eq!(
            base,
            json!({"a": 1, "amount": {"total": 100, "currency": "CNY"}, "b": [1]})
        );
        let paid = crate::catalogue::notifications::find("TRANSACTION.SUCCESS").unwrap();
        assert_eq!(summary(paid), "支付成功");
        assert_eq!(original_type(paid), "transaction");
        let v2 = crate::catalogue::notifications::find("v2/transaction-success").unwrap();
        assert!(accepted(
            v2,
            200,
            "<xml><return_code>SUCCESS</return_code></xml>"
        ));
        assert!(!accepted(
            v2,
            200,
            "<xml><return_code>FAIL</return_code></xml>"
        ));
        assert!(!accepted(paid, 500, ""));
        assert!(accepted(paid, 204, ""));
    }
}
