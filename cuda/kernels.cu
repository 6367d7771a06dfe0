/* kernels.cu — CUDA forward and backward kernels of the compute-graph ops: cuBLAS GEMM, cuSPARSE SpMM, and our own.
 *
 * Determinism: no floating-point atomics. Every reduction has one owner
 * (a thread, a warp or a block) that sums in a fixed order: CSR rows in
 * order for SpMM-like ops, a fixed-shape tree inside one block for scalars,
 * cuBLAS GEMV for column sums. Dropout draws from a counter-based hash of
 * (key, element) with the key taken from the graph's RNG. */
#include <math.h>

#include "cuda_backend.h"

#define THREADS 256
#define IN(k) (&cg->nodes[n->in[k]])

/* Grid-stride loop over [0, len). */
#define FOR_EACH(i, len)                                                                           \
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < (len);                   \
         i += (int64_t)blockDim.x * gridDim.x)

static unsigned blocks_for(int64_t len)
{
    int64_t b = (len + THREADS - 1) / THREADS;
    return (unsigned)(b < 1 ? 1 : b > (1 << 20) ? (1 << 20) : b);
}
#define LAUNCH(c, len) blocks_for(len), THREADS, 0, (c)->stream

/* ---------- element-wise building blocks ---------- */

__global__ void fill_k(float *p, int64_t len, float v)
{
    FOR_EACH(i, len) p[i] = v;
}
void lc_cuda_fill(lc_cuda_ctx *c, float *p, int64_t n, float v)
{
    if (n > 0) fill_k<<<LAUNCH(c, n)>>>(p, n, v);
}

/* dst += alpha · src */
__global__ void axpy_k(float *dst, const float *src, float alpha, int64_t len)
{
    FOR_EACH(i, len) dst[i] += alpha * src[i];
}
static void axpy(lc_cuda_ctx *c, float *dst, const float *src, float alpha, int64_t len)
{
    if (len > 0) axpy_k<<<LAUNCH(c, len)>>>(dst, src, alpha, len);
}

/* A uniform float in [0, 1) from (key, i): splitmix64's finaliser, 24 bits. */
__device__ __forceinline__ float hash_uniform(uint64_t key, uint64_t i)
{
    uint64_t z = key + (i + 1) * 0x9E3779B97F4A7C15ULL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z ^= z >> 31;
    return (float)(z >> 40) * (1.0f / 16777216.0f);
}

/* ---------- matmul: cuBLAS is column-major; a row-major C = op(A)·op(B) is
 * the column-major Cᵀ = op(B)ᵀ·op(A)ᵀ, so the operands swap. ---------- */
static void gemm_rm(lc_cuda_ctx *c, bool ta, bool tb, int m, int n, int k, float alpha,
                    const float *a, int lda, const float *b, int ldb, float beta, float *y, int ldc)
{
    LC_CUBLAS(c, lc_cuda.sgemm(c->blas, tb ? CUBLAS_OP_T : CUBLAS_OP_N, ta ? CUBLAS_OP_T : CUBLAS_OP_N,
                             n, m, k, &alpha, b, ldb, a, lda, &beta, y, ldc));
}

static void matmul_fwd(lc_cgraph_t *cg, lc_i_node *n)
{
    lc_cuda_ctx *c = lc_cuda_of(cg);
    const lc_i_node *a = IN(0), *b = IN(1);
    const bool ta = n->iparam[0], tb = n->iparam[1];
    const int lda = (int)lc_i_node_cols(a), ldb = (int)lc_i_node_cols(b);
    const int m = (int)lc_i_node_rows(n), cc = (int)lc_i_node_cols(n);
    const int k = ta ? (int)lc_i_node_rows(a) : lda;
    gemm_rm(c, ta, tb, m, cc, k, 1.0f, a->dvalue, lda, b->dvalue, ldb, 0.0f, n->dvalue, cc);
}
static void matmul_bwd(lc_cgraph_t *cg, lc_i_node *n)
{
    lc_cuda_ctx *c = lc_cuda_of(cg);
    lc_i_node *a = IN(0), *b = IN(1);
    const bool ta = n->iparam[0], tb = n->iparam[1];
    const int lda = (int)lc_i_node_cols(a), ldb = (int)lc_i_node_cols(b);
    const int m = (int)lc_i_node_rows(n), cc = (int)lc_i_node_cols(n);
    const int k = ta ? (int)lc_i_node_rows(a) : lda;
    const float *dc = n->dgrad;
    if (a->dgrad) {
        if (!ta) gemm_rm(c, false, !tb, m, k, cc, 1.0f, dc, cc, b->dvalue, ldb, 1.0f, a->dgrad, lda);
        else gemm_rm(c, tb, true, k, m, cc, 1.0f, b->dvalue, ldb, dc, cc, 1.0f, a->dgrad, lda);
    }
    if (b->dgrad) {
        if (!tb) gemm_rm(c, !ta, false, k, cc, m, 1.0f, a->dvalue, lda, dc, cc, 1.0f, b->dgrad, ldb);
        else gemm_rm(c, true, ta, cc, k, m, 1.0f, dc, cc, a->dvalue, lda, 1.0f, b->dgrad, ldb);
    }
}

/* ---------- spmm: Y = S·X with cuSPARSE; the backward pass multiplies by the
 * stored transpose (no transposed SpMM, whose results vary from run to run) ---------- */
__global__ void mask_values_k(float *masked, const float *val, int64_t nnz, uint64_t key, float p,
                              float keep_scale)
{
    FOR_EACH(k, nnz) masked[k] = hash_uniform(key, (uint64_t)k) >= p ? val[k] * keep_scale : 0.0f;
}
__global__ void gather_k(float *dst, const float *src, const int32_t *index, int64_t len)
{
    FOR_EACH(k, len) dst[k] = src[index[k]];
}

static bool spmm_masked(const lc_cgraph_t *cg, const lc_i_node *n) { return cg->training && n->daux; }

