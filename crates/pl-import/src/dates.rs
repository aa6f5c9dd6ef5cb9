//! Dates, times and time-zone abbreviations; whole-file decisions on date order and number style.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use pl_money::NumberStyle;

use crate::{clip, DateOrder, ImportError};

/// A date as written, before the file's date order is applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DateParts {
    /// `2024-05-01`, `2024/05/01`: unambiguous.
    Ymd(i32, u32, u32),
    /// `05/01/2024`: needs the file's order.
    Slash(u32, u32, i32),
    /// `01.05.2024`: day first (German and most dot-date locales).
    Dmy(i32, u32, u32),
}

fn num(s: &str) -> Option<u32> {
    if s.is_empty() || s.len() > 4 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn year(s: &str) -> Option<i32> {
    let y = num(s)? as i32;
    match s.len() {
        4 => Some(y),
        2 => Some(2000 + y), // Excel short years
        _ => None,
    }
}

/// Splits a date-time into the date parts and the rest (the time, if any).
pub(crate) fn split_date(s: &str) -> Result<(DateParts, &str), String> {
    let s = s.trim();
    let (date, rest) = match s.find([' ', 'T']) {
        Some(p) => (&s[..p], s[p + 1..].trim()),
        None => (s, ""),
    };
    let bad = || format!("`{}` is not a date", clip(s));
    let sep = if date.contains('-') {
        '-'
    } else if date.contains('/') {
        '/'
    } else if date.contains('.') {
        '.'
    } else {
        return Err(bad());
    };
    let mut it = date.trim_end_matches('.').split(sep);
    let (a, b, c) = match (it.next(), it.next(), it.next(), it.next()) {
        (Some(a), Some(b), Some(c), None) => (a, b, c),
        _ => return Err(bad()),
    };
    let parts = if a.len() == 4 {
        DateParts::Ymd(year(a).ok_or_else(bad)?, num(b).ok_or_else(bad)?, num(c).ok_or_else(bad)?)
    } else if sep == '/' && a.len() <= 2 && b.len() <= 2 {
        DateParts::Slash(num(a).ok_or_else(bad)?, num(b).ok_or_else(bad)?, year(c).ok_or_else(bad)?)
    } else if sep == '.' && a.len() <= 2 && b.len() <= 2 {
        DateParts::Dmy(year(c).ok_or_else(bad)?, num(b).ok_or_else(bad)?, num(a).ok_or_else(bad)?)
    } else {
        return Err(bad());
    };
    Ok((parts, rest))
}

/// What a slash date says about the order: `Some(order)` when one component is above 12.
pub(crate) fn evidence(parts: DateParts) -> Option<Result<DateOrder, ()>> {
    match parts {
        DateParts::Slash(a, b, _) => match (a > 12, b > 12) {
            (true, false) => Some(Ok(DateOrder::DayFirst)),
            (false, true) => Some(Ok(DateOrder::MonthFirst)),
            (true, true) => Some(Err(())),
            (false, false) => None,
        },
        _ => None,
    }
}

/// The calendar date, with the file's order for slash dates.
pub(crate) fn resolve(parts: DateParts, order: Option<DateOrder>, raw: &str) -> Result<NaiveDate, String> {
    let (y, m, d) = match parts {
        DateParts::Ymd(y, m, d) | DateParts::Dmy(y, m, d) => (y, m, d),
        DateParts::Slash(a, b, y) => match order {
            Some(DateOrder::MonthFirst) => (y, a, b),
            Some(DateOrder::DayFirst) => (y, b, a),
            None => return Err(format!("`{}`: a slash date where the rest of the file has none", clip(raw))),
        },
    };
    NaiveDate::from_ymd_opt(y, m, d).ok_or_else(|| match parts {
        DateParts::Slash(..) => format!(
            "`{}` is not a valid date ({})",
            clip(raw),
            order.map(|o| o.as_str()).unwrap_or("unknown order")
        ),
        _ => format!("`{}` is not a valid date", clip(raw)),
    })
}

/// `09:14:07`, `9:14`, `9:14:07 PM`, `09:14:07.123`, with an optional trailing `Z` / `UTC`.
pub(crate) fn parse_time(s: &str) -> Result<NaiveTime, String> {
    let t = s.trim();
    let bad = || format!("`{}` is not a time", clip(t));
    let mut body = t.trim_end_matches('Z').trim_end_matches(" UTC").trim();
    let mut pm = None;
    let upper = body.to_ascii_uppercase();
    if upper.ends_with("AM") || upper.ends_with("PM") {
        pm = Some(upper.ends_with("PM"));
        body = body[..body.len() - 2].trim_end();
    }
    let mut it = body.split(':');
    let h = it.next().and_then(num).ok_or_else(bad)?;
    let m = it.next().and_then(num).ok_or_else(bad)?;
    let (sec, nano) = match it.next() {
        None => (0, 0),
        Some(sx) => {
            let (w, f) = sx.split_once('.').unwrap_or((sx, ""));
            let sec = num(w).ok_or_else(bad)?;
            let mut nano = 0u32;
            if !f.is_empty() {
                if f.len() > 9 || !f.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(bad());
                }
                nano = f.parse::<u32>().map_err(|_| bad())? * 10u32.pow(9 - f.len() as u32);
            }
            (sec, nano)
        }
    };
    if it.next().is_some() {
        return Err(bad());
    }
    let h = match pm {
        None => h,
        Some(_) if h == 0 || h > 12 => return Err(bad()),
        Some(false) => h % 12,
        Some(true) => h % 12 + 12,
    };
    NaiveTime::from_hms_nano_opt(h, m, sec, nano).ok_or_else(bad)
}

