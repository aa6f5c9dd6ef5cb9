//! The outbox: the frozen events' submission state (`events.state`, `events.last_error`) and
//! every request's attempt (`outbox_attempts`).
use rusqlite::{params, Connection, OptionalExtension};

use crate::outbox_types::OutboxEntry;
use crate::Result;

/// Whether any event is `sending` (read without the write lock).
pub(crate) fn any_sending(conn: &Connection) -> Result<bool> {
    Ok(conn.query_row("SELECT EXISTS (SELECT 1 FROM events WHERE month IN (SELECT month FROM months) AND state = 'sending')", [], |r| r.get(0))?)
}

/// The ids of the `sending` events.
pub(crate) fn sending_ids(conn: &Connection) -> Result<Vec<String>> {
    Ok(conn.prepare("SELECT id FROM events WHERE month IN (SELECT month FROM months) AND state = 'sending' ORDER BY id")?.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?)
}

/// Every `sending` event becomes `uncertain` with `last_error`, its open attempt finished at
/// `now` as `crashed` with `attempt_message`.
pub(crate) fn sending_to_uncertain(conn: &Connection, now: &str, attempt_message: &str, last_error: &str) -> Result<()> {
    conn.execute(
        "UPDATE outbox_attempts SET finished_at = ?1, outcome = 'crashed', message = ?2 \
         WHERE finished_at IS NULL AND event_id IN (SELECT id FROM events WHERE month IN (SELECT month FROM months) AND state = 'sending')",
        params![now, attempt_message],
    )?;
    conn.execute("UPDATE events SET state = 'uncertain', last_error = ?1 WHERE month IN (SELECT month FROM months) AND state = 'sending'", [last_error])?;
    Ok(())
}

/// A queued event's frozen columns: what its request is built from.
pub(crate) struct QueuedRow {
    pub id: String,
    pub instance_id: String,
    pub billing_type: String,
    pub created_date: String,
    pub gross: String,
    pub net: String,
    pub wix_share: String,
}

