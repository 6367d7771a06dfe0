#!/bin/sh
# test_mpi.sh — data-parallel training under mpirun: 2 and 3 ranks equal one process, rank 0 alone writes checkpoints, resuming with another rank count, a killed or stopped rank ends the job, disagreeing ranks are refused, a job of one rank equals one process and, on a GPU (skipped without one), 2 ranks summing through the host and 1 on NCCL equal one GPU process; full-graph partitioned GCN and L-conv, with and without dropout, and GCN and L-conv from per-rank part files (lcnet partition --write, --data parts:DIR), equal one process.
# Run by `make check` (LCNET, LCONV_DATA_DIR set). POSIX sh. Ends with
# "mpi: N passed, N failed, N skipped"; exit 77 when mpirun is absent, lconv was
# built without MPI, or the MNIST test set is absent.

suite=mpi
. "$(dirname "$0")/examples.sh"

command -v mpirun >/dev/null 2>&1 || skip "mpirun is not installed (openmpi-bin)"
LCNET=${LCNET:-./lcnet}
[ -x "$LCNET" ] || skip "LCNET is not set to the built lcnet program ('$LCNET')"
CMP="$build/tests/ckpt_compare"
[ -x "$CMP" ] || skip "$CMP is not built"
[ -x "$build/tests/dist_spmm" ] || skip "$build/tests/dist_spmm is not built"
# Open MPI leaves allocations of its own unfreed at exit (ompi_op_base_op_select
# and others), which LeakSanitizer reports in every rank: the sanitized build
# runs this suite with AddressSanitizer's access checks but not its leak check
# (the C suites run under valgrind's for lconv's own code).
if grep -q -- '--enable-sanitizers' "$build/config.status" 2>/dev/null; then
    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
    export ASAN_OPTIONS
    echo "sanitized build: ASAN_OPTIONS=$ASAN_OPTIONS (Open MPI's own allocations)"
fi
MNIST="${LCONV_DATA_DIR:-}/mnist-test"
[ -f "$MNIST/t10k-images-idx3-ubyte.gz" ] || skip "no MNIST test set under LCONV_DATA_DIR (${LCONV_DATA_DIR:-unset})"

# CI runs as root on 2 cores: 3 ranks need --oversubscribe.
MPIRUN="mpirun --oversubscribe --allow-run-as-root"
# A bound on every run, so that a hang fails the test instead of the CI job
# (exit 124; mpirun itself exits 137 when a rank died of SIGKILL).
LIMIT=240

# Built without MPI, --distributed says so: nothing here can run.
run "$LCNET" train --data karate --epochs 1 --distributed --quiet
if [ "$rc" -ne 0 ] && grep -q "without MPI" "$T/err"; then
    skip "lcnet was built without MPI"
fi

# rel_close A B: |A - B| <= 1e-5 |A| (numbers as printed).
rel_close() { awk -v a="$1" -v b="$2" 'BEGIN { d = a - b; if (d < 0) d = -d; m = a < 0 ? -a : a; exit !(a != "" && b != "" && d <= 1e-5 * m) }'; }
# same_losses A.csv B.csv: every epoch's train loss within 1e-5 relative.
same_losses() {
    [ "$(wc -l <"$1")" -eq "$(wc -l <"$2")" ] || return 1
    paste -d, "$1" "$2" | awk -F, 'NR > 1 { d = $2 - $7; if (d < 0) d = -d; m = $2 < 0 ? -$2 : $2;
        if (!(d <= 1e-5 * m)) bad = 1 } END { exit bad }'
}
# equal_runs WHAT A B: one process's run A ($T/A.ckpt, A.csv, exit code $rc1) and a
# run B under mpirun (exit code $rc) trained alike: parameters and every epoch's
# loss within 1e-5 relative.
equal_runs() {
    if [ "$rc1" -ne 0 ] || [ "$rc" -ne 0 ]; then
        bad "$1" "exit $rc1 (one process), $rc (under mpirun)"
    elif d=$("$CMP" "$T/$2.ckpt" "$T/$3.ckpt" 1e-5) && same_losses "$T/$2.csv" "$T/$3.csv"; then
        ok "$1: losses and parameters = one process's within 1e-5 (|a-b|/|a|, max: $d)"
    else
        bad "$1" "$d"
    fi
}

