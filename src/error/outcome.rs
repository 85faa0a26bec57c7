//! Whether a failed call may have taken effect: the one question a payment caller must answer
//! before it retries.

/// What a failed call did at WeChat Pay, as far as the client can know.
///
/// | outcome | meaning | errors |
/// | --- | --- | --- |
/// | `NotSent` | nothing reached WeChat Pay: safe to fix and send again | refused input or configuration; a connection that could not be made (refused, DNS, TLS handshake) |
/// | `Rejected` | WeChat Pay answered and did not act | a verified 4xx (`Error::Api { verified: true }`); a signed and verified APIv2 `FAIL` other than the "query the result" codes |
/// | `Unknown` | it may have taken effect: query before sending a write again | a timeout or reset after the request was written; a 5xx; an unverified or forged answer, an unsigned APIv2 `FAIL` among them; an APIv2 `SYSTEMERROR`, `BANKERROR` or `USERPAYING` |
///
/// A call retried after a failure has the worst outcome of all its attempts: a first attempt
/// that timed out after sending leaves the call `Unknown` even if the next ones could not
/// connect.
///
/// ```
/// use wechatpay::{Error, Outcome};
/// let e = Error::MissingPlaceholder { name: "out_trade_no".into() };
/// assert_eq!(e.outcome(), Outcome::NotSent);
/// assert!(!e.may_have_taken_effect());
/// ```
///
/// Outcomes are ordered from the safest to the least known (`NotSent < Rejected < Unknown`): a
/// call of several attempts has the worst outcome of its attempts, their maximum.
///
/// ```
/// use wechatpay::Outcome;
/// let attempts = [Outcome::Unknown, Outcome::NotSent, Outcome::NotSent];
/// assert_eq!(attempts.into_iter().max(), Some(Outcome::Unknown));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Outcome {
    /// Nothing reached WeChat Pay.
    NotSent,
    /// WeChat Pay answered, verifiably, and did not act.
    Rejected,
    /// The call may have taken effect.
    Unknown,
}

/// APIv2 business codes after which WeChat Pay's documentation says to query the result: the
/// call may have gone through.
/// `PROCESSING`: a red packet or transfer accepted and being paid out ("请求已受理，请稍后使用原单号
/// 查询发放结果"): a new bill number would pay twice.
pub(crate) const V2_UNCERTAIN: &[&str] = &["SYSTEMERROR", "BANKERROR", "USERPAYING", "PROCESSING"];