static void spmm_fwd(lc_cgraph_t *cg, lc_i_node *n)
{
    lc_cuda_ctx *c = lc_cuda_of(cg);
    lc_cuda_node *d = &c->nodes[n - cg->nodes];
    const lc_csr_t *s = n->sparse;
    if (s->nnz == 0) {
        LC_CU(c, cudaMemsetAsync(n->dvalue, 0, (size_t)lc_i_node_numel(n) * sizeof(float), c->stream));
        return;
    }
    if (n->daux) { /* the descriptor reads daux: masked in training, S's values otherwise */
        if (spmm_masked(cg, n))
            mask_values_k<<<LAUNCH(c, s->nnz)>>>(n->daux, d->s->val, s->nnz, lc_rng_next(&cg->rng),
                                                 n->fparam, 1.0f / (1.0f - n->fparam));
        else
            LC_CU(c, cudaMemcpyAsync(n->daux, d->s->val, (size_t)s->nnz * sizeof(float),
                                     cudaMemcpyDeviceToDevice, c->stream));
    }
    const float one = 1.0f, zero = 0.0f;
    LC_CUSPARSE(c, lc_cuda.spmm(c->sparse, CUSPARSE_OPERATION_NON_TRANSPOSE,
                                CUSPARSE_OPERATION_NON_TRANSPOSE, &one, d->a, d->x, &zero, d->y,
                                CUDA_R_32F, d->alg, d->pre ? d->pre : c->work));
}
static void spmm_bwd(lc_cgraph_t *cg, lc_i_node *n)
{
    lc_cuda_ctx *c = lc_cuda_of(cg);
    lc_cuda_node *d = &c->nodes[n - cg->nodes];
    if (!IN(0)->dgrad || n->sparse->nnz == 0) return;
    if (n->daux) /* the same mask in the transpose's order */
        gather_k<<<LAUNCH(c, n->sparse->nnz)>>>(n->daux + n->sparse->nnz, n->daux, d->st->source,
                                                n->sparse->nnz);
    const float one = 1.0f;
    LC_CUSPARSE(c, lc_cuda.spmm(c->sparse, CUSPARSE_OPERATION_NON_TRANSPOSE,
                                CUSPARSE_OPERATION_NON_TRANSPOSE, &one, d->at, d->dy, &one, d->dx,
                                CUDA_R_32F, d->alg_t, d->pre_t ? d->pre_t : c->work));
}

/* ---------- add, bias, scale, mul ---------- */
__global__ void add_k(float *y, const float *a, const float *b, int64_t len)
{
    FOR_EACH(i, len) y[i] = a[i] + b[i];
}
static void add_fwd(lc_cgraph_t *cg, lc_i_node *n)
{
    lc_cuda_ctx *c = lc_cuda_of(cg);
    const int64_t len = lc_i_node_numel(n);
    add_k<<<LAUNCH(c, len)>>>(n->dvalue, IN(0)->dvalue, IN(1)->dvalue, len);
}
static void add_bwd(lc_cgraph_t *cg, lc_i_node *n)
{
    lc_cuda_ctx *c = lc_cuda_of(cg);
    for (int k = 0; k < 2; k++)
        if (IN(k)->dgrad) axpy(c, IN(k)->dgrad, n->dgrad, 1.0f, lc_i_node_numel(n));
}

__global__ void bias_k(float *y, const float *x, const float *b, int64_t len, int64_t cols)
{
    FOR_EACH(i, len) y[i] = x[i] + b[i % cols];
}
static void bias_fwd(lc_cgraph_t *cg, lc_i_node *n)
{
    lc_cuda_ctx *c = lc_cuda_of(cg);
    const int64_t len = lc_i_node_numel(n);
    bias_k<<<LAUNCH(c, len)>>>(n->dvalue, IN(0)->dvalue, IN(1)->dvalue, len, lc_i_node_cols(n));
}
static void bias_bwd(lc_cgraph_t *cg, lc_i_node *n)
{
    lc_cuda_ctx *c = lc_cuda_of(cg);
    const int64_t rows = lc_i_node_rows(n), cols = lc_i_node_cols(n);
    if (IN(0)->dgrad) axpy(c, IN(0)->dgrad, n->dgrad, 1.0f, rows * cols);
    if (IN(1)->dgrad) { /* db += dYᵀ·1: dY row-major [rows, cols] is column-major [cols, rows] */
        const float one = 1.0f;
        LC_CUBLAS(c, lc_cuda.sgemv(c->blas, CUBLAS_OP_N, (int)cols, (int)rows, &one, n->dgrad,
                                 (int)cols, c->ones, 1, &one, IN(1)->dgrad, 1));
    }
}

__global__ void scale_k(float *y, const float *x, float alpha, int64_t len)
{
    FOR_EACH(i, len) y[i] = alpha * x[i];
}
static void scale_fwd(lc_cgraph_t *cg, lc_i_node *n)
{
    lc_cuda_ctx *c = lc_cuda_of(cg);
    const int64_t len = lc_i_node_numel(n);
    scale_k<<<LAUNCH(c, len)>>>(n->dvalue, IN(0)->dvalue, n->fparam, len);
}
static void scale_bwd(lc_cgraph_t *cg, lc_i_node *n)
{
    if (IN(0)->dgrad) axpy(lc_cuda_of(cg), IN(0)->dgrad, n->dgrad, n->fparam, lc_i_node_numel(n));
}

__global__ void mul_k(float *y, const float *a, const float *b, int64_t len)
{
    FOR_EACH(i, len) y[i] = a[i] * b[i];
}
__global__ void mul_acc_k(float *d, const float *dy, const float *other, int64_t len)
{
    FOR_EACH(i, len) d[i] += dy[i] * other[i];
}
static void mul_fwd(lc_cgraph_t *cg, lc_i_node *n)
{
    lc_cuda_ctx *c = lc_cuda_of(cg);
    const int64_t len = lc_i_node_numel(n);
    mul_k<<<LAUNCH(c, len)>>>(n->dvalue, IN(0)->dvalue, IN(1)->dvalue, len);
}
static void mul_bwd(lc_cgraph_t *cg, lc_i_node *n)
{
    lc_cuda_ctx *c = lc_cuda_of(cg);
    const int64_t len = lc_i_node_numel(n);
    /* a and b may be the same node: both terms land in its gradient, in turn */
    if (IN(0)->dgrad) mul_acc_k<<<LAUNCH(c, len)>>>(IN(0)->dgrad, n->dgrad, IN(1)->dvalue, len);
    if (IN(1)->dgrad) mul_acc_k<<<LAUNCH(c, len)>>>(IN(1)->dgrad, n->dgrad, IN(0)->dvalue, len);
}

/* ---------- element-wise activations (the CPU's formulas) ---------- */
#define ACTIVATION(name, FWD, DERIV)                                                               \
    __global__ void name##_fwd_k(float *ys, const float *xs, float a, int64_t len)               \
    {                                                                                              \
        FOR_EACH(i, len)                                                                           \
        {                                                                                          \
            const float x = xs[i];                                                                 \
            ys[i] = (FWD);                                                                         \
        }                                                                                          \
    }                                                                                              \
    __global__ void name##_bwd_k(float *dx, const float *dy, const float *xs, const float *ys,   \
                                 float a, int64_t len)                                             \
    {                                                                                              \
        FOR_EACH(i, len)                                                                           \
        {                                                                                          \
            const float x = xs[i], y = ys[i];                                                      \
            (void)x, (void)y, (void)a;                                                             \
            dx[i] += dy[i] * (DERIV);                                                              \
        }                                                                                          \
    }                                                                                              \
    static void name##_fwd(lc_cgraph_t *cg, lc_i_node *n)                                        \
    {                                                                                              \
        lc_cuda_ctx *c = lc_cuda_of(cg);                                                           \
        const int64_t len = lc_i_node_numel(n);                                                           \
        name##_fwd_k<<<LAUNCH(c, len)>>>(n->dvalue, IN(0)->dvalue, n->fparam, len);               \
    }                                                                                              \
    static void name##_bwd(lc_cgraph_t *cg, lc_i_node *n)                                        \
    {                                                                                              \
        lc_cuda_ctx *c = lc_cuda_of(cg);                                                           \
        const int64_t len = lc_i_node_numel(n);                                                           \
        if (IN(0)->dgrad)                                                                          \
            name##_bwd_k<<<LAUNCH(c, len)>>>(IN(0)->dgrad, n->dgrad, IN(0)->dvalue, n->dvalue,    \
                                             n->fparam, len);                                      \
    }

