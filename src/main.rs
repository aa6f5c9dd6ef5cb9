//! `partner-ledger`: the command line over the engine (SPEC §8). Scripts and acceptance checks
//! drive it; every command takes `--json`. Exit 0 on success, 1 on a refused or failed
//! operation (the reason on stderr), 2 on bad usage.
mod cli;

/// mimalloc: large imports allocate and free millions of small strings across threads, where
/// it is several times cheaper than the system allocator.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    std::process::exit(cli::run());
}
