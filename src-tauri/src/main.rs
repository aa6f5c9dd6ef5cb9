// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]
// No unsafe code here (the engine's only unsafe code is pl-ledger/src/raw.rs).
#![deny(unsafe_code)]

/// The CLI's allocator (see src/main.rs): imports allocate millions of small strings across threads.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    // `--version`, `--help` and a start without a display end here, before GTK is touched.
    // (Arguments and variables that are not UTF-8 are read lossily: they are never ours.)
    use partner_ledger_desktop::startup::{decide, Start};
    use std::io::Write;
    let args: Vec<String> = std::env::args_os().skip(1).map(|a| a.to_string_lossy().into_owned()).collect();
    match decide(&args, |k| std::env::var_os(k).map(|v| v.to_string_lossy().into_owned())) {
        Start::Window => {}
        Start::Print(text) => {
            // A closed stdout (`--version | true`) is no reason to panic.
            let _ = writeln!(std::io::stdout(), "{text}");
            return;
        }
        Start::Refuse(code, why) => {
            let _ = writeln!(std::io::stderr(), "{why}");
            std::process::exit(code);
        }
    }
    // No transparent huge pages, as in the CLI (src/main.rs): a fault on one zeroes 2 MiB at
    // once however little of it is used, and on virtual machines fresh memory is slow to fault
    // in. A 1M-event month's summary took 0.9–1.0 s in the window against 0.45–0.5 s through the
    // same calls in a process without them. Failure only keeps the default.
    #[cfg(target_os = "linux")]
    let _ = rustix::thread::disable_transparent_huge_pages(true);
    partner_ledger_desktop::run();
}
