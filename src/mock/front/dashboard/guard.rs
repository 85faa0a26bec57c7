//! Who may use the admin API and the dashboard: a browser page of another site must not drive
//! the emulator (issue 21). Three checks, in this order:
//!
//! - `Host` names a loopback address (`127.0.0.1`, `localhost`, `[::1]`): a page whose own name
//!   is re-bound to 127.0.0.1 (DNS rebinding) sends its own name, and is refused;
//! - `Origin`, when a browser sends one, is the dashboard's own (and `Sec-Fetch-Site` is not
//!   `cross-site`): another page's `fetch` or form is refused before anything runs;
//! - every call that changes state, and every read of keys or secrets, carries the run's token
//!   (header `X-Emulator-Token`, or `token=` in the query), which only the printed dashboard URL,
//!   the export lines and the `Server` handle know.

use http::{HeaderMap, Method};
use std::sync::OnceLock;

/// The header that carries the token.
pub(crate) const TOKEN_HEADER: &str = "x-emulator-token";

/// The run's token and the dashboard's port (its origin).
pub(crate) struct Access {
    pub token: String,
    pub dashboard_port: OnceLock<u16>,
}

impl Access {
    pub(crate) fn new() -> Access {
        Access {
            token: crate::util::nonce(32),
            dashboard_port: OnceLock::new(),
        }
    }
}

/// Why a request is refused (the message of a `403 FORBIDDEN`).
pub(crate) fn check(
    access: &Access,
    method: &Method,
    call: &[&str],
    query: Option<&str>,
    headers: &HeaderMap,
) -> Result<(), String> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let host = header("host").unwrap_or("");
    if !loopback_host(host) {
        return Err(format!(
            "Host `{host}` is not a loopback name: the emulator answers 127.0.0.1, localhost and [::1] only"
        ));
    }
    if let Some(origin) = header("origin") {
        if !own_origin(access, origin) {
            return Err(format!(
                "Origin `{origin}` is not the dashboard's: the admin API serves no other page"
            ));
        }
    }
    if header("sec-fetch-site") == Some("cross-site") {
        return Err("a cross-site request: the admin API serves no other page".into());
    }
    if needs_token(method, call) && !token_matches(access, query, header(TOKEN_HEADER)) {
        return Err("the token is missing or wrong: send the one of this run \
                    (WECHATPAY_ADMIN_TOKEN) as the `X-Emulator-Token` header or `token=` in the query"
            .into());
    }
    Ok(())
}

/// Anything but a read, and the reads of keys and secrets.
fn needs_token(method: &Method, call: &[&str]) -> bool {
    let read = *method == Method::GET || *method == Method::HEAD;
    !read || matches!(call.first(), Some(&"config") | Some(&"keys"))
}

fn token_matches(access: &Access, query: Option<&str>, header: Option<&str>) -> bool {
    let from_query = query.and_then(|q| {
        url::form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == "token")
            .map(|(_, v)| v.into_owned())
    });
    let given = header.map(str::to_string).or(from_query);
    // Compared in constant time: a timing side channel on a loopback port is far-fetched, but
    // costs nothing to close.
    given.is_some_and(|g| {
        g.len() == access.token.len()
            && g.bytes()
                .zip(access.token.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
    })
}

fn loopback_host(host: &str) -> bool {
    let name = match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next().map(|h| format!("[{h}]")),
        None => host.split(':').next().map(str::to_string),
    };
    matches!(
        name.as_deref().map(str::to_ascii_lowercase).as_deref(),
        Some("127.0.0.1" | "localhost" | "[::1]")
    )
}

fn own_origin(access: &Access, origin: &str) -> bool {
    let Some(port) = access.dashboard_port.get() else {
        return false;
    };
    ["127.0.0.1", "localhost", "[::1]"]
        .iter()
        .any(|h| origin.eq_ignore_ascii_case(&format!("http://{h}:{port}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn hosts_origins_and_tokens() {
        let a = Access::new();
        a.dashboard_port.set(4000).unwrap();
        let t = a.token.clone();
        let post = Method::POST;
        let ok = headers(&[
            ("host", "127.0.0.1:4000"),
            ("origin", "http://127.0.0.1:4000"),
        ]);
        assert!(check(
            &a,
            &post,
            &["faults", "Slow"],
            Some(&format!("token={t}")),
            &ok
        )
        .is_ok());
        assert!(check(&a, &post, &["faults"], None, &ok).is_err());
        assert!(check(&a, &post, &["faults"], Some("token=x"), &ok).is_err());
        assert!(check(&a, &Method::GET, &["journal"], None, &ok).is_ok());
        assert!(check(&a, &Method::GET, &["config"], None, &ok).is_err());
        let evil = headers(&[
            ("host", "127.0.0.1:4000"),
            ("origin", "http://evil.example"),
        ]);
        let q = format!("token={t}");
        assert!(check(&a, &post, &["faults"], Some(&q), &evil).is_err());
        let rebound = headers(&[("host", "evil.example:4000")]);
        assert!(check(&a, &Method::GET, &["journal"], None, &rebound).is_err());
        for host in ["localhost:1", "[::1]:2", "127.0.0.1"] {
            assert!(loopback_host(host), "{host}");
        }
        for host in ["127.0.0.1.evil.example", "[::2]:1", "", "localhost.evil:1"] {
            assert!(!loopback_host(host), "{host}");
        }
    }
}
