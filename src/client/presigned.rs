//! Split signing: a request prepared by a client, signed elsewhere (an HSM, another machine, a
//! person with the key), then sent through the same transport, limits and answer checks as every
//! other call, so the two paths cannot differ. The signature goes in with
//! `PreparedRequest::set_authorization` (`request/prepared.rs`).

use crate::answer::response::Response;
use crate::client::Client;
use crate::error::{Error, Result};
use crate::request::prepared::{PreparedRequest, Protocol};

impl Client {
    /// Sends a request this client prepared ([`Chain::prepare`](crate::Chain::prepare)) and that
    /// was signed elsewhere ([`PreparedRequest::set_authorization`]), and returns the verified
    /// answer.
    ///
    /// It goes out exactly as a call made with [`Chain::request`](crate::Chain::request): the
    /// client's connection pools, proxy rules (never a proxy for loopback), no redirects, its
    /// time and size limits, and the same answer checks (a 2xx must verify; an error answer is
    /// `Error::Api`, `verified` only when its signature checks). It is sent once: a retry would
    /// need a fresh signature. A request whose host this client may not reach is refused before
    /// anything is sent.
    ///
    /// ```no_run
    /// # async fn run(client: wechatpay::Client) -> wechatpay::Result<()> {
    /// # fn sign_elsewhere(_: &[u8]) -> String { String::new() }
    /// use wechatpay::{http::Method, v3};
    /// let mut prepared = client.chain("v3/certificates").prepare(Method::GET, serde_json::json!({}))?;
    /// let (ts, nonce) = (1554208460, "593BEC0C930BF1AFEB40B4A08C8FB242");
    /// // The exact bytes to sign (method, path and query, time, nonce, body), signed elsewhere:
    /// let message = v3::canonical_request("GET", "/v3/certificates", ts, nonce, prepared.body());
    /// let signature = sign_elsewhere(&message);
    /// let serial = "1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C";
    /// prepared.set_authorization(&v3::authorization(client.mchid(), serial, ts, nonce, &signature))?;
    /// let res = client.send_prepared(prepared).await?;
    /// println!("{}", res.json()?);
    /// # Ok(()) }
    /// ```
    pub async fn send_prepared(&self, mut prepared: PreparedRequest) -> Result<Response> {
        let context = &self.context;
        let url = prepared.url();
        let hosts = &context.policies.allowed_hosts;
        let allowed = hosts.allows(url) || (prepared.has_per_call_base() && hosts.allows_base(url));
        if !allowed {
            return Err(Error::argument(
                "prepared",
                format!(
                    "goes to `{}`, which this client may not reach: send it with the client that prepared it",
                    &url[..url::Position::BeforePath]
                ),
            ));
        }
        // One attempt: resending would repeat the signature, not make a fresh one.
        prepared.retry = Some(serde_json::Value::Bool(false));
        let method = prepared.method().clone();
        // The call's span names a template, never the path (which may hold an order number).
        let template = match prepared.protocol() {
            Protocol::V3 => "{prepared}",
            Protocol::V2 => "v2/{prepared}",
        };
        context
            .run(&method, template, || {
                std::future::ready(Ok(prepared.clone()))
            })
            .await
    }
}
