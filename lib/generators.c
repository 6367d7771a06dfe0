/* generators.c — learned L-conv generators: cosine correlation, dense matrices, export. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "dist.h"
#include "model.h"

double lc_cosine_correlation(const float *x, const float *y, int64_t len)
{
    if (!x || !y || len <= 0) return 0.0;
    /* Double sums: float accumulation over millions of edges loses the digits
     * that distinguish a correlation of 0.999 from 0.99. */
    double xy = 0, xx = 0, yy = 0;
    for (int64_t k = 0; k < len; k++) {
        xy += (double)x[k] * y[k];
        xx += (double)x[k] * x[k];
        yy += (double)y[k] * y[k];
    }
    if (xx == 0 || yy == 0) return 0.0;
    return xy / (sqrt(xx) * sqrt(yy));
}

/* Largest n for which the dense n × n generator is formed (16 GiB of floats). */
#define DENSE_MAX_NODES ((int64_t)1 << 16)

lc_status lc_generator_dense(const lc_graph_t *g, const lc_tensor_t *w, int i, lc_lconv_form form,
                             lc_tensor_t **dense)
{
    LC_CHECK_ARG(g && w && dense, "NULL argument (g %p, w %p, dense %p)", (const void *)g,
                 (const void *)w, (void *)dense);
    LC_CHECK_ARG(form == LC_LCONV_VECTOR_FIELD || form == LC_LCONV_ADJACENCY, "unknown form %d",
                 (int)form);
    char shape[64];
    if (w->ndim != 2 || w->shape[0] != g->m)
        return LC_ERROR(LC_ERR_SHAPE, "edge weights %s must be [E = %lld, p]",
                        lc_i_shape_str(w, shape, sizeof shape), (long long)g->m);
    const int64_t n = g->n, p = w->shape[1];
    LC_CHECK_ARG(i >= 0 && i < p, "generator %d not in [0, p = %lld)", i, (long long)p);
    /* Refused before allocating: the caller asked for n² floats. */
    if (n > DENSE_MAX_NODES)
        return LC_ERROR(LC_ERR_OUT_OF_MEMORY,
                        "a dense generator of %lld nodes would hold %lld² floats (at most %lld "
                        "nodes)",
                        (long long)n, (long long)n, (long long)DENSE_MAX_NODES);
    if (n < 1) return LC_ERROR(LC_ERR_SHAPE, "the graph has no node");
    lc_tensor_t *l = NULL;
    lc_status st = lc_tensor_new2(&l, n, n);
    if (st) return st;
    for (int64_t e = 0; e < g->m; e++) {
        const int64_t v = g->tail[e], h = g->head[e];
        const float we = w->data[e * p + i];
        l->data[v * n + h] += we;
        /* Vector field: (L z)[v] gathers w·(z[h] − z[v]), so −w on the diagonal. */
        if (form == LC_LCONV_VECTOR_FIELD) l->data[v * n + v] -= we;
    }
    *dense = l;
    return LC_OK;
}

/* A parameter that holds generators: edge weights, shared-generator
 * coefficients, low-rank factors. Matched on the last part of its name
 * "<layer>.<token>.<what>". */
static bool is_generator_param(const char *name)
{
    static const char *const suffixes[] = {".edge_weight", ".epsilon", ".U", ".V"};
    const size_t len = strlen(name);
    for (size_t k = 0; k < sizeof suffixes / sizeof suffixes[0]; k++) {
        const size_t sl = strlen(suffixes[k]);
        if (len > sl && !strcmp(name + len - sl, suffixes[k])) return true;
    }
    return false;
}

/* "layer,name,row,col,value", one line per entry (row-major: row = index over
 * the last dimension, col = index within it). %.9g round-trips a float. */
