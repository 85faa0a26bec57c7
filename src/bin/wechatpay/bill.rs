//! `bill`: ask for a trade or fund-flow bill, then download it checked against its digest
//! (a gzip bill unpacked first, as WeChat Pay computes it), with a progress line on stderr.

use crate::config::Selection;
use crate::shown;
use serde_json::{json, Value};
use std::io::IsTerminal;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use wechatpay::Error;

/// What `bill` was asked for.
pub(crate) struct Request<'a> {
    pub kind: &'a str,
    pub date: &'a str,
    pub bill_type: Option<&'a str>,
    pub tar_type: Option<&'a str>,
    pub gunzip: bool,
    pub progress: bool,
}

/// Refuses a date WeChat Pay would refuse, before anything is sent (exit 2).
fn check_date(date: &str) -> Result<(), Error> {
    let bad = || Error::Argument {
        name: "--date".into(),
        reason: format!("`{date}` is not a date in the form YYYY-MM-DD (e.g. 2019-06-11)"),
    };
    let b = date.as_bytes();
    let digits = |r: std::ops::Range<usize>| {
        b[r.clone()]
            .iter()
            .all(u8::is_ascii_digit)
            .then(|| date[r].parse::<u32>().ok())
    };
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return Err(bad());
    }
    let (Some(Some(y)), Some(Some(m)), Some(Some(d))) = (digits(0..4), digits(5..7), digits(8..10))
    else {
        return Err(bad());
    };
    let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return Err(bad()),
    };
    if d == 0 || d > days {
        return Err(bad());
    }
    Ok(())
}

/// The call asking for the bill's URL, and its query.
fn ask(r: &Request) -> Result<(&'static str, Value), Error> {
    let (template, mut query) = match r.kind {
        "trade" | "tradebill" => (
            "v3/bill/tradebill",
            json!({"bill_date": r.date, "bill_type": r.bill_type.unwrap_or("ALL")}),
        ),
        "fundflow" | "fundflowbill" => (
            "v3/bill/fundflowbill",
            json!({"bill_date": r.date, "account_type": r.bill_type.unwrap_or("BASIC")}),
        ),
        other => {
            return Err(Error::Argument {
                name: "KIND".into(),
                reason: format!("`{other}` is not trade or fundflow"),
            })
        }
    };
    if let Some(t) = r.tar_type {
        query["tar_type"] = json!(t.to_ascii_uppercase());
    }
    Ok((template, query))
}

pub(crate) fn bill(sel: &Selection, r: &Request, out: &Path) -> Result<(), Error> {
    check_date(r.date)?;
    let (template, query) = ask(r)?;
    let tty = std::io::stderr().is_terminal();
    let meter = (r.progress || tty).then(|| Arc::new(Meter::new(tty)));
    let hook = meter.clone().map(|m| {
        Arc::new(move |received, total| m.update(received, total)) as wechatpay::DownloadProgress
    });
    let client = wechatpay::blocking::Client::from(crate::config::client_with_progress(sel, hook)?);
    let res = client.chain(template).get(json!({ "query": query }))?;
    let v = res.json()?;
    let field = |name: &str| -> Result<String, Error> {
        v.get(name)
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| Error::Decode {
                what: "the bill answer",
                reason: format!("no `{name}`"),
            })
    };
    let (url, hash_type, hash_value) = (
        field("download_url")?,
        field("hash_type")?,
        field("hash_value")?,
    );
    eprintln!(
        "{} {} -> {}",
        res.status().as_u16(),
        shown::text(res.request_id().unwrap_or("")),
        out.display()
    );
    let file = client.chain("{+download_url}").get(json!({
        "download_url": url,
        "sink": out.display().to_string(),
        "gunzip": r.gunzip,
        "digest": {"hash_type": hash_type, "hash_value": hash_value},
    }));
    if let Some(m) = &meter {
        m.done();
    }
    let file = file?;
    // The library unpacks whatever starts with the gzip magic; say what the file holds.
    let packed = !r.gunzip && gzip_magic(out);
    let note = match (packed, r.gunzip && r.tar_type.is_some()) {
        (true, _) => " (gzip, as received; its digest is of the unpacked bill)",
        (false, true) => " (unpacked)",
        _ => "",
    };
    eprintln!(
        "{} {} saved {}{note} ({} {} checked)",
        file.status().as_u16(),
        shown::text(file.request_id().unwrap_or("")),
        out.display(),
        shown::text(&hash_type),
        shown::text(&hash_value),
    );
    Ok(())
}

/// True when the file starts with the gzip magic `1f 8b`: two bytes read, never the whole bill.
fn gzip_magic(path: &Path) -> bool {
    use std::io::Read as _;
    let mut head = [0u8; 2];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .is_ok_and(|()| head == [0x1f, 0x8b])
}

/// The progress line: redrawn in place on a terminal at most ten times a second, else (with
/// `--progress` into a file or pipe) one line a second, so a log is not flooded.
struct Meter {
    tty: bool,
    state: Mutex<Shown>,
}

#[derive(Default)]
struct Shown {
    at: Option<Instant>,
    received: u64,
    total: Option<u64>,
    /// The `received` last printed.
    printed: Option<u64>,
}

impl Meter {
    fn new(tty: bool) -> Meter {
        Meter {
            tty,
            state: Mutex::default(),
        }
    }

    fn update(&self, received: u64, total: Option<u64>) {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        (s.received, s.total) = (received, total);
        let every = Duration::from_millis(if self.tty { 100 } else { 1000 });
        if total == Some(received) || s.at.is_none_or(|t| t.elapsed() >= every) {
            self.print(&mut s);
        }
    }

    fn print(&self, s: &mut Shown) {
        let line = match s.total {
            Some(t) if t > 0 => format!(
                "{} of {t} bytes ({}%)",
                s.received,
                s.received.min(t) * 100 / t
            ),
            _ => format!("{} bytes", s.received),
        };
        if self.tty {
            eprint!("\r{line}\x1b[K");
        } else {
            eprintln!("{line}");
        }
        s.at = Some(Instant::now());
        s.printed = Some(s.received);
    }

    /// The last count if it was not shown, and the end of the redrawn line.
    fn done(&self) {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if s.at.is_some() && s.printed != Some(s.received) {
            self.print(&mut s);
        }
        if self.tty && s.at.is_some() {
            eprintln!();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::check_date;

    #[test]
    fn dates() {
        for good in ["2019-06-11", "2024-02-29", "2000-02-29", "2019-12-31"] {
            assert!(check_date(good).is_ok(), "{good}");
        }
        for bad in [
            "2019-6-11",
            "20190611",
            "2019-13-01",
            "2019-02-29",
            "1900-02-29",
            "2019-06-00",
            "2019-06-31",
            "２０１９-06-11",
            "2019-06-1x",
            "+019-06-11",
        ] {
            assert!(check_date(bad).is_err(), "{bad}");
        }
    }
}
