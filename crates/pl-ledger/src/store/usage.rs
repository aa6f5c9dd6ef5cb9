//! Metered usage (`usage`, SPEC §9) and the bearer tokens of `POST /v1/usage`
//! (`ingestion_tokens`, stored as SHA-256 only).
use rusqlite::{params, Connection, OptionalExtension};

use crate::Result;

/// A usage row as stored, for the duplicate/conflict check of an id seen again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Stored {
    pub instance_id: String,
    pub occurred_at: String,
    pub metric: String,
    pub quantity: String,
}

/// The row stored under the vendor's `id`, if any.
pub(crate) fn by_id(conn: &Connection, id: &str) -> Result<Option<Stored>> {
    Ok(conn
        .prepare_cached("SELECT instance_id, occurred_at, metric, quantity FROM usage WHERE id = ?1")?
        .query_row([id], |r| Ok(Stored { instance_id: r.get(0)?, occurred_at: r.get(1)?, metric: r.get(2)?, quantity: r.get(3)? }))
        .optional()?)
}

/// A new usage row (its values already checked by the domain).
pub(crate) struct NewUsage<'a> {
    pub id: &'a str,
    pub instance_id: &'a str,
    pub occurred_at: &'a str,
    pub occurred_ms: i64,
    pub metric: &'a str,
    pub quantity: &'a str,
}

pub(crate) fn insert(conn: &Connection, row: &NewUsage<'_>, received_at: &str, source: &str) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO usage (id, instance_id, occurred_at, occurred_ms, metric, quantity, received_at, source) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![row.id, row.instance_id, row.occurred_at, row.occurred_ms, row.metric, row.quantity, received_at, source])?;
    Ok(())
}

/// A row of an instance's usage not consumed by a frozen answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Open {
    pub seq: i64,
    pub occurred_ms: i64,
    pub metric: String,
    pub quantity: String,
}

const OPEN_IN_PERIOD: &str = "SELECT rowid, occurred_ms, metric, quantity FROM usage INDEXED BY usage_open \
     WHERE instance_id = ?1 AND occurred_ms >= ?2 AND occurred_ms < ?3 AND answer_id IS NULL ORDER BY occurred_ms";

