//! Typed views of the common notification events, beside the raw JSON, and the check of a
//! payment notification against the merchant's own order.
//!
//! Only the fields every merchant acts on are typed; the rest stays in
//! [`Notification::resource`]. `Debug` never prints an openid or a receiving account.

use super::Notification;
use crate::error::{Error, Result};
use serde::Deserialize;

/// The resource of a `TRANSACTION.SUCCESS` notification (a paid order).
#[derive(Clone, Deserialize, PartialEq, Eq)]
#[non_exhaustive]
pub struct Transaction {
    /// Merchant id (direct merchants; service providers see `sp_mchid`/`sub_mchid`).
    #[serde(default, alias = "sp_mchid")]
    pub mchid: String,
    /// App id (`sp_appid` for service providers).
    #[serde(default, alias = "sp_appid")]
    pub appid: String,
    /// The merchant's order number.
    pub out_trade_no: String,
    /// WeChat Pay's order number.
    #[serde(default)]
    pub transaction_id: String,
    /// `JSAPI`, `NATIVE`, `APP`, `MWEB`, …
    #[serde(default)]
    pub trade_type: String,
    /// `SUCCESS` for a payment success notification.
    #[serde(default)]
    pub trade_state: String,
    /// When it was paid (RFC 3339).
    #[serde(default)]
    pub success_time: String,
    /// Amounts in the smallest unit (fen).
    pub amount: TransactionAmount,
    /// The payer's openid, when given; never printed by `Debug`.
    #[serde(default, deserialize_with = "payer_openid", rename = "payer")]
    pub payer_openid: Option<String>,
}

/// Amounts of a transaction, in fen.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[non_exhaustive]
pub struct TransactionAmount {
    /// The order total.
    pub total: i64,
    /// What the payer paid (after coupons).
    #[serde(default)]
    pub payer_total: Option<i64>,
    /// `CNY` unless stated.
    #[serde(default = "cny")]
    pub currency: String,
}

/// The resource of a `REFUND.SUCCESS`, `REFUND.ABNORMAL` or `REFUND.CLOSED` notification.
#[derive(Clone, Deserialize, PartialEq, Eq)]
#[non_exhaustive]
pub struct Refund {
    /// Merchant id.
    #[serde(default, alias = "sp_mchid")]
    pub mchid: String,
    /// The order refunded.
    #[serde(default)]
    pub out_trade_no: String,
    /// WeChat Pay's order number.
    #[serde(default)]
    pub transaction_id: String,
    /// The merchant's refund number.
    pub out_refund_no: String,
    /// WeChat Pay's refund number.
    #[serde(default)]
    pub refund_id: String,
    /// `SUCCESS`, `ABNORMAL` or `CLOSED`.
    #[serde(default)]
    pub refund_status: String,
    /// Where the money went (a bank card or balance); never printed by `Debug`.
    #[serde(default)]
    pub user_received_account: String,
    /// Amounts in fen.
    pub amount: RefundAmount,
}

/// Amounts of a refund, in fen.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[non_exhaustive]
pub struct RefundAmount {
    /// The order total.
    pub total: i64,
    /// The amount refunded.
    pub refund: i64,
    /// The payer's part of the refund.
    #[serde(default)]
    pub payer_refund: Option<i64>,
}

/// A notification by kind, for a `match`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// `TRANSACTION.SUCCESS`.
    PaymentSucceeded(Transaction),
    /// `REFUND.SUCCESS`.
    RefundSucceeded(Refund),
    /// `REFUND.ABNORMAL`: the refund could not reach the payer; act on it in the merchant platform.
    RefundAbnormal(Refund),
    /// `REFUND.CLOSED`.
    RefundClosed(Refund),
    /// Any other event: read [`Notification::resource`].
    Other,
}

/// What the merchant's own records say of an order, to check a payment notification against.
///
/// ```
/// let expected = wechatpay::notify::ExpectedOrder::new("1900000001", "1217752501201407033233368018", 100)
///     .appid("wxd678efh567hg6787");
/// # let _ = expected;
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpectedOrder {
    mchid: String,
    out_trade_no: String,
    total: i64,
    currency: String,
    appid: Option<String>,
}

impl ExpectedOrder {
    /// The merchant, order number and total (fen); the currency is `CNY` unless set.
    pub fn new(mchid: impl Into<String>, out_trade_no: impl Into<String>, total: i64) -> Self {
        ExpectedOrder {
            mchid: mchid.into(),
            out_trade_no: out_trade_no.into(),
            total,
            currency: cny(),
            appid: None,
        }
    }

    /// The app id the order was placed with.
    pub fn appid(mut self, appid: impl Into<String>) -> Self {
        self.appid = Some(appid.into());
        self
    }

    /// Another currency (overseas merchants).
    pub fn currency(mut self, currency: impl Into<String>) -> Self {
        self.currency = currency.into();
        self
    }
}

