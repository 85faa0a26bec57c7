//! The client and its chain: where a call's path is built, and where the stages are wired
//! together. [`Client`] holds a [`Context`] (the identity that signs, the
//! trust store, the policies, the transport); a verb on a [`Chain`] prepares each attempt
//! (`request`) and hands it to the attempt loop (`exchange`).
//!
//! Also here: the `chain!` macro (`chain_macro`), the builder (`builder/`), certificate rotation
//! (`rotation`: it prepares, sends and verifies a download, so it needs every stage), and the
//! client's methods that use one lower module with the client's keys (`keys`, `notify`,
//! `paysign`, `presigned`). May use every folder but `blocking` and `mock`; nothing below
//! imports it.

pub(crate) mod builder;
pub(crate) mod chain_macro;
pub(crate) mod context;
mod keys;
mod notify;
mod paysign;
mod presigned;
pub(crate) mod rotation;
#[cfg(feature = "shangmi")]
mod shangmi;

use crate::answer::response::Response;
use crate::error::Result;
use crate::keys::keyring::Keyring;
use crate::request::media::Media;
use crate::request::path::normalize_segment;
use crate::request::prepared::PreparedRequest;
use context::Context;
use http::Method;
use serde_json::Value;
use std::sync::Arc;

/// A WeChat Pay client for one merchant: APIv3 and APIv2 through one chain.
///
/// Cheap to clone (an `Arc` inside); clones share keys and connections.
///
/// ```no_run
/// use serde_json::json;
/// use wechatpay::{chain, Client};
///
/// # async fn run(client: Client) -> wechatpay::Result<()> {
/// // pure chain
/// let res = chain!(client.v3.pay.transactions.outTradeNo._out_trade_no_)
///     .get(json!({ "out_trade_no": "1217752501201407033233368018", "query": { "mchid": "1230000109" } }))
///     .await?;
/// // template
/// let res = client.chain("v3/pay/transactions/out-trade-no/{out_trade_no}")
///     .get(json!({ "out_trade_no": "1217752501201407033233368018", "query": { "mchid": "1230000109" } }))
///     .await?;
/// // indexed template
/// let res = client["v3/pay/transactions/out-trade-no/{out_trade_no}"]
///     .get(json!({ "out_trade_no": "1217752501201407033233368018", "query": { "mchid": "1230000109" } }))
///     .await?;
/// println!("{}", res.json()?);
/// # Ok(()) }
/// ```
pub struct Client {
    pub(crate) context: Arc<Context>,
    /// Chains handed out by `client["template"]`; they live as long as this handle.
    index: elsa::sync::FrozenMap<String, Box<Chain>>,
}

