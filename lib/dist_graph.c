/* dist_graph.c — full-graph partitioned training of node-level data: each rank owns a part of the
 * nodes (METIS, else blocks), their feature rows and labels, and the edges into them (L-conv's edge
 * weights and their gradients); every GCN and L-conv aggregation exchanges halo rows (lc_dist_op).
 * Dropout draws one process's masks: every rank draws each whole mask and keeps its rows'.
 */
#include <cblas.h>
#include <math.h>
#include <string.h>

#include "backend.h"
#include "dist.h"
#include "layer.h"

/* One layer's state on this rank. */
typedef struct {
    int w, b, w0, e; /* its parameters (weight or generator weights, bias, lconv's W0 and edge
                        weights): indices, or -1 */
    bool project;    /* X·W first, then the aggregation (as gcn.c and lconv.c choose) */
    lc_tensor_t *mid, *dmid; /* gcn: Â·X or X·W; lconv aggregating first: [L_1·X | … | L_p·X] */
    /* lconv: the rows its generators read (X·[W_1|…|W_p], or X), owned then halo, and their
     * gradient; X·W0; the owned edges' weights [entries of adj->local, p], and their gradient */
    lc_tensor_t *ext, *dext, *xw0, *ew, *dew;
    lc_i_edge_dims dims;
    float p; /* dropout: its probability; the owned rows' mask when p > 0 */
    lc_tensor_t *drop;
} layer_state;

/* What one rank keeps: its rows of the data, one activation per layer
 * boundary, a gradient of each, and each layer's state. Layer k maps act[k] to
 * act[k + 1]. */
struct lc_i_dist_graph {
    lc_dist_op_t *op;       /* Â's rows (gcn; NULL when only lconv aggregates) */
    lc_dist_op_t *adj;      /* the adjacency's rows (lconv: entry k is edge adj->entry[k]) */
    const lc_csr_t *adj_t;  /* adj->local's transpose, with its entries' sources */
    /* the row of the model's edge weights that adj->local's entry k reads:
     * adj->entry[k] (the whole graph's [m, p]), or its place among a part's
     * edges (a model built on a part file; edge_row_own then holds them) */
    const int64_t *edge_row;
    int64_t *edge_row_own;
    /* data cut here (whole on every rank): the edges of the owned rows in the
     * whole graph's order, ascending (lc_i_dist_graph_share_edges) */
    int64_t *held_edges, n_held_edges;
    int64_t n_own, n_train; /* n_train: labelled training rows on every rank together */
    int64_t n;              /* the graph's rows */
    const int64_t *own;     /* the owned rows' ids, ascending (the operators') */
    int n_layers, first;    /* first: the first learnable layer (sparse features enter there) */
    lc_tensor_t **act, **grad;
    layer_state *lay;
    lc_i_part *cut;     /* the part cut from the whole data set here, or NULL (a file's) */
    const lc_csr_t *xs; /* the part's sparse features (owned rows), or NULL */
    /* dropout on them (Kipf's): its rate, each owned row's first entry in the
     * whole matrix and its entries; the first learnable layer's projections of
     * them (one; L-conv with W0: the generators', then W0's) each draw a mask
     * over the stored entries, x_drop[i] (xs's values masked), and read xv[i] */
    float x_p;
    const int64_t *x_first; /* the part's */
    int64_t x_total;
    int n_xdrop;
    float *x_drop[2];
    const float *xv[2];
    const int32_t *labels; /* the part's, owned rows */
    const uint8_t *mask[3];
    /* Buffers the layers take turns with (their tensors are views of these):
     * A for what one pass alone uses (gcn's X·W forward and its gradient
     * backward, Â·X's gradient, lconv's X·W0 forward and T's gradient
     * backward), B for lconv's halo-extended gradient, C for its edge-weight
     * gradient. Element-wise layers (relu, dropout) work in place: their
     * output and its gradient are views of their input's. */
    lc_tensor_t *scratch[3];
};

enum { SCRATCH_A, SCRATCH_B, SCRATCH_C };
/* A layer's request for a view of a scratch buffer (dist_graph_new sizes each
 * buffer for the largest request, then makes the views). */
typedef struct {
    lc_tensor_t **view;
    int64_t rows, cols;
    int which;
} scratch_want;

void lc_i_dist_graph_free(lc_i_dist_graph **pg)
{
    if (!pg || !*pg) return;
    lc_i_dist_graph *g = *pg;
    lc_dist_op_free(&g->op);
    lc_dist_op_free(&g->adj);
    lc_i_free(g->edge_row_own);
    for (int k = 0; g->act && k <= g->n_layers; k++) {
        if (k > 0) lc_tensor_free(&g->act[k]); /* act[0] is the part's features */
        lc_tensor_free(&g->grad[k]);
    }
    for (int k = 0; g->lay && k < g->n_layers; k++) {
        layer_state *l = &g->lay[k];
        lc_tensor_t **t[] = {&l->mid, &l->dmid, &l->ext, &l->dext,
                             &l->xw0, &l->ew,   &l->dew, &l->drop};
        for (size_t i = 0; i < sizeof t / sizeof *t; i++)
            lc_tensor_free(t[i]);
    }
    for (int k = 0; k < 3; k++)
        lc_tensor_free(&g->scratch[k]);
    lc_i_free(g->act);
    lc_i_free(g->grad);
    lc_i_free(g->lay);
    lc_i_part_free(&g->cut);
    lc_i_free(g->held_edges);
    for (int k = 0; k < 2; k++)
        lc_i_free(g->x_drop[k]);
    lc_i_free(g);
    *pg = NULL;
}

static lc_status new2(lc_tensor_t **t, int64_t rows, int64_t cols)
{
    return lc_tensor_new2(t, rows > 0 ? rows : 1, cols);
}

