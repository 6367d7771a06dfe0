/* test_model.c — layers against naive dense references, model specs, optimizers, training, determinism, checkpoints. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend.h" /* lc_i_knn_from_candidates */
#include "dist.h"    /* lc_i_dist_device_path */
#include "harness.h"
#include "model.h"

/* A random symmetric graph of n nodes with features f wide (dense or sparse),
 * labels in [0, classes), train = even nodes, val = odd nodes, test = all. */
static lc_dataset_t *toy_dataset(int n, int f, int classes, int sparse, uint64_t seed)
{
    lc_rng_t rng;
    lc_rng_seed(&rng, seed);
    int64_t tail[64], head[64];
    int m = 0;
    for (int i = 0; i < n; i++) { /* a ring plus random chords */
        tail[m] = i, head[m++] = (i + 1) % n;
        if (m < 64 && lc_rng_uniform(&rng) < 0.5f) tail[m] = i, head[m++] = lc_rng_next(&rng) % n;
    }
    lc_graph_t *g = NULL;
    lc_dataset_t *ds = NULL;
    if (lc_graph_from_edges(&g, n, m, tail, head, NULL, LC_GRAPH_SYMMETRIZE | LC_GRAPH_DROP_SELF_LOOPS))
        return NULL;
    lc_tensor_t *x = NULL;
    lc_csr_t *xs = NULL;
    if (sparse) {
        int64_t rows[256], cols[256];
        float vals[256];
        int nnz = 0;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < f && nnz < 256; j++)
                if ((i + j) % 3 == 0) rows[nnz] = i, cols[nnz] = j, vals[nnz++] = lc_rng_uniform(&rng);
        lc_csr_from_coo(&xs, n, f, nnz, rows, cols, vals);
    } else {
        lc_tensor_new2(&x, n, f);
        for (int i = 0; i < n * f; i++) x->data[i] = lc_rng_normal(&rng);
    }
    int32_t labels[64];
    uint8_t masks[3][64];
    for (int i = 0; i < n; i++) {
        labels[i] = (int32_t)(lc_rng_next(&rng) % (uint64_t)classes);
        masks[0][i] = i % 2 == 0, masks[1][i] = i % 2 == 1, masks[2][i] = 1;
    }
    if (lc_dataset_new(&ds, g, x, xs, labels, classes) ||
        lc_dataset_set_split(ds, masks[0], masks[1], masks[2]))
        lc_dataset_free(&ds);
    return ds;
}

/* Dense double Â = D̃^-1/2 (A + I) D̃^-1/2 from the graph's edge list (self loops kept, weight as given). */
static double *dense_gcn_operator(lc_graph_t *g)
{
    int64_t n = lc_graph_num_nodes(g), m = lc_graph_num_edges(g);
    double *a = calloc((size_t)(n * n), sizeof *a), *d = calloc((size_t)n, sizeof *d);
    for (int64_t e = 0; e < m; e++) a[lc_graph_tails(g)[e] * n + lc_graph_heads(g)[e]] += lc_graph_weights(g)[e];
    for (int64_t i = 0; i < n; i++)
        if (a[i * n + i] == 0) a[i * n + i] = 1;
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < n; j++) d[i] += a[i * n + j];
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < n; j++) a[i * n + j] /= sqrt(d[i] * d[j]);
    free(d);
    return a;
}

/* One learnable layer `spec` (gcn:C or linear:C) against Y = op·X·W + b then log-softmax. */
static void check_one_layer(const char *spec, int f, int classes, int sparse, int use_op)
{
    lc_dataset_t *ds = toy_dataset(12, f, classes, sparse, 5);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ds);
    lc_model_t *m = NULL;
    LC_ASSERT_OK(lc_model_from_spec(&m, spec));
    LC_ASSERT_OK(lc_model_build(m, ds, NULL));
    lc_eval_result ev;
    LC_ASSERT_OK(lc_model_evaluate(m, ds, &ev));
    lc_cgraph_t *cg = lc_model_graph(m);
    const int with_bias = strstr(spec, "nobias") == NULL;
    CU_ASSERT_EQUAL_FATAL(lc_cg_num_params(cg), 1 + with_bias);
    static const float zeros[16];
    /* a random bias, so that adding it is tested too */
    if (with_bias)
        for (int c = 0; c < classes; c++) lc_tensor_data(lc_cg_param_tensor(cg, 1))[c] = 0.1f * (float)(c + 1);
    LC_ASSERT_OK(lc_model_evaluate(m, ds, &ev));
    const float *w = lc_tensor_data(lc_cg_param_tensor(cg, 0));
    const float *b = with_bias ? lc_tensor_data(lc_cg_param_tensor(cg, 1)) : zeros;
    int n = 12;
    double *a = dense_gcn_operator(lc_dataset_graph(ds)), *x = lc_test_dense_features(ds);
    const float *out = lc_tensor_data(lc_model_output(m));
    double worst = 0;
    for (int i = 0; i < n; i++) {
        double y[16], mx = -1e300, z = 0;
        for (int c = 0; c < classes; c++) {
            double s = 0;
            for (int j = 0; j < n; j++) {
                double aij = use_op ? a[i * n + j] : (i == j);
                if (aij == 0) continue;
                for (int k = 0; k < f; k++) s += aij * x[j * f + k] * w[k * classes + c];
            }
            y[c] = s + b[c];
            mx = fmax(mx, y[c]);
        }
        for (int c = 0; c < classes; c++) z += exp(y[c] - mx);
        for (int c = 0; c < classes; c++) {
            double ref = y[c] - mx - log(z);
            worst = fmax(worst, fabs(out[i * classes + c] - ref) / fmax(1.0, fabs(ref)));
        }
    }
    CU_ASSERT(worst <= 1e-5);
    if (worst > 1e-5) fprintf(stderr, "\n  %s: worst relative error %g\n", spec, worst);
    free(a), free(x);
    lc_model_free(&m);
    lc_dataset_free(&ds);
}

