#!/usr/bin/env bash
# gpu-check.sh — issue 4's one device call: the CUDA test suite, lconv against PyTorch
# Geometric on the GPU on the same data files (one table), the 1 M-point kNN graph and
# L-conv (issue 6), then data-parallel training on the GPU under mpirun (issue 9). Run in the
# repository root on the GPU machine, after bench/gpu-bundle.sh packed .gpu/ here (see
# bench/README.md):
#   bash bench/gpu-check.sh            (through the device tool: carry .gpu)
# Budget: GPU_CHECK_SECONDS (default 480) for the whole script: every step is bounded by
# `timeout` and by what is left of it; a step that would start past it is skipped with a
# line saying so, and the table is printed whatever happened. A step that fails prints why
# (its log is kept under $OUT) and the rest still runs. Results go to stdout,
# $OUT/gpu-check.txt (everything) and $OUT/results.txt (the RESULT lines).
set -u
here=$(pwd)
B=/tmp/lconv-gpu
OUT=${OUT:-/tmp/gpu-check-out}
mkdir -p "$OUT"
out=$OUT/gpu-check.txt
res=$OUT/results.txt
: >"$res"
deadline=$((SECONDS + ${GPU_CHECK_SECONDS:-480}))
py_ld=${LD_LIBRARY_PATH-} # Python keeps its own libraries (torch's CUDA, the system's libstdc++)
py() { LD_LIBRARY_PATH=$py_ld python3 "$@"; }

