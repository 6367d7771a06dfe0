/* pointcloud.c — BIMNet10 point-cloud classification: GCN vs shared-generator L-conv on kNN
 * graphs with the same parameter budget, tested on the clouds as they are and rotated about z. */
#include <math.h>
#include <stdint.h>
#include <time.h>

#include "../common/experiment.h"

static const char *usage =
    "[--data DIR] [--points N] [--k K] [--epochs E] [--width W] [--generators P] [--lr LR]\n"
    "       [--weight-decay WD] [--seeds S] [--train-limit M] [--test-limit M] [--threads T] "
    "[--out DIR] [--full]";

enum { GCN = 0, LCONV = 1 };
static const char *const model_name[2] = {"gcn", "lconv"};

/* One set of clouds (train, test or rotated test) as one block-diagonal kNN graph. */
typedef struct {
    int64_t count, n;  /* clouds, points per cloud */
    lc_graph_t *graph; /* count·n nodes, positions = the points */
    lc_tensor_t *x;    /* [count·n, 3]: the coordinates are the input features */
    lc_tensor_t *ehat; /* [edges, 3]: head − tail, the shared L-conv's edge vectors */
    int32_t *graph_of; /* node → cloud */
    int32_t *labels;   /* per cloud */
    uint8_t *mask;     /* per cloud, all 1 */
} cloud_set;

/* The network on one cloud set; parameters in creation order, the same for every set. */
typedef struct {
    lc_cgraph_t *cg;
    lc_node logp, loss;
} net;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Clouds first..first+count of pts [M, N, 3], `n` points each (a fixed random
 * subset, drawn with `sub_seed`), rotated about z by a random angle drawn
 * with `rot_seed` when rot_seed != 0; kNN graphs of k, batched. */
static int make_set(cloud_set *s, const lc_tensor_t *pts, const lc_tensor_t *lab, int64_t count,
                    int64_t n, int k, uint64_t sub_seed, uint64_t rot_seed)
{
    const int64_t full = lc_tensor_dim(pts, 1);
    memset(s, 0, sizeof *s);
    s->count = count;
    s->n = n;
    lc_graph_t **graphs = calloc((size_t)count, sizeof *graphs);
    int64_t *pick = malloc((size_t)full * sizeof *pick);
    s->graph_of = malloc((size_t)(count * n) * sizeof *s->graph_of);
    s->labels = malloc((size_t)count * sizeof *s->labels);
    s->mask = malloc((size_t)count);
    int ok = 0;
    lc_rng_t sub, rot;
    lc_rng_seed(&sub, sub_seed);
    lc_rng_seed(&rot, rot_seed);
    CHECK(lc_tensor_new2(&s->x, count * n, 3));
    float *x = lc_tensor_data(s->x);
    for (int64_t c = 0; c < count; c++) {
        /* the first n of a seeded shuffle: the same subset for every model and seed */
        for (int64_t v = 0; v < full; v++)
            pick[v] = v;
        for (int64_t v = 0; v < n; v++) {
            const int64_t j = v + (int64_t)(lc_rng_uniform(&sub) * (float)(full - v)) % (full - v);
            const int64_t t = pick[v];
            pick[v] = pick[j], pick[j] = t;
        }
        const double a = rot_seed ? 2 * M_PI * lc_rng_uniform(&rot) : 0;
        const double ca = cos(a), sa = sin(a);
        float *xc = x + c * n * 3;
        for (int64_t v = 0; v < n; v++) {
            const float *p = lc_tensor_data(pts) + (c * full + pick[v]) * 3;
            xc[3 * v + 0] = (float)(ca * p[0] - sa * p[1]);
            xc[3 * v + 1] = (float)(sa * p[0] + ca * p[1]);
            xc[3 * v + 2] = p[2];
        }
        CHECK(lc_graph_knn(&graphs[c], n, 3, xc, k, 0));
        s->labels[c] = (int32_t)lc_tensor_data(lab)[c];
        s->mask[c] = 1;
    }
    CHECK(lc_graph_batch(&s->graph, count, (const lc_graph_t *const *)graphs, s->graph_of));
    const int64_t m = lc_graph_num_edges(s->graph);
    const int64_t *tail = lc_graph_tails(s->graph), *head = lc_graph_heads(s->graph);
    CHECK(lc_tensor_new2(&s->ehat, m, 3));
    for (int64_t e = 0; e < m; e++)
        for (int d = 0; d < 3; d++)
            lc_tensor_data(s->ehat)[3 * e + d] = x[3 * head[e] + d] - x[3 * tail[e] + d];
    ok = 1;
fail:
    for (int64_t c = 0; c < count; c++)
        lc_graph_free(&graphs[c]);
    free(graphs);
    free(pick);
    return ok;
}

