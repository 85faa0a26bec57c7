//! The emulator's keys: the merchants it knows (with every credential of theirs), WeChat Pay's
//! two keys (the WeChat Pay public key under its `PUB_KEY_ID_…`, the platform certificate's key
//! under its serial: two key pairs, as at WeChat Pay), and the key mode that says which of them
//! exist and which signs an answer. The brand identity and SM2 keys will join here.

use crate::crypto::{PrivateKey, PublicKey};
use crate::error::{Error, Result};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU8, Ordering};
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

/// Which WeChat Pay keys the merchant has, and so which one signs the emulator's answers.
///
/// ```
/// use wechatpay::mock::Mode;
/// assert_eq!("both".parse::<Mode>()?, Mode::Both);
/// assert_eq!(Mode::Certificate.to_string(), "certificate");
/// # Ok::<(), wechatpay::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Mode {
    /// A WeChat Pay public key only, `Wechatpay-Serial: PUB_KEY_ID_…` (every merchant since
    /// 2024); `GET /v3/certificates` finds no platform certificate.
    #[default]
    PublicKey,
    /// A platform certificate only, downloadable from `GET /v3/certificates`.
    Certificate,
    /// The switch from the certificate to the public key: both are valid, and an answer is
    /// signed with the key its request names in `Wechatpay-Serial` (the certificate when it
    /// names none); notifications are signed with the public key.
    Both,
}

impl Mode {
    /// The mode's name as `wechatpay mock --mode` and the admin API write it.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::PublicKey => "public-key",
            Mode::Certificate => "certificate",
            Mode::Both => "both",
        }
    }

    /// Whether the merchant has the WeChat Pay public key in this mode.
    pub fn has_public_key(self) -> bool {
        self != Mode::Certificate
    }

    /// Whether the merchant has the platform certificate in this mode.
    pub fn has_certificate(self) -> bool {
        self != Mode::PublicKey
    }

    fn from_u8(n: u8) -> Mode {
        match n {
            1 => Mode::Certificate,
            2 => Mode::Both,
            _ => Mode::PublicKey,
        }
    }

    fn to_u8(self) -> u8 {
        match self {
            Mode::PublicKey => 0,
            Mode::Certificate => 1,
            Mode::Both => 2,
        }
    }
}

impl std::fmt::Display for Mode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Mode {
    type Err = Error;

    /// `public-key`, `certificate` or `both` (also `public_key`, `PublicKey`, any case).
    fn from_str(s: &str) -> Result<Mode> {
        let key: String = s
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        match key.as_str() {
            "publickey" => Ok(Mode::PublicKey),
            "certificate" => Ok(Mode::Certificate),
            "both" => Ok(Mode::Both),
            _ => Err(Error::argument(
                "mode",
                format!("`{s}` is no key mode: expected public-key, certificate or both"),
            )),
        }
    }
}

/// The mode, switchable while the emulator runs (the admin API's `PUT /__emulator/mode`).
#[derive(Debug, Default)]
pub(crate) struct ModeCell(AtomicU8);

impl ModeCell {
    pub fn new(mode: Mode) -> ModeCell {
        ModeCell(AtomicU8::new(mode.to_u8()))
    }

    pub fn get(&self) -> Mode {
        Mode::from_u8(self.0.load(Ordering::Relaxed))
    }

    pub fn set(&self, mode: Mode) {
        self.0.store(mode.to_u8(), Ordering::Relaxed);
    }
}

/// One of WeChat Pay's keys: the private half the emulator signs (and decrypts) with, and the
/// id answers carry in `Wechatpay-Serial`.
pub(crate) struct Signing<'a> {
    pub key: &'a PrivateKey,
    pub serial: &'a str,
    /// A platform certificate (a hex serial), not the public key (`PUB_KEY_ID_…`).
    pub certificate: bool,
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
    /// The private half of the WeChat Pay public key.
    pub platform_key: PrivateKey,
    pub public_key_id: String,
    /// The private key of the platform certificate (another key pair, as at WeChat Pay).
    pub certificate_key: PrivateKey,
    pub platform_serial: String,
    pub platform_cert_pem: String,
    pub mode: ModeCell,
    /// `(mchid, nonce_str)` → when it was seen (unix seconds).
    pub nonces: Mutex<HashMap<(String, String), i64>>,
    /// 国密 mode's SM2 keys (`ServerBuilder::shangmi`), in `shangmi.rs`.
    #[cfg(feature = "shangmi")]
    pub shangmi: Option<super::shangmi_keys::ShangmiKeys>,
}

impl Keys {
    /// The WeChat Pay public key (what brands are answered with in every mode).
    pub fn public(&self) -> Signing<'_> {
        Signing {
            key: &self.platform_key,
            serial: &self.public_key_id,
            certificate: false,
        }
    }

    fn certificate(&self) -> Signing<'_> {
        Signing {
            key: &self.certificate_key,
            serial: &self.platform_serial,
            certificate: true,
        }
    }

    /// The key a request's `Wechatpay-Serial` names, if the merchant has it in this mode.
    pub fn named(&self, serial: &str) -> Option<Signing<'_>> {
        let mode = self.mode.get();
        if mode.has_public_key() && serial == self.public_key_id {
            Some(self.public())
        } else if mode.has_certificate() && serial == self.platform_serial {
            Some(self.certificate())
        } else {
            None
        }
    }

    /// The key that signs the answer to a request naming `serial` (or none): the named key
    /// when the merchant has it, else the mode's own (the certificate in `Both`: SDKs written
    /// before public keys name none, and WeChat Pay's switch counts only the requests naming
    /// the public key towards answering with it).
    pub fn answer_key(&self, serial: Option<&str>) -> Signing<'_> {
        if let Some(named) = serial.and_then(|s| self.named(s)) {
            return named;
        }
        match self.mode.get() {
            Mode::PublicKey => self.public(),
            Mode::Certificate | Mode::Both => self.certificate(),
        }
    }

    /// The key that signs notifications (and fast mode's answer): the public key whenever the
    /// merchant has it.
    pub fn notification_key(&self) -> Signing<'_> {
        match self.mode.get() {
            Mode::Certificate => self.certificate(),
            Mode::PublicKey | Mode::Both => self.public(),
        }
    }

    /// The key a sensitive field was encrypted for: the one its `Wechatpay-Serial` names (the
    /// request checks refused a key the merchant lacks; brands name the public key in every
    /// mode), else the public key whenever the merchant has it (APIv2 names none; the SDKs
    /// holding both keys encrypt with the public key, as wechatpay-java's combined config and
    /// our client do).
    pub fn decryption_key(&self, serial: Option<&str>) -> &PrivateKey {
        match serial {
            Some(s) if s == self.public_key_id => &self.platform_key,
            Some(s) if s == self.platform_serial => &self.certificate_key,
            _ => self.notification_key().key,
        }
    }
}

/// A random 20-byte certificate serial in WeChat's form (uppercase hex, first byte 0x10..0x7F so
/// it is positive and keeps its 40 digits).
pub(crate) fn random_serial() -> String {
    let mut bytes = [0u8; 20];
    getrandom::getrandom(&mut bytes).expect("the operating system's random source failed");
    bytes[0] = 0x10 + bytes[0] % 0x70;
    hex::encode_upper(bytes)
}
