//! Exceptions: what stops a month from being approved, each with what the operator can do.
use rusqlite::Connection;

use crate::calendar::bound_ts;
use crate::store::txns::{UnclassifiedRow, UnresolvedRow};
use crate::{classify, settings, store, Exception, Result};

/// The reporting time zone setting.
pub(crate) fn reporting_tz(conn: &Connection) -> Result<chrono_tz::Tz> {
    let name = settings::get(conn, "timezone")?.unwrap_or_else(|| "UTC".into());
    Ok(name.parse().unwrap_or(chrono_tz::UTC))
}

/// The exceptions of the rows of `[start, end)` themselves: rows that give events but have no
/// instance (`invalid_instance` when their metadata is not a GUID, `unresolved_instance`
/// otherwise), then rows of money in under a type nobody classified (`unclassified_type`).
pub(crate) fn instance_exceptions_between(conn: &Connection, start: &str, end: &str) -> Result<Vec<Exception>> {
    let mut ex = instance_only_between(conn, start, end)?;
    ex.append(&mut unclassified_between(conn, start, end)?);
    Ok(ex)
}

/// `unclassified` rows: the detail names the source and the type and says what to do in the
/// window's words (it is shown there); when a rule for the type exists, the row's money goes the
/// other way than the rule says, and the detail says so.
fn unclassified_between(conn: &Connection, start: &str, end: &str) -> Result<Vec<Exception>> {
    let rules = classify::rules(conn)?;
    let rows = store::txns::unclassified_between(conn, bound_ts(start), bound_ts(end))?;
    let exception = |r: UnclassifiedRow| {
        let UnclassifiedRow { txn_id, source, source_id, occurred_at, type_name, gross, currency, file_name, line } = r;
        let currency = pl_import::clip(&currency);
        let type_name = type_name.as_deref().map(str::trim).filter(|t| !t.is_empty());
        let detail = match type_name {
            None => format!(
                "{gross} {currency} came in with no type to classify it by; correct the file or the column mapping and import it again"
            ),
            Some(raw) => match (rules.get(&(source.clone(), classify::type_key(raw))), pl_import::clip(raw)) {
                (Some(action), t) => format!(
                    "type `{t}` of {source} is classified as {}, but this row is money {} ({gross} {currency}); \
                     check the row in its file, or change the classification of `{t}`",
                    action.as_str(),
                    if gross.starts_with('-') { "out" } else { "in" },
                ),
                (None, t) => format!(
                    "{gross} {currency} came in under type `{t}`, which Partner Ledger does not know for {source}; \
                     classify the type as a charge, a refund or to ignore (Classify): the choice applies to every row of \
                     type `{t}` from {source}, now and in later imports"
                ),
            },
        };
        Exception {
            kind: crate::ExceptionKind::UnclassifiedType,
            source,
            source_id,
            txn_id: Some(txn_id),
            row_kind: "unclassified".into(),
            created_date: occurred_at,
            file: format!("{file_name}:{line}"),
            detail,
        }
    };
    Ok(rows.into_iter().map(exception).collect())
}

fn instance_only_between(conn: &Connection, start: &str, end: &str) -> Result<Vec<Exception>> {
    let rows = store::txns::unresolved_between(conn, bound_ts(start), bound_ts(end))?;
    let exception = |r: UnresolvedRow| {
        let UnresolvedRow { txn_id, source, source_id, kind: row_kind, occurred_at, instance_meta: meta, customer_key: customer, original_ref: original, file_name, line } = r;
        let (kind, detail) = match &meta {
            Some(m) => (
                crate::ExceptionKind::InvalidInstance,
                format!("metadata value `{m}` is not a Wix instance id (a GUID); assign the right instance"),
            ),
            None => {
                let mut why = String::from("no instance id in the row's metadata");
                if let Some(o) = &original {
                    why.push_str(&format!(", its original charge {o} is not in the ledger or has no instance"));
                }
                match &customer {
                    Some(c) => why.push_str(&format!(
                        ", and customer {c} is not mapped to an instance: assign the row its instance, and map the customer too for later imports"
                    )),
                    None => why.push_str(", and no customer to map; assign an instance to the row"),
                }
                (crate::ExceptionKind::UnresolvedInstance, why)
            }
        };
        Exception {
            kind,
            source,
            source_id,
            txn_id: Some(txn_id),
            row_kind,
            created_date: occurred_at,
            file: format!("{file_name}:{line}"),
            detail,
        }
    };
    Ok(rows.into_iter().map(exception).collect())
}
