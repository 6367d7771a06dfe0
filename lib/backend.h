/* backend.h — the backend interface: one forward and one backward kernel per op (ggml-backend style). */
#ifndef LC_BACKEND_H
#define LC_BACKEND_H

#include "cgraph.h"

/* A forward kernel computes node->value from its inputs' values. A backward
 * kernel adds node->grad's contribution to the grad of every input that has
 * one (grad != NULL); grads are zeroed by the executor before the pass. */
typedef void (*lc_i_kernel)(lc_cgraph_t *cg, lc_i_node *node);

/* The CPU kernels' loop over `len` independent elements (or rows): threads when
 * the loop is long enough to pay for waking them, a static schedule so that each
 * element is computed alike on any thread count. LC_I_PAR_SIMD also asks for SIMD
 * lanes, for bodies without loop-carried state: GCC's -O2 leaves such loops scalar
 * (relu's select became a mispredicted branch per element: bench/NOTES.md). */
#define LC_I_PRAGMA(...) _Pragma(#__VA_ARGS__)
#define LC_I_PAR_FOR                                                                               \
    LC_I_PRAGMA(omp parallel for schedule(static) num_threads(lc_i_threads()) if (len > 65536))
#define LC_I_PAR_SIMD                                                                              \
    LC_I_PRAGMA(omp parallel for simd schedule(static) num_threads(lc_i_threads())                 \
                    if (parallel : len > 65536))

/* A search for the kc nearest other points of each of n host points (idx,
 * dist: [n, kc] host arrays, sorted by float squared distance, then index). */
typedef lc_status (*lc_i_knn_search)(const float *points, int64_t n, int dim, int kc, int32_t *idx,
                                     float *dist);

typedef struct lc_i_backend {
    const char *name;
    lc_device device;
    lc_i_kernel forward[LC_OP_COUNT];
    lc_i_kernel backward[LC_OP_COUNT];
    /* The rest is for backends with memory of their own (NULL on the CPU,
     * whose buffers are the host tensors). A device backend keeps, per node,
     * dvalue, dgrad and daux, and its own state in cg->device_state. Kernels
     * cannot fail: a device error is kept and returned by finish. */
    lc_status (*attach)(lc_cgraph_t *cg); /* allocate all, upload constants and parameters */
    void (*detach)(lc_cgraph_t *cg);      /* free all (parameters already downloaded) */
    /* Upload what the host changed (nodes with host_newer), labels and masks. */
    lc_status (*begin_forward)(lc_cgraph_t *cg);
    /* Zero every gradient (under a plan: the parameters'), set the loss's to 1. */
    lc_status (*begin_backward)(lc_cgraph_t *cg);
    /* Zero node n's gradient (under a plan, just before its first writer). */
    void (*zero_grad)(lc_cgraph_t *cg, lc_i_node *n);
    /* The first error since the last call, if any (without waiting). */
    lc_status (*finish)(lc_cgraph_t *cg);
    /* Wait for the device, then as finish. */
    lc_status (*synchronize)(lc_cgraph_t *cg);
    /* Copy a node's value (grad = false) or gradient to its host tensor. */
    lc_status (*download)(lc_cgraph_t *cg, lc_i_node *n, bool grad);
    /* Plain device memory for the optimizer's state (zeroed), and copies. */
    lc_status (*alloc)(float **p, int64_t count);
    void (*free)(float *p);
    lc_status (*copy)(float *dst, const float *src, int64_t count, bool to_device);
    /* One optimizer update of len parameters w from gradient g, state m, v
     * (see optim.c for the formulas; bc1 and bc2_sqrt are Adam's bias
     * corrections of this step). */
    void (*optim_update)(lc_cgraph_t *cg, const lc_optim_config *c, int64_t step, float bc1,
                         float bc2_sqrt, float weight_decay, float *w, const float *g, float *m,
                         float *v, int64_t len);
    /* What the backend chose for cg at attach, as text into buf[len] (the CUDA
     * backend: the SpMM algorithm of each multiplication), for benchmarks and
     * logs; NULL where there is nothing to say. */
    void (*describe)(const lc_cgraph_t *cg, char *buf, size_t len);
    /* The bytes attach would allocate for cg's buffers in one block (the CUDA
     * arena: parameters, gradients, index arrays, the planned values), worked
     * out on the host alone for a graph still on the CPU (no device needed:
     * bench/gcn_epoch --plan). NULL where there is no such block. */
    lc_status (*layout_bytes)(lc_cgraph_t *cg, int64_t *bytes);
    /* lc_graph_knn_device's search; NULL: the backend has none of its own. */
    lc_i_knn_search knn;
    /* Data-parallel training with the device's own collectives (NCCL), one
     * device per rank; NULL where the backend has none, and then the
     * gradients go through the host (lib/dist.c). */
    /* Open the collective library, and say which device this process runs on
     * (LC_I_DEVICE_UUID_BYTES), for the caller to compare across ranks: one
     * device cannot serve two ranks of a communicator. */
    lc_status (*comm_open)(unsigned char *uuid);
    /* Rank 0: the id (LC_I_COMM_ID_BYTES) with which every rank joins. */
    lc_status (*comm_id)(void *id);
    /* Join the communicator (collective: every rank at once), with device
     * scratch for the parameters' gradients of cg. */
    lc_status (*comm_new)(lc_cgraph_t *cg, const void *id, int rank, int size, void **comm);
    /* Every parameter gradient becomes Σ over the ranks of share·(that rank's),
     * summed in double; returns when the result is there (so that a rank that
     * is gone shows in the caller's watchdog, not in a later copy). */
    lc_status (*comm_sum)(lc_cgraph_t *cg, void *comm, double share);
    void (*comm_free)(void *comm);
} lc_i_backend;
#define LC_I_DEVICE_UUID_BYTES 16
#define LC_I_COMM_ID_BYTES 128 /* NCCL_UNIQUE_ID_BYTES */