/* The layer's parameters by their names' last part (layers/: "3.lconv.weight0"). */
static lc_status find_params(const lc_model_t *m, int k, layer_state *l)
{
    l->w = l->b = l->w0 = l->e = -1;
    for (int i = 0; i < lc_cg_num_params(m->cg); i++) {
        if (m->param_layer[i] != k) continue;
        const char *what = strrchr(lc_cg_param_name(m->cg, i), '.') + 1;
        int *slot = !strcmp(what, "weight") || !strcmp(what, "weights") ? &l->w
                    : !strcmp(what, "bias")                             ? &l->b
                    : !strcmp(what, "weight0")                          ? &l->w0
                    : !strcmp(what, "edge_weight")                      ? &l->e
                                                                        : NULL;
        if (!slot)
            return LC_ERROR(LC_ERR_UNSUPPORTED, "layer %d's parameter '%s' is unknown here", k,
                            lc_cg_param_name(m->cg, i));
        *slot = i;
    }
    return LC_OK;
}

/* A dropout layer's probability (--dropout overrides the spec's, as in lc_model_build). */
static float dropout_p(const lc_layer_desc *d, const lc_train_config *cfg)
{
    return d->kind == LC_LAYER_DROPOUT ? (cfg->dropout >= 0 ? cfg->dropout : d->arg) : 0;
}

/* Refused layers: those this trainer does not know, and the options of the
 * ones it knows that it does not (frozen edge weights are a constant of the
 * graph, not here). */
static lc_status check_layer(const lc_layer_desc *d, int k)
{
    const char *why = NULL;
    if (d->kind == LC_LAYER_LCONV && d->frozen)
        why = " with frozen edge weights";
    else if (d->kind != LC_LAYER_GCN && d->kind != LC_LAYER_LINEAR && d->kind != LC_LAYER_RELU &&
             d->kind != LC_LAYER_DROPOUT && d->kind != LC_LAYER_LCONV)
        why = "";
    if (!why) return LC_OK;
    return LC_ERROR(LC_ERR_UNSUPPORTED,
                    "full-graph partitioned training knows gcn, lconv (not frozen), linear, relu "
                    "and dropout; layer %d is '%s'%s",
                    k, lc_i_layer_name(d->kind), why);
}

/* Collective: the ranks' part files come from one write (their fingerprints
 * and shared counts agree) and together hold every row and feature entry
 * once, and with_edges (read by lc_model_build) every edge once; every rank
 * reaches the same verdict. */
static lc_status check_parts(lc_dist_t *d, const lc_i_part *p, bool with_edges)
{
    typedef struct {
        uint64_t fingerprint;
        int64_t n, width, classes, n_train, x_total, n_own, x_nnz, m, m_own;
    } part_key;
    const int size = lc_dist_size(d), me = lc_dist_rank(d);
    const part_key mine = {p->fingerprint,
                           p->n,
                           p->width,
                           p->classes,
                           p->n_train,
                           p->x_total,
                           p->a_hat.n_own,
                           p->sparse_features ? p->sparse_features->nnz : 0,
                           with_edges ? p->m : 0,
                           with_edges ? p->adj.rowptr[p->adj.n_own] : 0};
    part_key *all = lc_i_malloc((size_t)size * sizeof *all);
    if (!all) return LC_ERROR(LC_ERR_OUT_OF_MEMORY, "cannot allocate %d part keys", size);
    lc_status st = lc_i_dist_allgather(d, &mine, all, (int)sizeof mine);
    int64_t rows = 0, entries = 0, edges_held = 0;
    for (int q = 0; q < size && !st; q++) {
        const part_key *a = &all[q], *b = &all[0];
        if (a->fingerprint != b->fingerprint || a->n != b->n || a->width != b->width ||
            a->classes != b->classes || a->n_train != b->n_train || a->x_total != b->x_total ||
            a->m != b->m)
            st = LC_ERROR(LC_ERR_INVALID_ARG,
                          "'%s' (rank %d): the part files of ranks 0 and %d come from different "
                          "writes (another data set or partition): write every part again "
                          "(lcnet partition --write)",
                          p->path, me, q);
        rows += a->n_own, entries += a->x_nnz, edges_held += a->m_own;
    }
    if (!st && (rows != all[0].n || entries != all[0].x_total || edges_held != all[0].m))
        st = LC_ERROR(LC_ERR_CORRUPT,
                      "'%s' (rank %d): the parts hold %lld of %lld rows, %lld of %lld feature "
                      "entries and %lld of %lld edges",
                      p->path, me, (long long)rows, (long long)all[0].n, (long long)entries,
                      (long long)all[0].x_total, (long long)edges_held, (long long)all[0].m);
    lc_i_free(all);
    return st;
}

