/* test_cuda.c — the CUDA backend against the CPU backend: every op forward and backward, the optimizer, Cora end to end; exit 77 without a GPU. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "cgraph.h"
#include "harness.h"

/* ---------- twins: the same graph built twice, run on the CPU and on the GPU ---------- */

/* Builds one graph from its inputs (constants and parameters drawn from a
 * fixed seed, so both twins see the same numbers); returns the loss node. */
typedef lc_node (*builder)(lc_cgraph_t *cg, lc_rng_t *rng, void *ctx);

/* Inputs a builder made, freed after both graphs. */
#define MAX_KEEP 16
static lc_tensor_t *keep[MAX_KEEP];
static int n_keep;
static lc_tensor_t *kept(lc_tensor_t *t)
{
    CU_ASSERT_FATAL(t != NULL && n_keep < MAX_KEEP);
    return keep[n_keep++] = t;
}
static void free_kept(void)
{
    while (n_keep) lc_tensor_free(&keep[--n_keep]);
}

static lc_tensor_t *rand_t(lc_rng_t *rng, int ndim, const int64_t *shape)
{
    return kept(lc_test_rand_tensor(rng, ndim, shape, -1, 1, 0.05f));
}
static lc_node param(lc_cgraph_t *cg, lc_rng_t *rng, int ndim, const int64_t *shape)
{
    lc_node n = -1;
    LC_ASSERT_OK(lc_cg_parameter(cg, rand_t(rng, ndim, shape), "p", &n));
    return n;
}
static lc_node constant(lc_cgraph_t *cg, lc_rng_t *rng, int ndim, const int64_t *shape)
{
    lc_node n = -1;
    LC_ASSERT_OK(lc_cg_constant(cg, rand_t(rng, ndim, shape), &n));
    return n;
}
/* mse against a random constant target: any node becomes a scalar loss */
static lc_node mse_loss(lc_cgraph_t *cg, lc_rng_t *rng, lc_node y)
{
    lc_node t = constant(cg, rng, cg->nodes[y].ndim, cg->nodes[y].shape), loss = -1;
    LC_ASSERT_OK(lc_cg_mse(cg, y, t, &loss));
    return loss;
}

/* max |a − b| / max |a| over a tensor (0 when both are all zeros) */
static double rel_err(const lc_tensor_t *a, const lc_tensor_t *b)
{
    double diff = 0, mag = 0;
    for (int64_t i = 0; i < a->numel; i++) {
        diff = fmax(diff, fabs((double)a->data[i] - b->data[i]));
        mag = fmax(mag, fabs((double)a->data[i]));
    }
    return mag > 0 ? diff / mag : diff;
}

/* Build three times, run forward (eval mode) and backward on the CPU, on the
 * GPU keeping every buffer, and on the GPU under its memory plan; compare
 * every node's value and gradient (kept) and the loss and parameter
 * gradients (planned): element-wise ops within 1e-5, those that reduce
 * (GEMM, SpMM, edge ops, pooling, losses) within 1e-4. */
