/* test_samples.c — graph-level data: many samples on one graph, splits, transforms, IDX image
 * datasets, the flatten layer and mini-batch training against full-batch references. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "internal.h"

static lc_rng_t rng;

/* N samples [N, n, c] of uniform noise on an edgeless graph of n nodes (a
 * grid when side > 0: side × side), labels = sample index mod classes. */
static lc_dataset_t *noise_samples(int64_t N, int64_t n, int64_t c, int classes, int side)
{
    lc_graph_t *g = NULL;
    if (side > 0) {
        if (lc_graph_grid(&g, 2, (int64_t[]){side, side}, 3, LC_BOUNDARY_ZERO)) return NULL;
        n = (int64_t)side * side;
    } else if (lc_graph_from_edges(&g, n, 0, NULL, NULL, NULL, 0)) {
        return NULL;
    }
    lc_tensor_t *x = lc_test_rand_tensor(&rng, 3, (int64_t[]){N, n, c}, -1, 1, 0);
    int32_t *labels = malloc((size_t)N * sizeof *labels);
    lc_dataset_t *ds = NULL;
    for (int64_t i = 0; i < N; i++) labels[i] = (int32_t)(i % classes);
    if (!x || lc_dataset_from_samples(&ds, g, x, labels, classes)) {
        lc_tensor_free(&x);
        lc_graph_free(&g);
    } else {
        uint8_t *all = malloc((size_t)N);
        memset(all, 1, (size_t)N);
        lc_dataset_set_split(ds, all, NULL, all);
        free(all);
    }
    free(labels);
    return ds;
}

static void test_construction(void)
{
    lc_graph_t *g = NULL;
    LC_ASSERT_OK(lc_graph_from_edges(&g, 4, 0, NULL, NULL, NULL, 0));
    lc_tensor_t *x = NULL;
    LC_ASSERT_OK(lc_tensor_new2(&x, 6, 4)); /* [N, n]: one channel */
    const int32_t labels[6] = {0, 1, 2, -1, 1, 0};
    lc_dataset_t *ds = NULL;
    /* errors leave graph and x with the caller */
    LC_ASSERT_STATUS(lc_dataset_from_samples(&ds, g, x, labels, 0), LC_ERR_INVALID_ARG);
    const int32_t bad[6] = {0, 1, 3, 0, 0, 0};
    LC_ASSERT_STATUS(lc_dataset_from_samples(&ds, g, x, bad, 3), LC_ERR_INVALID_ARG);
    LC_ASSERT_ERROR_HAS("label 3 of sample 2 outside [-1, 3)");
    lc_tensor_t *wrong = NULL;
    LC_ASSERT_OK(lc_tensor_new2(&wrong, 6, 5));
    LC_ASSERT_STATUS(lc_dataset_from_samples(&ds, g, wrong, labels, 3), LC_ERR_SHAPE);
    LC_ASSERT_ERROR_HAS("with n = 4 nodes");
    LC_ASSERT_STATUS(lc_dataset_from_samples(&ds, NULL, x, labels, 3), LC_ERR_INVALID_ARG);
    CU_ASSERT_PTR_NULL(ds);
    lc_tensor_free(&wrong);

    LC_ASSERT_OK(lc_dataset_from_samples(&ds, g, x, labels, 3));
    CU_ASSERT_EQUAL(lc_dataset_num_samples(ds), 6);
    CU_ASSERT_EQUAL(lc_dataset_num_nodes(ds), 4);
    CU_ASSERT_EQUAL(lc_dataset_num_features(ds), 1);
    const lc_tensor_t *s = lc_dataset_samples(ds);
    CU_ASSERT_EQUAL(lc_tensor_ndim(s), 3);
    CU_ASSERT_EQUAL(lc_tensor_dim(s, 2), 1);
    CU_ASSERT_EQUAL(lc_dataset_labels(ds)[3], -1);
    /* masks are per sample */
    const uint8_t train[6] = {1, 1, 0, 0, 0, 0}, test[6] = {0, 0, 0, 0, 1, 1};
    LC_ASSERT_OK(lc_dataset_set_split(ds, train, NULL, test));
    CU_ASSERT_EQUAL(lc_dataset_mask(ds, 2)[5], 1);
    /* node-level data: no samples */
    lc_dataset_t *karate = NULL;
    LC_ASSERT_OK(lc_dataset_karate(&karate));
    CU_ASSERT_EQUAL(lc_dataset_num_samples(karate), 0);
    CU_ASSERT_PTR_NULL(lc_dataset_samples(karate));
    LC_ASSERT_STATUS(lc_dataset_scramble_nodes(karate, 1), LC_ERR_INVALID_ARG);
    LC_ASSERT_ERROR_HAS("node-level data");
    LC_ASSERT_STATUS(lc_dataset_rotate_images(karate, 10, 1), LC_ERR_INVALID_ARG);
    lc_dataset_free(&karate);
    lc_dataset_free(&ds);
}

