//! Applying a parsed export to the ledger: one transaction per file, dedup by row key, instance
//! resolution, batches and their undo. The threads, decisions and messages are here; every
//! statement is the store's (`store::batches`, `store::txns`).
//!
//! Invariant: a file with any bad row changes nothing; a file imports whole or not at all.
use std::io::Read;
use std::path::Path;

use chrono::{DateTime, Datelike, SecondsFormat, Utc};
use pl_import::{Format, ParseOptions, Row, RowKind};
use rusqlite::Connection;
use rust_decimal::Decimal;
use sha2::{Digest, Sha256};

use crate::store::batches::{self, StoredChunk};
use crate::store::txns::{self, NewTxn, TxnWriter};
use crate::{audit, classify, now_rfc3339, resolve, settings, store, BatchSummary, Error, ImportOptions, ImportReport, RejectedRow, Result};

/// The 64-bit key of a text in the hash indexes (xxh3, stable across versions and machines).
/// Every lookup through it also compares the text itself.
pub(crate) fn key_hash(s: &str) -> i64 {
    xxhash_rust::xxh3::xxh3_64(s.as_bytes()) as i64
}

/// The fingerprint of what a file said of a row: its kind as parsed, currency, UTC date and
/// amounts (gross, fee, net, tax, by value: `10.00` and `10` are the same amount). A row key
/// seen again with another fingerprint is a conflict (SPEC §2). Kinds the operator set later (a
/// classification, a promoted refund candidate) are not in it: the row is fingerprinted as the
/// file gave it. The date is the day, not the second: a file re-saved by Excel loses seconds.
pub(crate) fn fingerprint(kind: &str, currency: &str, day: i32, amounts: [Decimal; 4]) -> i64 {
    // One call on a stack buffer (this runs for every row of every import); texts longer than
    // it allows (a currency cell of a mapped file can be anything) take the streaming hasher.
    const FIXED: usize = 2 + 4 + 4 * 16;
    let mut buf = [0u8; 128];
    if FIXED + kind.len() + currency.len() > buf.len() {
        let mut h = xxhash_rust::xxh3::Xxh3::new();
        h.update(&(kind.len() as u64).to_le_bytes());
        h.update(&(currency.len() as u64).to_le_bytes());
        for part in [kind.as_bytes(), currency.as_bytes(), &day.to_le_bytes()] {
            h.update(part);
        }
        for a in amounts {
            h.update(&a.normalize().serialize());
        }
        return h.digest() as i64;
    }
    let mut n = 0;
    let mut put = |bytes: &[u8]| {
        buf[n..n + bytes.len()].copy_from_slice(bytes);
        n += bytes.len();
    };
    put(&[kind.len() as u8, currency.len() as u8]);
    put(kind.as_bytes());
    put(currency.as_bytes());
    put(&day.to_le_bytes());
    for a in amounts {
        put(&a.normalize().serialize());
    }
    xxhash_rust::xxh3::xxh3_64(&buf[..n]) as i64
}

/// The day of a row's instant, as [`fingerprint`] takes it.
fn day_of(at: DateTime<Utc>) -> i32 {
    at.date_naive().num_days_from_ce()
}

/// The live row keys of a bulk load, in memory while the dedup index is dropped: each 64-bit key
/// hash with the id of its row, so a hit is checked against the row's text (a duplicate, or a
/// hash collision, which refuses the import as the index path does). Open addressing with linear
/// probing over uniformly distributed hashes; 12 bytes a slot, sized once from the ledger's rows
/// and an estimate of the file's, grown by doubling when the estimate was short.
struct KeySet {
    keys: Vec<u64>,
    /// Row ids; 0 is an empty slot (row ids start at 1).
    ids: Vec<u32>,
    len: usize,
}

impl KeySet {
    fn with_capacity(n: usize) -> KeySet {
        let slots = (n + n / 4).max(1024);
        KeySet { keys: vec![0; slots], ids: vec![0; slots], len: 0 }
    }

    fn slot(&self, hash: u64) -> usize {
        // Hashes are uniform: the high bits of a 64×64 product spread them over any table size.
        ((u128::from(hash) * self.keys.len() as u128) >> 64) as usize
    }

    /// The row id under this hash, if any.
    fn get(&self, hash: u64) -> Option<u32> {
        let mut i = self.slot(hash);
        loop {
            match self.ids[i] {
                0 => return None,
                id if self.keys[i] == hash => return Some(id),
                _ => i = if i + 1 == self.keys.len() { 0 } else { i + 1 },
            }
        }
    }

    /// Adds a hash with its row id; a hash already present keeps its first id.
    fn insert(&mut self, hash: u64, id: u32) {
        if (self.len + 1) * 5 > self.keys.len() * 4 {
            let old = std::mem::replace(self, KeySet::with_capacity(self.keys.len() * 2));
            for (k, i) in old.keys.iter().zip(&old.ids) {
                if *i != 0 {
                    self.insert(*k, *i);
                }
            }
        }
        let mut i = self.slot(hash);
        while self.ids[i] != 0 {
            if self.keys[i] == hash {
                return;
            }
            i = if i + 1 == self.keys.len() { 0 } else { i + 1 };
        }
        self.keys[i] = hash;
        self.ids[i] = id;
        self.len += 1;
    }
}

/// The record hashes of the live rows (see `migrations/0007_record_hashes.sql`): a record of the
/// file found here is a row the ledger holds, so a duplicate, and it is not parsed. Open
/// addressing with linear probing over 128-bit hashes, sized once for what is loaded (it does
/// not grow: nothing is added during the import). 0 marks an empty slot: a record whose hash
/// is 0 is never found, so it is parsed, which is always right.
struct RecordSet {
    slots: Vec<u128>,
}

impl RecordSet {
    /// The record hashes of the live batches (16 bytes each, little-endian), `count` of them.
    fn load(conn: &Connection, count: usize) -> Result<RecordSet> {
        let mut set = RecordSet { slots: vec![0; (count + count / 4).max(16)] };
        let mut len = 0usize;
        batches::for_each_live_records(conn, |blob| {
            for chunk in blob.chunks_exact(16) {
                let mut bytes = [0u8; 16];
                bytes.copy_from_slice(chunk);
                // Never full: a blob longer than its batch's count said ends the load early
                // (only possible in a ledger edited by hand; the rows left out are parsed).
                if len + 1 >= set.slots.len() {
                    return false;
                }
                len += usize::from(set.insert(u128::from_le_bytes(bytes)));
            }
            true
        })?;
        Ok(set)
    }

    fn slot(&self, hash: u128) -> usize {
        // Hashes are uniform: the high bits of a product spread them over any table size.
        ((u128::from((hash >> 64) as u64) * self.slots.len() as u128) >> 64) as usize
    }

