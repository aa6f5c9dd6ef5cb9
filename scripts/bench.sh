#!/usr/bin/env bash
# Engine benchmarks (`make bench`): a 1M-row stripe-itemized import into a fresh ledger, the
# same file again, an overlapping export, then the month report (JSON and Wix CSV) of 1M events
# over 100k instances, open and approved. Data goes to bench-data/ (git-ignored).
# Prints a table; figures are for the machine it runs on (see BENCHMARKS.md).
set -euo pipefail
cd "$(dirname "$0")/.."

ROWS=${BENCH_ROWS:-1000000}
INSTANCES=${BENCH_INSTANCES:-100000}
MONTH=2026-03
DATA=bench-data
mkdir -p "$DATA"

cargo build --release --quiet --bin partner-ledger --example bench
PL=target/release/partner-ledger
BENCH=target/release/examples/bench

CSV="$DATA/stripe-$ROWS.csv"
[ -s "$CSV" ] || "$BENCH" gen "$CSV" --rows "$ROWS" --instances "$INSTANCES" --month "$MONTH"
# An overlapping export: the same rows plus one new one, under another name.
OVER="$DATA/stripe-$ROWS-overlap.csv"
if [ ! -s "$OVER" ]; then
  cp "$CSV" "$OVER"
  echo '"po_x","2026-03-31 23:59:59","txn_overlap_new","2026-03-31 23:59:59","2026-03-31 23:59:59","2026-03-31 23:59:59","2026-03-31 23:59:59","usd","9.00","0.56","8.44","charge","ch_overlap_new","Basic plan - monthly","9.00","usd","cus_x","ch_overlap_new","pi_x","in_x","9ad439b5-0d27-434b-84b2-0000000134b2",""' >>"$OVER"
fi

DB="$DATA/ledger.sqlite"
rm -f "$DB" "$DB-wal" "$DB-shm"

declare -a TABLE
row() { TABLE+=("$(printf '%-44s %14s %10s %9s' "$1" "$2" "$3" "$4")"); }
field() { sed -n "s/.*$1=\([^ ]*\).*/\1/p"; }

imp() { # label file
  local out
  # Dirty pages of the previous run (its ledger, its exports) are written out first, so the
  # import does not share the disk with them.
  sync
  out=$("$BENCH" import "$DB" "$2" 2>/dev/null)
  row "$1" "$(echo "$out" | field rows_per_sec) rows/s" "$(echo "$out" | field secs) s" "$(echo "$out" | field peak_mb) MB"
}
imp "import $ROWS rows (fresh ledger)" "$CSV"
imp "re-import, same file" "$CSV"
imp "re-import, overlapping export (+1 row)" "$OVER"

"$PL" --db "$DB" app set --id 11111111-2222-4333-8444-555555555555 --name "Bench App" >/dev/null
"$PL" --db "$DB" rates add --from 2026-01-01 --percent 20 >/dev/null

timed() { # label, command...
  local label=$1; shift
  local t
  sync
  /usr/bin/time -o "$DATA/time.txt" -f "%e %M" "$@" >/dev/null 2>&1
  t=$(tail -1 "$DATA/time.txt")
  row "$label" "" "$(echo "$t" | cut -d' ' -f1) s" "$(( $(echo "$t" | cut -d' ' -f2) / 1024 )) MB"
}
EVENTS=$("$PL" --db "$DB" report --month "$MONTH" | sed -n 's/^\([0-9]*\) events:.*/\1/p')
timed "report --json, open month ($EVENTS events)" "$PL" --db "$DB" --json report --month "$MONTH"
timed "report --wix-csv, open month" "$PL" --db "$DB" report --month "$MONTH" --wix-csv "$DATA/wix-open.csv"
timed "approve --month" "$PL" --db "$DB" approve --month "$MONTH"
timed "report --json, approved month" "$PL" --db "$DB" --json report --month "$MONTH"
timed "report --wix-csv, approved month" "$PL" --db "$DB" report --month "$MONTH" --wix-csv "$DATA/wix-approved.csv"
cmp -s "$DATA/wix-open.csv" "$DATA/wix-approved.csv" || echo "warning: the approved month's Wix CSV differs from the open month's" >&2

# Submission: 10,000 approved events to the in-process Wix simulator over loopback, default concurrency.
cargo build --release --quiet --example bench_submit
SUB=$(target/release/examples/bench_submit 10000 4)
row "submit 10000 events (p50 $(echo "$SUB" | field p50_ms) ms, p99 $(echo "$SUB" | field p99_ms) ms)" \
  "$(echo "$SUB" | field events_per_sec) ev/s" "$(echo "$SUB" | field secs) s" ""

echo
echo "Partner Ledger benchmarks — $(nproc) cores, $(date -u +%Y-%m-%d)"
printf '%-44s %14s %10s %9s\n' "what" "throughput" "time" "peak RSS"
printf '%s\n' "${TABLE[@]}"
