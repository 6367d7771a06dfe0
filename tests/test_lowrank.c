/* test_lowrank.c — low-rank generators, pooling and flatten: gradient checks, dense references, the lowrank layer. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cgraph.h"
#include "harness.h"

static lc_rng_t rng;

/* A tensor of the given shape with uniform entries in [-1, 1). */
static lc_tensor_t *rand_tensor(int ndim, const int64_t *shape)
{
    return lc_test_rand_tensor(&rng, ndim, shape, -1, 1, 0);
}

/* Every entry of every parameter, evaluation mode (no dropout here, so no reseeding). */
static int gradcheck(lc_cgraph_t *cg, float h, float tol)
{
    return lc_test_gradcheck(cg, &(lc_test_grad_opts){.h = h, .tol = tol});
}

/* ---------------------------------------------------------------- lowrank op */

/* out[k, ρ, j] = Σ_i Σ_l L_i[k, l] · z[l, ρ, i, j] with the n × n matrices
 * L_i = U_i·V_iᵀ formed explicitly. */
static double *dense_lowrank(const float *u, const float *v, const float *z, int n, int p, int r,
                             int R, int f)
{
    double *l = calloc((size_t)(p * n * n), sizeof *l), *y = calloc((size_t)(n * R * f), sizeof *y);
    for (int i = 0; i < p; i++)
        for (int a = 0; a < n; a++)
            for (int b = 0; b < n; b++)
                for (int s = 0; s < r; s++)
                    l[(i * n + a) * n + b] +=
                        (double)u[a * p * r + i * r + s] * v[b * p * r + i * r + s];
    for (int k = 0; k < n; k++)
        for (int rho = 0; rho < R; rho++)
            for (int j = 0; j < f; j++) {
                double s = 0;
                for (int i = 0; i < p; i++)
                    for (int b = 0; b < n; b++)
                        s += l[(i * n + k) * n + b] * z[((b * R + rho) * p + i) * f + j];
                y[(k * R + rho) * f + j] = s;
            }
    free(l);
    return y;
}

/* The expand form: out[k, ρ, i·c + j] = Σ_l L_i[k, l] · x[l, ρ, j], through
 * dense_lowrank on a z that holds x in generator i's block only. */
static double *dense_expand(const float *u, const float *v, const float *x, int n, int p, int r,
                            int R, int c)
{
    double *y = calloc((size_t)(n * R * p * c), sizeof *y);
    float *z = calloc((size_t)(n * R * p * c), sizeof *z);
    for (int i = 0; i < p; i++) {
        memset(z, 0, (size_t)(n * R * p * c) * sizeof *z);
        for (int b = 0; b < n * R; b++)
            for (int j = 0; j < c; j++) z[(b * p + i) * c + j] = x[b * c + j];
        double *yi = dense_lowrank(u, v, z, n, p, r, R, c);
        for (int b = 0; b < n * R; b++)
            for (int j = 0; j < c; j++) y[(b * p + i) * c + j] = yi[b * c + j];
        free(yi);
    }
    free(z);
    return y;
}

/* which: bit 0 = U and V are parameters (else constants), bit 1 = z is a
 * parameter; expand: lc_cg_lowrank_expand on x [n, R, f] (else lc_cg_lowrank). */
static void check_lowrank_op(int R, int which, bool expand)
{
    const int n = 7, p = 3, r = 2, f = 2, zf = expand ? f : p * f;
    lc_tensor_t *u0 = rand_tensor(2, (int64_t[]){n, p * r});
    lc_tensor_t *v0 = rand_tensor(2, (int64_t[]){n, p * r});
    lc_tensor_t *z0 = R == 1 ? rand_tensor(2, (int64_t[]){n, zf})
                             : rand_tensor(3, (int64_t[]){n, R, zf});
    lc_tensor_t *target = NULL;
    lc_cgraph_t *cg = NULL;
    lc_node u, v, z, y;
    LC_ASSERT_OK(lc_cg_new(&cg, 1));
    if (which & 1) {
        LC_ASSERT_OK(lc_cg_parameter(cg, u0, "u", &u));
        LC_ASSERT_OK(lc_cg_parameter(cg, v0, "v", &v));
    } else {
        LC_ASSERT_OK(lc_cg_constant(cg, u0, &u));
        LC_ASSERT_OK(lc_cg_constant(cg, v0, &v));
    }
    if (which & 2) LC_ASSERT_OK(lc_cg_parameter(cg, z0, "z", &z));
    else LC_ASSERT_OK(lc_cg_constant(cg, z0, &z));
    if (expand) LC_ASSERT_OK(lc_cg_lowrank_expand(cg, u, v, z, p, &y));
    else LC_ASSERT_OK(lc_cg_lowrank(cg, u, v, z, p, &y));
    const int yf = expand ? p * f : f;
    CU_ASSERT_EQUAL(cg->nodes[y].ndim, R == 1 ? 2 : 3);
    CU_ASSERT_EQUAL(cg->nodes[y].shape[0], n);
    CU_ASSERT_EQUAL(cg->nodes[y].shape[cg->nodes[y].ndim - 1], yf);
    LC_ASSERT_OK(lc_cg_compile(cg, lc_test_mse_loss(cg, &rng, y, &target)));
    LC_ASSERT_OK(lc_cg_forward(cg, 0));
    double *ref = expand ? dense_expand(u0->data, v0->data, z0->data, n, p, r, R, f)
                         : dense_lowrank(u0->data, v0->data, z0->data, n, p, r, R, f),
           worst = 0;
    const float *yv = lc_cg_value(cg, y)->data;
    for (int k = 0; k < n * R * yf; k++)
        worst = fmax(worst, fabs(yv[k] - ref[k]) / fmax(1.0, fabs(ref[k])));
    CU_ASSERT(worst <= 1e-5);
    if (worst > 1e-5) fprintf(stderr, "\n  lowrank R = %d: worst relative error %g\n", R, worst);
    free(ref);
    const int expect = ((which & 1) ? 2 * n * p * r : 0) + ((which & 2) ? n * R * zf : 0);
    /* The op is linear in each single entry, so the mse loss is quadratic in it and
     * central differences are exact but for rounding: a larger step keeps that small. */
    CU_ASSERT_EQUAL(gradcheck(cg, 1e-2f, 1e-2f), expect);
    lc_cg_free(&cg);
    lc_tensor_free(&u0), lc_tensor_free(&v0), lc_tensor_free(&z0), lc_tensor_free(&target);
}