ACTIVATION(relu, x > 0 ? x : 0.0f, y > 0 ? 1.0f : 0.0f) /* y > 0 exactly when x > 0 */
ACTIVATION(leaky_relu, x > 0 ? x : a * x, x > 0 ? 1.0f : a)
ACTIVATION(elu, x > 0 ? x : a * expm1f(x), x > 0 ? 1.0f : y + a)
ACTIVATION(tanh, tanhf(x), 1.0f - y * y)
ACTIVATION(sigmoid, 1.0f / (1.0f + expf(-x)), y * (1.0f - y))

/* ---------- dropout ---------- */
__global__ void dropout_k(float *y, float *mask, const float *x, int64_t len, uint64_t key,
                          float p, float keep_scale)
{
    FOR_EACH(i, len)
    {
        const float m = hash_uniform(key, (uint64_t)i) >= p ? keep_scale : 0.0f;
        mask[i] = m;
        y[i] = x[i] * m;
    }
}
static void dropout_fwd(lc_cgraph_t *cg, lc_i_node *n)
{
    lc_cuda_ctx *c = lc_cuda_of(cg);
    const int64_t len = lc_i_node_numel(n);
    const float p = n->fparam;
    if (!cg->training || p == 0.0f) {
        LC_CU(c, cudaMemcpyAsync(n->dvalue, IN(0)->dvalue, (size_t)len * sizeof(float),
                                 cudaMemcpyDeviceToDevice, c->stream));
        return;
    }
    dropout_k<<<LAUNCH(c, len)>>>(n->dvalue, n->daux, IN(0)->dvalue, len, lc_rng_next(&cg->rng), p,
                                  1.0f / (1.0f - p));
}
static void dropout_bwd(lc_cgraph_t *cg, lc_i_node *n)
{
    lc_cuda_ctx *c = lc_cuda_of(cg);
    const int64_t len = lc_i_node_numel(n);
    if (!IN(0)->dgrad) return;
    if (!cg->training || n->fparam == 0.0f) axpy(c, IN(0)->dgrad, n->dgrad, 1.0f, len);
    else mul_acc_k<<<LAUNCH(c, len)>>>(IN(0)->dgrad, n->dgrad, n->daux, len);
}

/* ---------- log-softmax: one warp per row, lanes over the columns ---------- */
__device__ __forceinline__ float warp_max(float v)
{
    for (int o = 16; o > 0; o >>= 1)
        v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
    return v;
}
template <typename T> __device__ __forceinline__ T warp_sum(T v)
{
    for (int o = 16; o > 0; o >>= 1)
        v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}
__global__ void log_softmax_k(float *y, const float *x, int64_t rows, int64_t cols)
{
    const int lane = threadIdx.x & 31;
    const int64_t warps = (int64_t)gridDim.x * (blockDim.x / 32);
    for (int64_t r = ((int64_t)blockIdx.x * blockDim.x + threadIdx.x) / 32; r < rows; r += warps) {
        const float *xr = x + r * cols;
        float mx = -INFINITY;
        for (int64_t j = lane; j < cols; j += 32)
            mx = fmaxf(mx, xr[j]);
        mx = warp_max(mx);
        /* in double, as the CPU: a confident row's log-probability near 0 keeps its digits */
        double s = 0;
        for (int64_t j = lane; j < cols; j += 32)
            s += exp((double)(xr[j] - mx));
        const float lse = mx + (float)log(warp_sum(s));
        for (int64_t j = lane; j < cols; j += 32)
            y[r * cols + j] = xr[j] - lse;
    }
}
__global__ void log_softmax_bwd_k(float *dx, const float *y, const float *dy, int64_t rows,
                                  int64_t cols)
{
    const int lane = threadIdx.x & 31;
    const int64_t warps = (int64_t)gridDim.x * (blockDim.x / 32);
    for (int64_t r = ((int64_t)blockIdx.x * blockDim.x + threadIdx.x) / 32; r < rows; r += warps) {
        float s = 0;
        for (int64_t j = lane; j < cols; j += 32) s += dy[r * cols + j];
        s = warp_sum(s);
        for (int64_t j = lane; j < cols; j += 32)
            dx[r * cols + j] += dy[r * cols + j] - expf(y[r * cols + j]) * s;
    }
}
static unsigned warp_blocks(int64_t rows) { return blocks_for(rows * 32); }
static void log_softmax_fwd(lc_cgraph_t *cg, lc_i_node *n)
{
    lc_cuda_ctx *c = lc_cuda_of(cg);
    const int64_t rows = lc_i_node_rows(n);
    log_softmax_k<<<warp_blocks(rows), THREADS, 0, c->stream>>>(n->dvalue, IN(0)->dvalue, rows,
                                                                lc_i_node_cols(n));
}
static void log_softmax_bwd(lc_cgraph_t *cg, lc_i_node *n)
{
    lc_cuda_ctx *c = lc_cuda_of(cg);
    const int64_t rows = lc_i_node_rows(n);
    if (IN(0)->dgrad)
        log_softmax_bwd_k<<<warp_blocks(rows), THREADS, 0, c->stream>>>(
            IN(0)->dgrad, n->dvalue, n->dgrad, rows, lc_i_node_cols(n));
}

/* ---------- reductions to a scalar: a fixed grid of partial sums, then one block ----------
 * Pass 1: each of `parts` blocks (a function of the length alone) reduces a
 * grid-stride share of the terms by a fixed tree, two sums at once (the loss
 * and its count for cross-entropy); pass 2: one block sums the parts in index
 * order. No atomics, so the same inputs give the same bits. */
__device__ double block_sum(double v)
{
    __shared__ double part[THREADS];
    part[threadIdx.x] = v;
    __syncthreads();
    for (int s = THREADS / 2; s > 0; s >>= 1) {
        if (threadIdx.x < s) part[threadIdx.x] += part[threadIdx.x + s];
        __syncthreads();
    }
    const double total = part[0];
    __syncthreads();
    return total;
}

