/* test_plan.c — the memory plan (plan.c) that device graphs follow, checked by running CPU graphs inside a NaN-poisoned shared arena. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "harness.h"
#include "model.h"
#include "plan.h"

/* Run one training pass (forward with dropout, backward) of the model's graph
 * with every node buffer placed where the plan says, in an arena first filled
 * with NaN: a buffer read after another overwrote it, or before it was
 * written or zeroed, shows as a NaN or a different bit. The loss, the output
 * and every parameter gradient must equal the unplanned pass's bit for bit. */
static void check_plan(lc_model_t *m, const lc_dataset_t *ds, bool expect_sharing, bool in_place)
{
    LC_ASSERT_OK(lc_model_build(m, ds, NULL));
    lc_cgraph_t *cg = lc_model_graph(m);
    const int np = lc_cg_num_params(cg);
    /* the reference pass */
    lc_cg_seed(cg, 77);
    LC_ASSERT_OK(lc_cg_forward(cg, 1));
    LC_ASSERT_OK(lc_cg_backward(cg));
    const float loss = lc_cg_value(cg, m->loss)->data[0];
    const lc_tensor_t *out = lc_cg_value(cg, m->output);
    float *out0 = malloc((size_t)out->numel * sizeof *out0);
    memcpy(out0, out->data, (size_t)out->numel * sizeof *out0);
    float **g0 = calloc((size_t)np, sizeof *g0);
    for (int i = 0; i < np; i++) {
        const lc_tensor_t *g = lc_cg_grad(cg, lc_cg_param_node(cg, i));
        if (!g) continue;
        g0[i] = malloc((size_t)g->numel * sizeof **g0);
        memcpy(g0[i], g->data, (size_t)g->numel * sizeof **g0);
    }
    /* the planned pass */
    lc_i_plan plan;
    LC_ASSERT_OK(lc_i_plan_build(cg, 64, false, in_place, false, &plan));
    CU_ASSERT(plan.bytes <= plan.unplanned_bytes);
    if (expect_sharing) CU_ASSERT(plan.bytes < plan.unplanned_bytes);
    /* gradients written over their consumer's: every model here has an
     * activation or dropout whose input has no other reader */
    int over_dy = 0;
    for (int c = 0; c < cg->n_nodes; c++)
        for (int k = 0; k < cg->nodes[c].n_in; k++) {
            const int j = cg->nodes[c].in[k];
            over_dy += plan.grad_off[j] >= 0 && plan.grad_off[j] == plan.grad_off[c];
        }
    CU_ASSERT(in_place ? over_dy > 0 : over_dy == 0);
    float *arena = malloc((size_t)plan.bytes + 64);
    for (int64_t k = 0; k < plan.bytes / 4 + 16; k++) arena[k] = NAN;
    float **saved = calloc(3 * (size_t)cg->n_nodes, sizeof *saved);
    for (int i = 0; i < cg->n_nodes; i++) {
        lc_i_node *n = &cg->nodes[i];
        lc_tensor_t *t[3] = {n->value, n->grad, n->aux};
        const int64_t off[3] = {plan.value_off[i], plan.grad_off[i], plan.aux_off[i]};
        for (int k = 0; k < 3; k++) {
            if (off[k] < 0) continue;
            CU_ASSERT_FATAL(t[k] != NULL && off[k] % 64 == 0 &&
                            off[k] + t[k]->numel * 4 <= plan.bytes);
            saved[3 * i + k] = t[k]->data;
            t[k]->data = (float *)((char *)arena + off[k]);
        }
    }
    cg->plan = &plan;
    lc_cg_seed(cg, 77);
    LC_ASSERT_OK(lc_cg_forward(cg, 1));
    LC_ASSERT_OK(lc_cg_backward(cg));
    const float loss1 = lc_cg_value(cg, m->loss)->data[0];
    CU_ASSERT_EQUAL(memcmp(&loss, &loss1, sizeof loss), 0);
    CU_ASSERT_EQUAL(memcmp(out0, lc_cg_value(cg, m->output)->data, (size_t)out->numel * 4), 0);
    for (int i = 0; i < np; i++) {
        const lc_tensor_t *g = lc_cg_grad(cg, lc_cg_param_node(cg, i));
        if (!g0[i]) continue;
        const int same = !memcmp(g0[i], g->data, (size_t)g->numel * sizeof **g0);
        if (!same)
            fprintf(stderr, "\n  %s: gradient of '%s' differs under the plan\n", lc_model_spec(m),
                    lc_cg_param_name(cg, i));
        CU_ASSERT(same);
    }
    /* a second pass reuses the arena as it is: nothing may depend on its first contents */
    lc_cg_seed(cg, 77);
    LC_ASSERT_OK(lc_cg_forward(cg, 1));
    LC_ASSERT_OK(lc_cg_backward(cg));
    const float loss2 = lc_cg_value(cg, m->loss)->data[0];
    CU_ASSERT_EQUAL(memcmp(&loss, &loss2, sizeof loss), 0);
    cg->plan = NULL;
    for (int i = 0; i < cg->n_nodes; i++) {
        lc_i_node *n = &cg->nodes[i];
        lc_tensor_t *t[3] = {n->value, n->grad, n->aux};
        for (int k = 0; k < 3; k++)
            if (saved[3 * i + k]) t[k]->data = saved[3 * i + k];
    }
    free(saved);
    free(arena);
    lc_i_plan_free(&plan);
    for (int i = 0; i < np; i++) free(g0[i]);
    free(g0);
    free(out0);
}

