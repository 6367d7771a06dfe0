/* dataset.c — datasets (graph, features, labels, split masks), random splits, load by spec. */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "dist.h"

/* Largest graph for which an edge-list dataset gets one-hot identity
 * features (n × n dense floats: 400 MB at this size). */
#define EDGELIST_MAX_IDENTITY 10000

lc_load_options lc_load_defaults(void)
{
    return (lc_load_options){.normalize_features = 1, .self_loops_in_graph = 0, .split_seed = 0};
}

lc_status lc_i_dataset_alloc(const char *func, const char *row_name, int64_t rows,
                             const int32_t *labels, int num_classes, lc_dataset_t **out)
{
    if (labels)
        for (int64_t i = 0; i < rows; i++)
            if (labels[i] < -1 || labels[i] >= num_classes)
                return lc_i_error(LC_ERR_INVALID_ARG, func, "label %d of %s %lld outside [-1, %d)",
                                  (int)labels[i], row_name, (long long)i, num_classes);
    lc_dataset_t *ds = lc_i_calloc(1, sizeof *ds);
    if (ds) {
        ds->labels = lc_i_malloc((size_t)(rows + 1) * sizeof *ds->labels);
        for (int k = 0; k < 3; k++)
            ds->mask[k] = lc_i_calloc((size_t)rows + 1, 1);
    }
    if (!ds || !ds->labels || !ds->mask[0] || !ds->mask[1] || !ds->mask[2]) {
        lc_dataset_free(&ds);
        return lc_i_error(LC_ERR_OUT_OF_MEMORY, func, "cannot allocate a dataset of %lld %ss",
                          (long long)rows, row_name);
    }
    for (int64_t i = 0; i < rows; i++)
        ds->labels[i] = labels ? labels[i] : -1;
    ds->num_classes = num_classes;
    *out = ds;
    return LC_OK;
}

/* On failure nothing is taken: the caller still owns graph and features.
 * labels may be NULL (every node unlabelled). */
lc_status lc_dataset_new(lc_dataset_t **out, lc_graph_t *graph, lc_tensor_t *features,
                         lc_csr_t *sparse_features, const int32_t *labels, int num_classes)
{
    LC_CHECK_ARG(out, "output handle is NULL");
    LC_CHECK_ARG(graph, "graph is NULL");
    LC_CHECK_ARG((features != NULL) != (sparse_features != NULL),
                 "give exactly one of features and sparse_features (got %s)",
                 features ? "both" : "neither");
    LC_CHECK_ARG(num_classes >= 0, "num_classes %d is negative", num_classes);
    const int64_t n = lc_graph_num_nodes(graph);
    if (features) {
        char buf[64];
        if (features->ndim != 2)
            return LC_ERROR(LC_ERR_SHAPE, "features must be 2-D [n, f], got %s",
                            lc_i_shape_str(features, buf, sizeof buf));
        if (features->shape[0] != n)
            return LC_ERROR(LC_ERR_SHAPE, "features %s have %lld rows but the graph has %lld nodes",
                            lc_i_shape_str(features, buf, sizeof buf),
                            (long long)features->shape[0], (long long)n);
    } else if (sparse_features->n_rows != n) {
        return LC_ERROR(LC_ERR_SHAPE, "sparse features have %lld rows but the graph has %lld nodes",
                        (long long)sparse_features->n_rows, (long long)n);
    }
    lc_dataset_t *ds = NULL;
    lc_status st = lc_i_dataset_alloc(__func__, "node", n, labels, num_classes, &ds);
    if (st) return st;
    ds->graph = graph;
    ds->features = features;
    ds->sparse_features = sparse_features;
    *out = ds;
    return LC_OK;
}

/* NULL masks mean empty sets. Masks may overlap (e.g. val = test). */
/* A part file's data set is a one-node stand-in: what would change its rows
 * is refused, naming func and what to do instead. */
