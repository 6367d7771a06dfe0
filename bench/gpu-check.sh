#!/usr/bin/env bash
# gpu-check.sh — issue 4's one device call: the CUDA test suite, data-parallel training on
# the GPU under mpirun (issue 9), then lconv against PyTorch Geometric on the GPU, on the
# same data files, in one table. Run in the repository root on
# the GPU machine, after bench/gpu-bundle.sh packed .gpu/ here (see bench/README.md):
#   bash bench/gpu-check.sh            (through the device tool: carry .gpu)
# Budget: about 8 minutes on an H100/H200. Every step is bounded by `timeout`; a step that
# fails prints why and the rest still runs. Results go to stdout and $OUT/gpu-check.txt.
set -u
here=$(pwd)
B=/tmp/lconv-gpu
out=${OUT:-/tmp}/gpu-check.txt
mkdir -p "$B" && tar -xJf .gpu/lconv-gpu.tar.xz -C "$B" || { echo "cannot unpack .gpu/lconv-gpu.tar.xz"; exit 2; }
# cuBLAS, cuSPARSE and NCCL are opened with dlopen (by soname, not packed in the bundle):
# the toolkit's, else those of torch's nvidia-* wheels, which follow on the path
wheel_libs=$(python3 -c '
import glob, os, site
dirs = []
for s in site.getsitepackages():
    for name in ("libcublas.so.13", "libcusparse.so.12", "libnccl.so.2"):
        for p in glob.glob(s + "/nvidia/**/" + name, recursive=True):
            d = os.path.dirname(p)
            if d not in dirs: dirs.append(d)
print(":".join(dirs))' 2>/dev/null)
export LD_LIBRARY_PATH="$B/lib:/usr/local/cuda/lib64${wheel_libs:+:$wheel_libs}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export LCONV_DATA_DIR="$here/.gpu/data"
exec > >(tee "$out") 2>&1

echo "# $(date -u +%FT%TZ) $(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader)"
python3 -c 'import torch, torch_geometric as g; print("# torch", torch.__version__, "cuda", torch.version.cuda, "pyg", g.__version__)'
echo "# toolkit: $(ls /usr/local/cuda/lib64 2>/dev/null | grep -E '^lib(cublas|cusparse|nccl)\.so\.[0-9]+$' | tr '\n' ' ')"
echo "# torch's wheels: ${wheel_libs:-none}"

# ---- 1. the CUDA suite (every op against the CPU, Cora on both backends)
timeout 120 "$B/test_cuda"
echo "# test_cuda exit status $?"

# ---- 1b. data-parallel training on the GPU (issue 9; about 20 s): 5 epochs of the lattice
# model on MNIST's test set in one process, then under the bundled Open MPI with 2 ranks on
# the one GPU summing through the host (LCONV_NCCL=0: NCCL refuses two ranks on one device)
# and with 1 rank (--distributed) summing with NCCL; each must give the one process's losses
# and parameters within 1e-5 and say which path it took. Lines start with "# dp-gpu".
dp_gpu() {
    [ -f .gpu/mpi.tar.xz ] || { echo "# dp-gpu SKIP: no Open MPI in the bundle (.gpu/mpi.tar.xz: see bench/README.md)"; return; }
    local M=$B/mpi libdir A p label want run rc how d
    mkdir -p "$M" && tar -xJf .gpu/mpi.tar.xz -C "$M" || { echo "# dp-gpu SKIP: cannot unpack .gpu/mpi.tar.xz"; return; }
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
    timeout 40 "$B/lcnet" train "${A[@]}" --save /tmp/dp.one.ckpt --log /tmp/dp.one.csv >/tmp/dp.out 2>&1 ||
        { echo "# dp-gpu FAIL: one process: $(tail -2 /tmp/dp.out)"; return; }
    for p in 2 1; do
        if [ $p = 2 ]; then
            label="2 ranks" run=(-np 2 -x LCONV_NCCL=0 "$B/lcnet" train)
            want='^gradients mpi, staged through the host (rank 0 has LCONV_NCCL=0) (2 ranks)$'
        else
            label="1 rank (--distributed)" run=(-np 1 -x NCCL_DEBUG=WARN "$B/lcnet" train --distributed)
            want='^gradients nccl (1 rank)$'
        fi
        timeout 40 "${mpirun[@]}" "${run[@]}" "${A[@]}" --dist-check 4 --save /tmp/dp.$p.ckpt \
            --log /tmp/dp.$p.csv >/tmp/dp.out 2>&1
        rc=$?
        how=$(grep '^gradients' /tmp/dp.out)
        if [ $rc -ne 0 ]; then
            echo "# dp-gpu FAIL: $label: exit $rc: $(grep -v '^ ' /tmp/dp.out | tail -3 | tr '\n' ' ')"
        elif [ "${DP_DEVICE:-cuda}" = cuda ] && ! grep -q "$want" /tmp/dp.out; then
            echo "# dp-gpu FAIL: $label: not the path wanted ($want): $how"
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

# ---- 2. the data files, written by our generator and read by both sides
timeout 60 "$B/gcn_epoch" --case arxiv --write /tmp/arxiv.bin || echo "# arxiv data: failed"
timeout 240 "$B/gcn_epoch" --case products --write /tmp/products.bin &
products_writer=$!

# ---- 3. the cases; ours and PyG alternate, each in its own process
ours() { # case model reps file
    timeout 150 "$B/gcn_epoch" --file "$4" --device cuda --model "$2" --reps "$3" 2>/tmp/ours.err |
        awk -v c="$1" '$1 == "file" { printf "RESULT %s ours %s %s %s", c, $3, $4, $5 }'
    awk '/device_mib/ { printf " %s\n", $NF }' /tmp/ours.err
    grep '^# device_choice' /tmp/ours.err | head -1
    grep -E "failed|error" /tmp/ours.err | head -3
}
pyg() { # case model hidden form reps file
    timeout 150 python3 bench/pyg_epoch.py --device cuda --file "$6" --model "$2" --hidden "$3" \
        --form "$4" --reps "$5" 2>/tmp/pyg.err |
        awk -v c="$1" -v f="$4" '$1 == "pyg" && $3 == "oom" { print "RESULT " c " pyg-" f " oom" }
                                  $1 == "pyg" && $3 != "oom" { print "RESULT " c " pyg-" f, $3, $4, $5, $6 }'
    grep -iE "error|out of memory" /tmp/pyg.err | tail -2
}
GCN_ARXIV="gcn:256,relu,gcn:256,relu,gcn:40"
LCONV_ARXIV="lconv:256:p=4,relu,lconv:256:p=4,relu,lconv:40:p=4"
GCN_PRODUCTS="gcn:256,relu,gcn:256,relu,gcn:47"
for round in 1 2; do
    ours arxiv-gcn "$GCN_ARXIV" 20 /tmp/arxiv.bin
    pyg arxiv-gcn gcn 256,256 sparse 20 /tmp/arxiv.bin
    pyg arxiv-gcn gcn 256,256 edge_index 20 /tmp/arxiv.bin
    ours arxiv-lconv "$LCONV_ARXIV" 10 /tmp/arxiv.bin
    pyg arxiv-lconv lconv 256,256 edge_index 5 /tmp/arxiv.bin
done
pyg arxiv-lconv lconv 256,256 sparse 5 /tmp/arxiv.bin
wait "$products_writer" || echo "# products data: failed"
ours products-gcn "$GCN_PRODUCTS" 10 /tmp/products.bin
pyg products-gcn gcn 256,256 sparse 10 /tmp/products.bin
echo "RESULT spmm ours $(timeout 90 "$B/gcn_epoch" --file /tmp/products.bin --device cuda --spmm-device --reps 20 2>/tmp/spmm.err | grep spmm_device)"
grep '^# device_choice' /tmp/spmm.err
# cuSPARSE's CSR_ALG2 instead of the bit-reproducible ALG3 (README: LCONV_SPMM_ALG)
echo "RESULT spmm ours-alg2 $(LCONV_SPMM_ALG=2 timeout 90 "$B/gcn_epoch" --file /tmp/products.bin --device cuda --spmm-device --reps 20 2>/tmp/spmm.err | grep spmm_device)"
grep '^# device_choice' /tmp/spmm.err
LCONV_SPMM_ALG=2 ours arxiv-gcn-alg2 "$GCN_ARXIV" 20 /tmp/arxiv.bin
echo "RESULT spmm pyg $(timeout 90 python3 bench/pyg_epoch.py --file /tmp/products.bin --model gcn --device cuda --spmm --reps 20 2>/dev/null | grep pyg_spmm)"

# ---- point clouds at scale: the kNN graph (k = 16) of 1 000 000 random points on the GPU,
# checked edge for edge against the CPU's (FLANN), then one L-conv layer (p = 4) on it
timeout 150 "$B/knn_scale" --points 1000000 --k 16 --device cuda --check --write /tmp/pc.bin
ours pointcloud-lconv "lconv:10:p=4" 10 /tmp/pc.bin

# ---- 4. the table: case, ours, PyG's faster form, ratio, memory
echo
echo "| case | ours ms (min–max) | ours MiB | PyG form | PyG ms (min–max) | PyG MiB | ours/PyG |"
echo "|---|---|---|---|---|---|---|"
grep '^RESULT' "$out" | awk '
    $3 == "ours" && NF >= 7 { if (!($2 in om) || $4 < om[$2]) { om[$2] = $4; olo[$2] = $5; ohi[$2] = $6; omem[$2] = $7 } }
    $3 ~ /^pyg-/ && NF >= 7 { k = $2 SUBSEP $3; if (!(k in pm) || $4 < pm[k]) { pm[k] = $4; plo[k] = $5; phi[k] = $6; pmem[k] = $7 }; forms[$2] = forms[$2] " " $3 }
    END {
        for (c in om) {
            best = ""; n = split(forms[c], f, " ")
            for (i = 1; i <= n; i++) { k = c SUBSEP f[i]; if (best == "" || pm[k] < pm[best]) best = k }
            if (best == "") { printf "| %s | %.2f (%.2f–%.2f) | %s | – | – | – | – |\n", c, om[c], olo[c], ohi[c], omem[c]; continue }
            split(best, b, SUBSEP)
            printf "| %s | %.2f (%.2f–%.2f) | %s | %s | %.2f (%.2f–%.2f) | %.0f | %.2f |\n", c, om[c], olo[c], ohi[c],
                   omem[c], b[2], pm[best], plo[best], phi[best], pmem[best], om[c] / pm[best]
        }
    }'
grep '^RESULT spmm' "$out"
