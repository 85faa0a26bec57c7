//! What a download's answer is checked against besides its signature: the `SM3-Digest` header
//! of an unsigned file, and the FAIL message an APIv2 download sends instead of a file.

use crate::answer::digest::{Expected, SM3_DIGEST};
use crate::error::{Error, Result};
use crate::exchange::Sender;
use crate::protocol::v2::SignType;
use bytes::Bytes;
use http::HeaderMap;
use serde_json::Value;

/// The check an unsigned download's `SM3-Digest` header asks for, over the bytes as received.
/// The fapiao file (`required`) must carry one: WeChat Pay documents it on every file answer,
/// and it is the file's only integrity check, so an answer that lost it is refused rather than
/// taken unchecked. Elsewhere, absent, nothing is checked beyond the `digest` option; present
/// twice or malformed, the answer is refused.
pub(crate) fn header_digest(headers: &HeaderMap, required: bool) -> Result<Option<Expected>> {
    let mut values = headers.get_all(SM3_DIGEST).iter();
    let Some(value) = values.next() else {
        if required {
            return Err(Error::Signature(format!(
                "the fapiao file came without its `{SM3_DIGEST}` header, which WeChat Pay sends with every file: \
                 its integrity cannot be checked"
            )));
        }
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(Error::Signature(format!(
            "the answer carries more than one `{SM3_DIGEST}` header: which digest the file has is ambiguous"
        )));
    }
    Expected::sm3_header(value).map(Some)
}

/// APIv2 downloads (`downloadbill`, `downloadfundflow`) answer "no bill" with a 200 and a FAIL
/// XML instead of a file; a message that small is looked at before it replaces a file.
pub(crate) const V2_FAILURE_PEEK: usize = 16 * 1024;

/// The `V2Failure` an APIv2 download's body carries, if it is a FAIL message rather than a file.
pub(crate) fn v2_download_failure(
    sender: &Sender<'_>,
    body: &[u8],
    sign_type: SignType,
) -> Option<Error> {
    let text = std::str::from_utf8(body).ok()?;
    if !text.trim_start().starts_with("<xml") {
        return None;
    }
    let secret = sender.apiv2_secret.unwrap_or("");
    match crate::protocol::v2::check_response(&Bytes::copy_from_slice(body), secret, sign_type) {
        Err(e @ (Error::V2Failure { .. } | Error::Signature(_))) if is_failure_xml(text) => Some(e),
        _ => None,
    }
}

/// True when an XML message's `return_code` is not `SUCCESS`.
fn is_failure_xml(text: &str) -> bool {
    crate::protocol::v2::xml::from_xml(text).is_ok_and(|f| {
        f.get("return_code").and_then(Value::as_str) != Some("SUCCESS")
            || f.get("result_code")
                .and_then(Value::as_str)
                .is_some_and(|c| c != "SUCCESS")
    })
}
