/* gcn.c — Kipf & Welling's graph convolution Y = Â·X·W + b with Â = D̃^-1/2 (A+I) D̃^-1/2. */
#include <math.h>

#include "layer.h"

static lc_status build_gcn(lc_i_build_ctx *ctx, const lc_layer_desc *d, lc_i_flow in,
                           lc_i_flow *out)
{
    lc_status st = LC_OK;
    const lc_csr_t *a_hat;
    lc_node w, b, h, y;
    LC_TRY(lc_graph_gcn_operator(ctx->graph, &a_hat));
    LC_TRY(lc_i_weight_and_bias(ctx, d, in.width, &w, &b));
    /* Â(XW) and (ÂX)W are equal; the SpMM costs nnz(Â) per column, so apply Â
     * on the narrower side. A sparse X is always projected first. */
    if (in.sparse || d->width <= in.width) {
        lc_node xw;
        LC_TRY(lc_i_project(ctx, in, w, &xw));
        LC_TRY(lc_cg_spmm(ctx->cg, a_hat, xw, &h));
    } else {
        lc_node ax;
        LC_TRY(lc_cg_spmm(ctx->cg, a_hat, in.node, &ax));
        LC_TRY(lc_cg_matmul(ctx->cg, ax, w, &h));
    }
    LC_TRY(lc_i_add_bias(ctx, h, b, &y));
    *out = (lc_i_flow){.node = y, .width = d->width};
done:
    return st;
}

const lc_i_layer_type lc_i_layer_gcn = {LC_LAYER_GCN, "gcn", true, LC_OPT_NOBIAS, NAN, build_gcn};
