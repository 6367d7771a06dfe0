#!/bin/sh
# test_examples_mesh.sh — smoke test of the mesh examples (mesh_diffusion) at a tiny size on the real bunny: the result line parses, the learned models beat the identity, the losses fall, the curves are written.
# Run by `make check` (the examples sit beside LCNET in the build tree). POSIX sh.
# Ends with "examples_mesh: N passed, N failed, N skipped"; exit 77 when the example is not built or the data is absent.

suite=examples_mesh
. "$(dirname "$0")/examples.sh"

MD="$build/examples/mesh_diffusion/mesh_diffusion"
[ -x "$MD" ] || skip "$MD is not built"
BUNNY="${LCONV_DATA_DIR:-}/meshes/bunny.off"
[ -n "${LCONV_DATA_DIR:-}" ] && [ -f "$BUNNY" ] || skip "no bunny.off under LCONV_DATA_DIR (${LCONV_DATA_DIR:-unset})"

# ---------- heat diffusion on the bunny, tiny: 8 train / 8 test fields, 60 steps
run "$MD" --mesh "$BUNNY" --train 8 --test 8 --steps 60 --eval 20 --out "$T/md"
gcn=$(field gcn)
lconv=$(field lconv)
id=$(field identity)
if [ "$rc" -eq 0 ] && within "$gcn" 0 10 && within "$lconv" 0 10 && within "$id" 0.1 1 &&
    within "$(field residual)" 0 1e-4 && within "$(field corr_w)" -1 1; then
    ok "mesh_diffusion result parses (gcn $gcn, lconv $lconv, identity $id)"
else
    bad "mesh_diffusion result" "rc $rc: $(grep '^result' "$T/out")"
fi
if below "$gcn" "$id" && below "$lconv" "$id"; then
    ok "mesh_diffusion: GCN and L-conv beat the identity"
else
    bad "mesh_diffusion: a learned model does not beat the identity" "$(grep '^result' "$T/out")"
fi
if below "$(field gcn_last)" "$(field gcn_first)" && below "$(field lconv_last)" "$(field lconv_first)" &&
    fell "$T/md/curves.csv" 2 && fell "$T/md/curves.csv" 3 && fell "$T/md/curves.csv" 4 && fell "$T/md/curves.csv" 5 &&
    [ "$(head -1 "$T/md/curves.csv")" = "step,gcn_train_mse,lconv_train_mse,gcn_test_rel,lconv_test_rel" ]; then
    ok "mesh_diffusion losses fell; curves.csv written"
else
    bad "mesh_diffusion curves" "$(tr '\n' ' ' <"$T/md/curves.csv" 2>&1)"
fi
run "$MD" --mesh "$BUNNY" --tau -1
if [ "$rc" -eq 2 ] && grep -q "usage" "$T/err"; then ok "mesh_diffusion refuses --tau -1 with usage"; else bad "mesh_diffusion --tau -1" "rc $rc"; fi
run "$MD" --mesh "$T/missing.off"
if [ "$rc" -eq 1 ] && grep -q "missing.off" "$T/err"; then ok "mesh_diffusion names a missing mesh"; else bad "mesh_diffusion missing mesh" "rc $rc"; fi

finish
