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
#[cfg(test)]
mod tests;

use crate::policy::hosts::{check_scheme, redact_userinfo, AllowedHosts};
use url::Url;

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
                redact_userinfo(&base[..url::Position::BeforePath])
            ),
        ));
    }
    if has_scheme(expanded) {
        if v2 {
            return Err(refuse(
                "an absolute URL after `v2/`: APIv2 paths are relative to the base URI".into(),
            ));
        }
        let shown = redact_userinfo(expanded);
        let url = Url::parse(expanded)
            .map_err(|e| refuse(format!("`{shown}` is not a valid absolute URL: {e}")))?;
        check_scheme("path", &url)?;
        let scheme_end = expanded.find(':').unwrap_or(0);
        if !expanded[scheme_end..].starts_with("://") {
            return Err(refuse(format!(
                "`{shown}` is not written scheme://host/path: an absolute URL names its host after `//`"
            )));
        }
        let on_per_call_base =
            per_call && url.origin() == base.origin() && url.path().starts_with(base.path());
        if !(allowed.allows(&url) || on_per_call_base) {
            return Err(refuse(format!(
                "the absolute URL goes to `{}`, which is not under the client's base URI host, its failover, or a host \
                 allowed with ClientBuilder::allow_host",
                redact_userinfo(&url[..url::Position::BeforePath])
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
    // The path read against the base as parsed when the client was built: its scheme and host
    // are not parsed again per call (the host alone went through IDNA mapping each time). The
    // same checks decide; a refusal falls back to `parse_under` (the whole text parsed), so
    // every error reads as it always did. When the checks pass, both ways give one URL: the
    // base's scheme, host and port, with the path and query exactly as written under its path.
    if let Ok(url) = base.join(rel) {
        if same_origin(&url, base) && check_path_and_query(rel, &url, base.path()).is_ok() {
            return Ok(url);
        }
    }
    parse_under(base, rel)
}

/// A relative path under the base, the whole text parsed: the reference the fast path in
/// [`resolve`] must agree with, and the one that words its refusals.
fn parse_under(base: &Url, rel: &str) -> Result<Url> {
    let refuse = |reason: String| Error::Argument {
        name: "path".into(),
        reason,
    };
    let text = format!("{}{rel}", base.as_str());
    let url = Url::parse(&text).map_err(|e| refuse(format!("`{rel}` does not form a URL: {e}")))?;
    if !same_origin(&url, base) {
        return Err(refuse(format!("`{rel}` would leave the base URI `{base}`")));
    }
    check_path_and_query(rel, &url, base.path())?;
    Ok(url)
}

/// The fapiao file download, when the expanded path is its absolute URL (the `download_url` that
/// `…/fapiao-files` answers): `Some(url)` to send unsigned, `None` for the ordinary rule above.
///
/// The rule is narrow: `GET` on `https://pay.wechatpay.cn/invoicing/fapiao/fapiao-file` (or that
/// path on the emulator's loopback origin), nothing else on that host, and the URL sent exactly
/// as written.
pub(crate) fn resolve_fapiao_file(
    allowed: &AllowedHosts,
    expanded: &str,
    method: &http::Method,
) -> Result<Option<Url>> {
    if !has_scheme(expanded) {
        return Ok(None);
    }
    let Ok(url) = Url::parse(expanded) else {
        return Ok(None);
    };
    if !allowed.is_fapiao_file(&url)
        || !url.username().is_empty()
        || url.password().is_some()
        || !expanded[expanded.find(':').unwrap_or(0)..].starts_with("://")
    {
        return Ok(None);
    }
    if method != http::Method::GET {
        return Err(Error::argument(
            "path",
            format!(
                "the fapiao file download is a GET, not a {method}: `{}` is reached for that download only",
                crate::policy::hosts::FAPIAO_FILE_HOST
            ),
        ));
    }
    let after_authority = expanded
        .find("//")
        .and_then(|i| expanded[i + 2..].find('/').map(|j| i + 2 + j))
        .unwrap_or(expanded.len());
    check_path_and_query(&expanded[after_authority..], &url, "/")?;
    Ok(Some(url))
}

fn same_origin(url: &Url, base: &Url) -> bool {
    url.scheme() == base.scheme() && url.host() == base.host() && url.port() == base.port()
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
    if let Some(segment) = path.split('/').find(|s| is_dot_segment(s)) {
        return Err(refuse(format!(
            "the path segment `{segment}` would climb out of its place (`.`/`..`)"
        )));
    }
    // The path must read `{base_path}{path}` (one `/` between them), compared in place.
    let path_as_written = if base_path == "/" && path.starts_with('/') {
        url.path() == path
    } else {
        url.path().strip_prefix(base_path) == Some(path.trim_start_matches('/'))
    };
    if !path_as_written || url.query() != query || url.fragment().is_some() {
        return Err(refuse(format!(
            "`{written}` would be rewritten by URL normalisation (to `{}`): refused so that what is signed is what is sent",
            &url[url::Position::BeforePath..]
        )));
    }
    Ok(())
}

/// `.` or `..`, each dot written as `.` or `%2e` (any case): what the URL parser resolves as a
/// dot segment.
fn is_dot_segment(segment: &str) -> bool {
    let mut rest = segment.as_bytes();
    let mut dots = 0;
    while let Some(&first) = rest.first() {
        rest = if first == b'.' {
            &rest[1..]
        } else if rest
            .get(..3)
            .is_some_and(|e| e.eq_ignore_ascii_case(b"%2e"))
        {
            &rest[3..]
        } else {
            return false;
        };
        dots += 1;
    }
    dots == 1 || dots == 2
}
