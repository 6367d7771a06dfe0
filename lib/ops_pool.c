/* ops_pool.c — pooling over nodes and flattening for graph- and image-level heads. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "backend.h"


/* Max pooling keeps, per output element, the index of the node that won, as an
 * int32 written into the float aux buffer (same size; the buffer is only ever
 * accessed as int32, so its effective type is int32). */
_Static_assert(sizeof(int32_t) == sizeof(float), "argmax indices share the float aux buffer");

static inline int64_t row_width(const lc_tensor_t *t) { return t->numel / t->shape[0]; }

lc_status lc_cg_pool(lc_cgraph_t *cg, lc_node x, lc_pool_kind kind, const int32_t *graph_of,
                     int64_t n_graphs, lc_node *out)
{
    const lc_node in[1] = {x};
    lc_status st = lc_i_check_build(cg, __func__, 1, in, out);
    if (st) return st;
    LC_CHECK_ARG(kind == LC_POOL_SUM || kind == LC_POOL_MEAN || kind == LC_POOL_MAX,
                 "unknown pool kind %d", (int)kind);
    const lc_i_node *nx = &cg->nodes[x];
    char sx[64];
    if (nx->ndim < 2)
        return LC_ERROR(LC_ERR_SHAPE, "x %s must be [n, …, c] (2-D at least)",
                        lc_i_node_shape_str(nx, sx, sizeof sx));
    const int64_t n = nx->shape[0];
    if (n > INT32_MAX)
        return LC_ERROR(LC_ERR_SHAPE, "x %s has more than 2^31 - 1 nodes",
                        lc_i_node_shape_str(nx, sx, sizeof sx));
    int64_t groups = 1;
    if (graph_of) {
        LC_CHECK_ARG(n_graphs >= 1 && n_graphs <= INT32_MAX,
                     "n_graphs = %lld not in [1, 2^31 - 1] with a graph_of index",
                     (long long)n_graphs);
        /* Checked once here, so that the kernels may index with it unchecked. */
        for (int64_t k = 0; k < n; k++)
            if (graph_of[k] < 0 || graph_of[k] >= n_graphs)
                return LC_ERROR(LC_ERR_INVALID_ARG, "graph_of[%lld] = %d is not in [0, n_graphs = %lld)",
                                (long long)k, (int)graph_of[k], (long long)n_graphs);
        groups = n_graphs;
    } else {
        LC_CHECK_ARG(n_graphs == 0 || n_graphs == 1,
                     "n_graphs = %lld without a graph_of index (give 0 or 1: all nodes are one graph)",
                     (long long)n_graphs);
    }
    int64_t shape[LC_MAX_DIMS];
    memcpy(shape, nx->shape, sizeof shape);
    shape[0] = groups;
    lc_i_node *node;
    if ((st = lc_i_push_node(cg, LC_OP_POOL, 1, x, -1, nx->ndim, shape, out, &node))) return st;
    node->ptr = graph_of;
    node->iparam[0] = kind;
    return LC_OK;
}

lc_status lc_cg_flatten(lc_cgraph_t *cg, lc_node x, lc_node *out)
{
    const lc_node in[1] = {x};
    lc_status st = lc_i_check_build(cg, __func__, 1, in, out);
    if (st) return st;
    const lc_i_node *nx = &cg->nodes[x];
    char sx[64];
    if (nx->ndim < 2)
        return LC_ERROR(LC_ERR_SHAPE, "x %s must be [n, B, c] or [n, c]",
                        lc_i_node_shape_str(nx, sx, sizeof sx));
    /* Dimensions between the first and the last are the batch (their product). */
    int64_t batch = 1;
    for (int i = 1; i < nx->ndim - 1; i++) batch *= nx->shape[i];
    const int64_t shape[2] = {batch, nx->shape[0] * nx->shape[nx->ndim - 1]};
    return lc_i_push_node(cg, LC_OP_FLATTEN, 1, x, -1, 2, shape, out, NULL);
}

