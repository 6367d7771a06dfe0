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

/* The CPU backend (its kernels and this table are in ops.c): OpenBLAS GEMM,
 * the CSR SpMM of csr.c, OpenMP loops. */
extern const lc_i_backend lc_i_backend_cpu;

#endif
