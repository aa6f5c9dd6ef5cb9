#![no_main]
//! The importer on arbitrary bytes (see `partner_ledger_fuzz::importer`).
use std::collections::HashMap;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use partner_ledger_fuzz::importer::{self, Target};
use pl_import::Mapping;

static MAPPINGS: OnceLock<HashMap<String, Mapping>> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    importer::run(Target::StripeBalance, data, MAPPINGS.get_or_init(importer::mappings));
});

// Cell- and record-level mutations beside libFuzzer's own (see `partner_ledger_fuzz::mutator`).
libfuzzer_sys::fuzz_mutator!(|data: &mut [u8], size: usize, max_size: usize, seed: u32| {
    partner_ledger_fuzz::mutator::mutate(data, size, max_size, seed)
});
