//! The import batches: `batches` (one row per imported file), `batch_files` (each file's bytes,
//! in chunks, a chunk another file holds stored as a reference to it) and `batch_records` (the
//! record hashes of the rows a batch added, in blobs of 16-byte little-endian hashes).
use rusqlite::{params, Connection, OptionalExtension};

use crate::{BatchSummary, Result};

const BATCH_SELECT: &str = "SELECT id, file_name, sha256, format, imported_at, imported_by, rows_read, imported, \
     duplicates, skipped, undone_at, sent, unclassified FROM batches";

fn batch_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<BatchSummary> {
    Ok(BatchSummary {
        id: r.get(0)?,
        file_name: r.get(1)?,
        sha256: r.get(2)?,
        format: r.get(3)?,
        imported_at: r.get(4)?,
        imported_by: r.get(5)?,
        rows_read: r.get(6)?,
        imported: r.get(7)?,
        duplicates: r.get(8)?,
        skipped: r.get(9)?,
        sent: r.get(11)?,
        unclassified: r.get(12)?,
        undone_at: r.get(10)?,
    })
}

/// Batch `id`, if there is one.
pub(crate) fn get(conn: &Connection, id: i64) -> Result<Option<BatchSummary>> {
    Ok(conn.query_row(&format!("{BATCH_SELECT} WHERE id = ?1"), [id], batch_from_row).optional()?)
}

