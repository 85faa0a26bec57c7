//! The builder's network settings: where requests go, how long they may take, how much they
//! may bring back, when they are retried, and through which proxy.

use super::ClientBuilder;
use std::time::Duration;

impl ClientBuilder {
    /// Base URI, default `https://api.mch.weixin.qq.com/`.
    pub fn base_uri(mut self, uri: impl Into<String>) -> Self {
        self.base_uri = uri.into();
        self
    }

    /// Opt-in failover: when the base URI cannot be reached (the connection fails, so nothing was
    /// sent), the same signed request goes to this backup domain once, e.g.
    /// `https://api2.mch.weixin.qq.com/` (WeChat Pay's backup entry, in another region).
    ///
    /// Only connection failures fail over: a request that may have reached WeChat Pay is never
    /// sent twice. The signature stays valid, since it covers the path, not the host.
    pub fn failover_base_uri(mut self, uri: impl Into<String>) -> Self {
        self.failover = Some(uri.into());
        self
    }

    /// Allows requests to one more host (a bare name such as `api2.mch.weixin.qq.com`), over
    /// https. Without it, a request goes only to the base URI's host, the failover's, or a
    /// per-call `base_uri`: an absolute `{+download_url}` naming any other host is refused before
    /// it is signed. Repeatable.
    ///
    /// ```
    /// let client = wechatpay::Client::builder()
    ///     .mchid("1900000001")
    ///     .allow_host("api2.mch.weixin.qq.com")
    ///     .build()
    ///     .unwrap();
    /// # let _ = client;
    /// ```
    pub fn allow_host(mut self, host: impl Into<String>) -> Self {
        self.allowed_hosts.push(host.into());
        self
    }

