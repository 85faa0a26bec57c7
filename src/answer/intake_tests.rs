use super::*;
use flate2::{write::GzEncoder, Compression};
use serde_json::json;

fn gz(data: &[u8]) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn sha1_of(data: &[u8]) -> Expected {
    Expected::parse(json!({"hash_type": "SHA1", "hash_value": crate::keys::crypto::sha1_hex(data)}))
        .unwrap()
}

/// Feeds `body` in chunks of `size` and finishes.
fn check(body: &[u8], digest: Expected, size: usize, max: u64) -> Result<()> {
    let mut intake = Intake::new(Some(digest), None, false, max);
    for c in body.chunks(size) {
        intake.update(c)?;
    }
    intake.finish().map(drop)
}

const BILL: &[u8] =
    "交易时间,公众账号ID,商户号\n`2019-06-11 10:00:00,`wx1,`1900000001\n".as_bytes();

#[test]
fn a_gzip_body_is_checked_unpacked_however_it_is_split() {
    let body = gz(BILL);
    for size in [1, 2, 3, 7, body.len()] {
        check(&body, sha1_of(BILL), size, 1 << 20).unwrap();
        // The digest of the bytes received is not the bill's.
        let e = check(&body, sha1_of(&body), size, 1 << 20).unwrap_err();
        assert!(matches!(e, Error::Signature(_)), "{e}");
    }
}

#[test]
fn a_plain_body_is_checked_as_received() {
    check(BILL, sha1_of(BILL), 5, 1 << 20).unwrap();
    check(b"x", sha1_of(b"x"), 1, 1 << 20).unwrap();
    check(b"", sha1_of(b""), 1, 1 << 20).unwrap();
}

#[test]
fn concatenated_members_are_one_bill() {
    let (a, b) = BILL.split_at(10);
    let mut body = gz(a);
    body.extend(gz(b));
    check(&body, sha1_of(BILL), 4, 1 << 20).unwrap();
}

#[test]
fn a_bomb_stops_at_the_bound() {
    let zeros = vec![0u8; 4 << 20];
    let body = gz(&zeros);
    assert!(body.len() < 8 << 10, "{} bytes", body.len());
    let e = check(&body, sha1_of(&zeros), 1024, 1 << 20).unwrap_err();
    assert!(
        matches!(
            e,
            Error::Limit {
                limit: "max_download_bytes",
                ..
            }
        ),
        "{e}"
    );
    check(&body, sha1_of(&zeros), 1024, 4 << 20).unwrap();
}

#[test]
fn corrupt_truncated_or_trailing_gzip_is_a_decode_error() {
    let body = gz(BILL);
    let mut corrupt = body.clone();
    corrupt[12] ^= 0xff;
    let mut crc = body.clone();
    let n = crc.len();
    crc[n - 6] ^= 1;
    let mut trailing = body.clone();
    trailing.extend_from_slice(b"garbage!");
    for bad in [
        corrupt,
        crc,
        body[..body.len() - 3].to_vec(),
        body[..15].to_vec(),
        trailing,
    ] {
        let e = check(&bad, sha1_of(BILL), 4, 1 << 20).unwrap_err();
        assert!(
            matches!(
                e,
                Error::Decode {
                    what: "the gzip download",
                    ..
                }
            ),
            "{e}"
        );
    }
}

#[test]
fn a_gzip_mismatch_says_the_digest_is_of_the_unpacked_bytes() {
    let body = gz(BILL);
    let e = check(&body, sha1_of(b"another bill"), 5, 1 << 20).unwrap_err();
    let Error::Signature(m) = &e else {
        panic!("{e}")
    };
    let want = format!(
        "computed over the {} bytes the gzip download unpacks to, not over the {} bytes received",
        BILL.len(),
        body.len()
    );
    assert!(m.contains(&want), "{m}");
    // A plain body's mismatch says nothing of unpacking.
    let e = check(BILL, sha1_of(b"another bill"), 5, 1 << 20).unwrap_err();
    assert!(!e.to_string().contains("unpack"), "{e}");
}

#[test]
fn a_gzip_decode_error_says_where_the_stream_broke() {
    let body = gz(BILL);
    let mut trailing = body.clone();
    trailing.extend_from_slice(b"garbage!");
    let e = check(&trailing, sha1_of(BILL), 4, 1 << 20).unwrap_err();
    let at = format!("after {} unpacked", BILL.len());
    assert!(e.to_string().contains(&at), "{e}");
    assert!(e.to_string().contains("within its first"), "{e}");
    // Truncated: found at the end, with the whole body received.
    let short = &body[..body.len() - 3];
    let e = check(short, sha1_of(BILL), 4, 1 << 20).unwrap_err();
    let within = format!("within its first {} bytes", short.len());
    assert!(e.to_string().contains(&within), "{e}");
}

#[test]
fn many_empty_members_count_toward_the_bound() {
    // 20-byte empty members: each would cost a fresh inflate state for nothing unpacked.
    let member = gz(b"");
    let body = member.repeat(4096);
    let e = check(&body, sha1_of(b""), 4096, 1 << 20).unwrap_err();
    assert!(
        matches!(
            e,
            Error::Limit {
                limit: "max_download_bytes",
                ..
            }
        ),
        "{e}"
    );
    assert!(e.to_string().contains("more than 1024 members"), "{e}");
    // Up to a member per KiB of the bound is fine; a lone member always is.
    check(&member.repeat(1024), sha1_of(b""), 7, 1 << 20).unwrap();
    check(&gz(BILL), sha1_of(BILL), 7, 100).unwrap();
    let mut two = gz(&BILL[..10]);
    two.extend(gz(&BILL[10..]));
    assert!(check(&two, sha1_of(BILL), 7, 1023).is_err());
    check(&two, sha1_of(BILL), 7, 2048).unwrap();
}
