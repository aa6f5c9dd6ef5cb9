use std::path::PathBuf;

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Every error the engine reports. Messages are written for the operator: they say what went
/// wrong and, where it helps, what to do next.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot open the ledger at {path}: {source}")]
    Open { path: PathBuf, source: rusqlite::Error },
    #[error("the ledger at {path} was written by a newer Partner Ledger (schema {found}, this build knows {known}); upgrade the app")]
    SchemaTooNew { path: PathBuf, found: i64, known: i64 },
    #[error("cannot read {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{0}")]
    Refused(String),
    #[error("not found: {0}")]
    NotFound(String),
    #[error("database error: {0}")]
    Db(#[from] rusqlite::Error),
    #[error("database value error: {0}")]
    DbValue(#[from] rusqlite::types::FromSqlError),
    #[error("{month} cannot be approved: {} exception(s) to fix first:{}", exceptions.len(), list_exceptions(exceptions))]
    ApprovalRefused { month: String, exceptions: Vec<crate::Exception> },
    #[error(transparent)]
    Import(#[from] pl_import::ImportError),
}

fn list_exceptions(ex: &[crate::Exception]) -> String {
    ex.iter().map(|e| format!("\n  {} {} {} ({}): {}", e.kind, e.source_id, e.created_date, e.file, e.detail)).collect()
}
