/* test_lconv.c — L-conv layers against naive dense references, their gradients, relabelling equivariance, specs. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <GraphBLAS.h>

#include "harness.h"
#include "model.h"

enum { N = 10, FMAX = 4, C = 3 };
static int F = FMAX; /* feature width of the toy data (1 makes L-conv aggregate first) */

/* A random symmetric graph with N nodes, dense (or sparse) features F wide, C classes. */
static lc_dataset_t *toy(uint64_t seed, int sparse, const int *perm)
{
    lc_rng_t rng;
    lc_rng_seed(&rng, seed);
    int64_t tail[64], head[64];
    int m = 0;
    for (int i = 0; i < N; i++) {
        tail[m] = i, head[m++] = (i + 1) % N;
        if (i % 2 == 0) tail[m] = i, head[m++] = (i + 4) % N;
    }
    if (perm)
        for (int e = 0; e < m; e++) tail[e] = perm[tail[e]], head[e] = perm[head[e]];
    lc_graph_t *g = NULL;
    lc_dataset_t *ds = NULL;
    if (lc_graph_from_edges(&g, N, m, tail, head, NULL, LC_GRAPH_SYMMETRIZE)) return NULL;
    float pos[N * 2];
    for (int i = 0; i < N; i++) { /* nodes on a circle, for the shared generator */
        int v = perm ? perm[i] : i;
        pos[v * 2] = cosf(0.6f * (float)i), pos[v * 2 + 1] = sinf(0.6f * (float)i);
    }
    lc_graph_set_positions(g, 2, pos); /* checked by the shared test itself */
    float x[N * FMAX];
    for (int i = 0; i < N * F; i++) x[i] = lc_rng_normal(&rng);
    int32_t labels[N];
    uint8_t train[N], val[N], test[N];
    for (int i = 0; i < N; i++) {
        int v = perm ? perm[i] : i;
        labels[v] = i % C, train[v] = 1, val[v] = 0, test[v] = 1;
    }
    lc_tensor_t *xt = NULL;
    lc_csr_t *xs = NULL;
    float xp[N * FMAX];
    for (int i = 0; i < N; i++)
        memcpy(xp + (perm ? perm[i] : i) * F, x + i * F, sizeof(float) * F);
    if (sparse) {
        int64_t rows[N * FMAX], cols[N * FMAX];
        for (int i = 0; i < N * F; i++) rows[i] = i / F, cols[i] = i % F;
        lc_csr_from_coo(&xs, N, F, N * F, rows, cols, xp);
    } else {
        lc_tensor_new2(&xt, N, F);
        memcpy(lc_tensor_data(xt), xp, sizeof(float) * N * (size_t)F);
    }
    if (lc_dataset_new(&ds, g, xt, xs, labels, C) || lc_dataset_set_split(ds, train, val, test)) {
        lc_dataset_free(&ds);
        return NULL;
    }
    return ds;
}

/* Y = X W0 + Σ_i L_i X W_i + b, then log-softmax, all in double, from dense L_i. */
static double worst_vs_reference(lc_model_t *m, const lc_dataset_t *ds, const float *w_edges,
                                 int p, lc_lconv_form form, int with_w0, int with_bias)
{
    lc_graph_t *g = lc_dataset_graph(ds);
    const lc_tensor_t *wall = lc_test_param(m, ".weights");
    const lc_tensor_t *w0 = with_w0 ? lc_test_param(m, ".weight0") : NULL;
    const lc_tensor_t *b = with_bias ? lc_test_param(m, ".bias") : NULL;
    const int stacked = lc_tensor_dim(wall, 0) == (int64_t)p * F;
    double *x = lc_test_dense_features(ds), l[8][N][N] = {{{0}}}; /* x [N, F] */
    for (int64_t e = 0; e < lc_graph_num_edges(g); e++) {
        int64_t t = lc_graph_tails(g)[e], h = lc_graph_heads(g)[e];
        for (int i = 0; i < p; i++) {
            l[i][t][h] += w_edges[e * p + i];
            if (form == LC_LCONV_VECTOR_FIELD) l[i][t][t] -= w_edges[e * p + i];
        }
    }
    const float *out = lc_tensor_data(lc_model_output(m));
    double worst = 0;
    for (int v = 0; v < N; v++) {
        double y[C], mx = -1e300, z = 0;
        for (int c = 0; c < C; c++) {
            double s = b ? lc_tensor_data(b)[c] : 0;
            for (int k = 0; k < F; k++) {
                if (w0) s += x[v * F + k] * lc_tensor_data(w0)[k * C + c];
                for (int i = 0; i < p; i++) { /* W_i from [in, p·out] or, aggregating first, [p·in, out] */
                    const float wi = stacked ? lc_tensor_data(wall)[(i * F + k) * C + c]
                                             : lc_tensor_data(wall)[k * p * C + i * C + c];
                    for (int u = 0; u < N; u++) s += l[i][v][u] * x[u * F + k] * wi;
                }
            }
            y[c] = s;
            mx = fmax(mx, s);
        }
        for (int c = 0; c < C; c++) z += exp(y[c] - mx);
        for (int c = 0; c < C; c++)
            worst = fmax(worst, fabs(out[v * C + c] - (y[c] - mx - log(z))) / fmax(1, fabs(y[c])));
    }
    free(x);
    return worst;
}

