/* datafile.c — write and read the benchmark data file shared with the PyTorch Geometric side, and the parameter dump. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "datafile.h"
#include "internal.h" /* lc_csr's arrays, lc_i_malloc */

static const char MAGIC[8] = {'L', 'C', 'B', 'E', 'N', 'C', 'H', '1'};
static const char DUMP_MAGIC[8] = {'L', 'C', 'D', 'U', 'M', 'P', '0', '1'};

static int put(FILE *f, const void *p, size_t size, int64_t count)
{
    return count == 0 || fwrite(p, size, (size_t)count, f) == (size_t)count ? 0 : -1;
}

static int get(FILE *f, void *p, size_t size, int64_t count)
{
    return count == 0 || fread(p, size, (size_t)count, f) == (size_t)count ? 0 : -1;
}

lc_status lc_bench_write_dataset(const lc_dataset_t *ds, const char *path)
{
    lc_graph_t *g = lc_dataset_graph(ds);
    const lc_tensor_t *x = lc_dataset_features(ds);
    const lc_csr_t *xs = lc_dataset_sparse_features(ds);
    const int64_t n = lc_dataset_num_nodes(ds), m = lc_graph_num_edges(g);
    const int64_t hdr[5] = {n, m, lc_dataset_num_features(ds), lc_dataset_num_classes(ds),
                            xs ? lc_csr_nnz(xs) : -1};
    FILE *f = fopen(path, "wb");
    if (!f) return LC_ERROR(LC_ERR_IO, "cannot create '%s'", path);
    int bad = put(f, MAGIC, 1, 8) || put(f, hdr, sizeof *hdr, 5) ||
              put(f, lc_graph_tails(g), sizeof(int64_t), m) ||
              put(f, lc_graph_heads(g), sizeof(int64_t), m) ||
              put(f, lc_graph_weights(g), sizeof(float), m);
    if (!bad && xs)
        bad = put(f, xs->rowptr, sizeof(int64_t), n + 1) || put(f, xs->col, sizeof(int32_t), xs->nnz) ||
              put(f, xs->val, sizeof(float), xs->nnz);
    else if (!bad)
        bad = put(f, lc_tensor_data(x), sizeof(float), lc_tensor_numel(x));
    bad = bad || put(f, lc_dataset_labels(ds), sizeof(int32_t), n);
    for (int k = 0; k < 3 && !bad; k++) bad = put(f, lc_dataset_mask(ds, k), 1, n);
    if (fclose(f) || bad) return LC_ERROR(LC_ERR_IO, "cannot write '%s'", path);
    return LC_OK;
}

