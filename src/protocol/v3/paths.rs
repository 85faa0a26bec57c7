//! Which APIv3 answers are not signed the usual way: the unsigned downloads and the overseas
//! statements, recognised by the request path after any base path.

/// The exact download paths WeChat Pay answers without a signature: bills, transfer
/// e-vouchers and sign files, fapiao files (the reference SDKs' lists, cross-checked against
/// the documented `file` answers).
const DOWNLOADS: [&str; 4] = [
    "/v3/billdownload/file",
    "/v3/transferdownload/elecvoucherfile",
    "/v3/transferdownload/signfile",
    "/v3/new-tax-control-fapiao/download",
];

/// Complaint images, `…/images/{media_id}`: one segment after these, other than `upload`.
const IMAGES: [&str; 2] = [
    "/v3/merchant-service/images/",
    "/v3/global/merchant-service/images/",
];

/// Splits a request path into its base path and the rest from the first `/v3/` segment on
/// (case-insensitively); a query or fragment, if a caller passed one, is dropped first.
///
/// Only the first `/v3/` counts, so a placeholder value cannot smuggle a download path into
/// the middle of another one.
fn split_base(path: &str) -> Option<(&str, &str)> {
    let path = path.split(['?', '#']).next().unwrap_or(path);
    let start = path
        .as_bytes()
        .windows(4)
        .position(|w| w.eq_ignore_ascii_case(b"/v3/"))?;
    // `start` is at an ASCII `/`, so slicing there is on a character boundary.
    Some(path.split_at(start))
}

fn strip_prefix_ignore_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

/// Answers that WeChat Pay sends unsigned: file downloads.
///
/// `path` is the request path as sent (with any base path, e.g. `/hk/`). Exact paths only: a
/// trailing segment, a longer last segment or `images/upload` is an ordinary signed answer.
pub(crate) fn is_exempt(path: &str) -> bool {
    let Some((_, rel)) = split_base(path) else {
        return false;
    };
    if DOWNLOADS.iter().any(|d| rel.eq_ignore_ascii_case(d)) {
        return true;
    }
    IMAGES.iter().any(|prefix| {
        strip_prefix_ignore_case(rel, prefix).is_some_and(|media_id| {
            let dots = media_id.to_ascii_lowercase().replace("%2e", ".");
            !media_id.is_empty()
                && !media_id.contains('/')
                && !media_id.eq_ignore_ascii_case("upload")
                // `images/..` is no image: it names the folder above (found by fuzzing).
                && dots != "."
                && dots != ".."
        })
    })
}

/// The overseas statements (`v3/global/statements`, `hk/v3/statements`), which WeChat Pay signs
/// over `{"sha1":"<Wechatpay-Statement-Sha1>"}` instead of the CSV.
pub(crate) fn is_statement(path: &str) -> bool {
    let Some((base, rel)) = split_base(path) else {
        return false;
    };
    rel.eq_ignore_ascii_case("/v3/global/statements")
        || (rel.eq_ignore_ascii_case("/v3/statements")
            // Bytes, not a `str` slice: a non-ASCII base path would put the cut inside a
            // character and panic (found by fuzzing).
            && base.len() >= 3
            && base.as_bytes()[base.len() - 3..].eq_ignore_ascii_case(b"/hk"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_non_ascii_base_path_never_panics() {
        assert!(!is_statement("/é/v3/statements"));
        assert!(!is_statement("/中/v3/statements"));
        assert!(is_statement("/hk/v3/statements"));
        assert!(!is_exempt("/中文/v3/pay"));
    }

    #[test]
    fn every_documented_download_is_exempt_after_any_base_path() {
        for rel in [
            "/v3/billdownload/file",
            "/v3/transferdownload/elecvoucherfile",
            "/v3/transferdownload/signfile",
            "/v3/new-tax-control-fapiao/download",
            "/v3/merchant-service/images/ChsyMDAwMDAwMDIwMjAwNTIwMDAwMDAwMDAw",
            "/v3/global/merchant-service/images/ChsyMDAwMDAwMDIw",
        ] {
            for base in ["", "/hk", "/proxy/wechat"] {
                let path = format!("{base}{rel}");
                assert!(is_exempt(&path), "{path}");
                assert!(is_exempt(&path.to_uppercase()), "{path}");
                assert!(is_exempt(&format!("{path}?token=abc")), "{path}");
            }
        }
    }

    #[test]
    fn look_alikes_are_not_exempt() {
        for path in [
            "/v3/billdownload/file/x",
            "/v3/billdownload/file2",
            "/v3/billdownload/files",
            "/v3/billdownload/",
            "/v3/billdownload",
            "/v3/bill/tradebill",
            "/v3/transferdownload/signfile/",
            "/v3/transferdownload/elecvoucherfile2",
            "/v3/new-tax-control-fapiao/download/1",
            "/v3/new-tax-control-fapiao/fapiao-applications/1/fapiao-files",
            "/v3/merchant-service/images/upload",
            "/v3/merchant-service/images/UPLOAD",
            "/v3/merchant-service/images/..",
            "/v3/merchant-service/images/.",
            "/v3/global/merchant-service/images/%2E%2e",
            "/v3/global/merchant-service/images/upload",
            "/v3/merchant-service/images/",
            "/v3/merchant-service/images/a/b",
            "/v3/merchant-service/image/abc",
            "/v3/pay/transactions/id/1",
            "/v3/pay/transactions/id/x/v3/billdownload/file",
            "/v4/billdownload/file",
            "/billdownload/file",
            "v3/billdownload/file",
            "/v3billdownload/file",
            "",
        ] {
            assert!(!is_exempt(path), "{path}");
        }
    }

    #[test]
    fn statements_are_recognised_after_any_base_path() {
        for path in [
            "/v3/global/statements",
            "/V3/Global/Statements",
            "/hk/v3/statements",
            "/HK/v3/statements",
            "/proxy/hk/v3/statements",
            "/proxy/v3/global/statements",
            "/v3/global/statements?date=2019-12-01",
        ] {
            assert!(is_statement(path), "{path}");
            assert!(!is_exempt(path), "statements are verified: {path}");
        }
        for path in [
            "/v3/statements",
            "/xhk/v3/statements",
            "/v3/global/statements/x",
            "/v3/global/statement",
            "/hk/v3/global/statementsx",
            "/v3/pay/v3/global/statements",
        ] {
            assert!(!is_statement(path), "{path}");
        }
    }
}
