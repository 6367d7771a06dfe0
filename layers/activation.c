/* activation.c — the parameter-free layers: activations, dropout, flatten and exact diffusion. */
#include <math.h>

#include "layer.h"

static lc_status build_activation(lc_i_build_ctx *ctx, const lc_layer_desc *d, lc_i_flow in,
                                  lc_i_flow *out)
{
    const lc_i_layer_type *type = lc_i_layer_by_kind(d->kind);
    lc_status st = lc_i_require_dense(type, in);
    if (st) return st;
    lc_node y = -1;
    switch (d->kind) {
    case LC_LAYER_RELU: st = lc_cg_relu(ctx->cg, in.node, &y); break;
    case LC_LAYER_LEAKY_RELU: st = lc_cg_leaky_relu(ctx->cg, in.node, d->arg, &y); break;
    case LC_LAYER_ELU: st = lc_cg_elu(ctx->cg, in.node, d->arg, &y); break;
    case LC_LAYER_TANH: st = lc_cg_tanh(ctx->cg, in.node, &y); break;
    case LC_LAYER_SIGMOID: st = lc_cg_sigmoid(ctx->cg, in.node, &y); break;
    default: return LC_ERROR(LC_ERR_INVALID_ARG, "layer kind %d is not an activation", d->kind);
    }
    if (st) return st;
    *out = (lc_i_flow){.node = y, .width = in.width};
    return LC_OK;
}

static lc_status build_dropout(lc_i_build_ctx *ctx, const lc_layer_desc *d, lc_i_flow in,
                               lc_i_flow *out)
{
    /* On the sparse input features, dropout is deferred to the next learnable
     * layer, whose SpMM masks the stored entries (consecutive dropouts compose). */
    if (in.sparse) {
        *out = in;
        out->sparse_dropout = lc_i_dropout_compose(in.sparse_dropout, d->arg);
        return LC_OK;
    }
    lc_node y;
    lc_status st = lc_cg_dropout(ctx->cg, in.node, d->arg, &y);
    if (st) return st;
    *out = (lc_i_flow){.node = y, .width = in.width};
    return LC_OK;
}

/* Graph-level data: the batch [n, B, c] becomes [B, n·c], one row per sample,
 * for a dense head (the paper's "flatten"). */
static lc_status build_flatten(lc_i_build_ctx *ctx, const lc_layer_desc *d, lc_i_flow in,
                               lc_i_flow *out)
{
    lc_status st = lc_i_require_dense(lc_i_layer_by_kind(d->kind), in);
    if (st) return st;
    if (ctx->cg->nodes[in.node].ndim != 3)
        return LC_ERROR(LC_ERR_INVALID_ARG,
                        "'flatten' needs graph-level data (a batch of samples, "
                        "lc_dataset_from_samples); node-level data has one row per node");
    lc_node y;
    if ((st = lc_cg_flatten(ctx->cg, in.node, &y))) return st;
    *out = (lc_i_flow){.node = y, .width = ctx->cg->nodes[y].shape[1]};
    return LC_OK;
}

/* (I + t·L)⁻¹·X on the data's graph (lc_graph_diffusion, factorised once per
 * graph and t); graph-level batches [n, B, c] diffuse each column alike. */
static lc_status build_diffusion(lc_i_build_ctx *ctx, const lc_layer_desc *d, lc_i_flow in,
                                 lc_i_flow *out)
{
    lc_status st = lc_i_require_dense(lc_i_layer_by_kind(d->kind), in);
    if (st) return st;
    const lc_diffusion_t *dif;
    lc_node y;
    if ((st = lc_graph_diffusion(ctx->graph, d->arg, &dif)) ||
        (st = lc_cg_diffusion(ctx->cg, dif, in.node, &y)))
        return st;
    *out = (lc_i_flow){.node = y, .width = in.width};
    return LC_OK;
}

const lc_i_layer_type lc_i_layer_relu = {LC_LAYER_RELU, "relu", false, 0, NAN, build_activation};
const lc_i_layer_type lc_i_layer_leaky_relu = {LC_LAYER_LEAKY_RELU, "leaky_relu", false, 0, 0.01f,
                                               build_activation};
const lc_i_layer_type lc_i_layer_elu = {LC_LAYER_ELU, "elu", false, 0, 1.0f, build_activation};
const lc_i_layer_type lc_i_layer_tanh = {LC_LAYER_TANH, "tanh", false, 0, NAN, build_activation};
const lc_i_layer_type lc_i_layer_sigmoid = {LC_LAYER_SIGMOID, "sigmoid", false, 0, NAN,
                                            build_activation};
const lc_i_layer_type lc_i_layer_dropout = {LC_LAYER_DROPOUT, "dropout", false, 0, 0.5f,
                                            build_dropout};
const lc_i_layer_type lc_i_layer_flatten = {LC_LAYER_FLATTEN, "flatten", false, 0, NAN,
                                            build_flatten};
const lc_i_layer_type lc_i_layer_diffusion = {LC_LAYER_DIFFUSION, "diffusion", false, 0, 1.0f,
                                              build_diffusion};
