//! One call from arguments to a signed request: expand the template, route (`v2/` or not), apply
//! the outbound target rule, then sign (APIv3) or transform and sign (APIv2).

use crate::answer::digest::Expected;
use crate::error::{Error, Result};
use crate::keys::keyring::Keyring;
use crate::policy::Policies;
use crate::protocol::identity::Identity;
use crate::protocol::v3;
use crate::request::args::Options;
use crate::request::media::Media;
use crate::request::prepared::{PreparedRequest, Protocol};
use crate::request::query::build_query;
use crate::request::template::Template;
use crate::util::{nonce, unix_now};
use base64::Engine;
use bytes::Bytes;
use http::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, USER_AGENT};
use http::{HeaderMap, HeaderValue, Method};
use serde_json::Value;
use url::Url;

const V3_ACCEPT: &str =
    "application/json, text/plain, application/x-gzip, application/pdf, image/png, image/*;q=0.5";
/// The fapiao file is a PDF, XML or OFD sent as `application/octet-stream`; errors are JSON.
const FILE_ACCEPT: &str = "application/octet-stream, application/pdf, application/json;q=0.5";
const V2_ACCEPT: &str = "text/xml, text/plain, application/x-gzip";
const WECHATPAY_SERIAL: http::HeaderName = http::HeaderName::from_static("wechatpay-serial");

/// Splits a path into the protocol and the path sent: `v2/` (any case) goes to APIv2, without it.
pub(crate) fn route(expanded: &str) -> (Protocol, &str) {
    match expanded.get(..3) {
        Some(p) if p.eq_ignore_ascii_case("v2/") => (Protocol::V2, &expanded[3..]),
        _ => (Protocol::V3, expanded),
    }
}

/// Prepares and signs one attempt of a call, with `media` as the body of an upload (APIv3 only).
/// It reads who signs, the client's policies, and the keyring (whose preferred key is named in
/// `Wechatpay-Serial`).
pub(crate) fn prepare(
    identity: &Identity,
    policies: &Policies,
    keyring: &Keyring,
    method: Method,
    template: &str,
    args: &Value,
    media: Option<&Media>,
) -> Result<PreparedRequest> {
    let template = Template::parse(template)?;
    let opts = Options::parse(args, &template)?;
    if let Some(d) = &opts.digest {
        Expected::parse(d.clone())?;
    }
    let none = serde_json::Map::new();
    let expanded = template.expand(opts.vars.unwrap_or(&none))?;
    let (protocol, path) = route(crate::request::target::relative(&expanded)?);
    if protocol == Protocol::V3 {
        let allowed = &policies.allowed_hosts;
        if let Some(url) = crate::request::target::resolve_fapiao_file(allowed, path, &method)? {
            return prepare_fapiao_file(policies, url, opts, media);
        }
    }
    if protocol == Protocol::V2 {
        crate::request::scheme::check(identity, expanded.trim_start_matches('/'))?;
    }
    let base = opts.base_uri.as_ref().unwrap_or(&policies.base_uri);
    // The one outbound rule, before anything is signed: see `target`.
    let mut url = crate::request::target::resolve(
        base,
        opts.base_uri.is_some(),
        &policies.allowed_hosts,
        path,
        protocol == Protocol::V2,
    )?;
    if protocol == Protocol::V3 {
        crate::request::scheme::check_sent(identity, &url, [base, &policies.base_uri])?;
    }
    match protocol {
        Protocol::V3 => {
            let signer = Signing {
                identity,
                policies,
                keyring,
            };
            prepare_v3(signer, method, template.as_str(), url, opts, media)
        }
        Protocol::V2 if media.is_some() => Err(Error::argument(
            "media",
            "media uploads go to APIv3 paths; an APIv2 upload is a raw `body`",
        )),
        Protocol::V2 => {
            if let Some(query) = &opts.query {
                if method != Method::GET {
                    append_query(&mut url, &build_query(query)?);
                }
            }
            prepare_v2(identity, policies, method, url, opts)
        }
    }
}

fn append_query(url: &mut Url, query: &str) {
    if query.is_empty() {
        return;
    }
    let joined = match url.query() {
        Some(q) if !q.is_empty() => format!("{q}&{query}"),
        _ => query.to_string(),
    };
    url.set_query(Some(&joined));
}

fn base_headers(policies: &Policies, accept: &'static str) -> HeaderMap {
    let mut headers = HeaderMap::with_capacity(6);
    headers.insert(ACCEPT, HeaderValue::from_static(accept));
    headers.insert(USER_AGENT, policies.user_agent.clone());
    headers
}

