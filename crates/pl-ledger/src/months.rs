//! Months and their locks. A month is `open` → `approved` → `submitted`; rows of an approved
//! month are frozen.
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};

use crate::{audit, events, now_rfc3339, report, Error, Result};

pub use crate::calendar::{bound_ts, month_bounds, month_of, parse_month};

/// Refuses to undo a batch while one of its rows belongs to an approved month.
pub(crate) fn ensure_batch_undoable(conn: &Connection, batch_id: i64) -> Result<()> {
    let frozen: Option<String> = conn
        .query_row(
            "SELECT e.month FROM batches b JOIN events e ON e.txn_id BETWEEN b.first_txn AND b.last_txn WHERE b.id = ?1 LIMIT 1",
            [batch_id],
            |r| r.get(0),
        )
        .optional()?;
    match frozen {
        Some(m) => Err(Error::Refused(format!(
            "batch {batch_id} has rows in approved month {m}; reopen {m} first (`partner-ledger reopen --month {m} --reason ...`)"
        ))),
        None => Ok(()),
    }
}

/// Refuses to change a row that belongs to an approved month.
pub(crate) fn ensure_txn_editable(conn: &Connection, txn_id: i64) -> Result<()> {
    let frozen: Option<String> =
        conn.query_row("SELECT month FROM events WHERE txn_id = ?1", [txn_id], |r| r.get(0)).optional()?;
    match frozen {
        Some(m) => Err(Error::Refused(format!("row {txn_id} is part of approved month {m}; reopen {m} first"))),
        None => Ok(()),
    }
}

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
    let status = report::month_status(&tx, month)?;
    if status != "open" {
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
    tx.execute(
        "INSERT INTO months (month, status, approved_at, approved_by, app_id) VALUES (?1, 'approved', ?2, ?3, ?4)",
        params![month, now_rfc3339(), by, ctx.app_id],
    )?;
    {
        use crate::raw::{RawInsert, Val};
        let mut insert = RawInsert::new(
            &tx,
            "INSERT INTO events (id, month, seq, txn_id, manual_id, instance_id, billing_type, created_date, gross, expenses, \
             net, rate, wix_share, source, source_id, product, expense_note, late, payload, rate_basis) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20)",
        )?;
        let (mut seq, mut id, mut payload) = (0i64, String::new(), String::new());
        stream.each_event(|e, t| {
            let [gross, expenses, net, wix_share] = t.amounts.texts();
            id.clear();
            e.write_id(&mut id);
            payload.clear();
            let body = serde_json::json!({ "event": {
                "appId": app_id, "instanceId": e.instance_id, "grossRevenue": gross, "netRevenue": net,
                "wixShare": wix_share, "createdDate": e.created_date, "billingType": e.billing.as_str(),
            }});
            payload.push_str(&body.to_string());
            insert.run(&[
                Val::Text(&id),
                Val::Text(month),
                Val::Int(seq),
                e.txn_id.into(),
                e.manual_id.into(),
                Val::Text(e.instance_id),
                Val::Text(e.billing.as_str()),
                Val::Text(e.created_date),
                Val::Text(gross),
                Val::Text(expenses),
                Val::Text(net),
                Val::Text(t.rate),
                Val::Text(wix_share),
                Val::Text(e.source),
                e.source_id.into(),
                Val::Text(t.product),
                Val::Text(t.note),
                Val::Int(i64::from(e.late)),
                Val::Text(&payload),
                Val::Text(t.basis),
            ])?;
            seq += 1;
            Ok(())
        })?;
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
        return Err(Error::Refused("a reopen needs a reason (--reason)".into()));
    }
    let tx = conn.transaction()?;
    let status = report::month_status(&tx, month)?;
    if status == "open" {
        return Err(Error::Refused(format!("{month} is not approved")));
    }
    let touched: u32 = tx.query_row(
        "SELECT count(*) FROM events WHERE month = ?1 AND state <> 'queued'",
        [month],
        |r| r.get(0),
    )?;
    if touched > 0 {
        return Err(Error::Refused(format!(
            "{month} cannot be reopened: {touched} of its events were already sent to Wix (or are in doubt); \
             correct it with a manual refund in an open month instead"
        )));
    }
    let before = report::report_stream(&tx, None, &report::Period::Month(m), report::Keep::Sums)?.month_summary()?.totals;
    tx.execute("DELETE FROM events WHERE month = ?1", [month])?;
    tx.execute("DELETE FROM months WHERE month = ?1", [month])?;
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
    let mut stmt = conn.prepare("SELECT month, status, approved_at, approved_by FROM months")?;
    for r in stmt.query_map([], |r| {
        Ok(crate::MonthInfo { month: r.get(0)?, status: r.get(1)?, approved_at: r.get(2)?, approved_by: r.get(3)? })
    })? {
        let r = r?;
        out.insert(r.month.clone(), r);
    }
    let mut stmt = conn.prepare(&format!(
        "SELECT min(occurred_ts), max(occurred_ts) FROM txns WHERE undone = 0 AND (kind IN {} OR kind = 'unclassified')",
        crate::resolve::EVENT_KINDS_SQL
    ))?;
    let (lo, hi): (Option<i64>, Option<i64>) = stmt.query_row([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    if let (Some(lo), Some(hi)) = (lo, hi) {
        let parse = |s: i64| DateTime::<Utc>::from_timestamp(s, 0);
        if let (Some(lo), Some(hi)) = (parse(lo), parse(hi)) {
            let mut m = parse_month(&month_of(lo, tz))?;
            let last = parse_month(&month_of(hi, tz))?;
            while m <= last {
                let key = m.format("%Y-%m").to_string();
                out.entry(key.clone()).or_insert(crate::MonthInfo { month: key, status: "open".into(), approved_at: None, approved_by: None });
                m = m.checked_add_months(chrono::Months::new(1)).expect("month in range");
            }
        }
    }
    Ok(out.into_values().rev().collect())
}