# ---------- 5 epochs: one process, then 2 and 3 ranks, on the same batches
# The lattice model (CNN as L-conv) with Adam, the edge-weighted L-conv with
# SGD: Adam's per-element normalisation turns the float rounding of the
# L-conv's small edge-weight gradients (summed in another order across ranks)
# into differences of ~1e-4 after 80 steps, SGD keeps them at ~1e-6.
DATA="mnist:$MNIST"
case_lattice="--model lattice:4,relu,flatten,linear --batch-size 500"
case_lconv="--model lconv:4,relu,flatten,linear --batch-size 500 --optim sgd --lr 0.05"
for name in lattice lconv; do
    eval "args=\$case_$name"
    # shellcheck disable=SC2086
    run timeout $LIMIT "$LCNET" train --data "$DATA" $args --epochs 5 --patience 0 --quiet \
        --save "$T/$name.1.ckpt" --log "$T/$name.1.csv"
    if [ "$rc" -ne 0 ]; then
        bad "$name: one process trains" "exit $rc"
        continue
    fi
    for p in 2 3; do
        # shellcheck disable=SC2086
        run timeout $LIMIT $MPIRUN -np $p "$LCNET" train --data "$DATA" $args --epochs 5 \
            --patience 0 --quiet --dist-check 4 --save "$T/$name.$p.ckpt" --log "$T/$name.$p.csv"
        if [ "$rc" -ne 0 ]; then
            bad "$name: $p ranks train" "exit $rc"
            continue
        fi
        if same_losses "$T/$name.1.csv" "$T/$name.$p.csv"; then
            ok "$name: $p ranks, the 5 epochs' losses equal one process's within 1e-5"
        else
            bad "$name: $p ranks, losses" "$(paste -d' ' "$T/$name.1.csv" "$T/$name.$p.csv" | tail -1)"
        fi
        if d=$("$CMP" "$T/$name.1.ckpt" "$T/$name.$p.ckpt" 1e-5); then
            ok "$name: $p ranks, parameters equal one process's within 1e-5 (|a-b|/|a|, max per tensor: $d)"
        else
            bad "$name: $p ranks, parameters" "|a-b|/|a|, max per tensor: $d"
        fi
        # rank 0 alone prints: one result table
        if [ "$(grep -c '^dataset' "$T/out")" -eq 1 ] && [ "$(grep -c '^test accuracy' "$T/out")" -eq 1 ]; then
            ok "$name: $p ranks, one report (rank 0 prints)"
        else
            bad "$name: $p ranks print $(grep -c '^dataset' "$T/out") reports"
        fi
    done
done

# ---------- a job of one (--distributed under mpirun -np 1) takes the data-parallel
# path too (the one that a GPU's NCCL runs on below): the same bits as one process;
# lcnet says how the gradients were summed
args=$case_lattice
# shellcheck disable=SC2086
run timeout $LIMIT "$LCNET" train --data "$DATA" $args --epochs 2 --patience 0 --quiet \
    --save "$T/one.1.ckpt" --log "$T/one.1.csv"
rc1=$rc
# shellcheck disable=SC2086
run timeout $LIMIT $MPIRUN -np 1 "$LCNET" train --distributed --data "$DATA" $args --epochs 2 \
    --patience 0 --quiet --dist-check 1 --save "$T/one.d.ckpt" --log "$T/one.d.csv"
if grep -q '^gradients mpi (1 rank)$' "$T/out"; then
    equal_runs "a job of one rank (--distributed)" one.1 one.d
else
    bad "a job of one rank: lcnet does not say 'gradients mpi (1 rank)'" "$(grep '^gradients' "$T/out")"
fi

# ---------- data-parallel on the GPU (--device cuda), against one process on
# the GPU: 2 ranks on one device sum through the host (LCONV_NCCL=0: NCCL
# refuses two ranks on one device), 1 rank (--distributed) sums with NCCL.
# Where there is no GPU (or no CUDA build) the case is skipped; a GPU that
# cannot be used fails it.
run "$LCNET" train --data karate --epochs 1 --device cuda --quiet
if [ "$rc" -ne 0 ] && grep -qE "no CUDA device present|built without CUDA" "$T/err"; then
    skip_case "data-parallel on the GPU: no GPU here ($(head -1 "$T/err"))"
elif [ "$rc" -ne 0 ]; then
    bad "data-parallel on the GPU: a GPU is here but --device cuda fails" "$(head -3 "$T/err")"
