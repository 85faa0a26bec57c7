//! The floor: the same verified call made by the thinnest client that could make it, so the
//! share of the HTTP stack is measured rather than guessed. hyper's connection API directly (no
//! pool, no reqwest, no retries, no limits, no cold-burst gate), over the same TCP or the same
//! TLS (rustls, aws-lc), with the crate's own signing (`v3::canonical_request`,
//! `PrivateKey::sign`, `v3::authorization`) and verification (`v3::verify_response`). Over
//! HTTP/1.1 each caller owns one connection; over HTTP/2 the callers share one.

use crate::server;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::{http1, http2};
use hyper_util::rt::{TokioExecutor, TokioIo};
use std::sync::Arc;
use wechatpay::crypto::{PrivateKey, PublicKey};
use wechatpay::http::{header, HeaderValue, Method, Request};
use wechatpay::{v3, Keyring};

/// What every caller shares: the merchant key, the keyring and where to connect.
pub struct Floor {
    key: PrivateKey,
    keyring: Keyring,
    port: u16,
    tls: Option<tokio_rustls::TlsConnector>,
    http2: bool,
    user_agent: HeaderValue,
}

/// One caller's way to the server: its own HTTP/1.1 connection, or a handle on the shared
/// HTTP/2 connection.
pub enum Conn {
    H1(http1::SendRequest<Full<Bytes>>),
    H2(http2::SendRequest<Full<Bytes>>),
}

impl Floor {
    /// `ca`: the emulator's CA (TLS) or `None` (plain TCP); `http2`: offer h2 by ALPN.
    pub fn new(port: u16, ca: Option<&str>, http2: bool) -> Floor {
        let keyring = Keyring::default();
        keyring.insert_key(
            server::KEY_ID,
            PublicKey::from_pem(server::WECHATPAY_PUB).unwrap(),
            None,
        );
        let tls = ca.map(|pem| {
            use rustls::pki_types::pem::PemObject;
            let mut roots = rustls::RootCertStore::empty();
            roots
                .add(rustls::pki_types::CertificateDer::from_pem_slice(pem.as_bytes()).unwrap())
                .unwrap();
            let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
            let mut config = rustls::ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .unwrap()
                .with_root_certificates(roots)
                .with_no_client_auth();
            config.alpn_protocols = if http2 {
                vec![b"h2".to_vec(), b"http/1.1".to_vec()]
            } else {
                vec![b"http/1.1".to_vec()]
            };
            tokio_rustls::TlsConnector::from(Arc::new(config))
        });
        Floor {
            key: PrivateKey::from_pem(server::MERCHANT_KEY).unwrap(),
            keyring,
            port,
            tls,
            http2,
            user_agent: HeaderValue::from_static("wechatpay-chain-floor"),
        }
    }

    /// Over HTTP/2 the callers share one connection; over HTTP/1.1 each opens its own.
    pub fn shares_a_connection(&self) -> bool {
        self.tls.is_some() && self.http2
    }

    /// Opens a connection (TLS when the server speaks it) and hands its driver to tokio.
    pub async fn connect(&self) -> Conn {
        let tcp = tokio::net::TcpStream::connect(("127.0.0.1", self.port))
            .await
            .unwrap();
        tcp.set_nodelay(true).unwrap();
        let Some(tls) = &self.tls else {
            return h1(TokioIo::new(tcp)).await;
        };
        let name = rustls::pki_types::ServerName::try_from("127.0.0.1").unwrap();
        let stream = tls.connect(name, tcp).await.unwrap();
        if stream.get_ref().1.alpn_protocol() == Some(b"h2") {
            let (send, conn) = http2::handshake(TokioExecutor::new(), TokioIo::new(stream))
                .await
                .unwrap();
            tokio::spawn(conn);
            Conn::H2(send)
        } else {
            h1(TokioIo::new(stream)).await
        }
    }

    /// One verified call: the body serialised, signed, sent, the whole answer read and its
    /// signature checked, as the client does (without its options, limits and retries).
    pub async fn call(&self, conn: &mut Conn, args: &serde_json::Value) {
        let path = format!(
            "/v3/pay/transactions/out-trade-no/{}",
            args["out_trade_no"].as_str().unwrap()
        );
        let body = Bytes::from(serde_json::to_vec(&args["json"]).unwrap());
        self.send(conn, Method::POST, path, body).await;
    }

    /// An order query (`GET …/out-trade-no/{no}?mchid=…`), verified: the peers bench's call.
    #[allow(dead_code)]
    pub async fn query(&self, conn: &mut Conn, out_trade_no: &str, mchid: &str) {
        let path = format!("/v3/pay/transactions/out-trade-no/{out_trade_no}?mchid={mchid}");
        self.send(conn, Method::GET, path, Bytes::new()).await;
    }

    async fn send(&self, conn: &mut Conn, method: Method, path: String, body: Bytes) {
        let has_body = !body.is_empty();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        let nonce = nonce();
        let message = v3::canonical_request(method.as_str(), &path, now, &nonce, &body);
        use base64::Engine;
        let signature =
            base64::engine::general_purpose::STANDARD.encode(self.key.sign(&message).unwrap());
        let authorization = v3::authorization(
            "1900000001",
            server::MERCHANT_SERIAL,
            now,
            &nonce,
            &signature,
        );
        let uri = match conn {
            // HTTP/2 carries the scheme and authority as pseudo-headers.
            Conn::H2(_) => format!("https://127.0.0.1:{}{path}", self.port),
            Conn::H1(_) => path.clone(),
        };
        let mut req = Request::builder()
            .method(method)
            .uri(uri)
            .body(Full::new(body))
            .unwrap();
        let h = req.headers_mut();
        if matches!(conn, Conn::H1(_)) {
            h.insert(header::HOST, HeaderValue::from_static("127.0.0.1"));
        }
        h.insert(header::ACCEPT, HeaderValue::from_static("application/json"));
        h.insert(header::USER_AGENT, self.user_agent.clone());
        if has_body {
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
        }
        h.insert("wechatpay-serial", HeaderValue::from_static(server::KEY_ID));
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_str(&authorization).unwrap(),
        );
        let res = match conn {
            Conn::H1(send) => {
                send.ready().await.unwrap();
                send.send_request(req).await.unwrap()
            }
            Conn::H2(send) => send.send_request(req).await.unwrap(),
        };
        assert!(
            res.status().is_success(),
            "the floor's call: {}",
            res.status()
        );
        let (parts, body) = res.into_parts();
        let body = body.collect().await.unwrap().to_bytes();
        v3::verify_response(&self.keyring, now, &path, &parts.headers, &body).unwrap();
    }
}

async fn h1<T>(io: TokioIo<T>) -> Conn
where
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (send, conn) = http1::handshake(io).await.unwrap();
    tokio::spawn(conn);
    Conn::H1(send)
}

/// 32 random hex characters, as the client's nonces.
fn nonce() -> String {
    let mut raw = [0u8; 16];
    getrandom::getrandom(&mut raw).unwrap();
    hex::encode_upper(raw)
}
