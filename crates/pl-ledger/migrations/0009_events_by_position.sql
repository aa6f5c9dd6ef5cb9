-- 0009: approval at the speed of an append (issue 11: 1M events approved in ≤ 3 s).
--
-- A frozen event used to cost SQLite six b-tree inserts: the table, its text `id` key, (month, seq),
-- (month, state), the txn and the manual-refund keys. Now it costs two:
-- - `pos` = (year × 12 + month − 1) << 32 | seq is the row id: a month's events sit together in
--   approval order, so an approval appends to the table, a month is read as a `pos` range and
--   deleted as one; `month` and `seq` stay as plain columns;
-- - `id` (`tx-<txn_id>` / `mr-<manual_id>`, what Wix and the operator see) is derived from the two
--   keys as a virtual column: stored nowhere, indexed nowhere; a lookup by id is one by its key;
-- - the txn key's unique index stays (the frozen-row probes of imports, edits and undo), as does
--   the manual refund's (a handful of rows); the outbox's index on (month, state) becomes partial,
--   on the events that left the queue: an approval adds nothing to it, a submission one entry an
--   event; `months.events` keeps each approval's count, so the queued count is a subtraction;
-- - the unused `payload` (0006) goes, and the foreign keys to `txns` / `manual_refunds`: rows are
--   never deleted (an undo marks them) and the engine refuses to undo or edit a frozen row.
-- The CHECKs are written as `=`/`OR`: SQLite evaluates them per inserted row, and its `IN` list
-- cost 0.3 s a million rows more.

-- Every stored id must be the one derived from its key, or the conversion would change what Wix
-- was told. Ledgers written by this product always hold such ids; anything else stops here.
CREATE TEMP TABLE m0009_bad_id (id TEXT);
CREATE TEMP TRIGGER m0009_refuse BEFORE INSERT ON m0009_bad_id BEGIN
    SELECT raise(ABORT, 'migration 0009: an approved event''s id is not tx-<row id> or mr-<manual refund id>; this ledger was not written by Partner Ledger. Restore it from a backup or ask for support.');
END;
INSERT INTO m0009_bad_id
    SELECT id FROM events
    WHERE id IS NOT (CASE WHEN txn_id IS NOT NULL THEN 'tx-' || txn_id ELSE 'mr-' || manual_id END)
       OR (txn_id IS NULL) = (manual_id IS NULL)
    LIMIT 1;
DROP TABLE m0009_bad_id;

-- The attempts keep the event's id as text, without a foreign key (there is no stored id to
-- point to any more); the engine writes them only for events it has just read.
CREATE TABLE outbox_attempts_0009 (
    id          INTEGER PRIMARY KEY,
    event_id    TEXT NOT NULL,
    started_at  TEXT NOT NULL,
    finished_at TEXT,
    outcome     TEXT,
    http_status INTEGER,
    auth_flow   TEXT,
    response    TEXT,
    message     TEXT
) STRICT;
INSERT INTO outbox_attempts_0009 (id, event_id, started_at, finished_at, outcome, http_status, auth_flow, response, message)
    SELECT id, event_id, started_at, finished_at, outcome, http_status, auth_flow, response, message FROM outbox_attempts;
DROP TABLE outbox_attempts;
ALTER TABLE outbox_attempts_0009 RENAME TO outbox_attempts;
CREATE INDEX outbox_attempts_event ON outbox_attempts(event_id);

CREATE TABLE events_0009 (
    pos          INTEGER PRIMARY KEY,
    month        TEXT NOT NULL REFERENCES months(month),
    seq          INTEGER NOT NULL,
    txn_id       INTEGER,
    manual_id    INTEGER,
    instance_id  TEXT NOT NULL,
    billing_type TEXT NOT NULL CHECK (billing_type = 'CHARGE' OR billing_type = 'REFUND'),
    created_date TEXT NOT NULL,
    gross        TEXT NOT NULL,
    expenses     TEXT NOT NULL,
    net          TEXT NOT NULL,
    rate         TEXT NOT NULL,
    wix_share    TEXT NOT NULL,
    source       TEXT NOT NULL,
    source_id    TEXT,
    product      TEXT NOT NULL,
    expense_note TEXT NOT NULL,
    late         INTEGER NOT NULL,
    -- The outbox state: queued → sending → sent | rejected | uncertain.
    state        TEXT NOT NULL DEFAULT 'queued'
        CHECK (state = 'queued' OR state = 'sending' OR state = 'sent' OR state = 'rejected' OR state = 'uncertain'),
    last_error   TEXT,
    rate_basis   TEXT,
    id           TEXT GENERATED ALWAYS AS (CASE WHEN txn_id IS NOT NULL THEN 'tx-' || txn_id ELSE 'mr-' || manual_id END) VIRTUAL,
    CHECK ((txn_id IS NULL) <> (manual_id IS NULL)),
    CHECK (seq >= 0 AND seq < 4294967296)
) STRICT;
INSERT INTO events_0009 (pos, month, seq, txn_id, manual_id, instance_id, billing_type, created_date, gross, expenses, net, rate,
                         wix_share, source, source_id, product, expense_note, late, state, last_error, rate_basis)
    SELECT ((CAST(substr(month, 1, 4) AS INTEGER) * 12 + CAST(substr(month, 6, 2) AS INTEGER) - 1) << 32) + seq,
           month, seq, txn_id, manual_id, instance_id, billing_type, created_date, gross, expenses, net, rate,
           wix_share, source, source_id, product, expense_note, late, state, last_error, rate_basis
    FROM events ORDER BY month, seq;
DROP TABLE events;
ALTER TABLE events_0009 RENAME TO events;
CREATE UNIQUE INDEX events_txn ON events(txn_id) WHERE txn_id IS NOT NULL;
CREATE UNIQUE INDEX events_manual ON events(manual_id) WHERE manual_id IS NOT NULL;
CREATE INDEX events_left_queue ON events(month, state) WHERE state <> 'queued';

ALTER TABLE months ADD COLUMN events INTEGER NOT NULL DEFAULT 0;
UPDATE months SET events = (SELECT count(*) FROM events e WHERE e.month = months.month);
