//! Fast mode: every request gets one pre-signed answer, with no checks and no journal, so a load
//! generator measures the client and not the emulator (see `ServerBuilder::fast`).

use crate::error::Result;
use crate::mock::protocol::keys::Keys;
use crate::mock::protocol::wire;
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Response, StatusCode};
use std::collections::HashSet;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The answer every request gets: a payment that succeeded.
const BODY: &str = r#"{"trade_state":"SUCCESS","out_trade_no":"1217752501201407033233368018","amount":{"total":100,"currency":"CNY"}}"#;

/// Answers older than this are signed again, well inside the client's 5-minute clock window.
const RESIGN_AFTER: Duration = Duration::from_secs(60);

/// The signed headers of the fixed answer, and when they were signed.
pub(crate) struct FastAnswer {
    signed: Mutex<Option<(Instant, HeaderMap)>>,
}

impl FastAnswer {
    pub(crate) fn new() -> FastAnswer {
        FastAnswer {
            signed: Mutex::new(None),
        }
    }

    /// The fixed answer, signed at most once a minute (one RSA signature per minute, not per
    /// request).
    pub(crate) fn response<B>(
        &self,
        keys: &Keys,
        wrap: impl FnOnce(Bytes) -> B,
    ) -> Result<Response<B>> {
        let headers = {
            let mut signed = self.signed.lock().unwrap_or_else(|e| e.into_inner());
            match signed.as_ref() {
                Some((at, headers)) if at.elapsed() < RESIGN_AFTER => headers.clone(),
                _ => {
                    let mut headers = crate::mock::protocol::v3::signed_headers(
                        keys,
                        BODY.as_bytes(),
                        &HashSet::new(),
                    )?;
                    // One id per signature (once a minute): the form is WeChat Pay's, the cost none.
                    let id = wire::request_id(crate::util::unix_now());
                    if let Ok(id) = HeaderValue::from_str(&id) {
                        headers.insert("Request-ID", id);
                    }
                    headers.insert(
                        http::header::CONTENT_TYPE,
                        HeaderValue::from_static(wire::content_type("application/json")),
                    );
                    *signed = Some((Instant::now(), headers.clone()));
                    headers
                }
            }
        };
        let mut res = Response::new(wrap(Bytes::from_static(BODY.as_bytes())));
        *res.status_mut() = StatusCode::OK;
        *res.headers_mut() = headers;
        Ok(res)
    }
}
