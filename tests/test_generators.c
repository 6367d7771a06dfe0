/* test_generators.c — cosine correlation, dense generators against the edge op, export. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "model.h"

/* ---------- cosine correlation ---------- */

static void test_cosine_basic(void)
{
    enum { N = 257 };
    float x[N], y[N], neg[N];
    lc_rng_t rng;
    lc_rng_seed(&rng, 11);
    for (int k = 0; k < N; k++) {
        x[k] = lc_rng_normal(&rng);
        y[k] = lc_rng_normal(&rng);
        neg[k] = -x[k];
    }
    CU_ASSERT_DOUBLE_EQUAL(lc_cosine_correlation(x, x, N), 1.0, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(lc_cosine_correlation(x, neg, N), -1.0, 1e-12);
    /* Symmetric, and within [-1, 1] for random vectors. */
    const double c = lc_cosine_correlation(x, y, N);
    CU_ASSERT_DOUBLE_EQUAL(c, lc_cosine_correlation(y, x, N), 1e-15);
    CU_ASSERT(c > -1.0 && c < 1.0);
    /* Against the definition, computed here in long double. */
    long double xy = 0, xx = 0, yy = 0;
    for (int k = 0; k < N; k++) {
        xy += (long double)x[k] * y[k];
        xx += (long double)x[k] * x[k];
        yy += (long double)y[k] * y[k];
    }
    CU_ASSERT_DOUBLE_EQUAL(c, (double)(xy / sqrtl(xx * yy)), 1e-12);
}

static void test_cosine_orthogonal(void)
{
    /* Two orthogonal patterns: alternating signs against a constant, even length. */
    float a[64], b[64], e1[3] = {1, 0, 0}, e2[3] = {0, 2.5f, 0};
    for (int k = 0; k < 64; k++) {
        a[k] = k % 2 ? -1.0f : 1.0f;
        b[k] = 3.0f;
    }
    CU_ASSERT_DOUBLE_EQUAL(lc_cosine_correlation(a, b, 64), 0.0, 1e-15);
    CU_ASSERT_DOUBLE_EQUAL(lc_cosine_correlation(e1, e2, 3), 0.0, 1e-15);
}

static void test_cosine_scale_invariance(void)
{
    enum { N = 100 };
    float x[N], y[N], xs[N], xt[N];
    lc_rng_t rng;
    lc_rng_seed(&rng, 12);
    for (int k = 0; k < N; k++) {
        x[k] = lc_rng_normal(&rng);
        y[k] = x[k] + 0.7f * lc_rng_normal(&rng);
        xs[k] = 1000.0f * x[k];
        xt[k] = 1e-3f * x[k];
    }
    const double c = lc_cosine_correlation(x, y, N);
    CU_ASSERT(c > 0.3); /* y is x plus noise: clearly correlated */
    CU_ASSERT_DOUBLE_EQUAL(lc_cosine_correlation(xs, y, N), c, 1e-6);
    CU_ASSERT_DOUBLE_EQUAL(lc_cosine_correlation(xt, y, N), c, 1e-6);
    CU_ASSERT_DOUBLE_EQUAL(lc_cosine_correlation(y, xs, N), c, 1e-6);
}

static void test_cosine_degenerate(void)
{
    float zero[4] = {0, 0, 0, 0}, x[4] = {1, 2, 3, 4};
    CU_ASSERT_EQUAL(lc_cosine_correlation(zero, x, 4), 0.0);
    CU_ASSERT_EQUAL(lc_cosine_correlation(x, zero, 4), 0.0);
    CU_ASSERT_EQUAL(lc_cosine_correlation(zero, zero, 4), 0.0);
    CU_ASSERT_EQUAL(lc_cosine_correlation(x, x, 0), 0.0);
    CU_ASSERT_EQUAL(lc_cosine_correlation(NULL, x, 4), 0.0);
    /* Tiny values whose float squares underflow still correlate (double sums). */
    float tiny[4] = {1e-30f, -2e-30f, 3e-30f, 0};
    CU_ASSERT_DOUBLE_EQUAL(lc_cosine_correlation(tiny, tiny, 4), 1.0, 1e-9);
}

/* ---------- dense generators against the edge op ---------- */

/* A random directed graph of n nodes, with a self loop and a repeated edge. */
static lc_graph_t *random_graph(int64_t n, int m, uint64_t seed)
{
    int64_t tail[128], head[128];
    lc_rng_t rng;
    lc_rng_seed(&rng, seed);
    for (int e = 0; e < m && e < 126; e++) {
        tail[e] = (int64_t)(lc_rng_next(&rng) % (uint64_t)n);
        head[e] = (int64_t)(lc_rng_next(&rng) % (uint64_t)n);
    }
    tail[m] = 2, head[m] = 2;                     /* self loop */
    tail[m + 1] = tail[0], head[m + 1] = head[0]; /* duplicate, merged by the graph */
    lc_graph_t *g = NULL;
    if (lc_graph_from_edges(&g, n, m + 2, tail, head, NULL, 0)) return NULL;
    return g;
}

/* Σ_i dense(L_i)·Z_i (double) equals lc_cg_edge_conv(z, w) for random w and z. */
static void check_dense_against_op(lc_lconv_form form)
{
    const int64_t n = 13, p = 3, f = 4;
    lc_graph_t *g = random_graph(n, 40, 21 + (uint64_t)form);
    CU_ASSERT_PTR_NOT_NULL_FATAL(g);
    const int64_t m = lc_graph_num_edges(g);
    lc_rng_t rng;
    lc_rng_seed(&rng, 5);
    lc_tensor_t *w = lc_test_rand_tensor(&rng, 2, (int64_t[]){m, p}, -1, 1, 0);
    lc_tensor_t *z = lc_test_rand_tensor(&rng, 2, (int64_t[]){n, p * f}, -1, 1, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(w);
    CU_ASSERT_PTR_NOT_NULL_FATAL(z);

    lc_cgraph_t *cg = NULL;
    lc_node zn, wn, y, loss;
    LC_ASSERT_OK(lc_cg_new(&cg, 1));
    LC_ASSERT_OK(lc_cg_constant(cg, z, &zn));
    LC_ASSERT_OK(lc_cg_parameter(cg, w, "w", &wn));
    LC_ASSERT_OK(lc_cg_edge_conv(cg, g, zn, wn, form, &y));
    LC_ASSERT_OK(lc_cg_sum(cg, y, &loss));
    LC_ASSERT_OK(lc_cg_compile(cg, loss));
    LC_ASSERT_OK(lc_cg_forward(cg, 0));
    const float *out = lc_tensor_data(lc_cg_value(cg, y));

    double *ref = calloc((size_t)(n * f), sizeof *ref);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ref);
    const float *zd = lc_tensor_data(z);
    for (int i = 0; i < p; i++) {
        lc_tensor_t *l = NULL;
        LC_ASSERT_OK(lc_generator_dense(g, w, i, form, &l));
        CU_ASSERT_EQUAL(lc_tensor_dim(l, 0), n);
        CU_ASSERT_EQUAL(lc_tensor_dim(l, 1), n);
        const float *ld = lc_tensor_data(l);
        for (int64_t v = 0; v < n; v++)
            for (int64_t u = 0; u < n; u++)
                for (int64_t j = 0; j < f; j++)
                    ref[v * f + j] += (double)ld[v * n + u] * zd[u * p * f + i * f + j];
        lc_tensor_free(&l);
    }
    double worst = 0;
    for (int64_t k = 0; k < n * f; k++)
        worst = fmax(worst, fabs(ref[k] - out[k]));
    CU_ASSERT(worst < 1e-5);
    if (!(worst < 1e-5)) fprintf(stderr, "\n  max |dense - op| = %g\n", worst);
    free(ref);
    lc_cg_free(&cg);
    lc_tensor_free(&w);
    lc_tensor_free(&z);
    lc_graph_free(&g);
}

static void test_dense_matches_op_vf(void)
{
    check_dense_against_op(LC_LCONV_VECTOR_FIELD);
}
static void test_dense_matches_op_adj(void)
{
    check_dense_against_op(LC_LCONV_ADJACENCY);
}

/* Vector field: every row sums to 0 (constants are annihilated); adjacency:
 * row v sums to the weights of v's out-edges; both agree off the diagonal. */
static void test_dense_rows(void)
{
    const int64_t n = 11, p = 2;
    lc_graph_t *g = random_graph(n, 30, 8);
    CU_ASSERT_PTR_NOT_NULL_FATAL(g);
    const int64_t m = lc_graph_num_edges(g);
    lc_rng_t rng;
    lc_rng_seed(&rng, 9);
    lc_tensor_t *w = lc_test_rand_tensor(&rng, 2, (int64_t[]){m, p}, -1, 1, 0);
    lc_tensor_t *vf = NULL, *adj = NULL;
    CU_ASSERT_PTR_NOT_NULL_FATAL(w);
    for (int i = 0; i < p; i++) {
        LC_ASSERT_OK(lc_generator_dense(g, w, i, LC_LCONV_VECTOR_FIELD, &vf));
        LC_ASSERT_OK(lc_generator_dense(g, w, i, LC_LCONV_ADJACENCY, &adj));
        const float *a = lc_tensor_data(vf), *b = lc_tensor_data(adj);
        for (int64_t v = 0; v < n; v++) {
            double row_vf = 0, row_adj = 0, out = 0;
            for (int64_t u = 0; u < n; u++) {
                row_vf += a[v * n + u];
                row_adj += b[v * n + u];
                if (u != v) CU_ASSERT_EQUAL(a[v * n + u], b[v * n + u]);
            }
            for (int64_t e = 0; e < m; e++)
                if (lc_graph_tails(g)[e] == v) out += lc_tensor_data(w)[e * p + i];
            CU_ASSERT_DOUBLE_EQUAL(row_vf, 0.0, 1e-5);
            CU_ASSERT_DOUBLE_EQUAL(row_adj, out, 1e-5);
        }
        lc_tensor_free(&vf);
        lc_tensor_free(&adj);
    }
    lc_tensor_free(&w);
    lc_graph_free(&g);
}

static void test_dense_errors(void)
{
    lc_graph_t *g = random_graph(6, 10, 3), *big = NULL;
    CU_ASSERT_PTR_NOT_NULL_FATAL(g);
    const int64_t m = lc_graph_num_edges(g);
    lc_tensor_t *w = NULL, *bad = NULL, *l = NULL;
    LC_ASSERT_OK(lc_tensor_new2(&w, m, 2));
    LC_ASSERT_OK(lc_tensor_new2(&bad, m + 1, 2));
    LC_ASSERT_STATUS(lc_generator_dense(NULL, w, 0, LC_LCONV_ADJACENCY, &l), LC_ERR_INVALID_ARG);
    LC_ASSERT_STATUS(lc_generator_dense(g, NULL, 0, LC_LCONV_ADJACENCY, &l), LC_ERR_INVALID_ARG);
    LC_ASSERT_STATUS(lc_generator_dense(g, w, 0, LC_LCONV_ADJACENCY, NULL), LC_ERR_INVALID_ARG);
    LC_ASSERT_STATUS(lc_generator_dense(g, w, 2, LC_LCONV_ADJACENCY, &l), LC_ERR_INVALID_ARG);
    LC_ASSERT_ERROR_HAS("generator 2");
    LC_ASSERT_STATUS(lc_generator_dense(g, w, -1, LC_LCONV_ADJACENCY, &l), LC_ERR_INVALID_ARG);
    LC_ASSERT_STATUS(lc_generator_dense(g, w, 0, (lc_lconv_form)7, &l), LC_ERR_INVALID_ARG);
    LC_ASSERT_STATUS(lc_generator_dense(g, bad, 0, LC_LCONV_ADJACENCY, &l), LC_ERR_SHAPE);
    LC_ASSERT_ERROR_HAS("lc_generator_dense");
    CU_ASSERT_PTR_NULL(l);
    /* 70 000 nodes: refused before any n² allocation. */
    const int64_t t[1] = {0}, h[1] = {69999};
    LC_ASSERT_OK(lc_graph_from_edges(&big, 70000, 1, t, h, NULL, 0));
    lc_tensor_t *w1 = NULL;
    LC_ASSERT_OK(lc_tensor_new2(&w1, 1, 1));
    LC_ASSERT_STATUS(lc_generator_dense(big, w1, 0, LC_LCONV_VECTOR_FIELD, &l),
                     LC_ERR_OUT_OF_MEMORY);
    LC_ASSERT_ERROR_HAS("70000");
    CU_ASSERT_PTR_NULL(l);
    lc_tensor_free(&w1);
    lc_graph_free(&big);
    lc_tensor_free(&w);
    lc_tensor_free(&bad);
    lc_graph_free(&g);
}

/* ---------- export ---------- */

/* A model of `spec` trained for a few epochs on karate. */
static lc_model_t *trained_on_karate(const char *spec, lc_dataset_t *ds)
{
    lc_model_t *m = NULL;
    lc_train_config cfg = lc_train_defaults();
    cfg.epochs = 5;
    cfg.seed = 17;
    if (lc_model_from_spec(&m, spec) || lc_model_train(m, ds, &cfg, NULL)) {
        fprintf(stderr, "\n  %s: %s\n", spec, lc_last_error());
        lc_model_free(&m);
    }
    return m;
}

static char tmpdir[64];

static const char *tmp_path(const char *name)
{
    static char path[128];
    if (!tmpdir[0]) {
        snprintf(tmpdir, sizeof tmpdir, "/tmp/lc_test_gen.XXXXXX");
        if (!mkdtemp(tmpdir)) return NULL;
    }
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    return path;
}

/* Parse PATH.csv back and check every line against the model's parameters:
 * each generator entry exactly once, values equal to the bit, nothing else.
 * Returns the number of data lines, -1 on a malformed file. */
static int64_t check_csv(lc_model_t *m, const char *csv, int64_t *per_layer, int n_layers)
{
    lc_cgraph_t *cg = lc_model_graph(m);
    const int np = lc_cg_num_params(cg);
    char **seen = calloc((size_t)np, sizeof *seen);
    FILE *f = fopen(csv, "r");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    char line[512];
    int64_t rows = 0, bad = 0;
    CU_ASSERT_PTR_NOT_NULL(fgets(line, sizeof line, f));
    CU_ASSERT_STRING_EQUAL(line, "layer,name,row,col,value\n");
    while (fgets(line, sizeof line, f)) {
        int layer;
        char name[128];
        long long row, col;
        char value[64];
        if (sscanf(line, "%d,%127[^,],%lld,%lld,%63s", &layer, name, &row, &col, value) != 5) {
            bad++;
            continue;
        }
        int p = 0;
        while (p < np && strcmp(lc_cg_param_name(cg, p), name))
            p++;
        if (p == np) { /* not a parameter of the model */
            bad++;
            continue;
        }
        const lc_tensor_t *t = lc_cg_param_tensor(cg, p);
        const int64_t cols = lc_tensor_dim(t, lc_tensor_ndim(t) - 1);
        const int64_t k = row * cols + col;
        char *end;
        const float v = strtof(value, &end);
        if (*end || col < 0 || col >= cols || k < 0 || k >= lc_tensor_numel(t) ||
            v != lc_tensor_data(t)[k] || layer != atoi(name) || layer < 0 || layer >= n_layers) {
            bad++;
            continue;
        }
        if (!seen[p]) seen[p] = calloc((size_t)lc_tensor_numel(t), 1);
        if (seen[p][k]++) bad++; /* twice */
        per_layer[layer]++;
        rows++;
    }
    fclose(f);
    CU_ASSERT_EQUAL(bad, 0);
    /* Every entry of every exported parameter was there. */
    for (int p = 0; p < np; p++) {
        if (!seen[p]) continue;
        for (int64_t k = 0; k < lc_tensor_numel(lc_cg_param_tensor(cg, p)); k++)
            CU_ASSERT_EQUAL(seen[p][k], 1);
        free(seen[p]);
    }
    free(seen);
    return bad ? -1 : rows;
}

static void test_export_round_trip(void)
{
    lc_dataset_t *ds = NULL;
    LC_ASSERT_OK(lc_dataset_karate(&ds));
    lc_model_t *m = trained_on_karate("lconv:4:p=2,relu,lconv:p=2", ds);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    const char *base = tmp_path("karate_gen");
    CU_ASSERT_PTR_NOT_NULL_FATAL(base);
    char prefix[160], csv[170], ckpt[170];
    snprintf(prefix, sizeof prefix, "%s", base);
    snprintf(csv, sizeof csv, "%s.csv", prefix);
    snprintf(ckpt, sizeof ckpt, "%s.ckpt", prefix);
    LC_ASSERT_OK(lc_model_export_generators(m, prefix));

    /* E·p entries per layer: 156 directed edges of karate, p = 2, two layers. */
    const int64_t e = lc_graph_num_edges(lc_dataset_graph(ds));
    CU_ASSERT_EQUAL(e, 156);
    int64_t per_layer[3] = {0, 0, 0};
    CU_ASSERT_EQUAL(check_csv(m, csv, per_layer, 3), 2 * e * 2);
    CU_ASSERT_EQUAL(per_layer[0], e * 2);
    CU_ASSERT_EQUAL(per_layer[1], 0); /* relu */
    CU_ASSERT_EQUAL(per_layer[2], e * 2);

    /* The checkpoint holds the same tensors under the model's spec. */
    lc_cgraph_t *cg = lc_model_graph(m);
    const char *names[8];
    lc_tensor_t *loaded[8] = {NULL};
    const lc_tensor_t *params[8];
    int count = 0;
    for (int i = 0; i < lc_cg_num_params(cg) && count < 8; i++) {
        const char *name = lc_cg_param_name(cg, i);
        const size_t len = strlen(name);
        if (len < 12 || strcmp(name + len - 12, ".edge_weight")) continue;
        params[count] = lc_cg_param_tensor(cg, i);
        names[count] = name;
        LC_ASSERT_OK(lc_tensor_new(
            &loaded[count], lc_tensor_ndim(params[count]),
            (int64_t[]){lc_tensor_dim(params[count], 0), lc_tensor_dim(params[count], 1)}));
        count++;
    }
    CU_ASSERT_EQUAL_FATAL(count, 2);
    LC_ASSERT_OK(lc_i_checkpoint_read(ckpt, lc_model_spec(m), count, names, loaded));
    for (int k = 0; k < count; k++) {
        CU_ASSERT_EQUAL(lc_tensor_numel(loaded[k]), e * 2);
        CU_ASSERT_EQUAL(memcmp(lc_tensor_data(loaded[k]), lc_tensor_data(params[k]),
                               (size_t)lc_tensor_numel(loaded[k]) * sizeof(float)),
                        0);
        lc_tensor_free(&loaded[k]);
    }
    /* The trained weights moved away from their start: the export is of the
     * trained model, not of a fresh build. */
    lc_model_t *fresh = NULL;
    lc_train_config cfg = lc_train_defaults();
    cfg.seed = 17;
    LC_ASSERT_OK(lc_model_from_spec(&fresh, "lconv:4:p=2,relu,lconv:p=2"));
    LC_ASSERT_OK(lc_model_build(fresh, ds, &cfg));
    int first = 0;
    while (first < lc_cg_num_params(lc_model_graph(fresh)) &&
           strcmp(lc_cg_param_name(lc_model_graph(fresh), first), names[0]))
        first++;
    CU_ASSERT_FATAL(first < lc_cg_num_params(lc_model_graph(fresh)));
    CU_ASSERT_NOT_EQUAL(memcmp(lc_tensor_data(params[0]),
                               lc_tensor_data(lc_cg_param_tensor(lc_model_graph(fresh), first)),
                               (size_t)(e * 2) * sizeof(float)),
                        0);
    lc_model_free(&fresh);
    unlink(csv);
    unlink(ckpt);
    lc_model_free(&m);
    lc_dataset_free(&ds);
}

/* Frozen generators are constants, not parameters: only the learnable layer's go out. */
static void test_export_frozen_layer(void)
{
    lc_dataset_t *ds = NULL;
    LC_ASSERT_OK(lc_dataset_karate(&ds));
    lc_model_t *m = trained_on_karate("lconv:4:frozen,relu,lconv:form=adj", ds);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    const char *base = tmp_path("frozen");
    char prefix[160], csv[170], ckpt[170];
    snprintf(prefix, sizeof prefix, "%s", base);
    snprintf(csv, sizeof csv, "%s.csv", prefix);
    snprintf(ckpt, sizeof ckpt, "%s.ckpt", prefix);
    LC_ASSERT_OK(lc_model_export_generators(m, prefix));
    int64_t per_layer[3] = {0, 0, 0};
    const int64_t e = lc_graph_num_edges(lc_dataset_graph(ds));
    CU_ASSERT_EQUAL(check_csv(m, csv, per_layer, 3), e);
    CU_ASSERT_EQUAL(per_layer[0], 0);
    CU_ASSERT_EQUAL(per_layer[2], e);
    unlink(csv);
    unlink(ckpt);
    lc_model_free(&m);
    lc_dataset_free(&ds);
}

/* Low-rank layers export their factors U and V [n, p·r]. */
static void test_export_lowrank(void)
{
    lc_dataset_t *ds = NULL;
    LC_ASSERT_OK(lc_dataset_karate(&ds));
    lc_model_t *m = trained_on_karate("lowrank:8:p=2:r=3,relu,lowrank:p=2:r=3", ds);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    const char *base = tmp_path("lowrank");
    char prefix[160], csv[170], ckpt[170];
    snprintf(prefix, sizeof prefix, "%s", base);
    snprintf(csv, sizeof csv, "%s.csv", prefix);
    snprintf(ckpt, sizeof ckpt, "%s.ckpt", prefix);
    LC_ASSERT_OK(lc_model_export_generators(m, prefix));
    int64_t per_layer[3] = {0, 0, 0};
    const int64_t n = lc_dataset_num_nodes(ds);
    /* U and V, n × p·r each, in both layers. */
    CU_ASSERT_EQUAL(check_csv(m, csv, per_layer, 3), 2 * 2 * n * 2 * 3);
    CU_ASSERT_EQUAL(per_layer[0], 2 * n * 2 * 3);
    CU_ASSERT_EQUAL(per_layer[2], 2 * n * 2 * 3);
    unlink(csv);
    unlink(ckpt);
    lc_model_free(&m);
    lc_dataset_free(&ds);
}

static void test_export_errors(void)
{
    lc_dataset_t *ds = NULL;
    LC_ASSERT_OK(lc_dataset_karate(&ds));
    lc_model_t *m = NULL;
    const char *path = tmp_path("never");
    char prefix[160];
    snprintf(prefix, sizeof prefix, "%s", path);

    LC_ASSERT_OK(lc_model_from_spec(&m, "lconv:4,relu,lconv"));
    LC_ASSERT_STATUS(lc_model_export_generators(m, prefix), LC_ERR_STATE);
    LC_ASSERT_ERROR_HAS(prefix);
    LC_ASSERT_STATUS(lc_model_export_generators(NULL, prefix), LC_ERR_INVALID_ARG);
    LC_ASSERT_STATUS(lc_model_export_generators(m, NULL), LC_ERR_INVALID_ARG);
    lc_model_free(&m);

    /* No generators in a GCN. */
    m = trained_on_karate("gcn:4,relu,gcn", ds);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    LC_ASSERT_STATUS(lc_model_export_generators(m, prefix), LC_ERR_INVALID_ARG);
    LC_ASSERT_ERROR_HAS("lc_model_export_generators");
    LC_ASSERT_ERROR_HAS(prefix);
    lc_model_free(&m);

    /* Into a missing folder: an I/O error naming the file, nothing written. */
    m = trained_on_karate("lconv:4,relu,lconv", ds);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    char missing[200];
    snprintf(missing, sizeof missing, "%s/no/such/dir/gen", tmpdir);
    LC_ASSERT_STATUS(lc_model_export_generators(m, missing), LC_ERR_IO);
    LC_ASSERT_ERROR_HAS("lc_model_export_generators");
    LC_ASSERT_ERROR_HAS("no/such/dir/gen");
    lc_model_free(&m);

    char csv[170], ckpt[170];
    snprintf(csv, sizeof csv, "%s.csv", prefix);
    snprintf(ckpt, sizeof ckpt, "%s.ckpt", prefix);
    CU_ASSERT_NOT_EQUAL(access(csv, F_OK), 0);
    CU_ASSERT_NOT_EQUAL(access(ckpt, F_OK), 0);
    lc_dataset_free(&ds);
}

int main(void)
{
    static const lc_test_case cases[] = {
        {"cosine: self, negation, symmetry", test_cosine_basic},
        {"cosine: orthogonal", test_cosine_orthogonal},
        {"cosine: scale invariance", test_cosine_scale_invariance},
        {"cosine: zero vectors and underflow", test_cosine_degenerate},
        {"dense generator = edge op (vector field)", test_dense_matches_op_vf},
        {"dense generator = edge op (adjacency)", test_dense_matches_op_adj},
        {"dense generator rows", test_dense_rows},
        {"dense generator errors", test_dense_errors},
        {"export round trip (CSV and checkpoint)", test_export_round_trip},
        {"export skips frozen generators", test_export_frozen_layer},
        {"export of low-rank factors U and V", test_export_lowrank},
        {"export errors", test_export_errors},
        {NULL, NULL}};
    int rc = lc_test_main("generators", cases);
    if (tmpdir[0]) rmdir(tmpdir);
    return rc;
}