static void check_lconv_layer(const char *spec, int p, lc_lconv_form form, int w0, int bias, int sparse)
{
    lc_dataset_t *ds = toy(3, sparse, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ds);
    lc_model_t *m = NULL;
    lc_eval_result ev;
    LC_ASSERT_OK(lc_model_from_spec(&m, spec));
    LC_ASSERT_OK(lc_model_build(m, ds, NULL));
    lc_tensor_t *w = lc_test_param(m, ".edge_weight");
    CU_ASSERT_PTR_NOT_NULL_FATAL(w);
    CU_ASSERT_EQUAL(lc_tensor_dim(w, 1), p);
    if (bias) /* a nonzero bias, so that adding it is checked too */
        for (int c = 0; c < C; c++)
            lc_tensor_data(lc_test_param(m, ".bias"))[c] = 0.2f * (float)c - 0.1f;
    LC_ASSERT_OK(lc_model_evaluate(m, ds, &ev));
    double worst = worst_vs_reference(m, ds, lc_tensor_data(w), p, form, w0, bias);
    if (worst > 1e-5) fprintf(stderr, "\n  %s: worst %g\n", spec, worst);
    CU_ASSERT(worst <= 1e-5);
    lc_model_free(&m);
    lc_dataset_free(&ds);
}

static void test_lconv_vf(void) { check_lconv_layer("lconv:3:p=2", 2, LC_LCONV_VECTOR_FIELD, 1, 1, 0); }
static void test_lconv_adj(void)
{
    check_lconv_layer("lconv:3:p=3:form=adj:now0:nobias", 3, LC_LCONV_ADJACENCY, 0, 0, 0);
}
static void test_lconv_aggregate_first(void)
{
    F = 1; /* in 1 < out 3: the layer applies the generators before W */
    lc_dataset_t *ds = toy(3, 0, NULL);
    lc_model_t *m = NULL;
    LC_ASSERT_OK(lc_model_from_spec(&m, "lconv:3:p=2"));
    LC_ASSERT_OK(lc_model_build(m, ds, NULL));
    /* [p·in, out]: aggregated first */
    CU_ASSERT_EQUAL(lc_tensor_dim(lc_test_param(m, ".weights"), 0), 2);
    lc_model_free(&m);
    lc_dataset_free(&ds);
    check_lconv_layer("lconv:3:p=2", 2, LC_LCONV_VECTOR_FIELD, 1, 1, 0);
    check_lconv_layer("lconv:3:p=3:form=adj:now0", 3, LC_LCONV_ADJACENCY, 0, 1, 0);
    F = FMAX;
}
static void test_lconv_sparse_input(void) { check_lconv_layer("lconv:3:p=2:init=const", 2, LC_LCONV_VECTOR_FIELD, 1, 1, 1); }

static void test_shared_generator(void)
{
    lc_dataset_t *ds = toy(4, 0, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ds);
    int dim = 0;
    if (!lc_graph_positions(lc_dataset_graph(ds), &dim)) {
        CU_FAIL("lc_graph_set_positions did not store the positions");
        lc_dataset_free(&ds);
        return;
    }
    lc_model_t *m = NULL;
    lc_eval_result ev;
    LC_ASSERT_OK(lc_model_from_spec(&m, "shared:3:p=2"));
    LC_ASSERT_OK(lc_model_build(m, ds, NULL));
    LC_ASSERT_OK(lc_model_evaluate(m, ds, &ev));
    const lc_tensor_t *eps = lc_test_param(m, ".epsilon");
    CU_ASSERT_PTR_NOT_NULL_FATAL(eps);
    CU_ASSERT_EQUAL(lc_tensor_dim(eps, 0), 2);
    lc_graph_t *g = lc_dataset_graph(ds);
    const float *pos = lc_graph_positions(g, &dim);
    int64_t m_edges = lc_graph_num_edges(g);
    float *w = calloc((size_t)m_edges * 2, sizeof *w);
    for (int64_t e = 0; e < m_edges; e++) /* w[e, i] = Σ_a ε_i^a ê_a(e) */
        for (int i = 0; i < 2; i++)
            for (int a = 0; a < 2; a++)
                w[e * 2 + i] += lc_tensor_data(eps)[a * 2 + i] *
                                (pos[lc_graph_heads(g)[e] * 2 + a] - pos[lc_graph_tails(g)[e] * 2 + a]);
    double worst = worst_vs_reference(m, ds, w, 2, LC_LCONV_VECTOR_FIELD, 1, 1);
    CU_ASSERT(worst <= 1e-5);
    free(w);
    lc_model_free(&m);
    /* without positions the layer says what is missing */
    lc_dataset_t *plain = NULL;
    const int64_t t[] = {0, 1}, h[] = {1, 2};
    lc_graph_t *g2 = NULL;
    lc_tensor_t *x = NULL;
    int32_t labels[3] = {0, 1, 0};
    LC_ASSERT_OK(lc_graph_from_edges(&g2, 3, 2, t, h, NULL, LC_GRAPH_SYMMETRIZE));
    LC_ASSERT_OK(lc_tensor_new2(&x, 3, 2));
    LC_ASSERT_OK(lc_dataset_new(&plain, g2, x, NULL, labels, 2));
    uint8_t all[3] = {1, 1, 1};
    LC_ASSERT_OK(lc_dataset_set_split(plain, all, all, all));
    LC_ASSERT_OK(lc_model_from_spec(&m, "shared:2"));
    LC_ASSERT_STATUS(lc_model_build(m, plain, NULL), LC_ERR_INVALID_ARG);
    LC_ASSERT_ERROR_HAS("needs node positions");
    lc_model_free(&m);
    lc_dataset_free(&plain);
    lc_dataset_free(&ds);
}

