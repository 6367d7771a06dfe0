/* datafile.h — the benchmark data file both lconv and the PyTorch Geometric side read (bench/compare-pyg). */
#ifndef LC_BENCH_DATAFILE_H
#define LC_BENCH_DATAFILE_H

#include "lconv.h"

/* The format, little-endian, no padding (bench/README.md, "compare-pyg"):
 *   "LCBENCH1"; int64 n, m, f, classes, feat_nnz (-1: dense features);
 *   int64 tail[m], head[m] (edges sorted by (tail, head), as lc_graph keeps
 *   them, so edge e of the file is edge e of the graph); float weight[m];
 *   dense: float x[n·f] | sparse: int64 rowptr[n+1], int32 col[nnz], float val[nnz];
 *   int32 label[n]; uint8 train[n], val[n], test[n]. */
lc_status lc_bench_write_dataset(const lc_dataset_t *ds, const char *path);
/* Read it back; the graph is taken as given (LC_GRAPH_DIRECTED). */
lc_status lc_bench_read_dataset(lc_dataset_t **ds, const char *path);

/* The parameters of a built model and its output after a forward pass, for the
 * PyG side to check its layer against ours with the same weights:
 *   "LCDUMP01"; int64 count; count records of
 *   int64 name_len, name, int64 ndim, int64 shape[ndim], float data[numel];
 * the parameters in creation order, then "output" (the log-probabilities). */
lc_status lc_bench_write_dump(lc_model_t *m, const char *path);

#endif
