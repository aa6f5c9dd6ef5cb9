//! The `months` table: approved and submitted months (an open month has no row).
use rusqlite::{Connection, OptionalExtension};

use crate::Result;

/// Marks an approved month `submitted`.
pub(crate) fn set_submitted(conn: &Connection, month: &str) -> Result<()> {
    conn.execute("UPDATE months SET status = 'submitted' WHERE month = ?1", [month])?;
    Ok(())
}

/// The Wix app id a month was approved for (`None` for an open month, or an approved one whose
/// events carried none).
pub(crate) fn app_id(conn: &Connection, month: &str) -> Result<Option<String>> {
    Ok(conn.query_row("SELECT app_id FROM months WHERE month = ?1", [month], |r| r.get(0)).optional()?.flatten())
}
