//! The 国密 profile keys (`shangmi_private_key`, `shangmi_platform_certificate`): read into the
//! client builder by a build with the feature `shangmi`, named as a missing feature otherwise.

#[cfg(not(feature = "shangmi"))]
use crate::config::config_error;
use crate::config::Settings;
use wechatpay::Error;

impl Settings {
    /// A 国密 profile: `shangmi_private_key` (with `serial`, the 国密 certificate's) and
    /// `shangmi_platform_certificate`. A build without the feature `shangmi` says so.
    pub(crate) fn shangmi(
        &self,
        b: wechatpay::ClientBuilder,
    ) -> Result<wechatpay::ClientBuilder, Error> {
        let key = self.file("shangmi_private_key")?;
        let cert = self.file("shangmi_platform_certificate")?;
        #[cfg(feature = "shangmi")]
        {
            let mut b = b;
            if let Some(key) = key {
                b = b.shangmi_private_key(key);
            }
            if let Some(cert) = cert {
                b = b.shangmi_platform_certificate(cert);
            }
            Ok(b)
        }
        #[cfg(not(feature = "shangmi"))]
        match key.or(cert) {
            None => Ok(b),
            Some(_) => Err(config_error(
                "shangmi_private_key",
                "a 国密 profile needs a wechatpay built with the feature `shangmi` \
                 (cargo install wechatpay-chain --features cli,shangmi)"
                    .into(),
            )),
        }
    }
}