static lc_status part_refused(const char *func, const char *verb)
{
    return lc_i_error(LC_ERR_INVALID_ARG, func,
                      "a part file's data set is a one-node stand-in: %s the whole data set "
                      "before lc_dataset_write_parts",
                      verb);
}

lc_status lc_dataset_set_split(lc_dataset_t *ds, const uint8_t *train, const uint8_t *val,
                               const uint8_t *test)
{
    LC_CHECK_ARG(ds, "dataset is NULL");
    if (ds->part) return part_refused(__func__, "split");
    const uint8_t *src[3] = {train, val, test};
    const int64_t n = lc_i_dataset_rows(ds);
    for (int k = 0; k < 3; k++)
        for (int64_t i = 0; i < n; i++)
            ds->mask[k][i] = src[k] && src[k][i] ? 1 : 0;
    return LC_OK;
}

int64_t lc_i_dataset_rows(const lc_dataset_t *ds)
{
    return ds->samples ? ds->samples->shape[0] : lc_graph_num_nodes(ds->graph);
}

lc_status lc_dataset_random_split(lc_dataset_t *ds, int per_class, int64_t n_val, int64_t n_test,
                                  uint64_t seed)
{
    LC_CHECK_ARG(ds, "dataset is NULL");
    if (ds->part) return part_refused(__func__, "split");
    LC_CHECK_ARG(per_class >= 0 && n_val >= 0 && n_test >= 0,
                 "negative size (per_class %d, n_val %lld, n_test %lld)", per_class,
                 (long long)n_val, (long long)n_test);
    LC_CHECK_ARG(per_class == 0 || ds->num_classes > 0,
                 "%d training nodes per class requested but the dataset has no classes", per_class);
    lc_status st = LC_OK;
    const int64_t n = lc_i_dataset_rows(ds);
    const int nc = ds->num_classes;
    int64_t *order = lc_i_malloc((size_t)n * sizeof *order);
    int64_t *taken = lc_i_calloc((size_t)nc + 1, sizeof *taken);
    uint8_t *mask = lc_i_calloc((size_t)n * 3, 1);
    if (!order || !taken || !mask)
        LC_FAIL(LC_ERR_OUT_OF_MEMORY, "cannot allocate a split of %lld nodes", (long long)n);

    /* the labelled nodes in index order, shuffled by Fisher–Yates: the same
     * seed gives the same split everywhere */
    int64_t labelled = 0;
    for (int64_t i = 0; i < n; i++)
        if (ds->labels[i] >= 0) order[labelled++] = i;
    lc_rng_t rng;
    lc_rng_seed(&rng, seed);
    lc_i_shuffle(&rng, order, labelled);
    /* the first per_class nodes of each class train; the rest keep their
     * shuffled order and fill val, then test */
    int64_t rest = 0;
    for (int64_t k = 0; k < labelled; k++) {
        int64_t i = order[k];
        int c = ds->labels[i];
        if (taken[c] < per_class) {
            taken[c]++;
            mask[i] = 1;
        } else {
            order[rest++] = i;
        }
    }
    for (int c = 0; c < nc; c++)
        if (taken[c] < per_class)
            LC_FAIL(LC_ERR_INVALID_ARG,
                    "class %d has only %lld labelled nodes; %d per class requested", c,
                    (long long)taken[c], per_class);
    if (n_val > rest || n_test > rest - n_val)
        LC_FAIL(LC_ERR_INVALID_ARG,
                "%lld labelled nodes remain after the training set; %lld val + %lld test requested",
                (long long)rest, (long long)n_val, (long long)n_test);
    for (int64_t k = 0; k < n_val; k++)
        mask[n + order[k]] = 1;
    for (int64_t k = n_val; k < n_val + n_test; k++)
        mask[2 * n + order[k]] = 1;
    for (int k = 0; k < 3; k++)
        memcpy(ds->mask[k], mask + k * n, (size_t)n);
done:
    lc_i_free(order);
    lc_i_free(taken);
    lc_i_free(mask);
    return st;
}

