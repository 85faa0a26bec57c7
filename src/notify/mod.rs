//! Notifications (callbacks): verify WeChat Pay's signature over the raw body, then decrypt.
//!
//! The one call takes the raw body bytes and a plain [`http::HeaderMap`], so it fits axum,
//! actix-web and hyper handlers alike. Pass the bytes as received: a body parsed and
//! re-serialised by a framework no longer matches the signature.
//!
//! Holds the parser and the typed views (`events`); the client's own methods
//! (`Client::parse_notification` and its kin) are in `client/notify.rs`. May use: `util`,
//! `error`, `keys`, `protocol`.

mod events;

pub use events::{Event, ExpectedOrder, Refund, RefundAmount, Transaction, TransactionAmount};

use crate::error::{Error, Result};
use crate::keys::crypto::aes::aes_256_gcm_decrypt;
use crate::keys::keyring::Keyring;
use crate::util::unix_now;
use http::HeaderMap;
use serde::Deserialize;
use serde_json::Value;

/// A verified, decrypted APIv3 notification.
///
/// `Debug` shows the id, times and kinds, and only the *names* of the resource's fields: the
/// decrypted resource holds the payer's openid and what was paid.
///
/// ```
/// # fn log(n: &wechatpay::notify::Notification) {
/// // e.g. Notification { id: "EV-2018022511223320873", event_type: "TRANSACTION.SUCCESS", …,
/// //      resource_fields: ["mchid", "out_trade_no", "payer", …] }
/// println!("{n:?}");
/// # }
/// ```
#[derive(Clone)]
#[non_exhaustive]
pub struct Notification {
    /// Notification id, unique per event (use it to make handling idempotent).
    pub id: String,
    /// When WeChat Pay created it (RFC 3339).
    pub create_time: String,
    /// E.g. `TRANSACTION.SUCCESS`, `REFUND.SUCCESS`.
    pub event_type: String,
    /// `encrypt-resource`.
    pub resource_type: String,
    /// A short human summary, e.g. `支付成功`.
    pub summary: String,
    /// The decrypted resource's `original_type`, e.g. `transaction`.
    pub original_type: String,
    /// The decrypted resource.
    pub resource: Value,
}

impl std::fmt::Debug for Notification {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = match &self.resource {
            Value::Object(map) => map.keys().map(String::as_str).collect(),
            _ => Vec::new(),
        };
        f.debug_struct("Notification")
            .field("id", &self.id)
            .field("create_time", &self.create_time)
            .field("event_type", &self.event_type)
            .field("resource_type", &self.resource_type)
            .field("summary", &self.summary)
            .field("original_type", &self.original_type)
            .field("resource_fields", &names)
            .finish()
    }
}

#[derive(Deserialize)]
struct Envelope {
    id: String,
    #[serde(default)]
    create_time: String,
    event_type: String,
    resource_type: String,
    #[serde(default)]
    summary: String,
    resource: EncryptedResource,
}

#[derive(Deserialize)]
struct EncryptedResource {
    algorithm: String,
    ciphertext: String,
    nonce: String,
    #[serde(default)]
    associated_data: String,
    #[serde(default)]
    original_type: String,
}

/// Verifies and decrypts notifications;
/// [`Client::parse_notification`](crate::Client::parse_notification) builds one for you.
pub struct NotificationParser<'a> {
    keyring: &'a Keyring,
    apiv3_key: &'a [u8],
}

impl<'a> NotificationParser<'a> {
    /// A parser over the WeChat Pay keys and the merchant's 32-byte APIv3 key.
    pub fn new(keyring: &'a Keyring, apiv3_key: &'a [u8]) -> Self {
        NotificationParser { keyring, apiv3_key }
    }

    /// Checks the signature type (`Wechatpay-Signature-Type`, absent or
    /// `WECHATPAY2-SHA256-RSA2048`), the clock window and the signature over the raw `body`,
    /// then decrypts the resource.
    pub fn parse(&self, headers: &HeaderMap, body: &[u8]) -> Result<Notification> {
        self.parse_at(headers, body, unix_now())
    }

