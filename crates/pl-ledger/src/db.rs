//! Opening the SQLite file and migrating it. The migrations are numbered SQL files embedded in
//! the binary; each is applied in its own transaction and bumps `PRAGMA user_version`.
//!
//! Several processes may open the same file at once (the CLI and the desktop app, or three
//! scripts on a new ledger), so opening is race-tolerant:
//! - a file with more than one name (hard link) is refused before SQLite sees it: SQLite keeps a
//!   WAL per *name*, so two names corrupt the file and defeat the submit lock (SPEC §6);
//! - the page size is set only on an empty file (a no-op once another process wrote it), and
//!   the switch to WAL waits on the busy timeout like any write;
//! - each migration takes the write lock first (`BEGIN IMMEDIATE`) and reads `user_version`
//!   again inside it, so two processes never apply the same migration;
//! - every write transaction is `IMMEDIATE` (takes the write lock when it begins), so a write
//!   that meets a busy ledger waits on the busy timeout instead of failing at its first write
//!   with a stale snapshot; after the timeout the error says in words what holds the ledger
//!   ([`crate::Error::Db`]).
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, Transaction, TransactionBehavior};

use crate::{Error, Result};

/// The migrations, in order. Migration `n` (1-based) brings the schema to version `n`.
/// Invariant: a released migration is never edited; a change is a new file.
pub const MIGRATIONS: &[(&str, &str)] = &[
    ("0001_ledger", include_str!("../migrations/0001_ledger.sql")),
    ("0002_months", include_str!("../migrations/0002_months.sql")),
    ("0003_outbox", include_str!("../migrations/0003_outbox.sql")),
    ("0004_event_rate_basis", include_str!("../migrations/0004_event_rate_basis.sql")),
    ("0005_direction", include_str!("../migrations/0005_direction.sql")),
    ("0006_frozen_app_id", include_str!("../migrations/0006_frozen_app_id.sql")),
    ("0007_record_hashes", include_str!("../migrations/0007_record_hashes.sql")),
    ("0008_events_by_month_state", include_str!("../migrations/0008_events_by_month_state.sql")),
    ("0009_events_by_position", include_str!("../migrations/0009_events_by_position.sql")),
    ("0010_custom_charges", include_str!("../migrations/0010_custom_charges.sql")),
    ("0011_charge_lines_by_answer", include_str!("../migrations/0011_charge_lines_by_answer.sql")),
];

/// How long a write waits for another process's write (an import, a submission) to finish.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

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
    refuse_second_names(path)?;
    let mut conn = Connection::open(path).map_err(|source| Error::Open { path: path.to_path_buf(), source })?;
    configure_waiting(&mut conn).map_err(|source| Error::Open { path: path.to_path_buf(), source })?;
    migrate_to(&conn, path, latest_version())?;
    // A process that created the file between our check and SQLite's open has had its say by now.
    refuse_second_names(path)?;
    Ok(conn)
}

/// Refuses a ledger file with more than one hard link (SPEC §6), naming the other names found
/// in its folder and saying how to fix it. A symlink is fine: it resolves to the one file.
pub fn refuse_second_names(path: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let Ok(meta) = std::fs::metadata(path) else { return Ok(()) };
        if meta.nlink() <= 1 || !meta.is_file() {
            return Ok(());
        }
        let real = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
        let others: Vec<PathBuf> = real
            .parent()
            .and_then(|dir| std::fs::read_dir(dir).ok())
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| *p != real)
            .filter(|p| std::fs::symlink_metadata(p).is_ok_and(|m| m.dev() == meta.dev() && m.ino() == meta.ino()))
            .collect();
        let names = if others.is_empty() {
            format!("its other name(s) are outside {} (`find / -xdev -samefile {}` lists them)", real.parent().unwrap_or(Path::new("/")).display(), real.display())
        } else {
            let list: Vec<String> = others.iter().map(|p| p.display().to_string()).collect();
            format!("the other name(s): {}", list.join(", "))
        };
        Err(Error::Refused(format!(
            "the ledger file {} has {} names (hard links); SQLite keeps a journal per name, so two names \
             corrupt the ledger and let two submissions send the same events. Remove every name but one \
             ({names}), or if you meant a separate ledger, make a real copy with `cp` instead of `ln`",
            path.display(),
            meta.nlink()
        )))
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        Ok(())
    }
}

