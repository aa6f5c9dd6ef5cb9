#![no_main]
//! The importer on arbitrary bytes (see `partner_ledger_fuzz::importer`).
use std::collections::HashMap;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use partner_ledger_fuzz::importer::{self, Target};
use pl_import::Mapping;

static MAPPINGS: OnceLock<HashMap<String, Mapping>> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    importer::run(Target::PaypalActivity, data, MAPPINGS.get_or_init(importer::mappings));
});
