//! `bill_date` as WeChat Pay checks it: a real calendar day in the call's form (APIv3
//! `yyyy-MM-dd`, APIv2 `yyyyMMdd`), within the last three months (Beijing time), and a day whose
//! bill is made: today's is made the next morning, a future day's never yet.

use crate::mock::protocol::notification::beijing_time;

/// Why a `bill_date` gets no bill.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DayRefusal {
    /// Not a date in the call's form, or no such day (`2026-13-45`, `20260101` for APIv3).
    Malformed,
    /// More than three months back: WeChat Pay hands out bills of the last three months only.
    TooOld,
    /// Today (Beijing): the bill is made the next morning.
    Today,
    /// A day still to come.
    Future,
}

/// The day `date` names, as `yyyy-MM-dd`, when a bill of it may exist at unix time `now`.
/// `compact` is the APIv2 form `yyyyMMdd`; otherwise APIv3's `yyyy-MM-dd`.
pub(crate) fn check(date: &str, compact: bool, now: i64) -> Result<String, DayRefusal> {
    let (y, m, d) = parse(date, compact).ok_or(DayRefusal::Malformed)?;
    let today = civil(&beijing_time(now)[..10]).ok_or(DayRefusal::Malformed)?;
    let day = (y, m, d);
    if day > today {
        return Err(DayRefusal::Future);
    }
    if day == today {
        return Err(DayRefusal::Today);
    }
    if day < three_months_before(today) {
        return Err(DayRefusal::TooOld);
    }
    Ok(format!("{y:04}-{m:02}-{d:02}"))
}

/// `yyyy-MM-dd` (or `yyyyMMdd` when `compact`) of a day that exists.
fn parse(date: &str, compact: bool) -> Option<(i64, i64, i64)> {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let (y, m, d) = if compact {
        if date.len() != 8 || !digits(date) {
            return None;
        }
        (&date[..4], &date[4..6], &date[6..])
    } else {
        let b = date.as_bytes();
        if date.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        let (y, m, d) = (&date[..4], &date[5..7], &date[8..]);
        if !(digits(y) && digits(m) && digits(d)) {
            return None;
        }
        (y, m, d)
    };
    let (y, m, d) = (y.parse().ok()?, m.parse().ok()?, d.parse().ok()?);
    ((1..=12).contains(&m) && (1..=days_in(y, m)).contains(&d)).then_some((y, m, d))
}

fn civil(date: &str) -> Option<(i64, i64, i64)> {
    parse(date, false)
}

fn days_in(y: i64, m: i64) -> i64 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// The same day three months earlier, the end of that month when it is shorter (three months
/// before 05-31 is 02-28 or 02-29).
fn three_months_before((y, m, d): (i64, i64, i64)) -> (i64, i64, i64) {
    let (y, m) = if m > 3 { (y, m - 3) } else { (y - 1, m + 9) };
    (y, m, d.min(days_in(y, m)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-06-15 12:00 in Beijing.
    const NOW: i64 = 1_781_496_000;

    #[test]
    fn the_forms_and_the_calendar() {
        assert_eq!(&beijing_time(NOW)[..10], "2026-06-15");
        assert_eq!(check("2026-06-14", false, NOW), Ok("2026-06-14".into()));
        assert_eq!(check("20260614", true, NOW), Ok("2026-06-14".into()));
        for bad in [
            "2026-13-45",
            "20260101",
            "2026-02-30",
            "2026-6-14",
            "2026/06/14",
            "２０２６-06-14",
            "",
        ] {
            assert_eq!(check(bad, false, NOW), Err(DayRefusal::Malformed), "{bad}");
        }
        for bad in ["2026-06-14", "20261345", "2026061", "2026O614"] {
            assert_eq!(check(bad, true, NOW), Err(DayRefusal::Malformed), "{bad}");
        }
        assert_eq!(check("2024-02-29", false, NOW), Err(DayRefusal::TooOld));
        assert_eq!(check("2025-02-29", false, NOW), Err(DayRefusal::Malformed));
    }

    #[test]
    fn today_future_and_three_months_back() {
        assert_eq!(check("2026-06-15", false, NOW), Err(DayRefusal::Today));
        assert_eq!(check("2026-06-16", false, NOW), Err(DayRefusal::Future));
        assert_eq!(check("2099-01-01", false, NOW), Err(DayRefusal::Future));
        assert_eq!(check("2026-03-15", false, NOW), Ok("2026-03-15".into()));
        assert_eq!(check("2026-03-14", false, NOW), Err(DayRefusal::TooOld));
        assert_eq!(check("2019-06-11", false, NOW), Err(DayRefusal::TooOld));
        // Across a year, and from a day a shorter month lacks.
        assert_eq!(three_months_before((2026, 2, 10)), (2025, 11, 10));
        assert_eq!(three_months_before((2026, 5, 31)), (2026, 2, 28));
        assert_eq!(three_months_before((2024, 5, 31)), (2024, 2, 29));
    }
}