    /// Whether the hash was new.
    fn insert(&mut self, hash: u128) -> bool {
        if hash == 0 {
            return false;
        }
        let mut i = self.slot(hash);
        while self.slots[i] != 0 {
            if self.slots[i] == hash {
                return false;
            }
            i = if i + 1 == self.slots.len() { 0 } else { i + 1 };
        }
        self.slots[i] = hash;
        true
    }

    fn contains(&self, hash: u128) -> bool {
        if hash == 0 {
            return false;
        }
        let mut i = self.slot(hash);
        loop {
            match self.slots[i] {
                0 => return false,
                h if h == hash => return true,
                _ => i = if i + 1 == self.slots.len() { 0 } else { i + 1 },
            }
        }
    }
}

/// Record hashes are stored in blobs of at most this many.
const RECORD_BLOCK: usize = 65_536;

/// The record hashes of the live rows, when the file may hold a good share of them: loading
/// costs every live row of the ledger a few nanoseconds, so a file of fewer rows than a 32nd
/// of the ledger's (a daily export into a year of them) probes the dedup index row by row.
fn known_records(tx: &Connection, path: &Path) -> Result<Option<RecordSet>> {
    let file_len = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let ledger_rows = txns::max_id(tx)?;
    let stored = batches::live_record_count(tx)?;
    if stored == 0 || estimate_rows(path, file_len).saturating_mul(32) < ledger_rows {
        return Ok(None);
    }
    RecordSet::load(tx, stored).map(Some)
}

/// What [`duplicate_floor`] did, and how long each step took.
#[derive(Debug, Clone)]
pub struct Floor {
    /// Records read, and of those, found among the live rows' record hashes.
    pub rows: u32,
    pub known: u32,
    /// Loading the live rows' record hashes, hashing the file (SHA-256), and reading it record
    /// by record (each hashed and probed), in seconds.
    pub load_secs: f64,
    pub sha_secs: f64,
    pub scan_secs: f64,
}

/// The least a re-import of a file whose rows are all in the ledger can do, for the benchmark to
/// compare the import with: load the live rows' record hashes (as an import does), hash the file
/// (SHA-256, as an import does for a file of a format seen before), then read it with the CSV
/// reader, hashing each record and probing the hashes, parsing nothing. No transaction, no
/// batch, no copy of the file, one thread.
pub fn duplicate_floor(conn: &Connection, path: &Path) -> Result<Floor> {
    let t = std::time::Instant::now();
    let opts = parse_options(conn, &ImportOptions::default())?;
    let set = RecordSet::load(conn, batches::live_record_count(conn)?)?;
    let load_secs = t.elapsed().as_secs_f64();
    let t = std::time::Instant::now();
    sha256_file(path).map_err(|source| Error::Io { path: path.to_path_buf(), source })?;
    let sha_secs = t.elapsed().as_secs_f64();
    let t = std::time::Instant::now();
    let parsed = pl_import::parse_path_known(path, &opts, true, |h| set.contains(h), |_, _| {}, |_| {})?;
    Ok(Floor { rows: parsed.rows_read, known: parsed.rows_known, load_secs, sha_secs, scan_secs: t.elapsed().as_secs_f64() })
}

/// Rows travel from the parsing thread to the writing one in blocks of this many.
const ROW_BLOCK: usize = 512;
/// The file is read in blocks of this many bytes.
const FILE_BLOCK: usize = 1 << 20;

/// The file is stored in chunks cut where its content says (content-defined chunking), so that
/// an overlapping export, which repeats the lines of an earlier file, cuts its shared lines into
/// the same chunks, stored once: a chunk ends after a line whose last [`CHUNK_WINDOW`] bytes hash
/// to 0 under [`CHUNK_MASK`] (one line in 1,024), once it holds [`CHUNK_MIN`] bytes, and at the
/// first line end after [`CHUNK_MAX`] bytes (or at [`CHUNK_MAX`] when no line ends there).
const CHUNK_MIN: usize = 64 * 1024;
const CHUNK_MAX: usize = 4 << 20;
const CHUNK_WINDOW: usize = 64;
const CHUNK_MASK: u64 = 1023;

/// Where the chunk that starts at `data[0]` ends, looking at the line ends from `from` on;
/// `None` while the chunk goes on past `data`.
fn chunk_end(data: &[u8], from: usize) -> Option<usize> {
    for p in memchr::memchr_iter(b'\n', data.get(from..)?).map(|p| p + from) {
        let end = p + 1;
        if end >= CHUNK_MAX
            || (end >= CHUNK_MIN && xxhash_rust::xxh3::xxh3_64(&data[p.saturating_sub(CHUNK_WINDOW)..p]) & CHUNK_MASK == 0)
        {
            return Some(end);
        }
    }
    (data.len() >= CHUNK_MAX).then_some(CHUNK_MAX)
}

/// A chunk of the file for `batch_files`: compressed, or (its hash is one the ledger's files
/// already hold) where it is in the file, for the writer to read and check against the stored
/// chunk byte for byte (so that no chunk waits uncompressed in the channel).
enum Chunk {
    New { hash: u128, data: Vec<u8> },
    Known { hash: u128, offset: u64, len: usize },
}

/// `len` bytes of the file at `path` from `offset`.
fn read_range(path: &Path, offset: u64, len: usize) -> std::io::Result<Vec<u8>> {
    use std::io::{Seek, SeekFrom};
    let mut file = std::fs::File::open(path)?;
    file.seek(SeekFrom::Start(offset))?;
    let mut raw = vec![0; len];
    file.read_exact(&mut raw)?;
    Ok(raw)
}

/// Stores a chunk of the batch's file as `seq`: a known chunk whose bytes a stored one holds,
/// checked byte for byte, as a reference to it; any other compressed.
fn store_chunk(conn: &Connection, path: &Path, batch_id: i64, seq: i64, chunk: Chunk) -> Result<()> {
    let (hash, data) = match chunk {
        Chunk::New { hash, data } => (hash, data),
        Chunk::Known { hash, offset, len } => {
            let raw = read_range(path, offset, len).map_err(|source| Error::Io { path: path.to_path_buf(), source })?;
            let found = batches::find_chunk(conn, hash, |stored| {
                lz4_flex::block::decompress_size_prepended(stored).is_ok_and(|stored| stored == raw)
            })?;
            match found {
                Some((b, sq)) => return batches::add_chunk_ref(conn, batch_id, seq, b, sq),
                None => (hash, lz4_flex::block::compress_prepend_size(&raw)),
            }
        }
    };
    batches::add_chunk(conn, batch_id, seq, &data, hash)
}

/// A row made ready for its INSERT on the parsing thread, so the writer only writes.
struct Prepared {
    row: Row,
    /// The row's record hash ([`pl_import::parse_path_known`]), kept in `batch_records`.
    record: u128,
    key_hash: i64,
    charge_hash: Option<i64>,
    original_hash: Option<i64>,
    /// See [`fingerprint`].
    fingerprint: i64,
    occurred_at: String,
    occurred_ts: i64,
    gross: String,
    fee: String,
    net: String,
    tax: String,
    /// The metadata value when it is not a GUID; else the normalised instance.
    bad_meta: Option<String>,
    instance: Option<String>,
}

