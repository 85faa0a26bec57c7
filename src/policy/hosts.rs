//! Which hosts and schemes a client may reach, and how base URIs are normalised.

use crate::error::{Error, Result};
use std::borrow::Cow;
use url::{Host, Url};

/// True for hosts that never leave the machine, where plain `http` is allowed.
pub(crate) fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        // Not `localhost.`: the hosts file does not match it, so DNS would answer for it.
        Some(Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// Parses and normalises a base URI: absolute `https` (or `http` on loopback), no user info,
/// query or fragment, and a path that ends with `/` so that joining never drops its last segment.
///
/// Every error quotes the text with its user info cut out ([`redact_userinfo`]).
pub(crate) fn parse_base_uri(field: &str, text: &str) -> Result<Url> {
    let bad = |why: String| Error::argument(field, why);
    let shown = redact_userinfo(text);
    let mut url = Url::parse(text).map_err(|e| {
        bad(format!(
            "`{shown}` is not an absolute URL ({e}), e.g. https://api.mch.weixin.qq.com/"
        ))
    })?;
    if url.host().is_none() {
        return Err(bad(format!("`{shown}` has no host")));
    }
    check_scheme(field, &url)?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad(format!(
            "`{shown}` carries user info: credentials never go in a URL"
        )));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(bad(format!(
            "`{shown}` has a query or fragment: a base URI is a scheme, host, port and path"
        )));
    }
    if !url.path().ends_with('/') {
        // `…/hk` would otherwise lose `hk` when a path is joined to it.
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}

/// `text` with any user info (`user:password@`) replaced by `***@`, for errors and `Debug`.
///
/// The URL parser cannot be trusted to find the password in a URI it refuses (`http://u:p@h:port`,
/// a space, a `/` or `#` in the password), so this reads the text itself: everything between
/// the scheme's `//` (or the start, when there is none) and the last `@` goes. A path holding `@`
/// is cut too, which costs only detail in a message.
pub fn redact_userinfo(text: &str) -> Cow<'_, str> {
    let start = match text.find("//") {
        Some(i) => i + 2,
        None => 0,
    };
    match text[start..].rfind('@') {
        None => Cow::Borrowed(text),
        Some(at) => Cow::Owned(format!("{}***{}", &text[..start], &text[start + at..])),
    }
}

/// `https` anywhere, `http` only on loopback.
pub(crate) fn check_scheme(field: &str, url: &Url) -> Result<()> {
    match url.scheme() {
        "https" => Ok(()),
        "http" if is_loopback(url) => Ok(()),
        "http" => Err(Error::argument(
            field,
            format!(
                "`http://{}` would send signed requests in clear text: use https (plain http is allowed only on loopback)",
                url.host_str().unwrap_or("")
            ),
        )),
        other => Err(Error::argument(
            field,
            format!("the scheme `{other}:` is not https: WeChat Pay is reached over https only"),
        )),
    }
}

/// WeChat Pay's documented API hosts, which a per-call `base_uri` may name without
/// `allow_host` (`apihk` for Hong Kong, `fraud` for `risk/getpublickey`, `payapp` for facepay).
pub(crate) const WECHATPAY_HOSTS: &[&str] = &[
    "api.mch.weixin.qq.com",
    "api2.mch.weixin.qq.com",
    "apihk.mch.weixin.qq.com",
    "apius.mch.weixin.qq.com",
    "fraud.mch.weixin.qq.com",
    "payapp.weixin.qq.com",
];

/// Where a client may send: the origins (scheme, host and port) of its base and failover URIs,
/// under the base path, and the hosts allowed by name.
#[derive(Debug, Clone)]
pub(crate) struct AllowedHosts {
    origins: Vec<url::Origin>,
    base_path: String,
    hosts: Vec<String>,
}

impl AllowedHosts {
    pub(crate) fn new(base: &Url, failover: Option<&Url>, extra: &[String]) -> AllowedHosts {
        AllowedHosts {
            origins: std::iter::once(base)
                .chain(failover)
                .map(Url::origin)
                .collect(),
            base_path: base.path().to_string(),
            hosts: extra.iter().map(|h| h.to_ascii_lowercase()).collect(),
        }
    }

