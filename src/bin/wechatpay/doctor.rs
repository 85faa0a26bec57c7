//! `wechatpay doctor`: checks a configuration, one line per finding, each failure with a fix.
//! Secrets are checked, never shown.

use crate::certs::utc;
use crate::config::{Selection, Settings, KEYS};
use crate::shown;
use std::process::ExitCode;
use wechatpay::crypto::{Certificate, PrivateKey, PublicKey};

#[path = "doctor_online.rs"]
mod online;

#[derive(Default)]
struct Report {
    failures: usize,
    warnings: usize,
}

impl Report {
    // A finding can quote a server (an error's message) or a file: shown, never obeyed.
    fn ok(&mut self, key: &str, what: String) {
        println!("ok    {key}: {}", shown::text(&what));
    }
    fn warn(&mut self, key: &str, what: String, fix: &str) {
        self.warnings += 1;
        println!("WARN  {key}: {}; fix: {fix}", shown::text(&what));
    }
    fn fail(&mut self, key: &str, what: String, fix: &str) {
        self.failures += 1;
        println!("FAIL  {key}: {}; fix: {fix}", shown::text(&what));
    }
}

fn var(key: &str) -> &'static str {
    KEYS.iter().find(|k| k.0 == key).map(|k| k.1).unwrap_or("")
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Expiry of a certificate: failed, within 30 days, or fine.
fn expiry(r: &mut Report, key: &str, cert: &Certificate, fix: &str) {
    let (now, end) = (now(), cert.not_after());
    if end < now {
        r.fail(
            key,
            format!("certificate {} expired {}", cert.serial_no(), utc(end)),
            fix,
        );
    } else if cert.not_before() > now {
        r.fail(
            key,
            format!(
                "certificate {} not valid before {}",
                cert.serial_no(),
                utc(cert.not_before())
            ),
            fix,
        );
    } else if end - now < 30 * 86_400 {
        r.warn(
            key,
            format!("certificate {} expires {}", cert.serial_no(), utc(end)),
            fix,
        );
    } else {
        r.ok(
            key,
            format!("certificate {} valid until {}", cert.serial_no(), utc(end)),
        );
    }
}

fn load<T>(
    r: &mut Report,
    s: &Settings,
    key: &'static str,
    parse: impl Fn(&[u8]) -> wechatpay::Result<T>,
) -> Option<T> {
    match s.file(key) {
        Ok(None) => None,
        Err(e) => {
            r.fail(
                key,
                e.to_string(),
                &format!("point {key} ({}) at a readable file", var(key)),
            );
            None
        }
        Ok(Some(bytes)) => match parse(&bytes) {
            Ok(v) => Some(v),
            Err(e) => {
                r.fail(
                    key,
                    format!("unusable: {e}"),
                    "use the PEM file downloaded from the merchant platform",
                );
                None
            }
        },
    }
}

