//! Calendar words: reporting months (`YYYY-MM`) and the bounds stored instants are compared
//! with (vocabulary: no SQL).
//!
//! Everything about dates and instants the engine shares lives here: months, their bounds in
//! the reporting time zone, stored instants read and written, dates printed.
use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};

use crate::{Error, Result};

/// A reporting month, `YYYY-MM`.
pub fn parse_month(s: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(&format!("{s}-01"), "%Y-%m-%d")
        .ok()
        .filter(|_| s.len() == 7)
        .ok_or_else(|| Error::Refused(format!("`{s}` is not a month; write it YYYY-MM, for example 2026-10")))
}

/// The UTC bounds `[start, end)` of a month in the reporting time zone, as RFC 3339 strings that
/// compare like the stored `occurred_at` values.
pub fn month_bounds(month: NaiveDate, tz: chrono_tz::Tz) -> (String, String) {
    let next = month.checked_add_months(chrono::Months::new(1)).expect("month in range");
    let at = |d: NaiveDate| -> String {
        let local = tz.from_local_datetime(&d.and_hms_opt(0, 0, 0).expect("midnight")).earliest()
            // Midnight skipped by a DST jump: the month starts at the first instant after it.
            .unwrap_or_else(|| tz.from_utc_datetime(&d.and_hms_opt(0, 0, 0).expect("midnight")));
        local.with_timezone(&Utc).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    };
    (at(month), at(next))
}

/// A bound as `month_bounds` gives it, in Unix seconds for the `occurred_ts` index; `""` is the
/// beginning of time and anything unparsable (`"9999"`) the end.
pub fn bound_ts(bound: &str) -> i64 {
    if bound.is_empty() {
        return i64::MIN;
    }
    DateTime::parse_from_rfc3339(bound).map(|d| d.timestamp()).unwrap_or(i64::MAX)
}

/// The month (`YYYY-MM`) an instant falls in, in the reporting time zone.
pub fn month_of(at: DateTime<Utc>, tz: chrono_tz::Tz) -> String {
    at.with_timezone(&tz).format("%Y-%m").to_string()
}

/// Parses a stored instant (RFC 3339). The stored form `YYYY-MM-DDTHH:MM:SSZ` is read directly;
/// anything else goes through chrono.
pub fn parse_instant(s: &str) -> Option<DateTime<Utc>> {
    let b = s.as_bytes();
    if b.len() == 20 && b[4] == b'-' && b[7] == b'-' && b[10] == b'T' && b[13] == b':' && b[16] == b':' && b[19] == b'Z' {
        let n = |i: usize, len: usize| -> Option<u32> {
            b[i..i + len].iter().try_fold(0u32, |v, &c| c.is_ascii_digit().then(|| v * 10 + u32::from(c - b'0')))
        };
        if let (Some(y), Some(mo), Some(d), Some(h), Some(mi), Some(se)) = (n(0, 4), n(5, 2), n(8, 2), n(11, 2), n(14, 2), n(17, 2)) {
            if let (Some(date), Some(time)) = (NaiveDate::from_ymd_opt(y as i32, mo, d), chrono::NaiveTime::from_hms_opt(h, mi, se)) {
                return Some(date.and_time(time).and_utc());
            }
        }
    }
    DateTime::parse_from_rfc3339(s).ok().map(|d| d.with_timezone(&Utc))
}

/// The `HH:MM:SS` of `YYYY-MM-DDTHH:MM:SSZ`, from the seconds of the day.
pub(crate) fn write_time(secs_of_day: i64, out: &mut [u8; 20]) {
    let (h, m, s) = (secs_of_day / 3600, secs_of_day / 60 % 60, secs_of_day % 60);
    for (at, v) in [(11, h), (14, m), (17, s)] {
        out[at] = b'0' + (v / 10) as u8;
        out[at + 1] = b'0' + (v % 10) as u8;
    }
}

