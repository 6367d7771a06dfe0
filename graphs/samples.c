/* samples.c — graph-level datasets: many signals on one graph (images on a grid), their splits and transforms. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

lc_status lc_dataset_from_samples(lc_dataset_t **out, lc_graph_t *graph, lc_tensor_t *x,
                                  const int32_t *labels, int num_classes)
{
    LC_CHECK_ARG(out && graph && x, "NULL argument (ds %p, graph %p, x %p)", (void *)out,
                 (void *)graph, (void *)x);
    LC_CHECK_ARG(num_classes >= 1, "num_classes %d must be at least 1", num_classes);
    const int64_t n = lc_graph_num_nodes(graph);
    char buf[64];
    if ((x->ndim != 2 && x->ndim != 3) || x->shape[1] != n)
        return LC_ERROR(LC_ERR_SHAPE, "samples %s must be [N, n] or [N, n, c] with n = %lld nodes",
                        lc_i_shape_str(x, buf, sizeof buf), (long long)n);
    const int64_t rows = x->shape[0];
    lc_dataset_t *ds = NULL;
    lc_status st = lc_i_dataset_alloc(__func__, "sample", rows, labels, num_classes, &ds);
    if (st) return st;
    /* Always [N, n, c] inside, so that every user reads the channels the same way. */
    if (x->ndim == 2) x->shape[x->ndim++] = 1;
    ds->graph = graph;
    ds->samples = x;
    *out = ds;
    return LC_OK;
}

int64_t lc_dataset_num_samples(const lc_dataset_t *ds)
{
    return ds && ds->samples ? ds->samples->shape[0] : 0;
}

const lc_tensor_t *lc_dataset_samples(const lc_dataset_t *ds)
{
    return ds ? ds->samples : NULL;
}

/* Largest-remainder apportionment: per-class counts of `fraction · count[c]`
 * whose sum is round(fraction · Σ count), ties to the lower class. */
static void apportion(const int64_t *count, int nc, double fraction, int64_t *quota, double *rem)
{
    int64_t total = 0, given = 0;
    for (int c = 0; c < nc; c++) {
        const double q = fraction * (double)count[c];
        quota[c] = (int64_t)floor(q);
        rem[c] = q - (double)quota[c];
        total += count[c];
        given += quota[c];
    }
    for (int64_t left = llround(fraction * (double)total) - given; left > 0; left--) {
        int best = -1;
        for (int c = 0; c < nc; c++)
            if (quota[c] < count[c] && (best < 0 || rem[c] > rem[best])) best = c;
        if (best < 0) break;
        quota[best]++;
        rem[best] = -1; /* one extra per class at most */
    }
}

lc_status lc_dataset_stratified_split(lc_dataset_t *ds, double val_fraction, double test_fraction,
                                      uint64_t seed)
{
    LC_CHECK_ARG(ds, "dataset is NULL");
    LC_CHECK_ARG(val_fraction >= 0 && test_fraction >= 0 && val_fraction + test_fraction <= 1,
                 "fractions val %g and test %g must be >= 0 and sum to at most 1", val_fraction,
                 test_fraction);
    LC_CHECK_ARG(ds->num_classes > 0, "the dataset has no classes");
    lc_status st = LC_OK;
    const int64_t n = lc_i_dataset_rows(ds);
    const int nc = ds->num_classes;
    int64_t *order = lc_i_malloc((size_t)(n + 1) * sizeof *order);
    int64_t *count = lc_i_calloc((size_t)nc * 3, sizeof *count);
    double *rem = lc_i_malloc((size_t)nc * sizeof *rem);
    if (!order || !count || !rem)
        LC_FAIL(LC_ERR_OUT_OF_MEMORY, "cannot allocate a split of %lld rows", (long long)n);
    int64_t *n_val = count + nc, *n_test = count + 2 * nc;
    for (int64_t i = 0; i < n; i++)
        if (ds->labels[i] >= 0) count[ds->labels[i]]++;
    apportion(count, nc, val_fraction, n_val, rem);
    apportion(count, nc, test_fraction, n_test, rem);
    for (int c = 0; c < nc; c++)
        if (n_test[c] > count[c] - n_val[c]) n_test[c] = count[c] - n_val[c];
    for (int k = 0; k < 3; k++)
        memset(ds->mask[k], 0, (size_t)n);
    lc_rng_t rng;
    lc_rng_seed(&rng, seed);
    /* Class by class, in class order: the rows of the class shuffled, then cut. */
    for (int c = 0; c < nc; c++) {
        int64_t m = 0;
        for (int64_t i = 0; i < n; i++)
            if (ds->labels[i] == c) order[m++] = i;
        lc_i_shuffle(&rng, order, m);
        for (int64_t k = 0; k < m; k++) {
            const int which = k < n_val[c] ? 1 : k < n_val[c] + n_test[c] ? 2 : 0;
            ds->mask[which][order[k]] = 1;
        }
    }
done:
    lc_i_free(order);
    lc_i_free(count);
    lc_i_free(rem);
    return st;
}

