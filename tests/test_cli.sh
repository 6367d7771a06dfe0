#!/bin/sh
# test_cli.sh — end-to-end checks of the lcnet program: usage errors, exit codes, training, checkpoints, logs.
# Run by `make check` with LCNET (the built program), LCONV_DATA_DIR and
# LCONV_TEST_DATA set. POSIX sh. Ends with "cli: N passed, N failed, N skipped".

passed=0
failed=0
skipped=0

ok() { passed=$((passed + 1)); echo "PASS: $1"; }
bad() {
    failed=$((failed + 1))
    echo "FAIL: $1"
    [ -n "$2" ] && echo "      $2"
    if [ -f "$T/err" ]; then sed 's/^/      stderr: /' "$T/err" | head -5; fi
    return 0
}
skip() { skipped=$((skipped + 1)); echo "SKIP: $1"; }

finish() {
    echo "cli: $passed passed, $failed failed, $skipped skipped"
    [ "$failed" -eq 0 ] || exit 1
    exit 0
}

if [ -z "$LCNET" ] || [ ! -x "$LCNET" ]; then
    skip "LCNET is not set to the built lcnet program ('$LCNET')"
    echo "cli: 0 passed, 0 failed, 1 skipped"
    exit 77
fi

T=$(mktemp -d "${TMPDIR:-/tmp}/lcnet_cli.XXXXXX") || exit 99
trap 'rm -rf "$T"' EXIT
trap 'exit 130' INT TERM

# run ARGS...: stdout in $T/out, stderr in $T/err, exit code in $rc.
run() {
    "$LCNET" "$@" >"$T/out" 2>"$T/err" </dev/null
    rc=$?
}
out_has() { grep -F -e "$1" "$T/out" >/dev/null; }
err_has() { grep -F -e "$1" "$T/err" >/dev/null; }

# expect_usage DESC NEEDLE ARGS...: exit 2, the reason names NEEDLE, and the hint follows.
expect_usage() {
    desc=$1
    needle=$2
    shift 2
    run "$@"
    if [ "$rc" -ne 2 ]; then
        bad "$desc" "exit $rc, expected 2 (lcnet $*)"
    elif ! err_has "$needle"; then
        bad "$desc" "message does not name '$needle'"
    elif ! err_has "try 'lcnet --help'"; then
        bad "$desc" "no \"try 'lcnet --help'\" hint"
    elif [ -s "$T/out" ]; then
        bad "$desc" "a usage error wrote to stdout"
    else
        ok "$desc"
    fi
}

# field SEED COLUMN: the COLUMN-th field of the result row of SEED in $T/out.
field() { awk -v s="$1" -v c="$2" '$1 == s && NF == 7 { print $c; exit }' "$T/out"; }

# ---------------------------------------------------------------- help and version
run --help
if [ "$rc" -eq 0 ] && out_has "train" && out_has "eval" && out_has "compare" && out_has "--epochs"; then
    ok "--help exits 0 and lists commands and options"
else
    bad "--help exits 0 and lists commands and options" "exit $rc"
fi

run train --help
if [ "$rc" -eq 0 ] && out_has "lcnet train" && out_has "--seeds"; then
    ok "train --help"
else
    bad "train --help" "exit $rc"
fi

run compare --help
if [ "$rc" -eq 0 ] && out_has "lcnet compare" && out_has "--models" && ! out_has "--save"; then
    ok "compare --help"
else
    bad "compare --help" "exit $rc"
fi

# every layer the spec parser knows (its error lists them) is in --help and in lcnet(1)
run train --model no_such_layer
known=$(sed -n 's/.*unknown layer (known: \(.*\))$/\1/p' "$T/err" | tr -d ',')
"$LCNET" --help >"$T/help" 2>&1
help_layers=" $(sed -n '/^  layers:/,/;/p' "$T/help" | sed 's/layers://; s/;//' | tr '\n' ' ') "
man_page="$LCONV_TEST_DATA/../../tools/lcnet.1"
missing=""
for layer in $known; do
    case "$(echo $help_layers)" in
    "$layer "* | *" $layer "* | *" $layer") ;;
    *) missing="$missing $layer(--help)" ;;
    esac
    grep -E '^\.(B|BI|BR) ' "$man_page" | grep -wF -e "$layer" >/dev/null || missing="$missing $layer(lcnet.1)"
done
if [ -z "$known" ]; then
    bad "every layer is documented" "the unknown-layer error lists no known layers"
