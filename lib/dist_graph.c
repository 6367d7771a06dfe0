/* dist_graph.c — full-graph partitioned training of node-level data: each rank owns a part of the
 * nodes (METIS, else blocks), their feature rows and labels; every GCN aggregation exchanges halo
 * rows (lc_dist_op). */
#include <cblas.h>
#include <math.h>
#include <string.h>

#include "dist.h"
#include "layer.h"

/* What one rank keeps: its rows of the data, one activation per layer
 * boundary, a gradient of each, and each GCN layer's aggregated or projected
 * middle tensor. Layer k maps act[k] to act[k + 1]. */
struct lc_i_dist_graph {
    lc_dist_op_t *op;
    int64_t n_own, n_train; /* n_train: labelled training rows on every rank together */
    int n_layers, first;    /* first: the first learnable layer (sparse features enter there) */
    lc_tensor_t **act, **grad, **mid, **dmid;
    lc_csr_t *xs;    /* the owned rows of sparse features, or NULL */
    int32_t *labels; /* owned rows */
    uint8_t *mask[3];
    int *w_param;  /* per layer: index of its weight parameter, or -1 */
    int *b_param;  /* per layer: of its bias, or -1 */
    bool *project; /* gcn: X·W first, then Â (as gcn.c chooses) */
};

void lc_i_dist_graph_free(lc_i_dist_graph **pg)
{
    if (!pg || !*pg) return;
    lc_i_dist_graph *g = *pg;
    lc_dist_op_free(&g->op);
    for (int k = 0; g->act && k <= g->n_layers; k++) {
        lc_tensor_free(&g->act[k]);
        lc_tensor_free(&g->grad[k]);
        if (k < g->n_layers) lc_tensor_free(&g->mid[k]), lc_tensor_free(&g->dmid[k]);
    }
    lc_i_free(g->act);
    lc_i_free(g->grad);
    lc_i_free(g->mid);
    lc_i_free(g->dmid);
    lc_csr_free(&g->xs);
    lc_i_free(g->labels);
    for (int k = 0; k < 3; k++)
        lc_i_free(g->mask[k]);
    lc_i_free(g->w_param);
    lc_i_free(g->b_param);
    lc_i_free(g->project);
    lc_i_free(g);
    *pg = NULL;
}

static lc_status new2(lc_tensor_t **t, int64_t rows, int64_t cols)
{
    return lc_tensor_new2(t, rows > 0 ? rows : 1, cols);
}