impl Prepared {
    fn new(row: Row, record: u128) -> Prepared {
        let instance = row.instance_meta.as_deref().and_then(pl_import::normalise_guid);
        Prepared {
            key_hash: key_hash(&row.dedup_key),
            charge_hash: row.charge_ref.as_deref().map(key_hash),
            original_hash: row.original_ref.as_deref().map(key_hash),
            fingerprint: fingerprint(
                row.kind.as_str(),
                &row.currency,
                day_of(row.occurred_at),
                [row.gross, row.fee, row.net, row.tax],
            ),
            occurred_at: row.occurred_at.to_rfc3339_opts(SecondsFormat::Secs, true),
            occurred_ts: row.occurred_at.timestamp(),
            gross: row.gross.to_string(),
            fee: row.fee.to_string(),
            net: row.net.to_string(),
            tax: row.tax.to_string(),
            bad_meta: if instance.is_none() { row.instance_meta.clone() } else { None },
            instance,
            row,
            record,
        }
    }
}

/// What the parsing and reading threads hand to the writer.
enum Msg {
    Rows(Vec<Prepared>),
    Bad(pl_import::RowError),
    FileChunk(Chunk),
}

/// SHA-256 of a file, streamed, and whether the file has a `/` anywhere (so possibly slash
/// dates, whose day/month order the parser decides per file).
fn sha256_file(path: &Path) -> std::io::Result<(String, bool)> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut slash = false;
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        slash = slash || buf[..n].contains(&b'/');
    }
    Ok((hasher.finalize().iter().map(|b| format!("{b:02x}")).collect(), slash))
}

/// The same file imported again: when a live batch of a Stripe format was made from a file
/// with the same SHA-256 and took every one of its rows, every row of this file is still live
/// (rows only leave with their batch's undo), so the import would only count duplicates. The
/// parse is skipped and the same report is given. Stripe only: its row keys and row count do
/// not depend on options; a file with no `/` has no slash dates, so no day/month decision
/// (and no `--date-order` conflict) can differ from the first import.
fn same_file_batch(conn: &Connection, sha: &str, opts: &ImportOptions) -> Result<Option<(String, u32)>> {
    let found = batches::complete_stripe_batch_of(conn, sha)?;
    Ok(found.filter(|(format, _)| opts.format.as_deref().is_none_or(|f| f.trim() == format)))
}

/// Whether a live Stripe batch could be this file again (then the file is hashed before it is parsed).
fn may_be_reimport(conn: &Connection) -> Result<bool> {
    batches::any_complete_stripe_batch(conn)
}

pub(crate) fn parse_options(conn: &Connection, opts: &ImportOptions) -> Result<ParseOptions> {
    let format = match &opts.format {
        None => None,
        Some(id) => Some(Format::from_id(id).ok_or_else(|| {
            Error::Refused(format!(
                "unknown format `{id}`; use stripe-itemized, stripe-balance, paypal-activity or mapped:<name>"
            ))
        })?),
    };
    let mut mappings = std::collections::HashMap::new();
    for (name, text) in store::mappings::all_toml(conn)? {
        mappings.insert(name.clone(), pl_import::Mapping::from_toml_str(&name, &text)?);
    }
    if let Some(Format::Mapped(name)) = &format {
        if !mappings.contains_key(name) {
            return Err(Error::Refused(format!(
                "no saved column mapping named `{name}`; save a column mapping of that name first (from its TOML file)"
            )));
        }
    }
    Ok(ParseOptions {
        format,
        metadata_key: settings::get(conn, "instance_metadata_key")?.unwrap_or_else(|| "wix_instance_id".into()),
        date_order: opts.date_order,
        mappings,
    })
}

/// Imports a file. A file whose slash dates cannot decide their day/month order uses the
/// `date_order` setting when the operator saved one (a file's own evidence always wins).
pub(crate) fn import_file(conn: &mut Connection, path: &Path, opts: &ImportOptions) -> Result<ImportReport> {
    check_path(path)?;
    let saved_order = saved_date_order(conn)?;
    let result = with_fallbacks(opts, saved_order, |opts, one_pass| import_once(conn, path, opts, one_pass));
    let result = match result {
        Err(Error::Import(e @ pl_import::ImportError::UndecidableDateOrder { .. })) => Err(Error::Refused(format!(
            "{}: {e}; or save a default date order for such files in the settings (month-first in the US, else day-first)",
            path.display()
        ))),
        other => other,
    };
    result.map_err(|e| named(path, e))
}

/// A folder, a pipe or a device (`/dev/zero`) is never an export, nor a file past the size
/// limit: refused before any thread opens it (opening a FIFO waits for a writer).
pub(crate) fn check_path(path: &Path) -> Result<()> {
    pl_import::check_file(path).map_err(|e| match e {
        pl_import::ImportError::Io(source) => Error::Io { path: path.to_path_buf(), source },
        e => Error::Refused(e.to_string()),
    })?;
    Ok(())
}

/// A file-level problem names the file.
pub(crate) fn named(path: &Path, e: Error) -> Error {
    match e {
        Error::Import(ie) => Error::Refused(format!("{}: {ie}", path.display())),
        other => other,
    }
}

/// The operator's default day/month order for files whose dates cannot decide it.
pub(crate) fn saved_date_order(conn: &Connection) -> Result<Option<pl_import::DateOrder>> {
    Ok(settings::get(conn, "date_order")?.as_deref().and_then(pl_import::DateOrder::parse))
}

/// Runs `attempt` (one read of the file: `(options, one_pass)`) as an import must: in one pass
/// first, again in two when the file's first rows did not speak for the whole file, and with
/// the saved date order when the file's slash dates cannot decide it and the operator gave none.
/// An undecidable file with no saved order is `ImportError::UndecidableDateOrder`, for the
/// caller to word. Each failed attempt must have left nothing behind (its transaction dropped).
pub(crate) fn with_fallbacks<T>(
    opts: &ImportOptions,
    saved_order: Option<pl_import::DateOrder>,
    mut attempt: impl FnMut(&ImportOptions, bool) -> Result<T>,
) -> Result<T> {
    let result = match attempt(opts, true) {
        // The file's first rows did not speak for the whole file: read it again, twice.
        Err(Error::Import(pl_import::ImportError::NeedsTwoPasses)) => attempt(opts, false),
        other => other,
    };
    match (result, saved_order) {
        (Err(Error::Import(pl_import::ImportError::UndecidableDateOrder { .. })), Some(order)) if opts.date_order.is_none() => {
            attempt(&ImportOptions { date_order: Some(order), ..opts.clone() }, false)
        }
        (other, _) => other,
    }
}

