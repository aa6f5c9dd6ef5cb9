-- 0010: Custom Charges (SPEC §9): metered usage, ingestion tokens, usage plans, charge limits,
-- the answers frozen by CREATE_INVOICE and their charges, and the log of every call Wix made.
-- Nothing here refers to a table of an earlier migration but `settings` (the app's public key
-- is the setting `app.public_key`), so the migration stands on its own.

-- One row per usage record the vendor sent (CSV or POST /v1/usage), idempotent on `id`.
-- `occurred_ms` is the instant in Unix milliseconds: Wix's periods are millisecond instants.
-- `answer_id` is the frozen answer (CREATE_INVOICE) that consumed the row: a consumed row is
-- never charged again, in any period.
CREATE TABLE usage (
    seq          INTEGER PRIMARY KEY,
    id           TEXT NOT NULL UNIQUE,
    instance_id  TEXT NOT NULL,
    occurred_at  TEXT NOT NULL,
    occurred_ms  INTEGER NOT NULL,
    metric       TEXT NOT NULL,
    quantity     TEXT NOT NULL,
    received_at  TEXT NOT NULL,
    source       TEXT NOT NULL,
    answer_id    INTEGER REFERENCES charge_answers(id)
) STRICT;

-- ListCharges reads an instance's open usage of a period from this index alone (covering).
CREATE INDEX usage_open ON usage(instance_id, occurred_ms, metric, quantity) WHERE answer_id IS NULL;
CREATE INDEX usage_by_answer ON usage(answer_id) WHERE answer_id IS NOT NULL;

-- Bearer tokens of `POST /v1/usage`, stored as SHA-256 hex only.
CREATE TABLE ingestion_tokens (
    id          INTEGER PRIMARY KEY,
    sha256      TEXT NOT NULL UNIQUE,
    hint        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    revoked_at  TEXT
) STRICT;

-- A usage plan entry: a metric's unit prices (one row per currency), in force from a UTC day,
-- for the app (instance_id '') or one instance (an override, which wins).
CREATE TABLE usage_plans (
    metric          TEXT NOT NULL,
    instance_id     TEXT NOT NULL DEFAULT '',
    effective_from  TEXT NOT NULL,
    currency        TEXT NOT NULL,
    unit_price      TEXT NOT NULL,
    description     TEXT NOT NULL,
    added_at        TEXT NOT NULL,
    added_by        TEXT NOT NULL,
    PRIMARY KEY (metric, instance_id, effective_from, currency)
) STRICT;

-- Charge limits per instance and currency; instance_id '' is the app's default.
CREATE TABLE charge_limits (
    instance_id  TEXT NOT NULL,
    currency     TEXT NOT NULL,
    amount       TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    updated_by   TEXT NOT NULL,
    PRIMARY KEY (instance_id, currency)
) STRICT;

-- An answer frozen by CREATE_INVOICE (kind 'charges' for ListCharges, 'usages' for ListUsages):
-- `body` is the exact bytes answered, sent again for the same instance, currency and period.
-- An answer Wix rejected (Charges Rejected, nothing invoiced) is kept with `rejected_at` and no
-- longer binds its key; its usage rows were released.
CREATE TABLE charge_answers (
    id               INTEGER PRIMARY KEY,
    kind             TEXT NOT NULL,
    instance_id      TEXT NOT NULL,
    currency         TEXT NOT NULL,
    period_start_ms  INTEGER NOT NULL,
    period_end_ms    INTEGER NOT NULL,
    body             TEXT NOT NULL,
    left_out         TEXT NOT NULL,
    request_id       TEXT,
    frozen_at        TEXT NOT NULL,
    rejected_at      TEXT,
    rejected_reasons TEXT
) STRICT;
CREATE UNIQUE INDEX charge_answers_key ON charge_answers(instance_id, currency, period_start_ms, period_end_ms, kind)
    WHERE rejected_at IS NULL;

-- The charges of a frozen answer, in answer order; Invoice Created fills the invoice columns.
CREATE TABLE charge_lines (
    answer_id        INTEGER NOT NULL REFERENCES charge_answers(id),
    position         INTEGER NOT NULL,
    charge_id        TEXT NOT NULL,
    metric           TEXT NOT NULL,
    description      TEXT NOT NULL,
    amount           TEXT NOT NULL,
    invoice_id       TEXT,
    invoiced_amount  TEXT,
    invoiced_at      TEXT,
    PRIMARY KEY (answer_id, position)
) STRICT;
CREATE INDEX charge_lines_charge ON charge_lines(charge_id);

-- Every call Wix made to the provider, accepted or refused.
CREATE TABLE charge_calls (
    id            INTEGER PRIMARY KEY,
    received_at   TEXT NOT NULL,
    endpoint      TEXT NOT NULL,
    status        INTEGER NOT NULL,
    request_id    TEXT,
    instance_id   TEXT,
    intent        TEXT,
    currency      TEXT,
    period_start  TEXT,
    period_end    TEXT,
    answer        TEXT,
    left_out      TEXT,
    frozen        TEXT,
    token_iat     INTEGER,
    token_exp     INTEGER,
    note          TEXT
) STRICT;
CREATE INDEX charge_calls_instance ON charge_calls(instance_id, id) WHERE instance_id IS NOT NULL;