template <typename Term> __global__ void partial_sums_k(double *part, int64_t len, Term term)
{
    double s = 0, k = 0;
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < len;
         i += (int64_t)gridDim.x * blockDim.x)
        term(i, s, k);
    s = block_sum(s);
    k = block_sum(k);
    if (threadIdx.x == 0) part[blockIdx.x] = s, part[LC_CUDA_REDUCE_PARTS + blockIdx.x] = k;
}
template <typename Finish> __global__ void finish_sums_k(const double *part, int parts, Finish fin)
{
    double s = 0, k = 0;
    for (int i = threadIdx.x; i < parts; i += blockDim.x)
        s += part[i], k += part[LC_CUDA_REDUCE_PARTS + i];
    s = block_sum(s);
    k = block_sum(k);
    if (threadIdx.x == 0) fin(s, k);
}
template <typename Term, typename Finish>
static void reduce(lc_cuda_ctx *c, int64_t len, Term term, Finish fin)
{
    const int64_t blocks = (len + THREADS - 1) / THREADS;
    const int parts = (int)(blocks < 1                      ? 1
                            : blocks < LC_CUDA_REDUCE_PARTS ? blocks
                                                            : LC_CUDA_REDUCE_PARTS);
    partial_sums_k<<<parts, THREADS, 0, c->stream>>>(c->partials, len, term);
    finish_sums_k<<<1, THREADS, 0, c->stream>>>(c->partials, parts, fin);
}

/* The CPU's rule: masked rows whose label is a valid class. */
__device__ __forceinline__ bool ce_row(const int32_t *labels, const uint8_t *mask, int64_t r,
                                       int64_t cols)
{
    return mask[r] && labels[r] >= 0 && labels[r] < cols;
}
struct ce_term {
    const float *logp;
    const int32_t *labels;
    const uint8_t *mask;
    int64_t cols;
    __device__ void operator()(int64_t r, double &s, double &k) const
    {
        if (ce_row(labels, mask, r, cols)) s -= logp[r * cols + labels[r]], k += 1;
    }
};
struct ce_finish { /* the mean over the rows counted, and their count for the backward */
    float *loss, *count;
    __device__ void operator()(double s, double k) const
    {
        *loss = k > 0 ? (float)(s / k) : 0.0f;
        *count = (float)k;
    }
};
__global__ void cross_entropy_bwd_k(float *dx, const float *dloss, const float *count,
                                    const int32_t *labels, const uint8_t *mask, int64_t rows,
                                    int64_t cols)
{
    if (*count == 0) return;
    const float g = -*dloss / *count;
    FOR_EACH(r, rows) if (ce_row(labels, mask, r, cols)) dx[r * cols + labels[r]] += g;
}
static void cross_entropy_fwd(lc_cgraph_t *cg, lc_i_node *n)
{
    lc_cuda_ctx *c = lc_cuda_of(cg);
    lc_cuda_node *d = &c->nodes[n - cg->nodes];
    const int64_t rows = lc_i_node_rows(IN(0)), cols = lc_i_node_cols(IN(0));
    /* its labels and mask went up at the pass's start (device.cu: cuda_begin_forward) */
    reduce(c, rows, ce_term{IN(0)->dvalue, d->labels, d->mask, cols},
           ce_finish{n->dvalue, d->count});
}
static void cross_entropy_bwd(lc_cgraph_t *cg, lc_i_node *n)
{
    lc_cuda_ctx *c = lc_cuda_of(cg);
    lc_cuda_node *d = &c->nodes[n - cg->nodes];
    const int64_t rows = lc_i_node_rows(IN(0));
    if (IN(0)->dgrad)
        cross_entropy_bwd_k<<<LAUNCH(c, rows)>>>(IN(0)->dgrad, n->dgrad, d->count, d->labels,
                                                 d->mask, rows, lc_i_node_cols(IN(0)));
}

struct sum_term {
    const float *x;
    __device__ void operator()(int64_t i, double &s, double &) const { s += x[i]; }
};
struct scalar_finish { /* s / divisor */
    float *y;
    double divisor;
    __device__ void operator()(double s, double) const { *y = (float)(s / divisor); }
};
__global__ void add_scalar_k(float *d, const float *g, float factor, int64_t len)
{
    const float v = *g * factor;
    FOR_EACH(i, len) d[i] += v;
}
static void sum_fwd(lc_cgraph_t *cg, lc_i_node *n)
{
    const int64_t len = lc_i_node_numel(IN(0));
    reduce(lc_cuda_of(cg), len, sum_term{IN(0)->dvalue},
           scalar_finish{n->dvalue, n->op == LC_OP_MEAN ? (double)len : 1.0});
}
static void sum_bwd(lc_cgraph_t *cg, lc_i_node *n)
{
    lc_cuda_ctx *c = lc_cuda_of(cg);
    const int64_t len = lc_i_node_numel(IN(0));
    if (IN(0)->dgrad)
        add_scalar_k<<<LAUNCH(c, len)>>>(IN(0)->dgrad, n->dgrad,
                                         n->op == LC_OP_MEAN ? 1.0f / (float)len : 1.0f, len);
}

struct mse_term {
    const float *a, *b;
    __device__ void operator()(int64_t i, double &s, double &) const
    {
        const double d = (double)(a[i] - b[i]);
        s += d * d;
    }
};
__global__ void mse_bwd_k(float *da, float *db, const float *a, const float *b, const float *dloss,
                          int64_t len)
{
    const float g = 2.0f * *dloss / (float)len;
    FOR_EACH(i, len)
    {
        const float d = g * (a[i] - b[i]);
        if (da) da[i] += d;
        if (db) db[i] -= d;
    }
}
static void mse_fwd(lc_cgraph_t *cg, lc_i_node *n)
{
    const int64_t len = lc_i_node_numel(IN(0));
    reduce(lc_cuda_of(cg), len, mse_term{IN(0)->dvalue, IN(1)->dvalue},
           scalar_finish{n->dvalue, (double)len});
}
static void mse_bwd(lc_cgraph_t *cg, lc_i_node *n)
{
    lc_cuda_ctx *c = lc_cuda_of(cg);
    const int64_t len = lc_i_node_numel(IN(0));
    /* a and b the same node: +d and −d in turn, as on the CPU */
    mse_bwd_k<<<LAUNCH(c, len)>>>(IN(0)->dgrad, IN(1)->dgrad, IN(0)->dvalue, IN(1)->dvalue,
                                  n->dgrad, len);
}

/* ---------- low-rank generators: ops_lowrank.c's GEMMs, call for call, on cuBLAS ----------
 * (aux is daux, in the same layout). The CPU's loops over batch slices ρ whose
 * outputs are distinct become one strided batched GEMM; dV_i, which sums over
 * ρ, keeps the CPU's sequence of GEMMs (one stream: the same order). */

/* gemm_rm over `batch` problems, the k-th at a + k·sa, b + k·sb, y + k·sy */
static void gemm_rm_batched(lc_cuda_ctx *c, bool ta, bool tb, int m, int n, int k, const float *a,
                            int lda, long long sa, const float *b, int ldb, long long sb,
                            float beta, float *y, int ldc, long long sy, int batch)
{
    const float one = 1.0f;
    LC_CUBLAS(c, lc_cuda.sgemm_strided_batched(c->blas, tb ? CUBLAS_OP_T : CUBLAS_OP_N,
                                               ta ? CUBLAS_OP_T : CUBLAS_OP_N, n, m, k, &one, b,
                                               ldb, sb, a, lda, sa, &beta, y, ldc, sy, batch));
}

