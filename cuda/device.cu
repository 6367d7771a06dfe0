/* device.cu — the CUDA backend's memory: one arena per graph, uploads, downloads, and the backend table. */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include "cuda_backend.h"

/* ---------- errors ---------- */

static bool keep_error(lc_cuda_ctx *c, const char *what, const char *why)
{
    if (c && c->error == LC_OK) {
        c->error = LC_ERR_BACKEND;
        snprintf(c->message, sizeof c->message, "%s failed: %s", what, why);
    }
    return false;
}

/* A host allocation of `count` entries for `what` failed. */
static bool keep_oom(lc_cuda_ctx *c, const char *what, int64_t count)
{
    if (c->error == LC_OK) {
        c->error = LC_ERR_OUT_OF_MEMORY;
        snprintf(c->message, sizeof c->message, "cannot allocate %s of %lld entries on the host",
                 what, (long long)count);
    }
    return false;
}

bool lc_cuda_ok(lc_cuda_ctx *c, cudaError_t e, const char *what)
{
    if (e == cudaSuccess) return true;
    /* cleared (a sticky error stays), so that the next launch check,
     * cudaGetLastError in cuda_finish, does not report it a second time */
    (void)cudaGetLastError();
    if (e == cudaErrorMemoryAllocation && c && c->error == LC_OK) {
        c->error = LC_ERR_OUT_OF_MEMORY;
        snprintf(c->message, sizeof c->message, "%s: out of device memory", what);
        return false;
    }
    return keep_error(c, what, cudaGetErrorString(e));
}

lc_status lc_cuda_status(cudaError_t e, const char *what, const char *func)
{
    (void)cudaGetLastError();
    return lc_i_error(e == cudaErrorMemoryAllocation ? LC_ERR_OUT_OF_MEMORY : LC_ERR_BACKEND, func,
                      "%s failed: %s", what, cudaGetErrorString(e));
}

bool lc_cuda_blas_ok(lc_cuda_ctx *c, cublasStatus_t s, const char *what)
{
    if (s == CUBLAS_STATUS_SUCCESS) return true;
    char why[48];
    snprintf(why, sizeof why, "cuBLAS status %d", (int)s);
    return keep_error(c, what, why);
}

bool lc_cuda_sparse_ok(lc_cuda_ctx *c, cusparseStatus_t s, const char *what)
{
    if (s == CUSPARSE_STATUS_SUCCESS) return true;
    return keep_error(c, what, lc_cuda.sparse_error_string(s));
}

/* The kept error as an lc_status (and the message as the thread's last error). */
static lc_status take_error(lc_cuda_ctx *c, const char *func)
{
    lc_status st = c->error;
    if (st == LC_OK) return LC_OK;
    c->error = LC_OK;
    return lc_i_error(st, func, "%s", c->message);
}

/* ---------- cuBLAS and cuSPARSE, opened on first use ---------- */

lc_cuda_api lc_cuda;

#define LC_STR2(x) #x
#define LC_STR(x) LC_STR2(x) /* expands macros first: cublasSgemm is cublasSgemm_v2 */

/* By the major version built against only: another major has another ABI. */
static void *open_library(const char *versioned, char *why, size_t len)
{
    void *h = dlopen(versioned, RTLD_NOW | RTLD_LOCAL);
    if (!h) snprintf(why, len, "cannot open %s: %s", versioned, dlerror());
    return h;
}

