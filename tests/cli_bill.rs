//! `wechatpay bill` against the emulator, the real binary over loopback: trade and fund-flow
//! bills, a gzip bill checked unpacked (kept packed, or unpacked with `--gunzip`), the progress
//! line, a digest mismatch and a bad date.

mod cli_common;
use cli_common::{run, Emulator};
use flate2::read::GzDecoder;
use serde_json::json;
use std::io::Read;
use wechatpay::mock::Answer;

/// Today in Beijing (+08:00), the date the emulator's bills go by (POSIX `TZ` offsets are
/// west-positive, so `UTC-8` is eight hours east).
fn today() -> String {
    let out = std::process::Command::new("date")
        .env("TZ", "UTC-8")
        .arg("+%F")
        .output()
        .expect("the date command");
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// An emulator with one paid order (`CB1`, 3.00) refunded in part (`CBR1`, 1.00) today, whose
/// bills it hands out the same day (WeChat Pay makes them the next morning).
fn with_a_day_of_business(tag: &str) -> Emulator {
    let emu = Emulator::start(tag);
    emu.server.set_same_day_bills(true);
    let client = emu.server.client_builder().build().unwrap();
    emu.rt.block_on(async {
        client
            .chain("v3/pay/transactions/jsapi")
            .post(json!({"json": {
                "appid": "wxd678efh567hg6787", "mchid": "1900000001", "description": "bill test",
                "out_trade_no": "CB1", "notify_url": "http://127.0.0.1:9/",
                "amount": {"total": 300, "currency": "CNY"}, "payer": {"openid": "o1"},
            }}))
            .await
            .unwrap();
        emu.server.pay("CB1").unwrap();
        client
            .chain("v3/refund/domestic/refunds")
            .post(
                json!({"json": {"out_trade_no": "CB1", "out_refund_no": "CBR1",
                "amount": {"refund": 100, "total": 300, "currency": "CNY"}}}),
            )
            .await
            .unwrap();
    });
    emu
}

fn path(emu: &Emulator, name: &str) -> (std::path::PathBuf, String) {
    let p = emu.dir.join(name);
    let s = p.display().to_string();
    (p, s)
}

#[test]
fn trade_and_fundflow_bills_download_checked() {
    let emu = with_a_day_of_business("cli-bill-kinds");
    let date = today();
    let (trade, t) = path(&emu, "trade.csv");
    let (code, _, err) = run(&["bill", "trade", "--date", &date, "--out", &t], &emu.vars);
    assert_eq!(code, 0, "{err}");
    let text = std::fs::read_to_string(&trade).unwrap();
    assert!(text.starts_with("\u{feff}交易时间,"), "{text}");
    assert!(text.contains("`CB1,") && text.contains("`CBR1,"), "{text}");
    assert!(err.contains("SHA1") && err.contains("checked"), "{err}");
    assert!(
        !err.contains(" bytes"),
        "no progress into a pipe unasked: {err}"
    );

    let (fund, f) = path(&emu, "fund.csv");
    let (code, _, err) = run(
        &["bill", "fundflow", "--date", &date, "--out", &f],
        &emu.vars,
    );
    assert_eq!(code, 0, "{err}");
    let text = std::fs::read_to_string(&fund).unwrap();
    assert!(text.starts_with("\u{feff}记账时间,"), "{text}");
    assert!(text.contains("`收入,`3.00,`3.00,"), "{text}");
    assert!(text.contains("`支出,`1.00,`2.00,"), "{text}");
    assert!(text.contains("`2,`1,`3.00,`1,`1.00"), "the totals: {text}");
    let (code, _, err) = run(
        &[
            "bill", "fundflow", "--date", &date, "--type", "FEES", "--out", &f,
        ],
        &emu.vars,
    );
    // The fees account did not move that day: WeChat Pay has no bill of it (an API error: 3).
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("NO_STATEMENT_EXIST"), "{err}");
}

#[test]
fn a_gzip_bill_is_checked_unpacked_and_saved_packed_or_unpacked() {
    let emu = with_a_day_of_business("cli-bill-gzip");
    let date = today();
    let (plain, p) = path(&emu, "plain.csv");
    let (code, _, err) = run(&["bill", "trade", "--date", &date, "--out", &p], &emu.vars);
    assert_eq!(code, 0, "{err}");
    let plain = std::fs::read(&plain).unwrap();

    let (packed, g) = path(&emu, "trade.csv.gz");
    let args = [
        "bill",
        "trade",
        "--date",
        &date,
        "--tar-type",
        "GZIP",
        "--out",
        &g,
    ];
    let (code, _, err) = run(&args, &emu.vars);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("gzip, as received"), "{err}");
    let packed = std::fs::read(&packed).unwrap();
    assert_eq!(&packed[..2], &[0x1f, 0x8b]);
    let mut unpacked = Vec::new();
    GzDecoder::new(&packed[..])
        .read_to_end(&mut unpacked)
        .unwrap();
    assert_eq!(unpacked, plain);

    let (out, u) = path(&emu, "unpacked.csv");
    let (code, _, err) = run(
        &[
            "bill",
            "trade",
            "--date",
            &date,
            "--tar-type",
            "gzip",
            "--gunzip",
            "--progress",
            "--out",
            &u,
        ],
        &emu.vars,
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(std::fs::read(&out).unwrap(), plain, "unpacked");
    let total = packed.len();
    assert!(
        err.contains(&format!("{total} of {total} bytes (100%)")),
        "the progress counts the bytes received: {err}"
    );
    assert!(err.contains("(unpacked)"), "{err}");
}

