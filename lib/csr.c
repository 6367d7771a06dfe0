/* csr.c — CSR sparse matrices and the CPU SpMM kernel (dense row-major right-hand side). */
#include <pthread.h>
#include <string.h>

#include "internal.h"
#include "gather.h"

static pthread_mutex_t lazy_mutex;
static pthread_once_t lazy_once = PTHREAD_ONCE_INIT;

static void lazy_init(void)
{
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE); /* views build other views */
    pthread_mutex_init(&lazy_mutex, &attr);
    pthread_mutexattr_destroy(&attr);
}

void lc_i_lazy_lock(void)
{
    pthread_once(&lazy_once, lazy_init);
    pthread_mutex_lock(&lazy_mutex);
}

void lc_i_lazy_unlock(void) { pthread_mutex_unlock(&lazy_mutex); }

static lc_csr_t *csr_alloc(int64_t n_rows, int64_t n_cols, int64_t nnz)
{
    lc_csr_t *a = lc_i_calloc(1, sizeof *a);
    if (!a) return NULL;
    a->n_rows = n_rows;
    a->n_cols = n_cols;
    a->nnz = nnz;
    a->rowptr = lc_i_calloc((size_t)n_rows + 1, sizeof(int64_t));
    a->col = lc_i_malloc((size_t)nnz * sizeof(int32_t));
    a->val = lc_i_malloc((size_t)nnz * sizeof(float));
    if (!a->rowptr || !a->col || !a->val) lc_csr_free(&a);
    return a;
}

lc_status lc_csr_from_coo(lc_csr_t **out, int64_t n_rows, int64_t n_cols, int64_t nnz,
                          const int64_t *rows, const int64_t *cols, const float *vals)
{
    LC_CHECK_ARG(out, "output handle is NULL");
    LC_CHECK_ARG(n_rows >= 0 && n_cols >= 0 && nnz >= 0, "negative size (%lld x %lld, nnz %lld)",
                 (long long)n_rows, (long long)n_cols, (long long)nnz);
    LC_CHECK_ARG(n_cols <= INT32_MAX, "%lld columns exceed the 32-bit column index",
                 (long long)n_cols);
    LC_CHECK_ARG(nnz == 0 || (rows && cols), "rows or cols is NULL");
    for (int64_t k = 0; k < nnz; k++) {
        if (rows[k] < 0 || rows[k] >= n_rows || cols[k] < 0 || cols[k] >= n_cols)
            return LC_ERROR(LC_ERR_INVALID_ARG, "entry %lld at (%lld, %lld) outside %lld x %lld",
                            (long long)k, (long long)rows[k], (long long)cols[k],
                            (long long)n_rows, (long long)n_cols);
    }
    /* Counting sort by row, then by column inside each row (stable), then merge duplicates. */
    lc_csr_t *a = csr_alloc(n_rows, n_cols, nnz);
    int64_t *next = lc_i_malloc(((size_t)(n_rows > n_cols ? n_rows : n_cols) + 1) * sizeof(int64_t));
    int64_t *by_col = lc_i_malloc((size_t)nnz * sizeof(int64_t));
    if (!a || !next || !by_col) {
        lc_csr_free(&a), lc_i_free(next), lc_i_free(by_col);
        return LC_ERROR(LC_ERR_OUT_OF_MEMORY, "cannot allocate a %lld-entry CSR", (long long)nnz);
    }
    /* first pass: order entries by column */
    memset(next, 0, ((size_t)n_cols + 1) * sizeof(int64_t));
    for (int64_t k = 0; k < nnz; k++) next[cols[k] + 1]++;
    for (int64_t c = 0; c < n_cols; c++) next[c + 1] += next[c];
    for (int64_t k = 0; k < nnz; k++) by_col[next[cols[k]]++] = k;
    /* second pass: stable by row */
    for (int64_t k = 0; k < nnz; k++) a->rowptr[rows[k] + 1]++;
    for (int64_t r = 0; r < n_rows; r++) a->rowptr[r + 1] += a->rowptr[r];
    memcpy(next, a->rowptr, (size_t)n_rows * sizeof(int64_t));
    for (int64_t i = 0; i < nnz; i++) {
        int64_t k = by_col[i];
        int64_t dst = next[rows[k]]++;
        a->col[dst] = (int32_t)cols[k];
        a->val[dst] = vals ? vals[k] : 1.0f;
    }
    /* merge duplicates in place */
    int64_t w = 0;
    for (int64_t r = 0; r < n_rows; r++) {
        int64_t start = a->rowptr[r], end = a->rowptr[r + 1];
        a->rowptr[r] = w;
        for (int64_t k = start; k < end; k++) {
            if (w > a->rowptr[r] && a->col[w - 1] == a->col[k]) {
                a->val[w - 1] += a->val[k];
            } else {
                a->col[w] = a->col[k];
                a->val[w] = a->val[k];
                w++;
            }
        }
    }
    a->rowptr[n_rows] = w;
    a->nnz = w;
    lc_i_free(next);
    lc_i_free(by_col);
    *out = a;
    return LC_OK;
}

