//! An import set: several files imported as one reviewable step (the window's import flow).
//!
//! The preview applies the files in order inside one transaction, each in a savepoint (so a
//! file's preview counts what the files before it add: two overlapping exports preview as they
//! will import), and rolls everything back. The commit does the same again, compares what each
//! file does with what its preview showed, and commits only when every file agrees: the
//! ledger then holds exactly what the operator reviewed, or nothing changed.
//!
//! Invariant: a preview writes nothing; a commit writes every importable file of the preview or
//! none (one transaction), each as its own batch, as `import_file` would have.
use std::path::Path;

use rusqlite::{Connection, Transaction};

use crate::import::{self, Apply, Details, Prepare};
use crate::store::txns;
use pl_import::DateOrder;

use crate::{Error, FilePreview, ImportFileRequest, ImportOptions, ImportPreview, ImportProgress, ImportReport, Result, RowCount};

/// Previews `files` in order: what each would import after the ones before it. Nothing is
/// written. `progress` is told how far each file is; false stops the preview.
pub(crate) fn preview(
    conn: &mut Connection,
    files: &[ImportFileRequest],
    by: &str,
    progress: &mut dyn FnMut(&ImportProgress) -> bool,
) -> Result<ImportPreview> {
    if files.is_empty() {
        return Err(Error::Refused("choose at least one file to import".into()));
    }
    txns::with_import_cache(conn, |conn| {
        let mut tx = conn.transaction()?;
        let mut out = Vec::with_capacity(files.len());
        for (i, request) in files.iter().enumerate() {
            let (preview, _) = one_file(&mut tx, request, by, false, &mut |rows, estimated| {
                progress(&ImportProgress { file: i as u32, files: files.len() as u32, file_name: file_name(&request.path), rows, estimated_rows: estimated, committing: false })
            })?;
            out.push(preview);
        }
        // Dropped: rolled back. A preview leaves no trace.
        drop(tx);
        Ok(ImportPreview { files: out })
    })
}

/// Imports the importable files of `preview` (the others are left out, as it showed) in one
/// transaction, each as its own batch, when each does exactly what its preview showed; else
/// nothing is written and the error says which file differs and how.
pub(crate) fn commit(
    conn: &mut Connection,
    preview: &ImportPreview,
    by: &str,
    progress: &mut dyn FnMut(&ImportProgress) -> bool,
) -> Result<Vec<ImportReport>> {
    let wanted: Vec<&FilePreview> = preview.files.iter().filter(|f| f.importable()).collect();
    if wanted.is_empty() {
        return Err(Error::Refused("nothing to import: no file of the preview can be imported".into()));
    }
    txns::with_import_cache(conn, |conn| {
        let mut tx = conn.transaction()?;
        let mut reports = Vec::with_capacity(wanted.len());
        for (i, shown) in wanted.iter().enumerate() {
            let request = &shown.request;
            let (now, report) = one_file(&mut tx, request, by, true, &mut |rows, estimated| {
                progress(&ImportProgress { file: i as u32, files: wanted.len() as u32, file_name: file_name(&request.path), rows, estimated_rows: estimated, committing: true })
            })?;
            if now != **shown {
                return Err(Error::Refused(changed(shown, &now)));
            }
            match report {
                Some(r) => reports.push(r),
                None => return Err(Error::Refused(changed(shown, &now))),
            }
        }
        tx.commit()?;
        Ok(reports)
    })
}

fn file_name(path: &str) -> String {
    Path::new(path.trim()).file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| path.trim().to_string())
}

