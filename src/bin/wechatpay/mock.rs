//! `wechatpay mock`: the local emulator.

use std::path::{Path, PathBuf};
use wechatpay::Error;

pub(crate) fn mock(
    port: Option<u16>,
    json: bool,
    strict: bool,
    mode: &str,
    brand: Option<&str>,
) -> Result<(), Error> {
    let mode: wechatpay::mock::Mode = mode.parse()?;
    let rt = tokio::runtime::Runtime::new()
        .map_err(|e| Error::NotConfigured(format!("cannot start a runtime: {e}")))?;
    rt.block_on(async move {
        let mut builder = wechatpay::mock::Server::builder().strict(strict).mode(mode);
        if let Some(p) = port {
            builder = builder.port(p);
        }
        if let Some(id) = brand {
            builder = builder.brand(wechatpay::mock::Brand::generate(id)?);
        }
        let server = builder.start().await?;
        let stop = Stop::listen()?;
        // Dropped on every way out of here (a signal included), removing the keys.
        let dir = PrivateDir::create(&std::env::temp_dir())?;
        let script = server.env_script(dir.path())?;
        if json {
            let mut all = server.config_json();
            for (k, v) in script
                .lines()
                .filter_map(|l| l.strip_prefix("export ")?.split_once('='))
            {
                all[k] = serde_json::Value::String(v.to_string());
            }
            println!("{all}");
        } else {
            print!("{script}");
        }
        use std::io::Write as _;
        let _ = std::io::stdout().flush();
        eprintln!(
            "WeChat Pay emulator listening on {} (Ctrl-C to stop); admin API at {}__emulator/",
            server.url(),
            server.url()
        );
        stop.wait().await;
        drop(server);
        drop(dir);
        Ok(())
    })
}

/// Ctrl-C, SIGTERM or SIGHUP (the terminal closed), listened for from before the variables are
/// printed, so a script that stops the emulator as soon as it has read them still has it clean
/// up. SIGKILL cannot be caught: the directory then stays behind, private to its owner, until
/// the system cleans its temp dir.
struct Stop {
    #[cfg(unix)]
    signals: Vec<tokio::signal::unix::Signal>,
}

impl Stop {
    fn listen() -> Result<Stop, Error> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            let signals = [
                SignalKind::interrupt(),
                SignalKind::terminate(),
                SignalKind::hangup(),
            ]
            .into_iter()
            .map(signal)
            .collect::<Result<_, _>>()
            .map_err(|e| Error::NotConfigured(format!("cannot listen for signals: {e}")))?;
            Ok(Stop { signals })
        }
        #[cfg(not(unix))]
        Ok(Stop {})
    }

    async fn wait(self) {
        #[cfg(unix)]
        {
            let waits = self.signals.into_iter().map(|mut s| {
                Box::pin(async move {
                    s.recv().await;
                })
            });
            futures_util::future::select_all(waits).await;
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// A fresh directory only its owner can enter (`mkdtemp`-style): a random name, created with
/// mode 0700 in one step and refused if anything, a planted symlink included, is already there.
/// Removed with everything in it when dropped.
struct PrivateDir(PathBuf);

impl PrivateDir {
    fn create(parent: &Path) -> Result<PrivateDir, Error> {
        let mut last = None;
        for _ in 0..8 {
            let mut raw = [0u8; 12];
            getrandom::getrandom(&mut raw).map_err(|e| {
                Error::NotConfigured(format!("no randomness for a directory name: {e}"))
            })?;
            let path = parent.join(format!("wechatpay-emulator-{}", hex::encode(raw)));
            let mut builder = std::fs::DirBuilder::new();
            #[cfg(unix)]
            std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
            match builder.create(&path) {
                Ok(()) => return Ok(PrivateDir(path)),
                // Taken (by chance or by someone else): another name, never that directory.
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last = Some(e),
                Err(e) => {
                    return Err(Error::NotConfigured(format!(
                        "cannot create a private directory in {} for the emulator's keys: {e}",
                        parent.display()
                    )))
                }
            }
        }
        Err(Error::NotConfigured(format!(
            "cannot create a private directory in {} for the emulator's keys: {}",
            parent.display(),
            last.map(|e| e.to_string()).unwrap_or_default()
        )))
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for PrivateDir {
    fn drop(&mut self) {
        // Never follows a symlink inside (std removes the link, not its target).
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
