//! Sending a prepared request and accepting its answer: attempts, limits, verification, files.
//!
//! Every answer is checked before the caller sees it, whatever its status: a 2xx must verify (or
//! be an unsigned download checked against its digest); a non-2xx that carries `Wechatpay-*`
//! headers must verify too, and then its `Error::Api` says `verified: true`. An error answer
//! without them is reported as unverified, never as WeChat Pay's word.

use crate::answer::digest::Expected;
use crate::answer::intake::Intake;
use crate::answer::response::Response;
use crate::answer::sink::Sink;
use crate::error::{Error, Result};
use crate::exchange::download::{header_digest, v2_download_failure, V2_FAILURE_PEEK};
use crate::exchange::limits::{check_download_size, next_chunk, read_capped, until};
use crate::exchange::Sender;
use crate::policy::limits::Limits;
use crate::protocol::v2::SignType;
use crate::protocol::v3;
use crate::request::prepared::{PreparedRequest, Protocol};
use crate::util::unix_now;
use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use serde_json::Value;

/// Sends the call and returns the verified answer, all before `deadline` (the call's, shared by
/// its attempts): the exchange, and a certificate download an unknown serial sets off.
pub(crate) async fn send(
    sender: &Sender<'_>,
    mut prepared: Box<PreparedRequest>,
    deadline: tokio::time::Instant,
) -> Result<Response> {
    let protocol = prepared.protocol();
    let path = prepared.url().path().to_string();
    let limits = prepared.limits(sender.policies.limits);
    let sink = prepared.take_sink();
    let digest = prepared.take_digest().map(Expected::parse).transpose()?;
    let gunzip = prepared.gunzip();
    let sign_type = prepared.v2_sign_type();
    let fapiao_file = prepared.is_unsigned();
    let unsigned_download = fapiao_file
        || match protocol {
            Protocol::V3 => v3::is_exempt(&path),
            Protocol::V2 => crate::protocol::v2::is_exempt(&path),
        };
    // The file is opened before sending, so an unwritable place fails with nothing sent.
    let sink = sink.as_deref().map(Sink::create).transpose()?;
    match (sink, unsigned_download) {
        // Unsigned downloads go straight to the file, never whole in memory.
        (Some(sink), true) => {
            let intake = Intake::new(digest, Some(sink), gunzip, limits.max_download_bytes);
            // Boxed: a rare path, kept out of every call's future.
            Box::pin(stream_to_file(sender, prepared, intake, limits, deadline)).await
        }
        (sink, _) => {
            let res = until(deadline, limits.timeout, async {
                let res = exchange(sender, prepared, limits, deadline).await?;
                accept_rotating(sender, (protocol, sign_type), &path, unsigned_download, res).await
            })
            .await?;
            if unsigned_download {
                if let Some(mut check) = header_digest(res.headers(), fapiao_file)? {
                    check.update(res.body());
                    check.finish()?;
                }
            }
            let saved = sink.is_some();
            let mut intake = Intake::new(digest, sink, gunzip, limits.max_download_bytes);
            intake.update(res.body())?;
            if let Some(sink) = intake.finish()? {
                sink.commit()?;
            }
            if !saved {
                return Ok(res);
            }
            let (status, headers, _) = res.into_parts();
            Ok(Response::new(status, headers, Bytes::new()))
        }
    }
}

/// Sends and reads the answer within the limits; a non-2xx status is an error (verified where
/// signed), a 2xx is returned unverified, for callers that verify it their own way.
pub(crate) async fn send_unverified(
    sender: &Sender<'_>,
    prepared: PreparedRequest,
) -> Result<Response> {
    let limits = prepared.limits(sender.policies.limits);
    let deadline = crate::exchange::limits::deadline_after(limits.timeout);
    let res = until(
        deadline,
        limits.timeout,
        exchange(sender, Box::new(prepared), limits, deadline),
    )
    .await?;
    if res.status().is_success() {
        return Ok(res);
    }
    let (status, headers, body) = res.into_parts();
    Err(api_error(sender, Protocol::V3, status, headers, body)?)
}

/// One exchange: the request out, the whole answer in (at most `max_answer_bytes`).
async fn exchange(
    sender: &Sender<'_>,
    prepared: Box<PreparedRequest>,
    limits: Limits,
    deadline: tokio::time::Instant,
) -> Result<Response> {
    let mut answer = dispatch(sender, prepared, deadline).await?;
    // Taken, not copied: reading the body needs no header (its length is the body's own).
    let (status, headers) = (answer.status(), std::mem::take(answer.headers_mut()));
    let body = read_capped(answer, limits.max_answer_bytes).await?;
    Ok(Response::new(status, headers, body))
}

