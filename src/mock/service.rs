//! The emulator's HTTP side: TLS accept, request checks as WeChat Pay makes them, signed answers.

use super::{Fault, Mode, Recorded, State};
use crate::error::Result;
use crate::util::{nonce, unix_now};
use base64::Engine;
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Request, Response, StatusCode};
use http_body_util::{combinators::BoxBody, BodyExt, Full, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper_util::rt::TokioIo;
use serde_json::{json, Map, Value};
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

type Body = BoxBody<Bytes, std::io::Error>;

/// Request bodies larger than this are not read (WeChat Pay's own limits are far lower).
const MAX_BODY: usize = 32 << 20;

/// Accepts TLS connections until `stop` turns true (then drains them) or the task is aborted
/// (then every connection task is aborted with it, being owned by the `JoinSet`).
pub(crate) async fn serve(
    listener: tokio::net::TcpListener,
    config: Arc<rustls::ServerConfig>,
    state: Arc<State>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let acceptor = tokio_rustls::TlsAcceptor::from(config);
    let mut connections = tokio::task::JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else {
                    // Out of file descriptors and the like: do not spin.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                };
                state.connections.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if super::chaos::refuse_connection(&state) {
                    // Closed before the TLS handshake: the client could not connect.
                    continue;
                }
                let conn = connection(acceptor.clone(), stream, state.clone(), stop.clone());
                connections.spawn(conn);
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            _ = stop.changed() => break,
        }
    }
    drop(listener);
    let drained = async { while connections.join_next().await.is_some() {} };
    let _ = tokio::time::timeout(Duration::from_secs(5), drained).await;
}

/// One TLS connection: handshake (with or without a client certificate), then HTTP.
async fn connection(
    acceptor: tokio_rustls::TlsAcceptor,
    stream: tokio::net::TcpStream,
    state: Arc<State>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let Ok(Ok(tls)) = tokio::time::timeout(Duration::from_secs(10), acceptor.accept(stream)).await
    else {
        return;
    };
    // The verifier only lets certificates issued by the emulator's CA through.
    let client_cert: Option<Arc<Vec<u8>>> = tls
        .get_ref()
        .1
        .peer_certificates()
        .and_then(|c| c.first())
        .map(|c| Arc::new(c.as_ref().to_vec()));
    let service = hyper::service::service_fn(move |req| {
        let state = state.clone();
        let client_cert = client_cert.clone();
        async move {
            let cert = client_cert.as_deref().map(Vec::as_slice);
            // An error closes the connection (HTTP/2: resets the stream) with no answer.
            handle(&state, req, cert).await
        }
    });
    // HTTP/1.1 or HTTP/2, as the client's ALPN and preface say.
    let builder =
        hyper_util::server::conn::auto::Builder::new(hyper_util::rt::TokioExecutor::new());
    let conn = builder.serve_connection(TokioIo::new(tls), service);
    tokio::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => {}
        _ = stop.changed() => {
            conn.as_mut().graceful_shutdown();
            let _ = conn.await;
        }
    }
}

fn full(body: impl Into<Bytes>) -> Body {
    Full::new(body.into())
        .map_err(|never| match never {})
        .boxed()
}

/// What a check decided: the status, the body, and the outcome code for the journal.
pub(super) struct Outcome {
    pub status: StatusCode,
    pub body: Bytes,
    pub content_type: &'static str,
    pub code: String,
    pub headers: Vec<(String, String)>,
    pub delay: Option<Duration>,
    /// The request's signature verified with a known merchant's key or secret.
    pub verified: bool,
}

pub(super) fn error(status: u16, code: &str, message: &str) -> Outcome {
    Outcome {
        status: StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
        body: Bytes::from(json!({ "code": code, "message": message }).to_string()),
        content_type: "application/json",
        code: code.to_string(),
        headers: Vec::new(),
        delay: None,
        verified: false,
    }
}

pub(super) fn v2_fail(message: &str) -> Outcome {
    let xml = crate::v2::xml::to_xml(&obj(json!({"return_code": "FAIL", "return_msg": message})));
    Outcome {
        status: StatusCode::OK,
        body: Bytes::from(xml),
        content_type: "text/xml",
        code: "FAIL".into(),
        headers: Vec::new(),
        delay: None,
        verified: false,
    }
}

pub(super) fn obj(v: Value) -> Map<String, Value> {
    v.as_object().cloned().unwrap_or_default()
}

