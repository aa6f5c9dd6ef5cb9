//! The store layer: every SQL statement of the engine outside `db` (open, migrations) and `raw`
//! (the C-API statements), one module per table or concern. Functions take a `&Connection` (a
//! `Transaction` derefs to one) and plain values, and return plain rows; no money rule and no
//! message beyond what SQLite said lives here. This interface is what a second backend would
//! implement (ARCHITECTURE.md, "A second store").
pub(crate) mod audit;
pub(crate) mod batches;
pub(crate) mod classify;
pub(crate) mod customers;
pub(crate) mod events;
pub(crate) mod mappings;
pub(crate) mod months;
pub(crate) mod outbox;
pub(crate) mod rates;
pub(crate) mod refunds;
pub(crate) mod scan;
pub(crate) mod settings;
pub(crate) mod txns;
// Custom Charges (SPEC §9): usage and ingestion tokens, plans and limits, frozen answers, the call log.
pub(crate) mod usage;
pub(crate) mod plans;
pub(crate) mod answers;
pub(crate) mod calls;

/// The vocabulary's words as SQLite stores them (TEXT).
impl rusqlite::types::FromSql for crate::EventState {
    fn column_result(v: rusqlite::types::ValueRef<'_>) -> rusqlite::types::FromSqlResult<Self> {
        v.as_str().map(crate::EventState::of_str)
    }
}

impl rusqlite::types::FromSql for crate::MonthStatus {
    fn column_result(v: rusqlite::types::ValueRef<'_>) -> rusqlite::types::FromSqlResult<Self> {
        v.as_str().map(crate::MonthStatus::of_str)
    }
}
