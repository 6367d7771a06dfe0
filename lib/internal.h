/* internal.h — private types and helpers shared by lib/, graphs/, layers/ and tools/. */
#ifndef LC_INTERNAL_H
#define LC_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "lconv.h"

/* ---------- errors ---------- */

/* Record "func: message" as this thread's last error and return `status`. */
lc_status lc_i_error(lc_status status, const char *func, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
#define LC_ERROR(status, ...) lc_i_error((status), __func__, __VA_ARGS__)
/* Re-attribute the last error to the public function `func` that called the
 * internal one which raised it ("lc_i_x: msg" becomes "func: msg"). */
lc_status lc_i_error_from(lc_status status, const char *func);

/* Jump to the function's single cleanup label `done` on failure; the status
 * variable must be called `st`. */
#define LC_TRY(call)                                                                           \
    do {                                                                                       \
        st = (call);                                                                           \
        if (st != LC_OK) goto done;                                                            \
    } while (0)
#define LC_FAIL(status, ...)                                                                   \
    do {                                                                                       \
        st = LC_ERROR((status), __VA_ARGS__);                                                  \
        goto done;                                                                             \
    } while (0)
/* For GraphBLAS calls: info must be GrB_SUCCESS (0); GrB_info is an int enum. */
#define LC_GRB_TRY(call)                                                                       \
    do {                                                                                       \
        int grb_info_ = (int)(call);                                                           \
        if (grb_info_ != 0) {                                                                  \
            st = LC_ERROR(LC_ERR_BACKEND, "GraphBLAS error %d in %s", grb_info_, #call);       \
            goto done;                                                                         \
        }                                                                                      \
    } while (0)
#define LC_CHECK_ARG(cond, ...)                                                                \
    do {                                                                                       \
        if (!(cond)) return LC_ERROR(LC_ERR_INVALID_ARG, __VA_ARGS__);                         \
    } while (0)

/* ---------- memory ---------- */

/* All library allocations go through these, so that a test can make the k-th
 * allocation fail. They return NULL for size 0 requests only when size is 0. */
void *lc_i_malloc(size_t size);
void *lc_i_calloc(size_t count, size_t size);
void *lc_i_realloc(void *ptr, size_t size);
void lc_i_free(void *ptr);
char *lc_i_strdup(const char *s);
/* Largest element count a tensor may have (refused up front above it). */
#define LC_MAX_NUMEL ((int64_t)1 << 36)

/* ---------- tensors ---------- */
typedef struct {
    float *data;
    int64_t refs;
} lc_i_storage;

struct lc_tensor {
    int ndim;
    int64_t shape[LC_MAX_DIMS];
    int64_t numel;
    float *data; /* = storage->data */
    lc_i_storage *storage;
};
/* rows = product of all dims but the last, cols = the last dim. */
static inline int64_t lc_i_rows(const lc_tensor_t *t) { return t->numel / t->shape[t->ndim - 1]; }
static inline int64_t lc_i_cols(const lc_tensor_t *t) { return t->shape[t->ndim - 1]; }
/* "[2708, 16]" into buf. */
const char *lc_i_shape_str(const lc_tensor_t *t, char *buf, size_t len);
/* A rows × cols view of the first rows·cols elements of src, sharing its
 * storage as lc_tensor_reshape's views do (freed alike). Errors:
 * LC_ERR_SHAPE (more elements than src has), LC_ERR_OUT_OF_MEMORY. */
lc_status lc_i_tensor_view2(lc_tensor_t **view, const lc_tensor_t *src, int64_t rows, int64_t cols);

/* ---------- sparse CSR ---------- */
struct lc_csr {
    int64_t n_rows, n_cols, nnz;
    int64_t *rowptr; /* n_rows + 1 */
    int32_t *col;    /* nnz, sorted within each row */
    float *val;      /* nnz */
    struct lc_csr *transpose; /* built lazily by lc_i_csr_transpose, owned */
    int64_t *source;          /* in a transpose: index in the original of each entry */
};
/* The transpose, built once and cached in a->transpose. */
lc_status lc_i_csr_transpose(lc_csr_t *a, const lc_csr_t **at);
/* Y = A·X on raw row-major arrays (X has f columns), with optional
 * accumulate (Y += A·X). */
void lc_i_csr_spmm_raw(const lc_csr_t *a, const float *x, int64_t f, float *y, bool accumulate);
/* The same with the stored values replaced by `vals` (nnz entries), e.g. a
 * dropout-masked copy. */
void lc_i_csr_spmm_vals(const lc_csr_t *a, const float *vals, const float *x, int64_t f, float *y,
                        bool accumulate);

/* The rows of each part together, ascending within a part (a counting sort,
 * partition.c): part p's rows are rows[start[p] .. start[p + 1]); start has
 * parts + 1 entries, rows n. Used for graph partitions and pooling groups. */
void lc_i_group_by_part(const int32_t *part, int64_t n, int parts, int64_t *start, int64_t *rows);

/* ---------- threads ---------- */
int lc_i_threads(void);
/* One process-wide recursive lock around every lazily built cache (graph
 * views, CSR transposes): built once, by one thread, however many share it. */
void lc_i_lazy_lock(void);
void lc_i_lazy_unlock(void);

/* ---------- graphs ---------- */
struct lc_graph {
    int64_t n, m;
    int64_t *tail, *head; /* m each, sorted by (tail, head), no duplicates */
    float *weight;        /* m */
    void *incidence;      /* GrB_Matrix n × m, built lazily */
    void *adjacency;      /* GrB_Matrix n × n, built lazily */
    float *degree;        /* n, lazily */
    lc_csr_t *adj_csr;    /* lazily */
    lc_csr_t *gcn_csr;    /* lazily */
    float *positions;     /* n × pos_dim node coordinates, or NULL */
    int pos_dim;
    int32_t *edge_type;   /* m, or NULL (e.g. lattice stencil offsets) */
    int n_edge_types;
    /* Set by lc_graph_grid (grid_k = 0 otherwise): the grid's shape, so that a
     * lattice layer of another stencil side gets the same grid with its own
     * stencil (one image dataset serves 3×3 and 5×5 layers). */
    int grid_d, grid_k, grid_boundary;
    int64_t grid_dims[3];
    struct lc_graph *restencil[4]; /* those other-stencil grids, built lazily */
    /* lc_graph_diffusion's factorisations of I + t·L, one per t, built lazily */
    struct {
        double t;
        lc_diffusion_t *d;
    } diffusion[4];
    int n_diffusion;
};
/* The grid g with stencil side k: g itself when it was built with k, else a
 * copy built once and cached in g (freed with it). Errors: LC_ERR_INVALID_ARG
 * (g is not from lc_graph_grid, or already has 4 other stencils cached). */
lc_status lc_i_grid_with_stencil(lc_graph_t *g, int k, lc_graph_t **out);
/* Start GraphBLAS once per process (thread-safe; idempotent). */
lc_status lc_i_graphblas_init(void);
/* GrB_Matrix (as void*) from a CSR, and back. */
lc_status lc_i_csr_to_grb(const lc_csr_t *a, void **grb_matrix);
lc_status lc_i_grb_to_csr(void *grb_matrix, lc_csr_t **a);

/* ---------- datasets ---------- */
struct lc_dataset {
    lc_graph_t *graph;
    lc_tensor_t *features;    /* dense [n, f] or NULL */
    lc_csr_t *sparse_features; /* [n, f] or NULL */
    /* Graph-level data (lc_dataset_from_samples): N signals [N, n, c] on the
     * one graph; labels and masks are then per sample. NULL for node-level. */
    lc_tensor_t *samples;
    int32_t *labels;          /* one per row (node, or sample), -1 = unlabelled */
    int num_classes;
    uint8_t *mask[3];         /* train, val, test; one byte per row */
    /* One rank's part read from its file (lc_dataset_load "part:FILE"): the
     * rest is then a one-node stand-in that gives the model its parameters'
     * shapes, and the partitioned trainer reads the part (lib/part.c). */
    struct lc_i_part *part;
};
/* Uniform in [0, bound) without modulo bias worth speaking of (Lemire's
 * multiply-high; bias < bound / 2^64). */
int64_t lc_i_rng_below(lc_rng_t *rng, int64_t bound);
/* Fisher–Yates: the same seed gives the same order everywhere. */
void lc_i_shuffle(lc_rng_t *rng, int64_t *a, int64_t n);
/* A dataset with labels (copied; NULL = all -1, each checked in [-1, classes),
 * naming the `row_name` "node" or "sample") and three empty masks of `rows`
 * rows; graph and features are the caller's to set. Errors under `func`. */
lc_status lc_i_dataset_alloc(const char *func, const char *row_name, int64_t rows,
                             const int32_t *labels, int num_classes, lc_dataset_t **out);
/* Rows that labels and masks index: the samples of graph-level data, else the nodes. */
int64_t lc_i_dataset_rows(const lc_dataset_t *ds);
/* "mnist:DIR" of lc_dataset_load (graphs/samples.c). */
lc_status lc_i_dataset_from_mnist_dir(lc_dataset_t **ds, const char *dir, uint64_t split_seed);

/* ---------- checkpoints (lib/checkpoint.c) ---------- */
/* Write `count` named tensors and a model spec atomically to path. */
lc_status lc_i_checkpoint_write(const char *path, const char *spec, int count,
                                const char *const *names, const lc_tensor_t *const *tensors);
/* Read a checkpoint into existing tensors; names, shapes and spec must match. */
lc_status lc_i_checkpoint_read(const char *path, const char *spec, int count,
                               const char *const *names, lc_tensor_t *const *tensors);
uint32_t lc_i_crc32(uint32_t crc, const void *data, size_t len);
/* A FILE with the running CRC-32 of everything written to it (checkpoints,
 * part files); the first failing fwrite sets err (its errno, EIO if none) and
 * later writes are skipped. */
typedef struct {
    FILE *f;
    uint32_t crc;
    int err;
} lc_i_crc_writer;
void lc_i_crc_write(lc_i_crc_writer *w, const void *data, size_t len);

/* ---------- atomic file writes (lib/atomic.c) ---------- */
/* A file written to "<path>.tmp.<pid>" (created O_EXCL) and renamed over path
 * once flushed and fsync'ed: an error or a crash never leaves a half-written
 * file at path, and the previous one survives any failure. */
typedef struct {
    FILE *f;          /* write here, between open and commit */
    const char *path; /* borrowed */
    char *tmp;        /* the temporary name */
    char *dir;        /* a copy of path, for the directory fsync after the rename */
    int created;      /* tmp exists and is ours to remove */
} lc_i_atomic;
/* Errors: LC_ERR_OUT_OF_MEMORY, LC_ERR_IO naming path and the temp file; on
 * failure nothing is left to release. */
lc_status lc_i_atomic_open(lc_i_atomic *a, const char *path);
/* Flush, fsync, close, rename, fsync the directory (best effort). Releases a
 * whatever happens; on failure the temp file is removed. Errors: LC_ERR_IO. */
lc_status lc_i_atomic_commit(lc_i_atomic *a);
/* Close and remove the temp file, free the names. Idempotent. */
void lc_i_atomic_abort(lc_i_atomic *a);
/* End a checksummed file written through w into out: its CRC-32 (little-
 * endian), then lc_i_atomic_commit. Errors under func: LC_ERR_IO naming path
 * (any write that failed), those of the commit (checkpoint.c). */
lc_status lc_i_crc_commit(lc_i_crc_writer *w, lc_i_atomic *out, const char *path, const char *func);

/* ---------- CHOLMOD (lib/cholmod.c) ---------- */
/* cholmod_start on a cholmod_common (void* keeps cholmod.h out of this
 * header) with printing off and an error handler that keeps, per thread, the
 * first error raised from now on. */
void lc_i_cholmod_start(void *cholmod_common);
/* That first error: its status (< 0; 0 when none) and message ("no reason
 * given" when none). */
int lc_i_cholmod_error(const char **message);

/* ---------- file-reading helpers for parsers (graphs/readers.c) ---------- */
/* Line reader with a running line number; grows its buffer as needed. */
typedef struct {
    FILE *f;
    const char *path;
    char *buf;
    size_t cap;
    int64_t line_no;
} lc_i_lines;
lc_status lc_i_lines_open(lc_i_lines *r, const char *path);
/* Next line without its newline in *line; returns 1 on a line, 0 at EOF, <0 on
 * error (LC_ERR_PARSE for a NUL byte inside a line, with the message set). */
int lc_i_lines_next(lc_i_lines *r, char **line);
void lc_i_lines_close(lc_i_lines *r);
/* The same under the public function `api`: errors are re-recorded as
 * "api: message" (lc_i_lines_next returns 1, 0 or an lc_status). */
lc_status lc_i_open_lines(const char *api, lc_i_lines *r, const char *path);
int lc_i_next_line(const char *api, lc_i_lines *r, char **line);
/* LC_ERR_PARSE "api: 'path' line N<note>: message". */
lc_status lc_i_parse_error_at(const char *api, const lc_i_lines *r, int64_t line, const char *note,
                              const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Re-record the last error (raised by an internal helper) under `api`, keeping its text. */
lc_status lc_i_reraise(const char *api, lc_status st);
/* Fail with a parse error naming the file and the current line of reader r,
 * under the public function `api` (a variable in scope), status in `st`. */
#define PARSE_FAIL(r, ...)                                                                         \
    do {                                                                                           \
        st = lc_i_parse_error_at(api, (r), (r)->line_no, "", __VA_ARGS__);                         \
        goto done;                                                                                 \
    } while (0)
/* The same at end of file: the line named is the one after the last. */
#define EOF_FAIL(r, ...)                                                                           \
    do {                                                                                           \
        st = lc_i_parse_error_at(api, (r), (r)->line_no + 1, " (end of file)", __VA_ARGS__);       \
        goto done;                                                                                 \
    } while (0)
/* Fail with any status, reported under `api`. */
#define API_FAIL(status, ...)                                                                      \
    do {                                                                                           \
        st = lc_i_error((status), api, __VA_ARGS__);                                               \
        goto done;                                                                                 \
    } while (0)
/* Tokens of a text line: blanks are space, tab, CR, VT and FF. */
static inline bool lc_i_is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}
/* Next blank-separated token of *cur, NUL-terminated in place; NULL at the end. */
char *lc_i_next_token(char **cur);
int64_t lc_i_count_tokens(const char *s);
/* Cut the line at its first '#'. */
void lc_i_strip_comment(char *s);
/* The whole token must be an integer: "12abc", "" and overflow are refused. */
bool lc_i_parse_int(const char *s, int64_t *out);
/* The whole token must be a number that is finite as a float. */
bool lc_i_parse_real(const char *s, float *out);

#endif /* LC_INTERNAL_H */
