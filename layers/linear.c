/* linear.c — the fully connected layer Y = X·W + b, and the weight helpers shared by learnable layers. */
#include <math.h>

#include "layer.h"

lc_status lc_i_weight_and_bias(lc_i_build_ctx *ctx, const lc_layer_desc *desc, int64_t in,
                               lc_node *w, lc_node *b)
{
    lc_status st = LC_OK;
    lc_tensor_t *wt = NULL, *bt = NULL;
    int64_t out = desc->width;
    LC_TRY(lc_tensor_new2(&wt, in, out));
    LC_TRY(lc_init_glorot(wt, ctx->init_rng));
    LC_TRY(ctx->add_param(ctx, wt, "weight", true, w));
    *b = -1;
    if (!desc->no_bias) {
        LC_TRY(lc_tensor_new(&bt, 1, &out));
        LC_TRY(ctx->add_param(ctx, bt, "bias", false, b));
    }
done:
    lc_tensor_free(&wt);
    lc_tensor_free(&bt);
    return st;
}

lc_status lc_i_project(lc_i_build_ctx *ctx, lc_i_flow x, lc_node w, lc_node *out)
{
    /* X·W with a sparse X is the SpMM X·W: no dense copy of the features. */
    if (x.sparse) return lc_cg_spmm_dropout(ctx->cg, x.sparse, w, x.sparse_dropout, out);
    return lc_cg_matmul(ctx->cg, x.node, w, out);
}

lc_status lc_i_add_bias(lc_i_build_ctx *ctx, lc_node x, lc_node b, lc_node *out)
{
    if (b < 0) {
        *out = x;
        return LC_OK;
    }
    return lc_cg_bias(ctx->cg, x, b, out);
}

lc_status lc_i_require_dense(const lc_i_layer_type *type, lc_i_flow in)
{
    if (in.sparse)
        return LC_ERROR(LC_ERR_INVALID_ARG,
                        "'%s' cannot act on the sparse input features: put a learnable layer "
                        "(gcn, linear) first",
                        type->token);
    return LC_OK;
}

static lc_status build_linear(lc_i_build_ctx *ctx, const lc_layer_desc *d, lc_i_flow in,
                              lc_i_flow *out)
{
    lc_status st = LC_OK;
    lc_node w, b, xw, y;
    LC_TRY(lc_i_weight_and_bias(ctx, d, in.width, &w, &b));
    LC_TRY(lc_i_project(ctx, in, w, &xw));
    LC_TRY(lc_i_add_bias(ctx, xw, b, &y));
    *out = (lc_i_flow){.node = y, .width = d->width};
done:
    return st;
}

const lc_i_layer_type lc_i_layer_linear = {LC_LAYER_LINEAR, "linear", true, LC_OPT_NOBIAS, NAN, build_linear};