/* Central differences of the training loss for a few entries of every parameter
 * (W0, W_i, b, w, ε) against the backward pass. Dropout-free models only. */
static void gradcheck_model(const char *spec)
{
    lc_dataset_t *ds = toy(5, 0, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ds);
    lc_model_t *m = NULL;
    LC_ASSERT_OK(lc_model_from_spec(&m, spec));
    LC_ASSERT_OK(lc_model_build(m, ds, NULL));
    lc_test_grad_opts o = {.training = 1, .h = 1e-2f, .tol = 2e-2f, .samples = 7, .label = spec};
    int checked = lc_test_gradcheck(lc_model_graph(m), &o);
    CU_ASSERT(checked > 10);
    lc_model_free(&m);
    lc_dataset_free(&ds);
}

static void test_grad_lconv_layers(void)
{
    gradcheck_model("lconv:5:p=2,tanh,lconv:p=2");
    gradcheck_model("lconv:5:p=2:form=adj,tanh,lconv:form=adj");
    gradcheck_model("shared:5:p=2,tanh,shared");
}

/* Relabelling the nodes permutes the outputs (edge weights carried along). */
static void check_equivariance(const char *spec)
{
    const int perm[N] = {3, 7, 0, 9, 1, 5, 2, 8, 6, 4};
    lc_dataset_t *a = toy(6, 0, NULL), *b = toy(6, 0, perm);
    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    lc_model_t *ma = NULL, *mb = NULL;
    lc_eval_result ev;
    LC_ASSERT_OK(lc_model_from_spec(&ma, spec));
    LC_ASSERT_OK(lc_model_from_spec(&mb, spec));
    LC_ASSERT_OK(lc_model_build(ma, a, NULL));
    LC_ASSERT_OK(lc_model_build(mb, b, NULL));
    lc_cgraph_t *ca = lc_model_graph(ma), *cb = lc_model_graph(mb);
    lc_graph_t *ga = lc_dataset_graph(a), *gb = lc_dataset_graph(b);
    for (int p = 0; p < lc_cg_num_params(ca); p++) {
        lc_tensor_t *ta = lc_cg_param_tensor(ca, p), *tb = lc_cg_param_tensor(cb, p);
        const char *name = lc_cg_param_name(ca, p);
        if (!strstr(name, "edge_weight")) {
            LC_ASSERT_OK(lc_tensor_copy(tb, ta));
            continue;
        }
        int64_t cols = lc_tensor_dim(ta, 1); /* edge e of a is edge (π t, π h) of b */
        for (int64_t e = 0; e < lc_graph_num_edges(ga); e++) {
            int64_t t = perm[lc_graph_tails(ga)[e]], h = perm[lc_graph_heads(ga)[e]], eb = -1;
            for (int64_t k = 0; k < lc_graph_num_edges(gb); k++)
                if (lc_graph_tails(gb)[k] == t && lc_graph_heads(gb)[k] == h) eb = k;
            CU_ASSERT_FATAL(eb >= 0);
            memcpy(lc_tensor_data(tb) + eb * cols, lc_tensor_data(ta) + e * cols, sizeof(float) * (size_t)cols);
        }
    }
    LC_ASSERT_OK(lc_model_evaluate(ma, a, &ev));
    LC_ASSERT_OK(lc_model_evaluate(mb, b, &ev));
    const float *ya = lc_tensor_data(lc_model_output(ma)), *yb = lc_tensor_data(lc_model_output(mb));
    for (int v = 0; v < N; v++)
        for (int c = 0; c < C; c++) CU_ASSERT_DOUBLE_EQUAL(yb[perm[v] * C + c], ya[v * C + c], 1e-5);
    lc_model_free(&ma), lc_model_free(&mb);
    lc_dataset_free(&a), lc_dataset_free(&b);
}

static void test_equivariance_gcn(void) { check_equivariance("gcn:6,relu,gcn"); }
static void test_equivariance_lconv(void) { check_equivariance("lconv:6:p=2,relu,lconv:p=3:form=adj"); }

