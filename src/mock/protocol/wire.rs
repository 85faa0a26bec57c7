//! The headers WeChat Pay puts on every answer and notification besides the signature:
//! `Request-ID` in its own form and `Content-Type` as it writes it.

/// `Content-Type` as WeChat Pay writes it on an answer: JSON with `; charset=utf-8` (the
/// official SDKs' tests answer so: wechatpay-go `core/downloader`, wechatpay-java
/// `AutoCertificateServiceTest`); other types as given.
pub(crate) fn content_type(given: &'static str) -> &'static str {
    match given {
        "application/json" => "application/json; charset=utf-8",
        other => other,
    }
}

/// A `Request-ID` in WeChat Pay's form, for an answer or notification made at `unix`.
///
/// The documentation's example, `08F78BB5AF0610D302189F99DD5C20BA56F89845-0` (every callback
/// page's request headers), is upper-case hex of protobuf-style fields, then `-0`: the first
/// (`08`, a varint) decodes to 1710048759, the `Wechatpay-Timestamp` of the same example. So:
/// `08` and the time, then fields 2 to 5 (`10`, `18`, `20`, `28`) with random varints, then `-0`.
pub(crate) fn request_id(unix: i64) -> String {
    let mut random = [0u8; 12];
    // Zeros if the source fails: still an id of the right form, and no panic on an answer path.
    let _ = getrandom::getrandom(&mut random);
    let word = |i: usize| {
        u64::from(u32::from_le_bytes([
            random[i],
            random[i + 1],
            random[i + 2],
            random[i + 3],
        ]))
    };
    let fields = [
        (0x08, u64::try_from(unix).unwrap_or(0)),
        (
            0x10,
            u64::from(u16::from_le_bytes([random[0], random[1]]) % 1024),
        ),
        (0x18, word(2)),
        (0x20, u64::from(u16::from_le_bytes([random[6], random[7]]))),
        (0x28, word(8) % (1 << 21)),
    ];
    let mut out = String::with_capacity(48);
    for (tag, value) in fields {
        out.push_str(&format!("{tag:02X}"));
        varint(&mut out, value);
    }
    out.push_str("-0");
    out
}

/// `value` as a protobuf varint, in upper-case hex.
fn varint(out: &mut String, mut value: u64) {
    loop {
        let low = (value & 0x7F) as u8;
        value >>= 7;
        if value == 0 {
            out.push_str(&format!("{low:02X}"));
            return;
        }
        out.push_str(&format!("{:02X}", low | 0x80));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_time_field_and_the_form() {
        let mut s = String::new();
        varint(&mut s, 1_710_048_759);
        // The first field of the documentation's example.
        assert_eq!(s, "F78BB5AF06");
        let id = request_id(1_710_048_759);
        assert!(id.starts_with("08F78BB5AF0610"), "{id}");
        assert!(id.ends_with("-0"), "{id}");
        let hex = id.trim_end_matches("-0");
        assert!(
            hex.bytes()
                .all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(&b)),
            "{id}"
        );
        assert_ne!(request_id(1), request_id(1));
        assert_eq!(
            content_type("application/json"),
            "application/json; charset=utf-8"
        );
        assert_eq!(content_type("text/xml"), "text/xml");
    }
}
