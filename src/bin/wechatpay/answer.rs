//! How `request` shows an answer, whichever way it was signed: the status line and headers on
//! stderr, the body on stdout. Everything the server wrote is passed through `shown` first,
//! except the bytes of `--raw`, which are the documented raw output.

use crate::shown;
use serde_json::Value;
use wechatpay::{Error, Response};

/// The error answer's status and headers with `--include`, before its one-line error.
pub(crate) fn failed(include: bool, e: &Error) {
    if let (
        true,
        Error::Api {
            status, headers, ..
        },
    ) = (include, e)
    {
        eprintln!("{}", status.as_u16());
        headers_to_stderr(headers);
    }
}

/// The verified answer: status and Request-ID (every header with `include`) on stderr, the body
/// on stdout as pretty JSON (APIv2 XML as JSON), as it came with `raw`.
pub(crate) fn print(res: &Response, include: bool, raw: bool) {
    eprintln!(
        "{} {}",
        res.status().as_u16(),
        shown::text(res.request_id().unwrap_or(""))
    );
    if include {
        headers_to_stderr(res.headers());
    }
    if raw {
        use std::io::Write as _;
        let _ = std::io::stdout().write_all(res.body());
        return;
    }
    // JSON (APIv3) and XML (APIv2) answers print as JSON; anything else as text (`--raw` gives
    // its bytes).
    let parsed = match res.json() {
        Ok(v) => Some(v).filter(|v| !v.is_null()),
        Err(_) => res.xml().ok().map(Value::Object),
    };
    match parsed {
        Some(v) => println!("{}", shown::pretty(&v)),
        None => println!("{}", shown::text(&String::from_utf8_lossy(res.body()))),
    }
}

fn headers_to_stderr(headers: &wechatpay::http::HeaderMap) {
    for (name, value) in headers {
        eprintln!(
            "{name}: {}",
            shown::text(&String::from_utf8_lossy(value.as_bytes()))
        );
    }
}
