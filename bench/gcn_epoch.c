/* gcn_epoch.c — benchmark: one full-batch training epoch (GCN or any model spec) on Cora and arxiv- and products-sized graphs, on the CPU or the GPU; one f=256 SpMM. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include <GraphBLAS.h>

#include "clock.h"
#include "datafile.h"
#include "internal.h" /* lc_i_graphblas_init and lc_i_csr_to_grb, for the GrB_mxm-only timing */
#include "lconv.h"
#include "backend.h" /* the SpMM kernel alone, for --spmm-device */
#include "model.h" /* which parameters lc_model_train decays, to configure Adam alike */
#include "plan.h"  /* --plan: the device memory plan of the case's model */

/* Report a failed lconv call with its status and message, then jump to `done`. */
#define BENCH_TRY(call)                                                                        \
    do {                                                                                       \
        st = (call);                                                                           \
        if (st != LC_OK) {                                                                     \
            fprintf(stderr, "gcn_epoch: %s failed: %s: %s\n", #call, lc_status_name(st),       \
                    lc_last_error());                                                          \
            goto done;                                                                         \
        }                                                                                      \
    } while (0)
#define BENCH_FAIL(status, ...)                                                                \
    do {                                                                                       \
        fprintf(stderr, "gcn_epoch: " __VA_ARGS__);                                            \
        fputc('\n', stderr);                                                                   \
        st = (status);                                                                         \
        goto done;                                                                             \
    } while (0)

/* The random cases: an OGB graph's size (nodes, undirected edges, feature
 * width, classes), with random structure, features and labels. */
typedef struct {
    const char *name;
    int64_t nodes, edges; /* undirected; twice as many directed */
    int64_t features, classes;
    uint64_t seed;
    const char *model;
} random_case;
static const random_case ARXIV = {"arxiv", 169343, 1166243, 128, 40, 20240601,
                                  "gcn:256,relu,gcn:256,relu,gcn:40"};
/* ogbn-products: 61 859 140 directed edges */
static const random_case PRODUCTS = {"products", 2449029, 30929570, 100, 47, 20240602,
                                     "gcn:256,relu,gcn:256,relu,gcn:47"};
enum { SPMM_WIDTH = 256 };

static const char *const CORA_MODEL = "gcn:16,relu,dropout:0.5,gcn";

typedef struct {
    int run_cora, run_arxiv, run_products, spmm_compare, spmm_device, plan, share;
    lc_device device;
    int reps; /* 0: the per-case default */
    int threads;
    const char *data_dir;
    const char *model; /* NULL: the case's GCN */
    const char *write; /* write the case's data here and stop */
    const char *file;  /* train on the data of this file (case "file") */
    const char *dump;  /* write the built model's parameters and output here */
} options;


static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Sorts t in place; the median of an even count is the mean of the middle two. */
static void summarise(double *t, int n, double *median, double *min, double *max)
{
    qsort(t, (size_t)n, sizeof *t, cmp_double);
    *min = t[0];
    *max = t[n - 1];
    *median = n % 2 ? t[n / 2] : 0.5 * (t[n / 2 - 1] + t[n / 2]);
}

static void print_case(const char *name, int threads, double *t, int reps)
{
    double med, lo, hi;
    summarise(t, reps, &med, &lo, &hi);
    printf("%-6s  %7d  %10.2f  %8.2f  %8.2f  %11.1f\n", name, threads, med, lo, hi,
           peak_rss_mib());
    fflush(stdout);
}

/* ---------- datasets ---------- */

static lc_status load_cora(lc_dataset_t **ds, const char *data_dir)
{
    char spec[4096];
    snprintf(spec, sizeof spec, "planetoid:%s/planetoid/cora", data_dir);
    lc_status st = lc_dataset_load(ds, spec, NULL);
    if (st)
        fprintf(stderr, "gcn_epoch: cannot load '%s': %s: %s\n(set LCONV_DATA_DIR or --data)\n",
                spec, lc_status_name(st), lc_last_error());
    return st;
}

/* An OGB graph's shape with random content: G(n, m) graph, N(0,1) features,
 * uniform labels, a random half of the nodes in the training mask (the other
 * half split between val and test, which the timed loop never reads). */
