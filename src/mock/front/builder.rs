//! [`ServerBuilder`]: port, merchants, platform key, mode; starting the emulator.

use super::fast::FastAnswer;
use super::server::Server;
use super::shared::Shared;
use super::{service, tls};
use crate::crypto::PrivateKey;
use crate::error::{Error, Result};
use crate::mock::protocol::keys::{generate_rsa_pem, random_serial, Keys, MerchantEntry, ModeCell};
use crate::mock::protocol::keys::{Merchant, Mode};
use crate::mock::state::deliver;
use crate::mock::state::emulator::State;
use crate::mock::state::store::{FlowConfig, Flows, Info};
use crate::mock::surface::routes;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use zeroize::Zeroizing;

/// Configures a [`Server`]: port, merchants, platform key, mode.
///
/// ```no_run
/// # async fn run() -> wechatpay::Result<()> {
/// use wechatpay::mock::{Merchant, Server};
/// let platform_pem = std::fs::read_to_string("platform_key.pem").unwrap();
/// let server = Server::builder()
///     .port(8443)
///     .platform_key(&platform_pem, "PUB_KEY_ID_0119000000012024000000000000")
///     .merchant(Merchant::generate("1900000001")?)
///     .merchant(Merchant::generate("1900000002")?)
///     .start()
///     .await?;
/// let second = server.client_builder_for("1900000002").unwrap().build()?;
/// # Ok(()) }
/// ```
#[derive(Default)]
pub struct ServerBuilder {
    port: u16,
    http2: bool,
    fast: bool,
    merchants: Vec<Merchant>,
    brands: Vec<crate::mock::protocol::brand::Brand>,
    platform_key: Option<(Zeroizing<String>, String)>,
    mode: Mode,
    flows: FlowConfig,
    dashboard_port: u16,
    #[cfg(feature = "shangmi")]
    shangmi: bool,
}

impl ServerBuilder {
    /// Offers HTTP/2 as well as HTTP/1.1 (by ALPN); off by default. The client then speaks
    /// HTTP/2, and [`Recorded::version`](crate::mock::Recorded::version) shows it.
    pub fn http2(mut self, on: bool) -> Self {
        self.http2 = on;
        self
    }

    /// Fast mode, for load generators: every request (but the `/__emulator/` admin API) gets
    /// one pre-signed APIv3 `200` answer, with no checks, no state and no journal, so the
    /// emulator costs almost nothing per request and a benchmark measures the client. Faults
    /// and delays are not applied, and APIv2 calls get the same JSON answer (which an APIv2
    /// client refuses). Off by default.
    ///
    /// ```no_run
    /// # async fn run() -> wechatpay::Result<()> {
    /// let server = wechatpay::mock::Server::builder().fast(true).start().await?;
    /// let client = server.client_builder().build()?;
    /// let res = client.chain("v3/pay/transactions/id/{id}").get(serde_json::json!({"id": "1"})).await?;
    /// assert_eq!(res.json()?["trade_state"], "SUCCESS");
    /// # Ok(()) }
    /// ```
    pub fn fast(mut self, on: bool) -> Self {
        self.fast = on;
        self
    }

    /// Listen on this port of 127.0.0.1 (default: a free one).
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// The dashboard's port on 127.0.0.1 (default: a free one); see [`Server::dashboard_url`].
    pub fn dashboard_port(mut self, port: u16) -> Self {
        self.dashboard_port = port;
        self
    }

    /// A merchant the emulator knows (default: one generated, mchid `1900000001`).
    pub fn merchant(mut self, merchant: Merchant) -> Self {
        self.merchants.push(merchant);
        self
    }

    /// A brand the emulator knows, for the brand API (`brand/…`); none by default (see
    /// [`Server::brand_client_builder`](crate::mock::Server::brand_client_builder)).
    pub fn brand(mut self, brand: crate::mock::protocol::brand::Brand) -> Self {
        self.brands.push(brand);
        self
    }

    /// Sign with this key (PKCS#8 PEM) under this `PUB_KEY_ID_…` instead of a fresh one.
    pub fn platform_key(mut self, pem: &str, public_key_id: &str) -> Self {
        self.platform_key = Some((Zeroizing::new(pem.to_string()), public_key_id.to_string()));
        self
    }

