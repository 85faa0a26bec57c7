//! The signature schemes, per protocol: who signs (`identity`: the merchant id, its keys and
//! secrets), APIv3 (canonical strings, the `Authorization` header, answer, notification and
//! certificate-listing verification) and APIv2 (XML both ways, MD5/HMAC-SHA256 signing, the
//! answer check, refund notifications); the front end's pay signs. The brand scheme and 国密
//! join here.
//!
//! May use: `util`, `error`, `keys`. Public as `wechatpay::v3` and `wechatpay::v2`.

pub(crate) mod identity;
pub(crate) mod paysign;
pub mod v2;
pub mod v3;
