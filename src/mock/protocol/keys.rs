//! The emulator's keys: the merchants it knows (with every credential of theirs), WeChat Pay's
//! platform key under its two names (a `PUB_KEY_ID_…` and a platform certificate's serial), and
//! the key mode that says which name its answers carry. The brand identity and SM2 keys will
//! join here.

use crate::crypto::{PrivateKey, PublicKey};
use crate::error::{Error, Result};
use std::collections::HashMap;
use std::sync::Mutex;
use zeroize::Zeroizing;

/// A merchant the emulator knows, with every credential the client needs. `Debug` shows the
/// mchid and serial only, never the key or the secrets.
///
/// ```
/// let m = wechatpay::mock::Merchant::generate("1900000001")?;
/// assert_eq!((m.serial.len(), m.apiv3_key.len()), (40, 32));
/// assert!(!format!("{m:?}").contains(m.apiv2_secret.as_str()));
/// # Ok::<(), wechatpay::Error>(())
/// ```
#[derive(Clone)]
pub struct Merchant {
    /// Merchant id.
    pub mchid: String,
    /// Merchant API certificate serial (`serial_no` of APIv3 signatures).
    pub serial: String,
    /// Merchant API private key, PKCS#8 PEM.
    pub private_key_pem: Zeroizing<String>,
    /// APIv2 secret.
    pub apiv2_secret: Zeroizing<String>,
    /// APIv3 key (32 bytes).
    pub apiv3_key: Zeroizing<String>,
}

impl std::fmt::Debug for Merchant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Merchant")
            .field("mchid", &self.mchid)
            .field("serial", &self.serial)
            .finish_non_exhaustive()
    }
}

impl Merchant {
    /// A merchant with a fresh RSA-2048 key, a random 40-hex-digit serial, a 32-character
    /// APIv2 secret and a 32-byte APIv3 key.
    pub fn generate(mchid: &str) -> Result<Merchant> {
        Ok(Merchant {
            mchid: mchid.to_string(),
            serial: random_serial(),
            private_key_pem: generate_rsa_pem()?,
            apiv2_secret: Zeroizing::new(crate::util::nonce(32)),
            apiv3_key: Zeroizing::new(crate::util::nonce(32)),
        })
    }
}

pub(crate) fn generate_rsa_pem() -> Result<Zeroizing<String>> {
    let pair = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048)
        .map_err(|e| Error::Crypto(format!("RSA key generation: {e}")))?;
    let der = aws_lc_rs::encoding::AsDer::<aws_lc_rs::encoding::Pkcs8V1Der>::as_der(&pair)
        .map_err(|e| Error::Crypto(format!("RSA key encoding: {e}")))?;
    Ok(PrivateKey::from_der(der.as_ref())?.to_pkcs8_pem())
}

/// Which WeChat Pay key signs the emulator's answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// A WeChat Pay public key, `Wechatpay-Serial: PUB_KEY_ID_…` (the default since 2024).
    #[default]
    PublicKey,
    /// A platform certificate, downloadable from `GET /v3/certificates`.
    Certificate,
}

/// A merchant as the checks need it: its credentials and what was derived from them at start.
pub(crate) struct MerchantEntry {
    pub merchant: Merchant,
    pub public_key: PublicKey,
    pub cert_pem: String,
    /// The exact certificate a security (mutual TLS) call must present.
    pub cert_der: Vec<u8>,
}

/// Every key the emulator checks with or signs with, and the replay window of the APIv3
/// signatures (the nonces belong to the signature scheme, not to any flow).
pub(crate) struct Keys {
    pub merchants: HashMap<String, MerchantEntry>,
    pub platform_key: PrivateKey,
    pub public_key_id: String,
    pub platform_serial: String,
    pub platform_cert_pem: String,
    pub mode: Mode,
    /// `(mchid, nonce_str)` → when it was seen (unix seconds).
    pub nonces: Mutex<HashMap<(String, String), i64>>,
    /// 国密 mode's SM2 keys (`ServerBuilder::shangmi`), in `shangmi.rs`.
    #[cfg(feature = "shangmi")]
    pub shangmi: Option<super::shangmi_keys::ShangmiKeys>,
}

/// A random 20-byte certificate serial in WeChat's form (uppercase hex, first byte 0x10..0x7F so
/// it is positive and keeps its 40 digits).
pub(crate) fn random_serial() -> String {
    let mut bytes = [0u8; 20];
    getrandom::getrandom(&mut bytes).expect("the operating system's random source failed");
    bytes[0] = 0x10 + bytes[0] % 0x70;
    hex::encode_upper(bytes)
}
