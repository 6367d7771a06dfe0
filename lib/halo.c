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

void lc_i_part_rows_free(lc_i_part_rows *r)
{
    lc_i_free(r->own);
    lc_i_free(r->rowptr);
    lc_i_free(r->col);
    lc_i_free(r->val);
    lc_i_free(r->entry);
    lc_i_free(r->remote);
    lc_i_free(r->owner);
    memset(r, 0, sizeof *r);
}

lc_status lc_i_part_rows_of(const lc_csr_t *a, const int32_t *part, int me, lc_i_part_rows *r)
{
    memset(r, 0, sizeof *r);
    const int64_t n = a->n_rows;
    int64_t nnz = 0;
    uint8_t *seen = lc_i_calloc((size_t)n + 1, 1);
    if (!seen) goto oom;
    for (int64_t i = 0; i < n; i++)
        if (part[i] == me) {
            r->n_own++;
            nnz += a->rowptr[i + 1] - a->rowptr[i];
            for (int64_t e = a->rowptr[i]; e < a->rowptr[i + 1]; e++)
                if (part[a->col[e]] != me && !seen[a->col[e]]) seen[a->col[e]] = 1, r->n_remote++;
        }
    r->own = lc_i_malloc((size_t)(r->n_own + 1) * sizeof *r->own);
    r->rowptr = lc_i_malloc((size_t)(r->n_own + 1) * sizeof *r->rowptr);
    r->col = lc_i_malloc((size_t)(nnz + 1) * sizeof *r->col);
    r->val = lc_i_malloc((size_t)(nnz + 1) * sizeof *r->val);
    r->entry = lc_i_malloc((size_t)(nnz + 1) * sizeof *r->entry);
    r->remote = lc_i_malloc((size_t)(r->n_remote + 1) * sizeof *r->remote);
    r->owner = lc_i_malloc((size_t)(r->n_remote + 1) * sizeof *r->owner);
    if (!r->own || !r->rowptr || !r->col || !r->val || !r->entry || !r->remote || !r->owner)
        goto oom;
    int64_t k = 0, e2 = 0, j = 0;
    r->rowptr[0] = 0;
    for (int64_t i = 0; i < n; i++) {
        if (seen[i]) r->remote[j] = i, r->owner[j++] = part[i];
        if (part[i] != me) continue;
        r->own[k++] = i;
        for (int64_t e = a->rowptr[i]; e < a->rowptr[i + 1]; e++)
            r->col[e2] = a->col[e], r->val[e2] = a->val[e], r->entry[e2++] = e;
        r->rowptr[k] = e2;
    }
    lc_i_free(seen);
    return LC_OK;
oom:
    lc_i_free(seen);
    lc_i_part_rows_free(r);
    return LC_ERROR(LC_ERR_OUT_OF_MEMORY, "cannot copy part %d's rows of the operator", me);
}

