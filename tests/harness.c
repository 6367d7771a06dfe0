/* harness.c — the CUnit driver (summary line CI adds up) and the helpers the suites share. */
#include <math.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cgraph.h" /* cg->loss, cg->nodes: the shapes and loss of a compiled graph */
#include "harness.h"

static unsigned skipped;

int lc_test_count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
    closedir(d);
    return n;
}

const char *lc_test_path_in(const char *dir, const char *name)
{
    static char path[8][4096];
    static int slot;
    char *p = path[slot++ % 8];
    snprintf(p, sizeof path[0], "%s/%s", dir, name);
    return p;
}

void lc_test_skip(const char *why)
{
    skipped++;
    printf("\n  SKIP: %s\n", why);
}

static const char *join(const char *env, const char *fallback, const char *relative)
{
    static char path[4][4096];
    static int slot;
    const char *dir = getenv(env);
    if (!dir || !*dir) dir = fallback;
    char *p = path[slot++ % 4];
    snprintf(p, sizeof path[0], "%s/%s", dir, relative);
    return p;
}

const char *lc_test_data(const char *relative)
{
    const char *p = join("LCONV_DATA_DIR", "../shared/data", relative);
    struct stat sb;
    return stat(p, &sb) == 0 ? p : NULL;
}

const char *lc_test_file(const char *relative)
{
    return join("LCONV_TEST_DATA", "tests/data", relative);
}

int lc_test_main(const char *suite_name, const lc_test_case *cases)
{
    if (CU_initialize_registry() != CUE_SUCCESS) return 99;
    CU_pSuite suite = CU_add_suite(suite_name, NULL, NULL);
    for (const lc_test_case *c = cases; c->name; c++) CU_add_test(suite, c->name, c->func);
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned run = CU_get_number_of_tests_run();
    unsigned failed = CU_get_number_of_tests_failed();
    unsigned passed = run - failed - skipped;
    printf("\n%s: %u passed, %u failed, %u skipped\n", suite_name, passed, failed, skipped);
    CU_cleanup_registry();
    return failed ? 1 : 0;
}

lc_tensor_t *lc_test_rand_tensor(lc_rng_t *rng, int ndim, const int64_t *shape, float lo, float hi,
                                 float gap)
{
    lc_tensor_t *t = NULL;
    if (lc_tensor_new(&t, ndim, shape)) return NULL;
    for (int64_t i = 0; i < t->numel; i++) {
        float v;
        do v = lo + (hi - lo) * lc_rng_uniform(rng);
        while (fabsf(v) < gap);
        t->data[i] = v;
    }
    return t;
}

double lc_test_max_rel_diff(const float *got, const double *ref, int64_t len)
{
    double worst = 0, scale = 0;
    for (int64_t i = 0; i < len; i++)
        worst = fmax(worst, fabs(got[i] - ref[i])), scale = fmax(scale, fabs(ref[i]));
    return scale > 0 ? worst / scale : INFINITY;
}

lc_node lc_test_mse_loss(lc_cgraph_t *cg, lc_rng_t *rng, lc_node y, lc_tensor_t **target)
{
    *target = lc_test_rand_tensor(rng, cg->nodes[y].ndim, cg->nodes[y].shape, -1, 1, 0);
    lc_node t = -1, loss = -1;
    LC_ASSERT_OK(lc_cg_constant(cg, *target, &t));
    LC_ASSERT_OK(lc_cg_mse(cg, y, t, &loss));
    return loss;
}

/* One forward pass as the options say (the same dropout masks every time when reseeding). */
static void grad_forward(lc_cgraph_t *cg, const lc_test_grad_opts *o)
{
    if (o->reseed) lc_cg_seed(cg, o->seed);
    LC_ASSERT_OK(lc_cg_forward(cg, o->training));
}

int lc_test_gradcheck(lc_cgraph_t *cg, const lc_test_grad_opts *o)
{
    const float h = o->h;
    grad_forward(cg, o);
    LC_ASSERT_OK(lc_cg_backward(cg));
    int checked = 0;
    for (int p = 0; p < lc_cg_num_params(cg); p++) {
        lc_tensor_t *w = lc_cg_param_tensor(cg, p);
        const lc_tensor_t *g = lc_cg_grad(cg, lc_cg_param_node(cg, p));
        CU_ASSERT_PTR_NOT_NULL_FATAL(g);
        const int64_t step = o->samples > 0 ? w->numel / o->samples + 1 : 1;
        for (int64_t i = 0; i < w->numel; i += step) {
            float saved = w->data[i];
            double f[2];
            for (int s = 0; s < 2; s++) {
                w->data[i] = saved + (s ? -h : h);
                grad_forward(cg, o);
                f[s] = lc_cg_value(cg, cg->loss)->data[0];
            }
            w->data[i] = saved;
            double numeric = (f[0] - f[1]) / (2.0 * h), analytic = g->data[i];
            double err = fabs(numeric - analytic) / fmax(1e-2, fmax(fabs(numeric), fabs(analytic)));
            if (err > o->tol)
                fprintf(stderr, "\n  %s%sparam %d (%s)[%lld]: analytic %.6g numeric %.6g\n",
                        o->label ? o->label : "", o->label ? " " : "", p, lc_cg_param_name(cg, p),
                        (long long)i, analytic, numeric);
            CU_ASSERT(err <= o->tol);
            checked++;
        }
    }
    grad_forward(cg, o); /* leave the values of the unperturbed parameters */
    return checked;
}

