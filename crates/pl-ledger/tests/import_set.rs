//! The window's import set: a preview of several files that writes nothing, then a commit that
//! writes exactly what the preview showed or nothing at all.
mod common;

use common::*;
use pl_ledger::{ImportFileRequest, ImportPreview, ImportProgress};

fn request(path: &std::path::Path) -> ImportFileRequest {
    ImportFileRequest { path: path.display().to_string(), format: None, date_order: None }
}

fn preview(env: &mut Env, files: &[ImportFileRequest]) -> ImportPreview {
    env.ledger.preview_imports(files, "test", &mut |_| true).unwrap()
}

/// The ledger's whole content that an import could change.
fn snapshot(env: &Env) -> (Vec<String>, i64, i64, i64) {
    (
        env.live_rows(),
        env.count("SELECT count(*) FROM batches"),
        env.count("SELECT count(*) FROM batch_files"),
        env.count("SELECT count(*) FROM audit"),
    )
}

#[test]
fn a_preview_writes_nothing_and_counts_each_file_after_the_ones_before_it() {
    let mut env = Env::new();
    let before = snapshot(&env);
    let itemized = samples().join("stripe_payout_reconciliation_itemized.csv");
    let balance = samples().join("stripe_balance_history.csv");
    let p = preview(&mut env, &[request(&itemized), request(&balance)]);
    assert_eq!(snapshot(&env), before, "a preview leaves no trace");
    assert_eq!(p.files.len(), 2);
    let first = p.files[0].report.as_ref().unwrap();
    assert_eq!((first.format.as_str(), first.rows_read, first.imported, first.duplicates), ("stripe-itemized", 7, 7, 0));
    assert!(first.dry_run && first.batch_id.is_none(), "{first:?}");
    // The balance history holds the same 7 transactions and the payout: after the first file,
    // only the payout is new (the preview counts what the files before it add).
    let second = p.files[1].report.as_ref().unwrap();
    assert_eq!((second.imported, second.duplicates), (1, 7), "{second:?}");
    assert!(p.files.iter().all(|f| f.importable() && f.sha256.as_ref().is_some_and(|s| s.len() == 64)));
    assert_eq!(p.files[0].file_name, "stripe_payout_reconciliation_itemized.csv");

    // The commit writes the same, as two batches.
    let reports = env.ledger.commit_imports(&p, "test", &mut |_| true).unwrap();
    assert_eq!(reports.len(), 2);
    assert_eq!((reports[0].imported, reports[1].imported, reports[1].duplicates), (7, 1, 7));
    assert!(reports.iter().all(|r| !r.dry_run && r.batch_id.is_some()));
    let batches = env.ledger.list_batches().unwrap();
    assert_eq!(batches.len(), 2);
    assert_eq!(env.ledger.batch_file(reports[0].batch_id.unwrap()).unwrap(), std::fs::read(&itemized).unwrap(), "the batch keeps its file");
    // Each batch as a plain import of the same files would have made it.
    let mut plain = Env::new();
    plain.import(&itemized);
    plain.import(&balance);
    assert_eq!(plain.live_rows(), env.live_rows());
}

#[test]
fn a_file_changed_on_disk_since_the_preview_refuses_the_whole_commit() {
    let mut env = Env::new();
    let a = env.file("a.csv", &itemized(&[Item::charge(1, "2026-10-02 10:00:00", "29.00", "1.14", I1)]));
    let b = env.file("b.csv", &itemized(&[Item::charge(2, "2026-10-03 10:00:00", "49.00", "1.72", I2)]));
    let p = preview(&mut env, &[request(&a), request(&b)]);
    assert!(p.files.iter().all(|f| f.importable()));
    // Same counts, other content: the SHA-256 tells.
    std::fs::write(&b, itemized(&[Item::charge(2, "2026-10-03 10:00:00", "59.00", "1.72", I2)])).unwrap();
    let before = snapshot(&env);
    let e = env.ledger.commit_imports(&p, "test", &mut |_| true).unwrap_err().to_string();
    assert!(e.contains("nothing was imported") && e.contains("`b.csv` changed on disk"), "{e}");
    assert_eq!(snapshot(&env), before, "not even the first file");
}

