//! The revenue-share rate schedule and the FX table: the operator's inputs to the money rules.
use std::path::Path;
use std::str::FromStr;

use chrono::NaiveDate;
use rusqlite::Connection;
use rust_decimal::Decimal;

use crate::{now_rfc3339, resolve, store, Error, FxCurrency, RateInfo, RejectedRow, Result};

fn date_arg(s: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| Error::Refused(format!("`{s}` is not a date; write it YYYY-MM-DD")))
}

/// Adds (or replaces) the rate in force from `from`, for the app or one instance.
pub(crate) fn add_rate(conn: &mut Connection, from: &str, percent: &str, instance: Option<&str>, by: &str) -> Result<RateInfo> {
    let from = date_arg(from)?;
    let pct = pl_money::parse_decimal(percent, pl_money::NumberStyle::Point)
        .ok()
        .filter(|p| *p >= Decimal::ZERO && *p <= Decimal::ONE_HUNDRED)
        .ok_or_else(|| Error::Refused(format!("`{percent}` is not a percent between 0 and 100")))?
        .normalize();
    let instance = instance.map(resolve::instance_arg).transpose()?;
    let tx = conn.transaction()?;
    let before = store::rates::percent(&tx, &from.to_string(), instance.as_deref())?;
    let info = RateInfo {
        effective_from: from.to_string(),
        percent: pct.to_string(),
        instance_id: instance.clone(),
        added_at: now_rfc3339(),
        added_by: by.to_string(),
    };
    store::rates::replace(&tx, &info)?;
    let entity = match &instance {
        Some(i) => format!("rate:{from}:{i}"),
        None => format!("rate:{from}"),
    };
    store::audit::record(&tx, by, "rate.set", &entity, before.as_ref(), Some(&info))?;
    tx.commit()?;
    Ok(info)
}

pub(crate) fn list_rates(conn: &Connection) -> Result<Vec<RateInfo>> {
    store::rates::list(conn)
}

/// Removes the rate in force from `from`, for the app or one instance; audited. Like adding one,
/// it changes only events that are not frozen: an approved month keeps the rates it froze.
pub(crate) fn remove_rate(conn: &mut Connection, from: &str, instance: Option<&str>, by: &str) -> Result<RateInfo> {
    let from = date_arg(from)?.to_string();
    let instance = instance.map(str::trim).filter(|i| !i.is_empty()).map(resolve::instance_arg).transpose()?;
    let tx = conn.transaction()?;
    let before = store::rates::get(&tx, &from, instance.as_deref())?.ok_or_else(|| {
        Error::NotFound(match &instance {
            Some(i) => format!("a rate from {from} for instance {i}"),
            None => format!("an app rate from {from}"),
        })
    })?;
    store::rates::delete(&tx, &from, instance.as_deref())?;
    let entity = match &instance {
        Some(i) => format!("rate:{from}:{i}"),
        None => format!("rate:{from}"),
    };
    store::audit::record(&tx, by, "rate.remove", &entity, Some(&before), None::<&()>)?;
    tx.commit()?;
    Ok(before)
}

/// The FX table by currency: how many rates, from when to when, the latest rate.
pub(crate) fn fx_summary(conn: &Connection) -> Result<Vec<FxCurrency>> {
    store::rates::fx_by_currency(conn)
}

/// What `fx import` did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
pub struct FxImportReport {
    pub file: String,
    pub rates: u32,
    pub rejected: Vec<RejectedRow>,
}

/// Imports an FX table (`date,currency,usd_per_unit`), whole or not at all; a rate for a date
/// and currency already in the table is replaced.
pub(crate) fn import_fx(conn: &mut Connection, path: &Path, by: &str) -> Result<FxImportReport> {
    let file = std::fs::File::open(path).map_err(|source| Error::Io { path: path.to_path_buf(), source })?;
    let mut rdr = csv::ReaderBuilder::new().flexible(true).from_reader(std::io::BufReader::new(file));
    let headers: Vec<String> = rdr
        .headers()
        .map_err(|e| Error::Refused(format!("{}: {e}", path.display())))?
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').trim().to_ascii_lowercase())
        .collect();
    let col = |name: &str| {
        headers.iter().position(|h| h == name).ok_or_else(|| {
            Error::Refused(format!("{}: no `{name}` column; an FX file has the header date,currency,usd_per_unit", path.display()))
        })
    };
    let (ci_date, ci_cur, ci_rate) = (col("date")?, col("currency")?, col("usd_per_unit")?);
    let mut rows = Vec::new();
    let mut rejected = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        let line = i as u32 + 2;
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                rejected.push(RejectedRow { line, column: None, reason: e.to_string() });
                continue;
            }
        };
        let get = |c: usize| rec.get(c).unwrap_or("").trim();
        let date = NaiveDate::parse_from_str(get(ci_date), "%Y-%m-%d");
        let cur = get(ci_cur).to_ascii_uppercase();
        let rate = Decimal::from_str(get(ci_rate)).ok().filter(|r| *r > Decimal::ZERO);
        match (date, pl_money::Currency::new(&cur), rate) {
            (Ok(d), Ok(_), Some(r)) => rows.push((d, cur, r)),
            (Err(_), _, _) => rejected.push(RejectedRow {
                line,
                column: Some("date".into()),
                reason: format!("`{}` is not a date (YYYY-MM-DD)", get(ci_date)),
            }),
            (_, Err(_), _) => rejected.push(RejectedRow {
                line,
                column: Some("currency".into()),
                reason: format!("`{}` is not an ISO 4217 currency code", get(ci_cur)),
            }),
            (_, _, None) => rejected.push(RejectedRow {
                line,
                column: Some("usd_per_unit".into()),
                reason: format!("`{}` is not a positive decimal rate", get(ci_rate)),
            }),
        }
    }
    let mut report = FxImportReport { file: path.display().to_string(), rates: 0, rejected };
    if !report.rejected.is_empty() {
        return Ok(report);
    }
    let tx = conn.transaction()?;
    store::rates::put_fx(&tx, &rows)?;
    report.rates = rows.len() as u32;
    store::audit::record(&tx, by, "fx.import", &format!("fx:{}", report.file), None::<&()>, Some(&serde_json::json!({ "rates": report.rates })))?;
    tx.commit()?;
    Ok(report)
}