int64_t lc_i_find_sorted(const int64_t *sorted, int64_t len, int64_t id)
{
    int64_t lo = 0, hi = len;
    while (lo < hi) {
        const int64_t mid = lo + (hi - lo) / 2;
        if (sorted[mid] < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < len && sorted[lo] == id ? lo : -1;
}

/* The rows whose ids fill ids[0, len), as local indices into own (every id
 * must be owned here). */
static lc_status ids_to_local(const lc_dist_op_t *op, int64_t *ids, int64_t len, int from)
{
    for (int64_t k = 0; k < len; k++) {
        const int64_t at = lc_i_find_sorted(op->own, op->n_own, ids[k]);
        if (at < 0)
            return LC_ERROR(LC_ERR_CORRUPT,
                            "rank %d reads row %lld from rank %d, which does not own it", from,
                            (long long)ids[k], lc_dist_rank(op->dist));
        ids[k] = at;
    }
    return LC_OK;
}

lc_status lc_i_dist_op_from_rows(lc_dist_op_t **out, lc_dist_t *d, int64_t n, int64_t n_own,
                                 const int64_t *own, const int64_t *rowptr, const int64_t *col,
                                 const float *val, const int64_t *entry, int64_t n_remote,
                                 const int64_t *remote, const int32_t *owner)
{
    const int size = lc_dist_size(d), me = lc_dist_rank(d);
    for (int64_t k = 0; k < n_own; k++)
        LC_CHECK_ARG(own[k] >= 0 && own[k] < n && (k == 0 || own[k - 1] < own[k]),
                     "owned row %lld (%lld) is not ascending in [0, %lld)", (long long)k,
                     (long long)own[k], (long long)n);
    for (int64_t j = 0; j < n_remote; j++) {
        LC_CHECK_ARG(remote[j] >= 0 && remote[j] < n && (j == 0 || remote[j - 1] < remote[j]),
                     "remote row %lld (%lld) is not ascending in [0, %lld)", (long long)j,
                     (long long)remote[j], (long long)n);
        LC_CHECK_ARG(owner[j] >= 0 && owner[j] < size && owner[j] != me,
                     "remote row %lld's owner %d is not another of the %d ranks",
                     (long long)remote[j], owner[j], size);
    }
    lc_status st = LC_OK;
    const int64_t nnz = rowptr[n_own];
    int64_t *halo_at = NULL, *order = NULL, *rows = NULL, *cols = NULL, *send = NULL, *recv = NULL,
            *send_count = NULL, *recv_count = NULL;
    lc_dist_op_t *op = lc_i_calloc(1, sizeof *op);
    if (!op) return LC_ERROR(LC_ERR_OUT_OF_MEMORY, "cannot allocate the partitioned operator");
    op->dist = d;
    op->n_own = n_own;
    op->n_halo = n_remote;
    op->own = lc_i_malloc((size_t)(n_own + 1) * sizeof *op->own);
    halo_at = lc_i_malloc((size_t)(n_remote + 1) * sizeof *halo_at);
    order = lc_i_malloc((size_t)(n_remote + 1) * sizeof *order);
    op->in_rank = lc_i_malloc((size_t)size * sizeof *op->in_rank);
    op->in_count = lc_i_calloc((size_t)size, sizeof *op->in_count);
    op->out_rank = lc_i_malloc((size_t)size * sizeof *op->out_rank);
    op->out_count = lc_i_calloc((size_t)size, sizeof *op->out_count);
    op->counts = lc_i_malloc(4 * ((size_t)size + 1) * sizeof *op->counts);
    send_count = lc_i_calloc((size_t)size, sizeof *send_count);
    recv_count = lc_i_calloc((size_t)size, sizeof *recv_count);
    if (!op->own || !halo_at || !order || !op->in_rank || !op->in_count || !op->out_rank ||
        !op->out_count || !op->counts || !send_count || !recv_count)
        goto oom;
    memcpy(op->own, own, (size_t)n_own * sizeof *own);
    /* the halo rows, grouped by owner then id: order[h] is the remote entry at
     * halo position h, halo_at[j] the local index of remote entry j */
    for (int64_t j = 0; j < n_remote; j++)
        order[j] = (int64_t)owner[j] * n + remote[j];
    qsort(order, (size_t)n_remote, sizeof *order, cmp_i64);
    for (int64_t h = 0; h < n_remote; h++) {
        const int q = (int)(order[h] / n);
        order[h] = lc_i_find_sorted(remote, n_remote, order[h] % n);
        halo_at[order[h]] = n_own + h;
        if (!op->n_in || op->in_rank[op->n_in - 1] != q) op->in_rank[op->n_in++] = q;
        op->in_count[op->n_in - 1]++;
        send_count[q]++;
    }
    /* the local rows, columns renumbered [owned | halo], and their transpose */
    rows = lc_i_malloc((size_t)(nnz + 1) * sizeof *rows);
    cols = lc_i_malloc((size_t)(nnz + 1) * sizeof *cols);
    if (!rows || !cols) goto oom;
    for (int64_t k = 0; k < n_own; k++)
        for (int64_t e = rowptr[k]; e < rowptr[k + 1]; e++) {
            int64_t at = lc_i_find_sorted(own, n_own, col[e]);
            if (at < 0 && (at = lc_i_find_sorted(remote, n_remote, col[e])) >= 0) at = halo_at[at];
            if (at < 0)
                LC_FAIL(LC_ERR_INVALID_ARG,
                        "row %lld reads column %lld, which is neither owned nor remote",
                        (long long)own[k], (long long)col[e]);
            rows[e] = k, cols[e] = at;
        }
    const int64_t width = n_own + n_remote;
    LC_TRY(lc_csr_from_coo(&op->local, n_own, width, nnz, rows, cols, val));
    LC_TRY(lc_csr_from_coo(&op->local_t, width, n_own, nnz, cols, rows, val));
    /* op->entry: each local entry's index in the whole operator (columns
     * renumbered reorder a row's entries), unless repeats were merged */
    if (entry && op->local->nnz == nnz) {
        op->entry = lc_i_malloc((size_t)(nnz + 1) * sizeof *op->entry);
        if (!op->entry) goto oom;
        for (int64_t e = 0; e < nnz; e++) { /* row rows[e]'s columns are sorted: search */
            int64_t lo = op->local->rowptr[rows[e]], hi = op->local->rowptr[rows[e] + 1];
            while (hi - lo > 1) {
                const int64_t mid = lo + (hi - lo) / 2;
                if (op->local->col[mid] <= cols[e])
                    lo = mid;
                else
                    hi = mid;
            }
            op->entry[lo] = entry[e];
        }
    }
    /* who sends what to whom: each rank tells each owner the rows it reads
     * (its halo from that owner, by id); what arrives are the rows this rank
     * sends, by rank and then id */
    send = lc_i_malloc((size_t)(n_remote + 1) * sizeof *send);
    if (!send) goto oom;
    for (int64_t h = 0; h < n_remote; h++)
        send[h] = remote[order[h]];
    LC_TRY(lc_i_dist_alltoallv_ids(d, send, send_count, &recv, recv_count));
    op->out_rows = recv;
    recv = NULL;
    int64_t at = 0;
    for (int q = 0; q < size; at += recv_count[q], q++) {
        if (!recv_count[q]) continue;
        LC_TRY(ids_to_local(op, op->out_rows + at, recv_count[q], q));
        op->out_rank[op->n_out] = q;
        op->out_count[op->n_out++] = recv_count[q];
        op->n_sent += recv_count[q];
    }
    LC_TRY(lc_i_dist_halo_attach(op));
    goto done;
oom:
    st = LC_ERROR(LC_ERR_OUT_OF_MEMORY, "cannot allocate the partitioned operator (%lld rows)",
                  (long long)n_own);
done:
    lc_i_free(halo_at);
    lc_i_free(order);
    lc_i_free(rows);
    lc_i_free(cols);
    lc_i_free(send);
    lc_i_free(recv);
    lc_i_free(send_count);
    lc_i_free(recv_count);
    if (st) {
        lc_dist_op_free(&op);
        return st;
    }
    *out = op;
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
    lc_i_part_rows r;
    LC_TRY(lc_i_part_rows_of(a, part, me, &r));
    st = lc_i_dist_op_from_rows(out, d, n, r.n_own, r.own, r.rowptr, r.col, r.val, r.entry,
                                r.n_remote, r.remote, r.owner);
done:
    lc_i_part_rows_free(&r);
    return lc_i_error_from(st, "lc_dist_op_new");
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
    /* a rank that owns no row still passes tensors, of one row (none has 0) */
    const int64_t rows = op->n_own > 0 ? op->n_own : 1;
    if (x->ndim != 2 || y->ndim != 2 || x->shape[0] != rows || y->shape[0] != rows ||
        x->shape[1] != y->shape[1])
        return lc_i_error(
            LC_ERR_SHAPE, func,
            "x and y must both be [%lld owned rows, f], got %lld x %lld and %lld x %lld",
            (long long)op->n_own, (long long)x->shape[0],
            (long long)(x->ndim > 1 ? x->shape[1] : 1), (long long)y->shape[0],
            (long long)(y->ndim > 1 ? y->shape[1] : 1));
    *f = x->shape[1];
    /* at least one float: a rank with no rows and no halo still passes a buffer */
    const int64_t ext = (op->n_own + op->n_halo) * *f;
    return lc_i_error_from(grow(&op->ext, &op->ext_cap, ext > 0 ? ext : 1), func);
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
