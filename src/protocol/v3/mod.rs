//! APIv3 and the brand API (the same signature under another scheme, [`Scheme`]): the strings
//! that are signed, the `Authorization` header, the signature type an answer names, answer
//! verification, and the verification of a platform-certificate listing.

mod certificates;
mod paths;
mod scheme;
mod sign;
mod signature_type;
#[cfg(feature = "shangmi")]
mod sm2_certificates;
mod verify;

pub use certificates::verify_certificate_listing;
pub(crate) use paths::is_exempt;
pub use scheme::Scheme;
pub use sign::{authorization, canonical_request, canonical_response, AUTH_SCHEME};
pub use signature_type::{SignatureType, SIGNATURE_TYPE};
#[cfg(feature = "shangmi")]
pub use sm2_certificates::open_sm2_certificate_listing;
pub use verify::verify_response;
pub(crate) use verify::{check_signed_headers, MISMATCH};
