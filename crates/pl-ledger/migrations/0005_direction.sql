-- 0005: direction, unknown types and conflicts (SPEC §2 "Direction, unknown types, conflicts,
-- bounds"): the processor's type text, a fingerprint of what the file said, who changed a row's
-- kind, the operator's classification rules, and the new counts of a batch.

-- The processor's own type text (PayPal `Type`, Stripe category or type, a mapped type column):
-- what a classification rule matches, case-insensitively, for the row's source format.
ALTER TABLE txns ADD COLUMN type_name TEXT;
-- xxh3-64 of what the file said of the row (its parsed kind, currency, UTC date, gross, fee, net,
-- tax), written at insert and never changed: the same key seen again with another fingerprint
-- is a conflict. NULL on rows imported before this migration (computed from the row then).
ALTER TABLE txns ADD COLUMN fingerprint INTEGER;
-- Why `kind` is not what the file said: 'rule' (a classification rule; the file said
-- `unclassified`) or 'charge' (a `sent` refund candidate promoted to `refund`: its original_ref
-- is a live charge of the ledger). NULL: as the file said.
ALTER TABLE txns ADD COLUMN kind_from TEXT;

ALTER TABLE batches ADD COLUMN sent INTEGER NOT NULL DEFAULT 0;
ALTER TABLE batches ADD COLUMN unclassified INTEGER NOT NULL DEFAULT 0;

-- The operator's classification of a type the importer does not know, per source format.
CREATE TABLE classify_rules (
    source    TEXT NOT NULL,
    -- The type, trimmed and lower-cased (Unicode): the match key.
    type_key  TEXT NOT NULL,
    -- The type as the operator wrote it.
    type_name TEXT NOT NULL,
    action    TEXT NOT NULL CHECK (action IN ('charge', 'refund', 'ignore')),
    saved_at  TEXT NOT NULL,
    saved_by  TEXT NOT NULL,
    PRIMARY KEY (source, type_key)
) STRICT;

-- Few rows each: the unclassified rows (exceptions, by month), the rows whose kind the operator's
-- rules or a promotion set, and the refund candidates waiting for their charge.
CREATE INDEX txns_unclassified ON txns(kind, occurred_ts) WHERE kind = 'unclassified' AND undone = 0;
CREATE INDEX txns_kind_from ON txns(kind_from) WHERE kind_from IS NOT NULL;
CREATE INDEX txns_refund_candidates ON txns(original_hash) WHERE kind = 'sent' AND original_hash IS NOT NULL;
