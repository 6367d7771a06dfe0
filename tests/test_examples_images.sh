#!/bin/sh
# test_examples_images.sh — smoke run of examples/rotated_images at a tiny size: the table
# parses, every model trains (its loss falls) and learns something on plain MNIST.
set -u
bin="${LCONV_BUILDDIR:-.}/examples/rotated_images/rotated_images"
data="${LCONV_DATA_DIR:-../shared/data}/mnist-test"
if [ ! -f "$data/t10k-images-idx3-ubyte.gz" ]; then
    echo "SKIP: $data/t10k-images-idx3-ubyte.gz is absent (../shared/data)"
    echo "examples_images: 0 passed, 0 failed, 1 skipped"
    exit 77
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
passed=0
failed=0
check() { # check DESCRIPTION CONDITION...
    what=$1
    shift
    if "$@"; then
        echo "ok   $what"
        passed=$((passed + 1))
    else
        echo "FAIL $what"
        failed=$((failed + 1))
    fi
}

"$bin" --data "$data" --train-samples 600 --epochs 3 --models lconv,cnn3,fc,random-L \
    --conditions plain,rot+scrambled --out "$out/curves" >"$out/log" 2>&1
check "rotated_images runs" [ $? -eq 0 ]
cat "$out/log"
n=$(grep -c '^result dataset=mnist ' "$out/log")
check "one result line per model and condition (8, got $n)" [ "$n" -eq 8 ]
check "the table has a row per model" [ "$(grep -c '^| \(lconv\|cnn3\|fc\|random-L\) | [0-9]* |' "$out/log")" -eq 4 ]
# every plain-MNIST model beats chance (10 %) by far after 3 epochs on 600 images
for m in lconv cnn3 fc random-L; do
    acc=$(sed -n "s/^result dataset=mnist condition=plain model=$m seed=0 .* acc=\([0-9.]*\) .*/\1/p" "$out/log")
    check "$m learns plain MNIST (test accuracy $acc > 0.5)" awk -v a="${acc:-0}" 'BEGIN { exit !(a > 0.5) }'
done
# the loss curve of every run falls from the first to the last epoch
for f in "$out"/curves/*.csv; do
    first=$(sed -n 2p "$f" | cut -d, -f2)
    last=$(tail -n 1 "$f" | cut -d, -f2)
    check "$(basename "$f"): training loss falls ($first -> $last)" \
        awk -v a="$first" -v b="$last" 'BEGIN { exit !(b < a) }'
done
check "8 curves written" [ "$(ls "$out"/curves/*.csv | wc -l)" -eq 8 ]
# bad arguments: a clear message and exit status 2
"$bin" --models nosuch >"$out/err" 2>&1
check "an unknown model is refused (exit 2)" [ $? -eq 2 ]
check "... naming it" grep -q "nosuch" "$out/err"
"$bin" --data "$out/none" --epochs 1 >"$out/err" 2>&1
check "a directory without IDX files fails (exit 1)" [ $? -eq 1 ]
check "... naming the files it looked for" grep -q "t10k-images-idx3-ubyte" "$out/err"
echo "examples_images: $passed passed, $failed failed, 0 skipped"
[ "$failed" -eq 0 ]
