/* collective.cu — data-parallel training's gradient sums between GPUs: NCCL, opened with dlopen as cuBLAS is. */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include "cuda_backend.h"

#if __has_include(<nccl.h>)
#include <nccl.h>

static_assert(sizeof(ncclUniqueId) == LC_I_COMM_ID_BYTES, "NCCL's unique id changed size");
static_assert(sizeof(cudaUUID_t) == LC_I_DEVICE_UUID_BYTES, "CUDA's device UUID changed size");

/* NCCL (libnccl.so.2) is opened on the first data-parallel step on a GPU, not
 * linked: a build with it must still run where it is absent (then the
 * gradients go through the host), and it weighs some 200 MB. */
static struct {
    decltype(&ncclGetUniqueId) get_unique_id;
    decltype(&ncclCommInitRank) comm_init_rank;
    decltype(&ncclCommAbort) comm_abort;
    decltype(&ncclAllReduce) all_reduce;
    decltype(&ncclGetErrorString) error_string;
    decltype(&ncclGetLastError) last_error; /* NCCL >= 2.13; may be NULL */
} nccl;

static lc_status load_nccl(void)
{
    void *h = dlopen("libnccl.so.2", RTLD_NOW | RTLD_LOCAL); /* NCCL 2's ABI only */
    if (!h)
        return lc_i_error(LC_ERR_BACKEND, "lc_cuda_comm_open", "cannot open libnccl.so.2: %s",
                          dlerror());
    const char *missing = NULL;
#define LOAD(field, sym)                                                                           \
    do {                                                                                           \
        *(void **)&nccl.field = dlsym(h, #sym);                                                    \
        if (!nccl.field && !missing) missing = #sym;                                               \
    } while (0)
    LOAD(get_unique_id, ncclGetUniqueId);
    LOAD(comm_init_rank, ncclCommInitRank);
    LOAD(comm_abort, ncclCommAbort);
    LOAD(all_reduce, ncclAllReduce);
    LOAD(error_string, ncclGetErrorString);
#undef LOAD
    *(void **)&nccl.last_error = dlsym(h, "ncclGetLastError");
    if (missing) {
        dlclose(h);
        memset(&nccl, 0, sizeof nccl);
        return lc_i_error(LC_ERR_BACKEND, "lc_cuda_comm_open", "libnccl.so.2 lacks %s", missing);
    }
    return LC_OK; /* the library stays open for the life of the process */
}

/* A failed NCCL call as an error naming it, with NCCL's own detail when it has one. */
static lc_status nccl_error(ncclResult_t r, const char *call, const char *func)
{
    /* ncclGetLastError's comm "is currently unused and can be set to NULL" (NCCL's
     * documentation): so an ncclCommInitRank that made no communicator has it too */
    const char *detail = nccl.last_error ? nccl.last_error(NULL) : "";
    return lc_i_error(LC_ERR_BACKEND, func, "%s failed: %s%s%s", call, nccl.error_string(r),
                      detail && detail[0] ? ": " : "", detail ? detail : "");
}
#define NCCL_TRY(name, call)                                                                       \
    do {                                                                                           \
        ncclResult_t nccl_rc_ = (call);                                                            \
        if (nccl_rc_ != ncclSuccess) return nccl_error(nccl_rc_, name, __func__);                  \
    } while (0)

static lc_status comm_open(unsigned char *uuid)
{
    static int loaded; /* 0 not yet, 1 loaded; a failure is retried on the next call */
    lc_status st = LC_OK;
    if (!__atomic_load_n(&loaded, __ATOMIC_ACQUIRE)) {
        lc_i_lazy_lock();
        if (!loaded && (st = load_nccl()) == LC_OK) __atomic_store_n(&loaded, 1, __ATOMIC_RELEASE);
        lc_i_lazy_unlock();
        if (st) return st;
    }
    int device = 0;
    cudaDeviceProp prop;
    cudaError_t e = cudaGetDevice(&device);
    if (e == cudaSuccess) e = cudaGetDeviceProperties(&prop, device);
    if (e != cudaSuccess) return lc_cuda_status(e, "cudaGetDeviceProperties", __func__);
    memcpy(uuid, prop.uuid.bytes, LC_I_DEVICE_UUID_BYTES);
    return LC_OK;
}

static lc_status comm_id(void *id)
{
    NCCL_TRY("ncclGetUniqueId", nccl.get_unique_id((ncclUniqueId *)id));
    return LC_OK;
}

/* One rank's communicator, and the gradients as doubles (NCCL sums them there). */
struct lc_cuda_comm {
    ncclComm_t comm;
    double *sum;
    int64_t count; /* the parameters' gradient entries it was made for */
};

static int64_t gradient_count(const lc_cgraph_t *cg)
{
    int64_t count = 0;
    for (int i = 0; i < cg->n_params; i++) {
        const lc_i_node *n = &cg->nodes[cg->params[i]];
        if (n->grad) count += n->grad->numel;
    }
    return count;
}

static void comm_free(void *p)
{
    lc_cuda_comm *c = (lc_cuda_comm *)p;
    if (!c) return;
    /* ncclCommAbort, not ncclCommDestroy: it frees this rank's part alone, where
     * Destroy may wait for the node's other ranks, which a failed job may
     * never bring (every sum has finished when a communicator is freed) */
    if (c->comm) nccl.comm_abort(c->comm);
    cudaFree(c->sum);
    lc_i_free(c);
}

static lc_status comm_new(lc_cgraph_t *cg, const void *id, int rank, int size, void **out)
{
    lc_cuda_comm *c = (lc_cuda_comm *)lc_i_calloc(1, sizeof *c);
    if (!c) return lc_i_error(LC_ERR_OUT_OF_MEMORY, __func__, "cannot allocate the communicator");
    c->count = gradient_count(cg);
    cudaError_t e =
        cudaMalloc((void **)&c->sum, (size_t)(c->count ? c->count : 1) * sizeof(double));
    if (e != cudaSuccess) {
        comm_free(c);
        return lc_cuda_status(e, "cudaMalloc of the gradients' sum", __func__);
    }
    ncclUniqueId uid;
    memcpy(&uid, id, sizeof uid);
    ncclResult_t r = nccl.comm_init_rank(&c->comm, size, uid, rank);
    if (r != ncclSuccess) {
        lc_status st = nccl_error(r, "ncclCommInitRank", __func__);
        c->comm = NULL; /* not made */
        comm_free(c);
        return st;
    }
    *out = c;
    return LC_OK;
}

__global__ void scale_to_double_k(const float *g, double share, double *sum, int64_t len)
{
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < len;
         i += (int64_t)blockDim.x * gridDim.x)
        sum[i] = share * (double)g[i];
}