#[test]
fn a_mismatching_digest_exits_1_and_keeps_the_file() {
    let emu = with_a_day_of_business("cli-bill-mismatch");
    let (file, f) = path(&emu, "trade.csv");
    std::fs::write(&file, "yesterday's bill").unwrap();
    let url = format!("{}v3/billdownload/file?token=T1", emu.server.url());
    emu.server.on(
        "GET",
        "v3/bill/tradebill",
        Answer::json(
            200,
            json!({"download_url": url, "hash_type": "SHA1",
                "hash_value": "0000000000000000000000000000000000000000"}),
        ),
    );
    emu.server.on(
        "GET",
        "v3/billdownload/file",
        Answer::raw(200, b"tampered,bill\n".to_vec()),
    );
    for gunzip in [false, true] {
        let mut args = vec!["bill", "trade", "--date", "2019-06-11", "--out", &f];
        if gunzip {
            args.push("--gunzip");
        }
        let (code, _, err) = run(&args, &emu.vars);
        assert_eq!(code, 1, "{err}");
        assert!(err.contains("SHA1"), "{err}");
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "yesterday's bill");
        let names: Vec<_> = std::fs::read_dir(&emu.dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".part"))
            .collect();
        assert!(names.is_empty(), "{names:?}");
    }
}

#[test]
fn a_bad_date_or_packing_exits_2_with_nothing_sent() {
    let emu = Emulator::start("cli-bill-date");
    let (file, f) = path(&emu, "trade.csv");
    let before = emu.server.journal().len();
    for bad in ["2019-02-30", "2019-6-11", "20190611", "yesterday"] {
        let (code, _, err) = run(&["bill", "trade", "--date", bad, "--out", &f], &emu.vars);
        assert_eq!(code, 2, "{bad}: {err}");
        assert!(
            err.contains("--date") && err.contains("YYYY-MM-DD"),
            "{err}"
        );
    }
    let (code, _, err) = run(
        &[
            "bill",
            "trade",
            "--date",
            "2019-06-11",
            "--tar-type",
            "ZIP",
            "--out",
            &f,
        ],
        &emu.vars,
    );
    assert_eq!(code, 2, "{err}");
    assert_eq!(emu.server.journal().len(), before, "nothing was sent");
    assert!(!file.exists());
}

/// A file's bytes mapped rather than read, so they are resident in this process only once the
/// emulator sends them, after the binary has started: Linux carries the parent's peak memory
/// over `exec` into the child's `ru_maxrss`.
#[cfg(target_os = "linux")]
struct Mapped(*const u8, usize);

// SAFETY: a read-only private mapping, unmapped once, on drop.
#[cfg(target_os = "linux")]
unsafe impl Send for Mapped {}

#[cfg(target_os = "linux")]
impl Mapped {
    fn open(path: &std::path::Path) -> Mapped {
        use std::os::fd::AsRawFd as _;
        let file = std::fs::File::open(path).unwrap();
        let len = file.metadata().unwrap().len() as usize;
        // SAFETY: mapping a whole regular file read-only; nothing writes to it meanwhile.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ,
                libc::MAP_PRIVATE,
                file.as_raw_fd(),
                0,
            )
        };
        assert_ne!(ptr, libc::MAP_FAILED);
        Mapped(ptr as *const u8, len)
    }
}

#[cfg(target_os = "linux")]
impl AsRef<[u8]> for Mapped {
    fn as_ref(&self) -> &[u8] {
        // SAFETY: the mapping lives as long as `self`.
        unsafe { std::slice::from_raw_parts(self.0, self.1) }
    }
}

#[cfg(target_os = "linux")]
impl Drop for Mapped {
    fn drop(&mut self) {
        // SAFETY: the mapping made in `open`, unmapped once.
        unsafe { libc::munmap(self.0 as *mut libc::c_void, self.1) };
    }
}

#[test]
#[cfg(target_os = "linux")]
fn a_saved_bill_is_never_read_whole_to_tell_gzip() {
    use sha1::{Digest, Sha1};
    use std::io::Write as _;
    // Larger than the binary's own footprint, so reading it whole shows in its peak.
    const SIZE: u64 = 96 * 1024 * 1024;
    let emu = Emulator::start("cli-bill-head");
    let (source, _) = path(&emu, "source.csv");
    let mut chunk = "交易时间,公众账号ID\n".as_bytes().to_vec();
    while chunk.len() < 1024 * 1024 {
        chunk.extend_from_slice(b"`2019-06-11 10:00:00,`wx1,`1900000001,`4200000001,`CB1\n");
    }
    let mut file = std::io::BufWriter::new(std::fs::File::create(&source).unwrap());
    let (mut hash, mut size) = (Sha1::new(), 0u64);
    while size < SIZE {
        file.write_all(&chunk).unwrap();
        hash.update(&chunk);
        size += chunk.len() as u64;
    }
    file.flush().unwrap();
    drop(file);
    let url = format!("{}v3/billdownload/file?token=T1", emu.server.url());
    emu.server.on(
        "GET",
        "v3/bill/tradebill",
        Answer::json(
            200,
            json!({"download_url": url, "hash_type": "SHA1",
                "hash_value": hex::encode(hash.finalize())}),
        ),
    );
    let bill = bytes::Bytes::from_owner(Mapped::open(&source));
    emu.server
        .on("GET", "v3/billdownload/file", Answer::raw(200, bill));
    let (file, f) = path(&emu, "big.csv");
    let run = cli_common::run_measured(
        &["bill", "trade", "--date", "2019-06-11", "--out", &f],
        &emu.vars,
    );
    assert_eq!(run.code, 0, "{}", run.err);
    assert_eq!(std::fs::metadata(&file).unwrap().len(), size);
    assert!(!run.err.contains("gzip"), "{}", run.err);
    assert!(
        run.peak_rss < 64 * 1024 * 1024,
        "peak RSS {} MB for a {} MB bill",
        run.peak_rss >> 20,
        size >> 20
    );
}