static lc_status make_random(const random_case *c, lc_dataset_t **out)
{
    lc_status st = LC_OK;
    lc_graph_t *g = NULL;
    lc_tensor_t *x = NULL;
    lc_dataset_t *ds = NULL;
    int32_t *labels = NULL;
    uint8_t *mask[3] = {NULL, NULL, NULL};
    const int64_t n = c->nodes;
    lc_rng_t rng;
    lc_rng_seed(&rng, c->seed);

    BENCH_TRY(lc_graph_erdos_renyi(&g, n, c->edges, c->seed, LC_GRAPH_SYMMETRIZE));
    if (lc_graph_num_edges(g) != 2 * c->edges)
        BENCH_FAIL(LC_ERR_STATE, "the random graph has %lld directed edges, expected %lld",
                   (long long)lc_graph_num_edges(g), (long long)(2 * c->edges));
    BENCH_TRY(lc_tensor_new2(&x, n, c->features));
    float *xd = lc_tensor_data(x);
    for (int64_t i = 0; i < n * c->features; i++) xd[i] = lc_rng_normal(&rng);
    labels = malloc((size_t)n * sizeof *labels);
    for (int k = 0; k < 3; k++) mask[k] = calloc((size_t)n, 1);
    if (!labels || !mask[0] || !mask[1] || !mask[2])
        BENCH_FAIL(LC_ERR_OUT_OF_MEMORY, "cannot allocate labels and masks");
    for (int64_t i = 0; i < n; i++) {
        labels[i] = (int32_t)(lc_rng_next(&rng) % (uint64_t)c->classes);
        float u = lc_rng_uniform(&rng);
        mask[u < 0.5f ? 0 : u < 0.75f ? 1 : 2][i] = 1;
    }
    BENCH_TRY(lc_dataset_new(&ds, g, x, NULL, labels, (int)c->classes));
    g = NULL, x = NULL; /* owned by the dataset now */
    BENCH_TRY(lc_dataset_set_split(ds, mask[0], mask[1], mask[2]));
    *out = ds;
    ds = NULL;
done:
    lc_dataset_free(&ds);
    lc_graph_free(&g);
    lc_tensor_free(&x);
    free(labels);
    for (int k = 0; k < 3; k++) free(mask[k]);
    return st;
}

/* ---------- one training epoch ----------
 * What lc_model_train does per epoch, minus its evaluation pass: forward in
 * training mode (dropout on), backward, Adam step. The loop is driven here
 * through lc_model_graph() so that the evaluation pass (a second forward that
 * lc_model_train runs every epoch for early stopping) stays out of the time.
 * The optimizer matches lc_model_train's defaults: Adam, lr 0.01, L2 5e-4 on
 * the first learnable layer's weights only (Kipf & Welling; for an L-conv
 * layer its W_i and W0, not its edge weights or bias). */
