//! What comes back: the verified [`Response`](response::Response), a download's bytes on their
//! way to a file (`intake`: digest check, gzip unpacked), the file itself (`sink`: a temporary
//! file renamed over the target only after every check), and the `digest` option's rule.
//!
//! May use: `util`, `error`, `keys`, `protocol`. It knows nothing of how the answer was fetched.

pub(crate) mod digest;
pub(crate) mod intake;
pub(crate) mod response;
pub(crate) mod sink;
