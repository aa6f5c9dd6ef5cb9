-- 0002: the month: revenue-share rates, the FX table, manual refunds, approvals and the
-- events they freeze.

-- Effective-dated revenue-share rates; an instance override wins over the app's rate.
CREATE TABLE rates (
    id             INTEGER PRIMARY KEY,
    effective_from TEXT NOT NULL,
    percent        TEXT NOT NULL,
    instance_id    TEXT,
    added_at       TEXT NOT NULL,
    added_by       TEXT NOT NULL
) STRICT;
CREATE UNIQUE INDEX rates_unique ON rates(effective_from, coalesce(instance_id, ''));

-- USD per unit of a currency, by date (imported by the operator).
CREATE TABLE fx_rates (
    date         TEXT NOT NULL,
    currency     TEXT NOT NULL,
    usd_per_unit TEXT NOT NULL,
    PRIMARY KEY (date, currency)
) STRICT;

CREATE TABLE manual_refunds (
    id           INTEGER PRIMARY KEY,
    instance_id  TEXT NOT NULL,
    refund_date  TEXT NOT NULL,
    created_date TEXT NOT NULL,
    amount       TEXT NOT NULL,
    fee_returned TEXT NOT NULL,
    charge_event TEXT,
    reason       TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    created_by   TEXT NOT NULL,
    deleted_at   TEXT,
    deleted_by   TEXT
) STRICT;

-- A month with no row here is open.
CREATE TABLE months (
    month       TEXT PRIMARY KEY,
    status      TEXT NOT NULL CHECK (status IN ('approved', 'submitted')),
    approved_at TEXT NOT NULL,
    approved_by TEXT NOT NULL
) STRICT;

-- Events frozen by an approval: amounts, rate and the Wix payload never change afterwards.
CREATE TABLE events (
    id           TEXT PRIMARY KEY,
    month        TEXT NOT NULL REFERENCES months(month),
    seq          INTEGER NOT NULL,
    txn_id       INTEGER REFERENCES txns(id),
    manual_id    INTEGER REFERENCES manual_refunds(id),
    instance_id  TEXT NOT NULL,
    billing_type TEXT NOT NULL CHECK (billing_type IN ('CHARGE', 'REFUND')),
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
    payload      TEXT NOT NULL,
    -- The outbox state: queued → sending → sent | rejected | uncertain.
    state        TEXT NOT NULL DEFAULT 'queued'
        CHECK (state IN ('queued', 'sending', 'sent', 'rejected', 'uncertain'))
) STRICT;
CREATE INDEX events_month ON events(month, seq);
CREATE UNIQUE INDEX events_txn ON events(txn_id) WHERE txn_id IS NOT NULL;
CREATE UNIQUE INDEX events_manual ON events(manual_id) WHERE manual_id IS NOT NULL;