elif [ -n "$missing" ]; then
    bad "every layer is documented" "not in --help's layer list or lcnet.1:$missing"
else
    ok "every layer is documented (--help and lcnet.1: $(echo $known | wc -w) layers)"
fi

run --version
if [ "$rc" -eq 0 ] && grep -E '^lcnet \(lconv\) [0-9]+\.[0-9]+\.[0-9]+$' "$T/out" >/dev/null; then
    ok "--version"
else
    bad "--version" "exit $rc: $(cat "$T/out")"
fi

# ---------------------------------------------------------------- usage errors
expect_usage "no command" "missing command"
expect_usage "unknown command" "frobnicate" frobnicate
expect_usage "unknown option" "--bogus" train --bogus
expect_usage "unknown option with a value" "--bogus" train --bogus=3
expect_usage "missing value at the end" "--epochs" train --epochs
expect_usage "missing value before an option" "--lr" train --lr --quiet
expect_usage "non-numeric value" "--epochs" train --epochs ten
expect_usage "number with trailing text" "--epochs" train --epochs 12x
expect_usage "empty number" "--epochs" train --epochs=
expect_usage "non-numeric float" "--lr" train --lr 0.01abc
expect_usage "a float beyond double's range" "--lr: 1e400 is out of range" train --lr 1e400
expect_usage "infinity" "--lr: inf is out of range" train --lr inf
expect_usage "a value 0 as a float" "--lr: 1e-310 is too small for a float" train --lr 1e-310
expect_usage "negative epochs" "--epochs" train --epochs -1
expect_usage "zero epochs" "--epochs" train --epochs 0
expect_usage "dropout above 1" "--dropout" train --dropout 1.5
expect_usage "dropout of 1" "--dropout" train --dropout 1
expect_usage "negative learning rate" "--lr" train --lr -0.1
expect_usage "zero learning rate" "--lr" train --lr 0
expect_usage "negative weight decay" "--weight-decay" train --weight-decay -1e-4
expect_usage "negative patience" "--patience" train --patience -3
expect_usage "negative seed" "--seed" train --seed -5
expect_usage "zero seeds" "--seeds" train --seeds 0
expect_usage "negative threads" "--threads" train --threads -2
expect_usage "hidden of 0" "--hidden" train --hidden 0
expect_usage "unknown optimizer" "--optim" train --optim rmsprop
expect_usage "unknown data kind" "--data" train --data cora
expect_usage "flag with a value" "--quiet" train --quiet=yes
expect_usage "positional argument" "stray" train stray
expect_usage "train-only option to eval" "--epochs" eval --load x.ckp --epochs 5
expect_usage "eval without --load" "--load" eval --data karate
expect_usage "bad model spec" "dropuot" train --model gcn:16,dropuot,gcn --epochs 1
expect_usage "--hidden on a one-layer model" "--hidden" train --model gcn:2 --hidden 8

# ---------------------------------------------------------------- runtime errors
missing="$T/no/such/dir"
run train --data "linqs:$missing" --epochs 1
if [ "$rc" -eq 1 ] && err_has "$missing" && err_has "lcnet: "; then
    ok "nonexistent LINQS directory: exit 1 naming the path"
else
    bad "nonexistent LINQS directory: exit 1 naming the path" "exit $rc"
fi
run train --data "planetoid:$missing/cora" --epochs 1
if [ "$rc" -eq 1 ] && err_has "$missing"; then
    ok "nonexistent Planetoid prefix: exit 1 naming the path"
else
    bad "nonexistent Planetoid prefix: exit 1 naming the path" "exit $rc"
fi
run eval --data karate --load "$T/absent.ckp"
if [ "$rc" -eq 1 ] && err_has "$T/absent.ckp"; then
    ok "eval of a missing checkpoint: exit 1 naming it"
else
    bad "eval of a missing checkpoint: exit 1 naming it" "exit $rc"
fi

# ---------------------------------------------------------------- training on karate
run train --data karate --epochs 30 --patience 0 --seed 7
if [ "$rc" -ne 0 ]; then
    bad "karate training exits 0" "exit $rc"