fn import_once(conn: &mut Connection, path: &Path, opts: &ImportOptions, one_pass: bool) -> Result<ImportReport> {
    txns::with_import_cache(conn, |conn| {
        let ready = match prepare(conn, path, opts)? {
            Prepare::Same(report, _) => return Ok(report),
            Prepare::Ready(ready) => ready,
        };
        let tx = conn.transaction()?;
        let (report, keep) = apply(&tx, path, opts, &ready, &mut Apply { one_pass, keep_file: !opts.dry_run, progress: &mut |_| true, details: None })?;
        if keep {
            tx.commit()?;
        }
        Ok(report)
    })
}

/// What is decided before a file's transaction: how to parse it, and whether it is a file the
/// ledger already holds whole (then nothing is parsed).
pub(crate) enum Prepare {
    /// The same file as a complete live batch: its report, every row a duplicate, and its SHA-256.
    Same(ImportReport, String),
    Ready(Ready),
}

pub(crate) struct Ready {
    parse_opts: ParseOptions,
    /// The file's SHA-256 when it was hashed already (a ledger with Stripe batches).
    known_sha: Option<String>,
}

/// How [`apply`] runs one read of a file.
pub(crate) struct Apply<'a> {
    pub one_pass: bool,
    /// Store the file's copy (`batch_files`); false for a dry run and for a preview's staging.
    pub keep_file: bool,
    /// Told the rows handled so far after each block; false stops the import (nothing stays).
    pub progress: &'a mut dyn FnMut(u32) -> bool,
    /// Filled with what a preview shows beyond the counts, when given.
    pub details: Option<&'a mut Details>,
}

/// What a file's rows were, beyond the counts of [`ImportReport`]: the reasons its skipped rows
/// were skipped, the types of its unclassified rows, and how many rows were conflicts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Details {
    pub sha256: String,
    pub skipped: Vec<(String, u32)>,
    pub unclassified: Vec<(String, u32)>,
    pub conflicts: u32,
}

pub(crate) fn prepare(conn: &Connection, path: &Path, opts: &ImportOptions) -> Result<Prepare> {
    let parse_opts = parse_options(conn, opts)?;
    // A file seen before is hashed first: when it is the same file again, nothing is parsed.
    let known_sha = if may_be_reimport(conn)? {
        let (sha, slash) = sha256_file(path).map_err(|source| Error::Io { path: path.to_path_buf(), source })?;
        if !slash {
            if let Some((format, rows)) = same_file_batch(conn, &sha, opts)? {
                return Ok(Prepare::Same(ImportReport {
                    file: path.display().to_string(),
                    format,
                    batch_id: None,
                    dry_run: opts.dry_run,
                    rows_read: rows,
                    imported: 0,
                    duplicates: rows,
                    skipped: 0,
                    sent: 0,
                    unclassified: 0,
                    rejected: Vec::new(),
                }, sha));
            }
        }
        Some(sha)
    } else {
        None
    };
    Ok(Prepare::Ready(Ready { parse_opts, known_sha }))
}

/// The file's rows, estimated from its length and first lines (for progress).
pub(crate) fn estimated_rows(path: &Path) -> u32 {
    let len = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    u32::try_from(estimate_rows(path, len).max(0)).unwrap_or(u32::MAX)
}

