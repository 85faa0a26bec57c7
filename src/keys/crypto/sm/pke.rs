//! SM2 public-key encryption (GB/T 32918.4) on RustCrypto's `sm2` arithmetic, with the ciphertext
//! as WeChat Pay exchanges it: DER `SEQUENCE { x INTEGER, y INTEGER, hash OCTET STRING,
//! cipherText OCTET STRING }` (C1, C3, C2; GM/T 0009 §7.2). And the few DER shapes SM2 needs.

use crate::error::{Error, Result};
use sm2::elliptic_curve::ops::MulByGenerator;
use sm2::elliptic_curve::sec1::{FromEncodedPoint, ToEncodedPoint};
use sm2::{AffinePoint, EncodedPoint, FieldBytes, NonZeroScalar, ProjectivePoint, Scalar};
use sm3::{Digest, Sm3};
use zeroize::Zeroizing;

fn failed() -> Error {
    Error::Crypto(
        "SM2 decryption failed: wrong private key or tampered ciphertext (C3 does not match)"
            .into(),
    )
}

/// KDF of GB/T 32918.4 §5.4.3: SM3(Z ‖ ct) for ct = 1, 2, … (32-bit big-endian), cut to `len`.
fn kdf(z: &[u8], len: usize) -> Zeroizing<Vec<u8>> {
    let mut out = Zeroizing::new(Vec::with_capacity(len + 32));
    let mut counter: u32 = 1;
    while out.len() < len {
        let mut h = Sm3::new();
        h.update(z);
        h.update(counter.to_be_bytes());
        out.extend_from_slice(&h.finalize());
        counter = counter.wrapping_add(1);
    }
    out.truncate(len);
    out
}

fn xy(point: &ProjectivePoint) -> Option<(FieldBytes, FieldBytes)> {
    let encoded = point.to_affine().to_encoded_point(false);
    Some((*encoded.x()?, *encoded.y()?))
}

/// Encrypts with the ephemeral scalar `k` (tests pass the standard's `k`).
pub(crate) fn encrypt_with(
    key: &sm2::PublicKey,
    k: &NonZeroScalar,
    plaintext: &[u8],
) -> Result<Option<Vec<u8>>> {
    let c1 = ProjectivePoint::mul_by_generator(k.as_ref());
    let shared = key.to_projective() * k.as_ref();
    let (Some((x1, y1)), Some((x2, y2))) = (xy(&c1), xy(&shared)) else {
        return Err(Error::Crypto(
            "SM2 encryption met the point at infinity".into(),
        ));
    };
    let mut z = Zeroizing::new(x2.to_vec());
    z.extend_from_slice(&y2);
    let t = kdf(&z, plaintext.len());
    if !plaintext.is_empty() && t.iter().all(|b| *b == 0) {
        return Ok(None);
    }
    let c2: Vec<u8> = plaintext.iter().zip(t.iter()).map(|(m, t)| m ^ t).collect();
    let mut h = Sm3::new();
    h.update(x2);
    h.update(plaintext);
    h.update(y2);
    let c3 = h.finalize();
    let mut body = der_uint(&x1);
    body.extend(der_uint(&y1));
    body.extend(der_tlv(0x04, &c3));
    body.extend(der_tlv(0x04, &c2));
    Ok(Some(der_tlv(0x30, &body)))
}

pub(crate) fn encrypt(key: &sm2::PublicKey, plaintext: &[u8]) -> Result<Vec<u8>> {
    loop {
        let mut bytes = Zeroizing::new([0u8; 32]);
        getrandom::getrandom(&mut bytes[..])
            .map_err(|e| Error::Crypto(format!("no randomness for SM2 encryption: {e}")))?;
        let Ok(secret) = sm2::SecretKey::from_slice(&bytes[..]) else {
            continue;
        };
        if let Some(out) = encrypt_with(key, &secret.to_nonzero_scalar(), plaintext)? {
            return Ok(out);
        }
    }
}