static void test_stratified_split(void)
{
    /* classes of 10, 20 and 70 samples, 5 unlabelled */
    const int64_t N = 105;
    lc_dataset_t *ds = noise_samples(N, 3, 1, 3, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ds);
    int32_t *labels = (int32_t *)lc_dataset_labels(ds);
    for (int64_t i = 0; i < N; i++) labels[i] = i < 10 ? 0 : i < 30 ? 1 : i < 100 ? 2 : -1;
    LC_ASSERT_OK(lc_dataset_stratified_split(ds, 0.1, 0.2, 7));
    int64_t count[3][3] = {{0}};
    for (int64_t i = 0; i < N; i++) {
        int in = 0;
        for (int k = 0; k < 3; k++) {
            in += lc_dataset_mask(ds, k)[i];
            if (lc_dataset_mask(ds, k)[i] && labels[i] >= 0) count[k][labels[i]]++;
        }
        CU_ASSERT_EQUAL(in, labels[i] >= 0 ? 1 : 0); /* a partition of the labelled rows */
    }
    const int64_t want_val[3] = {1, 2, 7}, want_test[3] = {2, 4, 14};
    for (int c = 0; c < 3; c++) {
        CU_ASSERT_EQUAL(count[1][c], want_val[c]);
        CU_ASSERT_EQUAL(count[2][c], want_test[c]);
    }
    /* the same seed gives the same split; another seed another */
    uint8_t first[105];
    memcpy(first, lc_dataset_mask(ds, 2), N);
    LC_ASSERT_OK(lc_dataset_stratified_split(ds, 0.1, 0.2, 7));
    CU_ASSERT(memcmp(first, lc_dataset_mask(ds, 2), N) == 0);
    LC_ASSERT_OK(lc_dataset_stratified_split(ds, 0.1, 0.2, 8));
    CU_ASSERT(memcmp(first, lc_dataset_mask(ds, 2), N) != 0);
    /* totals are round(fraction · labelled) even when no class divides evenly */
    LC_ASSERT_OK(lc_dataset_stratified_split(ds, 0.0, 0.33, 1));
    int64_t total = 0;
    for (int64_t i = 0; i < N; i++) total += lc_dataset_mask(ds, 2)[i];
    CU_ASSERT_EQUAL(total, 33);
    LC_ASSERT_STATUS(lc_dataset_stratified_split(ds, 0.6, 0.5, 1), LC_ERR_INVALID_ARG);
    LC_ASSERT_STATUS(lc_dataset_stratified_split(ds, -0.1, 0.5, 1), LC_ERR_INVALID_ARG);
    lc_dataset_free(&ds);
}

static void test_scramble(void)
{
    /* every sample holds its node indices: the scrambled ones must all show one permutation */
    lc_dataset_t *ds = noise_samples(5, 30, 2, 2, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ds);
    float *x = lc_tensor_data(lc_dataset_samples(ds));
    for (int64_t i = 0; i < 5; i++)
        for (int64_t v = 0; v < 30; v++)
            for (int c = 0; c < 2; c++) x[(i * 30 + v) * 2 + c] = (float)(v * 2 + c + 1000 * i);
    LC_ASSERT_OK(lc_dataset_scramble_nodes(ds, 3));
    int seen[30] = {0}, moved = 0;
    for (int64_t v = 0; v < 30; v++) {
        const int src = (int)x[v * 2] / 2;
        CU_ASSERT_FATAL(src >= 0 && src < 30);
        seen[src]++;
        moved += src != v;
        for (int64_t i = 0; i < 5; i++) {
            CU_ASSERT_EQUAL(x[(i * 30 + v) * 2], (float)(src * 2 + 1000 * i));
            CU_ASSERT_EQUAL(x[(i * 30 + v) * 2 + 1], (float)(src * 2 + 1 + 1000 * i));
        }
    }
    for (int v = 0; v < 30; v++) CU_ASSERT_EQUAL(seen[v], 1);
    CU_ASSERT(moved > 20);
    lc_dataset_free(&ds);
}

