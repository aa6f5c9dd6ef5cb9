//! CSV exports (SPEC §7): Wix's Partner Billed report template, an instance summary and the
//! event lines. UTF-8, optionally with a BOM for Excel.
//!
//! Invariant: every text cell goes through [`safe_text`]; amounts are written as plain numbers.
//! Invariant: a file is written only by [`write_file`]: into a temporary file beside its target,
//! renamed into place; never onto the ledger or its `-wal`/`-shm`, nor over a file that is not a CSV.
use std::io::Write;
use std::path::{Path, PathBuf};


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

/// The words of the "Revenue Share Calculation" column: the rate, the net and the share, then
/// which rate it was and why (`rate in force on 2026-11-04`, `rate of the original charge of
/// 2025-11-03`), and for a 0 % rate, the first-year eligibility that gives it.
pub fn share_note(e: &EventLine) -> String {
    let mut s = String::new();
    write_share_note(&mut s, &e.rate, &e.net, &e.wix_share, &e.rate_basis);
    s
}

fn writer<W: Write>(mut out: W, excel: bool) -> Result<csv::Writer<W>> {
    if excel {
        out.write_all("\u{feff}".as_bytes()).map_err(io)?;
    }
    Ok(csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(out))
}

pub(crate) fn io(e: std::io::Error) -> crate::Error {
    crate::Error::Refused(format!("cannot write the export: {e}"))
}

pub(crate) fn csv_err(e: csv::Error) -> crate::Error {
    crate::Error::Refused(format!("cannot write the export: {e}"))
}

/// The reference the tests hold [`wix_date_into`] to.
#[cfg(test)]
fn wix_date(created: &str, tz: Tz) -> String {
    chrono::DateTime::parse_from_rfc3339(created).map(|d| d.with_timezone(&tz).format("%d/%m/%Y").to_string()).unwrap_or_default()
}

/// Wix's Partner Billed report: one row per event (the rows [`WixRows`] writes, as the streamed
/// report writes them).
pub fn write_wix<W: Write>(report: &Report, tz: Tz, mut out: W, excel: bool) -> Result<()> {
    out.write_all(&wix_head(excel)?).map_err(io)?;
    let app = safe_text(report.app_id.as_deref().unwrap_or("")).into_owned();
    let mut rows = WixRows::new(Vec::new());
    for e in &report.events {
        rows.row(&app, tz, &e.instance_id, &e.created_date, &e.product, &e.gross, &e.net, &e.expense_note, &e.rate, &e.wix_share, &e.rate_basis)?;
    }
    out.write_all(&rows.into_bytes()?).map_err(io)?;
    out.flush().map_err(io)
}

/// The start of a Wix report file: the BOM when `excel`, then the header row; rows written by
/// [`WixRows`] follow it.
pub(crate) fn wix_head(excel: bool) -> Result<Vec<u8>> {
    let mut w = writer(Vec::new(), excel)?;
    w.write_record(WIX_COLUMNS).map_err(csv_err)?;
    w.into_inner().map_err(|e| io(e.into_error()))
}

/// Wix report rows written one event at a time into a buffer, byte for byte what
/// [`write_wix`] writes for the same events (same CSV writer, same cells).
pub(crate) struct WixRows {
    w: csv::Writer<Vec<u8>>,
    share: String,
    date: String,
}

impl WixRows {
    /// Rows appended to `buf`.
    pub fn new(buf: Vec<u8>) -> WixRows {
        WixRows {
            w: csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(buf),
            share: String::new(),
            date: String::new(),
        }
    }

