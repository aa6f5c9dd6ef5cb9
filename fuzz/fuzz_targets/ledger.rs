#![no_main]
//! Import, report, approval and exports over arbitrary bytes (see `partner_ledger_fuzz::ledger`).
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use partner_ledger_fuzz::ledger::Bench;

static BENCH: OnceLock<Bench> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    // One folder per fuzzing process (several run side by side on one corpus), in memory when
    // the system has /dev/shm: the ledger syncs every commit, which would otherwise be most of a run.
    let bench = BENCH.get_or_init(|| {
        let shm = std::path::Path::new("/dev/shm");
        let base = if shm.is_dir() { shm.to_path_buf() } else { std::env::temp_dir() };
        Bench::new(&base.join(format!("pl-fuzz-ledger-{}", std::process::id())))
    });
    bench.run(data);
});

// Cell- and record-level mutations beside libFuzzer's own (see `partner_ledger_fuzz::mutator`).
libfuzzer_sys::fuzz_mutator!(|data: &mut [u8], size: usize, max_size: usize, seed: u32| {
    partner_ledger_fuzz::mutator::mutate(data, size, max_size, seed)
});
