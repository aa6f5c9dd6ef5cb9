//! Metered usage (SPEC §9): the checks every usage record passes, from a CSV (`usage import`)
//! or from the vendor's backend (`POST /v1/usage`), and the one import both use: whole or not
//! at all, idempotent on `id` (the same content again is a duplicate; other content under a
//! known id is a conflict that refuses the whole file or request). Also the ingestion tokens of
//! `POST /v1/usage`, stored as SHA-256 only.
use std::collections::HashMap;
use std::io::Read;
use std::path::Path;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::Connection;
use rust_decimal::Decimal;
use sha2::{Digest, Sha256};

use crate::{now_rfc3339, store, Error, RejectedRow, Result, UsageImportReport, UsageRecord};

/// The CSV header of a usage file.
pub const USAGE_COLUMNS: [&str; 5] = ["id", "instance_id", "occurred_at", "metric", "quantity"];
/// The longest usage id.
pub const MAX_ID_CHARS: usize = 128;
/// The longest metric name.
pub const MAX_METRIC_CHARS: usize = 64;
/// The most decimals of a quantity (and of a unit price): with at most 12 integer digits each,
/// a product below 10^15 is exact in a `Decimal`.
pub const MAX_QUANTITY_DECIMALS: u32 = 6;
/// The most rejected rows a report lists (the count of the rest follows them).
const MAX_REPORTED: usize = 1000;

/// A usage record that passed the checks: normalised, ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ValidUsage {
    pub id: String,
    pub instance_id: String,
    /// RFC 3339 UTC, as precise as given (`2026-03-01T10:00:00Z`, `...:00.250Z`).
    pub occurred_at: String,
    pub occurred_ms: i64,
    pub metric: String,
    /// The decimal, normalised (`1.50` → `1.5`).
    pub quantity: String,
}

/// A metric name: 1 to 64 of letters, digits, `_`, `.`, `:`, `-`.
pub(crate) fn check_metric(m: &str) -> std::result::Result<String, String> {
    let t = m.trim();
    if t.is_empty() {
        return Err("the metric is empty".into());
    }
    if t.chars().count() > MAX_METRIC_CHARS || !t.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | ':' | '-')) {
        return Err(format!(
            "`{}` is not a metric name (1 to {MAX_METRIC_CHARS} letters, digits, _ . : -)",
            pl_import::clip(t)
        ));
    }
    Ok(t.to_string())
}

/// A non-negative decimal with at most 12 integer digits and 6 decimals, written plainly
/// (`1250`, `0.5`; no exponent, no thousands separator).
pub(crate) fn check_amount(s: &str, what: &str) -> std::result::Result<Decimal, String> {
    let t = s.trim();
    let bad = || format!("`{}` is not a {what} (a plain decimal ≥ 0 like 12 or 0.25)", pl_import::clip(t));
    if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return Err(bad());
    }
    let d = Decimal::from_str(t).map_err(|_| bad())?;
    if d.is_sign_negative() && !d.is_zero() {
        return Err(bad());
    }
    if d.trunc().abs() >= Decimal::from(10u64.pow(pl_import::MAX_INTEGER_DIGITS)) {
        return Err(format!("`{}` has more than {} integer digits", pl_import::clip(t), pl_import::MAX_INTEGER_DIGITS));
    }
    if d.normalize().scale() > MAX_QUANTITY_DECIMALS {
        return Err(format!("`{}` has more than {MAX_QUANTITY_DECIMALS} decimals", pl_import::clip(t)));
    }
    Ok(d.normalize())
}

