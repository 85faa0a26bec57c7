//! The emulator in a child process (this same program, `--emulator`), so that the resident
//! memory the soak measures is the client's alone: the emulator keeps every order it made.
//! The parent reads its config from the child's first line of output and talks to its admin
//! API over TLS; the child stops when its standard input closes.

use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Command, ExitCode, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use wechatpay::mock::{Chaos, Server};

/// What the child's panic hook prints first, for the parent to count.
const PANIC_MARK: &str = "soak: emulator panic:";

/// The child: the emulator with strict orders and chaos on, until standard input closes.
pub fn serve(seed: u64, rate: f64, slow: Duration) -> ExitCode {
    std::panic::set_hook(Box::new(|info| eprintln!("{PANIC_MARK} {info}")));
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("soak: the emulator's runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    rt.block_on(async {
        let server = match Server::builder().strict(true).start().await {
            Ok(s) => s,
            Err(e) => {
                eprintln!("soak: cannot start the emulator: {e}");
                return ExitCode::FAILURE;
            }
        };
        server.chaos(Chaos::new(seed, rate).slow(slow));
        let mut out = std::io::stdout().lock();
        if writeln!(out, "{}", server.config_json())
            .and_then(|_| out.flush())
            .is_err()
        {
            return ExitCode::FAILURE;
        }
        drop(out);
        let _ = tokio::task::spawn_blocking(|| std::io::stdin().read_to_end(&mut Vec::new())).await;
        ExitCode::SUCCESS
    })
}

/// The running child.
pub struct Emulator {
    child: Child,
    stdin: Option<ChildStdin>,
    pub config: Value,
    panics: Arc<AtomicUsize>,
    stderr: Option<std::thread::JoinHandle<()>>,
}

impl Emulator {
    pub fn spawn(seed: u64, rate: f64, slow: Duration) -> Result<Emulator, String> {
        let exe = std::env::current_exe().map_err(|e| format!("this program's path: {e}"))?;
        let mut child = Command::new(exe)
            .args([
                "--emulator",
                "--seed",
                &seed.to_string(),
                "--rate",
                &rate.to_string(),
            ])
            .args(["--slow-ms", &slow.as_millis().to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start the emulator process: {e}"))?;
        let panics = Arc::new(AtomicUsize::new(0));
        let counted = panics.clone();
        let err = child.stderr.take().ok_or("no stderr")?;
        let stderr = std::thread::spawn(move || {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                if line.starts_with(PANIC_MARK) {
                    counted.fetch_add(1, Ordering::Relaxed);
                }
                eprintln!("[emulator] {line}");
            }
        });
        let mut line = String::new();
        let out = child.stdout.take().ok_or("no stdout")?;
        BufReader::new(out)
            .read_line(&mut line)
            .map_err(|e| format!("the emulator's config: {e}"))?;
        let config: Value = serde_json::from_str(&line)
            .map_err(|e| format!("the emulator did not start (its first line: {line:?}): {e}"))?;
        Ok(Emulator {
            stdin: child.stdin.take(),
            child,
            config,
            panics,
            stderr: Some(stderr),
        })
    }

    /// A client builder for the emulator's merchant, as a merchant would configure it.
    pub fn client_builder(&self) -> wechatpay::ClientBuilder {
        let c = &self.config;
        let s = |k: &str| c[k].as_str().unwrap_or_default().to_string();
        wechatpay::Client::builder()
            .mchid(s("mchid"))
            .serial(s("serial"))
            .private_key(s("private_key_pem"))
            .public_key(s("public_key_id"), s("public_key_pem"))
            .apiv2_secret(s("apiv2_secret"))
            .apiv3_key(s("apiv3_key"))
            .merchant_identity(s("merchant_certificate_pem"), s("private_key_pem"))
            .base_uri(s("base_url"))
            .add_root_certificate(s("ca_pem"))
    }

    pub fn admin(&self) -> Result<Admin, String> {
        let ca = self.config["ca_pem"].as_str().unwrap_or_default();
        let certs = reqwest::Certificate::from_pem_bundle(ca.as_bytes())
            .map_err(|e| format!("the emulator's CA: {e}"))?;
        // The run's token: the admin API refuses state-changing calls without it.
        let token = self.config["admin_token"].as_str().unwrap_or_default();
        let mut headers = reqwest::header::HeaderMap::new();
        if let Ok(v) = token.parse() {
            headers.insert("x-emulator-token", v);
        }
        let http = reqwest::Client::builder()
            .no_proxy()
            .default_headers(headers)
            .tls_certs_merge(certs)
            .timeout(Duration::from_secs(60))
            .build()
            .map_err(|e| format!("the admin client: {e}"))?;
        let base = self.config["admin_url"].as_str().unwrap_or_default();
        Ok(Admin {
            http,
            base: base.to_string(),
        })
    }

    /// Stops the child; returns how many panics it reported.
    pub fn stop(mut self) -> usize {
        drop(self.stdin.take());
        let _ = self.child.wait();
        if let Some(t) = self.stderr.take() {
            let _ = t.join();
        }
        self.panics.load(Ordering::Relaxed)
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if self.stdin.is_some() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The emulator's admin API (`/__emulator/`). Its requests meet no fault, but chaos mode may
/// refuse their connections: each is retried until it gets an answer.
pub struct Admin {
    http: reqwest::Client,
    base: String,
}

impl Admin {
    async fn send(&self, method: reqwest::Method, path: &str) -> Result<(u16, Vec<u8>), String> {
        let mut last = String::new();
        for _ in 0..50 {
            let sent = self
                .http
                .request(method.clone(), format!("{}{path}", self.base))
                .send()
                .await;
            match sent {
                Ok(res) => {
                    let status = res.status().as_u16();
                    match res.bytes().await {
                        Ok(body) => return Ok((status, body.to_vec())),
                        Err(e) => last = e.to_string(),
                    }
                }
                Err(e) => last = e.to_string(),
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Err(format!("{method} {path}: {last}"))
    }

    /// The payer pays: marks the order paid (no order, after a create that failed: nothing).
    pub async fn pay(&self, out_trade_no: &str) {
        let _ = self
            .send(reqwest::Method::POST, &format!("orders/{out_trade_no}/pay"))
            .await;
    }

    pub async fn chaos_off(&self) -> Result<(), String> {
        self.send(reqwest::Method::DELETE, "chaos")
            .await
            .map(|_| ())
    }

    /// `GET` an admin path, as JSON of type `T`.
    pub async fn get<T: serde::de::DeserializeOwned>(&self, path: &str) -> Result<T, String> {
        let (status, body) = self.send(reqwest::Method::GET, path).await?;
        if status != 200 {
            return Err(format!("GET {path}: {status}"));
        }
        serde_json::from_slice(&body).map_err(|e| format!("GET {path}: {e}"))
    }
}