/// Fast path for Stripe's `YYYY-MM-DD HH:MM:SS`.
fn fast_iso(b: &[u8]) -> Option<NaiveDateTime> {
    if b.len() != 19 || b[4] != b'-' || b[7] != b'-' || !(b[10] == b' ' || b[10] == b'T') || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let d = |i: usize| -> Option<u32> {
        let (x, y) = (b[i], b[i + 1]);
        (x.is_ascii_digit() && y.is_ascii_digit()).then(|| u32::from(x - b'0') * 10 + u32::from(y - b'0'))
    };
    let y = d(0)? * 100 + d(2)?;
    NaiveDate::from_ymd_opt(y as i32, d(5)?, d(8)?)?.and_hms_opt(d(11)?, d(14)?, d(17)?)
}

/// A UTC date-time as Stripe writes it (`2024-05-01 09:14[:07]`); Excel re-saves (`5/1/2024 9:14`,
/// `01.05.2024 09:14`) are accepted with the file's date order.
pub(crate) fn parse_utc(s: &str, order: Option<DateOrder>) -> Result<DateTime<Utc>, String> {
    let s = s.trim();
    if let Some(dt) = fast_iso(s.as_bytes()) {
        return Ok(dt.and_utc());
    }
    if s.is_empty() {
        return Err("empty date".into());
    }
    let (parts, rest) = split_date(s)?;
    let date = resolve(parts, order, s)?;
    let time = if rest.is_empty() { NaiveTime::MIN } else { parse_time(rest)? };
    Ok(date.and_time(time).and_utc())
}

