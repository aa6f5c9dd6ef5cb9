//! The `txns` table: the import's writer ([`TxnWriter`], through `raw`), its duplicate and
//! conflict lookups and its bulk load ([`begin_bulk_load`]), undo's updates, the running
//! `payout_items`, instance resolution, refund promotion, the rows exceptions are made of, and
//! the rows a manual refund checks against.
use rusqlite::{params, Connection, OptionalExtension};

use crate::raw::{RawInsert, Val};
use crate::Result;

/// Row kinds that give billing events ([`crate::kinds::EVENT_KINDS`]) as an SQL list.
pub const EVENT_KINDS_SQL: &str = "('charge', 'refund', 'dispute', 'dispute_reversal')";

/// `t.kind` is one of [`EVENT_KINDS_SQL`], written as comparisons joined by OR: SQLite tests an
/// `IN` list through a temporary index (a B-tree lookup per row), ~20 % of a scan that reads
/// little else.
pub const T_IS_EVENT_KIND_SQL: &str = "(t.kind = 'charge' OR t.kind = 'refund' OR t.kind = 'dispute' OR t.kind = 'dispute_reversal')";

/// A `sent` refund candidate whose original reference is a live charge becomes a refund
/// (`kind_from = 'charge'`); a promoted row whose charge is no longer live is `sent` again
/// (and loses the instance it took from that charge), unless an approval froze it.
const PROMOTE: &str = "UPDATE txns SET kind = 'refund', kind_from = 'charge' WHERE kind = 'sent' AND original_hash IS NOT NULL \
    AND undone = 0 AND EXISTS (SELECT 1 FROM txns c WHERE c.charge_hash = txns.original_hash \
        AND c.charge_ref = txns.original_ref AND c.kind = 'charge' AND c.undone = 0)";
const DEMOTE: &str = "UPDATE txns SET kind = 'sent', kind_from = NULL, \
        instance_id = CASE WHEN resolved_by = 'charge' THEN NULL ELSE instance_id END, \
        resolved_by = CASE WHEN resolved_by = 'charge' THEN NULL ELSE resolved_by END \
    WHERE kind_from = 'charge' AND undone = 0 \
    AND NOT EXISTS (SELECT 1 FROM txns c WHERE c.charge_hash = txns.original_hash \
        AND c.charge_ref = txns.original_ref AND c.kind = 'charge' AND c.undone = 0) \
    AND NOT EXISTS (SELECT 1 FROM events e WHERE e.txn_id = txns.id)";

/// Resolves every live row still without an instance, by original charge then customer mapping,
/// after promoting the refund candidates whose charge is live (see [`PROMOTE`]).
pub(crate) fn resolve_pending(conn: &Connection) -> Result<()> {
    conn.prepare_cached(DEMOTE)?.execute([])?;
    conn.prepare_cached(PROMOTE)?.execute([])?;
    // Each unresolved refund looks its charge up once (the first live charge of that id with an
    // instance), and only those that found one are updated.
    let by_charge = "UPDATE txns SET resolved_by = 'charge', instance_id = m.instance_id FROM ( \
            SELECT r.id AS rid, ( \
                SELECT c.instance_id FROM txns c WHERE c.charge_hash = r.original_hash AND c.charge_ref = r.original_ref \
                AND c.undone = 0 AND c.kind = 'charge' AND c.instance_id IS NOT NULL ORDER BY c.id LIMIT 1) AS instance_id \
            FROM txns r WHERE r.undone = 0 AND r.instance_id IS NULL AND r.instance_meta IS NULL AND r.original_ref IS NOT NULL \
            AND r.kind IN ('refund', 'dispute', 'dispute_reversal')) m \
        WHERE txns.id = m.rid AND m.instance_id IS NOT NULL";
    let by_customer = format!(
        "UPDATE txns SET resolved_by = 'customer', instance_id = ( \
            SELECT m.instance_id FROM customer_map m WHERE m.customer_key = txns.customer_key) \
        WHERE undone = 0 AND instance_id IS NULL AND instance_meta IS NULL AND kind IN {EVENT_KINDS_SQL} \
        AND customer_key IN (SELECT customer_key FROM customer_map)"
    );
    conn.execute(by_charge, [])?;
    // A charge resolved by its customer can now resolve its refunds.
    if conn.execute(&by_customer, [])? > 0 {
        conn.execute(by_charge, [])?;
    }
    Ok(())
}

