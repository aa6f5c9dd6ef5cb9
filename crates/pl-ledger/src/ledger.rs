//! `Ledger`: the one handle the CLI and the desktop shell hold. Each method is one operation of
//! SPEC §8; every method that changes data does it in one transaction and writes the audit log.
use std::path::{Path, PathBuf};

use rusqlite::Connection;

use crate::outbox::{self, OutboxEntry, Resolution, StateCounts, SubmitLock, SubmitOptions, SubmitProgress, SubmitReport};
use crate::refunds::{self, NewManualRefund};
use crate::report::{self, Period};
use crate::schedule::{self, FxImportReport};
use crate::{
    audit_view, classify, credentials, db, exceptions, import, mappings, months, resolve, settings, store, AuditEntry, BatchSummary,
    ClassifyOutcome, ClassifyRule, ColumnMappingInfo, Error, Exception, ImportOptions, ImportReport, ManualRefundInfo, MonthInfo, RateInfo, Report, Result,
};

pub struct Ledger {
    pub(crate) conn: Connection,
    path: PathBuf,
    /// The month the window reads by page, while the ledger is as it was when it was built.
    view: std::sync::Mutex<Option<CachedView>>,
}

/// A month's view and what the ledger was when it was computed.
struct CachedView {
    month: String,
    stamp: (i64, u64),
    view: std::sync::Arc<report::MonthView>,
}

/// The desktop app's identifier; its data folder is `<user data dir>/<identifier>`.
pub const APP_IDENTIFIER: &str = "app.partnerledger.desktop";

impl Ledger {
    /// The data file the CLI and the desktop app share when neither `--db` nor
    /// `PARTNER_LEDGER_DB` says otherwise: `<user data dir>/app.partnerledger.desktop/ledger.sqlite`
    /// (on Linux `~/.local/share/app.partnerledger.desktop/ledger.sqlite`).
    pub fn default_db_path() -> PathBuf {
        dirs::data_dir().unwrap_or_else(|| PathBuf::from(".")).join(APP_IDENTIFIER).join("ledger.sqlite")
    }

    /// The desktop app's configuration folder for this OS user (`<user config dir>/app.partnerledger.desktop`):
    /// what belongs to the desktop user rather than to a ledger (the operator's name).
    pub fn default_config_dir() -> PathBuf {
        dirs::config_dir().unwrap_or_else(|| PathBuf::from(".")).join(APP_IDENTIFIER)
    }

    /// `PARTNER_LEDGER_DB` when set, else [`Ledger::default_db_path`].
    pub fn db_path_from_env() -> PathBuf {
        std::env::var_os("PARTNER_LEDGER_DB").filter(|v| !v.is_empty()).map(PathBuf::from).unwrap_or_else(Self::default_db_path)
    }