/// Applies one read of a file in the caller's transaction (or savepoint) `tx`. Returns the
/// report and whether `tx` is to be kept: false when the file was refused, had nothing new, or
/// was a dry run (the caller then drops `tx`, and nothing stays).
pub(crate) fn apply(tx: &Connection, path: &Path, opts: &ImportOptions, ready: &Ready, run: &mut Apply<'_>) -> Result<(ImportReport, bool)> {
    let Ready { parse_opts, known_sha } = ready;
    let one_pass = run.one_pass;
    let file_name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let batch_id = batches::start(tx, &file_name, &now_rfc3339(), &opts.by)?;
    let mut bulk = bulk_load_start(tx, path)?;
    let known = known_records(tx, path)?;
    let chunks = if run.keep_file { batches::stored_chunk_hashes(tx)? } else { Default::default() };
    let mut report = ImportReport {
        file: path.display().to_string(),
        format: String::new(),
        batch_id: None,
        dry_run: opts.dry_run,
        rows_read: 0,
        imported: 0,
        duplicates: 0,
        skipped: 0,
        sent: 0,
        unclassified: 0,
        rejected: Vec::new(),
    };
    // Three stages on their own threads: the parser, the file reader (SHA-256 and the compressed
    // copy of the file), and this one, the only writer.
    let mut rejected = Vec::new();
    let (mut imported, mut skipped, mut duplicates, mut sent, mut unclassified) = (0u32, 0u32, 0u32, 0u32, 0u32);
    // `sent` rows with an original reference: refund candidates, promoted when it is a charge.
    let mut candidates = 0u32;
    let (mut first_txn, mut last_txn) = (None::<i64>, 0i64);
    // The new items of each payout: their count and the sum of their nets.
    let mut payouts: std::collections::HashMap<String, (u32, rust_decimal::Decimal)> = Default::default();
    let store_file = run.keep_file;
    let mut conflicts = 0u32;
    let mut handled = 0u32;
    let (sha, parsed, db_error) = std::thread::scope(|s| {
        let (send, recv) = std::sync::mpsc::sync_channel::<Msg>(32);
        let (to_parser, to_reader) = (send.clone(), send);
        // Blocks of rows go back to the parser once written, to be freed where they were
        // allocated (a free from another thread costs the allocator far more) and reused.
        let (give_back, taken_back) = std::sync::mpsc::sync_channel::<Vec<Prepared>>(64);
        let parse_opts = &parse_opts;
        let known = &known;
        let parser = s.spawn(move || {
            let errors = to_parser.clone();
            let mut block = Vec::with_capacity(ROW_BLOCK);
            // A record the ledger holds costs a hash and a probe; any other is parsed.
            let parsed = pl_import::parse_path_known(
                path,
                parse_opts,
                one_pass,
                |record| known.as_ref().is_some_and(|k| k.contains(record)),
                |row: Row, record| {
                    block.push(Prepared::new(row, record));
                    if block.len() == ROW_BLOCK {
                        let next = match taken_back.try_recv() {
                            Ok(mut used) => {
                                used.clear();
                                used
                            }
                            Err(_) => Vec::with_capacity(ROW_BLOCK),
                        };
                        let _ = to_parser.send(Msg::Rows(std::mem::replace(&mut block, next)));
                    }
                },
                |err| {
                    let _ = errors.send(Msg::Bad(err));
                },
            );
            if !block.is_empty() {
                let _ = to_parser.send(Msg::Rows(block));
            }
            parsed
        });
        let chunks = chunks;
        let reader = s.spawn(move || -> std::io::Result<String> {
            if !store_file {
                return match known_sha {
                    Some(sha) => Ok(sha.clone()),
                    None => sha256_file(path).map(|(sha, _)| sha),
                };
            }
            let mut file = std::fs::File::open(path)?;
            // The file was already hashed (for the same-file check): only copy it here.
            let mut hasher = known_sha.is_none().then(Sha256::new);
            // The current chunk's bytes, and how far its line ends were looked at.
            let mut pending: Vec<u8> = Vec::with_capacity(CHUNK_MAX + FILE_BLOCK);
            let mut scanned = 0;
            let mut chunks = chunks;
            // Where `pending` starts in the file.
            let mut offset = 0u64;
            let mut send = |bytes: &[u8]| {
                let hash = xxhash_rust::xxh3::xxh3_128(bytes);
                let at = offset;
                offset += bytes.len() as u64;
                let chunk = if chunks.contains(&hash) {
                    Chunk::Known { hash, offset: at, len: bytes.len() }
                } else {
                    chunks.insert(hash);
                    Chunk::New { hash, data: lz4_flex::block::compress_prepend_size(bytes) }
                };
                to_reader.send(Msg::FileChunk(chunk)).is_ok()
            };
            loop {
                let before = pending.len();
                (&mut file).take(FILE_BLOCK as u64).read_to_end(&mut pending)?;
                if let Some(h) = hasher.as_mut() {
                    h.update(&pending[before..]);
                }
                if pending.len() == before {
                    if !pending.is_empty() {
                        send(&pending);
                    }
                    break;
                }
                let mut open = true;
                while let Some(end) = chunk_end(&pending, scanned) {
                    open = send(&pending[..end]);
                    pending.drain(..end);
                    scanned = 0;
                    if !open {
                        break;
                    }
                }
                if !open {
                    break;
                }
                scanned = pending.len();
            }
            Ok(match (hasher, known_sha) {
                (Some(h), _) => h.finalize().iter().map(|b| format!("{b:02x}")).collect(),
                (None, sha) => sha.clone().expect("hashed before"),
            })
        });
        let mut db_error: Option<Error> = None;
        let mut writer = match TxnWriter::new(tx, bulk.is_some()) {
            Ok(w) => Some(w),
            Err(e) => {
                db_error = Some(e);
                None
            }
        };
        let mut seq = 0i64;
        // The record hashes of the rows this batch adds, stored by blocks.
        let mut records: Vec<u8> = Vec::new();
        let mut records_seq = 0i64;
        let mut store_records = |records: &mut Vec<u8>| -> Result<()> {
            batches::add_records(tx, batch_id, records_seq, records)?;
            records_seq += 1;
            records.clear();
            Ok(())
        };
        let mut bad_rows = false;
        for msg in recv {
            // Once the file is refused for a bad row (or failed), only its bad rows are still
            // collected; after a conflict the rows are still written, to name every conflict.
            let writing = db_error.is_none() && !bad_rows;
            match msg {
                Msg::Bad(err) => {
                    bad_rows = true;
                    rejected.push(RejectedRow { line: err.line, column: err.column, reason: err.reason })
                }
                Msg::Rows(rows) if writing => {
                    // `writing`: there was no error, so there is a writer.
                    let Some(writer) = writer.as_mut() else { continue };
                    for p in &rows {
                        match insert_row(tx, writer, batch_id, p, bulk.as_mut()) {
                            Ok(Inserted::New(id)) => {
                                first_txn.get_or_insert(id);
                                last_txn = id;
                                records.extend_from_slice(&p.record.to_le_bytes());
                                if records.len() == 16 * RECORD_BLOCK {
                                    if let Err(e) = store_records(&mut records) {
                                        db_error = Some(e);
                                        break;
                                    }
                                }
                                if let (Some(payout), false) = (&p.row.payout_ref, p.row.kind == RowKind::Payout) {
                                    match payouts.get_mut(payout.as_str()) {
                                        Some(e) => {
                                            e.0 += 1;
                                            e.1 += p.row.net;
                                        }
                                        None => {
                                            payouts.insert(payout.clone(), (1, p.row.net));
                                        }
                                    }
                                }
                                match p.row.kind {
                                    RowKind::Skipped => skipped += 1,
                                    RowKind::Unclassified => unclassified += 1,
                                    RowKind::Sent => {
                                        sent += 1;
                                        candidates += u32::from(p.row.original_ref.is_some());
                                    }
                                    _ => imported += 1,
                                }
                            }
                            Ok(Inserted::Duplicate) => duplicates += 1,
                            Ok(Inserted::Conflict(bad)) => {
                                conflicts += 1;
                                rejected.push(bad)
                            }
                            Err(e) => {
                                db_error = Some(e);
                                break;
                            }
                        }
                    }
                    handled = handled.saturating_add(rows.len() as u32);
                    if db_error.is_none() && !(run.progress)(handled) {
                        db_error = Some(Error::Refused(CANCELLED.into()));
                    }
                    let _ = give_back.try_send(rows);
                }
                Msg::FileChunk(chunk) if writing => {
                    if let Err(e) = store_chunk(tx, path, batch_id, seq, chunk) {
                        db_error = Some(e);
                    }
                    seq += 1;
                }
                _ => {}
            }
        }
        if db_error.is_none() && !bad_rows && !records.is_empty() {
            db_error = store_records(&mut records).err();
        }
        let parsed = parser.join().expect("the parsing thread does not panic");
        let sha = reader.join().expect("the reading thread does not panic");
        (sha, parsed, db_error)
    });
    // Conflicts are found by the writer, after the parser's bad rows: in line order again.
    rejected.sort_by_key(|r: &RejectedRow| r.line);
    report.rejected = rejected;
    (report.imported, report.skipped, report.duplicates, report.sent, report.unclassified) =
        (imported, skipped, duplicates, sent, unclassified);
    let parsed = parsed?;
    if let Some(e) = db_error {
        return Err(e);
    }
    let sha = sha.map_err(|source| Error::Io { path: path.to_path_buf(), source })?;
    report.format = parsed.format.id();
    report.rows_read = parsed.rows_read;
    // Records the ledger held were not parsed: each is a live row, so a duplicate.
    report.duplicates += parsed.rows_known;

    if let Some(d) = run.details.as_deref_mut() {
        d.sha256 = sha.clone();
        d.conflicts = conflicts;
    }
    if !report.rejected.is_empty() {
        // Nothing of a refused file stays: the transaction is dropped, so rolled back.
        report.imported = 0;
        report.skipped = 0;
        report.duplicates = 0;
        report.sent = 0;
        report.unclassified = 0;
        return Ok((report, false));
    }
    let new_rows = report.imported + report.skipped + report.sent + report.unclassified;
    // A dry run shows what would happen (what the rules and refund candidates make of its rows
    // too, when it has any); a file with nothing new leaves no empty batch.
    let done = new_rows == 0 || (opts.dry_run && candidates == 0 && report.unclassified == 0);
    if !done {
        if let Some(Bulk { indexes, .. }) = bulk {
            txns::end_bulk_load(tx, indexes)?;
        }
        // The operator's classifications apply to the new rows (by the batch's format), and refund
        // candidates whose charge is in the ledger become refunds, in this transaction.
        batches::set_format(tx, batch_id, &report.format)?;
        classify::apply(tx, None)?;
        resolve::resolve_pending(tx)?;
        if let Some(first) = first_txn {
            count_changed_kinds(tx, first, last_txn, &mut report)?;
        }
    }
    if let (Some(d), Some(first)) = (run.details.as_deref_mut(), first_txn) {
        d.skipped = txns::skip_reasons(tx, first, last_txn)?;
        d.unclassified = txns::unclassified_types(tx, first, last_txn)?;
    }
    if done || opts.dry_run {
        return Ok((report, false));
    }
    batches::finish(
        tx,
        batch_id,
        &batches::BatchCounts {
            sha256: &sha,
            format: &report.format,
            rows_read: report.rows_read,
            imported: report.imported,
            duplicates: report.duplicates,
            skipped: report.skipped,
            sent: report.sent,
            unclassified: report.unclassified,
            first_txn,
            last_txn,
        },
    )?;
    for (payout, (items, net)) in &payouts {
        add_payout_items(tx, payout, *items as i64, *net)?;
    }
    report.batch_id = Some(batch_id);
    let summary = batch(tx, batch_id)?;
    audit::record(tx, &opts.by, "batch.import", &format!("batch:{batch_id}"), None::<&()>, Some(&summary))?;
    Ok((report, true))
}

