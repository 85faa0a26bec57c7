//! Which proxy a request goes through: the environment's by default, one set on the builder, or
//! none; never for loopback, where the emulator and tests live.

use crate::error::{Error, Result};
use crate::policy::hosts::redact_userinfo;
use url::Url;

/// The proxy policy of a client.
#[derive(Clone, Default)]
pub(crate) enum ProxySetting {
    /// `HTTPS_PROXY`/`HTTP_PROXY`/`ALL_PROXY` (and lowercase), with `NO_PROXY`, read at build.
    #[default]
    Environment,
    /// Every non-loopback request through this proxy.
    Fixed(String),
    /// Direct connections only.
    Off,
}

/// The proxy's URL without its credentials.
impl std::fmt::Debug for ProxySetting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ProxySetting::Environment => f.write_str("Environment"),
            ProxySetting::Fixed(text) => f
                .debug_tuple("Fixed")
                .field(&redact_userinfo(text))
                .finish(),
            ProxySetting::Off => f.write_str("Off"),
        }
    }
}

fn env_var(names: &[&str]) -> Option<String> {
    names
        .iter()
        .find_map(|n| std::env::var(n).ok().filter(|v| !v.trim().is_empty()))
}

fn parse(field: &'static str, text: &str) -> Result<Url> {
    // A proxy URL may carry credentials (`http://user:password@proxy:3128`): never quoted.
    let url = Url::parse(text).map_err(|e| {
        Error::config(
            field,
            format!("`{}` is not a proxy URL ({e})", redact_userinfo(text)),
        )
    })?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(Error::config(
            field,
            format!(
                "`{}` must be an http:// or https:// proxy URL with a host",
                url.scheme()
            ),
        ));
    }
    Ok(url)
}

/// Applies the policy to a reqwest builder.
pub(crate) fn apply(
    b: reqwest::ClientBuilder,
    setting: &ProxySetting,
) -> Result<reqwest::ClientBuilder> {
    // reqwest's own environment proxy would also catch loopback: always start from none.
    let b = b.no_proxy();
    let (https, http, no_proxy) = match setting {
        ProxySetting::Off => return Ok(b),
        ProxySetting::Fixed(text) => {
            let url = parse("proxy", text)?;
            (Some(url.clone()), Some(url), None)
        }
        ProxySetting::Environment => {
            let https = env_var(&["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"]);
            let http = env_var(&["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"]);
            if https.is_none() && http.is_none() {
                return Ok(b);
            }
            let parse_env = |v: Option<String>| v.map(|t| parse("HTTPS_PROXY", &t)).transpose();
            (
                parse_env(https)?,
                parse_env(http)?,
                reqwest::NoProxy::from_env(),
            )
        }
    };
    let proxy = reqwest::Proxy::custom(move |url: &Url| {
        if crate::policy::hosts::is_loopback(url) {
            return None;
        }
        match url.scheme() {
            "https" => https.clone(),
            _ => http.clone(),
        }
    })
    .no_proxy(no_proxy);
    Ok(b.proxy(proxy))
}
