//! Files the `wechatpay` binary writes and reads: the emulator's keys in a fresh private
//! directory removed on exit, no write through a planted symlink, and a warning for secrets that
//! others may read.
#![cfg(unix)]

mod cli_common;
use cli_common::{run, Emulator};
use std::io::BufRead as _;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn mode(path: &Path) -> u32 {
    std::fs::symlink_metadata(path)
        .unwrap()
        .permissions()
        .mode()
        & 0o777
}

/// A scratch directory of this test, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(tag: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("wechatpay-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn mock_keys_live_in_a_fresh_private_directory_removed_when_it_stops() {
    let tmp = Scratch::new("cli-files-mock");
    for signal in [libc::SIGTERM, libc::SIGINT, libc::SIGHUP] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_wechatpay"))
            .args(["mock", "--json"])
            .env_clear()
            .env("TMPDIR", &tmp.0)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        let key = PathBuf::from(v["WECHATPAY_PRIVATE_KEY"].as_str().unwrap());
        let dir = key.parent().unwrap().to_path_buf();
        assert_eq!(dir.parent(), Some(tmp.0.as_path()), "{}", dir.display());
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        assert!(name.starts_with("wechatpay-emulator-"), "{name}");
        assert_ne!(
            name,
            format!("wechatpay-emulator-{}", child.id()),
            "a predictable name can be planted"
        );
        assert!(std::fs::symlink_metadata(&dir).unwrap().is_dir());
        assert_eq!(mode(&dir), 0o700, "{}", dir.display());
        let files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        assert_eq!(files.len(), 4, "{files:?}");
        for f in &files {
            assert_eq!(mode(f), 0o600, "{}", f.display());
        }
        // SAFETY: a signal to our own child.
        assert_eq!(unsafe { libc::kill(child.id() as libc::pid_t, signal) }, 0);
        let status = child.wait().unwrap();
        assert_eq!(status.code(), Some(0), "signal {signal}: {status:?}");
        assert!(
            !dir.exists(),
            "signal {signal}: {} left behind",
            dir.display()
        );
    }
    assert_eq!(std::fs::read_dir(&tmp.0).unwrap().count(), 0);
}

#[test]
fn the_emulator_never_writes_its_keys_through_a_symlink() {
    let tmp = Scratch::new("cli-files-env-script");
    let victim = tmp.0.join("victim");
    std::fs::write(&victim, "precious").unwrap();
    let keys = tmp.0.join("keys");
    std::fs::create_dir(&keys).unwrap();
    std::os::unix::fs::symlink(&victim, keys.join("apiclient_key.pem")).unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = rt.block_on(wechatpay::mock::Server::start()).unwrap();
    let err = server.env_script(&keys).unwrap_err().to_string();
    assert!(
        err.contains("apiclient_key.pem") && err.contains("symbolic link"),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    // Written fresh, each file is its owner's only.
    std::fs::remove_file(keys.join("apiclient_key.pem")).unwrap();
    server.env_script(&keys).unwrap();
    for e in std::fs::read_dir(&keys).unwrap() {
        let path = e.unwrap().path();
        assert_eq!(mode(&path), 0o600, "{}", path.display());
    }
}

#[test]
fn certificates_save_refuses_a_symlink_and_writes_owner_only() {
    // A merchant with only the public key has no platform certificate to download.
    let emu = Emulator::start_in("cli-files-certs", wechatpay::mock::Mode::Both);
    let serial = emu.server.platform_serial().to_string();
    let save = emu.dir.join("certs");
    std::fs::create_dir(&save).unwrap();
    let victim = emu.dir.join("victim");
    std::fs::write(&victim, "precious").unwrap();
    let pem = save.join(format!("wechatpay_{serial}.pem"));
    std::os::unix::fs::symlink(&victim, &pem).unwrap();
    let dir = save.display().to_string();
    let (code, _, err) = run(&["certificates", "--save", &dir], &emu.vars);
    assert_eq!(code, 1, "after the download: {err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains(&pem.display().to_string()) && err.contains("symbolic link"),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    assert!(std::fs::symlink_metadata(&pem).unwrap().is_symlink());
    assert_eq!(
        std::fs::read_dir(&save).unwrap().count(),
        1,
        "no temporary file left"
    );

    std::fs::remove_file(&pem).unwrap();
    let (code, _, err) = run(&["certificates", "--save", &dir], &emu.vars);
    assert_eq!(code, 0, "{err}");
    assert!(std::fs::read_to_string(&pem)
        .unwrap()
        .contains("BEGIN CERTIFICATE"));
    assert_eq!(mode(&pem), 0o600);
}

#[test]
fn secrets_others_may_read_are_warned_about_with_the_fix() {
    let emu = Emulator::start("cli-files-warn");
    let config = emu.dir.join("config.toml");
    let c = config.display().to_string();
    std::fs::write(
        &config,
        format!("default = \"emu\"\n{}", emu.profile("emu")),
    )
    .unwrap();
    let key = emu.var("WECHATPAY_PRIVATE_KEY").to_string();
    let dry_run = [
        "--config",
        &c,
        "request",
        "--dry-run",
        "GET",
        "v3/certificates",
    ];
    let set = |path: &str, mode: u32| {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap()
    };

    // The emulator's key is private; a config holding apiv3_key and apiv2_secret is not.
    set(&c, 0o644);
    let (code, _, err) = run(&dry_run, &[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        err,
        format!(
            "warning: `{c}` holds apiv2_secret, apiv3_key and is open to group or others (mode 644): run `chmod 600 {c}`\n"
        )
    );
    set(&c, 0o640);
    let (_, _, err) = run(&dry_run, &[]);
    assert!(err.contains("(mode 640)"), "{err}");

    set(&c, 0o600);
    set(&key, 0o644);
    let (code, _, err) = run(&dry_run, &[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        err,
        format!(
            "warning: `{key}` holds private_key, merchant_key and is open to group or others (mode 644): run `chmod 600 {key}`\n"
        )
    );

    // `doctor` says the same as WARN lines, and nothing on stderr.
    set(&c, 0o604);
    let (_, out, err) = run(&["--config", &c, "doctor"], &[]);
    assert!(err.is_empty(), "{err}");
    for line in [
        format!("WARN  config: `{c}` holds apiv2_secret, apiv3_key and is open to group or others (mode 604); fix: chmod 600 {c}"),
        format!("WARN  private_key: `{key}` holds private_key, merchant_key and is open to group or others (mode 644); fix: chmod 600 {key}"),
    ] {
        assert!(out.contains(&line), "{line}\n{out}");
    }

    set(&c, 0o600);
    set(&key, 0o600);
    let (code, _, err) = run(&dry_run, &[]);
    assert_eq!((code, err.as_str()), (0, ""));
    let (_, out, _) = run(&["--config", &c, "doctor"], &[]);
    assert!(
        !out.contains("WARN  config") && !out.contains("chmod"),
        "{out}"
    );
}
