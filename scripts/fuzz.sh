#!/usr/bin/env bash
# Fuzzes the importers and the report/approval path (`make fuzz`): every target in turn for
# FUZZ_SECONDS, on FUZZ_JOBS processes sharing one corpus; prints per target the executions and
# whether it crashed, the total at the end, and fails when any target crashed.
#
#   FUZZ_SECONDS=120       seconds per target (each of its processes runs that long)
#   FUZZ_JOBS=<nproc>      fuzzing processes per target (they share fuzz/corpus/<target>)
#   FUZZ_TARGETS="..."     a subset, e.g. FUZZ_TARGETS=ledger
#   FUZZ_TIMEOUT=60        seconds one input may take before it counts as a hang
#   FUZZ_SANITIZER=none    or `address` (needs nightly features: RUSTC_BOOTSTRAP=1 is set for it)
#
# The corpus (fuzz/corpus/<target>, kept between runs, not committed) is seeded from the test
# fixtures, fuzz/seeds and fuzz/regressions/<target> (so a run fails at once while a kept crash
# is not fixed); the dictionary is fuzz/dict/csv.dict. A crash leaves its
# input in fuzz/artifacts/<target>/: minimise it with
#   cargo fuzz tmin --sanitizer none <target> fuzz/artifacts/<target>/crash-...
# and keep it in fuzz/regressions/<target>/ (replayed by the fuzz_regressions tests).
# Logs: fuzz/logs/<target>-<job>.log. Not part of `make test`.
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO=${CARGO:-cargo}
CARGO_FUZZ_VERSION=0.13.2
FUZZ_SECONDS=${FUZZ_SECONDS:-120}
FUZZ_JOBS=${FUZZ_JOBS:-$(nproc)}
FUZZ_TARGETS=${FUZZ_TARGETS:-stripe_itemized stripe_balance paypal_activity mapped detect ledger}
FUZZ_TIMEOUT=${FUZZ_TIMEOUT:-60}
FUZZ_SANITIZER=${FUZZ_SANITIZER:-none}
MAX_LEN=16384

if ! "$CARGO" fuzz --version 2>/dev/null | grep -q " $CARGO_FUZZ_VERSION\$"; then
    echo "Installing cargo-fuzz $CARGO_FUZZ_VERSION"
    "$CARGO" install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked
fi

build_env=()
if [ "$FUZZ_SANITIZER" != none ]; then
    build_env=(RUSTC_BOOTSTRAP=1)
fi
export CARGO_TARGET_DIR="$PWD/fuzz/target"
echo "Building the fuzz targets (sanitizer: $FUZZ_SANITIZER; fuzz/target)"
env "${build_env[@]}" "$CARGO" fuzz build --sanitizer "$FUZZ_SANITIZER"
host=$(rustc -vV | sed -n 's/^host: //p')
bin_dir="fuzz/target/$host/release"

mkdir -p fuzz/logs
tmp_root=${TMPDIR:-/tmp}
failed=()
total=0
summary=()
for t in $FUZZ_TARGETS; do
    [ -x "$bin_dir/$t" ] || { echo "no fuzz target \`$t\` (see fuzz/Cargo.toml)" >&2; exit 2; }
    corpus="fuzz/corpus/$t"
    artifacts="fuzz/artifacts/$t"
    mkdir -p "$corpus" "$artifacts"
    # Seeds: every fixture (the forced-format targets learn from the other formats' headers too),
    # small valid files (fuzz/seeds: few columns, so a cell mutation often lands on an amount)
    # and the kept crash inputs of this target. libFuzzer names its own units by hash.
    for f in tests/fixtures/samples/*.csv crates/pl-import/tests/fixtures/*.csv fuzz/seeds/*.csv; do
        cp -n "$f" "$corpus/seed-$(basename "$f")"
    done
    if [ -d "fuzz/regressions/$t" ]; then
        for f in "fuzz/regressions/$t"/*; do
            [ -f "$f" ] && cp -n "$f" "$corpus/regression-$(basename "$f")"
        done
    fi
    echo "Fuzzing $t: $FUZZ_JOBS process(es) for ${FUZZ_SECONDS}s"
    pids=()
    for j in $(seq 1 "$FUZZ_JOBS"); do
        "$bin_dir/$t" -max_total_time="$FUZZ_SECONDS" -print_final_stats=1 -timeout="$FUZZ_TIMEOUT" \
            -max_len="$MAX_LEN" -dict=fuzz/dict/csv.dict -artifact_prefix="$artifacts/" \
            "$corpus" >"fuzz/logs/$t-$j.log" 2>&1 &
        pids+=("$!")
    done
    execs=0
    verdict=ok
    for j in "${!pids[@]}"; do
        pid=${pids[$j]}
        log="fuzz/logs/$t-$((j + 1)).log"
        rc=0
        wait "$pid" || rc=$?
        # The ledger target's folder of this process (see fuzz/fuzz_targets/ledger.rs).
        rm -rf "/dev/shm/pl-fuzz-ledger-$pid" "$tmp_root/pl-fuzz-ledger-$pid"
        # Executions: the final stats, else libFuzzer's `Done N runs` line, else its last `#N` line.
        n=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
        [ -n "$n" ] || n=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$log" | tail -1)
        [ -n "$n" ] || n=$(grep -o '^#[0-9]*' "$log" | tail -1 | tr -d '#')
        execs=$((execs + ${n:-0}))
        if [ "$rc" -ne 0 ]; then
            if grep -q 'ERROR: libFuzzer: timeout' "$log"; then what=timeout
            elif grep -q 'out-of-memory' "$log"; then what=out-of-memory
            else what=crash; fi
            verdict="$what (exit $rc, see $log)"
            artifact=$(grep -o "$artifacts/[a-z-]*[0-9a-f]*" "$log" | tail -1 || true)
            [ -n "$artifact" ] && verdict="$verdict: $artifact"
        fi
    done
    [ "$verdict" = ok ] || failed+=("$t")
    total=$((total + execs))
    rate=$((execs / (FUZZ_SECONDS > 0 ? FUZZ_SECONDS : 1)))
    line=$(printf '%-16s %12d executions  %8d/s  %s' "$t" "$execs" "$rate" "$verdict")
    echo "$line"
    summary+=("$line")
done

echo
echo "Fuzzing summary (${FUZZ_SECONDS}s per target, $FUZZ_JOBS process(es) each):"
printf '  %s\n' "${summary[@]}"
echo "Total executions: $total"
if [ "${#failed[@]}" -gt 0 ]; then
    echo "FAILED: ${failed[*]} crashed (inputs in fuzz/artifacts/<target>/)" >&2
    exit 1
fi
echo "No crash."
