//! Secrets in files that others may read: the config file with a secret written inline, and
//! the key and secret files it names. Every command warns (one line on stderr with the `chmod`
//! to run); `doctor` reports them as WARN lines.

//!
//! It knows files and modes only: the settings gather what to look at (`Settings::exposed`), so
//! this module imports nothing of the CLI's.

use std::path::Path;

/// The settings that name a file holding a secret.
pub(crate) const SECRET_FILES: [&str; 5] = [
    "private_key",
    "merchant_key",
    "apiv3_key_file",
    "apiv2_secret_file",
    "brand_api_key_file",
];

/// The secrets a profile may hold inline.
pub(crate) const INLINE_SECRETS: [&str; 3] = ["apiv2_secret", "apiv3_key", "brand_api_key"];

/// A file holding a secret that its group or others may open.
pub(crate) struct Exposed {
    /// The setting that names it (`config` for the config file).
    pub key: &'static str,
    /// What it holds: setting names, e.g. `apiv3_key, apiv2_secret`.
    pub holds: String,
    pub path: String,
    pub mode: u32,
}

impl Exposed {
    /// `` `PATH` holds WHAT and is open to group or others (mode 644) ``.
    pub(crate) fn finding(&self) -> String {
        format!(
            "`{}` holds {} and is open to group or others (mode {:o})",
            self.path, self.holds, self.mode
        )
    }

    pub(crate) fn fix(&self) -> String {
        format!("chmod 600 {}", self.path)
    }
}

/// Of `candidates` (`(setting, what it holds, path)`: the config file with a secret inline, a
/// key or secret file), those their group or others may open; one entry per file.
pub(crate) fn exposed(candidates: Vec<(&'static str, String, String)>) -> Vec<Exposed> {
    let mut found: Vec<Exposed> = Vec::new();
    for (key, holds, path) in candidates {
        let Some(mode) = open_to_others(Path::new(&path)) else {
            continue;
        };
        match found.iter_mut().find(|e| e.path == path) {
            // `private_key` and `merchant_key` are often the same file: one line.
            Some(e) => e.holds = format!("{}, {holds}", e.holds),
            None => found.push(Exposed {
                key,
                holds,
                path,
                mode,
            }),
        }
    }
    found
}

/// The file's permission bits when its group or others have any access to it.
#[cfg(unix)]
fn open_to_others(path: &Path) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt as _;
    let mode = std::fs::metadata(path).ok()?.permissions().mode() & 0o777;
    (mode & 0o077 != 0).then_some(mode)
}

#[cfg(not(unix))]
fn open_to_others(_: &Path) -> Option<u32> {
    None
}
