//! The `column_mappings` table: named TOML mappings for `mapped:<name>` imports.
use rusqlite::{params, Connection, OptionalExtension};

use crate::{now_rfc3339, ColumnMappingInfo, Result};

/// The saved TOML of mapping `name`, if any.
pub(crate) fn toml(conn: &Connection, name: &str) -> Result<Option<String>> {
    Ok(conn.query_row("SELECT toml FROM column_mappings WHERE name = ?1", [name], |r| r.get(0)).optional()?)
}

/// Whether a mapping named `name` is saved.
pub(crate) fn exists(conn: &Connection, name: &str) -> Result<bool> {
    Ok(conn.query_row("SELECT EXISTS (SELECT 1 FROM column_mappings WHERE name = ?1)", [name], |r| r.get(0))?)
}

/// Saves (or replaces) mapping `name`, stamped now by `by`.
pub(crate) fn save(conn: &Connection, name: &str, toml_text: &str, by: &str) -> Result<()> {
    conn.execute(
        "INSERT INTO column_mappings (name, toml, saved_at, saved_by) VALUES (?1, ?2, ?3, ?4) \
         ON CONFLICT(name) DO UPDATE SET toml = excluded.toml, saved_at = excluded.saved_at, saved_by = excluded.saved_by",
        params![name, toml_text, now_rfc3339(), by],
    )?;
    Ok(())
}

pub(crate) fn list(conn: &Connection) -> Result<Vec<ColumnMappingInfo>> {
    let mut stmt = conn.prepare("SELECT name, saved_at, saved_by FROM column_mappings ORDER BY name")?;
    let rows = stmt.query_map([], |r| Ok(ColumnMappingInfo { name: r.get(0)?, saved_at: r.get(1)?, saved_by: r.get(2)? }))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Every saved mapping: its name and TOML.
pub(crate) fn all_toml(conn: &Connection) -> Result<Vec<(String, String)>> {
    let mut stmt = conn.prepare("SELECT name, toml FROM column_mappings")?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Deletes mapping `name`; returns whether there was one.
pub(crate) fn delete(conn: &Connection, name: &str) -> Result<bool> {
    Ok(conn.execute("DELETE FROM column_mappings WHERE name = ?1", [name])? > 0)
}