static void test_specs(void)
{
    struct {
        const char *spec, *canonical;
    } ok[] = {{"lconv:64:p=4:form=vf", "lconv:64:p=4"},
              {"lconv:8:form=adj:init=const:frozen:now0:nobias,lconv",
               "lconv:8:form=adj:init=const:frozen:now0:nobias,lconv"},
              {"shared:32:p=2,relu,shared", "shared:32:p=2,relu,shared"},
              {"lattice:32:k=5,relu,lattice", "lattice:32:k=5,relu,lattice"},
              {"lowrank:16:p=7:r=8,lowrank", "lowrank:16:p=7:r=8,lowrank"}};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        lc_model_t *m = NULL;
        LC_ASSERT_OK(lc_model_from_spec(&m, ok[i].spec));
        CU_ASSERT_STRING_EQUAL(lc_model_spec(m), ok[i].canonical);
        lc_model_free(&m);
    }
    struct {
        const char *spec, *needle;
    } bad[] = {{"lconv:16:q=3,gcn", "token 1 'lconv:16:q=3': unexpected 'q=3'"},
               {"gcn:16:p=2,gcn", "gcn takes a width, nobias"},
               {"lattice:8:k=4,lattice", "'k=4'"},
               {"lconv:8:form=diag,lconv", "'form=diag'"},
               {"lconv:8:p=0,lconv", "'p=0'"},
               {"lowrank:8:r=x,lowrank", "'r=x'"},
               {"lconv:8:16,lconv", "unexpected '16'"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        lc_model_t *m = NULL;
        LC_ASSERT_STATUS(lc_model_from_spec(&m, bad[i].spec), LC_ERR_INVALID_ARG);
        LC_ASSERT_ERROR_HAS(bad[i].needle);
    }
}

/* A frozen generator set is not a parameter, and stays as it started. */
/* The GCN layer is the one-generator, adjacency-form L-conv whose edge weights
 * are the entries of D̃^-1/2 (A+I) D̃^-1/2: build that L-conv from the operator
 * (edge attributes, frozen, no W0) and compare it with "gcn" at equal W and b. */
static void test_gcn_is_lconv_special_case(void)
{
    lc_dataset_t *ds = toy(8, 0, NULL), *ds_op = NULL;
    CU_ASSERT_PTR_NOT_NULL_FATAL(ds);
    const lc_csr_t *op = NULL;
    LC_ASSERT_OK(lc_graph_gcn_operator(lc_dataset_graph(ds), &op));
    int64_t *t = malloc(sizeof *t * (size_t)op->nnz), *h = malloc(sizeof *h * (size_t)op->nnz);
    for (int64_t r = 0; r < op->n_rows; r++)
        for (int64_t k = op->rowptr[r]; k < op->rowptr[r + 1]; k++) t[k] = r, h[k] = op->col[k];
    lc_graph_t *g_op = NULL;
    LC_ASSERT_OK(lc_graph_from_edges(&g_op, N, op->nnz, t, h, op->val, 0));
    lc_tensor_t *x = NULL;
    LC_ASSERT_OK(lc_tensor_new2(&x, N, F));
    LC_ASSERT_OK(lc_tensor_copy(x, lc_dataset_features(ds)));
    LC_ASSERT_OK(lc_dataset_new(&ds_op, g_op, x, NULL, lc_dataset_labels(ds), C));
    LC_ASSERT_OK(lc_dataset_set_split(ds_op, lc_dataset_mask(ds, 0), lc_dataset_mask(ds, 1),
                                      lc_dataset_mask(ds, 2)));
    lc_model_t *gcn = NULL, *lc = NULL;
    lc_eval_result ev;
    LC_ASSERT_OK(lc_model_from_spec(&gcn, "gcn:3"));
    LC_ASSERT_OK(lc_model_from_spec(&lc, "lconv:3:p=1:form=adj:init=attr:frozen:now0"));
    LC_ASSERT_OK(lc_model_build(gcn, ds, NULL));
    LC_ASSERT_OK(lc_model_build(lc, ds_op, NULL));
    for (int c = 0; c < C; c++) lc_tensor_data(lc_test_param(gcn, ".bias"))[c] = 0.3f * (float)c;
    LC_ASSERT_OK(lc_tensor_copy(lc_test_param(lc, ".weights"), lc_test_param(gcn, ".weight")));
    LC_ASSERT_OK(lc_tensor_copy(lc_test_param(lc, ".bias"), lc_test_param(gcn, ".bias")));
    LC_ASSERT_OK(lc_model_evaluate(gcn, ds, &ev));
    LC_ASSERT_OK(lc_model_evaluate(lc, ds_op, &ev));
    const float *a = lc_tensor_data(lc_model_output(gcn)), *b = lc_tensor_data(lc_model_output(lc));
    for (int i = 0; i < N * C; i++) CU_ASSERT_DOUBLE_EQUAL(a[i], b[i], 1e-5);
    free(t), free(h);
    lc_model_free(&gcn), lc_model_free(&lc);
    lc_dataset_free(&ds), lc_dataset_free(&ds_op);
}

