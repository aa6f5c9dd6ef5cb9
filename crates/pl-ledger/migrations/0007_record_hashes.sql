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

-- A batch's file is stored in chunks cut where its content says (after a line whose last bytes
-- hash to a chosen value), so an overlapping export cuts the lines it shares with an earlier file
-- into the same chunks. A chunk whose bytes a stored chunk already holds (checked byte for byte)
-- is not stored again: its row has an empty `data` and names the row holding the bytes
-- (`same_batch`, `same_seq`). `chunk_hash` (xxh3-128 of the chunk's bytes, 16 bytes
-- little-endian) is set on the rows holding bytes, NULL on the files stored before this
-- migration.
ALTER TABLE batch_files ADD COLUMN chunk_hash BLOB;
ALTER TABLE batch_files ADD COLUMN same_batch INTEGER;
ALTER TABLE batch_files ADD COLUMN same_seq INTEGER;
CREATE INDEX batch_files_chunk ON batch_files(chunk_hash) WHERE chunk_hash IS NOT NULL AND same_batch IS NULL;
