//! The brand API (`WECHATPAY-BRAND-SHA256-RSA2048`, calls under `/brand/`): the brands the
//! emulator knows and their credentials, the checks of a brand's request, its answers (always
//! under the WeChat Pay public key id: brands have no platform certificates) and its
//! notifications (sealed with the brand API key).

use super::call::{error, Call, Outcome};
use super::faults::Fault;
use super::keys::{generate_rsa_pem, random_serial, Keys, Merchant, MerchantEntry};
use crate::crypto::PrivateKey;
use crate::error::{Error, Result};
use crate::util::unix_now;
use crate::v3::Scheme;
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method};
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};
use zeroize::Zeroizing;

/// A brand the emulator knows (品牌经营平台), with every credential a brand client needs.
/// `Debug` shows the brand id and serial only.
///
/// ```
/// let b = wechatpay::mock::Brand::generate("1001")?;
/// assert_eq!((b.serial.len(), b.brand_api_key.len()), (40, 32));
/// assert!(!format!("{b:?}").contains(b.brand_api_key.as_str()));
/// # Ok::<(), wechatpay::Error>(())
/// ```
#[derive(Clone)]
pub struct Brand {
    /// Brand id (`brand_id`).
    pub brand_id: String,
    /// Brand API certificate serial (`serial_no` of its signatures).
    pub serial: String,
    /// Brand API certificate private key, PKCS#8 PEM.
    pub private_key_pem: Zeroizing<String>,
    /// Brand API key (32 letters and digits): seals its notifications.
    pub brand_api_key: Zeroizing<String>,
}

impl std::fmt::Debug for Brand {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Brand")
            .field("brand_id", &self.brand_id)
            .field("serial", &self.serial)
            .finish_non_exhaustive()
    }
}

impl Brand {
    /// A brand with a fresh RSA-2048 key, a random 40-hex-digit serial and a 32-character
    /// brand API key.
    pub fn generate(brand_id: &str) -> Result<Brand> {
        Ok(Brand {
            brand_id: brand_id.to_string(),
            serial: random_serial(),
            private_key_pem: generate_rsa_pem()?,
            brand_api_key: Zeroizing::new(crate::util::nonce(32)),
        })
    }
}

/// A brand as the checks need it. `signer` is the brand seen as the signer of a call (its id
/// where a merchant's mchid goes, its API key where the APIv3 key goes), which is what the
/// documented answers read; it has no APIv2 secret and no certificate.
pub(crate) struct BrandEntry {
    pub brand: Brand,
    pub signer: MerchantEntry,
    /// The product-coupon notify URL the brand set (`notify-configs`) and when: (url,
    /// update_time).
    pub notify: std::sync::Mutex<Option<(String, String)>>,
}

/// The brands the emulator knows, by brand id (beside the merchants' `Keys`).
pub(crate) type Brands = HashMap<String, BrandEntry>;

/// The entries of `brands`, by brand id.
pub(crate) fn entries(brands: Vec<Brand>) -> Result<Brands> {
    let mut out = HashMap::new();
    for brand in brands {
        let key = PrivateKey::from_pem(brand.private_key_pem.as_bytes())?;
        let signer = MerchantEntry {
            merchant: Merchant {
                mchid: brand.brand_id.clone(),
                serial: brand.serial.clone(),
                private_key_pem: brand.private_key_pem.clone(),
                apiv2_secret: Zeroizing::new(String::new()),
                apiv3_key: brand.brand_api_key.clone(),
            },
            public_key: key.public_key(),
            cert_pem: String::new(),
            cert_der: Vec::new(),
        };
        let notify = std::sync::Mutex::new(None);
        out.insert(
            brand.brand_id.clone(),
            BrandEntry {
                brand,
                signer,
                notify,
            },
        );
    }
    Ok(out)
}

/// The brands' credentials for the admin API's config, sorted by brand id.
pub(crate) fn config(brands: &Brands) -> Value {
    let mut ids: Vec<&String> = brands.keys().collect();
    ids.sort();
    Value::Array(
        ids.into_iter()
            .map(|id| {
                let b = &brands[id].brand;
                json!({
                    "brand_id": b.brand_id,
                    "serial": b.serial,
                    "private_key_pem": b.private_key_pem.as_str(),
                    "brand_api_key": b.brand_api_key.as_str(),
                })
            })
            .collect(),
    )
}

