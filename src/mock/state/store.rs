//! The emulator's memory of the core flows: orders, refunds, bills handed out, notifications
//! delivered. Kept in memory for the life of the [`Server`](crate::mock::Server).

use super::jobs::{Delivery, Job};
use crate::mock::protocol::notification::beijing_time;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

/// `NOTPAY` → `SUCCESS` (paid) → `REFUND` (a refund made), or `NOTPAY` → `CLOSED`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TradeState {
    NotPay,
    Success,
    Refund,
    Closed,
}

impl TradeState {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            TradeState::NotPay => "NOTPAY",
            TradeState::Success => "SUCCESS",
            TradeState::Refund => "REFUND",
            TradeState::Closed => "CLOSED",
        }
    }

    pub(crate) fn desc(self) -> &'static str {
        match self {
            TradeState::NotPay => "未支付",
            TradeState::Success => "支付成功",
            TradeState::Refund => "转入退款",
            TradeState::Closed => "已关闭",
        }
    }

    pub(crate) fn paid(self) -> bool {
        matches!(self, TradeState::Success | TradeState::Refund)
    }
}

/// One order, created by a `v3/pay/[partner/]transactions/{jsapi,native,app,h5}` or an APIv2
/// `pay/unifiedorder` call.
#[derive(Debug, Clone)]
pub(crate) struct Order {
    /// The merchant that signed the request (`mchid`, or `sp_mchid` for the partner forms).
    pub mchid: String,
    pub sub_mchid: Option<String>,
    pub appid: String,
    pub sub_appid: Option<String>,
    pub out_trade_no: String,
    /// `JSAPI`, `NATIVE`, `APP`, `MWEB` (H5).
    pub trade_type: String,
    pub description: String,
    pub attach: Option<String>,
    /// Fen.
    pub total: i64,
    pub currency: String,
    pub openid: Option<String>,
    pub notify_url: Option<String>,
    pub prepay_id: String,
    /// The request that created it (JSON body, or the APIv2 fields without nonce and sign).
    pub request: Value,
    pub partner: bool,
    pub v2: bool,
    pub state: TradeState,
    pub transaction_id: Option<String>,
    /// Unix seconds.
    pub success_time: Option<i64>,
    pub created: i64,
    /// Fen refunded so far.
    pub refunded: i64,
}

impl Order {
    /// The sign type of an APIv2 order's request (MD5 when it named none), remembered with the
    /// order: its answers and its notifications are signed so.
    pub(crate) fn v2_sign_type(&self) -> crate::v2::SignType {
        self.request
            .as_object()
            .map(crate::mock::protocol::v2::sign_type_of)
            .unwrap_or(crate::v2::SignType::Md5)
    }
}

/// One refund (it succeeds at once).
#[derive(Debug, Clone)]
pub(crate) struct Refund {
    pub mchid: String,
    pub out_refund_no: String,
    pub refund_id: String,
    pub out_trade_no: String,
    pub transaction_id: String,
    pub refund: i64,
    pub total: i64,
    pub currency: String,
    pub request: Value,
    pub created: i64,
    pub notify_url: Option<String>,
    /// `SUCCESS`, or `ABNORMAL` once WeChat Pay's word (the dashboard's button) says so: a
    /// refund query answers what the last notification said.
    pub status: &'static str,
}

/// A fapiao file handed out under a token (`fapiao.rs`).
#[derive(Debug, Clone)]
pub(crate) struct FapiaoFile {
    pub fapiao_id: String,
    pub content: Vec<u8>,
    pub created: i64,
}

/// Everything the flows remember.
#[derive(Default)]
pub(crate) struct Flows {
    pub orders: Mutex<Vec<Order>>,
    pub refunds: Mutex<Vec<Refund>>,
    /// Bill tokens handed out by `tradebill`: the bytes `billdownload/file` answers.
    pub bills: Mutex<HashMap<String, Vec<u8>>>,
    /// Fapiao file tokens handed out by `…/fapiao-files`: the files `fapiao-file` answers.
    pub fapiao_files: Mutex<HashMap<String, FapiaoFile>>,
    pub deliveries: Mutex<Vec<Delivery>>,
    /// The retries' waits, which "deliver due now" ends.
    pub clock: super::clock::RetryClock,
    pub config: FlowConfig,
    /// Set once the listener is bound.
    pub info: OnceLock<Info>,
    /// The worker that runs auto-payments and notification deliveries.
    pub jobs: OnceLock<tokio::sync::mpsc::UnboundedSender<Job>>,
    /// Unknown orders are `404 ORDER_NOT_EXIST` and a reused `out_trade_no` is refused.
    pub strict: std::sync::atomic::AtomicBool,
    /// Today's bills are handed out at once (WeChat Pay makes them the next morning).
    pub same_day_bills: std::sync::atomic::AtomicBool,
}