static void test_rotate(void)
{
    lc_dataset_t *ds = noise_samples(4, 0, 1, 2, 6);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ds);
    const int64_t numel = lc_tensor_numel(lc_dataset_samples(ds));
    float *x = lc_tensor_data(lc_dataset_samples(ds));
    float *before = malloc((size_t)numel * sizeof *before);
    memcpy(before, x, (size_t)numel * sizeof *before);
    /* angle 0: the identity */
    LC_ASSERT_OK(lc_dataset_rotate_images(ds, 0, 1));
    for (int64_t i = 0; i < numel; i++) CU_ASSERT_DOUBLE_EQUAL(x[i], before[i], 1e-6);
    /* each image as lc_image_rotate turns it, by an angle within the bound:
     * with border fill a constant image stays constant whatever the angle */
    for (int64_t i = 0; i < 36; i++) x[i] = 0.25f;
    LC_ASSERT_OK(lc_dataset_rotate_images(ds, 90, 1));
    for (int64_t i = 0; i < 36; i++) CU_ASSERT_DOUBLE_EQUAL(x[i], 0.25f, 1e-6);
    /* the others changed, and each equals a rotation of its original by some angle
     * in (-90°, 90°): check the closest of a fine sweep matches to float precision */
    float rotated[36];
    for (int s = 1; s < 4; s++) {
        double best = INFINITY;
        for (int a = -900; a <= 900; a++) {
            LC_ASSERT_OK(lc_image_rotate(before + s * 36, 6, 6, a * M_PI / 1800.0, LC_FILL_BORDER,
                                         rotated));
            double d = 0;
            for (int k = 0; k < 36; k++) d = fmax(d, fabs(rotated[k] - x[s * 36 + k]));
            best = fmin(best, d);
        }
        CU_ASSERT(best < 0.05); /* the 0.1° sweep brackets the drawn angle */
        CU_ASSERT(memcmp(before + s * 36, x + s * 36, 36 * sizeof *x) != 0);
    }
    /* not a grid, or more than one channel */
    lc_dataset_t *flat = noise_samples(2, 9, 1, 2, 0);
    LC_ASSERT_STATUS(lc_dataset_rotate_images(flat, 10, 1), LC_ERR_INVALID_ARG);
    LC_ASSERT_ERROR_HAS("not a 2-D grid");
    lc_dataset_free(&flat);
    lc_dataset_t *two = NULL;
    lc_graph_t *g = NULL;
    LC_ASSERT_OK(lc_graph_grid(&g, 2, (int64_t[]){3, 3}, 3, LC_BOUNDARY_ZERO));
    lc_tensor_t *t = NULL;
    LC_ASSERT_OK(lc_tensor_new(&t, 3, (int64_t[]){2, 9, 2}));
    LC_ASSERT_OK(lc_dataset_from_samples(&two, g, t, NULL, 2));
    LC_ASSERT_STATUS(lc_dataset_rotate_images(two, 10, 1), LC_ERR_INVALID_ARG);
    LC_ASSERT_ERROR_HAS("2 channels");
    LC_ASSERT_STATUS(lc_dataset_rotate_images(ds, NAN, 1), LC_ERR_INVALID_ARG);
    lc_dataset_free(&two);
    free(before);
    lc_dataset_free(&ds);
}

/* The same data as node-level rows: sample i flattened (node-major, channels
 * fastest, as 'flatten' lays it out) is node i of an edgeless graph. */
static lc_dataset_t *as_node_level(const lc_dataset_t *ds)
{
    const lc_tensor_t *s = lc_dataset_samples(ds);
    const int64_t N = lc_tensor_dim(s, 0), w = lc_tensor_dim(s, 1) * lc_tensor_dim(s, 2);
    lc_graph_t *g = NULL;
    lc_tensor_t *x = NULL;
    lc_dataset_t *out = NULL;
    if (lc_graph_from_edges(&g, N, 0, NULL, NULL, NULL, 0) || lc_tensor_new2(&x, N, w)) return NULL;
    memcpy(lc_tensor_data(x), lc_tensor_data(s), (size_t)(N * w) * sizeof(float));
    if (lc_dataset_new(&out, g, x, NULL, lc_dataset_labels(ds), lc_dataset_num_classes(ds)))
        return NULL;
    lc_dataset_set_split(out, lc_dataset_mask(ds, 0), lc_dataset_mask(ds, 1),
                         lc_dataset_mask(ds, 2));
    return out;
}