lc_status lc_i_dist_graph_new(lc_model_t *m, const lc_dataset_t *ds, const lc_train_config *cfg,
                              lc_i_dist_graph **result)
{
    lc_status st = LC_OK;
    const lc_csr_t *a_hat = NULL;
    int32_t *part = NULL;
    int64_t *rows = NULL, *cols = NULL;
    float *vals = NULL;
    lc_i_dist_graph *g = lc_i_calloc(1, sizeof *g);
    if (!g) return LC_ERROR(LC_ERR_OUT_OF_MEMORY, "cannot allocate the partitioned state");
    const int L = m->n_layers, np = lc_cg_num_params(m->cg);
    g->n_layers = L;
    g->act = lc_i_calloc((size_t)L + 1, sizeof *g->act);
    g->grad = lc_i_calloc((size_t)L + 1, sizeof *g->grad);
    g->mid = lc_i_calloc((size_t)L + 1, sizeof *g->mid);
    g->dmid = lc_i_calloc((size_t)L + 1, sizeof *g->dmid);
    g->w_param = lc_i_malloc((size_t)L * sizeof *g->w_param);
    g->b_param = lc_i_malloc((size_t)L * sizeof *g->b_param);
    g->project = lc_i_calloc((size_t)L, sizeof *g->project);
    if (!g->act || !g->grad || !g->mid || !g->dmid || !g->w_param || !g->b_param || !g->project)
        LC_FAIL(LC_ERR_OUT_OF_MEMORY, "cannot allocate the partitioned state");
    /* which layers this trainer knows; the parameters are the model's */
    g->first = -1;
    for (int k = 0; k < L; k++) {
        const lc_layer_desc *d = &m->layers[k];
        g->w_param[k] = g->b_param[k] = -1;
        const float p =
            d->kind == LC_LAYER_DROPOUT ? (cfg->dropout >= 0 ? cfg->dropout : d->arg) : 0;
        if (d->kind != LC_LAYER_GCN && d->kind != LC_LAYER_LINEAR && d->kind != LC_LAYER_RELU &&
            !(d->kind == LC_LAYER_DROPOUT && p == 0))
            LC_FAIL(LC_ERR_UNSUPPORTED, /* (p > 0 would draw other masks than one process) */
                    "full-graph partitioned training knows gcn, linear, relu and dropout 0 "
                    "(--dropout 0); layer %d is '%s'%s",
                    k, lc_i_layer_name(d->kind), d->kind == LC_LAYER_DROPOUT ? " with p > 0" : "");
        for (int i = 0; i < np; i++)
            if (m->param_layer[i] == k) {
                if (m->param_decay[i])
                    g->w_param[k] = i;
                else
                    g->b_param[k] = i;
            }
        if (g->first < 0 && g->w_param[k] >= 0) g->first = k;
    }
    if (g->first < 0) LC_FAIL(LC_ERR_INVALID_ARG, "the model has no learnable layer");
    /* the partition: every rank computes the same one (METIS has a fixed seed) */
    const int64_t n = lc_i_dataset_rows(ds);
    LC_TRY(lc_graph_gcn_operator(ds->graph, &a_hat));
    part = lc_i_malloc((size_t)n * sizeof *part);
    if (!part) LC_FAIL(LC_ERR_OUT_OF_MEMORY, "cannot allocate the partition");
    st = lc_partition(a_hat, lc_dist_size(m->dist), LC_PARTITION_METIS, part);
    if (st == LC_ERR_UNSUPPORTED)
        st = lc_partition(a_hat, lc_dist_size(m->dist), LC_PARTITION_BLOCK, part);
    if (st) goto done;
    LC_TRY(lc_dist_op_new(&g->op, m->dist, a_hat, part));
    const int64_t n_own = g->n_own = lc_dist_op_rows(g->op);
    const int64_t *own = lc_dist_op_row_ids(g->op);
    /* owned labels, masks and features */
    g->labels = lc_i_malloc((size_t)(n_own + 1) * sizeof *g->labels);
    for (int k = 0; k < 3; k++)
        g->mask[k] = lc_i_malloc((size_t)n_own + 1);
    if (!g->labels || !g->mask[0] || !g->mask[1] || !g->mask[2])
        LC_FAIL(LC_ERR_OUT_OF_MEMORY, "cannot allocate the owned labels");
    for (int64_t r = 0; r < n; r++)
        g->n_train += ds->mask[0][r] && ds->labels[r] >= 0;
    for (int64_t k = 0; k < n_own; k++) {
        g->labels[k] = ds->labels[own[k]];
        for (int j = 0; j < 3; j++)
            g->mask[j][k] = ds->mask[j][own[k]];
    }
    int64_t width = ds->features ? ds->features->shape[1] : ds->sparse_features->n_cols;
    if (ds->features) {
        LC_TRY(new2(&g->act[0], n_own, width));
        for (int64_t k = 0; k < n_own; k++)
            memcpy(g->act[0]->data + k * width, ds->features->data + own[k] * width,
                   (size_t)width * sizeof(float));
    } else {
        const lc_csr_t *x = ds->sparse_features;
        int64_t nnz = 0, e2 = 0;
        for (int64_t k = 0; k < n_own; k++)
            nnz += x->rowptr[own[k] + 1] - x->rowptr[own[k]];
        rows = lc_i_malloc((size_t)(nnz + 1) * sizeof *rows);
        cols = lc_i_malloc((size_t)(nnz + 1) * sizeof *cols);
        vals = lc_i_malloc((size_t)(nnz + 1) * sizeof *vals);
        if (!rows || !cols || !vals)
            LC_FAIL(LC_ERR_OUT_OF_MEMORY, "cannot copy the owned features");
        for (int64_t k = 0; k < n_own; k++)
            for (int64_t e = x->rowptr[own[k]]; e < x->rowptr[own[k] + 1]; e++)
                rows[e2] = k, cols[e2] = x->col[e], vals[e2++] = x->val[e];
        LC_TRY(lc_csr_from_coo(&g->xs, n_own, width, nnz, rows, cols, vals));
    }
    /* every activation, gradient and middle tensor, once */
    /* act[k + 1] and, past the first learnable layer, grad[k + 1]: layer k's
     * output and its gradient (sparse features skip the no-op layers before
     * the first learnable one, which reads them) */
    for (int k = 0; k < L; k++) {
        int64_t out = width;
        if (g->w_param[k] >= 0) out = lc_cg_param_tensor(m->cg, g->w_param[k])->shape[1];
        if (m->layers[k].kind == LC_LAYER_GCN) {
            /* gcn.c's choice: the SpMM on the narrower side, a sparse X projected first */
            g->project[k] = (k == g->first && g->xs) || out <= width;
            const int64_t mid = g->project[k] ? out : width;
            LC_TRY(new2(&g->mid[k], n_own, mid));
            LC_TRY(new2(&g->dmid[k], n_own, mid));
        }
        if (!(g->xs && k < g->first)) LC_TRY(new2(&g->act[k + 1], n_own, out));
        if (k >= g->first) LC_TRY(new2(&g->grad[k + 1], n_own, out));
        width = out;
    }
done:
    lc_i_free(part);
    lc_i_free(rows);
    lc_i_free(cols);
    lc_i_free(vals);
    if (st) {
        lc_i_dist_graph_free(&g);
        return st;
    }
    *result = g;
    return LC_OK;
}

