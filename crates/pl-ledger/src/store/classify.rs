//! The operator's classification rules (`classify_rules`) and the kind changes they make to
//! `txns` rows (`kind_from = 'rule'`).
use rusqlite::{params, Connection, OptionalExtension};

use crate::{now_rfc3339, ClassifyRule, Result};

/// Every saved rule as (source, type key, action), the action as stored.
pub(crate) fn rules(conn: &Connection) -> Result<Vec<(String, String, String)>> {
    let mut stmt = conn.prepare("SELECT source, type_key, action FROM classify_rules")?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub(crate) fn list(conn: &Connection) -> Result<Vec<ClassifyRule>> {
    let mut stmt = conn.prepare("SELECT source, type_name, action, saved_at, saved_by FROM classify_rules ORDER BY source, type_key")?;
    let rows = stmt.query_map([], rule_from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

fn rule_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ClassifyRule> {
    Ok(ClassifyRule { source: r.get(0)?, type_name: r.get(1)?, action: r.get(2)?, saved_at: r.get(3)?, saved_by: r.get(4)? })
}

/// The rule of (source, type key), if saved.
pub(crate) fn rule(conn: &Connection, source: &str, key: &str) -> Result<Option<ClassifyRule>> {
    Ok(conn
        .query_row(
            "SELECT source, type_name, action, saved_at, saved_by FROM classify_rules WHERE source = ?1 AND type_key = ?2",
            [source, key],
            rule_from_row,
        )
        .optional()?)
}

/// Saves (or replaces) the rule of (source, type key), stamped now by `by`.
pub(crate) fn save(conn: &Connection, source: &str, key: &str, type_name: &str, action: &str, by: &str) -> Result<()> {
    conn.execute(
        "INSERT INTO classify_rules (source, type_key, type_name, action, saved_at, saved_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6) \
         ON CONFLICT(source, type_key) DO UPDATE SET type_name = excluded.type_name, action = excluded.action, \
         saved_at = excluded.saved_at, saved_by = excluded.saved_by",
        params![source, key, type_name, action, now_rfc3339(), by],
    )?;
    Ok(())
}

pub(crate) fn delete(conn: &Connection, source: &str, key: &str) -> Result<()> {
    conn.execute("DELETE FROM classify_rules WHERE source = ?1 AND type_key = ?2", [source, key])?;
    Ok(())
}

/// A live `unclassified` row, as a rule needs it.
pub(crate) struct Unclassified {
    pub id: i64,
    /// Its batch's source format id.
    pub source: String,
    pub type_name: Option<String>,
    pub gross: String,
    pub source_id: String,
}

/// The live `unclassified` rows (few: each is an exception).
pub(crate) fn unclassified(conn: &Connection) -> Result<Vec<Unclassified>> {
    let mut stmt = conn.prepare(
        "SELECT t.id, b.format, t.type_name, t.gross, t.source_id FROM txns t JOIN batches b ON b.id = t.batch_id \
         WHERE t.kind = 'unclassified' AND t.undone = 0",
    )?;
    let rows = stmt.query_map([], |r| Ok(Unclassified { id: r.get(0)?, source: r.get(1)?, type_name: r.get(2)?, gross: r.get(3)?, source_id: r.get(4)? }))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The source format and type of live `unclassified` row `txn_id`, if it is one.
pub(crate) fn unclassified_type(conn: &Connection, txn_id: i64) -> Result<Option<(String, Option<String>)>> {
    Ok(conn
        .query_row(
            "SELECT b.format, t.type_name FROM txns t JOIN batches b ON b.id = t.batch_id \
             WHERE t.id = ?1 AND t.undone = 0 AND t.kind = 'unclassified'",
            [txn_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?)
}

/// Makes a row a charge by rule. A charge is what refunds point back to: by its own processor
/// id (`source_id`, hashed as `source_hash`) when the file gave no other.
pub(crate) fn make_charge(conn: &Connection, id: i64, source_id: &str, source_hash: i64) -> Result<()> {
    conn.execute(
        "UPDATE txns SET kind = 'charge', kind_from = 'rule', charge_ref = coalesce(charge_ref, ?2), \
         charge_hash = coalesce(charge_hash, ?3) WHERE id = ?1",
        params![id, source_id, source_hash],
    )?;
    Ok(())
}

pub(crate) fn make_refund(conn: &Connection, id: i64) -> Result<()> {
    conn.execute("UPDATE txns SET kind = 'refund', kind_from = 'rule' WHERE id = ?1", [id])?;
    Ok(())
}

pub(crate) fn make_ignored(conn: &Connection, id: i64) -> Result<()> {
    conn.execute("UPDATE txns SET kind = 'skipped', kind_from = 'rule', skip_reason = 'classified as ignore' WHERE id = ?1", [id])?;
    Ok(())
}

/// A live row a rule classified.
pub(crate) struct Classified {
    pub id: i64,
    pub source: String,
    pub type_name: Option<String>,
    /// An approval froze it as an event.
    pub frozen: bool,
}

/// The live rows any rule classified.
pub(crate) fn classified(conn: &Connection) -> Result<Vec<Classified>> {
    let mut stmt = conn.prepare(
        "SELECT t.id, b.format, t.type_name, EXISTS (SELECT 1 FROM events e WHERE e.txn_id = t.id) \
         FROM txns t JOIN batches b ON b.id = t.batch_id WHERE t.kind_from = 'rule' AND t.undone = 0",
    )?;
    let rows = stmt.query_map([], |r| Ok(Classified { id: r.get(0)?, source: r.get(1)?, type_name: r.get(2)?, frozen: r.get(3)? }))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Puts a classified row back to `unclassified`. The instance it found as a charge or refund
/// (by its charge, by its customer) is found again if it is classified again; metadata and an
/// operator's assignment stay.
pub(crate) fn unclassify(conn: &Connection, id: i64) -> Result<()> {
    conn.execute(
        "UPDATE txns SET kind = 'unclassified', kind_from = NULL, skip_reason = NULL, \
         instance_id = CASE WHEN resolved_by IN ('charge', 'customer') THEN NULL ELSE instance_id END, \
         resolved_by = CASE WHEN resolved_by IN ('charge', 'customer') THEN NULL ELSE resolved_by END WHERE id = ?1",
        [id],
    )?;
    Ok(())
}
