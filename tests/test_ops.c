/* test_ops.c — every op: finite-difference gradient check, forward against a naive loop, build errors. */
#include <math.h>
#include <string.h>

#include "cgraph.h"
#include "harness.h"

static lc_rng_t rng;

/* A random [r, c] tensor in [-1, 1), kept 0.05 away from 0. */
static lc_tensor_t *rand2(int64_t r, int64_t c)
{
    return lc_test_rand_tensor(&rng, 2, (int64_t[]){r, c}, -1, 1, 0.05f);
}

/* Every entry of every parameter, dropout masks redrawn from seed 7 before each pass. */
static void gradcheck(lc_cgraph_t *cg, int training, float h, float tol)
{
    lc_test_grad_opts o = {.training = training, .reseed = 1, .seed = 7, .h = h, .tol = tol};
    CU_ASSERT(lc_test_gradcheck(cg, &o) > 0);
}

typedef lc_status (*unary_builder)(lc_cgraph_t *, lc_node, lc_node *);

static void check_unary(unary_builder build, float h, float tol)
{
    lc_cgraph_t *cg = NULL;
    lc_tensor_t *x0 = rand2(5, 4), *target = NULL;
    lc_node x, y;
    LC_ASSERT_OK(lc_cg_new(&cg, 1));
    LC_ASSERT_OK(lc_cg_parameter(cg, x0, "x", &x));
    LC_ASSERT_OK(build(cg, x, &y));
    LC_ASSERT_OK(lc_cg_compile(cg, lc_test_mse_loss(cg, &rng, y, &target)));
    gradcheck(cg, 1, h, tol);
    lc_cg_free(&cg);
    lc_tensor_free(&x0);
    lc_tensor_free(&target);
}

static lc_status leaky(lc_cgraph_t *cg, lc_node x, lc_node *y) { return lc_cg_leaky_relu(cg, x, 0.1f, y); }
static lc_status elu(lc_cgraph_t *cg, lc_node x, lc_node *y) { return lc_cg_elu(cg, x, 1.0f, y); }
static lc_status scale(lc_cgraph_t *cg, lc_node x, lc_node *y) { return lc_cg_scale(cg, x, -2.5f, y); }
static lc_status drop(lc_cgraph_t *cg, lc_node x, lc_node *y) { return lc_cg_dropout(cg, x, 0.4f, y); }
static lc_status logsm_then_mean(lc_cgraph_t *cg, lc_node x, lc_node *y)
{
    lc_node l;
    lc_status st = lc_cg_log_softmax(cg, x, &l);
    return st ? st : lc_cg_tanh(cg, l, y); /* tanh keeps the mse target reachable */
}

static void test_grad_relu(void) { check_unary(lc_cg_relu, 1e-3f, 1e-2f); }
static void test_grad_leaky_relu(void) { check_unary(leaky, 1e-3f, 1e-2f); }
static void test_grad_elu(void) { check_unary(elu, 1e-3f, 1e-2f); }
static void test_grad_tanh(void) { check_unary(lc_cg_tanh, 1e-3f, 1e-2f); }
static void test_grad_sigmoid(void) { check_unary(lc_cg_sigmoid, 1e-3f, 1e-2f); }
static void test_grad_scale(void) { check_unary(scale, 1e-3f, 1e-2f); }
static void test_grad_dropout(void) { check_unary(drop, 1e-3f, 1e-2f); }
static void test_grad_log_softmax(void) { check_unary(logsm_then_mean, 1e-3f, 1e-2f); }

static void test_grad_matmul(void)
{
    lc_cgraph_t *cg = NULL;
    lc_tensor_t *a0 = rand2(4, 3), *b0 = rand2(3, 5), *target = NULL;
    lc_node a, b, c;
    LC_ASSERT_OK(lc_cg_new(&cg, 1));
    LC_ASSERT_OK(lc_cg_parameter(cg, a0, "a", &a));
    LC_ASSERT_OK(lc_cg_parameter(cg, b0, "b", &b));
    LC_ASSERT_OK(lc_cg_matmul(cg, a, b, &c));
    LC_ASSERT_OK(lc_cg_compile(cg, lc_test_mse_loss(cg, &rng, c, &target)));
    LC_ASSERT_OK(lc_cg_forward(cg, 0));
    /* forward against the naive triple loop */
    const float *cv = lc_cg_value(cg, c)->data;
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 5; j++) {
            double s = 0;
            for (int k = 0; k < 3; k++) s += (double)a0->data[i * 3 + k] * b0->data[k * 5 + j];
            CU_ASSERT_DOUBLE_EQUAL(cv[i * 5 + j], s, 1e-5);
        }
    gradcheck(cg, 0, 1e-3f, 1e-2f);
    lc_cg_free(&cg);
    lc_tensor_free(&a0), lc_tensor_free(&b0), lc_tensor_free(&target);
}