/// Fixed offset of a time-zone abbreviation as PayPal writes it (`PDT`, `CET`, `MESZ`, `GMT+1`,
/// `+01:00`). `IST` is taken as India (+05:30).
pub(crate) fn tz_offset(abbr: &str) -> Option<FixedOffset> {
    let a = abbr.trim().to_ascii_uppercase();
    let hours = |h: i32, m: i32| FixedOffset::east_opt(h * 3600 + h.signum() * m * 60);
    let off = match a.as_str() {
        "UTC" | "GMT" | "Z" | "WET" | "UT" => hours(0, 0),
        "PST" => hours(-8, 0),
        "PDT" | "MST" => hours(-7, 0),
        "MDT" | "CST" => hours(-6, 0),
        "CDT" | "EST" => hours(-5, 0),
        "EDT" | "AST" => hours(-4, 0),
        "ADT" | "BRT" | "ART" => hours(-3, 0),
        "NST" => FixedOffset::east_opt(-(3 * 3600 + 1800)),
        "NDT" => FixedOffset::east_opt(-(2 * 3600 + 1800)),
        "HST" => hours(-10, 0),
        "AKST" => hours(-9, 0),
        "AKDT" => hours(-8, 0),
        "BST" | "CET" | "MEZ" | "WEST" | "IST1" => hours(1, 0),
        "CEST" | "MESZ" | "EET" | "SAST" => hours(2, 0),
        "EEST" | "MSK" => hours(3, 0),
        "IST" => FixedOffset::east_opt(5 * 3600 + 1800),
        "SGT" | "HKT" | "AWST" | "CST8" => hours(8, 0),
        "JST" | "KST" => hours(9, 0),
        "ACST" => FixedOffset::east_opt(9 * 3600 + 1800),
        "AEST" => hours(10, 0),
        "ACDT" => FixedOffset::east_opt(10 * 3600 + 1800),
        "AEDT" => hours(11, 0),
        "NZST" => hours(12, 0),
        "NZDT" => hours(13, 0),
        _ => return numeric_offset(&a),
    };
    off
}

/// `GMT+1`, `UTC-05:00`, `+0100`, `-3`.
fn numeric_offset(a: &str) -> Option<FixedOffset> {
    let r = a.strip_prefix("GMT").or_else(|| a.strip_prefix("UTC")).unwrap_or(a);
    let (sign, r) = match r.as_bytes().first()? {
        b'+' => (1, &r[1..]),
        b'-' => (-1, &r[1..]),
        _ => return None,
    };
    let (h, m) = if let Some((h, m)) = r.split_once(':') {
        (num(h)?, num(m)?)
    } else if r.len() == 4 {
        (num(&r[..2])?, num(&r[2..])?)
    } else {
        (num(r)?, 0)
    };
    if h > 14 || m > 59 {
        return None;
    }
    FixedOffset::east_opt(sign * (h as i32 * 3600 + m as i32 * 60))
}

/// A local date + time in a zone abbreviation, converted to UTC.
pub(crate) fn to_utc(date: NaiveDate, time: NaiveTime, off: FixedOffset) -> DateTime<Utc> {
    match off.from_local_datetime(&date.and_time(time)) {
        chrono::LocalResult::Single(dt) => dt.with_timezone(&Utc),
        // A fixed offset is never ambiguous.
        _ => date.and_time(time).and_utc(),
    }
}

/// Collects the date-order evidence of a file's date column, then decides once.
pub(crate) struct OrderVote {
    pub column: String,
    day_first: Option<(u32, String)>,
    month_first: Option<(u32, String)>,
    undecided: Option<(u32, String)>,
}

impl OrderVote {
    pub fn new(column: &str) -> OrderVote {
        OrderVote { column: column.to_string(), day_first: None, month_first: None, undecided: None }
    }

    /// Looks at one value (errors are reported by the second pass, not here).
    pub fn see(&mut self, line: u32, value: &str) {
        let Ok((parts, _)) = split_date(value) else { return };
        match evidence(parts) {
            Some(Ok(DateOrder::DayFirst)) if self.day_first.is_none() => self.day_first = Some((line, clip(value.trim()))),
            Some(Ok(DateOrder::MonthFirst)) if self.month_first.is_none() => {
                self.month_first = Some((line, clip(value.trim())))
            }
            None if matches!(parts, DateParts::Slash(..)) && self.undecided.is_none() => {
                self.undecided = Some((line, clip(value.trim())))
            }
            _ => {}
        }
    }

