//! The `txns` table outside the import's bulk path: instance resolution, refund promotion, the
//! rows exceptions are made of, and the rows a manual refund checks against.
use rusqlite::{params, Connection, OptionalExtension};

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

#[cfg(test)]
mod tests {
    #[test]
    fn both_sql_forms_list_the_event_kinds() {
        let listed: Vec<&str> = super::EVENT_KINDS_SQL.trim_matches(['(', ')']).split(", ").map(|k| k.trim_matches('\'')).collect();
        let compared: Vec<&str> = super::T_IS_EVENT_KIND_SQL.trim_matches(['(', ')']).split(" OR ").map(|c| c.trim_start_matches("t.kind = ").trim_matches('\'')).collect();
        assert_eq!(listed, compared);
        assert_eq!(listed, crate::kinds::EVENT_KINDS);
    }
}