static lc_status load_libraries(void)
{
    char why[320] = "";
    void *blas = open_library("libcublas.so." LC_STR(CUBLAS_VER_MAJOR), why, sizeof why);
    void *sp =
        blas ? open_library("libcusparse.so." LC_STR(CUSPARSE_VER_MAJOR), why, sizeof why) : NULL;
    if (!blas || !sp) {
        if (blas) dlclose(blas);
        return lc_i_error(LC_ERR_BACKEND, "lc_i_cuda_available", "%s", why);
    }
    lc_cuda_api api;
    bool ok = true;
#define LOAD(lib, field, sym)                                                                       \
    do {                                                                                           \
        *(void **)&api.field = dlsym(lib, LC_STR(sym));                                            \
        if (!api.field && ok) ok = false, snprintf(why, sizeof why, "%s lacks %s", #lib, LC_STR(sym)); \
    } while (0)
    LOAD(blas, blas_create, cublasCreate);
    LOAD(blas, blas_destroy, cublasDestroy);
    LOAD(blas, blas_set_stream, cublasSetStream);
    LOAD(blas, sgemm, cublasSgemm);
    LOAD(blas, sgemm_strided_batched, cublasSgemmStridedBatched);
    LOAD(blas, sgemv, cublasSgemv);
    LOAD(sp, sparse_create, cusparseCreate);
    LOAD(sp, sparse_destroy, cusparseDestroy);
    LOAD(sp, sparse_set_stream, cusparseSetStream);
    LOAD(sp, sparse_error_string, cusparseGetErrorString);
    LOAD(sp, create_csr, cusparseCreateCsr);
    LOAD(sp, destroy_sp_mat, cusparseDestroySpMat);
    LOAD(sp, create_dn_mat, cusparseCreateDnMat);
    LOAD(sp, destroy_dn_mat, cusparseDestroyDnMat);
    LOAD(sp, spmm_buffer_size, cusparseSpMM_bufferSize);
    LOAD(sp, spmm, cusparseSpMM);
#undef LOAD
    *(void **)&api.spmm_preprocess = dlsym(sp, "cusparseSpMM_preprocess"); /* optional */
    if (!ok) {
        dlclose(sp);
        dlclose(blas);
        return lc_i_error(LC_ERR_BACKEND, "lc_i_cuda_available", "%s", why);
    }
    lc_cuda = api; /* the libraries stay open for the life of the process */
    return LC_OK;
}

lc_status lc_cuda_load(void)
{
    static int loaded; /* 0 not yet, 1 loaded; a failure is retried on the next call */
    if (__atomic_load_n(&loaded, __ATOMIC_ACQUIRE)) return LC_OK;
    lc_i_lazy_lock();
    lc_status st = LC_OK;
    if (!loaded && (st = load_libraries()) == LC_OK) __atomic_store_n(&loaded, 1, __ATOMIC_RELEASE);
    lc_i_lazy_unlock();
    return st;
}

/* Whether the driver library is installed: without it the runtime reports
 * cudaErrorInsufficientDriver, as it does for a driver that is too old. */
static bool driver_installed(void)
{
    void *h = dlopen("libcuda.so.1", RTLD_LAZY | RTLD_LOCAL);
    if (h) dlclose(h);
    return h != NULL;
}

/* LC_ERR_UNSUPPORTED when this machine has no GPU to offer (no driver, no
 * device, an older architecture): the CUDA tests skip; LC_ERR_BACKEND when a
 * GPU is there but cannot be used (driver older than the runtime, cuBLAS or
 * cuSPARSE missing, ...): the tests fail, so a broken GPU machine is seen. */
extern "C" lc_status lc_i_cuda_available(void)
{
    int count = 0;
    cudaError_t e = cudaGetDeviceCount(&count);
    if (e == cudaErrorNoDevice || (e == cudaErrorInsufficientDriver && !driver_installed()))
        return lc_i_error(LC_ERR_UNSUPPORTED, __func__, "no CUDA device present (%s)",
                          cudaGetErrorString(e));
    if (e != cudaSuccess)
        return lc_i_error(LC_ERR_BACKEND, __func__, "no usable CUDA device: %s",
                          cudaGetErrorString(e));
    if (count < 1) return lc_i_error(LC_ERR_UNSUPPORTED, __func__, "no CUDA device present");
    int device = 0, major = 0, minor = 0;
    if (cudaGetDevice(&device) == cudaSuccess &&
        cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, device) == cudaSuccess &&
        cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, device) == cudaSuccess &&
        major < 9)
        return lc_i_error(LC_ERR_UNSUPPORTED, __func__,
                          "this lconv's kernels are built for sm_90 (Hopper) and newer; device %d "
                          "is sm_%d%d (rebuild with NVCCFLAGS for it)",
                          device, major, minor);
    return lc_cuda_load();
}

/* ---------- the arena ---------- */

/* Bump allocation; run once with arena NULL to size, then for real. */
static void *reserve(lc_cuda_ctx *c, size_t bytes)
{
    const size_t off = (c->arena_used + 255) & ~(size_t)255;
    c->arena_used = off + bytes;
    return c->arena ? c->arena + off : NULL;
}

/* The device copy of a CSR, registered once per graph, with its entries'
 * rows (row_of) or, a transpose, their sources when an op asks for them. The
 * sizing pass and the real one ask in the same order, so every array lands
 * at the same offset in both. */
static const lc_cuda_csr *csr_of(lc_cuda_ctx *c, const lc_csr_t *a, bool row_of, bool source)
{
    if (!a) return NULL;
    lc_cuda_csr *d = NULL;
    for (int i = 0; i < c->n_csrs && !d; i++)
        if (c->csrs[i].host == a) d = &c->csrs[i];
    if (!d) {
        d = &c->csrs[c->n_csrs++];
        *d = lc_cuda_csr{};
        d->host = a;
        d->rowptr = (int32_t *)reserve(c, (size_t)(a->n_rows + 1) * sizeof(int32_t));
        d->col = (int32_t *)reserve(c, (size_t)a->nnz * sizeof(int32_t) + 4);
        d->val = (float *)reserve(c, (size_t)a->nnz * sizeof(float) + 4);
    }
    if (row_of && !d->has_row_of) {
        d->has_row_of = true;
        d->row_of = (int32_t *)reserve(c, (size_t)a->nnz * sizeof(int32_t) + 4);
    }
    if (source && a->source && !d->has_source) {
        d->has_source = true;
        d->source = (int32_t *)reserve(c, (size_t)a->nnz * sizeof(int32_t) + 4);
    }
    return d;
}

/* Rows of a node's tensor viewed as [rows, last dim]. */

/* Where every buffer of the graph goes: the parameters' gradients together
 * (one memset zeroes them), the constants and parameters, each op's index
 * arrays, then the planned region where the nodes' values, gradients and
 * scratch share memory as their lives allow (plan.c). */
