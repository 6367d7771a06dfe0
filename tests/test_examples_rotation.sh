#!/bin/sh
# test_examples_rotation.sh — smoke test of examples/mesh_rotation at a tiny size (level-2 icosphere and the real bunny): the result line parses, the learned generator beats the identity, its correlation with the rotation field is positive, the losses fall, the curves are written.
# Run by `make check` (the examples sit beside LCNET in the build tree). POSIX sh.
# Ends with "examples_rotation: N passed, N failed, N skipped"; exit 77 when the example is not built or the data is absent.

suite=examples_rotation
. "$(dirname "$0")/examples.sh"

MR="$build/examples/mesh_rotation/mesh_rotation"
[ -x "$MR" ] || skip "$MR is not built"
BUNNY="${LCONV_DATA_DIR:-}/meshes/bunny.off"
[ -n "${LCONV_DATA_DIR:-}" ] && [ -f "$BUNNY" ] || skip "no bunny.off under LCONV_DATA_DIR (${LCONV_DATA_DIR:-unset})"

# ---------- tiny: level-2 icosphere (162 vertices) and the bunny, 8 train / 8 test fields, 60 steps
run "$MR" --level 2 --mesh "$BUNNY" --train 8 --test 8 --steps 60 --eval 20 --out "$T/mr"
se=$(field sphere_err)
be=$(field bunny_err)
si=$(field sphere_identity)
bi=$(field bunny_identity)
sc=$(field sphere_corr)
bc=$(field bunny_corr)
if [ "$rc" -eq 0 ] && within "$se" 0 10 && within "$be" 0 10 && within "$si" 0.01 1 && within "$bi" 0.01 1 &&
    within "$sc" -1 1 && within "$bc" -1 1 && tail -1 "$T/out" | grep -q '^result sphere_corr='; then
    ok "mesh_rotation result parses (sphere err $se vs identity $si, bunny err $be vs identity $bi)"
else
    bad "mesh_rotation result" "rc $rc: $(grep '^result' "$T/out")"
fi
if below "$se" "$si" && below "$be" "$bi"; then
    ok "mesh_rotation: the learned generator beats the identity on both meshes"
else
    bad "mesh_rotation: the learned generator does not beat the identity" "$(grep '^result' "$T/out")"
fi
if within "$sc" 0.1 1 && within "$bc" 0.1 1; then
    ok "mesh_rotation: w correlates positively with the projected rotation field (sphere $sc, bunny $bc)"
else
    bad "mesh_rotation: correlation not positive" "sphere $sc, bunny $bc"
fi
if below "$(field sphere_last)" "$(field sphere_first)" && below "$(field bunny_last)" "$(field bunny_first)" &&
    fell "$T/mr/curves.csv" 3 sphere && fell "$T/mr/curves.csv" 3 bunny &&
    fell "$T/mr/curves.csv" 4 sphere && fell "$T/mr/curves.csv" 4 bunny &&
    [ "$(head -1 "$T/mr/curves.csv")" = "mesh,step,train_mse,test_rel,corr_w" ]; then
    ok "mesh_rotation losses fell; curves.csv written"
else
    bad "mesh_rotation curves" "$(tr '\n' ' ' <"$T/mr/curves.csv" 2>&1)"
fi
run "$MR" --level 2 --mesh "$T/missing.off" --train 4 --test 4 --steps 5
if [ "$rc" -eq 0 ] && grep -q "missing.off not found, skipped" "$T/out" && [ "$(field bunny_err)" = "nan" ]; then
    ok "mesh_rotation skips a missing bunny with a message"
else
    bad "mesh_rotation missing bunny" "rc $rc"
fi
run "$MR" --alpha 9
if [ "$rc" -eq 2 ] && grep -q "usage" "$T/err"; then ok "mesh_rotation refuses --alpha 9 with usage"; else bad "mesh_rotation --alpha 9" "rc $rc"; fi

finish