async fn handle(
    state: &Arc<State>,
    req: Request<Incoming>,
    client_cert: Option<&[u8]>,
) -> std::io::Result<Response<Body>> {
    let (parts, body) = req.into_parts();
    // A body cut short or over the limit is checked as empty, so its signature fails.
    let body = match http_body_util::Limited::new(body, MAX_BODY).collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => Bytes::new(),
    };
    let mut faults = state
        .faults
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    let path = parts.uri.path().to_string();
    if path.starts_with(super::admin::PREFIX) {
        let (status, v) =
            super::admin::handle(state, &parts.method, &path, parts.uri.query(), &body).await;
        let mut res = Response::new(full(v.to_string()));
        *res.status_mut() = status;
        res.headers_mut().insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        return Ok(res);
    }
    if let Some(fast) = &state.fast {
        if let Ok(res) = fast.response(state, |b: Bytes| full(b)) {
            return Ok(res);
        }
    }
    let draw = super::chaos::Draw::new(state, &parts.method, &path, &body);
    let mut outcome = draw.run(state, &mut faults, || {
        if path.starts_with("/v3/") {
            super::v3::check(state, &parts.method, &parts.uri, &parts.headers, &body)
        } else {
            super::v2::check(
                state,
                &parts.method,
                &parts.uri,
                &parts.headers,
                &body,
                client_cert,
            )
        }
    });
    if faults.contains(&Fault::ServerError) {
        // The checks still ran (the journal says whether the request was good); the answer fails.
        let verified = outcome.verified;
        outcome = error(500, "SYSTEM_ERROR", "系统错误 (emulated fault)");
        outcome.verified = verified;
    }
    {
        let mut journal = state.journal.lock().unwrap_or_else(|e| e.into_inner());
        if journal.len() >= super::JOURNAL_LIMIT {
            journal.remove(0);
        }
        journal.push(Recorded {
            method: parts.method.clone(),
            path: path.clone(),
            query: parts.uri.query().map(str::to_string),
            headers: parts.headers.clone(),
            body: body.clone(),
            client_cert: client_cert.is_some(),
            verified: outcome.verified,
            outcome: outcome.code.clone(),
            version: parts.version,
        });
    }
    if draw.drops() {
        let why = "emulated drop (chaos mode)";
        return Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionAborted,
            why,
        ));
    }
    for fault in &faults {
        if let Fault::Slow(ms) = fault {
            tokio::time::sleep(Duration::from_millis(*ms)).await;
        }
    }
    if let Some(delay) = outcome.delay {
        tokio::time::sleep(delay).await;
    }
    let signed = path.starts_with("/v3/") && !draw.unsigned();
    Ok(respond(state, outcome, signed, &faults))
}

fn respond(
    state: &State,
    outcome: Outcome,
    signed: bool,
    faults: &HashSet<Fault>,
) -> Response<Body> {
    let mut headers = if signed {
        signed_headers(state, &outcome.body, faults).unwrap_or_default()
    } else {
        HeaderMap::new()
    };
    headers.insert(
        "Request-ID",
        HeaderValue::from_str(&format!("08{}", nonce(30))).unwrap_or(HeaderValue::from_static("0")),
    );
    if !outcome.body.is_empty() {
        headers.insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static(outcome.content_type),
        );
    }
    for (k, v) in &outcome.headers {
        if let (Ok(k), Ok(v)) = (
            http::HeaderName::from_bytes(k.as_bytes()),
            HeaderValue::from_str(v),
        ) {
            headers.insert(k, v);
        }
    }
    let mut status = outcome.status;
    let body = if faults.contains(&Fault::DropConnection) {
        // Promise the whole body, send half, then fail the stream: hyper closes the connection.
        // A bodiless answer (204) becomes a 200 promising bytes that never come.
        if outcome.body.is_empty() {
            status = StatusCode::OK;
        }
        headers.insert(
            http::header::CONTENT_LENGTH,
            HeaderValue::from(outcome.body.len().max(64) as u64),
        );
        let half = outcome.body.slice(..outcome.body.len() / 2);
        let chunks: Vec<std::result::Result<Frame<Bytes>, std::io::Error>> = vec![
            Ok(Frame::data(half)),
            Err(std::io::Error::new(
                std::io::ErrorKind::ConnectionAborted,
                "emulated drop",
            )),
        ];
        StreamBody::new(futures_util::stream::iter(chunks)).boxed()
    } else {
        full(outcome.body)
    };
    let mut res = Response::new(body);
    *res.status_mut() = status;
    *res.headers_mut() = headers;
    res
}

/// The four `Wechatpay-*` headers over `body`, with any signature fault applied.
pub(crate) fn signed_headers(
    state: &State,
    body: &[u8],
    faults: &HashSet<Fault>,
) -> Result<HeaderMap> {
    let mut ts = unix_now();
    if faults.contains(&Fault::SkewedClock) {
        ts -= 600;
    }
    let nonce = nonce(32);
    let signed: &[u8] = if faults.contains(&Fault::BadSignature) {
        b"not the body"
    } else {
        body
    };
    let message = crate::v3::canonical_response(&ts.to_string(), &nonce, signed);
    let signature =
        base64::engine::general_purpose::STANDARD.encode(state.platform_key.sign(&message)?);
    // A serial of the mode's own kind that the client cannot hold: a certificate's hex serial
    // in certificate mode (what a rotation looks like), a public key id otherwise.
    let serial = if faults.contains(&Fault::WrongSerial) {
        match state.mode {
            Mode::Certificate => "7E57000000000000000000000000000000000001".to_string(),
            _ => "PUB_KEY_ID_0000000000000000000000000000".to_string(),
        }
    } else if state.mode == Mode::Certificate {
        state.platform_serial.clone()
    } else {
        state.public_key_id.clone()
    };
    let mut h = HeaderMap::new();
    let value = |s: &str| HeaderValue::from_str(s).unwrap_or(HeaderValue::from_static(""));
    h.insert("Wechatpay-Timestamp", value(&ts.to_string()));
    h.insert("Wechatpay-Nonce", value(&nonce));
    h.insert("Wechatpay-Signature", value(&signature));
    h.insert("Wechatpay-Serial", value(&serial));
    Ok(h)
}

pub(super) fn ok(body: Bytes, content_type: &'static str, status: StatusCode) -> Outcome {
    Outcome {
        status,
        body,
        content_type,
        code: "OK".into(),
        headers: Vec::new(),
        delay: None,
        verified: true,
    }
}