/* Transforms act on graph-level data only. */
static lc_status require_samples(const char *func, const lc_dataset_t *ds)
{
    if (!ds) return lc_i_error(LC_ERR_INVALID_ARG, func, "dataset is NULL");
    if (!ds->samples)
        return lc_i_error(LC_ERR_INVALID_ARG, func,
                          "node-level data: the transform needs graph-level samples "
                          "(lc_dataset_from_samples)");
    return LC_OK;
}

lc_status lc_dataset_rotate_images(lc_dataset_t *ds, double max_degrees, uint64_t seed)
{
    lc_status st = require_samples(__func__, ds);
    if (st) return st;
    const lc_tensor_t *x = ds->samples;
    const lc_graph_t *g = ds->graph;
    const int64_t rows = x->shape[0], n = x->shape[1];
    LC_CHECK_ARG(g->grid_k && g->grid_d == 2,
                 "the data's graph is not a 2-D grid (lc_graph_grid): no image shape");
    const int64_t height = g->grid_dims[0], width = g->grid_dims[1];
    LC_CHECK_ARG(x->shape[2] == 1, "images with %lld channels (one channel only)",
                 (long long)x->shape[2]);
    LC_CHECK_ARG(isfinite(max_degrees) && max_degrees >= 0, "max_degrees %g must be >= 0",
                 max_degrees);
    float *tmp = lc_i_malloc((size_t)n * sizeof *tmp);
    if (!tmp) return LC_ERROR(LC_ERR_OUT_OF_MEMORY, "cannot allocate one image of %lld pixels",
                              (long long)n);
    lc_rng_t rng;
    lc_rng_seed(&rng, seed);
    const double max_radians = max_degrees * (M_PI / 180.0);
    for (int64_t i = 0; i < rows && !st; i++) {
        /* Drawn for every sample, used or not: the angles do not depend on the labels. */
        const double angle = (2.0 * (double)lc_rng_uniform(&rng) - 1.0) * max_radians;
        float *img = x->data + i * n;
        st = lc_image_rotate(img, height, width, angle, LC_FILL_BORDER, tmp);
        if (!st) memcpy(img, tmp, (size_t)n * sizeof *tmp);
    }
    lc_i_free(tmp);
    return lc_i_error_from(st, __func__);
}

lc_status lc_dataset_scramble_nodes(lc_dataset_t *ds, uint64_t seed)
{
    lc_status st = require_samples(__func__, ds);
    if (st) return st;
    const lc_tensor_t *x = ds->samples;
    const int64_t rows = x->shape[0], n = x->shape[1], c = x->shape[2];
    int64_t *perm = lc_i_malloc((size_t)n * sizeof *perm);
    float *tmp = lc_i_malloc((size_t)(n * c) * sizeof *tmp);
    if (!perm || !tmp) {
        lc_i_free(perm);
        lc_i_free(tmp);
        return LC_ERROR(LC_ERR_OUT_OF_MEMORY, "cannot allocate a permutation of %lld nodes",
                        (long long)n);
    }
    for (int64_t v = 0; v < n; v++)
        perm[v] = v;
    lc_rng_t rng;
    lc_rng_seed(&rng, seed);
    lc_i_shuffle(&rng, perm, n);
    for (int64_t i = 0; i < rows; i++) {
        float *s = x->data + i * n * c;
        for (int64_t v = 0; v < n; v++)
            memcpy(tmp + v * c, s + perm[v] * c, (size_t)c * sizeof *tmp);
        memcpy(s, tmp, (size_t)(n * c) * sizeof *tmp);
    }
    lc_i_free(perm);
    lc_i_free(tmp);
    return LC_OK;
}

