//! The month's workflow in the window: the import set (preview, then commit), the manual refund
//! form and the deletion of a manual refund, the month-by-month series, the CSV exports, and the ledger's time zone for display.
//! Each is one engine call; the rules and the words stay in the engine.
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use pl_ledger::{
    ExportKind, FieldProblem, ImportFileRequest, ImportPreview, ImportProgress, ImportReport, ManualRefundInfo, MonthPoint, NewManualRefund, Period,
    RefundOutcome,
};

use crate::Session;

/// Asks a running preview or import to stop (the window's Cancel while it reads): the engine
/// stops at the next block of rows and writes nothing.
#[derive(Default)]
pub struct ImportControl {
    stop: AtomicBool,
}

impl ImportControl {
    pub fn cancel(&self) {
        self.stop.store(true, Ordering::SeqCst);
    }

    /// A new run: a cancel asked before it does not stop it.
    fn start(&self) {
        self.stop.store(false, Ordering::SeqCst);
    }

    fn stopped(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }
}

/// How often progress reaches the window at most (a file's first report always does).
const PROGRESS_EVERY: Duration = Duration::from_millis(100);

/// The engine's progress callback for a run: forwards to `send` at most every
/// [`PROGRESS_EVERY`] (and at each new file), and says stop once the window cancelled.
fn progress<'a>(control: &'a ImportControl, mut send: impl FnMut(&ImportProgress) + 'a) -> impl FnMut(&ImportProgress) -> bool + 'a {
    let mut last: Option<(u32, Instant)> = None;
    move |p: &ImportProgress| {
        let due = match last {
            Some((file, at)) => file != p.file || at.elapsed() >= PROGRESS_EVERY,
            None => true,
        };
        if due {
            last = Some((p.file, Instant::now()));
            send(p);
        }
        !control.stopped()
    }
}

/// A period as the window names it: `YYYY-MM` or `YYYY-Qn`.
pub fn parse_period(s: &str) -> Result<Period, String> {
    let s = s.trim();
    if s.contains('Q') || s.contains('q') {
        Period::parse_quarter(s).map_err(|e| e.to_string())
    } else {
        Period::parse_month(s).map_err(|e| e.to_string())
    }
}

/// The manual refund as the form sends it (empty optional fields are none).
pub struct RefundForm {
    pub instance: String,
    pub date: String,
    pub amount: String,
    pub fee_returned: Option<String>,
    pub charge: Option<String>,
    pub reason: String,
}

impl RefundForm {
    fn to_engine(&self) -> NewManualRefund {
        let some = |v: &Option<String>| v.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned);
        NewManualRefund {
            instance: self.instance.trim().to_owned(),
            date: self.date.trim().to_owned(),
            amount: self.amount.trim().to_owned(),
            fee_returned: some(&self.fee_returned),
            charge: some(&self.charge),
            reason: self.reason.trim().to_owned(),
        }
    }
}

impl Session {
    /// What importing `files` in this order would do, file by file; nothing is written.
    pub fn preview_imports(
        &self,
        files: &[ImportFileRequest],
        control: &ImportControl,
        send: impl FnMut(&ImportProgress),
    ) -> Result<ImportPreview, String> {
        control.start();
        let mut on = progress(control, send);
        self.with_ledger(|l| l.preview_imports(files, &self.operator(), &mut on))
    }

    /// Imports what `preview` showed, or nothing (the error says what changed since).
    pub fn commit_imports(
        &self,
        preview: &ImportPreview,
        control: &ImportControl,
        send: impl FnMut(&ImportProgress),
    ) -> Result<Vec<ImportReport>, String> {
        control.start();
        let mut on = progress(control, send);
        self.with_ledger(|l| l.commit_imports(preview, &self.operator(), &mut on))
    }

    /// What the engine says of a manual refund, field by field; nothing is written.
    pub fn check_manual_refund(&self, form: &RefundForm) -> Result<Vec<FieldProblem>, String> {
        self.with_ledger(|l| l.check_manual_refund(&form.to_engine()))
    }

    /// Adds a manual refund, or returns its problems field by field.
    pub fn add_manual_refund(&self, form: &RefundForm) -> Result<RefundOutcome, String> {
        self.with_ledger(|l| l.add_manual_refund_checked(&form.to_engine(), &self.operator()))
    }

    /// A live manual refund (`mr-<n>`) as it was entered: what the deletion's confirmation shows.
    pub fn manual_refund(&self, id: &str) -> Result<ManualRefundInfo, String> {
        self.with_ledger(|l| l.manual_refund(id))
    }

    /// Deletes a manual refund of an open month, as the operator (audited); returns what was
    /// deleted. The engine refuses one frozen in an approved month.
    pub fn delete_manual_refund(&self, id: &str) -> Result<ManualRefundInfo, String> {
        self.with_ledger(|l| l.delete_manual_refund(id, &self.operator()))
    }