/* as a device plans it (every gradient its own buffer) and as the CPU does */
static void plan_spec(const char *spec, const lc_dataset_t *ds, bool expect_sharing)
{
    for (int in_place = 0; in_place < 2; in_place++) {
        lc_model_t *m = NULL;
        LC_ASSERT_OK(lc_model_from_spec(&m, spec));
        check_plan(m, ds, expect_sharing, in_place);
        lc_model_free(&m);
    }
}

static void test_node_level_models(void)
{
    lc_dataset_t *ds = NULL;
    LC_ASSERT_OK(lc_dataset_karate(&ds));
    plan_spec("gcn:16,relu,dropout:0.5,gcn:16,relu,gcn", ds, true);
    plan_spec("lconv:8:p=3,relu,dropout:0.3,lconv", ds, true);
    plan_spec("lconv:8:p=2:form=adj,elu,lconv:6:p=2,tanh,linear", ds, true);
    plan_spec("lowrank:8:p=2:r=2,sigmoid,gcn", ds, false);
    plan_spec("linear:12,leaky_relu,linear", ds, false);
    lc_dataset_free(&ds);
}

/* 24 random images of `channels` channels on a 6 × 6 grid, `classes` labels
 * in turn, split 50/25/25. */
static lc_dataset_t *grid_images(int64_t channels, int classes, uint64_t seed)
{
    lc_graph_t *g = NULL;
    LC_ASSERT_OK(lc_graph_grid(&g, 2, (int64_t[]){6, 6}, 3, LC_BOUNDARY_ZERO));
    lc_tensor_t *x = NULL;
    LC_ASSERT_OK(lc_tensor_new(&x, 3, (int64_t[]){24, 36, channels}));
    lc_rng_t rng;
    lc_rng_seed(&rng, seed);
    for (int64_t i = 0; i < x->numel; i++) x->data[i] = lc_rng_uniform(&rng);
    int32_t labels[24];
    for (int i = 0; i < 24; i++) labels[i] = i % classes;
    lc_dataset_t *ds = NULL;
    LC_ASSERT_OK(lc_dataset_from_samples(&ds, g, x, labels, classes));
    LC_ASSERT_OK(lc_dataset_stratified_split(ds, 0.25, 0.25, seed));
    return ds;
}

