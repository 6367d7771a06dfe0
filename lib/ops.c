/* ops.c — CPU forward and backward kernels of every compute-graph op. */
#include <cblas.h>
#include <math.h>
#include <string.h>

#include "backend.h"

#define IN(k) lc_i_in(cg, n, k)

static void noop(lc_cgraph_t *cg, lc_i_node *n) { (void)cg, (void)n; }

/* ---------- matmul: C[m,n] = op(A)[m,k] · op(B)[k,n], op = transpose if flagged ---------- */
extern void openblas_set_num_threads(int num_threads);

/* A GEMM of fewer than 2^22 multiply-adds (about a tenth of a millisecond)
 * runs on one OpenBLAS thread: handing half of it to a pool thread costs more
 * than it saves, and whenever that thread is not running at once (any other
 * busy process) it stalls the call for up to a time slice (bench/NOTES.md:
 * Cora at 2 threads). Returns whether it changed the count, to restore it. */
static bool gemm_single(int64_t madds)
{
    if (madds >= ((int64_t)1 << 22) || lc_i_threads() == 1) return false;
    openblas_set_num_threads(1);
    return true;
}
static void gemm_restore(bool changed)
{
    if (changed) openblas_set_num_threads(lc_i_threads());
}

/* Y[m,c] = op(A)[m,k] · op(B)[k,c] + beta·Y, row-major, in blocks of rows. OpenBLAS
 * packs the long side of a row-major GEMM (here m) into a per-thread buffer that
 * it sizes to its 128 MiB pool: one [169 343, 256] · [256, 256] product touched
 * 84 MiB of it per thread, memory that stays resident (bench/NOTES.md). Blocks of
 * LC_GEMM_ROWS rows bound that to k · 4 · LC_GEMM_ROWS bytes, at no cost in time.
 * (OpenBLAS rounds an element by where it falls in its tiling, so above 8192 rows
 * some results differ from one whole call's in the last bit; run to run, the same.) */
enum { LC_GEMM_ROWS = 8192 };
static void gemm_by_rows(bool ta, bool tb, int m, int c, int k, const float *a, int lda,
                         const float *b, int ldb, float beta, float *y, int ldy)
{
    for (int64_t r0 = 0; r0 < m; r0 += LC_GEMM_ROWS) {
        const int rows = (int)(m - r0 < LC_GEMM_ROWS ? m - r0 : LC_GEMM_ROWS);
        const float *ar = ta ? a + r0 : a + (int64_t)r0 * lda; /* op(A)'s rows r0.. */
        cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
                    rows, c, k, 1.0f, ar, lda, b, ldb, beta, y + (int64_t)r0 * ldy, ldy);
    }
}

/* A and B as stored: rows and leading dimension (an n-D A without transpose is
 * viewed as [rows, last dim]). */