/// Applies one file of a set in a savepoint of `tx`, kept (for the files after it) when the
/// file imports. Returns its preview and, when it imported (`keep_file`: a commit), its report
/// with its batch. A problem of the file itself is its preview's `error`; a problem of the
/// ledger (or a stop asked by `progress`) is the error of the whole set.
fn one_file(
    tx: &mut Transaction<'_>,
    request: &ImportFileRequest,
    by: &str,
    keep_file: bool,
    progress: &mut dyn FnMut(u32, u32) -> bool,
) -> Result<(FilePreview, Option<ImportReport>)> {
    let path_text = request.path.trim();
    let path = Path::new(path_text);
    let mut preview = FilePreview {
        request: request.clone(),
        file_name: file_name(path_text),
        report: None,
        sha256: None,
        skipped: Vec::new(),
        unclassified_types: Vec::new(),
        conflicts: 0,
        needs_date_order: false,
        error: None,
    };
    let format = request.format.as_deref().map(str::trim).filter(|f| !f.is_empty()).map(str::to_owned);
    let date_order = match request.date_order.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
        None => None,
        Some(d) => match DateOrder::parse(d) {
            Some(o) => Some(o),
            None => {
                preview.error = Some(format!("unknown date order `{}`: choose month first or day first", pl_import::clip(d)));
                return Ok((preview, None));
            }
        },
    };
    if path_text.is_empty() {
        preview.error = Some("no file named".into());
        return Ok((preview, None));
    }
    if let Err(e) = import::check_path(path) {
        preview.error = Some(e.to_string());
        return Ok((preview, None));
    }
    let opts = ImportOptions { format, dry_run: false, by: by.to_string(), date_order };
    let saved_order = import::saved_date_order(tx)?;
    let estimated = import::estimated_rows(path);
    let mut details = Details::default();
    let result = import::with_fallbacks(&opts, saved_order, |opts, one_pass| {
        details = Details::default();
        let ready = match import::prepare(tx, path, opts)? {
            Prepare::Same(report, sha) => {
                details.sha256 = sha;
                return Ok((report, false));
            }
            Prepare::Ready(ready) => ready,
        };
        let sp = tx.savepoint()?;
        let mut run = Apply { one_pass, keep_file, progress: &mut |rows| progress(rows, estimated), details: Some(&mut details) };
        let (report, keep) = import::apply(&sp, path, opts, &ready, &mut run)?;
        if keep {
            sp.commit()?;
        }
        Ok((report, keep))
    });
    let (report, _kept) = match result {
        Ok(r) => r,
        Err(e) => {
            match e {
                Error::Import(pl_import::ImportError::UndecidableDateOrder { column, line, example }) => {
                    preview.needs_date_order = true;
                    preview.error = Some(format!(
                        "its dates cannot tell day from month (`{}` in column `{}`, line {line}): choose the date order of this file",
                        pl_import::clip(&example),
                        pl_import::clip(&column)
                    ));
                }
                // The ledger's own problems (busy, unreadable) and a stop are the whole set's.
                e @ (Error::Db(_) | Error::DbValue(_) | Error::Open { .. } | Error::SchemaTooNew { .. }) => return Err(e),
                Error::Refused(m) if m == import::CANCELLED => return Err(Error::Refused(m)),
                e => preview.error = Some(import::named(path, e).to_string()),
            }
            return Ok((preview, None));
        }
    };
    let rows = |v: Vec<(String, u32)>| v.into_iter().map(|(what, rows)| RowCount { what, rows }).collect();
    preview.sha256 = Some(details.sha256);
    preview.skipped = rows(details.skipped);
    preview.unclassified_types = rows(details.unclassified);
    preview.conflicts = details.conflicts;
    // What the preview shows of the report: no batch, a dry run (what the commit compares).
    let shown = ImportReport { batch_id: None, dry_run: true, ..report.clone() };
    preview.report = Some(shown);
    // A commit's report: with its batch, or none when every row was in the ledger already.
    Ok((preview, keep_file.then_some(report)))
}

/// Says how a file's commit differs from its preview.
fn changed(shown: &FilePreview, now: &FilePreview) -> String {
    let name = &shown.file_name;
    let what = if shown.sha256.is_some() && now.sha256.is_some() && shown.sha256 != now.sha256 {
        format!("`{name}` changed on disk since the preview")
    } else {
        format!("`{name}` would now do otherwise: the preview showed {}; now {}", describe(shown), describe(now))
    };
    format!("nothing was imported: the ledger or a file changed since the preview ({what}). Look at the new preview and import again")
}

fn describe(p: &FilePreview) -> String {
    if let Some(e) = &p.error {
        return format!("“{e}”");
    }
    match &p.report {
        None => "nothing".into(),
        Some(r) if !r.rejected.is_empty() => format!("{} rejected rows", r.rejected.len()),
        Some(r) => format!(
            "{} new, {} already in the ledger, {} skipped, {} sent, {} unclassified",
            r.imported, r.duplicates, r.skipped, r.sent, r.unclassified
        ),
    }
}