static void layout(lc_cgraph_t *cg, lc_cuda_ctx *c)
{
    c->arena_used = 0;
    c->n_csrs = 0;
    c->ones_len = 1;
    size_t first = (size_t)-1;
    for (int i = 0; i < cg->n_nodes; i++) {
        lc_i_node *n = &cg->nodes[i];
        if (!n->grad || n->op != LC_OP_PARAMETER) continue;
        n->dgrad = (float *)reserve(c, (size_t)lc_i_node_numel(n) * sizeof(float));
        if (first == (size_t)-1) first = c->arena_used - (size_t)lc_i_node_numel(n) * sizeof(float);
    }
    c->grads = first == (size_t)-1 || !c->arena ? NULL : (float *)(c->arena + first);
    c->grads_bytes = first == (size_t)-1 ? 0 : c->arena_used - first;
    for (int i = 0; i < cg->n_nodes; i++) {
        lc_i_node *n = &cg->nodes[i];
        lc_cuda_node *d = &c->nodes[i];
        if (n->op == LC_OP_CONSTANT || n->op == LC_OP_PARAMETER)
            n->dvalue = (float *)reserve(c, (size_t)lc_i_node_numel(n) * sizeof(float));
        switch (n->op) {
        case LC_OP_SPMM: /* a masked one's backward gathers its mask in the transpose's order */
            d->s = csr_of(c, n->sparse, false, false);
            d->st = csr_of(c, n->sparse_t, false, n->aux != NULL);
            break;
        case LC_OP_EDGE_CONV: /* the SDDMM reads the rows, the backward gather the sources */
            d->s = csr_of(c, n->sparse, true, false);
            d->st = csr_of(c, n->sparse_t, false, true);
            break;
        case LC_OP_BIAS:
            if (lc_i_node_rows(n) > c->ones_len) c->ones_len = lc_i_node_rows(n);
            break;
        case LC_OP_CROSS_ENTROPY: {
            const int64_t rows = lc_i_node_rows(&cg->nodes[n->in[0]]);
            d->labels = (int32_t *)reserve(c, (size_t)rows * sizeof(int32_t));
            d->mask = (uint8_t *)reserve(c, (size_t)rows);
            d->count = (float *)reserve(c, sizeof(float));
            break;
        }
        case LC_OP_POOL: {
            const int64_t nodes = cg->nodes[n->in[0]].shape[0], groups = n->shape[0];
            d->group_ptr = (int32_t *)reserve(c, (size_t)(groups + 1) * sizeof(int32_t));
            d->members = (int32_t *)reserve(c, (size_t)nodes * sizeof(int32_t));
            d->graph_of = n->ptr ? (int32_t *)reserve(c, (size_t)nodes * sizeof(int32_t)) : NULL;
            break;
        }
        default: break;
        }
    }
    c->ones = (float *)reserve(c, (size_t)c->ones_len * sizeof(float));
    c->partials = (double *)reserve(c, 2 * LC_CUDA_REDUCE_PARTS * sizeof(double));
    char *planned = (char *)reserve(c, (size_t)c->plan.bytes);
    for (int i = 0; i < cg->n_nodes; i++) {
        lc_i_node *n = &cg->nodes[i];
        const lc_i_plan *p = &c->plan;
        if (p->value_off[i] >= 0) n->dvalue = planned ? (float *)(planned + p->value_off[i]) : NULL;
        if (p->grad_off[i] >= 0) n->dgrad = planned ? (float *)(planned + p->grad_off[i]) : NULL;
        n->daux = p->aux_off[i] >= 0 && planned ? (float *)(planned + p->aux_off[i]) : NULL;
    }
}

/* ---------- uploads ---------- */

static bool upload(lc_cuda_ctx *c, void *dst, const void *src, size_t bytes)
{
    if (!bytes) return true;
    return LC_CU(c, cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, c->stream));
}

/* A CSR's arrays, its indices narrowed to 32 bits (checked by attach). */
static bool upload_csr(lc_cuda_ctx *c, const lc_cuda_csr *d)
{
    const lc_csr_t *a = d->host;
    const int64_t len = a->nnz > a->n_rows + 1 ? a->nnz : a->n_rows + 1;
    int32_t *tmp = (int32_t *)lc_i_malloc((size_t)len * sizeof(int32_t));
    if (!tmp) return keep_oom(c, "sparse indices", len);
    bool ok = true;
    /* One buffer at a time: each copy completes before tmp is rewritten. */
    for (int64_t r = 0; r <= a->n_rows; r++) tmp[r] = (int32_t)a->rowptr[r];
    ok = ok && upload(c, d->rowptr, tmp, (size_t)(a->n_rows + 1) * sizeof(int32_t));
    ok = ok && LC_CU(c, cudaStreamSynchronize(c->stream));
    ok = ok && upload(c, d->col, a->col, (size_t)a->nnz * sizeof(int32_t));
    ok = ok && upload(c, d->val, a->val, (size_t)a->nnz * sizeof(float));
    if (ok && d->has_row_of) {
        for (int64_t r = 0; r < a->n_rows; r++)
            for (int64_t k = a->rowptr[r]; k < a->rowptr[r + 1]; k++)
                tmp[k] = (int32_t)r;
        ok = upload(c, d->row_of, tmp, (size_t)a->nnz * sizeof(int32_t));
    }
    ok = ok && LC_CU(c, cudaStreamSynchronize(c->stream));
    if (ok && d->has_source) {
        for (int64_t k = 0; k < a->nnz; k++) tmp[k] = (int32_t)a->source[k];
        ok = upload(c, d->source, tmp, (size_t)a->nnz * sizeof(int32_t));
        ok = ok && LC_CU(c, cudaStreamSynchronize(c->stream));
    }
    lc_i_free(tmp);
    return ok;
}

/* A pool node's members of each graph in node order. */
/* DIFFUSION runs CHOLMOD's solves on the host (kernels.cu): room there for its
 * input and output and the solves' work, allocated once here. */
static bool diffusion_host(lc_cuda_ctx *c, const lc_i_node *n, lc_cuda_node *d)
{
    d->work_floats = lc_i_diffusion_aux(n);
    d->host = (float *)lc_i_malloc(2 * (size_t)lc_i_node_numel(n) * sizeof(float));
    d->work = (float *)lc_i_malloc((size_t)d->work_floats * sizeof(float)); /* malloc: aligned */
    return d->host && d->work ? true
                              : keep_oom(c, "the diffusion's host buffers", lc_i_node_numel(n));
}