/// The checks of one record (SPEC §9 with §2's bounds): returns the column at fault and why.
pub(crate) fn check(rec: &UsageRecord, today: NaiveDate) -> std::result::Result<ValidUsage, (&'static str, String)> {
    let id = rec.id.trim();
    if id.is_empty() {
        return Err(("id", "the usage id is empty".into()));
    }
    if id.chars().count() > MAX_ID_CHARS || id.chars().any(char::is_control) {
        return Err(("id", format!("`{}` is not a usage id (at most {MAX_ID_CHARS} characters, no control characters)", pl_import::clip(id))));
    }
    let instance_id = pl_import::normalise_guid(&rec.instance_id)
        .ok_or_else(|| ("instance_id", format!("`{}` is not a Wix instance id (a GUID)", pl_import::clip(rec.instance_id.trim()))))?;
    let at = DateTime::parse_from_rfc3339(rec.occurred_at.trim()).map_err(|_| {
        ("occurred_at", format!("`{}` is not an RFC 3339 instant (like 2026-03-01T10:00:00Z)", pl_import::clip(rec.occurred_at.trim())))
    })?;
    let at = at.with_timezone(&Utc);
    let earliest = NaiveDate::from_ymd_opt(2000, 1, 1).unwrap_or(NaiveDate::MIN);
    let latest = today.checked_add_signed(chrono::Duration::days(366)).unwrap_or(NaiveDate::MAX);
    if at.date_naive() < earliest {
        return Err(("occurred_at", format!("{} is before 2000: check the column", at.date_naive())));
    }
    if at.date_naive() > latest {
        return Err(("occurred_at", format!("{} is more than a year ahead: check the column", at.date_naive())));
    }
    let metric = check_metric(&rec.metric).map_err(|e| ("metric", e))?;
    let quantity = check_amount(&rec.quantity, "quantity").map_err(|e| ("quantity", e))?;
    Ok(ValidUsage {
        id: id.to_string(),
        instance_id,
        occurred_at: at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
        occurred_ms: at.timestamp_millis(),
        metric,
        quantity: quantity.to_string(),
    })
}

/// The records of a usage file with their lines, and the rows that could not be read.
pub(crate) type CsvRecords = (Vec<(u32, UsageRecord)>, Vec<RejectedRow>);

/// Reads a usage CSV (`id,instance_id,occurred_at,metric,quantity`, columns by name, any order,
/// UTF-8 with or without BOM, LF/CRLF/CR): each record with its line, and the rows that could
/// not be read. A file that is not a regular file, too large, with a line over 4 MiB or ending
/// inside a quoted field is refused whole.
pub(crate) fn read_csv(path: &Path) -> Result<CsvRecords> {
    pl_import::check_file(path)?;
    let io = |source| Error::Io { path: path.to_path_buf(), source };
    let mut bytes = Vec::new();
    std::fs::File::open(path).and_then(|f| f.take(pl_import::MAX_FILE_BYTES + 1).read_to_end(&mut bytes)).map_err(io)?;
    let name = path.display().to_string();
    if memchr::memchr_iter(b'"', &bytes).count() % 2 == 1 {
        return Err(Error::Refused(format!("{name}: the file ends inside a quoted field (cut short?); nothing imported")));
    }
    let mut start = 0;
    for nl in memchr::memchr2_iter(b'\n', b'\r', &bytes).chain(std::iter::once(bytes.len())) {
        if nl - start > pl_import::MAX_LINE_BYTES {
            return Err(Error::Refused(format!("{name}: a line is longer than {} bytes: not a usage file", pl_import::MAX_LINE_BYTES)));
        }
        start = nl + 1;
    }
    let text = bytes.strip_prefix(b"\xEF\xBB\xBF".as_slice()).unwrap_or(&bytes);
    // Line ends as `\n` only (CRLF and old Mac CR alike), so that the reader's line numbers are
    // the file's (no usage field holds a line break).
    let mut lf = Vec::with_capacity(text.len());
    let mut it = text.iter().peekable();
    while let Some(&b) = it.next() {
        if b == b'\r' {
            if it.peek() == Some(&&b'\n') {
                it.next();
            }
            lf.push(b'\n');
        } else {
            lf.push(b);
        }
    }
    drop(bytes);
    let mut rdr = csv::ReaderBuilder::new().flexible(true).from_reader(lf.as_slice());
    let headers: Vec<String> = rdr
        .headers()
        .map_err(|e| Error::Refused(format!("{name}: cannot read the header: {e}")))?
        .iter()
        .map(|h| h.trim().to_ascii_lowercase())
        .collect();
    let mut cols = [0usize; 5];
    for (slot, want) in cols.iter_mut().zip(USAGE_COLUMNS) {
        *slot = headers.iter().position(|h| h == want).ok_or_else(|| {
            Error::Refused(format!("{name}: no `{want}` column; a usage file has the header {}", USAGE_COLUMNS.join(",")))
        })?;
    }
    let mut rows = Vec::new();
    let mut rejected = Vec::new();
    let mut record = csv::StringRecord::new();
    let line_of = |p: Option<&csv::Position>| p.map(|p| u32::try_from(p.line()).unwrap_or(u32::MAX)).unwrap_or(0);
    loop {
        match rdr.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                // The line the record starts on (1 is the header).
                let line = line_of(record.position());
                if record.iter().all(|f| f.trim().is_empty()) {
                    continue;
                }
                if record.len() != headers.len() {
                    rejected.push(RejectedRow { line, column: None, reason: format!("{} fields where the header has {}", record.len(), headers.len()) });
                    continue;
                }
                let get = |i: usize| record.get(i).unwrap_or("").to_string();
                rows.push((line, UsageRecord { id: get(cols[0]), instance_id: get(cols[1]), occurred_at: get(cols[2]), metric: get(cols[3]), quantity: get(cols[4]) }));
            }
            Err(e) => {
                let line = line_of(e.position());
                let reason = match e.kind() {
                    csv::ErrorKind::Utf8 { .. } => "not UTF-8 text".to_string(),
                    _ => e.to_string(),
                };
                rejected.push(RejectedRow { line, column: None, reason });
                if !matches!(e.kind(), csv::ErrorKind::Utf8 { .. }) {
                    break;
                }
            }
        }
    }
    Ok((rows, rejected))
}