/// Forgets the instance the live rows of customer `key` took from its mapping.
pub(crate) fn unresolve_customer(conn: &Connection, key: &str) -> Result<()> {
    conn.execute(
        "UPDATE txns SET instance_id = NULL, resolved_by = NULL WHERE undone = 0 AND resolved_by = 'customer' AND customer_key = ?1",
        [key],
    )?;
    Ok(())
}

/// Forgets the instance every live row took from its original charge.
pub(crate) fn unresolve_by_charge(conn: &Connection) -> Result<()> {
    conn.execute("UPDATE txns SET instance_id = NULL, resolved_by = NULL WHERE undone = 0 AND resolved_by = 'charge'", [])?;
    Ok(())
}

/// Live rows of event kinds without an instance.
pub(crate) fn count_unresolved(conn: &Connection) -> Result<u32> {
    Ok(conn.query_row(
        &format!("SELECT count(*) FROM txns WHERE undone = 0 AND instance_id IS NULL AND kind IN {EVENT_KINDS_SQL}"),
        [],
        |r| r.get(0),
    )?)
}

/// The instance and customer key of live row `txn_id` of an event kind; `None` when there is
/// no such row.
#[allow(clippy::type_complexity)]
pub(crate) fn event_row_instance(conn: &Connection, txn_id: i64) -> Result<Option<(Option<String>, Option<String>)>> {
    Ok(conn
        .query_row(
            &format!("SELECT instance_id, customer_key FROM txns WHERE id = ?1 AND undone = 0 AND kind IN {EVENT_KINDS_SQL}"),
            [txn_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?)
}

/// The operator's assignment of `instance` to row `txn_id`.
pub(crate) fn assign_instance(conn: &Connection, txn_id: i64, instance: &str) -> Result<()> {
    conn.execute("UPDATE txns SET instance_id = ?2, resolved_by = 'assigned' WHERE id = ?1", params![txn_id, instance])?;
    Ok(())
}

/// The instance of row `txn_id`; `None` when the row has none (an error when there is no row).
pub(crate) fn instance_of(conn: &Connection, txn_id: i64) -> Result<Option<String>> {
    Ok(conn.query_row("SELECT instance_id FROM txns WHERE id = ?1", [txn_id], |r| r.get(0))?)
}

/// A live `unclassified` row of a period, for its exception.
pub(crate) struct UnclassifiedRow {
    pub txn_id: i64,
    pub source: String,
    pub source_id: String,
    pub occurred_at: String,
    pub type_name: Option<String>,
    pub gross: String,
    pub currency: String,
    pub file_name: String,
    pub line: u32,
}

/// The live `unclassified` rows with `start_ts <= occurred_ts < end_ts`, in time order.
pub(crate) fn unclassified_between(conn: &Connection, start_ts: i64, end_ts: i64) -> Result<Vec<UnclassifiedRow>> {
    let mut stmt = conn.prepare(
        "SELECT t.id, b.format, t.source_id, t.occurred_at, t.type_name, t.gross, t.currency, b.file_name, t.line \
         FROM txns t JOIN batches b ON b.id = t.batch_id \
         WHERE t.kind = 'unclassified' AND t.undone = 0 AND t.occurred_ts >= ?1 AND t.occurred_ts < ?2 ORDER BY t.occurred_ts, t.id",
    )?;
    let rows = stmt.query_map([start_ts, end_ts], |r| {
        Ok(UnclassifiedRow {
            txn_id: r.get(0)?,
            source: r.get(1)?,
            source_id: r.get(2)?,
            occurred_at: r.get(3)?,
            type_name: r.get(4)?,
            gross: r.get(5)?,
            currency: r.get(6)?,
            file_name: r.get(7)?,
            line: r.get(8)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// A live row of an event kind without an instance, not frozen, for its exception.
pub(crate) struct UnresolvedRow {
    pub txn_id: i64,
    pub source: String,
    pub source_id: String,
    pub kind: String,
    pub occurred_at: String,
    pub instance_meta: Option<String>,
    pub customer_key: Option<String>,
    pub original_ref: Option<String>,
    pub file_name: String,
    pub line: u32,
}

/// The live rows of event kinds without an instance (and not frozen) with
/// `start_ts <= occurred_ts < end_ts`, in time order.
pub(crate) fn unresolved_between(conn: &Connection, start_ts: i64, end_ts: i64) -> Result<Vec<UnresolvedRow>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT t.id, b.format, t.source_id, t.kind, t.occurred_at, t.instance_meta, t.customer_key, t.original_ref, \
         b.file_name, t.line FROM txns t JOIN batches b ON b.id = t.batch_id \
         WHERE t.undone = 0 AND t.instance_id IS NULL AND t.kind IN {EVENT_KINDS_SQL} \
         AND NOT EXISTS (SELECT 1 FROM events e WHERE e.txn_id = t.id) \
         AND t.occurred_ts >= ?1 AND t.occurred_ts < ?2 ORDER BY t.occurred_ts, t.id"
    ))?;
    let rows = stmt.query_map([start_ts, end_ts], |r| {
        Ok(UnresolvedRow {
            txn_id: r.get(0)?,
            source: r.get(1)?,
            source_id: r.get(2)?,
            kind: r.get(3)?,
            occurred_at: r.get(4)?,
            instance_meta: r.get(5)?,
            customer_key: r.get(6)?,
            original_ref: r.get(7)?,
            file_name: r.get(8)?,
            line: r.get(9)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// A row's money as stored, for a USD conversion outside the event scans.
pub(crate) struct StoredMoney {
    pub kind: String,
    pub currency: String,
    pub gross: String,
    pub fee: String,
    pub net: String,
    pub tax: String,
    pub source_id: String,
    pub charge_ref: Option<String>,
    pub occurred_at: String,
}

fn stored_money(r: &rusqlite::Row<'_>) -> rusqlite::Result<StoredMoney> {
    Ok(StoredMoney {
        kind: r.get(0)?,
        currency: r.get(1)?,
        gross: r.get(2)?,
        fee: r.get(3)?,
        net: r.get(4)?,
        tax: r.get(5)?,
        source_id: r.get(6)?,
        charge_ref: r.get(7)?,
        occurred_at: r.get(8)?,
    })
}

/// Live row `txn_id`'s money, if the row is live.
pub(crate) fn live_money(conn: &Connection, txn_id: i64) -> Result<Option<StoredMoney>> {
    Ok(conn
        .query_row(
            "SELECT kind, currency, gross, fee, net, tax, source_id, charge_ref, occurred_at FROM txns WHERE id = ?1 AND undone = 0",
            [txn_id],
            stored_money,
        )
        .optional()?)
}

/// The live processor refunds of the charge `charge_ref` (hashed as `charge_hash`).
pub(crate) fn live_refunds_of(conn: &Connection, charge_ref: &str, charge_hash: i64) -> Result<Vec<StoredMoney>> {
    let mut stmt = conn.prepare(
        "SELECT kind, currency, gross, fee, net, tax, source_id, NULL, occurred_at FROM txns \
         WHERE undone = 0 AND kind = 'refund' AND original_hash = ?2 AND original_ref = ?1",
    )?;
    let rows = stmt.query_map(params![charge_ref, charge_hash], stored_money)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The USD grosses (as stored) of the live currency-conversion rows linked to payment
/// `source_id`.
pub(crate) fn usd_conversions_of(conn: &Connection, source_id: &str) -> Result<Vec<String>> {
    Ok(conn
        .prepare_cached("SELECT gross FROM txns WHERE undone = 0 AND kind = 'conversion' AND currency = 'USD' AND conversion_ref = ?1")?
        .query_map([source_id], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?)
}

/// The first and last instants (Unix seconds) of live rows that make events or exceptions.
pub(crate) fn activity_span(conn: &Connection) -> Result<Option<(i64, i64)>> {
    // Walked from either end of `txns_occurred` (`+undone`: not through `txns_dedup`, whose
    // partial index the planner would otherwise scan whole and sort — 3.4 s on 1M rows).
    let end = |order: &str| -> Result<Option<i64>> {
        let sql = format!(
            "SELECT occurred_ts FROM txns WHERE +undone = 0 AND (kind IN {EVENT_KINDS_SQL} OR kind = 'unclassified') ORDER BY occurred_ts {order} LIMIT 1"
        );
        Ok(conn.prepare_cached(&sql)?.query_row([], |r| r.get(0)).optional()?)
    };
    Ok(end("ASC")?.zip(end("DESC")?))
}

/// An itemized payout as stored, with the live items it pays out.
pub(crate) struct PayoutRow {
    pub payout_ref: String,
    pub currency: String,
    pub occurred_at: String,
    pub gross: String,
    pub items: Option<u32>,
    pub items_net: Option<String>,
}

/// The itemized payouts (not PayPal's withdrawals) with an instant in `[lo, hi)`, by date.
/// Payouts are few: read through their partial index.
pub(crate) fn payouts_between(conn: &Connection, lo: i64, hi: i64) -> Result<Vec<PayoutRow>> {
    let mut stmt = conn.prepare(
        "SELECT p.payout_ref, p.currency, p.occurred_at, p.gross, i.items, i.net FROM txns p INDEXED BY txns_payouts \
         LEFT JOIN payout_items i ON i.payout_ref = p.payout_ref \
         WHERE p.kind = 'payout' AND p.undone = 0 AND p.occurred_ts >= ?1 AND p.occurred_ts < ?2 \
         AND NOT EXISTS (SELECT 1 FROM batches b WHERE b.id = p.batch_id AND b.format = 'paypal-activity') ORDER BY p.occurred_ts",
    )?;
    let rows = stmt.query_map([lo, hi], |r| {
        Ok(PayoutRow { payout_ref: r.get(0)?, currency: r.get(1)?, occurred_at: r.get(2)?, gross: r.get(3)?, items: r.get(4)?, items_net: r.get(5)? })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

// ---- the import: writing rows, finding the live row of a key ------------------------------

macro_rules! insert_txn {
    () => {
        "INSERT INTO txns (batch_id, line, key_hash, dedup_key, source_id, kind, skip_reason, \
         occurred_at, occurred_ts, currency, gross, fee, net, tax, instance_meta, customer_key, charge_ref, charge_hash, \
         original_ref, original_hash, payout_ref, conversion_ref, description, instance_id, resolved_by, type_name, fingerprint) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27)"
    };
}
/// A row, unless its key is live (the dedup index decides).
const INSERT_TXN: &str = concat!(insert_txn!(), " ON CONFLICT(key_hash) WHERE undone = 0 DO NOTHING");
/// A row whose key the bulk load's caller found new (there is no dedup index then).
const INSERT_TXN_BULK: &str = insert_txn!();

/// A new row of `txns` as the import writes it, its texts borrowed from the parsed row.
pub(crate) struct NewTxn<'a> {
    pub batch_id: i64,
    pub line: u32,
    pub key_hash: i64,
    pub dedup_key: &'a str,
    pub source_id: &'a str,
    pub kind: &'a str,
    pub skip_reason: Option<&'a str>,
    pub occurred_at: &'a str,
    pub occurred_ts: i64,
    pub currency: &'a str,
    pub gross: &'a str,
    pub fee: &'a str,
    pub net: &'a str,
    pub tax: &'a str,
    /// The metadata value when it is not an instance id.
    pub instance_meta: Option<&'a str>,
    pub customer_key: Option<&'a str>,
    pub charge_ref: Option<&'a str>,
    pub charge_hash: Option<i64>,
    pub original_ref: Option<&'a str>,
    pub original_hash: Option<i64>,
    pub payout_ref: Option<&'a str>,
    pub conversion_ref: Option<&'a str>,
    pub description: Option<&'a str>,
    pub instance_id: Option<&'a str>,
    pub resolved_by: Option<&'a str>,
    pub type_name: Option<&'a str>,
    pub fingerprint: i64,
}

/// The import's writer of rows: one INSERT prepared for the whole file, its texts bound in
/// place (`raw::RawInsert`: no copy per text).
pub(crate) struct TxnWriter<'c> {
    conn: &'c Connection,
    insert: RawInsert<'c>,
    bulk: bool,
}

impl<'c> TxnWriter<'c> {
    /// A writer on `conn` (the import's transaction). `bulk`: in a bulk load (see
    /// [`begin_bulk_load`]), where there is no dedup index and the caller has found each key new.
    pub(crate) fn new(conn: &'c Connection, bulk: bool) -> Result<TxnWriter<'c>> {
        let insert = RawInsert::new(conn, if bulk { INSERT_TXN_BULK } else { INSERT_TXN })?;
        Ok(TxnWriter { conn, insert, bulk })
    }

    /// Inserts a row unless a live row has its key: the new row's id, or `None` (never in a
    /// bulk load) when its key is live.
    pub(crate) fn insert(&mut self, t: &NewTxn<'_>) -> Result<Option<i64>> {
        let n = self.insert.run(&[
            Val::Int(t.batch_id),
            Val::Int(i64::from(t.line)),
            Val::Int(t.key_hash),
            Val::Text(t.dedup_key),
            Val::Text(t.source_id),
            Val::Text(t.kind),
            t.skip_reason.into(),
            Val::Text(t.occurred_at),
            Val::Int(t.occurred_ts),
            Val::Text(t.currency),
            Val::Text(t.gross),
            Val::Text(t.fee),
            Val::Text(t.net),
            Val::Text(t.tax),
            t.instance_meta.into(),
            t.customer_key.into(),
            t.charge_ref.into(),
            t.charge_hash.into(),
            t.original_ref.into(),
            t.original_hash.into(),
            t.payout_ref.into(),
            t.conversion_ref.into(),
            t.description.into(),
            t.instance_id.into(),
            t.resolved_by.into(),
            t.type_name.into(),
            Val::Int(t.fingerprint),
        ])?;
        Ok((self.bulk || n == 1).then(|| self.conn.last_insert_rowid()))
    }
}

/// The highest row id: how many rows the ledger holds, undone ones included.
pub(crate) fn max_id(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row("SELECT coalesce(max(id), 0) FROM txns", [], |r| r.get(0))?)
}

/// Row `id`'s key and fingerprint (none before migration 0004).
pub(crate) fn key_and_fingerprint(conn: &Connection, id: i64) -> Result<(String, Option<i64>)> {
    Ok(conn.prepare_cached("SELECT dedup_key, fingerprint FROM txns WHERE id = ?1")?.query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))?)
}

/// The live row whose key hashes to `key_hash`: its id, key and fingerprint.
pub(crate) fn live_by_key_hash(conn: &Connection, key_hash: i64) -> Result<(i64, String, Option<i64>)> {
    Ok(conn
        .prepare_cached("SELECT id, dedup_key, fingerprint FROM txns WHERE key_hash = ?1 AND undone = 0")?
        .query_row([key_hash], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?)
}

/// Charge row `id`'s charge id and instance.
pub(crate) fn charge_ref_and_instance(conn: &Connection, id: i64) -> Result<(String, String)> {
    Ok(conn.prepare_cached("SELECT charge_ref, instance_id FROM txns WHERE id = ?1")?.query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))?)
}

/// What a stored row holds of what its file said, and where it came from.
pub(crate) struct StoredContent {
    pub kind: String,
    pub kind_from: Option<String>,
    pub currency: String,
    pub occurred_ts: i64,
    /// Gross, fee, net and tax, as stored.
    pub amounts: [String; 4],
    pub line: u32,
    pub batch_id: i64,
    pub file_name: String,
}

/// Row `id`'s content and origin.
pub(crate) fn stored_content(conn: &Connection, id: i64) -> Result<StoredContent> {
    Ok(conn
        .prepare_cached(
            "SELECT t.kind, t.kind_from, t.currency, t.occurred_ts, t.gross, t.fee, t.net, t.tax, t.line, t.batch_id, b.file_name \
             FROM txns t JOIN batches b ON b.id = t.batch_id WHERE t.id = ?1",
        )?
        .query_row([id], |r| {
            Ok(StoredContent {
                kind: r.get(0)?,
                kind_from: r.get(1)?,
                currency: r.get(2)?,
                occurred_ts: r.get(3)?,
                amounts: [r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?],
                line: r.get(8)?,
                batch_id: r.get(9)?,
                file_name: r.get(10)?,
            })
        })?)
}

/// The rows of ids `first..=last` whose kind the operator or a refund's charge changed, counted
/// by (kind, `kind_from`).
pub(crate) fn changed_kinds(conn: &Connection, first: i64, last: i64) -> Result<Vec<(String, String, u32)>> {
    // Through the small `kind_from` index (`+id`: not a scan of the batch's rowid range).
    let mut stmt = conn.prepare(
        "SELECT kind, kind_from, count(*) FROM txns WHERE kind_from IS NOT NULL AND +id BETWEEN ?1 AND ?2 GROUP BY kind, kind_from",
    )?;
    let rows = stmt.query_map([first, last], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The skipped rows of rows `first..=last` by their reason, the most frequent first (a
/// preview's "skipped, and why").
pub(crate) fn skip_reasons(conn: &Connection, first: i64, last: i64) -> Result<Vec<(String, u32)>> {
    grouped(conn, "SELECT coalesce(skip_reason, ''), count(*) AS n FROM txns WHERE kind = 'skipped' AND id BETWEEN ?1 AND ?2 \
                   GROUP BY 1 ORDER BY n DESC, 1 LIMIT 50", first, last)
}

/// The unclassified rows of rows `first..=last` by their type, the most frequent first.
pub(crate) fn unclassified_types(conn: &Connection, first: i64, last: i64) -> Result<Vec<(String, u32)>> {
    grouped(conn, "SELECT coalesce(type_name, ''), count(*) AS n FROM txns WHERE kind = 'unclassified' AND id BETWEEN ?1 AND ?2 \
                   GROUP BY 1 ORDER BY n DESC, 1 LIMIT 50", first, last)
}

fn grouped(conn: &Connection, sql: &str, first: i64, last: i64) -> Result<Vec<(String, u32)>> {
    let mut stmt = conn.prepare(sql)?;
    let rows = stmt.query_map([first, last], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
    let mut out = Vec::new();
    for r in rows {
        let (what, n) = r?;
        out.push((what, u32::try_from(n).unwrap_or(u32::MAX)));
    }
    Ok(out)
}

// ---- the import: a bulk load --------------------------------------------------------------

/// Page cache for the length of an import (KiB). The dedup and charge indexes take random
/// inserts; with the default cache their pages are spilled and read back for every few rows.
/// 40 MiB keeps a 1M-row import (and its index rebuild) within its memory budget (≤ 150 MB peak).
const IMPORT_CACHE_KIB: i64 = 40 * 1024;

/// Runs an import (`f`) with the page cache it needs, restored after (SQLite's page cache; a
/// server backend has nothing to do here).
pub(crate) fn with_import_cache<T>(conn: &mut Connection, f: impl FnOnce(&mut Connection) -> Result<T>) -> Result<T> {
    let cache: i64 = conn.pragma_query_value(None, "cache_size", |r| r.get(0))?;
    let bigger = cache > -IMPORT_CACHE_KIB && cache < IMPORT_CACHE_KIB * 1024 / 4096;
    if bigger {
        conn.pragma_update(None, "cache_size", -IMPORT_CACHE_KIB)?;
    }
    let result = f(conn);
    if bigger {
        conn.pragma_update(None, "cache_size", cache)?;
    }
    result
}

/// Each live row's key hash with its id.
pub(crate) fn for_each_live_key(conn: &Connection, f: impl FnMut(i64, i64)) -> Result<()> {
    for_each_pair(conn, "SELECT key_hash, id FROM txns WHERE undone = 0", f)
}

/// Each live charge with an instance: its charge id's hash with its row id, by row id.
pub(crate) fn for_each_live_charge(conn: &Connection, f: impl FnMut(i64, i64)) -> Result<()> {
    for_each_pair(
        conn,
        "SELECT charge_hash, id FROM txns WHERE kind = 'charge' AND undone = 0 AND instance_id IS NOT NULL \
         AND charge_hash IS NOT NULL ORDER BY id",
        f,
    )
}

fn for_each_pair(conn: &Connection, sql: &str, mut f: impl FnMut(i64, i64)) -> Result<()> {
    let mut stmt = conn.prepare(sql)?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        f(r.get(0)?, r.get(1)?);
    }
    Ok(())
}

/// Page cache of a bulk load (KiB): with the random-key indexes dropped, rows and time keys
/// are appended, so a small cache does; the memory goes to the caller's in-memory keys instead.
const BULK_CACHE_KIB: i64 = 16 * 1024;

/// Indexes a bulk load builds at its end instead of updating row by row: the two whose keys are
/// random hashes (an insert in random order touches a random page; one sort is far cheaper).
/// The time and refund indexes stay: exports come in time order, so time keys are appended, and
/// refunds are few.
const BULK_INDEXES: [&str; 2] = ["txns_dedup", "txns_charge"];

/// A bulk load in progress (see [`begin_bulk_load`]): the statements that re-create the
/// indexes it dropped.
pub(crate) struct BulkLoad {
    create: Vec<String>,
}

/// Starts a bulk load of many rows in the current transaction: from here until
/// [`end_bulk_load`], nothing checks that a live key is unique (`txns_dedup` and `txns_charge`,
/// the indexes on random hashes, are dropped, to be built by sorting at the end; a rolled back
/// transaction puts them back as they were), so the caller must find duplicates itself and
/// write through a bulk [`TxnWriter`]; the page cache is made small (the caller restores it, see
/// [`with_import_cache`]).
pub(crate) fn begin_bulk_load(conn: &Connection) -> Result<BulkLoad> {
    let mut create = Vec::new();
    for name in BULK_INDEXES {
        let sql: String = conn.query_row("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?1", [name], |r| r.get(0))?;
        conn.execute(&format!("DROP INDEX {name}"), [])?;
        create.push(sql);
    }
    // No index with random keys is left to update: a small cache holds the pages rows are
    // appended to.
    conn.pragma_update(None, "cache_size", -BULK_CACHE_KIB)?;
    Ok(BulkLoad { create })
}

/// Ends a bulk load: re-creates the dropped indexes (a key live twice then fails the
/// transaction). The sorts run best as many small sorted runs merged (a small cache, temporary
/// files, SQLite's helper threads), several times faster than one large in-memory sort; the
/// cache is restored after.
pub(crate) fn end_bulk_load(conn: &Connection, bulk: BulkLoad) -> Result<()> {
    let cache: i64 = conn.pragma_query_value(None, "cache_size", |r| r.get(0))?;
    conn.pragma_update(None, "cache_size", -4096)?;
    for sql in &bulk.create {
        conn.execute(sql, [])?;
    }
    conn.pragma_update(None, "cache_size", cache)?;
    Ok(())
}

// ---- payouts and undo ---------------------------------------------------------------------

/// A payout's running item count and net (as stored), if it has any.
pub(crate) fn payout_items(conn: &Connection, payout: &str) -> Result<Option<(i64, String)>> {
    Ok(conn
        .prepare_cached("SELECT items, net FROM payout_items WHERE payout_ref = ?1")?
        .query_row([payout], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?)
}

/// Sets a payout's running item count and net.
pub(crate) fn set_payout_items(conn: &Connection, payout: &str, items: i64, net: &str) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO payout_items (payout_ref, items, net) VALUES (?1, ?2, ?3) \
         ON CONFLICT(payout_ref) DO UPDATE SET items = excluded.items, net = excluded.net",
    )?
    .execute(params![payout, items, net])?;
    Ok(())
}

/// Forgets the instance every live row took from a charge among rows `first..=last`.
pub(crate) fn unresolve_by_charges_of(conn: &Connection, first: i64, last: i64) -> Result<()> {
    conn.execute(
        "UPDATE txns SET instance_id = NULL, resolved_by = NULL WHERE undone = 0 AND resolved_by = 'charge' \
         AND original_hash IN (SELECT charge_hash FROM txns WHERE id BETWEEN ?1 AND ?2 AND charge_hash IS NOT NULL)",
        [first, last],
    )?;
    Ok(())
}

/// Each row of batch `batch_id` (ids `first..=last`) that is an item of a payout: its payout
/// and net (as stored).
pub(crate) fn for_each_payout_item_of(conn: &Connection, batch_id: i64, first: i64, last: i64, mut f: impl FnMut(String, String)) -> Result<()> {
    let mut stmt = conn.prepare(
        "SELECT payout_ref, net FROM txns WHERE id BETWEEN ?1 AND ?2 AND batch_id = ?3 AND payout_ref IS NOT NULL AND kind <> 'payout'",
    )?;
    let mut rows = stmt.query(params![first, last, batch_id])?;
    while let Some(r) = rows.next()? {
        f(r.get(0)?, r.get(1)?);
    }
    Ok(())
}

/// Marks the rows of batch `batch_id` (ids `first..=last`) undone.
pub(crate) fn set_undone(conn: &Connection, batch_id: i64, first: i64, last: i64) -> Result<()> {
    conn.execute("UPDATE txns SET undone = 1 WHERE id BETWEEN ?1 AND ?2 AND batch_id = ?3", params![first, last, batch_id])?;
    Ok(())
}

/// The instance of the newest live row that has one, if any (a real instance to ask Wix a
/// token for when the connection is tested).
pub(crate) fn latest_instance(conn: &Connection) -> Result<Option<String>> {
    Ok(conn
        .query_row("SELECT instance_id FROM txns WHERE undone = 0 AND instance_id IS NOT NULL ORDER BY id DESC LIMIT 1", [], |r| r.get(0))
        .optional()?)
}

#[cfg(test)]
mod tests {
    use rusqlite::Connection;

    fn cache(conn: &Connection) -> i64 {
        conn.pragma_query_value(None, "cache_size", |r| r.get(0)).unwrap()
    }

    fn txns_indexes(conn: &Connection) -> Vec<(String, String)> {
        let mut stmt = conn.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'txns' AND sql IS NOT NULL ORDER BY name").unwrap();
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap();
        rows.collect::<rusqlite::Result<_>>().unwrap()
    }

    #[test]
    fn a_bulk_load_gives_back_the_indexes_and_cache_it_found() {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = crate::db::open(&dir.path().join("l.sqlite")).unwrap();
        let indexes = txns_indexes(&conn);
        assert!(indexes.iter().any(|(n, _)| n == "txns_dedup") && indexes.iter().any(|(n, _)| n == "txns_charge"));
        let tx = conn.transaction().unwrap();
        let bulk = super::begin_bulk_load(&tx).unwrap();
        let during = txns_indexes(&tx);
        assert!(!during.iter().any(|(n, _)| n == "txns_dedup" || n == "txns_charge"), "{during:?}");
        super::end_bulk_load(&tx, bulk).unwrap();
        assert_eq!(txns_indexes(&tx), indexes, "the same indexes, by the same SQL");
        tx.commit().unwrap();
        // The import's cache is its own: what the connection had is back, also after a failure.
        conn.pragma_update(None, "cache_size", -2000).unwrap();
        let seen = super::with_import_cache(&mut conn, |c| Ok(cache(c))).unwrap();
        assert_eq!((seen, cache(&conn)), (-super::IMPORT_CACHE_KIB, -2000));
        let err = super::with_import_cache(&mut conn, |_| -> crate::Result<()> { Err(crate::Error::Refused("no".into())) });
        assert!(err.is_err());
        assert_eq!(cache(&conn), -2000);
    }

    #[test]
    fn both_sql_forms_list_the_event_kinds() {
        let listed: Vec<&str> = super::EVENT_KINDS_SQL.trim_matches(['(', ')']).split(", ").map(|k| k.trim_matches('\'')).collect();
        let compared: Vec<&str> = super::T_IS_EVENT_KIND_SQL.trim_matches(['(', ')']).split(" OR ").map(|c| c.trim_start_matches("t.kind = ").trim_matches('\'')).collect();
        assert_eq!(listed, compared);
        assert_eq!(listed, crate::kinds::EVENT_KINDS);
    }
}