impl Clone for Client {
    fn clone(&self) -> Self {
        Client::from_context(self.context.clone())
    }
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let identity = &self.context.identity;
        f.debug_struct("Client")
            .field(identity.scheme.id_field, &identity.id)
            .field("serial", &identity.v3.as_ref().map(|v| v.serial.as_str()))
            .field("keyring", &self.context.trust.keyring)
            .field("base_uri", &self.context.policies.base_uri.as_str())
            .field(
                "apiv2_secret",
                &identity.apiv2_secret.as_ref().map(|_| "<redacted>"),
            )
            .field(
                identity.scheme.notification_key,
                &identity.apiv3_key.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

impl Client {
    pub(crate) fn from_context(context: Arc<Context>) -> Client {
        Client {
            context,
            index: elsa::sync::FrozenMap::new(),
        }
    }

    /// The merchant id the client signs for; a brand client's brand id (see
    /// [`scheme`](Self::scheme)).
    pub fn mchid(&self) -> &str {
        &self.context.identity.id
    }

    /// The scheme the client signs under: [`Scheme::MERCHANT`](crate::v3::Scheme::MERCHANT), or
    /// [`Scheme::BRAND`](crate::v3::Scheme::BRAND) for a client built with
    /// [`ClientBuilder::brand_id`](crate::ClientBuilder::brand_id).
    ///
    /// ```
    /// let client = wechatpay::Client::builder().mchid("1900000001").build().unwrap();
    /// assert_eq!(client.scheme().id_field, "mchid");
    /// ```
    pub fn scheme(&self) -> &'static crate::v3::Scheme {
        self.context.identity.scheme
    }

    /// The keys that verify answers, shared with any background certificate refresh.
    pub fn keyring(&self) -> &Arc<Keyring> {
        &self.context.trust.keyring
    }

    /// An empty chain, to add segments to.
    pub fn root(&self) -> Chain {
        Chain {
            context: self.context.clone(),
            path: String::new(),
            invalid: None,
        }
    }

    /// A chain from one segment, normalised (`merchantService` is `merchant-service`).
    pub fn seg(&self, segment: &str) -> Chain {
        self.root().seg(segment)
    }

    /// The chain `v3`.
    pub fn v3(&self) -> Chain {
        self.seg("v3")
    }

    /// The chain `v2` (APIv2, XML).
    pub fn v2(&self) -> Chain {
        self.seg("v2")
    }

    /// A chain from a URI template, taken literally (no re-casing).
    ///
    /// ```no_run
    /// # async fn run(client: wechatpay::Client) -> wechatpay::Result<()> {
    /// let res = client
    ///     .chain("v3/fund-app/mch-transfer/transfer-to-qq-wallet-bills/{out_bill_no}/cancel")
    ///     .post(serde_json::json!({ "out_bill_no": "plfk2020042013" }))
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn chain(&self, template: &str) -> Chain {
        self.root().chain(template)
    }
}

/// `client["template"]`: the same as [`Client::chain`].
///
/// The chain is kept by this client handle (not its clones) so the reference can be handed out;
/// use placeholders rather than values in the template, or the cache grows with every value.
impl std::ops::Index<&str> for Client {
    type Output = Chain;

    fn index(&self, template: &str) -> &Chain {
        cached(&self.index, template, || self.chain(template))
    }
}

/// The chain kept for `template`, made on first use. Entries are never removed, so references
/// stay valid for as long as the map (the client handle that owns it) lives.
pub(crate) fn cached<'a, C>(
    map: &'a elsa::sync::FrozenMap<String, Box<C>>,
    template: &str,
    make: impl FnOnce() -> C,
) -> &'a C {
    match map.get(template) {
        Some(chain) => chain,
        None => map.insert(template.to_string(), Box::new(make())),
    }
}

/// A path under construction; the verbs send it.
///
/// Method names are only the verbs and a few accessors: path words, even `delete` or `return`,
/// are added with [`seg`](Self::seg) or the [`chain!`](crate::chain!) macro, so nothing shadows a
/// segment.
#[derive(Clone)]
pub struct Chain {
    pub(crate) context: Arc<Context>,
    path: String,
    /// The first segment that was not a path word, and why: reported when the call is made, so
    /// building a chain stays infallible and nothing is ever sent for it.
    invalid: Option<Arc<(String, String)>>,
}

impl std::fmt::Debug for Chain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Chain").field(&self.path).finish()
    }
}

impl Chain {
    /// Appends one segment, normalised as the PHP SDK does.
    ///
    /// ```
    /// # let client = wechatpay::Client::builder().mchid("1900000001").build().unwrap();
    /// let c = client.v3().seg("merchantService").seg("complaintsV2").seg("_complaint_id_");
    /// assert_eq!(c.template(), "v3/merchant-service/complaints-v2/{complaint_id}");
    /// ```
    ///
    /// A segment is a path word or a `_name_` placeholder; anything else (`..`, `a/b`, `?x`, an
    /// empty string) makes the call fail before anything is signed:
    ///
    /// ```
    /// # let client = wechatpay::Client::builder().mchid("1900000001").build().unwrap();
    /// let bad = client.v3().seg("..").seg("v2");
    /// let err = bad.prepare(wechatpay::http::Method::GET, serde_json::json!({})).unwrap_err();
    /// assert!(err.to_string().contains("not a path word"), "{err}");
    /// ```
    pub fn seg(mut self, segment: &str) -> Chain {
        if self.invalid.is_none() {
            if let Err(reason) = crate::request::path::check_segment(segment) {
                self.invalid = Some(Arc::new((segment.to_string(), reason)));
            }
        }
        self.push(&normalize_segment(segment));
        self
    }

