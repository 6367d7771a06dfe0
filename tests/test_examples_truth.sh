#!/bin/sh
# test_examples_truth.sh — smoke tests of the paper-experiment examples (shift_generator, fixed_rotation, symmetry_discovery) at tiny sizes: result lines parse, losses fall, files are written.
# Run by `make check` (the examples sit beside LCNET in the build tree). POSIX sh.
# Ends with "examples_truth: N passed, N failed, N skipped"; exit 77 when an example is not built.

suite=examples_truth
. "$(dirname "$0")/examples.sh"

SG="$build/examples/shift_generator/shift_generator"
FR="$build/examples/fixed_rotation/fixed_rotation"
SD="$build/examples/symmetry_discovery/symmetry_discovery"
for prog in "$SG" "$FR" "$SD"; do
    [ -x "$prog" ] || skip "$prog is not built"
done

# ---------- 1. shift from its generator
run "$SG" --export "$T/sg"
if [ "$rc" -eq 0 ] && within "$(field corr_n8)" 0.76 0.78 && within "$(field corr_n16)" 0.92 0.94 &&
    within "$(field corr_l0)" 0.28 0.31 && within "$(field corr_random)" -1 1; then
    ok "shift_generator reproduces 0.77 / 0.93 / 0.30"
else
    bad "shift_generator result" "rc $rc: $(grep '^result' "$T/out")"
fi
if [ -s "$T/sg/lrot.csv" ] && [ "$(wc -l <"$T/sg/lrot.csv")" -eq 49 ] &&
    [ "$(head -1 "$T/sg/lrot.csv" | awk -F, '{print NF}')" -eq 49 ] && is_png "$T/sg/rotation_generators.png" &&
    is_png "$T/sg/shift.png"; then
    ok "shift_generator --export writes 49x49 CSVs and PNGs"
else
    bad "shift_generator --export files" "$(ls "$T/sg" 2>&1 | tr '\n' ' ')"
fi
run "$SG" --d 1
if [ "$rc" -eq 2 ] && grep -q "usage" "$T/err"; then ok "shift_generator refuses --d 1 with usage"; else bad "shift_generator --d 1" "rc $rc"; fi

# ---------- 2. fixed small rotation
run "$FR" --train 2000 --test 500 --epochs 3 --out "$T/fr"
if [ "$rc" -eq 0 ] && within "$(field mse)" 0 1e-3 && within "$(field corr)" 0.2 0.35 &&
    within "$(field corr_ls)" 0.2 0.35 && within "$(field corr_l_ls)" 0.9 1; then
    ok "fixed_rotation fits the rotation (corr $(field corr), mse $(field mse))"
else
    bad "fixed_rotation result" "rc $rc: $(grep '^result' "$T/out")"
fi
if fell "$T/fr/loss.csv" 3 && is_png "$T/fr/generators.png" && [ -s "$T/fr/learned.csv" ]; then
    ok "fixed_rotation loss fell; loss.csv, generators.png written"
else
    bad "fixed_rotation loss curve" "$(cat "$T/fr/loss.csv" 2>&1 | tr '\n' ' ')"
fi

# ---------- 3. symmetry discovery, both protocols
for p in a b; do
    run "$SD" --protocol "$p" --samples 480 --test 96 --epochs 3 --seeds 2 --out "$T/sd$p"
    if [ "$rc" -eq 0 ] && within "$(field corr)" 0 1 && within "$(field mse)" 0 1 && within "$(field corr_ls)" 0 1; then
        ok "symmetry_discovery protocol $p runs (corr $(field corr))"
    else
        bad "symmetry_discovery protocol $p result" "rc $rc: $(grep '^result' "$T/out")"
    fi
    if fell "$T/sd$p/curves.csv" 4 1 && fell "$T/sd$p/curves.csv" 4 2 && is_png "$T/sd$p/generators.png" &&
        [ "$(grep -c '^[12],' "$T/sd$p/curves.csv")" -eq 6 ]; then
        ok "symmetry_discovery protocol $p loss fell for both seeds"
    else
        bad "symmetry_discovery protocol $p curves" "$(cat "$T/sd$p/curves.csv" 2>&1 | tr '\n' ' ')"
    fi