/// The error of an import stopped by the operator (nothing of it stays).
pub(crate) const CANCELLED: &str = "the import was cancelled; nothing was imported";

/// Rows of the new batch (ids `first..=last`) whose kind changed as it was applied: counted
/// where they belong now (a classified row as imported or skipped, a promoted refund candidate
/// as imported).
fn count_changed_kinds(tx: &Connection, first: i64, last: i64, report: &mut ImportReport) -> Result<()> {
    for (kind, from, n) in txns::changed_kinds(tx, first, last)? {
        match from.as_str() {
            "rule" => report.unclassified = report.unclassified.saturating_sub(n),
            _ => report.sent = report.sent.saturating_sub(n),
        }
        if kind == "skipped" {
            report.skipped += n;
        } else {
            report.imported += n;
        }
    }
    Ok(())
}

/// What became of one row of a file.
enum Inserted {
    /// The new row's id.
    New(i64),
    /// Its key is live with the same content.
    Duplicate,
    /// Its key is live with other content: the file is refused.
    Conflict(RejectedRow),
}

/// Inserts one row, unless its key is already live (a duplicate, or a conflict when the content
/// differs). In a bulk load the [`KeySet`] stands for the dedup index, and a refund, dispute or
/// reversal without metadata takes its charge's instance as it is inserted (see
/// [`Bulk::charges`]).
fn insert_row(conn: &Connection, writer: &mut TxnWriter<'_>, batch_id: i64, p: &Prepared, mut bulk: Option<&mut Bulk>) -> Result<Inserted> {
    let row = &p.row;
    if let Some(id) = bulk.as_ref().and_then(|b| b.keys.get(p.key_hash as u64)) {
        let (live, print) = txns::key_and_fingerprint(conn, i64::from(id))?;
        same_key(row, &live)?;
        return seen_again(conn, batch_id, p, i64::from(id), print);
    }
    let by_charge = match (&bulk, p.original_hash) {
        (Some(Bulk { charges, .. }), Some(hash))
            if p.instance.is_none()
                && p.bad_meta.is_none()
                && matches!(row.kind, RowKind::Refund | RowKind::Dispute | RowKind::DisputeReversal) =>
        {
            match charges.get(hash as u64) {
                Some(id) => {
                    let (charge_ref, instance) = txns::charge_ref_and_instance(conn, i64::from(id))?;
                    // A hash shared by another charge id (never seen) is left to `resolve_pending`.
                    (row.original_ref.as_deref() == Some(charge_ref.as_str())).then_some(instance)
                }
                None => None,
            }
        }
        _ => None,
    };
    let (instance, resolved_by) = match (&p.instance, &by_charge) {
        (Some(i), _) => (Some(i.as_str()), Some("metadata")),
        (None, Some(i)) => (Some(i.as_str()), Some("charge")),
        (None, None) => (None, None),
    };
    let new = writer.insert(&NewTxn {
        batch_id,
        line: row.line,
        key_hash: p.key_hash,
        dedup_key: &row.dedup_key,
        source_id: &row.source_id,
        kind: row.kind.as_str(),
        skip_reason: row.skip_reason.as_deref(),
        occurred_at: &p.occurred_at,
        occurred_ts: p.occurred_ts,
        currency: &row.currency,
        gross: &p.gross,
        fee: &p.fee,
        net: &p.net,
        tax: &p.tax,
        instance_meta: p.bad_meta.as_deref(),
        customer_key: row.customer_key.as_deref(),
        charge_ref: row.charge_ref.as_deref(),
        charge_hash: p.charge_hash,
        original_ref: row.original_ref.as_deref(),
        original_hash: p.original_hash,
        payout_ref: row.payout_ref.as_deref(),
        conversion_ref: row.conversion_ref.as_deref(),
        description: row.description.as_deref(),
        instance_id: instance,
        resolved_by,
        type_name: row.type_name.as_deref(),
        fingerprint: p.fingerprint,
    })?;
    if let Some(id) = new {
        if let Some(bulk) = bulk.as_mut() {
            // Row ids of a bulk load stay below 2M (`BULK_MAX_ROWS` with the ledger's rows).
            let id = id as u32;
            bulk.keys.insert(p.key_hash as u64, id);
            if let (Some(hash), Some(_), RowKind::Charge) = (p.charge_hash, &p.instance, row.kind) {
                bulk.charges.insert(hash as u64, id);
            }
        }
        return Ok(Inserted::New(id));
    }
    let (id, live, print) = txns::live_by_key_hash(conn, p.key_hash)?;
    same_key(row, &live)?;
    seen_again(conn, batch_id, p, id, print)
}

