#!/bin/sh
# test_examples_pointcloud.sh — smoke test of the point-cloud example at a tiny size on real BIMNet10: the result line parses, both models learn, the budgets match, the curves are written, bad options and a missing folder are refused.
# Run by `make check` (the example sits beside LCNET in the build tree). POSIX sh.
# Ends with "examples_pointcloud: N passed, N failed, N skipped"; exit 77 when the example is not built or the data is absent.

suite=examples_pointcloud
. "$(dirname "$0")/examples.sh"

PC="$build/examples/pointcloud/pointcloud"
[ -x "$PC" ] || skip "$PC is not built"
DATA="${LCONV_DATA_DIR:-}/pointclouds/bimnet10"
[ -n "${LCONV_DATA_DIR:-}" ] && [ -f "$DATA/bimnet10_train.h5" ] && [ -f "$DATA/bimnet10_test.h5" ] ||
    skip "no pointclouds/bimnet10/*.h5 under LCONV_DATA_DIR (${LCONV_DATA_DIR:-unset})"

# ---------- tiny: 60 train / 30 test clouds of 64 points, k = 8, 40 epochs, one seed
run "$PC" --data "$DATA" --points 64 --k 8 --epochs 40 --seeds 1 --train-limit 60 --test-limit 30 --out "$T/pc"
if [ "$rc" -eq 0 ] && within "$(field gcn)" 0 1 && within "$(field gcn_rot)" 0 1 &&
    within "$(field lconv)" 0 1 && within "$(field lconv_rot)" 0 1; then
    ok "pointcloud result parses (gcn $(field gcn), lconv $(field lconv))"
else
    bad "pointcloud result" "rc $rc: $(grep '^result' "$T/out")"
fi
# ten classes: chance is about 0.1; both models fit their training clouds well above it
if within "$(field gcn_train)" 0.3 1 && within "$(field lconv_train)" 0.3 1; then
    ok "pointcloud: both models learn (train accuracy gcn $(field gcn_train), lconv $(field lconv_train))"
else
    bad "pointcloud: a model does not learn" "$(grep '^result' "$T/out")"
fi
gp=$(field gcn_params)
lp=$(field lconv_params)
if within "$lp" "$(awk -v p="$gp" 'BEGIN { print 0.9 * p }')" "$(awk -v p="$gp" 'BEGIN { print 1.1 * p }')"; then
    ok "pointcloud: parameter budgets within 10% ($gp vs $lp)"
else
    bad "pointcloud: budgets differ" "gcn $gp lconv $lp"
fi
if [ "$(head -1 "$T/pc/curves.csv")" = "model,seed,epoch,train_loss,train_acc,test_acc,test_rot_acc" ] &&
    fell "$T/pc/curves.csv" 4 gcn && fell "$T/pc/curves.csv" 4 lconv; then
    ok "pointcloud: training losses fell; curves.csv written"
else
    bad "pointcloud curves" "$(head -5 "$T/pc/curves.csv" 2>&1 | tr '\n' ' ')"
fi
run "$PC" --data "$DATA" --k 0
if [ "$rc" -eq 2 ] && grep -q "usage" "$T/err"; then ok "pointcloud refuses --k 0 with usage"; else bad "pointcloud --k 0" "rc $rc"; fi
run "$PC" --data "$T/missing"
if [ "$rc" -eq 1 ] && grep -q "missing/bimnet10_train.h5" "$T/err"; then ok "pointcloud names a missing file"; else bad "pointcloud missing data" "rc $rc"; fi

finish
