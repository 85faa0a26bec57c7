//! The emulator's HTTP side: TLS accept, the hyper service, the journal, faults applied to the
//! answers, and their signature on the way out.

use super::chaos::draw::{refuse_connection, Draw};
use super::journal::{Recorded, JOURNAL_LIMIT};
use super::shared::Shared;
use crate::mock::protocol::call::{error, Outcome};
use crate::mock::protocol::faults::Fault;
use crate::mock::protocol::keys::Keys;
use crate::mock::protocol::v3::signed_answer_headers;
use crate::mock::protocol::wire;
use crate::mock::state::dispatch;
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Request, Response, StatusCode};
use http_body_util::{combinators::BoxBody, BodyExt, Full, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper_util::rt::TokioIo;
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
    shared: Arc<Shared>,
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
                shared.connections.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if refuse_connection(&shared.chaos) {
                    // Closed before the TLS handshake: the client could not connect.
                    continue;
                }
                let conn = connection(acceptor.clone(), stream, shared.clone(), stop.clone());
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
    shared: Arc<Shared>,
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
        let shared = shared.clone();
        let client_cert = client_cert.clone();
        async move {
            let cert = client_cert.as_deref().map(Vec::as_slice);
            // An error closes the connection (HTTP/2: resets the stream) with no answer.
            handle(&shared, req, cert).await
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

async fn handle(
    shared: &Arc<Shared>,
    req: Request<Incoming>,
    client_cert: Option<&[u8]>,
) -> std::io::Result<Response<Body>> {
    let (parts, body) = req.into_parts();
    // A body cut short or over the limit is checked as empty, so its signature fails.
    let body = match http_body_util::Limited::new(body, MAX_BODY).collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => Bytes::new(),
    };
    let state = &shared.state;
    let mut faults = state.faults();
    let path = parts.uri.path().to_string();
    if path.starts_with(super::admin::PREFIX) {
        return Ok(super::dashboard::answer(shared, &parts, &body).await);
    }
    if let Some(fast) = &shared.fast {
        if let Ok(res) = fast.response(&state.keys, |b: Bytes| full(b)) {
            return Ok(res);
        }
    }
    let draw = Draw::new(&shared.chaos, &parts.method, &path, &body);
    let mut outcome = draw.run(state, &mut faults, || {
        dispatch::process(state, &parts, &body, client_cert)
    });
    if faults.contains(&Fault::ServerError) {
        // The checks still ran (the journal says whether the request was good); the answer fails.
        let verified = outcome.verified;
        outcome = error(500, "SYSTEM_ERROR", "系统错误 (emulated fault)");
        outcome.verified = verified;
    }
    {
        let mut journal = shared.journal.lock().unwrap_or_else(|e| e.into_inner());
        if journal.len() >= JOURNAL_LIMIT {
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
            status: outcome.status,
            answer: outcome.body.clone(),
            seq: super::journal::next_seq(),
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
    let signed = (path.starts_with("/v3/") || path.starts_with("/brand/")) && !draw.unsigned();
    let brand = path.starts_with("/brand/");
    // WeChat Pay signs the answer with the key the request names (the switch from certificate
    // to public key depends on it).
    let named = signed
        .then(|| parts.headers.get("Wechatpay-Serial")?.to_str().ok())
        .flatten();
    Ok(respond(&state.keys, outcome, named, signed, brand, &faults))
}

fn respond(
    keys: &Keys,
    outcome: Outcome,
    named: Option<&str>,
    signed: bool,
    brand: bool,
    faults: &HashSet<Fault>,
) -> Response<Body> {
    let mut headers = if signed && brand {
        crate::mock::protocol::brand::signed_headers(keys, &outcome.body, faults)
            .unwrap_or_default()
    } else if signed {
        crate::mock::protocol::shangmi_headers(keys, &outcome.body, faults).unwrap_or_else(|| {
            signed_answer_headers(keys, named, &outcome.body, faults).unwrap_or_default()
        })
    } else {
        HeaderMap::new()
    };
    let request_id = wire::request_id(crate::util::unix_now());
    headers.insert(
        "Request-ID",
        HeaderValue::from_str(&request_id).unwrap_or(HeaderValue::from_static("0")),
    );
    if !outcome.body.is_empty() {
        headers.insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static(wire::content_type(outcome.content_type)),
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
