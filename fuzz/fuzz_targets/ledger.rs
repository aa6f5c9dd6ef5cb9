#![no_main]
//! Import, report, approval and exports over arbitrary bytes (see `partner_ledger_fuzz::ledger`).
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use partner_ledger_fuzz::ledger::Bench;

static BENCH: OnceLock<Bench> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    // One folder per fuzzing process (several run side by side on one corpus).
    let bench = BENCH.get_or_init(|| Bench::new(&std::env::temp_dir().join(format!("pl-fuzz-ledger-{}", std::process::id()))));
    bench.run(data);
});
