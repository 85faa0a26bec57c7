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
    /// Deliver a notification.
    Notify {
        mchid: String,
        url: String,
        event_type: String,
        /// `out_trade_no` or `out_refund_no`.
        subject: String,
        /// APIv3: the resource sealed in the JSON envelope; APIv2: the XML fields.
        resource: Value,
        /// An APIv2 (XML) notification.
        v2: bool,
    },
}

/// One notification delivery attempt (or a skipped one), from [`Server::deliveries`](crate::mock::Server::deliveries).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Delivery {
    /// The `notify_url`.
    pub url: String,
    /// `TRANSACTION.SUCCESS` or `REFUND.SUCCESS`.
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
}