static lc_status time_epochs(const char *name, const lc_dataset_t *ds, const char *spec,
                             int reps, int threads, const char *dump, lc_device device, int share)
{
    lc_status st = LC_OK;
    lc_model_t *m = NULL;
    lc_optim_t *opt = NULL;
    double *times = NULL;
    lc_train_config cfg = lc_train_defaults();
    cfg.share_buffers = share;

    int64_t used0 = 0, used = 0, total = 0, peak = 0;
    BENCH_TRY(lc_model_from_spec(&m, spec));
    if (reps == 0) { /* --plan: the memory plan a device would follow, nothing timed */
        lc_i_plan plan, host;
        BENCH_TRY(lc_model_build(m, ds, &cfg));
        BENCH_TRY(lc_i_plan_build(lc_model_graph(m), 256, false, false, true, &plan));
        st = lc_i_plan_build(lc_model_graph(m), 64, false, true, false, &host);
        if (st) lc_i_plan_free(&plan);
        BENCH_TRY(st);
        printf("plan %s: %s: planned %.1f MiB, unshared %.1f MiB (values, gradients, scratch; "
               "parameters and inputs apart); the CPU's, gradients in place: %.1f MiB\n",
               name, lc_model_spec(m), (double)plan.bytes / (1 << 20),
               (double)plan.unplanned_bytes / (1 << 20), (double)host.bytes / (1 << 20));
        lc_i_plan_free(&plan);
        lc_i_plan_free(&host);
        const lc_i_backend *cuda = lc_i_backend_of(LC_DEVICE_CUDA);
        int64_t arena = 0;
        if (cuda && cuda->layout_bytes) { /* no device needed */
            BENCH_TRY(cuda->layout_bytes(lc_model_graph(m), &arena));
            printf("plan %s: CUDA arena %.1f MiB (the plan, parameters, gradients, inputs and "
                   "sparse index arrays; cuSPARSE's work space apart)\n",
                   name, (double)arena / (1 << 20));
        }
        goto done;
    }
    if (device != LC_DEVICE_CPU) { /* the model is built on the device */
        BENCH_TRY(lc_model_to(m, device));
        BENCH_TRY(lc_device_memory(device, &used0, &total));
    }
    BENCH_TRY(lc_model_build(m, ds, &cfg));
    lc_cgraph_t *cg = lc_model_graph(m);
    if (dump) { /* the initial parameters and their evaluation-mode output */
        BENCH_TRY(lc_cg_forward(cg, 0));
        BENCH_TRY(lc_bench_write_dump(m, dump));
    }
    lc_optim_config oc = lc_optim_defaults(LC_OPTIM_ADAM);
    oc.lr = cfg.lr;
    BENCH_TRY(lc_optim_new(&opt, &oc, cg));
    int first = -1;
    for (int i = 0; i < lc_cg_num_params(cg); i++) {
        if (first < 0 && m->param_decay[i]) first = m->param_layer[i];
        if (m->param_decay[i] && m->param_layer[i] == first)
            BENCH_TRY(lc_optim_set_weight_decay(opt, i, cfg.weight_decay));
    }
    times = malloc((size_t)reps * sizeof *times);
    if (!times) BENCH_FAIL(LC_ERR_OUT_OF_MEMORY, "cannot allocate %d timings", reps);

    /* One untimed warm-up epoch: first touch of every buffer, OpenMP and
     * OpenBLAS thread start, the GCN operator's cached transpose; on a GPU
     * the libraries' first calls and the optimizer state's move. */
    for (int r = -1; r < reps; r++) {
        double t0 = now_ms();
        BENCH_TRY(lc_cg_forward(cg, 1));
        BENCH_TRY(lc_cg_backward(cg));
        BENCH_TRY(lc_optim_step(opt));
        BENCH_TRY(lc_cg_sync(cg)); /* the GPU has finished the epoch */
        double t1 = now_ms();
        if (r >= 0) times[r] = t1 - t0;
        if (device != LC_DEVICE_CPU) {
            BENCH_TRY(lc_device_memory(device, &used, &total));
            if (used - used0 > peak) peak = used - used0;
        }
    }
    if (device != LC_DEVICE_CPU) /* all is allocated up front: in use after an epoch = peak */
        fprintf(stderr, "# device_mib %s: %.1f\n", name, (double)peak / (1 << 20));
    if (cg->backend->describe) {
        char what[160];
        cg->backend->describe(cg, what, sizeof what);
        fprintf(stderr, "# device_choice %s: %s\n", name, what);
    }

    if (dump) { /* the parameters after the warm-up and timed epochs, and their output */
        char trained[4200];
        snprintf(trained, sizeof trained, "%s.trained", dump);
        BENCH_TRY(lc_cg_forward(cg, 0));
        BENCH_TRY(lc_bench_write_dump(m, trained));
    }
    /* A sanity line on stderr: the epochs did train (finite outputs). */
    lc_eval_result ev;
    BENCH_TRY(lc_model_evaluate(m, ds, &ev));
    if (!isfinite(ev.loss[0]))
        BENCH_FAIL(LC_ERR_NUMERIC, "%s: the training loss is %g after %d epochs", name,
                   ev.loss[0], reps + 1);
    fprintf(stderr,
            "# %s: %lld nodes, %lld directed edges, model %s, params=%lld, train loss %.4f after %d epochs\n",
            name, (long long)lc_dataset_num_nodes(ds),
            (long long)lc_graph_num_edges(lc_dataset_graph(ds)), lc_model_spec(m),
            (long long)lc_model_num_params(m), ev.loss[0], reps + 1);
    /* every epoch's time, for bench/compare-pyg to pool over runs */
    fprintf(stderr, "# epoch_ms %s:", name);
    for (int r = 0; r < reps; r++) fprintf(stderr, " %.3f", times[r]);
    fprintf(stderr, "\n");
    print_case(name, threads, times, reps);
done:
    free(times);
    lc_optim_free(&opt); /* before the model: it points into the model's graph */
    lc_model_free(&m);
    return st;
}

