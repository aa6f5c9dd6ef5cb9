//! CSV exports (SPEC §7): Wix's Partner Billed report template, an instance summary and the
//! event lines. UTF-8, optionally with a BOM for Excel.
//!
//! Invariant: every text cell goes through [`safe_text`]; amounts are written as plain numbers.
use std::io::Write;

use chrono::DateTime;
use chrono_tz::Tz;

use crate::{EventLine, Report, Result};

/// Wix's template columns, in order.
pub const WIX_COLUMNS: [&str; 9] = [
    "App ID",
    "App instance",
    "Transaction Date (dd/mm/yyyy)",
    "Product Name",
    "Gross Revenue, Without Sales Tax (USD)",
    "Net app revenue (USD)",
    "How did you calculate your net app revenue",
    "Revenue Share Calculation",
    "Owed (USD)",
];

/// Neutralises spreadsheet formulas: a text cell starting with `=`, `+`, `-`, `@`, tab or CR
/// gets a leading `'`.
pub fn safe_text(s: &str) -> std::borrow::Cow<'_, str> {
    match s.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r') => format!("'{s}").into(),
        _ => s.into(),
    }
}

/// The words of the "Revenue Share Calculation" column.
pub fn share_note(e: &EventLine) -> String {
    let mut s = format!("{}% of net {} = {}", e.rate, e.net, e.wix_share);
    if e.rate == "0" {
        s.push_str(" (0% revenue share: first-year eligibility)");
    }
    s
}

fn writer<W: Write>(mut out: W, excel: bool) -> Result<csv::Writer<W>> {
    if excel {
        out.write_all("\u{feff}".as_bytes()).map_err(io)?;
    }
    Ok(csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(out))
}

fn io(e: std::io::Error) -> crate::Error {
    crate::Error::Refused(format!("cannot write the export: {e}"))
}

fn csv_err(e: csv::Error) -> crate::Error {
    crate::Error::Refused(format!("cannot write the export: {e}"))
}

/// The transaction date column: the event's date in the reporting time zone, dd/mm/yyyy.
fn wix_date(created: &str, tz: Tz) -> String {
    DateTime::parse_from_rfc3339(created).map(|d| d.with_timezone(&tz).format("%d/%m/%Y").to_string()).unwrap_or_default()
}

/// Wix's Partner Billed report: one row per event.
pub fn write_wix<W: Write>(report: &Report, tz: Tz, out: W, excel: bool) -> Result<()> {
    let mut w = writer(out, excel)?;
    w.write_record(WIX_COLUMNS).map_err(csv_err)?;
    let app = report.app_id.as_deref().unwrap_or("");
    for e in &report.events {
        w.write_record([
            &*safe_text(app),
            &*safe_text(&e.instance_id),
            &wix_date(&e.created_date, tz),
            &*safe_text(&e.product),
            &e.gross,
            &e.net,
            &*safe_text(&e.expense_note),
            &*safe_text(&share_note(e)),
            &e.wix_share,
        ])
        .map_err(csv_err)?;
    }
    w.flush().map_err(io)?;
    Ok(())
}

/// One row per instance with its counts and sums, then a total row.
pub fn write_instances<W: Write>(report: &Report, out: W, excel: bool) -> Result<()> {
    let mut w = writer(out, excel)?;
    w.write_record(["Instance", "Charges", "Refunds", "Gross (USD)", "Expenses (USD)", "Net (USD)", "Wix share (USD)"]).map_err(csv_err)?;
    for i in &report.instances {
        w.write_record([&*safe_text(&i.instance_id), &i.charges.to_string(), &i.refunds.to_string(), &i.gross, &i.expenses, &i.net, &i.wix_share])
            .map_err(csv_err)?;
    }
    let t = &report.totals;
    let (charges, refunds) = report.instances.iter().fold((0u32, 0u32), |(c, r), i| (c + i.charges, r + i.refunds));
    w.write_record(["Total", &charges.to_string(), &refunds.to_string(), &t.gross, &t.expenses, &t.net, &t.wix_share]).map_err(csv_err)?;
    w.flush().map_err(io)?;
    Ok(())
}

/// One row per event with every field of the report.
pub fn write_events<W: Write>(report: &Report, out: W, excel: bool) -> Result<()> {
    let mut w = writer(out, excel)?;
    w.write_record([
        "Event", "Instance", "Billing type", "Created (UTC)", "Gross (USD)", "Expenses (USD)", "Net (USD)", "Rate (%)",
        "Wix share (USD)", "Source", "Source id", "Late", "State", "Product",
    ])
    .map_err(csv_err)?;
    for e in &report.events {
        w.write_record([
            &*safe_text(&e.id),
            &*safe_text(&e.instance_id),
            &e.billing_type,
            &e.created_date,
            &e.gross,
            &e.expenses,
            &e.net,
            &e.rate,
            &e.wix_share,
            &*safe_text(&e.source),
            &*safe_text(e.source_id.as_deref().unwrap_or("")),
            if e.late { "yes" } else { "no" },
            &e.state,
            &*safe_text(&e.product),
        ])
        .map_err(csv_err)?;
    }
    w.flush().map_err(io)?;
    Ok(())
}