static bool upload_groups(lc_cuda_ctx *c, const lc_cgraph_t *cg, const lc_i_node *n,
                          lc_cuda_node *d)
{
    const int64_t nodes = cg->nodes[n->in[0]].shape[0], groups = n->shape[0];
    const int32_t *graph_of = (const int32_t *)n->ptr;
    int32_t *one_graph = graph_of ? NULL : (int32_t *)lc_i_calloc((size_t)nodes, sizeof(int32_t));
    int64_t *start = (int64_t *)lc_i_malloc(((size_t)groups + 1) * sizeof(int64_t));
    int64_t *members = (int64_t *)lc_i_malloc((size_t)nodes * sizeof(int64_t));
    int32_t *narrow = (int32_t *)lc_i_malloc((size_t)(nodes > groups ? nodes : groups + 1) * sizeof(int32_t));
    bool ok = (graph_of || one_graph) && start && members && narrow;
    if (!ok) keep_oom(c, "a pool index", nodes);
    if (ok) lc_i_group_by_part(graph_of ? graph_of : one_graph, nodes, (int)groups, start, members);
    /* narrowed to int32 one array at a time: each copy lands before narrow is rewritten */
    for (int64_t g = 0; ok && g <= groups; g++) narrow[g] = (int32_t)start[g];
    ok = ok && upload(c, d->group_ptr, narrow, (size_t)(groups + 1) * sizeof(int32_t));
    ok = ok && LC_CU(c, cudaStreamSynchronize(c->stream));
    for (int64_t k = 0; ok && k < nodes; k++) narrow[k] = (int32_t)members[k];
    ok = ok && upload(c, d->members, narrow, (size_t)nodes * sizeof(int32_t));
    if (ok && graph_of) ok = upload(c, d->graph_of, graph_of, (size_t)nodes * sizeof(int32_t));
    ok = ok && LC_CU(c, cudaStreamSynchronize(c->stream));
    lc_i_free(one_graph);
    lc_i_free(start);
    lc_i_free(members);
    lc_i_free(narrow);
    return ok;
}

/* Row-major dense descriptor of a [rows, cols] buffer. */
static bool dense(lc_cuda_ctx *c, cusparseDnMatDescr_t *d, int64_t rows, int64_t cols, float *p)
{
    return LC_CUSPARSE(c, lc_cuda.create_dn_mat(d, rows, cols, cols, p, CUDA_R_32F, CUSPARSE_ORDER_ROW));
}

static bool sparse(lc_cuda_ctx *c, cusparseSpMatDescr_t *d, const lc_cuda_csr *a, float *vals)
{
    const lc_csr_t *h = a->host;
    return LC_CUSPARSE(c, lc_cuda.create_csr(d, h->n_rows, h->n_cols, h->nnz, a->rowptr, a->col,
                                             vals, CUSPARSE_INDEX_32I, CUSPARSE_INDEX_32I,
                                             CUSPARSE_INDEX_BASE_ZERO, CUDA_R_32F));
}

/* cuSPARSE's SpMM algorithms in the order tried: CSR_ALG3 first, the one its
 * documentation says gives the same bits on every run (ALG2 and the default
 * may not); an algorithm that cannot take the operands gives way to the next.
 * LCONV_SPMM_ALG=2 or =default starts further down (a faster mode, perhaps,
 * that gives up run-to-run bit equality); read when a graph moves to the GPU. */
static const cusparseSpMMAlg_t spmm_algs[] = {CUSPARSE_SPMM_CSR_ALG3, CUSPARSE_SPMM_CSR_ALG2,
                                              CUSPARSE_SPMM_ALG_DEFAULT};
enum { N_SPMM_ALGS = sizeof spmm_algs / sizeof *spmm_algs };

static int spmm_first_alg(void)
{
    const char *v = getenv("LCONV_SPMM_ALG");
    if (!v || !*v || !strcmp(v, "3")) return 0;
    if (!strcmp(v, "2")) return 1;
    return 2; /* "default", or anything else */
}

static int spmm_alg_index(cusparseSpMMAlg_t alg)
{
    int i = 0;
    while (i < N_SPMM_ALGS - 1 && spmm_algs[i] != alg)
        i++;
    return i;
}

/* Y = A·X + beta·Y as the passes run it: beta 0 forward (spmm_fwd), 1 for
 * the gradient's accumulation (spmm_bwd); sized and tried with the same. */
static cusparseStatus_t spmm_size(lc_cuda_ctx *c, cusparseSpMatDescr_t a, cusparseDnMatDescr_t x,
                                  cusparseDnMatDescr_t y, float beta, cusparseSpMMAlg_t alg,
                                  size_t *bytes)
{
    const float one = 1.0f;
    const cusparseOperation_t nt = CUSPARSE_OPERATION_NON_TRANSPOSE;
    return lc_cuda.spmm_buffer_size(c->sparse, nt, nt, &one, a, x, &beta, y, CUDA_R_32F, alg,
                                    bytes);
}

/* The first algorithm from `first` on that cuSPARSE sizes for these operands,
 * and the work buffer it needs. */
static bool spmm_plan(lc_cuda_ctx *c, cusparseSpMatDescr_t a, cusparseDnMatDescr_t x,
                      cusparseDnMatDescr_t y, float beta, int first, cusparseSpMMAlg_t *alg)
{
    size_t bytes = 0;
    for (int i = first;; i++) {
        *alg = spmm_algs[i];
        const cusparseStatus_t s = spmm_size(c, a, x, y, beta, *alg, &bytes);
        if (s == CUSPARSE_STATUS_SUCCESS) break;
        if (i == N_SPMM_ALGS - 1) return LC_CUSPARSE(c, s); /* cuSPARSE's own reason */
    }
    if (bytes > c->work_bytes) c->work_bytes = bytes;
    return true;
}