/* The expand form's generator-i columns of out [n, R, p·c] and a block [n, R·c]
 * (ops_lowrank.c: move_block) */
__global__ void lowrank_block_k(float *out, float *block, int64_t n, int R, int p, int cc, int i,
                                bool out_to_block)
{
    const int64_t m = (int64_t)R * cc;
    FOR_EACH(e, n * m)
    {
        const int64_t v = e / m, rho = e % m / cc, j = e % cc;
        float *o = out + (v * R + rho) * p * cc + (int64_t)i * cc + j;
        if (out_to_block)
            block[e] = *o;
        else
            *o = block[e];
    }
}

static void lowrank_expand_fwd(lc_cgraph_t *cg, lc_i_node *n)
{
    lc_cuda_ctx *c = lc_cuda_of(cg);
    const lc_i_lowrank_dims d = lc_i_lowrank_dims_of(n);
    const int cc = d.f / d.p, m = d.R * cc, pr = d.p * d.r, ld_uv = 2 * pr;
    const float *uv = IN(0)->dvalue, *x = IN(1)->dvalue;
    float *t = n->daux, *block = t + (int64_t)(n->needs_grad ? 2 : 1) * pr * m;
    gemm_rm(c, true, false, pr, m, d.n, 1.0f, uv + pr, ld_uv, x, m, 0.0f, t, m); /* T = Vᵀ·X */
    for (int i = 0; i < d.p; i++) { /* Y_i = U_i·T_i */
        gemm_rm(c, false, false, d.n, m, d.r, 1.0f, uv + i * d.r, ld_uv, t + (int64_t)i * d.r * m,
                m, 0.0f, block, m);
        lowrank_block_k<<<LAUNCH(c, (int64_t)d.n * m)>>>(n->dvalue, block, d.n, d.R, d.p, cc, i,
                                                         false);
    }
}
static void lowrank_expand_bwd(lc_cgraph_t *cg, lc_i_node *n)
{
    lc_cuda_ctx *c = lc_cuda_of(cg);
    lc_i_node *uvn = IN(0), *xn = IN(1);
    if (!uvn->dgrad && !xn->dgrad) return;
    const lc_i_lowrank_dims d = lc_i_lowrank_dims_of(n);
    const int cc = d.f / d.p, m = d.R * cc, pr = d.p * d.r, ld_uv = 2 * pr;
    const float *uv = uvn->dvalue, *x = xn->dvalue, *t = n->daux;
    float *dt = n->daux + (int64_t)pr * m, *block = dt + (int64_t)pr * m, *duv = uvn->dgrad;
    for (int i = 0; i < d.p; i++) {
        lowrank_block_k<<<LAUNCH(c, (int64_t)d.n * m)>>>(n->dgrad, block, d.n, d.R, d.p, cc, i,
                                                         true); /* dY_i */
        if (duv)                                                /* dU_i += dY_i·T_iᵀ */
            gemm_rm(c, false, true, d.n, d.r, m, 1.0f, block, m, t + (int64_t)i * d.r * m, m, 1.0f,
                    duv + i * d.r, ld_uv);
        /* dT_i = U_iᵀ·dY_i */
        gemm_rm(c, true, false, d.r, m, d.n, 1.0f, uv + i * d.r, ld_uv, block, m, 0.0f,
                dt + (int64_t)i * d.r * m, m);
    }
    if (duv) /* dV += X·dTᵀ */
        gemm_rm(c, false, true, d.n, pr, m, 1.0f, x, m, dt, m, 1.0f, duv + pr, ld_uv);
    if (xn->dgrad) /* dX += V·dT */
        gemm_rm(c, false, false, d.n, m, pr, 1.0f, uv + pr, ld_uv, dt, m, 1.0f, xn->dgrad, m);
}

static void lowrank_fwd(lc_cgraph_t *cg, lc_i_node *n)
{
    if (n->iparam[2]) {
        lowrank_expand_fwd(cg, n);
        return;
    }
    lc_cuda_ctx *c = lc_cuda_of(cg);
    const lc_i_lowrank_dims d = lc_i_lowrank_dims_of(n);
    const int pr = d.p * d.r, ld_uv = 2 * pr, ld_z = d.R * d.p * d.f, rf = d.R * d.f;
    const float *uv = IN(0)->dvalue, *z = IN(1)->dvalue;
    float *s = n->daux;
    for (int i = 0; i < d.p; i++) /* S_{i,ρ} = V_iᵀ·Z_{i,ρ}, every ρ */
        gemm_rm_batched(c, true, false, d.r, d.f, d.n, uv + pr + i * d.r, ld_uv, 0,
                        z + (int64_t)i * d.f, ld_z, (long long)d.p * d.f, 0.0f,
                        s + (int64_t)i * d.r * rf, rf, d.f, d.R);
    /* Y = U·S */
    gemm_rm(c, false, false, d.n, rf, pr, 1.0f, uv, ld_uv, s, rf, 0.0f, n->dvalue, rf);
}
static void lowrank_bwd(lc_cgraph_t *cg, lc_i_node *n)
{
    if (n->iparam[2]) {
        lowrank_expand_bwd(cg, n);
        return;
    }
    lc_cuda_ctx *c = lc_cuda_of(cg);
    lc_i_node *uvn = IN(0), *zn = IN(1);
    if (!uvn->dgrad && !zn->dgrad) return;
    const lc_i_lowrank_dims d = lc_i_lowrank_dims_of(n);
    const int pr = d.p * d.r, ld_uv = 2 * pr, ld_z = d.R * d.p * d.f, rf = d.R * d.f;
    const float *uv = uvn->dvalue, *z = zn->dvalue, *dy = n->dgrad, *s = n->daux;
    float *ds = n->daux + (int64_t)pr * rf, *duv = uvn->dgrad, *dz = zn->dgrad;
    if (duv) /* dU += dY·Sᵀ */
        gemm_rm(c, false, true, d.n, pr, rf, 1.0f, dy, rf, s, rf, 1.0f, duv, ld_uv);
    /* dS = Uᵀ·dY */
    gemm_rm(c, true, false, pr, rf, d.n, 1.0f, uv, ld_uv, dy, rf, 0.0f, ds, rf);
    for (int i = 0; i < d.p; i++) {
        const float *ds_i = ds + (int64_t)i * d.r * rf;
        if (duv) /* dV_i += Z_{i,ρ}·dS_{i,ρ}ᵀ, ρ in order */
            for (int rho = 0; rho < d.R; rho++)
                gemm_rm(c, false, true, d.n, d.r, d.f, 1.0f, z + ((int64_t)rho * d.p + i) * d.f,
                        ld_z, ds_i + (int64_t)rho * d.f, rf, 1.0f, duv + pr + i * d.r, ld_uv);
        if (dz) /* dZ_{i,ρ} += V_i·dS_{i,ρ}, every ρ */
            gemm_rm_batched(c, false, false, d.n, d.f, d.r, uv + pr + i * d.r, ld_uv, 0, ds_i, rf,
                            d.f, 1.0f, dz + (int64_t)i * d.f, ld_z, (long long)d.p * d.f, d.R);
    }
}