static void matmul_fwd(lc_cgraph_t *cg, lc_i_node *n)
{
    const lc_tensor_t *a = IN(0)->value, *b = IN(1)->value;
    const bool ta = n->iparam[0], tb = n->iparam[1];
    int lda = (int)lc_i_cols(a), ldb = (int)lc_i_cols(b);
    int m = (int)lc_i_rows(n->value), c = (int)lc_i_cols(n->value);
    int k = ta ? (int)lc_i_rows(a) : lda;
    const bool single = gemm_single((int64_t)m * c * k);
    gemm_by_rows(ta, tb, m, c, k, a->data, lda, b->data, ldb, 0.0f, n->value->data, c);
    gemm_restore(single);
}
static void matmul_bwd(lc_cgraph_t *cg, lc_i_node *n)
{
    lc_i_node *a = IN(0), *b = IN(1);
    const bool ta = n->iparam[0], tb = n->iparam[1];
    const int lda = (int)lc_i_cols(a->value), ldb = (int)lc_i_cols(b->value);
    const int m = (int)lc_i_rows(n->value), c = (int)lc_i_cols(n->value);
    const int k = ta ? (int)lc_i_rows(a->value) : lda;
    const float *dc = n->grad->data, *av = a->value->data, *bv = b->value->data;
    const bool single = gemm_single((int64_t)m * c * k);
    if (a->grad) {
        if (!ta) /* dA[m,k] += dC · op(B)ᵀ */
            gemm_by_rows(false, !tb, m, k, c, dc, c, bv, ldb, 1.0f, a->grad->data, lda);
        else /* dA[k,m] += op(B) · dCᵀ */
            cblas_sgemm(CblasRowMajor, tb ? CblasTrans : CblasNoTrans, CblasTrans, k, m, c, 1.0f,
                        bv, ldb, dc, c, 1.0f, a->grad->data, lda);
    }
    if (b->grad) {
        if (!tb) /* dB[k,c] += op(A)ᵀ · dC */
            cblas_sgemm(CblasRowMajor, ta ? CblasNoTrans : CblasTrans, CblasNoTrans, k, c, m, 1.0f,
                        av, lda, dc, c, 1.0f, b->grad->data, ldb);
        else /* dB[c,k] += dCᵀ · op(A) */
            cblas_sgemm(CblasRowMajor, CblasTrans, ta ? CblasTrans : CblasNoTrans, c, k, m, 1.0f,
                        dc, c, av, lda, 1.0f, b->grad->data, ldb);
    }
    gemm_restore(single);
}

/* ---------- spmm: Y = S · X, X viewed as [S.cols, f]; optional dropout on S ---------- */
static bool spmm_masked(const lc_cgraph_t *cg, const lc_i_node *n)
{
    return cg->training && n->aux;
}
static void spmm_fwd(lc_cgraph_t *cg, lc_i_node *n)
{
    const lc_tensor_t *x = IN(0)->value;
    const lc_csr_t *s = n->sparse;
    const float *vals = s->val;
    if (spmm_masked(cg, n)) { /* serial draw: the mask does not depend on the thread count */
        float *masked = n->aux->data;
        for (int64_t k = 0; k < s->nnz; k++)
            masked[k] = s->val[k] * lc_i_dropout_draw(&cg->rng, n->fparam);
        vals = masked;
    }
    lc_i_csr_spmm_vals(s, vals, x->data, x->numel / x->shape[0], n->value->data, false);
}
static void spmm_bwd(lc_cgraph_t *cg, lc_i_node *n)
{
    lc_i_node *x = IN(0);
    if (!x->grad) return;
    const lc_csr_t *st = n->sparse_t;
    const float *vals = st->val;
    if (spmm_masked(cg, n)) { /* the same mask, carried to the transpose's order */
        const float *masked = n->aux->data;
        float *masked_t = n->aux->data + st->nnz;
        for (int64_t k = 0; k < st->nnz; k++) masked_t[k] = masked[st->source[k]];
        vals = masked_t;
    }
    lc_i_csr_spmm_vals(st, vals, n->grad->data, n->grad->numel / n->grad->shape[0], x->grad->data,
                       true);
}

