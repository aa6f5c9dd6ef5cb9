//! The rows billing events are derived from, as the report's scan reads them: live event rows of
//! `txns` by time slice, frozen `events` by `seq` range, manual refunds, and the few lookups the
//! derivation needs (batches, the original charge of a refund, PayPal's USD conversions, the
//! refunds of a charge). The domain (`events.rs`) reads each row through named accessors and
//! never sees a column number or a statement.
use rusqlite::{params, Connection, OptionalExtension};

use crate::raw::{RawQuery, RawRow, RawRows, Val};
use crate::store::txns::T_IS_EVENT_KIND_SQL;
use crate::Result;

/// A connection's scan statements, prepared by the first scan that needs one and kept for the
/// next scans on that connection (a month report runs dozens per connection).
#[derive(Default)]
pub(crate) struct ScanStatements<'c> {
    live: Option<RawQuery<'c>>,
    frozen: Option<RawQuery<'c>>,
}

/// Live rows of event kinds with an instance whose `occurred_ts` is in `[lo, hi)` and that no
/// approval froze (`frozen`: the smallest and largest frozen row ids, [`frozen_txn_bounds`]),
/// in `(occurred_ts, id)` order.
pub(crate) fn live_rows<'s, 'c>(conn: &'c Connection, stmts: &'s mut ScanStatements<'c>, lo: i64, hi: i64, frozen: (i64, i64)) -> Result<LiveRows<'s, 'c>> {
    let stmt = match &mut stmts.live {
        Some(q) => q,
        none => none.insert(RawQuery::new(
            conn,
            &format!(
                "SELECT t.id, t.kind, t.occurred_ts, t.occurred_at, t.currency, t.gross, t.fee, t.net, t.tax, t.instance_id, \
                 t.source_id, t.description, t.batch_id, t.original_ref, t.original_hash, t.charge_hash, t.charge_ref \
                 FROM txns t \
                 WHERE t.undone = 0 AND {T_IS_EVENT_KIND_SQL} AND t.occurred_ts >= ?1 AND t.occurred_ts < ?2 \
                 AND t.instance_id IS NOT NULL \
                 AND (t.id < ?3 OR t.id > ?4 OR NOT EXISTS (SELECT 1 FROM events e WHERE e.txn_id = t.id)) \
                 ORDER BY t.occurred_ts, t.id"
            ),
        )?),
    };
    Ok(LiveRows(stmt.rows(&[Val::Int(lo), Val::Int(hi), Val::Int(frozen.0), Val::Int(frozen.1)])?))
}

pub(crate) struct LiveRows<'s, 'c>(RawRows<'s, 'c>);

impl LiveRows<'_, '_> {
    pub fn next(&mut self) -> Result<Option<LiveRow<'_>>> {
        Ok(self.0.next()?.map(LiveRow))
    }
}

/// One live row: texts are borrowed from SQLite's row and valid until the next row.
pub(crate) struct LiveRow<'r>(RawRow<'r>);

impl<'r> LiveRow<'r> {
    pub fn id(&self) -> i64 {
        self.0.int(0)
    }
    pub fn kind(&self) -> Result<&'r [u8]> {
        Ok(self.0.text_bytes(1)?)
    }
    /// Unix seconds.
    pub fn ts(&self) -> i64 {
        self.0.int(2)
    }
    pub fn occurred_at(&self) -> Result<&'r str> {
        Ok(self.0.str(3)?)
    }
    /// The currency's bytes (checked as UTF-8 by [`LiveRow::currency`] only when needed).
    pub fn currency_bytes(&self) -> Result<&'r [u8]> {
        Ok(self.0.text_bytes(4)?)
    }
    pub fn currency(&self) -> Result<&'r str> {
        Ok(self.0.str(4)?)
    }
    /// Gross, fee, net and tax as stored (decimal texts).
    pub fn amounts(&self) -> Result<[&'r [u8]; 4]> {
        Ok([self.0.text_bytes(5)?, self.0.text_bytes(6)?, self.0.text_bytes(7)?, self.0.text_bytes(8)?])
    }
    pub fn instance_id(&self) -> Result<&'r str> {
        Ok(self.0.str(9)?)
    }
    pub fn source_id(&self) -> Result<&'r str> {
        Ok(self.0.str(10)?)
    }
    pub fn description(&self) -> Result<Option<&'r str>> {
        Ok(self.0.opt_str(11)?)
    }
    pub fn batch_id(&self) -> i64 {
        self.0.int(12)
    }
    pub fn original_ref(&self) -> Result<Option<&'r str>> {
        Ok(self.0.opt_str(13)?)
    }
    /// The key hash of [`LiveRow::original_ref`] (`import::key_hash`), as stored.
    pub fn original_hash(&self) -> Option<i64> {
        self.0.opt_int(14)
    }
    /// The key hash of [`LiveRow::charge_ref`], as stored.
    pub fn charge_hash(&self) -> Option<i64> {
        self.0.opt_int(15)
    }
    /// The charge a charge row is (its processor's charge id).
    pub fn charge_ref(&self) -> Result<Option<&'r str>> {
        Ok(self.0.opt_str(16)?)
    }
}

