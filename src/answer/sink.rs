//! Downloads written to a file without ever losing the file that was there.
//!
//! The answer goes to a temporary file beside the target (same directory, so the final rename is
//! atomic on one file system); only after the digest and signature checks pass is it renamed over
//! the target. On any failure, or if the call is dropped midway, the temporary file is removed
//! and the target is untouched.

use crate::error::{Error, Result};
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

/// A download in progress.
pub(crate) struct Sink {
    target: PathBuf,
    temp: PathBuf,
    file: Option<File>,
}

impl Sink {
    /// Creates the temporary file; fails before anything is sent if the directory is not writable.
    pub(crate) fn create(target: &Path) -> Result<Sink> {
        let name = target
            .file_name()
            .ok_or_else(|| {
                Error::argument(
                    "sink",
                    format!("`{}` does not name a file", target.display()),
                )
            })?
            .to_string_lossy()
            .into_owned();
        // Only a regular file is ever replaced: a directory, a symlink or a device node (think
        // `/dev/null` as root) is refused before anything is sent.
        let existing = match std::fs::symlink_metadata(target) {
            Ok(meta) if meta.file_type().is_file() => Some(meta.permissions()),
            Ok(meta) => {
                let kind = if meta.is_dir() {
                    "a directory"
                } else if meta.file_type().is_symlink() {
                    "a symbolic link"
                } else {
                    "not a regular file"
                };
                return Err(Error::argument(
                    "sink",
                    format!(
                        "`{}` is {kind}: a download replaces only a regular file",
                        target.display()
                    ),
                ));
            }
            Err(_) => None,
        };
        let dir = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let temp = dir.join(format!(".{name}.{}.part", crate::util::nonce(12)));
        let cannot = |e: std::io::Error| {
            Error::argument(
                "sink",
                format!("cannot create a file beside `{}`: {e}", target.display()),
            )
        };
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        // A bill is private: a new one is readable by its owner only, a replaced one keeps the
        // permissions it had.
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let file = options.open(&temp).map_err(cannot)?;
        if let Some(permissions) = existing {
            file.set_permissions(permissions).map_err(cannot)?;
        }
        Ok(Sink {
            target: target.to_path_buf(),
            temp,
            file: Some(file),
        })
    }

    pub(crate) fn write(&mut self, chunk: &[u8]) -> Result<()> {
        let file = self.file.as_mut().expect("written before commit");
        file.write_all(chunk).map_err(|e| self.error(e))
    }

    /// What was written so far, read back from the temporary file (the fuzz hook's check).
    pub(crate) fn contents(&self) -> Result<Vec<u8>> {
        std::fs::read(&self.temp).map_err(|e| self.error(e))
    }

    /// Flushes to disk and renames over the target.
    pub(crate) fn commit(mut self) -> Result<()> {
        let file = self.file.take().expect("committed once");
        file.sync_all().map_err(|e| self.error(e))?;
        drop(file);
        std::fs::rename(&self.temp, &self.target).map_err(|e| self.error(e))
    }

    fn error(&self, e: std::io::Error) -> Error {
        Error::Sink {
            path: self.target.clone(),
            reason: e.to_string(),
        }
    }
}

/// Writes a whole file the way a download is saved: into a new owner-only temporary file beside
/// `target`, then renamed over it. A symlink, directory or device at `target` is refused, so a
/// planted link never redirects the write; a replaced regular file keeps its permissions.
pub fn write_file(target: &Path, bytes: &[u8]) -> Result<()> {
    let mut sink = Sink::create(target)?;
    sink.write(bytes)?;
    sink.commit()
}

impl Drop for Sink {
    fn drop(&mut self) {
        // Not committed (an error, or the call was dropped): the partial file is not the bill.
        if self.file.take().is_some() || self.temp.exists() {
            let _ = std::fs::remove_file(&self.temp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commit_replaces_and_drop_leaves_the_target() {
        let dir = std::env::temp_dir().join(format!("wechatpay-sink-{}", crate::util::nonce(8)));
        std::fs::create_dir_all(&dir).unwrap();
        let target = dir.join("bill.csv");
        std::fs::write(&target, b"precious").unwrap();
        let mut s = Sink::create(&target).unwrap();
        s.write(b"partial").unwrap();
        drop(s);
        assert_eq!(std::fs::read(&target).unwrap(), b"precious");
        assert_eq!(
            std::fs::read_dir(&dir).unwrap().count(),
            1,
            "temp file removed"
        );
        let mut s = Sink::create(&target).unwrap();
        s.write(b"new bill").unwrap();
        s.commit().unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"new bill");
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
