#!/usr/bin/env bash
# gpu-bundle.sh — pack what bench/gpu-check.sh runs on the GPU machine into .gpu/ (git-ignored):
# test_cuda, gcn_epoch, knn_scale, lcnet and ckpt_compare with their libraries
# (../shared/tools/device-bundle), Open MPI's mpirun with what it loads at run time
# (mpi.tar.xz), and the Planetoid Cora and MNIST test files the checks train on.
# Usage: bench/gpu-bundle.sh BUILD_DIR [SHARED_DATA]
set -euo pipefail
build=$(realpath "${1:?usage: bench/gpu-bundle.sh BUILD_DIR [SHARED_DATA]}")
data=$(realpath "${2:-${LCONV_DATA_DIR:-../shared/data}}")
root=$(cd "$(dirname "$0")/.." && pwd)
tool=$(realpath "$root/../shared/tools/device-bundle")
grep -q '^#define LC_HAVE_CUDA 1' "$build/config.h" || { echo "$build was configured without CUDA" >&2; exit 2; }
progs="tests/test_cuda bench/gcn_epoch bench/knn_scale lcnet tests/ckpt_compare"
# shellcheck disable=SC2086
make -C "$build" -s $progs
mkdir -p "$root/.gpu/data/planetoid" "$root/.gpu/data/mnist-test"
cp "$data"/planetoid/cora.* "$root/.gpu/data/planetoid/"
cp "$data"/mnist-test/t10k-* "$root/.gpu/data/mnist-test/"
# lcnet links the uninstalled liblconv.so: with .libs on the path, ldd (in device-bundle)
# sees it and the libraries it needs (HDF5 and others that the other programs do not)
# shellcheck disable=SC2086
(cd "$build" && LD_LIBRARY_PATH="$build/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
    "$tool" "$root/.gpu/lconv-gpu.tar.xz" $progs)
# xz -9e takes an eighth off device-bundle's -6 (57 to 51 MB, minutes more here): the
# device tool carries 64 MiB at most, and .gpu comes near it
xz -dc "$root/.gpu/lconv-gpu.tar.xz" | xz -9e -T0 >"$root/.gpu/lconv-gpu.tar.xz.tmp"
mv "$root/.gpu/lconv-gpu.tar.xz.tmp" "$root/.gpu/lconv-gpu.tar.xz"

# Open MPI (Debian's 4.x) for the data-parallel checks: the GPU machine has no MPI. mpirun
# (orterun), orted, the MCA plugins, help texts and PMIx's plugins, laid out under one
# prefix as here, so that OPAL_PREFIX relocates it (gpu-check.sh sets it), and the
# libraries all of them load; glibc and CUDA's stay out, as device-bundle leaves them.
# Tried here with this system's Open MPI directories hidden (a mount namespace): 2 ranks
# ran. Without it gpu-check.sh skips those checks with a line saying so.
pack_mpi() {
    local out=$1 prefix libdir pkglibdir pkgdatadir pmix stage f
    command -v mpirun >/dev/null && command -v ompi_info >/dev/null || {
        echo "no Open MPI here (mpirun, ompi_info)"
        return 1
    }
    path() { ompi_info --path "$1" --parsable | cut -d: -f3; }
    prefix=$(path prefix) libdir=$(path libdir) pkglibdir=$(path pkglibdir) pkgdatadir=$(path pkgdatadir)
    for f in "$libdir" "$pkgdatadir"; do
        case $f in "$prefix"/*) ;; *) echo "$f is not under Open MPI's prefix $prefix"; return 1 ;; esac
    done
    pmix=$(for f in "$pkglibdir"/mca_pmix_*.so; do ldd "$f"; done | awk '/libpmix/ { print $3; exit }')
    [ -n "$pmix" ] || { echo "no PMIx library under $pkglibdir's plugins"; return 1; }
    pmix=$(dirname "$(dirname "$(readlink -f "$pmix")")") # its prefix: lib/libpmix.so.N
    stage=$(mktemp -d)
    mkdir -p "$stage/bin" "$stage/deps" "$stage/${libdir#"$prefix"/}" "$stage/${pkgdatadir#"$prefix"/}" \
        "$stage/pmix/lib"
    cp "$(readlink -f "$(command -v mpirun)")" "$stage/bin/mpirun"
    cp "$(readlink -f "$(command -v orted)")" "$stage/bin/orted"
    (cd "$libdir" && tar -cf - --exclude=include --exclude=pkgconfig --exclude='*.a' .) |
        tar -xf - -C "$stage/${libdir#"$prefix"/}"
    cp -a "$pkgdatadir/." "$stage/${pkgdatadir#"$prefix"/}/"
    cp -a "$pmix/lib/pmix" "$pmix"/lib/libpmix.so* "$stage/pmix/lib/"
    find "$stage/bin" "$stage/lib" "$stage/pmix" -type f \( -perm -u+x -o -name '*.so*' \) |
        while read -r f; do ldd "$f" 2>/dev/null || true; done |
        awk '/=> \//{ print $3 }' | sort -u | while read -r f; do
            case "$(basename "$f")" in
                libc.so.*|libm.so.*|libdl.so.*|libpthread.so.*|librt.so.*|ld-linux*|libcuda.so.*) ;;
                libcudart*|libnccl*) ;;
                *) cp -L -n "$f" "$stage/deps/" ;;
            esac
        done
    printf 'libdir=%s\n' "${libdir#"$prefix"/}" >"$stage/layout"
    tar -C "$stage" -cf - . | xz -T0 -6 >"$out"
    rm -rf "$stage"
}
rm -f "$root/.gpu/mpi.tar.xz"
pack_mpi "$root/.gpu/mpi.tar.xz" || echo "Open MPI not packed: gpu-check.sh will skip the data-parallel checks" >&2
du -sh "$root/.gpu"