/// Frozen events of one month with `seq` in `[lo, hi)`, in their approval order: one range of
/// row ids (`super::events::month_positions`).
pub(crate) fn frozen_rows<'s, 'c>(conn: &'c Connection, stmts: &'s mut ScanStatements<'c>, month: &str, lo: i64, hi: i64) -> Result<FrozenRows<'s, 'c>> {
    let (base, _) = super::events::month_positions(month)?;
    let stmt = match &mut stmts.frozen {
        Some(q) => q,
        none => none.insert(RawQuery::new(
            conn,
            "SELECT txn_id, manual_id, instance_id, billing_type, created_date, gross, expenses, net, rate, wix_share, \
             source, source_id, product, expense_note, late, state, rate_basis FROM events WHERE pos >= ?1 AND pos < ?2 ORDER BY pos",
        )?),
    };
    Ok(FrozenRows(stmt.rows(&[Val::Int(base.saturating_add(lo)), Val::Int(base.saturating_add(hi))])?))
}

pub(crate) struct FrozenRows<'s, 'c>(RawRows<'s, 'c>);

impl FrozenRows<'_, '_> {
    pub fn next(&mut self) -> Result<Option<FrozenRow<'_>>> {
        Ok(self.0.next()?.map(FrozenRow))
    }
}

/// One frozen event.
pub(crate) struct FrozenRow<'r>(RawRow<'r>);

impl<'r> FrozenRow<'r> {
    pub fn txn_id(&self) -> Option<i64> {
        self.0.opt_int(0)
    }
    pub fn manual_id(&self) -> Option<i64> {
        self.0.opt_int(1)
    }
    pub fn instance_id(&self) -> Result<&'r str> {
        Ok(self.0.str(2)?)
    }
    pub fn billing_type(&self) -> Result<&'r [u8]> {
        Ok(self.0.text_bytes(3)?)
    }
    pub fn created_date(&self) -> Result<&'r str> {
        Ok(self.0.str(4)?)
    }
    /// Gross, expenses, net, rate and Wix share as frozen, with their names.
    pub fn amounts(&self) -> Result<[(&'static str, &'r [u8]); 5]> {
        Ok([
            ("gross", self.0.text_bytes(5)?),
            ("expenses", self.0.text_bytes(6)?),
            ("net", self.0.text_bytes(7)?),
            ("rate", self.0.text_bytes(8)?),
            ("Wix share", self.0.text_bytes(9)?),
        ])
    }
    pub fn source(&self) -> Result<&'r str> {
        Ok(self.0.str(10)?)
    }
    pub fn source_id(&self) -> Result<Option<&'r str>> {
        Ok(self.0.opt_str(11)?)
    }
    pub fn product(&self) -> Result<&'r str> {
        Ok(self.0.str(12)?)
    }
    pub fn expense_note(&self) -> Result<&'r str> {
        Ok(self.0.str(13)?)
    }
    pub fn late(&self) -> bool {
        self.0.int(14) != 0
    }
    pub fn state(&self) -> Result<&'r str> {
        Ok(self.0.str(15)?)
    }
    /// Empty for an event approved before the words were kept.
    pub fn rate_basis(&self) -> Result<&'r str> {
        Ok(self.0.opt_str(16)?.unwrap_or(""))
    }
}

