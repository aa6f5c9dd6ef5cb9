//! The append-only audit log: who, when, what, and the values before and after.
//! Invariant: rows are only ever inserted (triggers refuse UPDATE and DELETE).
use rusqlite::{params, Connection};
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
    let rows = stmt.query_map([], |r| {
        let parse = |s: Option<String>| s.and_then(|s| serde_json::from_str(&s).ok());
        Ok(AuditEntry {
            id: r.get(0)?,
            at: r.get(1)?,
            who: r.get(2)?,
            action: r.get(3)?,
            entity: r.get(4)?,
            before: parse(r.get(5)?),
            after: parse(r.get(6)?),
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
