//! Where the credentials come from: the environment (`WECHATPAY_*`).

use std::path::PathBuf;
use wechatpay::{Client, Error};

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

fn read_file(var: &'static str) -> Result<Option<Vec<u8>>, Error> {
    match env(var) {
        None => Ok(None),
        Some(path) => std::fs::read(PathBuf::from(&path))
            .map(Some)
            .map_err(|e| Error::Config {
                field: var,
                reason: format!("cannot read `{path}`: {e}"),
            }),
    }
}

pub(crate) fn client_from_env() -> Result<Client, Error> {
    let mut b = Client::builder();
    if let Some(mchid) = env("WECHATPAY_MCHID") {
        b = b.mchid(mchid);
    }
    if let Some(serial) = env("WECHATPAY_SERIAL") {
        b = b.serial(serial);
    }
    if let Some(key) = read_file("WECHATPAY_PRIVATE_KEY")? {
        b = b.private_key(key);
    }
    match (
        env("WECHATPAY_PUBLIC_KEY_ID"),
        read_file("WECHATPAY_PUBLIC_KEY")?,
    ) {
        (Some(id), Some(pem)) => b = b.public_key(id, pem),
        (None, None) => {}
        _ => {
            return Err(Error::Config {
                field: "WECHATPAY_PUBLIC_KEY_ID",
                reason: "WECHATPAY_PUBLIC_KEY_ID and WECHATPAY_PUBLIC_KEY go together".into(),
            })
        }
    }
    if let Some(cert) = read_file("WECHATPAY_PLATFORM_CERT")? {
        b = b.platform_certificate(cert);
    }
    if let Some(secret) = env("WECHATPAY_APIV2_SECRET") {
        b = b.apiv2_secret(secret);
    }
    if let Some(key) = env("WECHATPAY_APIV3_KEY") {
        b = b.apiv3_key(key);
    }
    if let (Some(cert), Some(key)) = (
        read_file("WECHATPAY_MERCHANT_CERT")?,
        read_file("WECHATPAY_MERCHANT_KEY")?,
    ) {
        b = b.merchant_identity(cert, key);
    }
    if let Some(uri) = env("WECHATPAY_BASE_URI") {
        b = b.base_uri(uri);
    }
    if let Some(ca) = read_file("WECHATPAY_CA")? {
        b = b.add_root_certificate(ca);
    }
    b.build()
}
