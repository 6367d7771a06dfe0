#!/usr/bin/env bash
# gpu-bundle.sh — pack what bench/gpu-check.sh runs on the GPU machine into .gpu/ (git-ignored):
# test_cuda and gcn_epoch with their libraries (../shared/tools/device-bundle), and the
# Planetoid Cora files the suite trains on. Usage: bench/gpu-bundle.sh BUILD_DIR [SHARED_DATA]
set -euo pipefail
build=$(realpath "${1:?usage: bench/gpu-bundle.sh BUILD_DIR [SHARED_DATA]}")
data=$(realpath "${2:-${LCONV_DATA_DIR:-../shared/data}}")
root=$(cd "$(dirname "$0")/.." && pwd)
tool=$(realpath "$root/../shared/tools/device-bundle")
grep -q '^#define LC_HAVE_CUDA 1' "$build/config.h" || { echo "$build was configured without CUDA" >&2; exit 2; }
make -C "$build" -s tests/test_cuda bench/gcn_epoch bench/knn_scale
mkdir -p "$root/.gpu/data/planetoid"
cp "$data"/planetoid/cora.* "$root/.gpu/data/planetoid/"
(cd "$build" && "$tool" "$root/.gpu/lconv-gpu.tar.xz" tests/test_cuda bench/gcn_epoch bench/knn_scale)
du -sh "$root/.gpu"
