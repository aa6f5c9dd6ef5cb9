//! The audit log as the window reads it: pages filtered by month (in the ledger's time zone),
//! operator, kind of change and entity, newest first; what the filters can choose from; one
//! entry whole.
use std::collections::BTreeSet;

use rusqlite::Connection;

use crate::store::audit::{Column, Filter};
use crate::{calendar, exceptions, store, AuditEntry, AuditFacets, AuditLine, AuditPage, AuditQuery, Error, Result};

/// The characters of each value (before, after) a page line carries; the whole entry comes
/// from [`entry`].
pub const VALUE_CHARS: u32 = 300;

fn some(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// A page of the log (the caller bounds `limit`).
pub(crate) fn page(conn: &Connection, q: &AuditQuery) -> Result<AuditPage> {
    let tz = exceptions::reporting_tz(conn)?;
    let bounds = some(&q.month).map(|m| calendar::parse_month(m).map(|m| calendar::month_bounds(m, tz))).transpose()?;
    let filter = Filter {
        from: bounds.as_ref().map(|b| b.0.as_str()),
        to: bounds.as_ref().map(|b| b.1.as_str()),
        who: some(&q.who),
        action: some(&q.action),
        entity: some(&q.search),
    };
    // One character more than shown says whether a value was cut.
    let (total, lines) = store::audit::page(conn, &filter, q.offset, q.limit, VALUE_CHARS + 1)?;
    let rows = lines
        .into_iter()
        .map(|l| {
            let at_local = calendar::parse_instant(&l.at).map(|t| t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string()).unwrap_or_else(|| l.at.clone());
            let cut = |v: Option<String>| {
                v.map(|v| match v.char_indices().nth(VALUE_CHARS as usize) {
                    Some((end, _)) => format!("{}…", &v[..end]),
                    None => v,
                })
            };
            AuditLine { id: l.id, at_local, at: l.at, who: l.who, action: l.action, entity: l.entity, before: cut(l.before), after: cut(l.after) }
        })
        .collect();
    Ok(AuditPage { total, offset: q.offset, timezone: tz.name().to_string(), rows })
}

/// The months (ledger time zone) with changes, newest first, and every operator and kind of
/// change in the log.
pub(crate) fn facets(conn: &Connection) -> Result<AuditFacets> {
    let tz = exceptions::reporting_tz(conn)?;
    let mut months = BTreeSet::new();
    store::audit::for_each_at(conn, |at| {
        if let Some(t) = calendar::parse_instant(at) {
            months.insert(calendar::month_of(t, tz));
        }
    })?;
    Ok(AuditFacets {
        months: months.into_iter().rev().collect(),
        operators: store::audit::distinct(conn, Column::Who)?,
        actions: store::audit::distinct(conn, Column::Action)?,
    })
}

/// Entry `id` whole, its values as stored.
pub(crate) fn entry(conn: &Connection, id: i64) -> Result<AuditEntry> {
    store::audit::get(conn, id)?.ok_or_else(|| Error::NotFound(format!("audit entry {id}")))
}
