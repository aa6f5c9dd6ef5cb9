//! What each fuzz target does with one input. The modules are plain Rust over the public APIs so
//! that the regression tests of the crates replay the kept crash inputs through exactly the same
//! code (`crates/pl-import/tests/fuzz_regressions.rs` and `crates/pl-ledger/tests/fuzz_regressions.rs`
//! include these files with `#[path]`). `mutator` is the CSV-aware mutator every target uses.
pub mod importer;
pub mod ledger;
pub mod mutator;