static void test_frozen(void)
{
    lc_dataset_t *ds = toy(7, 0, NULL);
    lc_model_t *m = NULL, *f = NULL;
    LC_ASSERT_OK(lc_model_from_spec(&m, "lconv:3:p=2"));
    LC_ASSERT_OK(lc_model_from_spec(&f, "lconv:3:p=2:frozen"));
    LC_ASSERT_OK(lc_model_build(m, ds, NULL));
    LC_ASSERT_OK(lc_model_build(f, ds, NULL));
    CU_ASSERT_EQUAL(lc_cg_num_params(lc_model_graph(f)) + 1, lc_cg_num_params(lc_model_graph(m)));
    CU_ASSERT_PTR_NULL(lc_test_param(f, ".edge_weight"));
    lc_train_config cfg = lc_train_defaults();
    cfg.epochs = 5;
    LC_ASSERT_OK(lc_model_train(f, ds, &cfg, NULL));
    lc_model_free(&m), lc_model_free(&f);
    lc_dataset_free(&ds);
}

/* A dense n × f row-major array as a GraphBLAS matrix (every entry stored). */
static GrB_Matrix dense_grb(const float *x, int64_t n, int64_t f)
{
    GrB_Matrix a = NULL;
    GrB_Index *ri = malloc(sizeof(GrB_Index) * (size_t)(n * f)), *ci = malloc(sizeof(GrB_Index) * (size_t)(n * f));
    for (int64_t k = 0; k < n * f; k++) ri[k] = (GrB_Index)(k / f), ci[k] = (GrB_Index)(k % f);
    GrB_Matrix_new(&a, GrB_FP32, (GrB_Index)n, (GrB_Index)f);
    GrB_Matrix_build_FP32(a, ri, ci, x, (GrB_Index)(n * f), GrB_PLUS_FP32);
    free(ri), free(ci);
    return a;
}

/* The edge-weight gradient (a CSR SDDMM kernel) against GraphBLAS: for the
 * adjacency form, dw[e] = (dY·Zᵀ)[tail, head], i.e. GrB_mxm masked by A's pattern. */
static void test_sddmm_vs_graphblas(void)
{
    const int64_t n = 12, f = 5;
    int64_t tail[40], head[40];
    int m = 0;
    for (int i = 0; i < n; i++) tail[m] = i, head[m++] = (i * 5 + 3) % n, tail[m] = i, head[m++] = (i + 1) % n;
    lc_graph_t *g = NULL;
    LC_ASSERT_OK(lc_graph_from_edges(&g, n, m, tail, head, NULL, LC_GRAPH_SYMMETRIZE | LC_GRAPH_BINARY));
    lc_rng_t rng;
    lc_rng_seed(&rng, 17);
    lc_tensor_t *z0 = NULL, *w0 = NULL, *t0 = NULL;
    LC_ASSERT_OK(lc_tensor_new2(&z0, n, f));
    LC_ASSERT_OK(lc_tensor_new2(&w0, lc_graph_num_edges(g), 1));
    LC_ASSERT_OK(lc_tensor_new2(&t0, n, f));
    for (int64_t i = 0; i < n * f; i++) z0->data[i] = lc_rng_normal(&rng), t0->data[i] = lc_rng_normal(&rng);
    for (int64_t e = 0; e < w0->numel; e++) w0->data[e] = lc_rng_normal(&rng);
    lc_cgraph_t *cg = NULL;
    lc_node z, w, y, t, loss;
    LC_ASSERT_OK(lc_cg_new(&cg, 1));
    LC_ASSERT_OK(lc_cg_constant(cg, z0, &z));
    LC_ASSERT_OK(lc_cg_parameter(cg, w0, "w", &w));
    LC_ASSERT_OK(lc_cg_edge_conv(cg, g, z, w, LC_LCONV_ADJACENCY, &y));
    LC_ASSERT_OK(lc_cg_constant(cg, t0, &t));
    LC_ASSERT_OK(lc_cg_mse(cg, y, t, &loss));
    LC_ASSERT_OK(lc_cg_compile(cg, loss));
    LC_ASSERT_OK(lc_cg_forward(cg, 0));
    LC_ASSERT_OK(lc_cg_backward(cg));
    /* dY of the MSE, then the masked product through GraphBLAS */
    float dy[12 * 5];
    for (int64_t i = 0; i < n * f; i++) dy[i] = 2.0f * (lc_cg_value(cg, y)->data[i] - t0->data[i]) / (float)(n * f);
    void *adj = NULL;
    LC_ASSERT_OK(lc_graph_adjacency_grb(g, &adj));
    GrB_Matrix gdy = dense_grb(dy, n, f), gz = dense_grb(z0->data, n, f), out = NULL;
    GrB_Descriptor desc = NULL;
    CU_ASSERT_EQUAL(GrB_Matrix_new(&out, GrB_FP32, (GrB_Index)n, (GrB_Index)n), GrB_SUCCESS);
    CU_ASSERT_EQUAL(GrB_Descriptor_new(&desc), GrB_SUCCESS);
    CU_ASSERT_EQUAL(GrB_Descriptor_set(desc, GrB_MASK, GrB_STRUCTURE), GrB_SUCCESS);
    CU_ASSERT_EQUAL(GrB_Descriptor_set(desc, GrB_INP1, GrB_TRAN), GrB_SUCCESS);
    CU_ASSERT_EQUAL(GrB_mxm(out, (GrB_Matrix)adj, NULL, GrB_PLUS_TIMES_SEMIRING_FP32, gdy, gz, desc), GrB_SUCCESS);
    const float *dw = lc_cg_grad(cg, w)->data;
    for (int64_t e = 0; e < lc_graph_num_edges(g); e++) {
        float ref = 0;
        CU_ASSERT_EQUAL(GrB_Matrix_extractElement_FP32(&ref, out, (GrB_Index)lc_graph_tails(g)[e],
                                                       (GrB_Index)lc_graph_heads(g)[e]), GrB_SUCCESS);
        CU_ASSERT_DOUBLE_EQUAL(dw[e], ref, 1e-6 + 1e-5 * fabs(ref));
    }
    GrB_Matrix_free(&gdy), GrB_Matrix_free(&gz), GrB_Matrix_free(&out), GrB_Descriptor_free(&desc);
    lc_cg_free(&cg);
    lc_graph_free(&g);
    lc_tensor_free(&z0), lc_tensor_free(&w0), lc_tensor_free(&t0);
}