    /// One event's row. `app` is the app id already through [`safe_text`]; amounts as
    /// reports print them.
    #[allow(clippy::too_many_arguments)]
    pub fn row(
        &mut self,
        app: &str,
        tz: Tz,
        instance_id: &str,
        created_date: &str,
        product: &str,
        gross: &str,
        net: &str,
        expense_note: &str,
        rate: &str,
        wix_share: &str,
        rate_basis: &str,
    ) -> Result<()> {
        self.date.clear();
        wix_date_into(created_date, tz, &mut self.date);
        self.share.clear();
        write_share_note(&mut self.share, rate, net, wix_share, rate_basis);
        let w = &mut self.w;
        for cell in [app, &safe_text(instance_id), &self.date, &safe_text(product), gross, net, &safe_text(expense_note), &safe_text(&self.share), wix_share]
        {
            w.write_field(cell).map_err(csv_err)?;
        }
        w.write_record(std::iter::empty::<&[u8]>()).map_err(csv_err)
    }

    pub fn into_bytes(self) -> Result<Vec<u8>> {
        self.w.into_inner().map_err(|e| io(e.into_error()))
    }
}

/// [`share_note`] from the cells it is made of. An event approved before the rate's basis was
/// kept (`rate_basis` empty) keeps the words it had then.
fn write_share_note(s: &mut String, rate: &str, net: &str, wix_share: &str, rate_basis: &str) {
    s.push_str(rate);
    s.push_str("% of net ");
    s.push_str(net);
    s.push_str(" = ");
    s.push_str(wix_share);
    let first_year = rate == "0";
    if rate_basis.is_empty() {
        if first_year {
            s.push_str(" (0% revenue share: first-year eligibility)");
        }
        return;
    }
    s.push_str(" (");
    s.push_str(rate_basis);
    if first_year {
        s.push_str("; 0% revenue share: first-year eligibility");
    }
    s.push(')');
}

/// The transaction date column: the event's date in the reporting time zone, dd/mm/yyyy
/// (`wix_date` of the tests, without a chrono format per row).
fn wix_date_into(created: &str, tz: Tz, out: &mut String) {
    let Some(at) = crate::calendar::parse_instant(created) else { return };
    crate::calendar::push_date(out, at.with_timezone(&tz).date_naive(), false);
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
            e.state.as_str(),
            &*safe_text(&e.product),
        ])
        .map_err(csv_err)?;
    }
    w.flush().map_err(io)?;
    Ok(())
}

// ---- writing an export file (SPEC §7) ----------------------------------------------------------

fn refused(target: &Path, why: &str) -> crate::Error {
    crate::Error::Refused(format!("not writing {}: {why}", target.display()))
}

/// The (device, inode) of a file, following symlinks; `None` where the OS has no such identity.
#[cfg(unix)]
fn identity(p: &Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(p).ok().map(|m| (m.dev(), m.ino()))
}

#[cfg(not(unix))]
fn identity(p: &Path) -> Option<PathBuf> {
    p.canonicalize().ok()
}

/// The names SQLite uses for the ledger at `ledger` (canonical): the file, its WAL, its shared
/// memory and its rollback journal.
fn ledger_names(ledger: &Path) -> Vec<PathBuf> {
    let real = ledger.canonicalize().unwrap_or_else(|_| ledger.to_path_buf());
    let mut names = vec![real.clone()];
    for suffix in ["-wal", "-shm", "-journal"] {
        let mut n = real.clone().into_os_string();
        n.push(suffix);
        names.push(PathBuf::from(n));
    }
    names
}

/// How many bytes of an existing file are looked at to decide that it is text.
const SNIFF_BYTES: usize = 8192;

