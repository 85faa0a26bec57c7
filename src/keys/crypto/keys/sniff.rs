//! Sorting key and certificate input (PEM, bare base64, binary DER, `file://`), and the hints
//! that name what was found instead of what was expected.

use crate::error::{Error, Result};
use base64::Engine as _;
use std::path::Path;
use zeroize::Zeroizing;

/// "an RSA PUBLIC KEY", "a CERTIFICATE": by the sound of the label's first word.
pub(crate) fn article(label: &str) -> &'static str {
    if label.starts_with(['A', 'E', 'I', 'O', 'U'])
        || label.starts_with("RSA")
        || label.starts_with("X509")
    {
        "an"
    } else {
        "a"
    }
}

/// The one explanation for a PKCS#12 archive, whichever slot (private key, public key,
/// certificate, mTLS identity) it was given to: WeChat Pay hands it out beside the PEM files, so
/// it is an easy mistake, and the fix is the same everywhere.
pub(crate) const PKCS12_FOUND: &str = "found a PKCS#12 archive (apiclient_cert.p12?), which is \
     not read directly: pass the PEM files of the same download (apiclient_cert.pem, \
     apiclient_key.pem), or extract them (password: the mchid) with `openssl pkcs12 -in \
     apiclient_cert.p12 -nocerts -nodes -out apiclient_key.pem` for the key and `openssl pkcs12 \
     -in apiclient_cert.p12 -clcerts -nokeys -out apiclient_cert.pem` for the certificate";

/// True for a PEM label some tools give a base64 PKCS#12 archive.
pub(crate) fn is_pkcs12_label(label: &str) -> bool {
    matches!(label, "PKCS12" | "PKCS #12" | "PFX")
}

/// PFX: `SEQUENCE { INTEGER 3, SEQUENCE { OID pkcs7-data, ... } }`.
pub(crate) fn looks_like_pkcs12(der: &[u8]) -> bool {
    const PKCS7_DATA: &[u8] = &[
        0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01,
    ];
    let head = &der[..der.len().min(32)];
    der.first() == Some(&0x30)
        && head.windows(3).any(|w| w == [0x02, 0x01, 0x03])
        && head.windows(PKCS7_DATA.len()).any(|w| w == PKCS7_DATA)
}

/// The bytes of a key file, wiped when dropped.
pub(super) fn read_key_file(path: &Path, expected: &'static str) -> Result<Zeroizing<Vec<u8>>> {
    std::fs::read(path)
        .map(Zeroizing::new)
        .map_err(|e| Error::key(expected, format!("cannot read {}: {e}", path.display())))
}

/// Prefixes a key error with the file it came from.
pub(super) fn in_file(e: Error, path: &Path) -> Error {
    match e {
        Error::Key { expected, reason } => Error::Key {
            expected,
            reason: format!("{}: {reason}", path.display()),
        },
        other => other,
    }
}

/// Input text for PEM parsing, in zeroizing memory (it may hold a private key).
pub(super) fn pem_text(bytes: &[u8]) -> Zeroizing<String> {
    Zeroizing::new(String::from_utf8_lossy(bytes).into_owned())
}

/// One `-----BEGIN X-----` ... `-----END X-----` block.
pub(crate) struct PemBlock {
    pub(crate) label: String,
    pub(crate) der: Zeroizing<Vec<u8>>,
    /// RFC 1421 headers such as `Proc-Type: 4,ENCRYPTED` (legacy OpenSSL key encryption).
    pub(crate) has_headers: bool,
}

