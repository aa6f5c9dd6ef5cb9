//! The desktop shell: a thin Tauri layer over the `pl-ledger` engine. Every command opens
//! nothing itself beyond the one shared [`Ledger`], calls one engine method, and maps the
//! engine's error to its operator-readable message. No business rule lives here.
// No unsafe code here (the engine's only unsafe code is pl-ledger/src/raw.rs).
#![deny(unsafe_code)]
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use pl_ledger::outbox::AttemptInfo;
use pl_ledger::{
    ApprovalOutcome, BatchSummary, ClassifyOutcome, DateOrder, EventPage, EventQuery, ImportOptions, ImportReport, InstancePage, InstanceQuery,
    Ledger, MonthInfo, MonthSummary, OutboxEntry, OutboxPage, OutboxQuery, Resolution, StateCounts, SubmitOptions, SubmitProgress,
    SubmitReport,
};

pub mod commands;
pub mod instance;
pub mod month;
pub mod setup;
pub mod startup;
/// The Usage view (Custom Charges, SPEC §9).
pub mod usage;

/// The data file: `PARTNER_LEDGER_DB` when set (and not empty), else the engine's default —
/// the same rule as the CLI's `--db` default (the engine owns it).
pub fn resolve_db_path() -> PathBuf {
    Ledger::db_path_from_env()
}

/// The operator's name offered until the desktop user saves one (Setup, or the first-start
/// dialog): the OS user, else `desktop`.
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
    /// Who does things from this session (the audit log's `who`): see [`Session::operator`].
    operator_name: std::sync::RwLock<String>,
    /// The desktop user's configuration folder, where the operator's name is kept; none in
    /// tests that do not need one.
    config_dir: Option<PathBuf>,
    ledger: Mutex<Option<Ledger>>,
    /// Set when another window has this ledger open (`instance`): every command answers it.
    refusal: Option<String>,
}

impl Session {
    /// A session on `db_path` whose actions are recorded as `operator`'s.
    pub fn new(db_path: PathBuf, operator: String) -> Session {
        Session { db_path, operator_name: std::sync::RwLock::new(operator), config_dir: None, ledger: Mutex::new(None), refusal: None }
    }