lc_status lc_i_dist_graph_new(lc_model_t *m, const lc_dataset_t *ds, const lc_train_config *cfg,
                              lc_i_dist_graph **result)
{
    if (m->device != LC_DEVICE_CPU)
        return LC_ERROR(LC_ERR_UNSUPPORTED,
                        "full-graph partitioned training runs on the CPU backend only: the model "
                        "is on %s (data-parallel training of graph-level data runs on either)",
                        lc_device_name(m->device));
    lc_status st = LC_OK;
    int32_t *of = NULL;
    scratch_want *wants = NULL;
    int n_wants = 0;
    const lc_i_part *part = NULL;
    bool has_gcn = false, has_lconv = false;
    lc_i_dist_graph *g = lc_i_calloc(1, sizeof *g);
    if (!g) return LC_ERROR(LC_ERR_OUT_OF_MEMORY, "cannot allocate the partitioned state");
    const int L = m->n_layers;
    g->n_layers = L;
    g->act = lc_i_calloc((size_t)L + 1, sizeof *g->act);
    g->grad = lc_i_calloc((size_t)L + 1, sizeof *g->grad);
    g->lay = lc_i_calloc((size_t)L, sizeof *g->lay);
    if (!g->act || !g->grad || !g->lay)
        LC_FAIL(LC_ERR_OUT_OF_MEMORY, "cannot allocate the partitioned state");
    /* which layers this trainer knows; the parameters are the model's */
    g->first = -1;
    for (int k = 0; k < L; k++) {
        LC_TRY(check_layer(&m->layers[k], k));
        LC_TRY(find_params(m, k, &g->lay[k]));
        has_gcn |= m->layers[k].kind == LC_LAYER_GCN;
        has_lconv |= m->layers[k].kind == LC_LAYER_LCONV;
        if (g->first < 0 && g->lay[k].w >= 0) g->first = k;
    }
    if (g->first < 0) LC_FAIL(LC_ERR_INVALID_ARG, "the model has no learnable layer");
    /* this rank's part: its file's (lc_dataset_load "part:FILE"), or cut from
     * the whole data set by a partition every rank computes alike (METIS has a
     * fixed seed) */
    if (ds->part) {
        part = ds->part;
        if (has_lconv && !part->adj.rowptr)
            LC_FAIL(LC_ERR_STATE,
                    "'%s': the part's edges are not read: build the model on the "
                    "part (lc_model_build reads them)",
                    part->path);
        LC_TRY(check_parts(m->dist, part, has_lconv));
    } else {
        const int64_t n = lc_i_dataset_rows(ds);
        const lc_csr_t *a_hat = NULL;
        LC_TRY(lc_graph_gcn_operator(ds->graph, &a_hat));
        of = lc_i_malloc((size_t)n * sizeof *of);
        if (!of) LC_FAIL(LC_ERR_OUT_OF_MEMORY, "cannot allocate the partition");
        st = lc_partition(a_hat, lc_dist_size(m->dist), LC_PARTITION_METIS, of);
        if (st == LC_ERR_UNSUPPORTED)
            st = lc_partition(a_hat, lc_dist_size(m->dist), LC_PARTITION_BLOCK, of);
        if (st) goto done;
        LC_TRY(
            lc_i_part_of(ds, of, lc_dist_size(m->dist), lc_dist_rank(m->dist), has_lconv, &g->cut));
        part = g->cut;
    }
    const lc_i_part_rows *ar = &part->a_hat;
    /* Â's split also gives the rows of a model without aggregations */
    if (has_gcn || !has_lconv)
        LC_TRY(lc_i_dist_op_from_rows(&g->op, m->dist, part->n, ar->n_own, ar->own, ar->rowptr,
                                      ar->col, ar->val, NULL, ar->n_remote, ar->remote, ar->owner));
    if (has_lconv) {
        const lc_i_part_rows *r = &part->adj;
        LC_TRY(lc_i_dist_op_from_rows(&g->adj, m->dist, part->n, ar->n_own, ar->own, r->rowptr,
                                      r->col, r->val, r->entry, r->n_remote, r->remote, r->owner));
        if (!g->adj->entry)
            LC_FAIL(LC_ERR_UNSUPPORTED, "the graph has repeated edges, which partitioned L-conv "
                                        "does not split");
        LC_TRY(lc_i_csr_transpose(g->adj->local, &g->adj_t));
        g->edge_row = g->adj->entry;
        if (m->edge_part) { /* ds->part: its edges in order, each edge's row */
            const int64_t nnz = g->adj->local->nnz, held = r->rowptr[r->n_own];
            if (!(g->edge_row_own = lc_i_malloc((size_t)(nnz + 1) * sizeof *g->edge_row_own)))
                LC_FAIL(LC_ERR_OUT_OF_MEMORY, "cannot allocate %lld edge rows", (long long)nnz);
            for (int64_t k = 0; k < nnz; k++)
                if ((g->edge_row_own[k] = lc_i_find_sorted(r->entry, held, g->adj->entry[k])) < 0)
                    LC_FAIL(LC_ERR_STATE, "edge %lld is not among the part's",
                            (long long)g->adj->entry[k]);
            g->edge_row = g->edge_row_own;
        }
    }
    const lc_dist_op_t *rows_op = g->op ? g->op : g->adj; /* the same owned rows */
    const int64_t n_own = g->n_own = lc_dist_op_rows(rows_op);
    g->own = lc_dist_op_row_ids(rows_op);
    if (g->cut) { /* the operators hold their rows now */
        g->held_edges = g->cut->adj.entry, g->cut->adj.entry = NULL;
        g->n_held_edges = g->cut->adj.rowptr ? g->cut->adj.rowptr[g->cut->adj.n_own] : 0;
        lc_i_part_rows_free(&g->cut->a_hat), lc_i_part_rows_free(&g->cut->adj);
    }
    g->n = part->n;
    g->n_train = part->n_train;
    /* the owned labels, masks and features: the part's (read, never written) */
    g->labels = part->labels;
    for (int k = 0; k < 3; k++)
        g->mask[k] = part->mask[k];
    int64_t width = part->width;
    if (part->features) {
        g->act[0] = part->features; /* not freed with g */
    } else {
        const lc_csr_t *x = g->xs = part->sparse_features;
        for (int k = 0; k < g->first; k++)
            g->x_p = lc_i_dropout_compose(g->x_p, dropout_p(&m->layers[k], cfg));
        if (g->x_p > 0 && part->x_total > 0) {
            /* L-conv with W0 projects them twice (lconv.c: the generators', then W0's) */
            const bool twice =
                m->layers[g->first].kind == LC_LAYER_LCONV && g->lay[g->first].w0 >= 0;
            g->n_xdrop = twice ? 2 : 1;
            g->x_total = part->x_total;
            g->x_first = part->x_first;
            for (int k = 0; k < g->n_xdrop; k++)
                if (!(g->x_drop[k] = lc_i_malloc((size_t)(x->nnz + 1) * sizeof(float))))
                    LC_FAIL(LC_ERR_OUT_OF_MEMORY, "cannot allocate the features' dropout masks");
        }
    }
    /* every activation, gradient and middle tensor, once */
    /* act[k + 1] and, past the first learnable layer, grad[k + 1]: layer k's
     * output and its gradient (sparse features skip the no-op layers before
     * the first learnable one, which reads them) */
    wants = lc_i_malloc((size_t)(4 * L) * sizeof *wants);
    if (!wants) LC_FAIL(LC_ERR_OUT_OF_MEMORY, "cannot allocate the partitioned state");
#define WANT(t, r, c, w) (wants[n_wants++] = (scratch_want){&(t), (r) > 0 ? (r) : 1, (c), (w)})
    for (int k = 0; k < L; k++) {
        const lc_layer_desc *d = &m->layers[k];
        layer_state *l = &g->lay[k];
        int64_t out = width;
        if (d->kind == LC_LAYER_GCN) {
            out = lc_cg_param_tensor(m->cg, l->w)->shape[1];
            /* gcn.c's choice: the SpMM on the narrower side, a sparse X projected first */
            l->project = (k == g->first && g->xs) || out <= width;
            const int64_t mid = l->project ? out : width;
            /* X·W lives for the forward pass alone, Â·X until the backward's weight gradient */
            if (l->project)
                WANT(l->mid, n_own, mid, SCRATCH_A);
            else
                LC_TRY(new2(&l->mid, n_own, mid));
            WANT(l->dmid, n_own, mid, SCRATCH_A);
        } else if (d->kind == LC_LAYER_LCONV) {
            const lc_tensor_t *w = lc_cg_param_tensor(m->cg, l->w);
            const int64_t p = lc_cg_param_tensor(m->cg, l->e)->shape[1];
            const int64_t ext = n_own + g->adj->n_halo, nnz = g->adj->local->nnz;
            /* the generators' weights are [in, p·out] or [p·in, out] (the same when p = 1) */
            out = w->shape[0] == width ? w->shape[1] / p : w->shape[1];
            /* lconv.c's choice (lc_i_expand_first) */
            const lc_i_flow in = {.width = width, .sparse = k == g->first ? g->xs : NULL};
            l->project = !lc_i_expand_first(in, (int)p, out);
            l->dims = lc_i_edge_dims_of(1, p, l->project ? out : width, !l->project,
                                        d->form == LC_LCONV_VECTOR_FIELD);
            LC_TRY(new2(&l->ext, ext, l->project ? p * out : width));
            WANT(l->dext, ext, l->project ? p * out : width, SCRATCH_B);
            if (!l->project) {
                LC_TRY(new2(&l->mid, n_own, p * width));
                WANT(l->dmid, n_own, p * width, SCRATCH_A);
            }
            if (l->w0 >= 0) WANT(l->xw0, n_own, out, SCRATCH_A);
            LC_TRY(new2(&l->ew, nnz, p));
            WANT(l->dew, nnz, p, SCRATCH_C);
        } else if (l->w >= 0) {
            out = lc_cg_param_tensor(m->cg, l->w)->shape[1];
        } else if ((l->p = dropout_p(d, cfg)) > 0) {
            LC_TRY(new2(&l->drop, n_own, width));
        }
        /* relu and dropout in place, on an activation of ours (not the data's);
         * relu's derivative reads its output (y > 0 where x > 0) and dropout's
         * its mask, and no layer's backward reads its own output. A dropout
         * right after a relu leaves that output scaled by its mask, which is
         * 0 or 1/(1 - p) > 0: the sign relu reads holds wherever the mask kept
         * the gradient, and where it did not the gradient is 0 anyway. */
        const bool in_place =
            (d->kind == LC_LAYER_RELU || d->kind == LC_LAYER_DROPOUT) && k > 0 && g->act[k];
        if (in_place)
            LC_TRY(lc_i_tensor_view2(&g->act[k + 1], g->act[k], n_own > 0 ? n_own : 1, out));
        else if (!(g->xs && k < g->first))
            LC_TRY(new2(&g->act[k + 1], n_own, out));
        if (in_place && g->grad[k])
            LC_TRY(lc_i_tensor_view2(&g->grad[k + 1], g->grad[k], n_own > 0 ? n_own : 1, out));
        else if (k >= g->first)
            LC_TRY(new2(&g->grad[k + 1], n_own, out));
        width = out;
    }
#undef WANT
    /* each scratch buffer as large as its largest request, then the views */
    for (int which = 0; which < 3; which++) {
        int64_t most = 0;
        for (int i = 0; i < n_wants; i++)
            if (wants[i].which == which && wants[i].rows * wants[i].cols > most)
                most = wants[i].rows * wants[i].cols;
        if (most) LC_TRY(lc_tensor_new(&g->scratch[which], 1, &most));
    }
    for (int i = 0; i < n_wants; i++) {
        const scratch_want *w = &wants[i];
        LC_TRY(lc_i_tensor_view2(w->view, g->scratch[w->which], w->rows, w->cols));
    }
done:
    lc_i_free(of);
    lc_i_free(wants);
    if (st) {
        lc_i_dist_graph_free(&g);
        return st;
    }
    *result = g;
    return LC_OK;
}

