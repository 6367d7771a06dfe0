/* lattice.c — the CNN as an L-conv: the fixed shift generators of a k^d stencil on a grid. */
#include <math.h>

#include "layer.h"

/* The data's grid with stencil side k (the grid itself, or its cached copy
 * with that stencil) and its number of offsets p = k^d − 1; errors are
 * reported under `func`, the builder that asked. */
static lc_status stencil_grid(const char *func, const lc_i_build_ctx *ctx, int k, lc_graph_t **grid,
                              int *p)
{
    lc_graph_t *g = ctx->graph;
    if (!g) return lc_i_error(LC_ERR_INVALID_ARG, func, "layer %d 'lattice': no graph", ctx->layer);
    if (k < 3 || k > 1023 || k % 2 == 0)
        return lc_i_error(LC_ERR_INVALID_ARG, func,
                          "layer %d 'lattice': k = %d is not an odd number in [3, 1023]",
                          ctx->layer, k);
    if (!g->grid_k)
        return lc_i_error(LC_ERR_INVALID_ARG, func,
                          "layer %d 'lattice': the data's graph is not a grid (it has no stencil "
                          "edge types); build it with lc_graph_grid",
                          ctx->layer);
    lc_status st = lc_i_grid_with_stencil(g, k, grid);
    if (st) {
        char why[256]; /* copied: the error buffer is about to be rewritten */
        snprintf(why, sizeof why, "%s", lc_last_error());
        return lc_i_error(st, func, "layer %d 'lattice': k = %d: %s", ctx->layer, k, why);
    }
    g = *grid;
    if (g->m < 1)
        return lc_i_error(LC_ERR_INVALID_ARG, func,
                          "layer %d 'lattice': the grid has no edges (%lld nodes)", ctx->layer,
                          (long long)g->n);
    *p = g->n_edge_types;
    return LC_OK;
}

/* A weight node must be 2-D [rows, cols] (errors reported under `func`). */
static lc_status check_weight(const char *func, const lc_i_build_ctx *ctx, lc_node w,
                              const char *what, int64_t rows, int64_t cols)
{
    if (w < 0 || w >= ctx->cg->n_nodes)
        return lc_i_error(LC_ERR_INVALID_ARG, func,
                          "layer %d 'lattice': %s is node %d, not in the graph", ctx->layer, what,
                          (int)w);
    const lc_i_node *n = &ctx->cg->nodes[w];
    if (n->ndim != 2 || n->shape[0] != rows || n->shape[1] != cols) {
        char s[64];
        return lc_i_error(LC_ERR_SHAPE, func, "layer %d 'lattice': %s is %s, expected [%lld, %lld]",
                          ctx->layer, what, lc_i_node_shape_str(n, s, sizeof s), (long long)rows,
                          (long long)cols);
    }
    return LC_OK;
}

lc_status lc_i_lattice_conv(lc_i_build_ctx *ctx, int k, lc_i_flow in, int64_t width, lc_node w0,
                            lc_node w_all, lc_node b, lc_node *out)
{
    lc_status st = LC_OK;
    lc_tensor_t *onehot = NULL;
    lc_node w, z, y, xw0, sum;
    int p = 0;
    lc_graph_t *g = NULL;
    LC_TRY(stencil_grid(__func__, ctx, k, &g, &p));
    const lc_i_node *wn = w_all >= 0 && w_all < ctx->cg->n_nodes ? &ctx->cg->nodes[w_all] : NULL;
    const bool stacked = wn && wn->ndim == 2 && wn->shape[0] == (int64_t)p * in.width &&
                         wn->shape[1] == width && !in.sparse;
    if (stacked) LC_TRY(check_weight(__func__, ctx, w_all, "W_all", (int64_t)p * in.width, width));
    else LC_TRY(check_weight(__func__, ctx, w_all, "W_all", in.width, (int64_t)p * width));
    if (w0 >= 0) LC_TRY(check_weight(__func__, ctx, w0, "W0", in.width, width));
    /* Generator o is the shift S_o: weight 1 on the edges of type o, 0 elsewhere
     * (the edge op skips the zeros), in the adjacency form (L z)[v] = Σ w·z[head]. */
    LC_TRY(lc_tensor_new2(&onehot, g->m, p));
    for (int64_t e = 0; e < g->m; e++)
        onehot->data[e * p + g->edge_type[e]] = 1.0f;
    LC_TRY(lc_i_owned_constant(ctx->cg, onehot, &w));
    onehot = NULL; /* owned by the compute graph now */
    if (stacked) {
        LC_TRY(lc_cg_edge_expand(ctx->cg, g, in.node, w, LC_LCONV_ADJACENCY, &z));
        LC_TRY(lc_cg_matmul(ctx->cg, z, w_all, &y));
    } else {
        LC_TRY(lc_i_project(ctx, in, w_all, &z));
        LC_TRY(lc_cg_edge_conv(ctx->cg, g, z, w, LC_LCONV_ADJACENCY, &y));
    }
    if (w0 >= 0) {
        LC_TRY(lc_i_project(ctx, in, w0, &xw0));
        LC_TRY(lc_cg_add(ctx->cg, xw0, y, &sum));
        y = sum;
    }
    LC_TRY(lc_i_add_bias(ctx, y, b, &y));
    *out = y;
done:
    lc_tensor_free(&onehot);
    return st;
}

static lc_status build_lattice(lc_i_build_ctx *ctx, const lc_layer_desc *d, lc_i_flow in,
                               lc_i_flow *out)
{
    const int k = d->kernel ? d->kernel : 3;
    lc_status st = LC_OK;
    lc_tensor_t *t = NULL;
    lc_node w_all, w0 = -1, b = -1, y;
    int p = 0;
    lc_graph_t *grid = NULL;
    LC_TRY(stencil_grid(__func__, ctx, k, &grid, &p));
    /* W_all side by side [in, p·out] or stacked [p·in, out], whichever moves
     * fewer floats; every tap W_o Glorot-uniform for fan (in, out), as W0. */
    if (lc_i_expand_first(in, p, d->width)) LC_TRY(lc_tensor_new2(&t, (int64_t)p * in.width, d->width));
    else LC_TRY(lc_tensor_new2(&t, in.width, (int64_t)p * d->width));
    const float a = sqrtf(6.0f / (float)(in.width + d->width));
    for (int64_t i = 0; i < t->numel; i++)
        t->data[i] = (2.0f * lc_rng_uniform(ctx->init_rng) - 1.0f) * a;
    LC_TRY(ctx->add_param(ctx, t, "weights", true, &w_all));
    lc_tensor_free(&t);
    if (!d->no_w0) {
        LC_TRY(lc_tensor_new2(&t, in.width, d->width));
        LC_TRY(lc_init_glorot(t, ctx->init_rng));
        LC_TRY(ctx->add_param(ctx, t, "weight0", true, &w0));
        lc_tensor_free(&t);
    }
    if (!d->no_bias) {
        LC_TRY(lc_tensor_new(&t, 1, &d->width));
        LC_TRY(ctx->add_param(ctx, t, "bias", false, &b));
        lc_tensor_free(&t);
    }
    LC_TRY(lc_i_lattice_conv(ctx, k, in, d->width, w0, w_all, b, &y));
    *out = (lc_i_flow){.node = y, .width = d->width};
done:
    lc_tensor_free(&t);
    return st;
}

const lc_i_layer_type lc_i_layer_lattice = {
    LC_LAYER_LATTICE, "lattice", true, LC_OPT_NOBIAS | LC_OPT_K | LC_OPT_NOW0, NAN, build_lattice};
