//! Where the credentials come from: a profile of the TOML config file, overridden by the
//! `WECHATPAY_*` variables, overridden by flags.
//!
//! The file is `--config FILE`, else `$WECHATPAY_CONFIG`, else
//! `$XDG_CONFIG_HOME/wechatpay/config.toml`, else `~/.config/wechatpay/config.toml`:
//!
//! ```toml
//! default = "prod"
//! [profiles.prod]
//! mchid = "1900000001"
//! serial = "1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C"
//! private_key = "apiclient_key.pem"        # file paths are relative to this file
//! public_key_id = "PUB_KEY_ID_0119000000012024000000000000"
//! public_key = "pub_key.pem"
//! apiv3_key_file = "apiv3.key"
//! ```
//!
//! Secret values are never echoed: an error names the key and where it came from.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use wechatpay::{Client, Error};

/// The settings: the profile key, its `WECHATPAY_*` variable, and whether it names a file.
pub(crate) const KEYS: [(&str, &str, bool); 16] = [
    ("mchid", "WECHATPAY_MCHID", false),
    ("serial", "WECHATPAY_SERIAL", false),
    ("private_key", "WECHATPAY_PRIVATE_KEY", true),
    ("public_key_id", "WECHATPAY_PUBLIC_KEY_ID", false),
    ("public_key", "WECHATPAY_PUBLIC_KEY", true),
    ("platform_certificate", "WECHATPAY_PLATFORM_CERT", true),
    ("apiv2_secret", "WECHATPAY_APIV2_SECRET", false),
    ("apiv2_secret_file", "WECHATPAY_APIV2_SECRET_FILE", true),
    ("apiv3_key", "WECHATPAY_APIV3_KEY", false),
    ("apiv3_key_file", "WECHATPAY_APIV3_KEY_FILE", true),
    ("merchant_cert", "WECHATPAY_MERCHANT_CERT", true),
    ("merchant_key", "WECHATPAY_MERCHANT_KEY", true),
    ("base_uri", "WECHATPAY_BASE_URI", false),
    ("ca", "WECHATPAY_CA", true),
    // 国密 (a build with the feature `shangmi`): the merchant's SM2 key, WeChat Pay's SM2 certificate.
    ("shangmi_private_key", "WECHATPAY_SHANGMI_PRIVATE_KEY", true),
    (
        "shangmi_platform_certificate",
        "WECHATPAY_SHANGMI_PLATFORM_CERT",
        true,
    ),
];