    /// The name in use as the operator of every audited action of this session.
    pub fn operator(&self) -> String {
        self.operator_name.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// A session that opens nothing and answers every command with `why`.
    pub fn refusing(self, why: String) -> Session {
        Session { refusal: Some(why), ..self }
    }

    fn refused(&self) -> Result<(), String> {
        self.refusal.as_ref().map_or(Ok(()), |why| Err(why.clone()))
    }

    pub fn db_path(&self) -> &Path {
        &self.db_path
    }

    fn with_ledger<T>(&self, f: impl FnOnce(&mut Ledger) -> pl_ledger::Result<T>) -> Result<T, String> {
        // A panic in an earlier command poisons the lock; the connection itself is still valid
        // (every engine write is one transaction), so carry on with it.
        self.refused()?;
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
        let opts = ImportOptions { format, dry_run, by: self.operator(), date_order };
        self.with_ledger(|l| l.import_file(Path::new(path), &opts))
    }

    /// Undoes a batch; returns it as it is now (with `undone_at`).
    pub fn undo_batch(&self, id: i64) -> Result<BatchSummary, String> {
        self.with_ledger(|l| l.undo_batch(id, &self.operator()))
    }

    // ---- the month view -------------------------------------------------------------------

    /// Months with activity or an approval, newest first, with their status.
    pub fn list_months(&self) -> Result<Vec<MonthInfo>, String> {
        self.with_ledger(|l| l.months())
    }

    /// A month's totals, counts, exceptions and payout checks (`YYYY-MM`); its lines come by
    /// page. The first call for a month scans it; later pages read what that scan kept, until
    /// the ledger changes.
    pub fn month_summary(&self, month: &str) -> Result<MonthSummary, String> {
        self.with_ledger(|l| l.month_summary(month))
    }

    pub fn instance_page(&self, query: &InstanceQuery) -> Result<InstancePage, String> {
        self.with_ledger(|l| l.instance_page(query))
    }

    pub fn event_page(&self, query: &EventQuery) -> Result<EventPage, String> {
        self.with_ledger(|l| l.event_page(query))
    }

    /// Approves a month; a refusal for exceptions comes back as data (the exceptions), not
    /// as an error.
    pub fn approve_month(&self, month: &str) -> Result<ApprovalOutcome, String> {
        self.with_ledger(|l| ApprovalOutcome::from_result(l.approve(month.trim(), &self.operator())))
    }

    pub fn reopen_month(&self, month: &str, reason: &str) -> Result<(), String> {
        self.with_ledger(|l| l.reopen(month.trim(), reason, &self.operator()))
    }

    /// Assigns an instance to an exception's row; `save_mapping` also maps its customer.
    pub fn assign_instance(&self, txn_id: i64, instance: &str, save_mapping: bool) -> Result<(), String> {
        self.with_ledger(|l| l.assign_instance(txn_id, instance.trim(), save_mapping, &self.operator()))
    }

    /// Classifies the type of an `unclassified_type` exception's row for its source (`charge`,
    /// `refund` or `ignore`): the engine saves the rule and applies it to every row of that
    /// source and type, now and in later imports.
    pub fn classify_exception(&self, txn_id: i64, action: &str) -> Result<ClassifyOutcome, String> {
        self.with_ledger(|l| l.classify_row_type(txn_id, action, &self.operator()))
    }

    // ---- the submission view --------------------------------------------------------------

    /// A page of a month's approved events as the outbox holds them.
    pub fn outbox_page(&self, query: &OutboxQuery) -> Result<OutboxPage, String> {
        self.with_ledger(|l| l.outbox_page(query))
    }

    pub fn outbox_counts(&self, month: &str) -> Result<StateCounts, String> {
        self.with_ledger(|l| l.outbox_counts(month.trim()))
    }

    pub fn outbox_attempts(&self, event_id: &str) -> Result<Vec<AttemptInfo>, String> {
        self.with_ledger(|l| l.outbox_attempts(event_id.trim()))
    }

    /// Turns `sending` events left by a crashed run into `uncertain` (nothing when a
    /// submission is running); returns how many.
    pub fn recover_outbox(&self) -> Result<u32, String> {
        self.with_ledger(|l| l.recover_outbox(&self.operator()))
    }

    /// `resolution`: `sent` (checked at Wix) or `resend`.
    pub fn resolve_event(&self, event_id: &str, resolution: &str, reason: &str) -> Result<OutboxEntry, String> {
        let how = parse_resolution(resolution)?;
        self.with_ledger(|l| l.resolve_event(event_id.trim(), how, reason, &self.operator()))
    }

    /// Submits a month's queued events to Wix on its own connection (the shared one stays free
    /// for the window; WAL lets both read and write), under the submit lock.
    pub async fn submit_month(
        &self,
        month: &str,
        on_progress: impl FnMut(&SubmitProgress) + Send,
    ) -> Result<SubmitReport, String> {
        self.refused()?;
        let month = month.trim();
        let mut ledger = Ledger::open(&self.db_path).map_err(|e| e.to_string())?;
        let lock = ledger.submit_lock().map_err(|e| e.to_string())?;
        let client = Arc::new(ledger.wix_client().map_err(|e| e.to_string())?);
        ledger
            .submit(&lock, client, month, &SubmitOptions::default(), &self.operator(), on_progress)
            .await
            .map_err(|e| e.to_string())
    }
}

/// The operator's choice for an uncertain event, as the window sends it.
pub fn parse_resolution(s: &str) -> Result<Resolution, String> {
    match s.trim() {
        "sent" => Ok(Resolution::Sent),
        "resend" => Ok(Resolution::Resend),
        other => Err(format!("unknown resolution `{other}`: use sent or resend")),
    }
}

/// Brings the main window to the front (a second start on the same ledger asks for it).
fn focus_main<R: tauri::Runtime>(app: &tauri::AppHandle<R>) {
    use tauri::Manager;
    if let Some(w) = app.get_webview_window("main") {
        let _ = w.unminimize();
        let _ = w.show();
        let _ = w.set_focus();
    }
}

/// Whether the window's size and position are remembered: yes, unless
/// `PARTNER_LEDGER_WINDOW_STATE=off` (the end-to-end test starts at the configured size).
pub fn window_state_enabled(value: Option<&str>) -> bool {
    !matches!(value.map(str::trim), Some("off" | "0" | "false" | "no"))
}

/// Builds and runs the app.
pub fn run() {
    let db = resolve_db_path();
    let mut session = Session::new(db.clone(), operator_name()).with_config_dir(setup::config_dir());
    let mut refused = None;
    // Held until the process ends (the OS releases it however it ends).
    let _window_lock = match instance::acquire(&db) {
        instance::LockOutcome::Held(lock) => Some(lock),
        instance::LockOutcome::Busy { ledger } => {
            // With a D-Bus session bus, the single-instance plugin below hands this start over
            // to the window that has the ledger, and exits; without one, this window opens and
            // refuses every command (said on stderr too, once the plugin has let it through).
            let why = instance::busy_message(&ledger);
            refused = Some(why.clone());
            session = session.refusing(why);
            None
        }
        instance::LockOutcome::Unavailable(why) => {
            eprintln!("partner-ledger-desktop: not locking the ledger for this window: {why}");
            None
        }
    };
    let context = tauri::generate_context!();
    #[allow(unused_mut)]
    let mut builder = tauri::Builder::default();
    // First among the plugins: a second start on this ledger must hand over before anything
    // else. Linux only, where the plugin's D-Bus name can be made per ledger; elsewhere it
    // would allow one window for all ledgers, and the window lock above keeps one per ledger.
    #[cfg(target_os = "linux")]
    if let Some(identity) = instance::ledger_identity(&db) {
        let id = instance::dbus_id(&context.config().identifier, &identity);
        builder = builder.plugin(
            tauri_plugin_single_instance::Builder::new().dbus_id(id).callback(|app, _argv, _cwd| focus_main(app)).build(),
        );
    }
    if window_state_enabled(std::env::var("PARTNER_LEDGER_WINDOW_STATE").ok().as_deref()) {
        use tauri_plugin_window_state::StateFlags;
        builder = builder.plugin(
            tauri_plugin_window_state::Builder::new()
                .with_state_flags(StateFlags::SIZE | StateFlags::POSITION | StateFlags::MAXIMIZED)
                .build(),
        );
    }
    builder
        .plugin(tauri_plugin_dialog::init())
        .manage(Arc::new(session))
        .setup(move |_| {
            if let Some(why) = &refused {
                eprintln!("partner-ledger-desktop: {why}");
            }
            Ok(())
        })
        .manage(Arc::new(month::ImportControl::default()))
        .invoke_handler(tauri::generate_handler![
            commands::ledger_info,
            commands::list_batches,
            commands::import_file,
            commands::undo_batch,
            commands::list_months,
            commands::month_summary,
            commands::instance_page,
            commands::event_page,
            commands::approve_month,
            commands::reopen_month,
            commands::assign_instance,
            commands::classify_exception,
            commands::outbox_page,
            commands::outbox_counts,
            commands::outbox_attempts,
            commands::recover_outbox,
            commands::resolve_event,
            commands::submit_month,
            setup::operator_info,
            setup::set_operator,
            setup::app_info,
            setup::set_app,
            setup::list_rates,
            setup::add_rate,
            setup::remove_rate,
            setup::list_settings,
            setup::set_setting,
            setup::list_timezones,
            setup::credentials_info,
            setup::store_credential,
            setup::remove_credential,
            setup::test_connection,
            setup::import_fx,
            setup::fx_summary,
            setup::list_column_mappings,
            setup::read_mapping_file,
            setup::column_mapping,
            setup::preview_column_mapping,
            setup::save_column_mapping,
            setup::remove_column_mapping,
            setup::customer_mappings,
            setup::map_customer,
            setup::unmap_customer,
            setup::list_classifications,
            setup::unclassified_types,
            setup::classify_type,
            setup::remove_classification,
            setup::audit_page,
            setup::audit_facets,
            setup::audit_entry,
            commands::preview_imports,
            commands::commit_imports,
            commands::cancel_import,
            commands::check_manual_refund,
            commands::add_manual_refund,
            commands::manual_refund,
            commands::delete_manual_refund,
            commands::month_series,
            commands::export_csv,
            commands::export_file_name,
            commands::ledger_timezone,
            usage::usage_status,
            usage::list_plans,
            usage::set_plan,
            usage::list_charge_limits,
            usage::set_charge_limit,
            usage::set_app_key,
            usage::import_usage,
            usage::preview_charges,
            usage::charge_calls,
            usage::frozen_charges,
        ])
        .run(context)
        .expect("error while running the Partner Ledger window");
}

#[cfg(test)]
mod tests {
    use super::*;
    use pl_ledger::{EventSort, EventState, InstanceSort, MonthStatus};