/* One edge op on g at the current thread count: z [n, zw] and w [E, p] random
 * parameters, y = edge_expand(z) (expand) or edge_conv(z), and an MSE against a
 * random target t0 [n, yw]; forward and backward run. */
typedef struct {
    lc_cgraph_t *cg;
    lc_node z, w, y;
    lc_tensor_t *z0, *w0, *t0;
} edge_op_run;

static void run_edge_op(lc_graph_t *g, int expand, lc_lconv_form fm, int64_t p, int64_t f,
                        uint64_t seed, edge_op_run *r)
{
    const int64_t n = lc_graph_num_nodes(g);
    const int64_t zw = expand ? f : p * f;
    lc_rng_t rng;
    lc_rng_seed(&rng, seed);
    *r = (edge_op_run){0};
    r->z0 = lc_test_rand_tensor(&rng, 2, (int64_t[]){n, zw}, -1, 1, 0);
    r->w0 = lc_test_rand_tensor(&rng, 2, (int64_t[]){lc_graph_num_edges(g), p}, -1, 1, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r->z0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r->w0);
    LC_ASSERT_OK(lc_cg_new(&r->cg, 1));
    LC_ASSERT_OK(lc_cg_parameter(r->cg, r->z0, "z", &r->z));
    LC_ASSERT_OK(lc_cg_parameter(r->cg, r->w0, "w", &r->w));
    LC_ASSERT_OK(expand ? lc_cg_edge_expand(r->cg, g, r->z, r->w, fm, &r->y)
                        : lc_cg_edge_conv(r->cg, g, r->z, r->w, fm, &r->y));
    const lc_node loss = lc_test_mse_loss(r->cg, &rng, r->y, &r->t0);
    LC_ASSERT_OK(lc_cg_compile(r->cg, loss));
    LC_ASSERT_OK(lc_cg_forward(r->cg, 0));
    LC_ASSERT_OK(lc_cg_backward(r->cg));
}

static void edge_op_run_free(edge_op_run *r)
{
    lc_cg_free(&r->cg);
    lc_tensor_free(&r->z0), lc_tensor_free(&r->w0), lc_tensor_free(&r->t0);
}

/* Generator i of w [E, p] as a GraphBLAS matrix: the adjacency form's A_i
 * (entry (tail, head) = w[e, i], repeated edges summed) or the vector field's
 * A_i − diag(A_i·1). */
static GrB_Matrix generator_grb(lc_graph_t *g, const float *w, int64_t p, int64_t i,
                                lc_lconv_form form)
{
    const int64_t n = lc_graph_num_nodes(g), m = lc_graph_num_edges(g);
    const int64_t *tail = lc_graph_tails(g), *head = lc_graph_heads(g);
    GrB_Index *ri = malloc((size_t)(m + n) * sizeof *ri),
              *ci = malloc((size_t)(m + n) * sizeof *ci);
    float *val = malloc((size_t)(m + n) * sizeof *val);
    double *rowsum = calloc((size_t)n, sizeof *rowsum);
    GrB_Index k = 0;
    for (int64_t e = 0; e < m; e++, k++) {
        ri[k] = (GrB_Index)tail[e], ci[k] = (GrB_Index)head[e], val[k] = w[e * p + i];
        rowsum[tail[e]] += w[e * p + i];
    }
    for (int64_t v = 0; form == LC_LCONV_VECTOR_FIELD && v < n; v++, k++)
        ri[k] = ci[k] = (GrB_Index)v, val[k] = (float)-rowsum[v];
    GrB_Matrix a = NULL;
    GrB_Matrix_new(&a, GrB_FP32, (GrB_Index)n, (GrB_Index)n);
    GrB_Matrix_build_FP32(a, ri, ci, val, k, GrB_PLUS_FP32);
    free(ri), free(ci), free(val), free(rowsum);
    return a;
}

/* out[r·ld + c0 + c] += a[r, c] for a GraphBLAS matrix a (rows × cols). */
static void grb_add_into(GrB_Matrix a, double *out, int64_t ld, int64_t c0)
{
    GrB_Index nv = 0;
    GrB_Matrix_nvals(&nv, a);
    GrB_Index *ri = malloc((nv + 1) * sizeof *ri), *ci = malloc((nv + 1) * sizeof *ci);
    float *x = malloc((nv + 1) * sizeof *x);
    CU_ASSERT_EQUAL(GrB_Matrix_extractTuples_FP32(ri, ci, x, &nv, a), GrB_SUCCESS);
    for (GrB_Index k = 0; k < nv; k++)
        out[(int64_t)ri[k] * ld + c0 + (int64_t)ci[k]] += x[k];
    free(ri), free(ci), free(x);
}

