#!/bin/sh
# summary.sh DIR... — adds up the "<suite>: N passed, N failed, N skipped" lines
# of the test logs in each DIR (one per build: plain, sanitized) and prints one
# total line (the last line CI reads). A
# suite that crashed before printing its line counts as one failure; one that
# exited 77 (no GPU, say) as one skip.
[ $# -gt 0 ] || set -- tests
total_p=0; total_f=0; total_s=0
for log in $(for dir in "$@"; do ls "$dir"/*.log 2>/dev/null; done); do
    [ -f "$log" ] || continue
    trs=${log%.log}.trs
    line=$(grep -E '^[a-z_]+: [0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
    if [ -n "$line" ]; then
        echo "$line  ($(dirname "$log"))"
        p=$(echo "$line" | sed -E 's/.*: ([0-9]+) passed.*/\1/')
        f=$(echo "$line" | sed -E 's/.* ([0-9]+) failed.*/\1/')
        s=$(echo "$line" | sed -nE 's/.* ([0-9]+) skipped.*/\1/p')
        total_p=$((total_p + p)); total_f=$((total_f + f)); total_s=$((total_s + ${s:-0}))
    elif grep -q ':test-result: SKIP' "$trs" 2>/dev/null; then
        echo "$(basename "$log" .log): skipped as a whole"
        total_s=$((total_s + 1))
    else
        echo "$(basename "$log" .log): no summary line (crashed?) - counted as 1 failure"
        total_f=$((total_f + 1))
    fi
done
echo "total: $total_p passed, $total_f failed, $total_s skipped"
