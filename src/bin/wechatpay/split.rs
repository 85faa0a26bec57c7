//! Split signing: `request --string-to-sign` prints the exact APIv3 string to sign (no private
//! key needed here), and `request --signature SIG --timestamp T --nonce N` sends the call with a
//! signature made elsewhere (an HSM, another machine), through the library's own transport and
//! answer checks: no HTTP client of its own, so no rule of the library can be missing here.

use crate::config::Settings;
use crate::input::{args_map, chain_for, method, Options};
use std::sync::{Arc, Mutex};
use wechatpay::http::header::AUTHORIZATION;
use wechatpay::{Error, PreparedRequest, Protocol};

/// A signer that only records what it was asked to sign.
struct Capture(Mutex<Vec<u8>>);

impl wechatpay::crypto::Signer for Capture {
    fn sign(&self, message: &[u8]) -> wechatpay::Result<Vec<u8>> {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = message.to_vec();
        Ok(vec![0; 256])
    }
}

fn argument(name: &str, reason: &str) -> Error {
    Error::Argument {
        name: name.into(),
        reason: reason.into(),
    }
}

/// The request as the client would send it, signed by nobody, and the settings.
fn prepare(o: &Options) -> Result<(PreparedRequest, Settings, wechatpay::Client), Error> {
    let method = method(&o.method)?;
    let args = args_map(&o.args, &o.pairs)?;
    let settings = Settings::load(&o.sel)?;
    let client = settings.client_with(Some(Arc::new(Capture(Mutex::new(Vec::new())))), None)?;
    let prepared = chain_for(client.root(), &o.path).prepare(method, args)?;
    if prepared.protocol() != Protocol::V3 {
        return Err(argument(
            "--string-to-sign",
            "APIv2 calls are signed with the APIv2 secret, inside the body: use --dry-run",
        ));
    }
    Ok((prepared, settings, client))
}

/// A `name="value"` member of the Authorization header the client made.
fn member(prepared: &PreparedRequest, name: &str) -> Option<String> {
    let auth = prepared.headers().get(AUTHORIZATION)?.to_str().ok()?;
    let start = auth.find(&format!("{name}=\""))? + name.len() + 2;
    let end = auth[start..].find('"')? + start;
    Some(auth[start..end].to_string())
}

fn timestamp(t: &str) -> Result<i64, Error> {
    t.parse()
        .map_err(|_| argument("--timestamp", "not a Unix time in seconds"))
}

fn string_to_sign(prepared: &PreparedRequest, ts: i64, nonce: &str) -> Vec<u8> {
    let url = prepared.url();
    wechatpay::v3::canonical_request(
        prepared.method().as_str(),
        &url[url::Position::BeforePath..],
        ts,
        nonce,
        prepared.body(),
    )
}

/// Prints the exact string to sign; the timestamp and nonce to send it with go to stderr.
pub(crate) fn print_string_to_sign(o: &Options) -> Result<(), Error> {
    let (prepared, _, _) = prepare(o)?;
    let ts = match &o.timestamp {
        Some(t) => timestamp(t)?,
        None => member(&prepared, "timestamp")
            .and_then(|t| t.parse().ok())
            .unwrap_or_default(),
    };
    let nonce = match &o.nonce {
        Some(n) => n.clone(),
        None => member(&prepared, "nonce_str").unwrap_or_default(),
    };
    use std::io::Write as _;
    let _ = std::io::stdout().write_all(&string_to_sign(&prepared, ts, &nonce));
    eprintln!(
        "--timestamp {ts} --nonce {nonce}  (sign with SHA256-RSA, e.g. `openssl dgst -sha256 -sign apiclient_key.pem FILE | base64 -w0`; send within 5 minutes)"
    );
    Ok(())
}

/// Sends the call with the signature made elsewhere, through the library's own transport and
/// rules ([`wechatpay::Client::send_prepared`]); prints the verified answer as `request` does.
pub(crate) fn send_signed(o: &Options, signature: &str) -> Result<(), Error> {
    let (Some(ts), Some(nonce)) = (&o.timestamp, &o.nonce) else {
        return Err(argument("--signature", "goes with --timestamp and --nonce"));
    };
    let ts = timestamp(ts)?;
    let (mut prepared, settings, client) = prepare(o)?;
    let serial = settings.get("serial").ok_or_else(|| Error::Config {
        field: "serial",
        reason: "not set (WECHATPAY_SERIAL)".into(),
    })?;
    prepared
        .set_authorization(&wechatpay::v3::authorization(
            client.mchid(),
            serial,
            ts,
            nonce,
            signature,
        ))
        .map_err(|_| argument("--signature", "not a header value (base64 expected)"))?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::NotConfigured(format!("cannot start a runtime: {e}")))?;
    let res = rt
        .block_on(client.send_prepared(prepared))
        .inspect_err(|e| crate::answer::failed(o.include, e))?;
    crate::answer::print(&res, o.include, o.raw);
    Ok(())
}