/* y = x·w over the owned rows (x [r, i], y [r, o], w [i, o]) */
static void gemm(int64_t r, const float *x, const lc_tensor_t *w, float *y)
{
    const int64_t in = w->shape[0], out = w->shape[1];
    if (r)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)r, (int)out, (int)in, 1.0f, x,
                    (int)in, w->data, (int)out, 0.0f, y, (int)out);
}

/* The first learnable layer's projections of sparse features, in the order
 * one process draws their dropout masks: an index into g->xv. */
enum { XS_MAIN, XS_W0 };

/* y = x·w, x [r, i]: the input of layer k, dense or the sparse owned features
 * (the values xs: its projection) */
static void project(const lc_i_dist_graph *g, int k, const lc_tensor_t *w, lc_tensor_t *y, int xs)
{
    const int64_t r = g->n_own, out = w->shape[1];
    if (k == g->first && g->xs) {
        memset(y->data, 0, (size_t)(r * out) * sizeof(float));
        for (int64_t i = 0; i < r; i++)
            for (int64_t e = g->xs->rowptr[i]; e < g->xs->rowptr[i + 1]; e++) {
                const float v = g->xv[xs][e], *wr = w->data + (int64_t)g->xs->col[e] * out;
                float *yr = y->data + i * out;
                for (int64_t c = 0; c < out; c++)
                    yr[c] += v * wr[c];
            }
        return;
    }
    gemm(r, g->act[k]->data, w, y->data);
}

