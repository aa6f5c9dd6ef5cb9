//! The engine: SQLite store with migrations, import batches, instance resolution, months,
//! reports and the outbox. Never depends on Tauri; the CLI and the desktop shell both call it.
// Unsafe code is refused everywhere but `raw` (SQLite's C API), allowed by name below.
#![deny(unsafe_code)]

mod audit;
mod audit_view;
mod calendar;
mod classify;
pub mod credentials;
pub mod db;
mod error;
mod events;
mod exceptions;
mod frozen;
pub mod export;
mod import;
pub mod mappings;
mod import_set;
pub mod kinds;
#[allow(unsafe_code)]
mod raw;
mod record;
pub mod months;
pub mod outbox;
mod outbox_types;
mod refunds;
pub mod report;
pub mod resolve;
pub mod rules;
mod schedule;
pub mod settings;
mod store;
mod ledger;
pub mod types;
// Custom Charges (SPEC §9): vocabulary, usage, plans and limits, the answer, the provider's access.
mod charges_types;
mod usage;
pub mod plans;
pub mod charges;
pub mod provider;
pub use charges_types::*;

pub use error::{Error, Result, BUSY_MESSAGE};
pub use import::{duplicate_floor, Floor};
pub use pl_import::DateOrder;
pub use refunds::NewManualRefund;
pub use outbox::{OutboxEntry, Resolution, StateCounts, SubmitLock, SubmitOptions, SubmitProgress, SubmitReport};
pub use report::Period;
pub use schedule::FxImportReport;
pub use ledger::{Ledger, APP_IDENTIFIER};
pub use types::*;

/// Now, as stored: RFC 3339 in UTC with whole seconds.
pub(crate) fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The operator's name for the audit log when `--by` does not give one: the OS user.
pub fn os_user() -> String {
    std::env::var("USER").or_else(|_| std::env::var("USERNAME")).unwrap_or_else(|_| "unknown".into())
}