/* ---------- diffusion: CHOLMOD's solves on the host, as on the CPU (no GPU
 * factorisation here): the input comes home, the result goes back, and each
 * pass waits for the stream there (device.cu: diffusion_host) ---------- */
/* in (device) comes home, the solve writes out: y = A⁻¹·M·x, or for the
 * adjoint out += M·A⁻¹·in, out's values then coming home first too */
static void diffusion_on_host(lc_cgraph_t *cg, lc_i_node *n, const float *in, float *out,
                              int adjoint)
{
    lc_cuda_ctx *c = lc_cuda_of(cg);
    const lc_cuda_node *d = &c->nodes[n - cg->nodes];
    const lc_diffusion_t *op = (const lc_diffusion_t *)n->ptr;
    const int64_t numel = lc_i_node_numel(n);
    const size_t bytes = (size_t)numel * sizeof(float);
    float *x = d->host, *y = d->host + numel;
    if (!LC_CU(c, cudaMemcpyAsync(x, in, bytes, cudaMemcpyDeviceToHost, c->stream)) ||
        (adjoint && !LC_CU(c, cudaMemcpyAsync(y, out, bytes, cudaMemcpyDeviceToHost, c->stream))) ||
        !LC_CU(c, cudaStreamSynchronize(c->stream)))
        return;
    lc_i_diffusion_host(op, x, y, numel / lc_diffusion_size(op), d->work, d->work_floats, adjoint);
    LC_CU(c, cudaMemcpyAsync(out, y, bytes, cudaMemcpyHostToDevice, c->stream));
}
static void diffusion_fwd(lc_cgraph_t *cg, lc_i_node *n)
{
    diffusion_on_host(cg, n, IN(0)->dvalue, n->dvalue, 0);
}
static void diffusion_bwd(lc_cgraph_t *cg, lc_i_node *n)
{
    if (IN(0)->dgrad) diffusion_on_host(cg, n, n->dgrad, IN(0)->dgrad, 1);
}

/* ---------- concat along the last dimension, flatten, reshape ---------- */
__global__ void concat_k(float *y, const float *a, const float *b, int64_t rows, int64_t ca,
                         int64_t cb)
{
    FOR_EACH(i, rows * (ca + cb))
    {
        const int64_t r = i / (ca + cb), j = i % (ca + cb);
        y[i] = j < ca ? a[r * ca + j] : b[r * cb + j - ca];
    }
}
__global__ void concat_bwd_k(float *dx, const float *dy, int64_t rows, int64_t c, int64_t width,
                             int64_t off)
{
    FOR_EACH(i, rows * c) dx[i] += dy[(i / c) * width + off + i % c];
}
static void concat_fwd(lc_cgraph_t *cg, lc_i_node *n)
{
    lc_cuda_ctx *c = lc_cuda_of(cg);
    const int64_t rows = lc_i_node_rows(n);
    concat_k<<<LAUNCH(c, lc_i_node_numel(n))>>>(n->dvalue, IN(0)->dvalue, IN(1)->dvalue, rows,
                                         lc_i_node_cols(IN(0)), lc_i_node_cols(IN(1)));
}
static void concat_bwd(lc_cgraph_t *cg, lc_i_node *n)
{
    lc_cuda_ctx *c = lc_cuda_of(cg);
    const int64_t rows = lc_i_node_rows(n), ca = lc_i_node_cols(IN(0)), cb = lc_i_node_cols(IN(1));
    if (IN(0)->dgrad) concat_bwd_k<<<LAUNCH(c, rows * ca)>>>(IN(0)->dgrad, n->dgrad, rows, ca, ca + cb, 0);
    if (IN(1)->dgrad) concat_bwd_k<<<LAUNCH(c, rows * cb)>>>(IN(1)->dgrad, n->dgrad, rows, cb, ca + cb, ca);
}

/* x [n, B, c] → y [B, n·c] */
__global__ void flatten_k(float *y, const float *x, int64_t n, int64_t batch, int64_t c)
{
    FOR_EACH(i, n * batch * c)
    {
        const int64_t b = i / (n * c), k = (i / c) % n, j = i % c;
        y[i] = x[(k * batch + b) * c + j];
    }
}
__global__ void flatten_bwd_k(float *dx, const float *dy, int64_t n, int64_t batch, int64_t c)
{
    FOR_EACH(i, n * batch * c)
    {
        const int64_t b = i / (n * c), k = (i / c) % n, j = i % c;
        dx[(k * batch + b) * c + j] += dy[i];
    }
}
static void flatten_fwd(lc_cgraph_t *cg, lc_i_node *n)
{
    lc_cuda_ctx *c = lc_cuda_of(cg);
    const lc_i_node *x = IN(0);
    flatten_k<<<LAUNCH(c, lc_i_node_numel(x))>>>(n->dvalue, x->dvalue, x->shape[0], n->shape[0], lc_i_node_cols(x));
}
static void flatten_bwd(lc_cgraph_t *cg, lc_i_node *n)
{
    lc_cuda_ctx *c = lc_cuda_of(cg);
    const lc_i_node *x = IN(0);
    if (x->dgrad)
        flatten_bwd_k<<<LAUNCH(c, lc_i_node_numel(x))>>>(x->dgrad, n->dgrad, x->shape[0], n->shape[0],
                                                  lc_i_node_cols(x));
}
static void reshape_fwd(lc_cgraph_t *cg, lc_i_node *n)
{
    lc_cuda_ctx *c = lc_cuda_of(cg);
    LC_CU(c, cudaMemcpyAsync(n->dvalue, IN(0)->dvalue, (size_t)lc_i_node_numel(n) * sizeof(float),
                             cudaMemcpyDeviceToDevice, c->stream));
}
static void reshape_bwd(lc_cgraph_t *cg, lc_i_node *n)
{
    if (IN(0)->dgrad) axpy(lc_cuda_of(cg), IN(0)->dgrad, n->dgrad, 1.0f, lc_i_node_numel(n));
}

/* ---------- edge-weighted generators (ops_edge.c's layout) ----------
 * Tensors are [n, R, blocks, f]; generator i reads input block ib(i) and
 * writes output block ob(i). One block of threads per output row; each
 * thread owns output elements and sums its row's entries in CSR order, then
 * the generators in order: the CPU's order, without atomics. */
struct edge_shape {
    int64_t n, R, p, f;
    /* spread: generator i writes output block i from input block 0 (the
     * forward of expand, the backward of sum); else every generator adds to
     * output block 0 from input block i. */
    bool spread;
    bool vf;
};

__device__ __forceinline__ float out_weight(const int32_t *rowptr, const float *w, int64_t p,
                                            int64_t v, int64_t i)
{
    float s = 0;
    for (int64_t k = rowptr[v]; k < rowptr[v + 1]; k++) s += w[k * p + i];
    return s;
}

/* out[v] (+)= Σ_{k in row v of A} Σ_i w[e(k), i] · in[col k] (− deg_i(v)·in[v]). A is the
 * operator or its transpose (then e(k) = source[k]); deg_i sums row v of the
 * forward operator (fwd_rowptr), whose entries index w. */