/* images on a grid: lattice layers, batches [n, B, c], flatten */
static void test_graph_level_models(void)
{
    lc_dataset_t *ds = grid_images(2, 3, 3);
    plan_spec("lattice:4,relu,dropout:0.2,lattice:4:k=5,relu,flatten,linear", ds, true);
    plan_spec("lconv:4:p=2,relu,flatten,linear", ds, true);
    lc_dataset_free(&ds);
}

/* The public switch: a model trained with share_buffers gives the same
 * parameters and evaluation, bit for bit, as one that keeps every buffer. */
static void train_alike(const char *spec, const lc_dataset_t *ds)
{
    lc_model_t *m[2] = {NULL, NULL};
    lc_eval_result ev[2];
    for (int k = 0; k < 2; k++) {
        lc_train_config cfg = lc_train_defaults();
        cfg.epochs = 5;
        cfg.batch_size = 8;
        cfg.share_buffers = k;
        LC_ASSERT_OK(lc_model_from_spec(&m[k], spec));
        LC_ASSERT_OK(lc_model_train(m[k], ds, &cfg, NULL));
        LC_ASSERT_OK(lc_model_evaluate(m[k], ds, &ev[k]));
    }
    CU_ASSERT_EQUAL(memcmp(&ev[0], &ev[1], sizeof ev[0]), 0);
    lc_cgraph_t *g0 = lc_model_graph(m[0]), *g1 = lc_model_graph(m[1]);
    CU_ASSERT_TRUE(g1->host_plan != NULL && g0->host_plan == NULL);
    for (int i = 0; i < lc_cg_num_params(g0); i++) {
        const lc_tensor_t *a = lc_cg_param_tensor(g0, i), *b = lc_cg_param_tensor(g1, i);
        CU_ASSERT_EQUAL(memcmp(a->data, b->data, (size_t)a->numel * sizeof(float)), 0);
    }
    lc_model_free(&m[0]);
    lc_model_free(&m[1]);
}

static void test_share_buffers(void)
{
    lc_dataset_t *ds = NULL;
    LC_ASSERT_OK(lc_dataset_karate(&ds));
    train_alike("gcn:16,relu,dropout:0.5,gcn", ds);
    train_alike("lconv:8:p=3,relu,dropout:0.3,lconv", ds);
    /* a backward pass spends the values: a second one needs a new forward */
    lc_train_config cfg = lc_train_defaults();
    cfg.share_buffers = 1;
    lc_model_t *shared = NULL;
    LC_ASSERT_OK(lc_model_from_spec(&shared, "gcn:8,relu,gcn"));
    LC_ASSERT_OK(lc_model_build(shared, ds, &cfg));
    lc_cgraph_t *cg = lc_model_graph(shared);
    LC_ASSERT_STATUS(lc_cg_backward(cg), LC_ERR_STATE); /* no forward yet */
    LC_ASSERT_OK(lc_cg_forward(cg, 1));
    LC_ASSERT_OK(lc_cg_backward(cg));
    LC_ASSERT_STATUS(lc_cg_backward(cg), LC_ERR_STATE);
    CU_ASSERT(strstr(lc_last_error(), "forward pass of its own") != NULL);
    LC_ASSERT_OK(lc_cg_forward(cg, 0));
    LC_ASSERT_OK(lc_cg_backward(cg));
    lc_model_free(&shared);
    /* too late once compiled */
    lc_model_t *m = NULL;
    LC_ASSERT_OK(lc_model_from_spec(&m, "gcn"));
    LC_ASSERT_OK(lc_model_build(m, ds, NULL));
    LC_ASSERT_STATUS(lc_cg_share_buffers(lc_model_graph(m), 1), LC_ERR_STATE);
    LC_ASSERT_STATUS(lc_cg_share_buffers(NULL, 1), LC_ERR_INVALID_ARG);
    lc_model_free(&m);
    lc_dataset_free(&ds);
    ds = grid_images(1, 2, 4);
    train_alike("lattice:4,relu,flatten,linear", ds);
    lc_dataset_free(&ds);
}

