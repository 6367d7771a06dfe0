/* fixed_rotation.c — the paper's experiment 2: one L-conv y = x + L·x (W0 = I, one dense generator) fitted to noise images rotated by a fixed small angle, against the closed-form least-squares generator and L_rot. */
#include <cblas.h>

#include "../common/experiment.h"

static const char *usage =
    "[--side S] [--angle RAD] [--train N] [--test N] [--epochs E] [--batch B] [--lr LR]\n"
    "       [--decay G] [--seed S] [--threads T] [--out DIR] [--full]";

/* N noise images of side × side pixels in [-0.5, 0.5), one per row, and their rotations. */
static int make_pairs(lc_rng_t *rng, int64_t count, int side, double angle, float *x, float *y)
{
    const int n = side * side;
    for (int64_t k = 0; k < count; k++) {
        for (int i = 0; i < n; i++) x[k * n + i] = lc_rng_uniform(rng) - 0.5f;
        if (lc_image_rotate(x + k * n, side, side, angle, LC_FILL_ZERO, y + k * n) != LC_OK) return -1;
    }
    return 0;
}

/* mean over samples and pixels of ((I + L)·x − y)², one GEMM over the set */
static double pair_mse(const float *l, const float *x, const float *y, int64_t count, int n, float *work)
{
    /* work[k, :] = x_k·Lᵀ + x_k for the row-major samples */
    memcpy(work, x, (size_t)(count * n) * sizeof *work);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)count, n, n, 1.0f, x, n, l, n, 1.0f,
                work, n);
    double s = 0;
    for (int64_t k = 0; k < count * n; k++) s += ((double)work[k] - y[k]) * ((double)work[k] - y[k]);
    return s / (double)(count * n);
}