static double max_param_diff(lc_model_t *a, lc_model_t *b)
{
    lc_cgraph_t *ca = lc_model_graph(a), *cb = lc_model_graph(b);
    double d = 0;
    for (int i = 0; i < lc_cg_num_params(ca); i++) {
        const lc_tensor_t *x = lc_cg_param_tensor(ca, i), *y = lc_cg_param_tensor(cb, i);
        for (int64_t k = 0; k < lc_tensor_numel(x); k++)
            d = fmax(d, fabs(lc_tensor_data(x)[k] - lc_tensor_data(y)[k]));
    }
    return d;
}

/* One batch holding every sample is full-batch training of the same linear
 * classifier on the flattened samples as node rows: the same parameters after
 * a few SGD steps, the same evaluation. */
static void test_full_batch_equals_node_level(void)
{
    lc_dataset_t *ds = noise_samples(12, 5, 3, 4, 0);
    lc_dataset_t *rows = as_node_level(ds);
    CU_ASSERT_PTR_NOT_NULL_FATAL(rows);
    lc_model_t *a = NULL, *b = NULL;
    LC_ASSERT_OK(lc_model_from_spec(&a, "flatten,linear"));
    LC_ASSERT_OK(lc_model_from_spec(&b, "linear"));
    lc_train_config cfg = lc_train_defaults();
    cfg.epochs = 3, cfg.optim = LC_OPTIM_SGD, cfg.lr = 0.5f, cfg.weight_decay = 0;
    cfg.patience = 0, cfg.batch_size = 12;
    lc_train_result ra, rb;
    LC_ASSERT_OK(lc_model_train(a, ds, &cfg, &ra));
    LC_ASSERT_OK(lc_model_train(b, rows, &cfg, &rb));
    CU_ASSERT_EQUAL(lc_cg_num_params(lc_model_graph(a)), 2);
    CU_ASSERT(max_param_diff(a, b) < 1e-5);
    CU_ASSERT_DOUBLE_EQUAL(ra.final.loss[2], rb.final.loss[2], 1e-5);
    CU_ASSERT_DOUBLE_EQUAL(ra.final.accuracy[2], rb.final.accuracy[2], 1e-6);
    /* and the training moved away from the start */
    CU_ASSERT(ra.final.loss[2] < logf(4.0f) - 0.05f);
    /* evaluating in batches of 5 (5, 5, 2 with padding) gives the same figures */
    lc_model_t *c = NULL;
    LC_ASSERT_OK(lc_model_from_spec(&c, "flatten,linear"));
    cfg.batch_size = 5;
    LC_ASSERT_OK(lc_model_build(c, ds, &cfg));
    for (int i = 0; i < 2; i++)
        LC_ASSERT_OK(lc_tensor_copy(lc_cg_param_tensor(lc_model_graph(c), i),
                                    lc_cg_param_tensor(lc_model_graph(a), i)));
    lc_eval_result ec;
    LC_ASSERT_OK(lc_model_evaluate(c, ds, &ec));
    CU_ASSERT_DOUBLE_EQUAL(ec.loss[2], ra.final.loss[2], 1e-6);
    CU_ASSERT_DOUBLE_EQUAL(ec.accuracy[2], ra.final.accuracy[2], 1e-6);
    CU_ASSERT_DOUBLE_EQUAL(ec.loss[0], ra.final.loss[0], 1e-6);
    CU_ASSERT(isnan(ec.loss[1])); /* no validation samples */
    /* a batch size that differs from the build's is refused, not silently rebuilt */
    cfg.batch_size = 4;
    LC_ASSERT_STATUS(lc_model_train(c, ds, &cfg, NULL), LC_ERR_STATE);
    LC_ASSERT_ERROR_HAS("batch size 5");
    cfg.batch_size = 0;
    LC_ASSERT_STATUS(lc_model_train(c, ds, &cfg, NULL), LC_ERR_INVALID_ARG);
    lc_model_free(&a);
    lc_model_free(&b);
    lc_model_free(&c);
    lc_dataset_free(&rows);
    lc_dataset_free(&ds);
}

