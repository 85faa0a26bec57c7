//! Stage 1 of a call, what is sent: the path from chain words or a template, the argument map
//! split into placeholder values and options, the outbound target rule, media uploads, the
//! documented sensitive fields encrypted on the way out, and the pipeline that ends in a signed
//! [`PreparedRequest`](prepared::PreparedRequest).
//!
//! May use: `util`, `error`, `catalogue`, `policy`, `keys`, `protocol` and `answer` (whose
//! digest rule checks the `digest` option before anything is signed). Never the exchange or the
//! client: `pipeline::prepare` takes the parts of the client it reads (the identity that signs,
//! the policies, the keyring).

pub(crate) mod args;
#[cfg(feature = "catalogue")]
pub(crate) mod autoencrypt;
pub(crate) mod media;
pub(crate) mod path;
pub(crate) mod pipeline;
pub(crate) mod prepared;
pub(crate) mod query;
pub(crate) mod scheme;
pub(crate) mod target;
pub(crate) mod template;