    /// The last `count` months with their totals, oldest first. Summing a dozen months of a
    /// large ledger takes seconds: it runs on its own connection (as a submission does), so the
    /// window's pages, served by the shared one, never wait for the chart.
    pub fn month_series(&self, count: u32) -> Result<Vec<MonthPoint>, String> {
        self.refused()?;
        let ledger = pl_ledger::Ledger::open(&self.db_path).map_err(|e| e.to_string())?;
        ledger.month_series(count).map_err(|e| e.to_string())
    }

    /// Writes an export of `period` (`YYYY-MM` or `YYYY-Qn`) to `path` (from the save dialog);
    /// returns the path written.
    pub fn export_csv(&self, period: &str, kind: ExportKind, path: &str, excel: bool) -> Result<String, String> {
        let period = parse_period(period)?;
        let path = path.trim();
        if path.is_empty() {
            return Err("choose where to save the export".to_owned());
        }
        self.with_ledger(|l| l.export_csv(&period, kind, Path::new(path), excel)).map(|p| p.display().to_string())
    }

    /// The file name the save dialog proposes for an export.
    pub fn export_file_name(&self, period: &str, kind: ExportKind) -> Result<String, String> {
        let period = parse_period(period)?;
        self.with_ledger(|l| l.export_file_name(&period, kind))
    }