/* dw += xᵀ·dy over the owned rows (x: the input of layer k, sparse features
 * with projection xs's values, or `x` itself) */
static void weight_grad(const lc_i_dist_graph *g, int k, const lc_tensor_t *x,
                        const lc_tensor_t *dy, lc_tensor_t *dw, int xs)
{
    const int64_t r = g->n_own, in = dw->shape[0], out = dw->shape[1];
    if (!x && k == g->first && g->xs) {
        for (int64_t i = 0; i < r; i++)
            for (int64_t e = g->xs->rowptr[i]; e < g->xs->rowptr[i + 1]; e++) {
                const float v = g->xv[xs][e], *d = dy->data + i * out;
                float *wr = dw->data + (int64_t)g->xs->col[e] * out;
                for (int64_t c = 0; c < out; c++)
                    wr[c] += v * d[c];
            }
        return;
    }
    if (!x) x = g->act[k];
    if (r)
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)in, (int)out, (int)r, 1.0f,
                    x->data, (int)in, dy->data, (int)out, 1.0f, dw->data, (int)out);
}

/* dx = dy·wᵀ, or dx += dy·wᵀ when accumulate */
static void input_grad(const lc_i_dist_graph *g, const lc_tensor_t *dy, const lc_tensor_t *w,
                       lc_tensor_t *dx, bool accumulate)
{
    const int64_t r = g->n_own, in = w->shape[0], out = w->shape[1];
    if (r)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)r, (int)in, (int)out, 1.0f,
                    dy->data, (int)out, w->data, (int)out, accumulate ? 1.0f : 0.0f, dx->data,
                    (int)in);
}

static void add_bias(lc_tensor_t *y, const lc_tensor_t *b, int64_t rows)
{
    const int64_t c = b->numel;
    for (int64_t i = 0; i < rows; i++)
        for (int64_t j = 0; j < c; j++)
            y->data[i * c + j] += b->data[j];
}

/* Copy the owned edges' weights between the model's [E, p] tensor (edge e is
 * adjacency entry e) and the local order of g->adj (to_local), or the local
 * gradient into the model's: the other ranks' edges keep theirs. */
static void edge_copy(const lc_i_dist_graph *g, float *model, float *local, int64_t p,
                      bool to_local)
{
    const int64_t nnz = g->adj->local->nnz;
    for (int64_t k = 0; k < nnz; k++) {
        float *mw = model + g->edge_row[k] * p, *lw = local + k * p;
        memcpy(to_local ? lw : mw, to_local ? mw : lw, (size_t)p * sizeof(float));
    }
}

/* Y = X·W0 + Σ_i L_i·X·W_i + b on the owned rows; the halo rows of whichever
 * side the generators read (X·[W_1|…|W_p], or X) come from their owners. */
static lc_status lconv_forward(lc_model_t *m, lc_i_dist_graph *g, int k)
{
    layer_state *l = &g->lay[k];
    lc_tensor_t *y = g->act[k + 1];
    const lc_tensor_t *w = lc_cg_param_tensor(m->cg, l->w);
    const int64_t f = l->ext->shape[1];
    lc_status st;
    edge_copy(g, lc_cg_param_tensor(m->cg, l->e)->data, l->ew->data, l->dims.p, true);
    if (l->project) {
        project(g, k, w, l->ext, XS_MAIN);
        if ((st = lc_i_dist_op_gather(g->adj, l->ext->data, f))) return st;
        lc_i_edge_conv_rows(&l->dims, g->adj->local, l->ext->data, l->ew->data, y->data);
    } else {
        memcpy(l->ext->data, g->act[k]->data, (size_t)(g->n_own * f) * sizeof(float));
        if ((st = lc_i_dist_op_gather(g->adj, l->ext->data, f))) return st;
        lc_i_edge_conv_rows(&l->dims, g->adj->local, l->ext->data, l->ew->data, l->mid->data);
        gemm(g->n_own, l->mid->data, w, y->data);
    }
    if (l->w0 >= 0) {
        project(g, k, lc_cg_param_tensor(m->cg, l->w0), l->xw0, XS_W0);
        for (int64_t i = 0; i < g->n_own * y->shape[1]; i++)
            y->data[i] += l->xw0->data[i];
    }
    return LC_OK;
}

/* This rank's entries of a dropout mask that one process draws over the whole
 * graph: every entry by lc_i_dropout_draw, row after row in node order, from
 * the compute graph's RNG. Row r has f entries (a dense [n, f] mask, rows
 * [n_own, f] here) or, with f = 0, its stored sparse features (whose whole
 * matrix has x_total; owned row k's begin at x_first[k]). xoshiro256** cannot
 * skip ahead cheaply, and METIS parts are not contiguous, so every rank draws
 * all the entries and keeps its rows': O(n·f) draws per dropout layer and
 * epoch on each rank, one process's cost, is the price of masks equal to one
 * process's bit for bit. */
static void skip_draws(lc_cgraph_t *cg, float p, int64_t count)
{
    for (int64_t j = 0; j < count; j++)
        (void)lc_i_dropout_draw(&cg->rng, p);
}
static void draw_mask(lc_cgraph_t *cg, const lc_i_dist_graph *g, float p, int64_t f, float *mask)
{
    int64_t at = 0; /* entries of the whole mask drawn so far */
    for (int64_t k = 0; k < g->n_own; k++) {
        const int64_t first = f ? g->own[k] * f : g->x_first[k];
        const int64_t len = f ? f : g->xs->rowptr[k + 1] - g->xs->rowptr[k];
        float *row = mask + (f ? k * f : g->xs->rowptr[k]);
        skip_draws(cg, p, first - at);
        for (int64_t j = 0; j < len; j++)
            row[j] = lc_i_dropout_draw(&cg->rng, p);
        at = first + len;
    }
    skip_draws(cg, p, (f ? g->n * f : g->x_total) - at);
}

/* The values the first learnable layer's projections of sparse features read:
 * in training with dropout, each its own mask's (drawn in one process's
 * order), else the features'. */