/* Images [N, h, w] scaled to [0, 1] and their labels from a pair of IDX files;
 * errors are reported under `func`. */
static lc_status read_idx_pair(const char *func, const char *images_path, const char *labels_path,
                               lc_tensor_t **images, int32_t **labels, int *num_classes)
{
    lc_status st = LC_OK;
    lc_tensor_t *x = NULL, *y = NULL;
    int32_t *lab = NULL;
    char buf[64];
    LC_TRY(lc_read_idx(images_path, &x));
    LC_TRY(lc_read_idx(labels_path, &y));
    if (x->ndim != 3)
        LC_TRY(lc_i_error(LC_ERR_PARSE, func, "'%s': images must be [N, height, width], got %s",
                          images_path, lc_i_shape_str(x, buf, sizeof buf)));
    if (y->ndim != 1 || y->shape[0] != x->shape[0])
        LC_TRY(lc_i_error(LC_ERR_PARSE, func, "'%s' holds %s labels but '%s' has %lld images",
                          labels_path, lc_i_shape_str(y, buf, sizeof buf), images_path,
                          (long long)x->shape[0]));
    lab = lc_i_malloc((size_t)y->numel * sizeof *lab);
    if (!lab) LC_FAIL(LC_ERR_OUT_OF_MEMORY, "cannot allocate %lld labels", (long long)y->numel);
    int classes = 0;
    for (int64_t i = 0; i < y->numel; i++) {
        const float v = y->data[i];
        if (!(v >= 0 && v <= 255 && v == floorf(v)))
            LC_TRY(lc_i_error(LC_ERR_PARSE, func, "'%s': label %lld is %g, not a class in [0, 255]",
                              labels_path, (long long)i, (double)v));
        lab[i] = (int32_t)v;
        if (lab[i] + 1 > classes) classes = lab[i] + 1;
    }
    for (int64_t i = 0; i < x->numel; i++)
        x->data[i] *= 1.0f / 255.0f;
    *images = x, *labels = lab, *num_classes = classes;
    x = NULL, lab = NULL;
done:
    lc_tensor_free(&x);
    lc_tensor_free(&y);
    lc_i_free(lab);
    return st;
}

/* Graph-level data on an h × w grid from images [N, h, w] (taken on success). */
static lc_status images_dataset(lc_dataset_t **out, lc_tensor_t *images, const int32_t *labels,
                                int num_classes)
{
    lc_graph_t *g = NULL;
    const int64_t dims[2] = {images->shape[1], images->shape[2]};
    lc_status st = lc_graph_grid(&g, 2, dims, 3, LC_BOUNDARY_ZERO);
    if (st) return st;
    const int64_t shape[3] = {images->shape[0], dims[0] * dims[1], 1};
    images->ndim = 3; /* [N, h, w] → [N, h·w, 1]: the same floats */
    memcpy(images->shape, shape, sizeof shape);
    st = lc_dataset_from_samples(out, g, images, labels, num_classes);
    if (st) {
        lc_graph_free(&g);
        images->shape[1] = dims[0], images->shape[2] = dims[1]; /* the caller's again */
    }
    return st;
}

lc_status lc_dataset_from_idx(lc_dataset_t **ds, const char *images_path, const char *labels_path)
{
    LC_CHECK_ARG(ds && images_path && labels_path, "NULL argument");
    lc_tensor_t *x = NULL;
    int32_t *labels = NULL;
    int classes = 0;
    lc_status st = read_idx_pair(__func__, images_path, labels_path, &x, &labels, &classes);
    if (!st) st = images_dataset(ds, x, labels, classes);
    if (!st) {
        x = NULL;
        memset((*ds)->mask[0], 1, (size_t)lc_i_dataset_rows(*ds));
    }
    lc_tensor_free(&x);
    lc_i_free(labels);
    return st;
}

