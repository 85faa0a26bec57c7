//! 国密 (feature `shangmi`): a merchant that signs `WECHATPAY2-SM2-WITH-SM3` with its SM2 API key
//! and verifies WeChat Pay with its SM2 platform certificate or public key. The settings are read
//! here and become the same signer and keyring entries an RSA client has, plus the SM2 keys for
//! sensitive fields.

use super::checks::check_token;
use super::{ClientBuilder, KeySource, VerifierSource};
use crate::error::{Error, Result};
use crate::keys::crypto::sm::{Sm2Certificate, Sm2PrivateKey, Sm2PublicKey};
use crate::protocol::identity::ShangmiKeys;
use crate::protocol::v3::Scheme;
use std::sync::Arc;
use zeroize::Zeroizing;

/// What the 国密 setters were given, read by `build()`.
#[derive(Default)]
pub(super) struct Sources {
    key: Option<Zeroizing<Vec<u8>>>,
    certificates: Vec<Vec<u8>>,
    public_keys: Vec<(String, Vec<u8>)>,
}

impl ClientBuilder {
    /// 国密: the merchant's SM2 API private key (PKCS#8 or SEC1, PEM or DER). The client then
    /// signs `WECHATPAY2-SM2-WITH-SM3 mchid="…",…` (SM2 with SM3, user id `1234567812345678`),
    /// verifies answers and notifications typed `WECHATPAY2-SM2-WITH-SM3` with WeChat Pay's SM2
    /// certificate ([`shangmi_platform_certificate`](Self::shangmi_platform_certificate)) or key
    /// ([`shangmi_public_key`](Self::shangmi_public_key)), encrypts and decrypts sensitive fields
    /// with SM2 ([`Client::encrypt`](crate::Client::encrypt), [`decrypt`](crate::Client::decrypt))
    /// and opens AEAD_SM4_GCM callbacks with the APIv3 key. [`serial`](Self::serial) is the serial
    /// of the merchant's 国密 API certificate; [`private_key`](Self::private_key) (RSA) is refused
    /// beside it.
    ///
    /// ```
    /// use wechatpay::crypto::sm::{Sm2Certificate, Sm2PrivateKey};
    /// let merchant = Sm2PrivateKey::generate()?;
    /// let platform = Sm2Certificate::self_signed(&Sm2PrivateKey::generate()?, "7132D72A03E93CDDF8C03BBD1F37EEDF",
    ///     "Tenpay.com sign", 1_700_000_000, 4_000_000_000)?;
    /// let client = wechatpay::Client::builder()
    ///     .mchid("1900000001")
    ///     .serial("54E7F59ED8DF4570CFB14780EA8152D45A675EE6")
    ///     .shangmi_private_key(merchant.to_pkcs8_pem()?)
    ///     .shangmi_platform_certificate(platform.to_pem())
    ///     .apiv3_key("0123456789abcdef0123456789abcdef")
    ///     .build()?;
    /// assert_eq!(client.scheme().name, "WECHATPAY2-SM2-WITH-SM3");
    /// # Ok::<(), wechatpay::Error>(())
    /// ```
    pub fn shangmi_private_key(mut self, key: impl AsRef<[u8]>) -> Self {
        self.shangmi.key = Some(Zeroizing::new(key.as_ref().to_vec()));
        self
    }

    /// 国密: a WeChat Pay SM2 platform certificate (`v3/certificates?algorithm_type=SM2`);
    /// repeatable.
    pub fn shangmi_platform_certificate(mut self, pem: impl AsRef<[u8]>) -> Self {
        self.shangmi.certificates.push(pem.as_ref().to_vec());
        self
    }

    /// 国密: a WeChat Pay SM2 public key (SPKI PEM) by its id; repeatable.
    pub fn shangmi_public_key(mut self, id: impl Into<String>, pem: impl AsRef<[u8]>) -> Self {
        self.shangmi
            .public_keys
            .push((id.into(), pem.as_ref().to_vec()));
        self
    }
}

/// With a 国密 key set: the SHANGMI scheme, the SM2 signer in the key slot and WeChat Pay's SM2
/// keys in the keyring. Without: the scheme unchanged, and no stray 国密 settings.
pub(super) fn apply(
    b: &mut ClientBuilder,
    scheme: &'static Scheme,
) -> Result<(&'static Scheme, Option<ShangmiKeys>)> {
    let sources = std::mem::take(&mut b.shangmi);
    let Some(pem) = sources.key else {
        if !sources.certificates.is_empty() || !sources.public_keys.is_empty() {
            return Err(Error::config(
                "shangmi_private_key",
                "is required with WeChat Pay's SM2 certificate or key: the merchant's SM2 API key \
                 (a 国密 client signs WECHATPAY2-SM2-WITH-SM3)",
            ));
        }
        return Ok((scheme, None));
    };
    if scheme != &Scheme::MERCHANT {
        return Err(Error::config(
            "shangmi_private_key",
            format!(
                "国密 is for merchants (mchid); this client signs as a {}",
                scheme.signer
            ),
        ));
    }
    if b.key.is_some() {
        return Err(Error::config(
            "private_key",
            "is an RSA key and this client signs 国密 (shangmi_private_key): one client signs with \
             one scheme; build another client for RSA",
        ));
    }
    let key = Sm2PrivateKey::load(&*pem)
        .map_err(|e| Error::config("shangmi_private_key", e.to_string()))?;
    let now = crate::util::unix_now();
    let mut wechatpay = Vec::new();
    for pem in sources.certificates {
        let cert = Sm2Certificate::from_pem(&pem)
            .map_err(|e| Error::config("shangmi_platform_certificate", e.to_string()))?;
        if !(cert.not_before()..=cert.not_after()).contains(&now) {
            return Err(Error::config(
                "shangmi_platform_certificate",
                format!(
                    "certificate {} is valid from {} to {}, not now ({}): download the current one \
                     (v3/certificates?algorithm_type=SM2)",
                    cert.serial_no(),
                    crate::keys::keyring::utc(cert.not_before()),
                    crate::keys::keyring::utc(cert.not_after()),
                    crate::keys::keyring::utc(now)
                ),
            ));
        }
        if cert.public_key() == &key.public_key() {
            return Err(Error::config(
                "shangmi_platform_certificate",
                format!(
                    "certificate {} certifies your own SM2 key: that is your merchant API certificate, \
                     not WeChat Pay's",
                    cert.serial_no()
                ),
            ));
        }
        wechatpay.push((
            cert.serial_no().to_string(),
            cert.public_key().clone(),
            Some(cert.not_after()),
        ));
    }
    for (id, pem) in sources.public_keys {
        check_token("shangmi_public_key", &id)?;
        let public = Sm2PublicKey::load(&pem)
            .map_err(|e| Error::config("shangmi_public_key", format!("`{id}`: {e}")))?;
        wechatpay.push((id, public, None));
    }
    if wechatpay.is_empty() {
        return Err(Error::config(
            "shangmi_platform_certificate",
            "is required with shangmi_private_key: WeChat Pay's SM2 platform certificate (or \
             shangmi_public_key), which verifies its answers",
        ));
    }
    // The key that lasts longest encrypts; a public key (no end) first.
    wechatpay.sort_by_key(|(_, _, end)| std::cmp::Reverse(end.unwrap_or(i64::MAX)));
    for (id, public, _) in &wechatpay {
        b.verifiers
            .push(VerifierSource::Custom(id.clone(), Arc::new(public.clone())));
    }
    b.key = Some(KeySource::Signer(Arc::new(key.clone())));
    Ok((&Scheme::SHANGMI, Some(ShangmiKeys { key, wechatpay })))
}