/* ---- pairs of node ids and undirected graphs */

int lc_test_pair_cmp(const void *x, const void *y)
{
    const lc_test_pair *p = x, *q = y;
    if (p->a != q->a) return p->a < q->a ? -1 : 1;
    return (p->b > q->b) - (p->b < q->b);
}

int64_t lc_test_distinct_pairs(lc_test_pair *p, int64_t m)
{
    int64_t k = 0;
    for (int64_t i = 0; i < m; i++) {
        if (p[i].a == p[i].b) continue;
        int64_t lo = p[i].a < p[i].b ? p[i].a : p[i].b, hi = p[i].a ^ p[i].b ^ lo;
        p[k].a = lo, p[k].b = hi, k++;
    }
    qsort(p, (size_t)k, sizeof *p, lc_test_pair_cmp);
    int64_t u = 0;
    for (int64_t i = 0; i < k; i++)
        if (i == 0 || lc_test_pair_cmp(&p[i], &p[i - 1]) != 0) u++;
    return u;
}

void lc_test_assert_simple_undirected(const lc_graph_t *g)
{
    const int64_t m = lc_graph_num_edges(g);
    const int64_t *t = lc_graph_tails(g), *h = lc_graph_heads(g);
    const float *w = lc_graph_weights(g);
    int ok_sym = 1, ok_w = 1;
    for (int64_t e = 0; e < m; e++) {
        if (w[e] != 1.0f) ok_w = 0;
        int64_t lo = 0, hi = m - 1, found = 0;
        while (lo <= hi) { /* edges are sorted by (tail, head) */
            int64_t mid = (lo + hi) / 2;
            if (t[mid] == h[e] && h[mid] == t[e]) {
                found = 1;
                break;
            }
            if (t[mid] < h[e] || (t[mid] == h[e] && h[mid] < t[e]))
                lo = mid + 1;
            else
                hi = mid - 1;
        }
        if (!found) ok_sym = 0;
    }
    CU_ASSERT(ok_sym);
    CU_ASSERT(ok_w);
}

double *lc_test_dense_features(const lc_dataset_t *ds)
{
    int64_t n = lc_dataset_num_nodes(ds), f = lc_dataset_num_features(ds);
    double *x = calloc((size_t)(n * f), sizeof *x);
    if (!x) return NULL;
    if (lc_dataset_features(ds)) {
        for (int64_t i = 0; i < n * f; i++) x[i] = lc_tensor_data(lc_dataset_features(ds))[i];
    } else {
        const lc_csr_t *s = lc_dataset_sparse_features(ds);
        for (int64_t r = 0; r < s->n_rows; r++)
            for (int64_t k = s->rowptr[r]; k < s->rowptr[r + 1]; k++)
                x[r * f + s->col[k]] = s->val[k];
    }
    return x;
}

lc_tensor_t *lc_test_param(lc_model_t *m, const char *suffix)
{
    lc_cgraph_t *cg = lc_model_graph(m);
    const size_t ls = strlen(suffix);
    for (int i = 0; i < lc_cg_num_params(cg); i++) {
        const char *name = lc_cg_param_name(cg, i);
        size_t ln = strlen(name);
        if (ln >= ls && !strcmp(name + ln - ls, suffix)) return lc_cg_param_tensor(cg, i);
    }
    return NULL;
}

void lc_test_assert_same_graph(const lc_graph_t *a, const lc_graph_t *b, const char *what)
{
    CU_ASSERT_EQUAL_FATAL(lc_graph_num_edges(a), lc_graph_num_edges(b));
    int64_t differ = 0;
    const int64_t *ta = lc_graph_tails(a), *ha = lc_graph_heads(a);
    const int64_t *tb = lc_graph_tails(b), *hb = lc_graph_heads(b);
    const float *wa = lc_graph_weights(a), *wb = lc_graph_weights(b);
    for (int64_t e = 0; e < lc_graph_num_edges(a); e++)
        differ += ta[e] != tb[e] || ha[e] != hb[e] || wa[e] != wb[e];
    if (differ) fprintf(stderr, "\n  %s: %lld of %lld edges differ\n", what, (long long)differ,
                        (long long)lc_graph_num_edges(a));
    CU_ASSERT_EQUAL(differ, 0);
}