/// A manual refund not frozen yet, as stored.
pub(crate) struct ManualRow {
    pub id: i64,
    pub instance_id: String,
    pub created_date: String,
    pub amount: String,
    pub fee_returned: String,
    pub charge_event: Option<String>,
    pub reason: String,
}

/// Live manual refunds created in `[start, end)` that no approval froze, by date.
pub(crate) fn manual_rows(conn: &Connection, start: &str, end: &str) -> Result<Vec<ManualRow>> {
    let mut stmt = conn.prepare_cached(
        "SELECT m.id, m.instance_id, m.created_date, m.amount, m.fee_returned, m.charge_event, m.reason FROM manual_refunds m \
         WHERE m.deleted_at IS NULL AND m.created_date >= ?1 AND m.created_date < ?2 \
         AND NOT EXISTS (SELECT 1 FROM events e WHERE e.manual_id = m.id) ORDER BY m.created_date, m.id",
    )?;
    let rows = stmt.query_map([start, end], |r| {
        Ok(ManualRow {
            id: r.get(0)?,
            instance_id: r.get(1)?,
            created_date: r.get(2)?,
            amount: r.get(3)?,
            fee_returned: r.get(4)?,
            charge_event: r.get(5)?,
            reason: r.get(6)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The import batches' format and file name, by id.
pub(crate) fn batches(conn: &Connection) -> Result<Vec<(i64, String, String)>> {
    let mut stmt = conn.prepare_cached("SELECT id, format, file_name FROM batches")?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The smallest and largest row ids frozen into `events` (`(MAX, MIN)` when none is): a row
/// outside them is certainly not frozen, so only rows inside need the `events` probe.
pub(crate) fn frozen_txn_bounds(conn: &Connection) -> Result<(i64, i64)> {
    Ok(conn.query_row(
        "SELECT (SELECT min(txn_id) FROM events WHERE txn_id IS NOT NULL), (SELECT max(txn_id) FROM events WHERE txn_id IS NOT NULL)",
        [],
        |r| Ok((r.get::<_, Option<i64>>(0)?.unwrap_or(i64::MAX), r.get::<_, Option<i64>>(1)?.unwrap_or(i64::MIN))),
    )?)
}

/// The smallest and largest `seq` of a month's frozen events (two seeks of the row-id b-tree).
pub(crate) fn frozen_seq_bounds(conn: &Connection, month: &str) -> Result<Option<(i64, i64)>> {
    let (base, end) = super::events::month_positions(month)?;
    let (lo, hi): (Option<i64>, Option<i64>) = conn.query_row(
        "SELECT (SELECT min(pos) FROM events WHERE pos >= ?1 AND pos < ?2), (SELECT max(pos) FROM events WHERE pos >= ?1 AND pos < ?2)",
        [base, end],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    Ok(lo.zip(hi).map(|(lo, hi)| (lo - base, hi - base)))
}

/// A row's line in its file (for a message naming it).
pub(crate) fn line_of(conn: &Connection, txn_id: i64) -> Result<Option<i64>> {
    Ok(conn.query_row("SELECT line FROM txns WHERE id = ?1", [txn_id], |r| r.get::<_, Option<i64>>(0)).optional()?.flatten())
}

/// A row's source id and instant text (for an exception naming it).
pub(crate) fn row_names(conn: &Connection, txn_id: i64) -> Result<(String, String)> {
    Ok(conn.prepare_cached("SELECT source_id, occurred_at FROM txns WHERE id = ?1")?.query_row([txn_id], |r| Ok((r.get(0)?, r.get(1)?)))?)
}

/// The earliest live charge with this reference (`key_hash` its hash), or this row id: its id,
/// instant (Unix seconds) and instance.
pub(crate) enum ChargeBy<'a> {
    Ref { hash: i64, charge_ref: &'a str },
    Row(i64),
}

pub(crate) fn original_charge(conn: &Connection, by: ChargeBy<'_>) -> Result<Option<(i64, i64, Option<String>)>> {
    let pick = |r: &rusqlite::Row<'_>| Ok((r.get(0)?, r.get(1)?, r.get(2)?));
    const COLS: &str = "SELECT id, occurred_ts, instance_id FROM txns WHERE";
    const LIVE_CHARGE: &str = "AND kind = 'charge' AND undone = 0 ORDER BY occurred_ts, id LIMIT 1";
    Ok(match by {
        ChargeBy::Ref { hash, charge_ref } => conn
            .prepare_cached(&format!("{COLS} charge_hash = ?1 AND charge_ref = ?2 {LIVE_CHARGE}"))?
            .query_row(params![hash, charge_ref], pick)
            .optional()?,
        ChargeBy::Row(id) => conn.prepare_cached(&format!("{COLS} id = ?1 {LIVE_CHARGE}"))?.query_row([id], pick).optional()?,
    })
}

/// USD credited (or debited) by PayPal currency conversions: (the payment converted, amount).
pub(crate) fn usd_conversions(conn: &Connection) -> Result<Vec<(String, String)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT conversion_ref, gross FROM txns WHERE undone = 0 AND kind = 'conversion' AND currency = 'USD' AND conversion_ref IS NOT NULL",
    )?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// How many rows name each original charge, by its key hash: every row with an `original_hash`
/// (refunds and disputes, live or undone), read from the `txns_original` index alone.
pub(crate) fn original_hash_counts(conn: &Connection) -> Result<rustc_hash::FxHashMap<i64, u32>> {
    let mut stmt = conn.prepare_cached("SELECT original_hash FROM txns WHERE original_hash IS NOT NULL")?;
    let mut rows = stmt.query([])?;
    let mut counts = rustc_hash::FxHashMap::default();
    while let Some(r) = rows.next()? {
        *counts.entry(r.get::<_, i64>(0)?).or_insert(0u32) += 1;
    }
    Ok(counts)
}

/// The ids of the rows whose `charge_hash` is `hash`, from the `txns_charge` index alone.
pub(crate) fn rows_with_charge_hash(conn: &Connection, hash: i64, ids: &mut Vec<i64>) -> Result<()> {
    let mut stmt = conn.prepare_cached("SELECT id FROM txns WHERE charge_hash = ?1")?;
    ids.clear();
    for id in stmt.query_map([hash], |r| r.get(0))? {
        ids.push(id?);
    }
    Ok(())
}

/// A row as the refund check reads a possible charge: whether it is a live charge, and its
/// charge reference, currency and gross.
pub(crate) struct ChargeFacts {
    pub live_charge: bool,
    pub charge_ref: Option<String>,
    pub currency: String,
    pub gross: String,
}

pub(crate) fn charge_facts(conn: &Connection, id: i64) -> Result<Option<ChargeFacts>> {
    let mut stmt = conn.prepare_cached("SELECT kind = 'charge' AND undone = 0, charge_ref, currency, gross FROM txns WHERE id = ?1")?;
    Ok(stmt
        .query_row([id], |r| Ok(ChargeFacts { live_charge: r.get(0)?, charge_ref: r.get(1)?, currency: r.get(2)?, gross: r.get(3)? }))
        .optional()?)
}

/// The live refunds of an original charge (`hash`: its key hash) with the gross of the live
/// charge they refund in their currency: (refund's instant text, refund id, refund gross, charge
/// gross), through the `original_hash` and `charge_hash` indexes.
pub(crate) fn refunds_of_charge(conn: &Connection, hash: i64, original: &str) -> Result<Vec<(String, i64, String, String)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT r.occurred_at, r.id, r.gross, c.gross FROM txns r \
         JOIN txns c ON c.charge_hash = r.original_hash AND c.charge_ref = r.original_ref AND c.kind = 'charge' AND c.undone = 0 AND c.currency = r.currency \
         WHERE r.original_hash = ?1 AND r.original_ref = ?2 AND r.kind = 'refund' AND r.undone = 0",
    )?;
    let rows = stmt.query_map(params![hash, original], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