    fn named(&self, url: &Url) -> bool {
        url.host_str()
            .is_some_and(|h| self.hosts.iter().any(|a| a.eq_ignore_ascii_case(h)))
    }

    /// An absolute URL is allowed on an allowed host, or on a client origin under its base path.
    pub(crate) fn allows(&self, url: &Url) -> bool {
        self.named(url)
            || (self.origins.contains(&url.origin()) && url.path().starts_with(&self.base_path))
    }

    /// A per-call `base_uri` may name a client origin, an allowed host, one of WeChat Pay's own
    /// hosts, or loopback: the argument map may come from input the merchant does not control.
    pub(crate) fn allows_base(&self, base: &Url) -> bool {
        self.origins.contains(&base.origin())
            || self.named(base)
            || is_loopback(base)
            || base
                .host_str()
                .is_some_and(|h| WECHATPAY_HOSTS.iter().any(|w| w.eq_ignore_ascii_case(h)))
    }
}

/// Checks a host given to `allow_host`: a bare DNS name or IP, no scheme, port or path.
pub(crate) fn check_allowed_host(host: &str) -> Result<String> {
    let bad = |why: &str| Error::config("allow_host", format!("`{}` {why}", host.escape_debug()));
    if host.is_empty() {
        return Err(bad("is empty"));
    }
    let port = !host.starts_with('[') && host.contains(':');
    if port || host.contains(['*', '/', '@', '?', '#', '\\']) || host.ends_with('.') {
        return Err(bad(
            "is not a bare host name (no scheme, port, path, wildcard or trailing dot), e.g. api2.mch.weixin.qq.com",
        ));
    }
    let parsed = Url::parse(&format!("https://{host}/"))
        .map_err(|_| bad("is not a bare host name, e.g. api2.mch.weixin.qq.com"))?;
    match parsed.host_str() {
        // The parsed form (punycode for an IDN, dotted quad for `127.1`) is what URLs compare to.
        Some(h) if parsed.port().is_none() && parsed.path() == "/" => Ok(h.to_ascii_lowercase()),
        _ => Err(bad(
            "is not a bare host name (no scheme, port, path or user info), e.g. api2.mch.weixin.qq.com",
        )),
    }
}

/// WeChat Pay's e-invoice file host. A client reaches it for one documented call only: the
/// fapiao file download, `GET https://pay.wechatpay.cn/invoicing/fapiao/fapiao-file?token=…`,
/// the `download_url` that `v3/new-tax-control-fapiao/fapiao-applications/{fapiao_apply_id}/fapiao-files`
/// answers. WeChat Pay documents it as neither signed nor verified ("该接口无需签名和验签"); its
/// answer carries an `SM3-Digest` header instead.
pub(crate) const FAPIAO_FILE_HOST: &str = "pay.wechatpay.cn";

/// The one path allowed on [`FAPIAO_FILE_HOST`].
pub(crate) const FAPIAO_FILE_PATH: &str = "/invoicing/fapiao/fapiao-file";

impl AllowedHosts {
    /// True when `url` is the fapiao file download: `https` on `pay.wechatpay.cn` at its default
    /// port and that exact path, or the same path under the base path of a loopback client
    /// origin (the emulator hands out such URLs). A WeChat Pay API host never qualifies: every
    /// answer from it is verified.
    pub(crate) fn is_fapiao_file(&self, url: &Url) -> bool {
        let on_file_host = url.scheme() == "https"
            && url
                .host_str()
                .is_some_and(|h| h.eq_ignore_ascii_case(FAPIAO_FILE_HOST))
            && url.port().is_none()
            && url.path() == FAPIAO_FILE_PATH;
        let on_emulator = is_loopback(url)
            && self.origins.contains(&url.origin())
            && url
                .path()
                .strip_prefix(self.base_path.as_str())
                .is_some_and(|rest| rest == &FAPIAO_FILE_PATH[1..]);
        on_file_host || on_emulator
    }
}
