//! `partner-ledger`: the command line over the engine (SPEC §8). Scripts and acceptance checks
//! drive it; every command takes `--json`. Exit 0 on success, 1 on a refused or failed
//! operation (the reason on stderr), 2 on bad usage.
mod cli;

fn main() {
    std::process::exit(cli::run());
}