/* ---------- SpMM: our CSR kernel vs GraphBLAS ---------- */

/* max |a - b| / max |b| over all entries. */
static double relative_error(const lc_tensor_t *a, const lc_tensor_t *b)
{
    const float *x = lc_tensor_data(a), *y = lc_tensor_data(b);
    double diff = 0, scale = 0;
    for (int64_t i = 0; i < lc_tensor_numel(a); i++) {
        diff = fmax(diff, fabs((double)x[i] - y[i]));
        scale = fmax(scale, fabs((double)y[i]));
    }
    return scale > 0 ? diff / scale : diff;
}

/* The SpMM timings' operands: the graph's GCN operator Â and X [n, 256] of
 * N(0, 1) entries from a fixed seed. */
static lc_status spmm_input(lc_dataset_t *ds, const lc_csr_t **op, lc_tensor_t **x)
{
    lc_status st = LC_OK;
    lc_rng_t rng;
    lc_rng_seed(&rng, ARXIV.seed + 1);
    BENCH_TRY(lc_graph_gcn_operator(lc_dataset_graph(ds), op));
    const int64_t n = lc_csr_rows(*op);
    BENCH_TRY(lc_tensor_new2(x, n, SPMM_WIDTH));
    float *xd = lc_tensor_data(*x);
    for (int64_t i = 0; i < n * SPMM_WIDTH; i++) xd[i] = lc_rng_normal(&rng);
done:
    return st;
}

/* Three timings of Y = Â·X with X [n, 256] on the arxiv-like graph's GCN operator:
 *   csr:       lc_csr_spmm, the CPU backend's kernel;
 *   grb_mxm:   GrB_mxm alone (plus-times FP32), A and X already GraphBLAS matrices;
 *   grb_call:  lc_csr_spmm_graphblas, the whole reference call, which also
 *              converts A, X and Y to and from GraphBLAS.
 * Each is reported as median and minimum over the reps; the ratio is
 * median(grb_mxm) / median(csr), the like-for-like comparison (> 1: ours is faster). */