lc_status lc_dataset_normalize_features(lc_dataset_t *ds)
{
    LC_CHECK_ARG(ds, "dataset is NULL");
    if (ds->part) return part_refused(__func__, "normalise");
    if (ds->features) {
        lc_tensor_t *x = ds->features;
        const int64_t rows = lc_i_rows(x), cols = lc_i_cols(x);
        for (int64_t r = 0; r < rows; r++) {
            float *row = x->data + r * cols;
            double sum = 0.0;
            for (int64_t j = 0; j < cols; j++)
                sum += row[j];
            if (sum != 0.0)
                for (int64_t j = 0; j < cols; j++)
                    row[j] = (float)(row[j] / sum);
        }
    } else {
        lc_csr_t *a = ds->sparse_features;
        for (int64_t r = 0; r < a->n_rows; r++) {
            double sum = 0.0;
            for (int64_t k = a->rowptr[r]; k < a->rowptr[r + 1]; k++)
                sum += a->val[k];
            if (sum != 0.0)
                for (int64_t k = a->rowptr[r]; k < a->rowptr[r + 1]; k++)
                    a->val[k] = (float)(a->val[k] / sum);
        }
        /* A built model may hold the cached transpose: refresh its values in place. */
        if (a->transpose)
            for (int64_t k = 0; k < a->nnz; k++)
                a->transpose->val[k] = a->val[a->transpose->source[k]];
    }
    return LC_OK;
}

void lc_dataset_free(lc_dataset_t **pds)
{
    if (!pds || !*pds) return;
    lc_dataset_t *ds = *pds;
    lc_graph_free(&ds->graph);
    lc_tensor_free(&ds->features);
    lc_tensor_free(&ds->samples);
    lc_csr_free(&ds->sparse_features);
    lc_i_free(ds->labels);
    for (int k = 0; k < 3; k++)
        lc_i_free(ds->mask[k]);
    lc_i_part_free(&ds->part);
    lc_i_free(ds);
    *pds = NULL;
}

lc_graph_t *lc_dataset_graph(const lc_dataset_t *ds)
{
    return ds ? ds->graph : NULL;
}
int64_t lc_dataset_num_nodes(const lc_dataset_t *ds)
{
    return ds ? lc_graph_num_nodes(ds->graph) : 0;
}
int64_t lc_dataset_num_features(const lc_dataset_t *ds)
{
    if (!ds) return 0;
    if (ds->samples) return ds->samples->shape[2]; /* always [N, n, c] */
    return ds->features ? lc_i_cols(ds->features) : ds->sparse_features->n_cols;
}
int lc_dataset_num_classes(const lc_dataset_t *ds)
{
    return ds ? ds->num_classes : 0;
}
const int32_t *lc_dataset_labels(const lc_dataset_t *ds)
{
    return ds ? ds->labels : NULL;
}
const uint8_t *lc_dataset_mask(const lc_dataset_t *ds, int which)
{
    return ds && which >= 0 && which < 3 ? ds->mask[which] : NULL;
}
const lc_tensor_t *lc_dataset_features(const lc_dataset_t *ds)
{
    return ds ? ds->features : NULL;
}
const lc_csr_t *lc_dataset_sparse_features(const lc_dataset_t *ds)
{
    return ds ? ds->sparse_features : NULL;
}

/* A dense n × n identity: one-hot node features for data that has none. */
static lc_status identity_features(lc_tensor_t **out, int64_t n)
{
    lc_tensor_t *x = NULL;
    lc_status st = lc_tensor_new2(&x, n, n);
    if (st != LC_OK) return st;
    for (int64_t i = 0; i < n; i++)
        x->data[i * n + i] = 1.0f;
    *out = x;
    return LC_OK;
}

/* "edgelist:FILE": an edge list carries a graph only. The graph is
 * symmetrised (self loops dropped unless opts keep them, weights as in the
 * file); features are one-hot identity rows (dense [n, n]) — the usual choice
 * for featureless graphs — and are refused with LC_ERR_UNSUPPORTED above
 * 10000 nodes, where they would cost n² floats; every label is -1,
 * num_classes is 0 and the masks are empty. */
