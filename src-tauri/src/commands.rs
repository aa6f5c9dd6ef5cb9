//! The IPC commands. Each runs the (blocking, SQLite) engine call off the main thread so the
//! window keeps painting its busy state, and returns the engine's message as the error.
use std::sync::Arc;

use pl_ledger::outbox::AttemptInfo;
use pl_ledger::{
    ExportKind, FieldProblem, ImportFileRequest, ImportPreview, ImportProgress, ManualRefundInfo, MonthPoint, RefundOutcome,
};
use pl_ledger::{
    ApprovalOutcome, BatchSummary, ClassifyOutcome, EventPage, EventQuery, ImportReport, InstancePage, InstanceQuery, MonthInfo, MonthSummary,
    OutboxEntry, OutboxPage, OutboxQuery, StateCounts, SubmitProgress, SubmitReport,
};
use tauri::ipc::Channel;
use tauri::State;

use crate::month::{ImportControl, RefundForm};
use crate::Session;

type Shared<'a> = State<'a, Arc<Session>>;

pub(crate) async fn blocking<T: Send + 'static>(
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

#[tauri::command]
pub async fn list_months(session: Shared<'_>) -> Result<Vec<MonthInfo>, String> {
    blocking(&session, |s| s.list_months()).await
}

/// A month at once: totals, counts, exceptions, payouts (never its lines: those come by page).
#[tauri::command]
pub async fn month_summary(session: Shared<'_>, month: String) -> Result<MonthSummary, String> {
    blocking(&session, move |s| s.month_summary(&month)).await
}

#[tauri::command]
pub async fn instance_page(session: Shared<'_>, query: InstanceQuery) -> Result<InstancePage, String> {
    blocking(&session, move |s| s.instance_page(&query)).await
}

#[tauri::command]
pub async fn event_page(session: Shared<'_>, query: EventQuery) -> Result<EventPage, String> {
    blocking(&session, move |s| s.event_page(&query)).await
}

/// Approved (with the frozen report) or refused (with the exceptions to fix).
#[tauri::command]
pub async fn approve_month(session: Shared<'_>, month: String) -> Result<ApprovalOutcome, String> {
    blocking(&session, move |s| s.approve_month(&month)).await
}

#[tauri::command]
pub async fn reopen_month(session: Shared<'_>, month: String, reason: String) -> Result<(), String> {
    blocking(&session, move |s| s.reopen_month(&month, &reason)).await
}

#[tauri::command(rename_all = "camelCase")]
pub async fn assign_instance(
    session: Shared<'_>,
    txn_id: i64,
    instance: String,
    save_mapping: bool,
) -> Result<(), String> {
    blocking(&session, move |s| s.assign_instance(txn_id, &instance, save_mapping)).await
}

/// Classifies the type of an `unclassified_type` exception's row for its source: `action` is
/// `charge`, `refund` or `ignore`.
#[tauri::command(rename_all = "camelCase")]
pub async fn classify_exception(session: Shared<'_>, txn_id: i64, action: String) -> Result<ClassifyOutcome, String> {
    blocking(&session, move |s| s.classify_exception(txn_id, &action)).await
}

#[tauri::command]
pub async fn outbox_page(session: Shared<'_>, query: OutboxQuery) -> Result<OutboxPage, String> {
    blocking(&session, move |s| s.outbox_page(&query)).await
}

#[tauri::command]
pub async fn outbox_counts(session: Shared<'_>, month: String) -> Result<StateCounts, String> {
    blocking(&session, move |s| s.outbox_counts(&month)).await
}

#[tauri::command(rename_all = "camelCase")]
pub async fn outbox_attempts(session: Shared<'_>, event_id: String) -> Result<Vec<AttemptInfo>, String> {
    blocking(&session, move |s| s.outbox_attempts(&event_id)).await
}

#[tauri::command]
pub async fn recover_outbox(session: Shared<'_>) -> Result<u32, String> {
    blocking(&session, |s| s.recover_outbox()).await
}

#[tauri::command(rename_all = "camelCase")]
pub async fn resolve_event(
    session: Shared<'_>,
    event_id: String,
    resolution: String,
    reason: String,
) -> Result<OutboxEntry, String> {
    blocking(&session, move |s| s.resolve_event(&event_id, &resolution, &reason)).await
}

/// Submits a month to Wix; progress goes to `on_progress` as the run advances. A run stopped
/// by Wix (401/403/428) is a report with `stopped` set, not an error.
#[tauri::command(rename_all = "camelCase")]
pub async fn submit_month(
    session: Shared<'_>,
    month: String,
    on_progress: Channel<SubmitProgress>,
) -> Result<SubmitReport, String> {
    let s = Arc::clone(&session);
    s.submit_month(&month, move |p| {
        // The window may have gone away; the run carries on regardless.
        let _ = on_progress.send(p.clone());
    })
    .await
}