    /// As [`parse`](Self::parse), at a given time (tests, replays).
    pub fn parse_at(&self, headers: &HeaderMap, body: &[u8], now: i64) -> Result<Notification> {
        crate::protocol::v3::check_signed_headers(self.keyring, now, headers, body).map_err(|e| match e {
            Error::Signature(reason) if reason.starts_with(crate::protocol::v3::MISMATCH) => {
                Error::Signature(format!(
                    "{reason}; check that the handler passes the raw request body, byte for byte \
                     (not JSON re-serialised by a framework), and that the WeChat Pay key named by Wechatpay-Serial is the right one"
                ))
            }
            other => other,
        })?;
        let envelope: Envelope = serde_json::from_slice(body)
            .map_err(|e| Error::decode("the notification envelope", e))?;
        let r = &envelope.resource;
        let plain = open_resource(self.apiv3_key, r)?;
        let resource: Value = serde_json::from_slice(&plain)
            .map_err(|e| Error::decode("the decrypted notification resource", e))?;
        Ok(Notification {
            id: envelope.id,
            create_time: envelope.create_time,
            event_type: envelope.event_type,
            resource_type: envelope.resource_type,
            summary: envelope.summary,
            original_type: envelope.resource.original_type,
            resource,
        })
    }
}

/// Opens `resource` by its `algorithm`: AEAD_AES_256_GCM, or AEAD_SM4_GCM (国密, feature
/// `shangmi`; the key derived from the APIv3 key as WeChat Pay's Java SDK does).
fn open_resource(apiv3_key: &[u8], r: &EncryptedResource) -> Result<Vec<u8>> {
    let (nonce, aad) = (r.nonce.as_bytes(), r.associated_data.as_bytes());
    match r.algorithm.as_str() {
        "AEAD_AES_256_GCM" => aes_256_gcm_decrypt(apiv3_key, nonce, aad, &r.ciphertext),
        #[cfg(feature = "shangmi")]
        "AEAD_SM4_GCM" => {
            crate::keys::crypto::sm::sm4_gcm_decrypt(apiv3_key, nonce, aad, &r.ciphertext)
        }
        #[cfg(not(feature = "shangmi"))]
        "AEAD_SM4_GCM" => Err(Error::decode(
            "the notification resource",
            "algorithm `AEAD_SM4_GCM` (国密) needs the crate feature `shangmi`",
        )),
        other => Err(Error::decode(
            "the notification resource",
            format!("unsupported algorithm `{other}` (expected AEAD_AES_256_GCM or AEAD_SM4_GCM)"),
        )),
    }
}

/// The answer WeChat Pay expects from a notification handler.
///
/// Success is a bare `200`; failure a 5xx with `{"code":"FAIL","message":…}`, after which WeChat Pay
/// sends the notification again.
///
/// ```
/// use wechatpay::notify::Reply;
/// assert_eq!(Reply::success().status, 200);
/// let fail = Reply::failure("bad signature");
/// assert_eq!(fail.status, 500);
/// assert_eq!(fail.body, r#"{"code":"FAIL","message":"bad signature"}"#);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// HTTP status.
    pub status: u16,
    /// Body (empty on success).
    pub body: String,
}

impl Reply {
    /// Acknowledges the notification.
    pub fn success() -> Reply {
        Reply {
            status: 200,
            body: String::new(),
        }
    }

    /// Refuses it, so WeChat Pay retries later.
    pub fn failure(message: &str) -> Reply {
        Reply {
            status: 500,
            body: serde_json::json!({ "code": "FAIL", "message": message }).to_string(),
        }
    }

    /// As an `http::Response`, for hyper or axum handlers.
    pub fn into_http(self) -> http::Response<String> {
        let mut res = http::Response::new(self.body);
        *res.status_mut() = http::StatusCode::from_u16(self.status).unwrap_or(http::StatusCode::OK);
        if res.status() != http::StatusCode::OK {
            res.headers_mut().insert(
                http::header::CONTENT_TYPE,
                http::HeaderValue::from_static("application/json"),
            );
        }
        res
    }
}