/* Columns [c0, c0 + f) of the n × ld array x as a GraphBLAS matrix. */
static GrB_Matrix column_block_grb(const float *x, int64_t n, int64_t ld, int64_t c0, int64_t f)
{
    float *block = malloc((size_t)(n * f) * sizeof *block);
    for (int64_t r = 0; r < n; r++)
        memcpy(block + r * f, x + r * ld + c0, (size_t)f * sizeof *block);
    GrB_Matrix a = dense_grb(block, n, f);
    free(block);
    return a;
}

/* max |got − ref| ≤ tol · max |ref| (and ref not all zero). */
static void assert_close(const float *got, const double *ref, int64_t len, double tol)
{
    const double rel = lc_test_max_rel_diff(got, ref, len);
    CU_ASSERT(rel <= tol);
    if (!(rel <= tol)) fprintf(stderr, "\n  max |error| / max |ref| = %g\n", rel);
}

/* Both edge ops, both forms, p = 4, on a graph large enough for their parallel
 * path, run at 2 threads, against GraphBLAS: with L_i the generator matrices,
 * edge_conv's y = Σ_i L_i·Z_i and dZ_i = L_iᵀ·dY; edge_expand's y_i = L_i·X and
 * dX = Σ_i L_iᵀ·dY_i; and dw[e, i] from the masked product (dY_i·Z_iᵀ) on the
 * edge pattern, minus (vector field) its diagonal at the tail. */
static void test_edge_ops_vs_graphblas(void)
{
    const int64_t n = 3000, p = 4, f = 16;
    lc_graph_t *g = NULL;
    LC_ASSERT_OK(lc_graph_erdos_renyi(&g, n, 20000, 31, LC_GRAPH_SYMMETRIZE));
    const int64_t m = lc_graph_num_edges(g);
    const int64_t *tail = lc_graph_tails(g), *head = lc_graph_heads(g);
    void *adj = NULL;
    LC_ASSERT_OK(lc_graph_adjacency_grb(g, &adj));
    GrB_Descriptor tran0 = NULL, sddmm = NULL;
    GrB_Descriptor_new(&tran0);
    GrB_Descriptor_set(tran0, GrB_INP0, GrB_TRAN);
    GrB_Descriptor_new(&sddmm);
    GrB_Descriptor_set(sddmm, GrB_MASK, GrB_STRUCTURE);
    GrB_Descriptor_set(sddmm, GrB_INP1, GrB_TRAN);
    LC_ASSERT_OK(lc_set_threads(2));
    for (int expand = 0; expand < 2; expand++)
        for (int form = 0; form < 2; form++) {
            const lc_lconv_form fm = form ? LC_LCONV_ADJACENCY : LC_LCONV_VECTOR_FIELD;
            const int64_t zw = expand ? f : p * f, yw = expand ? p * f : f;
            edge_op_run r;
            run_edge_op(g, expand, fm, p, f, 37 + (uint64_t)(2 * expand + form), &r);
            const lc_tensor_t *z0 = r.z0, *w0 = r.w0, *t0 = r.t0;
            const float *yv = lc_cg_value(r.cg, r.y)->data;
            float *dy = malloc((size_t)(n * yw) * sizeof *dy); /* the MSE's */
            for (int64_t k = 0; k < n * yw; k++)
                dy[k] = 2.0f * (yv[k] - t0->data[k]) / (float)(n * yw);
            double *y_ref = calloc((size_t)(n * yw), sizeof *y_ref);
            double *dz_ref = calloc((size_t)(n * zw), sizeof *dz_ref);
            double *dw_ref = calloc((size_t)(m * p), sizeof *dw_ref);
            for (int64_t i = 0; i < p; i++) {
                /* generator i's input and output gradient, and where they sit */
                const int64_t in_col = expand ? 0 : i * f, out_col = expand ? i * f : 0;
                GrB_Matrix L = generator_grb(g, w0->data, p, i, fm);
                GrB_Matrix in = column_block_grb(z0->data, n, zw, in_col, f);
                GrB_Matrix dout = column_block_grb(dy, n, yw, out_col, f);
                GrB_Matrix prod = NULL, s = NULL;
                GrB_Matrix_new(&prod, GrB_FP32, (GrB_Index)n, (GrB_Index)f);
                CU_ASSERT_EQUAL(
                    GrB_mxm(prod, NULL, NULL, GrB_PLUS_TIMES_SEMIRING_FP32, L, in, NULL),
                    GrB_SUCCESS);
                grb_add_into(prod, y_ref, yw, out_col);
                CU_ASSERT_EQUAL(
                    GrB_mxm(prod, NULL, NULL, GrB_PLUS_TIMES_SEMIRING_FP32, L, dout, tran0),
                    GrB_SUCCESS);
                grb_add_into(prod, dz_ref, zw, in_col);
                GrB_Matrix_new(&s, GrB_FP32, (GrB_Index)n, (GrB_Index)n);
                CU_ASSERT_EQUAL(GrB_mxm(s, (GrB_Matrix)adj, NULL, GrB_PLUS_TIMES_SEMIRING_FP32,
                                        dout, in, sddmm),
                                GrB_SUCCESS);
                for (int64_t e = 0; e < m; e++) {
                    float se = 0;
                    GrB_Matrix_extractElement_FP32(&se, s, (GrB_Index)tail[e], (GrB_Index)head[e]);
                    double at_tail = 0; /* the vector field's −z[tail] term */
                    for (int64_t c = 0; fm == LC_LCONV_VECTOR_FIELD && c < f; c++)
                        at_tail += (double)dy[tail[e] * yw + out_col + c] *
                                   z0->data[tail[e] * zw + in_col + c];
                    dw_ref[e * p + i] = se - at_tail;
                }
                GrB_Matrix_free(&L), GrB_Matrix_free(&in), GrB_Matrix_free(&dout);
                GrB_Matrix_free(&prod), GrB_Matrix_free(&s);
            }
            assert_close(yv, y_ref, n * yw, 1e-5);
            assert_close(lc_cg_grad(r.cg, r.z)->data, dz_ref, n * zw, 1e-5);
            assert_close(lc_cg_grad(r.cg, r.w)->data, dw_ref, m * p, 1e-5);
            free(dy), free(y_ref), free(dz_ref), free(dw_ref);
            edge_op_run_free(&r);
        }
    LC_ASSERT_OK(lc_set_threads(1));
    GrB_Descriptor_free(&tran0), GrB_Descriptor_free(&sddmm);
    lc_graph_free(&g);
}