static void check_lowrank(int R, int which)
{
    check_lowrank_op(R, which, false);
    check_lowrank_op(R, which, true);
}
static void test_lowrank_r1(void) { check_lowrank(1, 3); }
static void test_lowrank_r3(void) { check_lowrank(3, 3); }
static void test_lowrank_only_z(void) { check_lowrank(3, 2); }  /* U, V constants (frozen L) */
static void test_lowrank_only_uv(void) { check_lowrank(3, 1); } /* z a constant */

/* The same bits whatever R: a batch of R images is R independent problems. */
static void test_lowrank_batch_slices(void)
{
    const int n = 9, p = 2, r = 3, f = 4, R = 3;
    lc_tensor_t *u0 = rand_tensor(2, (int64_t[]){n, p * r});
    lc_tensor_t *v0 = rand_tensor(2, (int64_t[]){n, p * r});
    lc_tensor_t *z0 = rand_tensor(3, (int64_t[]){n, R, p * f}), *zs = NULL;
    LC_ASSERT_OK(lc_tensor_new2(&zs, n, p * f));
    lc_cgraph_t *cg = NULL;
    lc_node u, v, z, y, loss;
    LC_ASSERT_OK(lc_cg_new(&cg, 1));
    LC_ASSERT_OK(lc_cg_parameter(cg, u0, "u", &u));
    LC_ASSERT_OK(lc_cg_constant(cg, v0, &v));
    LC_ASSERT_OK(lc_cg_constant(cg, z0, &z));
    LC_ASSERT_OK(lc_cg_lowrank(cg, u, v, z, p, &y));
    LC_ASSERT_OK(lc_cg_sum(cg, y, &loss));
    LC_ASSERT_OK(lc_cg_compile(cg, loss));
    LC_ASSERT_OK(lc_cg_forward(cg, 0));
    for (int rho = 0; rho < R; rho++) {
        for (int k = 0; k < n; k++)
            memcpy(zs->data + k * p * f, z0->data + (k * R + rho) * p * f, sizeof(float) * p * f);
        lc_cgraph_t *c1 = NULL;
        lc_node u1, v1, z1, y1, l1;
        LC_ASSERT_OK(lc_cg_new(&c1, 1));
        LC_ASSERT_OK(lc_cg_parameter(c1, u0, "u", &u1));
        LC_ASSERT_OK(lc_cg_constant(c1, v0, &v1));
        LC_ASSERT_OK(lc_cg_constant(c1, zs, &z1));
        LC_ASSERT_OK(lc_cg_lowrank(c1, u1, v1, z1, p, &y1));
        LC_ASSERT_OK(lc_cg_sum(c1, y1, &l1));
        LC_ASSERT_OK(lc_cg_compile(c1, l1));
        LC_ASSERT_OK(lc_cg_forward(c1, 0));
        for (int k = 0; k < n; k++)
            for (int j = 0; j < f; j++)
                CU_ASSERT_DOUBLE_EQUAL(lc_cg_value(cg, y)->data[(k * R + rho) * f + j],
                                       lc_cg_value(c1, y1)->data[k * f + j], 1e-5);
        lc_cg_free(&c1);
    }
    lc_cg_free(&cg);
    lc_tensor_free(&u0), lc_tensor_free(&v0), lc_tensor_free(&z0), lc_tensor_free(&zs);
}

