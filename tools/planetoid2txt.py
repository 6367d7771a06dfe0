#!/usr/bin/env python3
"""planetoid2txt.py SRC NAME DST — convert Planetoid's pickled ind.NAME.* files to lconv's
Planetoid text format (NAME.features.txt, .edges.txt, .labels.txt, .split.txt), in the
standard node order used by Kipf & Welling (test rows put back at their graph ids)."""
import pickle
import sys

import numpy as np
import scipy.sparse as sp


def load(src, name, part):
    with open(f"{src}/ind.{name}.{part}", "rb") as f:
        return pickle.load(f, encoding="latin1")


def main(src, name, dst):
    x, y, tx, ty, allx, ally, graph = (load(src, name, p) for p in
                                       ("x", "y", "tx", "ty", "allx", "ally", "graph"))
    with open(f"{src}/ind.{name}.test.index") as f:
        test_idx = [int(line) for line in f if line.strip()]
    test_sorted = sorted(test_idx)
    features = sp.vstack((allx, tx)).tolil()
    features[test_idx, :] = features[test_sorted, :]
    labels = np.vstack((ally, ty))
    labels[test_idx, :] = labels[test_sorted, :]
    features = features.tocoo()
    n, f = features.shape
    with open(f"{dst}/{name}.features.txt", "w") as out:
        out.write(f"# {n} {f} {features.nnz}  (rows cols nnz); then \"row col value\" COO lines, row-major\n")
        order = np.lexsort((features.col, features.row))
        for k in order:
            out.write(f"{features.row[k]} {features.col[k]} {features.data[k]:g}\n")
    with open(f"{dst}/{name}.edges.txt", "w") as out:
        out.write(f"# {n} nodes (from ind.{name}.graph, may contain duplicates/self loops)\n")
        for u in sorted(graph):
            for v in graph[u]:
                out.write(f"{u} {v}\n")
    with open(f"{dst}/{name}.labels.txt", "w") as out:
        out.write(f"# {n} nodes, {labels.shape[1]} classes; one class per line, -1 = unlabeled\n")
        for row in labels:
            out.write(f"{int(np.argmax(row)) if row.any() else -1}\n")
    with open(f"{dst}/{name}.split.txt", "w") as out:
        out.write("# standard Planetoid split\n")
        out.write("train " + " ".join(map(str, range(len(y)))) + "\n")
        out.write("val " + " ".join(map(str, range(len(y), len(y) + 500))) + "\n")
        out.write("test " + " ".join(map(str, test_sorted)) + "\n")


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    main(*sys.argv[1:])
