//! Keys: [`crypto`] (keys and certificates in every form, the `Signer`/`Verifier` traits, RSA
//! backends, AES), the [`Keyring`](keyring::Keyring) of WeChat Pay's keys that verify answers,
//! platform certificates, and sensitive-field encryption.
//!
//! May use: `util`, `error`. Public as `wechatpay::crypto`, `wechatpay::Keyring`,
//! `wechatpay::Encrypted`.

pub(crate) mod certificates;
pub mod crypto;
pub(crate) mod keyring;
pub(crate) mod sensitive;