/// Every PEM block of `text`, in order; text outside blocks is ignored. Lenient on line endings
/// and indentation, strict on damaged base64 and missing END lines.
pub(crate) fn parse_pem(text: &str) -> std::result::Result<Vec<PemBlock>, String> {
    const BEGIN: &str = "-----BEGIN ";
    let mut blocks = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(BEGIN) {
        let after = &rest[start + BEGIN.len()..];
        let close = after
            .find("-----")
            .ok_or("a `-----BEGIN` line is not closed by `-----`")?;
        let label = after[..close].trim().to_string();
        let body_and_rest = &after[close + 5..];
        let end_line = format!("-----END {label}-----");
        let end = body_and_rest.find(&end_line).ok_or_else(|| {
            format!("the {label} block has no `{end_line}` line (truncated copy?)")
        })?;
        let mut has_headers = false;
        let mut b64 = Zeroizing::new(String::with_capacity(end));
        for line in body_and_rest[..end].lines() {
            if line.contains(':') {
                has_headers = true;
            } else {
                b64.push_str(line.trim());
            }
        }
        let der = decode_b64(&b64)
            .map_err(|e| format!("the base64 inside the {label} block is damaged ({e})"))?;
        blocks.push(PemBlock {
            label,
            der,
            has_headers,
        });
        rest = &body_and_rest[end + end_line.len()..];
    }
    Ok(blocks)
}

/// Standard base64, whitespace ignored, padding optional.
pub(crate) fn decode_b64(s: &str) -> std::result::Result<Zeroizing<Vec<u8>>, base64::DecodeError> {
    use base64::engine::{
        general_purpose::GeneralPurpose, DecodePaddingMode, GeneralPurposeConfig,
    };
    const LENIENT: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
    );
    let compact: Zeroizing<String> =
        Zeroizing::new(s.chars().filter(|c| !c.is_ascii_whitespace()).collect());
    LENIENT.decode(compact.as_bytes()).map(Zeroizing::new)
}

/// PEM text with 64-column lines and a final newline, in zeroizing memory.
pub(crate) fn pem_encode(label: &str, der: &[u8]) -> Zeroizing<String> {
    let b64 = Zeroizing::new(base64::engine::general_purpose::STANDARD.encode(der));
    let mut out = Zeroizing::new(String::with_capacity(
        b64.len() + b64.len() / 64 + 2 * label.len() + 40,
    ));
    out.push_str("-----BEGIN ");
    out.push_str(label);
    out.push_str("-----\n");
    for (i, c) in b64.chars().enumerate() {
        if i > 0 && i % 64 == 0 {
            out.push('\n');
        }
        out.push(c);
    }
    out.push_str("\n-----END ");
    out.push_str(label);
    out.push_str("-----\n");
    out
}

pub(super) enum Classified {
    Pem(Zeroizing<String>),
    Der(Zeroizing<Vec<u8>>),
    File(std::path::PathBuf),
}

/// Sorts `load` input into PEM text, DER bytes (from base64 or binary) or a `file://` path.
pub(super) fn classify(
    input: &[u8],
    expected: &'static str,
    prefixes: &[&str],
) -> Result<Classified> {
    let input = input.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(input);
    let input = input.trim_ascii();
    if input.is_empty() {
        return Err(Error::key(expected, "the input is empty"));
    }
    if input.windows(11).any(|w| w == b"-----BEGIN ") {
        return Ok(Classified::Pem(pem_text(input)));
    }
    if let Some(path) = input.strip_prefix(b"file://") {
        let path = std::str::from_utf8(path)
            .map_err(|_| Error::key(expected, "the file:// path is not UTF-8"))?;
        return Ok(Classified::File(path.into()));
    }
    let input = prefixes
        .iter()
        .find_map(|p| input.strip_prefix(p.as_bytes()))
        .unwrap_or(input);
    let is_b64 = input
        .iter()
        .all(|&b| b.is_ascii_alphanumeric() || b"+/=".contains(&b) || b.is_ascii_whitespace());
    if is_b64 {
        let text = std::str::from_utf8(input).unwrap_or_default();
        return decode_b64(text).map(Classified::Der).map_err(|e| {
            Error::key(
                expected,
                format!(
                    "found text that is neither PEM (-----BEGIN ...) nor valid base64 DER ({e})"
                ),
            )
        });
    }
    if input[0] == 0x30 {
        return Ok(Classified::Der(Zeroizing::new(input.to_vec())));
    }
    Err(Error::key(expected, describe_garbage(input)))
}

