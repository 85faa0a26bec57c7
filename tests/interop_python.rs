//! Interop with the Python SDK `wechatpayv3` (PyPI, minibear2021/wechatpayv3): installed with pip
//! into a virtual environment made in a temporary folder, it runs `tests/interop/flow.py` against
//! the `wechatpay mock` binary in each key mode (public key, platform certificate, both during the
//! switch), set up as its README says for that mode and only from what `wechatpay mock --json`
//! prints, with the SDK's own answer and notification verification on. Without python3, its venv module or the registry,
//! the test says why and passes as skipped.
#![cfg(unix)]

use std::io::{BufRead as _, Read as _};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The release pinned: current on PyPI when this test was written (2.0.4, 2026-09).
const SDK: &str = "wechatpayv3==2.0.4";
/// One line per step of flow.py; a step missing from its output fails the test.
const STEPS: usize = 15;

/// A scratch folder of this test, removed when dropped.
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs `cmd` to its end, or kills it after `limit` (a stuck install or flow must not hang CI).
fn run_bounded(cmd: &mut Command, limit: Duration) -> Result<Output, String> {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| e.to_string())?;
    // Drained on threads, so a chatty child never blocks on a full pipe.
    let drain = |mut pipe: Box<dyn std::io::Read + Send>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = pipe.read_to_end(&mut buf);
            buf
        })
    };
    let out = drain(Box::new(child.stdout.take().unwrap()));
    let err = drain(Box::new(child.stderr.take().unwrap()));
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            break status;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("still running after {} s", limit.as_secs()));
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    Ok(Output {
        status,
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
    })
}

fn last_line(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes)
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .to_string()
}

/// A virtual environment holding the SDK, or why there is none.
fn install(dir: &Path) -> Result<PathBuf, String> {
    let python = Command::new("python3").arg("--version").output();
    if !python.is_ok_and(|o| o.status.success()) {
        return Err("python3 is not installed".into());
    }
    let venv = dir.join("venv");
    let made = run_bounded(
        Command::new("python3").args(["-m", "venv"]).arg(&venv),
        Duration::from_secs(120),
    )?;
    if !made.status.success() {
        return Err(format!(
            "python3 -m venv failed (Debian: apt-get install python3-venv): {}",
            last_line(&made.stderr)
        ));
    }
    let pip = run_bounded(
        Command::new(venv.join("bin/pip")).args([
            "install",
            "--disable-pip-version-check",
            "--no-input",
            "--timeout",
            "30",
            "--retries",
            "1",
            SDK,
        ]),
        Duration::from_secs(300),
    )?;
    if !pip.status.success() {
        return Err(format!(
            "pip install {SDK} failed (no registry?): {}",
            last_line(&pip.stderr)
        ));
    }
    Ok(venv.join("bin/python"))
}

/// `wechatpay mock --json` with `args`, and the JSON object it printed.
fn emulator(args: &[&str]) -> Result<(Child, String), String> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_wechatpay"))
        .arg("mock")
        .arg("--json")
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| e.to_string())?;
    let mut line = String::new();
    // The binary prints its line at once, or exits (EOF) when it cannot start.
    let _ = std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut line);
    if line.trim().is_empty() {
        let _ = child.wait();
        let mut err = String::new();
        let _ = child.stderr.take().unwrap().read_to_string(&mut err);
        return Err(format!(
            "wechatpay mock --json {}: {}",
            args.join(" "),
            err.trim()
        ));
    }
    Ok((child, line))
}

/// Stops the emulator as a user would (SIGTERM: it removes its key directory).
fn stop(mut child: Child) {
    // SAFETY: a signal to our own child, which is still ours to wait for.
    unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) };
    let _ = child.wait();
}

/// One flow, the SDK set up for `mode`: its step lines (`PASS name: …` / `FAIL name: …`) and
/// whether it completed.
fn flow(python: &Path, dir: &Path, mode: &str, mock_args: &[&str]) -> (Vec<String>, bool) {
    let (child, config) = match emulator(mock_args) {
        Ok(started) => started,
        Err(why) => return (vec![format!("FAIL start the emulator: {why}")], false),
    };
    let file = dir.join(format!("emulator{}.json", mock_args.join("")));
    std::fs::write(&file, &config).unwrap();
    let ran = run_bounded(
        Command::new(python)
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop/flow.py"))
            .arg(&file)
            .arg(mode)
            .env("NO_PROXY", "127.0.0.1,localhost")
            .env("PYTHONDONTWRITEBYTECODE", "1"),
        Duration::from_secs(300),
    );
    stop(child);
    match ran {
        Ok(out) => {
            let stdout = String::from_utf8_lossy(&out.stdout);
            let mut lines: Vec<String> = stdout
                .lines()
                .filter(|l| l.starts_with("PASS ") || l.starts_with("FAIL "))
                .map(str::to_string)
                .collect();
            if !out.status.success() && !stdout.contains(" failed") {
                lines.push(format!(
                    "FAIL flow.py: {}",
                    String::from_utf8_lossy(&out.stderr).trim()
                ));
            }
            (lines, out.status.success())
        }
        Err(why) => (vec![format!("FAIL flow.py: {why}")], false),
    }
}

#[test]
fn the_python_sdk_runs_a_whole_flow_against_the_emulator_in_each_key_mode() {
    let dir = Scratch(
        std::env::temp_dir().join(format!("wechatpay-interop-python-{}", std::process::id())),
    );
    let _ = std::fs::remove_dir_all(&dir.0);
    std::fs::create_dir_all(&dir.0).unwrap();
    let python = match install(&dir.0) {
        Ok(p) => p,
        Err(why) => {
            eprintln!("interop_python skipped: {why}");
            return;
        }
    };
    let mut report = String::new();
    let mut all_ok = true;
    // (wechatpay mock's arguments, how the SDK is set up): its README's two setups (public key:
    // the emulator's default mode), and during the switch from certificate to public key (both
    // keys valid) the public-key setup it advises.
    let runs: [(&[&str], &str); 3] = [
        (&[], "public-key"),
        (&["--mode", "certificate"], "certificate"),
        (&["--mode", "both"], "public-key"),
    ];
    for (mock_args, sdk_mode) in runs {
        let (lines, completed) = flow(&python, &dir.0, sdk_mode, mock_args);
        let passed = lines.iter().filter(|l| l.starts_with("PASS ")).count();
        let ok = completed && passed == STEPS && passed == lines.len();
        all_ok &= ok;
        report.push_str(&format!(
            "{SDK} set up with the {sdk_mode}, `wechatpay mock{}`: {passed} of {STEPS} steps \
             passed\n  {}\n",
            mock_args
                .iter()
                .map(|a| format!(" {a}"))
                .collect::<String>(),
            lines.join("\n  ")
        ));
    }
    assert!(all_ok, "the Python SDK's flow failed:\n{report}");
    eprintln!("{report}");
}
