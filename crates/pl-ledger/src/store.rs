//! The SQLite store.
use std::path::{Path, PathBuf};

use crate::{BatchSummary, ImportReport, Result};

/// Options of one import.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// `None`: detect from the header.
    pub format: Option<String>,
    pub dry_run: bool,
    /// Who imports (audit).
    pub by: String,
}

pub struct Ledger {
    conn: rusqlite::Connection,
    path: PathBuf,
}

impl Ledger {
    /// The data file the CLI and the desktop app share when neither `--db` nor
    /// `PARTNER_LEDGER_DB` says otherwise.
    pub fn default_db_path() -> PathBuf {
        todo!()
    }
    pub fn open(path: &Path) -> Result<Ledger> {
        todo!("{path:?}")
    }
    pub fn import_file(&mut self, path: &Path, opts: &ImportOptions) -> Result<ImportReport> {
        todo!("{path:?} {opts:?}")
    }
    pub fn list_batches(&self) -> Result<Vec<BatchSummary>> {
        todo!()
    }
    pub fn undo_batch(&mut self, id: i64, by: &str) -> Result<()> {
        todo!("{id} {by}")
    }
}