static void free_set(cloud_set *s)
{
    lc_graph_free(&s->graph);
    lc_tensor_free(&s->x);
    lc_tensor_free(&s->ehat);
    free(s->graph_of);
    free(s->labels);
    free(s->mask);
}

/* A parameter [rows, cols]: Glorot (how 1), N(0, 1) (how 2) or zero (how 0). */
static lc_status param(lc_cgraph_t *cg, lc_rng_t *rng, int64_t rows, int64_t cols, int how,
                       const char *name, lc_node *out)
{
    lc_tensor_t *t = NULL;
    lc_status st = lc_tensor_new2(&t, rows, cols);
    if (!st && how == 1) st = lc_init_glorot(t, rng);
    if (!st && how == 2)
        for (int64_t i = 0; i < rows * cols; i++)
            lc_tensor_data(t)[i] = lc_rng_normal(rng);
    if (!st && how == 0) {
        lc_tensor_free(&t);
        st = lc_tensor_new(&t, 1, &cols);
    }
    if (!st) st = lc_cg_parameter(cg, t, name, out);
    lc_tensor_free(&t);
    return st;
}

/* Two graph layers of `width` (GCN: relu(Â·H·W + b); shared L-conv, as the
 * library's "shared:W:p=P" layer: relu(H·W0 + Σ_i L_i·H·W_i + b) with
 * w_i[e] = ê(e)·ε_i), max pooling per cloud, a linear head of 10 classes. */
static int build_net(net *nt, const cloud_set *s, int model, int64_t width, int p, uint64_t seed)
{
    lc_rng_t rng;
    lc_rng_seed(&rng, seed);
    lc_node h, ehat = -1;
    const lc_csr_t *a_hat = NULL;
    int64_t in = 3;
    CHECK(lc_cg_new(&nt->cg, seed));
    lc_cgraph_t *cg = nt->cg;
    CHECK(lc_cg_constant(cg, s->x, &h));
    if (model == GCN)
        CHECK(lc_graph_gcn_operator(s->graph, &a_hat));
    else
        CHECK(lc_cg_constant(cg, s->ehat, &ehat));
    for (int layer = 0; layer < 2; layer++) {
        lc_node w, b, y, t;
        if (model == GCN) {
            CHECK(param(cg, &rng, in, width, 1, "w", &w));
            CHECK(lc_cg_matmul(cg, h, w, &t));
            CHECK(lc_cg_spmm(cg, a_hat, t, &y));
        } else {
            lc_node eps, we, ex, wg, w0, y0, y1;
            CHECK(param(cg, &rng, 3, p, 2, "epsilon", &eps));
            CHECK(lc_cg_matmul(cg, ehat, eps, &we)); /* [E, p] edge weights */
            CHECK(lc_cg_edge_expand(cg, s->graph, h, we, LC_LCONV_VECTOR_FIELD, &ex));
            CHECK(param(cg, &rng, p * in, width, 1, "weights", &wg));
            CHECK(lc_cg_matmul(cg, ex, wg, &y1));
            CHECK(param(cg, &rng, in, width, 1, "weight0", &w0));
            CHECK(lc_cg_matmul(cg, h, w0, &y0));
            CHECK(lc_cg_add(cg, y0, y1, &y));
        }
        CHECK(param(cg, &rng, 1, width, 0, "bias", &b));
        CHECK(lc_cg_bias(cg, y, b, &t));
        CHECK(lc_cg_relu(cg, t, &h));
        in = width;
    }
    lc_node pooled, w, b, z, logits;
    CHECK(lc_cg_pool(cg, h, LC_POOL_MAX, s->graph_of, s->count, &pooled));
    CHECK(param(cg, &rng, width, 10, 1, "head", &w));
    CHECK(param(cg, &rng, 1, 10, 0, "head_bias", &b));
    CHECK(lc_cg_matmul(cg, pooled, w, &z));
    CHECK(lc_cg_bias(cg, z, b, &logits));
    CHECK(lc_cg_log_softmax(cg, logits, &nt->logp));
    CHECK(lc_cg_cross_entropy(cg, nt->logp, s->labels, s->mask, &nt->loss));
    CHECK(lc_cg_compile(cg, nt->loss));
    return 1;
fail:
    return 0;
}

