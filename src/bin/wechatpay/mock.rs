//! `wechatpay mock`: the local emulator.

use wechatpay::Error;

pub(crate) fn mock(port: Option<u16>, json: bool, strict: bool) -> Result<(), Error> {
    let rt = tokio::runtime::Runtime::new()
        .map_err(|e| Error::NotConfigured(format!("cannot start a runtime: {e}")))?;
    rt.block_on(async move {
        let mut builder = wechatpay::mock::Server::builder().strict(strict);
        if let Some(p) = port {
            builder = builder.port(p);
        }
        let server = builder.start().await?;
        let dir = std::env::temp_dir().join(format!("wechatpay-emulator-{}", std::process::id()));
        std::fs::create_dir_all(&dir)
            .map_err(|e| Error::NotConfigured(format!("cannot create {}: {e}", dir.display())))?;
        let script = server.env_script(&dir)?;
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
        let _ = tokio::signal::ctrl_c().await;
        Ok(())
    })
}
