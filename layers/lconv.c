/* lconv.c — the edge-weighted L-conv and the shared-generator L-conv (paper eq. 97):
 * Y = X·W0 + Σ_i L_i·X·W_i + b, with L_i given by weights on the graph's edges. */
#include <math.h>
#include <string.h>

#include "layer.h"

/* Edge weights [E, p] as a parameter, or as a constant when frozen ("random L"). */
static lc_status edge_weight_node(lc_i_build_ctx *ctx, const lc_layer_desc *d, lc_tensor_t **t,
                                  const char *what, lc_node *out)
{
    lc_status st;
    if (d->frozen) {
        st = lc_i_owned_constant(ctx->cg, *t, out);
        if (!st) *t = NULL; /* owned by the graph now */
        return st;
    }
    st = ctx->add_param(ctx, *t, what, false, out);
    lc_tensor_free(t);
    return st;
}

/* Σ_i L_i·X·W_i either as edge_conv(X·[W_1|…|W_p]) or as
 * edge_expand(X)·[W_1;…;W_p], as lc_i_expand_first chooses. */
static lc_status generator_term(lc_i_build_ctx *ctx, const lc_layer_desc *d, lc_i_flow in, int p,
                                lc_node w, lc_lconv_form form, lc_node *out)
{
    const bool expand_first = lc_i_expand_first(in, p, d->width);
    lc_tensor_t *t = NULL;
    lc_status st = expand_first ? lc_tensor_new2(&t, (int64_t)p * in.width, d->width)
                                : lc_tensor_new2(&t, in.width, (int64_t)p * d->width);
    if (st) return st;
    /* every block W_i Glorot-uniform for fan (in, out), whatever the layout */
    const float a = sqrtf(6.0f / (float)(in.width + d->width));
    for (int64_t i = 0; i < t->numel; i++) t->data[i] = (2.0f * lc_rng_uniform(ctx->init_rng) - 1.0f) * a;
    lc_node weights, z;
    st = ctx->add_param(ctx, t, "weights", true, &weights);
    lc_tensor_free(&t);
    if (st) return st;
    if (expand_first) {
        if ((st = lc_cg_edge_expand(ctx->cg, ctx->graph, in.node, w, form, &z))) return st;
        return lc_cg_matmul(ctx->cg, z, weights, out);
    }
    if ((st = lc_i_project(ctx, in, weights, &z))) return st;
    return lc_cg_edge_conv(ctx->cg, ctx->graph, z, w, form, out);
}

/* Y = [X·W0] + Σ_i L_i·X·W_i + b: shared by both families. */
static lc_status lconv_output(lc_i_build_ctx *ctx, const lc_layer_desc *d, lc_i_flow in, int p,
                              lc_node w, lc_lconv_form form, lc_i_flow *out)
{
    lc_status st = LC_OK;
    lc_node y, w0, xw0, sum, b = -1;
    LC_TRY(generator_term(ctx, d, in, p, w, form, &y));
    if (!d->no_w0) {
        lc_tensor_t *t = NULL;
        LC_TRY(lc_tensor_new2(&t, in.width, d->width));
        st = lc_init_glorot(t, ctx->init_rng);
        if (!st) st = ctx->add_param(ctx, t, "weight0", true, &w0);
        lc_tensor_free(&t);
        if (st) goto done;
        LC_TRY(lc_i_project(ctx, in, w0, &xw0));
        LC_TRY(lc_cg_add(ctx->cg, xw0, y, &sum));
        y = sum;
    }
    if (!d->no_bias) {
        lc_tensor_t *t = NULL;
        LC_TRY(lc_tensor_new(&t, 1, &d->width));
        st = ctx->add_param(ctx, t, "bias", false, &b);
        lc_tensor_free(&t);
        if (st) goto done;
    }
    LC_TRY(lc_i_add_bias(ctx, y, b, &y));
    *out = (lc_i_flow){.node = y, .width = d->width};
done:
    return st;
}

/* Edge weights w (lc_i_edge_rows: [er->m, p], or local) drawn in the order of
 * the whole graph's entries, each entry's scaled by its row's length so that
 * L_i·z stays O(|z|) whatever the degree. Entries outside er's rows take their
 * draws too (and stay 0 in a whole [m, p]), so that a part draws its edges'
 * weights as the whole graph does. */
