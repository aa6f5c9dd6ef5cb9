-- 0007: the record hashes of each batch's rows, what a re-import probes before it parses.
-- A record hash (`pl_import::parse_path_known`) is 128 bits of xxh3 over a CSV record's fields
-- and what decides how they are read (format, header, number style, date order, parser
-- version): a record of a later file with the hash of a live batch's row parses to that row, so
-- it is a duplicate without being parsed. Each blob holds the 16-byte little-endian hashes of up
-- to 65,536 rows the batch added, in row order; a batch's blobs count only while it is not
-- undone. A batch imported before this migration has none: a re-import parses its rows and
-- compares fingerprints, as before.
CREATE TABLE batch_records (
    batch_id INTEGER NOT NULL REFERENCES batches(id),
    seq      INTEGER NOT NULL,
    hashes   BLOB NOT NULL,
    PRIMARY KEY (batch_id, seq)
) STRICT;