/* y = x·w (+= when acc), x [r, i] dense or the sparse owned features */
static void project(const lc_i_dist_graph *g, int k, const lc_tensor_t *w, lc_tensor_t *y)
{
    const int64_t r = g->n_own, out = w->shape[1];
    if (k == g->first && g->xs) {
        memset(y->data, 0, (size_t)(r * out) * sizeof(float));
        for (int64_t i = 0; i < r; i++)
            for (int64_t e = g->xs->rowptr[i]; e < g->xs->rowptr[i + 1]; e++) {
                const float v = g->xs->val[e], *wr = w->data + (int64_t)g->xs->col[e] * out;
                float *yr = y->data + i * out;
                for (int64_t c = 0; c < out; c++)
                    yr[c] += v * wr[c];
            }
        return;
    }
    const lc_tensor_t *x = g->act[k];
    if (r)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)r, (int)out, (int)w->shape[0],
                    1.0f, x->data, (int)w->shape[0], w->data, (int)out, 0.0f, y->data, (int)out);
}

/* dw += xᵀ·dy over the owned rows (x: the input of layer k, or `x` itself) */
static void weight_grad(const lc_i_dist_graph *g, int k, const lc_tensor_t *x,
                        const lc_tensor_t *dy, lc_tensor_t *dw)
{
    const int64_t r = g->n_own, in = dw->shape[0], out = dw->shape[1];
    if (!x && k == g->first && g->xs) {
        for (int64_t i = 0; i < r; i++)
            for (int64_t e = g->xs->rowptr[i]; e < g->xs->rowptr[i + 1]; e++) {
                const float v = g->xs->val[e], *d = dy->data + i * out;
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

/* dx = dy·wᵀ */
static void input_grad(const lc_i_dist_graph *g, const lc_tensor_t *dy, const lc_tensor_t *w,
                       lc_tensor_t *dx)
{
    const int64_t r = g->n_own, in = w->shape[0], out = w->shape[1];
    if (r)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)r, (int)in, (int)out, 1.0f,
                    dy->data, (int)out, w->data, (int)out, 0.0f, dx->data, (int)in);
}

static void add_bias(lc_tensor_t *y, const lc_tensor_t *b, int64_t rows)
{
    const int64_t c = b->numel;
    for (int64_t i = 0; i < rows; i++)
        for (int64_t j = 0; j < c; j++)
            y->data[i * c + j] += b->data[j];
}

static lc_status forward(lc_model_t *m, lc_i_dist_graph *g)
{
    lc_status st = LC_OK;
    for (int k = 0; k < g->n_layers && !st; k++) {
        const lc_layer_kind kind = m->layers[k].kind;
        lc_tensor_t *y = g->act[k + 1];
        if (k < g->first && g->xs) continue; /* dropout 0 on the sparse features */
        if (kind == LC_LAYER_RELU) {
            for (int64_t i = 0; i < g->n_own * y->shape[1]; i++)
                y->data[i] = g->act[k]->data[i] > 0 ? g->act[k]->data[i] : 0;
        } else if (kind == LC_LAYER_DROPOUT) {
            memcpy(y->data, g->act[k]->data, (size_t)(g->n_own * y->shape[1]) * sizeof(float));
        } else {
            const lc_tensor_t *w = lc_cg_param_tensor(m->cg, g->w_param[k]);
            if (kind == LC_LAYER_LINEAR) {
                project(g, k, w, y);
            } else if (g->project[k]) { /* Â·(X·W) */
                project(g, k, w, g->mid[k]);
                st = lc_dist_op_spmm(g->op, g->mid[k], y);
            } else { /* (Â·X)·W */
                st = lc_dist_op_spmm(g->op, g->act[k], g->mid[k]);
                if (!st && g->n_own)
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)g->n_own,
                                (int)w->shape[1], (int)w->shape[0], 1.0f, g->mid[k]->data,
                                (int)w->shape[0], w->data, (int)w->shape[1], 0.0f, y->data,
                                (int)w->shape[1]);
            }
            if (g->b_param[k] >= 0) add_bias(y, lc_cg_param_tensor(m->cg, g->b_param[k]), g->n_own);
        }
    }
    return st;
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