/* ---------- add, bias, scale ---------- */
static void add_fwd(lc_cgraph_t *cg, lc_i_node *n)
{
    const float *a = IN(0)->value->data, *b = IN(1)->value->data;
    float *y = n->value->data;
    int64_t len = n->value->numel;
    LC_I_PAR_SIMD for (int64_t i = 0; i < len; i++) y[i] = a[i] + b[i];
}
static void accumulate(float *dst, const float *src, float alpha, int64_t len)
{
    LC_I_PAR_SIMD for (int64_t i = 0; i < len; i++) dst[i] += alpha * src[i];
}
static void add_bwd(lc_cgraph_t *cg, lc_i_node *n)
{
    for (int k = 0; k < 2; k++)
        if (IN(k)->grad) accumulate(IN(k)->grad->data, n->grad->data, 1.0f, n->grad->numel);
}
static void bias_fwd(lc_cgraph_t *cg, lc_i_node *n)
{
    const float *x = IN(0)->value->data, *b = IN(1)->value->data;
    float *y = n->value->data;
    int64_t rows = lc_i_rows(n->value), cols = lc_i_cols(n->value), len = n->value->numel;
    LC_I_PAR_FOR for (int64_t r = 0; r < rows; r++)
    {
        const float *xr = x + r * cols;
        float *yr = y + r * cols;
#pragma omp simd
        for (int64_t j = 0; j < cols; j++) yr[j] = xr[j] + b[j];
    }
}
static void bias_bwd(lc_cgraph_t *cg, lc_i_node *n)
{
    const float *dy = n->grad->data;
    int64_t rows = lc_i_rows(n->grad), cols = lc_i_cols(n->grad);
    if (IN(0)->grad && IN(0)->grad->data != dy) /* (the plan may give x dy itself) */
        accumulate(IN(0)->grad->data, dy, 1.0f, n->grad->numel);
    if (IN(1)->grad) { /* column sums, rows in a fixed order */
        float *db = IN(1)->grad->data;
        for (int64_t r = 0; r < rows; r++)
            for (int64_t j = 0; j < cols; j++) db[j] += dy[r * cols + j];
    }
}
static void scale_fwd(lc_cgraph_t *cg, lc_i_node *n)
{
    const float *x = IN(0)->value->data;
    float *y = n->value->data, alpha = n->fparam;
    int64_t len = n->value->numel;
    LC_I_PAR_SIMD for (int64_t i = 0; i < len; i++) y[i] = alpha * x[i];
}
static void scale_bwd(lc_cgraph_t *cg, lc_i_node *n)
{
    if (IN(0)->grad) accumulate(IN(0)->grad->data, n->grad->data, n->fparam, n->grad->numel);
}

/* ---------- element-wise activations ---------- */
/* One macro per activation keeps the forward and the derivative side by side.
 * The derivative may use x (input), y (output) and a (the op's parameter). */
#define ACTIVATION(name, FWD, DERIV)                                                           \
    static void name##_fwd(lc_cgraph_t *cg, lc_i_node *n)                                      \
    {                                                                                          \
        const float *xs = IN(0)->value->data;                                                  \
        float *ys = n->value->data, a = n->fparam;                                             \
        int64_t len = n->value->numel;                                                         \
        (void)a;                                                                               \
        LC_I_PAR_SIMD for (int64_t i = 0; i < len; i++)                                        \
        {                                                                                      \
            float x = xs[i];                                                                   \
            ys[i] = (FWD);                                                                     \
        }                                                                                      \
    }                                                                                          \
    static void name##_bwd(lc_cgraph_t *cg, lc_i_node *n)                                      \
    {                                                                                          \
        if (!IN(0)->grad) return;                                                              \
        const float *xs = IN(0)->value->data, *ys = n->value->data, *dy = n->grad->data;       \
        float *dx = IN(0)->grad->data, a = n->fparam;                                          \
        int64_t len = n->value->numel;                                                         \
        const bool over_dy = dx == dy; /* 0 + dy·d, as into a zeroed dx: the same bits */      \
        (void)a;                                                                               \
        LC_I_PAR_SIMD for (int64_t i = 0; i < len; i++)                                        \
        {                                                                                      \
            float x = xs[i], y = ys[i], d = (DERIV); /* (not +=: GCC vectorizes only this) */  \
            (void)x, (void)y;                                                                  \
            dx[i] = (over_dy ? 0.0f : dx[i]) + dy[i] * d;                                      \
        }                                                                                      \
    }

/* Every backward kernel adds to dx, except where the memory plan put an
 * element-wise op's dx over its dy (plan.c, grads_in_place: dx == dy, not
 * zeroed): there it writes dx = 0 + (its term), the value the sum would have. */