static lc_status write_csv(const char *path, lc_model_t *m, int count, const int *index,
                           const lc_tensor_t *const *tensors)
{
    lc_status st = LC_OK;
    FILE *f = fopen(path, "w");
    if (!f) return LC_ERROR(LC_ERR_IO, "cannot create '%s': %s", path, strerror(errno));
    if (fputs("layer,name,row,col,value\n", f) < 0) goto io_error;
    for (int k = 0; k < count; k++) {
        const int i = index[k];
        const char *name = lc_cg_param_name(m->cg, i);
        const lc_tensor_t *t = tensors[k];
        const int64_t cols = lc_i_cols(t);
        for (int64_t e = 0; e < t->numel; e++)
            if (fprintf(f, "%d,%s,%lld,%lld,%.9g\n", m->param_layer[i], name, (long long)(e / cols),
                        (long long)(e % cols), (double)t->data[e]) < 0)
                goto io_error;
    }
    if (fflush(f) != 0 || ferror(f)) goto io_error;
    if (fclose(f) != 0) {
        f = NULL;
        goto io_error;
    }
    return LC_OK;
io_error:
    st = LC_ERROR(LC_ERR_IO, "cannot write '%s': %s", path, strerror(errno));
    if (f) fclose(f);
    remove(path); /* no half-written table left behind */
    return st;
}

lc_status lc_model_export_generators(lc_model_t *m, const char *path)
{
    LC_CHECK_ARG(m && path, "NULL argument (m %p, path %p)", (void *)m, (const void *)path);
    LC_CHECK_ARG(*path, "empty path");
    if (!m->cg)
        return LC_ERROR(LC_ERR_STATE, "build or train the model before exporting to '%s'", path);
    lc_status st = LC_OK;
    const int n = lc_cg_num_params(m->cg);
    int *index = lc_i_malloc((size_t)(n > 0 ? n : 1) * sizeof *index);
    const char **names = lc_i_malloc((size_t)(n > 0 ? n : 1) * sizeof *names);
    const lc_tensor_t **tensors = lc_i_malloc((size_t)(n > 0 ? n : 1) * sizeof *tensors);
    lc_tensor_t **whole = lc_i_calloc((size_t)(n > 0 ? n : 1), sizeof *whole);
    char *file = lc_i_malloc(strlen(path) + 6);
    int count = 0;
    /* "" for a model with layers: the spec string could not be allocated */
    const char *spec = lc_model_spec(m);
    if (!index || !names || !tensors || !whole || !file || !*spec)
        st = LC_ERROR(LC_ERR_OUT_OF_MEMORY, "cannot allocate the export of '%s'", path);
    for (int i = 0; !st && i < n; i++)
        if (is_generator_param(lc_cg_param_name(m->cg, i))) {
            index[count] = i;
            names[count] = lc_cg_param_name(m->cg, i);
            tensors[count] = lc_cg_param_tensor(m->cg, i);
            count++;
        }
    if (!st && !count)
        st = LC_ERROR(LC_ERR_INVALID_ARG,
                      "the model '%s' has no learnable generators (edge weights, epsilon, U, V) "
                      "to export to '%s'",
                      lc_model_spec(m), path);
    /* on several ranks: all go on together; a part's edge weights are
     * gathered into the whole graph's, and rank 0 writes (lc_model_save's way) */
    st = lc_i_dist_agree_all(m->dist, st, "to prepare the export of the generators");
    for (int k = 0; !st && k < count; k++)
        if (lc_i_dist_part_edges(m, index[k]) &&
            !(st = lc_i_dist_edges_whole(m, index[k], &whole[k])))
            tensors[k] = whole[k];
    /* every rank has failed or none has here; a failure so far keeps each rank's message */
    if (!st) {
        if (lc_dist_rank(m->dist) == 0) {
            sprintf(file, "%s.ckpt", path);
            st =
                lc_i_error_from(lc_i_checkpoint_write(file, spec, count, names, tensors), __func__);
            sprintf(file, "%s.csv", path);
            if (!st) st = lc_i_error_from(write_csv(file, m, count, index, tensors), __func__);
        }
        st = lc_dist_agree(m->dist, st, "to export the generators");
    }
    for (int k = 0; whole && k < count; k++)
        lc_tensor_free(&whole[k]);
    lc_i_free(index);
    lc_i_free(names);
    lc_i_free(tensors);
    lc_i_free(whole);
    lc_i_free(file);
    return lc_i_error_from(st, __func__);
}
