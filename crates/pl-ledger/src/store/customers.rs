//! The operator's customer mapping (`customer_map`): processor customer → instance.
use rusqlite::{params, Connection, OptionalExtension};

use crate::{now_rfc3339, CustomerMapping, Result};

/// The instance `key` is mapped to, if any.
pub(crate) fn instance_of(conn: &Connection, key: &str) -> Result<Option<String>> {
    Ok(conn.query_row("SELECT instance_id FROM customer_map WHERE customer_key = ?1", [key], |r| r.get(0)).optional()?)
}

/// Saves (or changes) the mapping of `key`, stamped now by `by`.
pub(crate) fn save(conn: &Connection, key: &str, instance: &str, by: &str) -> Result<()> {
    conn.execute(
        "INSERT INTO customer_map (customer_key, instance_id, saved_at, saved_by) VALUES (?1, ?2, ?3, ?4) \
         ON CONFLICT(customer_key) DO UPDATE SET instance_id = excluded.instance_id, saved_at = excluded.saved_at, \
         saved_by = excluded.saved_by",
        params![key, instance, now_rfc3339(), by],
    )?;
    Ok(())
}

/// The saved mappings whose key or instance contains `search` (case-insensitive; all when
/// `None`), by key: how many, and `limit` of them from `offset`.
pub(crate) fn page(conn: &Connection, search: Option<&str>, offset: u32, limit: u32) -> Result<(u32, Vec<CustomerMapping>)> {
    const MATCH: &str = "(?1 IS NULL OR instr(lower(customer_key), lower(?1)) > 0 OR instr(instance_id, lower(?1)) > 0)";
    let total: u32 = conn.query_row(&format!("SELECT count(*) FROM customer_map WHERE {MATCH}"), [search], |r| r.get(0))?;
    let mut stmt = conn.prepare(&format!(
        "SELECT customer_key, instance_id, saved_at, saved_by FROM customer_map WHERE {MATCH} ORDER BY customer_key LIMIT ?2 OFFSET ?3"
    ))?;
    let rows = stmt.query_map(params![search, limit, offset], |r| {
        Ok(CustomerMapping { customer_key: r.get(0)?, instance_id: r.get(1)?, saved_at: r.get(2)?, saved_by: r.get(3)? })
    })?;
    Ok((total, rows.collect::<rusqlite::Result<_>>()?))
}

/// Deletes the mapping of `key`; returns whether there was one.
pub(crate) fn delete(conn: &Connection, key: &str) -> Result<bool> {
    Ok(conn.execute("DELETE FROM customer_map WHERE customer_key = ?1", [key])? > 0)
}

/// Forgets the instance the live rows of customer `key` took from its mapping, except rows an
/// approval froze; returns (rows forgotten, frozen rows left as they were).
pub(crate) fn unresolve_unfrozen(conn: &Connection, key: &str) -> Result<(u32, u32)> {
    const ROWS: &str = "undone = 0 AND resolved_by = 'customer' AND customer_key = ?1";
    let frozen: u32 = conn.query_row(
        &format!("SELECT count(*) FROM txns WHERE {ROWS} AND EXISTS (SELECT 1 FROM events e WHERE e.txn_id = txns.id)"),
        [key],
        |r| r.get(0),
    )?;
    let n = conn.execute(
        &format!("UPDATE txns SET instance_id = NULL, resolved_by = NULL WHERE {ROWS} AND NOT EXISTS (SELECT 1 FROM events e WHERE e.txn_id = txns.id)"),
        [key],
    )?;
    Ok((u32::try_from(n).unwrap_or(u32::MAX), frozen))
}