/* Outputs are reduced over the nodes in node order, one thread: deterministic. */
void lc_i_pool_fwd(lc_cgraph_t *cg, lc_i_node *node)
{
    const lc_tensor_t *xt = lc_i_in(cg, node, 0)->value;
    const int32_t *graph_of = node->ptr;
    const int64_t n = xt->shape[0], w = row_width(xt), groups = node->shape[0];
    const float *x = xt->data;
    float *y = node->value->data;
    switch ((lc_pool_kind)node->iparam[0]) {
    case LC_POOL_SUM:
    case LC_POOL_MEAN: {
        /* Sums and counts in double: float stops counting at 2^24 nodes. */
        double *acc = (double *)node->aux->data, *count = acc + groups * w;
        memset(acc, 0, (size_t)(groups * w + groups) * sizeof *acc);
        for (int64_t k = 0; k < n; k++) {
            const int64_t g = graph_of ? graph_of[k] : 0;
            const float *xk = x + k * w;
            for (int64_t j = 0; j < w; j++) acc[g * w + j] += xk[j];
            count[g] += 1.0;
        }
        const bool mean = node->iparam[0] == LC_POOL_MEAN;
        for (int64_t g = 0; g < groups; g++) /* an empty graph keeps its zero */
            for (int64_t j = 0; j < w; j++)
                y[g * w + j] = (float)(mean && count[g] > 0 ? acc[g * w + j] / count[g] : acc[g * w + j]);
        break;
    }
    case LC_POOL_MAX: {
        int32_t *arg = (int32_t *)node->aux->data;
        for (int64_t o = 0; o < groups * w; o++) arg[o] = -1;
        for (int64_t k = 0; k < n; k++) {
            const int64_t base = (graph_of ? graph_of[k] : 0) * w;
            const float *xk = x + k * w;
            for (int64_t j = 0; j < w; j++) {
                const int64_t o = base + j;
                /* strictly greater: ties stay with the first node; a NaN wins so that it shows */
                if (arg[o] < 0 || xk[j] > y[o] || (isnan(xk[j]) && !isnan(y[o]))) {
                    y[o] = xk[j];
                    arg[o] = (int32_t)k;
                }
            }
        }
        for (int64_t o = 0; o < groups * w; o++)
            if (arg[o] < 0) y[o] = 0.0f; /* an empty graph */
        break;
    }
    }
}

void lc_i_pool_bwd(lc_cgraph_t *cg, lc_i_node *node)
{
    lc_i_node *xn = lc_i_in(cg, node, 0);
    if (!xn->grad) return;
    const int32_t *graph_of = node->ptr;
    const int64_t n = xn->value->shape[0], w = row_width(xn->value), len = n * w;
    const float *dy = node->grad->data;
    float *dx = xn->grad->data;
    const int kind = node->iparam[0];
    if (kind == LC_POOL_MAX) {
        const int32_t *arg = (const int32_t *)node->aux->data;
        for (int64_t o = 0; o < node->grad->numel; o++)
            if (arg[o] >= 0) dx[arg[o] * w + o % w] += dy[o];
        return;
    }
    const int64_t groups = node->shape[0];
    const double *count = kind == LC_POOL_MEAN ? (const double *)node->aux->data + groups * w : NULL;
    LC_I_PAR_FOR for (int64_t k = 0; k < n; k++)
    {
        const int64_t g = graph_of ? graph_of[k] : 0;
        const float scale = count ? (float)(1.0 / count[g]) : 1.0f; /* count ≥ 1: node k is in g */
        for (int64_t j = 0; j < w; j++) dx[k * w + j] += scale * dy[g * w + j];
    }
}

/* x [n, B, c] → y [B, n·c]: y[b, k·c + j] = x[k, b, j]. */
void lc_i_flatten_fwd(lc_cgraph_t *cg, lc_i_node *node)
{
    const lc_tensor_t *xt = lc_i_in(cg, node, 0)->value;
    const int64_t n = xt->shape[0], c = xt->shape[xt->ndim - 1], batch = node->shape[0];
    const int64_t len = xt->numel;
    const float *x = xt->data;
    float *y = node->value->data;
    LC_I_PAR_FOR for (int64_t b = 0; b < batch; b++)
        for (int64_t k = 0; k < n; k++)
            memcpy(y + (b * n + k) * c, x + (k * batch + b) * c, (size_t)c * sizeof *y);
}

void lc_i_flatten_bwd(lc_cgraph_t *cg, lc_i_node *node)
{
    lc_i_node *xn = lc_i_in(cg, node, 0);
    if (!xn->grad) return;
    const int64_t n = xn->value->shape[0], c = xn->value->shape[xn->value->ndim - 1];
    const int64_t batch = node->shape[0], len = xn->value->numel;
    const float *dy = node->grad->data;
    float *dx = xn->grad->data;
    LC_I_PAR_FOR for (int64_t b = 0; b < batch; b++)
        for (int64_t k = 0; k < n; k++) {
            const float *src = dy + (b * n + k) * c;
            float *dst = dx + (k * batch + b) * c;
            for (int64_t j = 0; j < c; j++) dst[j] += src[j];
        }
}
