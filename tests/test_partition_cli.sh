#!/bin/sh
# test_partition_cli.sh — `lcnet partition`: the report on the karate club (block and METIS), and its usage errors.
# Run by `make check` (LCNET set). POSIX sh. Ends with "partition_cli: N passed, N failed, N skipped".

suite=partition_cli
. "$(dirname "$0")/examples.sh"
LCNET=${LCNET:-./lcnet}
[ -x "$LCNET" ] || skip "LCNET is not set to the built lcnet program ('$LCNET')"

# row P COLUMN: a column of the report's row for P parts.
row() { awk -v p="$1" -v c="$2" '$1 == p && NF == 12 { print $c; exit }' "$T/out"; }

# Blocks of the karate club: 34 nodes, 156 + 34 nonzeros of A + I.
run "$LCNET" partition --data karate --parts 1,2,34 --method block
if [ "$rc" -eq 0 ] && grep -q "rows 34  nonzeros 190" "$T/out" && [ "$(row 1 3)" = 0 ] &&
    [ "$(row 2 5)" = 17 ] && [ "$(row 2 6)" = 17 ] && [ "$(row 34 3)" = 156 ] &&
    [ "$(row 34 9)" = 17 ] && [ "$(row 34 10)" = 17 ]; then
    ok "block parts of the karate club: cut 0 / all 156 off-diagonal nonzeros, sizes, halos"
else
    bad "block parts of the karate club" "exit $rc: $(cat "$T/out")"
fi
# Bytes: one node a part, so the halo rows are the 156 off-diagonal nonzeros,
# each carrying 4 bytes x (16 + 2 classes) forward and backward.
mb=$(row 34 11)
if [ "$mb" = "$(awk 'BEGIN { printf "%.3f", 156 * 4 * 18 * 2 / 1e6 }')" ]; then
    ok "bytes per epoch = halo rows x 4 x (16 + 2 classes) x forward and backward"
else
    bad "bytes per epoch" "MB $mb"
fi

# widths 8 forward only, 4 forward and backward: 4 x (8 + 2 x 4) bytes a row
run "$LCNET" partition --data karate --parts 2 --method metis --widths 8,4 --no-grad-first
if [ "$rc" -eq 0 ] && grep -q "64 bytes per halo row" "$T/out" && [ "$(row 2 4)" != "" ] &&
    awk -v c="$(row 2 3)" 'BEGIN { exit !(c > 0 && c < 60) }'; then
    ok "METIS halves the karate club with a small cut ($(row 2 3) of 156)"
elif [ "$rc" -ne 0 ] && grep -q "without METIS" "$T/err"; then
    ok "built without METIS: --method metis says so"
else
    bad "METIS on the karate club" "exit $rc: $(cat "$T/out")"
fi

# usage errors: exit 2 with the reason; runtime errors: exit 1
expect() {
    code=$1
    needle=$2
    shift 2
    run "$LCNET" partition "$@"
    if [ "$rc" -eq "$code" ] && grep -q -e "$needle" "$T/err"; then
        ok "partition $*: exit $code, '$needle'"
    else
        bad "partition $*" "exit $rc (expected $code)"
    fi
}
expect 2 "--parts is required" --data karate
expect 2 "not a list of part counts" --data karate --parts 0
expect 2 "not a list of part counts" --data karate --parts 2,
expect 2 "not a list of part counts" --data karate --parts -4
expect 2 "one of --data SPEC and --file FILE" --parts 2
expect 2 "one of --data SPEC and --file FILE" --data karate --file x --parts 2
expect 2 "not metis or block" --data karate --parts 2 --method greedy
expect 2 "unknown option" --data karate --parts 2 --epochs 3
expect 2 "needs a value" --data karate --parts
expect 1 "35 parts for 34 rows" --data karate --parts 35
expect 1 "cannot open" --file "$T/none.lcb" --parts 2
printf 'LCBENCH0xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' >"$T/bad.lcb"
expect 1 "not a benchmark data file" --file "$T/bad.lcb" --parts 2
expect 2 "--write needs --data and one part count of 2 or more" --data karate --parts 2,3 --write "$T/p"
expect 2 "--write needs --data and one part count of 2 or more" --data karate --parts 1 --write "$T/p"
expect 2 "--write needs --data" --file "$T/bad.lcb" --parts 2 --write "$T/p"
: >"$T/file"
expect 1 "cannot create the directory" --data karate --parts 2 --write "$T/file/sub"
# --write: a file per part and one of its edges, each read back by lcnet (a job of one is refused, naming the size)
run "$LCNET" partition --data karate --parts 3 --write "$T/parts"
if [ "$rc" -eq 0 ] && [ -f "$T/parts/part-0.lcp" ] && [ -f "$T/parts/part-2.lcp" ] &&
    [ -f "$T/parts/part-0.edges.lcp" ] && [ -f "$T/parts/part-2.edges.lcp" ] &&
    [ ! -e "$T/parts/part-3.lcp" ] &&
    grep -q "wrote $T/parts/part-0.lcp ... part-2.lcp and their .edges.lcp" "$T/out"; then
    ok "partition --write: part-0.lcp ... part-2.lcp and their edges files"
else
    bad "partition --write" "exit $rc"
fi
run "$LCNET" train --data "parts:$T/parts" --epochs 1 --quiet
if [ "$rc" -eq 1 ] && grep -q "part 0 of 3 (a part file): train it on rank 0 of an MPI job of 3 ranks" "$T/err" &&
    grep -q "nodes 34  features 34  classes 2  in 3 parts (rank 0 holds" "$T/out"; then
    ok "train --data parts:DIR without mpirun: the part is read, training refused with the job size"
else
    bad "train --data parts:DIR without mpirun" "exit $rc"
fi
printf 'LCONVPRT' >"$T/parts/part-0.lcp"
run "$LCNET" train --data "parts:$T/parts" --epochs 1 --quiet
if [ "$rc" -eq 1 ] && grep -q "part-0.lcp': .* is too short for an lconv part file" "$T/err"; then
    ok "train --data parts:DIR with a damaged part: exit 1 naming the file"
else
    bad "train --data parts:DIR with a damaged part" "exit $rc"
fi
# METIS may leave a part of a small graph empty: the report says so
run "$LCNET" partition --data karate --parts 8 --method metis
if [ "$rc" -eq 0 ] && [ "$(row 8 5)" = 0 ] && grep -q "note: 8 parts leave at least one empty" "$T/err"; then
    ok "an empty part (METIS, karate in 8): noted"
elif [ "$rc" -eq 0 ] && [ "$(row 8 5)" != 0 ] && ! grep -q "note:" "$T/err"; then
    ok "no empty part at 8 (this METIS): no note"
elif [ "$rc" -ne 0 ] && grep -q "without METIS" "$T/err"; then
    ok "built without METIS: --method metis says so"
else
    bad "the empty-part note" "exit $rc, rows_min $(row 8 5): $(cat "$T/err")"
fi
run "$LCNET" partition --help
if [ "$rc" -eq 0 ] && grep -q -e "--parts LIST" "$T/out"; then ok "partition --help"; else bad "partition --help"; fi

finish
