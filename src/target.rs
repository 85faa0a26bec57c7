//! Where a request may go: the one outbound rule, checked before anything is signed.
//!
//! A signed request goes only to `https` on the host of the client's base URI, its failover URI,
//! a per-call `base_uri`, or a host the merchant allowed with
//! [`ClientBuilder::allow_host`](crate::ClientBuilder::allow_host); `http` only to loopback
//! (127.0.0.0/8, `::1`, `localhost`), which the emulator and tests use. The URL is assembled by
//! string concatenation under the base path and then parsed once; if the parser would change any
//! byte of the path or query (dot segments, backslashes, a stray `#`), the request is refused
//! rather than sent somewhere the caller did not write.

use crate::error::{Error, Result};
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
pub(crate) fn parse_base_uri(field: &str, text: &str) -> Result<Url> {
    let bad = |why: String| Error::argument(field, why);
    let mut url = Url::parse(text).map_err(|e| {
        bad(format!(
            "`{text}` is not an absolute URL ({e}), e.g. https://api.mch.weixin.qq.com/"
        ))
    })?;
    if url.host().is_none() {
        return Err(bad(format!("`{text}` has no host")));
    }
    check_scheme(field, &url)?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad(format!(
            "`{}` carries user info: credentials never go in a URL",
            redact_userinfo(&url)
        )));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(bad(format!(
            "`{text}` has a query or fragment: a base URI is a scheme, host, port and path"
        )));
    }
    if !url.path().ends_with('/') {
        // `…/hk` would otherwise lose `hk` when a path is joined to it.
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}

fn redact_userinfo(url: &Url) -> String {
    let mut shown = url.clone();
    let _ = shown.set_username("");
    let _ = shown.set_password(None);
    shown.to_string()
}

