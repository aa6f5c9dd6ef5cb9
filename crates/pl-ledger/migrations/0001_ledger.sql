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
    undone_by   TEXT
) STRICT;

-- One row per imported processor row (skipped ones included: they keep the file's raw rows
-- and stop a re-import from adding them again). Amounts are decimal strings, never REAL.
-- A row's format is its batch's.
CREATE TABLE txns (
    id             INTEGER PRIMARY KEY,
    batch_id       INTEGER NOT NULL REFERENCES batches(id),
    line           INTEGER NOT NULL,
    dedup_key      TEXT NOT NULL,
    source_id      TEXT NOT NULL,
    kind           TEXT NOT NULL,
    skip_reason    TEXT,
    occurred_at    TEXT NOT NULL,
    currency       TEXT NOT NULL,
    gross          TEXT NOT NULL,
    fee            TEXT NOT NULL,
    net            TEXT NOT NULL,
    tax            TEXT NOT NULL,
    instance_meta  TEXT,
    customer_key   TEXT,
    charge_ref     TEXT,
    original_ref   TEXT,
    payout_ref     TEXT,
    conversion_ref TEXT,
    description    TEXT,
    instance_id    TEXT,
    resolved_by    TEXT,
    undone         INTEGER NOT NULL DEFAULT 0,
    raw            TEXT NOT NULL
) STRICT;

-- Dedup: a row key is live at most once; an undone batch frees its keys for a later import.
CREATE UNIQUE INDEX txns_dedup ON txns(dedup_key) WHERE undone = 0;
CREATE INDEX txns_batch ON txns(batch_id);
CREATE INDEX txns_charge_ref ON txns(charge_ref) WHERE charge_ref IS NOT NULL;
CREATE INDEX txns_unresolved ON txns(kind) WHERE instance_id IS NULL AND undone = 0;
CREATE INDEX txns_occurred ON txns(occurred_at);

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