/* A 3-D [nodes, batch, channels] tensor goes through matmul and spmm as one GEMM and one SpMM. */
static void test_grad_spmm_3d(void)
{
    const int64_t n = 6, m = 5, batch = 2, ch = 3;
    int64_t rows[] = {0, 0, 1, 2, 3, 3, 4, 5, 5, 2}, cols[] = {0, 4, 1, 3, 2, 0, 4, 1, 3, 2};
    float vals[10];
    for (int k = 0; k < 10; k++) vals[k] = 2 * lc_rng_uniform(&rng) - 1;
    lc_csr_t *s = NULL;
    LC_ASSERT_OK(lc_csr_from_coo(&s, n, m, 10, rows, cols, vals));
    lc_tensor_t *x0 = lc_test_rand_tensor(&rng, 3, (int64_t[]){m, batch, ch}, -1, 1, 0);
    lc_tensor_t *w0 = rand2(ch, 4);
    lc_tensor_t *target = NULL;
    lc_cgraph_t *cg = NULL;
    lc_node x, w, sx, y;
    LC_ASSERT_OK(lc_cg_new(&cg, 1));
    LC_ASSERT_OK(lc_cg_parameter(cg, x0, "x", &x));
    LC_ASSERT_OK(lc_cg_parameter(cg, w0, "w", &w));
    LC_ASSERT_OK(lc_cg_spmm(cg, s, x, &sx));
    LC_ASSERT_OK(lc_cg_matmul(cg, sx, w, &y));
    CU_ASSERT_EQUAL(cg->nodes[y].ndim, 3);
    CU_ASSERT_EQUAL(cg->nodes[y].shape[0], n);
    CU_ASSERT_EQUAL(cg->nodes[y].shape[2], 4);
    LC_ASSERT_OK(lc_cg_compile(cg, lc_test_mse_loss(cg, &rng, y, &target)));
    LC_ASSERT_OK(lc_cg_forward(cg, 0));
    /* forward against a dense S applied per (batch, channel) column */
    const float *sv = lc_cg_value(cg, sx)->data;
    for (int64_t i = 0; i < n; i++)
        for (int64_t c = 0; c < batch * ch; c++) {
            double acc = 0;
            for (int k = 0; k < 10; k++)
                if (rows[k] == i) acc += vals[k] * x0->data[cols[k] * batch * ch + c];
            CU_ASSERT_DOUBLE_EQUAL(sv[i * batch * ch + c], acc, 1e-5);
        }
    gradcheck(cg, 0, 1e-3f, 1e-2f);
    lc_cg_free(&cg);
    lc_csr_free(&s);
    lc_tensor_free(&x0), lc_tensor_free(&w0), lc_tensor_free(&target);
}