/* The padding of a short last batch takes no part: with 5 identical samples
 * and batches of 4, an epoch is two SGD steps on that sample's gradient —
 * exactly two full-batch epochs on the sample alone, whatever the order. */
static void test_short_batch_padding(void)
{
    lc_dataset_t *ds = noise_samples(5, 4, 2, 3, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ds);
    float *x = lc_tensor_data(lc_dataset_samples(ds));
    int32_t *labels = (int32_t *)lc_dataset_labels(ds);
    for (int i = 1; i < 5; i++) {
        memcpy(x + i * 8, x, 8 * sizeof *x);
        labels[i] = labels[0];
    }
    lc_dataset_t *one = noise_samples(1, 4, 2, 3, 0);
    memcpy(lc_tensor_data(lc_dataset_samples(one)), x, 8 * sizeof *x);
    ((int32_t *)lc_dataset_labels(one))[0] = labels[0];
    lc_model_t *a = NULL, *b = NULL;
    LC_ASSERT_OK(lc_model_from_spec(&a, "flatten,linear:6,tanh,linear"));
    LC_ASSERT_OK(lc_model_from_spec(&b, "flatten,linear:6,tanh,linear"));
    lc_train_config cfg = lc_train_defaults();
    cfg.optim = LC_OPTIM_SGD, cfg.lr = 0.3f, cfg.weight_decay = 0, cfg.patience = 0;
    cfg.epochs = 1, cfg.batch_size = 4;
    LC_ASSERT_OK(lc_model_train(a, ds, &cfg, NULL));
    cfg.epochs = 2, cfg.batch_size = 1;
    LC_ASSERT_OK(lc_model_train(b, one, &cfg, NULL));
    const double d = max_param_diff(a, b);
    CU_ASSERT(d < 1e-5);
    if (d >= 1e-5) fprintf(stderr, "\n  parameters differ by %g\n", d);
    lc_model_free(&a);
    lc_model_free(&b);
    lc_dataset_free(&one);
    lc_dataset_free(&ds);
}

/* Mini-batches shuffle with the seed: the same seed, the same bits. */
static void test_deterministic_and_learns(void)
{
    lc_dataset_t *ds = noise_samples(40, 0, 1, 2, 5);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ds);
    /* a learnable signal: class 1 has a bright centre pixel */
    float *x = lc_tensor_data(lc_dataset_samples(ds));
    for (int i = 0; i < 40; i++) x[i * 25 + 12] += lc_dataset_labels(ds)[i] ? 2.0f : -2.0f;
    static const char *const specs[] = {"lattice:4,relu,flatten,linear",
                                        "lowrank:4:p=2:r=3,relu,flatten,linear",
                                        "gcn:4,relu,flatten,linear", "lconv:4:p=2,tanh,flatten,linear"};
    for (size_t k = 0; k < sizeof specs / sizeof specs[0]; k++) {
        lc_model_t *a = NULL, *b = NULL;
        LC_ASSERT_OK(lc_model_from_spec(&a, specs[k]));
        LC_ASSERT_OK(lc_model_from_spec(&b, specs[k]));
        lc_train_config cfg = lc_train_defaults();
        cfg.epochs = 15, cfg.batch_size = 8, cfg.weight_decay = 0, cfg.patience = 0;
        lc_train_result ra, rb;
        LC_ASSERT_OK(lc_model_train(a, ds, &cfg, &ra));
        LC_ASSERT_OK(lc_model_train(b, ds, &cfg, &rb));
        CU_ASSERT_EQUAL(max_param_diff(a, b), 0.0);
        if (ra.final.accuracy[2] < 0.9)
            fprintf(stderr, "\n  %s: accuracy %.3f\n", specs[k], ra.final.accuracy[2]);
        CU_ASSERT(ra.final.accuracy[2] >= 0.9);
        lc_model_free(&b);
        LC_ASSERT_OK(lc_model_from_spec(&b, specs[k]));
        cfg.seed = 43;
        LC_ASSERT_OK(lc_model_train(b, ds, &cfg, &rb));
        CU_ASSERT(max_param_diff(a, b) > 0);
        lc_model_free(&a);
        lc_model_free(&b);
    }
    lc_dataset_free(&ds);
}

