//! Approval and reopening of months (SPEC §5). A month is `open` → `approved` → `submitted`;
//! the rows of an approved month are frozen (`frozen.rs`).
use chrono::{DateTime, Utc};
use rusqlite::Connection;

use crate::{audit, events, now_rfc3339, report, store, Error, Result};

pub use crate::calendar::{bound_ts, month_bounds, month_of, parse_month};

#[derive(serde::Serialize)]
struct Approval<'a> {
    month: &'a str,
    events: u32,
    gross: String,
    net: String,
    wix_share: String,
    reason: Option<&'a str>,
}

/// Approves a month: refused while it has exceptions (they are listed); otherwise freezes every
/// event of the month (amounts, rate, Wix payload) and queues it for submission, in one
/// transaction. The month is scanned once (by worker threads reading `path` when given: the
/// transaction holds the write lock and has written nothing yet, so they see what it sees), and
/// its events are written as the scan's records are read back, in report order.
pub(crate) fn approve(conn: &mut Connection, path: Option<&std::path::Path>, month: &str, by: &str) -> Result<crate::MonthSummary> {
    let m = parse_month(month)?;
    let tx = conn.transaction()?;
    if let Some(status) = store::months::status(&tx, month)? {
        return Err(Error::Refused(format!("{month} is already {status}")));
    }
    let ctx = events::load_context(&tx)?;
    // The month must be over where it is reported: a later row could still fall in it.
    let (_, end) = month_bounds(m, ctx.tz);
    if Utc::now().timestamp() < bound_ts(&end) {
        let next = m.checked_add_months(chrono::Months::new(1)).map_or_else(String::new, |n| format!(" It can be approved from {}.", n.format("%Y-%m-%d")));
        return Err(Error::Refused(format!(
            "{month} cannot be approved: it has not ended yet in the reporting time zone ({}), so more payments can still fall in it.{next}",
            ctx.tz.name()
        )));
    }
    let stream = report::report_stream(&tx, path, &report::Period::Month(m), report::Keep::Records)?;
    let summary = stream.month_summary()?;
    if !summary.exceptions.is_empty() {
        return Err(Error::ApprovalRefused { month: month.to_string(), exceptions: summary.exceptions });
    }
    let Some(app_id) = ctx.app_id.as_deref().filter(|a| !a.trim().is_empty()) else {
        return Err(Error::Refused(format!(
            "{month} cannot be approved: the Wix app id is not set, and every event sent to Wix must carry it. \
             Enter the app's id (from the Wix Dev Center) in the app settings first."
        )));
    };
    store::months::insert_approved(&tx, month, &now_rfc3339(), by, app_id)?;
    {
        let mut frozen = store::events::FrozenWriter::new(&tx, month)?;
        let mut seq = 0i64;
        stream.each_event(|e, t| {
            let [gross, expenses, net, wix_share] = t.amounts.texts();
            frozen.write(&store::events::FrozenEvent {
                seq,
                txn_id: e.txn_id,
                manual_id: e.manual_id,
                instance_id: e.instance_id,
                billing_type: e.billing.as_str(),
                created_date: e.created_date,
                amounts: [gross, expenses, net, t.rate, wix_share],
                source: e.source,
                source_id: e.source_id,
                product: t.product,
                expense_note: t.note,
                late: e.late,
                rate_basis: t.basis,
            })?;
            seq += 1;
            Ok(())
        })?;
        frozen.finish()?;
    }
    let t = &summary.totals;
    let record = Approval { month, events: t.events, gross: t.gross.clone(), net: t.net.clone(), wix_share: t.wix_share.clone(), reason: None };
    audit::record(&tx, by, "month.approve", &format!("month:{month}"), None::<&()>, Some(&record))?;
    tx.commit()?;
    Ok(crate::MonthSummary { status: crate::MonthStatus::Approved, ..summary })
}

/// Reopens an approved month, with a reason, only while none of its events was sent (or is
/// being sent, or in doubt): its frozen events are dropped and computed live again.
pub(crate) fn reopen(conn: &mut Connection, month: &str, reason: &str, by: &str) -> Result<()> {
    let m = parse_month(month)?;
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(Error::Refused("a reopen needs a reason".into()));
    }
    let tx = conn.transaction()?;
    if store::months::status(&tx, month)?.is_none() {
        return Err(Error::Refused(format!("{month} is not approved")));
    }
    let touched = store::events::count_touched(&tx, month)?;
    if touched > 0 {
        return Err(Error::Refused(format!(
            "{month} cannot be reopened: {touched} of its events were already sent to Wix (or are in doubt); \
             correct it with a manual refund in an open month instead"
        )));
    }
    let before = report::report_stream(&tx, None, &report::Period::Month(m), report::Keep::Sums)?.month_summary()?.totals;
    store::months::delete_with_events(&tx, month)?;
    let summary = Approval {
        month,
        events: before.events,
        gross: before.gross,
        net: before.net,
        wix_share: before.wix_share,
        reason: Some(reason),
    };
    audit::record(&tx, by, "month.reopen", &format!("month:{month}"), Some(&summary), Some(&serde_json::json!({ "status": "open", "reason": reason })))?;
    tx.commit()?;
    Ok(())
}

/// Every month that has an approval, plus open months that have rows, newest first.
pub(crate) fn list(conn: &Connection) -> Result<Vec<crate::MonthInfo>> {
    let tz = crate::exceptions::reporting_tz(conn)?;
    let mut out: std::collections::BTreeMap<String, crate::MonthInfo> = std::collections::BTreeMap::new();
    for r in store::months::infos(conn)? {
        out.insert(r.month.clone(), r);
    }
    // Months with imported rows, and months with manual refunds only.
    let stamp = |s: &str| DateTime::parse_from_rfc3339(s).ok().map(|d| d.timestamp());
    let manual = store::refunds::live_span(conn)?.and_then(|(lo, hi)| stamp(&lo).zip(stamp(&hi)));
    let span = match (store::txns::activity_span(conn)?, manual) {
        (Some((a, b)), Some((c, d))) => Some((a.min(c), b.max(d))),
        (one, other) => one.or(other),
    };
    if let Some((lo, hi)) = span {
        let parse = |s: i64| DateTime::<Utc>::from_timestamp(s, 0);
        if let (Some(lo), Some(hi)) = (parse(lo), parse(hi)) {
            let mut m = parse_month(&month_of(lo, tz))?;
            let last = parse_month(&month_of(hi, tz))?;
            while m <= last {
                let key = m.format("%Y-%m").to_string();
                out.entry(key.clone()).or_insert(crate::MonthInfo { month: key, status: crate::MonthStatus::Open, approved_at: None, approved_by: None });
                m = m.checked_add_months(chrono::Months::new(1)).expect("month in range");
            }
        }
    }
    Ok(out.into_values().rev().collect())
}