static int64_t count_params(lc_cgraph_t *cg)
{
    int64_t total = 0;
    for (int i = 0; i < lc_cg_num_params(cg); i++)
        total += lc_tensor_numel(lc_cg_param_tensor(cg, i));
    return total;
}

/* The parameters of a network of `model` and `width`, counted from its formula. */
static int64_t budget(int model, int64_t w, int p)
{
    if (model == GCN) return 3 * w + w + w * w + w + 10 * w + 10;
    return (3 * p + (int64_t)p * 3 * w + 3 * w + w) + (3 * p + (int64_t)p * w * w + w * w + w) +
           10 * w + 10;
}

/* Accuracy of the trained parameters of `from` on another set's network. */
static float evaluate(net *to, net *from, const cloud_set *s)
{
    for (int i = 0; i < lc_cg_num_params(from->cg); i++)
        if (lc_tensor_copy(lc_cg_param_tensor(to->cg, i), lc_cg_param_tensor(from->cg, i)))
            return NAN;
    if (lc_cg_forward(to->cg, 0)) return NAN;
    return lc_accuracy(lc_cg_value(to->cg, to->logp), s->labels, s->mask);
}

static void mean_std(const float *v, int n, double *mean, double *sd)
{
    double s = 0, q = 0;
    for (int i = 0; i < n; i++)
        s += v[i];
    *mean = s / n;
    for (int i = 0; i < n; i++)
        q += (v[i] - *mean) * (v[i] - *mean);
    *sd = n > 1 ? sqrt(q / (n - 1)) : 0;
}