/// `YYYY-MM-DDTHH:MM:SSZ` (years 0 to 9999; any other is written as 0000-01-01T00:00:00Z,
/// which `canonical_secs` never accepts for it).
pub(crate) fn write_canonical(secs: i64, out: &mut [u8; 20]) {
    use chrono::{Datelike, Timelike};
    let Some(t) = chrono::DateTime::from_timestamp(secs, 0).map(|d| d.naive_utc()).filter(|t| (0..=9999).contains(&t.year())) else {
        *out = *b"0000-01-01T00:00:00Z";
        return;
    };
    let y = t.year() as u32;
    let two = |v: u32| [b'0' + (v / 10) as u8, b'0' + (v % 10) as u8];
    let [y0, y1] = two(y / 100);
    let [y2, y3] = two(y % 100);
    let [mo0, mo1] = two(t.month());
    let [d0, d1] = two(t.day());
    let [h0, h1] = two(t.hour());
    let [mi0, mi1] = two(t.minute());
    let [s0, s1] = two(t.second());
    *out = [y0, y1, y2, y3, b'-', mo0, mo1, b'-', d0, d1, b'T', h0, h1, b':', mi0, mi1, b':', s0, s1, b'Z'];
}


/// Appends a date as `YYYY-MM-DD` (`ymd`) or `DD/MM/YYYY` (Wix's report), four-digit years
/// written digit by digit (no format machinery per row), any other year through chrono.
pub(crate) fn push_date(out: &mut String, d: NaiveDate, ymd: bool) {
    let y = d.year();
    if !(0..=9999).contains(&y) {
        out.push_str(&d.format(if ymd { "%Y-%m-%d" } else { "%d/%m/%Y" }).to_string());
        return;
    }
    let (y, m, day) = (y as u32, d.month(), d.day());
    let digit = |v: u32| char::from(b'0' + (v % 10) as u8);
    let year = [digit(y / 1000), digit(y / 100), digit(y / 10), digit(y)];
    let (mm, dd) = ([digit(m / 10), digit(m)], [digit(day / 10), digit(day)]);
    if ymd {
        out.extend(year);
        out.push('-');
        out.extend(mm);
        out.push('-');
        out.extend(dd);
    } else {
        out.extend(dd);
        out.push('/');
        out.extend(mm);
        out.push('/');
        out.extend(year);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_instant_reads_what_chrono_reads() {
        for s in [
            "2026-03-01T00:00:00Z", "2026-12-31T23:59:59Z", "2024-02-29T12:00:00Z", "2023-02-29T12:00:00Z", "0000-01-01T00:00:00Z",
            "9999-12-31T23:59:59Z", "2026-13-01T00:00:00Z", "2026-10-02T24:00:00Z", "2016-12-31T23:59:60Z", "2026-10-02T10:00:00+02:00",
            "2026-10-02t10:00:00z", "2026-10-02T10:00:00.5Z", "2026-1a-02T10:00:00Z", "", "garbage",
        ] {
            let chrono = DateTime::parse_from_rfc3339(s).ok().map(|d| d.with_timezone(&Utc));
            assert_eq!(parse_instant(s), chrono, "{s}");
        }
        let mut t = 0i64;
        while t < 4_000_000_000 {
            let s = DateTime::<Utc>::from_timestamp(t, 0).unwrap().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
            assert_eq!(parse_instant(&s).unwrap().timestamp(), t, "{s}");
            t += 86_399 * 3 + 1237;
        }
    }

    #[test]
    fn push_date_writes_what_chrono_writes() {
        let mut d = NaiveDate::from_ymd_opt(-5, 1, 1).unwrap();
        let end = NaiveDate::from_ymd_opt(10_020, 12, 31).unwrap();
        while d < end {
            for (ymd, f) in [(true, "%Y-%m-%d"), (false, "%d/%m/%Y")] {
                let mut s = String::new();
                push_date(&mut s, d, ymd);
                assert_eq!(s, d.format(f).to_string());
            }
            d = d + chrono::Days::new(97);
        }
    }
}
