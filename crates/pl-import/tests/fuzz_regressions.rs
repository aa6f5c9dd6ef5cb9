//! Every input the fuzzer found a crash with (`fuzz/regressions/<target>/`, see scripts/fuzz.sh)
//! replayed through the very code its fuzz target runs (`fuzz/src/importer.rs`, included here):
//! none may panic, and the counts the parse returns must match the rows it gave.
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;

#[path = "../../../fuzz/src/importer.rs"]
mod importer;

fn regressions(target: &str) -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/regressions").join(target);
    let Ok(entries) = std::fs::read_dir(&dir) else { return Vec::new() };
    let mut files: Vec<PathBuf> = entries.map(|e| e.expect("a readable folder").path()).filter(|p| p.is_file()).collect();
    files.sort();
    files
}

/// Replays the target's kept inputs; fails naming every input that panicked.
fn replay(target: &str) {
    let t = importer::Target::from_name(target).expect("a fuzz target's name");
    let mappings = importer::mappings();
    let panicked: Vec<String> = regressions(target)
        .into_iter()
        .filter(|p| {
            let data = std::fs::read(p).expect("a readable input");
            catch_unwind(AssertUnwindSafe(|| importer::run(t, &data, &mappings))).is_err()
        })
        .map(|p| p.display().to_string())
        .collect();
    assert!(panicked.is_empty(), "these fuzz inputs still panic ({target}): {panicked:#?}");
}

#[test]
fn stripe_itemized_fuzz_regressions_do_not_panic() {
    replay("stripe_itemized");
}

#[test]
fn stripe_balance_fuzz_regressions_do_not_panic() {
    replay("stripe_balance");
}

#[test]
fn paypal_activity_fuzz_regressions_do_not_panic() {
    replay("paypal_activity");
}

#[test]
fn mapped_fuzz_regressions_do_not_panic() {
    replay("mapped");
}

#[test]
fn detect_fuzz_regressions_do_not_panic() {
    replay("detect");
}

/// The replay itself works: the shipped samples parse through it, so a test above that replays
/// nothing still exercises a live path the day an input lands in its folder.
#[test]
fn the_replay_parses_the_samples() {
    let mappings = importer::mappings();
    let samples = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/samples");
    for name in ["stripe_payout_reconciliation_itemized.csv", "stripe_balance_history.csv", "paypal_activity_download.csv"] {
        let data = std::fs::read(samples.join(name)).expect("a sample");
        importer::run(importer::Target::Detect, &data, &mappings);
    }
}
