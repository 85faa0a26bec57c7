//! The outbound rule's own cases; the matrix against the emulator is `tests/outbound.rs`.

use super::*;
use crate::error::Error;
use crate::policy::hosts::{check_allowed_host, parse_base_uri};

fn base(s: &str) -> Url {
    parse_base_uri("base_uri", s).unwrap()
}

#[test]
fn base_uris_are_normalised_or_refused() {
    assert_eq!(base("https://h.example/hk").path(), "/hk/");
    assert_eq!(base("https://h.example").path(), "/");
    assert!(parse_base_uri("b", "http://h.example/").is_err());
    assert!(parse_base_uri("b", "http://127.0.0.9:8080/").is_ok());
    assert!(parse_base_uri("b", "http://[::1]:8080/").is_ok());
    assert!(parse_base_uri("b", "http://LOCALHOST/").is_ok());
    assert!(parse_base_uri("b", "https://u:p@h.example/").is_err());
    assert!(parse_base_uri("b", "https://h.example/?q").is_err());
    assert!(parse_base_uri("b", "file:///etc/passwd").is_err());
}

#[test]
fn relative_paths_stay_under_the_base() {
    let b = base("https://h.example/hk/");
    let allowed = AllowedHosts::new(&b, None, &[]);
    let ok = |p: &str| resolve(&b, false, &allowed, p, false).map(|u| u.to_string());
    assert_eq!(ok("v3/x").unwrap(), "https://h.example/hk/v3/x");
    assert_eq!(
        ok("v3/applyment4sub/applyment/").unwrap(),
        "https://h.example/hk/v3/applyment4sub/applyment/"
    );
    assert_eq!(ok("v3/x?a=1").unwrap(), "https://h.example/hk/v3/x?a=1");
    for bad in [
        "/v3/x",
        "v3//x",
        "v3/x//",
        "//evil.example/x",
        "v3/../x",
        "v3/%2E%2e/x",
        "v3/a#b",
        "v3\\..\\x",
        "a b",
    ] {
        assert!(ok(bad).is_err(), "{bad}");
    }
}

#[test]
fn absolute_values_must_go_to_allowed_hosts() {
    let b = base("https://api.mch.weixin.qq.com/");
    let allowed = AllowedHosts::new(&b, None, &["files.example".into()]);
    let go = |p: &str| resolve(&b, false, &allowed, p, false);
    assert!(go("https://api.mch.weixin.qq.com/v3/billdownload/file?token=x").is_ok());
    assert!(go("https://files.example:8443/v3/x").is_ok());
    assert!(
        go("https://api.mch.weixin.qq.com:8443/v3/x").is_err(),
        "another port"
    );
    for bad in [
        "https://evil.example/v3/pay",
        "http://api.mch.weixin.qq.com/v3/x",
        "file:///etc/passwd",
        "javascript:alert(1)",
        "https://api.mch.weixin.qq.com/v3/../x",
        "https://api.mch.weixin.qq.com/v3/x#f",
        "https://user@api.mch.weixin.qq.com/v3/x",
        "https:api.mch.weixin.qq.com/v3/x",
        "https://api.mch.weixin.qq.com/pay/micropay",
    ] {
        assert!(go(bad).is_err(), "{bad}");
    }
}

#[test]
fn per_call_bases_name_known_hosts_only() {
    let b = base("https://api.mch.weixin.qq.com/");
    let allowed = AllowedHosts::new(&b, None, &["files.example".into()]);
    let go = |per_call: &str| resolve(&base(per_call), true, &allowed, "v3/x", false);
    for ok in [
        "https://apihk.mch.weixin.qq.com/",
        "https://fraud.mch.weixin.qq.com/",
        "https://files.example/",
        "http://127.0.0.1:9/",
    ] {
        assert!(go(ok).is_ok(), "{ok}");
    }
    assert!(
        matches!(go("https://evil.example/"), Err(Error::Argument { name, .. }) if name == "base_uri")
    );
    // An absolute URL after `v2/` is refused.
    assert!(resolve(
        &b,
        false,
        &allowed,
        "https://api.mch.weixin.qq.com/pay/x",
        true
    )
    .is_err());
}

#[test]
fn allowed_hosts_are_bare_names() {
    assert_eq!(
        check_allowed_host("API2.mch.weixin.qq.com").unwrap(),
        "api2.mch.weixin.qq.com"
    );
    assert_eq!(check_allowed_host("127.1").unwrap(), "127.0.0.1");
    assert_eq!(
        check_allowed_host("bücher.example").unwrap(),
        "xn--bcher-kva.example"
    );
    for bad in [
        "*.example",
        "x.example.",
        "",
        "https://x.example",
        "x.example:443",
        "x.example/p",
        "a b",
    ] {
        assert!(check_allowed_host(bad).is_err(), "{bad}");
    }
}

/// The dot-segment check reads a segment as the old one did (lowercased, `%2e` replaced by `.`,
/// then `.` or `..`), over every string of up to six of the characters that matter.
#[test]
fn dot_segments_read_as_before() {
    let alphabet = ['.', '%', '2', 'e', 'E', 'a'];
    let mut words = vec![String::new()];
    for _ in 0..6 {
        let longer: Vec<String> = words
            .iter()
            .filter(|w| w.len() == words.last().map_or(0, String::len))
            .flat_map(|w| alphabet.iter().map(move |c| format!("{w}{c}")))
            .collect();
        words.extend(longer);
    }
    for w in &words {
        let lower = w.to_ascii_lowercase().replace("%2e", ".");
        assert_eq!(is_dot_segment(w), lower == "." || lower == "..", "{w:?}");
    }
    assert!(is_dot_segment("%2E%2e") && is_dot_segment(".%2E") && !is_dot_segment("..."));
}

/// A path read against the base gives the URL that parsing the whole text gives, and what one
/// refuses the other refuses with the same error.
#[test]
fn reading_against_the_base_matches_parsing_the_whole_text() {
    for b in [
        "https://h.example/hk/",
        "http://127.0.0.1:8080/",
        "https://h.example/",
    ] {
        let b = base(b);
        let allowed = AllowedHosts::new(&b, None, &[]);
        for p in [
            "v3/x",
            "v3/x?a=1&b=%20",
            "v3/applyment4sub/applyment/",
            "v3/pay/transactions/out-trade-no/LOADGEN000000000001",
            "?q=1",
            "v3/%E4%B8%AD",
            "1a:b/c",
            "\\\\evil.example/x",
            "\\v3",
            "v3/%2e%2E/x",
            "v3/x#f",
            "v3/a b",
        ] {
            let fast = resolve(&b, false, &allowed, p, false).map_err(|e| e.to_string());
            let whole = parse_under(&b, p).map_err(|e| e.to_string());
            assert_eq!(fast, whole, "{b}{p}");
        }
    }
}
