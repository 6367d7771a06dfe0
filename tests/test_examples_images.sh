#!/bin/sh
# test_examples_images.sh — smoke run of examples/rotated_images at a tiny size: the table
# parses, every model trains (its loss falls) and learns something on plain MNIST.
# Ends with "examples_images: N passed, N failed, N skipped"; exit 77 when the data is absent.

suite=examples_images
. "$(dirname "$0")/examples.sh"

RI="$build/examples/rotated_images/rotated_images"
[ -x "$RI" ] || skip "$RI is not built"
data="${LCONV_DATA_DIR:-../shared/data}/mnist-test"
[ -f "$data/t10k-images-idx3-ubyte.gz" ] || skip "$data/t10k-images-idx3-ubyte.gz is absent (../shared/data)"

run "$RI" --data "$data" --train-samples 600 --epochs 3 --models lconv,cnn3,fc,random-L \
    --conditions plain,rot+scrambled --out "$T/curves"
check "rotated_images runs" [ "$rc" -eq 0 ]
cat "$T/out"
n=$(grep -c '^result dataset=mnist ' "$T/out")
check "one result line per model and condition (8, got $n)" [ "$n" -eq 8 ]
check "two tables (last epoch, peak), a row per model in each" \
    [ "$(grep -c '^| \(lconv\|cnn3\|fc\|random-L\) | [0-9]* |' "$T/out")" -eq 8 ]
# the test accuracy after every epoch is in the curve (val_acc); the result line's peak is
# its best, at least the last epoch's
for m in lconv cnn3 fc random-L; do
    line=$(grep "^result dataset=mnist condition=plain model=$m seed=0 " "$T/out")
    last=$(echo "$line" | sed -n 's/.* acc=\([0-9.]*\) .*/\1/p')
    peak=$(echo "$line" | sed -n 's/.* peak_acc=\([0-9.]*\) .*/\1/p')
    best=$(awk -F, 'NR > 1 && $4 > b { b = $4 } END { print b + 0 }' "$T/curves/mnist-plain-$m-seed0.csv")
    check "$m: peak test accuracy $peak = the curve's best $best >= the last epoch's $last" \
        awk -v p="$peak" -v b="$best" -v l="$last" 'BEGIN { exit !(p != "" && p == b && p >= l && b > 0.1) }'
done
# every plain-MNIST model beats chance (10 %) by far after 3 epochs on 600 images
for m in lconv cnn3 fc random-L; do
    acc=$(sed -n "s/^result dataset=mnist condition=plain model=$m seed=0 .* acc=\([0-9.]*\) .*/\1/p" "$T/out")
    check "$m learns plain MNIST (test accuracy $acc > 0.5)" below 0.5 "$acc"
done
# the loss curve of every run falls from the first to the last epoch
for f in "$T"/curves/*.csv; do
    check "$(basename "$f"): training loss falls" fell "$f" 2
done
check "8 curves written" [ "$(ls "$T"/curves/*.csv | wc -l)" -eq 8 ]
# bad arguments: a clear message and exit status 2
run "$RI" --models nosuch
check "an unknown model is refused (exit 2)" [ "$rc" -eq 2 ]
check "... naming it" grep -q "nosuch" "$T/err"
run "$RI" --data "$T/none" --epochs 1
check "a directory without IDX files fails (exit 1)" [ "$rc" -eq 1 ]
check "... naming the files it looked for" grep -q "t10k-images-idx3-ubyte" "$T/err"
finish