# tar -J needs xz, which a minimal image may lack: Python's lzma then
unpack() { # archive dir
    mkdir -p "$2" && { tar -xJf "$1" -C "$2" 2>/dev/null ||
        py -c 'import sys, tarfile
t = tarfile.open(sys.argv[1])
t.extractall(sys.argv[2], **({"filter": "tar"} if hasattr(tarfile, "tar_filter") else {}))' "$1" "$2"; }
}
unpack .gpu/lconv-gpu.tar.xz "$B" || { echo "cannot unpack .gpu/lconv-gpu.tar.xz"; exit 2; }
# cuBLAS, cuSPARSE and NCCL are opened with dlopen (by soname, not packed in the bundle):
# the toolkit's, else those of torch's nvidia-* wheels, which follow on the path
wheel_libs=$(py -c '
import glob, os, site
dirs = []
for s in site.getsitepackages():
    for name in ("libcublas.so.13", "libcusparse.so.12", "libnccl.so.2"):
        for p in glob.glob(s + "/nvidia/**/" + name, recursive=True):
            d = os.path.dirname(p)
            if d not in dirs: dirs.append(d)
print(":".join(dirs))' 2>/dev/null)
export LD_LIBRARY_PATH="$B/lib:/usr/local/cuda/lib64${wheel_libs:+:$wheel_libs}${py_ld:+:$py_ld}"
export LCONV_DATA_DIR="$here/.gpu/data"
exec > >(tee "$out") 2>&1
tee_pid=$!

# left SECONDS: that many seconds, or what is left of the budget if less; 1 (and a SKIP
# line naming the step) when nothing is left
left() { # seconds step
    local rem=$((deadline - SECONDS))
    if [ "$rem" -lt 5 ]; then
        echo "# SKIP $2: past the budget (GPU_CHECK_SECONDS)" >&2
        return 1
    fi
    echo $(($1 < rem ? $1 : rem))
}
result() { echo "RESULT $*" | tee -a "$res"; }
keep() { cp "$1" "$OUT/$2" 2>/dev/null; } # a failing step's log, under $OUT
# settle LABEL LINE ERR WHY: the step's RESULT line "LABEL LINE"; without LINE, a FAILED
# line giving WHY, and its log ERR kept under $OUT as LABEL.err (blanks as dashes)
settle() {
    if [ -n "$2" ]; then result "$1 $2"; else
        echo "# $1 FAILED: $4"
        keep "$3" "$(echo "$1" | tr ' ' -).err"
    fi
}

echo "# $(date -u +%FT%TZ) $(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader)"
py -c 'import torch, torch_geometric as g; print("# torch", torch.__version__, "cuda", torch.version.cuda, "pyg", g.__version__)'
echo "# toolkit: $(ls /usr/local/cuda/lib64 2>/dev/null | grep -E '^lib(cublas|cusparse|nccl)\.so\.[0-9]+$' | tr '\n' ' ')"
echo "# torch's wheels: ${wheel_libs:-none}"

# ---- 1. the CUDA suite (every op against the CPU, Cora on both backends)
if t=$(left 120 test_cuda); then
    timeout "$t" "$B/test_cuda" >/tmp/test_cuda.out 2>&1
    rc=$?
    cat /tmp/test_cuda.out
    keep /tmp/test_cuda.out test_cuda.txt
    echo "# test_cuda exit status $rc"
fi

# ---- 2. the data files, written by our generator and read by both sides
if t=$(left 60 "arxiv data"); then
    timeout "$t" "$B/gcn_epoch" --case arxiv --write /tmp/arxiv.bin >/dev/null || echo "# arxiv data: failed"
fi
products_writer=
if t=$(left 240 "products data"); then
    timeout "$t" "$B/gcn_epoch" --case products --write /tmp/products.bin >/dev/null &
    products_writer=$!
fi

# ---- 3. the cases; ours and PyG alternate, each in its own process. One RESULT line each:
# case side median min max MiB (or "oom"); a failure prints its errors and keeps its log.
# alg_fallback LABEL ERR: say so when, by default, an SpMM did not get cuSPARSE's
# bit-reproducible CSR_ALG3 (the determinism the README promises then does not hold)
alg_fallback() {
    if [ -z "${LCONV_SPMM_ALG:-}" ] && grep -qE '^# device_choice.*(CSR_ALG2|ALG_DEFAULT)' "$2"; then
        echo "# $1 WARNING: cuSPARSE fell back from CSR_ALG3 (not bit-reproducible): $(grep -m1 '^# device_choice' "$2")"
    fi
}
ours() { # case model reps file [seconds]
    local t line mib
    t=$(left "${5:-120}" "ours $1") || return
    timeout "$t" "$B/gcn_epoch" --file "$4" --device cuda --model "$2" --reps "$3" \
        >/tmp/ours.out 2>/tmp/ours.err
    line=$(awk '$1 == "file" { print $3, $4, $5 }' /tmp/ours.out)
    mib=$(awk '/device_mib/ { v = $NF } END { print v }' /tmp/ours.err)
    grep '^# device_choice' /tmp/ours.err | head -1
    alg_fallback "$1" /tmp/ours.err
    settle "$1 ours" "${line:+$line ${mib:-?}}" /tmp/ours.err \
        "$(grep -vE '^# (epoch|device_choice)' /tmp/ours.err | tail -3 | tr '\n' ' ')"
}
pyg() { # case model hidden form reps file [seconds]
    local t line
    t=$(left "${7:-60}" "pyg $1 $4") || return
    LD_LIBRARY_PATH=$py_ld timeout "$t" python3 bench/pyg_epoch.py --device cuda --file "$6" \
        --model "$2" --hidden "$3" --form "$4" --reps "$5" >/tmp/pyg.out 2>/tmp/pyg.err
    line=$(awk '$1 == "pyg" { $1 = $2 = ""; print }' /tmp/pyg.out)
    grep '^# device_reserved_mib' /tmp/pyg.err
    settle "$1 pyg-$4" "$line" /tmp/pyg.err "$(grep -iE 'error|memory' /tmp/pyg.err | tail -2 | tr '\n' ' ')"
}
GCN_ARXIV="gcn:256,relu,gcn:256,relu,gcn:40"
LCONV_ARXIV="lconv:256:p=4,relu,lconv:256:p=4,relu,lconv:40:p=4"
GCN_PRODUCTS="gcn:256,relu,gcn:256,relu,gcn:47"
spmm() { # label [env...]: one SpMM, products-like graph, f = 256
    local t line
    t=$(left 90 "spmm $1") || return
    line=$(env "${@:2}" timeout "$t" "$B/gcn_epoch" --file /tmp/products.bin --device cuda \
        --spmm-device --reps 20 2>/tmp/spmm.err | grep spmm_device)
    grep '^# device_choice' /tmp/spmm.err
    [ $# -eq 1 ] && alg_fallback "spmm $1" /tmp/spmm.err
    settle "spmm $1" "$line" /tmp/spmm.err "$(tail -3 /tmp/spmm.err | tr '\n' ' ')"
}

ours arxiv-gcn "$GCN_ARXIV" 20 /tmp/arxiv.bin
pyg arxiv-gcn gcn 256,256 sparse 20 /tmp/arxiv.bin
pyg arxiv-gcn gcn 256,256 edge_index 20 /tmp/arxiv.bin
ours arxiv-lconv "$LCONV_ARXIV" 10 /tmp/arxiv.bin
pyg arxiv-lconv lconv 256,256 edge_index 5 /tmp/arxiv.bin 90
# (PyG's L-conv "sparse" form builds a dense n × n gradient of the CSR values: 115 GB here)
if [ -n "$products_writer" ]; then wait "$products_writer" || echo "# products data: failed"; fi
ours products-gcn "$GCN_PRODUCTS" 10 /tmp/products.bin
pyg products-gcn gcn 256,256 sparse 10 /tmp/products.bin 90
spmm ours
if t=$(left 90 "spmm pyg"); then
    line=$(LD_LIBRARY_PATH=$py_ld timeout "$t" python3 bench/pyg_epoch.py --file /tmp/products.bin \
        --model gcn --device cuda --spmm --reps 20 2>/tmp/pyg-spmm.err | grep pyg_spmm)
    settle "spmm pyg" "$line" /tmp/pyg-spmm.err \
        "$(grep -iE 'error|memory' /tmp/pyg-spmm.err | tail -2 | tr '\n' ' ')"
fi

# ---- 4. point clouds at scale (issue 6): the kNN graph (k = 16) of 1 000 000 random points
# on the GPU, checked edge for edge against the CPU's (FLANN), then one L-conv layer (p = 4)
if t=$(left 150 "knn_scale"); then
    timeout "$t" "$B/knn_scale" --points 1000000 --k 16 --device cuda --check --write /tmp/pc.bin ||
        echo "# knn_scale: exit $?"
    ours pointcloud-lconv "lconv:10:p=4" 10 /tmp/pc.bin
fi

# ---- 5. data-parallel training on the GPU (issue 9; about 20 s): 5 epochs of the lattice
# model on MNIST's test set in one process, then under the bundled Open MPI with 2 ranks on
# the one GPU summing through the host (LCONV_NCCL=0: NCCL refuses two ranks on one device)
# and with 1 rank (--distributed) summing with NCCL; each must give the one process's losses
# and parameters within 1e-5 and say which path it took. Lines start with "# dp-gpu".
dp_gpu() {
    [ -f .gpu/mpi.tar.xz ] || { echo "# dp-gpu SKIP: no Open MPI in the bundle (.gpu/mpi.tar.xz: see bench/README.md)"; return; }
    local M=$B/mpi libdir A p label want run rc how d t
    unpack .gpu/mpi.tar.xz "$M" || { echo "# dp-gpu SKIP: cannot unpack .gpu/mpi.tar.xz"; return; }
    libdir=$(sed -n 's/^libdir=//p' "$M/layout")
    # Open MPI relocated to $M (OPAL_PREFIX; PMIx's plugins by path); the MCA choices of
    # Debian's /etc/openmpi, which is not here: shared memory between local ranks
    local mpirun=(env OPAL_PREFIX="$M" PMIX_PREFIX="$M/pmix" PMIX_MCA_mca_base_component_path="$M/pmix/lib/pmix"
        LD_LIBRARY_PATH="$LD_LIBRARY_PATH:$M/$libdir:$M/deps" OMPI_MCA_btl=self,vader OMPI_MCA_pml=ob1
        OMPI_MCA_osc='^ucx,pt2pt' OMPI_MCA_mca_base_component_show_load_errors=0
        "$M/bin/mpirun" --allow-run-as-root --oversubscribe)
    # (DP_DEVICE=cpu: the same runs without a GPU, as they were tried where this was written)
    A=(--data "mnist:$LCONV_DATA_DIR/mnist-test" --model lattice:4,relu,flatten,linear --batch-size 500
       --epochs 5 --patience 0 --quiet --device "${DP_DEVICE:-cuda}")
    t=$(left 30 "dp-gpu one process") || return
    timeout "$t" "$B/lcnet" train "${A[@]}" --save /tmp/dp.one.ckpt --log /tmp/dp.one.csv >/tmp/dp.out 2>&1 ||
        { echo "# dp-gpu FAIL: one process: $(tail -2 /tmp/dp.out)"; keep /tmp/dp.out dp-one.txt; return; }
    for p in 2 1; do
        if [ $p = 2 ]; then
            label="2 ranks" run=(-np 2 -x LCONV_NCCL=0 "$B/lcnet" train)
            want='^gradients mpi, staged through the host (rank 0 has LCONV_NCCL=0) (2 ranks)$'
        else
            label="1 rank (--distributed)" run=(-np 1 -x NCCL_DEBUG=WARN "$B/lcnet" train --distributed)
            want='^gradients nccl (1 rank)$'
        fi
        t=$(left 30 "dp-gpu $label") || return
        timeout "$t" "${mpirun[@]}" "${run[@]}" "${A[@]}" --dist-check 4 --save /tmp/dp.$p.ckpt \
            --log /tmp/dp.$p.csv >/tmp/dp.out 2>&1
        rc=$?
        how=$(grep '^gradients' /tmp/dp.out)
        if [ $rc -ne 0 ]; then
            echo "# dp-gpu FAIL: $label: exit $rc: $(grep -v '^ ' /tmp/dp.out | tail -3 | tr '\n' ' ')"
            keep /tmp/dp.out "dp-$p.txt"
        elif [ "${DP_DEVICE:-cuda}" = cuda ] && ! grep -q "$want" /tmp/dp.out; then
            echo "# dp-gpu FAIL: $label: not the path wanted ($want): $how"
            keep /tmp/dp.out "dp-$p.txt"
        elif d=$("$B/ckpt_compare" /tmp/dp.one.ckpt /tmp/dp.$p.ckpt 1e-5) &&
            paste -d, /tmp/dp.one.csv /tmp/dp.$p.csv | awk -F, 'NR > 1 { d = $2 - $7; if (d < 0) d = -d;
                m = $2 < 0 ? -$2 : $2; if (!(d <= 1e-5 * m)) bad = 1 } END { exit bad }'; then
            echo "# dp-gpu PASS: $label ($how): losses and parameters = one process's within 1e-5 (max $d)"
        else
            echo "# dp-gpu FAIL: $label ($how): differs from one process: $d"
        fi
    done
}
dp_gpu

# ---- 6. if time is left: the arxiv-like cases again (a second sample of each side),
# cuSPARSE's CSR_ALG2 instead of the bit-reproducible ALG3 (README: LCONV_SPMM_ALG), and
# SpMMs preprocessed (LCONV_SPMM_PREPROCESS)
ours arxiv-gcn "$GCN_ARXIV" 20 /tmp/arxiv.bin
pyg arxiv-gcn gcn 256,256 sparse 20 /tmp/arxiv.bin
ours arxiv-lconv "$LCONV_ARXIV" 10 /tmp/arxiv.bin
spmm ours-alg2 LCONV_SPMM_ALG=2
LCONV_SPMM_ALG=2 ours arxiv-gcn-alg2 "$GCN_ARXIV" 20 /tmp/arxiv.bin
# each SpMM with its own work buffer, prepared by cusparseSpMM_preprocess (opt-in)
spmm ours-pre LCONV_SPMM_PREPROCESS=1
LCONV_SPMM_PREPROCESS=1 ours arxiv-gcn-pre "$GCN_ARXIV" 20 /tmp/arxiv.bin

# ---- 7. the table: case, ours, PyG's faster form, ratio, memory (the best sample of each)
echo
echo "| case | ours ms (min–max) | ours MiB | PyG form | PyG ms (min–max) | PyG MiB | ours/PyG |"
echo "|---|---|---|---|---|---|---|"
awk '
    $2 != "spmm" && $3 == "ours" && NF >= 7 { if (!($2 in om) || $4 < om[$2]) { om[$2] = $4; olo[$2] = $5; ohi[$2] = $6; omem[$2] = $7 } }
    $2 != "spmm" && $3 ~ /^pyg-/ && NF >= 7 { k = $2 SUBSEP $3; if (!(k in pm) || $4 < pm[k]) { pm[k] = $4; plo[k] = $5; phi[k] = $6; pmem[k] = $7 }; forms[$2] = forms[$2] " " $3 }
    $3 ~ /^pyg-/ && $4 == "oom" { oom[$2] = oom[$2] " " $3 }
    END {
        for (c in om) {
            best = ""; n = split(forms[c], f, " ")
            for (i = 1; i <= n; i++) { k = c SUBSEP f[i]; if (best == "" || pm[k] < pm[best]) best = k }
            if (best == "") { printf "| %s | %.2f (%.2f–%.2f) | %s | %s | – | – | – |\n", c, om[c], olo[c], ohi[c], omem[c], (c in oom) ? "out of memory:" oom[c] : "–"; continue }
            split(best, b, SUBSEP)
            printf "| %s | %.2f (%.2f–%.2f) | %s | %s | %.2f (%.2f–%.2f) | %.0f | %.2f |\n", c, om[c], olo[c], ohi[c],
                   omem[c], b[2], pm[best], plo[best], phi[best], pmem[best], om[c] / pm[best]
        }
    }' "$res"
grep '^RESULT spmm' "$res"
echo "# done $(date -u +%FT%TZ), $SECONDS s"
exec >&- 2>&-
wait "$tee_pid"