/* Dropout on the stored entries of S: the gradient uses the same mask, carried to Sᵀ. */
static void test_grad_spmm_dropout(void)
{
    int64_t rows[] = {0, 0, 1, 2, 3, 3, 4, 2, 1}, cols[] = {0, 3, 1, 3, 2, 0, 1, 2, 0};
    lc_csr_t *s = NULL;
    LC_ASSERT_OK(lc_csr_from_coo(&s, 5, 4, 9, rows, cols, NULL));
    lc_tensor_t *w0 = rand2(4, 3), *target = NULL;
    lc_cgraph_t *cg = NULL;
    lc_node w, y;
    LC_ASSERT_OK(lc_cg_new(&cg, 1));
    LC_ASSERT_OK(lc_cg_parameter(cg, w0, "w", &w));
    LC_ASSERT_STATUS(lc_cg_spmm_dropout(cg, s, w, 1.0f, &y), LC_ERR_INVALID_ARG);
    LC_ASSERT_OK(lc_cg_spmm_dropout(cg, s, w, 0.5f, &y));
    LC_ASSERT_OK(lc_cg_compile(cg, lc_test_mse_loss(cg, &rng, y, &target)));
    gradcheck(cg, 1, 1e-3f, 1e-2f);
    /* training drops entries (scaling kept ones by 2); evaluation is the plain product */
    LC_ASSERT_OK(lc_cg_forward(cg, 1));
    int dropped = 0;
    for (int64_t k = 0; k < s->nnz; k++) {
        dropped += cg->nodes[y].aux->data[k] == 0.0f;
        CU_ASSERT(cg->nodes[y].aux->data[k] == 0.0f || cg->nodes[y].aux->data[k] == 2.0f);
    }
    CU_ASSERT(dropped > 0 && dropped < s->nnz);
    LC_ASSERT_OK(lc_cg_forward(cg, 0));
    for (int64_t r = 0; r < 5; r++)
        for (int j = 0; j < 3; j++) {
            double acc = 0;
            for (int k = 0; k < 9; k++)
                if (rows[k] == r) acc += w0->data[cols[k] * 3 + j];
            CU_ASSERT_DOUBLE_EQUAL(lc_cg_value(cg, y)->data[r * 3 + j], acc, 1e-5);
        }
    lc_cg_free(&cg);
    lc_csr_free(&s);
    lc_tensor_free(&w0), lc_tensor_free(&target);
}

/* A small directed graph with a self loop and a node without out-edges. */
static lc_graph_t *small_graph(void)
{
    const int64_t tail[] = {0, 0, 1, 2, 2, 3, 4, 4, 1}, head[] = {1, 2, 0, 3, 2, 0, 1, 3, 3};
    lc_graph_t *g = NULL;
    lc_graph_from_edges(&g, 6, 9, tail, head, NULL, 0);
    return g;
}

/* Naive reference of edge_conv on z viewed [n, R, p, f]. */
static double edge_conv_ref(lc_graph_t *g, const float *z, const float *w, int form, int64_t R,
                            int64_t p, int64_t f, int64_t v, int64_t r, int64_t j)
{
    double s = 0;
    for (int64_t e = 0; e < lc_graph_num_edges(g); e++) {
        if (lc_graph_tails(g)[e] != v) continue;
        int64_t h = lc_graph_heads(g)[e];
        for (int64_t i = 0; i < p; i++) {
            double diff = z[((h * R + r) * p + i) * f + j];
            if (form == LC_LCONV_VECTOR_FIELD) diff -= z[((v * R + r) * p + i) * f + j];
            s += w[e * p + i] * diff;
        }
    }
    return s;
}

static void check_edge_conv(int form, int64_t R)
{
    lc_graph_t *g = small_graph();
    CU_ASSERT_PTR_NOT_NULL_FATAL(g);
    const int64_t n = 6, p = 3, f = 2, m = lc_graph_num_edges(g);
    lc_tensor_t *z0 = lc_test_rand_tensor(&rng, 3, (int64_t[]){n, R, p * f}, -1, 1, 0);
    lc_tensor_t *w0 = lc_test_rand_tensor(&rng, 2, (int64_t[]){m, p}, -1, 1, 0), *target = NULL;
    lc_cgraph_t *cg = NULL;
    lc_node z, w, y;
    LC_ASSERT_OK(lc_cg_new(&cg, 1));
    LC_ASSERT_OK(lc_cg_parameter(cg, z0, "z", &z));
    LC_ASSERT_OK(lc_cg_parameter(cg, w0, "w", &w));
    LC_ASSERT_OK(lc_cg_edge_conv(cg, g, z, w, form, &y));
    CU_ASSERT_EQUAL(cg->nodes[y].shape[2], f);
    LC_ASSERT_OK(lc_cg_compile(cg, lc_test_mse_loss(cg, &rng, y, &target)));
    LC_ASSERT_OK(lc_cg_forward(cg, 0));
    const float *yv = lc_cg_value(cg, y)->data;
    for (int64_t v = 0; v < n; v++)
        for (int64_t r = 0; r < R; r++)
            for (int64_t j = 0; j < f; j++)
                CU_ASSERT_DOUBLE_EQUAL(yv[(v * R + r) * f + j],
                                       edge_conv_ref(g, z0->data, w0->data, form, R, p, f, v, r, j), 1e-5);
    gradcheck(cg, 0, 1e-3f, 1e-2f);
    lc_cg_free(&cg);
    lc_graph_free(&g);
    lc_tensor_free(&z0), lc_tensor_free(&w0), lc_tensor_free(&target);
}

