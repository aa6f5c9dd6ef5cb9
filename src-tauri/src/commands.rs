//! The IPC commands. Each runs the (blocking, SQLite) engine call off the main thread so the
//! window keeps painting its busy state, and returns the engine's message as the error.
use std::sync::Arc;

use pl_ledger::{BatchSummary, ImportReport};
use tauri::State;

use crate::Session;

type Shared<'a> = State<'a, Arc<Session>>;

async fn blocking<T: Send + 'static>(
    session: &Arc<Session>,
    f: impl FnOnce(&Session) -> Result<T, String> + Send + 'static,
) -> Result<T, String> {
    let s = Arc::clone(session);
    tauri::async_runtime::spawn_blocking(move || f(&s))
        .await
        .map_err(|e| format!("the ledger task failed: {e}"))?
}

/// The data file in use, so the operator can see which ledger the window shows.
#[tauri::command]
pub fn ledger_info(session: Shared<'_>) -> String {
    session.db_path().display().to_string()
}

#[tauri::command]
pub async fn list_batches(session: Shared<'_>) -> Result<Vec<BatchSummary>, String> {
    blocking(&session, |s| s.list_batches()).await
}

#[tauri::command(rename_all = "camelCase")]
pub async fn import_file(
    session: Shared<'_>,
    path: String,
    format: Option<String>,
    date_order: Option<String>,
    dry_run: bool,
) -> Result<ImportReport, String> {
    blocking(&session, move |s| s.import_file(&path, format, date_order, dry_run)).await
}

#[tauri::command]
pub async fn undo_batch(session: Shared<'_>, id: i64) -> Result<BatchSummary, String> {
    blocking(&session, move |s| s.undo_batch(id)).await
}
