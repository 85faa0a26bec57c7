//! Who a client signs as: a merchant (`mchid`) or a brand (`brand_id`), and the settings each
//! one takes. The scheme, the id and the keys are decided together here, so that a third
//! identity is one more branch.

use super::checks::{check_mchid, check_token};
use super::{ClientBuilder, VerifierSource};
use crate::error::{Error, Result};
use crate::protocol::v3::Scheme;
use zeroize::Zeroizing;

impl ClientBuilder {
    /// Brand id (`brand_id`, 品牌ID from 品牌经营平台) instead of [`mchid`](Self::mchid): the
    /// client signs as a brand (`WECHATPAY-BRAND-SHA256-RSA2048 brand_id="…"`) and calls the
    /// `brand/…` paths only.
    ///
    /// A brand client takes [`serial`](Self::serial) and [`private_key`](Self::private_key) (or
    /// [`signer`](Self::signer)) for its **brand** API certificate, the WeChat Pay public key
    /// ([`public_key`](Self::public_key), its id goes in `Wechatpay-Serial` on every call) and
    /// [`brand_api_key`](Self::brand_api_key) for callbacks. WeChat Pay verifies brands with the
    /// public key only, so a platform certificate, the APIv3 key, the APIv2 secret and the
    /// mutual-TLS identity are refused by [`build`](Self::build).
    ///
    /// ```
    /// # fn keys() -> (Vec<u8>, Vec<u8>) { (Vec::new(), Vec::new()) }
    /// let (brand_key_pem, wechatpay_public_key_pem) = keys();
    /// let built = wechatpay::Client::builder()
    ///     .brand_id("1001")
    ///     .serial("3493DE0D9BB4EB98A8C65EAA7E8EE887EC24B71A")
    ///     .private_key(brand_key_pem)
    ///     .public_key("PUB_KEY_ID_0110010000012024000000000000", wechatpay_public_key_pem)
    ///     .brand_api_key("0123456789abcdefABCDEF0123456789")
    ///     .build();
    /// // empty keys: the error names the setting
    /// assert!(built.unwrap_err().to_string().contains("private_key"));
    /// // a brand client refuses `v3/` calls before sending (a merchant client `brand/` ones)
    /// ```
    pub fn brand_id(mut self, brand_id: impl Into<String>) -> Self {
        self.brand_id = Some(brand_id.into());
        self
    }

    /// Brand API key (品牌API密钥, 32 letters and digits): decrypts a brand's callbacks, as the
    /// APIv3 key does a merchant's. For clients built with [`brand_id`](Self::brand_id).
    pub fn brand_api_key(mut self, key: impl AsRef<[u8]>) -> Self {
        self.brand_api_key = Some(Zeroizing::new(key.as_ref().to_vec()));
        self
    }
}

/// The scheme and id the client signs with, after the settings that belong to it are checked;
/// a brand's API key moves to the notification key slot.
pub(super) fn who(b: &mut ClientBuilder) -> Result<(&'static Scheme, String)> {
    let Some(brand_id) = b.brand_id.take() else {
        if b.brand_api_key.is_some() {
            return Err(Error::config(
                "brand_api_key",
                "is for a brand client (brand_id); a merchant decrypts callbacks with apiv3_key",
            ));
        }
        let mchid = b.mchid.take().ok_or_else(|| {
            Error::config(
                "mchid",
                "is required (the merchant id, e.g. 1900000001), or brand_id for a brand",
            )
        })?;
        check_token("mchid", &mchid)?;
        check_mchid(&mchid)?;
        return Ok((&Scheme::MERCHANT, mchid));
    };
    check_token("brand_id", &brand_id)?;
    let refuse = |field: &'static str, why: &str| {
        Err(Error::config(
            field,
            format!("is not for a brand client (brand_id): {why}"),
        ))
    };
    if b.mchid.is_some() {
        return refuse(
            "mchid",
            "a client signs as one merchant or one brand; build one client for each",
        );
    }
    if b.apiv2_secret.is_some() {
        return refuse("apiv2_secret", "brands have no APIv2");
    }
    if b.apiv3_key.is_some() {
        return refuse(
            "apiv3_key",
            "a brand decrypts callbacks with its brand API key: set brand_api_key",
        );
    }
    if b.identity.is_some() {
        return refuse(
            "merchant_identity",
            "mutual TLS is for a merchant's APIv2 calls",
        );
    }
    if b.verifiers
        .iter()
        .any(|v| matches!(v, VerifierSource::Certificate(_)))
    {
        return refuse(
            "platform_certificate",
            "brand answers are verified with the WeChat Pay public key only (public_key)",
        );
    }
    if b.serial.is_none() {
        return Err(Error::config(
            "serial",
            "is required for a brand: the serial of the brand API certificate (品牌API证书序列号)",
        ));
    }
    if b.key.is_none() {
        return Err(Error::config(
            "private_key",
            "is required for a brand: the brand API certificate's private key (apiclient_key.pem)",
        ));
    }
    if b.verifiers.is_empty() {
        return Err(Error::config(
            "public_key",
            "is required for a brand: brand answers are verified with the WeChat Pay public key \
             (PUB_KEY_ID_…), whose id goes in Wechatpay-Serial on every call",
        ));
    }
    if let Some(key) = b.brand_api_key.take() {
        if key.len() != 32 || !key.iter().all(u8::is_ascii_alphanumeric) {
            return Err(Error::config(
                "brand_api_key",
                format!(
                    "must be the 32-character brand API key (letters and digits); got {} bytes{}",
                    key.len(),
                    if key.iter().all(u8::is_ascii_alphanumeric) {
                        ""
                    } else {
                        " with other characters: trim it (read from a file or a shell?)"
                    }
                ),
            ));
        }
        b.apiv3_key = Some(key);
    }
    Ok((&Scheme::BRAND, brand_id))
}