    /// Opens (creating and migrating when needed) the ledger file.
    pub fn open(path: &Path) -> Result<Ledger> {
        Ok(Ledger { conn: db::open(path)?, path: path.to_path_buf(), view: std::sync::Mutex::new(None) })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// How long a write waits for another process's write before it fails with
    /// [`crate::BUSY_MESSAGE`] (default [`db::BUSY_TIMEOUT`]).
    pub fn set_busy_timeout(&self, timeout: std::time::Duration) -> Result<()> {
        Ok(self.conn.busy_timeout(timeout)?)
    }

    /// Writes a CSV export to `target` through a temporary file renamed into place, refusing
    /// the ledger's own files and existing files that are not CSVs (SPEC §7,
    /// [`crate::export::write_file`]). Returns the path written (symlinks resolved).
    pub fn write_export(&self, target: &Path, write: impl FnOnce(&mut dyn std::io::Write) -> Result<()>) -> Result<PathBuf> {
        crate::export::write_file(&self.path, target, write)
    }

    /// The raw connection, for tests and benchmarks that inspect the file.
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    // ---- settings -------------------------------------------------------------------------

    pub fn setting(&self, key: &str) -> Result<Option<String>> {
        settings::get(&self.conn, key)
    }

    /// Sets a known setting (validated); returns the stored value.
    pub fn set_setting(&mut self, key: &str, value: &str, by: &str) -> Result<String> {
        let tx = self.conn.transaction()?;
        let v = settings::set(&tx, by, key, value)?;
        tx.commit()?;
        Ok(v)
    }

    /// Sets the default Wix app: its id (a GUID) and name.
    pub fn set_app(&mut self, id: &str, name: &str, by: &str) -> Result<()> {
        let id = resolve::instance_arg(id).map_err(|_| Error::Refused(format!("`{id}` is not a Wix app id (a GUID)")))?;
        let name = name.trim();
        if name.is_empty() {
            return Err(Error::Refused("the app name is empty".into()));
        }
        let tx = self.conn.transaction()?;
        for (k, v) in [("app.id", id.as_str()), ("app.name", name)] {
            let before = settings::get(&tx, k)?;
            store::settings::put(&tx, k, v)?;
            store::audit::record(&tx, by, "app.set", &format!("setting:{k}"), before.as_ref(), Some(&v))?;
        }
        tx.commit()?;
        Ok(())
    }

    // ---- imports --------------------------------------------------------------------------

    /// Imports one file whole or not at all (SPEC §2). A file with bad rows is reported with
    /// every bad row in `rejected` and changes nothing.
    pub fn import_file(&mut self, path: &Path, opts: &ImportOptions) -> Result<ImportReport> {
        import::import_file(&mut self.conn, path, opts)
    }

    pub fn list_batches(&self) -> Result<Vec<BatchSummary>> {
        import::list_batches(&self.conn)
    }

    /// Undoes a batch: its rows leave the ledger (kept, marked undone, for the audit trail).
    /// Refused while one of its rows belongs to an approved month.
    pub fn undo_batch(&mut self, id: i64, by: &str) -> Result<BatchSummary> {
        import::undo_batch(&mut self.conn, id, by)
    }

    /// The file a batch was imported from, byte for byte (its raw rows).
    pub fn batch_file(&self, id: i64) -> Result<Vec<u8>> {
        import::batch_file(&self.conn, id)
    }

    /// Saves a named column mapping (TOML) for `mapped:<name>` imports; it is checked first.
    pub fn add_column_mapping(&mut self, name: &str, toml_text: &str, by: &str) -> Result<()> {
        mappings::save(&mut self.conn, name, toml_text, by)
    }

    pub fn list_column_mappings(&self) -> Result<Vec<ColumnMappingInfo>> {
        store::mappings::list(&self.conn)
    }

    // ---- instances ------------------------------------------------------------------------

    /// Maps a processor customer (Stripe customer id, PayPal payer e-mail) to an instance and
    /// resolves the rows waiting for it; returns how many rows it resolved.
    pub fn map_customer(&mut self, key: &str, instance: &str, by: &str) -> Result<u32> {
        resolve::map_customer(&mut self.conn, key, instance, by)
    }

    /// Assigns an instance to one row (an exception's `txn_id`); `save_mapping` also maps its customer.
    pub fn assign_instance(&mut self, txn_id: i64, instance: &str, save_mapping: bool, by: &str) -> Result<()> {
        resolve::assign_instance(&mut self.conn, txn_id, instance, save_mapping, by)
    }

    /// The exceptions, optionally of one month (`YYYY-MM`, in the reporting time zone).
    pub fn exceptions(&self, month: Option<&str>) -> Result<Vec<Exception>> {
        match month {
            Some(m) => Ok(report::report_stream(&self.conn, Some(&self.path), &Period::parse_month(m)?, report::Keep::Sums)?.month_summary()?.exceptions),
            None => report::all_exceptions(&self.conn),
        }
    }

    // ---- classification of unknown types ---------------------------------------------------

    /// Classifies a type the importer does not know, for one source format (`charge`, `refund`
    /// or `ignore`; SPEC §2): the rule is saved, applied now to the live `unclassified` rows of
    /// that source and type (matched ignoring case) and by later imports; audited.
    pub fn classify_type(&mut self, source: &str, type_name: &str, action: &str, by: &str) -> Result<ClassifyOutcome> {
        classify::classify(&mut self.conn, source, type_name, action, by)
    }

    /// Classifies the type of one `unclassified` row (an `unclassified_type` exception's
    /// `txn_id`) for its source, as [`Ledger::classify_type`] does.
    pub fn classify_row_type(&mut self, txn_id: i64, action: &str, by: &str) -> Result<ClassifyOutcome> {
        classify::classify_row(&mut self.conn, txn_id, action, by)
    }

    /// Removes a classification: the rows it classified are `unclassified` again, except those
    /// an approved month froze; audited.
    pub fn remove_classification(&mut self, source: &str, type_name: &str, by: &str) -> Result<ClassifyOutcome> {
        classify::remove(&mut self.conn, source, type_name, by)
    }

    /// The saved classifications, by source and type.
    pub fn classify_rules(&self) -> Result<Vec<ClassifyRule>> {
        classify::list(&self.conn)
    }

    // ---- rates and FX ---------------------------------------------------------------------

    /// Adds the revenue-share percent in force from `from` (YYYY-MM-DD), for the app or one instance.
    pub fn add_rate(&mut self, from: &str, percent: &str, instance: Option<&str>, by: &str) -> Result<RateInfo> {
        schedule::add_rate(&mut self.conn, from, percent, instance, by)
    }

    pub fn rates(&self) -> Result<Vec<RateInfo>> {
        schedule::list_rates(&self.conn)
    }

    /// Imports an FX table CSV (`date,currency,usd_per_unit`), whole or not at all.
    pub fn import_fx(&mut self, path: &Path, by: &str) -> Result<FxImportReport> {
        schedule::import_fx(&mut self.conn, path, by)
    }

    // ---- the month ------------------------------------------------------------------------

    /// The report of a month or a quarter (SPEC §8).
    pub fn report(&self, period: &Period) -> Result<Report> {
        report::report(&self.conn, Some(&self.path), period)
    }

    /// The report of a month or a quarter, computed by worker threads reading the ledger file,
    /// with its events kept as compact records when `with_events`, to be written as JSON or Wix
    /// CSV: what the CLI prints and exports, byte for byte as from [`Ledger::report`], without
    /// building a million `EventLine`s.
    pub fn report_stream(&self, period: &Period, with_events: bool) -> Result<report::ReportStream> {
        report::report_stream(&self.conn, Some(&self.path), period, if with_events { report::Keep::Records } else { report::Keep::Sums })
    }

    /// Writes the report as `serde_json::to_writer(out, &self.report(period)?)` would.
    pub fn write_report_json(&self, period: &Period, out: &mut impl std::io::Write) -> Result<()> {
        self.report_stream(period, true)?.write_json(out)
    }

    // ---- the window's pages ------------------------------------------------------------------

    /// The view of `month`: the one kept when the ledger has not changed since, else computed
    /// (one streamed scan of the month, as `report --json`'s) and kept.
    pub fn month_view(&self, month: &str) -> Result<std::sync::Arc<report::MonthView>> {
        let period = Period::parse_month(month.trim())?;
        let month = period.label();
        // A view computed at another stamp is stale.
        let stamp = db::change_stamp(&self.conn)?;
        let mut cached = self.view.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(c) = cached.as_ref().filter(|c| c.month == month && c.stamp == stamp) {
            return Ok(std::sync::Arc::clone(&c.view));
        }
        // The old view goes before the new one is built (a month of 1M events holds ~100 MB).
        *cached = None;
        let stream = report::report_stream(&self.conn, Some(&self.path), &period, report::Keep::RecordsAndKeys)?;
        let view = std::sync::Arc::new(report::MonthView::new(stream)?);
        *cached = Some(CachedView { month, stamp, view: std::sync::Arc::clone(&view) });
        Ok(view)
    }

    /// A month's totals, counts, exceptions and payout checks (its lines come by page).
    pub fn month_summary(&self, month: &str) -> Result<crate::MonthSummary> {
        Ok(self.month_view(month)?.summary().clone())
    }

    /// A page of a month's instance lines, sorted, searched.
    pub fn instance_page(&self, q: &crate::InstanceQuery) -> Result<crate::InstancePage> {
        self.month_view(&q.month)?.instances(q)
    }

    /// A page of a month's event lines, filtered, searched, sorted.
    pub fn event_page(&self, q: &crate::EventQuery) -> Result<crate::EventPage> {
        self.month_view(&q.month)?.events(q)
    }

    /// A page of a month's approved events as the outbox holds them.
    pub fn outbox_page(&self, q: &crate::OutboxQuery) -> Result<crate::OutboxPage> {
        outbox::page(&self.conn, q)
    }

    /// Months with activity or an approval, newest first.
    pub fn months(&self) -> Result<Vec<MonthInfo>> {
        months::list(&self.conn)
    }

    /// Approves a month (refused with the list of exceptions while any remain).
    pub fn approve(&mut self, month: &str, by: &str) -> Result<crate::MonthSummary> {
        months::approve(&mut self.conn, Some(&self.path), month, by)
    }

    /// Reopens an approved month whose events were not sent.
    pub fn reopen(&mut self, month: &str, reason: &str, by: &str) -> Result<()> {
        months::reopen(&mut self.conn, month, reason, by)
    }

    pub fn add_manual_refund(&mut self, refund: &NewManualRefund, by: &str) -> Result<ManualRefundInfo> {
        refunds::add(&mut self.conn, refund, by)
    }

    /// Adds a manual refund, or says field by field why not (the window's form).
    pub fn add_manual_refund_checked(&mut self, refund: &NewManualRefund, by: &str) -> Result<crate::RefundOutcome> {
        refunds::add_checked(&mut self.conn, refund, by)
    }

    /// What is wrong with a manual refund, field by field (none: it would be added); writes nothing.
    pub fn check_manual_refund(&self, refund: &NewManualRefund) -> Result<Vec<crate::FieldProblem>> {
        refunds::check(&self.conn, refund)
    }

    /// A live manual refund by its id (`mr-<n>`), as it was entered.
    pub fn manual_refund(&self, id: &str) -> Result<ManualRefundInfo> {
        refunds::get(&self.conn, id)
    }

    /// Deletes a manual refund while its month is open (audited); returns what was deleted.
    pub fn delete_manual_refund(&mut self, id: &str, by: &str) -> Result<ManualRefundInfo> {
        refunds::delete(&mut self.conn, id, by)
    }

    /// The reporting time zone.
    pub fn timezone(&self) -> Result<chrono_tz::Tz> {
        exceptions::reporting_tz(&self.conn)
    }

    // ---- submission to Wix ------------------------------------------------------------------

    /// Takes the submit lock of this ledger file (one submitter at a time).
    pub fn submit_lock(&self) -> Result<SubmitLock> {
        SubmitLock::acquire(&self.path)
    }

    /// A Wix client from the settings, `WIX_API_BASE` and the secrets in the environment or keyring.
    pub fn wix_client(&self) -> Result<pl_wix::Client> {
        outbox::client_from_settings(&self.conn)
    }

    /// Submits the queued events of an approved month (SPEC §6); the caller holds `lock`.
    pub async fn submit(
        &mut self,
        _lock: &SubmitLock,
        client: std::sync::Arc<pl_wix::Client>,
        month: &str,
        opts: &SubmitOptions,
        by: &str,
        on_progress: impl FnMut(&SubmitProgress),
    ) -> Result<SubmitReport> {
        outbox::submit(&mut self.conn, client, month, opts, by, on_progress).await
    }

    /// The exact requests a submission would send, secrets masked.
    pub fn submit_dry_run(&self, client: &pl_wix::Client, month: &str) -> Result<Vec<pl_wix::RenderedRequest>> {
        outbox::dry_run(&self.conn, client, month)
    }

    /// Turns `sending` events left by a crashed run into `uncertain`, when no submission runs.
    pub fn recover_outbox(&mut self, by: &str) -> Result<u32> {
        match SubmitLock::acquire(&self.path) {
            Ok(_lock) => outbox::recover(&mut self.conn, by),
            Err(Error::Refused(_)) => Ok(0),
            Err(e) => Err(e),
        }
    }

    pub fn outbox(&self, state: Option<&str>, month: Option<&str>) -> Result<Vec<OutboxEntry>> {
        outbox::list(&self.conn, state, month)
    }

    pub fn outbox_attempts(&self, event_id: &str) -> Result<Vec<outbox::AttemptInfo>> {
        outbox::attempts(&self.conn, event_id)
    }

    pub fn outbox_counts(&self, month: &str) -> Result<StateCounts> {
        outbox::counts(&self.conn, month)
    }

    /// Resolves an uncertain event as `sent` (checked at Wix) or `resend`; audited.
    pub fn resolve_event(&mut self, event_id: &str, how: Resolution, reason: &str, by: &str) -> Result<OutboxEntry> {
        outbox::resolve(&mut self.conn, event_id, how, reason, by)
    }

    /// Audits that a credential (`app-secret`, ...) was stored in the OS keyring; its value is
    /// never in the ledger.
    pub fn note_credential_stored(&mut self, name: &str, by: &str) -> Result<()> {
        let tx = self.conn.transaction()?;
        store::audit::record(&tx, by, "credentials.set", &format!("credential:{name}"), None::<&()>, Some(&"stored in the OS keyring"))?;
        tx.commit()?;
        Ok(())
    }

    // ---- the window's import set -----------------------------------------------------------

    /// What importing `files` in this order would do, file by file (each after the ones before
    /// it); nothing is written. `progress` is told how far it is; false stops it.
    pub fn preview_imports(
        &mut self,
        files: &[crate::ImportFileRequest],
        by: &str,
        progress: &mut dyn FnMut(&crate::ImportProgress) -> bool,
    ) -> Result<crate::ImportPreview> {
        crate::import_set::preview(&mut self.conn, files, by, progress)
    }

    /// Imports the importable files of `preview`, each as its own batch, in one transaction,
    /// when each does exactly what the preview showed; else nothing is written and the error
    /// says what changed.
    pub fn commit_imports(
        &mut self,
        preview: &crate::ImportPreview,
        by: &str,
        progress: &mut dyn FnMut(&crate::ImportProgress) -> bool,
    ) -> Result<Vec<ImportReport>> {
        crate::import_set::commit(&mut self.conn, preview, by, progress)
    }

    // ---- the window's charts and exports ---------------------------------------------------

    /// The last `count` months (at most 36) with activity or an approval, oldest first, each
    /// with its report's totals: the month-by-month chart. A month this handle has open in the
    /// window is read from its view; any other is summed by one scan (no event kept).
    pub fn month_series(&self, count: u32) -> Result<Vec<crate::MonthPoint>> {
        let months = self.months()?;
        let mut out = Vec::new();
        for info in months.iter().take(count.min(36) as usize).rev() {
            let cached = {
                let stamp = db::change_stamp(&self.conn)?;
                let view = self.view.lock().unwrap_or_else(|p| p.into_inner());
                view.as_ref().filter(|c| c.month == info.month && c.stamp == stamp).map(|c| c.view.summary().clone())
            };
            let summary = match cached {
                Some(s) => s,
                None => report::report_stream(&self.conn, Some(&self.path), &Period::parse_month(&info.month)?, report::Keep::Sums)?.month_summary()?,
            };
            out.push(crate::MonthPoint {
                month: summary.month,
                status: summary.status,
                events: summary.totals.events,
                gross: summary.totals.gross,
                net: summary.totals.net,
                wix_share: summary.totals.wix_share,
                exceptions: u32::try_from(summary.exceptions.len()).unwrap_or(u32::MAX),
            });
        }
        Ok(out)
    }

    /// Writes a CSV export of a month or quarter to `target` (a file path, as a save dialog
    /// returns it) with the same code and bytes as the command line's `report --wix-csv`,
    /// `--instances-csv` and `--csv`; `excel` starts it with a BOM. Returns the path written.
    pub fn export_csv(&self, period: &Period, kind: crate::ExportKind, target: &Path, excel: bool) -> Result<PathBuf> {
        match kind {
            crate::ExportKind::Wix => {
                let stream = self.report_stream(period, true)?;
                self.write_export(target, |out| stream.write_wix(out, excel))
            }
            crate::ExportKind::Instances => {
                let r = self.report(period)?;
                self.write_export(target, |out| crate::export::write_instances(&r, out, excel))
            }
            crate::ExportKind::Events => {
                let r = self.report(period)?;
                self.write_export(target, |out| crate::export::write_events(&r, out, excel))
            }
        }
    }

    /// The file name a save dialog proposes for an export: Wix's own for its report
    /// (`<App Name> Billing Report - October 2026.csv`), else `<kind>-<period>.csv`.
    pub fn export_file_name(&self, period: &Period, kind: crate::ExportKind) -> Result<String> {
        Ok(match kind {
            crate::ExportKind::Wix => period.wix_file_name(self.setting("app.name")?.as_deref().unwrap_or("Wix")),
            crate::ExportKind::Instances => format!("instances-{}.csv", period.label()),
            crate::ExportKind::Events => format!("events-{}.csv", period.label()),
        })
    }

    // ---- audit ----------------------------------------------------------------------------

    pub fn audit_log(&self) -> Result<Vec<AuditEntry>> {
        store::audit::list(&self.conn)
    }

    // ---- the window's Setup and Audit views --------------------------------------------------

    /// The Wix app the ledger reports for (none of it until set).
    pub fn app(&self) -> Result<crate::AppInfo> {
        Ok(crate::AppInfo { id: settings::get(&self.conn, "app.id")?, name: settings::get(&self.conn, "app.name")? })
    }

    /// Removes the rate in force from `from` (YYYY-MM-DD), for the app or one instance; returns
    /// it as it was. Approved months keep the rates they froze; open months follow. Audited.
    pub fn remove_rate(&mut self, from: &str, instance: Option<&str>, by: &str) -> Result<RateInfo> {
        schedule::remove_rate(&mut self.conn, from, instance, by)
    }

    /// Every setting the operator sets, with its value in force, default, meaning and choices.
    pub fn settings(&self) -> Result<Vec<crate::SettingInfo>> {
        settings::list(&self.conn)
    }

    /// The IANA time zone names the `timezone` setting accepts, sorted.
    pub fn timezones() -> Vec<String> {
        settings::timezones()
    }

    /// The FX table by currency.
    pub fn fx_summary(&self) -> Result<Vec<crate::FxCurrency>> {
        schedule::fx_summary(&self.conn)
    }

    /// The saved TOML of column mapping `name`.
    pub fn column_mapping(&self, name: &str) -> Result<String> {
        mappings::toml(&self.conn, name)
    }

    /// Removes column mapping `name` (its imported rows stay); audited.
    pub fn remove_column_mapping(&mut self, name: &str, by: &str) -> Result<()> {
        mappings::remove(&mut self.conn, name, by)
    }

    /// What mapping `name`, as `toml_text` defines it, reads from `file`, without saving or
    /// importing anything.
    pub fn preview_column_mapping(&self, name: &str, toml_text: &str, file: &Path) -> Result<crate::MappingPreview> {
        mappings::preview(&self.conn, name, toml_text, file)
    }

    /// A page of the saved customer mappings, by customer key.
    pub fn customer_mappings(&self, q: &crate::CustomerMappingQuery) -> Result<crate::CustomerMappingPage> {
        page_limit(q.limit)?;
        resolve::customer_page(&self.conn, q)
    }

    /// Removes the mapping of customer `key`: the rows it resolved are unresolved again, except
    /// in approved months; audited.
    pub fn unmap_customer(&mut self, key: &str, by: &str) -> Result<crate::UnmapOutcome> {
        resolve::unmap_customer(&mut self.conn, key, by)
    }

    /// The unknown types with rows waiting to be classified, per source.
    pub fn unclassified_types(&self) -> Result<Vec<crate::UnclassifiedType>> {
        classify::waiting(&self.conn)
    }

    /// Which Wix credentials are set for the ledger's app, and from where (never their values).
    pub fn credentials(&self) -> Result<crate::CredentialsInfo> {
        credentials::status(&self.conn)
    }

    /// Stores a Wix credential (`app-secret`, `api-key`, `account-id`) in the OS keyring for the
    /// ledger's app; audited without its value.
    pub fn store_credential(&mut self, name: &str, value: &str, by: &str) -> Result<crate::CredentialsInfo> {
        credentials::store(&mut self.conn, name, value, by)
    }

    /// Removes a Wix credential from the OS keyring for the ledger's app; audited.
    pub fn remove_credential(&mut self, name: &str, by: &str) -> Result<crate::CredentialsInfo> {
        credentials::remove(&mut self.conn, name, by)
    }

    /// Prepares a connection test against the configured Wix address (run it with
    /// [`credentials::ConnectionTarget::run`], without the ledger): the OAuth check asks a token
    /// for `instance`, else for the newest instance in the ledger.
    pub fn connection_target(&self, instance: Option<&str>) -> Result<credentials::ConnectionTarget> {
        credentials::connection_target(&self.conn, instance)
    }

    /// A page of the audit log, newest first, filtered by month (ledger time zone), operator,
    /// kind of change and entity.
    pub fn audit_page(&self, q: &crate::AuditQuery) -> Result<crate::AuditPage> {
        page_limit(q.limit)?;
        audit_view::page(&self.conn, q)
    }

    /// What the audit log's filters can choose from.
    pub fn audit_facets(&self) -> Result<crate::AuditFacets> {
        audit_view::facets(&self.conn)
    }

    /// One audit entry whole.
    pub fn audit_entry(&self, id: i64) -> Result<AuditEntry> {
        audit_view::entry(&self.conn, id)
    }

    // ---- Custom Charges (SPEC §9) -----------------------------------------------------------

    /// Stores the app's public key (PEM from Wix's dashboard) after checking it is an RSA public
    /// key of at least 2048 bits; returns its SHA-256 fingerprint. Audited.
    pub fn set_app_public_key(&mut self, pem: &str, by: &str) -> Result<String> {
        crate::plans::set_public_key(&mut self.conn, pem, by)
    }

    /// The app's public key (PEM) and its fingerprint, when set.
    pub fn app_public_key(&self) -> Result<Option<(String, String)>> {
        Ok(store::settings::stored(&self.conn, crate::plans::PUBLIC_KEY_SETTING)?
            .and_then(|pem| crate::plans::check_public_key(&pem).ok()))
    }

    /// Sets (replaces) a plan entry: a metric's unit prices from a day, for the app or one instance.
    pub fn set_plan(&mut self, plan: &crate::NewPlan, by: &str) -> Result<crate::PlanInfo> {
        crate::plans::set_plan(&mut self.conn, plan, by)
    }

    pub fn plans(&self) -> Result<Vec<crate::PlanInfo>> {
        crate::plans::list_plans(&self.conn)
    }

    /// Sets the charge limit of an instance and currency, or the app's default (no instance).
    pub fn set_charge_limit(&mut self, instance: Option<&str>, currency: &str, amount: &str, by: &str) -> Result<crate::ChargeLimitInfo> {
        let tx = self.conn.transaction()?;
        let info = crate::plans::set_limit(&tx, instance, currency, amount, by)?;
        tx.commit()?;
        Ok(info)
    }

    pub fn charge_limits(&self) -> Result<Vec<crate::ChargeLimitInfo>> {
        crate::plans::list_limits(&self.conn)
    }

    /// Imports a usage CSV (`id,instance_id,occurred_at,metric,quantity`) whole or not at all.
    pub fn import_usage(&mut self, path: &Path, dry_run: bool, by: &str) -> Result<crate::UsageImportReport> {
        crate::usage::import_file(&mut self.conn, path, dry_run, by)
    }

    /// A new ingestion token for `POST /v1/usage`: shown once, stored hashed.
    pub fn new_ingestion_token(&mut self, by: &str) -> Result<String> {
        crate::usage::new_token(&mut self.conn, by)
    }

    /// Exactly what a DISPLAY_ONLY call would answer now (the same computation and bytes).
    pub fn charges_preview(&self, q: &crate::ChargesQuery) -> Result<crate::ChargesAnswer> {
        crate::provider::preview(&self.conn, q)
    }

    /// What a DISPLAY_ONLY call would answer now for an instance, currency and period typed by
    /// the operator (`from`/`to`: RFC 3339 or YYYY-MM-DD, midnight UTC; `to` excluded).
    pub fn preview_charges(&self, instance: &str, currency: &str, from: &str, to: &str, kind: crate::AnswerKind) -> Result<crate::ChargesAnswer> {
        let instance_id = resolve::instance_arg(instance)?;
        let currency = pl_money::Currency::new(currency)
            .map_err(|_| Error::Refused(format!("`{}` is not a currency code (three letters, like USD)", pl_import::clip(currency.trim()))))?
            .to_string();
        let q = crate::ChargesQuery {
            kind,
            instance_id,
            currency,
            start_ms: crate::charges::instant_arg(from)?,
            end_ms: crate::charges::instant_arg(to)?,
            intent: crate::Intent::DisplayOnly,
            request_id: None,
        };
        crate::provider::preview(&self.conn, &q)
    }

    /// The provider's call log, newest first (at most `limit` calls), of one instance or all.
    pub fn charge_calls(&self, instance: Option<&str>, limit: u32) -> Result<Vec<crate::ChargeCall>> {
        let instance = instance.map(resolve::instance_arg).transpose()?;
        store::calls::list(&self.conn, instance.as_deref(), limit)
    }

    /// The charges of frozen answers (newest first, at most `limit`), of one instance or all.
    pub fn frozen_charges(&self, instance: Option<&str>, limit: u32) -> Result<Vec<crate::FrozenCharge>> {
        let instance = instance.map(resolve::instance_arg).transpose()?;
        Ok(store::answers::lines(&self.conn, instance.as_deref(), limit)?
            .into_iter()
            .map(|l| crate::FrozenCharge {
                answer_id: l.answer_id,
                instance_id: l.instance_id,
                currency: l.currency,
                period_start: crate::charges::instant(l.period_start_ms),
                period_end: crate::charges::instant(l.period_end_ms),
                charge_id: l.charge_id,
                description: l.description,
                amount: l.amount,
                invoice_id: l.invoice_id,
                rejected: l.rejected,
            })
            .collect())
    }

    /// Usage rows in the ledger, and those not consumed by a frozen answer.
    pub fn usage_counts(&self) -> Result<crate::UsageCounts> {
        let (rows, open) = store::usage::counts(&self.conn)?;
        Ok(crate::UsageCounts { rows, open })
    }

    /// Usage counts, the app's key fingerprint and the app id (the Usage view's header).
    pub fn usage_status(&self) -> Result<crate::UsageStatus> {
        Ok(crate::UsageStatus { counts: self.usage_counts()?, key_fingerprint: self.app_public_key()?.map(|(_, fp)| fp), app_id: self.setting("app.id")? })
    }
}

/// Refuses a page larger than the window's pages ([`report::MAX_PAGE`]).
fn page_limit(limit: u32) -> Result<()> {
    if limit > report::MAX_PAGE {
        return Err(Error::Refused(format!("a page holds at most {} lines; ask for {limit} by several pages", report::MAX_PAGE)));
    }
    Ok(())
}