/// `https` anywhere, `http` only on loopback.
fn check_scheme(field: &str, url: &Url) -> Result<()> {
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
    fn allows(&self, url: &Url) -> bool {
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

/// The expanded path without its one tolerated leading `/`; `//` would name another host.
pub(crate) fn relative(expanded: &str) -> Result<&str> {
    match expanded.strip_prefix('/') {
        Some(rest) if rest.starts_with('/') => Err(Error::Argument {
            name: "path".into(),
            reason: format!(
                "`{expanded}` starts with `//`, which names another host: a path is relative to the base URI"
            ),
        }),
        Some(rest) => Ok(rest),
        None => Ok(expanded),
    }
}

/// Builds the URL of a call from the base and the expanded path, refusing anything that would not
/// be sent as written or would leave the allowed hosts.
///
/// `expanded` is the template after placeholder expansion and protocol routing (`v2/` removed):
/// a path under the base, or an absolute URL that a `{+x}` value supplied.
pub(crate) fn resolve(
    base: &Url,
    per_call: bool,
    allowed: &AllowedHosts,
    expanded: &str,
    v2: bool,
) -> Result<Url> {
    let refuse = |reason: String| Error::Argument {
        name: "path".into(),
        reason,
    };
    if per_call && !allowed.allows_base(base) {
        return Err(Error::argument(
            "base_uri",
            format!(
                "`{}` is not the client's base or failover host, one of WeChat Pay's hosts, or a host allowed with \
                 ClientBuilder::allow_host",
                &base[..url::Position::BeforePath]
            ),
        ));
    }
    if has_scheme(expanded) {
        if v2 {
            return Err(refuse(
                "an absolute URL after `v2/`: APIv2 paths are relative to the base URI".into(),
            ));
        }
        let url = Url::parse(expanded)
            .map_err(|e| refuse(format!("`{expanded}` is not a valid absolute URL: {e}")))?;
        check_scheme("path", &url)?;
        let scheme_end = expanded.find(':').unwrap_or(0);
        if !expanded[scheme_end..].starts_with("://") {
            return Err(refuse(format!(
                "`{expanded}` is not written scheme://host/path: an absolute URL names its host after `//`"
            )));
        }
        let on_per_call_base =
            per_call && url.origin() == base.origin() && url.path().starts_with(base.path());
        if !(allowed.allows(&url) || on_per_call_base) {
            return Err(refuse(format!(
                "the absolute URL goes to `{}`, which is not under the client's base URI host, its failover, or a host \
                 allowed with ClientBuilder::allow_host",
                &url[..url::Position::BeforePath]
            )));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(refuse("the absolute URL carries user info".into()));
        }
        let after_authority = expanded
            .find("//")
            .and_then(|i| expanded[i + 2..].find('/').map(|j| i + 2 + j))
            .unwrap_or(expanded.len());
        check_path_and_query(&expanded[after_authority..], &url, "/")?;
        // Signed as APIv3: it must be an APIv3 path (a bill's download_url is /v3/…).
        if !url.path().split('/').any(|s| s.eq_ignore_ascii_case("v3")) {
            return Err(refuse(format!(
                "the absolute URL's path `{}` is not an APIv3 path, yet it would be signed as one",
                url.path()
            )));
        }
        return Ok(url);
    }
    if expanded.starts_with('/') {
        return Err(refuse(format!(
            "`{expanded}` starts with `/` after the API prefix: an empty path segment"
        )));
    }
    let rel = expanded;
    let text = format!("{}{rel}", base.as_str());
    let url = Url::parse(&text).map_err(|e| refuse(format!("`{rel}` does not form a URL: {e}")))?;
    if url.scheme() != base.scheme() || url.host() != base.host() || url.port() != base.port() {
        return Err(refuse(format!("`{rel}` would leave the base URI `{base}`")));
    }
    check_path_and_query(rel, &url, base.path())?;
    Ok(url)
}

/// `scheme:` at the start, as RFC 3986 reads it (a `:` before any `/`, `?` or `#`).
fn has_scheme(s: &str) -> bool {
    let end = s.find([':', '/', '?', '#']);
    match end {
        Some(i) if s.as_bytes()[i] == b':' && i > 0 => {
            let scheme = &s[..i];
            scheme.as_bytes()[0].is_ascii_alphabetic()
                && scheme
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
        }
        _ => false,
    }
}

/// The parsed URL must hold exactly the bytes written: the URL parser resolves dot segments,
/// turns `\` into `/` and cuts at `#`, and any of those would sign one thing and send another.
fn check_path_and_query(written: &str, url: &Url, base_path: &str) -> Result<()> {
    let refuse = |reason: String| Error::Argument {
        name: "path".into(),
        reason,
    };
    if let Some(c) = written
        .chars()
        .find(|c| c.is_whitespace() || c.is_control())
    {
        return Err(refuse(format!(
            "the path holds {c:?}: whitespace and control characters are never sent raw"
        )));
    }
    if written.contains('#') {
        return Err(refuse(
            "`#` starts a fragment, which is signed but never sent: encode it in a placeholder value".into(),
        ));
    }
    let (path, query) = match written.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (written, None),
    };
    // One trailing `/` is a path WeChat Pay has (`v3/applyment4sub/applyment/`).
    let relative_part = path.strip_prefix('/').unwrap_or(path);
    let relative_part = relative_part.strip_suffix('/').unwrap_or(relative_part);
    if !relative_part.is_empty() && relative_part.split('/').any(str::is_empty) {
        return Err(refuse(format!(
            "`{written}` has an empty path segment (`//`)"
        )));
    }
    for segment in path.split('/') {
        let lower = segment.to_ascii_lowercase().replace("%2e", ".");
        if lower == "." || lower == ".." {
            return Err(refuse(format!(
                "the path segment `{segment}` would climb out of its place (`.`/`..`)"
            )));
        }
    }
    let want_path = format!("{base_path}{}", path.trim_start_matches('/'));
    let want_path = if base_path == "/" && path.starts_with('/') {
        path.to_string()
    } else {
        want_path
    };
    if url.path() != want_path || url.query() != query || url.fragment().is_some() {
        return Err(refuse(format!(
            "`{written}` would be rewritten by URL normalisation (to `{}`): refused so that what is signed is what is sent",
            &url[url::Position::BeforePath..]
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base(s: &str) -> Url {
        parse_base_uri("base_uri", s).unwrap()
    }

    #[test]
    fn base_uris_are_normalised_or_refused() {
        assert_eq!(base("https://h.example/hk").path(), "/hk/");
        assert_eq!(base("https://h.example").path(), "/");
        assert!(parse_base_uri("b", "http://h.example/").is_err());
        assert!(parse_base_uri("b", "http://127.0.0.9:8080/").is_ok());
        assert!(parse_base_uri("b", "http://[::1]:8080/").is_ok());
        assert!(parse_base_uri("b", "http://LOCALHOST/").is_ok());
        assert!(parse_base_uri("b", "https://u:p@h.example/").is_err());
        assert!(parse_base_uri("b", "https://h.example/?q").is_err());
        assert!(parse_base_uri("b", "file:///etc/passwd").is_err());
    }

    #[test]
    fn relative_paths_stay_under_the_base() {
        let b = base("https://h.example/hk/");
        let allowed = AllowedHosts::new(&b, None, &[]);
        let ok = |p: &str| resolve(&b, false, &allowed, p, false).map(|u| u.to_string());
        assert_eq!(ok("v3/x").unwrap(), "https://h.example/hk/v3/x");
        assert_eq!(
            ok("v3/applyment4sub/applyment/").unwrap(),
            "https://h.example/hk/v3/applyment4sub/applyment/"
        );
        assert_eq!(ok("v3/x?a=1").unwrap(), "https://h.example/hk/v3/x?a=1");
        for bad in [
            "/v3/x",
            "v3//x",
            "v3/x//",
            "//evil.example/x",
            "v3/../x",
            "v3/%2E%2e/x",
            "v3/a#b",
            "v3\\..\\x",
            "a b",
        ] {
            assert!(ok(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn absolute_values_must_go_to_allowed_hosts() {
        let b = base("https://api.mch.weixin.qq.com/");
        let allowed = AllowedHosts::new(&b, None, &["files.example".into()]);
        let go = |p: &str| resolve(&b, false, &allowed, p, false);
        assert!(go("https://api.mch.weixin.qq.com/v3/billdownload/file?token=x").is_ok());
        assert!(go("https://files.example:8443/v3/x").is_ok());
        assert!(
            go("https://api.mch.weixin.qq.com:8443/v3/x").is_err(),
            "another port"
        );
        for bad in [
            "https://evil.example/v3/pay",
            "http://api.mch.weixin.qq.com/v3/x",
            "file:///etc/passwd",
            "javascript:alert(1)",
            "https://api.mch.weixin.qq.com/v3/../x",
            "https://api.mch.weixin.qq.com/v3/x#f",
            "https://user@api.mch.weixin.qq.com/v3/x",
            "https:api.mch.weixin.qq.com/v3/x",
            "https://api.mch.weixin.qq.com/pay/micropay",
        ] {
            assert!(go(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn per_call_bases_name_known_hosts_only() {
        let b = base("https://api.mch.weixin.qq.com/");
        let allowed = AllowedHosts::new(&b, None, &["files.example".into()]);
        let go = |per_call: &str| resolve(&base(per_call), true, &allowed, "v3/x", false);
        for ok in [
            "https://apihk.mch.weixin.qq.com/",
            "https://fraud.mch.weixin.qq.com/",
            "https://files.example/",
            "http://127.0.0.1:9/",
        ] {
            assert!(go(ok).is_ok(), "{ok}");
        }
        assert!(
            matches!(go("https://evil.example/"), Err(Error::Argument { name, .. }) if name == "base_uri")
        );
        // An absolute URL after `v2/` is refused.
        assert!(resolve(
            &b,
            false,
            &allowed,
            "https://api.mch.weixin.qq.com/pay/x",
            true
        )
        .is_err());
    }

    #[test]
    fn allowed_hosts_are_bare_names() {
        assert_eq!(
            check_allowed_host("API2.mch.weixin.qq.com").unwrap(),
            "api2.mch.weixin.qq.com"
        );
        assert_eq!(check_allowed_host("127.1").unwrap(), "127.0.0.1");
        assert_eq!(
            check_allowed_host("bücher.example").unwrap(),
            "xn--bcher-kva.example"
        );
        for bad in [
            "*.example",
            "x.example.",
            "",
            "https://x.example",
            "x.example:443",
            "x.example/p",
            "a b",
        ] {
            assert!(check_allowed_host(bad).is_err(), "{bad}");
        }
    }
}