/* DIR/<prefix>-<kind>-idx<d>-ubyte[.gz] when it exists (path in buf). */
static bool find_idx(char *buf, size_t len, const char *dir, const char *prefix, const char *kind)
{
    static const char *const ext[2] = {".gz", ""};
    for (int i = 0; i < 2; i++) {
        snprintf(buf, len, "%s/%s-%s-ubyte%s", dir, prefix, kind, ext[i]);
        if (access(buf, R_OK) == 0) return true;
    }
    return false;
}

/* Test images held out when a directory has only the 10 000 test images. */
#define MNIST_TEST_ONLY_HOLDOUT 0.2

lc_status lc_i_dataset_from_mnist_dir(lc_dataset_t **out, const char *dir, uint64_t split_seed)
{
    const char *func = "lc_dataset_load";
    char train_img[4096], train_lab[4096], test_img[4096], test_lab[4096];
    const bool has_train = find_idx(train_img, sizeof train_img, dir, "train", "images-idx3") &&
                           find_idx(train_lab, sizeof train_lab, dir, "train", "labels-idx1");
    const bool has_test = find_idx(test_img, sizeof test_img, dir, "t10k", "images-idx3") &&
                          find_idx(test_lab, sizeof test_lab, dir, "t10k", "labels-idx1");
    if (!has_test)
        return lc_i_error(LC_ERR_IO, func,
                          "'%s' lacks t10k-images-idx3-ubyte[.gz] and t10k-labels-idx1-ubyte[.gz] "
                          "(MNIST's file names)",
                          dir);
    lc_status st = LC_OK;
    lc_tensor_t *a = NULL, *b = NULL, *x = NULL;
    int32_t *la = NULL, *lb = NULL, *labels = NULL;
    int ca = 0, cb = 0;
    lc_dataset_t *ds = NULL;
    LC_TRY(read_idx_pair(func, test_img, test_lab, &b, &lb, &cb));
    if (!has_train) {
        /* Only the test set: a stratified 80/20 split of it, fixed by the seed. */
        LC_TRY(images_dataset(&ds, b, lb, cb));
        b = NULL;
        LC_TRY(lc_dataset_stratified_split(ds, 0.0, MNIST_TEST_ONLY_HOLDOUT, split_seed));
        *out = ds;
        ds = NULL;
        goto done;
    }
    LC_TRY(read_idx_pair(func, train_img, train_lab, &a, &la, &ca));
    if (a->shape[1] != b->shape[1] || a->shape[2] != b->shape[2])
        LC_TRY(lc_i_error(LC_ERR_PARSE, func, "'%s' has %lld×%lld images, '%s' %lld×%lld",
                          train_img, (long long)a->shape[1], (long long)a->shape[2], test_img,
                          (long long)b->shape[1], (long long)b->shape[2]));
    /* The training images then the test images; masks mark which is which. */
    const int64_t na = a->shape[0], nb = b->shape[0];
    LC_TRY(lc_tensor_new(&x, 3, (int64_t[]){na + nb, a->shape[1], a->shape[2]}));
    memcpy(x->data, a->data, (size_t)a->numel * sizeof(float));
    memcpy(x->data + a->numel, b->data, (size_t)b->numel * sizeof(float));
    labels = lc_i_malloc((size_t)(na + nb) * sizeof *labels);
    if (!labels) LC_FAIL(LC_ERR_OUT_OF_MEMORY, "cannot allocate %lld labels", (long long)(na + nb));
    memcpy(labels, la, (size_t)na * sizeof *labels);
    memcpy(labels + na, lb, (size_t)nb * sizeof *labels);
    LC_TRY(images_dataset(&ds, x, labels, ca > cb ? ca : cb));
    x = NULL;
    memset(ds->mask[0], 1, (size_t)na);
    memset(ds->mask[2] + na, 1, (size_t)nb);
    *out = ds;
    ds = NULL;
done:
    lc_tensor_free(&a);
    lc_tensor_free(&b);
    lc_tensor_free(&x);
    lc_i_free(la);
    lc_i_free(lb);
    lc_i_free(labels);
    lc_dataset_free(&ds);
    return st;
}