/* [L_1 x | … | L_p x] against the naive sum, then its gradient. */
static void check_edge_expand(int form, int64_t R)
{
    lc_graph_t *g = small_graph();
    CU_ASSERT_PTR_NOT_NULL_FATAL(g);
    const int64_t n = 6, p = 3, c = 2, m = lc_graph_num_edges(g);
    lc_tensor_t *x0 = lc_test_rand_tensor(&rng, 3, (int64_t[]){n, R, c}, -1, 1, 0);
    lc_tensor_t *w0 = lc_test_rand_tensor(&rng, 2, (int64_t[]){m, p}, -1, 1, 0), *target = NULL;
    lc_cgraph_t *cg = NULL;
    lc_node x, w, y;
    LC_ASSERT_OK(lc_cg_new(&cg, 1));
    LC_ASSERT_OK(lc_cg_parameter(cg, x0, "x", &x));
    LC_ASSERT_OK(lc_cg_parameter(cg, w0, "w", &w));
    LC_ASSERT_OK(lc_cg_edge_expand(cg, g, x, w, form, &y));
    CU_ASSERT_EQUAL(cg->nodes[y].shape[2], p * c);
    LC_ASSERT_OK(lc_cg_compile(cg, lc_test_mse_loss(cg, &rng, y, &target)));
    LC_ASSERT_OK(lc_cg_forward(cg, 0));
    const float *yv = lc_cg_value(cg, y)->data;
    for (int64_t v = 0; v < n; v++)
        for (int64_t r = 0; r < R; r++)
            for (int64_t i = 0; i < p; i++)
                for (int64_t j = 0; j < c; j++) {
                    double ref = 0;
                    for (int64_t e = 0; e < m; e++) {
                        if (lc_graph_tails(g)[e] != v) continue;
                        double diff = x0->data[(lc_graph_heads(g)[e] * R + r) * c + j];
                        if (form == LC_LCONV_VECTOR_FIELD) diff -= x0->data[(v * R + r) * c + j];
                        ref += w0->data[e * p + i] * diff;
                    }
                    CU_ASSERT_DOUBLE_EQUAL(yv[((v * R + r) * p + i) * c + j], ref, 1e-5);
                }
    gradcheck(cg, 0, 1e-3f, 1e-2f);
    lc_cg_free(&cg);
    lc_graph_free(&g);
    lc_tensor_free(&x0), lc_tensor_free(&w0), lc_tensor_free(&target);
}
static void test_grad_edge_expand_vf(void) { check_edge_expand(LC_LCONV_VECTOR_FIELD, 1); }
static void test_grad_edge_expand_adj(void) { check_edge_expand(LC_LCONV_ADJACENCY, 2); }

static void test_grad_edge_conv_vf(void) { check_edge_conv(LC_LCONV_VECTOR_FIELD, 1); }
static void test_grad_edge_conv_adj(void) { check_edge_conv(LC_LCONV_ADJACENCY, 1); }
static void test_grad_edge_conv_batch(void) { check_edge_conv(LC_LCONV_VECTOR_FIELD, 3); }