static void test_model_errors(void)
{
    lc_dataset_t *ds = noise_samples(6, 0, 1, 2, 4);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ds);
    lc_model_t *m = NULL;
    /* no flatten: one output row per node and sample */
    LC_ASSERT_OK(lc_model_from_spec(&m, "lattice:3,relu,linear"));
    LC_ASSERT_STATUS(lc_model_build(m, ds, NULL), LC_ERR_SHAPE);
    LC_ASSERT_ERROR_HAS("put 'flatten' before the output layer");
    lc_model_free(&m);
    /* flatten on node-level data */
    lc_dataset_t *karate = NULL;
    LC_ASSERT_OK(lc_dataset_karate(&karate));
    LC_ASSERT_OK(lc_model_from_spec(&m, "gcn:4,flatten,linear"));
    LC_ASSERT_STATUS(lc_model_build(m, karate, NULL), LC_ERR_INVALID_ARG);
    LC_ASSERT_ERROR_HAS("'flatten' needs graph-level data");
    lc_model_free(&m);
    CU_ASSERT_EQUAL(lc_model_from_spec(&m, "flatten:3,linear"), LC_ERR_INVALID_ARG);
    CU_ASSERT_PTR_NULL(m);
    LC_ASSERT_OK(lc_model_from_spec(&m, "flatten,linear"));
    CU_ASSERT_STRING_EQUAL(lc_model_spec(m), "flatten,linear");
    lc_model_free(&m);
    lc_dataset_free(&karate);
    lc_dataset_free(&ds);
}