/* The CUDA arena's size, worked out on the host (bench/gcn_epoch --plan): no
 * device needed, nothing of the graph touched, the same bytes twice, and for
 * L-conv at least the plan, the parameters with their gradients, both CSRs and
 * the edges' rows and sources that its SDDMM and backward gather read. */
static void test_cuda_layout_bytes(void)
{
    const lc_i_backend *cuda = lc_i_backend_of(LC_DEVICE_CUDA);
    if (!cuda || !cuda->layout_bytes) {
        lc_test_skip("built without CUDA");
        return;
    }
    /* 100 nodes, every pair both ways: 9 900 edges, whose 40 KB arrays outweigh
     * the arena's other small buffers and alignment */
    enum { N = 100 };
    int64_t tail[N * (N - 1)], head[N * (N - 1)], e = 0;
    for (int64_t i = 0; i < N; i++)
        for (int64_t j = 0; j < N; j++)
            if (i != j) tail[e] = i, head[e++] = j;
    lc_graph_t *g = NULL;
    LC_ASSERT_OK(lc_graph_from_edges(&g, N, e, tail, head, NULL, 0));
    lc_tensor_t *x = NULL;
    LC_ASSERT_OK(lc_tensor_new2(&x, N, 1));
    int32_t labels[N];
    uint8_t train[N], none[N] = {0};
    for (int i = 0; i < N; i++)
        x->data[i] = (float)(i % 7), labels[i] = i % 2, train[i] = 1;
    lc_dataset_t *ds = NULL;
    LC_ASSERT_OK(lc_dataset_new(&ds, g, x, NULL, labels, 2));
    LC_ASSERT_OK(lc_dataset_set_split(ds, train, none, none));
    lc_model_t *m = NULL;
    LC_ASSERT_OK(lc_model_from_spec(&m, "lconv:2,relu,lconv"));
    LC_ASSERT_OK(lc_model_build(m, ds, NULL));
    lc_cgraph_t *cg = lc_model_graph(m);
    int64_t bytes[2] = {0, 0};
    LC_ASSERT_OK(cuda->layout_bytes(cg, &bytes[0]));
    LC_ASSERT_OK(cuda->layout_bytes(cg, &bytes[1]));
    CU_ASSERT_EQUAL(bytes[0], bytes[1]);
    for (int i = 0; i < cg->n_nodes; i++)
        CU_ASSERT_TRUE(!cg->nodes[i].dvalue && !cg->nodes[i].dgrad && !cg->nodes[i].daux);
    lc_i_plan plan;
    LC_ASSERT_OK(lc_i_plan_build(cg, 256, false, false, true, &plan));
    int64_t least = plan.bytes, nnz = 0, rows = 0;
    lc_i_plan_free(&plan);
    for (int i = 0; i < lc_cg_num_params(cg); i++)
        least += 8 * lc_cg_param_tensor(cg, i)->numel;
    for (int i = 0; i < cg->n_nodes; i++)
        if (cg->nodes[i].op == LC_OP_EDGE_CONV)
            nnz = cg->nodes[i].sparse->nnz, rows = cg->nodes[i].sparse->n_rows;
    CU_ASSERT_TRUE(nnz > 0);
    least += 2 * (4 * (rows + 1) + 8 * nnz) + 8 * nnz;
    CU_ASSERT_TRUE(bytes[0] >= least);
    /* the graph still trains on the CPU */
    lc_train_config cfg = lc_train_defaults();
    cfg.epochs = 2;
    LC_ASSERT_OK(lc_model_train(m, ds, &cfg, NULL));
    lc_model_free(&m);
    lc_dataset_free(&ds);
}

int main(void)
{
    static const lc_test_case cases[] = {
        {"node-level models run alike in a shared arena", test_node_level_models},
        {"graph-level models run alike in a shared arena", test_graph_level_models},
        {"share_buffers trains alike, bit for bit", test_share_buffers},
        {"the CUDA arena's size, worked out on the host", test_cuda_layout_bytes},
        {NULL, NULL}};
    return lc_test_main("plan", cases);
}
