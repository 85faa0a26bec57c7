//! Encrypted PKCS#8 private keys, and the limits on their key-derivation parameters.
//!
//! The KDF parameters come from the key file itself, so a hostile or corrupt file could ask for
//! four billion PBKDF2 rounds or terabytes of scrypt memory: they are checked against caps before
//! anything is derived. The caps sit far above what any tool writes (OpenSSL: 2,048 PBKDF2
//! rounds, scrypt N=2^14 r=8 p=1) and below what would stall a process for minutes.

use super::sniff::{classify, parse_pem, pem_text, Classified, LEGACY_ENCRYPTED};
use super::{PrivateKey, EXPECT_ENCRYPTED, EXPECT_PRIVATE};
use crate::error::{Error, Result};
use pkcs8::pkcs5::{pbes2::Kdf, EncryptionScheme};
use zeroize::Zeroizing;

/// Most PBKDF2 iterations accepted (about 10 s of SHA-256 on one core).
const MAX_PBKDF2_ITERATIONS: u32 = 10_000_000;
/// Largest scrypt cost accepted, as log2(N).
const MAX_SCRYPT_LOG_N: u32 = 20;
/// Most scrypt work accepted, N·r·p: OpenSSL's default (2^14·8·1) times 256, some seconds.
const MAX_SCRYPT_WORK: u128 = 1 << 25;
/// Most memory scrypt may need (128·r·N for its table, 128·r·p for its blocks): 1 GiB.
const MAX_SCRYPT_MEMORY: u128 = 1 << 30;

/// Refuses KDF parameters above the caps, naming the parameter and the cap.
fn check_kdf(scheme: &EncryptionScheme<'_>) -> std::result::Result<(), String> {
    let Some(pbes2) = scheme.pbes2() else {
        // PBES1 counts iterations in 16 bits: bounded by construction (and not decrypted here).
        return Ok(());
    };
    match &pbes2.kdf {
        Kdf::Pbkdf2(p) if p.iteration_count > MAX_PBKDF2_ITERATIONS => Err(format!(
            "its PBKDF2 iteration count is {}, above the cap of {MAX_PBKDF2_ITERATIONS}: \
             refused before deriving (re-encrypt it: openssl pkcs8 -topk8 -v2 aes-256-cbc)",
            p.iteration_count
        )),
        Kdf::Scrypt(p) => {
            let n = p.cost_parameter;
            let log_n = n.checked_ilog2().unwrap_or(0);
            if log_n > MAX_SCRYPT_LOG_N {
                return Err(format!(
                    "its scrypt log_n is {log_n} (N = 2^{log_n}), above the cap of \
                     {MAX_SCRYPT_LOG_N}: refused before deriving"
                ));
            }
            let (r, par) = (u128::from(p.block_size), u128::from(p.parallelization));
            let memory = 128 * r * (u128::from(n) + par);
            if memory > MAX_SCRYPT_MEMORY {
                return Err(format!(
                    "its scrypt parameters r = {r}, p = {par}, N = 2^{log_n} need {} MiB \
                     (128·r·(N + p) bytes), above the cap of {} MiB: refused before deriving",
                    memory >> 20,
                    MAX_SCRYPT_MEMORY >> 20
                ));
            }
            let work = u128::from(n) * r * par;
            if work > MAX_SCRYPT_WORK {
                return Err(format!(
                    "its scrypt parameters N = 2^{log_n}, r = {r}, p = {par} ask for N·r·p = {work}, \
                     above the cap of 2^25 ({MAX_SCRYPT_WORK}): refused before deriving"
                ));
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

impl PrivateKey {
    /// Reads an `ENCRYPTED PRIVATE KEY` PEM (PKCS#8 PBES2: PBKDF2 or scrypt with AES-CBC, as
    /// `openssl pkcs8 -topk8 -v2 aes-256-cbc` writes it), or its base64 or binary DER. An
    /// unencrypted key is accepted too and the passphrase is then ignored.
    ///
    /// The key-derivation parameters are checked before any work: more than 10,000,000 PBKDF2
    /// iterations, a scrypt cost above 2^20, scrypt parameters needing more than 1 GiB, or an
    /// N·r·p above 2^25 are refused, naming the parameter and the cap.
    ///
    /// ```
    /// use wechatpay::crypto::PrivateKey;
    /// # let pem = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/keys/rsa.pkcs8.encrypted.key"));
    /// let key = PrivateKey::from_pem_encrypted(pem, b"wechatpay-test-passphrase")?;
    /// let err = PrivateKey::from_pem_encrypted(pem, b"wrong").unwrap_err().to_string();
    /// assert!(err.contains("wrong passphrase"), "{err}");
    /// # Ok::<(), wechatpay::Error>(())
    /// ```
    pub fn from_pem_encrypted(pem: impl AsRef<[u8]>, passphrase: &[u8]) -> Result<Self> {
        let text = pem_text(pem.as_ref());
        let blocks = parse_pem(&text).map_err(|r| Error::key(EXPECT_ENCRYPTED, r))?;
        let der = match blocks.iter().find(|b| b.label == "ENCRYPTED PRIVATE KEY") {
            Some(block) => Zeroizing::new(block.der.to_vec()),
            None if blocks
                .iter()
                .any(|b| b.label == "RSA PRIVATE KEY" && b.has_headers) =>
            {
                return Err(Error::key(EXPECT_ENCRYPTED, LEGACY_ENCRYPTED));
            }
            None if !blocks.is_empty() => return Self::from_pem(text.as_bytes()),
            // Not PEM: base64 or binary DER of an encrypted key, or anything `load` explains
            // (a PKCS#12 archive, a file path...).
            None => match classify(pem.as_ref(), EXPECT_PRIVATE, &[])? {
                Classified::Der(der)
                    if pkcs8::EncryptedPrivateKeyInfo::try_from(der.as_slice()).is_ok() =>
                {
                    der
                }
                _ => return Self::load(pem.as_ref()),
            },
        };
        if passphrase.is_empty() {
            return Err(Error::key(
                EXPECT_ENCRYPTED,
                "the key is encrypted but the passphrase is empty",
            ));
        }
        let info = pkcs8::EncryptedPrivateKeyInfo::try_from(der.as_slice()).map_err(|e| {
            Error::key(
                EXPECT_ENCRYPTED,
                format!("the ENCRYPTED PRIVATE KEY block is damaged ({e})"),
            )
        })?;
        check_kdf(&info.encryption_algorithm).map_err(|r| Error::key(EXPECT_ENCRYPTED, r))?;
        let document = info.decrypt(passphrase).map_err(|e| {
            let reason = match e {
                // pkcs5 0.7 reports a bad CBC padding as `EncryptFailed` on decryption.
                pkcs8::Error::EncryptedPrivateKey(
                    pkcs8::pkcs5::Error::DecryptFailed | pkcs8::pkcs5::Error::EncryptFailed,
                )
                | pkcs8::Error::Asn1(_) => "wrong passphrase".to_string(),
                other => format!(
                    "cannot decrypt it ({other}); supported: PKCS#8 PBES2 with PBKDF2 or scrypt \
                     and AES-CBC (openssl pkcs8 -topk8 -v2 aes-256-cbc)"
                ),
            };
            Error::key(EXPECT_ENCRYPTED, reason)
        })?;
        // A wrong passphrase can, rarely, unpad cleanly; the result is then not a key.
        Self::from_der(document.as_bytes()).map_err(|e| match e {
            Error::Key { reason, .. } => Error::key(
                EXPECT_ENCRYPTED,
                format!("wrong passphrase, or the decrypted key is unusable: {reason}"),
            ),
            other => other,
        })
    }
}