static void test_lowrank_errors(void)
{
    lc_tensor_t *u0 = rand_tensor(2, (int64_t[]){5, 6}), *w0 = rand_tensor(2, (int64_t[]){5, 4});
    lc_tensor_t *z0 = rand_tensor(2, (int64_t[]){5, 9}), *zb = rand_tensor(2, (int64_t[]){4, 6});
    lc_tensor_t *z1 = rand_tensor(1, (int64_t[]){5}), *u3 = rand_tensor(3, (int64_t[]){5, 2, 3});
    lc_cgraph_t *cg = NULL;
    lc_node u, w, z, zbad, z1d, u3d, y, loss;
    LC_ASSERT_OK(lc_cg_new(&cg, 1));
    LC_ASSERT_OK(lc_cg_parameter(cg, u0, "u", &u));
    LC_ASSERT_OK(lc_cg_parameter(cg, w0, "w", &w));
    LC_ASSERT_OK(lc_cg_constant(cg, z0, &z));
    LC_ASSERT_OK(lc_cg_constant(cg, zb, &zbad));
    LC_ASSERT_OK(lc_cg_constant(cg, z1, &z1d));
    LC_ASSERT_OK(lc_cg_constant(cg, u3, &u3d));
    const int before = cg->n_nodes;
    /* u and v differ */
    LC_ASSERT_STATUS(lc_cg_lowrank(cg, u, w, z, 3, &y), LC_ERR_SHAPE);
    LC_ASSERT_ERROR_HAS("u [5, 6] and v [5, 4] must both be [n, p·r]");
    LC_ASSERT_STATUS(lc_cg_lowrank(cg, u3d, u3d, z, 3, &y), LC_ERR_SHAPE);
    /* 6 columns are not p·r for p = 4 */
    LC_ASSERT_STATUS(lc_cg_lowrank(cg, u, u, z, 4, &y), LC_ERR_SHAPE);
    LC_ASSERT_ERROR_HAS("not p·r with p = 4");
    /* z: wrong n, 9 columns not p·f for p = 2, 1-D */
    LC_ASSERT_STATUS(lc_cg_lowrank(cg, u, u, zbad, 3, &y), LC_ERR_SHAPE);
    LC_ASSERT_ERROR_HAS("z [4, 6] must be [n = 5, …, p·f] with p = 3");
    LC_ASSERT_STATUS(lc_cg_lowrank(cg, u, u, z, 2, &y), LC_ERR_SHAPE);
    LC_ASSERT_STATUS(lc_cg_lowrank(cg, u, u, z1d, 1, &y), LC_ERR_SHAPE);
    LC_ASSERT_STATUS(lc_cg_lowrank(cg, u, u, z, 0, &y), LC_ERR_INVALID_ARG);
    LC_ASSERT_STATUS(lc_cg_lowrank(cg, u, u, 42, 3, &y), LC_ERR_INVALID_ARG);
    LC_ASSERT_ERROR_HAS("node 42");
    LC_ASSERT_STATUS(lc_cg_lowrank(cg, u, u, z, 3, NULL), LC_ERR_INVALID_ARG);
    /* the expand form takes any width of x, but its rows must be the nodes */
    LC_ASSERT_STATUS(lc_cg_lowrank_expand(cg, u, u, zbad, 3, &y), LC_ERR_SHAPE);
    LC_ASSERT_ERROR_HAS("lc_cg_lowrank_expand: z [4, 6] must be [n = 5, …, c] with p = 3");
    LC_ASSERT_STATUS(lc_cg_lowrank_expand(cg, u, w, z, 3, &y), LC_ERR_SHAPE);
    LC_ASSERT_ERROR_HAS("lc_cg_lowrank_expand: u [5, 6] and v [5, 4]");
    LC_ASSERT_STATUS(lc_cg_lowrank_expand(cg, u, u, z, 0, &y), LC_ERR_INVALID_ARG);
    LC_ASSERT_ERROR_HAS("lc_cg_lowrank_expand: p = 0");
    CU_ASSERT_EQUAL(cg->n_nodes, before); /* a refused build adds nothing */
    LC_ASSERT_OK(lc_cg_lowrank(cg, u, u, z, 3, &y)); /* U = V is allowed */
    LC_ASSERT_OK(lc_cg_sum(cg, y, &loss));
    LC_ASSERT_OK(lc_cg_compile(cg, loss));
    LC_ASSERT_STATUS(lc_cg_lowrank(cg, u, u, z, 3, &y), LC_ERR_STATE);
    lc_cg_free(&cg);
    lc_tensor_free(&u0), lc_tensor_free(&w0), lc_tensor_free(&z0), lc_tensor_free(&zb);
    lc_tensor_free(&z1), lc_tensor_free(&u3);
}

/* ---------------------------------------------------------------- pool and flatten */

/* x [n, 2, 3] with distinct entries at least 0.01 apart (a shuffled
 * progression), so that a finite step of 1e-3 never changes a max. */
static lc_tensor_t *separated_tensor(int n)
{
    lc_tensor_t *t = NULL;
    if (lc_tensor_new(&t, 3, (int64_t[]){n, 2, 3})) return NULL;
    for (int64_t i = 0; i < t->numel; i++) t->data[i] = -1.0f + 0.01f * (float)i;
    for (int64_t i = t->numel - 1; i > 0; i--) {
        int64_t j = (int64_t)(lc_rng_next(&rng) % (uint64_t)(i + 1));
        float tmp = t->data[i];
        t->data[i] = t->data[j], t->data[j] = tmp;
    }
    return t;
}

