//! The frozen events of approved months (`events`) as the rest of the engine asks about them;
//! the event scans themselves are in `crate::events` (issue 11: the lead moves them here).
use rusqlite::{Connection, OptionalExtension};

use crate::Result;

/// The approved month manual refund `manual_id` is frozen in, if any.
pub(crate) fn month_of_manual(conn: &Connection, manual_id: i64) -> Result<Option<String>> {
    Ok(conn.query_row("SELECT month FROM events WHERE manual_id = ?1", [manual_id], |r| r.get(0)).optional()?)
}

/// The approved month a row of this batch belongs to, if any.
pub(crate) fn month_of_batch(conn: &Connection, batch_id: i64) -> Result<Option<String>> {
    Ok(conn
        .query_row(
            "SELECT e.month FROM batches b JOIN events e ON e.txn_id BETWEEN b.first_txn AND b.last_txn WHERE b.id = ?1 LIMIT 1",
            [batch_id],
            |r| r.get(0),
        )
        .optional()?)
}

/// The approved month this row belongs to, if any.
pub(crate) fn month_of_txn(conn: &Connection, txn_id: i64) -> Result<Option<String>> {
    Ok(conn.query_row("SELECT month FROM events WHERE txn_id = ?1", [txn_id], |r| r.get(0)).optional()?)
}

/// How many of a month's events left the queue (sent, being sent, rejected, in doubt).
pub(crate) fn count_touched(conn: &Connection, month: &str) -> Result<u32> {
    Ok(conn.query_row("SELECT count(*) FROM events WHERE month = ?1 AND state <> 'queued'", [month], |r| r.get(0))?)
}

/// One frozen event as an approval writes it (texts as reports print them).
pub(crate) struct FrozenEvent<'a> {
    pub id: &'a str,
    pub seq: i64,
    pub txn_id: Option<i64>,
    pub manual_id: Option<i64>,
    pub instance_id: &'a str,
    pub billing_type: &'a str,
    pub created_date: &'a str,
    /// Gross, expenses, net, rate and Wix share.
    pub amounts: [&'a str; 5],
    pub source: &'a str,
    pub source_id: Option<&'a str>,
    pub product: &'a str,
    pub expense_note: &'a str,
    pub late: bool,
    pub rate_basis: &'a str,
}

/// Writes a month's frozen events, one prepared INSERT binding borrowed texts. `payload` is
/// left empty: since migration 0006 the Wix body is built from the columns when it is sent.
pub(crate) struct FrozenWriter<'c> {
    insert: crate::raw::RawInsert<'c>,
    month: String,
}

impl<'c> FrozenWriter<'c> {
    pub fn new(conn: &'c Connection, month: &str) -> Result<FrozenWriter<'c>> {
        let insert = crate::raw::RawInsert::new(
            conn,
            "INSERT INTO events (id, month, seq, txn_id, manual_id, instance_id, billing_type, created_date, gross, expenses, \
             net, rate, wix_share, source, source_id, product, expense_note, late, payload, rate_basis) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, '', ?19)",
        )?;
        Ok(FrozenWriter { insert, month: month.to_string() })
    }

    pub fn write(&mut self, e: &FrozenEvent<'_>) -> Result<()> {
        use crate::raw::Val;
        let [gross, expenses, net, rate, wix_share] = e.amounts;
        self.insert.run(&[
            Val::Text(e.id),
            Val::Text(&self.month),
            Val::Int(e.seq),
            e.txn_id.into(),
            e.manual_id.into(),
            Val::Text(e.instance_id),
            Val::Text(e.billing_type),
            Val::Text(e.created_date),
            Val::Text(gross),
            Val::Text(expenses),
            Val::Text(net),
            Val::Text(rate),
            Val::Text(wix_share),
            Val::Text(e.source),
            e.source_id.into(),
            Val::Text(e.product),
            Val::Text(e.expense_note),
            Val::Int(i64::from(e.late)),
            Val::Text(e.rate_basis),
        ])?;
        Ok(())
    }
}