/* relu's derivative reads its output (y > 0 exactly when x > 0), so that the memory
 * plan can let its input go after the forward pass */
ACTIVATION(relu, x > 0 ? x : 0.0f, y > 0 ? 1.0f : 0.0f)
ACTIVATION(leaky_relu, x > 0 ? x : a * x, x > 0 ? 1.0f : a)
ACTIVATION(elu, x > 0 ? x : a * expm1f(x), x > 0 ? 1.0f : y + a)
ACTIVATION(tanh, tanhf(x), 1.0f - y * y)
ACTIVATION(sigmoid, 1.0f / (1.0f + expf(-x)), y * (1.0f - y))

/* ---------- dropout ---------- */
static void dropout_fwd(lc_cgraph_t *cg, lc_i_node *n)
{
    const float *x = IN(0)->value->data;
    float *y = n->value->data, *mask = n->aux->data;
    int64_t len = n->value->numel;
    float p = n->fparam;
    if (!cg->training || p == 0.0f) {
        memcpy(y, x, (size_t)len * sizeof *y);
        return;
    }
    /* The mask is drawn serially so that it does not depend on the thread count. */
    for (int64_t i = 0; i < len; i++) mask[i] = lc_i_dropout_draw(&cg->rng, p);
    LC_I_PAR_SIMD for (int64_t i = 0; i < len; i++) y[i] = x[i] * mask[i];
}
static void dropout_bwd(lc_cgraph_t *cg, lc_i_node *n)
{
    if (!IN(0)->grad) return;
    const float *dy = n->grad->data, *mask = n->aux->data;
    float *dx = IN(0)->grad->data;
    int64_t len = n->value->numel;
    const bool over_dy = dx == dy;
    if (!cg->training || n->fparam == 0.0f) {
        if (!over_dy) accumulate(dx, dy, 1.0f, len);
        return;
    }
    LC_I_PAR_SIMD for (int64_t i = 0; i < len; i++)
        dx[i] = (over_dy ? 0.0f : dx[i]) + dy[i] * mask[i];
}

/* ---------- log-softmax, cross-entropy ---------- */
static void log_softmax_fwd(lc_cgraph_t *cg, lc_i_node *n)
{
    const float *x = IN(0)->value->data;
    float *y = n->value->data;
    int64_t rows = lc_i_rows(n->value), cols = lc_i_cols(n->value), len = n->value->numel;
    LC_I_PAR_FOR for (int64_t r = 0; r < rows; r++)
    {
        const float *xr = x + r * cols;
        float *yr = y + r * cols;
        float mx = xr[0];
        for (int64_t j = 1; j < cols; j++) mx = xr[j] > mx ? xr[j] : mx;
        double s = 0;
        for (int64_t j = 0; j < cols; j++) s += exp((double)(xr[j] - mx));
        float lse = mx + (float)log(s);
        for (int64_t j = 0; j < cols; j++) yr[j] = xr[j] - lse;
    }
}
static void log_softmax_bwd(lc_cgraph_t *cg, lc_i_node *n)
{
    if (!IN(0)->grad) return;
    const float *y = n->value->data, *dy = n->grad->data;
    float *dx = IN(0)->grad->data;
    int64_t rows = lc_i_rows(n->value), cols = lc_i_cols(n->value), len = n->value->numel;
    LC_I_PAR_FOR for (int64_t r = 0; r < rows; r++)
    {
        float s = 0;
        for (int64_t j = 0; j < cols; j++) s += dy[r * cols + j];
        for (int64_t j = 0; j < cols; j++)
            dx[r * cols + j] += dy[r * cols + j] - expf(y[r * cols + j]) * s;
    }
}
/* The mask and labels are the caller's and may change after the graph is built
 * (a new split): rows are re-counted each pass and rows without a valid label skipped. */