static void check_twins(const char *what, builder build, void *ctx)
{
    lc_cgraph_t *cg[3] = {NULL, NULL, NULL};
    lc_node loss[3];
    for (int k = 0; k < 3; k++) {
        lc_rng_t rng;
        lc_rng_seed(&rng, 1234);
        LC_ASSERT_OK(lc_cg_new(&cg[k], 5));
        loss[k] = build(cg[k], &rng, ctx);
        LC_ASSERT_OK(lc_cg_compile(cg[k], loss[k]));
    }
    LC_ASSERT_OK(lc_cg_keep_buffers(cg[1], 1));
    LC_ASSERT_OK(lc_cg_to(cg[1], LC_DEVICE_CUDA));
    LC_ASSERT_OK(lc_cg_to(cg[2], LC_DEVICE_CUDA));
    CU_ASSERT_EQUAL(lc_cg_device(cg[1]), LC_DEVICE_CUDA);
    for (int k = 0; k < 3; k++) {
        LC_ASSERT_OK(lc_cg_forward(cg[k], 0));
        LC_ASSERT_OK(lc_cg_backward(cg[k]));
    }
    const double planned_loss = rel_err(lc_cg_value(cg[0], loss[0]), lc_cg_value(cg[2], loss[2]));
    if (planned_loss > 1e-4) fprintf(stderr, "\n  %s: planned loss differs by %.3g\n", what, planned_loss);
    CU_ASSERT(planned_loss <= 1e-4);
    for (int i = 0; i < lc_cg_num_params(cg[0]); i++) {
        const lc_node p = lc_cg_param_node(cg[0], i);
        const lc_tensor_t *g0 = lc_cg_grad(cg[0], p), *g2 = lc_cg_grad(cg[2], p);
        if (!g0) continue;
        const double e = rel_err(g0, g2);
        if (e > 1e-4) fprintf(stderr, "\n  %s: planned gradient %d differs by %.3g\n", what, i, e);
        CU_ASSERT(e <= 1e-4);
    }
    for (int i = 0; i < cg[0]->n_nodes; i++) {
        const lc_i_op op = cg[0]->nodes[i].op;
        const bool reduces = op == LC_OP_MATMUL || op == LC_OP_SPMM || op == LC_OP_EDGE_CONV ||
                             op == LC_OP_POOL || op == LC_OP_MSE || op == LC_OP_SUM ||
                             op == LC_OP_MEAN || op == LC_OP_CROSS_ENTROPY ||
                             op == LC_OP_LOG_SOFTMAX || op == LC_OP_LOWRANK;
        /* a gradient sums over the consumers of a node: judge it as a reduction */
        const double tol_value = reduces ? 1e-4 : 1e-5, tol_grad = 1e-4;
        const lc_tensor_t *v0 = lc_cg_value(cg[0], i), *v1 = lc_cg_value(cg[1], i);
        CU_ASSERT_FATAL(v0 && v1);
        double e = rel_err(v0, v1);
        if (e > tol_value)
            fprintf(stderr, "\n  %s: value of node %d (%s) differs by %.3g\n", what, i,
                    lc_i_op_names[op], e);
        CU_ASSERT(e <= tol_value);
        const lc_tensor_t *g0 = lc_cg_grad(cg[0], i), *g1 = lc_cg_grad(cg[1], i);
        if (!g0) continue;
        CU_ASSERT_FATAL(g1 != NULL);
        e = rel_err(g0, g1);
        if (e > tol_grad)
            fprintf(stderr, "\n  %s: gradient of node %d (%s) differs by %.3g\n", what, i,
                    lc_i_op_names[op], e);
        CU_ASSERT(e <= tol_grad);
    }
    for (int k = 0; k < 3; k++) lc_cg_free(&cg[k]);
    free_kept();
}

/* ---------- the ops ---------- */

typedef lc_status (*unary_op)(lc_cgraph_t *, lc_node, lc_node *);
static lc_status leaky(lc_cgraph_t *cg, lc_node x, lc_node *y) { return lc_cg_leaky_relu(cg, x, 0.1f, y); }
static lc_status elu(lc_cgraph_t *cg, lc_node x, lc_node *y) { return lc_cg_elu(cg, x, 1.0f, y); }
static lc_status scale(lc_cgraph_t *cg, lc_node x, lc_node *y) { return lc_cg_scale(cg, x, -2.5f, y); }
static lc_status drop(lc_cgraph_t *cg, lc_node x, lc_node *y) { return lc_cg_dropout(cg, x, 0.4f, y); }

static lc_node build_unary(lc_cgraph_t *cg, lc_rng_t *rng, void *ctx)
{
    lc_node x = param(cg, rng, 2, (int64_t[]){37, 19}), y = -1;
    LC_ASSERT_OK(((unary_op)ctx)(cg, x, &y));
    return mse_loss(cg, rng, y);
}
static void test_unary(void)
{
    const struct { const char *name; unary_op op; } ops[] = {
        {"relu", lc_cg_relu}, {"leaky_relu", leaky}, {"elu", elu}, {"tanh", lc_cg_tanh},
        {"sigmoid", lc_cg_sigmoid}, {"scale", scale}, {"dropout (eval)", drop},
        {"log_softmax", lc_cg_log_softmax}};
    for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++) check_twins(ops[k].name, build_unary, (void *)ops[k].op);
}