static void check_pool(lc_pool_kind kind, int with_index)
{
    enum { N = 8, W = 6 };
    /* graph 3 is empty: its output is 0 and it passes no gradient */
    static const int32_t graph_of[N] = {2, 0, 2, 1, 0, 2, 1, 2};
    const int64_t groups = with_index ? 4 : 1;
    lc_tensor_t *x0 = separated_tensor(N), *target = NULL;
    lc_cgraph_t *cg = NULL;
    lc_node x, y;
    LC_ASSERT_OK(lc_cg_new(&cg, 1));
    LC_ASSERT_OK(lc_cg_parameter(cg, x0, "x", &x));
    LC_ASSERT_OK(lc_cg_pool(cg, x, kind, with_index ? graph_of : NULL, with_index ? 4 : 0, &y));
    CU_ASSERT_EQUAL(cg->nodes[y].ndim, 3);
    CU_ASSERT_EQUAL(cg->nodes[y].shape[0], groups);
    CU_ASSERT_EQUAL(cg->nodes[y].shape[1], 2);
    CU_ASSERT_EQUAL(cg->nodes[y].shape[2], 3);
    LC_ASSERT_OK(lc_cg_compile(cg, lc_test_mse_loss(cg, &rng, y, &target)));
    LC_ASSERT_OK(lc_cg_forward(cg, 0));
    const float *yv = lc_cg_value(cg, y)->data;
    for (int g = 0; g < groups; g++)
        for (int j = 0; j < W; j++) {
            double s = 0, mx = -INFINITY;
            int count = 0;
            for (int k = 0; k < N; k++) {
                if ((with_index ? graph_of[k] : 0) != g) continue;
                double xv = x0->data[k * W + j];
                s += xv, count++, mx = fmax(mx, xv);
            }
            double expect = kind == LC_POOL_SUM ? s : !count ? 0 : kind == LC_POOL_MEAN ? s / count : mx;
            CU_ASSERT_DOUBLE_EQUAL(yv[g * W + j], expect, 1e-5);
        }
    CU_ASSERT_EQUAL(gradcheck(cg, 1e-3f, 1e-2f), N * W);
    lc_cg_free(&cg);
    lc_tensor_free(&x0), lc_tensor_free(&target);
}

static void test_pool_sum(void) { check_pool(LC_POOL_SUM, 0); }
static void test_pool_mean(void) { check_pool(LC_POOL_MEAN, 0); }
static void test_pool_max(void) { check_pool(LC_POOL_MAX, 0); }
static void test_pool_sum_graphs(void) { check_pool(LC_POOL_SUM, 1); }
static void test_pool_mean_graphs(void) { check_pool(LC_POOL_MEAN, 1); }
static void test_pool_max_graphs(void) { check_pool(LC_POOL_MAX, 1); }

/* Ties: the gradient goes to the first maximal node only; −∞ still has an argmax. */
static void test_pool_max_ties(void)
{
    const float vals[4 * 2] = {1, -INFINITY, 3, -INFINITY, 3, -INFINITY, 2, -INFINITY};
    lc_tensor_t *x0 = NULL;
    LC_ASSERT_OK(lc_tensor_new2(&x0, 4, 2));
    memcpy(x0->data, vals, sizeof vals);
    lc_cgraph_t *cg = NULL;
    lc_node x, y, loss;
    LC_ASSERT_OK(lc_cg_new(&cg, 1));
    LC_ASSERT_OK(lc_cg_parameter(cg, x0, "x", &x));
    LC_ASSERT_OK(lc_cg_pool(cg, x, LC_POOL_MAX, NULL, 1, &y));
    LC_ASSERT_OK(lc_cg_sum(cg, y, &loss));
    LC_ASSERT_OK(lc_cg_compile(cg, loss));
    LC_ASSERT_OK(lc_cg_forward(cg, 0));
    LC_ASSERT_OK(lc_cg_backward(cg));
    CU_ASSERT_EQUAL(lc_cg_value(cg, y)->data[0], 3.0f);
    CU_ASSERT(isinf(lc_cg_value(cg, y)->data[1]));
    const float *g = lc_cg_grad(cg, x)->data;
    const float expect[8] = {0, 1, 1, 0, 0, 0, 0, 0};
    for (int i = 0; i < 8; i++) CU_ASSERT_EQUAL(g[i], expect[i]);
    lc_cg_free(&cg);
    lc_tensor_free(&x0);
}

static void test_pool_errors(void)
{
    const int32_t bad[3] = {0, 2, 1}, neg[3] = {0, -1, 0};
    lc_tensor_t *x0 = rand_tensor(2, (int64_t[]){3, 2}), *v0 = rand_tensor(1, (int64_t[]){3});
    lc_cgraph_t *cg = NULL;
    lc_node x, v, y;
    LC_ASSERT_OK(lc_cg_new(&cg, 1));
    LC_ASSERT_OK(lc_cg_parameter(cg, x0, "x", &x));
    LC_ASSERT_OK(lc_cg_parameter(cg, v0, "v", &v));
    const int before = cg->n_nodes;
    LC_ASSERT_STATUS(lc_cg_pool(cg, x, LC_POOL_SUM, bad, 2, &y), LC_ERR_INVALID_ARG);
    LC_ASSERT_ERROR_HAS("graph_of[1] = 2 is not in [0, n_graphs = 2)");
    LC_ASSERT_STATUS(lc_cg_pool(cg, x, LC_POOL_MEAN, neg, 2, &y), LC_ERR_INVALID_ARG);
    LC_ASSERT_ERROR_HAS("graph_of[1] = -1");
    LC_ASSERT_STATUS(lc_cg_pool(cg, x, LC_POOL_MAX, bad, 0, &y), LC_ERR_INVALID_ARG);
    LC_ASSERT_ERROR_HAS("n_graphs = 0");
    LC_ASSERT_STATUS(lc_cg_pool(cg, x, LC_POOL_SUM, NULL, 3, &y), LC_ERR_INVALID_ARG);
    LC_ASSERT_ERROR_HAS("without a graph_of");
    LC_ASSERT_STATUS(lc_cg_pool(cg, x, (lc_pool_kind)7, NULL, 1, &y), LC_ERR_INVALID_ARG);
    LC_ASSERT_ERROR_HAS("unknown pool kind 7");
    LC_ASSERT_STATUS(lc_cg_pool(cg, v, LC_POOL_SUM, NULL, 1, &y), LC_ERR_SHAPE);
    LC_ASSERT_ERROR_HAS("[3]");
    LC_ASSERT_STATUS(lc_cg_pool(cg, 17, LC_POOL_SUM, NULL, 1, &y), LC_ERR_INVALID_ARG);
    LC_ASSERT_STATUS(lc_cg_flatten(cg, v, &y), LC_ERR_SHAPE);
    LC_ASSERT_STATUS(lc_cg_flatten(cg, x, NULL), LC_ERR_INVALID_ARG);
    CU_ASSERT_EQUAL(cg->n_nodes, before);
    lc_cg_free(&cg);
    lc_tensor_free(&x0), lc_tensor_free(&v0);
}

