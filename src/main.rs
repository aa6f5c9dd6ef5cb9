//! `partner-ledger`: the command line over the engine (SPEC §8). Scripts and acceptance checks
//! drive it; every command takes `--json`. Exit 0 on success, 1 on a refused or failed
//! operation (the reason on stderr), 2 on bad usage.
// No unsafe code in this crate (the engine's only unsafe code is pl-ledger/src/raw.rs).
#![forbid(unsafe_code)]
mod cli;

/// mimalloc: large imports allocate and free millions of small strings across threads, where
/// it is several times cheaper than the system allocator.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    // No transparent huge pages: a fault on one zeroes 2 MiB at once however little of it is
    // used, and on virtual machines fresh memory is slow to fault in. `report --json` of a
    // 1M-event month spent ~15 % of its time (0.6 s of system time) zeroing huge pages; with
    // 4 KiB pages it is ~0.2 s. Failure only keeps the default.
    #[cfg(target_os = "linux")]
    let _ = rustix::thread::disable_transparent_huge_pages(true);
    std::process::exit(cli::run());
}