    /// Every command the window can call is declared to Tauri's ACL (`build.rs`) and granted to
    /// the main window (`capabilities/default.json`); a command missing from either is refused
    /// at run time with "not allowed", which no other test would see before the e2e run.
    #[test]
    fn every_registered_command_is_declared_and_granted() {
        let lib = include_str!("lib.rs");
        let build = include_str!("../build.rs");
        let capability = include_str!("../capabilities/default.json");
        let start = lib.find("generate_handler![").expect("the handler list");
        let end = start + lib[start..].find("])").expect("its end");
        let commands: Vec<&str> = lib[start..end]
            .split([',', '['])
            .filter_map(|c| c.trim().rsplit_once("::").map(|(_, name)| name.trim()))
            .collect();
        assert!(commands.len() > 40 && commands.contains(&"audit_page"), "{commands:?}");
        for c in commands {
            assert!(build.contains(&format!("\"{c}\"")), "{c} is not declared in build.rs");
            let permission = format!("\"allow-{}\"", c.replace('_', "-"));
            assert!(capability.contains(&permission), "{permission} is not in capabilities/default.json");
        }
    }

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
    fn a_window_refused_by_another_touches_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("ledger.sqlite");
        let s = Session::new(db.clone(), "t".into()).refusing(instance::busy_message(&db));
        let e = s.list_batches().unwrap_err();
        assert!(e.contains("open in another Partner Ledger window"), "{e}");
        assert!(s.month_summary("2026-10").unwrap_err().contains("another Partner Ledger window"));
        let rt = tokio::runtime::Runtime::new().unwrap();
        assert!(rt.block_on(s.submit_month("2026-10", |_| {})).unwrap_err().contains("another Partner Ledger window"));
        assert!(!db.exists(), "the refused window did not even create the ledger");
    }