/* A vector field annihilates constants: L_i·1 = 0 for any weights. */
static void test_edge_conv_constants(void)
{
    lc_graph_t *g = small_graph();
    lc_tensor_t *z0 = NULL;
    lc_tensor_t *w0 = lc_test_rand_tensor(&rng, 2, (int64_t[]){lc_graph_num_edges(g), 2}, -3, 3, 0);
    LC_ASSERT_OK(lc_tensor_new2(&z0, 6, 2 * 4));
    lc_tensor_fill(z0, 2.5f);
    lc_cgraph_t *cg = NULL;
    lc_node z, w, y, loss;
    LC_ASSERT_OK(lc_cg_new(&cg, 1));
    LC_ASSERT_OK(lc_cg_constant(cg, z0, &z));
    LC_ASSERT_OK(lc_cg_parameter(cg, w0, "w", &w));
    LC_ASSERT_OK(lc_cg_edge_conv(cg, g, z, w, LC_LCONV_VECTOR_FIELD, &y));
    LC_ASSERT_OK(lc_cg_sum(cg, y, &loss));
    LC_ASSERT_OK(lc_cg_compile(cg, loss));
    LC_ASSERT_OK(lc_cg_forward(cg, 0));
    for (int i = 0; i < 6 * 4; i++) CU_ASSERT_DOUBLE_EQUAL(lc_cg_value(cg, y)->data[i], 0.0, 1e-6);
    /* shape errors name both sides */
    lc_node bad;
    LC_ASSERT_STATUS(lc_cg_edge_conv(cg, g, w, w, LC_LCONV_ADJACENCY, &bad), LC_ERR_STATE);
    lc_cg_free(&cg);
    LC_ASSERT_OK(lc_cg_new(&cg, 1));
    LC_ASSERT_OK(lc_cg_constant(cg, z0, &z));
    LC_ASSERT_OK(lc_cg_parameter(cg, z0, "not-w", &w));
    LC_ASSERT_STATUS(lc_cg_edge_conv(cg, g, z, w, LC_LCONV_ADJACENCY, &bad), LC_ERR_SHAPE);
    LC_ASSERT_ERROR_HAS("[E = 9, p]");
    lc_cg_free(&cg);
    lc_graph_free(&g);
    lc_tensor_free(&z0), lc_tensor_free(&w0);
}

/* GCN is the one-generator adjacency case: w = the entries of Â on a graph with self loops. */
static void test_edge_conv_is_gcn(void)
{
    lc_graph_t *g = small_graph(), *gl = NULL;
    LC_ASSERT_OK(lc_graph_from_edges(&gl, 6, lc_graph_num_edges(g), lc_graph_tails(g), lc_graph_heads(g),
                                     NULL, LC_GRAPH_SELF_LOOPS));
    const lc_csr_t *a_hat = NULL;
    LC_ASSERT_OK(lc_graph_gcn_operator(gl, &a_hat));
    CU_ASSERT_EQUAL_FATAL(a_hat->nnz, lc_graph_num_edges(gl));
    lc_tensor_t *w0 = NULL, *x0 = rand2(6, 4);
    LC_ASSERT_OK(lc_tensor_new2(&w0, a_hat->nnz, 1));
    memcpy(w0->data, a_hat->val, (size_t)a_hat->nnz * sizeof(float)); /* same (tail, head) order */
    lc_cgraph_t *cg = NULL;
    lc_node x, w, y1, y2, d, loss;
    LC_ASSERT_OK(lc_cg_new(&cg, 1));
    LC_ASSERT_OK(lc_cg_parameter(cg, x0, "x", &x));
    LC_ASSERT_OK(lc_cg_constant(cg, w0, &w));
    LC_ASSERT_OK(lc_cg_edge_conv(cg, gl, x, w, LC_LCONV_ADJACENCY, &y1));
    LC_ASSERT_OK(lc_cg_spmm(cg, a_hat, x, &y2));
    LC_ASSERT_OK(lc_cg_mse(cg, y1, y2, &d));
    LC_ASSERT_OK(lc_cg_sum(cg, y1, &loss));
    LC_ASSERT_OK(lc_cg_compile(cg, loss));
    LC_ASSERT_OK(lc_cg_forward(cg, 0));
    CU_ASSERT(lc_cg_value(cg, d)->data[0] < 1e-12);
    lc_cg_free(&cg);
    lc_graph_free(&g), lc_graph_free(&gl);
    lc_tensor_free(&w0), lc_tensor_free(&x0);
}