pub(crate) fn decrypt(key: &sm2::SecretKey, ciphertext: &[u8]) -> Result<Vec<u8>> {
    let (x1, y1, c3, c2) = parse(ciphertext).ok_or_else(|| {
        Error::Crypto(
            "the SM2 ciphertext is not C1C3C2 (DER SEQUENCE { x, y, hash, cipherText } or 04‖x‖y‖hash‖cipherText)"
                .into(),
        )
    })?;
    let point = EncodedPoint::from_affine_coordinates(&x1, &y1, false);
    let c1: Option<AffinePoint> = AffinePoint::from_encoded_point(&point).into();
    let c1 =
        c1.ok_or_else(|| Error::Crypto("the SM2 ciphertext's C1 is not on the curve".into()))?;
    let scalar: Scalar = *key.to_nonzero_scalar();
    let shared = ProjectivePoint::from(c1) * scalar;
    let (x2, y2) = xy(&shared).ok_or_else(failed)?;
    let mut z = Zeroizing::new(x2.to_vec());
    z.extend_from_slice(&y2);
    let t = kdf(&z, c2.len());
    let plaintext: Vec<u8> = c2.iter().zip(t.iter()).map(|(c, t)| c ^ t).collect();
    let mut h = Sm3::new();
    h.update(x2);
    h.update(&plaintext);
    h.update(y2);
    let expected = h.finalize();
    // Compared in full, without an early exit.
    let diff = expected
        .iter()
        .zip(c3.iter())
        .fold(0u8, |acc, (a, b)| acc | (a ^ b));
    if diff != 0 || c3.len() != 32 {
        return Err(failed());
    }
    Ok(plaintext)
}

type Parts<'a> = (FieldBytes, FieldBytes, &'a [u8], &'a [u8]);

fn parse(ciphertext: &[u8]) -> Option<Parts<'_>> {
    if let Some(mut seq) = der_sequence(ciphertext) {
        let x = seq.next_uint()?;
        let y = seq.next_uint()?;
        let c3 = seq.next(0x04)?;
        let c2 = seq.next(0x04)?;
        return seq.finished().then_some((x, y, c3, c2));
    }
    // The raw form some tools write: 04 ‖ x ‖ y ‖ C3 ‖ C2.
    if ciphertext.len() >= 97 && ciphertext[0] == 0x04 {
        let x = FieldBytes::clone_from_slice(&ciphertext[1..33]);
        let y = FieldBytes::clone_from_slice(&ciphertext[33..65]);
        return Some((x, y, &ciphertext[65..97], &ciphertext[97..]));
    }
    None
}

// ---------------------------------------------------------------------------------------------
// DER, just what SM2 exchanges: SEQUENCE, positive INTEGER, OCTET STRING.

/// Tag, length (short or long form), value.
pub(crate) fn der_tlv(tag: u8, value: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = value.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len
            .to_be_bytes()
            .into_iter()
            .skip_while(|b| *b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
    out.extend_from_slice(value);
    out
}

/// A non-negative big-endian integer, minimally encoded.
pub(crate) fn der_uint(bytes: &[u8]) -> Vec<u8> {
    let trimmed: &[u8] = match bytes.iter().position(|b| *b != 0) {
        Some(i) => &bytes[i..],
        None => &[0],
    };
    let mut value = Vec::with_capacity(trimmed.len() + 1);
    if trimmed[0] & 0x80 != 0 {
        value.push(0);
    }
    value.extend_from_slice(trimmed);
    der_tlv(0x02, &value)
}

/// The items of a DER SEQUENCE that spans all of `der`.
pub(crate) struct DerItems<'a>(&'a [u8]);

pub(crate) fn der_sequence(der: &[u8]) -> Option<DerItems<'_>> {
    let (tag, value, rest) = read_tlv(der)?;
    (tag == 0x30 && rest.is_empty()).then_some(DerItems(value))
}

fn read_tlv(der: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = der.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (first as usize, rest)
    } else {
        let n = (first & 0x7f) as usize;
        if n == 0 || n > 4 || rest.len() < n || rest[0] == 0 {
            return None;
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | *b as usize);
        if len < 0x80 {
            return None;
        }
        (len, &rest[n..])
    };
    (rest.len() >= len).then(|| (tag, &rest[..len], &rest[len..]))
}

impl<'a> DerItems<'a> {
    pub(crate) fn next(&mut self, tag: u8) -> Option<&'a [u8]> {
        let (t, value, rest) = read_tlv(self.0)?;
        self.0 = rest;
        (t == tag).then_some(value)
    }

    /// A positive INTEGER of at most 32 bytes (minimal DER), left-padded to 32.
    pub(crate) fn next_uint(&mut self) -> Option<FieldBytes> {
        let value = self.next(0x02)?;
        let digits = match value {
            [0, rest @ ..] if rest.first().is_some_and(|b| b & 0x80 != 0) => rest,
            [first, ..] if first & 0x80 == 0 && !(value.len() > 1 && *first == 0) => value,
            _ => return None,
        };
        if digits.len() > 32 {
            return None;
        }
        let mut out = FieldBytes::default();
        out[32 - digits.len()..].copy_from_slice(digits);
        Some(out)
    }

    pub(crate) fn finished(&self) -> bool {
        self.0.is_empty()
    }
}