/* add, mul (x ∘ x too), bias, concat, reshape, flatten, sum and mean in one graph */
static lc_node build_shapes(lc_cgraph_t *cg, lc_rng_t *rng, void *ctx)
{
    (void)ctx;
    lc_node a = param(cg, rng, 2, (int64_t[]){30, 8}), b = param(cg, rng, 2, (int64_t[]){30, 8});
    lc_node bias = param(cg, rng, 1, (int64_t[]){8}), s, m, mm, bi, cat, r, f, t, u, l1, l2, l3;
    LC_ASSERT_OK(lc_cg_add(cg, a, b, &s));
    LC_ASSERT_OK(lc_cg_mul(cg, s, b, &m));
    LC_ASSERT_OK(lc_cg_mul(cg, m, m, &mm));
    LC_ASSERT_OK(lc_cg_bias(cg, mm, bias, &bi));
    LC_ASSERT_OK(lc_cg_concat(cg, bi, a, &cat));                                /* [30, 16] */
    LC_ASSERT_OK(lc_cg_reshape(cg, cat, 3, (int64_t[]){10, 3, 16}, &r));          /* [n, B, c] */
    LC_ASSERT_OK(lc_cg_flatten(cg, r, &f));                                     /* [3, 160] */
    LC_ASSERT_OK(lc_cg_tanh(cg, f, &t));
    LC_ASSERT_OK(lc_cg_sum(cg, t, &u));
    LC_ASSERT_OK(lc_cg_mean(cg, mm, &l1));
    LC_ASSERT_OK(lc_cg_add(cg, u, l1, &l2));
    lc_node loss = mse_loss(cg, rng, t);
    LC_ASSERT_OK(lc_cg_add(cg, loss, l2, &l3));
    return l3;
}
/* Sums past one grid of the reductions' first pass (512 blocks of 256):
 * 300 000 entries, summed, averaged and in an MSE */
static lc_node build_big_sums(lc_cgraph_t *cg, lc_rng_t *rng, void *ctx)
{
    (void)ctx;
    lc_node x = param(cg, rng, 2, (int64_t[]){600, 500}), s, m, l1, l2;
    LC_ASSERT_OK(lc_cg_sum(cg, x, &s));
    LC_ASSERT_OK(lc_cg_mean(cg, x, &m));
    LC_ASSERT_OK(lc_cg_add(cg, s, m, &l1));
    LC_ASSERT_OK(lc_cg_add(cg, l1, mse_loss(cg, rng, x), &l2));
    return l2;
}
static void test_shapes_and_sums(void)
{
    check_twins("add/mul/bias/concat/reshape/flatten/sum", build_shapes, NULL);
    check_twins("sum, mean and mse of 300 000 entries", build_big_sums, NULL);
}

static lc_node build_matmul(lc_cgraph_t *cg, lc_rng_t *rng, void *ctx)
{
    const int flags = (int)(intptr_t)ctx, ta = flags & 1, tb = flags >> 1;
    lc_node a = param(cg, rng, 2, ta ? (int64_t[]){13, 21} : (int64_t[]){21, 13});
    lc_node b = param(cg, rng, 2, tb ? (int64_t[]){9, 13} : (int64_t[]){13, 9}), c = -1;
    LC_ASSERT_OK(lc_cg_matmul_t(cg, a, ta, b, tb, &c));
    return mse_loss(cg, rng, c);
}
static void test_matmul(void)
{
    for (intptr_t f = 0; f < 4; f++) check_twins("matmul", build_matmul, (void *)f);
}

/* S random 50 × 40 (a few empty rows), X a parameter: SpMM and its dropout form in eval mode */
static lc_csr_t *spmm_s;
static lc_node build_spmm(lc_cgraph_t *cg, lc_rng_t *rng, void *ctx)
{
    lc_node x = param(cg, rng, 2, (int64_t[]){40, 7}), y = -1;
    if (ctx) LC_ASSERT_OK(lc_cg_spmm_dropout(cg, spmm_s, x, 0.3f, &y));
    else LC_ASSERT_OK(lc_cg_spmm(cg, spmm_s, x, &y));
    return mse_loss(cg, rng, y);
}
static void test_spmm(void)
{
    lc_rng_t rng;
    lc_rng_seed(&rng, 9);
    int64_t rows[300], cols[300];
    float vals[300];
    for (int k = 0; k < 300; k++) {
        rows[k] = lc_rng_next(&rng) % 45; /* rows 45..49 stay empty */
        cols[k] = lc_rng_next(&rng) % 40;
        vals[k] = lc_rng_uniform(&rng) - 0.5f;
    }
    LC_ASSERT_OK(lc_csr_from_coo(&spmm_s, 50, 40, 300, rows, cols, vals));
    check_twins("spmm", build_spmm, NULL);
    check_twins("spmm_dropout (eval)", build_spmm, (void *)1);
    /* each SpMM with a work buffer cusparseSpMM_preprocess prepared (opt-in) */
    setenv("LCONV_SPMM_PREPROCESS", "1", 1);
    check_twins("spmm, preprocessed", build_spmm, NULL);
    unsetenv("LCONV_SPMM_PREPROCESS");
    lc_csr_free(&spmm_s);
}

