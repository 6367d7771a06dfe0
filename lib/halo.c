/* halo.c — an operator's rows split over MPI ranks: which rows each rank owns, reads (its halo) and
 * sends; the partitioned SpMM and its transpose (the exchanges are in mpi.c). */
#include <stdlib.h>
#include <string.h>

#include "dist.h"

int64_t lc_dist_op_rows(const lc_dist_op_t *op)
{
    return op ? op->n_own : 0;
}
const int64_t *lc_dist_op_row_ids(const lc_dist_op_t *op)
{
    return op ? op->own : NULL;
}
int64_t lc_dist_op_halo(const lc_dist_op_t *op)
{
    return op ? op->n_halo : 0;
}
int64_t lc_dist_op_bytes_sent(const lc_dist_op_t *op)
{
    return op ? op->bytes_sent : 0;
}

void lc_dist_op_free(lc_dist_op_t **pop)
{
    if (!pop || !*pop) return;
    lc_dist_op_t *op = *pop;
    lc_i_dist_halo_detach(op);
    lc_csr_free(&op->local);
    lc_csr_free(&op->local_t);
    lc_i_free(op->own);
    lc_i_free(op->in_rank);
    lc_i_free(op->out_rank);
    lc_i_free(op->in_count);
    lc_i_free(op->out_count);
    lc_i_free(op->out_rows);
    lc_i_free(op->entry);
    lc_i_free(op->ext);
    lc_i_free(op->buf);
    lc_i_free(op->counts);
    lc_i_free(op);
    *pop = NULL;
}

static int cmp_i64(const void *x, const void *y)
{
    const int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
    return (a > b) - (a < b);
}

/* op->entry: each local entry's index in a (columns renumbered reorder a row's
 * entries), or NULL when a has repeated entries (merged in op->local). */
static lc_status map_entries(lc_dist_op_t *op, const lc_csr_t *a, const int64_t *g2l)
{
    const lc_csr_t *l = op->local;
    int64_t nnz = 0;
    for (int64_t k = 0; k < op->n_own; k++)
        nnz += a->rowptr[op->own[k] + 1] - a->rowptr[op->own[k]];
    if (l->nnz != nnz) return LC_OK;
    op->entry = lc_i_malloc((size_t)(nnz + 1) * sizeof *op->entry);
    if (!op->entry)
        return LC_ERROR(LC_ERR_OUT_OF_MEMORY, "cannot allocate %lld entry indices", (long long)nnz);
    for (int64_t k = 0; k < op->n_own; k++) {
        const int64_t i = op->own[k];
        for (int64_t e = a->rowptr[i]; e < a->rowptr[i + 1]; e++) {
            /* the local columns of row k are sorted: search g2l[col] among them */
            int64_t lo = l->rowptr[k], hi = l->rowptr[k + 1];
            const int64_t c = g2l[a->col[e]];
            while (hi - lo > 1) {
                const int64_t mid = lo + (hi - lo) / 2;
                if (l->col[mid] <= c)
                    lo = mid;
                else
                    hi = mid;
            }
            op->entry[lo] = e;
        }
    }
    return LC_OK;
}

