//! The operator's customer mapping (`customer_map`): processor customer → instance.
use rusqlite::{params, Connection, OptionalExtension};

use crate::{now_rfc3339, Result};

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