/// A row whose key is live as row `id` (fingerprint `print`): a duplicate when the file says
/// the same of it, else a conflict. Only a differing (or, before migration 0004, missing)
/// fingerprint reads the live row.
fn seen_again(conn: &Connection, batch_id: i64, p: &Prepared, id: i64, print: Option<i64>) -> Result<Inserted> {
    if print == Some(p.fingerprint) {
        return Ok(Inserted::Duplicate);
    }
    let txns::StoredContent { kind, kind_from, currency, occurred_ts: ts, amounts, line, batch_id: other_batch, file_name: file } =
        txns::stored_content(conn, id)?;
    // What the file of the live row said of its kind, before the operator's changes.
    let file_kind = match kind_from.as_deref() {
        Some("rule") => "unclassified",
        Some("charge") => "sent",
        _ => kind.as_str(),
    };
    let row = &p.row;
    let mut differs = Vec::new();
    if file_kind != row.kind.as_str() {
        differs.push(format!("kind {file_kind} (this row {})", row.kind));
    }
    if currency != row.currency {
        differs.push(format!("currency {} (this row {})", pl_import::clip(&currency), pl_import::clip(&row.currency)));
    }
    let day = DateTime::<Utc>::from_timestamp(ts, 0).map(|d| d.date_naive());
    if day != Some(row.occurred_at.date_naive()) {
        let there = day.map_or_else(|| format!("at {ts} s"), |d| d.to_string());
        differs.push(format!("date {there} (this row {})", row.occurred_at.date_naive()));
    }
    for (name, (stored, here)) in ["gross", "fee", "net", "tax"].iter().zip(amounts.iter().zip([row.gross, row.fee, row.net, row.tax])) {
        if stored.parse::<Decimal>().ok() != Some(here) {
            differs.push(format!("{name} {} (this row {here})", pl_import::clip(stored)));
        }
    }
    if differs.is_empty() {
        return Ok(Inserted::Duplicate);
    }
    let there = if other_batch == batch_id {
        format!("line {line} of this file")
    } else {
        format!("batch {other_batch} (file `{}`), line {line},", pl_import::clip(&file))
    };
    let mut reason = format!(
        "conflict: row key `{}` is already in the ledger with other content: {there} has {}; a processor never changes a row, \
         so one of the two files is wrong or was edited: correct it (or undo the wrong batch) and import again",
        pl_import::clip(&row.dedup_key),
        differs.join(", ")
    );
    if print.is_none() && file_kind != row.kind.as_str() {
        reason.push_str(&format!(
            " (batch {other_batch} was imported by an earlier version of Partner Ledger, which read this row as {file_kind}: \
             undo batch {other_batch} and import its file again)"
        ));
    }
    Ok(Inserted::Conflict(RejectedRow { line: row.line, column: None, reason }))
}

/// The hash of a row's key is taken by a live row: the same key (a duplicate), or,
/// astronomically rarely, another key with the same hash, which must never make a row disappear.
fn same_key(row: &Row, live: &str) -> Result<()> {
    if live == row.dedup_key {
        Ok(())
    } else {
        Err(Error::Refused(format!(
            "line {}: row key `{}` shares its 64-bit hash with `{live}` in the ledger; nothing was imported — please report this",
            row.line, row.dedup_key
        )))
    }
}

/// A bulk load in progress: the store's bulk load (the indexes it rebuilds at the end) and the
/// live keys standing in for the dedup index.
struct Bulk {
    indexes: txns::BulkLoad,
    keys: KeySet,
    /// By charge id hash, the first live charge with an instance: the charge a refund without
    /// metadata takes its instance from (what [`resolve::resolve_pending`]'s first pass picks:
    /// ledger charges, then this file's in order, each before any later one with that id).
    charges: KeySet,
}

/// A bulk load: at least this many rows in the file…
const BULK_MIN_ROWS: i64 = 50_000;
/// …and at most this many in the ledger and the file together: the in-memory keys take ~30
/// bytes a row, so a larger load takes the normal path (its memory does not grow with the file).
const BULK_MAX_ROWS: i64 = 2_000_000;

/// The file's rows, estimated from the length of its first lines.
fn estimate_rows(path: &Path, file_len: u64) -> i64 {
    let mut head = Vec::with_capacity(64 * 1024);
    let _ = std::fs::File::open(path).and_then(|f| f.take(64 * 1024).read_to_end(&mut head));
    let lines = head.iter().filter(|&&b| b == b'\n').count().max(1);
    (file_len / (head.len() / lines).max(1) as u64) as i64
}

/// A file with at least twice the rows the ledger holds (a first import, a large backfill) is a bulk
/// load (`store::txns::begin_bulk_load`: in SQLite the indexes on random keys are dropped for the
/// load and created again at its end by sorting, in the same transaction, so a refused or failed
/// import rolls back to the indexes as they were). Meanwhile the live row keys and charges are
/// held in memory (two [`KeySet`]s, ~30 bytes a row).
fn bulk_load_start(tx: &Connection, path: &Path) -> Result<Option<Bulk>> {
    let file_len = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let file_rows = estimate_rows(path, file_len);
    let ledger_rows = txns::max_id(tx)?;
    if file_rows < BULK_MIN_ROWS || file_rows < 2 * ledger_rows || ledger_rows + file_rows > BULK_MAX_ROWS {
        return Ok(None);
    }
    // Sized for every row of the ledger and the file (a short estimate only means one regrowth).
    let capacity = (ledger_rows + file_rows) as usize;
    let mut keys = KeySet::with_capacity(capacity);
    txns::for_each_live_key(tx, |hash, id| keys.insert(hash as u64, id as u32))?;
    let mut charges = KeySet::with_capacity(capacity);
    txns::for_each_live_charge(tx, |hash, id| charges.insert(hash as u64, id as u32))?;
    let indexes = txns::begin_bulk_load(tx)?;
    Ok(Some(Bulk { indexes, keys, charges }))
}

/// Adds (or, negative, removes) items to a payout's running count and net.
fn add_payout_items(conn: &Connection, payout: &str, items: i64, net: rust_decimal::Decimal) -> Result<()> {
    let (n, sum) = match txns::payout_items(conn, payout)? {
        Some((n, s)) => {
            // Imported nets have at most 12 integer digits, but a ledger edited by hand can hold
            // anything: an impossible running sum is an error naming the payout, never a panic.
            let sum = s.parse::<rust_decimal::Decimal>().ok().and_then(|s| s.checked_add(net));
            match (n.checked_add(items), sum) {
                (Some(n), Some(sum)) => (n, sum),
                _ => {
                    return Err(Error::Refused(format!(
                        "payout {}: its running item count or net (`{}`) in the ledger cannot be right; undo the batches that hold its rows and import them again",
                        pl_import::clip(payout),
                        pl_import::clip(&s)
                    )))
                }
            }
        }
        None => (items, net),
    };
    txns::set_payout_items(conn, payout, n, &sum.to_string())
}