static void test_grad_matmul_t(void)
{
    for (int ta = 0; ta < 2; ta++)
        for (int tb = 0; tb < 2; tb++) {
            lc_cgraph_t *cg = NULL;
            lc_tensor_t *a0 = ta ? rand2(3, 4) : rand2(4, 3), *b0 = tb ? rand2(5, 3) : rand2(3, 5);
            lc_tensor_t *target = NULL;
            lc_node a, b, c;
            LC_ASSERT_OK(lc_cg_new(&cg, 1));
            LC_ASSERT_OK(lc_cg_parameter(cg, a0, "a", &a));
            LC_ASSERT_OK(lc_cg_parameter(cg, b0, "b", &b));
            LC_ASSERT_OK(lc_cg_matmul_t(cg, a, ta, b, tb, &c));
            LC_ASSERT_OK(lc_cg_compile(cg, lc_test_mse_loss(cg, &rng, c, &target)));
            LC_ASSERT_OK(lc_cg_forward(cg, 0));
            for (int i = 0; i < 4; i++)
                for (int j = 0; j < 5; j++) {
                    double s = 0;
                    for (int k = 0; k < 3; k++)
                        s += (double)(ta ? a0->data[k * 4 + i] : a0->data[i * 3 + k]) *
                             (tb ? b0->data[j * 3 + k] : b0->data[k * 5 + j]);
                    CU_ASSERT_DOUBLE_EQUAL(lc_cg_value(cg, c)->data[i * 5 + j], s, 1e-5);
                }
            gradcheck(cg, 0, 1e-3f, 1e-2f);
            lc_cg_free(&cg);
            lc_tensor_free(&a0), lc_tensor_free(&b0), lc_tensor_free(&target);
        }
}

static void binary_check(lc_status (*build)(lc_cgraph_t *, lc_node, lc_node, lc_node *),
                         int64_t r2, int64_t c2, int ndim2)
{
    lc_cgraph_t *cg = NULL;
    lc_tensor_t *a0 = rand2(4, 3);
    lc_tensor_t *b0 = lc_test_rand_tensor(&rng, ndim2, (int64_t[]){r2, c2}, -1, 1, 0);
    lc_tensor_t *target = NULL;
    lc_node a, b, c;
    LC_ASSERT_OK(lc_cg_new(&cg, 1));
    LC_ASSERT_OK(lc_cg_parameter(cg, a0, "a", &a));
    LC_ASSERT_OK(lc_cg_parameter(cg, b0, "b", &b));
    LC_ASSERT_OK(build(cg, a, b, &c));
    LC_ASSERT_OK(lc_cg_compile(cg, lc_test_mse_loss(cg, &rng, c, &target)));
    gradcheck(cg, 0, 1e-3f, 1e-2f);
    lc_cg_free(&cg);
    lc_tensor_free(&a0), lc_tensor_free(&b0), lc_tensor_free(&target);
}

static void test_grad_add(void) { binary_check(lc_cg_add, 4, 3, 2); }
static void test_grad_bias(void) { binary_check(lc_cg_bias, 3, 0, 1); }
static void test_grad_concat(void) { binary_check(lc_cg_concat, 4, 2, 2); }

static void test_grad_mse_sum_mean(void)
{
    for (int which = 0; which < 3; which++) {
        lc_cgraph_t *cg = NULL;
        lc_tensor_t *a0 = rand2(3, 4), *b0 = rand2(3, 4);
        lc_node a, b, loss;
        LC_ASSERT_OK(lc_cg_new(&cg, 1));
        LC_ASSERT_OK(lc_cg_parameter(cg, a0, "a", &a));
        LC_ASSERT_OK(lc_cg_parameter(cg, b0, "b", &b));
        if (which == 0) LC_ASSERT_OK(lc_cg_mse(cg, a, b, &loss));
        if (which == 1) LC_ASSERT_OK(lc_cg_sum(cg, a, &loss));
        if (which == 2) LC_ASSERT_OK(lc_cg_mean(cg, a, &loss));
        if (which) { /* b unused: give it a path so that every parameter is checked */
            lc_node sb, tot;
            LC_ASSERT_OK(lc_cg_sum(cg, b, &sb));
            LC_ASSERT_OK(lc_cg_add(cg, loss, sb, &tot));
            loss = tot;
        }
        LC_ASSERT_OK(lc_cg_compile(cg, loss));
        LC_ASSERT_OK(lc_cg_forward(cg, 0));
        double expect = 0, sb = 0;
        for (int i = 0; i < 12; i++) {
            double d = a0->data[i] - b0->data[i];
            expect += which == 0 ? d * d / 12 : which == 1 ? a0->data[i] : a0->data[i] / 12;
            sb += b0->data[i];
        }
        if (which) expect += sb;
        CU_ASSERT_DOUBLE_EQUAL(lc_cg_value(cg, loss)->data[0], expect, 1e-5);
        gradcheck(cg, 0, 1e-3f, 1e-2f);
        lc_cg_free(&cg);
        lc_tensor_free(&a0), lc_tensor_free(&b0);
    }
}