__global__ void edge_gather_k(float *out, const float *in, const float *w, const int32_t *rowptr,
                              const int32_t *col, const int32_t *source,
                              const int32_t *fwd_rowptr, edge_shape s, bool accumulate)
{
    const int64_t in_blocks = s.spread ? 1 : s.p, out_blocks = s.spread ? s.p : 1;
    const int64_t width = s.R * out_blocks * s.f;
    for (int64_t v = blockIdx.x; v < s.n; v += gridDim.x) {
        for (int64_t o = threadIdx.x; o < width; o += blockDim.x) {
            const int64_t r = o / (out_blocks * s.f), ob = (o / s.f) % out_blocks, j = o % s.f;
            /* the generators this output element sums: i = ob alone, or all */
            const int64_t i0 = s.spread ? ob : 0, i1 = s.spread ? ob + 1 : s.p;
            float acc = 0;
            for (int64_t k = rowptr[v]; k < rowptr[v + 1]; k++) {
                const int64_t u = col[k], e = source ? source[k] : k;
                for (int64_t i = i0; i < i1; i++) {
                    const float we = w[e * s.p + i];
                    if (we == 0.0f) continue;
                    acc += we * in[((u * s.R + r) * in_blocks + (s.spread ? 0 : i)) * s.f + j];
                }
            }
            if (s.vf)
                for (int64_t i = i0; i < i1; i++)
                    acc -= out_weight(fwd_rowptr, w, s.p, v, i) *
                           in[((v * s.R + r) * in_blocks + (s.spread ? 0 : i)) * s.f + j];
            float *dst = out + v * width + o;
            *dst = accumulate ? *dst + acc : acc;
        }
    }
}

/* dw[k, i] += Σ_r <dY_i[tail], Z_i[head] (− Z_i[tail])>: one warp per entry k. */
__global__ void edge_sddmm_k(float *dw, const float *dy, const float *z, const int32_t *row_of,
                             const int32_t *col, int64_t nnz, int64_t R, int64_t p, int64_t f,
                             bool expand, bool vf)
{
    const int lane = threadIdx.x & 31;
    const int64_t zp = expand ? 1 : p, yp = expand ? p : 1;
    const int64_t warps = (int64_t)gridDim.x * (blockDim.x / 32);
    for (int64_t k = ((int64_t)blockIdx.x * blockDim.x + threadIdx.x) / 32; k < nnz; k += warps) {
        const int64_t t = row_of[k], h = col[k];
        for (int64_t i = 0; i < p; i++) {
            const int64_t zb = expand ? 0 : i, yb = expand ? i : 0;
            double s = 0;
            for (int64_t r = 0; r < R; r++) {
                const float *g = dy + ((t * R + r) * yp + yb) * f;
                const float *zh = z + ((h * R + r) * zp + zb) * f;
                const float *zt = z + ((t * R + r) * zp + zb) * f;
                float acc = 0;
                for (int64_t j = lane; j < f; j += 32) acc += g[j] * (vf ? zh[j] - zt[j] : zh[j]);
                s += warp_sum(acc);
            }
            if (lane == 0) dw[k * p + i] += (float)s;
        }
    }
}

/* The op's dimensions as ops_edge.c reads them; backward swaps the roles of
 * input and output blocks. */
static edge_shape edge_dims(const lc_cgraph_t *cg, const lc_i_node *n, bool backward)
{
    const lc_i_node *z = IN(0);
    const bool expand = n->iparam[2] != 0;
    edge_shape s;
    s.n = z->shape[0];
    s.p = n->iparam[1];
    const int64_t zp = expand ? 1 : s.p;
    s.f = lc_i_node_cols(z) / zp;
    s.R = lc_i_node_numel(z) / (s.n * zp * s.f);
    s.vf = n->iparam[0] == LC_LCONV_VECTOR_FIELD;
    s.spread = backward ? !expand : expand;
    return s;
}

static unsigned row_blocks(int64_t rows) { return (unsigned)(rows < (1 << 20) ? (rows > 0 ? rows : 1) : (1 << 20)); }

static void edge_conv_fwd(lc_cgraph_t *cg, lc_i_node *n)
{
    lc_cuda_ctx *c = lc_cuda_of(cg);
    const lc_cuda_node *d = &c->nodes[n - cg->nodes];
    const edge_shape s = edge_dims(cg, n, false);
    edge_gather_k<<<row_blocks(s.n), THREADS, 0, c->stream>>>(
        n->dvalue, IN(0)->dvalue, IN(1)->dvalue, d->s->rowptr, d->s->col, NULL, d->s->rowptr, s,
        false);
}
static void edge_conv_bwd(lc_cgraph_t *cg, lc_i_node *n)
{
    lc_cuda_ctx *c = lc_cuda_of(cg);
    const lc_cuda_node *d = &c->nodes[n - cg->nodes];
    lc_i_node *z = IN(0), *w = IN(1);
    if (z->dgrad) {
        const edge_shape s = edge_dims(cg, n, true);
        edge_gather_k<<<row_blocks(s.n), THREADS, 0, c->stream>>>(
            z->dgrad, n->dgrad, w->dvalue, d->st->rowptr, d->st->col, d->st->source, d->s->rowptr,
            s, true);
    }
    const int64_t nnz = n->sparse->nnz;
    if (w->dgrad && nnz > 0) {
        const edge_shape s = edge_dims(cg, n, false);
        edge_sddmm_k<<<warp_blocks(nnz), THREADS, 0, c->stream>>>(
            w->dgrad, n->dgrad, z->dvalue, d->s->row_of, d->s->col, nnz, s.R, s.p, s.f,
            n->iparam[2] != 0, s.vf);
    }
}

