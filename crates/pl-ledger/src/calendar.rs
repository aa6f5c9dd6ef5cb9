//! Calendar words: reporting months (`YYYY-MM`) and the bounds stored instants are compared
//! with (vocabulary: no SQL).
//!
//! issue 11: `months.rs` still has its own copies of `parse_month` and `bound_ts` (and
//! `month_bounds`, `month_of`, `events::parse_instant` belong here too); the lead moves them
//! here and re-exports them after merging.
use chrono::{DateTime, NaiveDate};

use crate::{Error, Result};

/// A reporting month, `YYYY-MM`.
pub fn parse_month(s: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(&format!("{s}-01"), "%Y-%m-%d")
        .ok()
        .filter(|_| s.len() == 7)
        .ok_or_else(|| Error::Refused(format!("`{s}` is not a month; write it YYYY-MM, for example 2026-10")))
}

/// A bound as `months::month_bounds` gives it, in Unix seconds for the `occurred_ts` index; `""` is the
/// beginning of time and anything unparsable (`"9999"`) the end.
pub fn bound_ts(bound: &str) -> i64 {
    if bound.is_empty() {
        return i64::MIN;
    }
    DateTime::parse_from_rfc3339(bound).map(|d| d.timestamp()).unwrap_or(i64::MAX)
}
