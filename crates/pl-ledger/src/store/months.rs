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

/// Every month with an approval (approved or submitted).
pub(crate) fn approved(conn: &Connection) -> Result<Vec<String>> {
    let mut stmt = conn.prepare_cached("SELECT month FROM months")?;
    let rows = stmt.query_map([], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// A month's status (`approved` or `submitted`); none while it is open.
pub(crate) fn status(conn: &Connection, month: &str) -> Result<Option<String>> {
    Ok(conn.prepare_cached("SELECT status FROM months WHERE month = ?1")?.query_row([month], |r| r.get(0)).optional()?)
}

/// Records a month's approval, with the Wix app its events are for.
pub(crate) fn insert_approved(conn: &Connection, month: &str, at: &str, by: &str, app_id: &str) -> Result<()> {
    conn.execute(
        "INSERT INTO months (month, status, approved_at, approved_by, app_id) VALUES (?1, 'approved', ?2, ?3, ?4)",
        rusqlite::params![month, at, by, app_id],
    )?;
    Ok(())
}

/// Drops a month's approval and its frozen events (a reopen).
pub(crate) fn delete_with_events(conn: &Connection, month: &str) -> Result<()> {
    super::events::delete_month(conn, month)?;
    conn.execute("DELETE FROM months WHERE month = ?1", [month])?;
    Ok(())
}

/// How many events the approval of `month` froze (0 for an open month).
pub(crate) fn event_count(conn: &Connection, month: &str) -> Result<u32> {
    Ok(conn.prepare_cached("SELECT events FROM months WHERE month = ?1")?.query_row([month], |r| r.get(0)).optional()?.unwrap_or(0))
}

/// Every month with an approval, as the month picker lists it.
pub(crate) fn infos(conn: &Connection) -> Result<Vec<crate::MonthInfo>> {
    let mut stmt = conn.prepare("SELECT month, status, approved_at, approved_by FROM months")?;
    let rows = stmt.query_map([], |r| Ok(crate::MonthInfo { month: r.get(0)?, status: r.get(1)?, approved_at: r.get(2)?, approved_by: r.get(3)? }))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