/// Every batch, newest first.
pub(crate) fn list(conn: &Connection) -> Result<Vec<BatchSummary>> {
    let mut stmt = conn.prepare(&format!("{BATCH_SELECT} ORDER BY id DESC"))?;
    let rows = stmt.query_map([], batch_from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Starts a batch for file `file_name`, imported `at` by `by`, with nothing counted yet; its id.
pub(crate) fn start(conn: &Connection, file_name: &str, at: &str, by: &str) -> Result<i64> {
    conn.execute(
        "INSERT INTO batches (file_name, sha256, format, imported_at, imported_by, rows_read, imported, duplicates, skipped) \
         VALUES (?1, '', '', ?2, ?3, 0, 0, 0, 0)",
        params![file_name, at, by],
    )?;
    Ok(conn.last_insert_rowid())
}

/// Sets the format batch `id`'s file was read as.
pub(crate) fn set_format(conn: &Connection, id: i64, format: &str) -> Result<()> {
    conn.execute("UPDATE batches SET format = ?2 WHERE id = ?1", params![id, format])?;
    Ok(())
}

/// What an import found in a batch's file, written when the batch is complete.
pub(crate) struct BatchCounts<'a> {
    pub sha256: &'a str,
    pub format: &'a str,
    pub rows_read: u32,
    pub imported: u32,
    pub duplicates: u32,
    pub skipped: u32,
    pub sent: u32,
    pub unclassified: u32,
    /// The batch's rows: `txns` ids `first_txn..=last_txn`.
    pub first_txn: Option<i64>,
    pub last_txn: i64,
}

/// Completes batch `id` with what its import found.
pub(crate) fn finish(conn: &Connection, id: i64, c: &BatchCounts<'_>) -> Result<()> {
    conn.execute(
        "UPDATE batches SET sha256 = ?2, format = ?3, rows_read = ?4, imported = ?5, duplicates = ?6, skipped = ?7, \
         first_txn = ?8, last_txn = ?9, sent = ?10, unclassified = ?11 WHERE id = ?1",
        params![id, c.sha256, c.format, c.rows_read, c.imported, c.duplicates, c.skipped, c.first_txn, c.last_txn, c.sent, c.unclassified],
    )?;
    Ok(())
}

/// The `txns` id range of batch `id`'s rows (`first_txn`, `last_txn`; none for a batch that
/// added no row).
pub(crate) fn txn_range(conn: &Connection, id: i64) -> Result<(Option<i64>, Option<i64>)> {
    Ok(conn.query_row("SELECT first_txn, last_txn FROM batches WHERE id = ?1", [id], |r| Ok((r.get(0)?, r.get(1)?)))?)
}

/// Marks batch `id` undone `at` by `by`.
pub(crate) fn set_undone(conn: &Connection, id: i64, at: &str, by: &str) -> Result<()> {
    conn.execute("UPDATE batches SET undone_at = ?2, undone_by = ?3 WHERE id = ?1", params![id, at, by])?;
    Ok(())
}

/// A live batch of a Stripe format that took every row of a file with SHA-256 `sha` (and read
/// at least one): its format and rows read (the first such batch).
pub(crate) fn complete_stripe_batch_of(conn: &Connection, sha: &str) -> Result<Option<(String, u32)>> {
    Ok(conn
        .query_row(
            "SELECT format, rows_read FROM batches WHERE sha256 = ?1 AND undone_at IS NULL AND rows_read > 0 \
             AND imported + skipped + sent + unclassified = rows_read AND format IN ('stripe-itemized', 'stripe-balance') ORDER BY id LIMIT 1",
            [sha],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?)
}

/// Whether any live batch of a Stripe format took every row of its file.
pub(crate) fn any_complete_stripe_batch(conn: &Connection) -> Result<bool> {
    Ok(conn
        .query_row(
            "SELECT 1 FROM batches WHERE undone_at IS NULL AND rows_read > 0 AND imported + skipped + sent + unclassified = rows_read \
             AND format IN ('stripe-itemized', 'stripe-balance') LIMIT 1",
            [],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}

// ---- batch_files --------------------------------------------------------------------------

/// The chunk hashes of every stored file (undone batches keep their files too), as stored
/// (16 bytes, little-endian); a hash of another length is left out.
pub(crate) fn stored_chunk_hashes(conn: &Connection) -> Result<std::collections::HashSet<u128>> {
    let mut stmt = conn.prepare("SELECT chunk_hash FROM batch_files WHERE chunk_hash IS NOT NULL AND same_batch IS NULL")?;
    let mut rows = stmt.query([])?;
    let mut set = std::collections::HashSet::new();
    while let Some(r) = rows.next()? {
        if let Ok(bytes) = <[u8; 16]>::try_from(r.get_ref(0)?.as_blob()?) {
            set.insert(u128::from_le_bytes(bytes));
        }
    }
    Ok(set)
}

/// The first stored chunk with hash `hash` whose stored bytes (as kept: compressed) `same`
/// accepts, as (batch id, seq).
pub(crate) fn find_chunk(conn: &Connection, hash: u128, mut same: impl FnMut(&[u8]) -> bool) -> Result<Option<(i64, i64)>> {
    let mut stmt = conn.prepare_cached("SELECT batch_id, seq, data FROM batch_files WHERE chunk_hash = ?1 AND same_batch IS NULL")?;
    let mut rows = stmt.query([&hash.to_le_bytes()[..]])?;
    while let Some(r) = rows.next()? {
        if r.get_ref(2)?.as_blob().ok().is_some_and(&mut same) {
            return Ok(Some((r.get(0)?, r.get(1)?)));
        }
    }
    Ok(None)
}

/// Stores chunk `seq` of batch `batch_id`'s file as a reference to chunk `same_seq` of batch
/// `same_batch`, which holds the same bytes.
pub(crate) fn add_chunk_ref(conn: &Connection, batch_id: i64, seq: i64, same_batch: i64, same_seq: i64) -> Result<()> {
    conn.prepare_cached("INSERT INTO batch_files (batch_id, seq, data, same_batch, same_seq) VALUES (?1, ?2, X'', ?3, ?4)")?
        .execute(params![batch_id, seq, same_batch, same_seq])?;
    Ok(())
}

/// Stores chunk `seq` of batch `batch_id`'s file: its bytes as kept (`data`) and the hash of
/// its content.
pub(crate) fn add_chunk(conn: &Connection, batch_id: i64, seq: i64, data: &[u8], hash: u128) -> Result<()> {
    conn.prepare_cached("INSERT INTO batch_files (batch_id, seq, data, chunk_hash) VALUES (?1, ?2, ?3, ?4)")?
        .execute(params![batch_id, seq, data, &hash.to_le_bytes()[..]])?;
    Ok(())
}

/// A chunk of a stored file, as [`for_each_chunk`] gives it.
pub(crate) enum StoredChunk<'a> {
    /// Its bytes as kept.
    Data(&'a [u8]),
    /// Chunk `seq` of batch `batch` holds its bytes (see [`chunk_data`]).
    Same { batch: i64, seq: i64 },
}

/// Batch `id`'s stored file chunk by chunk, in order.
pub(crate) fn for_each_chunk(conn: &Connection, id: i64, mut f: impl FnMut(StoredChunk<'_>) -> Result<()>) -> Result<()> {
    let mut stmt = conn.prepare("SELECT data, same_batch, same_seq FROM batch_files WHERE batch_id = ?1 ORDER BY seq")?;
    let mut rows = stmt.query([id])?;
    while let Some(r) = rows.next()? {
        match (r.get::<_, Option<i64>>(1)?, r.get::<_, Option<i64>>(2)?) {
            (Some(batch), Some(seq)) => f(StoredChunk::Same { batch, seq })?,
            _ => f(StoredChunk::Data(r.get_ref(0)?.as_blob()?))?,
        }
    }
    Ok(())
}

/// The bytes (as kept) of chunk `seq` of batch `batch`, when that batch holds them itself.
pub(crate) fn chunk_data(conn: &Connection, batch: i64, seq: i64) -> Result<Option<Vec<u8>>> {
    Ok(conn
        .prepare_cached("SELECT data FROM batch_files WHERE batch_id = ?1 AND seq = ?2 AND same_batch IS NULL")?
        .query_row([batch, seq], |r| r.get(0))
        .optional()?)
}

// ---- batch_records ------------------------------------------------------------------------

/// Stores block `seq` of batch `batch_id`'s record hashes.
pub(crate) fn add_records(conn: &Connection, batch_id: i64, seq: i64, hashes: &[u8]) -> Result<()> {
    conn.prepare_cached("INSERT INTO batch_records (batch_id, seq, hashes) VALUES (?1, ?2, ?3)")?.execute(params![batch_id, seq, hashes])?;
    Ok(())
}

/// How many record hashes the live batches hold.
pub(crate) fn live_record_count(conn: &Connection) -> Result<usize> {
    let n: i64 = conn.query_row(
        "SELECT coalesce(sum(length(r.hashes)) / 16, 0) FROM batch_records r JOIN batches b ON b.id = r.batch_id \
         WHERE b.undone_at IS NULL",
        [],
        |r| r.get(0),
    )?;
    Ok(usize::try_from(n).unwrap_or(0))
}

/// The live batches' blocks of record hashes, each given to `f` until it returns `false`.
pub(crate) fn for_each_live_records(conn: &Connection, mut f: impl FnMut(&[u8]) -> bool) -> Result<()> {
    let mut stmt = conn.prepare("SELECT r.hashes FROM batch_records r JOIN batches b ON b.id = r.batch_id WHERE b.undone_at IS NULL")?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        if !f(r.get_ref(0)?.as_blob()?) {
            break;
        }
    }
    Ok(())
}
