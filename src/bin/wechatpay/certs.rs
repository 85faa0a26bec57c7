//! `certificates`: download the platform certificates.

use crate::config::Selection;
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
            c.serial_no(),
            utc(c.not_before()),
            utc(c.not_after()),
            c.subject_common_name().unwrap_or_default()
        );
        if let Some(dir) = save {
            let path = dir.join(format!("wechatpay_{}.pem", c.serial_no()));
            std::fs::create_dir_all(dir)
                .and_then(|()| std::fs::write(&path, c.to_pem()))
                .map_err(|e| Error::Decode {
                    // After the download: exit 1, never 2.
                    what: "the certificate file",
                    reason: format!("cannot write {}: {e}", path.display()),
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
