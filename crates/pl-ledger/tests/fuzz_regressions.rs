//! Every input the fuzzer found a crash with (`fuzz/regressions/<target>/`, see scripts/fuzz.sh)
//! replayed through the code of the `ledger` fuzz target (`fuzz/src/ledger.rs`, included here):
//! imported into a fresh ledger, then the month reports, exceptions, approval and exports. The
//! importer targets' inputs are replayed here too (the ledger imports them through its own path).
//! None may panic.
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;

#[path = "../../../fuzz/src/ledger.rs"]
mod ledger;

fn regressions(target: &str) -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/regressions").join(target);
    let Ok(entries) = std::fs::read_dir(&dir) else { return Vec::new() };
    let mut files: Vec<PathBuf> = entries.map(|e| e.expect("a readable folder").path()).filter(|p| p.is_file()).collect();
    files.sort();
    files
}

/// Replays the targets' kept inputs through the ledger; fails naming every input that panicked.
fn replay(targets: &[&str]) {
    let dir = tempfile::tempdir().expect("a temp dir");
    let bench = ledger::Bench::new(dir.path());
    let panicked: Vec<String> = targets
        .iter()
        .flat_map(|t| regressions(t))
        .filter(|p| {
            let data = std::fs::read(p).expect("a readable input");
            catch_unwind(AssertUnwindSafe(|| bench.run(&data))).is_err()
        })
        .map(|p| p.display().to_string())
        .collect();
    assert!(panicked.is_empty(), "these fuzz inputs still panic the ledger: {panicked:#?}");
}

#[test]
fn ledger_fuzz_regressions_do_not_panic() {
    replay(&["ledger"]);
}

#[test]
fn importer_fuzz_regressions_do_not_panic_the_ledger() {
    replay(&["stripe_itemized", "stripe_balance", "paypal_activity", "mapped", "detect"]);
}

/// The replay itself reaches the month: the itemized sample imports, and its month is reported
/// and approved through it (the template ledger has an app id and a rate).
#[test]
fn the_replay_reaches_the_approval_of_a_sample_month() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let bench = ledger::Bench::new(dir.path());
    let samples = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/samples");
    bench.run(&std::fs::read(samples.join("stripe_payout_reconciliation_itemized.csv")).expect("a sample"));
    let l = pl_ledger::Ledger::open(&dir.path().join("ledger.sqlite")).expect("the replay's ledger");
    let audit: Vec<String> = l.audit_log().expect("the audit log").into_iter().map(|a| a.action).collect();
    assert!(audit.iter().any(|a| a == "month.approve"), "the sample month was approved: {audit:?}");
}
