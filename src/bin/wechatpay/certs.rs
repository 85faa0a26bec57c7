//! `certificates`: download the platform certificates.

use crate::config::Selection;
use crate::shown;
use std::path::Path;
use wechatpay::Error;

/// `2026-01-02 03:04:05 UTC` for a Unix time.
pub(crate) fn utc(unix: i64) -> String {
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// Downloads, verifies and decrypts the platform certificates; prints one line each and with
/// `--save DIR` writes `wechatpay_SERIAL.pem` files.
pub(crate) fn certificates(sel: &Selection, save: Option<&Path>) -> Result<(), Error> {
    let client = wechatpay::blocking::Client::from(crate::config::client(sel)?);
    let certs = client.download_certificates()?;
    for c in &certs {
        println!(
            "{}  {} .. {}  {}",
            shown::text(c.serial_no()),
            utc(c.not_before()),
            utc(c.not_after()),
            shown::text(&c.subject_common_name().unwrap_or_default())
        );
        if let Some(dir) = save {
            let path = dir.join(format!("wechatpay_{}.pem", c.serial_no()));
            // After the download: exit 1, never 2.
            let cannot = |reason: String| Error::Decode {
                what: "the certificate file",
                reason: format!("cannot write {}: {reason}", path.display()),
            };
            std::fs::create_dir_all(dir).map_err(|e| cannot(e.to_string()))?;
            // As a download is saved: a new owner-only file renamed into place; a symlink (or
            // anything but a regular file) where the file goes is refused, never written through.
            wechatpay::__write_file(&path, c.to_pem().as_bytes()).map_err(|e| {
                cannot(match e {
                    Error::Argument { reason, .. } | Error::Sink { reason, .. } => reason,
                    other => other.to_string(),
                })
            })?;
            println!(
                "  saved; check it with: openssl x509 -in {} -noout -serial -dates",
                path.display()
            );
        }
    }
    if certs.is_empty() {
        eprintln!("no platform certificate in the answer (public-key mode merchants have none)");
    }
    Ok(())
}