static void check_flatten(int ndim)
{
    const int64_t n = 4, batch = ndim == 3 ? 3 : 1, c = 2;
    lc_tensor_t *x0 = ndim == 3 ? rand_tensor(3, (int64_t[]){n, batch, c})
                                : rand_tensor(2, (int64_t[]){n, c});
    lc_tensor_t *target = NULL;
    lc_cgraph_t *cg = NULL;
    lc_node x, y;
    LC_ASSERT_OK(lc_cg_new(&cg, 1));
    LC_ASSERT_OK(lc_cg_parameter(cg, x0, "x", &x));
    LC_ASSERT_OK(lc_cg_flatten(cg, x, &y));
    CU_ASSERT_EQUAL(cg->nodes[y].ndim, 2);
    CU_ASSERT_EQUAL(cg->nodes[y].shape[0], batch);
    CU_ASSERT_EQUAL(cg->nodes[y].shape[1], n * c);
    LC_ASSERT_OK(lc_cg_compile(cg, lc_test_mse_loss(cg, &rng, y, &target)));
    LC_ASSERT_OK(lc_cg_forward(cg, 0));
    const float *yv = lc_cg_value(cg, y)->data;
    for (int64_t b = 0; b < batch; b++) /* row b is sample b: its nodes one after another */
        for (int64_t k = 0; k < n; k++)
            for (int64_t j = 0; j < c; j++)
                CU_ASSERT_EQUAL(yv[b * n * c + k * c + j], x0->data[(k * batch + b) * c + j]);
    CU_ASSERT_EQUAL(gradcheck(cg, 1e-3f, 1e-2f), n * batch * c);
    lc_cg_free(&cg);
    lc_tensor_free(&x0), lc_tensor_free(&target);
}

static void test_flatten_batch(void) { check_flatten(3); }
static void test_flatten_2d(void) { check_flatten(2); }

/* Pooling after the low-rank op: a graph-level head on top of the generators. */
static void test_lowrank_pool_chain(void)
{
    const int n = 6, p = 2, r = 2, f = 3;
    static const int32_t graph_of[6] = {0, 0, 1, 1, 1, 0};
    lc_tensor_t *u0 = rand_tensor(2, (int64_t[]){n, p * r});
    lc_tensor_t *v0 = rand_tensor(2, (int64_t[]){n, p * r});
    lc_tensor_t *z0 = rand_tensor(3, (int64_t[]){n, 2, p * f}), *target = NULL;
    lc_cgraph_t *cg = NULL;
    lc_node u, v, z, y, pooled, flat;
    LC_ASSERT_OK(lc_cg_new(&cg, 1));
    LC_ASSERT_OK(lc_cg_parameter(cg, u0, "u", &u));
    LC_ASSERT_OK(lc_cg_parameter(cg, v0, "v", &v));
    LC_ASSERT_OK(lc_cg_parameter(cg, z0, "z", &z));
    LC_ASSERT_OK(lc_cg_lowrank(cg, u, v, z, p, &y));
    LC_ASSERT_OK(lc_cg_pool(cg, y, LC_POOL_MEAN, graph_of, 2, &pooled));
    LC_ASSERT_OK(lc_cg_flatten(cg, pooled, &flat));
    LC_ASSERT_OK(lc_cg_compile(cg, lc_test_mse_loss(cg, &rng, flat, &target)));
    CU_ASSERT(gradcheck(cg, 1e-3f, 1e-2f) > 0);
    lc_cg_free(&cg);
    lc_tensor_free(&u0), lc_tensor_free(&v0), lc_tensor_free(&z0), lc_tensor_free(&target);
}

/* ---------------------------------------------------------------- the lowrank layer */

/* n nodes without edges (the layer needs no graph), f features, labels in
 * [0, classes), train = even nodes, val = odd, test = all. */