#[test]
fn a_ledger_changed_since_the_preview_refuses_the_commit_and_says_how() {
    let mut env = Env::new();
    let a = env.file("a.csv", &itemized(&[Item::charge(1, "2026-10-02 10:00:00", "29.00", "1.14", I1), Item::charge(2, "2026-10-02 11:00:00", "9.00", "0.56", I2)]));
    let p = preview(&mut env, &[request(&a)]);
    assert_eq!(p.files[0].report.as_ref().unwrap().imported, 2);
    // Meanwhile another import brought one of its rows.
    env.import_str("other.csv", &itemized(&[Item::charge(1, "2026-10-02 10:00:00", "29.00", "1.14", I1)]));
    let before = snapshot(&env);
    let e = env.ledger.commit_imports(&p, "test", &mut |_| true).unwrap_err().to_string();
    assert!(e.contains("the ledger or a file changed since the preview"), "{e}");
    assert!(e.contains("the preview showed 2 new, 0 already in the ledger") && e.contains("now 1 new, 1 already in the ledger"), "{e}");
    assert!(!e.contains("partner-ledger") && !e.contains("--"), "the window's words: {e}");
    assert_eq!(snapshot(&env), before);
    // A new preview says what the commit will do, and the commit does it.
    let p = preview(&mut env, &[request(&a)]);
    let r = env.ledger.commit_imports(&p, "test", &mut |_| true).unwrap();
    assert_eq!((r[0].imported, r[0].duplicates), (1, 1));
}

#[test]
fn refused_and_unreadable_files_are_shown_and_left_out_of_the_commit() {
    let mut env = Env::new();
    env.import_str("first.csv", &itemized(&[Item::charge(1, "2026-10-02 10:00:00", "29.00", "1.14", I1)]));
    let good = env.file("good.csv", &itemized(&[Item::charge(2, "2026-10-03 10:00:00", "49.00", "1.72", I2)]));
    // A conflict: the ledger holds txn_c0001 with 29.00.
    let conflict = env.file("conflict.csv", &itemized(&[Item::charge(1, "2026-10-02 10:00:00", "39.00", "1.14", I1)]));
    // A bad amount.
    let mut text = itemized(&[Item::charge(4, "2026-10-02 10:00:00", "19.00", "1.14", I1)]);
    text.push_str(&Item::charge(3, "2026-10-03 10:00:00", "29.00", "1.14", I1).line().replacen("\"29.00\"", "\"12abc\"", 1));
    text.push('\n');
    let bad = env.file("bad.csv", &text);
    let missing = env.dir.path().join("missing.csv");
    let p = preview(&mut env, &[request(&conflict), request(&bad), request(&missing), request(&good)]);
    let c = p.files[0].report.as_ref().unwrap();
    assert_eq!((c.rejected.len(), p.files[0].conflicts), (1, 1), "{c:?}");
    assert!(c.rejected[0].reason.contains("conflict") && c.rejected[0].line == 2, "{:?}", c.rejected);
    let refused = p.files[1].report.as_ref().unwrap();
    assert_eq!(refused.rejected.iter().map(|r| (r.line, r.column.as_deref())).collect::<Vec<_>>(), vec![(3, Some("gross"))], "{refused:?}");
    assert_eq!(p.files[1].conflicts, 0);
    assert!(!p.files[0].importable() && !p.files[1].importable());
    let gone = &p.files[2];
    assert!(gone.report.is_none() && gone.error.as_deref().is_some_and(|e| e.contains("missing.csv")), "{gone:?}");
    assert!(p.files[3].importable());

    let before = env.live_rows().len();
    let reports = env.ledger.commit_imports(&p, "test", &mut |_| true).unwrap();
    assert_eq!(reports.len(), 1, "only the good file");
    assert_eq!(reports[0].file, good.display().to_string());
    assert_eq!(env.live_rows().len(), before + 1);

    // A preview with nothing importable commits nothing.
    let p = preview(&mut env, &[request(&bad)]);
    assert!(env.ledger.commit_imports(&p, "test", &mut |_| true).unwrap_err().to_string().contains("nothing to import"));
    assert!(env.ledger.preview_imports(&[], "test", &mut |_| true).is_err());
}

/// A PayPal export whose every date has a day of 12 or less: the file cannot say which comes first.
fn ambiguous_paypal(env: &Env) -> std::path::PathBuf {
    let header = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/e2e/fixtures/paypal_unknown_type.csv")).unwrap();
    let header = header.lines().next().unwrap();
    let row = |date: &str, id: &str| {
        format!(
            "\"{date}\",\"10:02:11\",\"PDT\",\"Acme\",\"Website Payment\",\"Completed\",\"USD\",\"49.00\",\"-1.72\",\"47.28\",\"a@x.example\",\"b@x.example\",\"{id}\",\"\",\"\",\"Pro\",\"\",\"\",\"\",\"\",\"\",\"\",\"\",\"\",\"\",\"\",\"{I1}\",\"\",\"\",\"1,049.00\",\"\",\"\",\"\",\"\",\"\",\"\",\"\",\"\",\"\",\"\",\"Credit\""
        )
    };
    env.file("paypal.csv", &format!("{header}\n{}\n{}\n", row("03/04/2026", "1AMBIG000000001"), row("05/06/2026", "1AMBIG000000002")))
}
use std::path::Path;

