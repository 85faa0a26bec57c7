//! What a transport error says and implies: its root cause in words, whether the request
//! certainly never left, whether a retry could cure it. Here, beside `Error`, so the error type
//! reads reqwest's errors without reaching up into the exchange.

/// Walks an error's sources.
fn chain(e: &reqwest::Error) -> impl Iterator<Item = &(dyn std::error::Error + 'static)> {
    let first: &(dyn std::error::Error + 'static) = e;
    std::iter::successors(Some(first), |s| s.source())
}

/// True when the server's certificate was not trusted (or ours refused): no retry cures that.
///
/// rustls's error sits behind boxed errors that hide its type from `downcast_ref`, so its
/// messages are matched: "invalid peer certificate", "peer sent no certificates", and the TLS
/// alerts about certificates.
pub(crate) fn is_tls_certificate_problem(e: &reqwest::Error) -> bool {
    chain(e).any(|s| {
        let text = s.to_string();
        text.contains("invalid peer certificate")
            || text.contains("peer sent no certificates")
            || (text.contains("received fatal alert") && text.contains("Certificate"))
            || text.contains("UnknownCA")
    })
}

/// True when the request certainly never left: the connection (TCP or TLS) was not made.
pub(crate) fn nothing_sent(e: &reqwest::Error) -> bool {
    e.is_connect() || e.is_builder()
}

/// What went wrong, with the root cause: reqwest's own message ("error sending request for
/// url") says nothing of it.
pub(crate) fn describe(e: &reqwest::Error) -> String {
    let what = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else if e.is_body() || e.is_decode() {
        "the answer broke off"
    } else {
        "the exchange failed"
    };
    let place = e
        .url()
        .map(|u| format!(" to {}", &u[..url::Position::BeforePath]))
        .unwrap_or_default();
    let mut causes: Vec<String> = Vec::new();
    for s in chain(e).skip(1) {
        let text = s.to_string();
        if !causes.iter().any(|c| c.contains(&text)) {
            causes.push(text);
        }
    }
    let root = causes.last().cloned().unwrap_or_else(|| e.to_string());
    format!("{what}{place}: {root}")
}