/// The scheme and the pairs of an `Authorization` value, in any order: WeChat Pay's own
/// documents write them in two orders. Each pair once, its value in double quotes.
pub(crate) fn parse_authorization(
    value: &str,
) -> std::result::Result<(&'static Scheme, HashMap<&str, &str>), &'static str> {
    let (scheme, rest) =
        Scheme::parse_token(value).ok_or("Http头Authorization值格式错误 (unknown scheme)")?;
    let mut pairs = HashMap::new();
    for pair in rest.split(',') {
        let (k, v) = pair
            .split_once('=')
            .ok_or("Http头Authorization值格式错误 (malformed)")?;
        let v = v
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .ok_or("Http头Authorization值格式错误 (values are in double quotes)")?;
        if pairs.insert(k, v).is_some() {
            return Err("Http头Authorization值格式错误 (a parameter is repeated)");
        }
    }
    for k in [
        scheme.id_field,
        "nonce_str",
        "timestamp",
        "serial_no",
        "signature",
    ] {
        if pairs.get(k).is_none_or(|v| v.is_empty()) {
            return Err("Http头Authorization值格式错误 (a parameter is missing)");
        }
    }
    Ok((scheme, pairs))
}

/// The checks of a `/brand/` request: the brand scheme (a merchant's signature is answered
/// `401 SIGN_ERROR`), a known brand and its certificate serial, the time window, the signature
/// with the brand's key, replay, `Wechatpay-Serial` naming the WeChat Pay public key (required
/// on every brand call), and a JSON body.
pub(crate) fn check<'a>(
    keys: &'a Keys,
    brands: &'a Brands,
    method: &'a Method,
    uri: &'a http::Uri,
    headers: &'a HeaderMap,
    body: &'a Bytes,
) -> std::result::Result<Call<'a>, Outcome> {
    let sign_error = |why: &str| Err(error(401, "SIGN_ERROR", why));
    let Some(value) = headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return sign_error("Authorization 头缺失 (missing)");
    };
    let (scheme, pairs) = match parse_authorization(value) {
        Ok(parsed) => parsed,
        Err(why) => return sign_error(why),
    };
    if scheme != &Scheme::BRAND {
        return sign_error(
            "认证类型不正确 (the brand API's scheme is WECHATPAY-BRAND-SHA256-RSA2048 brand_id=…)",
        );
    }
    let Some(entry) = brands.get(pairs["brand_id"]) else {
        return sign_error("品牌ID不存在 (unknown brand_id)");
    };
    let signature = super::v3::Signed {
        serial_no: pairs["serial_no"],
        timestamp: pairs["timestamp"],
        nonce_str: pairs["nonce_str"],
        signature: pairs["signature"],
    };
    signature.check(
        &entry.brand.serial,
        "品牌证书序列号有误。",
        |m, s| entry.signer.public_key.verify(m, s).is_ok(),
        (method, uri, headers, body),
    )?;
    if let Some(mut refusal) = after_signature(keys, headers, body, pairs["nonce_str"], entry) {
        refusal.verified = true;
        return Err(refusal);
    }
    Ok(Call {
        method,
        path: uri.path(),
        query: uri.query(),
        headers,
        body,
        entry: &entry.signer,
        v2_fields: None,
    })
}

fn after_signature(
    keys: &Keys,
    headers: &HeaderMap,
    body: &Bytes,
    nonce_str: &str,
    entry: &BrandEntry,
) -> Option<Outcome> {
    // A brand id may equal some mchid: its nonces are kept apart.
    let signer = format!("brand:{}", entry.brand.brand_id);
    if let Some(replay) = super::v3::replayed(keys, signer, nonce_str) {
        return Some(replay);
    }
    match headers
        .get("Wechatpay-Serial")
        .and_then(|v| v.to_str().ok())
    {
        None => {
            return Some(error(
                400,
                "PARAM_ERROR",
                "Wechatpay-Serial 缺失 (the brand API requires the WeChat Pay public key id on every call)",
            ))
        }
        Some(serial) if serial != keys.public_key_id => {
            return Some(error(
                400,
                "PARAM_ERROR",
                "Wechatpay-Serial 不正确 (must be the WeChat Pay public key id, PUB_KEY_ID_…)",
            ))
        }
        Some(_) => {}
    }
    super::v3::not_json(headers, body)
}

