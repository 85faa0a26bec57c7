//! `multipart/form-data` bodies, as media uploads send them: the APIv3 signature covers the
//! `meta` part alone, and an APIv2 upload signs its text parts.

use http::HeaderMap;

/// The content of the part named `meta` of a multipart body.
pub(crate) fn meta<'a>(body: &'a [u8], boundary: &str) -> Option<&'a [u8]> {
    parts(body, boundary)
        .into_iter()
        .find(|(name, _)| name == "meta")
        .map(|(_, content)| content)
}

/// The boundary of a `multipart/form-data` request.
pub(crate) fn boundary(headers: &HeaderMap) -> Option<String> {
    headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .filter(|v| v.to_ascii_lowercase().starts_with("multipart/form-data"))
        .and_then(|v| {
            v.split(';')
                .filter_map(|p| p.trim().split_once('='))
                .find(|(k, _)| k.eq_ignore_ascii_case("boundary"))
                .map(|(_, b)| b.trim_matches('"').to_string())
        })
}

/// The parts of a multipart body: (name, content), in order.
pub(crate) fn parts<'a>(body: &'a [u8], boundary: &str) -> Vec<(String, &'a [u8])> {
    let delimiter = format!("--{boundary}");
    let mut parts = Vec::new();
    let mut rest = body;
    while let Some(at) = find(rest, delimiter.as_bytes()) {
        rest = &rest[at + delimiter.len()..];
        let Some(head_end) = find(rest, b"\r\n\r\n") else {
            break;
        };
        let head = String::from_utf8_lossy(&rest[..head_end]).to_string();
        let content = &rest[head_end + 4..];
        let Some(end) = find(content, format!("\r\n{delimiter}").as_bytes()) else {
            break;
        };
        let name = head
            .split(';')
            .filter_map(|p| p.trim().split_once('='))
            .find(|(k, _)| k.eq_ignore_ascii_case("name"))
            .map(|(_, v)| v.trim().trim_matches('"').to_string())
            .unwrap_or_default();
        parts.push((name, &content[..end]));
        rest = &content[end..];
    }
    parts
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}