    /// Whole-call timeout: connect, send, answer headers and any body held in memory together
    /// (default [`DEFAULT_TIMEOUT`](crate::DEFAULT_TIMEOUT), 30 s). Per call: the `timeout`
    /// option, in seconds.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.limits.timeout = timeout;
        self
    }

    /// Connect timeout (default [`DEFAULT_CONNECT_TIMEOUT`](crate::DEFAULT_CONNECT_TIMEOUT),
    /// 10 s); client-wide, since connections are pooled.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.transport.connect_timeout = Some(timeout);
        self
    }

    /// Longest wait for the next chunk of a streamed `sink` download (default
    /// [`DEFAULT_STALL_TIMEOUT`](crate::DEFAULT_STALL_TIMEOUT), 30 s). Per call: `stall_timeout`.
    pub fn stall_timeout(mut self, timeout: Duration) -> Self {
        self.limits.stall_timeout = timeout;
        self
    }

    /// Bound on a streamed `sink` download from its first byte to its last (default
    /// [`DEFAULT_DOWNLOAD_TIMEOUT`](crate::DEFAULT_DOWNLOAD_TIMEOUT), 10 min). Per call:
    /// `download_timeout`.
    pub fn download_timeout(mut self, timeout: Duration) -> Self {
        self.limits.download_timeout = timeout;
        self
    }

    /// Cap on a streamed `sink` download written to disk (default
    /// [`DEFAULT_MAX_DOWNLOAD_BYTES`](crate::DEFAULT_MAX_DOWNLOAD_BYTES), 4 GiB). Per call:
    /// `max_download_bytes`.
    pub fn max_download_bytes(mut self, bytes: u64) -> Self {
        self.limits.max_download_bytes = bytes;
        self
    }

    /// Cap on an answer held in memory (default
    /// [`DEFAULT_MAX_ANSWER_BYTES`](crate::DEFAULT_MAX_ANSWER_BYTES), 32 MiB); `sink` downloads
    /// stream to disk and are exempt. Per call: `max_answer_bytes`.
    pub fn max_answer_bytes(mut self, bytes: u64) -> Self {
        self.limits.max_answer_bytes = bytes;
        self
    }

    /// When a failed call is sent again (default [`Retry::default`](crate::Retry): connection
    /// failures and reads, never writes). Per call: the `retry` option.
    pub fn retry(mut self, policy: crate::Retry) -> Self {
        self.retry = policy;
        self
    }

    /// Calls `progress(received, total)` after each chunk of a streamed `sink` download:
    /// the bytes received so far, and the answer's `Content-Length` when it declared one. It
    /// runs on the download's task, between chunks: keep it quick (a progress line, a gauge).
    ///
    /// ```
    /// let client = wechatpay::Client::builder()
    ///     .mchid("1900000001")
    ///     .download_progress(|received, total| {
    ///         eprint!("\r{received} of {} bytes", total.map_or("?".into(), |t| t.to_string()));
    ///     })
    ///     .build()
    ///     .unwrap();
    /// # let _ = client;
    /// ```
    pub fn download_progress(
        mut self,
        progress: impl Fn(u64, Option<u64>) + Send + Sync + 'static,
    ) -> Self {
        self.download_progress = Some(std::sync::Arc::new(progress));
        self
    }

    /// Sends every request (except to loopback) through this proxy, e.g.
    /// `http://proxy.internal:3128`. Without it the environment's `HTTPS_PROXY`, `HTTP_PROXY`,
    /// `ALL_PROXY` and `NO_PROXY` are honoured, again never for loopback.
    ///
    /// ```
    /// let client = wechatpay::Client::builder()
    ///     .mchid("1900000001")
    ///     .proxy("http://proxy.internal:3128")
    ///     .build()
    ///     .unwrap();
    /// # let _ = client;
    /// ```
    pub fn proxy(mut self, url: impl Into<String>) -> Self {
        self.transport.proxy = crate::exchange::proxy::ProxySetting::Fixed(url.into());
        self
    }

    /// Pins a host name to an address, with no DNS lookup for it (TLS still checks the name):
    /// for a fixed egress IP, or to point a production host name at a local emulator in tests.
    ///
    /// ```
    /// let client = wechatpay::Client::builder()
    ///     .mchid("1900000001")
    ///     .resolve("api.mch.weixin.qq.com", "127.0.0.1:8443".parse().unwrap())
    ///     .build()
    ///     .unwrap();
    /// # let _ = client;
    /// ```
    pub fn resolve(mut self, host: impl Into<String>, addr: std::net::SocketAddr) -> Self {
        self.transport.resolve.push((host.into(), addr));
        self
    }

    /// Offers HTTP/2 (by ALPN, over https) as well as HTTP/1.1: on by default, so the calls to
    /// a host share one connection when the server speaks HTTP/2, and the first call of a cold
    /// burst goes alone while the others wait to share its connection. `false` speaks HTTP/1.1
    /// only, one pooled connection per concurrent call. The choice and its figures are in
    /// `docs/performance.md`.
    ///
    /// ```
    /// let client = wechatpay::Client::builder()
    ///     .mchid("1900000001")
    ///     .http2(false)
    ///     .build()
    ///     .unwrap();
    /// # let _ = client;
    /// ```
    pub fn http2(mut self, on: bool) -> Self {
        self.transport.http2 = on;
        self
    }

    /// Prepares and signs calls on `threads` threads of the client's own instead of on the
    /// task that makes the call; at most `threads + queue` calls sign or wait at once, and the
    /// next waits (asynchronously) for a place: back-pressure, never an unbounded queue. Off by
    /// default, since on a multi-thread runtime signing inline already uses every worker and
    /// holds one for a single signature at most; worth it on a current-thread runtime, or to keep
    /// a runtime's threads free for other work. `threads` of 0 is refused at `build()`.
    ///
    /// ```
    /// let client = wechatpay::Client::builder()
    ///     .mchid("1900000001")
    ///     .signing_pool(2, 64)
    ///     .build()
    ///     .unwrap();
    /// # let _ = client;
    /// ```
    pub fn signing_pool(mut self, threads: usize, queue: usize) -> Self {
        self.signing_pool = Some((threads, queue));
        self
    }

    /// Connects directly, ignoring any proxy in the environment.
    pub fn no_proxy(mut self) -> Self {
        self.transport.proxy = crate::exchange::proxy::ProxySetting::Off;
        self
    }

    /// Trusts one more TLS root (PEM), e.g. the emulator's CA.
    pub fn add_root_certificate(mut self, pem: impl AsRef<[u8]>) -> Self {
        self.transport.roots.push(pem.as_ref().to_vec());
        self
    }

    /// Encrypts the fields WeChat Pay's documentation marks as sensitive (`encrypted`) when a
    /// call gives them as plain text, and names the key in `Wechatpay-Serial` (feature
    /// `catalogue`; off by default). A value that already is a ciphertext is sent as given.
    ///
    /// ```
    /// let client = wechatpay::Client::builder()
    ///     .mchid("1900000001")
    ///     .encrypt_documented_fields(true)
    ///     .build()
    ///     .unwrap();
    /// # let _ = client;
    /// ```
    #[cfg(feature = "catalogue")]
    pub fn encrypt_documented_fields(mut self, on: bool) -> Self {
        self.auto_encrypt = on;
        self
    }
}

#[cfg(test)]
mod tests {
    use crate::exchange::tls::tests::BUILT;
    use std::cell::Cell;

    const CERT: &str = include_str!("../../../tests/fixtures/client/merchant_cert.pem");
    const KEY: &str = include_str!("../../../tests/fixtures/client/merchant_key.pem");

    #[test]
    fn one_verifier_serves_the_plain_and_the_mutual_tls_pool() {
        BUILT.with(|n| n.set(0));
        let client = crate::Client::builder()
            .mchid("1900000001")
            .merchant_identity(CERT, KEY)
            .add_root_certificate(CERT)
            .build()
            .unwrap();
        assert_eq!(BUILT.with(Cell::get), 1);
        let transport = &client.context.exchange.transport;
        assert!(transport.client(false).is_ok());
        assert!(transport.client(true).is_ok());
    }

    #[test]
    fn a_damaged_root_is_refused_when_the_client_is_built() {
        let damaged = CERT.replace("MII", "M!I");
        let err = crate::Client::builder()
            .mchid("1900000001")
            .add_root_certificate(damaged)
            .build()
            .unwrap_err()
            .to_string();
        assert!(err.contains("root_certificate"), "{err}");
    }
}