    /// Which WeChat Pay keys the merchant has: the public key (default), the platform
    /// certificate, or both (the switch between them); see [`Mode`] and
    /// [`Server::set_mode`](crate::mock::Server::set_mode).
    ///
    /// ```no_run
    /// # async fn run() -> wechatpay::Result<()> {
    /// use wechatpay::mock::{Mode, Server};
    /// let server = Server::builder().mode(Mode::Both).start().await?;
    /// // It holds both keys, names the public key, and gets answers signed with it.
    /// let client = server.client_builder().build()?;
    /// assert_eq!(client.keyring().len(), 2);
    /// # Ok(()) }
    /// ```
    pub fn mode(mut self, mode: Mode) -> Self {
        self.mode = mode;
        self
    }

    /// Pays every order this long after it is created (as if its payer scanned and paid), which
    /// sends its `TRANSACTION.SUCCESS` notification. Default: orders wait for
    /// [`Server::pay`](crate::mock::Server::pay).
    pub fn auto_pay(mut self, after: std::time::Duration) -> Self {
        self.flows.auto_pay = Some(after);
        self
    }

    /// The unit of the notification retry schedule: WeChat Pay retries after 15s/15s/30s/3m/10m/…;
    /// the emulator after `base` × 1/1/2/12/40/… (default 1 s; tests use milliseconds).
    pub fn notify_retry_base(mut self, base: std::time::Duration) -> Self {
        self.flows.retry_base = Some(base);
        self
    }

    /// Strict orders (off by default): an order or refund the emulator did not create is
    /// `404 ORDER_NOT_EXIST` (APIv2 `ORDERNOTEXIST`) instead of a documented default answer,
    /// and an `out_trade_no` reused with other parameters is `400 INVALID_REQUEST` (instead of
    /// replacing the earlier order of the same kind). See also
    /// [`Server::set_strict`](crate::mock::Server::set_strict).
    pub fn strict(mut self, on: bool) -> Self {
        self.flows.strict = on;
        self
    }

    /// Same-day bills (off by default). WeChat Pay makes a day's bills the next morning and
    /// answers a request for today's `400 STATEMENT_CREATING` (APIv2 `Bill Creating`), as the
    /// emulator does; on, today's bills are handed out at once, so a test can pay an order and
    /// download the bill that lists it. See also
    /// [`Server::set_same_day_bills`](crate::mock::Server::set_same_day_bills).
    ///
    /// ```no_run
    /// # async fn run() -> wechatpay::Result<()> {
    /// let server = wechatpay::mock::Server::builder().same_day_bills(true).start().await?;
    /// # Ok(()) }
    /// ```
    pub fn same_day_bills(mut self, on: bool) -> Self {
        self.flows.same_day_bills = on;
        self
    }

    /// 国密 mode (feature `shangmi`): every merchant also gets an SM2 API key, the emulator an
    /// SM2 platform key and certificate; APIv3 calls must be signed `WECHATPAY2-SM2-WITH-SM3`,
    /// answers and notifications are signed SM2 with SM3 (notifications sealed AEAD_SM4_GCM),
    /// `v3/certificates?algorithm_type=SM2` lists the SM2 certificate.
    /// [`Server::client_builder`](crate::mock::Server::client_builder) then configures a 国密
    /// client. Off by default.
    #[cfg(feature = "shangmi")]
    pub fn shangmi(mut self, on: bool) -> Self {
        self.shangmi = on;
        self
    }

