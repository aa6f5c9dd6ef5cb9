//! Answers frozen by CREATE_INVOICE (`charge_answers`) and their charges (`charge_lines`).
use rusqlite::{params, Connection, OptionalExtension};

use crate::Result;

/// The key an answer is frozen under.
pub(crate) struct Key<'a> {
    pub kind: &'a str,
    pub instance_id: &'a str,
    pub currency: &'a str,
    pub start_ms: i64,
    pub end_ms: i64,
}

/// The body frozen under `key` (not rejected), if any.
pub(crate) fn frozen_body(conn: &Connection, key: &Key<'_>) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached(
            "SELECT body FROM charge_answers INDEXED BY charge_answers_key WHERE instance_id = ?1 AND currency = ?2 \
             AND period_start_ms = ?3 AND period_end_ms = ?4 AND kind = ?5 AND rejected_at IS NULL",
        )?
        .query_row(params![key.instance_id, key.currency, key.start_ms, key.end_ms, key.kind], |r| r.get(0))
        .optional()?)
}

/// Stores a frozen answer; returns its id.
pub(crate) fn insert(conn: &Connection, key: &Key<'_>, body: &str, left_out: &str, request_id: Option<&str>, at: &str) -> Result<i64> {
    conn.prepare_cached(
        "INSERT INTO charge_answers (kind, instance_id, currency, period_start_ms, period_end_ms, body, left_out, request_id, frozen_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![key.kind, key.instance_id, key.currency, key.start_ms, key.end_ms, body, left_out, request_id, at])?;
    Ok(conn.last_insert_rowid())
}

/// One charge of a frozen answer.
pub(crate) struct Line<'a> {
    pub charge_id: &'a str,
    pub metric: &'a str,
    pub description: &'a str,
    pub amount: &'a str,
}

pub(crate) fn insert_lines(conn: &Connection, answer_id: i64, lines: &[Line<'_>]) -> Result<()> {
    let mut stmt = conn.prepare_cached(
        "INSERT INTO charge_lines (answer_id, position, charge_id, metric, description, amount) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    for (i, l) in lines.iter().enumerate() {
        stmt.execute(params![answer_id, i as i64, l.charge_id, l.metric, l.description, l.amount])?;
    }
    Ok(())
}

// A charge is found through the live answers of its instance (`charge_answers_key`, instance
// first), then its answer's lines (their key, answer first): no index by charge id (0011).
const MARK_INVOICED: &str = "UPDATE charge_lines SET invoice_id = ?3, invoiced_amount = ?4, invoiced_at = ?5 \
     WHERE answer_id IN (SELECT id FROM charge_answers INDEXED BY charge_answers_key WHERE instance_id = ?1 AND rejected_at IS NULL) \
     AND charge_id = ?2";
const REJECTABLE: &str = "SELECT DISTINCT a.id FROM charge_answers a INDEXED BY charge_answers_key JOIN charge_lines l ON l.answer_id = a.id \
     WHERE a.instance_id = ?1 AND a.rejected_at IS NULL AND l.charge_id = ?2 \
     AND NOT EXISTS (SELECT 1 FROM charge_lines i WHERE i.answer_id = a.id AND i.invoice_id IS NOT NULL)";

/// Marks the charge `charge_id` of a live answer of `instance` invoiced; returns whether one was.
pub(crate) fn mark_invoiced(conn: &Connection, instance: &str, charge_id: &str, invoice_id: &str, amount: Option<&str>, at: &str) -> Result<bool> {
    let n = conn.prepare_cached(MARK_INVOICED)?.execute(params![instance, charge_id, invoice_id, amount, at])?;
    Ok(n > 0)
}

/// The live answers of `instance` holding the charge `charge_id` and none invoiced: (answer id).
pub(crate) fn rejectable(conn: &Connection, instance: &str, charge_id: &str) -> Result<Vec<i64>> {
    let mut stmt = conn.prepare_cached(REJECTABLE)?;
    let rows = stmt.query_map(params![instance, charge_id], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Marks an answer rejected (it no longer binds its key).
pub(crate) fn reject(conn: &Connection, answer_id: i64, reasons: &str, at: &str) -> Result<()> {
    conn.prepare_cached("UPDATE charge_answers SET rejected_at = ?2, rejected_reasons = ?3 WHERE id = ?1 AND rejected_at IS NULL")?
        .execute(params![answer_id, at, reasons])?;
    Ok(())
}

/// A frozen charge as the window lists it.
#[derive(Debug, Clone)]
pub(crate) struct FrozenLine {
    pub answer_id: i64,
    pub instance_id: String,
    pub currency: String,
    pub period_start_ms: i64,
    pub period_end_ms: i64,
    pub charge_id: String,
    pub description: String,
    pub amount: String,
    pub invoice_id: Option<String>,
    pub rejected: bool,
}

/// The charges of the answers frozen for `instance` (or every instance), newest first.
pub(crate) fn lines(conn: &Connection, instance: Option<&str>, limit: u32) -> Result<Vec<FrozenLine>> {
    let mut stmt = conn.prepare_cached(
        "SELECT a.id, a.instance_id, a.currency, a.period_start_ms, a.period_end_ms, l.charge_id, l.description, l.amount, \
         l.invoice_id, a.rejected_at IS NOT NULL \
         FROM charge_answers a JOIN charge_lines l ON l.answer_id = a.id \
         WHERE ?1 IS NULL OR a.instance_id = ?1 ORDER BY a.id DESC, l.position LIMIT ?2",
    )?;
    let rows = stmt.query_map(params![instance, limit], |r| {
        Ok(FrozenLine {
            answer_id: r.get(0)?,
            instance_id: r.get(1)?,
            currency: r.get(2)?,
            period_start_ms: r.get(3)?,
            period_end_ms: r.get(4)?,
            charge_id: r.get(5)?,
            description: r.get(6)?,
            amount: r.get(7)?,
            invoice_id: r.get(8)?,
            rejected: r.get(9)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What SQLite plans for `sql`, one step a line.
    fn plan(conn: &Connection, sql: &str) -> String {
        let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
        let nulls = vec![rusqlite::types::Null; stmt.parameter_count()];
        let steps = stmt.query_map(rusqlite::params_from_iter(nulls), |r| r.get::<_, String>(3)).unwrap();
        steps.map(|s| s.unwrap()).collect::<Vec<_>>().join("\n")
    }

    /// Invoice Created and Charges Rejected find a charge through its instance's answers and
    /// their lines by key: no step reads a whole table, however many answers were frozen.
    #[test]
    fn a_charge_is_found_through_its_instance_never_by_a_scan() {
        let dir = tempfile::tempdir().unwrap();
        let conn = crate::db::open(&dir.path().join("ledger.sqlite")).unwrap();
        for sql in [MARK_INVOICED, REJECTABLE] {
            let p = plan(&conn, sql);
            assert!(p.contains("USING INDEX charge_answers_key (instance_id=?)"), "{p}");
            assert!(p.contains("USING INDEX sqlite_autoindex_charge_lines_1 (answer_id=?)"), "{p}");
            assert!(!p.contains("SCAN"), "{p}");
        }
    }
}
