//! Exceptions: what stops a month from being approved, each with what the operator can do.
use rusqlite::Connection;

use crate::resolve::EVENT_KINDS_SQL;
use crate::{classify, settings, Exception, Result};

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
    let mut stmt = conn.prepare(
        "SELECT t.id, b.format, t.source_id, t.occurred_at, t.type_name, t.gross, t.currency, b.file_name, t.line \
         FROM txns t JOIN batches b ON b.id = t.batch_id \
         WHERE t.kind = 'unclassified' AND t.undone = 0 AND t.occurred_ts >= ?1 AND t.occurred_ts < ?2 ORDER BY t.occurred_ts, t.id",
    )?;
    let rows = stmt.query_map([crate::months::bound_ts(start), crate::months::bound_ts(end)], |r| {
        let source: String = r.get(1)?;
        let type_name: Option<String> = r.get(4)?;
        let (gross, currency): (String, String) = (r.get(5)?, r.get(6)?);
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
        Ok(Exception {
            kind: "unclassified_type".into(),
            source,
            source_id: r.get(2)?,
            txn_id: Some(r.get(0)?),
            row_kind: "unclassified".into(),
            created_date: r.get(3)?,
            file: format!("{}:{}", r.get::<_, String>(7)?, r.get::<_, u32>(8)?),
            detail,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

fn instance_only_between(conn: &Connection, start: &str, end: &str) -> Result<Vec<Exception>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT t.id, b.format, t.source_id, t.kind, t.occurred_at, t.instance_meta, t.customer_key, t.original_ref, \
         b.file_name, t.line FROM txns t JOIN batches b ON b.id = t.batch_id \
         WHERE t.undone = 0 AND t.instance_id IS NULL AND t.kind IN {EVENT_KINDS_SQL} \
         AND NOT EXISTS (SELECT 1 FROM events e WHERE e.txn_id = t.id) \
         AND t.occurred_ts >= ?1 AND t.occurred_ts < ?2 ORDER BY t.occurred_ts, t.id"
    ))?;
    let rows = stmt.query_map([crate::months::bound_ts(start), crate::months::bound_ts(end)], |r| {
        let meta: Option<String> = r.get(5)?;
        let customer: Option<String> = r.get(6)?;
        let original: Option<String> = r.get(7)?;
        let (kind, detail) = match &meta {
            Some(m) => (
                "invalid_instance",
                format!("metadata value `{m}` is not a Wix instance id (a GUID); assign the right instance"),
            ),
            None => {
                let mut why = String::from("no instance id in the row's metadata");
                if let Some(o) = &original {
                    why.push_str(&format!(", its original charge {o} is not in the ledger or has no instance"));
                }
                match &customer {
                    Some(c) => why.push_str(&format!(
                        ", and customer {c} is not mapped: map customer {c} to its instance (Assign instance, then Also map this customer)"
                    )),
                    None => why.push_str(", and no customer to map; assign an instance to the row"),
                }
                ("unresolved_instance", why)
            }
        };
        Ok(Exception {
            kind: kind.into(),
            source: r.get(1)?,
            source_id: r.get(2)?,
            txn_id: Some(r.get(0)?),
            row_kind: r.get(3)?,
            created_date: r.get(4)?,
            file: format!("{}:{}", r.get::<_, String>(8)?, r.get::<_, u32>(9)?),
            detail,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
