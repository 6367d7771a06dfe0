#!/bin/sh
# fuzz/ci.sh — CI smoke test: build the fuzz targets, run each 5 s on its committed corpus,
# fail on any crash, leak, timeout or sanitizer report. Exit 77 (skip) without clang/libFuzzer.
#   fuzz/ci.sh [seconds-per-target]
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-5}
. "$root/fuzz/env.sh"

cc=${CC:-clang}
if ! command -v "$cc" >/dev/null 2>&1 ||
    ! echo 'int LLVMFuzzerTestOneInput(const char *d, long n) { return 0; }' |
        "$cc" -x c -fsanitize=fuzzer,address,undefined -o /dev/null - >/dev/null 2>&1; then
    echo "fuzz/ci.sh: SKIP: $cc with libFuzzer not available (apt-get install clang libclang-rt-14-dev)"
    exit 77
fi
mkdir -p "$root/fuzz/out"
"$root/fuzz/build.sh" >"$root/fuzz/out/build.log" 2>&1 || {
    cat "$root/fuzz/out/build.log"
    echo "fuzz/ci.sh: build failed"
    exit 1
}

passed=0
failed=0
for t in $LC_FUZZ_TARGETS; do
    work=$root/fuzz/out/ci/$t
    rm -rf "$work"
    mkdir -p "$work/corpus" "$work/artifacts"
    # new inputs go to the scratch corpus (first directory); the committed one is only read
    "$root/fuzz/out/fuzz_$t" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 \
        -print_final_stats=1 -artifact_prefix="$work/artifacts/" \
        "$work/corpus" "$root/fuzz/corpus/$t" >"$work/log" 2>&1
    rc=$?
    found=$(ls "$work/artifacts" | wc -l)
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log" | tail -1)
    if [ $rc -ne 0 ] || [ "$found" -ne 0 ]; then
        failed=$((failed + 1))
        echo "FAIL fuzz_$t: exit $rc, ${runs:-?} runs, artifacts: $(ls "$work/artifacts" | tr '\n' ' ')"
        grep -E '^(==[0-9]+==ERROR|SUMMARY|fuzz: |.*runtime error)' "$work/log" | head -5
        echo "  reproduce: fuzz/out/fuzz_$t fuzz/out/ci/$t/artifacts/<file>   (log: $work/log)"
    else
        passed=$((passed + 1))
        echo "PASS fuzz_$t: ${runs:-?} runs in ${secs} s"
    fi
done
echo "fuzz: $passed passed, $failed failed"
[ $failed -eq 0 ]
