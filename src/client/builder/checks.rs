//! Checks of single settings: ids, secrets, limits. Errors name the setting and never echo a
//! secret or a whole file passed by mistake.

use crate::error::{Error, Result};
use crate::policy::limits::Limits;
use std::time::Duration;

/// A zero limit would fail every call; a limit is lifted by setting it high, not to zero.
pub(super) fn check_limits(limits: &Limits, connect: Option<Duration>) -> Result<()> {
    for (field, d) in [
        ("timeout", Some(limits.timeout)),
        ("stall_timeout", Some(limits.stall_timeout)),
        ("download_timeout", Some(limits.download_timeout)),
        ("connect_timeout", connect),
    ] {
        if d == Some(Duration::ZERO) {
            return Err(Error::config(field, "must be longer than zero"));
        }
    }
    if limits.max_download_bytes == 0 {
        return Err(Error::config(
            "max_download_bytes",
            "must be at least one byte",
        ));
    }
    if limits.max_answer_bytes == 0 {
        return Err(Error::config(
            "max_answer_bytes",
            "must be at least one byte",
        ));
    }
    Ok(())
}

/// Ids and serials go into headers verbatim: refuse what would break or forge them.
pub(super) fn check_token(field: &'static str, value: &str) -> Result<()> {
    if value.is_empty() {
        return Err(Error::config(field, "is empty"));
    }
    if let Some((i, c)) = value
        .char_indices()
        .find(|(_, c)| c.is_whitespace() || c.is_control() || *c == '"' || *c == ',')
    {
        return Err(Error::config(
            field,
            format!(
                "`{}` contains {} at position {i}: trim it (read from a file or a shell?)",
                quote(value),
                char_kind(c)
            ),
        ));
    }
    Ok(())
}

/// A merchant id is 1 to 32 ASCII digits; anything else is a wrong setting (an appid, a name,
/// a whole file), and it goes into every signed header, so it is refused here.
pub(super) fn check_mchid(mchid: &str) -> Result<()> {
    if let Some((i, c)) = mchid.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        return Err(Error::config(
            "mchid",
            format!(
                "`{}` is not a merchant id: expected ASCII digits only (e.g. 1900000001), found \
                 {} at position {i}",
                quote(mchid),
                char_kind(c)
            ),
        ));
    }
    if mchid.len() > 32 {
        return Err(Error::config(
            "mchid",
            format!(
                "`{}` is {} digits long: a merchant id is 1 to 32 ASCII digits",
                quote(mchid),
                mchid.len()
            ),
        ));
    }
    Ok(())
}

/// The APIv2 key is 32 printable ASCII characters. The error says where and what is wrong and
/// how long the value is, never the value itself.
pub(super) fn check_apiv2_secret(secret: &str) -> Result<()> {
    if let Some((i, c)) = secret
        .chars()
        .enumerate()
        .find(|(_, c)| !c.is_ascii_graphic())
    {
        let what = if c.is_ascii() {
            char_kind(c)
        } else {
            "a non-ASCII character".into()
        };
        return Err(Error::config(
            "apiv2_secret",
            format!(
                "must be the 32-character APIv2 key (printable ASCII, no whitespace); character \
                 {} of {} is {what}: trim it (read from a file or a shell?)",
                i + 1,
                secret.chars().count()
            ),
        ));
    }
    if secret.len() != 32 {
        return Err(Error::config(
            "apiv2_secret",
            format!(
                "must be the 32-character APIv2 key (API安全 → APIv2密钥); got {} characters",
                secret.len()
            ),
        ));
    }
    Ok(())
}

/// `value` for an error message: escaped, and cut after 40 characters so that a whole file
/// passed by mistake is not echoed back.
pub(super) fn quote(value: &str) -> String {
    const SHOWN: usize = 40;
    match value.char_indices().nth(SHOWN) {
        None => value.escape_debug().to_string(),
        Some((cut, _)) => format!(
            "{}… ({} bytes in all)",
            value[..cut].escape_debug(),
            value.len()
        ),
    }
}

/// A readable name for a refused character (a control character is not printed raw).
pub(super) fn char_kind(c: char) -> String {
    match c {
        '\n' | '\r' => "a newline".into(),
        ' ' | '\t' => "whitespace".into(),
        c if c.is_control() => format!("the control character U+{:04X}", c as u32),
        c if c.is_whitespace() => format!("the whitespace U+{:04X}", c as u32),
        other => format!("{other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use crate::error::Error;
    use crate::ClientBuilder;

    #[test]
    fn whitespace_in_ids_is_refused() {
        for (mchid, serial) in [("1900000001\n", "ABC"), (" 1900000001", "ABC")] {
            let e = ClientBuilder::new()
                .mchid(mchid)
                .serial(serial)
                .build()
                .unwrap_err();
            assert!(matches!(e, Error::Config { field: "mchid", .. }), "{e}");
        }
        let e = ClientBuilder::new()
            .mchid("1900000001")
            .serial("ABC\n")
            .private_key("x")
            .build()
            .unwrap_err();
        assert!(
            matches!(
                e,
                Error::Config {
                    field: "serial",
                    ..
                }
            ),
            "{e}"
        );
        assert!(e.to_string().contains("newline"), "{e}");
    }

    #[test]
    fn mchid_is_required() {
        let e = ClientBuilder::new().build().unwrap_err();
        assert!(matches!(e, Error::Config { field: "mchid", .. }));
    }
}
