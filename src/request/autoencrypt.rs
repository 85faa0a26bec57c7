//! Opt-in encryption of the fields the documentation marks as sensitive, so a caller can pass
//! plain text (`ClientBuilder::encrypt_documented_fields`, feature `catalogue`).
//!
//! The documented call is looked up by method and template in the offline catalogue; each
//! `json` field marked `encrypted` (nested in objects and arrays too) that holds plain text is
//! replaced by its RSA-OAEP ciphertext under the WeChat Pay key, and `Wechatpay-Serial` names
//! that key. A value that already is a ciphertext (base64 of one RSA block) is left alone, so
//! callers who encrypt themselves are unaffected.

use crate::catalogue::Field;
use crate::error::Result;
use crate::keys::crypto::PublicKey;
use crate::keys::keyring::Keyring;
use base64::Engine;
use http::Method;
use serde_json::Value;

/// Encrypts the documented sensitive fields of `json` in place; the id of the key used, if any
/// field was encrypted. `serial` is the caller's own `Wechatpay-Serial`, whose key then wins.
pub(crate) fn encrypt_documented(
    keyring: &Keyring,
    method: &Method,
    template: &str,
    json: &mut Value,
    serial: Option<&str>,
) -> Result<Option<String>> {
    let Some(endpoint) = crate::catalogue::all().iter().find(|e| {
        e.method.eq_ignore_ascii_case(method.as_str()) && e.client_template() == template
    }) else {
        return Ok(None);
    };
    let Some(body) = &endpoint.json else {
        return Ok(None);
    };
    if !has_encrypted(&body.children) {
        return Ok(None);
    }
    let now = crate::util::unix_now();
    let (id, key) = match serial {
        Some(id) => match keyring.encryption_key_at(now) {
            Ok((preferred, key)) if preferred == id => (preferred, key),
            _ => return Ok(None), // the caller chose another key: they encrypt themselves
        },
        None => keyring.encryption_key_at(now)?,
    };
    let mut count = 0;
    walk(&body.children, json, &key, &mut count)?;
    Ok((count > 0).then_some(id))
}

fn has_encrypted(fields: &[Field]) -> bool {
    fields
        .iter()
        .any(|f| f.encrypted || has_encrypted(&f.children))
}

fn walk(fields: &[Field], value: &mut Value, key: &PublicKey, count: &mut usize) -> Result<()> {
    let Value::Object(map) = value else {
        return Ok(());
    };
    for field in fields {
        let Some(v) = map.get_mut(&field.name) else {
            continue;
        };
        if field.encrypted {
            encrypt_value(v, key, count)?;
        } else if !field.children.is_empty() {
            match v {
                Value::Array(items) => {
                    for item in items {
                        walk(&field.children, item, key, count)?;
                    }
                }
                other => walk(&field.children, other, key, count)?,
            }
        }
    }
    Ok(())
}

fn encrypt_value(v: &mut Value, key: &PublicKey, count: &mut usize) -> Result<()> {
    match v {
        Value::String(s) if !s.is_empty() && !is_ciphertext(s, key) => {
            *s = crate::keys::crypto::encrypt_sensitive(key, s)?;
            *count += 1;
        }
        Value::Array(items) => {
            for item in items {
                encrypt_value(item, key, count)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// Base64 of exactly one RSA block of this key: already encrypted.
fn is_ciphertext(s: &str, key: &PublicKey) -> bool {
    base64::engine::general_purpose::STANDARD
        .decode(s)
        .is_ok_and(|raw| raw.len() * 8 == key.bits())
}