static void test_gcn_dense_reference_axw(void) { check_one_layer("gcn:3", 6, 3, 0, 1); } /* Â(XW) */
static void test_gcn_dense_reference_axw_order2(void) { check_one_layer("gcn:5", 2, 5, 0, 1); } /* (ÂX)W */
static void test_gcn_sparse_features(void) { check_one_layer("gcn:3", 7, 3, 1, 1); }
static void test_gcn_no_bias(void) { check_one_layer("gcn:3:nobias", 6, 3, 0, 1); }
static void test_linear_dense_reference(void)
{
    check_one_layer("linear:4", 5, 4, 0, 0);
    check_one_layer("linear:4", 5, 4, 1, 0);
}

/* Â computed by the library (GraphBLAS) against the naive dense one. */
static void test_gcn_normalisation(void)
{
    lc_dataset_t *ds = toy_dataset(12, 3, 2, 0, 9);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ds);
    const lc_csr_t *op = NULL;
    LC_ASSERT_OK(lc_graph_gcn_operator(lc_dataset_graph(ds), &op));
    double *a = dense_gcn_operator(lc_dataset_graph(ds)), *got = calloc(144, sizeof *got);
    for (int64_t r = 0; r < 12; r++)
        for (int64_t k = op->rowptr[r]; k < op->rowptr[r + 1]; k++) got[r * 12 + op->col[k]] = op->val[k];
    for (int i = 0; i < 144; i++) CU_ASSERT_DOUBLE_EQUAL(got[i], a[i], 1e-6);
    free(a), free(got);
    lc_dataset_free(&ds);
}