static lc_dataset_t *toy_dataset(int n, int f, int classes, int sparse)
{
    lc_graph_t *g = NULL;
    lc_dataset_t *ds = NULL;
    lc_tensor_t *x = NULL;
    lc_csr_t *xs = NULL;
    if (lc_graph_from_edges(&g, n, 0, NULL, NULL, NULL, 0)) return NULL;
    if (sparse) {
        int64_t *rows = malloc(sizeof *rows * (size_t)(n * f)), *cols = malloc(sizeof *cols * (size_t)(n * f));
        float *vals = malloc(sizeof *vals * (size_t)(n * f));
        int nnz = 0;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < f; j++)
                if ((i + j) % 3 == 0) rows[nnz] = i, cols[nnz] = j, vals[nnz++] = lc_rng_uniform(&rng);
        lc_csr_from_coo(&xs, n, f, nnz, rows, cols, vals);
        free(rows), free(cols), free(vals);
    } else {
        lc_tensor_new2(&x, n, f);
        for (int i = 0; i < n * f; i++) x->data[i] = lc_rng_normal(&rng);
    }
    int32_t *labels = malloc(sizeof *labels * (size_t)n);
    uint8_t *masks = malloc((size_t)(3 * n));
    for (int i = 0; i < n; i++) {
        labels[i] = (int32_t)(lc_rng_next(&rng) % (uint64_t)classes);
        masks[i] = i % 2 == 0, masks[n + i] = i % 2 == 1, masks[2 * n + i] = 1;
    }
    if (lc_dataset_new(&ds, g, x, xs, labels, classes)) {
        lc_graph_free(&g), lc_tensor_free(&x), lc_csr_free(&xs);
    } else if (lc_dataset_set_split(ds, masks, masks + n, masks + 2 * n)) {
        lc_dataset_free(&ds);
    }
    free(labels), free(masks);
    return ds;
}

/* One "lowrank:C:p=P:r=R[...]" layer against the naive
 * Y = X·W0 + Σ_i (U_i·V_iᵀ)·X·W_i + b, then log-softmax. */
static void check_layer(const char *spec, int p, int r, int sparse)
{
    enum { N = 10, F = 4, C = 3 };
    lc_dataset_t *ds = toy_dataset(N, F, C, sparse);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ds);
    lc_model_t *m = NULL;
    LC_ASSERT_OK(lc_model_from_spec(&m, spec));
    LC_ASSERT_OK(lc_model_build(m, ds, NULL));
    lc_cgraph_t *cg = lc_model_graph(m);
    const int with_w0 = !strstr(spec, "now0"), with_bias = !strstr(spec, "nobias");
    CU_ASSERT_EQUAL_FATAL(lc_cg_num_params(cg), 3 + with_w0 + with_bias);
    lc_tensor_t *u = lc_test_param(m, ".U"), *v = lc_test_param(m, ".V");
    lc_tensor_t *w = lc_test_param(m, ".weights"), *w0 = lc_test_param(m, ".weight0");
    lc_tensor_t *b = lc_test_param(m, ".bias");
    CU_ASSERT_PTR_NOT_NULL_FATAL(u);
    CU_ASSERT_PTR_NOT_NULL_FATAL(v);
    CU_ASSERT_PTR_NOT_NULL_FATAL(w);
    CU_ASSERT_EQUAL(lc_tensor_dim(u, 0), N);
    CU_ASSERT_EQUAL(lc_tensor_dim(u, 1), p * r);
    /* W_all stacked [p·F, C] where aggregating first moves fewer floats, else [F, p·C] */
    const bool stacked = !sparse && F * (p + 2) < C * (2 * p + 1);
    CU_ASSERT_EQUAL(lc_tensor_dim(w, 0), stacked ? p * F : F);
    CU_ASSERT_EQUAL(lc_tensor_dim(w, 1), stacked ? C : p * C);
    CU_ASSERT_EQUAL(w0 != NULL, with_w0);
    CU_ASSERT_EQUAL(b != NULL, with_bias);
    if (b) /* a nonzero bias, so that adding it is tested too */
        for (int c = 0; c < C; c++) lc_tensor_data(b)[c] = 0.1f * (float)(c + 1);
    lc_eval_result ev;
    LC_ASSERT_OK(lc_model_evaluate(m, ds, &ev));
    const float *out = lc_tensor_data(lc_model_output(m));
    double *x = lc_test_dense_features(ds), *l = calloc((size_t)(p * N * N), sizeof *l), worst = 0;
    const float *uv = lc_tensor_data(u), *vv = lc_tensor_data(v), *wv = lc_tensor_data(w);
    for (int i = 0; i < p; i++) /* L_i = U_i·V_iᵀ, formed */
        for (int a = 0; a < N; a++)
            for (int c = 0; c < N; c++)
                for (int s = 0; s < r; s++)
                    l[(i * N + a) * N + c] += (double)uv[a * p * r + i * r + s] * vv[c * p * r + i * r + s];
    for (int k = 0; k < N; k++) {
        double y[C], mx = -1e300, zsum = 0;
        for (int c = 0; c < C; c++) {
            double s = b ? lc_tensor_data(b)[c] : 0;
            for (int j = 0; j < F; j++) {
                if (w0) s += x[k * F + j] * lc_tensor_data(w0)[j * C + c];
                for (int i = 0; i < p; i++) {
                    double lx = 0; /* (L_i·X)[k, j] */
                    for (int a = 0; a < N; a++) lx += l[(i * N + k) * N + a] * x[a * F + j];
                    s += lx * wv[stacked ? (i * F + j) * C + c : j * p * C + i * C + c];
                }
            }
            y[c] = s;
            mx = fmax(mx, s);
        }
        for (int c = 0; c < C; c++) zsum += exp(y[c] - mx);
        for (int c = 0; c < C; c++) {
            double ref = y[c] - mx - log(zsum);
            worst = fmax(worst, fabs(out[k * C + c] - ref) / fmax(1.0, fabs(ref)));
        }
    }
    CU_ASSERT(worst <= 1e-5);
    if (worst > 1e-5) fprintf(stderr, "\n  %s: worst relative error %g\n", spec, worst);
    /* and the gradients of the whole layer, through the masked cross-entropy */
    CU_ASSERT(gradcheck(cg, 5e-3f, 2e-2f) > 0);
    free(x), free(l);
    lc_model_free(&m);
    lc_dataset_free(&ds);
}

