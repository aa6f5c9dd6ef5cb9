-- 0001: the ledger: settings, import batches with their rows, customer mappings,
-- saved column mappings, and the append-only audit log.

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

CREATE TABLE batches (
    id          INTEGER PRIMARY KEY,
    file_name   TEXT NOT NULL,
    sha256      TEXT NOT NULL,
    format      TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    imported_by TEXT NOT NULL,
    rows_read   INTEGER NOT NULL,
    imported    INTEGER NOT NULL,
    duplicates  INTEGER NOT NULL,
    skipped     INTEGER NOT NULL,
    undone_at   TEXT,
    undone_by   TEXT,
    -- A batch's rows are one contiguous run of txns ids (one writer, one transaction).
    first_txn   INTEGER,
    last_txn    INTEGER
) STRICT;

-- One row per imported processor row (skipped ones included: they stop a re-import from adding
-- them again). Amounts are decimal strings, never REAL. A row's format is its batch's; the file's
-- raw bytes are kept per batch in `batch_files`.
CREATE TABLE txns (
    id             INTEGER PRIMARY KEY,
    batch_id       INTEGER NOT NULL REFERENCES batches(id),
    line           INTEGER NOT NULL,
    -- xxh3-64 of dedup_key: a small index key; equality is always checked on dedup_key itself.
    key_hash       INTEGER NOT NULL,
    dedup_key      TEXT NOT NULL,
    source_id      TEXT NOT NULL,
    kind           TEXT NOT NULL,
    skip_reason    TEXT,
    occurred_at    TEXT NOT NULL,
    -- The same instant in Unix seconds: the key of range queries by month.
    occurred_ts    INTEGER NOT NULL,
    currency       TEXT NOT NULL,
    gross          TEXT NOT NULL,
    fee            TEXT NOT NULL,
    net            TEXT NOT NULL,
    tax            TEXT NOT NULL,
    -- The metadata value only when it is not a GUID (an invalid_instance exception).
    instance_meta  TEXT,
    customer_key   TEXT,
    charge_ref     TEXT,
    charge_hash    INTEGER,
    original_ref   TEXT,
    original_hash  INTEGER,
    payout_ref     TEXT,
    conversion_ref TEXT,
    description    TEXT,
    instance_id    TEXT,
    resolved_by    TEXT,
    undone         INTEGER NOT NULL DEFAULT 0
) STRICT;

-- Dedup: a row key is live at most once; an undone batch frees its keys for a later import.
-- Indexes are few on purpose: each costs every imported row a B-tree insert.
CREATE UNIQUE INDEX txns_dedup ON txns(key_hash) WHERE undone = 0;
CREATE INDEX txns_charge ON txns(charge_hash) WHERE charge_hash IS NOT NULL;
CREATE INDEX txns_original ON txns(original_hash) WHERE original_hash IS NOT NULL;
CREATE INDEX txns_payouts ON txns(payout_ref) WHERE kind = 'payout';
CREATE INDEX txns_unresolved ON txns(kind) WHERE instance_id IS NULL AND undone = 0;
CREATE INDEX txns_occurred ON txns(occurred_ts);

-- The live rows of each payout (its items), kept by imports and undos, for the payout check.
CREATE TABLE payout_items (
    payout_ref TEXT PRIMARY KEY,
    items      INTEGER NOT NULL,
    net        TEXT NOT NULL
) STRICT;

-- Each batch's file as it was read, in LZ4-compressed blocks (the raw rows, for the audit trail).
CREATE TABLE batch_files (
    batch_id INTEGER NOT NULL REFERENCES batches(id),
    seq      INTEGER NOT NULL,
    data     BLOB NOT NULL,
    PRIMARY KEY (batch_id, seq)
) STRICT;

CREATE TABLE customer_map (
    customer_key TEXT PRIMARY KEY,
    instance_id  TEXT NOT NULL,
    saved_at     TEXT NOT NULL,
    saved_by     TEXT NOT NULL
) STRICT;

CREATE TABLE column_mappings (
    name     TEXT PRIMARY KEY,
    toml     TEXT NOT NULL,
    saved_at TEXT NOT NULL,
    saved_by TEXT NOT NULL
) STRICT;

CREATE TABLE audit (
    id      INTEGER PRIMARY KEY,
    at      TEXT NOT NULL,
    who     TEXT NOT NULL,
    action  TEXT NOT NULL,
    entity  TEXT NOT NULL,
    before  TEXT,
    after   TEXT
) STRICT;

CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