/* The edge-weighted generators: sum and expand, both forms, a batch dimension R = 3 */
static lc_graph_t *edge_g;
static lc_node build_edge(lc_cgraph_t *cg, lc_rng_t *rng, void *ctx)
{
    const int flags = (int)(intptr_t)ctx, expand = flags & 1;
    const lc_lconv_form form = (flags & 2) ? LC_LCONV_VECTOR_FIELD : LC_LCONV_ADJACENCY;
    const int64_t n = lc_graph_num_nodes(edge_g), m = lc_graph_num_edges(edge_g), p = 3, f = 5;
    lc_node z = param(cg, rng, 3, (int64_t[]){n, 3, expand ? f : p * f});
    lc_node w = param(cg, rng, 2, (int64_t[]){m, p}), y = -1;
    if (expand) LC_ASSERT_OK(lc_cg_edge_expand(cg, edge_g, z, w, form, &y));
    else LC_ASSERT_OK(lc_cg_edge_conv(cg, edge_g, z, w, form, &y));
    return mse_loss(cg, rng, y);
}
static void test_edge_conv(void)
{
    LC_ASSERT_OK(lc_graph_erdos_renyi(&edge_g, 40, 90, 3, 0));
    for (intptr_t f = 0; f < 4; f++) check_twins("edge_conv", build_edge, (void *)f);
    lc_graph_free(&edge_g);
}

/* Low-rank generators U_i·V_iᵀ: sum and expand, a batch dimension R = 3 (the
 * slices the GPU batches) and R = 1 */
static lc_node build_lowrank(lc_cgraph_t *cg, lc_rng_t *rng, void *ctx)
{
    const int flags = (int)(intptr_t)ctx, expand = flags & 1;
    const int64_t n = 30, p = 3, r = 2, f = 4, R = (flags & 2) ? 3 : 1;
    /* flags 4: z a constant (no dZ); 8: U and V constants (no dU, dV) */
    lc_node (*uv_node)(lc_cgraph_t *, lc_rng_t *, int, const int64_t *) =
        (flags & 8) ? constant : param;
    lc_node u = uv_node(cg, rng, 2, (int64_t[]){n, p * r}),
            v = uv_node(cg, rng, 2, (int64_t[]){n, p * r});
    lc_node z = ((flags & 4) ? constant : param)(cg, rng, 3, (int64_t[]){n, R, expand ? f : p * f}),
            y = -1;
    if (expand)
        LC_ASSERT_OK(lc_cg_lowrank_expand(cg, u, v, z, (int)p, &y));
    else
        LC_ASSERT_OK(lc_cg_lowrank(cg, u, v, z, (int)p, &y));
    return mse_loss(cg, rng, y);
}
static void test_lowrank(void)
{
    for (intptr_t f = 0; f < 4; f++)
        check_twins("lowrank", build_lowrank, (void *)f);
    for (intptr_t f = 4; f < 12; f += 4) { /* one side without gradients, both forms, R = 3 */
        check_twins("lowrank, a constant side", build_lowrank, (void *)(f | 2));
        check_twins("lowrank_expand, a constant side", build_lowrank, (void *)(f | 3));
    }
}

/* Implicit diffusion (CHOLMOD's solves, run on the host for a device graph)
 * on an icosphere of 42 vertices, 5 columns */
static lc_diffusion_t *diffusion_op;
static lc_node build_diffusion(lc_cgraph_t *cg, lc_rng_t *rng, void *ctx)
{
    (void)ctx;
    /* h feeds the diffusion and an add: its gradient gets the add's share
     * first, and the diffusion's backward must add to it (a planned graph
     * zeroes it just before its first writer) */
    lc_node x = param(cg, rng, 2, (int64_t[]){lc_diffusion_size(diffusion_op), 5}), h, y, o;
    LC_ASSERT_OK(lc_cg_scale(cg, x, 1.5f, &h));
    LC_ASSERT_OK(lc_cg_diffusion(cg, diffusion_op, h, &y));
    LC_ASSERT_OK(lc_cg_add(cg, y, h, &o));
    return mse_loss(cg, rng, o);
}
static void test_diffusion(void)
{
    lc_mesh_t *mesh = NULL;
    lc_csr_t *l = NULL;
    LC_ASSERT_OK(lc_mesh_icosphere(&mesh, 1));
    float *mass = malloc((size_t)lc_mesh_num_vertices(mesh) * sizeof *mass);
    CU_ASSERT_FATAL(mass != NULL);
    LC_ASSERT_OK(lc_mesh_laplacian(mesh, &l, mass));
    LC_ASSERT_OK(lc_diffusion_new(&diffusion_op, l, mass, 0.1));
    check_twins("diffusion", build_diffusion, NULL);
    lc_diffusion_free(&diffusion_op);
    lc_csr_free(&l);
    lc_mesh_free(&mesh);
    free(mass);
}

