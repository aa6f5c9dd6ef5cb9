//! Opening the SQLite file and migrating it. The migrations are numbered SQL files embedded in
//! the binary; each is applied in its own transaction and bumps `PRAGMA user_version`.
use std::path::Path;

use rusqlite::Connection;

use crate::{Error, Result};

/// The migrations, in order. Migration `n` (1-based) brings the schema to version `n`.
/// Invariant: a released migration is never edited; a change is a new file.
pub const MIGRATIONS: &[(&str, &str)] = &[
    ("0001_ledger", include_str!("../migrations/0001_ledger.sql")),
    ("0002_months", include_str!("../migrations/0002_months.sql")),
    ("0003_outbox", include_str!("../migrations/0003_outbox.sql")),
    ("0004_event_rate_basis", include_str!("../migrations/0004_event_rate_basis.sql")),
    ("0005_direction", include_str!("../migrations/0005_direction.sql")),
];

/// The schema version this build writes.
pub fn latest_version() -> i64 {
    MIGRATIONS.len() as i64
}

pub(crate) fn open(path: &Path) -> Result<Connection> {
    if let Some(dir) = path.parent() {
        if !dir.as_os_str().is_empty() {
            std::fs::create_dir_all(dir).map_err(|source| Error::Io { path: dir.to_path_buf(), source })?;
        }
    }
    let conn = Connection::open(path).map_err(|source| Error::Open { path: path.to_path_buf(), source })?;
    configure(&conn).map_err(|source| Error::Open { path: path.to_path_buf(), source })?;
    migrate_to(&conn, path, latest_version())?;
    Ok(conn)
}

/// Page size of a new ledger file (SQLite fixes it at creation in WAL mode).
const PAGE_SIZE: i64 = 16384;

fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    let pages: i64 = conn.pragma_query_value(None, "page_count", |r| r.get(0))?;
    if pages == 0 {
        conn.pragma_update(None, "page_size", PAGE_SIZE)?;
    }
    conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get::<_, String>(0))?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // 32 MiB of page cache: enough for the dedup index of a large import, within the memory budget.
    conn.pragma_update(None, "cache_size", -32_000)?;
    // Large sorts (an index built after a bulk load) run as sorted runs in temporary files
    // merged by up to two helper threads: several times faster than one in-memory sort.
    conn.pragma_update(None, "threads", 2)?;
    Ok(())
}

/// Applies the migrations after the file's current version, up to `target`.
pub fn migrate_to(conn: &Connection, path: &Path, target: i64) -> Result<()> {
    let current: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if current > latest_version() {
        return Err(Error::SchemaTooNew { path: path.to_path_buf(), found: current, known: latest_version() });
    }
    for (i, (_name, sql)) in MIGRATIONS.iter().enumerate().take(target as usize).skip(current as usize) {
        let version = i as i64 + 1;
        let tx = conn.unchecked_transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", version)?;
        tx.commit()?;
    }
    Ok(())
}