/* One run of an SpMM at attach (on garbage: nothing is live yet), so that an
 * algorithm cuSPARSE sized but will not run gives way to the next here rather
 * than failing every pass. */
static bool spmm_trial(lc_cuda_ctx *c, cusparseSpMatDescr_t a, cusparseDnMatDescr_t x,
                       cusparseDnMatDescr_t y, float beta, cusparseSpMMAlg_t *alg)
{
    const float one = 1.0f;
    const cusparseOperation_t nt = CUSPARSE_OPERATION_NON_TRANSPOSE;
    for (int i = spmm_alg_index(*alg);; i++) {
        *alg = spmm_algs[i];
        size_t bytes = 0;
        cusparseStatus_t s = spmm_size(c, a, x, y, beta, *alg, &bytes);
        if (s == CUSPARSE_STATUS_SUCCESS && bytes > c->work_bytes) {
            /* the trials queued before may still read it */
            if (!LC_CU(c, cudaStreamSynchronize(c->stream))) return false;
            cudaFree(c->work);
            c->work = NULL;
            c->work_bytes = bytes;
            if (!LC_CU(c, cudaMalloc(&c->work, bytes))) return false;
        }
        if (s == CUSPARSE_STATUS_SUCCESS)
            s = lc_cuda.spmm(c->sparse, nt, nt, &one, a, x, &beta, y, CUDA_R_32F, *alg, c->work);
        if (s == CUSPARSE_STATUS_SUCCESS) return true;
        if (i == N_SPMM_ALGS - 1) return LC_CUSPARSE(c, s); /* cuSPARSE's own reason */
        (void)cudaGetLastError(); /* a launch error the failed trial may have left */
    }
}

/* LCONV_SPMM_PREPROCESS=1 (read when a graph moves to the GPU): each unmasked
 * SpMM gets a work buffer of its own, prepared once by cusparseSpMM_preprocess
 * for its chosen algorithm (cuSPARSE: faster later calls with CSR_ALG1 or
 * ALG3; more device memory). Off by default until a GPU run has measured it. */
static bool spmm_preprocess_wanted(void)
{
    const char *v = getenv("LCONV_SPMM_PREPROCESS");
    return v && !strcmp(v, "1") && lc_cuda.spmm_preprocess;
}

static bool spmm_prepare(lc_cuda_ctx *c, cusparseSpMatDescr_t a, cusparseDnMatDescr_t x,
                         cusparseDnMatDescr_t y, float beta, cusparseSpMMAlg_t alg, void **work)
{
    const float one = 1.0f;
    const cusparseOperation_t nt = CUSPARSE_OPERATION_NON_TRANSPOSE;
    size_t bytes = 0;
    return LC_CUSPARSE(c, spmm_size(c, a, x, y, beta, alg, &bytes)) &&
           LC_CU(c, cudaMalloc(work, bytes ? bytes : 1)) &&
           LC_CUSPARSE(c, lc_cuda.spmm_preprocess(c->sparse, nt, nt, &one, a, x, &beta, y,
                                                  CUDA_R_32F, alg, *work));
}

static bool make_spmm(lc_cuda_ctx *c, lc_cgraph_t *cg, lc_i_node *n, lc_cuda_node *d, int first)
{
    const lc_csr_t *s = n->sparse;
    if (s->nnz == 0) return true; /* the kernels write zeros without cuSPARSE */
    lc_i_node *x = &cg->nodes[n->in[0]];
    const int64_t f = lc_i_node_numel(x) / x->shape[0];
    const bool masked = n->fparam > 0; /* its daux holds the values the descriptor reads */
    bool ok = sparse(c, &d->a, d->s, masked ? n->daux : d->s->val) &&
              dense(c, &d->x, s->n_cols, f, x->dvalue) &&
              dense(c, &d->y, s->n_rows, f, n->dvalue) &&
              spmm_plan(c, d->a, d->x, d->y, 0.0f, first, &d->alg);
    if (ok && x->dgrad && n->dgrad)
        ok = sparse(c, &d->at, d->st, masked ? n->daux + s->nnz : d->st->val) &&
             dense(c, &d->dy, s->n_rows, f, n->dgrad) && dense(c, &d->dx, s->n_cols, f, x->dgrad) &&
             spmm_plan(c, d->at, d->dy, d->dx, 1.0f, first, &d->alg_t);
    return ok;
}

/* Upload constants and parameters whose host data is newer. */
static bool upload_nodes(lc_cuda_ctx *c, lc_cgraph_t *cg, bool all)
{
    for (int i = 0; i < cg->n_nodes; i++) {
        lc_i_node *n = &cg->nodes[i];
        if (n->op != LC_OP_CONSTANT && n->op != LC_OP_PARAMETER) continue;
        if (!all && !n->host_newer) continue;
        if (!upload(c, n->dvalue, n->value->data, (size_t)n->value->numel * sizeof(float)))
            return false;
        n->host_newer = false;
    }
    return true;
}

/* ---------- the backend hooks ---------- */

