//! Plain data the engine hands to the CLI and the desktop shell. Every type here derives
//! `ts_rs::TS`: the desktop's TypeScript bindings are generated from these definitions.
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// What `Ledger::import_file` reports for one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ImportReport {
    pub file: String,
    /// The format id: `stripe-itemized`, `stripe-balance`, `paypal-activity` or `mapped:<name>`.
    pub format: String,
    /// The new batch, or none when nothing was imported (a dry run, a rejected file, or a file
    /// whose every row was already in the ledger).
    #[ts(type = "number | null")]
    pub batch_id: Option<i64>,
    pub dry_run: bool,
    pub rows_read: u32,
    pub imported: u32,
    pub duplicates: u32,
    pub skipped: u32,
    /// Rows that made the whole file refused; when not empty, nothing was imported.
    pub rejected: Vec<RejectedRow>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct RejectedRow {
    /// 1-based line in the file (the header is line 1).
    pub line: u32,
    /// The column (by its header name) at fault, when one is.
    pub column: Option<String>,
    pub reason: String,
}

/// One import batch, as `batches list` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct BatchSummary {
    #[ts(type = "number")]
    pub id: i64,
    pub file_name: String,
    pub sha256: String,
    pub format: String,
    /// RFC 3339, UTC.
    pub imported_at: String,
    pub imported_by: String,
    pub rows_read: u32,
    pub imported: u32,
    pub duplicates: u32,
    pub skipped: u32,
    /// RFC 3339, UTC, when the batch was undone.
    pub undone_at: Option<String>,
}