static void test_grad_cross_entropy(void)
{
    int32_t labels[5] = {0, 2, 1, -1, 2};
    uint8_t mask[5] = {1, 1, 0, 0, 1};
    lc_cgraph_t *cg = NULL;
    lc_tensor_t *x0 = rand2(5, 3);
    lc_node x, logp, loss;
    LC_ASSERT_OK(lc_cg_new(&cg, 1));
    LC_ASSERT_OK(lc_cg_parameter(cg, x0, "x", &x));
    LC_ASSERT_OK(lc_cg_log_softmax(cg, x, &logp));
    LC_ASSERT_OK(lc_cg_cross_entropy(cg, logp, labels, mask, &loss));
    LC_ASSERT_OK(lc_cg_compile(cg, loss));
    LC_ASSERT_OK(lc_cg_forward(cg, 0));
    double expect = 0;
    for (int r = 0; r < 5; r++) {
        double z = 0;
        for (int j = 0; j < 3; j++) z += exp(x0->data[r * 3 + j]);
        const float *lp = lc_cg_value(cg, logp)->data + r * 3;
        CU_ASSERT_DOUBLE_EQUAL(exp(lp[0]) + exp(lp[1]) + exp(lp[2]), 1.0, 1e-5);
        if (mask[r]) expect -= (x0->data[r * 3 + labels[r]] - log(z)) / 3.0;
    }
    CU_ASSERT_DOUBLE_EQUAL(lc_cg_value(cg, loss)->data[0], expect, 1e-5);
    gradcheck(cg, 0, 1e-3f, 1e-2f);
    lc_cg_free(&cg);
    lc_tensor_free(&x0);
}

static void test_dropout_semantics(void)
{
    lc_cgraph_t *cg = NULL;
    lc_tensor_t *x0 = NULL;
    LC_ASSERT_OK(lc_tensor_new2(&x0, 100, 100));
    lc_tensor_fill(x0, 1.0f);
    lc_node x, y, loss;
    LC_ASSERT_OK(lc_cg_new(&cg, 3));
    LC_ASSERT_OK(lc_cg_parameter(cg, x0, "x", &x));
    LC_ASSERT_OK(lc_cg_dropout(cg, x, 0.3f, &y));
    LC_ASSERT_OK(lc_cg_sum(cg, y, &loss));
    LC_ASSERT_OK(lc_cg_compile(cg, loss));
    LC_ASSERT_OK(lc_cg_forward(cg, 0));
    CU_ASSERT_DOUBLE_EQUAL(lc_cg_value(cg, loss)->data[0], 10000.0, 1e-3); /* eval: identity */
    LC_ASSERT_OK(lc_cg_forward(cg, 1));
    const float *v = lc_cg_value(cg, y)->data;
    int zeros = 0;
    for (int i = 0; i < 10000; i++) {
        CU_ASSERT(v[i] == 0.0f || fabsf(v[i] - 1.0f / 0.7f) < 1e-6f);
        zeros += v[i] == 0.0f;
    }
    CU_ASSERT(zeros > 2700 && zeros < 3300); /* ~30% dropped */
    lc_cg_free(&cg);
    lc_tensor_free(&x0);
}

static void test_build_errors(void)
{
    lc_cgraph_t *cg = NULL;
    lc_tensor_t *a0 = rand2(4, 3), *b0 = rand2(4, 3);
    lc_node a, b, c, loss;
    LC_ASSERT_OK(lc_cg_new(&cg, 1));
    LC_ASSERT_OK(lc_cg_parameter(cg, a0, "a", &a));
    LC_ASSERT_OK(lc_cg_parameter(cg, b0, "b", &b));
    LC_ASSERT_STATUS(lc_cg_matmul(cg, a, b, &c), LC_ERR_SHAPE);
    LC_ASSERT_ERROR_HAS("[4, 3] and [4, 3]");
    LC_ASSERT_STATUS(lc_cg_relu(cg, 99, &c), LC_ERR_INVALID_ARG);
    LC_ASSERT_ERROR_HAS("node 99");
    LC_ASSERT_STATUS(lc_cg_dropout(cg, a, 1.0f, &c), LC_ERR_INVALID_ARG);
    int32_t labels[4] = {0, 5, 1, 1};
    uint8_t mask[4] = {1, 1, 0, 0};
    LC_ASSERT_STATUS(lc_cg_cross_entropy(cg, a, labels, mask, &c), LC_ERR_INVALID_ARG);
    LC_ASSERT_ERROR_HAS("row 1");
    LC_ASSERT_STATUS(lc_cg_forward(cg, 0), LC_ERR_STATE);
    LC_ASSERT_STATUS(lc_cg_compile(cg, a), LC_ERR_SHAPE); /* not a scalar */
    LC_ASSERT_OK(lc_cg_sum(cg, a, &loss));
    LC_ASSERT_OK(lc_cg_compile(cg, loss));
    LC_ASSERT_STATUS(lc_cg_add(cg, a, b, &c), LC_ERR_STATE);
    lc_cg_free(&cg);
    lc_cg_free(&cg); /* free of NULL is a no-op */
    lc_tensor_free(&a0), lc_tensor_free(&b0);
}