else
    ok "karate training exits 0"
    if out_has "nodes 34" && out_has "classes 2" && grep -E 'train/val/test 2/[0-9]+/32$' "$T/out" >/dev/null; then
        ok "dataset line describes karate"
    else
        bad "dataset line describes karate" "$(head -1 "$T/out")"
    fi
    # An empty validation set has no accuracy: printed as "-".
    if out_has "train/val/test 2/0/"; then
        if [ "$(field 7 4)" = "-" ]; then
            ok "accuracy over an empty validation set prints as -"
        else
            bad "accuracy over an empty validation set prints as -" "'$(field 7 4)'"
        fi
    fi
    if grep -E '^model +dropout:0\.5,gcn:16:nobias,relu,dropout:0\.5,gcn:2:nobias$' "$T/out" >/dev/null; then
        ok "model line shows the built spec"
    else
        bad "model line shows the built spec" "$(grep '^model' "$T/out")"
    fi
    if grep -E '^ +seed +epochs +train_acc +val_acc +test_acc +test_loss +seconds$' "$T/out" >/dev/null &&
        [ "$(field 7 2)" = 30 ]; then
        ok "result table with a row of 30 epochs for seed 7"
    else
        bad "result table with a row of 30 epochs for seed 7" "$(cat "$T/out")"
    fi
    acc=$(field 7 5)
    if awk -v a="$acc" 'BEGIN { exit !(a + 0 >= 0 && a + 0 <= 1 && a ~ /^[0-9]\.[0-9]+$/) }'; then
        ok "test accuracy is a fraction ($acc)"
    else
        bad "test accuracy is a fraction" "'$acc'"
    fi
    if out_has "test accuracy over 1 seed: "; then
        ok "summary line"
    else
        bad "summary line" "$(tail -1 "$T/out")"
    fi
    if [ "$(tr -cd '\r' <"$T/out" | wc -c)" -eq 0 ] && [ "$(tr -cd '\r' <"$T/err" | wc -c)" -eq 0 ] &&
        [ ! -s "$T/err" ]; then
        ok "piped output has no progress line"
    else
        bad "piped output has no progress line"
    fi
    cp "$T/out" "$T/first"
fi

# The same command again gives the same numbers (the seconds column aside).
run train --data karate --epochs 30 --patience 0 --seed 7
if [ "$rc" -eq 0 ] && [ "$(awk 'NF == 7 { $7 = ""; print }' "$T/out")" = "$(awk 'NF == 7 { $7 = ""; print }' "$T/first")" ]; then
    ok "training is reproducible"
else
    bad "training is reproducible"
fi

# Several seeds: one row each, consecutive seeds, mean ± std.
run train --data karate --epochs 10 --seeds 3 --seed 100 --quiet
if [ "$rc" -eq 0 ] && [ -n "$(field 100 1)" ] && [ -n "$(field 101 1)" ] && [ -n "$(field 102 1)" ] &&
    [ -z "$(field 103 1)" ] && out_has "test accuracy over 3 seeds: " && out_has "±"; then
    ok "--seeds 3 gives rows for seeds 100..102 and a mean ± std"
else
    bad "--seeds 3 gives rows for seeds 100..102 and a mean ± std" "exit $rc"
fi
# The mean printed is the mean of the rows (which are rounded to 4 decimals).
mean=$(awk 'NF == 7 && $1 ~ /^[0-9]+$/ { s += $5; n++ } END { if (n) printf "%.4f", 100 * s / n }' "$T/out")
shown=$(sed -n 's/^test accuracy over 3 seeds: \([0-9.]*\) .*/\1/p' "$T/out")
if [ -n "$mean" ] && [ -n "$shown" ] &&
    awk -v a="$mean" -v b="$shown" 'BEGIN { d = a - b; exit !(d < 0.011 && d > -0.011) }'; then
    ok "mean over seeds matches the rows ($shown)"
else
    bad "mean over seeds matches the rows" "rows give $mean, printed '$shown'"
fi

# --hidden and a named model.
run train --data karate --epochs 2 --hidden 8 --quiet
if [ "$rc" -eq 0 ] && grep -E '^model +dropout:0\.5,gcn:8:nobias,relu,dropout:0\.5,gcn:2:nobias$' "$T/out" >/dev/null; then
    ok "--hidden 8 changes the hidden width only"
else
    bad "--hidden 8 changes the hidden width only" "$(grep '^model' "$T/out")"
fi
run train --data karate --epochs 2 --model mlp --dropout 0 --optim sgd --lr 0.2 --quiet
if [ "$rc" -eq 0 ] && grep -E '^model +dropout:[0-9.]+,linear:16:nobias,relu,dropout:[0-9.]+,linear:2:nobias$' "$T/out" >/dev/null; then
    ok "--model mlp with sgd"
else
    bad "--model mlp with sgd" "exit $rc: $(grep '^model' "$T/out")"
fi