/// The instance's open usage in `[start_ms, end_ms)`, by time (read from the covering index
/// `usage_open` alone).
pub(crate) fn open_in_period(conn: &Connection, instance: &str, start_ms: i64, end_ms: i64) -> Result<Vec<Open>> {
    let mut stmt = conn.prepare_cached(OPEN_IN_PERIOD)?;
    let rows = stmt.query_map(params![instance, start_ms, end_ms], |r| {
        Ok(Open { seq: r.get(0)?, occurred_ms: r.get(1)?, metric: r.get(2)?, quantity: r.get(3)? })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Marks the instance's open usage in `[start_ms, end_ms)` (the rows [`open_in_period`] read)
/// as consumed by a frozen answer, in one statement through `usage_open`; returns how many.
pub(crate) fn consume(conn: &Connection, instance: &str, start_ms: i64, end_ms: i64, answer_id: i64) -> Result<u64> {
    let n = conn
        .prepare_cached(
            "UPDATE usage INDEXED BY usage_open SET answer_id = ?4 \
             WHERE instance_id = ?1 AND occurred_ms >= ?2 AND occurred_ms < ?3 AND answer_id IS NULL",
        )?
        .execute(params![instance, start_ms, end_ms, answer_id])?;
    Ok(u64::try_from(n).unwrap_or(u64::MAX))
}

/// Releases the rows an answer consumed (the answer was rejected); returns how many.
pub(crate) fn release(conn: &Connection, answer_id: i64) -> Result<u32> {
    let n = conn.prepare_cached("UPDATE usage SET answer_id = NULL WHERE answer_id = ?1")?.execute([answer_id])?;
    Ok(u32::try_from(n).unwrap_or(u32::MAX))
}

/// Usage rows in the ledger: (all, not yet consumed).
pub(crate) fn counts(conn: &Connection) -> Result<(u64, u64)> {
    Ok(conn.query_row("SELECT count(*), count(*) FILTER (WHERE answer_id IS NULL) FROM usage", [], |r| {
        Ok((r.get::<_, i64>(0)?.max(0) as u64, r.get::<_, i64>(1)?.max(0) as u64))
    })?)
}

/// Stores a new ingestion token's hash.
pub(crate) fn add_token(conn: &Connection, sha256: &str, hint: &str, at: &str, by: &str) -> Result<()> {
    conn.execute("INSERT INTO ingestion_tokens (sha256, hint, created_at, created_by) VALUES (?1, ?2, ?3, ?4)", params![sha256, hint, at, by])?;
    Ok(())
}

/// Whether a live (not revoked) token has this hash.
pub(crate) fn token_known(conn: &Connection, sha256: &str) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM ingestion_tokens WHERE sha256 = ?1 AND revoked_at IS NULL")?
        .query_row([sha256], |_| Ok(()))
        .optional()?
        .is_some())
}

/// The provider's writer copies the WAL back into the file (a checkpoint) each time it holds
/// this many pages (4 MiB), instead of SQLite's 1,000 (16 MiB): the calls of the batch that
/// checkpoints wait for it, so its length is the tail of CREATE_INVOICE's latency. Measured
/// on the benchmark (10,000 freezes, quiet machine): 250 pages, 3,960 calls/s and p99 8.3 ms;
/// 1,000 pages, 4,280 calls/s and p99 15.2 ms; 4,000 pages, 5,110 calls/s and p99 31 ms.
const WRITER_CHECKPOINT_PAGES: i64 = 256;

/// The provider's writer runs every job in a savepoint, and a savepoint copies each page it
/// changes first (16 KiB) to a sub-journal: kept in memory, not in a temporary file (a quarter
/// of the writer's time went to writing that file). A crash loses nothing by it: the
/// sub-journal only serves to roll a savepoint back within the transaction.
pub(crate) fn tune_writer(conn: &Connection) -> Result<()> {
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    conn.pragma_update(None, "wal_autocheckpoint", WRITER_CHECKPOINT_PAGES)?;
    stable_plans(conn)
}

/// SQLite's planner marks a statement whose plan could depend on a bound value (`x = ?1` as a
/// filter: is it 0 or 1?), and rusqlite's statement cache clears the bindings of each statement
/// it takes back, which makes SQLite prepare a marked statement again at its next use (6 % of
/// the writer's time; the readers paid it too). The plans here never depend on bound values
/// (the ledger keeps no `sqlite_stat4` samples): the query planner stability guarantee costs
/// nothing and stops that.
fn stable_plans(conn: &Connection) -> Result<()> {
    conn.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
    Ok(())
}

/// A read connection of the provider maps the file (up to 1 GiB): ListCharges reads a few
/// pages of `usage_open` at random per call, and mapped pages cost no system call.
pub(crate) fn tune_reader(conn: &Connection) -> Result<()> {
    conn.pragma_update(None, "mmap_size", 1i64 << 30)?;
    stable_plans(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The provider's connections prepare each statement once: a statement SQLite marks as
    /// depending on its bound values is prepared again at each use, since rusqlite's statement
    /// cache clears the bindings of every statement it takes back.
    #[test]
    fn the_provider_writer_keeps_savepoints_in_memory_and_checkpoints_little_and_often() {
        let dir = tempfile::tempdir().unwrap();
        let writer = crate::db::open(&dir.path().join("ledger.sqlite")).unwrap();
        tune_writer(&writer).unwrap();
        let temp_store: i64 = writer.pragma_query_value(None, "temp_store", |r| r.get(0)).unwrap();
        assert_eq!(temp_store, 2, "MEMORY");
        let pages: i64 = writer.pragma_query_value(None, "wal_autocheckpoint", |r| r.get(0)).unwrap();
        assert_eq!(pages, WRITER_CHECKPOINT_PAGES);
    }

    #[test]
    fn the_provider_connections_reuse_their_statements() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ledger.sqlite");
        let writer = crate::db::open(&path).unwrap();
        tune_writer(&writer).unwrap();
        let reader = crate::db::open_reader(&path).unwrap();
        tune_reader(&reader).unwrap();
        for conn in [&writer, &reader] {
            for i in 0..3 {
                open_in_period(conn, &format!("6f1c2a9e-3b4d-4e8a-9c1f-2d7b8e0a5c3{i}"), i, 100 + i).unwrap();
            }
            let stmt = conn.prepare_cached(OPEN_IN_PERIOD).unwrap();
            assert_eq!(stmt.get_status(rusqlite::StatementStatus::RePrepare), 0);
        }
    }
}
