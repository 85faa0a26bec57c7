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
        let rt = tokio::runtime::Runtime::new().unwrap();
        let server = rt.block_on(wechatpay::mock::Server::start()).unwrap();
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

/// The variables of an offline client: fixture keys, and a base URI where nothing listens (a
/// dry run must not try it).
pub fn offline() -> Vec<(String, String)> {
    [
        ("WECHATPAY_MCHID", "1900000001".to_string()),
        (
            "WECHATPAY_SERIAL",
            "1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C".to_string(),
        ),
        ("WECHATPAY_PRIVATE_KEY", fixture("merchant_key.pem")),
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
