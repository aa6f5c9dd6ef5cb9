//! The append-only audit log: who, when, what, and the values before and after.
//! Invariant: rows are only ever inserted (triggers refuse UPDATE and DELETE).
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

use crate::{now_rfc3339, AuditEntry, Result};

/// Records one change. `before`/`after` are any serialisable values (stored as JSON).
pub(crate) fn record(
    conn: &Connection,
    who: &str,
    action: &str,
    entity: &str,
    before: Option<&impl Serialize>,
    after: Option<&impl Serialize>,
) -> Result<()> {
    fn to_json(v: Option<&impl Serialize>) -> Option<String> {
        v.map(|v| serde_json::to_string(v).expect("audit values serialise"))
    }
    conn.prepare_cached("INSERT INTO audit (at, who, action, entity, before, after) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")?
        .execute(params![now_rfc3339(), who, action, entity, to_json(before), to_json(after)])?;
    Ok(())
}

pub(crate) fn list(conn: &Connection) -> Result<Vec<AuditEntry>> {
    let mut stmt = conn.prepare("SELECT id, at, who, action, entity, before, after FROM audit ORDER BY id")?;
    let rows = stmt.query_map([], entry_of)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

fn entry_of(r: &rusqlite::Row<'_>) -> rusqlite::Result<AuditEntry> {
    let parse = |s: Option<String>| s.and_then(|s| serde_json::from_str(&s).ok());
    Ok(AuditEntry { id: r.get(0)?, at: r.get(1)?, who: r.get(2)?, action: r.get(3)?, entity: r.get(4)?, before: parse(r.get(5)?), after: parse(r.get(6)?) })
}

/// Entry `id`, if there is one.
pub(crate) fn get(conn: &Connection, id: i64) -> Result<Option<AuditEntry>> {
    Ok(conn.query_row("SELECT id, at, who, action, entity, before, after FROM audit WHERE id = ?1", [id], entry_of).optional()?)
}

/// Which entries a page shows: made in `[from, to)` (stored instants compare as text), by
/// `who`, of `action`, with `entity` containing a text (case-insensitive); `None`: any.
pub(crate) struct Filter<'a> {
    pub from: Option<&'a str>,
    pub to: Option<&'a str>,
    pub who: Option<&'a str>,
    pub action: Option<&'a str>,
    pub entity: Option<&'a str>,
}

/// One entry as a page lists it: the values as stored (JSON text).
pub(crate) struct Line {
    pub id: i64,
    pub at: String,
    pub who: String,
    pub action: String,
    pub entity: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

const FILTER: &str = "(?1 IS NULL OR at >= ?1) AND (?2 IS NULL OR at < ?2) AND (?3 IS NULL OR who = ?3) \
     AND (?4 IS NULL OR action = ?4) AND (?5 IS NULL OR instr(lower(entity), lower(?5)) > 0)";

/// How many entries match, and `limit` of them from `offset`, newest first. The values are
/// cut to their first `value_chars` characters (their length is what a page costs).
pub(crate) fn page(conn: &Connection, f: &Filter<'_>, offset: u32, limit: u32, value_chars: u32) -> Result<(u32, Vec<Line>)> {
    let args = params![f.from, f.to, f.who, f.action, f.entity];
    let total: u32 = conn.query_row(&format!("SELECT count(*) FROM audit WHERE {FILTER}"), args, |r| r.get(0))?;
    let mut stmt = conn.prepare(&format!(
        "SELECT id, at, who, action, entity, substr(before, 1, ?8), substr(after, 1, ?8) FROM audit WHERE {FILTER} \
         ORDER BY id DESC LIMIT ?6 OFFSET ?7"
    ))?;
    let rows = stmt.query_map(params![f.from, f.to, f.who, f.action, f.entity, limit, offset, value_chars], |r| {
        Ok(Line { id: r.get(0)?, at: r.get(1)?, who: r.get(2)?, action: r.get(3)?, entity: r.get(4)?, before: r.get(5)?, after: r.get(6)? })
    })?;
    Ok((total, rows.collect::<rusqlite::Result<_>>()?))
}

/// The distinct values of a column (`who` or `action`), sorted.
pub(crate) fn distinct(conn: &Connection, column: Column) -> Result<Vec<String>> {
    let sql = match column {
        Column::Who => "SELECT DISTINCT who FROM audit ORDER BY who",
        Column::Action => "SELECT DISTINCT action FROM audit ORDER BY action",
    };
    let mut stmt = conn.prepare(sql)?;
    let rows = stmt.query_map([], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// A column [`distinct`] lists.
pub(crate) enum Column {
    Who,
    Action,
}

/// Calls `f` with the instant of every entry (stored text), oldest first.
pub(crate) fn for_each_at(conn: &Connection, mut f: impl FnMut(&str)) -> Result<()> {
    let mut stmt = conn.prepare("SELECT at FROM audit ORDER BY id")?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        f(r.get_ref(0)?.as_str()?);
    }
    Ok(())
}