static lc_status spmm_compare(lc_dataset_t *ds, int reps, int threads)
{
    lc_status st = LC_OK;
    lc_tensor_t *x = NULL, *y_csr = NULL, *y_grb = NULL;
    double *t_csr = NULL, *t_mxm = NULL, *t_call = NULL;
    void *ga = NULL;
    GrB_Matrix gx = NULL, gy = NULL;
    GrB_Index *ri = NULL, *ci = NULL;
    const lc_csr_t *op = NULL;

    BENCH_TRY(spmm_input(ds, &op, &x));
    const int64_t n = lc_csr_rows(op), f = SPMM_WIDTH;
    BENCH_TRY(lc_tensor_new2(&y_csr, n, f));
    BENCH_TRY(lc_tensor_new2(&y_grb, n, f));
    float *xd = lc_tensor_data(x);
    t_csr = malloc((size_t)reps * sizeof *t_csr);
    t_mxm = malloc((size_t)reps * sizeof *t_mxm);
    t_call = malloc((size_t)reps * sizeof *t_call);
    if (!t_csr || !t_mxm || !t_call) BENCH_FAIL(LC_ERR_OUT_OF_MEMORY, "cannot allocate timings");

    /* Our kernel: one warm-up, then reps timed calls. */
    for (int r = -1; r < reps; r++) {
        double t0 = now_ms();
        BENCH_TRY(lc_csr_spmm(op, x, y_csr));
        if (r >= 0) t_csr[r] = now_ms() - t0;
    }

    /* GrB_mxm alone: A and X converted once, outside the timing. X holds every
     * entry, so GraphBLAS stores it as a full matrix after the wait. */
    BENCH_TRY(lc_i_csr_to_grb(op, &ga));
    const GrB_Index nx = (GrB_Index)(n * f);
    ri = malloc((size_t)nx * sizeof *ri);
    ci = malloc((size_t)nx * sizeof *ci);
    if (!ri || !ci) BENCH_FAIL(LC_ERR_OUT_OF_MEMORY, "cannot allocate %llu tuples", (unsigned long long)nx);
    for (GrB_Index k = 0; k < nx; k++) ri[k] = k / (GrB_Index)f, ci[k] = k % (GrB_Index)f;
    if (GrB_Matrix_new(&gx, GrB_FP32, (GrB_Index)n, (GrB_Index)f) != GrB_SUCCESS ||
        GrB_Matrix_build_FP32(gx, ri, ci, xd, nx, GrB_PLUS_FP32) != GrB_SUCCESS ||
        GrB_Matrix_wait(gx, GrB_MATERIALIZE) != GrB_SUCCESS)
        BENCH_FAIL(LC_ERR_BACKEND, "cannot build X as a GraphBLAS matrix");
    free(ri), free(ci);
    ri = ci = NULL;
    for (int r = -1; r < reps; r++) {
        GrB_Matrix_free(&gy);
        if (GrB_Matrix_new(&gy, GrB_FP32, (GrB_Index)n, (GrB_Index)f) != GrB_SUCCESS)
            BENCH_FAIL(LC_ERR_BACKEND, "GrB_Matrix_new failed");
        double t0 = now_ms();
        /* The wait makes sure no pending work is left outside the timing. */
        if (GrB_mxm(gy, NULL, NULL, GrB_PLUS_TIMES_SEMIRING_FP32, (GrB_Matrix)ga, gx, NULL) !=
                GrB_SUCCESS ||
            GrB_Matrix_wait(gy, GrB_MATERIALIZE) != GrB_SUCCESS)
            BENCH_FAIL(LC_ERR_BACKEND, "GrB_mxm failed");
        if (r >= 0) t_mxm[r] = now_ms() - t0;
    }

    /* The whole reference call; its result is also the one we check against. */
    for (int r = -1; r < reps; r++) {
        double t0 = now_ms();
        BENCH_TRY(lc_csr_spmm_graphblas(op, x, y_grb));
        if (r >= 0) t_call[r] = now_ms() - t0;
    }

    double err = relative_error(y_csr, y_grb);
    double med_csr, med_mxm, med_call, min_csr, min_mxm, min_call, hi;
    summarise(t_csr, reps, &med_csr, &min_csr, &hi);
    summarise(t_mxm, reps, &med_mxm, &min_mxm, &hi);
    summarise(t_call, reps, &med_call, &min_call, &hi);
    fprintf(stderr, "# spmm: Y = A_hat X, A_hat %lld x %lld with %lld nonzeros, f = %lld, %d reps\n",
            (long long)n, (long long)lc_csr_cols(op), (long long)lc_csr_nnz(op), (long long)f,
            reps);
    printf("# spmm  threads  csr_ms  csr_min  mxm_ms  mxm_min  call_ms  call_min  mxm/csr  rel_err\n");
    printf("spmm  %7d  %6.1f  %7.1f  %6.1f  %7.1f  %7.1f  %8.1f  %7.2f  %.1e %s\n", threads,
           med_csr, min_csr, med_mxm, min_mxm, med_call, min_call, med_mxm / med_csr, err,
           err <= 1e-4 ? "agree" : "DISAGREE");
    fflush(stdout);
    if (!(err <= 1e-4))
        BENCH_FAIL(LC_ERR_NUMERIC, "lc_csr_spmm and GraphBLAS differ: relative error %.3g > 1e-4",
                   err);
done:
    free(ri);
    free(ci);
    GrB_Matrix_free(&gx);
    GrB_Matrix_free(&gy);
    if (ga) GrB_Matrix_free((GrB_Matrix *)&ga);
    free(t_csr);
    free(t_mxm);
    free(t_call);
    lc_tensor_free(&x);
    lc_tensor_free(&y_csr);
    lc_tensor_free(&y_grb);
    return st;
}