int main(int argc, char **argv)
{
    ex_prog = "fixed_rotation";
    long side = 7, train = 50000, test = 10000, epochs = 20, batch = 32, seed = 1, threads = 1;
    double angle = M_PI / 10, lr = 1e-2, decay = 0.7;
    const char *out_dir = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--side")) side = ex_long(ex_value(argc, argv, &i, usage), 2, 32, usage);
        else if (!strcmp(a, "--angle")) angle = ex_double(ex_value(argc, argv, &i, usage), -10, 10, usage);
        else if (!strcmp(a, "--train")) train = ex_long(ex_value(argc, argv, &i, usage), 1, 10000000, usage);
        else if (!strcmp(a, "--test")) test = ex_long(ex_value(argc, argv, &i, usage), 1, 10000000, usage);
        else if (!strcmp(a, "--epochs")) epochs = ex_long(ex_value(argc, argv, &i, usage), 1, 100000, usage);
        else if (!strcmp(a, "--batch")) batch = ex_long(ex_value(argc, argv, &i, usage), 1, 1 << 20, usage);
        else if (!strcmp(a, "--lr")) lr = ex_double(ex_value(argc, argv, &i, usage), 1e-12, 10, usage);
        else if (!strcmp(a, "--decay")) decay = ex_double(ex_value(argc, argv, &i, usage), 1e-6, 1, usage);
        else if (!strcmp(a, "--seed")) seed = ex_long(ex_value(argc, argv, &i, usage), 0, 1L << 30, usage);
        else if (!strcmp(a, "--threads")) threads = ex_long(ex_value(argc, argv, &i, usage), 0, 256, usage);
        else if (!strcmp(a, "--out")) out_dir = ex_value(argc, argv, &i, usage);
        else if (!strcmp(a, "--full")) train = 50000, test = 10000, epochs = 20, batch = 32;
        else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            printf("usage: %s %s\n", ex_prog, usage);
            return 0;
        } else ex_usage_error(usage, "unknown option '%s'", a);
    }
    if (batch > train) ex_usage_error(usage, "the batch is larger than the training set%s", "");

    int status = 1;
    const int n = (int)(side * side);
    lc_cgraph_t *cg = NULL;
    lc_optim_t *opt = NULL;
    lc_tensor_t *xb = NULL, *yb = NULL, *l0 = NULL, *lrot = NULL, *truth = NULL, *lls = NULL;
    FILE *curve = NULL;
    float *xtr = malloc((size_t)(train * n) * sizeof(float)), *ytr = malloc((size_t)(train * n) * sizeof(float));
    float *xte = malloc((size_t)(test * n) * sizeof(float)), *yte = malloc((size_t)(test * n) * sizeof(float));
    float *work = malloc((size_t)((train > test ? train : test) * n) * sizeof(float));
    int64_t *order = malloc((size_t)train * sizeof *order);
    if (!xtr || !ytr || !xte || !yte || !work || !order) {
        fprintf(stderr, "%s: out of memory\n", ex_prog);
        goto fail;
    }
    CHECK(lc_set_threads((int)threads));
    lc_rng_t rng;
    lc_rng_seed(&rng, (uint64_t)seed);
    if (make_pairs(&rng, train, (int)side, angle, xtr, ytr) || make_pairs(&rng, test, (int)side, angle, xte, yte)) {
        fprintf(stderr, "%s: %s\n", ex_prog, lc_last_error());
        goto fail;
    }

    /* y = x + L·x on a batch [n, B] (one sample per column); W0 = I, L starts at 0 */
    lc_node x, y, l, lx, yhat, loss;
    CHECK(lc_tensor_new2(&xb, n, batch));
    CHECK(lc_tensor_new2(&yb, n, batch));
    CHECK(lc_tensor_new2(&l0, n, n));
    CHECK(lc_cg_new(&cg, (uint64_t)seed));
    CHECK(lc_cg_constant(cg, xb, &x));
    CHECK(lc_cg_constant(cg, yb, &y));
    CHECK(lc_cg_parameter(cg, l0, "L", &l));
    CHECK(lc_cg_matmul(cg, l, x, &lx));
    CHECK(lc_cg_add(cg, x, lx, &yhat));
    CHECK(lc_cg_mse(cg, yhat, y, &loss));
    CHECK(lc_cg_compile(cg, loss));
    lc_optim_config oc = lc_optim_defaults(LC_OPTIM_ADAM);
    oc.lr = (float)lr;
    CHECK(lc_optim_new(&opt, &oc, cg));
    const float *lv = lc_tensor_data(lc_cg_param_tensor(cg, 0));

    if (out_dir) {
        char path[4096];
        curve = fopen(ex_path(path, sizeof path, out_dir, "loss.csv"), "w");
        if (!curve) {
            fprintf(stderr, "%s: cannot write %s\n", ex_prog, path);
            goto fail;
        }
        fprintf(curve, "epoch,lr,train_loss,test_mse\n");
    }
    printf("%dx%d noise rotated by %.4f rad: %ld train / %ld test pairs, batch %ld, Adam lr %g x %g per epoch\n",
           (int)side, (int)side, angle, train, test, batch, lr, decay);
    printf("%6s %10s %14s %14s\n", "epoch", "lr", "train loss", "test mse");
    for (int64_t k = 0; k < train; k++) order[k] = k;
    const int64_t steps = train / batch; /* the remainder of each shuffled epoch is dropped */
    double first_loss = NAN, last_loss = NAN, test_mse = NAN;
    float rate = (float)lr;
    for (long e = 1; e <= epochs; e++) {
        for (int64_t k = train - 1; k > 0; k--) { /* Fisher–Yates */
            const int64_t j = (int64_t)(lc_rng_uniform(&rng) * (float)(k + 1)) % (k + 1);
            const int64_t t = order[k];
            order[k] = order[j];
            order[j] = t;
        }
        double sum = 0;
        for (int64_t s = 0; s < steps; s++) {
            float *xd = lc_tensor_data(xb), *yd = lc_tensor_data(yb);
            for (int64_t b = 0; b < batch; b++) {
                const float *xs = xtr + order[s * batch + b] * n, *ys = ytr + order[s * batch + b] * n;
                for (int i = 0; i < n; i++) {
                    xd[i * batch + b] = xs[i];
                    yd[i * batch + b] = ys[i];
                }
            }
            CHECK(lc_cg_forward(cg, 1));
            CHECK(lc_cg_backward(cg));
            CHECK(lc_optim_step(opt));
            sum += lc_tensor_data(lc_cg_value(cg, loss))[0];
        }
        const double train_loss = sum / (double)steps;
        test_mse = pair_mse(lv, xte, yte, test, n, work);
        if (e == 1) first_loss = train_loss;
        last_loss = train_loss;
        printf("%6ld %10.3g %14.6g %14.6g\n", e, rate, train_loss, test_mse);
        if (curve) fprintf(curve, "%ld,%.9g,%.9g,%.9g\n", e, rate, train_loss, test_mse);
        rate *= (float)decay; /* torch StepLR(step_size = 1, gamma = decay) */
        CHECK(lc_optim_set_lr(opt, rate));
    }

    /* the closed-form least squares on the training pairs, and the truth */
    CHECK(lc_tensor_new2(&lls, n, n));
    if (ex_least_squares_generator(xtr, ytr, NULL, train, n, lc_tensor_data(lls))) {
        fprintf(stderr, "%s: the least-squares problem is singular (fewer pairs than pixels?)\n", ex_prog);
        goto fail;
    }
    CHECK(lc_rotation_generators_2d(side, NULL, NULL, &lrot));
    CHECK(lc_tensor_new2(&truth, n, n)); /* angle·L_rot: what L is close to */
    for (int64_t k = 0; k < (int64_t)n * n; k++) lc_tensor_data(truth)[k] = (float)angle * lc_tensor_data(lrot)[k];
    int tr_l, tr_ls;
    const double corr = ex_generator_corr(lv, lrot, &tr_l);
    const double corr_ls = ex_generator_corr(lc_tensor_data(lls), lrot, &tr_ls);
    const double corr_l_ls = lc_cosine_correlation(lv, lc_tensor_data(lls), (int64_t)n * n);
    const double mse_ls = pair_mse(lc_tensor_data(lls), xte, yte, test, n, work);
    printf("test mse: L-conv %.3g, least squares %.3g (paper: 1.8e-14)\n", test_mse, mse_ls);
    printf("cosine correlation with L_rot%s: L-conv %.4f, least squares %.4f%s (paper: 0.27 and 0.27); "
           "L-conv vs least squares %.4f\n", tr_l ? "^T" : "", corr, corr_ls, tr_ls != tr_l ? " (vs L_rot^T)" : "",
           corr_l_ls);
    const double share = ex_antisym_share(lv, n);
    printf("antisymmetric share of L %.3f: its antisymmetric part alone correlates %.4f with L_rot "
           "(the diagonal and symmetric part are the interpolation's smoothing and the lost corners)\n",
           share, share > 0 ? fabs(corr) / share : 0.0);
    if (out_dir) {
        char path[4096];
        const lc_tensor_t *panels[] = {lc_cg_param_tensor(cg, 0), truth, lls};
        CHECK(lc_write_heatmaps_png(ex_path(path, sizeof path, out_dir, "generators.png"), 3, panels, 0));
        if (ex_write_matrix_csv(ex_path(path, sizeof path, out_dir, "learned.csv"), panels[0]) ||
            ex_write_matrix_csv(ex_path(path, sizeof path, out_dir, "least_squares.csv"), lls))
            goto fail;
        printf("wrote %s/{loss.csv,generators.png,learned.csv,least_squares.csv}\n", out_dir);
    }
    printf("result mse=%.6g mse_ls=%.6g corr=%.4f corr_ls=%.4f corr_l_ls=%.4f first_loss=%.6g last_loss=%.6g\n",
           test_mse, mse_ls, fabs(corr), fabs(corr_ls), corr_l_ls, first_loss, last_loss);
    status = 0;
fail:
    if (curve && fclose(curve) != 0) status = 1;
    lc_optim_free(&opt);
    lc_cg_free(&cg);
    lc_tensor_free(&xb);
    lc_tensor_free(&yb);
    lc_tensor_free(&l0);
    lc_tensor_free(&lrot);
    lc_tensor_free(&truth);
    lc_tensor_free(&lls);
    free(xtr);
    free(ytr);
    free(xte);
    free(yte);
    free(work);
    free(order);
    return status;
}
