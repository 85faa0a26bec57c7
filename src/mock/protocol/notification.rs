//! APIv3 notifications (callbacks) as WeChat Pay makes them: the resource sealed with
//! AEAD_AES_256_GCM under the merchant's APIv3 key, in a JSON envelope signed like an answer.
//! (APIv2 notifications are signed XML: [`super::v2::signed_xml`].)

use super::faults::Fault;
use super::keys::Keys;
use crate::error::{Error, Result};
use http::HeaderMap;
use serde_json::{json, Value};
use std::collections::HashSet;

/// The signed headers and the JSON envelope of one notification to merchant `mchid`.
pub(crate) fn build(
    keys: &Keys,
    faults: &HashSet<Fault>,
    mchid: &str,
    event_type: &str,
    resource: &Value,
) -> Result<(HeaderMap, Vec<u8>)> {
    let merchant = &keys
        .merchants
        .get(mchid)
        .ok_or_else(|| Error::argument("mchid", format!("the emulator has no merchant {mchid}")))?
        .merchant;
    let original_type = original_type(event_type);
    // AEAD_AES_256_GCM with a 12-byte nonce, as WeChat Pay uses (12 base62 characters).
    let nonce = crate::util::nonce(12);
    let (algorithm, seal) = super::resource_cipher(keys);
    let ciphertext = seal(
        merchant.apiv3_key.as_bytes(),
        nonce.as_bytes(),
        original_type.as_bytes(),
        resource.to_string().as_bytes(),
    )?;
    let body = json!({
        "id": format!("EV-{}", crate::util::nonce(32)),
        "create_time": beijing_time(crate::util::unix_now()),
        "resource_type": "encrypt-resource",
        "event_type": event_type,
        "summary": summary(event_type),
        "resource": {
            "original_type": original_type,
            "algorithm": algorithm,
            "ciphertext": ciphertext,
            "associated_data": original_type,
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
        http::HeaderValue::from_static("application/json"),
    );
    // Every callback page lists `Request-ID` (通知的唯一标识) among the request headers.
    let id = super::wire::request_id(crate::util::unix_now());
    if let Ok(id) = http::HeaderValue::from_str(&id) {
        headers.insert("Request-ID", id);
    }
    Ok((headers, body))
}

/// `TRANSACTION.SUCCESS` → `transaction`, `REFUND.SUCCESS` → `refund`, as WeChat Pay names them.
fn original_type(event_type: &str) -> String {
    let prefix = event_type.split('.').next().unwrap_or("");
    if prefix.is_empty() {
        "transaction".to_string()
    } else {
        prefix.to_ascii_lowercase()
    }
}

fn summary(event_type: &str) -> &'static str {
    match event_type {
        "TRANSACTION.SUCCESS" => "支付成功",
        "REFUND.SUCCESS" => "退款成功",
        "REFUND.ABNORMAL" => "退款异常",
        "REFUND.CLOSED" => "退款关闭",
        _ => "通知",
    }
}

/// RFC 3339 time in Beijing (+08:00), the form of `create_time`.
pub(crate) fn beijing_time(unix: i64) -> String {
    let t = unix + 8 * 3600;
    let (days, secs) = (t.div_euclid(86_400), t.rem_euclid(86_400));
    // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}+08:00",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_and_types() {
        assert_eq!(beijing_time(0), "1970-01-01T08:00:00+08:00");
        // 2018-06-08T10:34:56+08:00, the time in WeChat Pay's notification example.
        assert_eq!(beijing_time(1_528_425_296), "2018-06-08T10:34:56+08:00");
        assert_eq!(beijing_time(951_782_400), "2000-02-29T08:00:00+08:00");
        assert_eq!(original_type("REFUND.SUCCESS"), "refund");
        assert_eq!(original_type("TRANSACTION.SUCCESS"), "transaction");
    }
}