/// Checks and imports records in the caller's transaction: returns the report; when it has
/// rejected rows the caller must roll back (nothing of it may stay).
pub(crate) fn apply(conn: &Connection, source: &str, records: &[(u32, UsageRecord)], mut rejected: Vec<RejectedRow>, dry_run: bool) -> Result<UsageImportReport> {
    let today = Utc::now().date_naive();
    let mut report = UsageImportReport {
        source: source.to_string(),
        dry_run,
        rows_read: u32::try_from(records.len() + rejected.len()).unwrap_or(u32::MAX),
        imported: 0,
        duplicates: 0,
        rejected: Vec::new(),
    };
    let mut valid = Vec::with_capacity(records.len());
    for (line, rec) in records {
        match check(rec, today) {
            Ok(v) => valid.push((*line, v)),
            Err((column, reason)) => rejected.push(RejectedRow { line: *line, column: Some(column.to_string()), reason }),
        }
    }
    // The same id twice in one file: a duplicate when the content agrees, else a conflict.
    let mut seen: HashMap<&str, (u32, &ValidUsage)> = HashMap::with_capacity(valid.len());
    let received_at = now_rfc3339();
    for (line, v) in &valid {
        if let Some((first, earlier)) = seen.get(v.id.as_str()) {
            if same(earlier, v) {
                report.duplicates += 1;
            } else {
                rejected.push(RejectedRow {
                    line: *line,
                    column: Some("id".into()),
                    reason: format!("usage id `{}` is also on line {first} with other content", pl_import::clip(&v.id)),
                });
            }
            continue;
        }
        seen.insert(&v.id, (*line, v));
        match store::usage::by_id(conn, &v.id)? {
            Some(stored) => {
                if stored.instance_id == v.instance_id && stored.metric == v.metric && same_instant(&stored.occurred_at, &v.occurred_at) && same_quantity(&stored.quantity, &v.quantity) {
                    report.duplicates += 1;
                } else {
                    rejected.push(RejectedRow {
                        line: *line,
                        column: Some("id".into()),
                        reason: format!(
                            "usage id `{}` is already in the ledger with other content (instance {}, {}, {} × {}); a usage row never changes: send a new id",
                            pl_import::clip(&v.id), stored.instance_id, stored.occurred_at, pl_import::clip(&stored.quantity), stored.metric
                        ),
                    });
                }
            }
            None if rejected.is_empty() && !dry_run => {
                store::usage::insert(
                    conn,
                    &store::usage::NewUsage {
                        id: &v.id,
                        instance_id: &v.instance_id,
                        occurred_at: &v.occurred_at,
                        occurred_ms: v.occurred_ms,
                        metric: &v.metric,
                        quantity: &v.quantity,
                    },
                    &received_at,
                    source,
                )?;
                report.imported += 1;
            }
            None => report.imported += 1,
        }
    }
    if !rejected.is_empty() {
        rejected.sort_by_key(|r| r.line);
        let more = rejected.len().saturating_sub(MAX_REPORTED);
        rejected.truncate(MAX_REPORTED);
        if more > 0 {
            rejected.push(RejectedRow { line: 0, column: None, reason: format!("and {more} more bad row(s)") });
        }
        report.imported = 0;
        report.duplicates = 0;
        report.rejected = rejected;
    }
    Ok(report)
}

fn same(a: &ValidUsage, b: &ValidUsage) -> bool {
    a.instance_id == b.instance_id && a.metric == b.metric && same_instant(&a.occurred_at, &b.occurred_at) && same_quantity(&a.quantity, &b.quantity)
}

