//! The HTTP clients: one plain, one carrying the merchant's certificate for APIv2 `security` calls.
//!
//! Both are built once, when the client is built, and reused, so connections are pooled. Their
//! TLS settings share one verifier (`tls`), which the blocking twin's pools share too.

use crate::error::{Error, Result};
use crate::exchange::connection::{ColdStart, Host};
use std::sync::Arc;
use std::time::Duration;
use zeroize::Zeroizing;

/// What the HTTP clients are built from; kept so the blocking twin can build its own.
#[derive(Clone, Default)]
pub(crate) struct TransportConfig {
    pub connect_timeout: Option<Duration>,
    /// Extra trusted roots (PEM), e.g. the emulator's CA.
    pub roots: Vec<Vec<u8>>,
    /// Merchant client certificate and key (PEM, concatenated) for mutual TLS.
    pub identity: Option<Zeroizing<Vec<u8>>>,
    /// Which proxy, if any.
    pub proxy: crate::exchange::proxy::ProxySetting,
    /// Host names pinned to addresses (no DNS lookup for them).
    pub resolve: Vec<(String, std::net::SocketAddr)>,
    /// Offer HTTP/2 by ALPN (else HTTP/1.1 only): see `connection`.
    pub http2: bool,
}

#[derive(Clone)]
pub(crate) struct Transport {
    /// The verifier (and so the system's roots) every pool built from this one shares.
    #[cfg_attr(not(feature = "blocking"), allow(dead_code))]
    tls: crate::exchange::tls::Tls,
    plain: reqwest::Client,
    mtls: Option<reqwest::Client>,
    /// Each pool's cold-burst gate (see `connection`).
    cold: Arc<[ColdStart; 2]>,
}

impl Transport {
    pub(crate) fn new(cfg: &TransportConfig) -> Result<Transport> {
        Transport::with_tls(cfg, crate::exchange::tls::Tls::new(&cfg.roots)?)
    }

    /// New pools (for another runtime: the blocking twin's) with this transport's verifier, so
    /// that the system's roots are not read and held again.
    #[cfg(feature = "blocking")]
    pub(crate) fn new_pools(&self, cfg: &TransportConfig) -> Result<Transport> {
        Transport::with_tls(cfg, self.tls.clone())
    }

    fn with_tls(cfg: &TransportConfig, tls: crate::exchange::tls::Tls) -> Result<Transport> {
        let plain = builder(cfg)?
            .tls_backend_preconfigured(tls.config(cfg.http2, None)?)
            .build()
            .map_err(|e| Error::config("transport", e.to_string()))?;
        let mtls = match &cfg.identity {
            None => None,
            Some(pem) => Some(
                builder(cfg)?
                    .tls_backend_preconfigured(tls.config(cfg.http2, Some(pem))?)
                    .build()
                    .map_err(|e| Error::config("merchant_identity", e.to_string()))?,
            ),
        };
        let cold = Arc::new([ColdStart::new(cfg.http2), ColdStart::new(cfg.http2)]);
        Ok(Transport {
            tls,
            plain,
            mtls,
            cold,
        })
    }

    /// The cold-burst gate (see `connection`) of the pool [`client`](Self::client) picks for
    /// `security`, for `url`'s origin.
    pub(crate) fn gate(&self, security: bool, url: &url::Url) -> Option<Arc<Host>> {
        self.cold[usize::from(security)].gate_for(url)
    }

    /// The client for a call: with the merchant certificate when `security` is set.
    pub(crate) fn client(&self, security: bool) -> Result<&reqwest::Client> {
        if !security {
            return Ok(&self.plain);
        }
        self.mtls.as_ref().ok_or_else(|| {
            Error::NotConfigured(
                "`security: true` needs the merchant API certificate and key: set them with ClientBuilder::merchant_identity".into(),
            )
        })
    }
}

fn builder(cfg: &TransportConfig) -> Result<reqwest::ClientBuilder> {
    // WeChat Pay never redirects; following one would re-send a signed request elsewhere.
    let mut b = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none());
    b = crate::exchange::proxy::apply(b, &cfg.proxy)?;
    if cfg.http2 {
        // One connection carries every call: a ping notices a connection that died silently
        // (a NAT dropping it) before calls stall on it until their timeouts.
        b = b
            .http2_keep_alive_interval(Duration::from_secs(30))
            .http2_keep_alive_timeout(Duration::from_secs(10))
            .http2_keep_alive_while_idle(true);
    } else {
        b = b.http1_only();
    }
    for (host, addr) in &cfg.resolve {
        b = b.resolve(host, *addr);
    }
    // The whole-call deadline is ours (`limits`), so that it names itself when it fires.
    b = b.connect_timeout(
        cfg.connect_timeout
            .unwrap_or(crate::policy::limits::DEFAULT_CONNECT_TIMEOUT),
    );
    // The TLS settings (roots, ALPN, the merchant certificate) are `tls`'s.
    Ok(b)
}