static void cuda_detach(lc_cgraph_t *cg)
{
    lc_cuda_ctx *c = lc_cuda_of(cg);
    if (!c) return;
    if (c->stream) cudaStreamSynchronize(c->stream);
    for (int i = 0; c->nodes && i < cg->n_nodes; i++) {
        lc_cuda_node *d = &c->nodes[i];
        if (d->a) lc_cuda.destroy_sp_mat(d->a);
        if (d->at) lc_cuda.destroy_sp_mat(d->at);
        if (d->x) lc_cuda.destroy_dn_mat(d->x);
        if (d->y) lc_cuda.destroy_dn_mat(d->y);
        if (d->dy) lc_cuda.destroy_dn_mat(d->dy);
        if (d->dx) lc_cuda.destroy_dn_mat(d->dx);
        lc_i_free(d->host);
        lc_i_free(d->work);
        cudaFree(d->pre);
        cudaFree(d->pre_t);
        lc_i_node *n = &cg->nodes[i];
        n->dvalue = n->dgrad = n->daux = NULL;
    }
    cudaFree(c->arena);
    cudaFree(c->work);
    lc_i_plan_free(&c->plan);
    cg->plan = cg->host_plan; /* the CPU's own, if it shares buffers */
    if (c->sparse) lc_cuda.sparse_destroy(c->sparse);
    if (c->blas) lc_cuda.blas_destroy(c->blas);
    if (c->stream) cudaStreamDestroy(c->stream);
    lc_i_free(c->nodes);
    lc_i_free(c->csrs);
    lc_i_free(c);
    cg->device_state = NULL;
}

static lc_status cuda_attach(lc_cgraph_t *cg)
{
    for (int i = 0; i < cg->n_nodes; i++) {
        const lc_i_node *n = &cg->nodes[i];
        if (!lc_cuda_has_kernel(n->op))
            return lc_i_error(LC_ERR_UNSUPPORTED, __func__,
                              "op '%s' (node %d) has no CUDA kernel yet; run this graph on the cpu",
                              lc_i_op_names[n->op], i);
        const lc_csr_t *s = n->sparse;
        if (s && (s->nnz > INT32_MAX || s->n_rows >= INT32_MAX))
            return lc_i_error(LC_ERR_UNSUPPORTED, __func__,
                              "node %d: a sparse operator of %lld entries exceeds 32-bit indices",
                              i, (long long)s->nnz);
        if (n->op == LC_OP_MATMUL || n->op == LC_OP_CROSS_ENTROPY || n->op == LC_OP_POOL) {
            if (lc_i_node_numel(n) > INT32_MAX && n->op == LC_OP_MATMUL)
                return lc_i_error(LC_ERR_UNSUPPORTED, __func__, "node %d: too large for cuBLAS", i);
        }
    }
    lc_cuda_ctx *c = (lc_cuda_ctx *)lc_i_calloc(1, sizeof *c);
    if (!c) return lc_i_error(LC_ERR_OUT_OF_MEMORY, __func__, "cannot allocate the CUDA context");
    cg->device_state = c;
    c->nodes = (lc_cuda_node *)lc_i_calloc((size_t)cg->n_nodes, sizeof *c->nodes);
    c->csrs = (lc_cuda_csr *)lc_i_calloc(2 * (size_t)cg->n_nodes + 1, sizeof *c->csrs);
    bool ok = c->nodes && c->csrs;
    if (!ok) {
        cuda_detach(cg);
        return lc_i_error(LC_ERR_OUT_OF_MEMORY, __func__, "cannot allocate the CUDA context");
    }
    ok = LC_CU(c, cudaStreamCreateWithFlags(&c->stream, cudaStreamNonBlocking)) &&
         LC_CUBLAS(c, lc_cuda.blas_create(&c->blas)) && LC_CUBLAS(c, lc_cuda.blas_set_stream(c->blas, c->stream)) &&
         LC_CUSPARSE(c, lc_cuda.sparse_create(&c->sparse)) &&
         LC_CUSPARSE(c, lc_cuda.sparse_set_stream(c->sparse, c->stream));
    if (ok) {
        lc_status st = lc_i_plan_build(cg, 256, cg->keep_buffers, false, true, &c->plan);
        if (st) {
            cuda_detach(cg);
            return lc_i_error_from(st, __func__);
        }
        layout(cg, c); /* sizing pass */
        const size_t bytes = c->arena_used;
        ok = LC_CU(c, cudaMalloc((void **)&c->arena, bytes ? bytes : 1));
        if (!ok && c->error == LC_ERR_OUT_OF_MEMORY)
            snprintf(c->message, sizeof c->message,
                     "cannot allocate %.3f GiB of device memory for the graph's buffers",
                     (double)bytes / (1 << 30));
    }
    if (ok) {
        layout(cg, c); /* now with addresses */
        ok = upload_nodes(c, cg, true);
        for (int i = 0; ok && i < c->n_csrs; i++)
            ok = upload_csr(c, &c->csrs[i]);
        const int first_alg = spmm_first_alg();
        for (int i = 0; ok && i < cg->n_nodes; i++) {
            lc_i_node *n = &cg->nodes[i];
            if (n->op == LC_OP_SPMM) ok = make_spmm(c, cg, n, &c->nodes[i], first_alg);
            if (n->op == LC_OP_POOL) ok = upload_groups(c, cg, n, &c->nodes[i]);
            if (n->op == LC_OP_DIFFUSION) ok = diffusion_host(c, n, &c->nodes[i]);
        }
        if (ok) {
            lc_cuda_fill(c, c->ones, c->ones_len, 1.0f);
            ok = LC_CU(c, cudaGetLastError()); /* before a trial's fallback clears it */
        }
        if (ok && c->work_bytes) ok = LC_CU(c, cudaMalloc(&c->work, c->work_bytes));
        const bool prepare = spmm_preprocess_wanted();
        for (int i = 0; ok && i < cg->n_nodes; i++) {
            lc_cuda_node *d = &c->nodes[i];
            if (d->a) ok = spmm_trial(c, d->a, d->x, d->y, 0.0f, &d->alg);
            if (ok && d->at) ok = spmm_trial(c, d->at, d->dy, d->dx, 1.0f, &d->alg_t);
            /* a masked SpMM's values change every pass: it keeps the shared buffer */
            if (ok && prepare && d->a && !cg->nodes[i].daux)
                ok = spmm_prepare(c, d->a, d->x, d->y, 0.0f, d->alg, &d->pre);
            if (ok && prepare && d->at && !cg->nodes[i].daux)
                ok = spmm_prepare(c, d->at, d->dy, d->dx, 1.0f, d->alg_t, &d->pre_t);
        }
        /* the trials added into parameters' gradients, which a step or lc_cg_grad
         * may read before any backward pass here: they start at zero */
        if (ok && c->grads_bytes)
            ok = LC_CU(c, cudaMemsetAsync(c->grads, 0, c->grads_bytes, c->stream));
        ok = ok && LC_CU(c, cudaStreamSynchronize(c->stream));
        if (ok) cg->plan = &c->plan;
    }
    if (!ok) {
        lc_status st = take_error(c, __func__);
        cuda_detach(cg);
        return st ? st : lc_i_error(LC_ERR_BACKEND, __func__, "CUDA setup failed");
    }
    return LC_OK;
}