/* The edge ops on a graph large enough (E·p·f > LC_I_PARALLEL_MIN_WORK) for
 * their parallel path: forward and every gradient, both ops, both forms, give
 * the same bits at 1 and 2 threads (each row is reduced by one thread in CSR
 * order); the serial path is checked against dense references above, the parallel
 * one against GraphBLAS. */
static void test_edge_ops_threads_bitwise(void)
{
    const int64_t n = 3000, p = 4, f = 16;
    lc_graph_t *g = NULL;
    LC_ASSERT_OK(lc_graph_erdos_renyi(&g, n, 20000, 23, LC_GRAPH_SYMMETRIZE));
    const int64_t m = lc_graph_num_edges(g);
    for (int expand = 0; expand < 2; expand++)
        for (int form = 0; form < 2; form++) {
            const lc_lconv_form fm = form ? LC_LCONV_ADJACENCY : LC_LCONV_VECTOR_FIELD;
            const int64_t zw = expand ? f : p * f, yw = expand ? p * f : f;
            float *out[2][3] = {{NULL}};
            for (int run = 0; run < 2; run++) {
                LC_ASSERT_OK(lc_set_threads(run + 1));
                edge_op_run r;
                run_edge_op(g, expand, fm, p, f, 29, &r);
                const lc_tensor_t *got[3] = {lc_cg_value(r.cg, r.y), lc_cg_grad(r.cg, r.z),
                                             lc_cg_grad(r.cg, r.w)};
                for (int k = 0; k < 3; k++) {
                    out[run][k] = malloc((size_t)got[k]->numel * sizeof(float));
                    memcpy(out[run][k], got[k]->data, (size_t)got[k]->numel * sizeof(float));
                }
                edge_op_run_free(&r);
            }
            const int64_t len[3] = {n * yw, n * zw, m * p};
            for (int k = 0; k < 3; k++) {
                CU_ASSERT_EQUAL(memcmp(out[0][k], out[1][k], (size_t)len[k] * sizeof(float)), 0);
                free(out[0][k]), free(out[1][k]);
            }
        }
    LC_ASSERT_OK(lc_set_threads(1));
    lc_graph_free(&g);
}

int main(void)
{
    static const lc_test_case cases[] = {{"lconv vector field vs dense", test_lconv_vf},
                                         {"lconv adjacency vs dense", test_lconv_adj},
                                         {"lconv sparse input vs dense", test_lconv_sparse_input},
                                         {"lconv aggregating first vs dense", test_lconv_aggregate_first},
                                         {"shared generator vs dense", test_shared_generator},
                                         {"gradients of W0, W_i, b, w, eps", test_grad_lconv_layers},
                                         {"equivariance gcn", test_equivariance_gcn},
                                         {"equivariance lconv", test_equivariance_lconv},
                                         {"specs", test_specs},
                                         {"frozen generators", test_frozen},
                                         {"gcn = one-generator lconv", test_gcn_is_lconv_special_case},
                                         {"SDDMM vs GraphBLAS masked mxm", test_sddmm_vs_graphblas},
                                         {"edge ops, p = 4, both forms, 2 threads, vs GraphBLAS", test_edge_ops_vs_graphblas},
                                         {"edge ops: same bits at 1 and 2 threads", test_edge_ops_threads_bitwise},
                                         {NULL, NULL}};
    return lc_test_main("lconv", cases);
}