static lc_status dataset_from_edgelist(lc_dataset_t **ds, const char *path,
                                       const lc_load_options *o)
{
    lc_status st = LC_OK;
    lc_graph_t *g = NULL;
    lc_tensor_t *x = NULL;
    lc_dataset_t *d = NULL;
    int flags = LC_GRAPH_SYMMETRIZE | (o->self_loops_in_graph ? 0 : LC_GRAPH_DROP_SELF_LOOPS);
    LC_TRY(lc_read_edgelist(&g, path, 0, flags));
    const int64_t n = lc_graph_num_nodes(g);
    if (n > EDGELIST_MAX_IDENTITY)
        LC_TRY(lc_i_error(LC_ERR_UNSUPPORTED, "lc_dataset_load",
                          "'%s' has %lld nodes; an edge list has no features and one-hot "
                          "identity features are built only up to %d nodes (use a format with "
                          "features)",
                          path, (long long)n, EDGELIST_MAX_IDENTITY));
    LC_TRY(identity_features(&x, n));
    LC_TRY(lc_dataset_new(&d, g, x, NULL, NULL, 0));
    g = NULL, x = NULL; /* owned by d now */
    *ds = d;
done:
    lc_graph_free(&g);
    lc_tensor_free(&x);
    return st;
}

/* One rank's part, read from its file: a stand-in of one node with the part's
 * kind and width of features and its classes (all a model takes from the data
 * to shape its parameters), labelled for training, the part attached. Its one
 * edge, a self loop, lets an L-conv layer build on it (lconv.c). */
static lc_status dataset_from_part(lc_dataset_t **ds, const char *path)
{
    lc_status st = LC_OK;
    lc_i_part *p = NULL;
    lc_graph_t *g = NULL;
    lc_tensor_t *x = NULL;
    lc_csr_t *xs = NULL;
    lc_dataset_t *d = NULL;
    LC_TRY(lc_i_part_read(path, &p));
    const int32_t label = 0;
    const int64_t self = 0;
    if ((st = lc_graph_from_edges(&g, 1, 1, &self, &self, NULL, 0)) ||
        (st = p->features ? lc_tensor_new2(&x, 1, p->width)
                          : lc_csr_from_coo(&xs, 1, p->width, 0, NULL, NULL, NULL)) ||
        (st = lc_dataset_new(&d, g, x, xs, &label, p->classes))) {
        st = lc_i_error(st, "lc_dataset_load", "'%s': its stand-in of %lld features, %d classes: %s",
                        path, (long long)p->width, p->classes, lc_last_error());
        goto done;
    }
    g = NULL, x = NULL, xs = NULL; /* owned by d now */
    d->mask[0][0] = 1;
    d->part = p;
    p = NULL;
    *ds = d;
done:
    lc_i_part_free(&p);
    lc_graph_free(&g);
    lc_tensor_free(&x);
    lc_csr_free(&xs);
    return lc_i_error_from(st, "lc_dataset_load");
}

int lc_dataset_part_info(const lc_dataset_t *ds, int *part, int *parts, int64_t *own,
                         int64_t *nodes)
{
    if (!ds || !ds->part) return 0;
    if (part) *part = ds->part->part;
    if (parts) *parts = ds->part->parts;
    if (own) *own = ds->part->a_hat.n_own;
    if (nodes) *nodes = ds->part->n;
    return 1;
}

lc_status lc_dataset_load_part(lc_dataset_t **ds, const char *dir, const lc_dist_t *d)
{
    LC_CHECK_ARG(ds && dir, "NULL argument");
    char path[4096], spec[4200];
    if (!lc_i_part_path(path, sizeof path, dir, lc_dist_rank(d)))
        return LC_ERROR(LC_ERR_INVALID_ARG, "directory name '%s' is too long", dir);
    snprintf(spec, sizeof spec, "part:%s", path);
    return lc_i_error_from(lc_dataset_load(ds, spec, NULL), __func__);
}