static void test_layer_reference(void) { check_layer("lowrank:3:p=2:r=2", 2, 2, 0); }
static void test_layer_sparse(void) { check_layer("lowrank:3:p=2:r=2", 2, 2, 1); }
static void test_layer_now0_nobias(void) { check_layer("lowrank:3:p=3:r=1:now0:nobias", 3, 1, 0); }
static void test_layer_defaults(void) { check_layer("lowrank:3", 7, 8, 0); } /* p = 7, r = 8 */

/* Frozen factors are constants: the same start (same seed), two parameters fewer,
 * and training leaves the output of L alone while it moves the weights. */
static void test_layer_frozen(void)
{
    lc_dataset_t *ds = toy_dataset(10, 4, 3, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ds);
    lc_model_t *a = NULL, *b = NULL;
    LC_ASSERT_OK(lc_model_from_spec(&a, "lowrank:3:p=2:r=2"));
    LC_ASSERT_OK(lc_model_from_spec(&b, "lowrank:3:p=2:r=2:frozen"));
    CU_ASSERT_STRING_EQUAL(lc_model_spec(b), "lowrank:3:p=2:r=2:frozen");
    LC_ASSERT_OK(lc_model_build(a, ds, NULL));
    LC_ASSERT_OK(lc_model_build(b, ds, NULL));
    lc_cgraph_t *ca = lc_model_graph(a), *cb = lc_model_graph(b);
    CU_ASSERT_EQUAL(lc_cg_num_params(ca), 5);
    CU_ASSERT_EQUAL(lc_cg_num_params(cb), 3);
    /* learnable scalars: frozen U and V [10, p·r = 4] are constants and do not count */
    int64_t total = 0;
    for (int i = 0; i < lc_cg_num_params(ca); i++) total += lc_tensor_numel(lc_cg_param_tensor(ca, i));
    CU_ASSERT_EQUAL(lc_model_num_params(a), total);
    CU_ASSERT_EQUAL(lc_model_num_params(b), total - 2 * 10 * 4);
    lc_model_t *unbuilt = NULL;
    LC_ASSERT_OK(lc_model_from_spec(&unbuilt, "lowrank:3"));
    CU_ASSERT_EQUAL(lc_model_num_params(unbuilt), 0);
    CU_ASSERT_EQUAL(lc_model_num_params(NULL), 0);
    lc_model_free(&unbuilt);
    CU_ASSERT_PTR_NULL(lc_test_param(b, ".U"));
    CU_ASSERT_PTR_NULL(lc_test_param(b, ".V"));
    CU_ASSERT_PTR_NOT_NULL(lc_test_param(b, ".weights"));
    lc_eval_result ea, eb;
    LC_ASSERT_OK(lc_model_evaluate(a, ds, &ea));
    LC_ASSERT_OK(lc_model_evaluate(b, ds, &eb));
    const lc_tensor_t *oa = lc_model_output(a), *ob = lc_model_output(b);
    CU_ASSERT_EQUAL(memcmp(lc_tensor_data(oa), lc_tensor_data(ob), sizeof(float) * (size_t)lc_tensor_numel(oa)), 0);
    CU_ASSERT(gradcheck(cb, 5e-3f, 2e-2f) == 4 * 6 + 4 * 3 + 3);
    lc_model_free(&a), lc_model_free(&b);
    lc_dataset_free(&ds);
}