/* Parameters the host changed, and every loss's labels and mask: the caller's
 * may change between passes (a new split, the next batch), so they go up each
 * time (rows·5 bytes). Here, before the pass queues a kernel, because a copy
 * from pageable memory may wait for the stream to drain. */
static lc_status cuda_begin_forward(lc_cgraph_t *cg)
{
    lc_cuda_ctx *c = lc_cuda_of(cg);
    bool ok = upload_nodes(c, cg, false);
    for (int i = 0; ok && i < cg->n_nodes; i++) {
        const lc_i_node *n = &cg->nodes[i];
        if (n->op != LC_OP_CROSS_ENTROPY) continue;
        const lc_cuda_node *d = &c->nodes[i];
        const size_t rows = (size_t)lc_i_node_rows(&cg->nodes[n->in[0]]);
        ok = upload(c, d->labels, n->labels, rows * sizeof(int32_t)) &&
             upload(c, d->mask, n->mask, rows);
    }
    return take_error(c, __func__);
}

/* The parameters' gradients start at zero; the others are zeroed one by one
 * just before their first writer (cuda_zero_grad), as the plan says. */
static lc_status cuda_begin_backward(lc_cgraph_t *cg)
{
    lc_cuda_ctx *c = lc_cuda_of(cg);
    if (c->grads_bytes) LC_CU(c, cudaMemsetAsync(c->grads, 0, c->grads_bytes, c->stream));
    lc_cuda_fill(c, cg->nodes[cg->loss].dgrad, 1, 1.0f);
    return take_error(c, __func__);
}

static void cuda_zero_grad(lc_cgraph_t *cg, lc_i_node *n)
{
    lc_cuda_ctx *c = lc_cuda_of(cg);
    LC_CU(c, cudaMemsetAsync(n->dgrad, 0, (size_t)lc_i_node_numel(n) * sizeof(float), c->stream));
}

/* Launch errors show at once; faults inside kernels at the next copy home. */
static lc_status cuda_finish(lc_cgraph_t *cg)
{
    lc_cuda_ctx *c = lc_cuda_of(cg);
    LC_CU(c, cudaGetLastError());
    return take_error(c, __func__);
}

static lc_status cuda_synchronize(lc_cgraph_t *cg)
{
    lc_cuda_ctx *c = lc_cuda_of(cg);
    LC_CU(c, cudaStreamSynchronize(c->stream)) && LC_CU(c, cudaGetLastError());
    return take_error(c, __func__);
}

extern "C" lc_status lc_i_cuda_memory(int64_t *used, int64_t *total)
{
    size_t free_bytes = 0, total_bytes = 0;
    cudaError_t e = cudaMemGetInfo(&free_bytes, &total_bytes);
    if (e != cudaSuccess)
        return lc_i_error(LC_ERR_BACKEND, __func__, "cudaMemGetInfo: %s", cudaGetErrorString(e));
    *used = (int64_t)(total_bytes - free_bytes);
    *total = (int64_t)total_bytes;
    return LC_OK;
}

static lc_status cuda_download(lc_cgraph_t *cg, lc_i_node *n, bool grad)
{
    lc_cuda_ctx *c = lc_cuda_of(cg);
    lc_tensor_t *t = grad ? n->grad : n->value;
    const float *src = grad ? n->dgrad : n->dvalue;
    LC_CU(c, cudaMemcpyAsync(t->data, src, (size_t)t->numel * sizeof(float), cudaMemcpyDeviceToHost,
                             c->stream)) &&
        LC_CU(c, cudaStreamSynchronize(c->stream));
    return take_error(c, __func__);
}

static lc_status cuda_alloc(float **p, int64_t count)
{
    *p = NULL;
    cudaError_t e = cudaMalloc((void **)p, (size_t)(count ? count : 1) * sizeof(float));
    if (e == cudaSuccess) e = cudaMemset(*p, 0, (size_t)(count ? count : 1) * sizeof(float));
    /* the graph's stream does not wait for the legacy stream's work: finish it here */
    if (e == cudaSuccess) e = cudaDeviceSynchronize();
    if (e != cudaSuccess)
        return lc_i_error(e == cudaErrorMemoryAllocation ? LC_ERR_OUT_OF_MEMORY : LC_ERR_BACKEND,
                          __func__, "cudaMalloc of %lld floats: %s", (long long)count,
                          cudaGetErrorString(e));
    return LC_OK;
}

