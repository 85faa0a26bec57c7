//! The APIv3 request signature: canonical string and `Authorization` header.

/// The `Authorization` scheme of APIv3.
pub const AUTH_SCHEME: &str = super::Scheme::MERCHANT.name;

/// The string a merchant signs for a request: `METHOD\nTARGET\nTIMESTAMP\nNONCE\nBODY\n`.
///
/// `target` is the path and query exactly as sent, already percent-encoded.
///
/// ```
/// let s = wechatpay::v3::canonical_request("GET", "/v3/certificates", 1554208460,
///     "593BEC0C930BF1AFEB40B4A08C8FB242", b"");
/// assert_eq!(s, b"GET\n/v3/certificates\n1554208460\n593BEC0C930BF1AFEB40B4A08C8FB242\n\n");
/// ```
pub fn canonical_request(
    method: &str,
    target: &str,
    timestamp: i64,
    nonce: &str,
    body: &[u8],
) -> Vec<u8> {
    let mut out = Vec::with_capacity(method.len() + target.len() + nonce.len() + body.len() + 20);
    for piece in [method.as_bytes(), target.as_bytes()] {
        out.extend_from_slice(piece);
        out.push(b'\n');
    }
    // Written in place: writing to a Vec cannot fail.
    let _ = std::io::Write::write_fmt(&mut out, format_args!("{timestamp}\n"));
    out.extend_from_slice(nonce.as_bytes());
    out.push(b'\n');
    out.extend_from_slice(body);
    out.push(b'\n');
    out
}

/// The string WeChat Pay signs for an answer or a notification: `TIMESTAMP\nNONCE\nBODY\n`.
///
/// ```
/// assert_eq!(wechatpay::v3::canonical_response("1554208460", "abc", b"{}"), b"1554208460\nabc\n{}\n");
/// ```
pub fn canonical_response(timestamp: &str, nonce: &str, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(timestamp.len() + nonce.len() + body.len() + 3);
    out.extend_from_slice(timestamp.as_bytes());
    out.push(b'\n');
    out.extend_from_slice(nonce.as_bytes());
    out.push(b'\n');
    out.extend_from_slice(body);
    out.push(b'\n');
    out
}

/// A merchant's `Authorization` header value, fields in the order WeChat Pay documents (a
/// brand's: [`Scheme::authorization`](super::Scheme::authorization)).
///
/// ```
/// let h = wechatpay::v3::authorization("1900009191", "1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C",
///     1554208460, "593BEC0C930BF1AFEB40B4A08C8FB242", "SIG==");
/// assert_eq!(h, "WECHATPAY2-SHA256-RSA2048 mchid=\"1900009191\",serial_no=\"1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C\",timestamp=\"1554208460\",nonce_str=\"593BEC0C930BF1AFEB40B4A08C8FB242\",signature=\"SIG==\"");
/// ```
pub fn authorization(
    mchid: &str,
    serial: &str,
    timestamp: i64,
    nonce: &str,
    signature_b64: &str,
) -> String {
    super::Scheme::MERCHANT.authorization(mchid, serial, timestamp, nonce, signature_b64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn post_with_query_vector() {
        assert_eq!(
            canonical_request(
                "POST",
                "/v3/pay/transactions/native?x=1",
                1554208460,
                "593BEC0C930BF1AFEB40B4A08C8FB242",
                br#"{"a":1}"#
            ),
            b"POST\n/v3/pay/transactions/native?x=1\n1554208460\n593BEC0C930BF1AFEB40B4A08C8FB242\n{\"a\":1}\n"
        );
    }

    #[test]
    fn empty_body_answer() {
        assert_eq!(canonical_response("1", "n", b""), b"1\nn\n\n");
    }
}
