//! The `settings` table: key/value text. Which keys exist and what they accept is the domain's
//! (`crate::settings`).
use rusqlite::{params, Connection, OptionalExtension};

use crate::Result;

/// The stored value of `key`, if any.
pub(crate) fn stored(conn: &Connection, key: &str) -> Result<Option<String>> {
    Ok(conn.prepare_cached("SELECT value FROM settings WHERE key = ?1")?.query_row([key], |r| r.get(0)).optional()?)
}

/// Stores `value` for `key`, replacing what was there.
pub(crate) fn put(conn: &Connection, key: &str, value: &str) -> Result<()> {
    conn.execute(
        "INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        params![key, value],
    )?;
    Ok(())
}