#[test]
fn a_file_whose_dates_cannot_decide_asks_for_its_date_order() {
    let mut env = Env::new();
    let file = ambiguous_paypal(&env);
    let p = preview(&mut env, &[request(&file)]);
    let f = &p.files[0];
    assert!(f.needs_date_order && !f.importable(), "{f:?}");
    let e = f.error.as_deref().unwrap();
    assert!(e.contains("choose the date order") && e.contains("03/04/2026"), "{e}");
    assert!(!e.contains("partner-ledger") && !e.contains("--date-order"), "the window's words: {e}");

    let order = ImportFileRequest { date_order: Some("day-first".into()), ..request(&file) };
    let p = preview(&mut env, std::slice::from_ref(&order));
    assert!(p.files[0].importable() && !p.files[0].needs_date_order, "{:?}", p.files[0]);
    env.ledger.commit_imports(&p, "test", &mut |_| true).unwrap();
    // Day first: 03/04/2026 is the 3rd of April.
    assert_eq!(env.count("SELECT count(*) FROM txns WHERE occurred_at LIKE '2026-04-03%'"), 1);

    let wrong = ImportFileRequest { date_order: Some("sideways".into()), ..request(&file) };
    let p = preview(&mut env, &[wrong]);
    assert!(p.files[0].error.as_deref().unwrap().contains("unknown date order"), "{:?}", p.files[0]);
}

#[test]
fn the_preview_lists_skipped_rows_by_reason_and_unknown_types() {
    let mut env = Env::new();
    let paypal = samples().join("paypal_activity_download.csv");
    let unknown = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/e2e/fixtures/paypal_unknown_type.csv");
    // The sample's dates are all undecidable (a US export): month first.
    let paypal = ImportFileRequest { date_order: Some("month-first".into()), ..request(&paypal) };
    let p = preview(&mut env, &[paypal, request(&unknown)]);
    let f = &p.files[0];
    let r = f.report.as_ref().unwrap_or_else(|| panic!("{f:?}"));
    assert!(r.skipped > 0, "{r:?}");
    assert_eq!(f.skipped.iter().map(|c| c.rows).sum::<u32>(), r.skipped, "{:?}", f.skipped);
    assert!(f.skipped.iter().all(|c| !c.what.is_empty()), "{:?}", f.skipped);
    let u = &p.files[1];
    assert_eq!(u.report.as_ref().unwrap().unclassified, 1);
    assert_eq!(u.unclassified_types.iter().map(|c| (c.what.as_str(), c.rows)).collect::<Vec<_>>(), vec![("General Payment", 1)]);
}

#[test]
fn progress_is_told_and_a_stop_leaves_nothing() {
    let mut env = Env::new();
    let items: Vec<Item> = (1..=2000).map(|n| Item::charge(n, "2026-10-02 10:00:00", "29.00", "1.14", I1)).collect();
    let big = env.file("big.csv", &itemized(&items));
    let small = env.file("small.csv", &itemized(&[Item::charge(5000, "2026-10-02 10:00:00", "29.00", "1.14", I2)]));
    let mut seen: Vec<ImportProgress> = Vec::new();
    let p = env.ledger.preview_imports(&[request(&small), request(&big)], "test", &mut |s| {
        seen.push(s.clone());
        true
    }).unwrap();
    assert!(seen.iter().any(|s| s.file == 1 && s.files == 2 && s.file_name == "big.csv" && s.rows >= 512 && !s.committing), "{seen:?}");
    assert!(seen.iter().all(|s| s.estimated_rows > 0));

    let before = snapshot(&env);
    let e = env.ledger.commit_imports(&p, "test", &mut |s| !(s.file == 1 && s.rows >= 1000)).unwrap_err().to_string();
    assert!(e.contains("cancelled"), "{e}");
    assert_eq!(snapshot(&env), before, "the first file of the set is not kept either");

    let mut committing = false;
    let r = env.ledger.commit_imports(&p, "test", &mut |s| {
        committing |= s.committing;
        true
    }).unwrap();
    assert!(committing);
    assert_eq!(r.iter().map(|r| r.imported).sum::<u32>(), 2001);
}

#[test]
fn the_same_file_twice_in_a_set_adds_its_rows_once() {
    let mut env = Env::new();
    let itemized = samples().join("stripe_payout_reconciliation_itemized.csv");
    // A ledger with a Stripe batch: the same file again is found by its SHA-256.
    env.import_str("x.csv", &common::itemized(&[Item::charge(1, "2026-10-02 10:00:00", "29.00", "1.14", I1)]));
    let p = preview(&mut env, &[request(&itemized), request(&itemized)]);
    let (a, b) = (p.files[0].report.as_ref().unwrap(), p.files[1].report.as_ref().unwrap());
    assert_eq!((a.imported, b.imported, b.duplicates), (7, 0, 7));
    assert_eq!(p.files[0].sha256, p.files[1].sha256);
    let r = env.ledger.commit_imports(&p, "test", &mut |_| true).unwrap();
    assert_eq!((r[0].batch_id.is_some(), r[1].batch_id), (true, None));
}