/// Checks an answer as its protocol requires; a non-2xx becomes an [`Error::Api`].
fn accept(
    sender: &Sender<'_>,
    (protocol, sign_type): (Protocol, SignType),
    path: &str,
    unsigned_download: bool,
    res: Response,
) -> Result<Response> {
    if !res.status().is_success() {
        let (status, headers, body) = res.into_parts();
        return Err(api_error(sender, protocol, status, headers, body)?);
    }
    match protocol {
        // WeChat Pay's file downloads come unsigned; the caller checks their digests.
        Protocol::V3 if unsigned_download => {}
        Protocol::V3 => {
            v3::verify_response(sender.keyring, unix_now(), path, res.headers(), res.body())?
        }
        Protocol::V2 if unsigned_download => {
            if res.body().len() <= V2_FAILURE_PEEK {
                if let Some(failure) = v2_download_failure(sender, res.body(), sign_type) {
                    return Err(failure);
                }
            }
        }
        Protocol::V2 => {
            let secret = sender.apiv2_secret.unwrap_or("");
            crate::protocol::v2::check_response(res.body(), secret, sign_type)?;
        }
    }
    Ok(res)
}

/// [`accept`], after one certificate download shared with every concurrent caller when an
/// APIv3 answer names a serial the client does not hold (WeChat Pay rotated its certificate):
/// the sender's [`Refresh`](crate::exchange::Refresh), which the client implements in
/// `client::rotation`. The look-up is a map read; the answer is neither copied nor verified twice.
async fn accept_rotating(
    sender: &Sender<'_>,
    (protocol, sign_type): (Protocol, SignType),
    path: &str,
    unsigned_download: bool,
    res: Response,
) -> Result<Response> {
    // An answer naming a signature type the client cannot verify is refused by `accept`; it
    // must not set off a certificate download first. Nor may an unsigned download, which is
    // never verified: a serial on it is anyone's to write; nor an SM2 type: the RSA listing a
    // rotation downloads holds no SM2 key.
    if protocol == Protocol::V3
        && !unsigned_download
        && matches!(
            v3::SignatureType::of(res.headers()),
            Ok(v3::SignatureType::Rsa2048)
        )
    {
        if let Some(serial) = res
            .headers()
            .get("Wechatpay-Serial")
            .and_then(|v| v.to_str().ok())
        {
            if !sender.keyring.contains(serial) {
                sender.refresh.refresh(serial).await;
            }
        }
    }
    accept(sender, (protocol, sign_type), path, unsigned_download, res)
}

/// True when an answer carries any of WeChat Pay's signature headers.
fn claims_signature(headers: &HeaderMap) -> bool {
    [
        "Wechatpay-Signature",
        "Wechatpay-Serial",
        "Wechatpay-Timestamp",
        "Wechatpay-Nonce",
    ]
    .iter()
    .any(|h| headers.contains_key(*h))
}