static void test_spec_parsing(void)
{
    lc_model_t *m = NULL;
    LC_ASSERT_OK(lc_model_from_spec(&m, " gcn:16 , relu,dropout:0.5,gcn"));
    CU_ASSERT_EQUAL(lc_model_num_layers(m), 4);
    CU_ASSERT_STRING_EQUAL(lc_model_spec(m), "gcn:16,relu,dropout:0.5,gcn");
    lc_model_free(&m);
    LC_ASSERT_OK(lc_model_from_spec(&m, "gcn")); /* the Kipf & Welling preset */
    CU_ASSERT_STRING_EQUAL(lc_model_spec(m), "dropout:0.5,gcn:16:nobias,relu,dropout:0.5,gcn:nobias");
    lc_model_free(&m);
    /* a preset name with blanks around it is still the preset: fuzz/fuzz_spec found
     * "gcn\t" read as one bare GCN layer, whose canonical spec "gcn" is the preset */
    lc_model_t *blank = NULL;
    LC_ASSERT_OK(lc_model_from_spec(&m, "gcn"));
    LC_ASSERT_OK(lc_model_from_spec(&blank, " gcn\t"));
    CU_ASSERT_EQUAL(lc_model_num_layers(blank), lc_model_num_layers(m));
    CU_ASSERT_STRING_EQUAL(lc_model_spec(blank), lc_model_spec(m));
    lc_model_free(&blank);
    LC_ASSERT_OK(lc_model_from_spec(&blank, lc_model_spec(m))); /* the canonical spec reads back */
    CU_ASSERT_STRING_EQUAL(lc_model_spec(blank), lc_model_spec(m));
    lc_model_free(&blank);
    lc_model_free(&m);
    LC_ASSERT_OK(lc_model_from_spec(&m, "gcn:nobias:4,relu,linear:nobias"));
    CU_ASSERT_STRING_EQUAL(lc_model_spec(m), "gcn:4:nobias,relu,linear:nobias");
    lc_model_free(&m);
    LC_ASSERT_OK(lc_model_from_spec(&m, "linear:8,leaky_relu:0.2,elu,tanh,sigmoid,linear:3"));
    CU_ASSERT_STRING_EQUAL(lc_model_spec(m), "linear:8,leaky_relu:0.2,elu:1,tanh,sigmoid,linear:3");
    lc_model_free(&m);
    struct {
        const char *spec, *needle;
    } bad[] = {
        {"gcn:16,relu,dropuot", "token 3 'dropuot'"},
        {"gcn:abc,gcn", "token 1 'gcn:abc'"},
        {"relu:3,gcn", "takes no argument"},
        {"gcn:16,dropout:1.5,gcn", "token 2"},
        /* finite as a double, inf as a float (found by fuzz/fuzz_spec) */
        {"gcn:16,elu:1.3E264,gcn", "token 2 'elu:1.3E264': argument '1.3E264' out of range"},
        {"gcn:16,leaky_relu:3.5e38,gcn", "token 2"},
        {"gcn:16,,gcn", "token 2 is empty"},
        {"", "token 1 is empty"},
        {"relu,dropout", "no learnable layer"},
        {"gcn,relu,gcn", "width missing"},
        {"gcn:0,gcn", "token 1"},
        {"gcn:16:bias,gcn", "token 1 'gcn:16:bias': unexpected 'bias'"},
        {"gcn:16:8,gcn", "unexpected '8'"},
        {"relu:nobias,gcn", "takes no argument"},
        {"gcn:16,dropout:0.5:0.3,gcn", "token 2 'dropout:0.5:0.3': dropout takes one argument"},
        {"gcn:16,leaky_relu:abc,gcn", "argument 'abc' is not a number"},
        {"gcn:16,dropout:1,gcn", "argument '1' out of range [0, 1)"},
        {"lconv:16:p=0,lconv", "unexpected 'p=0' (lconv takes a width, nobias, p=N (1 to 4096)"},
        {"lattice:4:k=31,lattice", "k=N (odd, 1 to 15)"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        m = NULL;
        LC_ASSERT_STATUS(lc_model_from_spec(&m, bad[i].spec), LC_ERR_INVALID_ARG);
        LC_ASSERT_ERROR_HAS(bad[i].needle);
        CU_ASSERT_PTR_NULL(m);
    }
}

static void test_model_add_matches_spec(void)
{
    lc_dataset_t *ds = toy_dataset(10, 4, 3, 0, 1);
    lc_model_t *a = NULL, *b = NULL;
    LC_ASSERT_OK(lc_model_new(&a));
    LC_ASSERT_OK(lc_model_add(a, (lc_layer_desc){.kind = LC_LAYER_GCN, .width = 8}));
    LC_ASSERT_OK(lc_model_add(a, (lc_layer_desc){.kind = LC_LAYER_RELU}));
    LC_ASSERT_OK(lc_model_add(a, (lc_layer_desc){.kind = LC_LAYER_GCN}));
    LC_ASSERT_STATUS(lc_model_add(a, (lc_layer_desc){.kind = LC_LAYER_DROPOUT, .arg = 1.0f}), LC_ERR_INVALID_ARG);
    LC_ASSERT_OK(lc_model_from_spec(&b, "gcn:8,relu,gcn"));
    LC_ASSERT_OK(lc_model_build(a, ds, NULL));
    LC_ASSERT_OK(lc_model_build(b, ds, NULL));
    lc_eval_result ea, eb;
    LC_ASSERT_OK(lc_model_evaluate(a, ds, &ea));
    LC_ASSERT_OK(lc_model_evaluate(b, ds, &eb));
    const lc_tensor_t *oa = lc_model_output(a), *ob = lc_model_output(b);
    CU_ASSERT_EQUAL(memcmp(lc_tensor_data(oa), lc_tensor_data(ob), sizeof(float) * (size_t)lc_tensor_numel(oa)), 0);
    CU_ASSERT_STRING_EQUAL(lc_model_spec(a), "gcn:8,relu,gcn:3");
    lc_model_free(&a), lc_model_free(&b);
    lc_dataset_free(&ds);
}

static void test_build_errors(void)
{
    lc_dataset_t *ds = toy_dataset(10, 4, 3, 1, 1);
    lc_model_t *m = NULL;
    LC_ASSERT_OK(lc_model_from_spec(&m, "gcn:8,relu,gcn:5"));
    LC_ASSERT_STATUS(lc_model_build(m, ds, NULL), LC_ERR_SHAPE);
    LC_ASSERT_ERROR_HAS("output width 5 differs from the 3 classes");
    lc_model_free(&m);
    LC_ASSERT_OK(lc_model_from_spec(&m, "relu,gcn"));
    LC_ASSERT_STATUS(lc_model_build(m, ds, NULL), LC_ERR_INVALID_ARG); /* relu on sparse input */
    LC_ASSERT_ERROR_HAS("sparse input");
    LC_ASSERT_STATUS(lc_model_save(m, "/tmp/never.ckpt"), LC_ERR_STATE);
    lc_model_free(&m);
    lc_dataset_free(&ds);
}

/* Read every parameter into one buffer. */
static size_t param_bits(lc_model_t *m, float *out, size_t cap)
{
    size_t off = 0;
    lc_cgraph_t *cg = lc_model_graph(m);
    for (int i = 0; i < lc_cg_num_params(cg); i++) {
        const lc_tensor_t *t = lc_cg_param_tensor(cg, i);
        size_t len = (size_t)lc_tensor_numel(t);
        if (off + len > cap) break;
        memcpy(out + off, lc_tensor_data(t), len * sizeof *out);
        off += len;
    }
    return off;
}

static void test_determinism(void)
{
    static float bits[3][4096];
    size_t len[3];
    for (int run = 0; run < 3; run++) {
        lc_dataset_t *ds = toy_dataset(20, 6, 3, 0, 2);
        lc_model_t *m = NULL;
        lc_train_config cfg = lc_train_defaults();
        cfg.epochs = 30;
        cfg.patience = 0;
        cfg.seed = run == 2 ? 43 : 42;
        LC_ASSERT_OK(lc_model_from_spec(&m, "gcn:16,relu,dropout:0.5,gcn"));
        LC_ASSERT_OK(lc_model_train(m, ds, &cfg, NULL));
        len[run] = param_bits(m, bits[run], 4096);
        lc_model_free(&m);
        lc_dataset_free(&ds);
    }
    CU_ASSERT_EQUAL(len[0], len[1]);
    CU_ASSERT_EQUAL(memcmp(bits[0], bits[1], len[0] * sizeof(float)), 0);
    CU_ASSERT_NOT_EQUAL(memcmp(bits[0], bits[2], len[0] * sizeof(float)), 0);
}

/* Optimizers on f(w) = sum(w ⊙ c): the gradient is c, constant. */
static void test_optimizers(void)
{
    for (int kind = 0; kind < 3; kind++) {
        lc_cgraph_t *cg = NULL;
        lc_tensor_t *w0 = NULL, *c0 = NULL;
        LC_ASSERT_OK(lc_tensor_new2(&w0, 1, 4));
        LC_ASSERT_OK(lc_tensor_new2(&c0, 4, 1));
        float w_init[4] = {1, -2, 3, 0.5f}, c[4] = {0.5f, -1, 2, 0};
        memcpy(lc_tensor_data(w0), w_init, sizeof w_init);
        memcpy(lc_tensor_data(c0), c, sizeof c);
        lc_node w, cn, y, loss;
        LC_ASSERT_OK(lc_cg_new(&cg, 1));
        LC_ASSERT_OK(lc_cg_parameter(cg, w0, "w", &w));
        LC_ASSERT_OK(lc_cg_constant(cg, c0, &cn));
        LC_ASSERT_OK(lc_cg_matmul(cg, w, cn, &y));
        LC_ASSERT_OK(lc_cg_sum(cg, y, &loss));
        LC_ASSERT_OK(lc_cg_compile(cg, loss));
        lc_optim_config oc = lc_optim_defaults((lc_optim_kind)kind);
        oc.lr = 0.1f;
        oc.momentum = kind == LC_OPTIM_SGD ? 0.9f : 0;
        oc.weight_decay = kind == LC_OPTIM_ADAMW ? 0.5f : 0;
        lc_optim_t *opt = NULL;
        LC_ASSERT_OK(lc_optim_new(&opt, &oc, cg));
        for (int step = 0; step < 2; step++) {
            LC_ASSERT_OK(lc_cg_forward(cg, 1));
            LC_ASSERT_OK(lc_cg_backward(cg));
            LC_ASSERT_OK(lc_optim_step(opt));
        }
        const float *wv = lc_tensor_data(lc_cg_param_tensor(cg, 0));
        for (int i = 0; i < 4; i++) {
            double expect;
            if (kind == LC_OPTIM_SGD) /* buf1 = c, buf2 = 0.9c + c: w - 0.1c - 0.19c */
                expect = w_init[i] - 0.1 * c[i] - 0.1 * 1.9 * c[i];
            else if (kind == LC_OPTIM_ADAM) /* constant gradient: each step moves lr·sign(c) */
                expect = w_init[i] - (c[i] == 0 ? 0 : 0.2 * (c[i] > 0 ? 1 : -1));
            else { /* AdamW: decay first, then the Adam move */
                double v = w_init[i];
                for (int s = 0; s < 2; s++) v = v * (1 - 0.1 * 0.5) - (c[i] == 0 ? 0 : 0.1 * (c[i] > 0 ? 1 : -1));
                expect = v;
            }
            CU_ASSERT_DOUBLE_EQUAL(wv[i], expect, 1e-5);
        }
        LC_ASSERT_STATUS(lc_optim_set_weight_decay(opt, 5, 0.1f), LC_ERR_INVALID_ARG);
        oc.lr = -1;
        lc_optim_t *bad = NULL;
        LC_ASSERT_STATUS(lc_optim_new(&bad, &oc, cg), LC_ERR_INVALID_ARG);
        lc_optim_free(&opt);
        lc_cg_free(&cg);
        lc_tensor_free(&w0), lc_tensor_free(&c0);
    }
}

static int stop_at_5(void *user, int epoch, float tl, float vl, float va)
{
    (void)user, (void)tl, (void)vl, (void)va;
    return epoch == 5;
}

/* keep_best: the validation accuracy and loss of every epoch, to find the best */
typedef struct {
    float acc[64], loss[64];
    int epochs;
} val_trace;
static int record_val(void *user, int epoch, float train_loss, float val_loss, float val_acc)
{
    (void)train_loss;
    val_trace *t = user;
    if (epoch <= 64) t->acc[epoch - 1] = val_acc, t->loss[epoch - 1] = val_loss;
    t->epochs = epoch;
    return 0;
}

/* keep_best ends with the parameters of the best validation epoch: the final
 * evaluation gives that epoch's validation accuracy and loss exactly (the
 * same evaluation, of the same parameters); without it, the last epoch's. */
static void test_keep_best(void)
{
    lc_dataset_t *ds = toy_dataset(20, 6, 3, 0, 3);
    for (int keep = 0; keep < 2; keep++) {
        lc_model_t *m = NULL;
        LC_ASSERT_OK(lc_model_from_spec(&m, "gcn:8,relu,dropout:0.3,gcn"));
        lc_train_config cfg = lc_train_defaults();
        val_trace trace = {.epochs = 0};
        cfg.epochs = 60, cfg.patience = 0, cfg.lr = 0.05f, cfg.keep_best = keep;
        cfg.on_epoch = record_val, cfg.user = &trace;
        lc_train_result res;
        LC_ASSERT_OK(lc_model_train(m, ds, &cfg, &res));
        CU_ASSERT_EQUAL(trace.epochs, 60);
        int best = 0; /* the first epoch of the highest accuracy, ties to the lower loss */
        for (int e = 1; e < 60; e++)
            if (trace.acc[e] > trace.acc[best] ||
                (trace.acc[e] == trace.acc[best] && trace.loss[e] < trace.loss[best]))
                best = e;
        const int want = keep ? best : 59;
        CU_ASSERT_EQUAL(res.best_epoch, keep ? best + 1 : 0);
        CU_ASSERT_EQUAL(res.final.accuracy[1], trace.acc[want]);
        CU_ASSERT_EQUAL(res.final.loss[1], trace.loss[want]);
        if (keep) CU_ASSERT_TRUE(best < 59); /* the case tests something: random labels overfit */
        lc_model_free(&m);
    }
    /* no validation set: nothing to select by, the last epoch's stay */
    uint8_t all[20], none[20] = {0};
    memset(all, 1, sizeof all);
    LC_ASSERT_OK(lc_dataset_set_split(ds, all, none, all));
    lc_model_t *m = NULL;
    LC_ASSERT_OK(lc_model_from_spec(&m, "gcn:8,relu,gcn"));
    lc_train_config cfg = lc_train_defaults();
    cfg.epochs = 5, cfg.keep_best = 1;
    lc_train_result res;
    LC_ASSERT_OK(lc_model_train(m, ds, &cfg, &res));
    CU_ASSERT_EQUAL(res.best_epoch, 0);
    lc_model_free(&m);
    lc_dataset_free(&ds);
}

static void test_training_controls(void)
{
    lc_dataset_t *ds = toy_dataset(20, 6, 3, 0, 3);
    lc_model_t *m = NULL;
    lc_train_config cfg = lc_train_defaults();
    lc_train_result res;
    LC_ASSERT_OK(lc_model_from_spec(&m, "gcn:8,relu,gcn"));
    cfg.on_epoch = stop_at_5;
    cfg.patience = 0;
    char log_path[] = "/tmp/lconv-log-XXXXXX";
    int fd = mkstemp(log_path);
    CU_ASSERT_FATAL(fd >= 0);
    close(fd);
    cfg.log_csv = log_path;
    LC_ASSERT_OK(lc_model_train(m, ds, &cfg, &res));
    CU_ASSERT_EQUAL(res.epochs_run, 5);
    FILE *f = fopen(log_path, "r");
    int lines = 0;
    char buf[256];
    while (f && fgets(buf, sizeof buf, f)) lines++;
    if (f) fclose(f);
    unlink(log_path);
    CU_ASSERT_EQUAL(lines, 6); /* header + 5 epochs */
    /* Early stopping: val labels are random, so the val loss rises as training fits noise. */
    cfg = lc_train_defaults();
    cfg.epochs = 2000;
    cfg.lr = 0.05f;
    cfg.weight_decay = 0;
    LC_ASSERT_OK(lc_model_build(m, ds, &cfg));
    LC_ASSERT_OK(lc_model_train(m, ds, &cfg, &res));
    CU_ASSERT(res.stopped_early);
    CU_ASSERT(res.epochs_run < 2000);
    /* A divergent learning rate is caught as a numerical fault. */
    cfg.lr = 1e30f;
    cfg.patience = 0;
    LC_ASSERT_OK(lc_model_build(m, ds, &cfg));
    LC_ASSERT_STATUS(lc_model_train(m, ds, &cfg, &res), LC_ERR_NUMERIC);
    LC_ASSERT_ERROR_HAS("epoch");
    lc_model_free(&m);
    lc_dataset_free(&ds);
}

static void test_checkpoint_round_trip(void)
{
    lc_dataset_t *ds = toy_dataset(20, 6, 3, 0, 4);
    lc_model_t *a = NULL, *b = NULL, *c = NULL;
    lc_train_config cfg = lc_train_defaults();
    cfg.epochs = 20;
    char path[] = "/tmp/lconv-ckpt-XXXXXX";
    int fd = mkstemp(path);
    CU_ASSERT_FATAL(fd >= 0);
    close(fd);
    LC_ASSERT_OK(lc_model_from_spec(&a, "gcn:8,relu,gcn"));
    LC_ASSERT_OK(lc_model_train(a, ds, &cfg, NULL));
    LC_ASSERT_OK(lc_model_save(a, path));
    cfg.seed = 99; /* different initial parameters, replaced by the load */
    LC_ASSERT_OK(lc_model_from_spec(&b, "gcn:8,relu,gcn"));
    LC_ASSERT_OK(lc_model_build(b, ds, &cfg));
    LC_ASSERT_OK(lc_model_load(b, path));
    lc_eval_result ea, eb;
    LC_ASSERT_OK(lc_model_evaluate(a, ds, &ea));
    LC_ASSERT_OK(lc_model_evaluate(b, ds, &eb));
    CU_ASSERT_EQUAL(memcmp(lc_tensor_data(lc_model_output(a)), lc_tensor_data(lc_model_output(b)),
                           sizeof(float) * (size_t)lc_tensor_numel(lc_model_output(a))), 0);
    LC_ASSERT_OK(lc_model_from_spec(&c, "gcn:9,relu,gcn"));
    LC_ASSERT_OK(lc_model_build(c, ds, &cfg));
    LC_ASSERT_STATUS(lc_model_load(c, path), LC_ERR_MISMATCH);
    unlink(path);
    lc_model_free(&a), lc_model_free(&b), lc_model_free(&c);
    lc_dataset_free(&ds);
}

/* The figure: one labelled node per faction, >= 85% on the other 32. */
static void test_karate(void)
{
    lc_dataset_t *ds = NULL;
    LC_ASSERT_OK(lc_dataset_karate(&ds));
    double sum = 0;
    for (int seed = 0; seed < 10; seed++) {
        lc_model_t *m = NULL;
        lc_train_config cfg = lc_train_defaults();
        cfg.seed = (uint64_t)seed;
        lc_train_result res;
        LC_ASSERT_OK(lc_model_from_spec(&m, "gcn:16,relu,gcn"));
        LC_ASSERT_OK(lc_model_train(m, ds, &cfg, &res));
        sum += res.final.accuracy[2];
        lc_model_free(&m);
    }
    printf("\n  karate: mean test accuracy over 10 seeds %.4f\n", sum / 10);
    CU_ASSERT(sum / 10 >= 0.85);
    lc_dataset_free(&ds);
}

static void test_cora_planetoid(void)
{
    const char *dir = lc_test_data("planetoid/cora.edges.txt");
    if (!dir) {
        lc_test_skip("../shared/data/planetoid absent");
        return;
    }
    char prefix[4096];
    snprintf(prefix, sizeof prefix, "%.*s/cora", (int)(strlen(dir) - strlen("/cora.edges.txt")), dir);
    lc_dataset_t *ds = NULL;
    LC_ASSERT_OK(lc_dataset_from_planetoid(&ds, prefix, NULL));
    lc_model_t *m = NULL;
    lc_train_result res;
    LC_ASSERT_OK(lc_model_from_spec(&m, "gcn"));
    LC_ASSERT_OK(lc_model_train(m, ds, NULL, &res));
    printf("\n  cora: test accuracy %.4f after %d epochs\n", res.final.accuracy[2], res.epochs_run);
    CU_ASSERT(res.final.accuracy[2] >= 0.79);
    lc_model_free(&m);
    lc_dataset_free(&ds);
}

/* Regressions found in review: state that changes under a built model. */
static void test_changes_after_build(void)
{
    lc_dataset_t *ds = toy_dataset(20, 6, 3, 1, 11); /* sparse features */
    CU_ASSERT_PTR_NOT_NULL_FATAL(ds);
    lc_model_t *m = NULL;
    lc_train_config cfg = lc_train_defaults();
    cfg.epochs = 3;
    cfg.patience = 0;
    lc_train_result res;
    LC_ASSERT_OK(lc_model_from_spec(&m, "gcn:4,relu,gcn"));
    LC_ASSERT_OK(lc_model_train(m, ds, &cfg, &res));
    /* normalising the sparse features keeps the model's cached transpose valid */
    LC_ASSERT_OK(lc_dataset_normalize_features(ds));
    LC_ASSERT_OK(lc_model_train(m, ds, &cfg, &res));
    /* a new split may hold unlabelled nodes: they count for neither loss nor accuracy */
    uint8_t train[20] = {0}, val[20] = {0}, test[20];
    for (int i = 0; i < 20; i++) train[i] = 1, test[i] = 1;
    LC_ASSERT_OK(lc_dataset_set_split(ds, train, val, test));
    LC_ASSERT_OK(lc_model_train(m, ds, &cfg, &res));
    CU_ASSERT(isfinite(res.final.loss[0]));
    /* dropout is baked into the built graph: a different one asks for a rebuild */
    cfg.dropout = 0.3f;
    LC_ASSERT_STATUS(lc_model_train(m, ds, &cfg, &res), LC_ERR_STATE);
    LC_ASSERT_ERROR_HAS("built with dropout the spec's rates, this call asks for 0.3");
    LC_ASSERT_ERROR_HAS("lc_model_build");
    LC_ASSERT_OK(lc_model_build(m, ds, &cfg));
    LC_ASSERT_OK(lc_model_train(m, ds, &cfg, &res));
    /* new optimizer settings take effect: a divergent learning rate now fails */
    cfg.lr = 1e30f;
    LC_ASSERT_STATUS(lc_model_train(m, ds, &cfg, &res), LC_ERR_NUMERIC);
    lc_model_free(&m);
    lc_dataset_free(&ds);
}

/* With check_finite, a divergent run stops at the first op that produces NaN
 * or Inf, and the error names the op, the layer and the epoch. */
static void test_check_finite(void)
{
    lc_dataset_t *ds = toy_dataset(20, 6, 3, 0, 12);
    lc_model_t *m = NULL;
    lc_train_config cfg = lc_train_defaults();
    cfg.lr = 1e30f;
    cfg.patience = 0;
    cfg.check_finite = 1;
    LC_ASSERT_OK(lc_model_from_spec(&m, "gcn:8,relu,gcn"));
    LC_ASSERT_STATUS(lc_model_train(m, ds, &cfg, NULL), LC_ERR_NUMERIC);
    LC_ASSERT_ERROR_HAS("lc_model_train: epoch ");
    LC_ASSERT_ERROR_HAS(", layer ");
    LC_ASSERT_ERROR_HAS(" of '");
    LC_ASSERT_ERROR_HAS("' (node ");
    /* the same graph without the check runs until the loss itself is not finite */
    cfg.check_finite = 0;
    LC_ASSERT_OK(lc_model_build(m, ds, &cfg));
    LC_ASSERT_STATUS(lc_model_train(m, ds, &cfg, NULL), LC_ERR_NUMERIC);
    LC_ASSERT_ERROR_HAS("the training loss is");
    /* the compute-graph level: an Inf parameter is caught at the first op it flows into */
    lc_cgraph_t *cg = NULL;
    lc_tensor_t *a0 = NULL;
    LC_ASSERT_OK(lc_tensor_new2(&a0, 1, 2));
    lc_tensor_data(a0)[0] = INFINITY;
    lc_node a, b, c, loss;
    LC_ASSERT_OK(lc_cg_new(&cg, 1));
    LC_ASSERT_OK(lc_cg_parameter(cg, a0, "a", &a));
    LC_ASSERT_OK(lc_cg_scale(cg, a, -1.0f, &b));
    LC_ASSERT_OK(lc_cg_add(cg, a, b, &c));
    LC_ASSERT_OK(lc_cg_sum(cg, c, &loss));
    LC_ASSERT_OK(lc_cg_compile(cg, loss));
    lc_cg_check_finite(cg, 1);
    LC_ASSERT_STATUS(lc_cg_forward(cg, 0), LC_ERR_NUMERIC);
    LC_ASSERT_ERROR_HAS("forward of 'scale' (node 1)"); /* -inf is caught at the scale */
    lc_cg_free(&cg);
    lc_tensor_free(&a0);
    lc_model_free(&m);
    lc_dataset_free(&ds);
}

static void test_accuracy_skips_unlabelled(void)
{
    lc_tensor_t *scores = NULL;
    LC_ASSERT_OK(lc_tensor_new2(&scores, 3, 2));
    const float s[6] = {1, 0, 0, 1, 1, 0};
    memcpy(lc_tensor_data(scores), s, sizeof s);
    const int32_t labels[3] = {0, -1, 1};
    const uint8_t mask[3] = {1, 1, 1}, only_unlabelled[3] = {0, 1, 0};
    CU_ASSERT_DOUBLE_EQUAL(lc_accuracy(scores, labels, mask), 0.5, 1e-7); /* rows 0 (hit) and 2 (miss) */
    CU_ASSERT(isnan(lc_accuracy(scores, labels, only_unlabelled)));
    lc_tensor_free(&scores);
}

/* Without a GPU (or a CUDA build) a move is refused with a clear reason and
 * everything stays on the CPU, working; device names parse. */
static void test_devices_without_gpu(void)
{
    lc_device d = LC_DEVICE_CPU;
    LC_ASSERT_OK(lc_device_parse("cuda", &d));
    CU_ASSERT_EQUAL(d, LC_DEVICE_CUDA);
    LC_ASSERT_OK(lc_device_parse("cpu", &d));
    CU_ASSERT_EQUAL(d, LC_DEVICE_CPU);
    LC_ASSERT_STATUS(lc_device_parse("gpu", &d), LC_ERR_INVALID_ARG);
    LC_ASSERT_ERROR_HAS("'gpu'");
    CU_ASSERT_STRING_EQUAL(lc_device_name(LC_DEVICE_CUDA), "cuda");
    LC_ASSERT_OK(lc_device_available(LC_DEVICE_CPU));
    if (lc_device_available(LC_DEVICE_CUDA) == LC_OK) {
        lc_test_skip("a GPU is present: tests/test_cuda covers the moves");
        return;
    }
    const lc_status why = lc_device_available(LC_DEVICE_CUDA);
    CU_ASSERT(why == LC_ERR_BACKEND || why == LC_ERR_UNSUPPORTED);
    CU_ASSERT(strlen(lc_last_error()) > 20);
    lc_dataset_t *ds = NULL;
    lc_model_t *m = NULL;
    LC_ASSERT_OK(lc_dataset_karate(&ds));
    LC_ASSERT_OK(lc_model_from_spec(&m, "gcn:4,relu,gcn"));
    LC_ASSERT_STATUS(lc_model_to(m, LC_DEVICE_CUDA), why);
    LC_ASSERT_ERROR_HAS("lc_model_to");
    LC_ASSERT_OK(lc_model_build(m, ds, NULL));
    lc_cgraph_t *cg = lc_model_graph(m);
    LC_ASSERT_STATUS(lc_cg_to(cg, LC_DEVICE_CUDA), why);
    CU_ASSERT_EQUAL(lc_cg_device(cg), LC_DEVICE_CPU);
    LC_ASSERT_OK(lc_cg_to(cg, LC_DEVICE_CPU)); /* already there */
    LC_ASSERT_STATUS(lc_cg_touch(cg, -1), LC_ERR_INVALID_ARG);
    lc_node op = 0; /* the first node that is neither a constant nor a parameter */
    while (lc_cg_value(cg, op) && (op == lc_cg_param_node(cg, 0) || op == lc_cg_param_node(cg, 1) ||
                                   !lc_cg_grad(cg, op)))
        op++;
    LC_ASSERT_STATUS(lc_cg_touch(cg, op), LC_ERR_INVALID_ARG);
    LC_ASSERT_ERROR_HAS("not a constant or a parameter");
    LC_ASSERT_OK(lc_cg_touch(cg, lc_cg_param_node(cg, 0)));
    lc_train_config cfg = lc_train_defaults();
    cfg.epochs = 3;
    LC_ASSERT_OK(lc_model_train(m, ds, &cfg, NULL));
    lc_model_free(&m);
    lc_dataset_free(&ds);
    /* kNN: on the CPU "device" it is lc_graph_knn; on CUDA it says why not */
    const float pts[12] = {0, 0, 1, 0, 0, 1, 3, 3, 3, 4, 4, 3};
    lc_graph_t *a = NULL, *b = NULL;
    LC_ASSERT_OK(lc_graph_knn(&a, 6, 2, pts, 2, 0));
    LC_ASSERT_OK(lc_graph_knn_device(&b, LC_DEVICE_CPU, 6, 2, pts, 2, 0));
    lc_test_assert_same_graph(a, b, "kNN on the cpu device");
    lc_graph_free(&b);
    LC_ASSERT_STATUS(lc_graph_knn_device(&b, LC_DEVICE_CUDA, 6, 2, pts, 2, 0), why);
    CU_ASSERT_PTR_NULL(b);
    LC_ASSERT_STATUS(lc_graph_knn_device(&b, LC_DEVICE_CPU, 6, 2, pts, 6, 0), LC_ERR_INVALID_ARG);
    LC_ASSERT_ERROR_HAS("lc_graph_knn");
    lc_graph_free(&a);
}

/* The GPU kNN kernel's contract (cuda/knn.cu), run on the CPU: every other
 * point's float squared distance Σ (q − r)², the kc best kept by (distance,
 * index). Garbage in the candidates' order or a missed tie would show. */
static lc_status fake_device_search(const float *pts, int64_t n, int dim, int kc, int32_t *idx,
                                    float *dist)
{
    for (int64_t i = 0; i < n; i++) {
        float *bd = dist + i * kc;
        int32_t *bi = idx + i * kc;
        int cnt = 0;
        for (int64_t j = 0; j < n; j++) {
            if (j == i) continue;
            float d = 0;
            for (int c = 0; c < dim; c++) {
                const float e = pts[i * dim + c] - pts[j * dim + c];
                d += e * e;
            }
            if (cnt == kc && !(d < bd[kc - 1])) continue;
            int p = cnt < kc ? cnt++ : kc - 1;
            while (p > 0 && bd[p - 1] > d) bd[p] = bd[p - 1], bi[p] = bi[p - 1], p--;
            bd[p] = d, bi[p] = (int32_t)j;
        }
    }
    return LC_OK;
}

static void check_candidates_graph(int64_t n, int dim, const float *pts, int k, int flags)
{
    lc_graph_t *a = NULL, *b = NULL;
    LC_ASSERT_OK(lc_graph_knn(&a, n, dim, pts, k, flags));
    LC_ASSERT_OK(lc_i_knn_from_candidates(&b, n, dim, pts, k, flags, fake_device_search));
    lc_test_assert_same_graph(a, b, "kNN from candidates");
    lc_graph_free(&a);
    lc_graph_free(&b);
}

/* lc_graph_knn_device's host half on a device search's candidates gives
 * lc_graph_knn's graph: random points with duplicates, a lattice (ties at
 * every cut), huge coordinates (the scaled copy), k = n − 1. */
static void test_knn_from_candidates(void)
{
    enum { N = 600 };
    static float pts[N * 3];
    lc_rng_t rng;
    lc_rng_seed(&rng, 8);
    for (int i = 0; i < N * 3; i++) pts[i] = lc_rng_uniform(&rng) * 10 - 5;
    for (int i = 0; i < 40; i++) memcpy(pts + 3 * (N - 1 - i), pts + 3 * i, 3 * sizeof *pts);
    check_candidates_graph(N, 3, pts, 16, 0);
    check_candidates_graph(N, 3, pts, 5, LC_GRAPH_SYMMETRIZE);
    for (int i = 0; i < 10 * 10 * 6; i++)
        pts[3 * i] = (float)(i % 10), pts[3 * i + 1] = (float)(i / 10 % 10), pts[3 * i + 2] = (float)(i / 100);
    check_candidates_graph(600, 3, pts, 7, 0);
    check_candidates_graph(600, 2, pts, 4, 0); /* 2-D view: many exact duplicates */
    for (int i = 0; i < 30; i++) pts[i] = (float)(i % 7) * 1e30f;
    check_candidates_graph(10, 3, pts, 9, 0);
}

/* Data-parallel: the ranks sum their gradients on their devices only when
 * every one can and no two share a device; otherwise the reason names the
 * first rank (or pair) in the way. */
static void test_dist_device_path(void)
{
    lc_i_dist_peer peers[3];
    memset(peers, 0, sizeof peers);
    for (int r = 0; r < 3; r++) {
        peers[r].state = LC_I_PEER_READY;
        peers[r].uuid[15] = (unsigned char)r;
    }
    char why[128] = "";
    CU_ASSERT_TRUE(lc_i_dist_device_path(peers, 3, why, sizeof why));
    CU_ASSERT_TRUE(lc_i_dist_device_path(peers, 1, why, sizeof why));
    peers[2].uuid[15] = 0;
    CU_ASSERT_FALSE(lc_i_dist_device_path(peers, 3, why, sizeof why));
    CU_ASSERT_STRING_EQUAL(why, "ranks 0 and 2 share one device");
    CU_ASSERT_TRUE(lc_i_dist_device_path(peers, 2, why, sizeof why));
    peers[2].uuid[15] = 2;
    peers[1].state = LC_I_PEER_REFUSED;
    CU_ASSERT_FALSE(lc_i_dist_device_path(peers, 3, why, sizeof why));
    CU_ASSERT_STRING_EQUAL(why, "rank 1 has LCONV_NCCL=0");
    peers[0].state = LC_I_PEER_NONE;
    CU_ASSERT_FALSE(lc_i_dist_device_path(peers, 1, why, sizeof why));
    CU_ASSERT_STRING_EQUAL(why, "rank 0 has no device collectives (CPU, or built without nccl.h)");
    peers[0].state = LC_I_PEER_UNOPENED;
    CU_ASSERT_FALSE(lc_i_dist_device_path(peers, 3, why, sizeof why));
    CU_ASSERT_STRING_EQUAL(why, "rank 0 cannot open libnccl.so.2");
    peers[0].state = 200; /* a rank of another build */
    CU_ASSERT_FALSE(lc_i_dist_device_path(peers, 1, why, sizeof why));
    CU_ASSERT_STRING_EQUAL(why, "rank 0 is in an unknown state");
}

int main(void)
{
    static const lc_test_case cases[] = {
        {"kNN from a device search's candidates", test_knn_from_candidates},
        {"devices without a GPU", test_devices_without_gpu},
        {"data-parallel: gradients on the devices or through the host", test_dist_device_path},
        {"gcn vs dense A(XW)", test_gcn_dense_reference_axw},
        {"gcn vs dense (AX)W", test_gcn_dense_reference_axw_order2},
        {"gcn sparse features", test_gcn_sparse_features},
        {"gcn without bias", test_gcn_no_bias},
        {"linear vs dense", test_linear_dense_reference},
        {"gcn normalisation vs dense", test_gcn_normalisation},
        {"spec parsing and errors", test_spec_parsing},
        {"lc_model_add = spec", test_model_add_matches_spec},
        {"build errors", test_build_errors},
        {"determinism", test_determinism},
        {"optimizers", test_optimizers},
        {"training controls", test_training_controls},
        {"keep_best: the best validation epoch's parameters", test_keep_best},
        {"checkpoint round trip", test_checkpoint_round_trip},
        {"changes after build", test_changes_after_build},
        {"accuracy skips unlabelled", test_accuracy_skips_unlabelled},
        {"check finite", test_check_finite},
        {"karate >= 85%", test_karate},
        {"cora planetoid", test_cora_planetoid},
        {NULL, NULL}};
    return lc_test_main("model", cases);
}