    /// The reporting time zone (the `timezone` setting), in which the window shows dates.
    pub fn ledger_timezone(&self) -> Result<String, String> {
        self.with_ledger(|l| l.timezone().map(|tz| tz.name().to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pl_ledger::Ledger;

    fn session() -> (tempfile::TempDir, Session) {
        let dir = tempfile::tempdir().unwrap();
        let s = Session::new(dir.path().join("ledger.sqlite"), "tester".into());
        (dir, s)
    }

    fn fixture(name: &str) -> String {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/e2e/fixtures").join(name).display().to_string()
    }

    fn request(path: &str) -> ImportFileRequest {
        ImportFileRequest { path: path.into(), format: None, date_order: None }
    }

    #[test]
    fn an_import_set_is_previewed_then_committed_through_the_shell() {
        let (_d, s) = session();
        let control = ImportControl::default();
        let files = [request(&fixture("stripe_itemized_small.csv")), request(&fixture("stripe_itemized_bad_amount.csv"))];
        let mut told = Vec::new();
        let p = s.preview_imports(&files, &control, |p| told.push(p.clone())).unwrap();
        assert!(s.list_batches().unwrap().is_empty(), "a preview writes nothing");
        assert_eq!(p.files.len(), 2);
        assert!(p.files[0].importable() && !p.files[1].importable());
        assert_eq!(p.files[1].report.as_ref().unwrap().rejected[0].line, 3);
        assert!(told.iter().all(|t| t.files == 2 && !t.committing), "{told:?}");

        let r = s.commit_imports(&p, &control, |_| {}).unwrap();
        assert_eq!(r.len(), 1, "the refused file is left out");
        assert_eq!((r[0].imported, s.list_batches().unwrap().len()), (3, 1));
        // The same preview again: the ledger changed since, so nothing is written.
        let e = s.commit_imports(&p, &control, |_| {}).unwrap_err();
        assert!(e.contains("changed since the preview"), "{e}");
        assert_eq!(s.list_batches().unwrap().len(), 1);
    }

    #[test]
    fn a_cancel_stops_the_run_and_a_new_run_starts_afresh() {
        let (dir, s) = session();
        let control = ImportControl::default();
        let header = std::fs::read_to_string(fixture("stripe_itemized_small.csv")).unwrap();
        let mut lines = header.lines();
        let head = lines.next().unwrap();
        let row = lines.next().unwrap();
        let first_id = row.split(',').nth(2).unwrap().trim_matches('"').to_owned();
        let mut text = format!("{head}\n");
        for n in 0..3000 {
            text.push_str(&row.replacen(&first_id, &format!("txn_big{n:05}"), 1));
            text.push('\n');
        }
        let big = dir.path().join("big.csv");
        std::fs::write(&big, text).unwrap();
        let files = [request(&big.display().to_string())];
        let e = s.preview_imports(&files, &control, |_| control.cancel()).unwrap_err();
        assert!(e.contains("cancelled"), "{e}");
        // The next run is not stopped by the old cancel.
        let p = s.preview_imports(&files, &control, |_| {}).unwrap();
        assert_eq!(p.files[0].report.as_ref().unwrap().imported, 3000, "{:?}", p.files[0]);
    }

    #[test]
    fn the_refund_form_reaches_the_engine_and_its_problems_come_back_by_field() {
        let (_d, s) = session();
        let control = ImportControl::default();
        let p = s.preview_imports(&[request(&fixture("stripe_itemized_small.csv"))], &control, |_| {}).unwrap();
        s.commit_imports(&p, &control, |_| {}).unwrap();
        let form = RefundForm {
            instance: "6f1c2a9e-3b4d-4e8a-9c1f-2d7b8e0a5c31".into(),
            date: "2026-10-05".into(),
            amount: "0".into(),
            fee_returned: Some("  ".into()),
            charge: Some("".into()),
            reason: "goodwill".into(),
        };
        let p = s.check_manual_refund(&form).unwrap();
        assert_eq!(p.iter().map(|p| p.field).collect::<Vec<_>>(), vec![pl_ledger::RefundField::Amount], "{p:?}");
        let ok = RefundForm { amount: "5.00".into(), ..form };
        assert!(s.check_manual_refund(&ok).unwrap().is_empty());
        match s.add_manual_refund(&ok).unwrap() {
            RefundOutcome::Added { refund } => assert_eq!((refund.amount.as_str(), refund.fee_returned.as_str(), refund.charge), ("5.00", "0.00", None)),
            other => panic!("{other:?}"),
        }
        // The three charges and the refund, none with a rate yet: four exceptions in October.
        let series = s.month_series(12).unwrap();
        assert_eq!(series.iter().map(|p| p.month.as_str()).collect::<Vec<_>>(), vec!["2026-10"]);
        assert_eq!(series[0].exceptions, 4, "{series:?}");
    }

    #[test]
    fn a_manual_refund_is_deleted_through_the_shell_as_the_operator() {
        let (_d, s) = session();
        Ledger::open(s.db_path()).unwrap().add_rate("2020-01-01", "20", None, "t").unwrap();
        let control = ImportControl::default();
        let p = s.preview_imports(&[request(&fixture("stripe_itemized_small.csv"))], &control, |_| {}).unwrap();
        s.commit_imports(&p, &control, |_| {}).unwrap();
        let form = RefundForm {
            instance: "6f1c2a9e-3b4d-4e8a-9c1f-2d7b8e0a5c31".into(),
            date: "2026-10-05".into(),
            amount: "5.00".into(),
            fee_returned: None,
            charge: None,
            reason: "entered twice".into(),
        };
        let RefundOutcome::Added { refund } = s.add_manual_refund(&form).unwrap() else { panic!("refused") };
        let before = s.month_summary("2026-10").unwrap();
        assert!(before.refunds >= 1, "{before:?}");
        assert_eq!(s.manual_refund(&refund.id).unwrap().reason, "entered twice");
        assert_eq!(s.delete_manual_refund(&refund.id).unwrap(), refund);
        // The summary the window asks for next is the ledger's as it is now.
        let after = s.month_summary("2026-10").unwrap();
        assert_eq!((after.refunds, after.totals.events), (before.refunds - 1, before.totals.events - 1));
        let l = Ledger::open(s.db_path()).unwrap();
        let entry = l.audit_log().unwrap().into_iter().find(|a| a.action == "manual_refund.delete").expect("audited");
        assert_eq!(entry.who, "tester", "the operator of the session");
        // The engine's words come back as the error.
        assert!(s.delete_manual_refund(&refund.id).unwrap_err().contains("already deleted"));
        assert!(s.manual_refund("x").unwrap_err().contains("not a manual refund id"));
    }

    #[test]
    fn exports_go_to_the_chosen_path_and_the_time_zone_is_the_settings() {
        let (dir, s) = session();
        assert_eq!(s.ledger_timezone().unwrap(), "UTC");
        {
            let mut l = Ledger::open(s.db_path()).unwrap();
            l.set_setting("timezone", "Europe/Berlin", "t").unwrap();
            l.set_app("9a1b2c3d-0000-4000-8000-00000000a001", "Acme Forms", "t").unwrap();
            l.add_rate("2020-01-01", "20", None, "t").unwrap();
        }
        assert_eq!(s.ledger_timezone().unwrap(), "Europe/Berlin");
        let control = ImportControl::default();
        let p = s.preview_imports(&[request(&fixture("stripe_itemized_small.csv"))], &control, |_| {}).unwrap();
        s.commit_imports(&p, &control, |_| {}).unwrap();
        assert_eq!(s.export_file_name("2026-10", ExportKind::Wix).unwrap(), "Acme Forms Billing Report - October 2026.csv");
        assert_eq!(s.export_file_name(" 2026-Q4 ", ExportKind::Wix).unwrap(), "Acme Forms Billing Report - Q4 2026.csv");
        let target = dir.path().join("out.csv");
        let written = s.export_csv("2026-10", ExportKind::Events, &target.display().to_string(), false).unwrap();
        let text = std::fs::read_to_string(&written).unwrap();
        assert_eq!(text.lines().count(), 4, "a header and three events: {text}");
        assert!(s.export_csv("2026-10", ExportKind::Wix, " ", false).unwrap_err().contains("choose where"));
        assert!(s.export_csv("October", ExportKind::Wix, &target.display().to_string(), false).unwrap_err().contains("YYYY-MM"));
        assert!(parse_period("2026-Q5").is_err());
    }
}