fn describe_garbage(input: &[u8]) -> String {
    let text = std::str::from_utf8(input).ok();
    let path_like = text.filter(|t| {
        let lower = t.to_ascii_lowercase();
        t.len() < 512
            && !t.contains('\n')
            && (t.contains('/')
                || t.contains('\\')
                || [
                    ".pem", ".key", ".crt", ".cer", ".der", ".p12", ".pfx", ".txt",
                ]
                .iter()
                .any(|ext| lower.ends_with(ext)))
    });
    match path_like {
        Some(path) => format!(
            "found `{path}`, which looks like a file path, not key content: use from_file(path), \
             or read the file first"
        ),
        None => format!(
            "found {} bytes that are neither PEM (-----BEGIN ...-----) nor base64 or binary DER",
            input.len()
        ),
    }
}

// ---------------------------------------------------------------------------------------------
// Hints: what was found where something else was expected

pub(super) const LEGACY_ENCRYPTED: &str = "found a legacy OpenSSL-encrypted RSA PRIVATE KEY (Proc-Type: 4,ENCRYPTED), \
     which is not supported; convert it once with `openssl pkcs8 -topk8 -v2 aes-256-cbc -in old.pem \
     -out new.pem` and use PrivateKey::from_pem_encrypted";

pub(super) const PRIVATE_AS_PUBLIC: &str =
    "pass WeChat Pay's public key (pub_key.pem) or a platform \
     certificate; a private key is never used as a public one (the public half of your own key is \
     PrivateKey::public_key())";

/// [`PKCS12_FOUND`], and why even extracted it is not what a public-key slot wants.
pub(super) fn pkcs12_as_public() -> String {
    format!(
        "{PKCS12_FOUND}; it holds the merchant's own key and certificate, not WeChat Pay's \
         public key (pub_key.pem) or platform certificate"
    )
}

pub(super) fn found_block_for_private(label: &str) -> String {
    if is_pkcs12_label(label) {
        return PKCS12_FOUND.into();
    }
    match label {
        "CERTIFICATE" | "X509 CERTIFICATE" | "TRUSTED CERTIFICATE" => format!(
            "found {} {label} block — that is a certificate (apiclient_cert.pem?), pass the private key apiclient_key.pem",
            article(label)
        ),
        "PUBLIC KEY" | "RSA PUBLIC KEY" => format!(
            "found {} {label} block — that is a public key; signing needs the merchant private key (apiclient_key.pem)",
            article(label)
        ),
        "EC PRIVATE KEY" => "found an EC PRIVATE KEY block — that is an elliptic-curve key; WeChat Pay signs with RSA keys (apiclient_key.pem)".into(),
        "CERTIFICATE REQUEST" | "NEW CERTIFICATE REQUEST" => format!(
            "found {} {label} block — that is a certificate signing request (CSR), not a key", article(label)
        ),
        _ => format!("found {} {label} block, not a private key", article(label)),
    }
}

pub(super) fn found_block_for_public(label: &str) -> String {
    if is_pkcs12_label(label) {
        return pkcs12_as_public();
    }
    match label {
        "PRIVATE KEY" | "RSA PRIVATE KEY" | "ENCRYPTED PRIVATE KEY" | "EC PRIVATE KEY" => format!(
            "found {} {label} block — that is a private key; {PRIVATE_AS_PUBLIC}",
            article(label)
        ),
        "CERTIFICATE REQUEST" | "NEW CERTIFICATE REQUEST" => format!(
            "found {} {label} block — that is a certificate signing request (CSR), not a key",
            article(label)
        ),
        _ => format!("found {} {label} block, not a public key", article(label)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pem_round_trip_and_damage() {
        let pem = pem_encode("TEST", &[1, 2, 3]);
        let blocks = parse_pem(&pem).unwrap();
        assert_eq!(blocks.len(), 1);
        assert_eq!(blocks[0].label, "TEST");
        assert_eq!(blocks[0].der.as_slice(), &[1, 2, 3]);
        let err = parse_pem("-----BEGIN TEST-----\nAQID\n").err().unwrap();
        assert!(err.contains("no `-----END TEST-----` line"), "{err}");
        let err = parse_pem("-----BEGIN TEST-----\nA!ID\n-----END TEST-----")
            .err()
            .unwrap();
        assert!(err.contains("damaged"), "{err}");
    }
}