pub(crate) fn doctor(sel: &Selection, online: bool) -> ExitCode {
    let mut r = Report::default();
    // Its own WARN lines say what `load` would have warned on stderr.
    let s = match Settings::load_quiet(sel) {
        Ok(s) => s,
        Err(e) => {
            r.fail(
                "config",
                e.to_string(),
                "fix the config file or the --profile name",
            );
            return ExitCode::from(1);
        }
    };
    if let Some(p) = &s.profile {
        r.ok("profile", format!("`{p}`"));
    }
    match s.get("mchid") {
        None => r.fail(
            "mchid",
            "not set".into(),
            "set mchid in the profile or WECHATPAY_MCHID",
        ),
        Some(m) if m.is_empty() || !m.bytes().all(|b| b.is_ascii_digit()) => r.fail(
            "mchid",
            format!("`{m}` is not a merchant id (digits)"),
            "copy it from the merchant platform (商户号)",
        ),
        Some(m) if !(8..=12).contains(&m.len()) => r.warn(
            "mchid",
            format!("`{m}` has {} digits (merchant ids have 8 to 12)", m.len()),
            "copy it from the merchant platform (商户号)",
        ),
        Some(m) => r.ok("mchid", m.to_string()),
    }
    let serial = s.get("serial").map(str::to_string);
    match &serial {
        None => r.fail(
            "serial",
            "not set".into(),
            "set serial (the merchant API certificate's serial number)",
        ),
        Some(v) if v.len() != 40 || !v.bytes().all(|b| b.is_ascii_hexdigit()) => r.warn(
            "serial",
            format!("`{v}` is not 40 hex digits"),
            "openssl x509 -in apiclient_cert.pem -noout -serial",
        ),
        Some(v) => r.ok("serial", v.clone()),
    }
    let key = load(&mut r, &s, "private_key", |b| PrivateKey::load(b));
    for e in s.exposed() {
        r.warn(e.key, e.finding(), &e.fix());
    }
    match &key {
        None if s.get("private_key").is_none() => r.fail(
            "private_key",
            "not set".into(),
            "set private_key to apiclient_key.pem",
        ),
        None => {}
        Some(k) if k.public_key().bits() < 2048 => r.fail(
            "private_key",
            format!("{} bits", k.public_key().bits()),
            "WeChat Pay keys are RSA 2048: download a new API certificate",
        ),
        Some(k) => r.ok("private_key", format!("RSA {} bits", k.public_key().bits())),
    }
    if let Some(cert) = load(&mut r, &s, "merchant_cert", |b| Certificate::from_pem(b)) {
        expiry(
            &mut r,
            "merchant_cert",
            &cert,
            "renew the API certificate on the merchant platform",
        );
        if let Some(v) = &serial {
            if !cert.serial_no().eq_ignore_ascii_case(v) {
                r.fail(
                    "serial",
                    format!("does not match merchant_cert ({})", cert.serial_no()),
                    &format!("set serial = \"{}\"", cert.serial_no()),
                );
            } else {
                r.ok("serial", "matches merchant_cert".into());
            }
        }
        if let Some(k) = &key {
            if k.public_key().spki_der() == cert.public_key().spki_der() {
                r.ok("private_key", "matches merchant_cert".into());
            } else {
                r.fail(
                    "private_key",
                    "does not match merchant_cert".into(),
                    "use the apiclient_key.pem issued with this certificate",
                );
            }
        }
    }
    let mtls = load(&mut r, &s, "merchant_key", |b| PrivateKey::load(b));
    if let (Some(m), Some(k)) = (&mtls, &key) {
        if m.public_key().spki_der() != k.public_key().spki_der() {
            r.warn(
                "merchant_key",
                "differs from private_key".into(),
                "the same apiclient_key.pem usually serves both",
            );
        }
    }
    let mut verifier = false;
    match s.get("public_key_id") {
        Some(id) => {
            let fix = "copy the id shown beside the WeChat Pay public key (PUB_KEY_ID_ and digits)";
            match id.strip_prefix("PUB_KEY_ID_") {
                Some(d) if !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()) => {
                    r.ok("public_key_id", id.to_string())
                }
                // The emulator's ids carry letters: usable, but not what WeChat Pay issues.
                Some(d) if !d.is_empty() && d.bytes().all(|b| b.is_ascii_alphanumeric()) => r.warn(
                    "public_key_id",
                    format!("`{id}`: not digits after PUB_KEY_ID_"),
                    fix,
                ),
                _ => r.fail(
                    "public_key_id",
                    format!("`{id}` is not PUB_KEY_ID_ and digits"),
                    fix,
                ),
            }
            if let Some(pk) = load(&mut r, &s, "public_key", |b| PublicKey::load(b)) {
                verifier = true;
                if pk.bits() < 2048 {
                    r.fail(
                        "public_key",
                        format!("{} bits", pk.bits()),
                        "download the WeChat Pay public key again",
                    );
                } else {
                    r.ok("public_key", format!("RSA {} bits", pk.bits()));
                }
            }
        }
        None if s.get("public_key").is_some() => r.fail(
            "public_key_id",
            "not set but public_key is".into(),
            "set public_key_id = \"PUB_KEY_ID_…\"",
        ),
        None => {}
    }
    if let Some(cert) = load(&mut r, &s, "platform_certificate", |b| {
        Certificate::from_pem(b)
    }) {
        verifier = true;
        expiry(
            &mut r,
            "platform_certificate",
            &cert,
            "wechatpay certificates --save DIR",
        );
    }
    if !verifier {
        r.fail(
            "public_key",
            "no WeChat Pay public key nor platform certificate: answers cannot be verified".into(),
            "set public_key_id and public_key (or platform_certificate)",
        );
    }
    let secret = |key: &'static str, file: &'static str| s.secret(key, file);
    match secret("apiv3_key", "apiv3_key_file") {
        Ok(Some(k)) if k.len() == 32 => r.ok("apiv3_key", "32 bytes".into()),
        Ok(Some(k)) => r.fail(
            "apiv3_key",
            format!("{} bytes, not 32", k.len()),
            "copy the APIv3 key (APIv3密钥) again: 32 characters",
        ),
        Ok(None) => r.warn(
            "apiv3_key",
            "not set".into(),
            "needed for notifications and certificates: set apiv3_key_file",
        ),
        Err(e) => r.fail(
            "apiv3_key",
            e.to_string(),
            "point apiv3_key_file at a readable file",
        ),
    }
    match secret("apiv2_secret", "apiv2_secret_file") {
        Ok(Some(k)) if k.len() == 32 => r.ok("apiv2_secret", "32 characters".into()),
        Ok(Some(k)) => r.fail(
            "apiv2_secret",
            format!("{} characters, not 32", k.len()),
            "copy the APIv2 key (API密钥) again: 32 characters",
        ),
        Ok(None) => {}
        Err(e) => r.fail(
            "apiv2_secret",
            e.to_string(),
            "point apiv2_secret_file at a readable file",
        ),
    }
    if let Some(uri) = s.get("base_uri") {
        let local = uri.starts_with("http://127.0.0.1")
            || uri.starts_with("http://localhost")
            || uri.starts_with("http://[::1]");
        // A password in the URI is never printed, as in the library's errors.
        let shown = wechatpay::__redact_userinfo(uri);
        if shown != uri {
            r.fail(
                "base_uri",
                format!("`{shown}` carries user info"),
                "remove it: WeChat Pay takes none, and the client refuses it",
            );
        } else if uri.starts_with("https://") || local {
            r.ok("base_uri", uri.to_string());
        } else {
            r.fail(
                "base_uri",
                format!("`{uri}` is not https"),
                "use https://api.mch.weixin.qq.com/",
            );
        }
    }
    if online {
        online::echo(&mut r, &s);
    }
    println!("{} failure(s), {} warning(s)", r.failures, r.warnings);
    ExitCode::from(if r.failures > 0 { 1 } else { 0 })
}
