#!/usr/bin/env bash
# Engine benchmarks (`make bench`): a 1M-row stripe-itemized import into a fresh ledger, the
# same file again, an overlapping export (with the floor it is held to: the duplicate-only pass),
# then the month report (JSON and Wix CSV) of 1M events
# over 100k instances, open and approved. Data goes to bench-data/ (git-ignored).
# Prints a table; figures are for the machine it runs on (see BENCHMARKS.md).
set -euo pipefail
cd "$(dirname "$0")/.."

ROWS=${BENCH_ROWS:-1000000}
INSTANCES=${BENCH_INSTANCES:-100000}
MONTH=2026-03
DATA=bench-data
mkdir -p "$DATA"

cargo build --release --quiet --bin partner-ledger --example bench --example bench_window
PL=target/release/partner-ledger
BENCH=target/release/examples/bench
WINDOW=target/release/examples/bench_window

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
row() { TABLE+=("$(printf '%-44s %14s %22s %9s' "$1" "$2" "$3" "$4")"); }
field() { awk -v k="$1=" '{ for (i = 1; i <= NF; i++) if (index($i, k) == 1) print substr($i, length(k) + 1) }'; }

imp() { # label file (leaves the bench's output in $out)
  # Dirty pages of the previous run (its ledger, its exports) are written out first, so the
  # import does not share the disk with them.
  sync
  out=$("$BENCH" import "$DB" "$2" 2>/dev/null)
  row "$1" "$(echo "$out" | field rows_per_sec) rows/s" "$(echo "$out" | field secs) s" "$(echo "$out" | field peak_mb) MB"
}
imp "import $ROWS rows (fresh ledger)" "$CSV"
imp "re-import, same file" "$CSV"
imp "re-import, overlapping export (+1 row)" "$OVER"
OVER_SECS=$(echo "$out" | field secs)
# The floor the overlapping re-import is held to (issue 11: ≤ 1.5×): the project's own
# duplicate-only pass over the same file — load the live rows' record hashes, SHA-256 the file,
# read it with the CSV reader hashing and probing each record — nothing parsed, nothing written.
sync
FLOOR=$("$BENCH" floor "$DB" "$OVER" 2>/dev/null)
FLOOR_SECS=$(echo "$FLOOR" | field secs)
row "  floor (read, hash, probe each record)" "" "$FLOOR_SECS s" "$(echo "$FLOOR" | field peak_mb) MB"
row "  overlapping re-import / floor" "" "$(awk -v a="$OVER_SECS" -v b="$FLOOR_SECS" 'BEGIN { printf "%.2fx", a / b }')" ""

"$PL" --db "$DB" app set --id 11111111-2222-4333-8444-555555555555 --name "Bench App" >/dev/null
"$PL" --db "$DB" rates add --from 2026-01-01 --percent 20 >/dev/null