/// What signing an APIv3 request reads.
#[derive(Clone, Copy)]
struct Signing<'a> {
    identity: &'a Identity,
    policies: &'a Policies,
    keyring: &'a Keyring,
}

fn prepare_v3(
    Signing {
        identity,
        policies,
        keyring,
    }: Signing<'_>,
    method: Method,
    template: &str,
    mut url: Url,
    opts: Options<'_>,
    media: Option<&Media>,
) -> Result<PreparedRequest> {
    #[cfg(feature = "catalogue")]
    let mut opts = opts;
    let v3_identity = identity.v3.as_ref().ok_or_else(|| {
        Error::NotConfigured(format!(
            "APIv3 calls need the {} API certificate serial and private key: set ClientBuilder::serial and ::private_key",
            identity.scheme.signer
        ))
    })?;
    if opts.xml.is_some() {
        return Err(Error::argument(
            "xml",
            "`xml` is for APIv2 paths (starting with v2/); APIv3 takes `json`",
        ));
    }
    if let Some(query) = &opts.query {
        append_query(&mut url, &build_query(query)?);
    }
    let mut headers = base_headers(policies, V3_ACCEPT);
    // What the signature covers: the body, except for uploads, where it is the `meta` JSON.
    let mut signed: Option<Bytes> = None;
    if let Some(media) = media {
        if opts.json.is_some() || opts.body.is_some() {
            return Err(Error::argument(
                "json",
                "an upload's body is the media: put extra fields in its meta (Media::with_meta)",
            ));
        }
        signed = Some(Bytes::copy_from_slice(media.meta().as_bytes()));
    }
    #[cfg(feature = "catalogue")]
    if policies.auto_encrypt && media.is_none() {
        if let Some(json) = opts.json.as_mut() {
            let caller = opts
                .headers
                .iter()
                .find(|(n, _)| *n == WECHATPAY_SERIAL)
                .and_then(|(_, v)| v.to_str().ok().map(str::to_string));
            let used = crate::request::autoencrypt::encrypt_documented(
                keyring,
                &method,
                template,
                // Copied here only: the caller's arguments stay as given for a retry.
                json.to_mut(),
                caller.as_deref(),
            )?;
            if let (Some(id), None) = (used, caller) {
                if let Ok(v) = HeaderValue::from_str(&id) {
                    headers.insert(WECHATPAY_SERIAL, v);
                }
            }
        }
    }
    #[cfg(not(feature = "catalogue"))]
    let _ = template;
    let body = match (&opts.json, opts.body, media) {
        (_, _, Some(media)) => {
            let mut raw = [0u8; 20];
            getrandom::getrandom(&mut raw).map_err(|e| Error::Crypto(e.to_string()))?;
            let (body, content_type) = media.multipart(&hex::encode(raw));
            headers.insert(
                CONTENT_TYPE,
                HeaderValue::from_str(&content_type)
                    .map_err(|e| Error::argument("media", e.to_string()))?,
            );
            body
        }
        (Some(json), _, None) => {
            headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            Bytes::from(
                serde_json::to_vec(json).map_err(|e| Error::argument("json", e.to_string()))?,
            )
        }
        (None, Some(body), None) => {
            headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            body
        }
        (None, None, None) => Bytes::new(),
    };
    for (name, value) in opts.headers {
        headers.insert(name, value);
    }
    let timestamp = unix_now();
    // On every request (the caller's own header wins): WeChat Pay signs the answer with the key
    // this names, so a client that holds only a public key is never answered with a certificate.
    // Not on the certificate listing, which is how a client learns the serials it lacks.
    let listing = url.path().ends_with("/v3/certificates");
    if !listing && !headers.contains_key(WECHATPAY_SERIAL) {
        if let Some(Ok(value)) = keyring.with_preferred_id(timestamp, HeaderValue::from_str) {
            headers.insert(WECHATPAY_SERIAL, value);
        }
    }
    let target = &url[url::Position::BeforePath..];
    let nonce = nonce(32);
    let message = v3::canonical_request(
        method.as_str(),
        target,
        timestamp,
        &nonce,
        signed.as_deref().unwrap_or(&body),
    );
    let signature =
        base64::engine::general_purpose::STANDARD.encode(v3_identity.signer.sign(&message)?);
    let authorization = identity.scheme.authorization(
        &identity.id,
        &v3_identity.serial,
        timestamp,
        &nonce,
        &signature,
    );
    // Taken, not copied.
    let mut authorization =
        HeaderValue::from_maybe_shared(Bytes::from(authorization)).map_err(|_| {
            Error::config(
                "serial",
                "the Authorization header would hold invalid characters",
            )
        })?;
    // Never put in HTTP/2's header table, and shown as `Sensitive` by `Debug`.
    authorization.set_sensitive(true);
    headers.insert(AUTHORIZATION, authorization);
    Ok(PreparedRequest {
        protocol: Protocol::V3,
        method,
        url,
        headers,
        body,
        security: opts.security,
        limits: opts.limits,
        sink: opts.sink,
        per_call_base: opts.base_uri.is_some(),
        digest: opts.digest,
        gunzip: opts.gunzip,
        retry: opts.retry,
        unsigned: false,
        v2_sign_type: None,
    })
}