/// Where an export to `target` really goes (symlinks resolved), or why it may not go there:
/// the ledger or one of its SQLite files (by name or by identity), a folder, a device, a
/// dangling link, or an existing file that is not a CSV (name not ending in `.csv`, or binary
/// content: a NUL byte or SQLite's header in its first 8 KiB).
pub fn check_target(ledger: &Path, target: &Path) -> Result<PathBuf> {
    let Some(name) = target.file_name() else {
        return Err(refused(target, "it names no file"));
    };
    let dir = match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let dir = dir.canonicalize().map_err(|e| refused(target, &format!("its folder {} cannot be used ({e})", dir.display())))?;
    let exists = std::fs::symlink_metadata(target).is_ok();
    let real = if exists {
        target.canonicalize().map_err(|_| refused(target, "it is a link to nothing; remove it or choose another name"))?
    } else {
        dir.join(name)
    };
    let names = ledger_names(ledger);
    let ids: Vec<_> = names.iter().filter_map(|n| identity(n)).collect();
    let is_ledger = names.contains(&real) || (exists && identity(&real).is_some_and(|id| ids.contains(&id)));
    if is_ledger {
        return Err(refused(target, "it is the ledger itself (or one of its SQLite files); choose a .csv file name elsewhere"));
    }
    if !exists {
        return Ok(real);
    }
    let meta = std::fs::metadata(&real).map_err(|e| refused(target, &e.to_string()))?;
    if meta.is_dir() {
        return Err(refused(target, "it is a folder"));
    }
    if !meta.is_file() {
        return Err(refused(target, "it is not a regular file"));
    }
    let csv_name = real.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    if !csv_name {
        return Err(refused(target, "a file that is not a CSV exists there (its name does not end in .csv); choose another name or remove it first"));
    }
    let mut head = Vec::with_capacity(SNIFF_BYTES);
    {
        use std::io::Read;
        let f = std::fs::File::open(&real).map_err(|e| refused(target, &format!("it cannot be read ({e})")))?;
        f.take(SNIFF_BYTES as u64).read_to_end(&mut head).map_err(|e| refused(target, &format!("it cannot be read ({e})")))?;
    }
    if head.contains(&0) || head.starts_with(b"SQLite format 3") {
        return Err(refused(target, "the existing file is binary, not a CSV (it may be a database); choose another name or remove it first"));
    }
    Ok(real)
}

/// Writes an export to `target` (SPEC §7): checks it with [`check_target`], writes through
/// `write` into a temporary file beside it, syncs it and renames it into place. On any failure
/// the temporary file is removed and `target` is untouched. Returns the path written.
pub fn write_file(ledger: &Path, target: &Path, write: impl FnOnce(&mut dyn Write) -> Result<()>) -> Result<PathBuf> {
    let real = check_target(ledger, target)?;
    let dir = real.parent().unwrap_or(Path::new("."));
    let cannot = |e: std::io::Error| crate::Error::Refused(format!("cannot write {}: {e}", target.display()));
    let name = real.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let mut tmp =
        tempfile::Builder::new().prefix(&format!(".{name}.")).suffix(".tmp").tempfile_in(dir).map_err(cannot)?;
    {
        let mut out = std::io::BufWriter::new(tmp.as_file_mut());
        write(&mut out)?;
        out.flush().map_err(cannot)?;
    }
    if let Ok(old) = std::fs::metadata(&real) {
        // An overwritten CSV keeps its permissions; a new one is readable by its owner only.
        let _ = tmp.as_file().set_permissions(old.permissions());
    }
    tmp.as_file().sync_all().map_err(cannot)?;
    tmp.persist(&real).map_err(|e| cannot(e.error))?;
    Ok(real)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wix_date_into_writes_what_wix_date_writes() {
        let tzs: [Tz; 5] = [chrono_tz::UTC, chrono_tz::Europe::Berlin, chrono_tz::America::New_York, chrono_tz::Asia::Kolkata, chrono_tz::Pacific::Chatham];
        let mut cases: Vec<String> = ["", "bad", "2016-12-31T23:59:60Z", "2026-10-02T10:00:00+02:00", "0999-05-01T00:00:00Z", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let mut t = 0i64;
        while t < 4_100_000_000 {
            cases.push(chrono::DateTime::<chrono::Utc>::from_timestamp(t, 0).unwrap().to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
            t += 3_599 * 7 + 11;
        }
        for tz in tzs {
            for c in &cases {
                let mut s = String::new();
                wix_date_into(c, tz, &mut s);
                assert_eq!(s, wix_date(c, tz), "{c} {tz}");
            }
        }
    }
}