lc_status lc_bench_read_dataset(lc_dataset_t **out, const char *path)
{
    lc_status st = LC_OK;
    lc_graph_t *g = NULL;
    lc_tensor_t *x = NULL;
    lc_csr_t *xs = NULL;
    lc_dataset_t *ds = NULL;
    int64_t *tail = NULL, *head = NULL, *rows = NULL, *cols = NULL;
    float *weight = NULL;
    int32_t *labels = NULL, *col = NULL;
    uint8_t *mask = NULL;
    char magic[8];
    int64_t h[5];
    FILE *f = fopen(path, "rb");
    if (!f) return LC_ERROR(LC_ERR_IO, "cannot open '%s'", path);
    if (get(f, magic, 1, 8) || memcmp(magic, MAGIC, 8) || get(f, h, sizeof *h, 5) || h[0] < 1 ||
        h[1] < 0 || h[2] < 1 || h[3] < 1 || h[4] < -1) {
        st = LC_ERROR(LC_ERR_PARSE, "'%s' is not a benchmark data file", path);
        goto done;
    }
    const int64_t n = h[0], m = h[1], nf = h[2], nnz = h[4];
    tail = lc_i_malloc((size_t)(m + 1) * sizeof *tail);
    head = lc_i_malloc((size_t)(m + 1) * sizeof *head);
    weight = lc_i_malloc((size_t)(m + 1) * sizeof *weight);
    labels = lc_i_malloc((size_t)n * sizeof *labels);
    mask = lc_i_malloc((size_t)(3 * n));
    if (!tail || !head || !weight || !labels || !mask) {
        st = LC_ERROR(LC_ERR_OUT_OF_MEMORY, "cannot allocate a graph of %lld edges", (long long)m);
        goto done;
    }
    if (get(f, tail, sizeof *tail, m) || get(f, head, sizeof *head, m) ||
        get(f, weight, sizeof *weight, m)) {
        st = LC_ERROR(LC_ERR_PARSE, "'%s' ends inside its edges", path);
        goto done;
    }
    if (nnz >= 0) { /* sparse features: rebuilt through COO, the public constructor */
        rows = lc_i_malloc((size_t)(n + 1 > nnz ? n + 1 : nnz + 1) * sizeof *rows);
        cols = lc_i_malloc((size_t)(nnz + 1) * sizeof *cols);
        col = lc_i_malloc((size_t)(nnz + 1) * sizeof *col);
        float *val = lc_i_malloc((size_t)(nnz + 1) * sizeof *val);
        int bad = !rows || !cols || !col || !val || get(f, rows, sizeof *rows, n + 1) ||
                  get(f, col, sizeof *col, nnz) || get(f, val, sizeof *val, nnz);
        if (!bad) {
            int64_t *rowptr = lc_i_malloc((size_t)(n + 1) * sizeof *rowptr);
            bad = !rowptr;
            if (rowptr) {
                memcpy(rowptr, rows, (size_t)(n + 1) * sizeof *rowptr);
                for (int64_t r = 0; r < n && !bad; r++) {
                    bad = rowptr[r] > rowptr[r + 1] || rowptr[r + 1] > nnz;
                    for (int64_t k = rowptr[r]; k < rowptr[r + 1] && !bad; k++) rows[k] = r;
                }
                for (int64_t k = 0; k < nnz; k++) cols[k] = col[k];
                lc_i_free(rowptr);
            }
        }
        if (!bad) st = lc_csr_from_coo(&xs, n, nf, nnz, rows, cols, val);
        lc_i_free(val);
        if (bad && !st) st = LC_ERROR(LC_ERR_PARSE, "'%s' has bad sparse features", path);
        if (st) goto done;
    } else {
        if ((st = lc_tensor_new2(&x, n, nf))) goto done;
        if (get(f, lc_tensor_data(x), sizeof(float), n * nf)) {
            st = LC_ERROR(LC_ERR_PARSE, "'%s' ends inside its features", path);
            goto done;
        }
    }
    if (get(f, labels, sizeof *labels, n) || get(f, mask, 1, 3 * n)) {
        st = LC_ERROR(LC_ERR_PARSE, "'%s' ends inside its labels or masks", path);
        goto done;
    }
    if ((st = lc_graph_from_edges(&g, n, m, tail, head, weight, LC_GRAPH_DIRECTED))) goto done;
    if ((st = lc_dataset_new(&ds, g, x, xs, labels, (int)h[3]))) goto done;
    g = NULL, x = NULL, xs = NULL; /* owned by the dataset */
    if ((st = lc_dataset_set_split(ds, mask, mask + n, mask + 2 * n))) goto done;
    *out = ds;
    ds = NULL;
done:
    fclose(f);
    lc_dataset_free(&ds);
    lc_graph_free(&g);
    lc_tensor_free(&x);
    lc_csr_free(&xs);
    lc_i_free(tail), lc_i_free(head), lc_i_free(weight), lc_i_free(labels), lc_i_free(mask);
    lc_i_free(rows), lc_i_free(cols), lc_i_free(col);
    return st;
}

static int put_tensor(FILE *f, const char *name, const lc_tensor_t *t)
{
    const int64_t len = (int64_t)strlen(name), ndim = lc_tensor_ndim(t);
    int64_t shape[8];
    for (int i = 0; i < ndim && i < 8; i++) shape[i] = lc_tensor_dim(t, i);
    return put(f, &len, sizeof len, 1) || put(f, name, 1, len) || put(f, &ndim, sizeof ndim, 1) ||
           put(f, shape, sizeof *shape, ndim) ||
           put(f, lc_tensor_data(t), sizeof(float), lc_tensor_numel(t));
}

lc_status lc_bench_write_dump(lc_model_t *m, const char *path)
{
    lc_cgraph_t *cg = lc_model_graph(m);
    if (!cg || !lc_model_output(m)) return LC_ERROR(LC_ERR_STATE, "the model has not run");
    const int64_t count = lc_cg_num_params(cg) + 1;
    FILE *f = fopen(path, "wb");
    if (!f) return LC_ERROR(LC_ERR_IO, "cannot create '%s'", path);
    int bad = put(f, DUMP_MAGIC, 1, 8) || put(f, &count, sizeof count, 1);
    for (int i = 0; i < lc_cg_num_params(cg) && !bad; i++)
        bad = put_tensor(f, lc_cg_param_name(cg, i), lc_cg_param_tensor(cg, i));
    bad = bad || put_tensor(f, "output", lc_model_output(m));
    if (fclose(f) || bad) return LC_ERROR(LC_ERR_IO, "cannot write '%s'", path);
    return LC_OK;
}
