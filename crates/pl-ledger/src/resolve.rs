//! Instance resolution (SPEC §2), in order:
//! 1. the row's metadata (done as the row is inserted; a value that is not a GUID stays an
//!    `invalid_instance` exception and is not resolved any other way);
//! 2. a refund, dispute or dispute reversal without metadata takes its original charge's instance;
//! 3. the operator's customer mapping;
//! 4. otherwise the row stays unresolved (an exception), or the operator assigns one.
//!
//! Refunds are tied to their charges here too: a `sent` row (money paid out) whose original
//! reference is a live charge of the ledger pays that customer back, so it is a refund (SPEC §2
//! "Direction"); [`resolve_pending`] promotes it, whenever its charge arrives, and puts it back
//! to `sent` when the charge leaves (its batch undone, its classification removed).
use rusqlite::{params, Connection};

use crate::{audit, now_rfc3339, Error, Result};

/// Row kinds that give billing events.
pub const EVENT_KINDS_SQL: &str = "('charge', 'refund', 'dispute', 'dispute_reversal')";

/// `t.kind` is one of [`EVENT_KINDS_SQL`], written as comparisons joined by OR: SQLite tests an
/// `IN` list through a temporary index (a B-tree lookup per row), ~20 % of a scan that reads
/// little else.
pub(crate) const T_IS_EVENT_KIND_SQL: &str = "(t.kind = 'charge' OR t.kind = 'refund' OR t.kind = 'dispute' OR t.kind = 'dispute_reversal')";

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

/// Validates and normalises a Wix instance id given by the operator.
pub fn instance_arg(value: &str) -> Result<String> {
    pl_import::normalise_guid(value).ok_or_else(|| {
        Error::Refused(format!("`{value}` is not a Wix instance id (a GUID like 6f1c2a9e-3b4d-4e8a-9c1f-2d7b8e0a5c31)"))
    })
}

#[derive(serde::Serialize)]
struct Mapping<'a> {
    customer_key: &'a str,
    instance_id: &'a str,
}

/// Saves (or changes) a customer mapping and applies it to every live row it concerns that did
/// not get its instance from metadata or from an operator's assignment.
pub(crate) fn map_customer(conn: &mut Connection, key: &str, instance: &str, by: &str) -> Result<u32> {
    let instance = instance_arg(instance)?;
    let tx = conn.transaction()?;
    let resolved = apply_mapping(&tx, key, &instance, by)?;
    tx.commit()?;
    Ok(resolved)
}

/// Saves a mapping inside the caller's transaction; returns how many rows it resolved.
fn apply_mapping(tx: &Connection, key: &str, instance: &str, by: &str) -> Result<u32> {
    let key = key.trim();
    if key.is_empty() {
        return Err(Error::Refused("the customer key is empty".into()));
    }
    let unresolved_before: u32 = count_unresolved(tx)?;
    let before: Option<String> = {
        use rusqlite::OptionalExtension;
        tx.query_row("SELECT instance_id FROM customer_map WHERE customer_key = ?1", [key], |r| r.get(0)).optional()?
    };
    tx.execute(
        "INSERT INTO customer_map (customer_key, instance_id, saved_at, saved_by) VALUES (?1, ?2, ?3, ?4) \
         ON CONFLICT(customer_key) DO UPDATE SET instance_id = excluded.instance_id, saved_at = excluded.saved_at, \
         saved_by = excluded.saved_by",
        params![key, instance, now_rfc3339(), by],
    )?;
    // Rows this mapping resolved before follow the new instance (rows of approved months are
    // frozen as events and never change); charge-resolved rows are recomputed.
    tx.execute(
        "UPDATE txns SET instance_id = NULL, resolved_by = NULL WHERE undone = 0 AND resolved_by = 'customer' AND customer_key = ?1",
        [key],
    )?;
    resolve_again(tx)?;
    let resolved = unresolved_before.saturating_sub(count_unresolved(tx)?);
    audit::record(
        tx,
        by,
        "customer_map.set",
        &format!("customer:{key}"),
        before.as_deref().map(|i| Mapping { customer_key: key, instance_id: i }).as_ref(),
        Some(&Mapping { customer_key: key, instance_id: instance }),
    )?;
    Ok(resolved)
}

/// Resolves again every row that took its instance from a charge, after a change that can
/// move charges (a customer mapping, a classification): rows of approved months are frozen as
/// events, whatever their row says.
pub(crate) fn resolve_again(conn: &Connection) -> Result<()> {
    conn.execute("UPDATE txns SET instance_id = NULL, resolved_by = NULL WHERE undone = 0 AND resolved_by = 'charge'", [])?;
    resolve_pending(conn)
}

fn count_unresolved(conn: &Connection) -> Result<u32> {
    Ok(conn.query_row(
        &format!("SELECT count(*) FROM txns WHERE undone = 0 AND instance_id IS NULL AND kind IN {EVENT_KINDS_SQL}"),
        [],
        |r| r.get(0),
    )?)
}

/// The operator assigns an instance to one row; with `save_mapping` its customer key is mapped
/// too, so later imports resolve by themselves.
pub(crate) fn assign_instance(conn: &mut Connection, txn_id: i64, instance: &str, save_mapping: bool, by: &str) -> Result<()> {
    let instance = instance_arg(instance)?;
    let (before, customer_key): (Option<String>, Option<String>) = conn
        .query_row(
            &format!("SELECT instance_id, customer_key FROM txns WHERE id = ?1 AND undone = 0 AND kind IN {EVENT_KINDS_SQL}"),
            [txn_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .map_err(|_| Error::NotFound(format!("row {txn_id} (a live charge, refund or dispute)")))?;
    if save_mapping && customer_key.is_none() {
        return Err(Error::Refused(format!("row {txn_id} has no customer key to map; assign without saving a mapping")));
    }
    crate::months::ensure_txn_editable(conn, txn_id)?;
    let tx = conn.transaction()?;
    tx.execute("UPDATE txns SET instance_id = ?2, resolved_by = 'assigned' WHERE id = ?1", params![txn_id, instance])?;
    audit::record(&tx, by, "txn.assign_instance", &format!("txn:{txn_id}"), before.as_ref(), Some(&instance))?;
    match (save_mapping, customer_key) {
        (true, Some(key)) => {
            apply_mapping(&tx, &key, &instance, by)?;
        }
        _ => resolve_pending(&tx)?,
    }
    tx.commit()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn both_forms_list_the_same_kinds() {
        let listed: Vec<&str> = super::EVENT_KINDS_SQL.trim_matches(['(', ')']).split(", ").map(|k| k.trim_matches('\'')).collect();
        let compared: Vec<&str> = super::T_IS_EVENT_KIND_SQL.trim_matches(['(', ')']).split(" OR ").map(|c| c.trim_start_matches("t.kind = ").trim_matches('\'')).collect();
        assert_eq!(listed, compared);
        assert_eq!(listed, ["charge", "refund", "dispute", "dispute_reversal"]);
    }
}