void lc_csr_free(lc_csr_t **pa)
{
    if (!pa || !*pa) return;
    lc_csr_t *a = *pa;
    lc_csr_free(&a->transpose);
    lc_i_free(a->source);
    lc_i_free(a->rowptr);
    lc_i_free(a->col);
    lc_i_free(a->val);
    lc_i_free(a);
    *pa = NULL;
}

int64_t lc_csr_rows(const lc_csr_t *a) { return a ? a->n_rows : 0; }
int64_t lc_csr_cols(const lc_csr_t *a) { return a ? a->n_cols : 0; }
int64_t lc_csr_nnz(const lc_csr_t *a) { return a ? a->nnz : 0; }

static lc_status transpose_locked(lc_csr_t *a, const lc_csr_t **at);

lc_status lc_i_csr_transpose(lc_csr_t *a, const lc_csr_t **at)
{
    lc_i_lazy_lock();
    lc_status st = lc_i_error_from(transpose_locked(a, at), __func__);
    lc_i_lazy_unlock();
    return st;
}

static lc_status transpose_locked(lc_csr_t *a, const lc_csr_t **at)
{
    if (a->transpose) {
        *at = a->transpose;
        return LC_OK;
    }
    lc_csr_t *t = csr_alloc(a->n_cols, a->n_rows, a->nnz);
    if (t) t->source = lc_i_malloc((size_t)a->nnz * sizeof *t->source);
    if (!t || !t->source) {
        lc_csr_free(&t);
        return LC_ERROR(LC_ERR_OUT_OF_MEMORY, "cannot allocate the transpose");
    }
    for (int64_t k = 0; k < a->nnz; k++) t->rowptr[a->col[k] + 1]++;
    for (int64_t r = 0; r < t->n_rows; r++) t->rowptr[r + 1] += t->rowptr[r];
    /* Walking A by rows fills each row of Aᵀ in increasing column order. */
    int64_t *next = lc_i_malloc(((size_t)t->n_rows + 1) * sizeof(int64_t));
    if (!next) {
        lc_csr_free(&t);
        return LC_ERROR(LC_ERR_OUT_OF_MEMORY, "cannot allocate the transpose");
    }
    memcpy(next, t->rowptr, ((size_t)t->n_rows + 1) * sizeof(int64_t));
    for (int64_t r = 0; r < a->n_rows; r++)
        for (int64_t k = a->rowptr[r]; k < a->rowptr[r + 1]; k++) {
            int64_t dst = next[a->col[k]]++;
            t->col[dst] = (int32_t)r;
            t->val[dst] = a->val[k];
            t->source[dst] = k;
        }
    lc_i_free(next);
    a->transpose = t;
    *at = t;
    return LC_OK;
}

/* Each output row is owned by one thread and summed in CSR order, so the
 * result does not depend on the thread count or the schedule. */
void lc_i_csr_spmm_raw(const lc_csr_t *a, const float *x, int64_t f, float *y, bool accumulate)
{
    lc_i_csr_spmm_vals(a, a->val, x, f, y, accumulate);
}

void lc_i_csr_spmm_vals(const lc_csr_t *a, const float *vals, const float *x, int64_t f, float *y,
                        bool accumulate)
{
    const int64_t n = a->n_rows, nnz = a->nnz;
#pragma omp parallel for schedule(dynamic, 64) num_threads(lc_i_threads()) if (a->nnz * f > LC_I_PARALLEL_MIN_WORK)
    for (int64_t r = 0; r < n; r++) {
        float *restrict yr = y + r * f;
        if (!accumulate)
            for (int64_t j = 0; j < f; j++) yr[j] = 0.0f;
        for (int64_t k = a->rowptr[r]; k < a->rowptr[r + 1]; k++) {
            if (k + LC_I_PREFETCH_AHEAD < nnz)
                lc_i_prefetch_row(x + (int64_t)a->col[k + LC_I_PREFETCH_AHEAD] * f, f);
            const float v = vals[k];
            const float *restrict xr = x + (int64_t)a->col[k] * f;
            /* y and x never overlap; GCC -O2 vectorises only when told so */
#pragma omp simd
            for (int64_t j = 0; j < f; j++) yr[j] += v * xr[j];
        }
    }
}

lc_status lc_csr_spmm(const lc_csr_t *a, const lc_tensor_t *x, lc_tensor_t *y)
{
    LC_CHECK_ARG(a && x && y, "NULL argument");
    int64_t f = lc_i_cols(x);
    if (lc_i_rows(x) != a->n_cols || lc_i_rows(y) != a->n_rows || lc_i_cols(y) != f)
        return LC_ERROR(LC_ERR_SHAPE,
                        "A is %lld x %lld, X has %lld rows x %lld cols, Y %lld x %lld",
                        (long long)a->n_rows, (long long)a->n_cols, (long long)lc_i_rows(x),
                        (long long)f, (long long)lc_i_rows(y), (long long)lc_i_cols(y));
    lc_i_csr_spmm_raw(a, x->data, f, y->data, false);
    return LC_OK;
}