/* Pooling per graph: 4 graphs over 25 nodes, graph 2 empty */
static int32_t pool_of[25];
static lc_node build_pool(lc_cgraph_t *cg, lc_rng_t *rng, void *ctx)
{
    lc_node x = param(cg, rng, 2, (int64_t[]){25, 6}), y = -1;
    LC_ASSERT_OK(lc_cg_pool(cg, x, (lc_pool_kind)(intptr_t)ctx, pool_of, 4, &y));
    return mse_loss(cg, rng, y);
}
static void test_pool(void)
{
    for (int k = 0; k < 25; k++) pool_of[k] = (int32_t)((k * 7) % 4 == 2 ? 3 : (k * 7) % 4);
    for (intptr_t kind = LC_POOL_SUM; kind <= LC_POOL_MAX; kind++)
        check_twins("pool", build_pool, (void *)kind);
}

/* log-softmax + cross-entropy with masked rows and an unlabelled one */
static int32_t ce_labels[40];
static uint8_t ce_mask[40];
static lc_node build_ce(lc_cgraph_t *cg, lc_rng_t *rng, void *ctx)
{
    (void)ctx;
    lc_node x = param(cg, rng, 2, (int64_t[]){40, 6}), lp, loss;
    LC_ASSERT_OK(lc_cg_log_softmax(cg, x, &lp));
    /* The build refuses a masked row without a valid label; the passes skip
     * one (labels may change after the build): label rows 13, 20 and 34 for
     * the build only. */
    ce_labels[13] = ce_labels[20] = ce_labels[34] = 1;
    LC_ASSERT_OK(lc_cg_cross_entropy(cg, lp, ce_labels, ce_mask, &loss));
    ce_labels[13] = ce_labels[20] = ce_labels[34] = -1;
    return loss;
}
static void test_cross_entropy(void)
{
    for (int r = 0; r < 40; r++) ce_labels[r] = r % 7 == 6 ? -1 : r % 6, ce_mask[r] = r % 3 != 0;
    ce_mask[6] = 0;
    check_twins("cross_entropy", build_ce, NULL);
}

/* ---------- a device graph's own behaviour ---------- */

/* Dropout in training mode: a fresh mask each pass (p of the elements zeroed,
 * the rest scaled by 1/(1−p)), the same masks for the same seed, and the
 * gradient through exactly that mask. */
static void test_dropout_training(void)
{
    lc_rng_t rng;
    lc_rng_seed(&rng, 3);
    lc_cgraph_t *cg = NULL;
    LC_ASSERT_OK(lc_cg_new(&cg, 11));
    lc_node x = param(cg, &rng, 2, (int64_t[]){200, 50}), y, s;
    LC_ASSERT_OK(lc_cg_dropout(cg, x, 0.25f, &y));
    LC_ASSERT_OK(lc_cg_sum(cg, y, &s));
    LC_ASSERT_OK(lc_cg_compile(cg, s));
    LC_ASSERT_OK(lc_cg_keep_buffers(cg, 1)); /* y is read after the passes */
    LC_ASSERT_OK(lc_cg_to(cg, LC_DEVICE_CUDA));
    float *first = malloc(10000 * sizeof *first);
    for (int pass = 0; pass < 3; pass++) {
        lc_cg_seed(cg, pass == 2 ? 11 : 11 + (uint64_t)pass); /* pass 2 repeats pass 0's seed */
        LC_ASSERT_OK(lc_cg_forward(cg, 1));
        LC_ASSERT_OK(lc_cg_backward(cg));
        const float *xv = lc_cg_value(cg, x)->data, *yv = lc_cg_value(cg, y)->data;
        const float *dx = lc_cg_grad(cg, x)->data;
        int64_t zeros = 0, same = 0;
        for (int64_t i = 0; i < 10000; i++) {
            const bool dropped = yv[i] == 0.0f;
            zeros += dropped;
            CU_ASSERT(dropped ? dx[i] == 0.0f : fabsf(yv[i] - xv[i] / 0.75f) <= 1e-6f * fabsf(yv[i]));
            CU_ASSERT(dropped || fabsf(dx[i] - 1.0f / 0.75f) <= 1e-6f);
            if (pass) same += yv[i] == first[i];
        }
        CU_ASSERT(zeros > 2200 && zeros < 2800); /* 2500 expected, sd ≈ 43 */
        if (pass == 0) memcpy(first, yv, 10000 * sizeof *first);
        if (pass == 1) CU_ASSERT(same < 9000); /* another seed, another mask */
        if (pass == 2) CU_ASSERT_EQUAL(same, 10000);
    }
    free(first);
    lc_cg_free(&cg);
    free_kept();
}

