//! A brand profile (品牌经营平台): the settings that sign as a brand
//! (`WECHATPAY-BRAND-SHA256-RSA2048 brand_id=…`) for the `brand/…` calls.
//!
//! A profile with `brand_id` (or the `--brand-id` flag) is a brand's:
//!
//! ```toml
//! [profiles.brand]
//! brand_id = "1001"
//! serial = "…"                              # the brand API certificate's serial
//! private_key = "brand_apiclient_key.pem"   # its key
//! public_key_id = "PUB_KEY_ID_…"            # brands verify with the WeChat Pay public key only
//! public_key = "pub_key.pem"
//! brand_api_key_file = "brand_api.key"      # opens the brand's notifications
//! ```
//!
//! Its variables are the ones `wechatpay mock --brand` exports (`WECHATPAY_BRAND_SERIAL`,
//! `WECHATPAY_BRAND_PRIVATE_KEY`…), so one environment holds a merchant and a brand and the
//! profile or flag picks one; a merchant's settings given to a brand are refused by name.

use wechatpay::{Client, Error};

/// The resolved settings as a brand client reads them (the config's `Settings`; a trait so this
/// module needs nothing of the config's).
pub(crate) trait Settings {
    /// A setting's value.
    fn get(&self, key: &str) -> Option<&str>;
    /// Where a setting came from, for messages.
    fn source(&self, key: &str) -> String;
    /// The content of a file setting.
    fn file(&self, key: &'static str) -> Result<Option<Vec<u8>>, Error>;
    /// A secret given inline or as a file.
    fn secret(&self, key: &'static str, file_key: &'static str) -> Result<Option<String>, Error>;
}

/// The brand's own settings: the profile key, its `WECHATPAY_*` variable, whether it names a
/// file.
pub(crate) const BRAND_KEYS: [(&str, &str, bool); 3] = [
    ("brand_id", "WECHATPAY_BRAND_ID", false),
    ("brand_api_key", "WECHATPAY_BRAND_API_KEY", false),
    ("brand_api_key_file", "WECHATPAY_BRAND_API_KEY_FILE", true),
];

/// The variables read under a brand profile: its own, and the key settings it shares with a
/// merchant's profile under the brand's variable names.
pub(crate) const BRAND_VARS: [(&str, &str); 8] = [
    ("serial", "WECHATPAY_BRAND_SERIAL"),
    ("private_key", "WECHATPAY_BRAND_PRIVATE_KEY"),
    ("public_key_id", "WECHATPAY_BRAND_PUBLIC_KEY_ID"),
    ("public_key", "WECHATPAY_BRAND_PUBLIC_KEY"),
    ("brand_api_key", "WECHATPAY_BRAND_API_KEY"),
    ("brand_api_key_file", "WECHATPAY_BRAND_API_KEY_FILE"),
    ("base_uri", "WECHATPAY_BASE_URI"),
    ("ca", "WECHATPAY_CA"),
];

/// A merchant's settings: a brand has no mchid, APIv2 secret, APIv3 key, merchant certificate
/// for mutual TLS or platform certificate (brands verify with the public key only).
const MERCHANT_ONLY: [&str; 8] = [
    "mchid",
    "apiv2_secret",
    "apiv2_secret_file",
    "apiv3_key",
    "apiv3_key_file",
    "merchant_cert",
    "merchant_key",
    "platform_certificate",
];

/// The brand client these settings describe (`brand_id` is set), signing with `signer` when
/// given.
pub(crate) fn client(
    s: &impl Settings,
    signer: Option<std::sync::Arc<dyn wechatpay::crypto::Signer>>,
    progress: Option<wechatpay::DownloadProgress>,
) -> Result<Client, Error> {
    let brand_id = s.get("brand_id").unwrap_or_default();
    if let Some(k) = MERCHANT_ONLY.into_iter().find(|k| s.get(k).is_some()) {
        return Err(Error::Config {
            field: k,
            reason: format!(
                "`{k}` (from {}) is a merchant's setting, and this profile signs as brand \
                 {brand_id} (brand_id from {}): remove one of them",
                s.source(k),
                s.source("brand_id")
            ),
        });
    }
    let mut b = Client::builder().brand_id(brand_id);
    if let Some(progress) = progress {
        b = b.download_progress(move |received, total| progress(received, total));
    }
    if let Some(serial) = s.get("serial") {
        b = b.serial(serial);
    }
    match signer {
        Some(signer) => b = b.signer(signer),
        None => {
            if let Some(key) = s.file("private_key")? {
                b = b.private_key(key);
            }
        }
    }
    match (s.get("public_key_id"), s.file("public_key")?) {
        (Some(id), Some(pem)) => b = b.public_key(id, pem),
        _ => {
            return Err(Error::Config {
                field: "public_key_id",
                reason: "a brand verifies answers with the WeChat Pay public key only: set \
                         public_key_id (WECHATPAY_BRAND_PUBLIC_KEY_ID) and public_key \
                         (WECHATPAY_BRAND_PUBLIC_KEY)"
                    .into(),
            })
        }
    }
    if let Some(key) = s.secret("brand_api_key", "brand_api_key_file")? {
        b = b.brand_api_key(key);
    }
    if let Some(uri) = s.get("base_uri") {
        b = b.base_uri(uri);
    }
    if let Some(ca) = s.file("ca")? {
        b = b.add_root_certificate(ca);
    }
    b.build().map_err(|e| match e {
        Error::Config { field, reason } if s.get(field).is_some() => Error::Config {
            field,
            reason: format!("{reason} (from {})", s.source(field)),
        },
        other => other,
    })
}