impl Transaction {
    /// Checks that this payment is the order the merchant placed: merchant, app, order number,
    /// amount and currency. A genuine notification for another order (or a replayed one) fails
    /// here with the field that differs.
    ///
    /// ```
    /// # fn handle(n: &wechatpay::notify::Notification) -> wechatpay::Result<()> {
    /// use wechatpay::notify::ExpectedOrder;
    /// let paid = n.transaction()?;
    /// paid.check(&ExpectedOrder::new("1900000001", "1217752501201407033233368018", 100))?;
    /// # Ok(()) }
    /// ```
    pub fn check(&self, expected: &ExpectedOrder) -> Result<()> {
        let mismatch = |field: &'static str, want: &str, found: &str| {
            Err(Error::Mismatch {
                field,
                expected: want.to_string(),
                found: found.to_string(),
            })
        };
        if self.mchid != expected.mchid {
            return mismatch("mchid", &expected.mchid, &self.mchid);
        }
        if let Some(appid) = &expected.appid {
            if &self.appid != appid {
                return mismatch("appid", appid, &self.appid);
            }
        }
        if self.out_trade_no != expected.out_trade_no {
            return mismatch("out_trade_no", &expected.out_trade_no, &self.out_trade_no);
        }
        if self.amount.total != expected.total {
            return mismatch(
                "amount.total",
                &expected.total.to_string(),
                &self.amount.total.to_string(),
            );
        }
        if self.amount.currency != expected.currency {
            return mismatch("amount.currency", &expected.currency, &self.amount.currency);
        }
        Ok(())
    }
}

impl Notification {
    /// The payment of a `TRANSACTION.*` notification.
    pub fn transaction(&self) -> Result<Transaction> {
        self.typed("TRANSACTION.", "the transaction of a payment notification")
    }

    /// The refund of a `REFUND.*` notification.
    pub fn refund(&self) -> Result<Refund> {
        self.typed("REFUND.", "the refund of a refund notification")
    }

    /// The notification by kind.
    ///
    /// ```
    /// # fn handle(n: &wechatpay::notify::Notification) -> wechatpay::Result<()> {
    /// use wechatpay::notify::Event;
    /// match n.event()? {
    ///     Event::PaymentSucceeded(paid) => println!("{} paid {}", paid.out_trade_no, paid.amount.total),
    ///     Event::RefundSucceeded(r) => println!("{} refunded", r.out_refund_no),
    ///     _ => {}
    /// }
    /// # Ok(()) }
    /// ```
    pub fn event(&self) -> Result<Event> {
        Ok(match self.event_type.as_str() {
            "TRANSACTION.SUCCESS" => Event::PaymentSucceeded(self.transaction()?),
            "REFUND.SUCCESS" => Event::RefundSucceeded(self.refund()?),
            "REFUND.ABNORMAL" => Event::RefundAbnormal(self.refund()?),
            "REFUND.CLOSED" => Event::RefundClosed(self.refund()?),
            _ => Event::Other,
        })
    }

    fn typed<T: for<'de> Deserialize<'de>>(&self, prefix: &str, what: &'static str) -> Result<T> {
        if !self.event_type.starts_with(prefix) {
            return Err(Error::decode(
                what,
                format!("the event is `{}`, not {prefix}*", self.event_type),
            ));
        }
        serde_json::from_value(self.resource.clone())
            .map_err(|e| Error::decode(what, without_values(&e.to_string())))
    }
}

/// A serde message with the quoted values cut out: `invalid type: string "o-openid…"` would put
/// a decrypted openid in the error, and so in logs. Field names (in backticks) stay.
fn without_values(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut inside = false;
    let mut chars = message.chars();
    while let Some(c) = chars.next() {
        if inside && c == '\\' {
            // An escaped character of the value (`\"` among them) is skipped with it.
            chars.next();
        } else if c == '"' {
            if !inside {
                out.push_str("\"…\"");
            }
            inside = !inside;
        } else if !inside {
            out.push(c);
        }
    }
    out
}

fn cny() -> String {
    "CNY".into()
}

fn payer_openid<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    struct Payer {
        #[serde(default, alias = "sp_openid")]
        openid: Option<String>,
    }
    Ok(Option::<Payer>::deserialize(d)?.and_then(|p| p.openid))
}

impl std::fmt::Debug for Transaction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transaction")
            .field("mchid", &self.mchid)
            .field("appid", &self.appid)
            .field("out_trade_no", &self.out_trade_no)
            .field("transaction_id", &self.transaction_id)
            .field("trade_type", &self.trade_type)
            .field("trade_state", &self.trade_state)
            .field("success_time", &self.success_time)
            .field("amount", &self.amount)
            .field(
                "payer_openid",
                &self.payer_openid.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

impl std::fmt::Debug for Refund {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Refund")
            .field("mchid", &self.mchid)
            .field("out_trade_no", &self.out_trade_no)
            .field("transaction_id", &self.transaction_id)
            .field("out_refund_no", &self.out_refund_no)
            .field("refund_id", &self.refund_id)
            .field("refund_status", &self.refund_status)
            .field("user_received_account", &"<redacted>")
            .field("amount", &self.amount)
            .finish()
    }
}