/* s = sum(2·x), x a [rows, cols] parameter, compiled and moved to the GPU:
 * every gradient is 2. */
static lc_cgraph_t *doubled_sum_on_device(int64_t rows, int64_t cols, lc_node *s)
{
    lc_rng_t rng;
    lc_rng_seed(&rng, 4);
    lc_cgraph_t *cg = NULL;
    LC_ASSERT_OK(lc_cg_new(&cg, 1));
    lc_node x = param(cg, &rng, 2, (int64_t[]){rows, cols}), y;
    LC_ASSERT_OK(lc_cg_scale(cg, x, 2.0f, &y));
    LC_ASSERT_OK(lc_cg_sum(cg, y, s));
    LC_ASSERT_OK(lc_cg_compile(cg, *s));
    LC_ASSERT_OK(lc_cg_to(cg, LC_DEVICE_CUDA));
    return cg;
}

/* Parameters written on the host after the move go up before the next pass;
 * back on the CPU the graph has the device's parameters. */
static void test_param_roundtrip(void)
{
    lc_node s;
    lc_cgraph_t *cg = doubled_sum_on_device(6, 4, &s);
    lc_tensor_fill(lc_cg_param_tensor(cg, 0), 0.5f);
    LC_ASSERT_OK(lc_cg_forward(cg, 0));
    CU_ASSERT_DOUBLE_EQUAL(lc_cg_value(cg, s)->data[0], 24.0, 1e-5);
    lc_optim_config oc = lc_optim_defaults(LC_OPTIM_SGD);
    oc.lr = 0.25f;
    oc.momentum = 0.9f;
    lc_optim_t *opt = NULL;
    LC_ASSERT_OK(lc_optim_new(&opt, &oc, cg));
    LC_ASSERT_OK(lc_cg_backward(cg));
    LC_ASSERT_OK(lc_optim_step(opt)); /* x = 0.5 − 0.25·2 = 0 */
    LC_ASSERT_OK(lc_cg_to(cg, LC_DEVICE_CPU));
    CU_ASSERT_EQUAL(lc_cg_device(cg), LC_DEVICE_CPU);
    const lc_tensor_t *w = lc_cg_param_tensor(cg, 0);
    for (int64_t i = 0; i < w->numel; i++) CU_ASSERT_DOUBLE_EQUAL(w->data[i], 0.0, 1e-7);
    LC_ASSERT_OK(lc_cg_forward(cg, 0)); /* and the CPU runs it again */
    /* the gradients (2) and the momentum (2) came home: m = 0.9·2 + 2, x = 0 − 0.25·3.8
     * (without the momentum x would be −0.5) */
    LC_ASSERT_OK(lc_optim_step(opt));
    w = lc_cg_param_tensor(cg, 0);
    for (int64_t i = 0; i < w->numel; i++) CU_ASSERT_DOUBLE_EQUAL(w->data[i], -0.95, 1e-6);
    lc_optim_free(&opt);
    lc_cg_free(&cg);
    free_kept();
}

/* A parameter the host writes between the backward pass and the optimizer
 * step goes up before the step (lc_optim_step's begin_forward, which runs only
 * then), and the step applies to it. */
static void test_host_write_before_step(void)
{
    lc_node s;
    lc_cgraph_t *cg = doubled_sum_on_device(3, 5, &s);
    lc_optim_config oc = lc_optim_defaults(LC_OPTIM_SGD);
    oc.lr = 0.25f;
    lc_optim_t *opt = NULL;
    LC_ASSERT_OK(lc_optim_new(&opt, &oc, cg));
    for (int step = 0; step < 2; step++) {
        LC_ASSERT_OK(lc_cg_forward(cg, 1));
        LC_ASSERT_OK(lc_cg_backward(cg));
        if (step == 1) lc_tensor_fill(lc_cg_param_tensor(cg, 0), 1.0f);
        LC_ASSERT_OK(lc_optim_step(opt)); /* x −= 0.25·2 */
    }
    const lc_tensor_t *w = lc_cg_param_tensor(cg, 0); /* 1 − 0.5, not the device's old x − 1 */
    for (int64_t i = 0; i < w->numel; i++) CU_ASSERT_DOUBLE_EQUAL(w->data[i], 0.5, 1e-7);
    lc_optim_free(&opt);
    lc_cg_free(&cg);
    free_kept();
}

