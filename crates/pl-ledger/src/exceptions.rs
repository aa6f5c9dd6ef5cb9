//! Exceptions: what stops a month from being approved, each with what the operator can do.
use rusqlite::Connection;

use crate::resolve::EVENT_KINDS_SQL;
use crate::{settings, Exception, Result};

/// The reporting time zone setting.
pub(crate) fn reporting_tz(conn: &Connection) -> Result<chrono_tz::Tz> {
    let name = settings::get(conn, "timezone")?.unwrap_or_else(|| "UTC".into());
    Ok(name.parse().unwrap_or(chrono_tz::UTC))
}

/// Rows that give events but have no instance: `invalid_instance` when their metadata is not a
/// GUID, `unresolved_instance` otherwise.
pub(crate) fn instance_exceptions_between(conn: &Connection, start: &str, end: &str) -> Result<Vec<Exception>> {
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
                        ", and customer {c} is not mapped: `partner-ledger map customer {c} --instance GUID`"
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