/* The documented start: E‖U_i·V_iᵀ·x‖² = ‖x‖², whatever n and r. */
static void test_layer_init_scale(void)
{
    static const int sizes[2][2] = {{400, 8}, {150, 3}}; /* n, r */
    for (int t = 0; t < 2; t++) {
        const int n = sizes[t][0], r = sizes[t][1], p = 2;
        lc_dataset_t *ds = toy_dataset(n, 2, 2, 0);
        CU_ASSERT_PTR_NOT_NULL_FATAL(ds);
        char spec[64];
        snprintf(spec, sizeof spec, "lowrank:2:p=%d:r=%d", p, r);
        lc_model_t *m = NULL;
        LC_ASSERT_OK(lc_model_from_spec(&m, spec));
        LC_ASSERT_OK(lc_model_build(m, ds, NULL));
        const float *u = lc_tensor_data(lc_test_param(m, ".U"));
        const float *v = lc_tensor_data(lc_test_param(m, ".V"));
        double ratio = 0;
        const int draws = 20;
        double *x = malloc(sizeof *x * (size_t)n), *s = malloc(sizeof *s * (size_t)r);
        for (int d = 0; d < draws; d++) {
            double xx = 0;
            for (int k = 0; k < n; k++) x[k] = lc_rng_normal(&rng), xx += x[k] * x[k];
            for (int i = 0; i < p; i++) {
                for (int q = 0; q < r; q++) { /* V_iᵀ·x */
                    s[q] = 0;
                    for (int k = 0; k < n; k++) s[q] += v[k * p * r + i * r + q] * x[k];
                }
                double yy = 0;
                for (int k = 0; k < n; k++) {
                    double yk = 0;
                    for (int q = 0; q < r; q++) yk += u[k * p * r + i * r + q] * s[q];
                    yy += yk * yk;
                }
                ratio += yy / xx / (draws * p);
            }
        }
        if (!(ratio > 0.6 && ratio < 1.6)) fprintf(stderr, "\n  %s: gain %g\n", spec, ratio);
        CU_ASSERT(ratio > 0.6 && ratio < 1.6);
        free(x), free(s);
        lc_model_free(&m);
        lc_dataset_free(&ds);
    }
}

static void test_layer_spec(void)
{
    lc_model_t *m = NULL;
    LC_ASSERT_OK(lc_model_from_spec(&m, "lowrank:16:p=5:r=4:now0,relu,lowrank:nobias"));
    CU_ASSERT_STRING_EQUAL(lc_model_spec(m), "lowrank:16:p=5:r=4:now0,relu,lowrank:nobias");
    lc_model_free(&m);
    struct {
        const char *spec, *needle;
    } bad[] = {{"lowrank:3:r=0", "unexpected 'r=0'"},
               {"lowrank:3:p=x", "unexpected 'p=x'"},
               {"lowrank:3:p=0", "unexpected 'p=0'"},
               {"lowrank:3:r=", "unexpected 'r='"},
               {"lowrank:3:k=3", "unexpected 'k=3'"},
               {"lowrank:3:form=adj", "unexpected 'form=adj'"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        m = NULL;
        LC_ASSERT_STATUS(lc_model_from_spec(&m, bad[i].spec), LC_ERR_INVALID_ARG);
        LC_ASSERT_ERROR_HAS(bad[i].needle);
        CU_ASSERT_PTR_NULL(m);
    }
}

/* Two layers and training: the loss goes down and the factors move. */
static void test_layer_trains(void)
{
    lc_dataset_t *ds = toy_dataset(16, 5, 3, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ds);
    lc_model_t *m = NULL;
    LC_ASSERT_OK(lc_model_from_spec(&m, "lowrank:8:p=2:r=3,tanh,lowrank:p=2:r=3"));
    lc_train_config cfg = lc_train_defaults();
    cfg.epochs = 1;
    cfg.patience = 0;
    lc_train_result res;
    LC_ASSERT_OK(lc_model_build(m, ds, &cfg));
    lc_eval_result before;
    LC_ASSERT_OK(lc_model_evaluate(m, ds, &before));
    float u_start = lc_tensor_data(lc_test_param(m, ".U"))[0];
    cfg.epochs = 50;
    LC_ASSERT_OK(lc_model_train(m, ds, &cfg, &res));
    lc_eval_result after;
    LC_ASSERT_OK(lc_model_evaluate(m, ds, &after));
    CU_ASSERT(after.loss[0] < before.loss[0]);
    CU_ASSERT(lc_tensor_data(lc_test_param(m, ".U"))[0] != u_start);
    lc_model_free(&m);
    lc_dataset_free(&ds);
}

int main(void)
{
    lc_rng_seed(&rng, 4242);
    static const lc_test_case cases[] = {
        {"lowrank R = 1 forward and gradients", test_lowrank_r1},
        {"lowrank R = 3 forward and gradients", test_lowrank_r3},
        {"lowrank with constant U, V", test_lowrank_only_z},
        {"lowrank with constant z", test_lowrank_only_uv},
        {"lowrank batch slices are independent", test_lowrank_batch_slices},
        {"lowrank build errors", test_lowrank_errors},
        {"pool sum", test_pool_sum},
        {"pool mean", test_pool_mean},
        {"pool max", test_pool_max},
        {"pool sum per graph", test_pool_sum_graphs},
        {"pool mean per graph (one empty)", test_pool_mean_graphs},
        {"pool max per graph (one empty)", test_pool_max_graphs},
        {"pool max ties go to the first node", test_pool_max_ties},
        {"pool and flatten build errors", test_pool_errors},
        {"flatten [n, B, c]", test_flatten_batch},
        {"flatten [n, c]", test_flatten_2d},
        {"lowrank, pool, flatten chain", test_lowrank_pool_chain},
        {"layer against the dense reference", test_layer_reference},
        {"layer on sparse features", test_layer_sparse},
        {"layer without W0 and bias", test_layer_now0_nobias},
        {"layer defaults p = 7, r = 8", test_layer_defaults},
        {"layer frozen factors are constants", test_layer_frozen},
        {"layer start keeps the input's scale", test_layer_init_scale},
        {"layer spec options and errors", test_layer_spec},
        {"layer trains", test_layer_trains},
        {NULL, NULL}};
    return lc_test_main("lowrank", cases);
}