lc_status lc_i_dist_graph_step(lc_model_t *m, lc_i_dist_graph *g, float *loss)
{
    lc_status st = forward(m, g);
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
        if (kind == LC_LAYER_DROPOUT) {
            memcpy(dx->data, dy->data, (size_t)(g->n_own * dy->shape[1]) * sizeof(float));
            continue;
        }
        const lc_tensor_t *w = lc_cg_param_tensor(cg, g->w_param[k]);
        lc_tensor_t *dw = cg->nodes[cg->params[g->w_param[k]]].grad;
        if (g->b_param[k] >= 0) {
            lc_tensor_t *db = cg->nodes[cg->params[g->b_param[k]]].grad;
            for (int64_t i = 0; i < g->n_own; i++)
                for (int64_t j = 0; j < db->numel; j++)
                    db->data[j] += dy->data[i * db->numel + j];
        }
        if (kind == LC_LAYER_LINEAR) {
            weight_grad(g, k, NULL, dy, dw);
            if (k > g->first) input_grad(g, dy, w, dx);
        } else if (g->project[k]) { /* y = Â·Z, Z = X·W */
            if ((st = lc_dist_op_spmm_t(g->op, dy, g->dmid[k]))) break;
            weight_grad(g, k, NULL, g->dmid[k], dw);
            if (k > g->first) input_grad(g, g->dmid[k], w, dx);
        } else { /* y = T·W, T = Â·X */
            weight_grad(g, k, g->mid[k], dy, dw);
            input_grad(g, dy, w, g->dmid[k]);
            if (k > g->first) st = lc_dist_op_spmm_t(g->op, g->dmid[k], dx);
        }
    }
    if (st) return st;
    /* the ranks' gradients and losses summed in rank order, as one vector */
    int64_t len = 1;
    for (int i = 0; i < lc_cg_num_params(cg); i++)
        if (cg->nodes[cg->params[i]].grad) len += cg->nodes[cg->params[i]].grad->numel;
    double *buf = lc_i_dist_buffer(m->dist, len);
    if (!buf)
        return LC_ERROR(LC_ERR_OUT_OF_MEMORY, "cannot allocate %lld gradients", (long long)len);
    int64_t at = 0;
    for (int i = 0; i < lc_cg_num_params(cg); i++) {
        const lc_tensor_t *gr = cg->nodes[cg->params[i]].grad;
        for (int64_t j = 0; gr && j < gr->numel; j++)
            buf[at++] = gr->data[j];
    }
    buf[at] = nll;
    if ((st = lc_i_dist_sum(m->dist, buf, len))) return st;
    at = 0;
    for (int i = 0; i < lc_cg_num_params(cg); i++) {
        lc_tensor_t *gr = cg->nodes[cg->params[i]].grad;
        for (int64_t j = 0; gr && j < gr->numel; j++)
            gr->data[j] = (float)buf[at++];
    }
    *loss = (float)(buf[at] / (double)g->n_train);
    return lc_optim_step(m->opt);
}

lc_status lc_i_dist_graph_evaluate(lc_model_t *m, lc_i_dist_graph *g, lc_eval_result *res)
{
    lc_status st = forward(m, g);
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
    return m && m->dist_graph ? lc_dist_op_bytes_sent(m->dist_graph->op) : 0;
}
