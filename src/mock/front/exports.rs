//! The `export` lines of `wechatpay mock`: every value an SDK in any language is configured
//! with, the keys as files in a private directory. The names are stable: other languages' tests
//! read them (`docs/emulator.md`, "Every SDK from the export lines").

use super::server::Server;
use crate::error::{Error, Result};
use std::path::Path;

impl Server {
    /// Shell `export` lines that point the `wechatpay` CLI, and any other SDK, at this
    /// emulator (the variables: `docs/emulator.md`, "Every SDK from the export lines"); key
    /// files are written to `dir`, each readable by its owner only (0600 when new), never
    /// through a symlink (refused). Give it a private directory: the files hold the emulator's
    /// keys. The WeChat Pay keys exported are those of the mode: the public key
    /// (`WECHATPAY_PUBLIC_KEY_ID`, `WECHATPAY_PUBLIC_KEY`) unless in certificate mode, the
    /// platform certificate (`WECHATPAY_PLATFORM_SERIAL`, `WECHATPAY_PLATFORM_CERT`,
    /// `WECHATPAY_PLATFORM_CERT_DIR`) unless in public-key mode. With a brand
    /// ([`ServerBuilder::brand`](crate::mock::ServerBuilder::brand); the first by id):
    /// `WECHATPAY_BRAND_ID`, `WECHATPAY_BRAND_SERIAL`, `WECHATPAY_BRAND_PRIVATE_KEY` (file),
    /// `WECHATPAY_BRAND_API_KEY`, `WECHATPAY_BRAND_PUBLIC_KEY_ID` and
    /// `WECHATPAY_BRAND_PUBLIC_KEY` (file), in every mode.
    pub fn env_script(&self, dir: &std::path::Path) -> Result<String> {
        env_script(self, dir)
    }
}

/// Writes `content` to `dir/name`, owner-only, created new and renamed into place: a planted
/// symlink is refused, never followed (a private key written through it would overwrite another
/// file). Answers the path written.
fn write(dir: &Path, name: &str, content: &str) -> Result<String> {
    let path = dir.join(name);
    crate::sink::write_file(&path, content.as_bytes()).map_err(|e| {
        let reason = match e {
            Error::Argument { reason, .. } => reason,
            other => other.to_string(),
        };
        Error::NotConfigured(format!("cannot write {}: {reason}", path.display()))
    })?;
    Ok(path.display().to_string())
}

/// The `(name, value)` pairs, in the order printed.
fn variables(server: &Server, dir: &Path) -> Result<Vec<(&'static str, String)>> {
    let m = server.merchant();
    let mode = server.mode();
    let key = write(dir, "apiclient_key.pem", &m.private_key_pem)?;
    let cert = write(dir, "apiclient_cert.pem", server.merchant_certificate_pem())?;
    let ca = write(dir, "emulator_ca.pem", server.ca_pem())?;
    let mut vars = vec![
        ("WECHATPAY_MODE", mode.as_str().to_string()),
        ("WECHATPAY_MCHID", m.mchid.clone()),
        ("WECHATPAY_SERIAL", m.serial.clone()),
        ("WECHATPAY_PRIVATE_KEY", key.clone()),
        ("WECHATPAY_MERCHANT_CERT", cert),
        ("WECHATPAY_MERCHANT_KEY", key),
        ("WECHATPAY_APIV2_SECRET", m.apiv2_secret.to_string()),
        ("WECHATPAY_APIV3_KEY", m.apiv3_key.to_string()),
    ];
    // Only the keys the merchant has in this mode: an SDK given a key WeChat Pay would not have
    // issued names it in `Wechatpay-Serial` and is refused, as it would be there.
    if mode.has_public_key() {
        let public = write(dir, "pub_key.pem", &server.public_key_pem())?;
        vars.push((
            "WECHATPAY_PUBLIC_KEY_ID",
            server.public_key_id().to_string(),
        ));
        vars.push(("WECHATPAY_PUBLIC_KEY", public));
    }
    if mode.has_certificate() {
        let serial = server.platform_serial();
        let pem = server.platform_certificate_pem();
        let file = write(dir, "wechatpay_platform.pem", pem)?;
        // A folder holding the certificate alone, for the SDKs that load every file of one
        // (Python `wechatpayv3`'s `cert_dir`).
        let folder = dir.join("platform_certs");
        make_private_dir(&folder)?;
        // Named as `wechatpayv3` names the certificates it downloads there.
        write(&folder, &format!("{serial}.pem"), pem)?;
        vars.push(("WECHATPAY_PLATFORM_SERIAL", serial.to_string()));
        vars.push(("WECHATPAY_PLATFORM_CERT", file));
        vars.push(("WECHATPAY_PLATFORM_CERT_DIR", folder.display().to_string()));
    }
    brand_variables(server, dir, &mut vars)?;
    vars.push(("WECHATPAY_BASE_URI", server.url().to_string()));
    vars.push((
        "WECHATPAY_ADMIN_URL",
        format!("{}__emulator/", server.url()),
    ));
    // The admin API's state-changing calls need it (the dashboard's guard).
    vars.push(("WECHATPAY_ADMIN_TOKEN", server.admin_token().to_string()));
    vars.push(("WECHATPAY_CA", ca));
    Ok(vars)
}

/// The first brand's (by id) credentials, if the emulator has one: a brand SDK reads these
/// and the public key under its own names, which are there in every key mode (brands verify
/// with the public key only, while the merchant's are the mode's).
fn brand_variables(
    server: &Server,
    dir: &Path,
    vars: &mut Vec<(&'static str, String)>,
) -> Result<()> {
    let brands = &server.shared.state.brands;
    let Some(id) = brands.keys().min() else {
        return Ok(());
    };
    let b = &brands[id].brand;
    let key = write(dir, "brand_apiclient_key.pem", &b.private_key_pem)?;
    let public = write(dir, "brand_pub_key.pem", &server.public_key_pem())?;
    vars.push(("WECHATPAY_BRAND_ID", b.brand_id.clone()));
    vars.push(("WECHATPAY_BRAND_SERIAL", b.serial.clone()));
    vars.push(("WECHATPAY_BRAND_PRIVATE_KEY", key));
    vars.push(("WECHATPAY_BRAND_API_KEY", b.brand_api_key.to_string()));
    vars.push((
        "WECHATPAY_BRAND_PUBLIC_KEY_ID",
        server.public_key_id().to_string(),
    ));
    vars.push(("WECHATPAY_BRAND_PUBLIC_KEY", public));
    Ok(())
}

/// `export NAME=VALUE` lines, unquoted as before (ids, hex, secrets of letters and digits,
/// paths in the private directory).
fn env_script(server: &Server, dir: &Path) -> Result<String> {
    Ok(variables(server, dir)?
        .into_iter()
        .map(|(k, v)| format!("export {k}={v}\n"))
        .collect())
}

/// Creates `dir` owner-only, or accepts it if it is already a directory (not a symlink).
fn make_private_dir(dir: &Path) -> Result<()> {
    let refuse =
        |why: String| Error::NotConfigured(format!("cannot create {}: {why}", dir.display()));
    match std::fs::symlink_metadata(dir) {
        Ok(meta) if meta.is_dir() => return Ok(()),
        Ok(_) => return Err(refuse("something that is no directory is there".into())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(refuse(e.to_string())),
    }
    let mut builder = std::fs::DirBuilder::new();
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(|e| refuse(e.to_string()))
}
