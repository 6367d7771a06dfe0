# examples.sh — shell helpers of the examples' smoke tests (test_examples_*.sh), sourced
# after setting $suite: counters and PASS/FAIL lines, the skip and summary lines that
# tests/summary.sh adds up, a scratch directory $T, and checks of results and curves. POSIX sh.

passed=0
failed=0
skipped=0

ok() { passed=$((passed + 1)); echo "PASS: $1"; }
# bad DESC [DETAIL]: a failure, with the detail and the last command's stderr.
bad() {
    failed=$((failed + 1))
    echo "FAIL: $1"
    [ -n "${2:-}" ] && echo "      $2"
    [ -f "$T/err" ] && sed 's/^/      stderr: /' "$T/err" | head -5
    return 0
}
# check DESC COMMAND...: ok when COMMAND succeeds, else bad.
check() {
    desc=$1
    shift
    if "$@"; then ok "$desc"; else bad "$desc"; fi
}
# skip REASON: the whole suite is skipped (exit 77, which automake reports as SKIP).
skip() {
    echo "SKIP: $1"
    echo "$suite: 0 passed, 0 failed, 1 skipped"
    exit 77
}
# skip_case REASON: one case cannot run here (no GPU, say); the rest of the suite goes on.
skip_case() {
    skipped=$((skipped + 1))
    echo "SKIP: $1"
}
# finish: the summary line; the exit status says whether everything passed.
finish() {
    echo "$suite: $passed passed, $failed failed, $skipped skipped"
    [ "$failed" -eq 0 ]
    exit
}

# The examples sit beside lcnet in the build tree.
build=$(dirname "${LCNET:-./lcnet}")

T=$(mktemp -d "${TMPDIR:-/tmp}/lc_$suite.XXXXXX") || exit 99
trap 'rm -rf "$T"' EXIT
trap 'exit 130' INT TERM

# run PROG ARGS...: stdout in $T/out, stderr in $T/err, exit code in $rc.
run() {
    "$@" >"$T/out" 2>"$T/err" </dev/null
    rc=$?
}
# field NAME: the value of NAME=... on the output's "result" line ("" when absent).
field() { sed -n 's/^result.* '"$1"'=\([^ ]*\).*$/\1/p' "$T/out" | tail -1; }
# within VALUE LO HI: a number in [LO, HI].
within() { awk -v v="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(v != "" && v + 0 == v && v >= lo && v <= hi) }'; }
# below A B: two numbers, A < B.
below() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a != "" && b != "" && a + 0 == a && b + 0 == b && a < b) }'; }
# fell FILE COLUMN [KEY]: the CSV column's last value (of the rows with KEY in column 1) is below its first.
fell() {
    awk -F, -v c="$2" -v s="${3:-}" 'NR > 1 && (s == "" || $1 == s) { if (n++ == 0) first = $c; last = $c }
        END { exit !(n >= 2 && last + 0 < first + 0) }' "$1"
}
is_png() { [ "$(head -c 8 "$1" 2>/dev/null | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ]; }