static void mask_features(lc_cgraph_t *cg, lc_i_dist_graph *g, bool training)
{
    for (int k = 0; k < 2; k++)
        g->xv[k] = g->xs->val;
    if (!training) return;
    for (int k = 0; k < g->n_xdrop; k++) {
        draw_mask(cg, g, g->x_p, 0, g->x_drop[k]);
        for (int64_t e = 0; e < g->xs->nnz; e++)
            g->x_drop[k][e] *= g->xs->val[e];
        g->xv[k] = g->x_drop[k];
    }
}

/* The layers' outputs on the owned rows; training draws the dropout masks
 * (evaluation draws none, as in one process). */
static lc_status forward(lc_model_t *m, lc_i_dist_graph *g, bool training)
{
    lc_status st = LC_OK;
    for (int k = 0; k < g->n_layers && !st; k++) {
        const lc_layer_kind kind = m->layers[k].kind;
        const layer_state *l = &g->lay[k];
        lc_tensor_t *y = g->act[k + 1];
        if (k < g->first && g->xs) continue; /* dropout on them: mask_features */
        if (k == g->first && g->xs) mask_features(m->cg, g, training);
        if (kind == LC_LAYER_RELU) {
            for (int64_t i = 0; i < g->n_own * y->shape[1]; i++)
                y->data[i] = g->act[k]->data[i] > 0 ? g->act[k]->data[i] : 0;
            continue;
        }
        if (kind == LC_LAYER_DROPOUT) {
            const int64_t len = g->n_own * y->shape[1];
            if (!training || l->p == 0) {
                if (y->data != g->act[k]->data)
                    memcpy(y->data, g->act[k]->data, (size_t)len * sizeof(float));
                continue;
            }
            draw_mask(m->cg, g, l->p, y->shape[1], l->drop->data);
            for (int64_t i = 0; i < len; i++)
                y->data[i] = g->act[k]->data[i] * l->drop->data[i];
            continue;
        }
        const lc_tensor_t *w = lc_cg_param_tensor(m->cg, l->w);
        if (kind == LC_LAYER_LCONV) {
            st = lconv_forward(m, g, k);
        } else if (kind == LC_LAYER_LINEAR) {
            project(g, k, w, y, XS_MAIN);
        } else if (l->project) { /* Â·(X·W) */
            project(g, k, w, l->mid, XS_MAIN);
            st = lc_dist_op_spmm(g->op, l->mid, y);
        } else { /* (Â·X)·W */
            st = lc_dist_op_spmm(g->op, g->act[k], l->mid);
            if (!st) gemm(g->n_own, l->mid->data, w, y->data);
        }
        if (l->b >= 0) add_bias(y, lc_cg_param_tensor(m->cg, l->b), g->n_own);
    }
    return st;
}

/* The gradient of the parameter node i of m's graph. */
static lc_tensor_t *param_grad(lc_model_t *m, int i)
{
    return m->cg->nodes[m->cg->params[i]].grad;
}

/* lconv's backward: dy = grad[k + 1] into the weights' gradients, the owned
 * edges' weight gradients (local: no other rank has them) and, past the first
 * learnable layer, grad[k]; the halo rows' gradients go back to their owners. */
static lc_status lconv_backward(lc_model_t *m, lc_i_dist_graph *g, int k)
{
    layer_state *l = &g->lay[k];
    const lc_tensor_t *dy = g->grad[k + 1], *w = lc_cg_param_tensor(m->cg, l->w);
    lc_tensor_t *dx = k > g->first ? g->grad[k] : NULL, *dw = param_grad(m, l->w);
    const int64_t f = l->ext->shape[1], ext_bytes = l->dext->numel * (int64_t)sizeof(float);
    lc_status st = LC_OK;
    if (l->w0 >= 0) {
        weight_grad(g, k, NULL, dy, param_grad(m, l->w0), XS_W0);
        if (dx) input_grad(g, dy, lc_cg_param_tensor(m->cg, l->w0), dx, false);
    }
    const bool dx_set = l->w0 >= 0; /* dx holds the W0 term: add the generators' */
    memset(l->dew->data, 0, (size_t)l->dew->numel * sizeof(float));
    if (l->project) { /* y = Σ_i L_i·Z_i, Z = X·[W_1|…|W_p]: dZ on [owned | halo] */
        memset(l->dext->data, 0, (size_t)ext_bytes);
        lc_i_edge_conv_grad_z(&l->dims, g->adj->local, g->adj_t, l->ew->data, dy->data,
                              l->dext->data);
        if ((st = lc_i_dist_op_scatter(g->adj, l->dext->data, f))) return st;
        weight_grad(g, k, NULL, l->dext, dw, XS_MAIN);
        if (dx) input_grad(g, l->dext, w, dx, dx_set);
        lc_i_edge_conv_grad_w(&l->dims, g->adj->local, l->ext->data, dy->data, l->dew->data);
    } else { /* y = T·[W_1;…;W_p], T = [L_1·X | … | L_p·X] */
        weight_grad(g, k, l->mid, dy, dw, XS_MAIN);
        input_grad(g, dy, w, l->dmid, false);
        lc_i_edge_conv_grad_w(&l->dims, g->adj->local, l->ext->data, l->dmid->data, l->dew->data);
        if (dx) {
            memset(l->dext->data, 0, (size_t)ext_bytes);
            lc_i_edge_conv_grad_z(&l->dims, g->adj->local, g->adj_t, l->ew->data, l->dmid->data,
                                  l->dext->data);
            if ((st = lc_i_dist_op_scatter(g->adj, l->dext->data, f))) return st;
            for (int64_t i = 0; i < g->n_own * f; i++)
                dx->data[i] = (dx_set ? dx->data[i] : 0) + l->dext->data[i];
        }
    }
    edge_copy(g, param_grad(m, l->e)->data, l->dew->data, l->dims.p, false);
    return LC_OK;
}