    /// Starts listening on the current tokio runtime.
    pub async fn start(self) -> Result<Server> {
        let authority = tls::Authority::new()?;
        let (platform_key_pem, public_key_id) = match self.platform_key {
            Some(k) => k,
            None => (
                generate_rsa_pem()?,
                format!(
                    "PUB_KEY_ID_0119000000012026{}",
                    &crate::util::nonce(16).to_uppercase()
                ),
            ),
        };
        let platform_key = PrivateKey::from_pem(platform_key_pem.as_bytes())?;
        // The platform certificate is over a key of its own, as at WeChat Pay: an SDK that
        // verifies with the wrong one of the two fails here as it would there.
        let certificate_key_pem = generate_rsa_pem()?;
        let certificate_key = PrivateKey::from_pem(certificate_key_pem.as_bytes())?;
        let platform_serial = random_serial();
        let platform_cert_pem =
            authority.platform_certificate(&platform_serial, &certificate_key_pem)?;
        let mut merchants = self.merchants;
        if merchants.is_empty() {
            merchants.push(Merchant::generate("1900000001")?);
        }
        // The first merchant given is the one `client_builder()` and `merchant()` use.
        let first = merchants[0].mchid.clone();
        let mut entries = HashMap::new();
        for m in merchants {
            let key = PrivateKey::from_pem(m.private_key_pem.as_bytes())?;
            let (cert_pem, cert_der) =
                authority.merchant_certificate(&m.mchid, &m.serial, &m.private_key_pem)?;
            entries.insert(
                m.mchid.clone(),
                MerchantEntry {
                    public_key: key.public_key(),
                    merchant: m,
                    cert_pem,
                    cert_der,
                },
            );
        }
        #[cfg(feature = "shangmi")]
        let shangmi = match self.shangmi {
            true => Some(crate::mock::protocol::shangmi::ShangmiKeys::generate(
                entries.keys().map(String::as_str),
            )?),
            false => None,
        };
        let keys = Keys {
            #[cfg(feature = "shangmi")]
            shangmi,
            merchants: entries,
            platform_key,
            public_key_id,
            certificate_key,
            platform_serial,
            platform_cert_pem,
            mode: ModeCell::new(self.mode),
            nonces: Mutex::new(HashMap::new()),
        };
        let state = Arc::new(State {
            keys,
            brands: crate::mock::protocol::brand::entries(self.brands)?,
            routes: routes::documented(),
            scripts: Mutex::new(Vec::new()),
            faults: Mutex::new(HashSet::new()),
            flows: Flows::new(self.flows),
        });
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", self.port))
            .await
            .map_err(|e| {
                Error::NotConfigured(format!(
                    "the emulator cannot listen on 127.0.0.1:{}: {e}",
                    self.port
                ))
            })?;
        let addr = listener
            .local_addr()
            .map_err(|e| Error::NotConfigured(format!("the emulator's address: {e}")))?;
        let config = authority.server_config(self.http2)?;
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let url = format!("https://127.0.0.1:{}/", addr.port());
        let _ = state.flows.info.set(Info {
            url: url.clone(),
            ca_pem: authority.ca_pem.clone(),
            mchid: first.clone(),
        });
        let (jobs, queue) = tokio::sync::mpsc::unbounded_channel();
        let _ = state.flows.jobs.set(jobs);
        let worker = tokio::spawn(deliver::worker(state.clone(), queue));
        let shared = Arc::new(Shared {
            state,
            journal: Mutex::new(Vec::new()),
            fast: self.fast.then(FastAnswer::new),
            connections: Default::default(),
            chaos: Default::default(),
            access: super::dashboard::guard::Access::new(),
        });
        let (dashboard, dashboard_port) = dashboard_listener(self.dashboard_port).await?;
        let _ = shared.access.dashboard_port.set(dashboard_port);
        let dashboard = tokio::spawn(super::dashboard::serve(
            dashboard,
            shared.clone(),
            stopped.clone(),
        ));
        let task = tokio::spawn(service::serve(listener, config, shared.clone(), stopped));
        Ok(Server {
            shared,
            url,
            worker: Some(worker),
            ca_pem: authority.ca_pem,
            first_mchid: first,
            task: Some(task),
            dashboard: Some(dashboard),
            stop,
        })
    }
}

/// The dashboard's own port on 127.0.0.1 (0: any free one).
async fn dashboard_listener(port: u16) -> Result<(tokio::net::TcpListener, u16)> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .map_err(|e| {
            Error::NotConfigured(format!(
                "the emulator's dashboard cannot listen on 127.0.0.1:{port}: {e}"
            ))
        })?;
    let port = listener
        .local_addr()
        .map_err(|e| Error::NotConfigured(format!("the dashboard's address: {e}")))?
        .port();
    Ok((listener, port))
}

impl Server {
    /// Starts an emulator with a fresh platform key and one generated merchant (`1900000001`),
    /// on the current tokio runtime.
    pub async fn start() -> Result<Server> {
        Server::builder().start().await
    }

    /// Configures an emulator.
    pub fn builder() -> ServerBuilder {
        ServerBuilder::default()
    }
}