/// The `Wechatpay-*` headers of a brand answer or notification: as APIv3's, but always under
/// the WeChat Pay public key id, in either key mode (brands verify with the public key only),
/// and `Wechatpay-Signature-Type: WECHATPAY-BRAND-SHA256-RSA2048`.
pub(crate) fn signed_headers(
    keys: &Keys,
    body: &[u8],
    faults: &HashSet<Fault>,
) -> Result<HeaderMap> {
    // Brands have the public key only, whatever the merchant's key mode.
    let mut headers = super::v3::signed_with(keys.public(), body, faults)?;
    // Undocumented for brands; the one brand notification seen in public names the scheme.
    headers.insert(
        crate::v3::SIGNATURE_TYPE,
        HeaderValue::from_static(Scheme::BRAND.name),
    );
    if !faults.contains(&Fault::WrongSerial) {
        let id = HeaderValue::from_str(&keys.public_key_id)
            .map_err(|_| Error::Crypto("the public key id is not a header value".into()))?;
        headers.insert("Wechatpay-Serial", id);
    }
    Ok(headers)
}

/// A product-coupon notification to brand `brand_id`: the resource sealed with AES-256-GCM
/// under the brand API key (`original_type` and `associated_data` `product_coupon`, a
/// 12-character nonce), in the APIv3 envelope, signed as a brand answer.
pub(crate) fn notification(
    keys: &Keys,
    brands: &Brands,
    faults: &HashSet<Fault>,
    brand_id: &str,
    event_type: &str,
    resource: &Value,
) -> Result<(HeaderMap, Vec<u8>)> {
    let brand = &brands
        .get(brand_id)
        .ok_or_else(|| {
            Error::argument("brand_id", format!("the emulator has no brand {brand_id}"))
        })?
        .brand;
    let original_type = "product_coupon";
    let nonce = crate::util::nonce(12);
    let ciphertext = crate::crypto::aes::aes_256_gcm_encrypt(
        brand.brand_api_key.as_bytes(),
        nonce.as_bytes(),
        original_type.as_bytes(),
        resource.to_string().as_bytes(),
    )?;
    let body = json!({
        "id": format!("EV-{}", crate::util::nonce(32)),
        "create_time": super::notification::beijing_time(unix_now()),
        "resource_type": "encrypt-resource",
        "event_type": event_type,
        "summary": summary(event_type),
        "resource": {
            "original_type": original_type,
            "algorithm": "AEAD_AES_256_GCM",
            "ciphertext": ciphertext,
            "associated_data": original_type,
            "nonce": nonce,
        },
    })
    .to_string()
    .into_bytes();
    let mut headers = signed_headers(keys, &body, faults)?;
    headers.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Ok((headers, body))
}

fn summary(event_type: &str) -> &'static str {
    match event_type {
        "PRODUCT_COUPON.SEND" => "商品券领券通知",
        _ => "商品券通知",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_in_any_order() {
        let go = r#"WECHATPAY-BRAND-SHA256-RSA2048 brand_id="1001",nonce_str="N",timestamp="1554208460",serial_no="S",signature="X=""#;
        let java = r#"WECHATPAY-BRAND-SHA256-RSA2048 brand_id="1001",nonce_str="N",signature="X=",timestamp="1554208460",serial_no="S""#;
        let reversed = r#"WECHATPAY-BRAND-SHA256-RSA2048 signature="X=",serial_no="S",timestamp="1554208460",nonce_str="N",brand_id="1001""#;
        for value in [go, java, reversed] {
            let (scheme, pairs) = parse_authorization(value).unwrap();
            assert_eq!(scheme, &Scheme::BRAND);
            assert_eq!(pairs["brand_id"], "1001");
            assert_eq!(pairs["signature"], "X=");
            assert_eq!(pairs["timestamp"], "1554208460");
        }
        let merchant = r#"WECHATPAY2-SHA256-RSA2048 mchid="1900000001",serial_no="S",timestamp="1",nonce_str="N",signature="X""#;
        assert_eq!(parse_authorization(merchant).unwrap().0, &Scheme::MERCHANT);
        for bad in [
            // the scheme without BRAND, the id pair of the other scheme, single quotes,
            // a repeated pair, a missing one
            r#"WECHATPAY-SHA256-RSA2048 brand_id="1",nonce_str="N",timestamp="1",serial_no="S",signature="X""#,
            r#"WECHATPAY-BRAND-SHA256-RSA2048 mchid="1",nonce_str="N",timestamp="1",serial_no="S",signature="X""#,
            r#"WECHATPAY-BRAND-SHA256-RSA2048 brand_id='1',nonce_str="N",timestamp="1",serial_no="S",signature="X""#,
            r#"WECHATPAY-BRAND-SHA256-RSA2048 brand_id="1",brand_id="2",nonce_str="N",timestamp="1",serial_no="S",signature="X""#,
            r#"WECHATPAY-BRAND-SHA256-RSA2048 brand_id="1",nonce_str="N",timestamp="1",serial_no="S""#,
        ] {
            assert!(parse_authorization(bad).is_err(), "{bad}");
        }
    }
}