/* A minimal IDX writer for the tests: big-endian dims, u8 or i16 data. */
static void write_idx(const char *path, int type, int ndim, const int *dims, const int *values)
{
    FILE *f = fopen(path, "wb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    const unsigned char head[4] = {0, 0, (unsigned char)type, (unsigned char)ndim};
    fwrite(head, 1, 4, f);
    int64_t count = 1;
    for (int i = 0; i < ndim; i++) {
        const unsigned char d[4] = {(unsigned char)(dims[i] >> 24), (unsigned char)(dims[i] >> 16),
                                    (unsigned char)(dims[i] >> 8), (unsigned char)dims[i]};
        fwrite(d, 1, 4, f);
        count *= dims[i];
    }
    for (int64_t k = 0; k < count; k++) {
        if (type == 0x08) {
            fputc(values[k], f);
        } else {
            fputc((values[k] >> 8) & 255, f);
            fputc(values[k] & 255, f);
        }
    }
    fclose(f);
}

static void test_idx_dataset(void)
{
    char dir[] = "/tmp/lc_samples_XXXXXX";
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
    char img[256], lab[256], other[256];
    snprintf(img, sizeof img, "%s/t10k-images-idx3-ubyte", dir);
    snprintf(lab, sizeof lab, "%s/t10k-labels-idx1-ubyte", dir);
    snprintf(other, sizeof other, "%s/bad-labels", dir);
    int pixels[3 * 2 * 3];
    for (int k = 0; k < 18; k++) pixels[k] = k * 15;
    write_idx(img, 0x08, 3, (int[]){3, 2, 3}, pixels);
    write_idx(lab, 0x08, 1, (int[]){3}, (int[]){2, 0, 1});
    lc_dataset_t *ds = NULL;
    LC_ASSERT_OK(lc_dataset_from_idx(&ds, img, lab));
    CU_ASSERT_EQUAL(lc_dataset_num_samples(ds), 3);
    CU_ASSERT_EQUAL(lc_dataset_num_nodes(ds), 6); /* a 2 × 3 grid */
    CU_ASSERT_EQUAL(lc_dataset_num_classes(ds), 3);
    CU_ASSERT_DOUBLE_EQUAL(lc_tensor_data(lc_dataset_samples(ds))[17], 255.0 / 255.0, 1e-7);
    CU_ASSERT_DOUBLE_EQUAL(lc_tensor_data(lc_dataset_samples(ds))[1], 15.0 / 255.0, 1e-7);
    CU_ASSERT_EQUAL(lc_dataset_mask(ds, 0)[2], 1);
    lc_dataset_free(&ds);
    /* mnist:DIR with only the test files: a stratified 80/20 split */
    char spec[300];
    snprintf(spec, sizeof spec, "mnist:%s", dir);
    LC_ASSERT_OK(lc_dataset_load(&ds, spec, NULL));
    CU_ASSERT_EQUAL(lc_dataset_num_samples(ds), 3);
    lc_dataset_free(&ds);
    /* labels and images disagree; a label that is no class */
    write_idx(other, 0x08, 1, (int[]){2}, (int[]){0, 1});
    LC_ASSERT_STATUS(lc_dataset_from_idx(&ds, img, other), LC_ERR_PARSE);
    LC_ASSERT_ERROR_HAS("bad-labels");
    LC_ASSERT_ERROR_HAS("3 images");
    write_idx(other, 0x0B, 1, (int[]){3}, (int[]){0, 300, 1});
    LC_ASSERT_STATUS(lc_dataset_from_idx(&ds, img, other), LC_ERR_PARSE);
    LC_ASSERT_ERROR_HAS("label 1 is 300");
    /* images that are not [N, h, w] */
    LC_ASSERT_STATUS(lc_dataset_from_idx(&ds, lab, lab), LC_ERR_PARSE);
    LC_ASSERT_ERROR_HAS("[N, height, width]");
    CU_ASSERT_PTR_NULL(ds);
    /* a directory without MNIST's files */
    unlink(img);
    LC_ASSERT_STATUS(lc_dataset_load(&ds, spec, NULL), LC_ERR_IO);
    LC_ASSERT_ERROR_HAS("t10k-images-idx3-ubyte");
    unlink(lab);
    unlink(other);
    rmdir(dir);
}

static void test_real_mnist(void)
{
    const char *dir = lc_test_data("mnist-test");
    if (!dir || access(lc_test_data("mnist-test/t10k-images-idx3-ubyte.gz"), R_OK) != 0) {
        lc_test_skip("../shared/data/mnist-test is absent");
        return;
    }
    char spec[4200];
    snprintf(spec, sizeof spec, "mnist:%s", dir);
    lc_dataset_t *ds = NULL;
    LC_ASSERT_OK(lc_dataset_load(&ds, spec, NULL));
    CU_ASSERT_EQUAL(lc_dataset_num_samples(ds), 10000);
    CU_ASSERT_EQUAL(lc_dataset_num_nodes(ds), 784);
    CU_ASSERT_EQUAL(lc_dataset_num_classes(ds), 10);
    const int32_t first[5] = {7, 2, 1, 0, 4};
    for (int i = 0; i < 5; i++) CU_ASSERT_EQUAL(lc_dataset_labels(ds)[i], first[i]);
    /* 8000 / 2000, every class held out in proportion (±1) */
    int64_t per_class[10] = {0}, held[10] = {0}, train = 0, test = 0;
    for (int64_t i = 0; i < 10000; i++) {
        const int c = lc_dataset_labels(ds)[i];
        per_class[c]++;
        held[c] += lc_dataset_mask(ds, 2)[i];
        train += lc_dataset_mask(ds, 0)[i];
        test += lc_dataset_mask(ds, 2)[i];
    }
    CU_ASSERT_EQUAL(train, 8000);
    CU_ASSERT_EQUAL(test, 2000);
    for (int c = 0; c < 10; c++) CU_ASSERT(llabs(held[c] * 5 - per_class[c]) <= 5);
    const lc_tensor_t *x = lc_dataset_samples(ds);
    float lo = 1, hi = 0;
    for (int64_t k = 0; k < lc_tensor_numel(x); k++) {
        lo = fminf(lo, lc_tensor_data(x)[k]);
        hi = fmaxf(hi, lc_tensor_data(x)[k]);
    }
    CU_ASSERT_EQUAL(lo, 0.0f);
    CU_ASSERT_EQUAL(hi, 1.0f);
    lc_dataset_free(&ds);
}

int main(void)
{
    lc_rng_seed(&rng, 2026);
    static const lc_test_case cases[] = {
        {"construction", test_construction},
        {"stratified_split", test_stratified_split},
        {"scramble_is_one_permutation", test_scramble},
        {"rotate_images", test_rotate},
        {"full_batch_equals_node_level", test_full_batch_equals_node_level},
        {"short_batch_padding", test_short_batch_padding},
        {"deterministic_and_learns", test_deterministic_and_learns},
        {"model_errors", test_model_errors},
        {"idx_dataset", test_idx_dataset},
        {"real_mnist", test_real_mnist},
        {NULL, NULL},
    };
    return lc_test_main("samples", cases);
}
