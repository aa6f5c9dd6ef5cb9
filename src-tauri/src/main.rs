// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]
// No unsafe code here (the engine's only unsafe code is pl-ledger/src/raw.rs).
#![deny(unsafe_code)]

/// The CLI's allocator (see src/main.rs): imports allocate millions of small strings across threads.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    partner_ledger_desktop::run();
}