else
    # shellcheck disable=SC2086
    run timeout $LIMIT "$LCNET" train --data "$DATA" $args --device cuda --epochs 5 --patience 0 \
        --quiet --save "$T/gpu.1.ckpt" --log "$T/gpu.1.csv"
    rc1=$rc
    # shellcheck disable=SC2086
    run timeout $LIMIT $MPIRUN -np 2 -x LCONV_NCCL=0 "$LCNET" train --data "$DATA" $args \
        --device cuda --epochs 5 --patience 0 --quiet --dist-check 4 --save "$T/gpu.2.ckpt" \
        --log "$T/gpu.2.csv"
    staged='^gradients mpi, staged through the host (rank [01] has LCONV_NCCL=0) (2 ranks)$'
    if [ "$rc" -ne 0 ] || grep -q "$staged" "$T/out"; then
        equal_runs "data-parallel on the GPU, 2 ranks on one device, through the host" gpu.1 gpu.2
    else
        bad "data-parallel on the GPU, 2 ranks: not staged through the host" "$(grep '^gradients' "$T/out")"
    fi
    # shellcheck disable=SC2086
    run timeout $LIMIT $MPIRUN -np 1 "$LCNET" train --distributed --data "$DATA" $args \
        --device cuda --epochs 5 --patience 0 --quiet --dist-check 4 --save "$T/gpu.n.ckpt" \
        --log "$T/gpu.n.csv"
    if [ "$rc" -eq 0 ] && grep -q '^gradients .*cannot open libnccl.so.2' "$T/out"; then
        skip_case "data-parallel on the GPU, 1 rank, NCCL: libnccl.so.2 does not open here"
    elif [ "$rc" -ne 0 ] || grep -q '^gradients nccl (1 rank)$' "$T/out"; then
        equal_runs "data-parallel on the GPU, 1 rank, NCCL" gpu.1 gpu.n
    else
        bad "data-parallel on the GPU, 1 rank: NCCL not used" "$(grep '^gradients' "$T/out")"
    fi
fi

# ---------- the partitioned SpMM (lc_dist_op: halo exchange with neighbourhood
# collectives, forward and transposed) and the partitioned L-conv kernels (halo
# gather, owned edge weights and their gradient, scatter) equal one process's
# on a random operator
SPMM="$build/tests/dist_spmm"
for p in 2 3; do
    for method in block metis; do
        run timeout $LIMIT $MPIRUN -np $p "$SPMM" $method 500
        if [ "$rc" -eq 0 ] && [ "$(grep -c ': ok$' "$T/out")" -eq $p ]; then
            ok "partitioned SpMM, its transpose and L-conv, $p ranks, $method parts: one process's within 1e-6"
        elif [ "$rc" -ne 0 ] && grep -q "without METIS" "$T/err"; then
            ok "partitioned SpMM, $method: built without METIS"
        else
            bad "partitioned SpMM, $p ranks, $method" "exit $rc: $(grep -v ': ok$' "$T/out" | head -3)"
        fi
    done
done

# ---------- resume with another rank count: 5 epochs on 2 ranks, 3 more on 3
# ranks, equal to one process's 5 + 3 (each resumed run restarts the optimizer alike)
args=$case_lconv
# shellcheck disable=SC2086
run timeout $LIMIT "$LCNET" train --data "$DATA" $args --epochs 3 --patience 0 --quiet \
    --load "$T/lconv.1.ckpt" --save "$T/resume.1.ckpt" --log "$T/resume.1.csv"
rc1=$rc
# shellcheck disable=SC2086
run timeout $LIMIT $MPIRUN -np 3 "$LCNET" train --data "$DATA" $args --epochs 3 --patience 0 \
    --quiet --load "$T/lconv.2.ckpt" --save "$T/resume.3.ckpt" --log "$T/resume.3.csv"
equal_runs "resume: a 2-rank checkpoint continued on 3 ranks" resume.1 resume.3

# ---------- rank 0 alone writes: each rank runs in its own directory (one
# app context each), so a checkpoint written by another rank would show
args=$case_lattice
mkdir -p "$T/r0" "$T/r1"
# shellcheck disable=SC2086
run timeout $LIMIT $MPIRUN -np 1 --wdir "$T/r0" "$LCNET" train --data "$DATA" $args --epochs 2 \
    --patience 0 --quiet --checkpoint-every 1 --save ck.ckpt --log log.csv : \
    -np 2 --wdir "$T/r1" "$LCNET" train --data "$DATA" $args --epochs 2 \
    --patience 0 --quiet --checkpoint-every 1 --save ck.ckpt --log log.csv
