# fuzz/env.sh — sanitizer settings shared by fuzz/ci.sh and bench/fuzz.sh (sourced, not run).
#
# An allocation above 64 MiB returns NULL instead of reaching libFuzzer's
# malloc limit: a two-line edge list may name node 2^31-2, and the library is
# meant to answer such a file with LC_ERR_OUT_OF_MEMORY, not to be killed.
# This tests exactly that path (a machine with that little memory), and keeps
# each run fast. libFuzzer itself needs blocks of ~20 MiB, hence not lower.
# Leaks are reported (LeakSanitizer is on by default with ASan); UBSan prints
# a stack and, as built with -fno-sanitize-recover, stops the run.
: "${LC_FUZZ_MAX_ALLOC_MB:=64}"
export ASAN_OPTIONS="${ASAN_OPTIONS:-allocator_may_return_null=1:max_allocation_size_mb=$LC_FUZZ_MAX_ALLOC_MB:quarantine_size_mb=64}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1}"
# The readers' temp files: memory-backed when /dev/shm is there (less disk churn).
if [ -z "${TMPDIR:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ]; then
    export TMPDIR=/dev/shm
fi
# The targets, in the order they are run.
# shellcheck disable=SC2034
LC_FUZZ_TARGETS="edgelist mtx linqs planetoid spec checkpoint idx mesh xyz pcd part"
