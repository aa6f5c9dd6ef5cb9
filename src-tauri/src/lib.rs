//! The desktop shell: a thin Tauri layer over the `pl-ledger` engine. Every command opens
//! nothing itself beyond the one shared [`Ledger`], calls one engine method, and maps the
//! engine's error to its operator-readable message. No business rule lives here.
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use pl_ledger::{BatchSummary, DateOrder, ImportOptions, ImportReport, Ledger};

pub mod commands;

/// The data file: `PARTNER_LEDGER_DB` when set (and not empty), else the engine's default —
/// the same rule as the CLI's `--db` default (the engine owns it).
pub fn resolve_db_path() -> PathBuf {
    Ledger::db_path_from_env()
}

/// Who does things from this desktop session, for the engine's audit log.
pub fn operator_name() -> String {
    ["USER", "USERNAME", "LOGNAME"]
        .iter()
        .filter_map(|k| std::env::var(k).ok())
        .find(|v| !v.trim().is_empty())
        .unwrap_or_else(|| "desktop".to_owned())
}

/// The ledger shared by all commands. The engine's connection is not `Sync`, so it sits in a
/// mutex; it is opened on first use so that an unreadable data file is reported in the window
/// (as a command error) instead of preventing the app from starting.
pub struct Session {
    db_path: PathBuf,
    operator: String,
    ledger: Mutex<Option<Ledger>>,
}

impl Session {
    pub fn new(db_path: PathBuf, operator: String) -> Session {
        Session { db_path, operator, ledger: Mutex::new(None) }
    }

    pub fn db_path(&self) -> &Path {
        &self.db_path
    }

    fn with_ledger<T>(&self, f: impl FnOnce(&mut Ledger) -> pl_ledger::Result<T>) -> Result<T, String> {
        // A panic in an earlier command poisons the lock; the connection itself is still valid
        // (every engine write is one transaction), so carry on with it.
        let mut guard = self.ledger.lock().unwrap_or_else(|e| e.into_inner());
        if guard.is_none() {
            *guard = Some(Ledger::open(&self.db_path).map_err(|e| e.to_string())?);
        }
        let ledger = guard.as_mut().expect("opened above");
        f(ledger).map_err(|e| e.to_string())
    }

    pub fn list_batches(&self) -> Result<Vec<BatchSummary>, String> {
        self.with_ledger(|l| l.list_batches())
    }

    /// `format`: a format id, or none to detect it from the header. `date_order`:
    /// `month-first` or `day-first`, for a file whose slash dates cannot decide it.
    pub fn import_file(
        &self,
        path: &str,
        format: Option<String>,
        date_order: Option<String>,
        dry_run: bool,
    ) -> Result<ImportReport, String> {
        let path = path.trim();
        if path.is_empty() {
            return Err("choose a file to import".to_owned());
        }
        let format = format.map(|f| f.trim().to_owned()).filter(|f| !f.is_empty());
        let date_order = match date_order.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
            None => None,
            Some(d) => Some(
                DateOrder::parse(d)
                    .ok_or_else(|| format!("unknown date order `{d}`: use month-first or day-first"))?,
            ),
        };
        let opts = ImportOptions { format, dry_run, by: self.operator.clone(), date_order };
        self.with_ledger(|l| l.import_file(Path::new(path), &opts))
    }

    /// Undoes a batch; returns it as it is now (with `undone_at`).
    pub fn undo_batch(&self, id: i64) -> Result<BatchSummary, String> {
        self.with_ledger(|l| l.undo_batch(id, &self.operator))
    }
}

/// Builds and runs the app.
pub fn run() {
    let session = Arc::new(Session::new(resolve_db_path(), operator_name()));
    tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .manage(session)
        .invoke_handler(tauri::generate_handler![
            commands::ledger_info,
            commands::list_batches,
            commands::import_file,
            commands::undo_batch,
        ])
        .run(tauri::generate_context!())
        .expect("error while running the Partner Ledger window");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session() -> (tempfile::TempDir, Session) {
        let dir = tempfile::tempdir().unwrap();
        let s = Session::new(dir.path().join("ledger.sqlite"), "tester".into());
        (dir, s)
    }

    fn fixture(name: &str) -> String {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../tests/e2e/fixtures")
            .join(name)
            .display()
            .to_string()
    }

    #[test]
    fn operator_is_never_empty() {
        assert!(!operator_name().trim().is_empty());
    }

    #[test]
    fn empty_path_is_refused_before_the_engine() {
        let s = Session::new(PathBuf::from("/nonexistent/never-opened.sqlite"), "t".into());
        assert_eq!(s.import_file("  ", None, None, false).unwrap_err(), "choose a file to import");
    }

    #[test]
    fn bad_date_order_is_refused_with_the_choices() {
        let (_d, s) = session();
        let e = s.import_file(&fixture("stripe_itemized_small.csv"), None, Some("sideways".into()), false).unwrap_err();
        assert!(e.contains("month-first or day-first"), "{e}");
    }

    #[test]
    fn import_list_undo_through_the_shell() {
        let (_d, s) = session();
        assert!(s.list_batches().unwrap().is_empty());

        let dry = s.import_file(&fixture("stripe_itemized_small.csv"), None, None, true).unwrap();
        assert!(dry.dry_run && dry.batch_id.is_none(), "{dry:?}");
        assert!(s.list_batches().unwrap().is_empty());

        let r = s.import_file(&fixture("stripe_itemized_small.csv"), Some(" stripe-itemized ".into()), None, false).unwrap();
        assert_eq!((r.format.as_str(), r.rows_read, r.imported, r.duplicates, r.skipped), ("stripe-itemized", 3, 3, 0, 0));
        let id = r.batch_id.expect("a batch");
        let batches = s.list_batches().unwrap();
        assert_eq!(batches.len(), 1);
        assert_eq!((batches[0].id, batches[0].imported_by.as_str()), (id, "tester"));

        let undone = s.undo_batch(id).unwrap();
        assert_eq!(undone.id, id);
        assert!(undone.undone_at.is_some());
    }

    #[test]
    fn a_refused_file_reports_its_bad_line() {
        let (_d, s) = session();
        let r = s.import_file(&fixture("stripe_itemized_bad_amount.csv"), None, None, false).unwrap();
        assert!(r.batch_id.is_none());
        assert_eq!(r.rejected.iter().map(|x| x.line).collect::<Vec<_>>(), vec![3], "{r:?}");
        assert!(s.list_batches().unwrap().is_empty());
    }

    #[test]
    fn engine_errors_come_back_as_their_message() {
        let (_d, s) = session();
        // The engine's own operator message, not a panic or a debug dump.
        let e = s.import_file("/nonexistent/export.csv", None, None, false).unwrap_err();
        assert!(e.contains("No such file") || e.contains("cannot read"), "{e}");
        let e = s.undo_batch(999).unwrap_err();
        assert!(!e.is_empty() && !e.contains("panicked") && !e.contains("Error {"), "{e}");
    }
}
