//! The revenue-share rate schedule (`rates`) and the FX table (`fx_rates`).
use chrono::NaiveDate;
use rusqlite::{params, Connection, OptionalExtension};
use rust_decimal::Decimal;

use crate::{FxCurrency, RateInfo, Result};

/// The percent stored for `from` and `instance` (the app's rate when `None`), if any.
pub(crate) fn percent(conn: &Connection, from: &str, instance: Option<&str>) -> Result<Option<String>> {
    Ok(conn
        .query_row(
            "SELECT percent FROM rates WHERE effective_from = ?1 AND coalesce(instance_id, '') = coalesce(?2, '')",
            params![from, instance],
            |r| r.get(0),
        )
        .optional()?)
}

/// Stores a rate, replacing the one of the same date and instance.
pub(crate) fn replace(conn: &Connection, rate: &RateInfo) -> Result<()> {
    conn.execute(
        "DELETE FROM rates WHERE effective_from = ?1 AND coalesce(instance_id, '') = coalesce(?2, '')",
        params![rate.effective_from, rate.instance_id],
    )?;
    conn.execute(
        "INSERT INTO rates (effective_from, percent, instance_id, added_at, added_by) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![rate.effective_from, rate.percent, rate.instance_id, rate.added_at, rate.added_by],
    )?;
    Ok(())
}

/// The app's rates, then each instance's, by date.
pub(crate) fn list(conn: &Connection) -> Result<Vec<RateInfo>> {
    let mut stmt = conn.prepare(
        "SELECT effective_from, percent, instance_id, added_at, added_by FROM rates ORDER BY instance_id IS NOT NULL, instance_id, effective_from",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(RateInfo { effective_from: r.get(0)?, percent: r.get(1)?, instance_id: r.get(2)?, added_at: r.get(3)?, added_by: r.get(4)? })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Stores FX rates (USD per unit), replacing those of the same date and currency.
pub(crate) fn put_fx(conn: &Connection, rows: &[(NaiveDate, String, Decimal)]) -> Result<()> {
    let mut up = conn.prepare(
        "INSERT INTO fx_rates (date, currency, usd_per_unit) VALUES (?1, ?2, ?3) \
         ON CONFLICT(date, currency) DO UPDATE SET usd_per_unit = excluded.usd_per_unit",
    )?;
    for (d, cur, r) in rows {
        up.execute(params![d.to_string(), cur, r.to_string()])?;
    }
    Ok(())
}

/// Every rate as stored: (effective from, percent, instance override).
pub(crate) fn all(conn: &Connection) -> Result<Vec<(String, String, Option<String>)>> {
    let mut stmt = conn.prepare_cached("SELECT effective_from, percent, instance_id FROM rates")?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The FX table as stored: (date, currency, USD per unit).
pub(crate) fn all_fx(conn: &Connection) -> Result<Vec<(String, String, String)>> {
    let mut stmt = conn.prepare_cached("SELECT date, currency, usd_per_unit FROM fx_rates")?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The rate stored for `from` and `instance` (the app's when `None`), whole, if any.
pub(crate) fn get(conn: &Connection, from: &str, instance: Option<&str>) -> Result<Option<RateInfo>> {
    Ok(conn
        .query_row(
            "SELECT effective_from, percent, instance_id, added_at, added_by FROM rates \
             WHERE effective_from = ?1 AND coalesce(instance_id, '') = coalesce(?2, '')",
            params![from, instance],
            |r| Ok(RateInfo { effective_from: r.get(0)?, percent: r.get(1)?, instance_id: r.get(2)?, added_at: r.get(3)?, added_by: r.get(4)? }),
        )
        .optional()?)
}

/// Deletes the rate of `from` and `instance` (the app's when `None`); returns whether one was there.
pub(crate) fn delete(conn: &Connection, from: &str, instance: Option<&str>) -> Result<bool> {
    Ok(conn.execute("DELETE FROM rates WHERE effective_from = ?1 AND coalesce(instance_id, '') = coalesce(?2, '')", params![from, instance])? > 0)
}

/// The FX table by currency: how many rates, the first and last dates, the rate on the last.
pub(crate) fn fx_by_currency(conn: &Connection) -> Result<Vec<FxCurrency>> {
    let mut stmt = conn.prepare(
        "SELECT f.currency, f.n, f.first, f.last, (SELECT usd_per_unit FROM fx_rates l WHERE l.currency = f.currency AND l.date = f.last) \
         FROM (SELECT currency, count(*) AS n, min(date) AS first, max(date) AS last FROM fx_rates GROUP BY currency) f ORDER BY f.currency",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(FxCurrency { currency: r.get(0)?, rates: r.get(1)?, first: r.get(2)?, last: r.get(3)?, last_rate: r.get::<_, Option<String>>(4)?.unwrap_or_default() })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