/* The SpMM kernel of a device backend alone: Y = Â·X, X [n, 256] random, on
 * the GCN operator, launched reps times after one warm-up and timed between
 * synchronisations (so launch gaps are in, as in a training step). */
static lc_status spmm_device(lc_dataset_t *ds, int reps, lc_device device)
{
    lc_status st = LC_OK;
    lc_cgraph_t *cg = NULL;
    lc_tensor_t *x = NULL;
    double *t = NULL;
    const lc_csr_t *op = NULL;
    BENCH_TRY(spmm_input(ds, &op, &x));
    const int64_t n = lc_csr_rows(op), f = SPMM_WIDTH;
    lc_node xn, y, loss;
    BENCH_TRY(lc_cg_new(&cg, 1));
    BENCH_TRY(lc_cg_constant(cg, x, &xn));
    BENCH_TRY(lc_cg_spmm(cg, op, xn, &y));
    BENCH_TRY(lc_cg_sum(cg, y, &loss)); /* a graph needs a scalar to compile; never run here */
    BENCH_TRY(lc_cg_compile(cg, loss));
    int64_t used0 = 0, used = 0, total = 0;
    BENCH_TRY(lc_device_memory(device, &used0, &total));
    BENCH_TRY(lc_cg_to(cg, device));
    BENCH_TRY(lc_device_memory(device, &used, &total));
    t = malloc((size_t)reps * sizeof *t);
    if (!t) BENCH_FAIL(LC_ERR_OUT_OF_MEMORY, "cannot allocate timings");
    lc_i_node *node = &cg->nodes[y];
    for (int r = -1; r < reps; r++) {
        double t0 = now_ms();
        cg->backend->forward[LC_OP_SPMM](cg, node);
        BENCH_TRY(lc_cg_sync(cg));
        if (r >= 0) t[r] = now_ms() - t0;
    }
    double med, lo, hi;
    summarise(t, reps, &med, &lo, &hi);
    /* bytes the kernel must move at least: X's rows gathered once per nonzero,
     * A read once, Y written once */
    const double bytes = (double)lc_csr_nnz(op) * (f * 4 + 8) + (double)n * f * 4;
    if (cg->backend->describe) {
        char what[160];
        cg->backend->describe(cg, what, sizeof what);
        fprintf(stderr, "# device_choice spmm_device: %s\n", what);
    }
    fprintf(stderr, "# spmm_device: A_hat %lld x %lld, %lld nonzeros, f = %lld, %d reps, %.0f MiB on the device\n",
            (long long)n, (long long)n, (long long)lc_csr_nnz(op), (long long)f, reps,
            (double)(used - used0) / (1 << 20));
    printf("spmm_device  median_ms %.3f  min_ms %.3f  max_ms %.3f  gather_TB/s %.2f\n", med, lo, hi,
           bytes / (med * 1e-3) / 1e12);
done:
    free(t);
    lc_cg_free(&cg);
    lc_tensor_free(&x);
    return st;
}

/* ---------- command line ---------- */