int main(int argc, char **argv)
{
    ex_prog = "pointcloud";
    const char *data_dir = NULL, *out_dir = NULL;
    long points = 512, k = 16, epochs = 100, width = 64, gens = 2, seeds = 3, threads = 1,
         train_limit = 0, test_limit = 0;
    double lr = 1e-2, wd = 5e-4;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--data"))
            data_dir = ex_value(argc, argv, &i, usage);
        else if (!strcmp(a, "--points"))
            points = ex_long(ex_value(argc, argv, &i, usage), 8, 2048, usage);
        else if (!strcmp(a, "--k"))
            k = ex_long(ex_value(argc, argv, &i, usage), 1, 64, usage);
        else if (!strcmp(a, "--epochs"))
            epochs = ex_long(ex_value(argc, argv, &i, usage), 1, 100000, usage);
        else if (!strcmp(a, "--width"))
            width = ex_long(ex_value(argc, argv, &i, usage), 1, 4096, usage);
        else if (!strcmp(a, "--generators"))
            gens = ex_long(ex_value(argc, argv, &i, usage), 1, 16, usage);
        else if (!strcmp(a, "--lr"))
            lr = ex_double(ex_value(argc, argv, &i, usage), 1e-9, 10, usage);
        else if (!strcmp(a, "--weight-decay"))
            wd = ex_double(ex_value(argc, argv, &i, usage), 0, 1, usage);
        else if (!strcmp(a, "--seeds"))
            seeds = ex_long(ex_value(argc, argv, &i, usage), 1, 100, usage);
        else if (!strcmp(a, "--train-limit"))
            train_limit = ex_long(ex_value(argc, argv, &i, usage), 1, 1000000, usage);
        else if (!strcmp(a, "--test-limit"))
            test_limit = ex_long(ex_value(argc, argv, &i, usage), 1, 1000000, usage);
        else if (!strcmp(a, "--threads"))
            threads = ex_long(ex_value(argc, argv, &i, usage), 0, 256, usage);
        else if (!strcmp(a, "--out"))
            out_dir = ex_value(argc, argv, &i, usage);
        else if (!strcmp(a, "--full"))
            points = 2048, epochs = 200;
        else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            printf("usage: %s %s\n", ex_prog, usage);
            return 0;
        } else
            ex_usage_error(usage, "unknown option '%s'", a);
    }
    if (k >= points) ex_usage_error(usage, "--k must be below --points%s", "");
    char dir_buf[4096], path[4200];
    if (!data_dir) data_dir = ex_data_path(dir_buf, sizeof dir_buf, "pointclouds/bimnet10");

    int status = 1;
    lc_tensor_t *pts[2] = {NULL, NULL}, *lab[2] = {NULL, NULL};
    cloud_set sets[3];
    memset(sets, 0, sizeof sets);
    net nets[3];
    memset(nets, 0, sizeof nets);
    lc_optim_t *opt = NULL;
    FILE *curve = NULL;
    float acc[2][3][100]; /* [model][train, test, rotated][seed] */
    double seconds[2] = {0, 0};
    CHECK(lc_set_threads((int)threads));
    static const char *const files[2] = {"bimnet10_train.h5", "bimnet10_test.h5"};
    for (int f = 0; f < 2; f++) {
        snprintf(path, sizeof path, "%s/%s", data_dir, files[f]);
        CHECK(lc_read_pointnet_h5(path, &pts[f], &lab[f]));
    }
    const int64_t n_train = train_limit && train_limit < lc_tensor_dim(pts[0], 0)
                                ? train_limit
                                : lc_tensor_dim(pts[0], 0);
    const int64_t n_test =
        test_limit && test_limit < lc_tensor_dim(pts[1], 0) ? test_limit : lc_tensor_dim(pts[1], 0);
    if (points > lc_tensor_dim(pts[0], 1))
        ex_usage_error(usage, "--points %s is more than the clouds hold", "");

    /* the same width budget: the L-conv's width is the one whose parameter
     * count comes closest to the GCN's */
    const int64_t target = budget(GCN, width, (int)gens);
    int64_t lwidth = 1;
    for (int64_t w = 1; w <= width; w++)
        if (llabs(budget(LCONV, w, (int)gens) - target) <
            llabs(budget(LCONV, lwidth, (int)gens) - target))
            lwidth = w;
    const int64_t widths[2] = {width, lwidth};
    printf("BIMNet10: %lld train / %lld test clouds, %ld of their %lld points, kNN k = %ld; "
           "%ld epochs full-batch Adam lr %g weight decay %g, %ld seed(s), %ld thread(s)\n",
           (long long)n_train, (long long)n_test, points, (long long)lc_tensor_dim(pts[0], 1), k,
           epochs, lr, wd, seeds, threads);
    if (out_dir) {
        curve = fopen(ex_path(path, sizeof path, out_dir, "curves.csv"), "w");
        if (!curve) {
            fprintf(stderr, "%s: cannot write %s\n", ex_prog, path);
            goto fail;
        }
        fprintf(curve, "model,seed,epoch,train_loss,train_acc,test_acc,test_rot_acc\n");
    }
    double t0 = now();
    if (!make_set(&sets[0], pts[0], lab[0], n_train, points, (int)k, 1, 0) ||
        !make_set(&sets[1], pts[1], lab[1], n_test, points, (int)k, 2, 0))
        goto fail;
    printf("graphs: %lld + %lld nodes, %lld + %lld edges (%.1f s)\n",
           (long long)lc_graph_num_nodes(sets[0].graph),
           (long long)lc_graph_num_nodes(sets[1].graph),
           (long long)lc_graph_num_edges(sets[0].graph),
           (long long)lc_graph_num_edges(sets[1].graph), now() - t0);
    for (long seed = 0; seed < seeds; seed++) {
        /* the test clouds turned about the vertical (z) axis, angles drawn per seed */
        free_set(&sets[2]);
        if (!make_set(&sets[2], pts[1], lab[1], n_test, points, (int)k, 2, 1000 + (uint64_t)seed))
            goto fail;
        for (int model = 0; model < 2; model++) {
            const double start = now();
            for (int s = 0; s < 3; s++)
                if (!build_net(&nets[s], &sets[s], model, widths[model], (int)gens,
                               1 + (uint64_t)seed))
                    goto fail;
            lc_optim_config oc = lc_optim_defaults(LC_OPTIM_ADAM);
            oc.lr = (float)lr;
            oc.weight_decay = (float)wd; /* L2 on every parameter, both models alike */
            CHECK(lc_optim_new(&opt, &oc, nets[0].cg));
            for (long e = 1; e <= epochs; e++) {
                CHECK(lc_cg_forward(nets[0].cg, 1));
                const float loss = lc_tensor_data(lc_cg_value(nets[0].cg, nets[0].loss))[0];
                CHECK(lc_cg_backward(nets[0].cg));
                CHECK(lc_optim_step(opt));
                if (curve && (e % 10 == 0 || e == 1 || e == epochs)) {
                    const float tr = lc_accuracy(lc_cg_value(nets[0].cg, nets[0].logp),
                                                 sets[0].labels, sets[0].mask);
                    fprintf(curve, "%s,%ld,%ld,%.6g,%.4f,%.4f,%.4f\n", model_name[model], seed,
                            e - 1, loss, tr, evaluate(&nets[1], &nets[0], &sets[1]),
                            evaluate(&nets[2], &nets[0], &sets[2]));
                }
            }
            CHECK(lc_cg_forward(nets[0].cg, 0));
            acc[model][0][seed] =
                lc_accuracy(lc_cg_value(nets[0].cg, nets[0].logp), sets[0].labels, sets[0].mask);
            acc[model][1][seed] = evaluate(&nets[1], &nets[0], &sets[1]);
            acc[model][2][seed] = evaluate(&nets[2], &nets[0], &sets[2]);
            seconds[model] += now() - start;
            printf("seed %ld %-5s width %3lld params %6lld: train %.3f  test %.3f  rotated test "
                   "%.3f  (%.1f s)\n",
                   seed, model_name[model], (long long)widths[model],
                   (long long)count_params(nets[0].cg), acc[model][0][seed], acc[model][1][seed],
                   acc[model][2][seed], now() - start);
            fflush(stdout);
            lc_optim_free(&opt);
            for (int s = 0; s < 3; s++)
                lc_cg_free(&nets[s].cg);
        }
    }
    printf("\n| model | width | parameters | train acc | test acc | rotated test acc | s/run |\n"
           "|---|---|---|---|---|---|---|\n");
    double m[2][3], sd[2][3];
    for (int model = 0; model < 2; model++) {
        for (int c = 0; c < 3; c++)
            mean_std(acc[model][c], (int)seeds, &m[model][c], &sd[model][c]);
        printf("| %s | %lld | %lld | %.3f ± %.3f | %.3f ± %.3f | %.3f ± %.3f | %.1f |\n",
               model == GCN ? "GCN" : "shared L-conv", (long long)widths[model],
               (long long)budget(model, widths[model], (int)gens), m[model][0], sd[model][0],
               m[model][1], sd[model][1], m[model][2], sd[model][2], seconds[model] / seeds);
    }
    printf("result gcn=%.4f gcn_rot=%.4f lconv=%.4f lconv_rot=%.4f gcn_train=%.4f lconv_train=%.4f "
           "gcn_params=%lld lconv_params=%lld seconds=%.1f\n",
           m[0][1], m[0][2], m[1][1], m[1][2], m[0][0], m[1][0],
           (long long)budget(GCN, widths[0], (int)gens),
           (long long)budget(LCONV, widths[1], (int)gens), now() - t0);
    status = 0;
fail:
    if (curve) fclose(curve);
    lc_optim_free(&opt);
    for (int s = 0; s < 3; s++) {
        lc_cg_free(&nets[s].cg);
        free_set(&sets[s]);
    }
    for (int f = 0; f < 2; f++) {
        lc_tensor_free(&pts[f]);
        lc_tensor_free(&lab[f]);
    }
    return status;
}
