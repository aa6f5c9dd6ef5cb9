//! The engine: SQLite store with migrations, import batches, instance resolution, months,
//! reports and the outbox. Never depends on Tauri; the CLI and the desktop shell both call it.

mod error;
pub mod store;
pub mod types;

pub use error::{Error, Result};
pub use store::{ImportOptions, Ledger};
pub use types::*;