/// The fapiao file download, sent as WeChat Pay documents it: unsigned (no `Authorization`, no
/// `Wechatpay-Serial`), a `GET` without a body; its answer is checked by its `SM3-Digest`.
fn prepare_fapiao_file(
    policies: &Policies,
    mut url: Url,
    opts: Options,
    media: Option<&Media>,
) -> Result<PreparedRequest> {
    if media.is_some() || opts.json.is_some() || opts.body.is_some() || opts.xml.is_some() {
        return Err(Error::argument(
            "json",
            "the fapiao file download is a GET without a body: its parameters go in the query",
        ));
    }
    if let Some(query) = &opts.query {
        append_query(&mut url, &build_query(query)?);
    }
    let mut headers = base_headers(policies, FILE_ACCEPT);
    for (name, value) in opts.headers {
        headers.insert(name, value);
    }
    Ok(PreparedRequest {
        protocol: Protocol::V3,
        method: Method::GET,
        url,
        headers,
        body: Bytes::new(),
        security: opts.security,
        limits: opts.limits,
        sink: opts.sink,
        per_call_base: opts.base_uri.is_some(),
        digest: opts.digest,
        gunzip: opts.gunzip,
        retry: opts.retry,
        unsigned: true,
        v2_sign_type: None,
    })
}

fn prepare_v2(
    identity: &Identity,
    policies: &Policies,
    method: Method,
    mut url: Url,
    opts: Options<'_>,
) -> Result<PreparedRequest> {
    let secret = identity.apiv2_secret().ok_or_else(|| {
        Error::NotConfigured(
            "APIv2 calls need the APIv2 secret: set ClientBuilder::apiv2_secret".into(),
        )
    })?;
    if opts.json.is_some() {
        return Err(Error::argument(
            "json",
            "`json` is for APIv3; APIv2 paths (v2/...) take `xml`",
        ));
    }
    let is_get = method == Method::GET;
    let data = if is_get {
        opts.query.cloned().unwrap_or_default()
    } else {
        opts.xml.unwrap_or_default()
    };
    let signed =
        crate::protocol::v2::prepare(is_get, data, Some(&identity.id), secret, opts.nonceless)?;
    let mut headers = base_headers(policies, V2_ACCEPT);
    let body = match (signed.query, signed.body, opts.body) {
        (Some(query), _, _) => {
            url.set_query(Some(&query));
            Bytes::new()
        }
        (None, _, Some(raw)) => raw,
        (None, Some(xml), None) => {
            headers.insert(
                CONTENT_TYPE,
                HeaderValue::from_static("text/xml; charset=utf-8"),
            );
            Bytes::from(xml)
        }
        (None, None, None) => Bytes::new(),
    };
    for (name, value) in opts.headers {
        headers.insert(name, value);
    }
    Ok(PreparedRequest {
        protocol: Protocol::V2,
        method,
        url,
        headers,
        body,
        security: opts.security,
        limits: opts.limits,
        sink: opts.sink,
        per_call_base: opts.base_uri.is_some(),
        digest: opts.digest,
        gunzip: opts.gunzip,
        retry: opts.retry,
        unsigned: false,
        v2_sign_type: Some(signed.sign_type),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routing() {
        assert_eq!(route("v2/pay/micropay"), (Protocol::V2, "pay/micropay"));
        assert_eq!(route("V2/pay/orderquery"), (Protocol::V2, "pay/orderquery"));
        assert_eq!(route("v2"), (Protocol::V3, "v2"));
        assert_eq!(route("v2x/a"), (Protocol::V3, "v2x/a"));
        assert_eq!(route("v3/pay"), (Protocol::V3, "v3/pay"));
        assert_eq!(route("/v3/pay"), (Protocol::V3, "/v3/pay"));
    }
}
