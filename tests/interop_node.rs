//! Interop with the Node SDK: `wechatpay-axios-plugin` (installed with npm into a temporary
//! folder) runs `tests/interop/flow.js` against the emulator in each key mode, configured from
//! `wechatpay mock`'s export lines alone, with its response verifier on.
//! Without node, npm or the npm registry, the test says why and passes as skipped.
#![cfg(feature = "mock")]

use std::path::{Path, PathBuf};
use std::process::Command;
use wechatpay::mock::Mode;

fn works(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// The folder holding `node_modules/wechatpay-axios-plugin`, or why there is none.
fn install() -> Result<PathBuf, String> {
    if !works("node") || !works("npm") {
        return Err("node or npm is not installed".into());
    }
    let dir = std::env::temp_dir().join(format!("wechatpay-interop-node-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop/package.json"),
        dir.join("package.json"),
    )
    .map_err(|e| e.to_string())?;
    let out = Command::new("npm")
        .args([
            "install",
            "--no-audit",
            "--no-fund",
            "--no-save",
            "--fetch-retries=1",
            "--fetch-timeout=30000",
            "wechatpay-axios-plugin@latest",
        ])
        .current_dir(&dir)
        .output()
        .map_err(|e| e.to_string())?;
    if !out.status.success() || !dir.join("node_modules/wechatpay-axios-plugin").exists() {
        return Err(format!(
            "npm install failed (no network?): {}",
            String::from_utf8_lossy(&out.stderr)
                .lines()
                .last()
                .unwrap_or("")
        ));
    }
    Ok(dir)
}

#[test]
fn the_node_sdk_runs_a_whole_flow_against_the_emulator() {
    let dir = match install() {
        Ok(d) => d,
        Err(why) => {
            eprintln!("interop_node skipped: {why}");
            return;
        }
    };
    let version = Command::new("node")
        .args([
            "-p",
            "require('wechatpay-axios-plugin/package.json').version",
        ])
        .env("NODE_PATH", dir.join("node_modules"))
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    for mode in [Mode::PublicKey, Mode::Certificate, Mode::Both] {
        flow(&dir, &version, mode);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// One run of flow.js against an emulator in `mode`, configured from its export lines alone.
fn flow(dir: &Path, version: &str, mode: Mode) {
    let server = wechatpay::mock::Server::builder()
        .strict(true)
        .mode(mode)
        .start_blocking()
        .unwrap();
    let keys = dir.join(mode.as_str());
    std::fs::create_dir_all(&keys).unwrap();
    let vars: Vec<(String, String)> = server
        .env_script(&keys)
        .unwrap()
        .lines()
        .filter_map(|l| l.strip_prefix("export ")?.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let ca = &vars.iter().find(|(k, _)| k == "WECHATPAY_CA").unwrap().1;
    let out = Command::new("node")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop/flow.js"))
        .env("NODE_PATH", dir.join("node_modules"))
        .env("NODE_EXTRA_CA_CERTS", ca)
        .envs(vars.iter().map(|(k, v)| (k, v)))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprintln!("wechatpay-axios-plugin {version}, {mode} mode:\n{stdout}{stderr}");
    assert!(
        out.status.success(),
        "{mode}: flow.js failed: {stdout}{stderr}"
    );
    assert!(stdout.contains("notification TRANSACTION.SUCCESS under"));
    assert!(stdout.contains("refunded 40 of 100: SUCCESS"));
    assert!(stdout.contains("then orderquery: SUCCESS"));
    assert!(stdout.lines().last() == Some("interop: OK"), "{stdout}");
    // The answers came under the mode's key: the plugin names none, so in both modes the
    // certificate signs them (the notification comes under the public key).
    let expected = if mode == Mode::PublicKey {
        server.public_key_id()
    } else {
        server.platform_serial()
    };
    assert!(
        stdout.contains(&format!("answer under {expected} verified")),
        "{stdout}"
    );
    // The emulator verified every signed request the plugin sent.
    let journal = server.journal();
    assert!(journal.len() >= 6, "{journal:?}");
    assert!(journal.iter().all(|r| r.verified), "an unverified request");
    assert!(server
        .deliveries()
        .iter()
        .any(|d| d.event_type == "TRANSACTION.SUCCESS" && d.outcome == "delivered"));
}
