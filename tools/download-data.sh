#!/bin/sh
# download-data.sh [DIR] — fetch the original public datasets lconv reads and
# convert them to the text formats of its loaders (default DIR: ../shared/data).
# Needs network access, curl, tar, and python3 with numpy and scipy for the
# Planetoid conversion (Debian: python3-numpy python3-scipy). Tests and default
# runs never call this: they read what is already there, or skip.
set -eu
dir=${1:-../shared/data}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$dir/cora" "$dir/planetoid" "$dir/karate" "$dir/mnist-test"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "Cora (LINQS, Sen et al. 2008)"
curl -fL -o "$tmp/cora.tgz" https://linqs-data.soe.ucsc.edu/public/lbc/cora.tgz
tar -xzf "$tmp/cora.tgz" -C "$tmp"
cp "$tmp/cora/cora.content" "$tmp/cora/cora.cites" "$dir/cora/"

echo "Planetoid split of Cora (Yang et al. 2016, kimiyoung/planetoid, MIT)"
base=https://github.com/kimiyoung/planetoid/raw/master/data
for part in x y tx ty allx ally graph test.index; do
    curl -fL -o "$tmp/ind.cora.$part" "$base/ind.cora.$part"
done
python3 "$here/planetoid2txt.py" "$tmp" cora "$dir/planetoid"

echo "MNIST test set (LeCun, Cortes, Burges), IDX gzip, as lcnet's mnist:DIR reads it"
mnist=https://storage.googleapis.com/cvdf-datasets/mnist
for f in t10k-images-idx3-ubyte.gz t10k-labels-idx1-ubyte.gz; do
    curl -fL -o "$dir/mnist-test/$f" "$mnist/$f"
done
echo "  (the 60 000 training images too: the same URL with train-images-idx3-ubyte.gz and"
echo "   train-labels-idx1-ubyte.gz; Fashion-MNIST: apt-get install dataset-fashion-mnist)"

echo "Zachary's karate club: built into lconv (igraph's famous graph); nothing to fetch."
echo "done: $dir"