/// Which configuration to read: the global `--config` and `--profile` flags.
#[derive(Clone, Default)]
pub(crate) struct Selection {
    pub config: Option<PathBuf>,
    pub profile: Option<String>,
    /// Flags over the profile and the variables: `(key, value)`.
    pub overrides: Vec<(&'static str, String)>,
}

/// The resolved settings, each with where it came from (for messages).
#[derive(Default)]
pub(crate) struct Settings {
    values: BTreeMap<&'static str, (String, String)>,
    /// The profile used, if any.
    pub profile: Option<String>,
    /// The config file read, and the secrets written in it (in any profile).
    config: Option<(PathBuf, Vec<&'static str>)>,
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

pub(crate) fn config_error(field: &'static str, reason: String) -> Error {
    Error::Config { field, reason }
}

/// The config file to read and whether it was asked for (a missing default file is fine).
fn config_path(sel: &Selection) -> Option<(PathBuf, bool)> {
    if let Some(p) = &sel.config {
        return Some((p.clone(), true));
    }
    if let Some(p) = env("WECHATPAY_CONFIG") {
        return Some((PathBuf::from(p), true));
    }
    let base = env("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| env("HOME").map(|h| Path::new(&h).join(".config")))?;
    Some((base.join("wechatpay").join("config.toml"), false))
}

impl Settings {
    /// [`load_quiet`](Self::load_quiet), then one warning line on stderr per secret file that
    /// others may read.
    pub(crate) fn load(sel: &Selection) -> Result<Settings, Error> {
        let s = Settings::load_quiet(sel)?;
        for e in s.exposed() {
            eprintln!("warning: {}: run `{}`", e.finding(), e.fix());
        }
        Ok(s)
    }

    /// Reads the profile, then the environment over it.
    pub(crate) fn load_quiet(sel: &Selection) -> Result<Settings, Error> {
        let mut s = Settings::default();
        let wanted = sel.profile.clone().or_else(|| env("WECHATPAY_PROFILE"));
        if let Some((path, asked)) = config_path(sel) {
            match std::fs::read_to_string(&path) {
                Ok(text) => s.read_profile(&path, &text, wanted.as_deref())?,
                Err(e) if asked || wanted.is_some() => {
                    return Err(config_error(
                        "config",
                        format!("cannot read `{}`: {e}", path.display()),
                    ))
                }
                Err(_) => {}
            }
        } else if wanted.is_some() {
            return Err(config_error(
                "profile",
                "no config file (set --config or WECHATPAY_CONFIG)".into(),
            ));
        }
        // A brand's variables sit beside a merchant's (`wechatpay mock --brand`): the profile
        // or the flag picks whose are read.
        let brand = s.values.contains_key("brand_id")
            || sel.overrides.iter().any(|(k, _)| *k == "brand_id");
        let vars: Vec<(&'static str, &'static str)> = if brand {
            crate::brand_profile::BRAND_VARS.to_vec()
        } else {
            KEYS.iter().map(|(k, v, _)| (*k, *v)).collect()
        };
        for (key, var) in vars {
            if let Some(v) = env(var) {
                s.values.insert(key, (v, var.to_string()));
            }
        }
        for (key, value) in &sel.overrides {
            s.values
                .insert(key, (value.clone(), format!("--{}", key.replace('_', "-"))));
        }
        Ok(s)
    }

    fn read_profile(&mut self, path: &Path, text: &str, wanted: Option<&str>) -> Result<(), Error> {
        let shown = path.display();
        let doc: toml::Table = text.parse().map_err(|e: toml::de::Error| {
            // The parser's message quotes the line, which may hold a secret: give the place only.
            let at = e
                .span()
                .map(|r| format!(" at line {}", text[..r.start].lines().count().max(1)))
                .unwrap_or_default();
            config_error("config", format!("`{shown}` is not valid TOML{at}"))
        })?;
        let inline: Vec<&'static str> = crate::exposed::INLINE_SECRETS
            .into_iter()
            .filter(|k| {
                doc.get("profiles")
                    .and_then(|p| p.as_table())
                    .is_some_and(|t| t.values().any(|p| p.get(*k).is_some()))
            })
            .collect();
        self.config = Some((path.to_path_buf(), inline));
        let default = doc.get("default").and_then(|v| v.as_str());
        let Some(name) = wanted.or(default) else {
            return Ok(());
        };
        let profile = doc
            .get("profiles")
            .and_then(|p| p.get(name))
            .and_then(|p| p.as_table())
            .ok_or_else(|| {
                let known: Vec<&String> = doc
                    .get("profiles")
                    .and_then(|p| p.as_table())
                    .map(|t| t.keys().collect())
                    .unwrap_or_default();
                config_error(
                    "profile",
                    format!(
                        "no profile `{name}` in `{shown}` (it has: {})",
                        if known.is_empty() {
                            "none".to_string()
                        } else {
                            known
                                .iter()
                                .map(|k| k.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        }
                    ),
                )
            })?;
        let dir = path.parent().unwrap_or(Path::new("."));
        for (key, value) in profile {
            let known = KEYS.iter().chain(crate::brand_profile::BRAND_KEYS.iter());
            let Some(&(k, _, file)) = known.clone().find(|(k, _, _)| k == key) else {
                return Err(config_error(
                    "profile",
                    format!(
                        "profile `{name}` has an unknown key `{key}`; known: {}",
                        known.map(|k| k.0).collect::<Vec<_>>().join(", ")
                    ),
                ));
            };
            let text = match value {
                toml::Value::String(s) => s.clone(),
                // `mchid = 1900000001` is the same digits.
                toml::Value::Integer(i) if k == "mchid" => i.to_string(),
                _ => {
                    return Err(config_error(
                        k,
                        format!("profile `{name}`: `{k}` must be a string"),
                    ))
                }
            };
            let text = if file && !Path::new(&text).is_absolute() {
                dir.join(&text).display().to_string()
            } else {
                text
            };
            self.values
                .insert(k, (text, format!("profile `{name}` in `{shown}`")));
        }
        self.profile = Some(name.to_string());
        Ok(())
    }

    /// The config file read, and the secrets written inline in it.
    /// The files holding a secret of these settings that group or others may open.
    pub(crate) fn exposed(&self) -> Vec<crate::exposed::Exposed> {
        let mut candidates: Vec<(&'static str, String, String)> = Vec::new();
        if let Some((path, inline)) = self.config_file() {
            if !inline.is_empty() {
                let path = path.display().to_string();
                candidates.push(("config", inline.join(", "), path));
            }
        }
        for key in crate::exposed::SECRET_FILES {
            if let Some(path) = self.get(key) {
                candidates.push((key, key.to_string(), path.to_string()));
            }
        }
        crate::exposed::exposed(candidates)
    }

    pub(crate) fn config_file(&self) -> Option<&(PathBuf, Vec<&'static str>)> {
        self.config.as_ref()
    }

    /// A setting's value.
    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.values.get(key).map(|(v, _)| v.as_str())
    }

    /// Where a setting came from: its variable or its profile.
    pub(crate) fn source(&self, key: &str) -> String {
        self.values
            .get(key)
            .map(|(_, s)| s.clone())
            .unwrap_or_else(|| "nowhere".into())
    }

    /// The content of a file setting.
    pub(crate) fn file(&self, key: &'static str) -> Result<Option<Vec<u8>>, Error> {
        match self.get(key) {
            None => Ok(None),
            Some(path) => std::fs::read(path).map(Some).map_err(|e| {
                config_error(
                    key,
                    format!("cannot read `{path}` (from {}): {e}", self.source(key)),
                )
            }),
        }
    }

    /// A secret given inline or as a file (`KEY` or `KEY_file`), trimmed.
    pub(crate) fn secret(
        &self,
        key: &'static str,
        file_key: &'static str,
    ) -> Result<Option<String>, Error> {
        if let Some(v) = self.get(key) {
            return Ok(Some(v.to_string()));
        }
        match self.file(file_key)? {
            None => Ok(None),
            Some(bytes) => String::from_utf8(bytes)
                .map(|s| Some(s.trim().to_string()))
                .map_err(|_| {
                    config_error(
                        file_key,
                        format!("`{}` is not text", self.get(file_key).unwrap_or("")),
                    )
                }),
        }
    }

    /// The client these settings describe.
    pub(crate) fn client(&self) -> Result<Client, Error> {
        self.client_with(None, None)
    }

    /// The client, signing with `signer` instead of the private key when given.
    pub(crate) fn client_with(
        &self,
        signer: Option<std::sync::Arc<dyn wechatpay::crypto::Signer>>,
        progress: Option<wechatpay::DownloadProgress>,
    ) -> Result<Client, Error> {
        if self.get("brand_id").is_some() {
            return crate::brand_profile::client(self, signer, progress);
        }
        let mut b = Client::builder();
        if let Some(progress) = progress {
            b = b.download_progress(move |received, total| progress(received, total));
        }
        if let Some(mchid) = self.get("mchid") {
            b = b.mchid(mchid);
        }
        if let Some(serial) = self.get("serial") {
            b = b.serial(serial);
        }
        match signer {
            Some(signer) => b = b.signer(signer),
            None => {
                if let Some(key) = self.file("private_key")? {
                    b = b.private_key(key);
                }
            }
        }
        match (self.get("public_key_id"), self.file("public_key")?) {
            (Some(id), Some(pem)) => b = b.public_key(id, pem),
            (None, None) => {}
            _ => {
                return Err(config_error(
                    "public_key_id",
                    "public_key_id (WECHATPAY_PUBLIC_KEY_ID) and public_key (WECHATPAY_PUBLIC_KEY) go together".into(),
                ))
            }
        }
        if let Some(cert) = self.file("platform_certificate")? {
            b = b.platform_certificate(cert);
        }
        b = self.shangmi(b)?;
        if let Some(secret) = self.secret("apiv2_secret", "apiv2_secret_file")? {
            b = b.apiv2_secret(secret);
        }
        if let Some(key) = self.secret("apiv3_key", "apiv3_key_file")? {
            b = b.apiv3_key(key);
        }
        if let (Some(cert), Some(key)) = (self.file("merchant_cert")?, self.file("merchant_key")?) {
            b = b.merchant_identity(cert, key);
        }
        if let Some(uri) = self.get("base_uri") {
            b = b.base_uri(uri);
        }
        if let Some(ca) = self.file("ca")? {
            b = b.add_root_certificate(ca);
        }
        b.build().map_err(|e| match e {
            // Name where the culprit came from (never its value).
            Error::Config { field, reason } if self.values.contains_key(field) => Error::Config {
                field,
                reason: format!("{reason} (from {})", self.source(field)),
            },
            other => other,
        })
    }
}

/// The client for the selected profile and the environment.
pub(crate) fn client(sel: &Selection) -> Result<Client, Error> {
    Settings::load(sel)?.client()
}

/// [`client`], telling `progress` how far each streamed download has got.
pub(crate) fn client_with_progress(
    sel: &Selection,
    progress: Option<wechatpay::DownloadProgress>,
) -> Result<Client, Error> {
    Settings::load(sel)?.client_with(None, progress)
}

impl crate::brand_profile::Settings for Settings {
    fn get(&self, key: &str) -> Option<&str> {
        Settings::get(self, key)
    }
    fn source(&self, key: &str) -> String {
        Settings::source(self, key)
    }
    fn file(&self, key: &'static str) -> Result<Option<Vec<u8>>, Error> {
        Settings::file(self, key)
    }
    fn secret(&self, key: &'static str, file_key: &'static str) -> Result<Option<String>, Error> {
        Settings::secret(self, key, file_key)
    }
}
