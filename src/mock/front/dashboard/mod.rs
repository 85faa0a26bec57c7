//! The dashboard (issue 21): a page under the admin prefix, on a port of its own (plain HTTP on
//! 127.0.0.1, so a browser opens it without trusting the emulator's CA), that shows and drives
//! the emulator through the admin API. Plain HTML, CSS and JavaScript embedded in the binary:
//! no build step, nothing fetched from elsewhere.
//!
//! - `guard.rs`: `Host`, `Origin` and the run's token, for the admin API on both ports;
//! - `api.rs`, `requests.rs`: the calls the page adds to the admin API; `qr.rs`: QR codes;
//! - `assets/`: the page.

pub(crate) mod api;
pub(crate) mod guard;
pub(crate) mod qr;
pub(crate) mod requests;

use super::admin::PREFIX;
use super::shared::Shared;
use api::Reply;
use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode};
use http_body_util::{combinators::BoxBody, BodyExt, Full};
use hyper_util::rt::TokioIo;
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

pub(crate) type Body = BoxBody<Bytes, std::io::Error>;

const INDEX: &str = include_str!("assets/index.html");
const SCRIPT: &str = include_str!("assets/app.js");
const STYLE: &str = include_str!("assets/style.css");

/// Answers a request under the admin prefix, on either port: the guard, then the page, the
/// dashboard's calls, the admin API.
pub(crate) async fn answer(
    shared: &Arc<Shared>,
    parts: &http::request::Parts,
    body: &Bytes,
) -> Response<Body> {
    let path = parts.uri.path();
    let query = parts.uri.query();
    let rest = path.strip_prefix(PREFIX).unwrap_or("");
    let call: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
    if let Err(why) = guard::check(&shared.access, &parts.method, &call, query, &parts.headers) {
        let v = json!({ "code": "FORBIDDEN", "message": why });
        return reply(Reply::Json(StatusCode::FORBIDDEN, v));
    }
    if parts.method == http::Method::GET {
        let asset = match call.as_slice() {
            [] => Some(("text/html; charset=utf-8", INDEX)),
            ["app.js"] => Some(("text/javascript; charset=utf-8", SCRIPT)),
            ["style.css"] => Some(("text/css; charset=utf-8", STYLE)),
            _ => None,
        };
        if let Some((kind, text)) = asset {
            return reply(Reply::File(kind, text.as_bytes().to_vec(), None));
        }
    }
    if let Some(r) = api::answer(shared, &parts.method, &call, query) {
        return reply(r);
    }
    let (status, v) = super::admin::handle(shared, &parts.method, path, query, body).await;
    reply(Reply::Json(status, v))
}

fn reply(r: Reply) -> Response<Body> {
    let (status, kind, bytes, file) = match r {
        Reply::Json(status, v) => (status, "application/json", v.to_string().into_bytes(), None),
        Reply::File(kind, bytes, file) => (StatusCode::OK, kind, bytes, file),
    };
    let mut res = Response::new(
        Full::new(Bytes::from(bytes))
            .map_err(|never| match never {})
            .boxed(),
    );
    *res.status_mut() = status;
    let h = res.headers_mut();
    h.insert(http::header::CONTENT_TYPE, HeaderValue::from_static(kind));
    // The page runs its own script and styles only, is never framed (no clickjacking of its
    // buttons), and never sends its URL, which holds the token, to anyone.
    h.insert(
        "content-security-policy",
        HeaderValue::from_static(
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
             connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
        ),
    );
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    h.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    h.insert("cache-control", HeaderValue::from_static("no-store"));
    if let Some(name) =
        file.and_then(|f| HeaderValue::from_str(&format!("attachment; filename=\"{f}\"")).ok())
    {
        h.insert(http::header::CONTENT_DISPOSITION, name);
    }
    res
}

/// The dashboard's listener: plain HTTP/1.1 on 127.0.0.1; `/` leads to the page.
pub(crate) async fn serve(
    listener: tokio::net::TcpListener,
    shared: Arc<Shared>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let mut connections = tokio::task::JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                };
                let shared = shared.clone();
                connections.spawn(async move {
                    let service = hyper::service::service_fn(move |req| {
                        let shared = shared.clone();
                        async move { Ok::<_, std::io::Error>(route(&shared, req).await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            _ = stop.changed() => break,
        }
    }
}

async fn route(shared: &Arc<Shared>, req: http::Request<hyper::body::Incoming>) -> Response<Body> {
    let (parts, body) = req.into_parts();
    let body = match http_body_util::Limited::new(body, 1 << 20).collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => Bytes::new(),
    };
    if parts.uri.path().starts_with(PREFIX) {
        return answer(shared, &parts, &body).await;
    }
    let mut res = reply(Reply::Json(
        StatusCode::NOT_FOUND,
        json!({ "code": "NOT_FOUND", "message": "the dashboard is at /__emulator/" }),
    ));
    if parts.uri.path() == "/" {
        *res.status_mut() = StatusCode::FOUND;
        res.headers_mut()
            .insert(http::header::LOCATION, HeaderValue::from_static(PREFIX));
    }
    res
}

impl super::server::Server {
    /// The dashboard's address, with the run's token (`http://127.0.0.1:PORT/__emulator/?token=…`):
    /// open it in a browser. Anyone holding it can drive the emulator: print it, never publish it.
    ///
    /// ```no_run
    /// # async fn run() -> wechatpay::Result<()> {
    /// let server = wechatpay::mock::Server::start().await?;
    /// println!("dashboard: {}", server.dashboard_url());
    /// # Ok(()) }
    /// ```
    pub fn dashboard_url(&self) -> String {
        let port = self
            .shared
            .access
            .dashboard_port
            .get()
            .copied()
            .unwrap_or(0);
        format!(
            "http://127.0.0.1:{port}{PREFIX}?token={}",
            self.shared.access.token
        )
    }

    /// The run's admin token: the admin API (on the emulator's port and the dashboard's) wants
    /// it, as the `X-Emulator-Token` header or `token=` in the query, on every call that changes
    /// state or reads keys. The [`Server`](super::server::Server) methods need none.
    ///
    /// ```no_run
    /// # async fn run() -> wechatpay::Result<()> {
    /// let server = wechatpay::mock::Server::start().await?;
    /// let pay = format!("{}__emulator/orders/T1/pay", server.url());
    /// // curl -X POST -H "X-Emulator-Token: {token}" {pay}
    /// let token = server.admin_token();
    /// # let _ = (pay, token); Ok(()) }
    /// ```
    pub fn admin_token(&self) -> &str {
        &self.shared.access.token
    }
}