/* The GPU's kNN graph is the CPU's, edge for edge: random points, duplicates
 * and a lattice (ties at the k-th distance everywhere). */
static void check_knn_same(int64_t n, int dim, const float *pts, int k, int flags)
{
    lc_graph_t *a = NULL, *b = NULL;
    LC_ASSERT_OK(lc_graph_knn(&a, n, dim, pts, k, flags));
    LC_ASSERT_OK(lc_graph_knn_device(&b, LC_DEVICE_CUDA, n, dim, pts, k, flags));
    lc_test_assert_same_graph(a, b, "kNN on the GPU");
    lc_graph_free(&a);
    lc_graph_free(&b);
}
static void test_knn_device(void)
{
    lc_rng_t rng;
    lc_rng_seed(&rng, 8);
    enum { N = 3000 };
    float *pts = malloc(N * 3 * sizeof *pts);
    CU_ASSERT_FATAL(pts != NULL);
    for (int i = 0; i < N * 3; i++) pts[i] = lc_rng_uniform(&rng) * 10 - 5;
    for (int i = 0; i < 200; i++) /* duplicates */
        memcpy(pts + 3 * (N - 1 - i), pts + 3 * i, 3 * sizeof *pts);
    check_knn_same(N, 3, pts, 16, 0);
    check_knn_same(N, 3, pts, 5, LC_GRAPH_SYMMETRIZE);
    for (int i = 0; i < 20 * 20 * 5; i++) /* a 20 × 20 × 5 lattice: ties at every cut */
        pts[3 * i] = (float)(i % 20), pts[3 * i + 1] = (float)(i / 20 % 20), pts[3 * i + 2] = (float)(i / 400);
    check_knn_same(2000, 3, pts, 7, 0);
    check_knn_same(2000, 2, pts, 4, 0);
    free(pts);
}

/* ---------- models end to end ---------- */

static lc_dataset_t *cora(void)
{
    const char *dir = lc_test_data("planetoid/cora.labels.txt");
    if (!dir) return NULL;
    lc_dataset_t *ds = NULL;
    char spec[4096];
    snprintf(spec, sizeof spec, "planetoid:%.*s", (int)(strlen(dir) - strlen(".labels.txt")), dir);
    LC_ASSERT_OK(lc_dataset_load(&ds, spec, NULL));
    return ds;
}

/* The same spec and seed trained on each backend: the same losses and
 * parameters within float tolerance (dropout off, whose masks differ). */
static void train_both(const char *spec, int epochs, double tol)
{
    lc_dataset_t *ds = cora();
    if (!ds) {
        lc_test_skip("../shared/data/planetoid absent");
        return;
    }
    lc_model_t *m[2] = {NULL, NULL};
    lc_train_result res[2];
    lc_train_config cfg = lc_train_defaults();
    cfg.epochs = epochs;
    cfg.dropout = 0;
    cfg.patience = 0;
    for (int k = 0; k < 2; k++) {
        LC_ASSERT_OK(lc_model_from_spec(&m[k], spec));
        if (k) LC_ASSERT_OK(lc_model_to(m[k], LC_DEVICE_CUDA));
        LC_ASSERT_OK(lc_model_train(m[k], ds, &cfg, &res[k]));
    }
    CU_ASSERT_EQUAL(lc_cg_device(lc_model_graph(m[1])), LC_DEVICE_CUDA);
    for (int j = 0; j < 3; j++) {
        const double a = res[0].final.loss[j], b = res[1].final.loss[j];
        if (fabs(a - b) > tol * fabs(a))
            fprintf(stderr, "\n  %s: final loss %d: cpu %.7g, cuda %.7g\n", spec, j, a, b);
        CU_ASSERT(fabs(a - b) <= tol * fabs(a));
    }
    lc_cgraph_t *g0 = lc_model_graph(m[0]), *g1 = lc_model_graph(m[1]);
    for (int i = 0; i < lc_cg_num_params(g0); i++) {
        const double e = rel_err(lc_cg_param_tensor(g0, i), lc_cg_param_tensor(g1, i));
        if (e > 10 * tol) fprintf(stderr, "\n  %s: parameter %d differs by %.3g\n", spec, i, e);
        CU_ASSERT(e <= 10 * tol);
    }
    printf("\n  %s, %d epochs: test accuracy cpu %.4f, cuda %.4f ", spec, epochs,
           res[0].final.accuracy[2], res[1].final.accuracy[2]);
    lc_model_free(&m[0]);
    lc_model_free(&m[1]);
    lc_dataset_free(&ds);
}
static void test_cora_gcn(void) { train_both("gcn:16,relu,dropout:0.5,gcn", 20, 1e-3); }
static void test_cora_lconv(void) { train_both("lconv:16:p=4:form=adj,relu,lconv", 10, 1e-3); }