lc_status lc_dist_op_new(lc_dist_op_t **out, lc_dist_t *d, const lc_csr_t *a, const int32_t *part)
{
    LC_CHECK_ARG(out && d && a && part, "NULL argument");
    LC_CHECK_ARG(a->n_rows == a->n_cols, "the operator is %lld x %lld, not square",
                 (long long)a->n_rows, (long long)a->n_cols);
    const int64_t n = a->n_rows;
    const int size = lc_dist_size(d), me = lc_dist_rank(d);
    for (int64_t i = 0; i < n; i++)
        LC_CHECK_ARG(part[i] >= 0 && part[i] < size, "row %lld is in part %d, outside [0, %d)",
                     (long long)i, part[i], size);
    lc_status st = LC_OK;
    int64_t *g2l = NULL, *by_part = NULL, *start = NULL, *rows = NULL, *cols = NULL;
    int32_t *seen = NULL;
    float *vals = NULL;
    lc_dist_op_t *op = lc_i_calloc(1, sizeof *op);
    g2l = lc_i_malloc((size_t)(n + 1) * sizeof *g2l);
    seen = lc_i_malloc((size_t)(n + 1) * sizeof *seen);
    by_part = lc_i_malloc((size_t)(n + 1) * sizeof *by_part);
    start = lc_i_calloc((size_t)size + 1, sizeof *start);
    if (!op || !g2l || !seen || !by_part || !start) goto oom;
    op->dist = d;
    /* owned rows, ascending; every rank's rows grouped */
    lc_i_group_by_part(part, n, size, start, by_part);
    op->n_own = start[me + 1] - start[me];
    op->own = lc_i_malloc((size_t)(op->n_own + 1) * sizeof *op->own);
    if (!op->own) goto oom;
    memcpy(op->own, by_part + start[me], (size_t)op->n_own * sizeof *op->own);
    for (int64_t i = 0; i < n; i++)
        g2l[i] = -1, seen[i] = -1;
    for (int64_t k = 0; k < op->n_own; k++)
        g2l[op->own[k]] = k;
    /* the halo: remote columns of the owned rows, by owner then id */
    int64_t nnz = 0, n_halo = 0;
    for (int64_t k = 0; k < op->n_own; k++) {
        const int64_t i = op->own[k];
        nnz += a->rowptr[i + 1] - a->rowptr[i];
        for (int64_t e = a->rowptr[i]; e < a->rowptr[i + 1]; e++)
            if (part[a->col[e]] != me && seen[a->col[e]] != me) seen[a->col[e]] = me, n_halo++;
    }
    int64_t *halo = lc_i_malloc((size_t)(n_halo + 1) * sizeof *halo);
    if (!halo) goto oom;
    /* ordered by owner, then id: sort the keys owner·n + id */
    n_halo = 0;
    for (int64_t i = 0; i < n; i++)
        if (seen[i] == me) halo[n_halo++] = (int64_t)part[i] * n + i;
    qsort(halo, (size_t)n_halo, sizeof *halo, cmp_i64);
    for (int64_t h = 0; h < n_halo; h++)
        halo[h] %= n;
    op->n_halo = n_halo;
    for (int64_t h = 0; h < n_halo; h++)
        g2l[halo[h]] = op->n_own + h;
    /* forward sources: the owners of the halo, with their counts */
    op->in_rank = lc_i_malloc((size_t)size * sizeof *op->in_rank);
    op->in_count = lc_i_calloc((size_t)size, sizeof *op->in_count);
    op->out_rank = lc_i_malloc((size_t)size * sizeof *op->out_rank);
    op->out_count = lc_i_calloc((size_t)size, sizeof *op->out_count);
    op->counts = lc_i_malloc(4 * ((size_t)size + 1) * sizeof *op->counts);
    if (!op->in_rank || !op->in_count || !op->out_rank || !op->out_count || !op->counts) {
        lc_i_free(halo);
        goto oom;
    }
    for (int64_t h = 0; h < n_halo; h++) {
        const int q = part[halo[h]];
        if (!op->n_in || op->in_rank[op->n_in - 1] != q) op->in_rank[op->n_in++] = q;
        op->in_count[op->n_in - 1]++;
    }
    lc_i_free(halo);
    /* forward destinations: for each other rank q, the rows of mine that q's
     * rows read, ascending (q's halo from me, in q's order) */
    for (int64_t i = 0; i < n; i++)
        seen[i] = -1;
    int64_t sent = 0;
    for (int q = 0; q < size; q++) {
        if (q == me) continue;
        for (int64_t k = start[q]; k < start[q + 1]; k++) {
            const int64_t i = by_part[k];
            for (int64_t e = a->rowptr[i]; e < a->rowptr[i + 1]; e++)
                if (part[a->col[e]] == me && seen[a->col[e]] != q) seen[a->col[e]] = q, sent++;
        }
    }
    op->out_rows = lc_i_malloc((size_t)(sent + 1) * sizeof *op->out_rows);
    if (!op->out_rows) goto oom;
    for (int64_t i = 0; i < n; i++)
        seen[i] = -1;
    for (int q = 0; q < size; q++) {
        if (q == me) continue;
        const int64_t first = op->n_sent;
        for (int64_t k = start[q]; k < start[q + 1]; k++) {
            const int64_t i = by_part[k];
            for (int64_t e = a->rowptr[i]; e < a->rowptr[i + 1]; e++)
                if (part[a->col[e]] == me && seen[a->col[e]] != q)
                    seen[a->col[e]] = q, op->out_rows[op->n_sent++] = a->col[e];
        }
        if (op->n_sent == first) continue;
        qsort(op->out_rows + first, (size_t)(op->n_sent - first), sizeof *op->out_rows, cmp_i64);
        for (int64_t k = first; k < op->n_sent; k++)
            op->out_rows[k] = g2l[op->out_rows[k]];
        op->out_rank[op->n_out] = q;
        op->out_count[op->n_out++] = op->n_sent - first;
    }
    /* the local rows, columns renumbered, and their transpose */
    rows = lc_i_malloc((size_t)(nnz + 1) * sizeof *rows);
    cols = lc_i_malloc((size_t)(nnz + 1) * sizeof *cols);
    vals = lc_i_malloc((size_t)(nnz + 1) * sizeof *vals);
    if (!rows || !cols || !vals) goto oom;
    int64_t e2 = 0;
    for (int64_t k = 0; k < op->n_own; k++) {
        const int64_t i = op->own[k];
        for (int64_t e = a->rowptr[i]; e < a->rowptr[i + 1]; e++)
            rows[e2] = k, cols[e2] = g2l[a->col[e]], vals[e2++] = a->val[e];
    }
    const int64_t width = op->n_own + op->n_halo;
    LC_TRY(lc_csr_from_coo(&op->local, op->n_own, width, nnz, rows, cols, vals));
    LC_TRY(lc_csr_from_coo(&op->local_t, width, op->n_own, nnz, cols, rows, vals));
    LC_TRY(map_entries(op, a, g2l));
    LC_TRY(lc_i_dist_halo_attach(op));
    goto done;
oom:
    st = LC_ERROR(LC_ERR_OUT_OF_MEMORY, "cannot allocate the partitioned operator (%lld rows)",
                  (long long)n);
done:
    lc_i_free(g2l);
    lc_i_free(seen);
    lc_i_free(by_part);
    lc_i_free(start);
    lc_i_free(rows);
    lc_i_free(cols);
    lc_i_free(vals);
    if (st) {
        lc_dist_op_free(&op);
        return st;
    }
    *out = op;
    return LC_OK;
}

