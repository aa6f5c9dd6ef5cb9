//! The operator's manual refunds (`manual_refunds`).
use rusqlite::{params, Connection, OptionalExtension};

use crate::{now_rfc3339, Result};

/// A manual refund to store; amounts as their decimal text.
pub(crate) struct NewRow<'a> {
    pub instance_id: &'a str,
    /// YYYY-MM-DD.
    pub refund_date: &'a str,
    /// Its instant (RFC 3339).
    pub created_date: &'a str,
    pub amount: &'a str,
    pub fee_returned: &'a str,
    pub charge_event: Option<&'a str>,
    pub reason: &'a str,
}

/// Stores a manual refund, stamped now by `by`; returns its id.
pub(crate) fn insert(conn: &Connection, r: &NewRow<'_>, by: &str) -> Result<i64> {
    conn.execute(
        "INSERT INTO manual_refunds (instance_id, refund_date, created_date, amount, fee_returned, charge_event, reason, created_at, created_by) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![r.instance_id, r.refund_date, r.created_date, r.amount, r.fee_returned, r.charge_event, r.reason, now_rfc3339(), by],
    )?;
    Ok(conn.last_insert_rowid())
}

/// The amounts (as stored) of the live manual refunds of charge event `charge_event` (`tx-<n>`).
pub(crate) fn live_amounts_of_charge(conn: &Connection, charge_event: &str) -> Result<Vec<String>> {
    Ok(conn
        .prepare("SELECT amount FROM manual_refunds WHERE deleted_at IS NULL AND charge_event = ?1")?
        .query_map([charge_event], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?)
}

/// A stored manual refund: what the operator entered (amounts as their decimal text), and when
/// it was deleted.
pub(crate) struct Stored {
    pub instance_id: String,
    pub refund_date: String,
    pub amount: String,
    pub fee_returned: String,
    pub charge_event: Option<String>,
    pub reason: String,
    pub deleted_at: Option<String>,
}

/// The first and last `created_date` of the live manual refunds (RFC 3339), if any.
pub(crate) fn live_span(conn: &Connection) -> Result<Option<(String, String)>> {
    let (lo, hi): (Option<String>, Option<String>) =
        conn.query_row("SELECT min(created_date), max(created_date) FROM manual_refunds WHERE deleted_at IS NULL", [], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(lo.zip(hi))
}

pub(crate) fn get(conn: &Connection, id: i64) -> Result<Option<Stored>> {
    Ok(conn
        .query_row(
            "SELECT instance_id, refund_date, amount, fee_returned, charge_event, reason, deleted_at FROM manual_refunds WHERE id = ?1",
            [id],
            |r| {
                Ok(Stored {
                    instance_id: r.get(0)?,
                    refund_date: r.get(1)?,
                    amount: r.get(2)?,
                    fee_returned: r.get(3)?,
                    charge_event: r.get(4)?,
                    reason: r.get(5)?,
                    deleted_at: r.get(6)?,
                })
            },
        )
        .optional()?)
}

/// Marks manual refund `id` deleted, now, by `by`.
pub(crate) fn mark_deleted(conn: &Connection, id: i64, by: &str) -> Result<()> {
    conn.execute("UPDATE manual_refunds SET deleted_at = ?2, deleted_by = ?3 WHERE id = ?1", params![id, now_rfc3339(), by])?;
    Ok(())
}