done
# the exact-action network (--expm, issue 5 item 3b at 20x20): orbit channels exp(c tau L) x, soft-argmax
# readout, angle curriculum; at 7x7 it must find L_rot itself (|corr| and the scale along L_rot near 1)
run "$SD" --protocol b --expm --readout argmax --antisym --fresh --curriculum 3 --orbit-follows --normalize \
    --init-std 0 --lr 1e-2 --samples 480 --test 96 --epochs 5 --seeds 2 --out "$T/sdx"
if [ "$rc" -eq 0 ] && within "$(field corr)" 0.85 1 && within "$(field scale)" 0.5 1.5 && within "$(field corr_mid)" 0.95 1 &&
    grep -q "exact action" "$T/out"; then
    ok "symmetry_discovery --expm finds L_rot at 7x7 (corr $(field corr), scale $(field scale))"
else
    bad "symmetry_discovery --expm result" "rc $rc: $(grep '^result' "$T/out")"
fi
if fell "$T/sdx/curves.csv" 5 1 && fell "$T/sdx/curves.csv" 5 2 && is_png "$T/sdx/generators.png"; then
    ok "symmetry_discovery --expm test mse fell for both seeds"
else
    bad "symmetry_discovery --expm curves" "$(cat "$T/sdx/curves.csv" 2>&1 | tr '\n' ' ')"
fi
# --action: the orbit must pass through y at the labelled angle (E^c x = exp(-r L) y, theta = c tau + r).
# At L = L_rot the gap is float round-off; at L = 0 it is not; trained, it pins L_rot down.
run "$SD" --protocol b --expm --readout argmax --antisym --normalize --init-std 0 --init-truth --lr 1e-9 \
    --samples 480 --test 96 --epochs 1 --seeds 1 --action 1
gap_truth=$(field action_gap)
run "$SD" --protocol b --expm --readout argmax --antisym --normalize --init-std 0 --lr 1e-9 \
    --samples 480 --test 96 --epochs 1 --seeds 1 --action 1
if within "$gap_truth" 0 1e-8 && within "$(field action_gap)" 0.1 4; then
    ok "symmetry_discovery --action: gap $gap_truth at L = L_rot, $(field action_gap) at L = 0"
else
    bad "symmetry_discovery --action gap" "at L_rot '$gap_truth', at 0 '$(field action_gap)'"
fi
run "$SD" --protocol b --expm --readout argmax --antisym --fresh --curriculum 3 --orbit-follows --normalize \
    --init-std 0 --lr 1e-2 --samples 480 --test 96 --epochs 5 --seeds 2 --action 1
if [ "$rc" -eq 0 ] && within "$(field corr)" 0.99 1 && within "$(field scale)" 0.95 1.05 &&
    within "$(field action_gap)" 0 1e-3; then
    ok "symmetry_discovery --action finds L_rot at 7x7 (corr $(field corr), scale $(field scale))"
else
    bad "symmetry_discovery --action result" "rc $rc: $(grep '^result' "$T/out")"
fi
run "$SD" --action 1
if [ "$rc" -eq 2 ] && grep -q "action needs" "$T/err"; then ok "symmetry_discovery refuses --action without --expm"; else bad "--action alone" "rc $rc"; fi
run "$SD" --readout argmax
if [ "$rc" -eq 2 ] && grep -q "expm" "$T/err"; then ok "symmetry_discovery refuses --readout argmax without --expm"; else bad "--readout argmax alone" "rc $rc"; fi
run "$SD" --protocol c
if [ "$rc" -eq 2 ] && grep -q "protocol 'c'" "$T/err"; then ok "symmetry_discovery refuses --protocol c"; else bad "--protocol c" "rc $rc"; fi

finish
