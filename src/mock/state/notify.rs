//! Notifications (callbacks) sent as WeChat Pay sends them: to loopback URLs only, never through a
//! proxy or a redirect.

use super::emulator::State;
use crate::error::{Error, Result};
use crate::mock::protocol::notification;
use http::StatusCode;
use serde_json::Value;
use std::sync::Arc;

/// Sends one notification to a loopback `url` and returns the status the handler answered.
pub(crate) async fn send(
    state: Arc<State>,
    mchid: String,
    url: String,
    event_type: String,
    resource: Value,
) -> Result<StatusCode> {
    let target = url::Url::parse(&url).map_err(|e| Error::argument("url", e.to_string()))?;
    if !loopback(&url) {
        return Err(Error::argument(
            "url",
            format!("the emulator only notifies http(s) URLs on 127.0.0.0/8, [::1] or localhost, not {url}"),
        ));
    }
    let faults = state.faults();
    let (headers, body) =
        notification::build(&state.keys, &faults, &mchid, &event_type, &resource)?;
    let res = http()?
        .post(target)
        .headers(headers)
        .body(body)
        .send()
        .await
        .map_err(Error::Transport)?;
    Ok(res.status())
}

/// No proxy and no redirects: the request must reach the loopback address named, and nothing
/// else.
pub(crate) fn http() -> Result<reqwest::Client> {
    reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(10))
        .build()
        .map_err(Error::Transport)
}

/// True for `http(s)` URLs on 127.0.0.0/8, `[::1]` or `localhost`.
pub(crate) fn loopback(url: &str) -> bool {
    let Ok(u) = url::Url::parse(url) else {
        return false;
    };
    matches!(u.scheme(), "http" | "https")
        && match u.host() {
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
            None => false,
        }
}

#[cfg(test)]
mod tests {
    #[test]
    fn loopback_urls() {
        for u in [
            "http://127.0.0.1:1/n",
            "http://127.9.8.7/n",
            "https://[::1]:8443/x",
            "http://localhost:3000/",
        ] {
            assert!(super::loopback(u), "{u}");
        }
        for u in [
            "http://10.0.0.1/",
            "https://example.com/n",
            "ftp://127.0.0.1/",
            "x",
        ] {
            assert!(!super::loopback(u), "{u}");
        }
    }
}