static inline bool ce_row(const lc_i_node *n, int64_t r, int64_t cols)
{
    return n->mask[r] && n->labels[r] >= 0 && n->labels[r] < cols;
}
static void cross_entropy_fwd(lc_cgraph_t *cg, lc_i_node *n)
{
    const float *logp = IN(0)->value->data;
    int64_t rows = lc_i_rows(IN(0)->value), cols = lc_i_cols(IN(0)->value), count = 0;
    double s = 0;
    for (int64_t r = 0; r < rows; r++)
        if (ce_row(n, r, cols)) s -= logp[r * cols + n->labels[r]], count++;
    n->count = count;
    n->value->data[0] = count ? (float)(s / (double)count) : 0.0f;
}
static void cross_entropy_bwd(lc_cgraph_t *cg, lc_i_node *n)
{
    if (!IN(0)->grad || !n->count) return;
    float *dx = IN(0)->grad->data, g = -n->grad->data[0] / (float)n->count;
    int64_t rows = lc_i_rows(IN(0)->value), cols = lc_i_cols(IN(0)->value);
    for (int64_t r = 0; r < rows; r++)
        if (ce_row(n, r, cols)) dx[r * cols + n->labels[r]] += g;
}

/* ---------- reductions to a scalar ---------- */
static void sum_fwd(lc_cgraph_t *cg, lc_i_node *n)
{
    const lc_tensor_t *x = IN(0)->value;
    double s = 0;
    for (int64_t i = 0; i < x->numel; i++) s += x->data[i];
    n->value->data[0] = (float)(n->op == LC_OP_MEAN ? s / (double)x->numel : s);
}
static void sum_bwd(lc_cgraph_t *cg, lc_i_node *n)
{
    if (!IN(0)->grad) return;
    lc_tensor_t *dx = IN(0)->grad;
    float g = n->grad->data[0];
    if (n->op == LC_OP_MEAN) g /= (float)dx->numel;
    int64_t len = dx->numel;
    float *d = dx->data;
    LC_I_PAR_SIMD for (int64_t i = 0; i < len; i++) d[i] += g;
}
static void mse_fwd(lc_cgraph_t *cg, lc_i_node *n)
{
    const float *a = IN(0)->value->data, *b = IN(1)->value->data;
    int64_t len = IN(0)->value->numel;
    double s = 0;
    for (int64_t i = 0; i < len; i++) s += (double)(a[i] - b[i]) * (a[i] - b[i]);
    n->value->data[0] = (float)(s / (double)len);
}
static void mse_bwd(lc_cgraph_t *cg, lc_i_node *n)
{
    const float *a = IN(0)->value->data, *b = IN(1)->value->data;
    int64_t len = IN(0)->value->numel;
    float g = 2.0f * n->grad->data[0] / (float)len;
    float *da = IN(0)->grad ? IN(0)->grad->data : NULL, *db = IN(1)->grad ? IN(1)->grad->data : NULL;
    LC_I_PAR_SIMD for (int64_t i = 0; i < len; i++)
    {
        float d = g * (a[i] - b[i]);
        if (da) da[i] += d;
        if (db) db[i] -= d;
    }
}

/* ---------- concat along the last dimension ---------- */
static void concat_fwd(lc_cgraph_t *cg, lc_i_node *n)
{
    const lc_tensor_t *a = IN(0)->value, *b = IN(1)->value;
    int64_t rows = lc_i_rows(a), ca = lc_i_cols(a), cb = lc_i_cols(b);
    float *y = n->value->data;
    for (int64_t r = 0; r < rows; r++) {
        memcpy(y + r * (ca + cb), a->data + r * ca, (size_t)ca * sizeof *y);
        memcpy(y + r * (ca + cb) + ca, b->data + r * cb, (size_t)cb * sizeof *y);
    }
}
static void concat_bwd(lc_cgraph_t *cg, lc_i_node *n)
{
    int64_t rows = lc_i_rows(n->grad), ca = lc_i_cols(IN(0)->value), cb = lc_i_cols(IN(1)->value);
    const float *dy = n->grad->data;
    for (int k = 0; k < 2; k++) {
        if (!IN(k)->grad) continue;
        int64_t c = k ? cb : ca, off = k ? ca : 0;
        float *dx = IN(k)->grad->data;
        for (int64_t r = 0; r < rows; r++)
            for (int64_t j = 0; j < c; j++) dx[r * c + j] += dy[r * (ca + cb) + off + j];
    }
}