/// The file a batch was imported from, as it was read.
pub(crate) fn batch_file(conn: &Connection, id: i64) -> Result<Vec<u8>> {
    batch(conn, id)?;
    let mut out = Vec::new();
    let damaged = |e: String| Error::Refused(format!("batch {id}: its stored file is damaged ({e})"));
    batches::for_each_chunk(conn, id, |chunk| {
        // A chunk another file holds too is stored once, where it was first seen.
        let block = match chunk {
            StoredChunk::Same { batch: b, seq } => {
                let data = batches::chunk_data(conn, b, seq)?.ok_or_else(|| damaged(format!("its chunk {seq} of batch {b} is missing")))?;
                lz4_flex::block::decompress_size_prepended(&data)
            }
            StoredChunk::Data(data) => lz4_flex::block::decompress_size_prepended(data),
        }
        .map_err(|e| damaged(e.to_string()))?;
        out.extend_from_slice(&block);
        Ok(())
    })?;
    Ok(out)
}

pub(crate) fn batch(conn: &Connection, id: i64) -> Result<BatchSummary> {
    batches::get(conn, id)?.ok_or_else(|| Error::NotFound(format!("batch {id}; the list of import batches shows their numbers")))
}

pub(crate) fn list_batches(conn: &Connection) -> Result<Vec<BatchSummary>> {
    batches::list(conn)
}

pub(crate) fn undo_batch(conn: &mut Connection, id: i64, by: &str) -> Result<BatchSummary> {
    let tx = conn.transaction()?;
    let before = batch(&tx, id)?;
    if let Some(at) = &before.undone_at {
        return Err(Error::Refused(format!("batch {id} was already undone at {at}")));
    }
    crate::frozen::ensure_batch_undoable(&tx, id)?;
    // Rows elsewhere that took their instance from a charge of this batch lose it, then are
    // resolved again from what remains.
    let (first, last) = batches::txn_range(&tx, id)?;
    let (first, last) = (first.unwrap_or(0), last.unwrap_or(-1));
    txns::unresolve_by_charges_of(&tx, first, last)?;
    // Its rows leave their payouts' items.
    // A stored net that is not an amount, or sums no decimal holds (a ledger edited by hand), is an
    // error naming the payout and the row, never a panic nor a silent 0.
    let mut gone: std::collections::HashMap<String, (i64, rust_decimal::Decimal)> = Default::default();
    let mut bad: Option<Error> = None;
    txns::for_each_payout_item_of(&tx, id, first, last, |payout, net| {
        if bad.is_some() {
            return;
        }
        let message = |payout: &str| {
            Error::Refused(format!(
                "batch {id} cannot be undone: a row of payout {} holds the net `{}`, which cannot be right; the ledger was edited by hand",
                pl_import::clip(payout),
                pl_import::clip(&net)
            ))
        };
        let Ok(n) = net.parse::<rust_decimal::Decimal>() else {
            bad = Some(message(&payout));
            return;
        };
        let e = gone.entry(payout.clone()).or_default();
        match e.1.checked_add(n) {
            Some(sum) => {
                e.0 += 1;
                e.1 = sum;
            }
            None => bad = Some(message(&payout)),
        }
    })?;
    if let Some(e) = bad {
        return Err(e);
    }
    for (payout, (n, net)) in gone {
        add_payout_items(&tx, &payout, -n, -net)?;
    }
    txns::set_undone(&tx, id, first, last)?;
    batches::set_undone(&tx, id, &now_rfc3339(), by)?;
    resolve::resolve_pending(&tx)?;
    let after = batch(&tx, id)?;
    audit::record(&tx, by, "batch.undo", &format!("batch:{id}"), Some(&before), Some(&after))?;
    tx.commit()?;
    Ok(after)
}

#[cfg(test)]
mod tests {
    use super::{chunk_end, fingerprint, KeySet, CHUNK_MAX, CHUNK_MIN};

    #[test]
    fn a_chunk_ends_at_a_line_end_between_its_bounds() {
        // No line end: cut at the maximum, and not before.
        assert_eq!(chunk_end(&vec![b'x'; CHUNK_MAX - 1], 0), None);
        assert_eq!(chunk_end(&vec![b'x'; CHUNK_MAX + 10], 0), Some(CHUNK_MAX));
        // Lines: never before the minimum, always at a line end, and at the first one past the maximum.
        let mut lines = Vec::new();
        let mut n = 0u64;
        while lines.len() < 2 * CHUNK_MAX {
            lines.extend_from_slice(format!("line {n} of some export\n").as_bytes());
            n += 1;
        }
        let end = chunk_end(&lines, 0).unwrap();
        assert!((CHUNK_MIN..=CHUNK_MAX + 64).contains(&end) && lines[end - 1] == b'\n', "{end}");
        // Looking from a position already scanned finds what looking from the start finds.
        assert_eq!(chunk_end(&lines, end - 1), Some(end));
        assert_eq!(chunk_end(&lines[..5], 10), None);
    }
    use rust_decimal::Decimal;

    #[test]
    fn a_fingerprint_is_the_content_by_value() {
        let d = |s: &str| s.parse::<Decimal>().unwrap();
        let base = fingerprint("charge", "USD", 739_000, [d("10.00"), d("0.59"), d("9.41"), d("0")]);
        assert_eq!(base, fingerprint("charge", "USD", 739_000, [d("10"), d("0.590"), d("9.41"), d("-0")]), "by value");
        for other in [
            fingerprint("refund", "USD", 739_000, [d("10.00"), d("0.59"), d("9.41"), d("0")]),
            fingerprint("charge", "EUR", 739_000, [d("10.00"), d("0.59"), d("9.41"), d("0")]),
            fingerprint("charge", "USD", 739_001, [d("10.00"), d("0.59"), d("9.41"), d("0")]),
            fingerprint("charge", "USD", 739_000, [d("10.00"), d("0.59"), d("9.41"), d("0.01")]),
            fingerprint("charge", "USD", 739_000, [d("0.59"), d("10.00"), d("9.41"), d("0")]),
        ] {
            assert_ne!(base, other);
        }
        // A currency cell longer than the stack buffer takes the streaming hasher, consistently.
        let long = "X".repeat(500);
        let a = fingerprint("charge", &long, 1, [d("1"); 4]);
        assert_eq!(a, fingerprint("charge", &long, 1, [d("1.0"); 4]));
        assert_ne!(a, fingerprint("charge", &long[..499], 1, [d("1"); 4]));
    }

    #[test]
    fn the_key_set_finds_what_it_holds_and_grows() {
        let mut set = KeySet::with_capacity(1);
        let hash = |i: u64| xxhash_rust::xxh3::xxh3_64(&i.to_le_bytes());
        for i in 1..=20_000u32 {
            assert_eq!(set.get(hash(u64::from(i))), None);
            set.insert(hash(u64::from(i)), i);
        }
        assert!(set.keys.len() >= 25_000, "grown past its first size");
        for i in 1..=20_000u32 {
            assert_eq!(set.get(hash(u64::from(i))), Some(i));
        }
        assert_eq!(set.get(hash(0)), None);
        assert_eq!(set.len, 20_000);
        set.insert(hash(7), 99);
        assert_eq!((set.get(hash(7)), set.len), (Some(7), 20_000), "a hash present keeps its first id");
    }
}