if [ "$rc" -eq 0 ] && [ -f "$T/r0/ck.ckpt" ] && [ -f "$T/r0/log.csv" ] &&
    [ "$(ls -A "$T/r1")" = "" ] && "$LCNET" eval --data "$DATA" --model lattice:4,relu,flatten,linear \
    --batch-size 500 --load "$T/r0/ck.ckpt" >/dev/null 2>&1; then
    ok "3 ranks: rank 0 alone writes the checkpoints and the log, which load"
else
    bad "rank 0 alone writes" "exit $rc; rank 0's dir: $(ls "$T/r0" | tr '\n' ' '); others': $(ls "$T/r1" | tr '\n' ' ')"
fi

# ---------- rank 0 cannot write: every rank stops with the error, none hangs.
# lcnet finds it before reading the data; a library program when it saves.
# shellcheck disable=SC2086
run timeout $LIMIT $MPIRUN -np 2 "$LCNET" train --data "$DATA" $args --epochs 1 --patience 0 \
    --quiet --save "$T/no/such/dir/x.ckpt"
if [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] &&
    grep -q "rank 0 of 2: --save '.*x.ckpt': cannot write in" "$T/err" &&
    grep -q "rank 1 of 2: lc_dist: rank 0 failed to find its output files writable" "$T/err"; then
    ok "rank 0 cannot write the checkpoint: both ranks stop with the reason before training"
else
    bad "a checkpoint lcnet cannot write" "exit $rc"
fi
run timeout $LIMIT $MPIRUN -np 2 "$build/tests/dist_parts" save "$T/no/such/dir/x.ckpt"
if [ "$rc" -eq 0 ] && grep -q "^rank 0: refused: lc_model_save: .*x.ckpt" "$T/out" &&
    grep -q "^rank 1: refused: lc_model_save: rank 0 failed to write the checkpoint" "$T/out"; then
    ok "a library program: rank 0's failed save stops both ranks with the reason"
else
    bad "a failed checkpoint write, library program" "exit $rc: $(cat "$T/out")"
fi

# ---------- ranks that disagree are refused before the first step
# shellcheck disable=SC2086
run timeout $LIMIT $MPIRUN -np 1 "$LCNET" train --data "$DATA" $args --epochs 1 --quiet --seed 1 : \
    -np 1 "$LCNET" train --data "$DATA" $args --epochs 1 --quiet --seed 2
if [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] && grep -q "rank 1 of 2 has another training config" "$T/err"; then
    ok "ranks with different seeds are refused with a message"
else
    bad "ranks with different seeds" "exit $rc"
fi

# ---------- node-level data: full-graph partitioned training (each rank owns a
# METIS part of the nodes and the edges into them, every GCN and L-conv
# aggregation exchanges halo rows, L-conv's edge-weight gradients stay with
# their owners) equals one process's; Cora when the shared data is there, the
# karate club always
CORA="${LCONV_DATA_DIR:-}/planetoid/cora"
graphs="karate"
[ -f "$CORA.edges.txt" ] && graphs="karate planetoid:$CORA"
# The deeper GCN (its middle layer aggregates before projecting) trains with
# SGD: on Cora's sparse features many first-layer gradients are near zero, and
# Adam's normalisation turns their rounding differences into steps of size lr
# (1e-3 apart after 5 epochs on 2 ranks, 4e-6 on 3; SGD: 1e-8).
# L-conv: the two-layer model with Adam (1e-7 apart on Cora, 2 and 3 ranks;
# there SGD at lr 0.5 is the one that drifts: a ReLU input near 0 changes sign
# in epoch 3 on 3 ranks, 3e-5), the deeper one (2 generators, its middle layer
# aggregating first) with SGD at lr 0.2 (1e-9; Adam 9e-8; at lr 0.5 karate's
# loss falls to 0.0045, where the 6 digits logged differ in the last).
# Dropout: every rank draws one process's masks (and keeps its rows'), on the
# hidden rows and, in Kipf's gcn (dropout:0.5,gcn:16:nobias,relu,dropout:0.5,
# gcn:nobias) and the L-conv with W0, on the input features (Cora's sparse
# ones: one mask per projection of them, the generators' then W0's).
lconv_deep="lconv:16:p=2,relu,lconv:64,relu,lconv --optim sgd --lr 0.2"
for data in $graphs; do
    for model in gcn:16,relu,gcn "gcn:16,relu,gcn:64,relu,gcn --optim sgd --lr 0.5" \
        lconv:16,relu,lconv "$lconv_deep" gcn:16,relu,dropout:0.5,gcn gcn \
        dropout:0.5,lconv:16,relu,dropout:0.5,lconv; do
        name=$(echo "$data.$model" | tr -c 'a-z0-9.\n' '_')
        gargs="--data $data --model $model --epochs 5 --patience 0 --quiet"
        # shellcheck disable=SC2086
        run timeout $LIMIT "$LCNET" train $gargs --save "$T/$name.1.ckpt" --log "$T/$name.1.csv"
        rc1=$rc
        for p in 2 3; do
            # shellcheck disable=SC2086
            run timeout $LIMIT $MPIRUN -np $p "$LCNET" train $gargs --save "$T/$name.$p.ckpt" \
                --log "$T/$name.$p.csv"
            equal_runs "partitioned $model on ${data%%:*}, $p ranks" "$name.1" "$name.$p"
            if [ "$rc" -eq 0 ] && ! grep -q "^partitioned: the full graph's rows over $p ranks$" "$T/out"; then
                bad "partitioned $model on ${data%%:*}, $p ranks: lcnet says how it trains" "$(head -4 "$T/out")"
            fi
        done
    done