// ---- the month's workflow (month.rs) -------------------------------------------------------------

/// What importing the files would do, file by file; nothing is written. Progress goes to
/// `on_progress`; `cancel_import` stops it.
#[tauri::command(rename_all = "camelCase")]
pub async fn preview_imports(
    session: Shared<'_>,
    control: State<'_, Arc<ImportControl>>,
    files: Vec<ImportFileRequest>,
    on_progress: Channel<ImportProgress>,
) -> Result<ImportPreview, String> {
    let control = Arc::clone(&control);
    blocking(&session, move |s| s.preview_imports(&files, &control, |p| {
        let _ = on_progress.send(p.clone());
    }))
    .await
}

/// Imports exactly what the preview showed, or nothing (the error says what changed since).
#[tauri::command(rename_all = "camelCase")]
pub async fn commit_imports(
    session: Shared<'_>,
    control: State<'_, Arc<ImportControl>>,
    preview: ImportPreview,
    on_progress: Channel<ImportProgress>,
) -> Result<Vec<ImportReport>, String> {
    let control = Arc::clone(&control);
    blocking(&session, move |s| s.commit_imports(&preview, &control, |p| {
        let _ = on_progress.send(p.clone());
    }))
    .await
}

/// Stops the running preview or import at its next block of rows (nothing is written).
#[tauri::command]
pub fn cancel_import(control: State<'_, Arc<ImportControl>>) {
    control.cancel();
}

#[allow(clippy::too_many_arguments)]
fn refund_form(instance: String, date: String, amount: String, fee_returned: Option<String>, charge: Option<String>, reason: String) -> RefundForm {
    RefundForm { instance, date, amount, fee_returned, charge, reason }
}

/// The engine's problems with a manual refund, field by field; nothing is written.
#[tauri::command(rename_all = "camelCase")]
pub async fn check_manual_refund(
    session: Shared<'_>,
    instance: String,
    date: String,
    amount: String,
    fee_returned: Option<String>,
    charge: Option<String>,
    reason: String,
) -> Result<Vec<FieldProblem>, String> {
    let form = refund_form(instance, date, amount, fee_returned, charge, reason);
    blocking(&session, move |s| s.check_manual_refund(&form)).await
}

/// Adds a manual refund, or returns its problems field by field.
#[tauri::command(rename_all = "camelCase")]
pub async fn add_manual_refund(
    session: Shared<'_>,
    instance: String,
    date: String,
    amount: String,
    fee_returned: Option<String>,
    charge: Option<String>,
    reason: String,
) -> Result<RefundOutcome, String> {
    let form = refund_form(instance, date, amount, fee_returned, charge, reason);
    blocking(&session, move |s| s.add_manual_refund(&form)).await
}

/// A manual refund (`mr-<n>`) as it was entered, for the confirmation of its deletion.
#[tauri::command]
pub async fn manual_refund(session: Shared<'_>, id: String) -> Result<ManualRefundInfo, String> {
    blocking(&session, move |s| s.manual_refund(&id)).await
}

/// Deletes a manual refund of an open month (audited, as the operator); returns what was deleted.
#[tauri::command]
pub async fn delete_manual_refund(session: Shared<'_>, id: String) -> Result<ManualRefundInfo, String> {
    blocking(&session, move |s| s.delete_manual_refund(&id)).await
}

/// The last `count` months with their totals, oldest first (the month-by-month chart).
#[tauri::command]
pub async fn month_series(session: Shared<'_>, count: u32) -> Result<Vec<MonthPoint>, String> {
    blocking(&session, move |s| s.month_series(count)).await
}

/// Writes a CSV export of a month (`YYYY-MM`) or quarter (`YYYY-Qn`) to the path the save
/// dialog returned; returns the path written.
#[tauri::command]
pub async fn export_csv(session: Shared<'_>, period: String, kind: ExportKind, path: String, excel: bool) -> Result<String, String> {
    blocking(&session, move |s| s.export_csv(&period, kind, &path, excel)).await
}

/// The file name the save dialog proposes for an export.
#[tauri::command]
pub async fn export_file_name(session: Shared<'_>, period: String, kind: ExportKind) -> Result<String, String> {
    blocking(&session, move |s| s.export_file_name(&period, kind)).await
}

/// The reporting time zone, in which the window shows dates and times.
#[tauri::command]
pub async fn ledger_timezone(session: Shared<'_>) -> Result<String, String> {
    blocking(&session, |s| s.ledger_timezone()).await
}
