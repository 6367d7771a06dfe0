#!/bin/sh
# bench/fuzz.sh — build the libFuzzer targets and run each for a while; print executions,
# speed and what was found. Never part of `make check` (fuzz/ci.sh is the short CI run).
#   bench/fuzz.sh [seconds-per-target]     default 60
#   LC_FUZZ_ONLY="mtx spec" bench/fuzz.sh  a subset of the targets
#   LC_FUZZ_EXTRA=DIR bench/fuzz.sh        DIR/<target>/ holds extra seeds (read only; keep
#                                          them out of the repository, e.g. under /tmp)
# The growing corpus of each target is kept in fuzz/out/corpus/<target>/ (so a second run
# goes on from where the first stopped); crashes, leaks, timeouts and out-of-memory inputs
# go to fuzz/out/artifacts/<target>/. Reproduce one with: fuzz/out/fuzz_<target> FILE
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-60}
. "$root/fuzz/env.sh"
targets=${LC_FUZZ_ONLY:-$LC_FUZZ_TARGETS}

# crash-*, leak-*, timeout-* and oom-* files in a folder
findings() {
    n=0
    for f in "$1"/crash-* "$1"/leak-* "$1"/timeout-* "$1"/oom-*; do
        [ -e "$f" ] && n=$((n + 1))
    done
    echo $n
}

"$root/fuzz/build.sh" || exit 1
printf '\n%-11s %8s %12s %9s %10s  %s\n' target seconds executions exec/s new-finds corpus
total_found=0
for t in $targets; do
    corpus=$root/fuzz/out/corpus/$t
    art=$root/fuzz/out/artifacts/$t
    log=$root/fuzz/out/fuzz_$t.log
    mkdir -p "$corpus" "$art"
    extra=""
    [ -n "${LC_FUZZ_EXTRA:-}" ] && [ -d "$LC_FUZZ_EXTRA/$t" ] && extra=$LC_FUZZ_EXTRA/$t
    before=$(findings "$art")
    start=$(date +%s)
    # shellcheck disable=SC2086
    "$root/fuzz/out/fuzz_$t" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 \
        -print_final_stats=1 -artifact_prefix="$art/" \
        "$corpus" "$root/fuzz/corpus/$t" $extra >"$log" 2>&1
    rc=$?
    elapsed=$(($(date +%s) - start))
    [ $elapsed -gt 0 ] || elapsed=1
    after=$(findings "$art")
    found=$((after - before))
    total_found=$((total_found + found))
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    # after a crash the final stats may be missing: take the last status line
    [ -n "$runs" ] || runs=$(sed -n 's/^#\([0-9][0-9]*\).*/\1/p' "$log" | tail -1)
    runs=${runs:-0}
    printf '%-11s %8d %12d %9d %10d  %s files%s\n' "$t" "$elapsed" "$runs" \
        $((runs / elapsed)) "$found" "$(ls "$corpus" | wc -l)" \
        "$([ $rc -ne 0 ] && echo ", exit $rc: see $log")"
done
echo
if [ $total_found -gt 0 ]; then
    echo "bench/fuzz.sh: $total_found new finding(s) in fuzz/out/artifacts/:"
    ls -1t "$root"/fuzz/out/artifacts/*/* 2>/dev/null | head -20
    exit 1
fi
echo "bench/fuzz.sh: no finding"
