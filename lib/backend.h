/* backend.h — the backend interface: one forward and one backward kernel per op (ggml-backend style). */
#ifndef LC_BACKEND_H
#define LC_BACKEND_H

#include "cgraph.h"

/* A forward kernel computes node->value from its inputs' values. A backward
 * kernel adds node->grad's contribution to the grad of every input that has
 * one (grad != NULL); grads are zeroed by the executor before the pass. */
typedef void (*lc_i_kernel)(lc_cgraph_t *cg, lc_i_node *node);

typedef struct lc_i_backend {
    const char *name;
    lc_i_kernel forward[LC_OP_COUNT];
    lc_i_kernel backward[LC_OP_COUNT];
} lc_i_backend;

/* CPU kernels of the op families kept in their own files. */
void lc_i_edge_conv_fwd(lc_cgraph_t *cg, lc_i_node *n); /* ops_edge.c */
void lc_i_edge_conv_bwd(lc_cgraph_t *cg, lc_i_node *n);
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

/* The CPU backend (its kernels and this table are in ops.c): OpenBLAS GEMM,
 * the CSR SpMM of csr.c, OpenMP loops. */
extern const lc_i_backend lc_i_backend_cpu;

#endif