done
# Resume: the 2-rank L-conv checkpoint above (the whole model: each rank's
# edge weights gathered) continued on 3 ranks equals one process's 5 + 3 epochs.
data=${graphs##* }
name=$(echo "$data.lconv:16,relu,lconv" | tr -c 'a-z0-9.\n' '_')
gargs="--data $data --model lconv:16,relu,lconv --dropout 0 --epochs 3 --patience 0 --quiet"
# shellcheck disable=SC2086
run timeout $LIMIT "$LCNET" train $gargs --load "$T/$name.1.ckpt" --save "$T/lresume.1.ckpt" \
    --log "$T/lresume.1.csv"
rc1=$rc
# shellcheck disable=SC2086
run timeout $LIMIT $MPIRUN -np 3 "$LCNET" train $gargs --load "$T/$name.2.ckpt" \
    --save "$T/lresume.3.ckpt" --log "$T/lresume.3.csv"
equal_runs "partitioned L-conv on ${data%%:*}: a 2-rank checkpoint continued on 3 ranks" \
    lresume.1 lresume.3
# --keep-best: every rank keeps its own rows' parameters of the one best epoch
# (the validation accuracy is the job's): the same model as one process's.
data=${graphs##* }
gargs="--data $data --model gcn:16,relu,dropout:0.5,gcn --epochs 30 --patience 0 --quiet --keep-best"
# shellcheck disable=SC2086
run timeout $LIMIT "$LCNET" train $gargs --save "$T/best.1.ckpt" --log "$T/best.1.csv"
rc1=$rc
# shellcheck disable=SC2086
run timeout $LIMIT $MPIRUN -np 2 "$LCNET" train $gargs --save "$T/best.2.ckpt" --log "$T/best.2.csv"
equal_runs "partitioned GCN on ${data%%:*} with --keep-best, 2 ranks" best.1 best.2
# Part files: `lcnet partition --write` splits the data set once, and under
# mpirun each rank loads its part alone (--data parts:DIR): the same losses and
# parameters as one process on the whole data set (Kipf's gcn: dropout on the
# sparse input features and the hidden rows, drawn at each row's place in the
# whole matrix), and L-conv (each rank drawing its own edges' weights, read
# from the edges files beside the parts). A job of another size, a missing
# edges file and one of another write are refused.
for data in $graphs; do
    for model in gcn "gcn:16,relu,dropout:0.5,gcn:32,relu,gcn" lconv:16,relu,lconv \
        "dropout:0.5,lconv:16:p=2,relu,dropout:0.5,lconv:init=const"; do
        name=$(echo "parts.$data.$model" | tr -c 'a-z0-9.\n' '_')
        gargs="--model $model --epochs 5 --patience 0 --quiet"
        # shellcheck disable=SC2086
        run timeout $LIMIT "$LCNET" train --data $data $gargs --save "$T/$name.1.ckpt" \
            --log "$T/$name.1.csv"
        rc1=$rc
        for p in 2 3; do
            run timeout $LIMIT "$LCNET" partition --data "$data" --parts $p --write "$T/$name.dir$p"
            if [ "$rc" -ne 0 ] || [ "$(ls "$T/$name.dir$p" | wc -l)" -ne $((2 * p)) ] ||
                [ ! -f "$T/$name.dir$p/part-$((p - 1)).edges.lcp" ]; then
                bad "lcnet partition --data ${data%%:*} --parts $p --write" "exit $rc, $(ls "$T/$name.dir$p" | wc -l) files"
                continue
            fi
            # shellcheck disable=SC2086
            run timeout $LIMIT $MPIRUN -np $p "$LCNET" train --data "parts:$T/$name.dir$p" $gargs \
                --save "$T/$name.$p.ckpt" --log "$T/$name.$p.csv"
            equal_runs "$model on ${data%%:*} from $p part files, $p ranks" "$name.1" "$name.$p"
        done
    done
done
# Resume from part files: the 2-part L-conv checkpoint above (each rank holds
# its part's edge weights alone; saving gathers them into the whole graph's)
# continued from 3 part files (each rank taking its part's rows back) equals
# one process's 5 + 3 epochs, as with the whole data set above.
data=${graphs##* }
name=$(echo "parts.$data.lconv:16,relu,lconv" | tr -c 'a-z0-9.\n' '_')
rc1=1
[ -f "$T/lresume.1.ckpt" ] && rc1=0
run timeout $LIMIT $MPIRUN -np 3 "$LCNET" train --data "parts:$T/$name.dir3" --model lconv:16,relu,lconv \
    --dropout 0 --epochs 3 --patience 0 --quiet --load "$T/$name.2.ckpt" --save "$T/presume.3.ckpt" \
    --log "$T/presume.3.csv"
equal_runs "L-conv on ${data%%:*}: a 2-part-file checkpoint continued from 3 part files" \
    lresume.1 presume.3
# Many generators: gathering the owners' edge weights goes 2^20 doubles at a
# time, so Cora's 10 556 edges with p = 128 take two blocks (8 192 rows, then
# the rest), split mid-part on every rank: whole data and part files.
if [ "$data" != karate ]; then
    many="lconv:4:p=128,relu,lconv"
    gargs="--model $many --optim sgd --lr 0.2 --epochs 3 --patience 0 --quiet"
    # shellcheck disable=SC2086
    run timeout $LIMIT "$LCNET" train --data "$data" $gargs --save "$T/many.1.ckpt" --log "$T/many.1.csv"
    rc1=$rc
    # shellcheck disable=SC2086
    run timeout $LIMIT $MPIRUN -np 2 "$LCNET" train --data "$data" $gargs --save "$T/many.2.ckpt" \
        --log "$T/many.2.csv"
    equal_runs "partitioned $many on ${data%%:*}, 2 ranks (edge weights gathered in 2 blocks)" many.1 many.2
    run timeout $LIMIT "$LCNET" partition --data "$data" --parts 2 --write "$T/many.dir2"
    # shellcheck disable=SC2086
    run timeout $LIMIT $MPIRUN -np 2 "$LCNET" train --data "parts:$T/many.dir2" $gargs \
        --save "$T/many.p2.ckpt" --log "$T/many.p2.csv"
    equal_runs "$many on ${data%%:*} from 2 part files (edge weights gathered in 2 blocks)" many.1 many.p2
fi
# The learned generators exported from 2 part files (rank 0 writes what every
# rank's part gathers into) equal one process's.
dirk="$T/$(echo "parts.karate.lconv:16,relu,lconv" | tr -c 'a-z0-9.\n' '_').dir2"
gargs="--model lconv:4:p=2,relu,lconv:p=2 --epochs 5 --patience 0 --quiet"
# shellcheck disable=SC2086
run timeout $LIMIT "$LCNET" train --data karate $gargs --export-generators "$T/gen.1"
rc1=$rc
# shellcheck disable=SC2086
run timeout $LIMIT $MPIRUN -np 2 "$LCNET" train --data "parts:$dirk" $gargs --export-generators "$T/gen.2"
if [ "$rc1" -eq 0 ] && [ "$rc" -eq 0 ] && d=$("$CMP" "$T/gen.1.ckpt" "$T/gen.2.ckpt" 1e-5) &&
    [ "$(wc -l <"$T/gen.1.csv")" -eq "$(wc -l <"$T/gen.2.csv")" ]; then
    ok "generators exported from 2 part files = one process's within 1e-5 (max $d)"
else
    bad "generators exported from 2 part files" "exit $rc1, $rc: ${d:-} $(wc -l "$T"/gen.?.csv 2>&1 | tr '\n' ' ')"
fi
dir3="$T/$(echo "parts.karate.gcn" | tr -c 'a-z0-9.\n' '_').dir3"
run timeout $LIMIT $MPIRUN -np 2 "$LCNET" train --data "parts:$dir3" --model gcn --epochs 1 --quiet
if [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] &&
    [ "$(grep -c "rank [01] of 2: .*part [01] of 3 (a part file): .*mpirun -np 3" "$T/err")" -eq 2 ]; then
    ok "3 part files on 2 ranks: refused, naming the job size they need"
else
    bad "3 part files on 2 ranks" "exit $rc"
fi
# parts of two writes (METIS and block parts of the karate club) are refused
# on every rank before any exchange, naming the file
run timeout $LIMIT "$LCNET" partition --data karate --parts 2 --method block --write "$T/mixed"
run timeout $LIMIT "$LCNET" partition --data karate --parts 2 --method metis --write "$T/metis2"
cp "$T/metis2/part-1.lcp" "$T/mixed/part-1.lcp"
run timeout $LIMIT $MPIRUN -np 2 "$LCNET" train --data "parts:$T/mixed" --model gcn --epochs 1 --quiet
if [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] &&
    [ "$(grep -c "rank [01] of 2: .*part-[01].lcp' (rank [01]): the part files of ranks 0 and 1 come from different writes" "$T/err")" -eq 2 ]; then
    ok "part files of two writes: refused on every rank, naming the file"
else
    bad "part files of two writes" "exit $rc"
fi
# L-conv without a part's edges file, or with one of another write: refused,
# naming it, and the job ends (a GCN's ranks never read them)
mv "$T/mixed/part-1.edges.lcp" "$T/mixed/edges.away"
run timeout $LIMIT $MPIRUN -np 2 "$LCNET" train --data "parts:$T/mixed" --model lconv:8,relu,lconv --epochs 1 --quiet
if [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] &&
    grep -q "rank 1 of 2: .*part-1.lcp': L-conv reads the part's edges from '.*part-1.edges.lcp', which cannot be read" "$T/err"; then
    ok "L-conv on part files without an edges file: refused, naming it"
else
    bad "L-conv on part files without an edges file" "exit $rc: $(tail -3 "$T/err")"
fi
cp "$T/metis2/part-1.edges.lcp" "$T/mixed/part-1.edges.lcp"
cp "$T/metis2/part-0.lcp" "$T/mixed/part-0.lcp"
run timeout $LIMIT $MPIRUN -np 2 "$LCNET" train --data "parts:$T/mixed" --model lconv:8,relu,lconv --epochs 1 --quiet
if [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] &&
    grep -q "rank 0 of 2: .*part-0.edges.lcp': the edges of part 0 of 2 .* or from another write" "$T/err"; then
    ok "L-conv on part files with an edges file of another write: refused, naming it"
else
    bad "L-conv on part files with an edges file of another write" "exit $rc: $(tail -3 "$T/err")"
fi

# The same from a library program, which gets errors back instead of an abort:
# one part data set serves several models (an L-conv build, then GCN and L-conv
# training), and a rank that cannot read its edges file stops every rank's
# build with an answer (its own message; the others name it), none left waiting.
PARTS="$build/tests/dist_parts"
run timeout $LIMIT $MPIRUN -np 3 "$PARTS" reuse "$dir3"
if [ "$rc" -eq 0 ] && [ "$(grep -c '^rank [012]: ok$' "$T/out")" -eq 3 ]; then
    ok "one part data set, an L-conv build then GCN and L-conv training, 3 ranks"
else
    bad "one part data set, several models" "exit $rc: $(head -3 "$T/out")"
fi
cp -r "$T/metis2" "$T/noedges" && rm "$T/noedges/part-1.edges.lcp"
run timeout $LIMIT $MPIRUN -np 2 "$PARTS" build "$T/noedges"
if [ "$rc" -eq 0 ] && grep -q "^rank 0: refused: .*rank 1 failed to read its part's edges" "$T/out" &&
    grep -q "^rank 1: refused: .*part-1.edges.lcp', which cannot be read" "$T/out"; then
    ok "a rank without its edges file: every rank's build refused, none waiting"
else
    bad "a rank without its edges file, library program" "exit $rc: $(head -3 "$T/out")"
fi

run timeout $LIMIT $MPIRUN -np 2 "$PARTS" save-oom "$T/metis2"
if [ "$rc" -eq 0 ] && grep -q "^rank 0: refused: .*rank 1 failed to prepare the checkpoint" "$T/out" &&
    grep -q "^rank 1: refused: .*cannot allocate the model's spec" "$T/out"; then
    ok "a rank that cannot prepare the checkpoint: every rank's save refused, none waiting"
else
    bad "a rank that cannot prepare the checkpoint" "exit $rc: $(head -3 "$T/out")"
fi

# A part with no row (nothing in the partition is owed to every rank): its
# rank trains on nothing and the others as ever, equal to one process.
run "$PARTS" empty "$T/empty"
for model in gcn:16,relu,dropout:0.5,gcn lconv:16,relu,lconv; do
    name=$(echo "empty.$model" | tr -c 'a-z0-9.\n' '_')
    gargs="--model $model --epochs 5 --patience 0 --quiet"
    # shellcheck disable=SC2086
    run timeout $LIMIT "$LCNET" train --data karate $gargs --save "$T/$name.1.ckpt" --log "$T/$name.1.csv"
    rc1=$rc
    # shellcheck disable=SC2086
    run timeout $LIMIT $MPIRUN -np 3 "$LCNET" train --data "parts:$T/empty" $gargs \
        --save "$T/$name.3.ckpt" --log "$T/$name.3.csv"
    equal_runs "$model on karate, 3 part files, one of them empty" "$name.1" "$name.3"
done

# Layers and options the partitioned trainer does not know are refused by name
# on every rank.
for refused in "lowrank:4,relu,lowrank|layer 0 is 'lowrank'" \
    "lconv:4:frozen,relu,lconv|layer 0 is 'lconv' with frozen edge weights"; do
    model=${refused%%|*}
    run timeout $LIMIT $MPIRUN -np 2 "$LCNET" train --data karate --model "$model" --epochs 1 --quiet
    if [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] &&
        [ "$(grep -c "rank [01] of 2: .*${refused#*|}" "$T/err")" -eq 2 ]; then
        ok "node-level $model under mpirun: refused by name, every rank stops"
    else
        bad "node-level $model under mpirun" "exit $rc"
    fi
done

# start_job NAME ARGS...: a long 2-rank run in the background ($tpid) that writes
# $T/NAME.ckpt every epoch; returns once the first is there, with $victim the pid
# of its last rank. Fails (the job ended) when there is no checkpoint or rank.
start_job() {
    name=$1
    shift
    rm -f "$T/$name.ckpt"
    # shellcheck disable=SC2086
    timeout -k 10 $LIMIT $MPIRUN -np 2 "$LCNET" train --data "$DATA" $args --epochs 100000 \
        --patience 0 --quiet --checkpoint-every 1 --save "$T/$name.ckpt" "$@" \
        >"$T/$name.out" 2>"$T/err" </dev/null &
    tpid=$!
    i=0
    while [ ! -f "$T/$name.ckpt" ] && [ $i -lt 600 ] && kill -0 $tpid 2>/dev/null; do
        sleep 0.2
        i=$((i + 1))
    done
    mpid=$(pgrep -P $tpid | head -1)
    victim=""
    [ -n "$mpid" ] && victim=$(pgrep -P "$mpid" | tail -1)
    [ -f "$T/$name.ckpt" ] && [ -n "$victim" ] && return 0
    kill -TERM $tpid 2>/dev/null # timeout passes it on to mpirun, which ends its ranks
    wait $tpid 2>/dev/null
    bad "$name: the job wrote no checkpoint to wait for, or its ranks were not found"
    return 1
}

# ---------- a killed rank: the others stop with an error instead of waiting,
# and the last checkpoint resumes on another number of ranks
if start_job kill; then
    kill -9 "$victim"
    wait $tpid
    rc=$?
    # 124: `timeout` had to stop mpirun, i.e. the job hung
    if [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] && grep -q "signal 9" "$T/err"; then
        ok "a rank killed with SIGKILL: the job stops with an error (exit $rc), no hang"
    else
        bad "a killed rank" "exit $rc"
    fi
    run timeout $LIMIT $MPIRUN -np 3 "$LCNET" train --data "$DATA" $args --epochs 1 --patience 0 \
        --quiet --load "$T/kill.ckpt" --save "$T/kill2.ckpt"
    if [ "$rc" -eq 0 ] && [ -f "$T/kill2.ckpt" ]; then
        ok "the killed job's last checkpoint resumes on 3 ranks"
    else
        bad "resume after the kill" "exit $rc"
    fi
fi

# ---------- a stopped rank (SIGSTOP: alive but silent, which mpirun cannot
# see): the other's watchdog (--dist-timeout) ends it, and so the job
if start_job stop --dist-timeout 10; then
    kill -STOP "$victim"
    wait $tpid
    rc=$?
    kill -9 "$victim" 2>/dev/null # in case the job left it behind
    if [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] && grep -q "rank [01] of 2 waited .* for the other ranks" "$T/err"; then
        ok "a stopped rank: the other times out with a message and the job ends (exit $rc)"
    else
        bad "a stopped rank" "exit $rc"
    fi
fi

finish