static void init_edge_weights(const lc_layer_desc *d, int p, lc_rng_t *rng,
                              const lc_i_edge_rows *er, float *w)
{
    int64_t next = 0; /* the next entry of the whole graph to draw for */
    for (int64_t v = 0; v < er->rows; v++) {
        const int64_t count = er->rowptr[v + 1] - er->rowptr[v];
        const float inv = count ? 1.0f / (float)count : 0.0f;
        for (int64_t e = er->rowptr[v]; e < er->rowptr[v + 1]; e++) {
            const int64_t k = er->entry ? er->entry[e] : e;
            for (; d->init == LC_EDGE_INIT_NORMAL && next < k; next++)
                for (int i = 0; i < p; i++)
                    (void)lc_rng_normal(rng);
            for (int i = 0; i < p; i++) {
                float *we = &w[(er->local ? e : k) * p + i];
                switch (d->init) {
                case LC_EDGE_INIT_NORMAL:
                    *we = lc_rng_normal(rng) * sqrtf(inv);
                    break;
                case LC_EDGE_INIT_CONSTANT: *we = inv; break;
                case LC_EDGE_INIT_ATTR:
                    *we = er->attr[e];
                    break;
                }
            }
            next = k + 1;
        }
    }
    for (; d->init == LC_EDGE_INIT_NORMAL && next < er->m; next++)
        for (int i = 0; i < p; i++)
            (void)lc_rng_normal(rng);
}

static lc_status build_lconv(lc_i_build_ctx *ctx, const lc_layer_desc *d, lc_i_flow in,
                             lc_i_flow *out)
{
    const int p = d->generators ? d->generators : 1;
    const lc_graph_t *g = ctx->graph;
    const lc_csr_t *adj;
    lc_tensor_t *t = NULL;
    lc_status st = lc_graph_adjacency_csr(ctx->graph, &adj);
    if (st) return st;
    /* edge e is CSR entry e (edges are sorted by tail, head) */
    const lc_i_edge_rows whole = {g->m, adj->n_rows, adj->rowptr, NULL, adj->val, false};
    const lc_i_edge_rows *er = ctx->edges ? ctx->edges : &whole;
    const int64_t rows = er->local ? er->rowptr[er->rows] : er->m;
    if ((st = lc_tensor_new2(&t, rows > 0 ? rows : 1, p))) return st;
    init_edge_weights(d, p, ctx->init_rng, er, t->data);
    lc_node w;
    if ((st = edge_weight_node(ctx, d, &t, "edge_weight", &w))) {
        lc_tensor_free(&t);
        return st;
    }
    if (ctx->edges) { /* the stand-in's own edges read a constant; the trainer reads w */
        if ((st = lc_tensor_new2(&t, g->m, p)) || (st = lc_i_owned_constant(ctx->cg, t, &w))) {
            lc_tensor_free(&t);
            return st;
        }
    }
    return lconv_output(ctx, d, in, p, w, d->form, out);
}

/* w = Ê·ε with Ê [E, dim] the edge vectors (head − tail positions) and ε [dim, p]. */
static lc_status build_shared(lc_i_build_ctx *ctx, const lc_layer_desc *d, lc_i_flow in,
                              lc_i_flow *out)
{
    const int p = d->generators ? d->generators : 2;
    const lc_graph_t *g = ctx->graph;
    if (!g->positions)
        return LC_ERROR(LC_ERR_INVALID_ARG,
                        "layer %d 'shared' needs node positions (lc_graph_set_positions)",
                        ctx->layer);
    const int dim = g->pos_dim;
    lc_status st = LC_OK;
    lc_tensor_t *e_hat = NULL, *eps = NULL;
    lc_node e_node, eps_node, w;
    LC_TRY(lc_tensor_new2(&e_hat, g->m, dim));
    for (int64_t e = 0; e < g->m; e++)
        for (int a = 0; a < dim; a++)
            e_hat->data[e * dim + a] =
                g->positions[g->head[e] * dim + a] - g->positions[g->tail[e] * dim + a];
    LC_TRY(lc_i_owned_constant(ctx->cg, e_hat, &e_node));
    e_hat = NULL;
    LC_TRY(lc_tensor_new2(&eps, dim, p));
    for (int64_t i = 0; i < eps->numel; i++) eps->data[i] = lc_rng_normal(ctx->init_rng);
    LC_TRY(edge_weight_node(ctx, d, &eps, "epsilon", &eps_node));
    LC_TRY(lc_cg_matmul(ctx->cg, e_node, eps_node, &w));
    LC_TRY(lconv_output(ctx, d, in, p, w, LC_LCONV_VECTOR_FIELD, out));
done:
    lc_tensor_free(&e_hat);
    lc_tensor_free(&eps);
    return st;
}

const lc_i_layer_type lc_i_layer_lconv = {
    LC_LAYER_LCONV, "lconv", true,
    LC_OPT_NOBIAS | LC_OPT_P | LC_OPT_FORM | LC_OPT_INIT | LC_OPT_FROZEN | LC_OPT_NOW0, NAN,
    build_lconv};
const lc_i_layer_type lc_i_layer_shared = {LC_LAYER_SHARED, "shared", true,
                                           LC_OPT_NOBIAS | LC_OPT_P | LC_OPT_FROZEN | LC_OPT_NOW0,
                                           NAN, build_shared};
