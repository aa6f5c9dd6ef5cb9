//! What an approval froze: rows of an approved month do not change (SPEC §5) until the month
//! is reopened.
use rusqlite::Connection;

use crate::{store, Error, Result};

/// Refuses to undo a batch while one of its rows belongs to an approved month.
pub(crate) fn ensure_batch_undoable(conn: &Connection, batch_id: i64) -> Result<()> {
    match store::events::month_of_batch(conn, batch_id)? {
        Some(m) => Err(Error::Refused(format!(
            "batch {batch_id} has rows in approved month {m}; reopen {m} first (with a reason), then undo the batch"
        ))),
        None => Ok(()),
    }
}

/// Refuses to change a row that belongs to an approved month.
pub(crate) fn ensure_txn_editable(conn: &Connection, txn_id: i64) -> Result<()> {
    match store::events::month_of_txn(conn, txn_id)? {
        Some(m) => Err(Error::Refused(format!("row {txn_id} is part of approved month {m}; reopen {m} first"))),
        None => Ok(()),
    }
}