/* ---------- pooling per graph: one thread per (graph, column), nodes in order ---------- */
__global__ void pool_sum_k(float *y, const float *x, const int32_t *group_ptr,
                           const int32_t *members, int64_t groups, int64_t w, bool mean)
{
    FOR_EACH(o, groups * w)
    {
        const int64_t g = o / w, j = o % w;
        double acc = 0;
        for (int64_t k = group_ptr[g]; k < group_ptr[g + 1]; k++) acc += x[members[k] * w + j];
        const int64_t count = group_ptr[g + 1] - group_ptr[g];
        y[o] = (float)(mean && count > 0 ? acc / (double)count : acc);
    }
}
__global__ void pool_max_k(float *y, int32_t *arg, const float *x, const int32_t *group_ptr,
                           const int32_t *members, int64_t groups, int64_t w)
{
    FOR_EACH(o, groups * w)
    {
        const int64_t g = o / w, j = o % w;
        int32_t best = -1;
        float v = 0.0f;
        for (int64_t k = group_ptr[g]; k < group_ptr[g + 1]; k++) {
            const float xk = x[members[k] * w + j];
            /* strictly greater: ties stay with the first node; a NaN wins so that it shows */
            if (best < 0 || xk > v || (isnan(xk) && !isnan(v))) v = xk, best = members[k];
        }
        y[o] = best < 0 ? 0.0f : v;
        arg[o] = best;
    }
}
__global__ void pool_sum_bwd_k(float *dx, const float *dy, const int32_t *graph_of,
                               const int32_t *group_ptr, int64_t n, int64_t w, bool mean)
{
    FOR_EACH(i, n * w)
    {
        const int64_t k = i / w, j = i % w, g = graph_of ? graph_of[k] : 0;
        const float scale = mean ? (float)(1.0 / (double)(group_ptr[g + 1] - group_ptr[g])) : 1.0f;
        dx[k * w + j] += scale * dy[g * w + j];
    }
}
__global__ void pool_max_bwd_k(float *dx, const float *dy, const int32_t *arg, int64_t len,
                               int64_t w)
{
    FOR_EACH(o, len) if (arg[o] >= 0) dx[arg[o] * w + o % w] += dy[o];
}
static void pool_fwd(lc_cgraph_t *cg, lc_i_node *n)
{
    lc_cuda_ctx *c = lc_cuda_of(cg);
    const lc_cuda_node *d = &c->nodes[n - cg->nodes];
    const int64_t groups = n->shape[0], w = lc_i_node_numel(n) / groups;
    if (n->iparam[0] == LC_POOL_MAX)
        pool_max_k<<<LAUNCH(c, groups * w)>>>(n->dvalue, (int32_t *)n->daux, IN(0)->dvalue,
                                              d->group_ptr, d->members, groups, w);
    else
        pool_sum_k<<<LAUNCH(c, groups * w)>>>(n->dvalue, IN(0)->dvalue, d->group_ptr, d->members,
                                              groups, w, n->iparam[0] == LC_POOL_MEAN);
}
static void pool_bwd(lc_cgraph_t *cg, lc_i_node *n)
{
    lc_cuda_ctx *c = lc_cuda_of(cg);
    const lc_cuda_node *d = &c->nodes[n - cg->nodes];
    lc_i_node *x = IN(0);
    if (!x->dgrad) return;
    const int64_t groups = n->shape[0], w = lc_i_node_numel(n) / groups, nodes = x->shape[0];
    if (n->iparam[0] == LC_POOL_MAX)
        pool_max_bwd_k<<<LAUNCH(c, groups * w)>>>(x->dgrad, n->dgrad, (const int32_t *)n->daux,
                                                  groups * w, w);
    else
        pool_sum_bwd_k<<<LAUNCH(c, nodes * w)>>>(x->dgrad, n->dgrad, d->graph_of, d->group_ptr,
                                                 nodes, w, n->iparam[0] == LC_POOL_MEAN);
}

/* ---------- optimizers (optim.c's formulas) ---------- */
__global__ void optim_k(lc_optim_kind kind, float lr, float momentum, float beta1, float beta2,
                        float eps, float wd, bool first, float bc1, float bc2_sqrt, float *w,
                        const float *g, float *m, float *v, int64_t len)
{
    FOR_EACH(i, len)
    {
        if (kind == LC_OPTIM_SGD) {
            const float gi = g[i] + wd * w[i];
            m[i] = first ? gi : momentum * m[i] + gi;
            w[i] -= lr * (momentum > 0 ? m[i] : gi);
        } else {
            const bool decoupled = kind == LC_OPTIM_ADAMW;
            const float gi = decoupled ? g[i] : g[i] + wd * w[i];
            if (decoupled) w[i] *= 1.0f - lr * wd;
            m[i] = beta1 * m[i] + (1.0f - beta1) * gi;
            v[i] = beta2 * v[i] + (1.0f - beta2) * gi * gi;
            w[i] -= (lr / bc1) * m[i] / (sqrtf(v[i]) / bc2_sqrt + eps);
        }
    }
}
void lc_cuda_optim_update(lc_cgraph_t *cg, const lc_optim_config *cfg, int64_t step, float bc1,
                          float bc2_sqrt, float weight_decay, float *w, const float *g, float *m,
                          float *v, int64_t len)
{
    lc_cuda_ctx *c = lc_cuda_of(cg);
    if (len > 0)
        optim_k<<<LAUNCH(c, len)>>>(cfg->kind, cfg->lr, cfg->momentum, cfg->beta1, cfg->beta2,
                                    cfg->eps, weight_decay, step == 1, bc1, bc2_sqrt, w, g, m, v,
                                    len);
}

static void noop(lc_cgraph_t *cg, lc_i_node *n) { (void)cg, (void)n; }

void lc_cuda_fill_kernels(lc_i_backend *be)
{
    struct { lc_i_op op; lc_i_kernel fwd, bwd;
    } table[] = {
        {LC_OP_CONSTANT, noop, noop},
        {LC_OP_PARAMETER, noop, noop},
        {LC_OP_MATMUL, matmul_fwd, matmul_bwd},
        {LC_OP_SPMM, spmm_fwd, spmm_bwd},
        {LC_OP_ADD, add_fwd, add_bwd},
        {LC_OP_BIAS, bias_fwd, bias_bwd},
        {LC_OP_RELU, relu_fwd, relu_bwd},
        {LC_OP_LEAKY_RELU, leaky_relu_fwd, leaky_relu_bwd},
        {LC_OP_ELU, elu_fwd, elu_bwd},
        {LC_OP_TANH, tanh_fwd, tanh_bwd},
        {LC_OP_SIGMOID, sigmoid_fwd, sigmoid_bwd},
        {LC_OP_DROPOUT, dropout_fwd, dropout_bwd},
        {LC_OP_LOG_SOFTMAX, log_softmax_fwd, log_softmax_bwd},
        {LC_OP_CROSS_ENTROPY, cross_entropy_fwd, cross_entropy_bwd},
        {LC_OP_MSE, mse_fwd, mse_bwd},
        {LC_OP_SUM, sum_fwd, sum_bwd},
        {LC_OP_MEAN, sum_fwd, sum_bwd},
        {LC_OP_CONCAT, concat_fwd, concat_bwd},
        {LC_OP_SCALE, scale_fwd, scale_bwd},
        {LC_OP_EDGE_CONV, edge_conv_fwd, edge_conv_bwd},
        {LC_OP_POOL, pool_fwd, pool_bwd},
        {LC_OP_FLATTEN, flatten_fwd, flatten_bwd},
        {LC_OP_RESHAPE, reshape_fwd, reshape_bwd},
        {LC_OP_MUL, mul_fwd, mul_bwd},
        {LC_OP_LOWRANK, lowrank_fwd, lowrank_bwd},
        {LC_OP_DIFFUSION, diffusion_fwd, diffusion_bwd},
    };
    for (size_t k = 0; k < sizeof table / sizeof table[0]; k++) {
        be->forward[table[k].op] = table[k].fwd;
        be->backward[table[k].op] = table[k].bwd;
    }
}

bool lc_cuda_has_kernel(lc_i_op op)
{
    return lc_i_backend_cuda()->forward[op] != NULL;
}
