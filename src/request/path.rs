//! Path words: segment normalisation for the chain (`seg()`, `chain!`) and the path-word rule.
//!
//! Segments given one by one (macro identifiers, [`seg`](crate::Chain::seg)) follow the PHP SDK's
//! three passes, so `merchantService` is `merchant-service` and `_out_trade_no_` is
//! `{out_trade_no}`. Templates given as strings are taken literally (see `template.rs`).

/// Normalises one chain segment as the PHP SDK does.
///
/// A leading capital is lowered; every other ASCII capital becomes `-` plus its lowercase; a
/// segment that starts and ends with `_` becomes the placeholder `{inner}`. A raw-identifier
/// prefix `r#` (from the `chain!` macro) is dropped.
///
/// ```
/// use wechatpay::normalize_segment;
/// assert_eq!(normalize_segment("merchantService"), "merchant-service");
/// assert_eq!(normalize_segment("_out_trade_no_"), "{out_trade_no}");
/// assert_eq!(normalize_segment("h5Presign"), "h5-presign");
/// assert_eq!(normalize_segment("r#return"), "return");
/// ```
pub fn normalize_segment(segment: &str) -> String {
    let segment = segment.strip_prefix("r#").unwrap_or(segment);
    let mut out = String::with_capacity(segment.len() + 4);
    for (i, c) in segment.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('-');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    if out.len() >= 2 && out.starts_with('_') && out.ends_with('_') {
        out = format!("{{{}}}", &out[1..out.len() - 1]);
    }
    out
}

/// Checks one segment given to [`seg`](crate::Chain::seg) or the `chain!` macro: a path word
/// (ASCII letters, digits, `_`, `-`), a `_name_` placeholder, or a `{name}` placeholder.
///
/// Anything else (`..`, `a/b`, `?x=1`, `%2e`, an empty string) would change the path's shape;
/// values belong in placeholders, where they are encoded.
pub(crate) fn check_segment(raw: &str) -> std::result::Result<(), String> {
    let word = raw.strip_prefix("r#").unwrap_or(raw);
    let inner = match word.strip_prefix('{').and_then(|w| w.strip_suffix('}')) {
        Some(name) => name,
        None => word,
    };
    let is_word = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    };
    if is_word(inner) {
        return Ok(());
    }
    Err(format!(
        "`{}` is not a path word (ASCII letters, digits, `_`, `-`) nor a `_name_` placeholder: put values in a \
         placeholder (`.seg(\"_id_\")` with {{\"id\": …}}), and several segments in several `seg` calls",
        raw.escape_debug()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn php_normalisation_table() {
        let cases = [
            ("V3", "v3"),
            ("merchantService", "merchant-service"),
            ("ComplaintNotifications", "complaint-notifications"),
            ("_transaction_id_", "{transaction_id}"),
            ("_openId_", "{open-id}"),
            ("{combine_out_trade_no}", "{combine_out_trade_no}"),
            ("_a__", "{a_}"),
            ("_x", "_x"),
            ("HTTPServer", "h-t-t-p-server"),
            ("{OpenID}", "{-open-i-d}"),
            ("applyment4sub", "applyment4sub"),
            ("mch_archives", "mch_archives"),
            ("complaintsV2", "complaints-v2"),
            ("", ""),
            ("pay/transactions", "pay/transactions"),
            ("r#use", "use"),
        ];
        for (input, want) in cases {
            assert_eq!(normalize_segment(input), want, "input {input:?}");
        }
    }
}
