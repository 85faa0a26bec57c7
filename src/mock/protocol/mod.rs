//! Layer 1 of the emulator, the protocols: how WeChat Pay checks a request's signature and signs
//! its answers and notifications, per scheme, and the keys it does so with.
//!
//! - `keys.rs`: the merchants and their credentials, WeChat Pay's two key pairs (the public key,
//!   the platform certificate's), the key mode (public key, certificate or both) and which key
//!   signs an answer, a notification, or opens a sensitive field; the APIv3 replay window.
//! - `v3.rs`: APIv3 `WECHATPAY2-SHA256-RSA2048`: the request checks, the `Wechatpay-*` answer
//!   signature, the platform certificate download.
//! - `v2.rs`: APIv2 MD5/HMAC-SHA256 `sign`: the request checks, the signed XML answers.
//! - `brand.rs`: the brand API `WECHATPAY-BRAND-SHA256-RSA2048`: the brands and their
//!   credentials, the request checks (pairs in any order), answers under the public key id,
//!   notifications sealed with the brand API key.
//! - `notification.rs`: the APIv3 notification envelope (sealed resource, signed like an answer);
//!   `sealed.rs`: every documented notification's form (APIv3, APIv2 plain, `req_info`,
//!   `event_ciphertext`).
//! - `call.rs`: what the checks hand up (the verified [`call::Call`]) and the answer every layer
//!   hands back ([`call::Outcome`]); `faults.rs`: the faults that break answers on purpose;
//!   `multipart.rs`: upload bodies; `wire.rs`: `Request-ID` and `Content-Type` as WeChat Pay
//!   writes them.
//!
//! It may use the crate's own protocol code (`crate::v3`, `crate::v2`, `crate::crypto`) and the
//! catalogue's types, nothing else of the emulator. The brand scheme
//! (`WECHATPAY-BRAND-SHA256-RSA2048`, `brand.rs`) and 国密 (`WECHATPAY2-SM2-WITH-SM3`,
//! `shangmi.rs`, feature `shangmi`) sit beside `v3.rs`.

pub(crate) mod brand;
pub(crate) mod call;
pub(crate) mod faults;
pub(crate) mod keys;
pub(crate) mod multipart;
pub(crate) mod notification;
pub(crate) mod sealed;
pub(crate) mod sensitive;
#[cfg(feature = "shangmi")]
pub(crate) mod shangmi;
#[cfg(feature = "shangmi")]
pub(crate) mod shangmi_keys;
pub(crate) mod v2;
pub(crate) mod v3;
pub(crate) mod wire;

/// 国密 mode's signed headers over `body` (SM2, typed `WECHATPAY2-SM2-WITH-SM3`); `None` when
/// the emulator is not in 国密 mode (or the feature is off), and the RSA headers apply.
pub(crate) fn shangmi_headers(
    keys: &keys::Keys,
    body: &[u8],
    faults: &std::collections::HashSet<faults::Fault>,
) -> Option<http::HeaderMap> {
    #[cfg(feature = "shangmi")]
    if let Some(sm) = &keys.shangmi {
        return shangmi::signed_headers(sm, body, faults).ok();
    }
    let _ = (keys, body, faults);
    None
}

/// A resource sealer `(key, nonce, associated data, plaintext) → base64`.
pub(crate) type Seal = fn(&[u8], &[u8], &[u8], &[u8]) -> crate::error::Result<String>;

/// The algorithm and sealer of an APIv3 notification's resource: AEAD_SM4_GCM in 国密 mode (its
/// key derived from the same APIv3 key), AEAD_AES_256_GCM otherwise.
pub(crate) fn resource_cipher(keys: &keys::Keys) -> (&'static str, Seal) {
    #[cfg(feature = "shangmi")]
    if keys.shangmi.is_some() {
        return ("AEAD_SM4_GCM", shangmi::seal);
    }
    let _ = keys;
    ("AEAD_AES_256_GCM", crate::crypto::aes::aes_256_gcm_encrypt)
}