    /// Appends a template, literally.
    pub fn chain(mut self, template: &str) -> Chain {
        self.push(template);
        self
    }

    fn push(&mut self, piece: &str) {
        if !self.path.is_empty() {
            self.path.push('/');
        }
        self.path.push_str(piece);
    }

    /// The URI template built so far.
    pub fn template(&self) -> &str {
        &self.path
    }

    /// Builds and signs the request without sending it (what `--dry-run` prints).
    pub fn prepare(&self, method: Method, args: Value) -> Result<PreparedRequest> {
        self.check_segments()?;
        self.context.prepare(method, &self.path, &args, None)
    }

    /// One attempt, prepared and signed here or, when the client has one, on its signing pool.
    /// The arguments are read, not taken: each attempt reads them again.
    async fn prepare_attempt(&self, method: Method, args: &Value) -> Result<PreparedRequest> {
        match &self.context.exchange.signing_pool {
            None => {
                self.check_segments()?;
                self.context.prepare(method, &self.path, args, None)
            }
            Some(pool) => {
                self.check_segments()?;
                let (context, path) = (self.context.clone(), self.path.clone());
                // Waiting for a place counts against the call's one deadline (its timeout, or
                // the retry deadline when earlier); past it, nothing is sent.
                let policies = &self.context.policies;
                let wait = crate::request::args::timeout_of(args)
                    .unwrap_or(policies.limits.timeout)
                    .min(policies.retry.with_call(args.get("retry")).total_deadline());
                // The pool's thread needs its own copy.
                let args = args.clone();
                pool.run(wait, move || context.prepare(method, &path, &args, None))
                    .await
            }
        }
    }

    fn check_segments(&self) -> Result<()> {
        match &self.invalid {
            None => Ok(()),
            Some(bad) => Err(crate::Error::Template {
                template: self.path.clone(),
                reason: format!("segment {}", bad.1),
            }),
        }
    }

    /// Sends the call with any method and returns the verified answer.
    pub async fn request(&self, method: Method, args: Value) -> Result<Response> {
        self.context
            .run(&method, &self.path, || {
                self.prepare_attempt(method.clone(), &args)
            })
            .await
    }

    /// `POST`s a media upload: the body is `multipart/form-data`, the signature covers its `meta`.
    ///
    /// ```no_run
    /// # async fn run(client: wechatpay::Client) -> wechatpay::Result<()> {
    /// let logo = wechatpay::Media::from_file("logo.png")?;
    /// let res = client.chain("v3/merchant/media/upload").upload(&logo, serde_json::json!({})).await?;
    /// println!("{}", res.json()?["media_id"]);
    /// # Ok(()) }
    /// ```
    pub async fn upload(&self, media: &Media, args: Value) -> Result<Response> {
        self.check_segments()?;
        self.context
            .run(&Method::POST, &self.path, || {
                std::future::ready(self.context.prepare(
                    Method::POST,
                    &self.path,
                    &args,
                    Some(media),
                ))
            })
            .await
    }

    /// `GET` with the given arguments (`null` or `{}` for none).
    pub async fn get(&self, args: Value) -> Result<Response> {
        self.request(Method::GET, args).await
    }

    /// `POST` with the given arguments.
    pub async fn post(&self, args: Value) -> Result<Response> {
        self.request(Method::POST, args).await
    }

    /// `PUT` with the given arguments.
    pub async fn put(&self, args: Value) -> Result<Response> {
        self.request(Method::PUT, args).await
    }

    /// `PATCH` with the given arguments.
    pub async fn patch(&self, args: Value) -> Result<Response> {
        self.request(Method::PATCH, args).await
    }

    /// `DELETE` with the given arguments.
    pub async fn delete(&self, args: Value) -> Result<Response> {
        self.request(Method::DELETE, args).await
    }
}