# ---------------------------------------------------------------- checkpoints
ckp="$T/karate.ckp"
run train --data karate --epochs 25 --patience 0 --save "$ckp"
train_acc=$(field 42 5)
train_loss=$(field 42 6)
if [ "$rc" -eq 0 ] && [ -s "$ckp" ]; then
    ok "--save writes a checkpoint"
else
    bad "--save writes a checkpoint" "exit $rc"
fi
run eval --data karate --load "$ckp"
if [ "$rc" -eq 0 ] && [ -n "$train_acc" ] && [ "$(field 42 5)" = "$train_acc" ] &&
    [ "$(field 42 6)" = "$train_loss" ]; then
    ok "eval --load gives the trained test accuracy and loss ($train_acc, $train_loss)"
else
    bad "eval --load gives the trained test accuracy and loss" \
        "train $train_acc $train_loss, eval $(field 42 5) $(field 42 6), exit $rc"
fi
leftover=no
for f in "$T"/*.tmp.*; do
    [ -e "$f" ] && leftover=$f
done
if [ "$leftover" = no ]; then
    ok "no temporary checkpoint file left"
else
    bad "no temporary checkpoint file left" "$leftover"
fi

# A checkpoint of another model is refused.
run eval --data karate --hidden 8 --load "$ckp"
if [ "$rc" -eq 1 ] && err_has "$ckp"; then
    ok "eval of another model's checkpoint: exit 1 naming the file"
else
    bad "eval of another model's checkpoint: exit 1 naming the file" "exit $rc"
fi

# Damaged checkpoints: garbage, truncated, one byte changed.
printf 'this is not a checkpoint\n' >"$T/garbage.ckp"
run eval --data karate --load "$T/garbage.ckp"
if [ "$rc" -eq 1 ] && err_has "$T/garbage.ckp"; then
    ok "eval of a garbage file: exit 1"
else
    bad "eval of a garbage file: exit 1" "exit $rc"
fi
if [ -s "$ckp" ]; then
    size=$(wc -c <"$ckp")
    head -c $((size - 10)) "$ckp" >"$T/cut.ckp"
    run eval --data karate --load "$T/cut.ckp"
    if [ "$rc" -eq 1 ] && err_has "truncated"; then
        ok "eval of a truncated checkpoint: exit 1"
    else
        bad "eval of a truncated checkpoint: exit 1" "exit $rc"
    fi
    # Change one byte in the middle of the parameter values.
    mid=$((size / 2))
    {
        head -c "$mid" "$ckp"
        printf 'Z'
        tail -c $((size - mid - 1)) "$ckp"
    } >"$T/flip.ckp"
    if cmp -s "$ckp" "$T/flip.ckp"; then
        printf 'Y' | dd of="$T/flip.ckp" bs=1 seek="$mid" conv=notrunc 2>/dev/null
    fi
    run eval --data karate --load "$T/flip.ckp"
    if [ "$rc" -eq 1 ] && err_has "checksum"; then
        ok "eval of a checkpoint with one byte changed: exit 1"
    else
        bad "eval of a checkpoint with one byte changed: exit 1" "exit $rc"
    fi
else
    bad "damaged checkpoints are refused" "no checkpoint to damage"
fi

run train --data karate --epochs 2 --save "$T/no/dir/k.ckp"
if [ "$rc" -eq 1 ] && err_has "$T/no/dir/k.ckp"; then
    ok "--save into a missing directory: exit 1"
else
    bad "--save into a missing directory: exit 1" "exit $rc"
fi

# Training can start from a checkpoint.
run train --data karate --epochs 1 --patience 0 --load "$ckp" --lr 1e-9
if [ "$rc" -eq 0 ] && [ "$(field 42 5)" = "$train_acc" ] && [ "$(field 42 6)" = "$train_loss" ]; then
    ok "train --load starts from the checkpoint"
else
    bad "train --load starts from the checkpoint" \
        "test $(field 42 5) $(field 42 6), expected $train_acc $train_loss"
fi

# ---------------------------------------------------------------- CSV log
run train --data karate --epochs 12 --patience 0 --log "$T/log.csv"
if [ "$rc" -ne 0 ] || [ ! -f "$T/log.csv" ]; then
    bad "--log writes a CSV file" "exit $rc"
else
    lines=$(wc -l <"$T/log.csv")
    header=$(head -1 "$T/log.csv")
    cols=$(printf '%s\n' "$header" | awk -F, '{ print NF }')
    uneven=$(awk -F, -v c="$cols" 'NR > 1 && NF != c' "$T/log.csv" | wc -l)
    if [ "$lines" -eq 13 ] && printf '%s\n' "$header" | grep -E '^[A-Za-z_]' >/dev/null &&
        [ "$cols" -ge 2 ] && [ "$uneven" -eq 0 ] &&
        [ "$(sed -n 2p "$T/log.csv" | cut -d, -f1 | tr -d ' ')" -ge 0 ] 2>/dev/null; then
        ok "--log writes a header and one line per epoch (12)"
    else
        bad "--log writes a header and one line per epoch (12)" "$lines lines, header '$header'"
    fi
fi

# Output files that cannot be written are refused before the data is read,
# not after training: a missing folder (each option), a folder as the file.
for opt in --save --export-generators --log --predict; do
    run train --data karate --model lconv:4,relu,lconv --epochs 2 $opt "$T/no/such/dir/f"
    if [ "$rc" -eq 1 ] && err_has "$opt '$T/no/such/dir/f': cannot write in '$T/no/such/dir'" &&
        [ ! -s "$T/out" ]; then
        ok "$opt into a missing folder: refused before training, naming the option and the folder"
    else
        bad "$opt into a missing folder" "exit $rc: $(cat "$T/out" "$T/err")"
    fi
done
mkdir "$T/gen"
run train --data karate --model lconv:4,relu,lconv --epochs 2 --export-generators "$T/gen"
if [ "$rc" -eq 0 ] && [ -f "$T/gen.csv" ] && [ -f "$T/gen.ckpt" ]; then
    ok "--export-generators PATH beside a folder PATH: PATH.csv and PATH.ckpt written"
else
    bad "--export-generators beside a folder of its name" "exit $rc: $(cat "$T/err")"
fi
run train --data karate --epochs 2 --save "$T"
if [ "$rc" -eq 1 ] && err_has "--save '$T' is a folder" && [ ! -s "$T/out" ]; then
    ok "--save naming a folder: refused before training"
else
    bad "--save naming a folder" "exit $rc: $(cat "$T/err")"
fi
# A bare graph (an edge list: no labels) is refused for training by name.
printf '0 1\n1 2\n2 0\n' >"$T/triangle.txt"
run train --data "edgelist:$T/triangle.txt" --epochs 2
if [ "$rc" -eq 1 ] && err_has "--data 'edgelist:$T/triangle.txt': the data set has no labels"; then
    ok "train on an edge list (no labels): refused, naming --data"
else
    bad "train on an edge list" "exit $rc: $(cat "$T/err")"
fi
# --predict: one row per node (split, label, predicted class, probabilities);
# its test rows give the table's test accuracy, each row's probabilities sum to 1
run train --data karate --epochs 30 --patience 0 --quiet --predict "$T/pred.csv"
acc=$(field 42 5)
if [ "$rc" -eq 0 ] && [ "$(head -1 "$T/pred.csv")" = "node,split,label,predicted,p0,p1" ] &&
    [ "$(wc -l <"$T/pred.csv")" -eq 35 ] &&
    awk -F, -v acc="$acc" 'NR > 1 { s = $5 + $6; if (s < 0.9999 || s > 1.0001 || ($4 != ($6 > $5))) bad = 1;
        if ($2 == "test") { n++; c += $3 == $4 } }
        END { d = c / n - acc; exit !(!bad && n == 32 && d < 1e-4 && d > -1e-4) }' "$T/pred.csv"; then
    ok "--predict: 34 rows whose test rows give the table's test accuracy ($acc)"
else
    bad "--predict" "exit $rc: $(head -3 "$T/pred.csv" 2>/dev/null)"
fi
if [ -d "${LCONV_DATA_DIR:-}/mnist-test" ]; then
    run train --data "mnist:$LCONV_DATA_DIR/mnist-test" --model lconv:2,relu,flatten,linear --epochs 1 \
        --predict "$T/pred.csv"
    if [ "$rc" -eq 1 ] && err_has "--predict: node-level data only"; then
        ok "--predict on graph-level data: refused"
    else
        bad "--predict on graph-level data" "exit $rc: $(cat "$T/err")"
    fi
fi
# An option that changes nothing is said so (and the run goes on).
run train --data karate --model gcn:16,relu,gcn --dropout 0.3 --epochs 2 --quiet
if [ "$rc" -eq 0 ] && err_has "warning: --dropout 0.3: the model 'gcn:16,relu,gcn' has no dropout layer"; then
    ok "--dropout on a model without dropout: a warning"
else
    bad "--dropout on a model without dropout" "exit $rc: $(cat "$T/err")"
fi
# A diverged loss stays a column of its own: 7 fields in the seed's row.
run train --data karate --epochs 20 --patience 0 --lr 1e6 --quiet
loss=$(field 42 6)
if [ "$rc" -eq 0 ] && [ -n "$loss" ] && awk -v l="$loss" 'BEGIN { exit !(l + 0 >= 1e5) }'; then
    ok "a loss of $loss keeps the result row's 7 columns"
else
    bad "a large loss in the result row" "exit $rc: $(cat "$T/out")"
fi

# ---------------------------------------------------------------- compare
# crow SPEC COLUMN: the COLUMN-th field of the table row of model SPEC (a row
# has 7 fields: spec, params, mean, ±, std, ms/epoch, peak MiB).
crow() { awk -v s="$1" -v c="$2" '$1 == s && NF == 7 { print $c; exit }' "$T/out"; }
run compare --data karate --models 'gcn; lconv:16,relu,lconv' --seeds 2 --epochs 20 --quiet
rows=$(grep -c '±' "$T/out")
if [ "$rc" -eq 0 ] && [ "$rows" -eq 2 ] && [ -n "$(crow gcn 1)" ] && [ -n "$(crow lconv:16,relu,lconv 1)" ] &&
    grep -E '^model +params +test_acc_% +ms/epoch +peak_MiB$' "$T/out" >/dev/null; then
    ok "compare: one table, a header and two rows"
else
    bad "compare: one table, a header and two rows" "exit $rc, $rows rows: $(cat "$T/out")"
fi
# Every row: mean ± std in percent, a positive time and memory.
if awk 'NF == 7 && $4 == "±" { n++; if (!($3 >= 0 && $3 <= 100 && $5 >= 0 && $6 > 0 && $7 > 0)) bad++ }
        END { exit !(n == 2 && !bad) }' "$T/out"; then
    ok "compare: mean ± std column, ms/epoch and peak MiB"
else
    bad "compare: mean ± std column, ms/epoch and peak MiB" "$(cat "$T/out")"
fi
# Learnable scalars, counted here from the layer shapes (karate: 34 one-hot
# features, 2 classes, 156 directed edges). gcn preset: W 34×16, W 16×2, no
# bias. lconv (p = 1): W_1 and W0 in×out, edge weights E×1, bias out, per layer.
gcn_params=$((34 * 16 + 16 * 2))
lconv_params=$((2 * 34 * 16 + 156 + 16 + 2 * 16 * 2 + 156 + 2))
if [ "$(crow gcn 2)" = "$gcn_params" ] && [ "$(crow lconv:16,relu,lconv 2)" = "$lconv_params" ]; then
    ok "compare: parameter counts ($gcn_params, $lconv_params)"
else
    bad "compare: parameter counts" "gcn '$(crow gcn 2)' (want $gcn_params), lconv '$(crow lconv:16,relu,lconv 2)' (want $lconv_params)"
fi
# The seeds are those of train: the mean over seeds 42 and 43 is the mean of
# train's two rows.
cp "$T/out" "$T/compare"
run train --data karate --model gcn --seeds 2 --epochs 20 --quiet
want=$(awk 'NF == 7 && $1 ~ /^4[23]$/ { s += $5; n++ } END { if (n == 2) printf "%.2f", 100 * s / 2 }' "$T/out")
got=$(awk '$1 == "gcn" && NF == 7 { print $3 }' "$T/compare")
if [ "$rc" -eq 0 ] && [ -n "$want" ] && awk -v a="$want" -v b="$got" 'BEGIN { d = a - b; exit !(d < 0.011 && d > -0.011) }'; then
    ok "compare trains like train (gcn mean $got)"
else
    bad "compare trains like train" "train gives '$want', compare '$got'"
fi
# Peak memory is per model: a small model after a big one does not inherit its peak.
run compare --data karate --models 'linear:131072,relu,linear;gcn' --epochs 1 --quiet
big=$(crow linear:131072,relu,linear 7)
after=$(crow gcn 7)
run compare --data karate --models gcn --epochs 1 --quiet
alone=$(crow gcn 7)
if [ -n "$big" ] && [ -n "$after" ] && [ -n "$alone" ] &&
    awk -v b="$big" -v a="$after" -v s="$alone" 'BEGIN { d = a - s; exit !(b > 4 * a && d < 2 && d > -2) }'; then
    ok "compare: peak memory per model ($big MiB, then $after MiB; alone $alone MiB)"
else
    bad "compare: peak memory per model" "big '$big', gcn after it '$after', gcn alone '$alone'"
fi
expect_usage "compare: a bad spec inside --models" "dropuot" compare --models 'gcn;lconv:16,dropuot,lconv'
if err_has "model 2 'lconv:16,dropuot,lconv'"; then
    ok "compare: the bad spec is named with its position"
else
    bad "compare: the bad spec is named with its position"
fi
expect_usage "compare: an empty entry in --models" "model 2 is empty" compare --models 'gcn;;mlp'
expect_usage "compare: --model is not an option of compare" "--model" compare --model gcn
expect_usage "compare: --hidden on a one-layer model" "gcn:2" compare --models 'gcn;gcn:2' --hidden 8
run compare --data karate --models 'gcn;shared:4,relu,shared' --epochs 2 --quiet
if [ "$rc" -eq 1 ] && err_has "model 2 'shared:4,relu,shared'" && [ -n "$(crow gcn 1)" ]; then
    ok "compare: a model that fails at build time: exit 1, the others still reported"
else
    bad "compare: a model that fails at build time: exit 1, the others still reported" "exit $rc"
fi

# ---------------------------------------------------------------- generator export
run train --data karate --model 'lconv:4:p=2,relu,lconv:p=2' --epochs 5 --export-generators "$T/gen" --quiet
if [ "$rc" -ne 0 ] || [ ! -f "$T/gen.csv" ] || [ ! -s "$T/gen.ckpt" ]; then
    bad "--export-generators writes PATH.csv and PATH.ckpt" "exit $rc"
else
    ok "--export-generators writes PATH.csv and PATH.ckpt"
    # E·p lines per L-conv layer: 156 directed edges, p = 2; layer 0 and layer 2 (relu is 1).
    header=$(head -1 "$T/gen.csv")
    l0=$(awk -F, 'NR > 1 && $1 == 0 && $2 == "0.lconv.edge_weight"' "$T/gen.csv" | wc -l)
    l2=$(awk -F, 'NR > 1 && $1 == 2 && $2 == "2.lconv.edge_weight"' "$T/gen.csv" | wc -l)
    total=$(($(wc -l <"$T/gen.csv") - 1))
    # Rows cover e = 0..155 and i = 0..1 once each, per layer.
    distinct=$(awk -F, 'NR > 1 && $3 >= 0 && $3 < 156 && ($4 == 0 || $4 == 1) { k[$1 "," $3 "," $4] = 1 }
                        END { n = 0; for (x in k) n++; print n }' "$T/gen.csv")
    if [ "$header" = "layer,name,row,col,value" ] && [ "$l0" -eq $((156 * 2)) ] &&
        [ "$l2" -eq $((156 * 2)) ] && [ "$total" -eq $((2 * 156 * 2)) ] && [ "$distinct" -eq "$total" ]; then
        ok "--export-generators CSV: header and E·p rows for both layers ($l0 + $l2)"
    else
        bad "--export-generators CSV: header and E·p rows for both layers" \
            "header '$header', layer 0: $l0, layer 2: $l2, total $total, distinct $distinct"
    fi
fi
run train --data karate --model gcn --epochs 2 --export-generators "$T/gcn_gen" --quiet
if [ "$rc" -eq 1 ] && err_has "$T/gcn_gen" && [ ! -e "$T/gcn_gen.csv" ]; then
    ok "--export-generators of a model without generators: exit 1 naming the path"
else
    bad "--export-generators of a model without generators: exit 1 naming the path" "exit $rc"
fi
expect_usage "--export-generators is not an option of eval" "--export-generators" eval --load x --export-generators y

# ---------------------------------------------------------------- numerical faults
run train --data karate --model gcn:8,relu,gcn --optim sgd --lr 1e6 --epochs 50 --patience 0 --check-finite --quiet
if [ "$rc" -eq 1 ] && err_has "epoch " && err_has "layer " && err_has "(node "; then
    ok "--check-finite stops a divergent run naming the epoch, layer and op"
else
    bad "--check-finite stops a divergent run naming the epoch, layer and op" "exit $rc"
fi

# ---------------------------------------------------------------- real data (skipped when absent)
cora="${LCONV_DATA_DIR:-../shared/data}/planetoid/cora"
if [ -f "$cora.features.txt" ]; then
    run train --data "planetoid:$cora" --epochs 3 --quiet
    if [ "$rc" -eq 0 ] && out_has "nodes 2708" && out_has "features 1433" && out_has "classes 7" &&
        out_has "train/val/test 140/500/1000"; then
        ok "Planetoid Cora loads with the standard split"
    else
        bad "Planetoid Cora loads with the standard split" "exit $rc: $(head -1 "$T/out")"
    fi
    # --keep-best: the same run ends at its best validation epoch, no worse on val
    run train --data "planetoid:$cora" --epochs 60 --patience 0 --quiet
    last_val=$(field 42 4)
    run train --data "planetoid:$cora" --epochs 60 --patience 0 --quiet --keep-best
    kept=$(field 42 2)
    if [ "$rc" -eq 0 ] && echo "$kept" | grep -qE '^[0-9]+/60$' && [ "${kept%/60}" -ge 1 ] &&
        awk -v a="$(field 42 4)" -v b="$last_val" 'BEGIN { exit !(a + 0 >= b + 0 && b != "") }'; then
        ok "--keep-best: epoch $kept kept, validation accuracy $(field 42 4) >= the last epoch's $last_val"
    else
        bad "--keep-best on Cora" "exit $rc: epochs '$kept', val $(field 42 4) against $last_val"
    fi
else
    skip "Planetoid Cora (no $cora.features.txt)"
fi

# ---------------------------------------------------------------- devices
expect_usage "--device gpu" "--device" train --device gpu
run train --data karate --device cuda --epochs 2 --quiet
if [ "$rc" -eq 1 ] && err_has "CUDA"; then
    ok "--device cuda without a GPU: exit 1, says why"
elif [ "$rc" -eq 0 ] && out_has "karate"; then
    ok "--device cuda with a GPU: trains"
else
    bad "--device cuda: exit 0 on a GPU, or 1 naming CUDA" "exit $rc"
fi
run train --data karate --device cpu --epochs 2 --quiet
if [ "$rc" -eq 0 ]; then ok "--device cpu"; else bad "--device cpu" "exit $rc"; fi
# (the seconds column, last in each seed's row, is the clock's: left out)
run train --data karate --model lconv:8:p=2,relu,lconv --epochs 20 --seeds 2 --quiet
sed -E 's/ +[0-9.]+$//' "$T/out" > "$T/kept"
run train --data karate --model lconv:8:p=2,relu,lconv --epochs 20 --seeds 2 --quiet --share-buffers
sed -E 's/ +[0-9.]+$//' "$T/out" > "$T/shared"
if [ "$rc" -eq 0 ] && grep -q "test accuracy" "$T/out" && cmp -s "$T/kept" "$T/shared"; then
    ok "--share-buffers: the same table, bit for bit"
else
    bad "--share-buffers: the same table, bit for bit" "exit $rc; $(diff "$T/kept" "$T/shared" | head -3)"
fi

# ---------------------------------------------------------------- graph-level images
expect_usage "--rotate out of range" "--rotate" train --rotate 400
expect_usage "--batch-size 0" "--batch-size" train --batch-size 0
expect_usage "--scramble takes no value" "--scramble" train --scramble=3
run train --data karate --scramble --epochs 2 --quiet
if [ "$rc" -eq 1 ] && err_has "node-level data"; then
    ok "--scramble on node-level data: exit 1, says why"
else
    bad "--scramble on node-level data: exit 1, says why" "exit $rc"
fi
mnist="${LCONV_DATA_DIR:-../shared/data}/mnist-test"
if [ -f "$mnist/t10k-images-idx3-ubyte.gz" ]; then
    run train --data "mnist:$mnist" --model lattice:4,relu,flatten,linear --epochs 1 \
        --batch-size 128 --weight-decay 0 --rotate 90 --scramble --quiet
    if [ "$rc" -eq 0 ] && out_has "nodes 784" && out_has "features 1" && out_has "classes 10" &&
        out_has "train/val/test 8000/0/2000"; then
        ok "mnist:DIR trains a lattice model on rotated, scrambled images (8000/2000 split)"
    else
        bad "mnist:DIR trains a lattice model on rotated, scrambled images" "exit $rc: $(head -1 "$T/out")"
    fi
    run train --data "mnist:$mnist" --model lattice:4,relu,linear --epochs 1 --quiet
    if [ "$rc" -eq 1 ] && err_has "flatten"; then
        ok "graph-level data without flatten: exit 1 naming the missing layer"
    else
        bad "graph-level data without flatten: exit 1 naming the missing layer" "exit $rc"
    fi
else
    skip "MNIST (no $mnist/t10k-images-idx3-ubyte.gz)"
fi

finish