/* lc_graph_knn_device's host half (graphs/knn.c): the graph from a search's
 * candidates, their distances recomputed in double, ties settled exactly (a
 * point whose k-th neighbour is tied across the cut is scanned). Arguments
 * checked by the caller. */
lc_status lc_i_knn_from_candidates(lc_graph_t **g, int64_t n, int dim, const float *points, int k,
                                   int flags, lc_i_knn_search search);

/* The backend of device d, or NULL when this build has none (backends.c: the
 * one place that knows which backends were built). */
const lc_i_backend *lc_i_backend_of(lc_device d);

/* CPU kernels of the op families kept in their own files. */
void lc_i_edge_conv_fwd(lc_cgraph_t *cg, lc_i_node *n); /* ops_edge.c */
void lc_i_edge_conv_bwd(lc_cgraph_t *cg, lc_i_node *n);
/* The edge-weighted generators' kernels on raw arrays, for the op above and for
 * partitioned training (dist_graph.c). Rows are viewed as [R, blocks, f], f one
 * generator's width; sum (expand false): z has p blocks, y one; expand: z has
 * one, y p. Entry k of a (row: the edge's tail, the output; column: its head, a
 * row of z) has the weights w[k·p .. k·p + p); z has a->n_cols rows, and its
 * first a->n_rows are the rows of y (the vector field's diagonal reads them). */
typedef struct {
    int64_t R, p, f;
    int64_t zp, yp; /* blocks of z and of y */
    bool expand, vf;
} lc_i_edge_dims;
static inline lc_i_edge_dims lc_i_edge_dims_of(int64_t R, int64_t p, int64_t f, bool expand,
                                               bool vf)
{
    lc_i_edge_dims d; /* (no compound literal: nvcc's C++ reads this header too) */
    d.R = R, d.p = p, d.f = f, d.zp = expand ? 1 : p, d.yp = expand ? p : 1;
    d.expand = expand, d.vf = vf;
    return d;
}
/* y = Σ_i L_i·z (a->n_rows rows of y). */
void lc_i_edge_conv_rows(const lc_i_edge_dims *d, const lc_csr_t *a, const float *z, const float *w,
                         float *y);
/* dz += Σ_i L_iᵀ·dy over the rows of at = aᵀ (its source maps entries to a's). */
void lc_i_edge_conv_grad_z(const lc_i_edge_dims *d, const lc_csr_t *a, const lc_csr_t *at,
                           const float *w, const float *dy, float *dz);
/* dw += the SDDMM <dy[tail], z[head] (− z[tail])> per entry and generator. */
void lc_i_edge_conv_grad_w(const lc_i_edge_dims *d, const lc_csr_t *a, const float *z,
                           const float *dy, float *dw);
void lc_i_lowrank_fwd(lc_cgraph_t *cg, lc_i_node *n);   /* ops_lowrank.c */
void lc_i_lowrank_bwd(lc_cgraph_t *cg, lc_i_node *n);
void lc_i_pool_fwd(lc_cgraph_t *cg, lc_i_node *n);      /* ops_pool.c */
void lc_i_pool_bwd(lc_cgraph_t *cg, lc_i_node *n);
void lc_i_flatten_fwd(lc_cgraph_t *cg, lc_i_node *n);
void lc_i_flatten_bwd(lc_cgraph_t *cg, lc_i_node *n);
void lc_i_reshape_fwd(lc_cgraph_t *cg, lc_i_node *n); /* ops_shape.c */
void lc_i_reshape_bwd(lc_cgraph_t *cg, lc_i_node *n);
void lc_i_mul_fwd(lc_cgraph_t *cg, lc_i_node *n);
void lc_i_mul_bwd(lc_cgraph_t *cg, lc_i_node *n);
void lc_i_diffusion_fwd(lc_cgraph_t *cg, lc_i_node *n); /* diffusion.c */
void lc_i_diffusion_bwd(lc_cgraph_t *cg, lc_i_node *n);
/* The solves on host arrays, x [n, c] (the CUDA backend runs them so):
 * y = A⁻¹·M·x, or with adjoint y += M·A⁻¹·x; work holds work_floats floats,
 * lc_i_diffusion_aux's count for a node of c columns. */
void lc_i_diffusion_host(const lc_diffusion_t *d, const float *x, float *y, int64_t c, float *work,
                         int64_t work_floats, int adjoint);

/* The CPU backend (its kernels and this table are in ops.c): OpenBLAS GEMM,
 * the CSR SpMM of csr.c, OpenMP loops. */
extern const lc_i_backend lc_i_backend_cpu;

#endif