/// Page size of a new ledger file (SQLite fixes it at creation in WAL mode).
const PAGE_SIZE: i64 = 16384;

/// [`configure`], again while another connection holds the lock it needs, up to the busy
/// timeout. Switching a new file to WAL needs the file to itself, and SQLite answers `SQLITE_BUSY`
/// at once there, without its busy handler, when another process is opening the same new file
/// (seen with six threads creating one ledger: one in two runs failed). Every step of
/// `configure` may run twice.
fn configure_waiting(conn: &mut Connection) -> rusqlite::Result<()> {
    let start = std::time::Instant::now();
    loop {
        match configure(conn) {
            Err(e) if is_busy(&e) && start.elapsed() < BUSY_TIMEOUT => std::thread::sleep(Duration::from_millis(5)),
            other => return other,
        }
    }
}

fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(e.sqlite_error_code(), Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked))
}

fn configure(conn: &mut Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    // Every `conn.transaction()` takes the write lock when it begins (see the module doc).
    conn.set_transaction_behavior(TransactionBehavior::Immediate);
    let pages: i64 = conn.pragma_query_value(None, "page_count", |r| r.get(0))?;
    if pages == 0 {
        // Ignored by SQLite when another process has written the file since we looked.
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

fn user_version(conn: &Connection) -> Result<i64> {
    Ok(conn.pragma_query_value(None, "user_version", |r| r.get(0))?)
}

/// Applies the migrations after the file's current version, up to `target`. Each one runs in
/// its own `BEGIN IMMEDIATE` transaction that reads the version again, so processes migrating
/// the same file at once apply each migration once.
pub fn migrate_to(conn: &Connection, path: &Path, target: i64) -> Result<()> {
    let too_new = |found: i64| Error::SchemaTooNew { path: path.to_path_buf(), found, known: latest_version() };
    let current = user_version(conn)?;
    if current > latest_version() {
        return Err(too_new(current));
    }
    if current >= target {
        return Ok(()); // nothing to do: no write lock taken (an import may be running)
    }
    loop {
        let tx = Transaction::new_unchecked(conn, TransactionBehavior::Immediate)?;
        let current = user_version(&tx)?;
        if current > latest_version() {
            return Err(too_new(current));
        }
        if current >= target {
            return Ok(());
        }
        let Some((_name, sql)) = usize::try_from(current).ok().and_then(|i| MIGRATIONS.get(i)) else {
            return Ok(());
        };
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", current + 1)?;
        tx.commit()?;
    }
}

/// What the ledger is now, to tell a computed view from a stale one: SQLite's `data_version`
/// (changed by any other connection's commit) and this connection's own changes.
pub(crate) fn change_stamp(conn: &Connection) -> Result<(i64, u64)> {
    let v: i64 = conn.query_row("PRAGMA data_version", [], |r| r.get(0))?;
    Ok((v, conn.total_changes()))
}

/// A read-only connection to the ledger file for one worker of a report's scan (WAL lets
/// readers run beside each other and beside the writer). No memory map: a month's scan reads
/// the file once, and mapped pages would count in the process's memory (a 1M-event month:
/// 680 MB mapped against 200 MB read, in the same time).
pub(crate) fn open_reader(path: &Path) -> Result<Connection> {
    use rusqlite::OpenFlags;
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
    conn.busy_timeout(Duration::from_secs(10))?;
    // A small page cache: the scan reads each page once (a 1M-event month: 178 MB at 8 MB a
    // reader, 225 MB at 32 MB, in the same time).
    conn.pragma_update(None, "cache_size", -8_000)?;
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    Ok(conn)
}

/// Runs `f` in one read transaction of `conn`, or in the transaction `conn` is already in: what
/// `f` reads sees one snapshot, and its statements take the file's read lock once (outside a
/// transaction each statement takes and drops it: for many small reads, most of their time).
/// Statements `f` prepares are finalized by the time it returns, before the transaction ends.
pub(crate) fn in_read<T>(conn: &Connection, f: impl FnOnce() -> Result<T>) -> Result<T> {
    if !conn.is_autocommit() {
        return f();
    }
    // Ended by its drop (a rollback, which undoes nothing of a read) when `f` fails or panics.
    let tx = Transaction::new_unchecked(conn, TransactionBehavior::Deferred)?;
    let out = f()?;
    tx.commit()?;
    Ok(out)
}
