use std::path::PathBuf;

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Every error the engine reports. Messages are written for the operator: they say what went
/// wrong and, where it helps, what to do next.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot open the ledger at {path}: {}", db_message(source))]
    Open { path: PathBuf, source: rusqlite::Error },
    #[error("the ledger at {path} was written by a newer Partner Ledger (schema {found}, this build knows {known}); upgrade the app")]
    SchemaTooNew { path: PathBuf, found: i64, known: i64 },
    #[error("cannot read {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{0}")]
    Refused(String),
    #[error("not found: {0}")]
    NotFound(String),
    /// A busy ledger (another process's write outlasted the busy timeout) says so in words.
    #[error("{}", db_message(.0))]
    Db(#[from] rusqlite::Error),
    #[error("database value error: {0}")]
    DbValue(#[from] rusqlite::types::FromSqlError),
    #[error("{month} cannot be approved: {} exception(s) to fix first:{}", exceptions.len(), list_exceptions(exceptions))]
    ApprovalRefused { month: String, exceptions: Vec<crate::Exception> },
    #[error(transparent)]
    Import(#[from] pl_import::ImportError),
}

/// What the operator reads when a write waited the whole busy timeout.
pub const BUSY_MESSAGE: &str = "the ledger is busy: another Partner Ledger process is writing to it (an import or a \
     submission?); try again when it finishes";

impl Error {
    /// True when the ledger was busy (locked by another process's write) past the busy timeout.
    pub fn is_busy(&self) -> bool {
        match self {
            Error::Db(e) | Error::Open { source: e, .. } => is_busy(e),
            _ => false,
        }
    }
}

fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(e.sqlite_error_code(), Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked))
}

fn db_message(e: &rusqlite::Error) -> String {
    if is_busy(e) {
        BUSY_MESSAGE.to_string()
    } else {
        format!("database error: {e}")
    }
}

fn list_exceptions(ex: &[crate::Exception]) -> String {
    ex.iter().map(|e| format!("\n  {} {} {} ({}): {}", e.kind, e.source_id, e.created_date, e.file, e.detail)).collect()
}
