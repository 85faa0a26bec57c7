//! The background worker's jobs, and the record of each notification delivery attempt.

use serde_json::Value;
use std::time::Duration;

/// Work for the worker.
pub(crate) enum Job {
    /// Pay this order after this delay.
    AutoPay {
        mchid: String,
        out_trade_no: String,
        after: Duration,
    },
    /// Deliver a documented notification.
    Notify {
        mchid: String,
        url: String,
        /// The notification's name in the catalogue (`TRANSACTION.SUCCESS`,
        /// `v2/transaction-success`).
        name: String,
        /// `out_trade_no`, `out_refund_no`, or what else names the business object.
        subject: String,
        /// The resource (APIv2 plain: the XML fields) as the flow or the caller gave it.
        content: Value,
        /// Synthesize the page's required fields under `content` (the admin API, the CLI, the
        /// calls with no flow); a flow's content is complete as it is.
        fill: bool,
        /// APIv2: the order's sign type.
        sign_type: Option<crate::v2::SignType>,
    },
    /// Deliver a product-coupon notification to a brand (sealed with its brand API key).
    BrandNotify {
        brand_id: String,
        url: String,
        event_type: String,
        /// `coupon_code`, or what else names the coupon.
        subject: String,
        resource: Value,
    },
}

/// One notification delivery attempt (or a skipped one), from [`Server::deliveries`](crate::mock::Server::deliveries).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Delivery {
    /// The `notify_url`.
    pub url: String,
    /// The `event_type` (an APIv2 page without one: its catalogue name, `v2/transaction-success`).
    pub event_type: String,
    /// The order's `out_trade_no` or the refund's `out_refund_no`.
    pub subject: String,
    /// 1 for the first attempt.
    pub attempt: u32,
    /// The handler's HTTP status, if it answered.
    pub status: Option<u16>,
    /// `delivered` (2xx), `failed` (another status or no connection: retried), `gave-up` (the
    /// last attempt failed), or `skipped` (not a loopback URL: never contacted).
    pub outcome: String,
    /// Why it failed, if it did.
    pub error: Option<String>,
    /// After a failed attempt, how long WeChat Pay waits before the next one, in WeChat Pay's
    /// seconds (15, 15, 30, 180, …; the emulator waits `notify_retry_base` per 15 s).
    pub next_retry_seconds: Option<u32>,
    /// The notification's name in the catalogue (`TRANSACTION.SUCCESS`, `v2/transaction-success`).
    pub name: String,
    /// The resource as sealed (APIv3: what the merchant decrypts; APIv2: the XML fields).
    pub resource: Value,
    /// The body of the last attempt as sent: the sealed envelope (APIv2: the signed XML).
    pub envelope: Option<String>,
    /// The handler's answer body to the last attempt.
    pub reply: Option<String>,
    /// How long the handler took to answer the last attempt, in milliseconds.
    pub millis: Option<u64>,
}
