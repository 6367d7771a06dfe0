/* cuda_backend.h — the CUDA backend's private state, shared by device.cu (memory, uploads) and kernels.cu (ops). */
#ifndef LC_CUDA_BACKEND_H
#define LC_CUDA_BACKEND_H

#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cusparse.h>

/* Blocks of a reduction's first pass at the most (kernels.cu: reduce). */
#define LC_CUDA_REDUCE_PARTS 512

#ifndef LC_HAVE_CUDA
#define LC_HAVE_CUDA 1 /* these files are the CUDA backend */
#endif
extern "C" {
#include "backend.h"
#include "plan.h"
}

/* A CSR on the device with 32-bit indices (cuSPARSE's fastest SpMM wants
 * them), uploaded once per graph however many nodes use it. */
struct lc_cuda_csr {
    const lc_csr_t *host;
    int32_t *rowptr, *col; /* n_rows + 1, nnz */
    float *val;            /* nnz */
    /* Only where an op reads them (0.26 GB each on the products-like graph):
     * row_of, nnz: the row of each entry (edge tails, for L-conv's SDDMM);
     * source, nnz, transposes only: the entry's index in the original (the
     * masked SpMM's backward, L-conv's). */
    int32_t *row_of, *source;
    bool has_row_of, has_source;
};

/* What one node needs beyond dvalue, dgrad and daux. */
struct lc_cuda_node {
    const lc_cuda_csr *s, *st; /* SPMM, EDGE_CONV: the operator and its transpose */
    cusparseSpMatDescr_t a, at;
    cusparseDnMatDescr_t x, y, dy, dx;
    cusparseSpMMAlg_t alg, alg_t;
    /* LCONV_SPMM_PREPROCESS=1: each SpMM's own work buffer, holding what
     * cusparseSpMM_preprocess worked out at attach (NULL: the shared one) */
    void *pre, *pre_t;
    int32_t *labels;             /* CROSS_ENTROPY: rows labels, uploaded every pass */
    uint8_t *mask;               /* CROSS_ENTROPY: rows mask bytes */
    float *count;                /* CROSS_ENTROPY: counted rows (one float) */
    int32_t *group_ptr, *members; /* POOL: nodes of each graph, in node order */
    int32_t *graph_of;           /* POOL: n (NULL: one graph) */
    float *host;                 /* DIFFUSION: 2 · numel floats on the host */
    float *work;                 /* DIFFUSION: work_floats of the solves' work (doubles) */
    int64_t work_floats;
};

struct lc_cuda_ctx {
    cudaStream_t stream;
    cublasHandle_t blas;
    cusparseHandle_t sparse;
    char *arena;       /* every buffer of the graph: one cudaMalloc at lc_cg_to */
    size_t arena_used; /* bump allocator over the arena (sizing pass: arena NULL) */
    lc_i_plan plan;    /* where the nodes' values, gradients and scratch share the arena */
    float *grads;      /* the parameters' gradients sit together: one memset zeroes them */
    size_t grads_bytes;
    void *work; /* cuSPARSE's work buffer, shared by all SpMMs (one stream) */
    size_t work_bytes;
    float *ones; /* ones_len ones: column sums as a GEMV */
    double *partials; /* 2 · LC_CUDA_REDUCE_PARTS: a reduction's partial sums (kernels.cu) */
    int64_t ones_len;
    lc_cuda_csr *csrs;
    int n_csrs;
    lc_cuda_node *nodes; /* one per graph node */
    lc_status error;     /* the first device error since the last finish */
    char message[384];
};

static inline lc_cuda_ctx *lc_cuda_of(const lc_cgraph_t *cg)
{
    return (lc_cuda_ctx *)cg->device_state;
}

/* cuBLAS and cuSPARSE are opened with dlopen when a graph first asks for the
 * GPU: linked directly they would add some 250 MB of resident memory to
 * every CPU run (their relocations touch that much at load). */
struct lc_cuda_api {
    decltype(&cublasCreate_v2) blas_create;
    decltype(&cublasDestroy_v2) blas_destroy;
    decltype(&cublasSetStream_v2) blas_set_stream;
    decltype(&cublasSgemm_v2) sgemm;
    decltype(&cublasSgemmStridedBatched) sgemm_strided_batched;
    decltype(&cublasSgemv_v2) sgemv;
    decltype(&cusparseCreate) sparse_create;
    decltype(&cusparseDestroy) sparse_destroy;
    decltype(&cusparseSetStream) sparse_set_stream;
    decltype(&cusparseGetErrorString) sparse_error_string;
    decltype(&cusparseCreateCsr) create_csr;
    decltype(&cusparseDestroySpMat) destroy_sp_mat;
    decltype(&cusparseCreateDnMat) create_dn_mat;
    decltype(&cusparseDestroyDnMat) destroy_dn_mat;
    decltype(&cusparseSpMM_bufferSize) spmm_buffer_size;
    decltype(&cusparseSpMM) spmm;
    decltype(&cusparseSpMM_preprocess) spmm_preprocess; /* NULL when the library lacks it */
};
extern lc_cuda_api lc_cuda;
/* Open the libraries once (thread-safe). Errors: LC_ERR_BACKEND naming the
 * library or symbol that is missing. */
lc_status lc_cuda_load(void);

/* Keep the first failure of a CUDA, cuBLAS or cuSPARSE call; false when it failed. */
bool lc_cuda_ok(lc_cuda_ctx *c, cudaError_t e, const char *what);
bool lc_cuda_blas_ok(lc_cuda_ctx *c, cublasStatus_t s, const char *what);
bool lc_cuda_sparse_ok(lc_cuda_ctx *c, cusparseStatus_t s, const char *what);
/* A failed runtime call outside a graph as an error under func naming what
 * failed (LC_ERR_OUT_OF_MEMORY or LC_ERR_BACKEND); the runtime's last error is
 * cleared, so that a later launch check does not report it again. */
lc_status lc_cuda_status(cudaError_t e, const char *what, const char *func);
#define LC_CU(c, call) lc_cuda_ok((c), (call), #call)
#define LC_CUBLAS(c, call) lc_cuda_blas_ok((c), (call), #call)
#define LC_CUSPARSE(c, call) lc_cuda_sparse_ok((c), (call), #call)

/* The backend's table (device.cu); lib/backends.c registers it. */
extern "C" const lc_i_backend *lc_i_backend_cuda(void);
/* Kernel table (kernels.cu); device.cu completes the backend with it. */
void lc_cuda_fill_kernels(lc_i_backend *be);
/* The data-parallel collectives (collective.cu: NCCL; none when built without nccl.h). */
void lc_cuda_fill_comm(lc_i_backend *be);
/* An op without a CUDA kernel yet (NULL in the table): lc_cg_to refuses the graph. */
bool lc_cuda_has_kernel(lc_i_op op);
/* Set n floats at p to v on the context's stream. */
void lc_cuda_fill(lc_cuda_ctx *c, float *p, int64_t n, float v);
/* Brute-force kNN candidates (knn.cu), the backend's knn; kc <= LC_CUDA_KNN_MAX. */
#define LC_CUDA_KNN_MAX 64
lc_status lc_cuda_knn(const float *points, int64_t n, int dim, int kc, int32_t *idx, float *dist);
/* The optimizer update (kernels.cu). */
void lc_cuda_optim_update(lc_cgraph_t *cg, const lc_optim_config *cfg, int64_t step, float bc1,
                          float bc2_sqrt, float weight_decay, float *w, const float *g, float *m,
                          float *v, int64_t len);

#endif
