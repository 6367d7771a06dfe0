/* lowrank.c — the low-rank L-conv for data of unknown topology: Y = X·W0 + Σ_i U_i·V_iᵀ·X·W_i + b,
 * with each generator L_i = U_i·V_iᵀ learned as two [n, r] factors (scrambled pixels, point sets). */
#include <math.h>

#include "layer.h"

/* U or V [n, p·r] (generator-major: U_i is columns i·r … i·r+r−1), entries
 * N(0, σ²) with σ = (n·r)^(−1/4). For any x, E‖U_i·V_iᵀ·x‖² = n·r·σ⁴·‖x‖² = ‖x‖²:
 * each generator starts with the gain of the identity, as the 1/deg start of
 * the edge-weighted family does, so the output is O(input) whatever n and r.
 * Frozen factors are constants ("random L" control), otherwise parameters
 * without weight decay (like edge weights, they are the operator, not a weight). */
static lc_status factor(lc_i_build_ctx *ctx, const lc_layer_desc *d, int64_t n, int p, int r,
                        const char *what, lc_node *out)
{
    lc_tensor_t *t = NULL;
    lc_status st = lc_tensor_new2(&t, n, (int64_t)p * r);
    if (st) return st;
    const float sigma = powf((float)n * (float)r, -0.25f);
    for (int64_t i = 0; i < t->numel; i++) t->data[i] = sigma * lc_rng_normal(ctx->init_rng);
    if (d->frozen) {
        st = lc_i_owned_constant(ctx->cg, t, out);
        if (!st) t = NULL; /* owned by the graph now */
    } else {
        st = ctx->add_param(ctx, t, what, false, out);
    }
    lc_tensor_free(&t);
    return st;
}

/* W_all [in, p·out] (project first) or stacked [p·in, out] (expand first),
 * with every block W_i Glorot-uniform for fan (in, out). */
static lc_status generator_weights(lc_i_build_ctx *ctx, int64_t in, int64_t out, int p,
                                   bool stacked, lc_node *w_all)
{
    lc_tensor_t *t = NULL;
    lc_status st = stacked ? lc_tensor_new2(&t, (int64_t)p * in, out)
                           : lc_tensor_new2(&t, in, (int64_t)p * out);
    if (st) return st;
    const float a = sqrtf(6.0f / (float)(in + out));
    for (int64_t i = 0; i < t->numel; i++)
        t->data[i] = (2.0f * lc_rng_uniform(ctx->init_rng) - 1.0f) * a;
    st = ctx->add_param(ctx, t, "weights", true, w_all);
    lc_tensor_free(&t);
    return st;
}

static lc_status build_lowrank(lc_i_build_ctx *ctx, const lc_layer_desc *d, lc_i_flow in,
                               lc_i_flow *out)
{
    const int p = d->generators ? d->generators : 7, r = d->rank ? d->rank : 8;
    /* The generators act on the rows of the input: its nodes (pixels, points). */
    const int64_t n = in.sparse ? in.sparse->n_rows : ctx->cg->nodes[in.node].shape[0];
    lc_status st = LC_OK;
    lc_node u, v, w_all, z, y, w0, xw0, sum, b = -1;
    lc_tensor_t *t = NULL;
    LC_TRY(factor(ctx, d, n, p, r, "U", &u));
    LC_TRY(factor(ctx, d, n, p, r, "V", &v));
    /* Σ_i U_i·V_iᵀ·X·W_i as lowrank(X·[W_1|…|W_p]) or lowrank_expand(X)·[W_1;…;W_p],
     * by the rule of the edge-weighted family (the moved floats scale alike). */
    const bool expand = lc_i_expand_first(in, p, d->width);
    LC_TRY(generator_weights(ctx, in.width, d->width, p, expand, &w_all));
    if (expand) {
        LC_TRY(lc_cg_lowrank_expand(ctx->cg, u, v, in.node, p, &z));
        LC_TRY(lc_cg_matmul(ctx->cg, z, w_all, &y));
    } else {
        LC_TRY(lc_i_project(ctx, in, w_all, &z));
        LC_TRY(lc_cg_lowrank(ctx->cg, u, v, z, p, &y));
    }
    if (!d->no_w0) {
        LC_TRY(lc_tensor_new2(&t, in.width, d->width));
        LC_TRY(lc_init_glorot(t, ctx->init_rng));
        LC_TRY(ctx->add_param(ctx, t, "weight0", true, &w0));
        lc_tensor_free(&t);
        LC_TRY(lc_i_project(ctx, in, w0, &xw0));
        LC_TRY(lc_cg_add(ctx->cg, xw0, y, &sum));
        y = sum;
    }
    if (!d->no_bias) {
        LC_TRY(lc_tensor_new(&t, 1, &d->width));
        LC_TRY(ctx->add_param(ctx, t, "bias", false, &b));
        lc_tensor_free(&t);
    }
    LC_TRY(lc_i_add_bias(ctx, y, b, &y));
    *out = (lc_i_flow){.node = y, .width = d->width};
done:
    lc_tensor_free(&t);
    return st;
}

const lc_i_layer_type lc_i_layer_lowrank = {LC_LAYER_LOWRANK, "lowrank", true,
                                            LC_OPT_NOBIAS | LC_OPT_P | LC_OPT_R | LC_OPT_FROZEN |
                                                LC_OPT_NOW0,
                                            NAN, build_lowrank};