/* Same seed, same bits on the GPU, dropout on. */
static void test_deterministic(void)
{
    lc_dataset_t *ds = cora();
    if (!ds) {
        lc_test_skip("../shared/data/planetoid absent");
        return;
    }
    float loss[2];
    lc_tensor_t *w[2] = {NULL, NULL};
    for (int k = 0; k < 2; k++) {
        lc_model_t *m = NULL;
        lc_train_result res;
        lc_train_config cfg = lc_train_defaults();
        cfg.epochs = 30;
        LC_ASSERT_OK(lc_model_from_spec(&m, "gcn:16,relu,dropout:0.5,gcn"));
        LC_ASSERT_OK(lc_model_to(m, LC_DEVICE_CUDA));
        LC_ASSERT_OK(lc_model_train(m, ds, &cfg, &res));
        loss[k] = res.final.loss[0];
        lc_cgraph_t *cg = lc_model_graph(m);
        if (k == 0 && cg->backend->describe && !getenv("LCONV_SPMM_ALG")) {
            /* by default every SpMM runs cuSPARSE's CSR_ALG3, the bit-reproducible one: a
             * fallback (it could not take the operands) gives up the guarantee, said here */
            char what[160];
            cg->backend->describe(cg, what, sizeof what);
            printf("# device_choice: %s\n", what);
            CU_ASSERT_PTR_NULL(strstr(what, "CSR_ALG2"));
            CU_ASSERT_PTR_NULL(strstr(what, "ALG_DEFAULT"));
        }
        const lc_tensor_t *p = lc_cg_param_tensor(cg, 0);
        LC_ASSERT_OK(lc_tensor_new(&w[k], p->ndim, p->shape));
        LC_ASSERT_OK(lc_tensor_copy(w[k], p));
        lc_model_free(&m);
    }
    CU_ASSERT_EQUAL(memcmp(&loss[0], &loss[1], sizeof loss[0]), 0);
    CU_ASSERT_EQUAL(memcmp(w[0]->data, w[1]->data, (size_t)w[0]->numel * sizeof(float)), 0);
    lc_tensor_free(&w[0]);
    lc_tensor_free(&w[1]);
    lc_dataset_free(&ds);
}

int main(void)
{
    /* skipped where there is no GPU; a GPU that cannot be used is a failure */
    const lc_status available = lc_device_available(LC_DEVICE_CUDA);
    if (available == LC_ERR_UNSUPPORTED) {
        printf("cuda: skipped: %s\n", lc_last_error());
        printf("cuda: 0 passed, 0 failed, 1 skipped\n");
        return 77;
    }
    if (available != LC_OK) {
        printf("cuda: FAIL: a GPU is here but cannot be used: %s\n", lc_last_error());
        printf("cuda: 0 passed, 1 failed, 0 skipped\n");
        return 1;
    }
    const lc_test_case cases[] = {
        {"unary ops against the CPU", test_unary},
        {"add, mul, bias, concat, reshape, flatten, sums", test_shapes_and_sums},
        {"matmul, every transpose", test_matmul},
        {"spmm and spmm_dropout", test_spmm},
        {"edge_conv and edge_expand, both forms", test_edge_conv},
        {"lowrank and lowrank_expand, batched and not", test_lowrank},
        {"diffusion, solved on the host", test_diffusion},
        {"pool sum, mean, max per graph", test_pool},
        {"log_softmax + cross_entropy", test_cross_entropy},
        {"dropout in training mode", test_dropout_training},
        {"parameters and optimizer state move both ways", test_param_roundtrip},
        {"a parameter the host writes before a step", test_host_write_before_step},
        {"kNN on the GPU equals the CPU's", test_knn_device},
        {"Cora GCN: CPU and CUDA train alike", test_cora_gcn},
        {"Cora L-conv: CPU and CUDA train alike", test_cora_lconv},
        {"same seed, same bits", test_deterministic},
        {NULL, NULL}};
    return lc_test_main("cuda", cases);
}
