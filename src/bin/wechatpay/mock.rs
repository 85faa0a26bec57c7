//! `wechatpay mock`: the local emulator.

use wechatpay::Error;

pub(crate) fn mock(port: Option<u16>) -> Result<(), Error> {
    let rt = tokio::runtime::Runtime::new()
        .map_err(|e| Error::NotConfigured(format!("cannot start a runtime: {e}")))?;
    rt.block_on(async move {
        let mut builder = wechatpay::mock::Server::builder();
        if let Some(p) = port {
            builder = builder.port(p);
        }
        let server = builder.start().await?;
        let dir = std::env::temp_dir().join(format!("wechatpay-emulator-{}", std::process::id()));
        std::fs::create_dir_all(&dir)
            .map_err(|e| Error::NotConfigured(format!("cannot create {}: {e}", dir.display())))?;
        print!("{}", server.env_script(&dir)?);
        eprintln!(
            "WeChat Pay emulator listening on {} (Ctrl-C to stop)",
            server.url()
        );
        let _ = tokio::signal::ctrl_c().await;
        Ok(())
    })
}