    #[test]
    fn window_state_is_remembered_unless_turned_off() {
        assert!(window_state_enabled(None));
        assert!(window_state_enabled(Some("on")));
        assert!(!window_state_enabled(Some("off")));
        assert!(!window_state_enabled(Some(" 0 ")));
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

    const APP: &str = "9a1b2c3d-0000-4000-8000-00000000a001";

    /// The e2e fixture imported through the shell: three October 2026 rows with instances.
    fn imported(s: &Session) {
        let r = s.import_file(&fixture("stripe_itemized_small.csv"), None, None, false).unwrap();
        assert_eq!(r.imported, 3, "{r:?}");
    }

    fn outbox(month: &str, state: Option<EventState>) -> OutboxQuery {
        OutboxQuery { month: month.into(), state, search: None, offset: 0, limit: 100 }
    }

    /// Settings the operator makes with the CLI (no command of the window changes them).
    fn with_engine(s: &Session, f: impl FnOnce(&mut Ledger)) {
        let mut l = Ledger::open(s.db_path()).unwrap();
        f(&mut l);
    }

    #[test]
    fn resolution_is_sent_or_resend() {
        assert_eq!(parse_resolution(" sent ").unwrap(), Resolution::Sent);
        assert_eq!(parse_resolution("resend").unwrap(), Resolution::Resend);
        assert!(parse_resolution("ignore").unwrap_err().contains("sent or resend"));
        let (_d, s) = session();
        assert!(s.resolve_event("tx-1", "maybe", "checked").unwrap_err().contains("sent or resend"));
    }

    #[test]
    fn a_refused_approval_returns_its_exceptions_as_data() {
        let (_d, s) = session();
        imported(&s);
        let months = s.list_months().unwrap();
        assert_eq!(months.iter().map(|m| (m.month.as_str(), m.status.as_str())).collect::<Vec<_>>(), vec![("2026-10", "open")]);
        // No rate yet: every event is an exception.
        match s.approve_month("2026-10").unwrap() {
            ApprovalOutcome::Refused { month, exceptions } => {
                assert_eq!(month, "2026-10");
                assert_eq!(exceptions.len(), 3, "{exceptions:?}");
                assert!(exceptions.iter().all(|e| !e.detail.is_empty() && e.file.contains("stripe_itemized_small.csv")));
            }
            other => panic!("approved without a rate: {other:?}"),
        }
        assert_eq!(s.list_months().unwrap()[0].status, "open");
        assert_eq!(s.outbox_page(&outbox("2026-10", None)).unwrap().total, 0);
    }

    #[test]
    fn an_unclassified_type_is_classified_from_its_exception() {
        let (dir, s) = session();
        with_engine(&s, |l| {
            let mapping = "id = \"Ref\"\ndate = \"Booked\"\ndate_format = \"%Y-%m-%d\"\namount = \"Amount\"\n\
                           fixed_currency = \"USD\"\ninstance = \"Site\"\ntype_column = \"Kind\"\n\
                           default_kind = \"unclassified\"\n[kinds]\n\"Sale\" = \"charge\"\n";
            l.add_column_mapping("bank", mapping, "t").unwrap();
            l.add_rate("2020-01-01", "20", None, "t").unwrap();
        });
        let file = dir.path().join("bank.csv");
        std::fs::write(&file, "Ref,Booked,Amount,Site,Kind\nB-1,2026-10-04,10.00,6f1c2a9e-3b4d-4e8a-9c1f-2d7b8e0a5c31,Mobile Payment\n").unwrap();
        let r = s.import_file(&file.display().to_string(), Some("mapped:bank".into()), None, false).unwrap();
        assert_eq!(r.unclassified, 1, "{r:?}");
        let ex = s.month_summary("2026-10").unwrap().exceptions;
        assert_eq!(ex.len(), 1);
        assert_eq!(ex[0].kind, "unclassified_type");
        assert!(!ex[0].detail.contains("partner-ledger"), "the window's words: {}", ex[0].detail);
        let txn = ex[0].txn_id.unwrap();
        assert!(s.classify_exception(txn, "revenue").unwrap_err().contains("charge, refund or ignore"));
        let out = s.classify_exception(txn, "charge").unwrap();
        assert_eq!(out.classified, 1);
        assert_eq!(out.rule.unwrap().type_name, "Mobile Payment");
        let report = s.month_summary("2026-10").unwrap();
        assert!(report.exceptions.is_empty());
        assert_eq!(report.totals.events, 1);
        assert!(s.classify_exception(txn, "charge").is_err(), "the row is classified already");
    }

    #[test]
    fn approve_reopen_and_the_queue_through_the_shell() {
        let (_d, s) = session();
        imported(&s);
        with_engine(&s, |l| {
            l.add_rate("2020-01-01", "20", None, "t").unwrap();
            // Approval needs the app id (SPEC §5).
            l.set_app("9a1b2c3d-0000-4000-8000-00000000a001", "Demo", "t").unwrap();
        });
        let report = s.month_summary(" 2026-10 ").unwrap();
        assert_eq!((report.status, report.totals.events), (MonthStatus::Open, 3));
        assert!(report.exceptions.is_empty(), "{:?}", report.exceptions);
        assert!(s.month_summary("October").unwrap_err().contains("YYYY-MM"));
        let q = EventQuery {
            month: "2026-10".into(),
            instance: None,
            billing_type: None,
            late: None,
            state: None,
            search: None,
            sort: EventSort::Gross,
            descending: true,
            offset: 0,
            limit: 2,
        };
        let page = s.event_page(&q).unwrap();
        assert_eq!((page.total, page.rows.len()), (3, 2));
        assert!(page.rows[0].gross >= page.rows[1].gross);
        let lines = s.instance_page(&InstanceQuery { month: "2026-10".into(), search: None, sort: InstanceSort::InstanceId, descending: false, offset: 0, limit: 100 }).unwrap();
        assert_eq!(lines.rows.iter().map(|l| l.charges + l.refunds).sum::<u32>(), 3);

        let ApprovalOutcome::Approved { summary } = s.approve_month("2026-10").unwrap() else { panic!("refused") };
        assert_eq!((summary.status, summary.totals), (MonthStatus::Approved, report.totals));
        assert_eq!(s.list_months().unwrap()[0].status, "approved");
        // Approving twice is an error message, not a refusal with exceptions.
        assert!(s.approve_month("2026-10").unwrap_err().contains("already approved"));

        let queued = s.outbox_page(&outbox("2026-10", Some(EventState::Queued))).unwrap().rows;
        assert_eq!(queued.len(), 3);
        let blank = OutboxQuery { search: Some("  ".into()), ..outbox("2026-10", None) };
        assert_eq!(s.outbox_page(&blank).unwrap().total, 3, "an empty search is no filter");
        assert!(s.outbox_page(&OutboxQuery { limit: 5000, ..outbox("2026-10", None) }).unwrap_err().contains("at most 1000"));
        let c = s.outbox_counts("2026-10").unwrap();
        assert_eq!((c.queued, c.sent, c.uncertain), (3, 0, 0));
        assert!(s.outbox_attempts(&queued[0].id).unwrap().is_empty());
        assert_eq!(s.recover_outbox().unwrap(), 0);
        // A queued event is not resolved; the engine says why.
        assert!(s.resolve_event(&queued[0].id, "sent", "checked").unwrap_err().contains("only uncertain or rejected"));

        assert!(s.reopen_month("2026-10", "  ").unwrap_err().contains("reason"));
        s.reopen_month("2026-10", "late PayPal file").unwrap();
        assert_eq!(s.list_months().unwrap()[0].status, "open");
        assert_eq!(s.outbox_page(&outbox("2026-10", None)).unwrap().total, 0);
    }

    #[test]
    fn assign_instance_reaches_the_engine() {
        let (_d, s) = session();
        imported(&s);
        let e = s.assign_instance(99_999, "6f1c2a9e-3b4d-4e8a-9c1f-2d7b8e0a5c31", false).unwrap_err();
        assert!(e.contains("not found") && e.contains("99999"), "{e}");
    }

    #[test]
    fn submit_refuses_before_any_request_without_an_app_id() {
        let (_d, s) = session();
        imported(&s);
        let rt = tokio::runtime::Runtime::new().unwrap();
        let e = rt.block_on(s.submit_month("2026-10", |_| {})).unwrap_err();
        assert!(e.contains("no Wix app id"), "{e}");
    }

    #[test]
    fn submit_sends_the_month_to_wix_with_progress() {
        let (_d, s) = session();
        imported(&s);
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let sim = rt.block_on(pl_wix_sim::Simulator::start(pl_wix_sim::SimConfig::default())).unwrap();
        with_engine(&s, |l| {
            l.set_app(APP, "Acme Forms", "t").unwrap();
            l.add_rate("2020-01-01", "20", None, "t").unwrap();
            l.set_setting("wix.base_url", &sim.base_url(), "t").unwrap();
        });
        // The only test that needs a secret; it comes from the environment, as in the app.
        std::env::set_var("WIX_APP_SECRET", "sim-app-secret");

        // Not approved yet: refused by the engine.
        assert!(rt.block_on(s.submit_month("2026-10", |_| {})).unwrap_err().contains("not approved"));
        assert!(matches!(s.approve_month("2026-10").unwrap(), ApprovalOutcome::Approved { .. }));

        let mut seen = Vec::new();
        let report = rt.block_on(s.submit_month("2026-10", |p| seen.push(p.clone()))).unwrap();
        assert_eq!((report.status.as_str(), report.requests, report.stopped.as_deref()), ("submitted", 3, None));
        assert_eq!(report.counts.sent, 3);
        assert_eq!(seen.first().map(|p| (p.total, p.done)), Some((3, 0)));
        assert_eq!(seen.last().map(|p| (p.total, p.done, p.sent)), Some((3, 3, 3)));
        assert_eq!(sim.accepted().len(), 3);
        // The shared connection sees what the run's own connection wrote.
        assert_eq!(s.outbox_counts("2026-10").unwrap().sent, 3);
        assert_eq!(s.list_months().unwrap()[0].status, "submitted");
        let first = &s.outbox_page(&outbox("2026-10", None)).unwrap().rows[0];
        let attempts = s.outbox_attempts(&first.id).unwrap();
        assert_eq!((attempts.len(), attempts[0].outcome.as_deref()), (1, Some("sent")), "{attempts:?}");
        sim.shutdown();
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
