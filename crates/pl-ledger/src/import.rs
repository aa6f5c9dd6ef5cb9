//! Applying a parsed export to the ledger: one transaction per file, dedup by row key, instance
//! resolution, batches and their undo.
//!
//! Invariant: a file with any bad row changes nothing; a file imports whole or not at all.
use std::io::Read;
use std::path::Path;

use chrono::SecondsFormat;
use pl_import::{Format, ParseOptions, Row, RowKind};
use rusqlite::{params, Connection, OptionalExtension};
use sha2::{Digest, Sha256};

use crate::{audit, now_rfc3339, resolve, settings, BatchSummary, Error, ImportOptions, ImportReport, RejectedRow, Result};

const INSERT_TXN: &str = "INSERT INTO txns (batch_id, line, dedup_key, source_id, kind, skip_reason, \
     occurred_at, currency, gross, fee, net, tax, instance_meta, customer_key, charge_ref, original_ref, \
     payout_ref, conversion_ref, description, instance_id, resolved_by, raw) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22) \
     ON CONFLICT(dedup_key) WHERE undone = 0 DO NOTHING";

/// SHA-256 of a file, streamed, and whether the file has a `/` anywhere (so possibly slash
/// dates, whose day/month order the parser decides per file).
fn sha256_file(path: &Path) -> std::io::Result<(String, bool)> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut slash = false;
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        slash = slash || buf[..n].contains(&b'/');
    }
    Ok((hasher.finalize().iter().map(|b| format!("{b:02x}")).collect(), slash))
}

/// Page cache for the length of an import (KiB). The dedup and charge indexes take random
/// inserts; with the default cache their pages are spilled and read back for every few rows.
/// 64 MiB keeps a 1M-row import within its memory budget (SPEC-side: ≤ 150 MB peak).
const IMPORT_CACHE_KIB: i64 = 64 * 1024;

