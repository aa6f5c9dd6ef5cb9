//! Usage plans (`usage_plans`: a metric's unit price per currency, effective-dated, with
//! instance overrides) and charge limits (`charge_limits`, instance '' = the app's default).
use rusqlite::{params, Connection, OptionalExtension};

use crate::Result;

/// One stored price of a plan entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PriceRow {
    pub metric: String,
    /// '' for the app's plan.
    pub instance_id: String,
    pub effective_from: String,
    pub currency: String,
    pub unit_price: String,
    pub description: String,
    pub added_at: String,
    pub added_by: String,
}

fn price_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<PriceRow> {
    Ok(PriceRow {
        metric: r.get(0)?,
        instance_id: r.get(1)?,
        effective_from: r.get(2)?,
        currency: r.get(3)?,
        unit_price: r.get(4)?,
        description: r.get(5)?,
        added_at: r.get(6)?,
        added_by: r.get(7)?,
    })
}

const PRICE_COLUMNS: &str = "metric, instance_id, effective_from, currency, unit_price, description, added_at, added_by";

/// The prices of one entry (metric, instance, from), any currency.
pub(crate) fn entry(conn: &Connection, metric: &str, instance: &str, from: &str) -> Result<Vec<PriceRow>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {PRICE_COLUMNS} FROM usage_plans WHERE metric = ?1 AND instance_id = ?2 AND effective_from = ?3 ORDER BY currency"
    ))?;
    let rows = stmt.query_map(params![metric, instance, from], price_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Replaces an entry (metric, instance, from) with `rows` (all of that key).
pub(crate) fn replace_entry(conn: &Connection, metric: &str, instance: &str, from: &str, rows: &[PriceRow]) -> Result<()> {
    conn.execute("DELETE FROM usage_plans WHERE metric = ?1 AND instance_id = ?2 AND effective_from = ?3", params![metric, instance, from])?;
    let mut ins = conn.prepare_cached(&format!("INSERT INTO usage_plans ({PRICE_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"))?;
    for p in rows {
        ins.execute(params![p.metric, p.instance_id, p.effective_from, p.currency, p.unit_price, p.description, p.added_at, p.added_by])?;
    }
    Ok(())
}

/// Every price: the app's entries first, then each instance's, by metric and date.
pub(crate) fn all(conn: &Connection) -> Result<Vec<PriceRow>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {PRICE_COLUMNS} FROM usage_plans ORDER BY instance_id <> '', instance_id, metric, effective_from, currency"
    ))?;
    let rows = stmt.query_map([], price_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The prices that can apply to an instance: the app's and its own overrides.
pub(crate) fn for_instance(conn: &Connection, instance: &str) -> Result<Vec<PriceRow>> {
    let mut stmt = conn.prepare_cached(&format!("SELECT {PRICE_COLUMNS} FROM usage_plans WHERE instance_id IN ('', ?1)"))?;
    let rows = stmt.query_map([instance], price_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// A stored limit: (amount, updated at, updated by).
pub(crate) fn limit(conn: &Connection, instance: &str, currency: &str) -> Result<Option<(String, String, String)>> {
    Ok(conn
        .prepare_cached("SELECT amount, updated_at, updated_by FROM charge_limits WHERE instance_id = ?1 AND currency = ?2")?
        .query_row(params![instance, currency], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?)
}

/// The limit in force for an instance and currency: its own, else the app's default ('').
pub(crate) fn limit_in_force(conn: &Connection, instance: &str, currency: &str) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached(
            "SELECT amount FROM charge_limits WHERE currency = ?2 AND instance_id IN (?1, '') ORDER BY instance_id = '' LIMIT 1",
        )?
        .query_row(params![instance, currency], |r| r.get(0))
        .optional()?)
}

pub(crate) fn put_limit(conn: &Connection, instance: &str, currency: &str, amount: &str, at: &str, by: &str) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO charge_limits (instance_id, currency, amount, updated_at, updated_by) VALUES (?1, ?2, ?3, ?4, ?5) \
         ON CONFLICT(instance_id, currency) DO UPDATE SET amount = excluded.amount, updated_at = excluded.updated_at, updated_by = excluded.updated_by",
    )?
    .execute(params![instance, currency, amount, at, by])?;
    Ok(())
}

/// A stored limit (instance '' for the app's default).
pub(crate) struct LimitRow {
    pub instance_id: String,
    pub currency: String,
    pub amount: String,
    pub updated_at: String,
    pub updated_by: String,
}

/// Every limit; the app's first.
pub(crate) fn all_limits(conn: &Connection) -> Result<Vec<LimitRow>> {
    let mut stmt = conn.prepare_cached(
        "SELECT instance_id, currency, amount, updated_at, updated_by FROM charge_limits ORDER BY instance_id <> '', instance_id, currency",
    )?;
    let rows = stmt.query_map([], |r| Ok(LimitRow { instance_id: r.get(0)?, currency: r.get(1)?, amount: r.get(2)?, updated_at: r.get(3)?, updated_by: r.get(4)? }))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
