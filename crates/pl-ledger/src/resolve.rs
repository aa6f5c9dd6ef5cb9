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
use rusqlite::Connection;

use crate::{store, CustomerMappingPage, CustomerMappingQuery, Error, Result, UnmapOutcome};


/// Resolves every live row still without an instance, by original charge then customer mapping,
/// after promoting the refund candidates whose charge is live, and demoting those whose charge
/// left (SPEC §2 "Direction").
pub(crate) fn resolve_pending(conn: &Connection) -> Result<()> {
    store::txns::resolve_pending(conn)
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
    let unresolved_before = store::txns::count_unresolved(tx)?;
    let before = store::customers::instance_of(tx, key)?;
    store::customers::save(tx, key, instance, by)?;
    // Rows this mapping resolved before follow the new instance (rows of approved months are
    // frozen as events and never change); charge-resolved rows are recomputed.
    store::txns::unresolve_customer(tx, key)?;
    resolve_again(tx)?;
    let resolved = unresolved_before.saturating_sub(store::txns::count_unresolved(tx)?);
    store::audit::record(
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
    store::txns::unresolve_by_charge(conn)?;
    resolve_pending(conn)
}

/// The operator assigns an instance to one row; with `save_mapping` its customer key is mapped
/// too, so later imports resolve by themselves.
pub(crate) fn assign_instance(conn: &mut Connection, txn_id: i64, instance: &str, save_mapping: bool, by: &str) -> Result<()> {
    let instance = instance_arg(instance)?;
    let (before, customer_key) = store::txns::event_row_instance(conn, txn_id)?
        .ok_or_else(|| Error::NotFound(format!("row {txn_id} (a live charge, refund or dispute)")))?;
    if save_mapping && customer_key.is_none() {
        return Err(Error::Refused(format!("row {txn_id} has no customer key to map; assign without saving a mapping")));
    }
    crate::frozen::ensure_txn_editable(conn, txn_id)?;
    let tx = conn.transaction()?;
    store::txns::assign_instance(&tx, txn_id, &instance)?;
    store::audit::record(&tx, by, "txn.assign_instance", &format!("txn:{txn_id}"), before.as_ref(), Some(&instance))?;
    match (save_mapping, customer_key) {
        (true, Some(key)) => {
            apply_mapping(&tx, &key, &instance, by)?;
        }
        _ => resolve_pending(&tx)?,
    }
    tx.commit()?;
    Ok(())
}

/// A page of the saved customer mappings (the caller bounds `limit`).
pub(crate) fn customer_page(conn: &Connection, q: &CustomerMappingQuery) -> Result<CustomerMappingPage> {
    let search = q.search.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let (total, rows) = store::customers::page(conn, search, q.offset, q.limit)?;
    Ok(CustomerMappingPage { total, offset: q.offset, rows })
}

/// Removes a customer mapping: the rows it resolved have no instance again (exceptions until
/// resolved another way), except those an approved month froze; refunds that took their
/// instance from such a charge follow it. Audited.
pub(crate) fn unmap_customer(conn: &mut Connection, key: &str, by: &str) -> Result<UnmapOutcome> {
    let key = key.trim();
    let tx = conn.transaction()?;
    let instance = store::customers::instance_of(&tx, key)?.ok_or_else(|| Error::NotFound(format!("a customer mapping for `{}`", pl_import::clip(key))))?;
    store::customers::delete(&tx, key)?;
    let (unresolved, frozen) = store::customers::unresolve_unfrozen(&tx, key)?;
    resolve_again(&tx)?;
    let outcome = UnmapOutcome { unresolved, frozen };
    store::audit::record(
        &tx,
        by,
        "customer_map.remove",
        &format!("customer:{key}"),
        Some(&Mapping { customer_key: key, instance_id: &instance }),
        Some(&outcome),
    )?;
    tx.commit()?;
    Ok(outcome)
}