# Report timings on a shared 2-core VM vary by ±30 % from run to run (mostly the cost of
# faulting in fresh memory): each report step runs REPEAT times (BENCH_REPEAT, default 5) and
# the table shows the median, with the fastest and slowest run.
REPEAT=${BENCH_REPEAT:-5}
timed() { # label, repeat, command...
  local label=$1 n=$2; shift 2
  local runs=()
  for ((i = 0; i < n; i++)); do
    sync
    /usr/bin/time -o "$DATA/time.txt" -f "%e %M" "$@" >/dev/null 2>&1
    runs+=("$(tail -1 "$DATA/time.txt")")
  done
  local stats
  stats=$(printf '%s\n' "${runs[@]}" | sort -n | awk '{t[NR]=$1; m[NR]=$2} END {
    mid=int((NR+1)/2); if (NR > 1) r=sprintf(" (%s–%s)", t[1], t[NR]); else r="";
    max=0; for (i in m) if (m[i] > max) max=m[i];
    printf "%s s%s|%d MB", t[mid], r, max/1024 }')
  row "$label" "" "${stats%|*}" "${stats#*|}"
}
# The window's path: the Rust calls the desktop's Month view makes (month_summary, the first
# page of instances, the chart's top 10, the first page of events), then a later page, filters,
# a sort, a search, each timed in one process that keeps the month's view (as the app does).
# The median run of REPEAT by its first-rows time.
window() { # label
  local runs=() i
  for ((i = 0; i < REPEAT; i++)); do
    sync
    runs+=("$("$WINDOW" "$DB" "$MONTH" 2>/dev/null)")
  done
  local mid
  mid=$(printf '%s\n' "${runs[@]}" | awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^first_secs=/) { split($i, a, "="); print a[2], NR } }' | sort -n | awk '{ l[NR] = $2 } END { print l[int((NR + 1) / 2)] }')
  local w=${runs[$((mid - 1))]}
  row "$1: totals + first pages" "" "$(echo "$w" | field first_secs) s" "$(echo "$w" | field peak_mb) MB"
  row "  later page / filter / sort / search (worst)" "" "$(echo "$w" | field worst_later_secs) s" ""
}
# The same path once in the real window: the release desktop app on a copy of the ledger,
# driven by WebDriver under Xvfb (tests/e2e/window_bench.mjs): from opening the Month view to its
# first event rows, and to the rows after a scroll to event 500,000; the app's and WebKit's peak
# memory. Skipped, saying why, where the desktop tools are missing.
real_window() { # label
  if ! command -v xvfb-run >/dev/null || ! [ -d tests/e2e/node_modules ] || ! { command -v tauri-driver >/dev/null || [ -x "$HOME/.cargo/bin/tauri-driver" ]; }; then
    row "$1" "" "skipped (make deps, npm ci in tests/e2e)" ""
    return
  fi
  cp "$DB" "$DATA/window.sqlite"
  rm -f "$DATA/window.sqlite-wal" "$DATA/window.sqlite-shm"
  local w
  w=$(cd tests/e2e && NO_AT_BRIDGE=1 xvfb-run -a -s "-screen 0 1280x900x24 -nolisten tcp" node window_bench.mjs "../../$DATA/window.sqlite" "$MONTH" 2>/dev/null | tail -1)
  row "$1: first event rows" "" "$(echo "$w" | field first_rows_ms) ms" "app $(echo "$w" | field app_peak_mb) MB"
  row "  app before the Month view (GTK, WebKit's UI side)" "" "" "$(echo "$w" | field app_before_mb) MB"
  row "  of which month_summary in the app" "" "$(echo "$w" | field summary_command_ms) ms" ""
  row "  scroll to event 500,000" "" "$(echo "$w" | field later_page_ms) ms" "web $(echo "$w" | field webkit_peak_mb) MB"
  rm -f "$DATA/window.sqlite" "$DATA/window.sqlite-wal" "$DATA/window.sqlite-shm"
}
cargo build --release --quiet -p partner-ledger-desktop
EVENTS=$("$PL" --db "$DB" report --month "$MONTH" | sed -n 's/^\([0-9]*\) events:.*/\1/p')
window "window, open month ($EVENTS events)"
real_window "real window (WebDriver), open month"
timed "report --json, open month" "$REPEAT" "$PL" --db "$DB" --json report --month "$MONTH"
timed "report --wix-csv, open month" "$REPEAT" "$PL" --db "$DB" report --month "$MONTH" --wix-csv "$DATA/wix-open.csv"
timed "approve --month" 1 "$PL" --db "$DB" approve --month "$MONTH"
window "window, approved month"
real_window "real window (WebDriver), approved month"
timed "report --json, approved month" "$REPEAT" "$PL" --db "$DB" --json report --month "$MONTH"
timed "report --wix-csv, approved month" "$REPEAT" "$PL" --db "$DB" report --month "$MONTH" --wix-csv "$DATA/wix-approved.csv"
cmp -s "$DATA/wix-open.csv" "$DATA/wix-approved.csv" || echo "warning: the approved month's Wix CSV differs from the open month's" >&2

# Submission: 10,000 approved events to the in-process Wix simulator over loopback, default concurrency.
cargo build --release --quiet --example bench_submit
SUB=$(target/release/examples/bench_submit 10000 4)
row "submit 10000 events (p50 $(echo "$SUB" | field p50_ms) ms, p99 $(echo "$SUB" | field p99_ms) ms)" \
  "$(echo "$SUB" | field events_per_sec) ev/s" "$(echo "$SUB" | field secs) s" ""

echo
echo "Partner Ledger benchmarks — $(nproc) cores, $(date -u +%Y-%m-%d)"
printf '%-44s %14s %22s %9s\n' "what" "throughput" "time" "peak RSS"
printf '%s\n' "${TABLE[@]}"

# Custom Charges (issue 13): ListCharges against 100,000 instances with 10 usage rows each in the
# period, calls signed ahead, 16 concurrent clients over loopback in the same process as the
# provider (both on this machine's cores). Target: ≥ 2,000 calls/s, p99 < 20 ms.
cargo build --release --quiet -p pl-provider --example bench_charges
CH=$(target/release/examples/bench_charges "$DATA/charges.sqlite" 100000 10 40000 16 2>/dev/null)
DO=$(echo "$CH" | grep '^display_only')
CI=$(echo "$CH" | grep '^create_invoice')
echo "ListCharges DISPLAY_ONLY  (100k instances × 10 rows): $(echo "$DO" | field calls_per_sec) calls/s, p50 $(echo "$DO" | field p50_ms) ms, p99 $(echo "$DO" | field p99_ms) ms"
echo "ListCharges CREATE_INVOICE (each freezes an answer):  $(echo "$CI" | field calls_per_sec) calls/s, p50 $(echo "$CI" | field p50_ms) ms, p99 $(echo "$CI" | field p99_ms) ms"