/// What the builder configured.
#[derive(Debug, Clone, Default)]
pub(crate) struct FlowConfig {
    /// Orders are paid this long after their creation.
    pub auto_pay: Option<Duration>,
    /// The unit of the retry schedule (WeChat Pay's 15 s); default 1 s.
    pub retry_base: Option<Duration>,
    /// See [`Flows::strict`].
    pub strict: bool,
    /// See [`Flows::same_day_bills`].
    pub same_day_bills: bool,
}

/// The emulator's own address and CA, for the admin API and download URLs.
#[derive(Debug, Clone)]
pub(crate) struct Info {
    pub url: String,
    pub ca_pem: String,
    /// The first merchant's.
    pub mchid: String,
}

impl Flows {
    pub(crate) fn new(config: FlowConfig) -> Flows {
        Flows {
            strict: std::sync::atomic::AtomicBool::new(config.strict),
            same_day_bills: std::sync::atomic::AtomicBool::new(config.same_day_bills),
            config,
            ..Flows::default()
        }
    }

    pub(crate) fn strict(&self) -> bool {
        self.strict.load(std::sync::atomic::Ordering::Relaxed)
    }

    pub(crate) fn same_day_bills(&self) -> bool {
        self.same_day_bills
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    pub(crate) fn job(&self, job: Job) {
        if let Some(tx) = self.jobs.get() {
            let _ = tx.send(job);
        }
    }

    pub(crate) fn orders(&self) -> std::sync::MutexGuard<'_, Vec<Order>> {
        self.orders.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn refunds(&self) -> std::sync::MutexGuard<'_, Vec<Refund>> {
        self.refunds.lock().unwrap_or_else(|e| e.into_inner())
    }
}

thread_local! {
    /// Changes made to the flows' state on this thread: processing is synchronous, so the
    /// difference across it is what one request changed (chaos mode journals it).
    static CHANGES: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// Called by the flows where they change the state.
pub(crate) fn changed() {
    CHANGES.with(|c| c.set(c.get() + 1));
}

/// The changes made on this thread so far.
pub(crate) fn changes() -> u64 {
    CHANGES.with(|c| c.get())
}

/// A 28-digit `transaction_id` (`4200…`), a `prepay_id` (`wx…`), a 29-digit `refund_id`.
pub(crate) fn new_id(kind: &str) -> String {
    let mut digits = String::new();
    let mut bytes = [0u8; 32];
    getrandom::getrandom(&mut bytes).expect("the operating system's random source failed");
    for b in bytes {
        digits.push(char::from(b'0' + b % 10));
    }
    match kind {
        "transaction" => format!("4200{}", &digits[..24]),
        "refund" => format!("50{}", &digits[..27]),
        _ => format!(
            "wx{}{}",
            compact_time(crate::util::unix_now()),
            &digits[..20]
        ),
    }
}

/// `yyyyMMddHHmmss` in Beijing time (APIv2 times).
pub(crate) fn compact_time(unix: i64) -> String {
    beijing_time(unix)
        .chars()
        .filter(char::is_ascii_digit)
        .take(14)
        .collect()
}

/// `yyyy-MM-dd` in Beijing time.
pub(crate) fn beijing_date(unix: i64) -> String {
    beijing_time(unix)[..10].to_string()
}

/// A gzip file of `data` in stored (uncompressed) deflate blocks: valid gzip that any reader
/// opens, with no compression library.
pub(crate) fn gzip_stored(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255];
    let mut chunks = data.chunks(65_535).peekable();
    if chunks.peek().is_none() {
        out.extend_from_slice(&[1, 0, 0, 0xff, 0xff]);
    }
    while let Some(chunk) = chunks.next() {
        let last = chunks.peek().is_none();
        out.push(u8::from(last));
        let len = chunk.len() as u16;
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(chunk);
    }
    out.extend_from_slice(&crc32(data).to_le_bytes());
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    out
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_times_and_gzip() {
        assert_eq!(crc32(b"123456789"), 0xcbf4_3926);
        let gz = gzip_stored(b"hello");
        assert_eq!(&gz[..3], &[0x1f, 0x8b, 8]);
        assert_eq!(gz.len(), 10 + 5 + 5 + 8);
        assert_eq!(new_id("transaction").len(), 28);
        assert_eq!(new_id("refund").len(), 29);
        assert_eq!(compact_time(0), "19700101080000");
        assert_eq!(beijing_date(0), "1970-01-01");
    }
}