__global__ void to_float_k(const double *sum, float *g, int64_t len)
{
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < len;
         i += (int64_t)blockDim.x * gridDim.x)
        g[i] = (float)sum[i];
}

static unsigned blocks_for(int64_t len)
{
    const int64_t b = (len + 255) / 256;
    return (unsigned)(b < 1 ? 1 : b > 4096 ? 4096 : b);
}

/* As the host path computes it (lib/dist.c): each rank's share·g in double,
 * summed over the ranks, rounded to float once. NCCL's order of summation is
 * its own, but in double that changes the float result only at ties. */
static lc_status comm_sum(lc_cgraph_t *cg, void *p, double share)
{
    lc_cuda_comm *comm = (lc_cuda_comm *)p;
    lc_cuda_ctx *c = lc_cuda_of(cg);
    const int64_t count = gradient_count(cg);
    if (count != comm->count)
        return lc_i_error(LC_ERR_STATE, __func__,
                          "the graph has %lld gradient entries, the communicator was made for %lld",
                          (long long)count, (long long)comm->count);
    if (!count) return LC_OK;
    int64_t at = 0;
    for (int i = 0; i < cg->n_params; i++) {
        const lc_i_node *n = &cg->nodes[cg->params[i]];
        if (!n->grad) continue; /* not on the loss's path: the same on every rank */
        const int64_t len = n->grad->numel;
        scale_to_double_k<<<blocks_for(len), 256, 0, c->stream>>>(n->dgrad, share, comm->sum + at,
                                                                  len);
        at += len;
    }
    cudaError_t e = cudaGetLastError();
    if (e != cudaSuccess) return lc_cuda_status(e, "the gradients' conversion to double", __func__);
    NCCL_TRY("ncclAllReduce", nccl.all_reduce(comm->sum, comm->sum, (size_t)count, ncclFloat64,
                                              ncclSum, comm->comm, c->stream));
    at = 0;
    for (int i = 0; i < cg->n_params; i++) {
        const lc_i_node *n = &cg->nodes[cg->params[i]];
        if (!n->grad) continue;
        const int64_t len = n->grad->numel;
        to_float_k<<<blocks_for(len), 256, 0, c->stream>>>(comm->sum + at, n->dgrad, len);
        at += len;
    }
    e = cudaGetLastError();
    if (e == cudaSuccess) e = cudaStreamSynchronize(c->stream);
    if (e != cudaSuccess) return lc_cuda_status(e, "the gradients' sum (ncclAllReduce)", __func__);
    return LC_OK;
}

void lc_cuda_fill_comm(lc_i_backend *be)
{
    be->comm_open = comm_open;
    be->comm_id = comm_id;
    be->comm_new = comm_new;
    be->comm_sum = comm_sum;
    be->comm_free = comm_free;
}

#else /* built where nccl.h is absent: the gradients go through the host */

void lc_cuda_fill_comm(lc_i_backend *be)
{
    (void)be;
}

#endif
