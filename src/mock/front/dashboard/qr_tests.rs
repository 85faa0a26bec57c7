//! QR encoder tests: the standard's own values, and another decoder reading the codes back.

use super::*;

#[test]
fn reed_solomon_of_the_standards_example() {
    // "HELLO WORLD" at 1-M (alphanumeric): its data and error correction codewords.
    let data = [
        32, 91, 11, 120, 209, 114, 220, 77, 67, 64, 236, 17, 236, 17, 236, 17,
    ];
    let ec = rs_remainder(&data, &rs_divisor(10));
    assert_eq!(ec, [196, 35, 39, 119, 235, 215, 231, 226, 93, 23]);
}

#[test]
fn format_and_version_information() {
    let mut m = Matrix::new(7);
    m.function_patterns();
    // Level M, mask 0: 101010000010010, bit 14 first along row 8 from the left.
    let row: String = (0..6)
        .chain([7, 8])
        .map(|x| if m.modules[8][x] { '1' } else { '0' })
        .collect();
    assert_eq!(row, "10101000");
    // Version 7's information, 0x07C94, bit 0 at the top-right block's corner.
    let bits: u32 = (0..18)
        .map(|i| u32::from(m.modules[i / 3][m.size - 11 + i % 3]) << i)
        .sum();
    assert_eq!(bits, 0x07C94);
}

#[test]
fn sizes_and_capacity() {
    assert_eq!(encode(b"a").unwrap().len(), 21);
    assert_eq!(encode(&[b'x'; 213]).unwrap().len(), 57);
    assert!(encode(&[b'x'; 214]).is_none());
    assert!(svg(b"weixin://wxpay/bizpayurl?pr=abc")
        .unwrap()
        .starts_with("<svg"));
}

mod decoded {
    /// A PGM of the code, 6 pixels a module, quiet zone included.
    fn pgm(m: &[Vec<bool>]) -> String {
        let (n, s) = (m.len() + 8, 6);
        let mut out = format!("P2\n{0} {0}\n255\n", n * s);
        for y in 0..n * s {
            for x in 0..n * s {
                let (mx, my) = ((x / s).wrapping_sub(4), (y / s).wrapping_sub(4));
                let dark = m.get(my).and_then(|r| r.get(mx)).copied().unwrap_or(false);
                out.push_str(if dark { "0 " } else { "255 " });
            }
            out.push('\n');
        }
        out
    }

    /// Read back by another decoder (zbar's), where installed: versions 1, 6 or so, and 10.
    #[test]
    fn zbar_reads_what_was_encoded() {
        let link = "http://127.0.0.1:41234/__emulator/?token=abcdefghijklmnopqrstuvwxyz012345#pay=1217752501201407033233368018";
        let long = "x".repeat(200);
        let dir = std::env::temp_dir().join(format!("wechatpay-qr-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for (i, text) in ["hello", link, &long].iter().enumerate() {
            let path = dir.join(format!("{i}.pgm"));
            std::fs::write(&path, pgm(&super::super::encode(text.as_bytes()).unwrap())).unwrap();
            let Ok(out) = std::process::Command::new("zbarimg")
                .arg("-q")
                .arg("--raw")
                .arg(&path)
                .output()
            else {
                eprintln!("zbar_reads_what_was_encoded skipped: zbarimg is not installed (apt-get install zbar-tools)");
                break;
            };
            assert_eq!(String::from_utf8_lossy(&out.stdout).trim_end(), *text);
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