/// The same file imported again: when a live batch of a Stripe format was made from a file
/// with the same SHA-256 and took every one of its rows, every row of this file is still live
/// (rows only leave with their batch's undo), so the import would only count duplicates. The
/// parse is skipped and the same report is given. Stripe only: its row keys and row count do
/// not depend on options; a file with no `/` has no slash dates, so no day/month decision
/// (and no `--date-order` conflict) can differ from the first import.
fn same_file_batch(conn: &Connection, sha: &str, opts: &ImportOptions) -> Result<Option<(String, u32)>> {
    let found: Option<(String, u32)> = conn
        .query_row(
            "SELECT format, rows_read FROM batches WHERE sha256 = ?1 AND undone_at IS NULL AND rows_read > 0 \
             AND imported + skipped = rows_read AND format IN ('stripe-itemized', 'stripe-balance') ORDER BY id LIMIT 1",
            [sha],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    Ok(found.filter(|(format, _)| opts.format.as_deref().is_none_or(|f| f.trim() == format)))
}

/// Whether a live Stripe batch could be this file again (then the file is hashed before it is parsed).
fn may_be_reimport(conn: &Connection) -> Result<bool> {
    Ok(conn
        .query_row(
            "SELECT 1 FROM batches WHERE undone_at IS NULL AND rows_read > 0 AND imported + skipped = rows_read \
             AND format IN ('stripe-itemized', 'stripe-balance') LIMIT 1",
            [],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}

pub(crate) fn parse_options(conn: &Connection, opts: &ImportOptions) -> Result<ParseOptions> {
    let format = match &opts.format {
        None => None,
        Some(id) => Some(Format::from_id(id).ok_or_else(|| {
            Error::Refused(format!(
                "unknown format `{id}`; use stripe-itemized, stripe-balance, paypal-activity or mapped:<name>"
            ))
        })?),
    };
    let mut mappings = std::collections::HashMap::new();
    let mut stmt = conn.prepare("SELECT name, toml FROM column_mappings")?;
    for row in stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))? {
        let (name, text) = row?;
        mappings.insert(name.clone(), pl_import::Mapping::from_toml_str(&name, &text)?);
    }
    if let Some(Format::Mapped(name)) = &format {
        if !mappings.contains_key(name) {
            return Err(Error::Refused(format!(
                "no saved column mapping named `{name}`; save one first with `partner-ledger mapping add {name} FILE.toml`"
            )));
        }
    }
    Ok(ParseOptions {
        format,
        metadata_key: settings::get(conn, "instance_metadata_key")?.unwrap_or_else(|| "wix_instance_id".into()),
        date_order: opts.date_order,
        mappings,
    })
}

/// Imports a file. A file whose slash dates cannot decide their day/month order uses the
/// `date_order` setting when the operator saved one (a file's own evidence always wins).
pub(crate) fn import_file(conn: &mut Connection, path: &Path, opts: &ImportOptions) -> Result<ImportReport> {
    match import_once(conn, path, opts) {
        Err(Error::Import(e @ pl_import::ImportError::UndecidableDateOrder { .. })) if opts.date_order.is_none() => {
            match settings::get(conn, "date_order")?.as_deref().and_then(pl_import::DateOrder::parse) {
                Some(order) => import_once(conn, path, &ImportOptions { date_order: Some(order), ..opts.clone() }),
                None => Err(Error::Refused(format!(
                    "{}: {e}; or save a default for such files: `partner-ledger settings set date_order month-first` (US) or `day-first`",
                    path.display()
                ))),
            }
        }
        other => other,
    }
}

fn import_once(conn: &mut Connection, path: &Path, opts: &ImportOptions) -> Result<ImportReport> {
    let cache: i64 = conn.pragma_query_value(None, "cache_size", |r| r.get(0))?;
    let bigger = cache > -IMPORT_CACHE_KIB && cache < IMPORT_CACHE_KIB * 1024 / 4096;
    if bigger {
        conn.pragma_update(None, "cache_size", -IMPORT_CACHE_KIB)?;
    }
    let result = import_cached(conn, path, opts);
    if bigger {
        conn.pragma_update(None, "cache_size", cache)?;
    }
    result
}

fn import_cached(conn: &mut Connection, path: &Path, opts: &ImportOptions) -> Result<ImportReport> {
    let parse_opts = parse_options(conn, opts)?;
    // A file seen before is hashed first: when it is the same file again, nothing is parsed.
    let known_sha = if may_be_reimport(conn)? {
        let (sha, slash) = sha256_file(path).map_err(|source| Error::Io { path: path.to_path_buf(), source })?;
        if !slash {
            if let Some((format, rows)) = same_file_batch(conn, &sha, opts)? {
                return Ok(ImportReport {
                    file: path.display().to_string(),
                    format,
                    batch_id: None,
                    dry_run: opts.dry_run,
                    rows_read: rows,
                    imported: 0,
                    duplicates: rows,
                    skipped: 0,
                    rejected: Vec::new(),
                });
            }
        }
        Some(sha)
    } else {
        None
    };
    let file_name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tx = conn.transaction()?;
    let now = now_rfc3339();
    tx.execute(
        "INSERT INTO batches (file_name, sha256, format, imported_at, imported_by, rows_read, imported, duplicates, skipped) \
         VALUES (?1, '', '', ?2, ?3, 0, 0, 0, 0)",
        params![file_name, now, opts.by],
    )?;
    let batch_id = tx.last_insert_rowid();

    let mut report = ImportReport {
        file: path.display().to_string(),
        format: String::new(),
        batch_id: None,
        dry_run: opts.dry_run,
        rows_read: 0,
        imported: 0,
        duplicates: 0,
        skipped: 0,
        rejected: Vec::new(),
    };
    // Hash the file on the second core while this one parses and inserts.
    let any_rejected = std::cell::Cell::new(false);
    let mut rejected = Vec::new();
    let (mut imported, mut skipped, mut duplicates) = (0u32, 0u32, 0u32);
    let (sha, parsed, db_error) = std::thread::scope(|s| {
        let hasher = s.spawn(|| match &known_sha {
            Some(sha) => Ok(sha.clone()),
            None => sha256_file(path).map(|(sha, _)| sha),
        });
        let mut db_error: Option<rusqlite::Error> = None;
        let mut insert = tx.prepare_cached(INSERT_TXN).expect("the insert statement is valid SQL");
        let parsed = pl_import::parse_path(
            path,
            &parse_opts,
            |row: Row| {
                if db_error.is_some() || any_rejected.get() {
                    return; // the file will be refused: only keep collecting its bad rows
                }
                match insert_row(&mut insert, batch_id, &row) {
                    Ok(true) if row.kind == RowKind::Skipped => skipped += 1,
                    Ok(true) => imported += 1,
                    Ok(false) => duplicates += 1,
                    Err(e) => db_error = Some(e),
                }
            },
            |err| {
                any_rejected.set(true);
                rejected.push(RejectedRow { line: err.line, column: err.column, reason: err.reason });
            },
        );
        let sha = hasher.join().expect("the hashing thread does not panic");
        (sha, parsed, db_error)
    });
    report.rejected = rejected;
    (report.imported, report.skipped, report.duplicates) = (imported, skipped, duplicates);
    let parsed = parsed?;
    if let Some(e) = db_error {
        return Err(e.into());
    }
    let sha = sha.map_err(|source| Error::Io { path: path.to_path_buf(), source })?;
    report.format = parsed.format.id();
    report.rows_read = parsed.rows_read;

    if !report.rejected.is_empty() {
        // Nothing of a refused file stays: the transaction is dropped, so rolled back.
        report.imported = 0;
        report.skipped = 0;
        report.duplicates = 0;
        return Ok(report);
    }
    if opts.dry_run || report.imported + report.skipped == 0 {
        // A dry run shows what would happen; a file with nothing new leaves no empty batch.
        return Ok(report);
    }
    tx.execute(
        "UPDATE batches SET sha256 = ?2, format = ?3, rows_read = ?4, imported = ?5, duplicates = ?6, skipped = ?7 WHERE id = ?1",
        params![batch_id, sha, report.format, report.rows_read, report.imported, report.duplicates, report.skipped],
    )?;
    resolve::resolve_pending(&tx)?;
    report.batch_id = Some(batch_id);
    let summary = batch(&tx, batch_id)?;
    audit::record(&tx, &opts.by, "batch.import", &format!("batch:{batch_id}"), None::<&()>, Some(&summary))?;
    tx.commit()?;
    Ok(report)
}

/// Inserts one row; false when its key is already live (a duplicate).
fn insert_row(stmt: &mut rusqlite::CachedStatement<'_>, batch_id: i64, row: &Row) -> rusqlite::Result<bool> {
    let instance = row.instance_meta.as_deref().and_then(pl_import::normalise_guid);
    let resolved_by = instance.as_ref().map(|_| "metadata");
    let n = stmt.execute(params![
        batch_id,
        row.line,
        row.dedup_key,
        row.source_id,
        row.kind.as_str(),
        row.skip_reason,
        row.occurred_at.to_rfc3339_opts(SecondsFormat::Secs, true),
        row.currency,
        row.gross.to_string(),
        row.fee.to_string(),
        row.net.to_string(),
        row.tax.to_string(),
        row.instance_meta,
        row.customer_key,
        row.charge_ref,
        row.original_ref,
        row.payout_ref,
        row.conversion_ref,
        row.description,
        instance,
        resolved_by,
        row.raw,
    ])?;
    Ok(n == 1)
}

pub(crate) fn batch(conn: &Connection, id: i64) -> Result<BatchSummary> {
    conn.query_row(&format!("{BATCH_SELECT} WHERE id = ?1"), [id], batch_from_row)
        .optional()?
        .ok_or_else(|| Error::NotFound(format!("batch {id}; `partner-ledger batches list` shows the batches")))
}

const BATCH_SELECT: &str = "SELECT id, file_name, sha256, format, imported_at, imported_by, rows_read, imported, \
     duplicates, skipped, undone_at FROM batches";

fn batch_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<BatchSummary> {
    Ok(BatchSummary {
        id: r.get(0)?,
        file_name: r.get(1)?,
        sha256: r.get(2)?,
        format: r.get(3)?,
        imported_at: r.get(4)?,
        imported_by: r.get(5)?,
        rows_read: r.get(6)?,
        imported: r.get(7)?,
        duplicates: r.get(8)?,
        skipped: r.get(9)?,
        undone_at: r.get(10)?,
    })
}

pub(crate) fn list_batches(conn: &Connection) -> Result<Vec<BatchSummary>> {
    let mut stmt = conn.prepare(&format!("{BATCH_SELECT} ORDER BY id DESC"))?;
    let rows = stmt.query_map([], batch_from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub(crate) fn undo_batch(conn: &mut Connection, id: i64, by: &str) -> Result<BatchSummary> {
    let tx = conn.transaction()?;
    let before = batch(&tx, id)?;
    if let Some(at) = &before.undone_at {
        return Err(Error::Refused(format!("batch {id} was already undone at {at}")));
    }
    crate::months::ensure_batch_undoable(&tx, id)?;
    // Rows elsewhere that took their instance from a charge of this batch lose it, then are
    // resolved again from what remains.
    tx.execute(
        "UPDATE txns SET instance_id = NULL, resolved_by = NULL WHERE undone = 0 AND resolved_by = 'charge' \
         AND original_ref IN (SELECT charge_ref FROM txns WHERE batch_id = ?1 AND charge_ref IS NOT NULL)",
        [id],
    )?;
    tx.execute("UPDATE txns SET undone = 1 WHERE batch_id = ?1", [id])?;
    tx.execute("UPDATE batches SET undone_at = ?2, undone_by = ?3 WHERE id = ?1", params![id, now_rfc3339(), by])?;
    resolve::resolve_pending(&tx)?;
    let after = batch(&tx, id)?;
    audit::record(&tx, by, "batch.undo", &format!("batch:{id}"), Some(&before), Some(&after))?;
    tx.commit()?;
    Ok(after)
}
