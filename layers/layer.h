/* layer.h — the layer interface: every family builds its nodes from the same context. */
#ifndef LC_LAYER_H
#define LC_LAYER_H

#include "cgraph.h"

/* The value flowing between layers: a dense node, or — before the first
 * learnable layer only — the dataset's sparse feature matrix. */
typedef struct {
    lc_node node;          /* valid when sparse == NULL */
    const lc_csr_t *sparse;
    float sparse_dropout;  /* dropout pending on the sparse input, applied by lc_i_project */
    int64_t width;         /* feature columns */
} lc_i_flow;

/* The edges whose L-conv weights a layer draws, in the whole graph's order:
 * rows of entries (rowptr) with their attribute values; entry[e] is local
 * entry e's index among the graph's m (ascending; NULL: e itself). The
 * weights are [m, p], or with `local` one row per listed entry, [rowptr[rows], p]
 * (a part's: the draws still run over all m, so that each lands as the whole
 * graph's would). */
typedef struct {
    int64_t m, rows;
    const int64_t *rowptr, *entry;
    const float *attr;
    bool local;
} lc_i_edge_rows;

typedef struct lc_i_build_ctx {
    lc_cgraph_t *cg;
    lc_rng_t *init_rng;      /* parameter initialisation */
    lc_graph_t *graph;       /* the dataset's graph (operators are cached in it) */
    /* NULL: the graph's edges. A part file's stand-in: the part's rows of the
     * whole graph's (local), whose weights the partitioned trainer reads
     * (dist_graph.c) */
    const lc_i_edge_rows *edges;
    int layer;               /* index of the layer being built */
    /* Register a parameter of the layer being built; `decay` marks weights that
     * weight decay may apply to (not biases). */
    lc_status (*add_param)(struct lc_i_build_ctx *ctx, const lc_tensor_t *init, const char *what,
                           bool decay, lc_node *out);
    void *model;
} lc_i_build_ctx;

/* Options a layer's spec token may carry after its width. */
enum {
    LC_OPT_NOBIAS = 1 << 0, /* nobias */
    LC_OPT_P = 1 << 1,      /* p=N generators */
    LC_OPT_R = 1 << 2,      /* r=N rank */
    LC_OPT_K = 1 << 3,      /* k=N stencil */
    LC_OPT_FORM = 1 << 4,   /* form=vf|adj */
    LC_OPT_INIT = 1 << 5,   /* init=normal|const|attr */
    LC_OPT_FROZEN = 1 << 6, /* frozen */
    LC_OPT_NOW0 = 1 << 7    /* now0 */
};

typedef struct {
    lc_layer_kind kind;
    const char *token;    /* name in model specs */
    bool learnable;       /* has a width and parameters */
    unsigned options;     /* LC_OPT_* accepted in specs */
    float default_arg;    /* dropout p, slope, alpha; NAN = takes no argument */
    lc_status (*build)(lc_i_build_ctx *ctx, const lc_layer_desc *desc, lc_i_flow in,
                       lc_i_flow *out);
} lc_i_layer_type;

/* The registry (model.c). */
const lc_i_layer_type *lc_i_layer_by_kind(lc_layer_kind kind);
const lc_i_layer_type *lc_i_layer_by_token(const char *token, size_t len);

/* Shared by the learnable families (linear.c): a Glorot weight [in, out] and,
 * unless desc->no_bias, a zero bias [out] (*b = -1 without); then X·W for a
 * dense or sparse X, and adding the optional bias. */
lc_status lc_i_weight_and_bias(lc_i_build_ctx *ctx, const lc_layer_desc *desc, int64_t in,
                               lc_node *w, lc_node *b);
lc_status lc_i_add_bias(lc_i_build_ctx *ctx, lc_node x, lc_node b, lc_node *out);
lc_status lc_i_project(lc_i_build_ctx *ctx, lc_i_flow x, lc_node w, lc_node *out);
/* A constant owned by the compute graph (freed with it): frozen generators. */
lc_status lc_i_owned_constant(lc_cgraph_t *cg, lc_tensor_t *value, lc_node *out);

/* Σ_i L_i·X·W_i over p generators into `width` columns: project first,
 * edge_conv(X·[W_1|…|W_p]) (the edge op reads p·width-wide rows), or
 * aggregate first, edge_expand(X)·[W_1;…;W_p] (it reads in-wide rows, and its
 * gradient p·in-wide ones)? Per edge the first moves about (2p+1)·width
 * floats, the second (p+2)·in; a sparse X is always projected. */
static inline bool lc_i_expand_first(lc_i_flow in, int p, int64_t width)
{
    return !in.sparse && (double)in.width * (p + 2) < (double)width * (2 * p + 1);
}

/* Dropout q after dropout p on the sparse input features: one mask, of rate
 * 1 − (1 − p)(1 − q), drawn by the projection that reads them. */
static inline float lc_i_dropout_compose(float p, float q)
{
    return 1.0f - (1.0f - p) * (1.0f - q);
}

/* A dense input is required (activations, dropout after a sparse input). */
lc_status lc_i_require_dense(const lc_i_layer_type *type, lc_i_flow in);

/* The lattice layer's core (lattice.c), with the weights given as nodes so that
 * a test can feed known convolution taps: Y = [X·W0] + Σ_o S_o·X·W_o [+ b] on
 * ctx->graph, which must be an lc_graph_grid (any stencil: the layer uses its
 * copy with side k). The taps W_o come side by side, W_all [in.width, p·width]
 * (tap o in columns o·width … o·width + width − 1, o the stencil offset's
 * edge type: projected first), or stacked, W_all [p·in.width, width] (tap o in
 * rows o·in.width …: aggregated first); W0 is [in.width, width]; w0 or b = −1
 * leaves the term out.
 * Errors: LC_ERR_INVALID_ARG (not such a grid), LC_ERR_SHAPE. */
lc_status lc_i_lattice_conv(lc_i_build_ctx *ctx, int k, lc_i_flow in, int64_t width, lc_node w0,
                            lc_node w_all, lc_node b, lc_node *out);

#endif
