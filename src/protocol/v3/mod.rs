//! APIv3: the strings that are signed, the `Authorization` header, answer verification, and the
//! verification of a platform-certificate listing.

mod certificates;
mod paths;
mod sign;
mod verify;

pub use certificates::verify_certificate_listing;
pub(crate) use paths::is_exempt;
pub use sign::{authorization, canonical_request, canonical_response, AUTH_SCHEME};
pub use verify::verify_response;
pub(crate) use verify::{check_signed_headers, MISMATCH};

impl crate::Client {
    /// Verifies an APIv3 answer this client's keys should have signed, obtained elsewhere (a
    /// proxy, a queue, a recorded exchange): the same check every call runs. `path` is the request
    /// path as sent, e.g. `/v3/pay/transactions/id/4200000000000000000`.
    ///
    /// ```
    /// # let client = wechatpay::Client::builder().mchid("1900000001").build().unwrap();
    /// let unsigned = wechatpay::http::HeaderMap::new();
    /// assert!(client.verify_response("/v3/pay/transactions/id/1", &unsigned, b"{}").is_err());
    /// ```
    pub fn verify_response(
        &self,
        path: &str,
        headers: &http::HeaderMap,
        body: &[u8],
    ) -> crate::Result<()> {
        verify_response(
            &self.context.trust.keyring,
            crate::util::unix_now(),
            path,
            headers,
            body,
        )
    }
}
