//! `wechatpay mock`: the local emulator.

use std::path::{Path, PathBuf};
use wechatpay::Error;

pub(crate) fn mock(
    port: Option<u16>,
    json: bool,
    strict: bool,
    mode: &str,
    brand: Option<&str>,
    shangmi: bool,
) -> Result<(), Error> {
    #[cfg(not(feature = "shangmi"))]
    if shangmi {
        return Err(Error::NotConfigured(
            "--shangmi needs a wechatpay built with the feature `shangmi` \
             (cargo install wechatpay-chain --features cli,shangmi)"
                .into(),
        ));
    }
    let mode: wechatpay::mock::Mode = mode.parse()?;
    let rt = tokio::runtime::Runtime::new()
        .map_err(|e| Error::NotConfigured(format!("cannot start a runtime: {e}")))?;
    rt.block_on(async move {
        let mut builder = wechatpay::mock::Server::builder().strict(strict).mode(mode);
        #[cfg(feature = "shangmi")]
        {
            builder = builder.shangmi(shangmi);
        }
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
        #[cfg(feature = "shangmi")]
        let script = match shangmi {
            true => shangmi_script(&server, dir.path(), &script)?,
            false => script,
        };
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
        eprintln!("Dashboard: {}", server.dashboard_url());
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

/// The export lines of 国密 mode: the RSA signing and verifying lines give way to the merchant's
/// SM2 key and serial and the SM2 platform certificate (the APIv2 and mutual-TLS lines stay).
#[cfg(feature = "shangmi")]
fn shangmi_script(
    server: &wechatpay::mock::Server,
    dir: &Path,
    script: &str,
) -> Result<String, Error> {
    let mchid = &server.merchant().mchid;
    let missing = || Error::NotConfigured("the emulator is not in 国密 mode".into());
    let (serial, key) = server.shangmi_merchant_key(mchid).ok_or_else(missing)?;
    let cert = server.shangmi_platform_certificate().ok_or_else(missing)?;
    let write = |name: &str, content: &str| -> Result<String, Error> {
        let path = dir.join(name);
        wechatpay::__write_file(&path, content.as_bytes())
            .map_err(|e| Error::NotConfigured(format!("cannot write {}: {e}", path.display())))?;
        Ok(path.display().to_string())
    };
    let key = write("apiclient_sm2_key.pem", &key)?;
    let cert = write("wechatpay_sm2_cert.pem", &cert)?;
    let replaced = [
        "WECHATPAY_SERIAL=",
        "WECHATPAY_PRIVATE_KEY=",
        "WECHATPAY_PUBLIC_KEY_ID=",
        "WECHATPAY_PUBLIC_KEY=",
        "WECHATPAY_PLATFORM_CERT=",
        "WECHATPAY_PLATFORM_SERIAL=",
        "WECHATPAY_PLATFORM_CERT_DIR=",
    ];
    let mut out: String = script
        .lines()
        .filter(|l| {
            !replaced
                .iter()
                .any(|r| l.starts_with(&format!("export {r}")))
        })
        .map(|l| format!("{l}\n"))
        .collect();
    out.push_str(&format!(
        "export WECHATPAY_SERIAL={serial}\nexport WECHATPAY_SHANGMI_PRIVATE_KEY={key}\n\
         export WECHATPAY_SHANGMI_PLATFORM_CERT={cert}\n"
    ));
    Ok(out)
}