/// The queued events of `month`, in approval order.
pub(crate) fn queued(conn: &Connection, month: &str) -> Result<Vec<QueuedRow>> {
    let mut stmt = conn.prepare(
        "SELECT id, instance_id, billing_type, created_date, gross, net, wix_share FROM events \
         WHERE month = ?1 AND state = 'queued' ORDER BY seq",
    )?;
    let rows = stmt.query_map([month], |r| {
        Ok(QueuedRow {
            id: r.get(0)?,
            instance_id: r.get(1)?,
            billing_type: r.get(2)?,
            created_date: r.get(3)?,
            gross: r.get(4)?,
            net: r.get(5)?,
            wix_share: r.get(6)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// `month`'s events per state, as (state, count).
pub(crate) fn state_counts(conn: &Connection, month: &str) -> Result<Vec<(String, u32)>> {
    let mut stmt = conn.prepare_cached("SELECT state, count(*) FROM events WHERE month = ?1 GROUP BY state")?;
    let rows = stmt.query_map([month], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Marks each of `ids` `sending` (each must be `queued`) and opens an attempt for it started at
/// `now`; returns the attempt rows, or the first id that was not queued.
pub(crate) fn mark_sending(conn: &Connection, ids: &[&str], now: &str) -> Result<std::result::Result<Vec<i64>, String>> {
    let mut rows = Vec::with_capacity(ids.len());
    let mut upd = conn.prepare_cached("UPDATE events SET state = 'sending' WHERE id = ?1 AND state = 'queued'")?;
    let mut ins = conn.prepare_cached("INSERT INTO outbox_attempts (event_id, started_at) VALUES (?1, ?2)")?;
    for id in ids {
        if upd.execute([id])? != 1 {
            return Ok(Err(id.to_string()));
        }
        ins.execute(params![id, now])?;
        rows.push(conn.last_insert_rowid());
    }
    Ok(Ok(rows))
}

/// How one attempt ended.
pub(crate) struct AttemptEnd<'a> {
    pub finished_at: &'a str,
    pub outcome: &'a str,
    pub http_status: Option<u16>,
    pub response: Option<&'a str>,
    pub message: Option<&'a str>,
    pub auth_flow: Option<&'a str>,
}

pub(crate) fn finish_attempt(conn: &Connection, attempt_row: i64, end: &AttemptEnd<'_>) -> Result<()> {
    conn.prepare_cached(
        "UPDATE outbox_attempts SET finished_at = ?2, outcome = ?3, http_status = ?4, response = ?5, message = ?6, auth_flow = ?7 WHERE id = ?1",
    )?
    .execute(params![attempt_row, end.finished_at, end.outcome, end.http_status, end.response, end.message, end.auth_flow])?;
    Ok(())
}

/// Sets an event's state and last error.
pub(crate) fn set_state(conn: &Connection, event_id: &str, state: &str, last_error: Option<&str>) -> Result<()> {
    conn.prepare_cached("UPDATE events SET state = ?2, last_error = ?3 WHERE id = ?1")?.execute(params![event_id, state, last_error])?;
    Ok(())
}

/// The state and month of event `event_id`, if it exists.
pub(crate) fn state_and_month(conn: &Connection, event_id: &str) -> Result<Option<(String, String)>> {
    use rusqlite::OptionalExtension;
    Ok(conn.query_row("SELECT state, month FROM events WHERE id = ?1", [event_id], |r| Ok((r.get(0)?, r.get(1)?))).optional()?)
}

/// The frozen events, optionally of one state and one month, by month and approval order.
pub(crate) fn list(conn: &Connection, state: Option<&str>, month: Option<&str>) -> Result<Vec<OutboxEntry>> {
    let mut stmt = conn.prepare(&format!("{ENTRY} WHERE (?1 IS NULL OR e.state = ?1) AND (?2 IS NULL OR e.month = ?2) ORDER BY e.month, e.seq"))?;
    let rows = stmt.query_map(params![state, month], entry)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The columns of an outbox entry (read by [`entry`]), from `events e`.
const ENTRY: &str = "SELECT e.id, e.month, e.instance_id, e.billing_type, e.gross, e.wix_share, e.state, \
     (SELECT count(*) FROM outbox_attempts a WHERE a.event_id = e.id), e.last_error, \
     (SELECT max(started_at) FROM outbox_attempts a WHERE a.event_id = e.id) FROM events e";

/// One frozen event as the outbox holds it.
pub(crate) fn get(conn: &Connection, event_id: &str) -> Result<Option<OutboxEntry>> {
    Ok(conn.query_row(&format!("{ENTRY} WHERE e.id = ?1"), [event_id], entry).optional()?)
}

/// An outbox entry from the columns [`ENTRY`] selects.
fn entry(r: &rusqlite::Row<'_>) -> rusqlite::Result<OutboxEntry> {
    Ok(OutboxEntry {
        id: r.get(0)?,
        month: r.get(1)?,
        instance_id: r.get(2)?,
        billing_type: r.get(3)?,
        gross: r.get(4)?,
        wix_share: r.get(5)?,
        state: r.get(6)?,
        attempts: r.get(7)?,
        last_error: r.get(8)?,
        last_attempt_at: r.get(9)?,
    })
}

/// How many of a month's events match (`state`; `search`, lower case, in the id or the instance
/// id), and those from `offset` (at most `limit`), in approval order.
pub(crate) fn page(conn: &Connection, month: &str, state: Option<&str>, search: Option<&str>, offset: u32, limit: u32) -> Result<(u32, Vec<OutboxEntry>)> {
    // instr(lower(x), needle) with a lower-case needle: a case-insensitive substring test.
    const FILTER: &str = "e.month = ?1 AND (?2 IS NULL OR e.state = ?2) AND (?3 IS NULL OR instr(lower(e.id), ?3) > 0 OR instr(lower(e.instance_id), ?3) > 0)";
    let total: u32 = conn.query_row(&format!("SELECT count(*) FROM events e WHERE {FILTER}"), params![month, state, search], |r| r.get(0))?;
    let mut stmt = conn.prepare(&format!("{ENTRY} WHERE {FILTER} ORDER BY e.seq LIMIT ?4 OFFSET ?5"))?;
    let rows = stmt.query_map(params![month, state, search, limit, offset], entry)?;
    Ok((total, rows.collect::<rusqlite::Result<_>>()?))
}

/// Every attempt of event `event_id`, oldest first.
pub(crate) fn attempts(conn: &Connection, event_id: &str) -> Result<Vec<crate::outbox_types::AttemptInfo>> {
    let mut stmt = conn.prepare(
        "SELECT started_at, finished_at, outcome, http_status, auth_flow, response, message FROM outbox_attempts WHERE event_id = ?1 ORDER BY id",
    )?;
    let rows = stmt.query_map([event_id], |r| {
        Ok(crate::outbox_types::AttemptInfo {
            started_at: r.get(0)?,
            finished_at: r.get(1)?,
            outcome: r.get(2)?,
            http_status: r.get(3)?,
            auth_flow: r.get(4)?,
            response: r.get(5)?,
            message: r.get(6)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