    /// The order for the file: `None` when it has no slash dates.
    pub fn decide(&self, given: Option<DateOrder>) -> Result<Option<DateOrder>, ImportError> {
        match (&self.day_first, &self.month_first) {
            (Some((dl, dv)), Some((ml, mv))) => Err(ImportError::ContradictoryDateOrder {
                column: self.column.clone(),
                day_first: dv.clone(),
                day_first_line: *dl,
                month_first: mv.clone(),
                month_first_line: *ml,
            }),
            (Some((l, v)), None) | (None, Some((l, v))) => {
                let found = if self.day_first.is_some() { DateOrder::DayFirst } else { DateOrder::MonthFirst };
                match given {
                    Some(g) if g != found => Err(ImportError::DateOrderConflict {
                        given: g.as_str().into(),
                        found: found.as_str().into(),
                        column: self.column.clone(),
                        line: *l,
                        example: v.clone(),
                    }),
                    _ => Ok(Some(found)),
                }
            }
            (None, None) => match (&self.undecided, given) {
                (None, g) => Ok(g),
                (Some(_), Some(g)) => Ok(Some(g)),
                (Some((l, v)), None) => Err(ImportError::UndecidableDateOrder {
                    column: self.column.clone(),
                    line: *l,
                    example: v.clone(),
                }),
            },
        }
    }
}

/// Collects the number-style evidence of a file's amount columns, then decides once.
#[derive(Default)]
pub(crate) struct StyleVote {
    point: Option<(u32, String, String)>,
    comma: Option<(u32, String, String)>,
}

impl StyleVote {
    pub fn see(&mut self, line: u32, column: &str, value: &str) {
        match pl_money::style_hint(value) {
            Some(NumberStyle::Point) if self.point.is_none() => {
                self.point = Some((line, clip(value.trim()), column.into()))
            }
            Some(NumberStyle::Comma) if self.comma.is_none() => {
                self.comma = Some((line, clip(value.trim()), column.into()))
            }
            _ => {}
        }
    }

    pub fn done(&self) -> bool {
        self.point.is_some() && self.comma.is_some()
    }

    pub fn decide(&self, default: NumberStyle) -> Result<NumberStyle, ImportError> {
        match (&self.point, &self.comma) {
            (Some(p), Some(c)) => Err(ImportError::ConflictingNumberStyles {
                point: p.1.clone(),
                point_line: p.0,
                point_column: p.2.clone(),
                comma: c.1.clone(),
                comma_line: c.0,
                comma_column: c.2.clone(),
            }),
            (Some(_), None) => Ok(NumberStyle::Point),
            (None, Some(_)) => Ok(NumberStyle::Comma),
            (None, None) => Ok(default),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times() {
        assert_eq!(parse_time("9:14").unwrap(), NaiveTime::from_hms_opt(9, 14, 0).unwrap());
        assert_eq!(parse_time("12:01:02 AM").unwrap(), NaiveTime::from_hms_opt(0, 1, 2).unwrap());
        assert_eq!(parse_time("1:01:02 pm").unwrap(), NaiveTime::from_hms_opt(13, 1, 2).unwrap());
        assert!(parse_time("25:00").is_err());
        assert!(parse_time("ab").is_err());
    }

    #[test]
    fn utc_forms() {
        let want = NaiveDate::from_ymd_opt(2024, 5, 1).unwrap().and_hms_opt(9, 14, 0).unwrap().and_utc();
        assert_eq!(parse_utc("2024-05-01 09:14", None).unwrap(), want);
        assert_eq!(parse_utc("2024-05-01 09:14:00", None).unwrap(), want);
        assert_eq!(parse_utc("5/1/2024 9:14", Some(DateOrder::MonthFirst)).unwrap(), want);
        assert_eq!(parse_utc("01.05.2024 09:14", None).unwrap(), want);
        assert!(parse_utc("5/1/2024 9:14", None).is_err());
        assert!(parse_utc("2024-02-30 09:14:00", None).is_err());
    }

    #[test]
    fn zones() {
        assert_eq!(tz_offset("PDT").unwrap().local_minus_utc(), -7 * 3600);
        assert_eq!(tz_offset("cest").unwrap().local_minus_utc(), 2 * 3600);
        assert_eq!(tz_offset("GMT+05:30").unwrap().local_minus_utc(), 5 * 3600 + 1800);
        assert_eq!(tz_offset("-0800").unwrap().local_minus_utc(), -8 * 3600);
        assert!(tz_offset("XYZ").is_none());
    }
}