/// A non-2xx answer: WeChat's `code`/`message` when the body is its JSON error form. An APIv3
/// error answer that claims a signature must carry a good one (else `Err` with the signature
/// error); one that claims none is reported with `verified: false`.
fn api_error(
    sender: &Sender<'_>,
    protocol: Protocol,
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Error> {
    let verified = protocol == Protocol::V3 && claims_signature(&headers);
    if verified {
        v3::check_signed_headers(sender.keyring, unix_now(), &headers, &body)?;
    }
    let parsed: Option<Value> = serde_json::from_slice(&body).ok();
    let field = |k: &str| {
        parsed
            .as_ref()
            .and_then(|v| v.get(k))
            .and_then(|v| v.as_str())
            .map(str::to_string)
    };
    Ok(Error::Api {
        status,
        code: field("code"),
        message: field("message"),
        request_id: headers
            .get("Request-ID")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
        headers: Box::new(headers),
        body,
        verified,
    })
}

fn request_builder(
    sender: &Sender<'_>,
    prepared: Box<PreparedRequest>,
) -> Result<reqwest::RequestBuilder> {
    let security = prepared.security();
    let (method, url, headers, body) = (*prepared).into_wire();
    let client = sender.transport.client(security)?;
    // Built whole: `RequestBuilder::headers` would insert each header again into a new map.
    let mut request = reqwest::Request::new(method, url);
    *request.headers_mut() = headers;
    *request.body_mut() = Some(body.into());
    Ok(reqwest::RequestBuilder::from_parts(client.clone(), request))
}

/// The request redirected to the failover domain, if one is configured and the request goes to
/// the client's own base URI (a per-call `base_uri` is taken as meant).
fn failover_target(
    sender: &Sender<'_>,
    prepared: &PreparedRequest,
) -> Option<Box<PreparedRequest>> {
    let backup = sender.policies.failover.as_ref()?;
    if prepared.has_per_call_base() || prepared.url().origin() != sender.policies.base_uri.origin()
    {
        return None;
    }
    let mut moved = Box::new(prepared.clone());
    moved.move_to(backup).ok()?;
    Some(moved)
}

/// Sends the request, failing over when the connection could not be made.
async fn dispatch(
    sender: &Sender<'_>,
    prepared: Box<PreparedRequest>,
    deadline: tokio::time::Instant,
) -> Result<reqwest::Response> {
    let backup = failover_target(sender, &prepared);
    match (send_once(sender, prepared, deadline).await?, backup) {
        (Ok(answer), _) => Ok(answer),
        // Nothing reached the server: the same signed request may go to the backup domain.
        // Boxed: a rare path, kept out of every call's future.
        (Err(e), Some(backup)) if e.is_connect() => Box::pin(send_once(sender, backup, deadline))
            .await?
            .map_err(Error::Transport),
        (Err(e), _) => Err(Error::Transport(e)),
    }
}

/// One request on the wire, through its pool's cold-burst gate (see `connection`).
async fn send_once(
    sender: &Sender<'_>,
    prepared: Box<PreparedRequest>,
    deadline: tokio::time::Instant,
) -> Result<reqwest::Result<reqwest::Response>> {
    let gate = sender.transport.gate(prepared.security(), prepared.url());
    // At most half the call's remaining time is spent waiting at the gate, so a call that then
    // times out had been sent (its `Unknown` is true), rather than timing out while it waited.
    let wait = deadline.saturating_duration_since(tokio::time::Instant::now()) / 2;
    let request = request_builder(sender, prepared)?;
    Ok(crate::exchange::connection::send(gate, wait, request).await)
}

/// An unsigned download streamed into its file: the whole-call `timeout` bounds the wait for
/// the answer's headers, `stall_timeout` each wait for the next chunk.
async fn stream_to_file(
    sender: &Sender<'_>,
    prepared: Box<PreparedRequest>,
    mut intake: Intake,
    limits: Limits,
    deadline: tokio::time::Instant,
) -> Result<Response> {
    let protocol = prepared.protocol();
    let sign_type = prepared.v2_sign_type();
    let fapiao_file = prepared.is_unsigned();
    // The call's deadline bounds the headers and, on an error status, its body; the file's
    // bytes have their own bounds (`download_timeout`, `stall_timeout`).
    let mut answer = until(
        deadline,
        limits.timeout,
        dispatch(sender, prepared, deadline),
    )
    .await?;
    let (status, headers) = (answer.status(), std::mem::take(answer.headers_mut()));
    if !status.is_success() {
        let body = until(
            deadline,
            limits.timeout,
            read_capped(answer, limits.max_answer_bytes),
        )
        .await?;
        return Err(api_error(sender, protocol, status, headers, body)?);
    }
    let mut header_check = header_digest(&headers, fapiao_file)?;
    let download_deadline = crate::exchange::limits::deadline_after(limits.download_timeout);
    let mut head: Vec<u8> = Vec::new();
    let mut written: u64 = 0;
    let total = answer.content_length();
    while let Some(chunk) = next_chunk(&mut answer, &limits, download_deadline).await? {
        written += chunk.len() as u64;
        check_download_size(written, &limits)?;
        if head.len() < V2_FAILURE_PEEK {
            head.extend_from_slice(&chunk[..chunk.len().min(V2_FAILURE_PEEK - head.len())]);
        }
        intake.update(&chunk)?;
        if let Some(check) = header_check.as_mut() {
            check.update(&chunk);
        }
        if let Some(progress) = &sender.policies.download_progress {
            progress(written, total);
        }
    }
    if protocol == Protocol::V2 && written <= V2_FAILURE_PEEK as u64 {
        if let Some(failure) = v2_download_failure(sender, &head, sign_type) {
            return Err(failure);
        }
    }
    // Before the file replaces anything: a body that does not match its header is refused.
    if let Some(check) = header_check {
        check.finish()?;
    }
    if let Some(sink) = intake.finish()? {
        sink.commit()?;
    }
    Ok(Response::new(status, headers, Bytes::new()))
}
