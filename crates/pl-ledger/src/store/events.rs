//! The frozen events of approved months (`events`) as the rest of the engine asks about them;
//! the event scans themselves are in `crate::events` (issue 11: the lead moves them here).
use rusqlite::{Connection, OptionalExtension};

use crate::Result;

/// The approved month manual refund `manual_id` is frozen in, if any.
pub(crate) fn month_of_manual(conn: &Connection, manual_id: i64) -> Result<Option<String>> {
    Ok(conn.query_row("SELECT month FROM events WHERE manual_id = ?1", [manual_id], |r| r.get(0)).optional()?)
}