fn same_instant(a: &str, b: &str) -> bool {
    a == b || matches!((DateTime::parse_from_rfc3339(a), DateTime::parse_from_rfc3339(b)), (Ok(x), Ok(y)) if x == y)
}

fn same_quantity(a: &str, b: &str) -> bool {
    matches!((Decimal::from_str(a), Decimal::from_str(b)), (Ok(x), Ok(y)) if x == y)
}

/// Imports a usage CSV whole or not at all (a dry run checks everything and changes nothing).
pub(crate) fn import_file(conn: &mut Connection, path: &Path, dry_run: bool, by: &str) -> Result<UsageImportReport> {
    let (records, rejected) = read_csv(path)?;
    let source = format!("csv:{}", path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default());
    let tx = conn.transaction()?;
    let mut report = apply(&tx, &source, &records, rejected, dry_run)?;
    report.source = path.display().to_string();
    if report.rejected.is_empty() && !dry_run {
        if report.imported > 0 {
            store::audit::record(
                &tx,
                by,
                "usage.import",
                &format!("usage:{}", report.source),
                None::<&()>,
                Some(&serde_json::json!({ "imported": report.imported, "duplicates": report.duplicates })),
            )?;
        }
        tx.commit()?;
    }
    Ok(report)
}

/// The SHA-256 (hex) a token is stored as.
pub(crate) fn token_hash(token: &str) -> String {
    Sha256::digest(token.trim().as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// A new ingestion token (`plu_` and 64 hex digits): stored hashed, shown once; audited by its
/// first characters only.
pub(crate) fn new_token(conn: &mut Connection, by: &str) -> Result<String> {
    let bytes: [u8; 32] = rand::random();
    let token = format!("plu_{}", bytes.iter().map(|b| format!("{b:02x}")).collect::<String>());
    let hint = format!("{}…", token.get(..10).unwrap_or("plu_"));
    let tx = conn.transaction()?;
    let at = now_rfc3339();
    store::usage::add_token(&tx, &token_hash(&token), &hint, &at, by)?;
    store::audit::record(&tx, by, "usage.token", "ingestion_token", None::<&()>, Some(&serde_json::json!({ "hint": hint })))?;
    tx.commit()?;
    Ok(token)
}

/// Whether `token` is a live ingestion token.
pub(crate) fn token_valid(conn: &Connection, token: &str) -> Result<bool> {
    if token.trim().is_empty() {
        return Ok(false);
    }
    store::usage::token_known(conn, &token_hash(token))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(id: &str, at: &str, q: &str) -> UsageRecord {
        UsageRecord { id: id.into(), instance_id: "6F1C2A9E-3B4D-4E8A-9C1F-2D7B8E0A5C31".into(), occurred_at: at.into(), metric: "emails".into(), quantity: q.into() }
    }

    #[test]
    fn records_are_normalised_and_bounded() {
        let today = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
        let v = check(&rec("u1", "2026-03-01T12:00:00+02:00", "1.50"), today).unwrap();
        assert_eq!(v.instance_id, "6f1c2a9e-3b4d-4e8a-9c1f-2d7b8e0a5c31");
        assert_eq!(v.occurred_at, "2026-03-01T10:00:00Z");
        assert_eq!(v.quantity, "1.5");
        for (r, col) in [
            (rec("", "2026-03-01T10:00:00Z", "1"), "id"),
            (rec("u", "1999-12-31T10:00:00Z", "1"), "occurred_at"),
            (rec("u", "2027-03-03T10:00:00Z", "1"), "occurred_at"),
            (rec("u", "2026-03-01", "1"), "occurred_at"),
            (rec("u", "2026-03-01T10:00:00Z", "-1"), "quantity"),
            (rec("u", "2026-03-01T10:00:00Z", "1e3"), "quantity"),
            (rec("u", "2026-03-01T10:00:00Z", "1,000"), "quantity"),
            (rec("u", "2026-03-01T10:00:00Z", "1234567890123"), "quantity"),
            (rec("u", "2026-03-01T10:00:00Z", "0.0000001"), "quantity"),
        ] {
            assert_eq!(check(&r, today).unwrap_err().0, col, "{r:?}");
        }
        let mut bad = rec("u", "2026-03-01T10:00:00Z", "1");
        bad.metric = "two words".into();
        assert_eq!(check(&bad, today).unwrap_err().0, "metric");
    }
}