static void usage(FILE *out)
{
    fprintf(out,
            "usage: gcn_epoch [--case cora|arxiv|products|all] [--model SPEC] [--reps R] [--threads T]\n"
            "                 [--spmm-compare] [--data DIR] [--write FILE] [--file FILE [--dump FILE]]\n"
            "                 [--device cpu|cuda] [--spmm-device] [--share-buffers] [--plan]\n"
            "Times one full-batch training epoch (forward with dropout, backward, Adam step).\n"
            "  --case      cora: Planetoid Cora, %s\n"
            "              arxiv: random graph of ogbn-arxiv's size, %s\n"
            "              products: random graph of ogbn-products' size, %s\n"
            "              all (default): cora and arxiv\n"
            "  --model     a model spec for every case run instead of its GCN, e.g.\n"
            "              'lconv:256:p=4:form=adj,relu,lconv:256:p=4:form=adj,relu,lconv:40:p=4:form=adj'\n"
            "  --reps      timed epochs per case (default 5 for cora, 3 for arxiv), after 1 warm-up\n"
            "  --threads   OpenMP/OpenBLAS/GraphBLAS threads (default 1; 0 = all cores)\n"
            "  --spmm-compare  also time one f=256 SpMM on the arxiv-like graph's GCN operator:\n"
            "              lc_csr_spmm vs GrB_mxm, checked to agree to 1e-4 relative\n"
            "  --data      data folder (default $LCONV_DATA_DIR, else ../shared/data)\n"
            "  --write     write the one chosen case's data to FILE (bench/compare-pyg's format) and stop\n"
            "  --file      time the data of FILE (case 'file') instead of cora/arxiv\n"
            "  --dump      with --file: write the built model's parameters and evaluation output to FILE,\n"
            "              and after the warm-up and timed epochs to FILE.trained\n"
            "  --device    where the model runs (default cpu); on cuda, each epoch ends with lc_cg_sync\n"
            "              and stderr gets '# device_mib CASE: MiB' (device memory the run added)\n"
            "  --spmm-device  with --device cuda: time the SpMM kernel alone, Y = A_hat X, f = 256,\n"
            "              on the case's GCN operator (or --file's)\n"
            "  --share-buffers  the model's intermediate buffers share memory as their lives\n"
            "              allow (lc_train_config.share_buffers): the same bits, less memory\n"
            "  --plan      build each case's model and print the device memory plan's size\n"
            "              (values, gradients, scratch shared vs not), without timing\n"
            "Output: case threads median_ms min_ms max_ms peak_rss_MB (MiB; peak of the process)\n",
            CORA_MODEL, ARXIV.model, PRODUCTS.model);
}

static int parse_int(const char *s, int lo, int *out)
{
    char *end;
    errno = 0;
    long v = s ? strtol(s, &end, 10) : 0;
    if (!s || errno || end == s || *end || v < lo || v > 1000000) return -1;
    *out = (int)v;
    return 0;
}