const lc_i_backend lc_i_backend_cpu = {
    .name = "cpu",
    .device = LC_DEVICE_CPU,
    .forward = {[LC_OP_CONSTANT] = noop, [LC_OP_PARAMETER] = noop, [LC_OP_MATMUL] = matmul_fwd,
                [LC_OP_SPMM] = spmm_fwd, [LC_OP_ADD] = add_fwd, [LC_OP_BIAS] = bias_fwd,
                [LC_OP_RELU] = relu_fwd, [LC_OP_LEAKY_RELU] = leaky_relu_fwd,
                [LC_OP_ELU] = elu_fwd, [LC_OP_TANH] = tanh_fwd, [LC_OP_SIGMOID] = sigmoid_fwd,
                [LC_OP_DROPOUT] = dropout_fwd, [LC_OP_LOG_SOFTMAX] = log_softmax_fwd,
                [LC_OP_CROSS_ENTROPY] = cross_entropy_fwd, [LC_OP_MSE] = mse_fwd,
                [LC_OP_SUM] = sum_fwd, [LC_OP_MEAN] = sum_fwd, [LC_OP_CONCAT] = concat_fwd,
                [LC_OP_SCALE] = scale_fwd, [LC_OP_EDGE_CONV] = lc_i_edge_conv_fwd,
                [LC_OP_LOWRANK] = lc_i_lowrank_fwd, [LC_OP_POOL] = lc_i_pool_fwd,
                [LC_OP_FLATTEN] = lc_i_flatten_fwd, [LC_OP_RESHAPE] = lc_i_reshape_fwd,
                [LC_OP_MUL] = lc_i_mul_fwd, [LC_OP_DIFFUSION] = lc_i_diffusion_fwd},
    .backward = {[LC_OP_CONSTANT] = noop, [LC_OP_PARAMETER] = noop, [LC_OP_MATMUL] = matmul_bwd,
                 [LC_OP_SPMM] = spmm_bwd, [LC_OP_ADD] = add_bwd, [LC_OP_BIAS] = bias_bwd,
                 [LC_OP_RELU] = relu_bwd, [LC_OP_LEAKY_RELU] = leaky_relu_bwd,
                 [LC_OP_ELU] = elu_bwd, [LC_OP_TANH] = tanh_bwd, [LC_OP_SIGMOID] = sigmoid_bwd,
                 [LC_OP_DROPOUT] = dropout_bwd, [LC_OP_LOG_SOFTMAX] = log_softmax_bwd,
                 [LC_OP_CROSS_ENTROPY] = cross_entropy_bwd, [LC_OP_MSE] = mse_bwd,
                 [LC_OP_SUM] = sum_bwd, [LC_OP_MEAN] = sum_bwd, [LC_OP_CONCAT] = concat_bwd,
                 [LC_OP_SCALE] = scale_bwd, [LC_OP_EDGE_CONV] = lc_i_edge_conv_bwd,
                 [LC_OP_LOWRANK] = lc_i_lowrank_bwd, [LC_OP_POOL] = lc_i_pool_bwd,
                 [LC_OP_FLATTEN] = lc_i_flatten_bwd, [LC_OP_RESHAPE] = lc_i_reshape_bwd,
                 [LC_OP_MUL] = lc_i_mul_bwd, [LC_OP_DIFFUSION] = lc_i_diffusion_bwd},
};