/* Same seed and thread count → same bits (OpenBLAS may split a GEMM differently
 * for another thread count, so only equal counts are compared). */
static void test_threads_same_bits(void)
{
    static float out[2][300 * 32];
    for (int t = 0; t < 2; t++) {
        lc_set_threads(2);
        lc_rng_seed(&rng, 11);
        lc_tensor_t *x0 = rand2(64, 300), *w0 = rand2(300, 32), *target = NULL;
        lc_cgraph_t *cg = NULL;
        lc_node x, w, y, z;
        LC_ASSERT_OK(lc_cg_new(&cg, 5));
        LC_ASSERT_OK(lc_cg_parameter(cg, x0, "x", &x));
        LC_ASSERT_OK(lc_cg_parameter(cg, w0, "w", &w));
        LC_ASSERT_OK(lc_cg_matmul(cg, x, w, &y));
        LC_ASSERT_OK(lc_cg_dropout(cg, y, 0.5f, &z));
        LC_ASSERT_OK(lc_cg_compile(cg, lc_test_mse_loss(cg, &rng, z, &target)));
        LC_ASSERT_OK(lc_cg_forward(cg, 1));
        LC_ASSERT_OK(lc_cg_backward(cg));
        memcpy(out[t], lc_cg_grad(cg, w)->data, sizeof out[t]);
        lc_cg_free(&cg);
        lc_tensor_free(&x0), lc_tensor_free(&w0), lc_tensor_free(&target);
    }
    lc_set_threads(1);
    CU_ASSERT_EQUAL(memcmp(out[0], out[1], sizeof out[0]), 0);
}

int main(void)
{
    lc_rng_seed(&rng, 2024);
    static const lc_test_case cases[] = {
        {"grad matmul", test_grad_matmul},       {"grad spmm 3-D", test_grad_spmm_3d},
        {"grad spmm dropout", test_grad_spmm_dropout}, {"grad add", test_grad_add},
        {"grad edge_conv vector field", test_grad_edge_conv_vf},
        {"grad edge_conv adjacency", test_grad_edge_conv_adj},
        {"grad edge_conv batch", test_grad_edge_conv_batch},
        {"grad edge_expand vector field", test_grad_edge_expand_vf},
        {"grad edge_expand adjacency batch", test_grad_edge_expand_adj},
        {"edge_conv annihilates constants", test_edge_conv_constants},
        {"edge_conv with GCN weights = GCN", test_edge_conv_is_gcn},
        {"grad matmul transposes", test_grad_matmul_t},             {"grad bias", test_grad_bias},
        {"grad concat", test_grad_concat},       {"grad relu", test_grad_relu},
        {"grad leaky_relu", test_grad_leaky_relu}, {"grad elu", test_grad_elu},
        {"grad tanh", test_grad_tanh},           {"grad sigmoid", test_grad_sigmoid},
        {"grad scale", test_grad_scale},         {"grad dropout", test_grad_dropout},
        {"grad log_softmax", test_grad_log_softmax},
        {"grad cross_entropy", test_grad_cross_entropy},
        {"grad mse sum mean", test_grad_mse_sum_mean},
        {"dropout semantics", test_dropout_semantics},
        {"build errors", test_build_errors},     {"threads same bits", test_threads_same_bits},
        {NULL, NULL}};
    return lc_test_main("ops", cases);
}