/* Log-softmax of an owned row into lp (double), the row's width c. */
static void log_softmax(const float *x, int64_t c, double *lp)
{
    double mx = x[0], s = 0;
    for (int64_t j = 1; j < c; j++)
        mx = x[j] > mx ? x[j] : mx;
    for (int64_t j = 0; j < c; j++)
        s += exp((double)x[j] - mx);
    const double lse = mx + log(s);
    for (int64_t j = 0; j < c; j++)
        lp[j] = (double)x[j] - lse;
}

/* Parameter i is an L-conv layer's edge weights. */
static bool edge_param(const lc_i_dist_graph *g, int i)
{
    for (int k = 0; k < g->n_layers; k++)
        if (g->lay[k].e == i) return true;
    return false;
}

lc_status lc_i_dist_graph_step(lc_model_t *m, lc_i_dist_graph *g, float *loss)
{
    lc_status st = forward(m, g, true);
    if (st) return st;
    const int L = g->n_layers;
    lc_cgraph_t *cg = m->cg;
    const lc_tensor_t *logits = g->act[L];
    lc_tensor_t *d = g->grad[L];
    const int64_t c = logits->shape[1];
    double lp[1024], nll = 0;
    if (c > 1024) return LC_ERROR(LC_ERR_UNSUPPORTED, "%lld classes (at most 1024)", (long long)c);
    /* d loss / d logits, loss = mean NLL over every rank's training rows */
    for (int64_t i = 0; i < g->n_own; i++) {
        float *di = d->data + i * c;
        if (!g->mask[0][i] || g->labels[i] < 0) {
            memset(di, 0, (size_t)c * sizeof *di);
            continue;
        }
        log_softmax(logits->data + i * c, c, lp);
        nll -= lp[g->labels[i]];
        for (int64_t j = 0; j < c; j++)
            di[j] = (float)((exp(lp[j]) - (j == g->labels[i])) / (double)g->n_train);
    }
    for (int i = 0; i < lc_cg_num_params(cg); i++) {
        lc_tensor_t *gr = cg->nodes[cg->params[i]].grad;
        if (gr) memset(gr->data, 0, (size_t)gr->numel * sizeof(float));
    }
    for (int k = L - 1; k >= g->first && !st; k--) {
        const lc_layer_kind kind = m->layers[k].kind;
        const lc_tensor_t *dy = g->grad[k + 1];
        lc_tensor_t *dx = g->grad[k]; /* NULL for the first learnable layer's input */
        if (kind == LC_LAYER_RELU) {
            for (int64_t i = 0; i < g->n_own * dy->shape[1]; i++)
                dx->data[i] = g->act[k + 1]->data[i] > 0 ? dy->data[i] : 0;
            continue;
        }
        const layer_state *l = &g->lay[k];
        if (kind == LC_LAYER_DROPOUT) {
            const int64_t len = g->n_own * dy->shape[1];
            for (int64_t i = 0; i < len; i++)
                dx->data[i] = l->p > 0 ? dy->data[i] * l->drop->data[i] : dy->data[i];
            continue;
        }
        if (l->b >= 0) {
            lc_tensor_t *db = param_grad(m, l->b);
            for (int64_t i = 0; i < g->n_own; i++)
                for (int64_t j = 0; j < db->numel; j++)
                    db->data[j] += dy->data[i * db->numel + j];
        }
        const lc_tensor_t *w = lc_cg_param_tensor(cg, l->w);
        lc_tensor_t *dw = param_grad(m, l->w);
        if (kind == LC_LAYER_LCONV) {
            st = lconv_backward(m, g, k);
        } else if (kind == LC_LAYER_LINEAR) {
            weight_grad(g, k, NULL, dy, dw, XS_MAIN);
            if (k > g->first) input_grad(g, dy, w, dx, false);
        } else if (l->project) { /* y = Â·Z, Z = X·W */
            if ((st = lc_dist_op_spmm_t(g->op, dy, l->dmid))) break;
            weight_grad(g, k, NULL, l->dmid, dw, XS_MAIN);
            if (k > g->first) input_grad(g, l->dmid, w, dx, false);
        } else { /* y = T·W, T = Â·X */
            weight_grad(g, k, l->mid, dy, dw, XS_MAIN);
            input_grad(g, dy, w, l->dmid, false);
            if (k > g->first) st = lc_dist_op_spmm_t(g->op, l->dmid, dx);
        }
    }
    if (st) return st;
    /* the ranks' gradients and losses summed in rank order, as one vector; the
     * edge weights' stay with their owners (the other ranks' are zero) */
    int64_t len = 1;
    for (int i = 0; i < lc_cg_num_params(cg); i++)
        if (param_grad(m, i) && !edge_param(g, i)) len += param_grad(m, i)->numel;
    double *buf = lc_i_dist_buffer(m->dist, len);
    if (!buf)
        return LC_ERROR(LC_ERR_OUT_OF_MEMORY, "cannot allocate %lld gradients", (long long)len);
    int64_t at = 0;
    for (int i = 0; i < lc_cg_num_params(cg); i++) {
        const lc_tensor_t *gr = edge_param(g, i) ? NULL : param_grad(m, i);
        for (int64_t j = 0; gr && j < gr->numel; j++)
            buf[at++] = gr->data[j];
    }
    buf[at] = nll;
    if ((st = lc_i_dist_sum(m->dist, buf, len))) return st;
    at = 0;
    for (int i = 0; i < lc_cg_num_params(cg); i++) {
        lc_tensor_t *gr = edge_param(g, i) ? NULL : param_grad(m, i);
        for (int64_t j = 0; gr && j < gr->numel; j++)
            gr->data[j] = (float)buf[at++];
    }
    *loss = (float)(buf[at] / (double)g->n_train);
    return lc_optim_step(m->opt);
}

