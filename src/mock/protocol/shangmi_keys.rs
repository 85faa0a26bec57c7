//! 国密 mode's SM2 keys (features `mock` and `shangmi`), apart from `shangmi.rs` so that the
//! emulator's `Keys` can hold them without importing the scheme's checks.

use crate::crypto::sm::{Sm2Certificate, Sm2PrivateKey};
use crate::error::Result;
use crate::util::unix_now;
use std::collections::HashMap;

/// A 20-byte serial in WeChat Pay's form (40 uppercase hex digits, positive).
fn random_serial() -> String {
    let mut bytes = [0u8; 20];
    if getrandom::getrandom(&mut bytes).is_err() {
        bytes = [0x5a; 20];
    }
    bytes[0] = 0x10 + bytes[0] % 0x70;
    hex::encode_upper(bytes)
}

/// A merchant's 国密 API credentials.
#[derive(Clone)]
pub(crate) struct ShangmiMerchant {
    /// The serial of its SM2 API certificate.
    pub serial: String,
    pub key: Sm2PrivateKey,
}

/// The SM2 keys of 国密 mode.
pub(crate) struct ShangmiKeys {
    pub platform_key: Sm2PrivateKey,
    pub platform_cert: Sm2Certificate,
    pub merchants: HashMap<String, ShangmiMerchant>,
}

impl ShangmiKeys {
    /// Fresh keys for these merchants, the platform certificate valid a year either side of now.
    pub(crate) fn generate<'a>(mchids: impl IntoIterator<Item = &'a str>) -> Result<Self> {
        let platform_key = Sm2PrivateKey::generate()?;
        let now = unix_now();
        let platform_cert = Sm2Certificate::self_signed(
            &platform_key,
            &random_serial(),
            "Tenpay.com sign",
            now - 365 * 86_400,
            now + 365 * 86_400,
        )?;
        let mut merchants = HashMap::new();
        for mchid in mchids {
            let merchant = ShangmiMerchant {
                serial: random_serial(),
                key: Sm2PrivateKey::generate()?,
            };
            merchants.insert(mchid.to_string(), merchant);
        }
        Ok(ShangmiKeys {
            platform_key,
            platform_cert,
            merchants,
        })
    }
}
