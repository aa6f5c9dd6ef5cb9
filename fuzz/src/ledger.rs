//! One input through the ledger: imported into a fresh ledger file (an app id, a 20 % rate from
//! 2000 and the example mappings set), then, for each month it brought (at most a few), the month
//! report, the streamed report (`write_report_json`, the Wix CSV from the stream), the exceptions,
//! the approval, the Wix CSV and the other exports, and after an approval the same again and a
//! reopen. Errors are fine: only a panic is a finding.
use std::fs;
use std::path::{Path, PathBuf};

use pl_ledger::{export, ImportOptions, Ledger, Period};

const BY: &str = "fuzz";
/// The app of the template ledger.
pub const APP_ID: &str = "6f1c2a9e-3b4d-4e8a-9c1f-2d7b8e0a5c31";
/// Months of one input that go through the report and the approval (a file can spread over
/// centuries: its first months are enough, and keep every run short).
const MONTHS: usize = 3;

/// A folder holding a template ledger, copied for each input (migrating a new file for every
/// input would cost more than the rest of the run).
pub struct Bench {
    dir: PathBuf,
    template: PathBuf,
}

impl Bench {
    /// Makes `dir` (emptied of a previous run's files) and the template ledger in it. The setup is
    /// the bench's own and must work: it panics otherwise.
    pub fn new(dir: &Path) -> Bench {
        fs::create_dir_all(dir).unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
        let template = dir.join("template.sqlite");
        for p in [template.clone(), wal(&template), shm(&template)] {
            let _ = fs::remove_file(p);
        }
        {
            let mut l = Ledger::open(&template).unwrap_or_else(|e| panic!("cannot create the template ledger: {e}"));
            let step = |what: &str, r: pl_ledger::Result<()>| r.unwrap_or_else(|e| panic!("template ledger, {what}: {e}"));
            step("app", l.set_app(APP_ID, "Fuzz App", BY));
            step("rate", l.add_rate("2000-01-01", "20", None, BY).map(drop));
            for (name, text) in [
                ("paddle", include_str!("../../crates/pl-import/mappings/paddle.toml")),
                ("braintree", include_str!("../../crates/pl-import/mappings/braintree.toml")),
            ] {
                step(name, l.add_column_mapping(name, text, BY));
            }
        } // closed: the WAL is checkpointed into the file, which alone is copied
        Bench { dir: dir.to_path_buf(), template }
    }

    /// Runs one input (see the module's doc).
    pub fn run(&self, data: &[u8]) {
        let db = self.dir.join("ledger.sqlite");
        for p in [db.clone(), wal(&db), shm(&db)] {
            let _ = fs::remove_file(p);
        }
        fs::copy(&self.template, &db).unwrap_or_else(|e| panic!("cannot copy the template ledger: {e}"));
        let input = self.dir.join("input.csv");
        fs::write(&input, data).unwrap_or_else(|e| panic!("cannot write {}: {e}", input.display()));
        let mut l = Ledger::open(&db).unwrap_or_else(|e| panic!("cannot open the copied ledger: {e}"));
        let excel = data.len() % 2 == 1;
        let _ = l.import_file(&input, &ImportOptions { by: BY.into(), ..Default::default() });
        let months: Vec<String> = l.months().map(|ms| ms.into_iter().map(|m| m.month).collect()).unwrap_or_default();
        for month in months.iter().take(MONTHS) {
            let Ok(period) = Period::parse_month(month) else { continue };
            reports(&l, &period, excel);
            let _ = l.exceptions(Some(month));
            if l.approve(month, BY).is_ok() {
                reports(&l, &period, excel);
                let _ = l.reopen(month, "fuzz", BY);
            }
        }
        if let Some(Ok(q)) = months.first().and_then(|m| quarter(m)).map(|q| Period::parse_quarter(&q)) {
            reports(&l, &q, excel);
        }
        let _ = l.exceptions(None);
    }
}

/// Every way a report is computed and written, into memory.
fn reports(l: &Ledger, period: &Period, excel: bool) {
    if let Ok(r) = l.report(period) {
        if let Ok(tz) = l.timezone() {
            let _ = export::write_wix(&r, tz, Vec::new(), excel);
        }
        let _ = export::write_events(&r, Vec::new(), excel);
        let _ = export::write_instances(&r, Vec::new(), excel);
    }
    let _ = l.write_report_json(period, &mut Vec::new());
    if let Ok(s) = l.report_stream(period, true) {
        let _ = s.write_wix(Vec::new(), excel);
        let _ = s.summary();
    }
}

/// `2024-05` → `2024-Q2`.
fn quarter(month: &str) -> Option<String> {
    let (y, m) = month.split_once('-')?;
    let m: u32 = m.parse().ok()?;
    (1..=12).contains(&m).then(|| format!("{y}-Q{}", m.div_ceil(3)))
}

fn wal(db: &Path) -> PathBuf {
    with_suffix(db, "-wal")
}

fn shm(db: &Path) -> PathBuf {
    with_suffix(db, "-shm")
}

fn with_suffix(p: &Path, suffix: &str) -> PathBuf {
    let mut s = p.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}