lc_status lc_i_dist_graph_evaluate(lc_model_t *m, lc_i_dist_graph *g, lc_eval_result *res)
{
    lc_status st = forward(m, g, false);
    if (st) return st;
    const lc_tensor_t *logits = g->act[g->n_layers];
    const int64_t c = logits->shape[1];
    double lp[1024], sums[9] = {0};
    if (c > 1024) return LC_ERROR(LC_ERR_UNSUPPORTED, "%lld classes (at most 1024)", (long long)c);
    for (int64_t i = 0; i < g->n_own; i++) {
        if (g->labels[i] < 0) continue;
        log_softmax(logits->data + i * c, c, lp);
        int64_t best = 0;
        for (int64_t j = 1; j < c; j++)
            if (logits->data[i * c + j] > logits->data[i * c + best]) best = j;
        for (int k = 0; k < 3; k++)
            if (g->mask[k][i]) {
                sums[3 * k] -= lp[g->labels[i]];
                sums[3 * k + 1] += best == g->labels[i];
                sums[3 * k + 2] += 1;
            }
    }
    if ((st = lc_i_dist_sum(m->dist, sums, 9))) return st;
    for (int k = 0; k < 3; k++) {
        res->loss[k] = sums[3 * k + 2] ? (float)(sums[3 * k] / sums[3 * k + 2]) : NAN;
        res->accuracy[k] = sums[3 * k + 2] ? (float)(sums[3 * k + 1] / sums[3 * k + 2]) : NAN;
    }
    return LC_OK;
}

int64_t lc_i_dist_graph_bytes(const lc_model_t *m)
{
    const lc_i_dist_graph *g = m ? m->dist_graph : NULL;
    return g ? lc_dist_op_bytes_sent(g->op) + lc_dist_op_bytes_sent(g->adj) : 0;
}

/* The whole graph's [count, p] edge weights, each edge's from the one rank
 * that holds it (the others add zeros, so the sum is exact): this rank holds
 * rows entry[0..held) (ascending), row entry[j]'s values at src + j·p (a
 * part's rows) or, with src_whole, at src + entry[j]·p. A block of whole rows
 * at a time, the same on every rank (8 MB a rank besides dst); every rank
 * sums, those with a dst keep the result (it may be src itself: a block is
 * read before it is written). st: this rank's failure so far, which every
 * rank learns of before the first sum. Collective. */
static lc_status sum_edge_rows(lc_dist_t *d, lc_status st, int64_t count, int64_t p,
                               const int64_t *entry, int64_t held, const float *src, bool src_whole,
                               float *dst)
{
    const int64_t block = (1 << 20) / p > 0 ? (1 << 20) / p : 1;
    double *sum = st ? NULL : lc_i_malloc((size_t)(block * p) * sizeof *sum);
    if (!st && !sum)
        st = LC_ERROR(LC_ERR_OUT_OF_MEMORY, "cannot allocate %lld doubles to gather edge weights",
                      (long long)(block * p));
    st = lc_i_dist_agree_all(d, st, "to gather the edge weights");
    for (int64_t r0 = 0, j = 0; !st && r0 < count; r0 += block) {
        const int64_t rows = count - r0 < block ? count - r0 : block;
        memset(sum, 0, (size_t)(rows * p) * sizeof *sum);
        for (; j < held && entry[j] < r0 + rows; j++)
            for (int64_t c = 0; c < p; c++)
                sum[(entry[j] - r0) * p + c] = src[(src_whole ? entry[j] : j) * p + c];
        st = lc_i_dist_sum(d, sum, rows * p);
        for (int64_t k = 0; !st && dst && k < rows * p; k++)
            dst[r0 * p + k] = (float)sum[k];
    }
    lc_i_free(sum);
    return st;
}

lc_status lc_i_dist_graph_share_edges(const lc_model_t *m)
{
    const lc_i_dist_graph *g = m->edge_part ? NULL : m->dist_graph; /* a part's: its own */
    for (int k = 0; g && k < g->n_layers; k++) {
        if (g->lay[k].e < 0) continue;
        lc_tensor_t *w = lc_cg_param_tensor(m->cg, g->lay[k].e);
        const lc_status st = sum_edge_rows(m->dist, LC_OK, w->shape[0], w->shape[1], g->held_edges,
                                           g->n_held_edges, w->data, true, w->data);
        if (st) return st;
    }
    return LC_OK;
}

bool lc_i_dist_part_edges(const lc_model_t *m, int i)
{
    if (!m->edge_part) return false;
    const char *what = strrchr(lc_cg_param_name(m->cg, i), '.');
    return what && !strcmp(what, ".edge_weight");
}

lc_status lc_i_dist_edges_whole(const lc_model_t *m, int i, lc_tensor_t **whole)
{
    *whole = NULL;
    const lc_i_part *part = m->edge_part;
    if (!lc_i_dist_active(m->dist) || lc_dist_size(m->dist) != part->parts)
        return LC_ERROR(LC_ERR_STATE,
                        "'%s': the model was built on part %d of %d, which holds its edges' "
                        "weights alone: every rank of its job of %d saves or exports it together "
                        "(lc_train_config.dist at the build)",
                        part->path, part->part, part->parts, part->parts);
    const lc_tensor_t *w = lc_cg_param_tensor(m->cg, i);
    const int64_t p = w->shape[1];
    lc_tensor_t *t = NULL;
    lc_status st = LC_OK;
    if (lc_dist_rank(m->dist) == 0 && lc_tensor_new2(&t, m->edge_count, p))
        st = LC_ERROR(LC_ERR_OUT_OF_MEMORY, "cannot allocate %lld edge weights",
                      (long long)(m->edge_count * p));
    /* rank 0 alone keeps the result */
    st = sum_edge_rows(m->dist, st, m->edge_count, p, part->adj.entry,
                       part->adj.rowptr[part->adj.n_own], w->data, false, t ? t->data : NULL);
    if (st) {
        lc_tensor_free(&t);
        return st;
    }
    *whole = t;
    return LC_OK;
}

void lc_i_dist_edges_take(lc_model_t *m, int i, const lc_tensor_t *whole)
{
    const lc_i_part *part = m->edge_part;
    lc_tensor_t *w = lc_cg_param_tensor(m->cg, i);
    const int64_t p = w->shape[1], held = part->adj.rowptr[part->adj.n_own];
    for (int64_t j = 0; j < held; j++)
        memcpy(w->data + j * p, whole->data + part->adj.entry[j] * p, (size_t)p * sizeof(float));
}
