//! The outbox: the frozen events' submission state (`events.state`, `events.last_error`) and
//! every request's attempt (`outbox_attempts`). Queries by state name `state <> 'queued'` so that
//! SQLite reads the partial index on the events that left the queue (migration 0009); queued
//! events are counted by subtraction from the month's approval count.
use rusqlite::{params, Connection, OptionalExtension};

use super::events::{month_positions, EventKey, BY_KEY};
use crate::outbox_types::OutboxEntry;
use crate::Result;

/// Whether any event is `sending` (read without the write lock).
pub(crate) fn any_sending(conn: &Connection) -> Result<bool> {
    Ok(conn.query_row("SELECT EXISTS (SELECT 1 FROM events WHERE month IN (SELECT month FROM months) AND state <> 'queued' AND state = 'sending')", [], |r| r.get(0))?)
}

/// The ids of the `sending` events.
pub(crate) fn sending_ids(conn: &Connection) -> Result<Vec<String>> {
    Ok(conn.prepare("SELECT id FROM events WHERE month IN (SELECT month FROM months) AND state <> 'queued' AND state = 'sending' ORDER BY id")?.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?)
}

/// Every `sending` event becomes `uncertain` with `last_error`, its open attempt finished at
/// `now` as `crashed` with `attempt_message`.
pub(crate) fn sending_to_uncertain(conn: &Connection, now: &str, attempt_message: &str, last_error: &str) -> Result<()> {
    conn.execute(
        "UPDATE outbox_attempts SET finished_at = ?1, outcome = 'crashed', message = ?2 \
         WHERE finished_at IS NULL AND event_id IN (SELECT id FROM events WHERE month IN (SELECT month FROM months) AND state <> 'queued' AND state = 'sending')",
        params![now, attempt_message],
    )?;
    conn.execute("UPDATE events SET state = 'uncertain', last_error = ?1 WHERE month IN (SELECT month FROM months) AND state <> 'queued' AND state = 'sending'", [last_error])?;
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
    let (lo, hi) = month_positions(month)?;
    let mut stmt = conn.prepare(
        "SELECT id, instance_id, billing_type, created_date, gross, net, wix_share FROM events \
         WHERE pos >= ?1 AND pos < ?2 AND state = 'queued' ORDER BY pos",
    )?;
    let rows = stmt.query_map([lo, hi], |r| {
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

/// `month`'s events per state, as (state, count); the queued are those of the approval that
/// did not leave the queue.
pub(crate) fn state_counts(conn: &Connection, month: &str) -> Result<Vec<(String, u32)>> {
    let mut stmt = conn.prepare_cached("SELECT state, count(*) FROM events WHERE month = ?1 AND state <> 'queued' GROUP BY state")?;
    let mut out: Vec<(String, u32)> = stmt.query_map([month], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<rusqlite::Result<_>>()?;
    let left: u32 = out.iter().map(|(_, n)| n).sum();
    let queued = super::months::event_count(conn, month)?.saturating_sub(left);
    if queued > 0 {
        out.push(("queued".to_owned(), queued));
    }
    Ok(out)
}

/// Marks each of `ids` `sending` (each must be `queued`) and opens an attempt for it started at
/// `now`; returns the attempt rows, or the first id that was not queued.
pub(crate) fn mark_sending(conn: &Connection, ids: &[&str], now: &str) -> Result<std::result::Result<Vec<i64>, String>> {
    let mut rows = Vec::with_capacity(ids.len());
    let mut upd = conn.prepare_cached(&format!("UPDATE events AS e SET state = 'sending' WHERE {BY_KEY} AND state = 'queued'"))?;
    let mut ins = conn.prepare_cached("INSERT INTO outbox_attempts (event_id, started_at) VALUES (?1, ?2)")?;
    for id in ids {
        let Some(key) = EventKey::parse(id) else { return Ok(Err(id.to_string())) };
        let (t, m) = key.params();
        if upd.execute(params![t, m])? != 1 {
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
    let Some(key) = EventKey::parse(event_id) else { return Ok(()) };
    let (t, m) = key.params();
    conn.prepare_cached(&format!("UPDATE events AS e SET state = ?3, last_error = ?4 WHERE {BY_KEY}"))?.execute(params![t, m, state, last_error])?;
    Ok(())
}

/// The state and month of event `event_id`, if it exists.
pub(crate) fn state_and_month(conn: &Connection, event_id: &str) -> Result<Option<(String, String)>> {
    let Some(key) = EventKey::parse(event_id) else { return Ok(None) };
    let (t, m) = key.params();
    Ok(conn.query_row(&format!("SELECT e.state, e.month FROM events e WHERE {BY_KEY}"), params![t, m], |r| Ok((r.get(0)?, r.get(1)?))).optional()?)
}

/// The frozen events, optionally of one state and one month, by month and approval order.
pub(crate) fn list(conn: &Connection, state: Option<&str>, month: Option<&str>) -> Result<Vec<OutboxEntry>> {
    let (lo, hi) = match month {
        Some(m) => month_positions(m)?,
        None => (i64::MIN, i64::MAX),
    };
    let mut stmt = conn.prepare(&format!("{ENTRY} WHERE (?1 IS NULL OR e.state = ?1) AND e.pos >= ?2 AND e.pos < ?3 ORDER BY e.pos"))?;
    let rows = stmt.query_map(params![state, lo, hi], entry)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The columns of an outbox entry (read by [`entry`]), from `events e`.
const ENTRY: &str = "SELECT e.id, e.month, e.instance_id, e.billing_type, e.gross, e.wix_share, e.state, \
     (SELECT count(*) FROM outbox_attempts a WHERE a.event_id = e.id), e.last_error, \
     (SELECT max(started_at) FROM outbox_attempts a WHERE a.event_id = e.id) FROM events e";

/// One frozen event as the outbox holds it.
pub(crate) fn get(conn: &Connection, event_id: &str) -> Result<Option<OutboxEntry>> {
    let Some(key) = EventKey::parse(event_id) else { return Ok(None) };
    let (t, m) = key.params();
    Ok(conn.query_row(&format!("{ENTRY} WHERE {BY_KEY}"), params![t, m], entry).optional()?)
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
/// id), and those from `offset` (at most `limit`), in approval order. Without a search no page
/// reads more than its own rows and an index: the unfiltered page starts at its position, the
/// states that left the queue come from their partial index, the counts from the approval's.
pub(crate) fn page(conn: &Connection, month: &str, state: Option<&str>, search: Option<&str>, offset: u32, limit: u32) -> Result<(u32, Vec<OutboxEntry>)> {
    let (lo, hi) = month_positions(month)?;
    let count_of = |s: &str| -> Result<u32> { Ok(state_counts(conn, month)?.into_iter().find(|(k, _)| k == s).map_or(0, |(_, n)| n)) };
    let collect = |sql: &str, p: &[&dyn rusqlite::ToSql]| -> Result<Vec<OutboxEntry>> {
        let mut stmt = conn.prepare(sql)?;
        let rows = stmt.query_map(p, entry)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    };
    match (state, search) {
        (None, None) => {
            let total = super::months::event_count(conn, month)?;
            let from = lo.saturating_add(i64::from(offset));
            Ok((total, collect(&format!("{ENTRY} WHERE e.pos >= ?1 AND e.pos < ?2 ORDER BY e.pos LIMIT ?3"), params![from, hi, limit])?))
        }
        (Some(s), None) if s != "queued" => Ok((
            count_of(s)?,
            collect(&format!("{ENTRY} WHERE e.month = ?1 AND e.state <> 'queued' AND e.state = ?2 ORDER BY e.pos LIMIT ?3 OFFSET ?4"), params![month, s, limit, offset])?,
        )),
        _ => {
            // instr(lower(x), needle) with a lower-case needle: a case-insensitive substring test.
            const FILTER: &str = "e.pos >= ?1 AND e.pos < ?2 AND (?3 IS NULL OR e.state = ?3) \
                 AND (?4 IS NULL OR instr(lower(e.id), ?4) > 0 OR instr(lower(e.instance_id), ?4) > 0)";
            let total = match search {
                None => count_of("queued")?,
                Some(_) => conn.query_row(&format!("SELECT count(*) FROM events e WHERE {FILTER}"), params![lo, hi, state, search], |r| r.get(0))?,
            };
            Ok((total, collect(&format!("{ENTRY} WHERE {FILTER} ORDER BY e.pos LIMIT ?5 OFFSET ?6"), params![lo, hi, state, search, limit, offset])?))
        }
    }
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