/* Scratch of n floats at *p (grown, never shrunk). */
static lc_status grow(float **p, int64_t *cap, int64_t n)
{
    if (n <= *cap) return LC_OK;
    float *q = lc_i_realloc(*p, (size_t)n * sizeof *q);
    if (!q)
        return LC_ERROR(LC_ERR_OUT_OF_MEMORY, "cannot allocate %lld floats of scratch",
                        (long long)n);
    *p = q;
    *cap = n;
    return LC_OK;
}

/* x and y of an SpMM on the owned rows, their width *f, and scratch for it. */
static lc_status prepare(lc_dist_op_t *op, const lc_tensor_t *x, const lc_tensor_t *y,
                         const char *func, int64_t *f)
{
    if (!op || !x || !y) return lc_i_error(LC_ERR_INVALID_ARG, func, "NULL argument");
    if (x->ndim != 2 || y->ndim != 2 || x->shape[0] != op->n_own || y->shape[0] != op->n_own ||
        x->shape[1] != y->shape[1])
        return lc_i_error(
            LC_ERR_SHAPE, func,
            "x and y must both be [%lld owned rows, f], got %lld x %lld and %lld x %lld",
            (long long)op->n_own, (long long)x->shape[0],
            (long long)(x->ndim > 1 ? x->shape[1] : 1), (long long)y->shape[0],
            (long long)(y->ndim > 1 ? y->shape[1] : 1));
    *f = x->shape[1];
    return lc_i_error_from(grow(&op->ext, &op->ext_cap, (op->n_own + op->n_halo) * *f), func);
}

lc_status lc_i_dist_op_gather(lc_dist_op_t *op, float *ext, int64_t f)
{
    lc_status st = grow(&op->buf, &op->buf_cap, op->n_sent * f);
    if (st) return st;
    for (int64_t k = 0; k < op->n_sent; k++)
        memcpy(op->buf + k * f, ext + op->out_rows[k] * f, (size_t)f * sizeof(float));
    return lc_i_dist_halo_exchange(op, f, ext + op->n_own * f, false);
}

lc_status lc_i_dist_op_scatter(lc_dist_op_t *op, float *ext, int64_t f)
{
    lc_status st = grow(&op->buf, &op->buf_cap, op->n_sent * f);
    if (!st) st = lc_i_dist_halo_exchange(op, f, ext + op->n_own * f, true);
    if (st) return st;
    /* the owners' share of the other ranks' halo contributions, in rank order */
    for (int64_t k = 0; k < op->n_sent; k++) {
        float *row = ext + op->out_rows[k] * f;
        const float *add = op->buf + k * f;
        for (int64_t c = 0; c < f; c++)
            row[c] += add[c];
    }
    return LC_OK;
}

lc_status lc_dist_op_spmm(lc_dist_op_t *op, const lc_tensor_t *x, lc_tensor_t *y)
{
    int64_t f;
    lc_status st = prepare(op, x, y, __func__, &f);
    if (st) return st;
    memcpy(op->ext, x->data, (size_t)(op->n_own * f) * sizeof(float));
    LC_TRY(lc_i_dist_op_gather(op, op->ext, f));
    lc_i_csr_spmm_raw(op->local, op->ext, f, y->data, false);
done:
    return lc_i_error_from(st, "lc_dist_op_spmm");
}

lc_status lc_dist_op_spmm_t(lc_dist_op_t *op, const lc_tensor_t *dy, lc_tensor_t *dx)
{
    int64_t f;
    lc_status st = prepare(op, dy, dx, __func__, &f);
    if (st) return st;
    lc_i_csr_spmm_raw(op->local_t, dy->data, f, op->ext, false);
    LC_TRY(lc_i_dist_op_scatter(op, op->ext, f));
    memcpy(dx->data, op->ext, (size_t)(op->n_own * f) * sizeof(float));
done:
    return lc_i_error_from(st, "lc_dist_op_spmm_t");
}
