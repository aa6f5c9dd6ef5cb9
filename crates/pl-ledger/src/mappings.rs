//! Named column mappings (`mapped:<name>` imports, SPEC §2): saving one (checked first),
//! removing one, and previewing what a mapping reads from a sample file before it is saved.
use std::collections::HashMap;
use std::path::Path;

use pl_import::{Format, Mapping, ParseOptions};
use rusqlite::Connection;

use crate::{settings, store, Error, KindCount, MappingPreview, PreviewRow, RejectedRow, Result};

/// The good rows a preview shows.
pub const PREVIEW_ROWS: usize = 20;
/// The bad rows a preview shows (all of them are counted).
pub const PREVIEW_ERRORS: usize = 50;
/// The longest mapping a window reads from a file: a mapping is a few dozen lines.
pub const MAX_MAPPING_BYTES: u64 = 64 * 1024;

/// A mapping's name as stored: letters, digits, `-` and `_`.
pub(crate) fn checked_name(name: &str) -> Result<&str> {
    let name = name.trim();
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        return Err(Error::Refused(format!("`{}` is not a mapping name (letters, digits, - and _)", pl_import::clip(name))));
    }
    Ok(name)
}

/// The text of a mapping file the operator chose (a regular UTF-8 file of at most
/// [`MAX_MAPPING_BYTES`]).
pub fn read_file(path: &Path) -> Result<String> {
    let io = |source| Error::Io { path: path.to_path_buf(), source };
    let meta = std::fs::metadata(path).map_err(io)?;
    if !meta.is_file() {
        return Err(Error::Refused(format!("{} is not a regular file: choose a mapping file (.toml)", path.display())));
    }
    if meta.len() > MAX_MAPPING_BYTES {
        return Err(Error::Refused(format!("{} is {} bytes: a mapping file is at most {MAX_MAPPING_BYTES} bytes", path.display(), meta.len())));
    }
    let bytes = std::fs::read(path).map_err(io)?;
    let text = String::from_utf8(bytes).map_err(|_| Error::Refused(format!("{} is not UTF-8 text: choose a mapping file (.toml)", path.display())))?;
    Ok(text.trim_start_matches('\u{feff}').to_string())
}

/// Saves (or replaces) mapping `name` after checking its TOML; audited.
pub(crate) fn save(conn: &mut Connection, name: &str, toml_text: &str, by: &str) -> Result<()> {
    let name = checked_name(name)?;
    Mapping::from_toml_str(name, toml_text)?;
    let tx = conn.transaction()?;
    let before = store::mappings::toml(&tx, name)?;
    store::mappings::save(&tx, name, toml_text, by)?;
    store::audit::record(&tx, by, "column_mapping.save", &format!("mapping:{name}"), before.as_ref(), Some(&toml_text))?;
    tx.commit()?;
    Ok(())
}

/// The saved TOML of mapping `name`.
pub(crate) fn toml(conn: &Connection, name: &str) -> Result<String> {
    let name = checked_name(name)?;
    store::mappings::toml(conn, name)?.ok_or_else(|| Error::NotFound(format!("a column mapping named `{name}`")))
}

/// Removes mapping `name`; audited. The rows imported through it stay (and can be undone with
/// their batch); a later import in that layout needs a mapping again. Rules classifying its
/// types stay too and apply again if a mapping of that name is saved.
pub(crate) fn remove(conn: &mut Connection, name: &str, by: &str) -> Result<()> {
    let name = checked_name(name)?;
    let tx = conn.transaction()?;
    let before = store::mappings::toml(&tx, name)?.ok_or_else(|| Error::NotFound(format!("a column mapping named `{name}`")))?;
    store::mappings::delete(&tx, name)?;
    store::audit::record(&tx, by, "column_mapping.remove", &format!("mapping:{name}"), Some(&before), None::<&()>)?;
    tx.commit()?;
    Ok(())
}

/// Reads `file` with mapping `name` as `toml_text` defines it (saved or not), changing nothing:
/// counts for the whole file, its first rows as the ledger would hold them and its first bad
/// rows (a mapping states its date format, so no date order is decided here). A problem with
/// the mapping or the whole file is an error.
pub(crate) fn preview(conn: &Connection, name: &str, toml_text: &str, file: &Path) -> Result<MappingPreview> {
    let name = checked_name(name)?;
    let mapping = Mapping::from_toml_str(name, toml_text)?;
    let opts = ParseOptions {
        format: Some(Format::Mapped(name.to_string())),
        metadata_key: settings::get(conn, "instance_metadata_key")?.unwrap_or_else(|| "wix_instance_id".into()),
        date_order: None,
        mappings: HashMap::from([(name.to_string(), mapping)]),
    };
    let named = |e: pl_import::ImportError| Error::Refused(format!("{}: {e}", file.display()));
    pl_import::check_file(file).map_err(named)?;
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    let mut kinds: HashMap<&'static str, u32> = HashMap::new();
    let parsed = pl_import::parse_path(
        file,
        &opts,
        |row| {
            let n = kinds.entry(row.kind.as_str()).or_default();
            *n = n.saturating_add(1);
            if rows.len() < PREVIEW_ROWS {
                rows.push(preview_row(row));
            }
        },
        |e| {
            if errors.len() < PREVIEW_ERRORS {
                errors.push(RejectedRow { line: e.line, column: e.column, reason: e.reason });
            }
        },
    )
    .map_err(named)?;
    let mut kinds: Vec<KindCount> = kinds.into_iter().map(|(kind, rows)| KindCount { kind: kind.to_string(), rows }).collect();
    kinds.sort_by(|a, b| b.rows.cmp(&a.rows).then_with(|| a.kind.cmp(&b.kind)));
    Ok(MappingPreview {
        file: file.display().to_string(),
        format: parsed.format.id(),
        rows_read: parsed.rows_read,
        rows_ok: parsed.rows_ok,
        rows_failed: parsed.rows_failed,
        kinds,
        number_style: match parsed.number_style {
            pl_import::NumberStyle::Point => "point".into(),
            pl_import::NumberStyle::Comma => "comma".into(),
        },
        rows,
        errors,
    })
}

/// A good row as the preview shows it: texts from the file clipped (at most 80 characters,
/// control characters escaped), amounts as parsed.
fn preview_row(r: pl_import::Row) -> PreviewRow {
    let clip = |s: Option<String>| s.map(|s| pl_import::clip(&s));
    PreviewRow {
        line: r.line,
        kind: r.kind.as_str().to_string(),
        source_id: pl_import::clip(&r.source_id),
        occurred_at: r.occurred_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        currency: r.currency,
        gross: r.gross.to_string(),
        fee: r.fee.to_string(),
        net: r.net.to_string(),
        tax: r.tax.to_string(),
        instance: clip(r.instance_meta),
        customer: clip(r.customer_key),
        type_name: clip(r.type_name),
        original_ref: clip(r.original_ref),
        description: clip(r.description),
        skip_reason: clip(r.skip_reason),
    }
}