lc_status lc_dataset_write_parts(const lc_dataset_t *ds, const int32_t *of, int parts,
                                 const char *dir)
{
    LC_CHECK_ARG(ds && of && dir, "NULL argument");
    LC_CHECK_ARG(!ds->samples && !ds->part,
                 "only a whole node-level data set splits into parts (this one is %s)",
                 ds->samples ? "graph-level" : "a part already");
    LC_CHECK_ARG(ds->num_classes > 0, "the dataset has no classes (no labels)");
    const int64_t n = lc_i_dataset_rows(ds);
    LC_CHECK_ARG(parts >= 2 && parts <= n, "%d parts of %lld nodes (a job of 2 ranks or more)",
                 parts, (long long)n);
    for (int64_t i = 0; i < n; i++)
        LC_CHECK_ARG(of[i] >= 0 && of[i] < parts, "node %lld is in part %d, outside [0, %d)",
                     (long long)i, of[i], parts);
    if (mkdir(dir, 0777) != 0 && errno != EEXIST)
        return LC_ERROR(LC_ERR_IO, "cannot create the directory '%s': %s", dir, strerror(errno));
    lc_status st = LC_OK;
    const uint64_t fingerprint = lc_i_part_fingerprint(ds, of, parts);
    for (int k = 0; k < parts && !st; k++) {
        lc_i_part *p = NULL;
        char path[4096], edges[4200];
        if (!lc_i_part_path(path, sizeof path, dir, k) ||
            !lc_i_part_edges_path(edges, sizeof edges, path))
            return LC_ERROR(LC_ERR_INVALID_ARG, "directory name '%s' is too long", dir);
        st = lc_i_part_of(ds, of, parts, k, true, &p);
        if (!st) p->fingerprint = fingerprint, st = lc_i_part_write(p, path);
        if (!st) st = lc_i_part_write_edges(p, edges);
        lc_i_part_free(&p);
    }
    return lc_i_error_from(st, __func__);
}

static const char *const accepted_forms =
    "accepted forms: karate, linqs:DIR, planetoid:DIR/NAME, edgelist:FILE, mnist:DIR, part:FILE";

lc_status lc_dataset_load(lc_dataset_t **ds, const char *spec, const lc_load_options *opts)
{
    LC_CHECK_ARG(ds, "output handle is NULL");
    LC_CHECK_ARG(spec, "spec is NULL; %s", accepted_forms);
    lc_load_options o = opts ? *opts : lc_load_defaults();
    if (strcmp(spec, "karate") == 0) return lc_dataset_karate(ds);
    const char *colon = strchr(spec, ':');
    if (!colon)
        return LC_ERROR(LC_ERR_INVALID_ARG, "unknown dataset spec '%s'; %s", spec, accepted_forms);
    const size_t kind_len = (size_t)(colon - spec);
    const char *arg = colon + 1;
    static const char *const kinds[5] = {"linqs", "planetoid", "edgelist", "mnist", "part"};
    int kind = -1;
    for (int k = 0; k < 5; k++)
        if (kind_len == strlen(kinds[k]) && strncmp(spec, kinds[k], kind_len) == 0) kind = k;
    if (kind < 0)
        return LC_ERROR(LC_ERR_INVALID_ARG, "unknown dataset kind '%.*s' in spec '%s'; %s",
                        (int)kind_len, spec, spec, accepted_forms);
    if (!*arg)
        return LC_ERROR(LC_ERR_INVALID_ARG, "spec '%s' lacks the path after ':'; %s", spec,
                        accepted_forms);
    switch (kind) {
    case 0:
        return lc_dataset_from_linqs(ds, arg, &o);
    case 1:
        return lc_dataset_from_planetoid(ds, arg, &o);
    case 3:
        return lc_i_error_from(lc_i_dataset_from_mnist_dir(ds, arg, o.split_seed), __func__);
    case 4:
        return dataset_from_part(ds, arg);
    default:
        return dataset_from_edgelist(ds, arg, &o);
    }
}
