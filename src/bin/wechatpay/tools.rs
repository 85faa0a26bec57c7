//! `encrypt`, `decrypt`, `sign` and `notify`: the local operations on the configured keys.

use crate::config::{Selection, Settings};
use serde_json::{json, Value};
use wechatpay::http::{HeaderMap, HeaderName, HeaderValue};
use wechatpay::notify::NotificationParser;
use wechatpay::Error;

fn argument(name: &str, reason: String) -> Error {
    Error::Argument {
        name: name.into(),
        reason,
    }
}

/// The text itself, or stdin for `-`, without its final newline.
fn text_or_stdin(name: &str, text: &str) -> Result<String, Error> {
    if text != "-" {
        return Ok(text.to_string());
    }
    let t = std::io::read_to_string(std::io::stdin())
        .map_err(|e| argument(name, format!("cannot read stdin: {e}")))?;
    Ok(t.strip_suffix('\n').unwrap_or(&t).to_string())
}

/// Encrypts a sensitive field: the ciphertext on stdout, the key id on stderr.
pub(crate) fn encrypt(sel: &Selection, text: &str) -> Result<(), Error> {
    let text = text_or_stdin("TEXT", text)?;
    let client = crate::config::client(sel)?;
    let e = client.encrypt(&text)?;
    println!("{}", e.ciphertext);
    eprintln!("Wechatpay-Serial: {}", e.serial);
    Ok(())
}

/// Decrypts a sensitive field of an answer with the merchant key.
pub(crate) fn decrypt(sel: &Selection, ciphertext: &str) -> Result<(), Error> {
    let ciphertext = text_or_stdin("CIPHERTEXT", ciphertext)?;
    let client = crate::config::client(sel)?;
    println!("{}", client.decrypt(ciphertext.trim())?);
    Ok(())
}

/// The pay-sign parameters for a JSAPI / mini-program or APP payment.
pub(crate) fn sign(sel: &Selection, kind: &str, appid: &str, prepay_id: &str) -> Result<(), Error> {
    let client = crate::config::client(sel)?;
    let v = match kind {
        "jsapi" | "miniprogram" => client.jsapi_pay_params(appid, prepay_id)?,
        "app" => client.app_pay_params(appid, prepay_id)?,
        other => {
            return Err(argument(
                "KIND",
                format!("`{other}` is not jsapi, miniprogram or app"),
            ))
        }
    };
    println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
    Ok(())
}

/// Headers from `Name: value` lines (an HTTP request line is skipped) or a JSON object.
fn parse_headers(text: &str, into: &mut HeaderMap) -> Result<(), Error> {
    let trimmed = text.trim_start();
    let pairs: Vec<(String, String)> = if trimmed.starts_with('{') {
        let v: Value = serde_json::from_str(trimmed)
            .map_err(|e| argument("--headers", format!("not a JSON object: {e}")))?;
        v.as_object()
            .ok_or_else(|| argument("--headers", "not a JSON object".into()))?
            .iter()
            .map(|(k, v)| {
                (
                    k.clone(),
                    v.as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| v.to_string()),
                )
            })
            .collect()
    } else {
        text.lines()
            .map(|l| l.trim_end_matches('\r'))
            .filter(|l| !l.trim().is_empty() && !l.contains(" HTTP/"))
            .map(|l| {
                l.split_once(':')
                    .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
                    .ok_or_else(|| argument("--headers", format!("`{l}` is not `Name: value`")))
            })
            .collect::<Result<_, _>>()?
    };
    for (k, v) in pairs {
        let name = HeaderName::from_bytes(k.as_bytes())
            .map_err(|_| argument("--headers", format!("`{k}` is not a header name")))?;
        let value = HeaderValue::from_str(&v)
            .map_err(|_| argument(&k, "not a valid header value".into()))?;
        into.insert(name, value);
    }
    Ok(())
}

/// Verifies and decrypts a saved APIv3 callback; prints the notification as JSON.
pub(crate) fn notify(
    sel: &Selection,
    body: &str,
    headers_file: Option<&str>,
    header: &[String],
    replay: bool,
    v2: bool,
) -> Result<(), Error> {
    let body = std::fs::read(body)
        .map_err(|e| argument("--body", format!("cannot read `{body}`: {e}")))?;
    if v2 {
        return notify_v2(sel, &body);
    }
    let mut headers = HeaderMap::new();
    if let Some(file) = headers_file {
        let text = std::fs::read_to_string(file)
            .map_err(|e| argument("--headers", format!("cannot read `{file}`: {e}")))?;
        parse_headers(&text, &mut headers)?;
    }
    parse_headers(&header.join("\n"), &mut headers)?;
    let settings = Settings::load(sel)?;
    let client = settings.client()?;
    let n = if replay {
        // A saved callback verified at the time it was signed (its Wechatpay-Timestamp).
        let at = headers
            .get("Wechatpay-Timestamp")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<i64>().ok())
            .ok_or_else(|| argument("Wechatpay-Timestamp", "missing or not a number".into()))?;
        let key = settings
            .secret("apiv3_key", "apiv3_key_file")?
            .ok_or_else(|| {
                Error::NotConfigured(
                    "notifications need the APIv3 key (apiv3_key, WECHATPAY_APIV3_KEY)".into(),
                )
            })?;
        NotificationParser::new(client.keyring(), key.as_bytes()).parse_at(&headers, &body, at)?
    } else {
        client.parse_notification(&headers, &body)?
    };
    let out = json!({
        "id": n.id,
        "create_time": n.create_time,
        "event_type": n.event_type,
        "resource_type": n.resource_type,
        "summary": n.summary,
        "original_type": n.original_type,
        "resource": n.resource,
    });
    println!("{}", crate::shown::pretty(&out));
    Ok(())
}

/// An APIv2 (XML) callback: a payment's `sign` verified with the APIv2 secret, or a refund's
/// `req_info` decrypted (which does not authenticate it: query the refund before acting).
fn notify_v2(sel: &Selection, body: &[u8]) -> Result<(), Error> {
    let client = crate::config::client(sel)?;
    let text = std::str::from_utf8(body)
        .map_err(|_| argument("--body", "an APIv2 callback is UTF-8 XML".into()))?;
    let fields =
        wechatpay::v2::xml::from_xml(text).map_err(|e| argument("--body", e.to_string()))?;
    let out = match fields.get("req_info").and_then(Value::as_str) {
        Some(req_info) => {
            let mut out = fields.clone();
            out.insert(
                "req_info".into(),
                Value::Object(client.decrypt_v2_refund(req_info)?),
            );
            eprintln!("refund notification decrypted, not authenticated: query the refund before acting on it");
            out
        }
        None => client.parse_v2_notification(body)?,
    };
    println!("{}", crate::shown::pretty(&out));
    Ok(())
}
