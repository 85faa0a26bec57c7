//! Faults the emulator injects into its answers on purpose: most break the answer's signature
//! (so they are the protocol's), the others its delivery.

/// Faults the emulator can inject into its answers, switched on with [`Server::fault`] and off
/// with [`Server::clear_faults`]. The crate's client refuses each: `BadSignature` and
/// `WrongSerial` as [`Error::Signature`], `SkewedClock` as [`Error::ClockSkew`], `ServerError`
/// as [`Error::Api`] (`SYSTEM_ERROR`, retryable), `DropConnection` as [`Error::Transport`] and
/// `Slow` (with a shorter timeout) as [`Error::Limit`] naming `timeout`. The signature faults
/// concern APIv3 answers and notifications.
///
/// [`Server::fault`]: crate::mock::Server::fault
/// [`Server::clear_faults`]: crate::mock::Server::clear_faults
/// [`Error::Signature`]: crate::Error::Signature
/// [`Error::ClockSkew`]: crate::Error::ClockSkew
/// [`Error::Api`]: crate::Error::Api
/// [`Error::Transport`]: crate::Error::Transport
/// [`Error::Limit`]: crate::Error::Limit
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Fault {
    /// Answers carry a signature over other bytes; the unsigned fapiao file comes altered after
    /// its `SM3-Digest` header was computed.
    BadSignature,
    /// Answers name a `Wechatpay-Serial` the client does not know.
    WrongSerial,
    /// Answers are timestamped ten minutes off.
    SkewedClock,
    /// Every call answers `500 SYSTEM_ERROR`.
    ServerError,
    /// Answers wait this many milliseconds first (for client timeouts).
    Slow(u64),
    /// The answer's headers promise a `Content-Length`, half the body is sent, then the
    /// connection is closed.
    DropConnection,
}
