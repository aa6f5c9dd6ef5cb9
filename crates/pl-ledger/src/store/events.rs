//! The frozen events of approved months (`events`) as the rest of the engine asks about them.
//!
//! An event's row id is its position `pos` = (year × 12 + month − 1) << 32 | seq (migration
//! 0009): a month's events are one range of row ids in approval order, so an approval appends,
//! a month is read and deleted as a range, and no index on the month is kept. Its id
//! (`tx-<txn_id>` / `mr-<manual_id>`) is derived from its key ([`EventKey`]), never stored.
use chrono::Datelike;
use rusqlite::{Connection, OptionalExtension};

use crate::{Error, Result};

/// How many events a month can hold: `seq` is the low 32 bits of `pos`.
const SEQ_LIMIT: i64 = 1 << 32;

/// The positions `[lo, hi)` of `month`'s events (`YYYY-MM`).
pub(crate) fn month_positions(month: &str) -> Result<(i64, i64)> {
    let m = crate::calendar::parse_month(month)?;
    let base = (i64::from(m.year()) * 12 + i64::from(m.month0())) << 32;
    Ok((base, base + SEQ_LIMIT))
}

/// What an event id names: a ledger row or a manual refund. Ids are `tx-<n>` and `mr-<n>`
/// (`crate::events::EventRef::write_id`); anything else names no event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum EventKey {
    Txn(i64),
    Manual(i64),
}

impl EventKey {
    pub fn parse(id: &str) -> Option<EventKey> {
        let num = |s: &str| s.bytes().all(|b| b.is_ascii_digit()).then(|| s.parse::<i64>().ok()).flatten();
        if let Some(n) = id.strip_prefix("tx-") {
            num(n).map(EventKey::Txn)
        } else {
            id.strip_prefix("mr-").and_then(num).map(EventKey::Manual)
        }
    }

    /// The ledger row a `tx-<n>` id names; none for any other id.
    pub fn txn_of(id: &str) -> Option<i64> {
        match EventKey::parse(id)? {
            EventKey::Txn(n) => Some(n),
            EventKey::Manual(_) => None,
        }
    }

    /// The manual refund an `mr-<n>` id names; none for any other id.
    pub fn manual_of(id: &str) -> Option<i64> {
        match EventKey::parse(id)? {
            EventKey::Manual(n) => Some(n),
            EventKey::Txn(_) => None,
        }
    }

    /// `(txn_id, manual_id)` for `WHERE txn_id = ?1 OR manual_id = ?2` ([`BY_KEY`]).
    pub fn params(self) -> (Option<i64>, Option<i64>) {
        match self {
            EventKey::Txn(n) => (Some(n), None),
            EventKey::Manual(n) => (None, Some(n)),
        }
    }
}

/// The event whose key is bound to `?1` (its txn id) and `?2` (its manual refund id), one of
/// them NULL: a probe of one of the two key indexes.
pub(crate) const BY_KEY: &str = "(e.txn_id = ?1 OR e.manual_id = ?2)";

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

/// How many of a month's events left the queue (sent, being sent, rejected, in doubt), through
/// the partial index on them.
pub(crate) fn count_touched(conn: &Connection, month: &str) -> Result<u32> {
    Ok(conn.query_row("SELECT count(*) FROM events WHERE month = ?1 AND state <> 'queued'", [month], |r| r.get(0))?)
}

/// Drops a month's frozen events (a reopen).
pub(crate) fn delete_month(conn: &Connection, month: &str) -> Result<()> {
    let (lo, hi) = month_positions(month)?;
    conn.execute("DELETE FROM events WHERE pos >= ?1 AND pos < ?2", [lo, hi])?;
    Ok(())
}

/// One frozen event as an approval writes it (texts as reports print them). Its id is its key's.
pub(crate) struct FrozenEvent<'a> {
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

/// Writes a month's frozen events in approval order, one prepared INSERT binding borrowed texts
/// (appends at `pos`), then records their count on the month ([`FrozenWriter::finish`]).
pub(crate) struct FrozenWriter<'c> {
    conn: &'c Connection,
    insert: crate::raw::RawInsert<'c>,
    month: String,
    base: i64,
    written: i64,
}

impl<'c> FrozenWriter<'c> {
    pub fn new(conn: &'c Connection, month: &str) -> Result<FrozenWriter<'c>> {
        let insert = crate::raw::RawInsert::new(
            conn,
            "INSERT INTO events (pos, month, seq, txn_id, manual_id, instance_id, billing_type, created_date, gross, expenses, \
             net, rate, wix_share, source, source_id, product, expense_note, late, rate_basis) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)",
        )?;
        let (base, _) = month_positions(month)?;
        Ok(FrozenWriter { conn, insert, month: month.to_string(), base, written: 0 })
    }

    /// Writes the next event (`e.seq` must be the count written so far).
    pub fn write(&mut self, e: &FrozenEvent<'_>) -> Result<()> {
        use crate::raw::Val;
        if e.seq != self.written || e.seq >= SEQ_LIMIT {
            return Err(Error::Refused(format!("{}: event {} written out of order or past the month's limit of {SEQ_LIMIT} events", self.month, e.seq)));
        }
        let [gross, expenses, net, rate, wix_share] = e.amounts;
        self.insert.run(&[
            Val::Int(self.base + e.seq),
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
        self.written += 1;
        Ok(())
    }

    /// Records how many events the month froze (the outbox counts its queue from it).
    pub fn finish(self) -> Result<i64> {
        self.conn.execute("UPDATE months SET events = ?2 WHERE month = ?1", rusqlite::params![self.month, self.written])?;
        Ok(self.written)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_parse_back_to_their_keys_and_nothing_else_does() {
        assert_eq!(EventKey::parse("tx-42"), Some(EventKey::Txn(42)));
        assert_eq!(EventKey::parse("mr-7"), Some(EventKey::Manual(7)));
        for bad in ["tx-", "tx--1", "tx-+1", "tx-1a", "TX-1", "mr-99999999999999999999", "x-1", "", "tx-1 "] {
            assert_eq!(EventKey::parse(bad), None, "{bad:?}");
        }
        assert_eq!(EventKey::txn_of("tx-42"), Some(42));
        assert_eq!(EventKey::txn_of("mr-42"), None);
        assert_eq!(EventKey::txn_of("tx-+42"), None);
        assert_eq!(EventKey::manual_of("mr-7"), Some(7));
        assert_eq!((EventKey::manual_of("tx-7"), EventKey::manual_of("mr-+7")), (None, None));
    }

    #[test]
    fn month_positions_follow_the_calendar_and_match_the_migration() {
        let (lo, hi) = month_positions("2026-03").unwrap();
        assert_eq!(lo, (2026 * 12 + 2) << 32);
        assert_eq!(hi - lo, SEQ_LIMIT);
        let (next, _) = month_positions("2026-04").unwrap();
        assert_eq!(next, hi);
        let (dec, _) = month_positions("2025-12").unwrap();
        let (jan, _) = month_positions("2026-01").unwrap();
        assert_eq!(dec + SEQ_LIMIT, jan);
        assert!(month_positions("2026-13").is_err());
        // The migration's SQL computes the same positions.
        let conn = Connection::open_in_memory().unwrap();
        let sql: i64 = conn
            .query_row("SELECT ((CAST(substr(?1, 1, 4) AS INTEGER) * 12 + CAST(substr(?1, 6, 2) AS INTEGER) - 1) << 32) + 5", ["2026-03"], |r| r.get(0))
            .unwrap();
        assert_eq!(sql, lo + 5);
    }
}