static void cuda_free(float *p) { cudaFree(p); }

static lc_status cuda_copy(float *dst, const float *src, int64_t count, bool to_device)
{
    /* The graph's stream is non-blocking: its last kernels must be done before
     * the state goes home, and an upload must have landed before its kernels. */
    cudaError_t e = cudaDeviceSynchronize();
    if (e == cudaSuccess)
        e = cudaMemcpy(dst, src, (size_t)count * sizeof(float),
                       to_device ? cudaMemcpyHostToDevice : cudaMemcpyDeviceToHost);
    if (e == cudaSuccess) e = cudaDeviceSynchronize();
    if (e != cudaSuccess) {
        char what[64];
        snprintf(what, sizeof what, "cudaMemcpy of %lld floats", (long long)count);
        return lc_cuda_status(e, what, __func__);
    }
    return LC_OK;
}

static lc_status cuda_layout_bytes(lc_cgraph_t *cg, int64_t *bytes)
{
    if (cg->backend->download) /* layout() would overwrite its device pointers */
        return lc_i_error(LC_ERR_STATE, __func__, "the graph is on a device already");
    lc_cuda_ctx c{};
    c.nodes = (lc_cuda_node *)lc_i_calloc((size_t)cg->n_nodes, sizeof *c.nodes);
    c.csrs = (lc_cuda_csr *)lc_i_calloc(2 * (size_t)cg->n_nodes + 1, sizeof *c.csrs);
    lc_status st = c.nodes && c.csrs ? LC_OK
                                     : lc_i_error(LC_ERR_OUT_OF_MEMORY, __func__,
                                                  "cannot allocate the layout's tables");
    if (!st) st = lc_i_plan_build(cg, 256, cg->keep_buffers, false, true, &c.plan);
    if (!st) {
        layout(cg, &c); /* the sizing pass of attach: no arena, every address NULL */
        *bytes = (int64_t)c.arena_used;
        for (int i = 0; i < cg->n_nodes; i++) /* what the sizing pass set, as it was */
            cg->nodes[i].dvalue = cg->nodes[i].dgrad = cg->nodes[i].daux = NULL;
    }
    lc_i_plan_free(&c.plan);
    lc_i_free(c.nodes);
    lc_i_free(c.csrs);
    return st;
}

/* "spmm CSR_ALG3 ×5, CSR_ALG2 ×1": the algorithms the SpMMs (forward and
 * transposed) settled on at attach */
static void cuda_describe(const lc_cgraph_t *cg, char *buf, size_t len)
{
    const lc_cuda_ctx *c = (const lc_cuda_ctx *)cg->device_state;
    static const char *const names[N_SPMM_ALGS] = {"CSR_ALG3", "CSR_ALG2", "ALG_DEFAULT"};
    int count[N_SPMM_ALGS] = {0}, prepared = 0;
    for (int i = 0; c && i < cg->n_nodes; i++) {
        const lc_cuda_node *d = &c->nodes[i];
        if (d->a) count[spmm_alg_index(d->alg)]++;
        if (d->at) count[spmm_alg_index(d->alg_t)]++;
        prepared += (d->pre != NULL) + (d->pre_t != NULL);
    }
    int at = snprintf(buf, len, "spmm");
    for (int k = 0; k < N_SPMM_ALGS; k++)
        if (count[k] && at >= 0 && (size_t)at < len)
            at += snprintf(buf + at, len - (size_t)at, " %s x%d", names[k], count[k]);
    if (prepared && at >= 0 && (size_t)at < len)
        at += snprintf(buf + at, len - (size_t)at, ", %d preprocessed", prepared);
    /* what the graph's buffers take, beside the device memory the run added (which
     * also counts the CUDA context's growth and cuBLAS's and cuSPARSE's own) */
    if (c && at >= 0 && (size_t)at < len)
        snprintf(buf + at, len - (size_t)at, "; arena %.1f MiB, spmm work %.1f MiB",
                 (double)c->arena_used / (1 << 20), (double)c->work_bytes / (1 << 20));
}

extern "C" const lc_i_backend *lc_i_backend_cuda(void)
{
    static lc_i_backend be;
    static bool ready = false; /* filled once; the table is read-only afterwards */
    if (!__atomic_load_n(&ready, __ATOMIC_ACQUIRE)) {
        lc_i_lazy_lock();
        if (!ready) {
            be.name = "cuda";
            be.device = LC_DEVICE_CUDA;
            lc_cuda_fill_kernels(&be);
            be.attach = cuda_attach;
            be.detach = cuda_detach;
            be.begin_forward = cuda_begin_forward;
            be.begin_backward = cuda_begin_backward;
            be.zero_grad = cuda_zero_grad;
            be.finish = cuda_finish;
            be.synchronize = cuda_synchronize;
            be.download = cuda_download;
            be.alloc = cuda_alloc;
            be.free = cuda_free;
            be.copy = cuda_copy;
            be.describe = cuda_describe;
            be.layout_bytes = cuda_layout_bytes;
            be.optim_update = lc_cuda_optim_update;
            be.knn = lc_cuda_knn;
            lc_cuda_fill_comm(&be);
            __atomic_store_n(&ready, true, __ATOMIC_RELEASE);
        }
        lc_i_lazy_unlock();
    }
    return &be;
}