static int parse_args(int argc, char **argv, options *o)
{
    *o = (options){.run_cora = 1, .run_arxiv = 1, .threads = 1};
    o->data_dir = getenv("LCONV_DATA_DIR");
    if (!o->data_dir || !*o->data_dir) o->data_dir = "../shared/data";
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            exit(0);
        } else if (!strcmp(a, "--case") && v) {
            o->run_cora = !strcmp(v, "cora") || !strcmp(v, "all");
            o->run_arxiv = !strcmp(v, "arxiv") || !strcmp(v, "all");
            o->run_products = !strcmp(v, "products");
            if (!o->run_cora && !o->run_arxiv && !o->run_products) {
                fprintf(stderr, "gcn_epoch: --case '%s': expected cora, arxiv, products or all\n", v);
                return -1;
            }
            i++;
        } else if (!strcmp(a, "--reps")) {
            if (parse_int(v, 1, &o->reps)) {
                fprintf(stderr, "gcn_epoch: --reps needs an integer >= 1\n");
                return -1;
            }
            i++;
        } else if (!strcmp(a, "--threads")) {
            if (parse_int(v, 0, &o->threads)) {
                fprintf(stderr, "gcn_epoch: --threads needs an integer >= 0\n");
                return -1;
            }
            i++;
        } else if (!strcmp(a, "--data") && v) {
            o->data_dir = v;
            i++;
        } else if (!strcmp(a, "--model") && v && *v) {
            lc_model_t *check = NULL;
            if (lc_model_from_spec(&check, v) != LC_OK) {
                fprintf(stderr, "gcn_epoch: --model '%s': %s\n", v, lc_last_error());
                return -1;
            }
            lc_model_free(&check);
            o->model = v;
            i++;
        } else if ((!strcmp(a, "--write") || !strcmp(a, "--file") || !strcmp(a, "--dump")) && v) {
            *(a[2] == 'w' ? &o->write : a[2] == 'f' ? &o->file : &o->dump) = v;
            i++;
        } else if (!strcmp(a, "--spmm-compare")) {
            o->spmm_compare = 1;
        } else if (!strcmp(a, "--spmm-device")) {
            o->spmm_device = 1;
        } else if (!strcmp(a, "--plan")) {
            o->plan = 1;
        } else if (!strcmp(a, "--share-buffers")) {
            o->share = 1;
        } else if (!strcmp(a, "--device") && v) {
            if (lc_device_parse(v, &o->device) != LC_OK) {
                fprintf(stderr, "gcn_epoch: %s\n", lc_last_error());
                return -1;
            }
            i++;
        } else {
            fprintf(stderr, "gcn_epoch: unknown or incomplete option '%s'\n", a);
            usage(stderr);
            return -1;
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    options o;
    if (parse_args(argc, argv, &o)) return 2;
    lc_status st = LC_OK;
    lc_dataset_t *cora = NULL, *arxiv = NULL;

    BENCH_TRY(lc_set_threads(o.threads));
    const int threads = lc_get_threads();
    /* GraphBLAS keeps its own thread count (all cores by default): pin it to
     * the same number so that the SpMM comparison is like for like. */
    BENCH_TRY(lc_i_graphblas_init());
    if (GxB_Global_Option_set(GxB_GLOBAL_NTHREADS, threads) != GrB_SUCCESS)
        BENCH_FAIL(LC_ERR_BACKEND, "cannot set the GraphBLAS thread count to %d", threads);

    if (o.device != LC_DEVICE_CPU) BENCH_TRY(lc_device_available(o.device));
    if (o.spmm_device && o.device == LC_DEVICE_CPU)
        BENCH_FAIL(LC_ERR_INVALID_ARG, "--spmm-device needs --device cuda");
    const random_case *big = o.run_products ? &PRODUCTS : &ARXIV;
    if (o.write) { /* one case's data for bench/compare-pyg, nothing timed */
        if (o.run_cora + o.run_arxiv + o.run_products != 1)
            BENCH_FAIL(LC_ERR_INVALID_ARG, "--write needs --case cora, arxiv or products");
        lc_dataset_t **ds = o.run_cora ? &cora : &arxiv;
        if (o.run_cora && (st = load_cora(ds, o.data_dir))) goto done;
        if (!o.run_cora) BENCH_TRY(make_random(big, ds));
        BENCH_TRY(lc_bench_write_dataset(*ds, o.write));
        goto done;
    }
    if (o.spmm_device) { /* the kernel alone, on a file's graph or the big case's */
        if (o.file) BENCH_TRY(lc_bench_read_dataset(&arxiv, o.file));
        else BENCH_TRY(make_random(big, &arxiv));
        BENCH_TRY(spmm_device(arxiv, o.reps ? o.reps : 20, o.device));
        goto done;
    }
    if (!o.plan) /* with --plan, time_epochs (reps 0) reports the plan instead */
        printf("# case  threads   median_ms    min_ms    max_ms  peak_rss_MB\n");
    if (o.file) {
        BENCH_TRY(lc_bench_read_dataset(&cora, o.file));
        BENCH_TRY(time_epochs("file", cora, o.model ? o.model : CORA_MODEL, o.plan ? 0 : o.reps ? o.reps : 5,
                              threads, o.dump, o.device, o.share));
        goto done;
    }
    if (o.run_cora) {
        if ((st = load_cora(&cora, o.data_dir))) goto done;
        BENCH_TRY(time_epochs("cora", cora, o.model ? o.model : CORA_MODEL, o.plan ? 0 : o.reps ? o.reps : 5,
                              threads, NULL, o.device, o.share));
        lc_dataset_free(&cora);
    }
    if (o.run_arxiv || o.run_products || o.spmm_compare) {
        double t0 = now_ms();
        BENCH_TRY(make_random(big, &arxiv));
        fprintf(stderr, "# %s-like data generated in %.1f s\n", big->name, (now_ms() - t0) / 1e3);
    }
    if (o.run_arxiv || o.run_products)
        BENCH_TRY(time_epochs(big->name, arxiv, o.model ? o.model : big->model,
                              o.plan ? 0 : o.reps ? o.reps : 3, threads, NULL, o.device, o.share));
    if (o.spmm_compare) BENCH_TRY(spmm_compare(arxiv, o.reps ? o.reps : 3, threads));
done:
    lc_dataset_free(&cora);
    lc_dataset_free(&arxiv);
    return st == LC_OK ? 0 : 1;
}
