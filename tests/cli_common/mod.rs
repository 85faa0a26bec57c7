//! Shared by the `cli_*` tests: the emulator, its variables, and running the binary.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Command;

/// An emulator, the `WECHATPAY_*` variables pointing at it and a scratch directory.
pub struct Emulator {
    pub rt: tokio::runtime::Runtime,
    pub server: wechatpay::mock::Server,
    pub dir: PathBuf,
    pub vars: Vec<(String, String)>,
}

impl Emulator {
    pub fn start(tag: &str) -> Emulator {
        Emulator::start_in(tag, wechatpay::mock::Mode::PublicKey)
    }

    /// An emulator in this key mode (its export lines carry the mode's keys).
    pub fn start_in(tag: &str, mode: wechatpay::mock::Mode) -> Emulator {
        Emulator::start_with(tag, wechatpay::mock::Server::builder().mode(mode))
    }

    /// An emulator from this builder (a brand, …), its export lines as the variables.
    pub fn start_with(tag: &str, builder: wechatpay::mock::ServerBuilder) -> Emulator {
        let rt = tokio::runtime::Runtime::new().unwrap();
        let server = rt.block_on(builder.start()).unwrap();
        let dir = std::env::temp_dir().join(format!("wechatpay-{tag}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let vars = server
            .env_script(&dir)
            .unwrap()
            .lines()
            .filter_map(|l| l.strip_prefix("export "))
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Emulator {
            rt,
            server,
            dir,
            vars,
        }
    }

    pub fn var(&self, name: &str) -> &str {
        &self.vars.iter().find(|(k, _)| k == name).unwrap().1
    }

    /// The variables, with some replaced or removed (an empty value removes).
    pub fn vars_with(&self, changes: &[(&str, &str)]) -> Vec<(String, String)> {
        let mut vars: Vec<(String, String)> = self
            .vars
            .iter()
            .filter(|(k, _)| !changes.iter().any(|(c, _)| c == k))
            .cloned()
            .collect();
        for (k, v) in changes {
            if !v.is_empty() {
                vars.push((k.to_string(), v.to_string()));
            }
        }
        vars
    }

    /// A `[profiles.NAME]` table with the emulator's settings.
    pub fn profile(&self, name: &str) -> String {
        let keys = [
            ("mchid", "WECHATPAY_MCHID"),
            ("serial", "WECHATPAY_SERIAL"),
            ("private_key", "WECHATPAY_PRIVATE_KEY"),
            ("public_key_id", "WECHATPAY_PUBLIC_KEY_ID"),
            ("public_key", "WECHATPAY_PUBLIC_KEY"),
            ("apiv2_secret", "WECHATPAY_APIV2_SECRET"),
            ("apiv3_key", "WECHATPAY_APIV3_KEY"),
            ("merchant_cert", "WECHATPAY_MERCHANT_CERT"),
            ("merchant_key", "WECHATPAY_MERCHANT_KEY"),
            ("base_uri", "WECHATPAY_BASE_URI"),
            ("ca", "WECHATPAY_CA"),
        ];
        let mut out = format!("[profiles.{name}]\n");
        for (k, var) in keys {
            out.push_str(&format!("{k} = {:?}\n", self.var(var)));
        }
        out
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        std::fs::remove_dir_all(&self.dir).ok();
    }
}

/// Runs the binary with only these variables: (exit code, stdout, stderr).
pub fn run(args: &[&str], vars: &[(String, String)]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_wechatpay"))
        .args(args)
        .env_clear()
        .envs(vars.iter().cloned())
        .output()
        .expect("the binary runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A test fixture's path.
pub fn fixture(name: &str) -> String {
    format!(
        "{}/tests/fixtures/client/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

/// A fixture holding a secret, copied readable by its owner only (a checkout leaves it 0644, and
/// the binary warns about such a key on every run).
pub fn private_fixture(name: &str) -> String {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("cli-fixtures");
    let target = dir.join(name);
    std::fs::create_dir_all(&dir).unwrap();
    // Written aside and renamed: test binaries running at once never see half a key.
    static WRITES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = WRITES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let part = dir.join(format!("{name}.{}.{n}.part", std::process::id()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&part).unwrap();
    std::io::Write::write_all(&mut file, &std::fs::read(fixture(name)).unwrap()).unwrap();
    std::fs::rename(&part, &target).unwrap();
    target.display().to_string()
}

/// The variables of an offline client: fixture keys, and a base URI where nothing listens (a
/// dry run must not try it).
pub fn offline() -> Vec<(String, String)> {
    [
        ("WECHATPAY_MCHID", "1900000001".to_string()),
        (
            "WECHATPAY_SERIAL",
            "1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C".to_string(),
        ),
        ("WECHATPAY_PRIVATE_KEY", private_fixture("merchant_key.pem")),
        (
            "WECHATPAY_PUBLIC_KEY_ID",
            "PUB_KEY_ID_0119000000012024000000000000".to_string(),
        ),
        ("WECHATPAY_PUBLIC_KEY", fixture("wechatpay_pub.pem")),
        (
            "WECHATPAY_APIV2_SECRET",
            "192006250b4c09247ec02edce69f6a2d".to_string(),
        ),
        ("WECHATPAY_BASE_URI", "http://127.0.0.1:9/".to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

/// A listener on 127.0.0.1 that must see nothing: it accepts and closes every connection,
/// noting who connected.
pub struct Watch {
    pub addr: std::net::SocketAddr,
    peers: tokio::sync::mpsc::UnboundedReceiver<std::net::SocketAddr>,
}

impl Watch {
    pub fn start(rt: &tokio::runtime::Runtime) -> Watch {
        let listener = rt
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, peers) = tokio::sync::mpsc::unbounded_channel();
        rt.spawn(async move {
            while let Ok((stream, peer)) = listener.accept().await {
                drop(stream);
                if tx.send(peer).is_err() {
                    break;
                }
            }
        });
        Watch { addr, peers }
    }

    /// How many connections it accepted before this call: a probe of our own is queued behind
    /// any earlier one, so when the probe is seen every earlier connection has been counted.
    pub fn connections(mut self) -> usize {
        let probe = std::net::TcpStream::connect(self.addr).unwrap();
        let me = probe.local_addr().unwrap();
        let mut seen = 0;
        while let Some(peer) = self.peers.blocking_recv() {
            if peer == me {
                break;
            }
            seen += 1;
        }
        seen
    }
}

/// What a run of the binary printed, how it ended, and its peak resident memory.
pub struct Measured {
    pub code: i32,
    pub out: String,
    pub err: String,
    /// The process's peak RSS in bytes (from `wait4`, so no other child counts). Linux carries
    /// the parent's peak at `exec` into it: keep the test's own memory small before running.
    pub peak_rss: u64,
}

/// [`run`], measuring the binary's peak memory.
#[cfg(target_os = "linux")]
// The child is reaped by `wait4`, which also reports its memory.
#[allow(clippy::zombie_processes)]
pub fn run_measured(args: &[&str], vars: &[(String, String)]) -> Measured {
    use std::io::Read as _;
    use std::process::Stdio;
    let mut child = Command::new(env!("CARGO_BIN_EXE_wechatpay"))
        .args(args)
        .env_clear()
        .envs(vars.iter().cloned())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let (mut stdout, mut stderr) = (child.stdout.take().unwrap(), child.stderr.take().unwrap());
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        s
    });
    let mut err = String::new();
    let _ = stderr.read_to_string(&mut err);
    let out = out.join().unwrap();
    let mut status = 0;
    // SAFETY: plain syscall on our own child, with valid out-pointers.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = child.id() as libc::pid_t;
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(waited, pid, "wait4");
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    Measured {
        code,
        out,
        err,
        // Linux reports kilobytes.
        peak_rss: usage.ru_maxrss as u64 * 1024,
    }
}

/// A one-connection HTTP/1.1 server on 127.0.0.1: reads the request (head and
/// `Content-Length` body), then writes `answer`. Returns its address and what it was sent.
pub fn serve_once(
    rt: &tokio::runtime::Runtime,
    answer: Vec<u8>,
) -> (std::net::SocketAddr, tokio::task::JoinHandle<Vec<u8>>) {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let task = rt.spawn(async move {
        let (mut s, _) = listener.accept().await.unwrap();
        let request = read_request(&mut s).await;
        let _ = s.write_all(&answer).await;
        let _ = s.shutdown().await;
        // Until the client closes: it reads the whole answer first.
        let mut rest = [0u8; 1024];
        while matches!(s.read(&mut rest).await, Ok(n) if n > 0) {}
        request
    });
    (addr, task)
}

/// One request's head and `Content-Length` body.
pub async fn read_request(s: &mut tokio::net::TcpStream) -> Vec<u8> {
    use tokio::io::AsyncReadExt as _;
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        if let Some(end) = got.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&got[..end]).to_ascii_lowercase();
            let length: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            if got.len() >= end + 4 + length {
                return got;
            }
        }
        match s.read(&mut buf).await {
            Ok(0) | Err(_) => return got,
            Ok(n) => got.extend_from_slice(&buf[..n]),
        }
    }
}
