/* test_readers.c — readers and datasets: real data, every malformed file, splits, normalisation. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"

/* ------------------------------------------------------------------ helpers */

/* Copy of a path from the harness (its buffers are reused). */
static char *path_dup(const char *p)
{
    char *s = malloc(strlen(p) + 1);
    strcpy(s, p);
    return s;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)len + 1);
    size_t got = fread(buf, 1, (size_t)len, f);
    buf[got] = '\0';
    fclose(f);
    return buf;
}

static int copy_file(const char *src, const char *dst)
{
    char *text = slurp(src);
    if (!text) return -1;
    FILE *f = fopen(dst, "wb");
    if (!f) {
        free(text);
        return -1;
    }
    fputs(text, f);
    fclose(f);
    free(text);
    return 0;
}

/* Feature value (r, c) of a dataset, dense or sparse. */
static float feature_at(const lc_dataset_t *ds, int64_t r, int64_t c)
{
    const lc_tensor_t *x = lc_dataset_features(ds);
    if (x) return lc_tensor_data(x)[r * lc_tensor_dim(x, 1) + c];
    /* the CSR layout is internal; rebuild the row through SpMM with a one-hot column */
    const lc_csr_t *a = lc_dataset_sparse_features(ds);
    lc_tensor_t *e = NULL, *y = NULL;
    lc_tensor_new2(&e, lc_csr_cols(a), 1);
    lc_tensor_new2(&y, lc_csr_rows(a), 1);
    lc_tensor_data(e)[c] = 1.0f;
    lc_csr_spmm(a, e, y);
    float v = lc_tensor_data(y)[r];
    lc_tensor_free(&e);
    lc_tensor_free(&y);
    return v;
}

/* Dense copy [n, f] of a dataset's features (one SpMM with the identity when sparse). */
static float *dense_features(const lc_dataset_t *ds)
{
    const int64_t n = lc_dataset_num_nodes(ds), f = lc_dataset_num_features(ds);
    float *out = malloc((size_t)(n * f) * sizeof *out);
    const lc_tensor_t *x = lc_dataset_features(ds);
    if (x) {
        memcpy(out, lc_tensor_data(x), (size_t)(n * f) * sizeof *out);
        return out;
    }
    lc_tensor_t *eye = NULL, *y = NULL;
    lc_tensor_new2(&eye, f, f);
    lc_tensor_new2(&y, n, f);
    for (int64_t i = 0; i < f; i++)
        lc_tensor_data(eye)[i * f + i] = 1.0f;
    lc_csr_spmm(lc_dataset_sparse_features(ds), eye, y);
    memcpy(out, lc_tensor_data(y), (size_t)(n * f) * sizeof *out);
    lc_tensor_free(&eye);
    lc_tensor_free(&y);
    return out;
}

static int64_t mask_count(const lc_dataset_t *ds, int which)
{
    const uint8_t *m = lc_dataset_mask(ds, which);
    int64_t c = 0;
    for (int64_t i = 0; i < lc_dataset_num_nodes(ds); i++)
        c += m[i] != 0;
    return c;
}

/* Masks pairwise disjoint and every masked node labelled. */
static void assert_split_sane(const lc_dataset_t *ds)
{
    const int32_t *y = lc_dataset_labels(ds);
    int ok_disjoint = 1, ok_labelled = 1;
    for (int64_t i = 0; i < lc_dataset_num_nodes(ds); i++) {
        int in = 0;
        for (int k = 0; k < 3; k++)
            in += lc_dataset_mask(ds, k)[i] != 0;
        if (in > 1) ok_disjoint = 0;
        if (in && y[i] < 0) ok_labelled = 0;
    }
    CU_ASSERT(ok_disjoint);
    CU_ASSERT(ok_labelled);
}

/* ------------------------------------------------------------------ edge lists */

static void test_edgelist_valid(void)
{
    lc_graph_t *g = NULL;
    LC_ASSERT_OK(lc_read_edgelist(&g, lc_test_file("edgelist_valid.txt"), 0, LC_GRAPH_DIRECTED));
    CU_ASSERT_EQUAL(lc_graph_num_nodes(g), 6);
    CU_ASSERT_EQUAL(lc_graph_num_edges(g), 5);
    const int64_t want_t[5] = {0, 1, 2, 3, 4}, want_h[5] = {1, 2, 0, 4, 5};
    for (int e = 0; e < 5 && lc_graph_num_edges(g) == 5; e++) {
        CU_ASSERT_EQUAL(lc_graph_tails(g)[e], want_t[e]);
        CU_ASSERT_EQUAL(lc_graph_heads(g)[e], want_h[e]);
        CU_ASSERT_EQUAL(lc_graph_weights(g)[e], 1.0f);
    }
    lc_graph_free(&g);

    LC_ASSERT_OK(lc_read_edgelist(&g, lc_test_file("edgelist_valid.txt"), 0, LC_GRAPH_SYMMETRIZE));
    CU_ASSERT_EQUAL(lc_graph_num_edges(g), 10);
    lc_test_assert_simple_undirected(g);
    lc_graph_free(&g);

    /* n_hint larger than the ids: isolated nodes */
    LC_ASSERT_OK(lc_read_edgelist(&g, lc_test_file("edgelist_valid.txt"), 10, 0));
    CU_ASSERT_EQUAL(lc_graph_num_nodes(g), 10);
    lc_graph_free(&g);

    /* an edgeless file is a graph only when n_hint says how many nodes */
    LC_ASSERT_OK(lc_read_edgelist(&g, lc_test_file("edgelist_comments_only.txt"), 4, 0));
    CU_ASSERT_EQUAL(lc_graph_num_nodes(g), 4);
    CU_ASSERT_EQUAL(lc_graph_num_edges(g), 0);
    lc_graph_free(&g);
}

static void test_edgelist_weighted(void)
{
    lc_graph_t *g = NULL;
    LC_ASSERT_OK(lc_read_edgelist(&g, lc_test_file("edgelist_weighted.txt"), 0, 0));
    CU_ASSERT_EQUAL(lc_graph_num_nodes(g), 4);
    CU_ASSERT_EQUAL_FATAL(lc_graph_num_edges(g), 3);
    CU_ASSERT_DOUBLE_EQUAL(lc_graph_weights(g)[0], 2.5, 1e-7);
    CU_ASSERT_DOUBLE_EQUAL(lc_graph_weights(g)[1], -1.0, 1e-7);
    CU_ASSERT_DOUBLE_EQUAL(lc_graph_weights(g)[2], 1e-3, 1e-9);
    lc_graph_free(&g);
}

typedef struct {
    const char *file;
    int64_t n_hint;
    lc_status status;
    const char *where; /* file and line, e.g. "x.txt' line 3" */
    const char *what;  /* the problem */
} bad_case;

static void test_edgelist_malformed(void)
{
    static const bad_case cases[] = {
        {"edgelist_nonnumeric.txt", 0, LC_ERR_PARSE, "edgelist_nonnumeric.txt' line 3",
         "'x' is not an integer"},
        {"edgelist_nul.txt", 0, LC_ERR_PARSE, "edgelist_nul.txt' line 1", "NUL byte"},
        {"edgelist_trailing_garbage.txt", 0, LC_ERR_PARSE, "edgelist_trailing_garbage.txt' line 2",
         "'2x'"},
        {"edgelist_negative.txt", 0, LC_ERR_PARSE, "edgelist_negative.txt' line 2", "negative"},
        {"edgelist_badcols.txt", 0, LC_ERR_PARSE, "edgelist_badcols.txt' line 3", "4 fields"},
        {"edgelist_onecol.txt", 0, LC_ERR_PARSE, "edgelist_onecol.txt' line 2", "1 fields"},
        {"edgelist_mixedcols.txt", 0, LC_ERR_PARSE, "edgelist_mixedcols.txt' line 2", "mixed"},
        {"edgelist_badweight.txt", 0, LC_ERR_PARSE, "edgelist_badweight.txt' line 2", "'heavy'"},
        {"edgelist_nanweight.txt", 0, LC_ERR_PARSE, "edgelist_nanweight.txt' line 2",
         "'nan' is not a finite"},
        {"edgelist_hugeid.txt", 0, LC_ERR_PARSE, "edgelist_hugeid.txt' line 2",
         "3000000000 out of range"},
        {"edgelist_overflow.txt", 0, LC_ERR_PARSE, "edgelist_overflow.txt' line 2",
         "not an integer"},
        {"edgelist_empty.txt", 0, LC_ERR_PARSE, "edgelist_empty.txt' line 1 (end of file)",
         "empty file"},
        {"edgelist_comments_only.txt", 0, LC_ERR_PARSE,
         "edgelist_comments_only.txt' line 4 (end of file)", "empty file"},
        {"edgelist_valid.txt", 3, LC_ERR_PARSE, "edgelist_valid.txt' line 7", ">= n_hint = 3"},
        {"no_such_file.txt", 0, LC_ERR_IO, "no_such_file.txt", "cannot open"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        lc_graph_t *g = NULL;
        LC_ASSERT_STATUS(lc_read_edgelist(&g, lc_test_file(cases[i].file), cases[i].n_hint, 0),
                         cases[i].status);
        CU_ASSERT_PTR_NULL(g);
        LC_ASSERT_ERROR_HAS("lc_read_edgelist");
        LC_ASSERT_ERROR_HAS(cases[i].where);
        LC_ASSERT_ERROR_HAS(cases[i].what);
    }
    lc_graph_t *g = NULL;
    LC_ASSERT_STATUS(lc_read_edgelist(&g, NULL, 0, 0), LC_ERR_INVALID_ARG);
    LC_ASSERT_STATUS(lc_read_edgelist(&g, lc_test_file("edgelist_valid.txt"), -1, 0),
                     LC_ERR_INVALID_ARG);
    LC_ASSERT_STATUS(lc_read_edgelist(NULL, lc_test_file("edgelist_valid.txt"), 0, 0),
                     LC_ERR_INVALID_ARG);
    CU_ASSERT_PTR_NULL(g);
}

/* ------------------------------------------------------------------ Matrix Market */

static void assert_edges(const lc_graph_t *g, int64_t m, const int64_t *t, const int64_t *h,
                         const float *w)
{
    CU_ASSERT_EQUAL_FATAL(lc_graph_num_edges(g), m);
    for (int64_t e = 0; e < m; e++) {
        CU_ASSERT_EQUAL(lc_graph_tails(g)[e], t[e]);
        CU_ASSERT_EQUAL(lc_graph_heads(g)[e], h[e]);
        CU_ASSERT_DOUBLE_EQUAL(lc_graph_weights(g)[e], w[e], 1e-6);
    }
}

static void test_mm_valid(void)
{
    lc_graph_t *g = NULL;
    /* entries (1,2)=2 (2,3)=-0.5 (3,1)=4 (3,3)=1, 1-based */
    LC_ASSERT_OK(lc_read_matrix_market(&g, lc_test_file("mm_general.mtx"), 0));
    CU_ASSERT_EQUAL(lc_graph_num_nodes(g), 3);
    assert_edges(g, 4, (int64_t[]){0, 1, 2, 2}, (int64_t[]){1, 2, 0, 2},
                 (float[]){2.0f, -0.5f, 4.0f, 1.0f});
    lc_graph_free(&g);

    /* symmetric: lower triangle (1,1)=2 (2,1)=1.5 (3,1)=4 stands for both directions */
    LC_ASSERT_OK(lc_read_matrix_market(&g, lc_test_file("mm_symmetric.mtx"), 0));
    CU_ASSERT_EQUAL(lc_graph_num_nodes(g), 3);
    assert_edges(g, 5, (int64_t[]){0, 0, 0, 1, 2}, (int64_t[]){0, 1, 2, 0, 0},
                 (float[]){2.0f, 1.5f, 4.0f, 1.5f, 4.0f});
    lc_graph_free(&g);

    /* pattern: weight 1 */
    LC_ASSERT_OK(lc_read_matrix_market(&g, lc_test_file("mm_pattern.mtx"), 0));
    CU_ASSERT_EQUAL(lc_graph_num_nodes(g), 4);
    assert_edges(g, 3, (int64_t[]){0, 1, 3}, (int64_t[]){1, 2, 0}, (float[]){1, 1, 1});
    lc_graph_free(&g);

    /* no banner: CHOLMOD's plain triplet form */
    LC_ASSERT_OK(lc_read_matrix_market(&g, lc_test_file("mm_nobanner.mtx"), 0));
    CU_ASSERT_EQUAL(lc_graph_num_nodes(g), 3);
    assert_edges(g, 2, (int64_t[]){0, 2}, (int64_t[]){1, 0}, (float[]){1.0f, 2.0f});
    lc_graph_free(&g);

    /* flags reach the graph */
    LC_ASSERT_OK(lc_read_matrix_market(&g, lc_test_file("mm_pattern.mtx"), LC_GRAPH_SYMMETRIZE));
    CU_ASSERT_EQUAL(lc_graph_num_edges(g), 6);
    lc_test_assert_simple_undirected(g);
    lc_graph_free(&g);
}

static void test_mm_malformed(void)
{
    static const bad_case cases[] = {
        {"mm_rectangular.mtx", 0, LC_ERR_PARSE, "mm_rectangular.mtx' line 2", "2 x 3"},
        {"mm_garbage.mtx", 0, LC_ERR_PARSE, "mm_garbage.mtx' line 1", "expected the size line"},
        {"mm_badbanner.mtx", 0, LC_ERR_PARSE, "mm_badbanner.mtx'",
         "CHOLMOD cannot read it: invalid format"},
        {"mm_outofrange.mtx", 0, LC_ERR_PARSE, "mm_outofrange.mtx' line 4",
         "row index 4 out of range [1, 3]"},
        {"mm_badsize.mtx", 0, LC_ERR_PARSE, "mm_badsize.mtx' line 2",
         "size line 'rows cols entries'"},
        {"mm_badcols.mtx", 0, LC_ERR_PARSE, "mm_badcols.mtx' line 3", "2 fields, expected 3"},
        {"mm_nobanner_bad.mtx", 0, LC_ERR_PARSE, "mm_nobanner_bad.mtx' line 4",
         "row index 9 out of range [1, 3]"},
        {"mm_truncated.mtx", 0, LC_ERR_PARSE, "mm_truncated.mtx' line 5 (end of file)",
         "2 entries, line 2 declares 5"},
        {"mm_extra.mtx", 0, LC_ERR_PARSE, "mm_extra.mtx' line 5",
         "more entries than the 2 declared on line 2"},
        {"mm_badvalue.mtx", 0, LC_ERR_PARSE, "mm_badvalue.mtx' line 3",
         "value 'abc' is not a finite number"},
        {"mm_empty.mtx", 0, LC_ERR_PARSE, "mm_empty.mtx'",
         "CHOLMOD cannot read it: invalid format"},
        {"mm_huge.mtx", 0, LC_ERR_OUT_OF_MEMORY, "mm_huge.mtx' line 2", "absurd size"},
        {"mm_liar.mtx", 0, LC_ERR_PARSE, "mm_liar.mtx' line 2", "truncated"},
        {"mm_complex.mtx", 0, LC_ERR_UNSUPPORTED, "mm_complex.mtx' line 1", "complex"},
        {"mm_array.mtx", 0, LC_ERR_UNSUPPORTED, "mm_array.mtx' line 1", "'array'"},
        {"no_such_file.mtx", 0, LC_ERR_IO, "no_such_file.mtx", "cannot open"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        lc_graph_t *g = NULL;
        LC_ASSERT_STATUS(lc_read_matrix_market(&g, lc_test_file(cases[i].file), 0),
                         cases[i].status);
        CU_ASSERT_PTR_NULL(g);
        LC_ASSERT_ERROR_HAS("lc_read_matrix_market");
        LC_ASSERT_ERROR_HAS(cases[i].where);
        LC_ASSERT_ERROR_HAS(cases[i].what);
    }
}

/* ------------------------------------------------------------------ LINQS */

/* Independent reading of a LINQS pair: paper ids, class names, features and
 * the number of distinct undirected citation pairs (no self loops). */
typedef struct {
    int64_t n, f, pairs, self_loops, nnz;
    char **id, **cls;
    float *x;
} linqs_ref;

static int str_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int64_t find_id(const linqs_ref *r, const char *id)
{
    for (int64_t i = 0; i < r->n; i++)
        if (strcmp(r->id[i], id) == 0) return i;
    return -1;
}

static int linqs_ref_read(linqs_ref *r, const char *content, const char *cites, int64_t max_n,
                          int64_t max_f)
{
    memset(r, 0, sizeof *r);
    char *text = slurp(content);
    if (!text) return -1;
    r->id = calloc((size_t)max_n, sizeof *r->id);
    r->cls = calloc((size_t)max_n, sizeof *r->cls);
    r->x = calloc((size_t)(max_n * max_f), sizeof *r->x);
    char *save_line, *line;
    for (line = strtok_r(text, "\n", &save_line); line; line = strtok_r(NULL, "\n", &save_line)) {
        char *save, *tok, *last = NULL;
        int64_t k = 0;
        for (tok = strtok_r(line, "\t ", &save); tok; tok = strtok_r(NULL, "\t ", &save), k++) {
            if (k == 0)
                r->id[r->n] = path_dup(tok);
            else if (k - 1 < max_f)
                r->x[r->n * max_f + k - 1] = (float)atof(tok);
            last = tok;
        }
        r->f = k - 2;
        r->cls[r->n] = path_dup(last);
        r->n++;
    }
    free(text);
    for (int64_t i = 0; i < r->n * max_f; i++)
        r->nnz += r->x[i] != 0.0f;
    text = slurp(cites);
    if (!text) return -1;
    int64_t cap = 1024, m = 0;
    lc_test_pair *p = malloc((size_t)cap * sizeof *p);
    for (line = strtok_r(text, "\n", &save_line); line; line = strtok_r(NULL, "\n", &save_line)) {
        char *save, *a = strtok_r(line, "\t ", &save), *b = strtok_r(NULL, "\t ", &save);
        if (!a || !b) continue;
        if (m == cap) p = realloc(p, (size_t)(cap *= 2) * sizeof *p);
        p[m].a = find_id(r, a), p[m].b = find_id(r, b);
        if (p[m].a < 0 || p[m].b < 0) return -1;
        if (p[m].a == p[m].b) r->self_loops++;
        m++;
    }
    r->pairs = lc_test_distinct_pairs(p, m);
    free(p);
    free(text);
    return 0;
}

static void linqs_ref_free(linqs_ref *r)
{
    for (int64_t i = 0; i < r->n; i++)
        free(r->id[i]), free(r->cls[i]);
    free(r->id);
    free(r->cls);
    free(r->x);
}

/* Class index of a name: its rank among the distinct names in strcmp order. */
static int class_rank(const linqs_ref *r, const char *name)
{
    char **names = malloc((size_t)r->n * sizeof *names);
    memcpy(names, r->cls, (size_t)r->n * sizeof *names);
    qsort(names, (size_t)r->n, sizeof *names, str_cmp);
    int rank = 0;
    for (int64_t i = 0; i < r->n; i++) {
        if (strcmp(names[i], name) == 0) break;
        if (i + 1 < r->n && strcmp(names[i], names[i + 1]) != 0) rank++;
    }
    free(names);
    return rank;
}

/* Checks shared by the tiny and the real LINQS data. */
static void check_linqs(const lc_dataset_t *ds, const linqs_ref *ref, int normalized, int per_class,
                        int64_t n_val, int64_t n_test)
{
    CU_ASSERT_EQUAL_FATAL(lc_dataset_num_nodes(ds), ref->n);
    CU_ASSERT_EQUAL(lc_dataset_num_features(ds), ref->f);
    CU_ASSERT_PTR_NULL(lc_dataset_features(ds));
    CU_ASSERT_PTR_NOT_NULL_FATAL(lc_dataset_sparse_features(ds));
    CU_ASSERT_EQUAL(lc_csr_nnz(lc_dataset_sparse_features(ds)), ref->nnz);
    /* labels: ranks of the class names */
    int ok_labels = 1, max_label = -1;
    for (int64_t i = 0; i < ref->n; i++) {
        int want = class_rank(ref, ref->cls[i]);
        if (lc_dataset_labels(ds)[i] != want) ok_labels = 0;
        if (want > max_label) max_label = want;
    }
    CU_ASSERT(ok_labels);
    CU_ASSERT_EQUAL(lc_dataset_num_classes(ds), max_label + 1);
    /* features: the file's values, divided by their row sum when normalised */
    float *x = dense_features(ds);
    int ok_x = 1;
    for (int64_t i = 0; i < ref->n; i++) {
        double sum = 0.0;
        for (int64_t j = 0; j < ref->f; j++)
            sum += ref->x[i * ref->f + j];
        for (int64_t j = 0; j < ref->f; j++) {
            double want = ref->x[i * ref->f + j];
            if (normalized && sum != 0.0) want /= sum;
            if (fabs(x[i * ref->f + j] - want) > 1e-6) ok_x = 0;
        }
    }
    free(x);
    CU_ASSERT(ok_x);
    /* graph: undirected and simple */
    lc_graph_t *g = lc_dataset_graph(ds);
    CU_ASSERT_EQUAL(lc_graph_num_edges(g), 2 * ref->pairs);
    lc_test_assert_simple_undirected(g);
    /* split */
    CU_ASSERT_EQUAL(mask_count(ds, 0), (int64_t)per_class * lc_dataset_num_classes(ds));
    CU_ASSERT_EQUAL(mask_count(ds, 1), n_val);
    CU_ASSERT_EQUAL(mask_count(ds, 2), n_test);
    assert_split_sane(ds);
    int64_t *per = calloc((size_t)lc_dataset_num_classes(ds), sizeof *per);
    for (int64_t i = 0; i < ref->n; i++)
        if (lc_dataset_mask(ds, 0)[i]) per[lc_dataset_labels(ds)[i]]++;
    int ok_per = 1;
    for (int c = 0; c < lc_dataset_num_classes(ds); c++)
        ok_per &= per[c] == per_class;
    CU_ASSERT(ok_per);
    free(per);
}

static void test_linqs_valid(void)
{
    char *content = path_dup(lc_test_file("linqs_valid/tiny.content"));
    char *cites = path_dup(lc_test_file("linqs_valid/tiny.cites"));
    char *dir = path_dup(lc_test_file("linqs_valid"));
    linqs_ref ref;
    CU_ASSERT_EQUAL_FATAL(linqs_ref_read(&ref, content, cites, 100, 4), 0);
    CU_ASSERT_EQUAL(ref.n, 66);
    CU_ASSERT_EQUAL(ref.self_loops, 1);

    lc_dataset_t *ds = NULL;
    LC_ASSERT_OK(lc_dataset_from_linqs(&ds, dir, NULL));
    /* 66 papers, 3 classes: 60 train, the 6 left go to validation, none to test */
    check_linqs(ds, &ref, 1, 20, 6, 0);
    lc_dataset_free(&ds);

    lc_load_options o = lc_load_defaults();
    o.normalize_features = 0;
    o.self_loops_in_graph = 1;
    o.split_seed = 3;
    LC_ASSERT_OK(lc_dataset_from_linqs(&ds, dir, &o));
    CU_ASSERT_EQUAL(lc_graph_num_edges(lc_dataset_graph(ds)), 2 * ref.pairs + ref.self_loops);
    CU_ASSERT_EQUAL(feature_at(ds, 0, 0), ref.x[0]);
    float *x = dense_features(ds);
    int ok = 1;
    for (int64_t i = 0; i < ref.n * ref.f; i++)
        ok &= x[i] == ref.x[i];
    CU_ASSERT(ok);
    free(x);
    lc_dataset_free(&ds);

    /* through a spec */
    char spec[4200];
    snprintf(spec, sizeof spec, "linqs:%s", dir);
    LC_ASSERT_OK(lc_dataset_load(&ds, spec, NULL));
    CU_ASSERT_EQUAL(lc_dataset_num_nodes(ds), 66);
    lc_dataset_free(&ds);

    linqs_ref_free(&ref);
    free(content), free(cites), free(dir);
}

static void test_linqs_malformed(void)
{
    static const bad_case cases[] = {
        {"linqs_badcols", 0, LC_ERR_PARSE, "linqs_badcols/x.content' line 3",
         "3 fields, expected 4"},
        {"linqs_short", 0, LC_ERR_PARSE, "linqs_short/x.content' line 1", "2 fields"},
        {"linqs_nonnumeric", 0, LC_ERR_PARSE, "linqs_nonnumeric/x.content' line 2",
         "('yes') is not a number"},
        {"linqs_duplicate", 0, LC_ERR_PARSE, "linqs_duplicate/x.content' line 4",
         "duplicate paper id 'b' (first on line 2)"},
        {"linqs_unknown", 0, LC_ERR_PARSE, "linqs_unknown/x.cites' line 2",
         "unknown paper id 'zz'"},
        {"linqs_citescols", 0, LC_ERR_PARSE, "linqs_citescols/x.cites' line 2", "3 fields"},
        {"linqs_empty_content", 0, LC_ERR_PARSE,
         "linqs_empty_content/x.content' line 1 (end of file)", "empty file"},
        {"linqs_empty_cites", 0, LC_ERR_PARSE, "linqs_empty_cites/x.cites' line 3 (end of file)",
         "empty file"},
        {"linqs_smallclass", 0, LC_ERR_PARSE, "linqs_smallclass/x.content' line 1",
         "class 'A' has only 2 papers"},
        {"linqs_nocites", 0, LC_ERR_IO, "linqs_nocites/x.cites", "cannot open"},
        {"linqs_nocontent", 0, LC_ERR_IO, "linqs_nocontent", "no *.content"},
        {"linqs_twocontent", 0, LC_ERR_INVALID_ARG, "linqs_twocontent", "several *.content"},
        {"linqs_no_such_dir", 0, LC_ERR_IO, "linqs_no_such_dir", "cannot open directory"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        lc_dataset_t *ds = NULL;
        LC_ASSERT_STATUS(lc_dataset_from_linqs(&ds, lc_test_file(cases[i].file), NULL),
                         cases[i].status);
        CU_ASSERT_PTR_NULL(ds);
        LC_ASSERT_ERROR_HAS("lc_dataset_from_linqs");
        LC_ASSERT_ERROR_HAS(cases[i].where);
        LC_ASSERT_ERROR_HAS(cases[i].what);
    }
}

/* ------------------------------------------------------------------ Planetoid */

static const char *const planetoid_kinds[4] = {"labels", "features", "edges", "split"};

/* A scratch prefix DIR/NAME holding planetoid_ok's four files, except that
 * `kind` comes from `replacement` (a committed file; NULL = leave it out). */
typedef struct {
    char dir[64], prefix[256];
} scratch;

static int scratch_make(scratch *s, const char *name, const char *kind, const char *replacement)
{
    snprintf(s->dir, sizeof s->dir, "/tmp/lc_readers_XXXXXX");
    if (!mkdtemp(s->dir)) return -1;
    snprintf(s->prefix, sizeof s->prefix, "%s/%s", s->dir, name);
    for (int k = 0; k < 4; k++) {
        char rel[128], src[4200], dst[300];
        if (kind && strcmp(kind, planetoid_kinds[k]) == 0) {
            if (!replacement) continue;
            snprintf(rel, sizeof rel, "%s", replacement);
        } else {
            snprintf(rel, sizeof rel, "planetoid_ok.%s.txt", planetoid_kinds[k]);
        }
        snprintf(src, sizeof src, "%s", lc_test_file(rel));
        snprintf(dst, sizeof dst, "%s.%s.txt", s->prefix, planetoid_kinds[k]);
        if (copy_file(src, dst) != 0) return -1;
    }
    return 0;
}

static void scratch_remove(scratch *s)
{
    for (int k = 0; k < 4; k++) {
        char p[300];
        snprintf(p, sizeof p, "%s.%s.txt", s->prefix, planetoid_kinds[k]);
        unlink(p);
    }
    rmdir(s->dir);
}

/* Read "u v" lines (after '#' comments) of an edges file into pairs. */
static int64_t read_pairs(const char *path, lc_test_pair **out, int64_t *loops)
{
    char *text = slurp(path), *save, *line;
    int64_t m = 0, cap = 1024;
    lc_test_pair *p = malloc((size_t)cap * sizeof *p);
    *loops = 0;
    for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        long long a, b;
        if (line[0] == '#' || sscanf(line, "%lld %lld", &a, &b) != 2) continue;
        if (m == cap) p = realloc(p, (size_t)(cap *= 2) * sizeof *p);
        p[m].a = a, p[m].b = b, m++;
        *loops += a == b;
    }
    free(text);
    *out = p;
    return m;
}

/* Labels, one per non-comment line. */
static int64_t read_labels(const char *path, int32_t *labels, int64_t max)
{
    char *text = slurp(path), *save, *line;
    int64_t n = 0;
    for (line = strtok_r(text, "\n", &save); line && n < max; line = strtok_r(NULL, "\n", &save))
        if (line[0] != '#') labels[n++] = atoi(line);
    free(text);
    return n;
}

static void check_planetoid_small(const lc_dataset_t *ds, const char *prefix_files)
{
    CU_ASSERT_EQUAL_FATAL(lc_dataset_num_nodes(ds), 6);
    CU_ASSERT_EQUAL(lc_dataset_num_features(ds), 3);
    CU_ASSERT_EQUAL(lc_dataset_num_classes(ds), 2);
    int32_t want[6];
    char path[300];
    snprintf(path, sizeof path, "%s.labels.txt", prefix_files);
    CU_ASSERT_EQUAL(read_labels(path, want, 6), 6);
    CU_ASSERT_EQUAL(memcmp(lc_dataset_labels(ds), want, sizeof want), 0);
    /* the features file of planetoid_ok, normalised by row */
    const float raw[6][3] = {{1, 0, 1}, {0, 2, 0}, {1, 0, 0}, {0, 0, 1}, {1, 3, 0}, {0, 1, 0}};
    float *x = dense_features(ds);
    int ok = 1;
    for (int i = 0; i < 6; i++) {
        float sum = raw[i][0] + raw[i][1] + raw[i][2];
        for (int j = 0; j < 3; j++)
            ok &= fabsf(x[i * 3 + j] - raw[i][j] / sum) < 1e-6f;
    }
    CU_ASSERT(ok);
    free(x);
    /* split: train 0 1, val 2, test 3 4 */
    const uint8_t tr[6] = {1, 1, 0, 0, 0, 0}, va[6] = {0, 0, 1, 0, 0, 0},
                  te[6] = {0, 0, 0, 1, 1, 0};
    CU_ASSERT_EQUAL(memcmp(lc_dataset_mask(ds, 0), tr, 6), 0);
    CU_ASSERT_EQUAL(memcmp(lc_dataset_mask(ds, 1), va, 6), 0);
    CU_ASSERT_EQUAL(memcmp(lc_dataset_mask(ds, 2), te, 6), 0);
    /* graph: distinct undirected pairs of the edges file, no self loop */
    lc_test_pair *p;
    int64_t loops;
    snprintf(path, sizeof path, "%s.edges.txt", prefix_files);
    int64_t m = read_pairs(path, &p, &loops);
    int64_t pairs = lc_test_distinct_pairs(p, m);
    free(p);
    CU_ASSERT_EQUAL(lc_graph_num_edges(lc_dataset_graph(ds)), 2 * pairs);
    lc_test_assert_simple_undirected(lc_dataset_graph(ds));
}

static void test_planetoid_valid(void)
{
    char *prefix = path_dup(lc_test_file("planetoid_ok"));
    lc_dataset_t *ds = NULL;
    LC_ASSERT_OK(lc_dataset_from_planetoid(&ds, prefix, NULL));
    check_planetoid_small(ds, prefix);
    lc_dataset_free(&ds);

    /* self loops kept on request: the file has one (3 3) */
    lc_load_options o = lc_load_defaults();
    o.self_loops_in_graph = 1;
    LC_ASSERT_OK(lc_dataset_from_planetoid(&ds, prefix, &o));
    lc_dataset_t *plain = NULL;
    LC_ASSERT_OK(lc_dataset_from_planetoid(&plain, prefix, NULL));
    CU_ASSERT_EQUAL(lc_graph_num_edges(lc_dataset_graph(ds)),
                    lc_graph_num_edges(lc_dataset_graph(plain)) + 1);
    lc_dataset_free(&plain);
    lc_dataset_free(&ds);

    /* the size header as the first data line instead of a comment */
    scratch s;
    CU_ASSERT_EQUAL_FATAL(scratch_make(&s, "hdrline", "features", "planetoid_hdrline.features.txt"),
                          0);
    LC_ASSERT_OK(lc_dataset_from_planetoid(&ds, s.prefix, NULL));
    check_planetoid_small(ds, prefix);
    lc_dataset_free(&ds);
    scratch_remove(&s);

    char spec[4200];
    snprintf(spec, sizeof spec, "planetoid:%s", prefix);
    LC_ASSERT_OK(lc_dataset_load(&ds, spec, NULL));
    CU_ASSERT_EQUAL(lc_dataset_num_nodes(ds), 6);
    lc_dataset_free(&ds);
    free(prefix);
}

typedef struct {
    const char *name, *kind; /* planetoid_bad/<name>.<kind>.txt */
    lc_status status;
    const char *line; /* e.g. "line 3" */
    const char *what;
} planetoid_case;

static void test_planetoid_malformed(void)
{
    static const planetoid_case cases[] = {
        {"badlabel", "labels", LC_ERR_PARSE, "line 3", "label -2 out of range"},
        {"hugelabel", "labels", LC_ERR_PARSE, "line 4", "label 99999999 out of range"},
        {"nonnumlabel", "labels", LC_ERR_PARSE, "line 3", "'one' is not an integer"},
        {"labelcols", "labels", LC_ERR_PARSE, "line 3", "2 fields"},
        {"emptylabels", "labels", LC_ERR_PARSE, "line 1 (end of file)", "empty file"},
        {"noheader", "features", LC_ERR_PARSE, "line 2", "size header missing"},
        {"nnzmore", "features", LC_ERR_PARSE, "line 4", "nnz mismatch"},
        {"nnzless", "features", LC_ERR_PARSE, "line 10 (end of file)", "nnz mismatch"},
        {"rowrange", "features", LC_ERR_PARSE, "line 3", "row index 6 out of range"},
        {"colrange", "features", LC_ERR_PARSE, "line 3", "column index 3 out of range"},
        {"badvalue", "features", LC_ERR_PARSE, "line 3", "'1.5.2' is not a number"},
        {"featcols", "features", LC_ERR_PARSE, "line 3", "2 fields"},
        {"rowsmismatch", "features", LC_ERR_PARSE, "line 1",
         "7 rows declared but the labels file has 6"},
        {"absurdrows", "features", LC_ERR_OUT_OF_MEMORY, "line 1", "absurd size header"},
        {"absurdcols", "features", LC_ERR_OUT_OF_MEMORY, "line 1", "absurd size header"},
        {"dupentry", "features", LC_ERR_PARSE, "line 4", "duplicate entry (0, 0), first on line 2"},
        {"emptyfeatures", "features", LC_ERR_PARSE, "line 1 (end of file)", "empty file"},
        {"edgerange", "edges", LC_ERR_PARSE, "line 2", "node index 6 out of range"},
        {"edgenonnum", "edges", LC_ERR_PARSE, "line 2", "'two' is not an integer"},
        {"edgecols", "edges", LC_ERR_PARSE, "line 2", "3 fields"},
        {"emptyedges", "edges", LC_ERR_PARSE, "line 2 (end of file)", "empty file"},
        {"unknownset", "split", LC_ERR_PARSE, "line 2", "unknown set 'validation'"},
        {"splitrange", "split", LC_ERR_PARSE, "line 3", "node index 17 out of range"},
        {"splitdup", "split", LC_ERR_PARSE, "line 2", "duplicate node 1, already in 'train'"},
        {"splitunlabelled", "split", LC_ERR_PARSE, "line 3", "node 5 is in 'test' but unlabelled"},
        {"splitmissing", "split", LC_ERR_PARSE, "line 3 (end of file)", "without a 'val' line"},
        {"splittwice", "split", LC_ERR_PARSE, "line 3", "second 'train' line (first on line 1)"},
        {"splitnonnum", "split", LC_ERR_PARSE, "line 3", "'four' is not an integer"},
        {"emptysplit", "split", LC_ERR_PARSE, "line 1 (end of file)", "empty file"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char rel[128], where[160];
        snprintf(rel, sizeof rel, "planetoid_bad/%s.%s.txt", cases[i].name, cases[i].kind);
        snprintf(where, sizeof where, "%s.%s.txt' %s", cases[i].name, cases[i].kind, cases[i].line);
        scratch s;
        CU_ASSERT_EQUAL_FATAL(scratch_make(&s, cases[i].name, cases[i].kind, rel), 0);
        lc_dataset_t *ds = NULL;
        LC_ASSERT_STATUS(lc_dataset_from_planetoid(&ds, s.prefix, NULL), cases[i].status);
        CU_ASSERT_PTR_NULL(ds);
        LC_ASSERT_ERROR_HAS("lc_dataset_from_planetoid");
        LC_ASSERT_ERROR_HAS(where);
        LC_ASSERT_ERROR_HAS(cases[i].what);
        scratch_remove(&s);
    }
    /* each companion missing in turn: LC_ERR_IO naming it */
    for (int k = 0; k < 4; k++) {
        scratch s;
        CU_ASSERT_EQUAL_FATAL(scratch_make(&s, "partial", planetoid_kinds[k], NULL), 0);
        char want[64];
        snprintf(want, sizeof want, "partial.%s.txt", planetoid_kinds[k]);
        lc_dataset_t *ds = NULL;
        LC_ASSERT_STATUS(lc_dataset_from_planetoid(&ds, s.prefix, NULL), LC_ERR_IO);
        CU_ASSERT_PTR_NULL(ds);
        LC_ASSERT_ERROR_HAS(want);
        LC_ASSERT_ERROR_HAS("cannot open");
        scratch_remove(&s);
    }
    /* a folder for the prefix (the data set's name forgotten): said so, with an example */
    const char *dir = getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    lc_dataset_t *ds = NULL;
    LC_ASSERT_STATUS(lc_dataset_from_planetoid(&ds, dir, NULL), LC_ERR_IO);
    CU_ASSERT_PTR_NULL(ds);
    LC_ASSERT_ERROR_HAS("is a folder: the prefix names its files, e.g.");
}

/* ------------------------------------------------------------------ karate */

static void test_karate(void)
{
    lc_dataset_t *ds = NULL;
    LC_ASSERT_OK(lc_dataset_karate(&ds));
    CU_ASSERT_EQUAL_FATAL(lc_dataset_num_nodes(ds), 34);
    CU_ASSERT_EQUAL(lc_dataset_num_features(ds), 34);
    CU_ASSERT_EQUAL(lc_dataset_num_classes(ds), 2);
    CU_ASSERT_PTR_NULL(lc_dataset_sparse_features(ds));
    const float *x = lc_tensor_data(lc_dataset_features(ds));
    int ok_x = 1;
    for (int i = 0; i < 34; i++)
        for (int j = 0; j < 34; j++)
            ok_x &= x[i * 34 + j] == (i == j ? 1.0f : 0.0f);
    CU_ASSERT(ok_x);
    CU_ASSERT_EQUAL(mask_count(ds, 0), 2);
    CU_ASSERT(lc_dataset_mask(ds, 0)[0] && lc_dataset_mask(ds, 0)[33]);
    CU_ASSERT_EQUAL(mask_count(ds, 1), 0);
    CU_ASSERT_EQUAL(mask_count(ds, 2), 32);
    assert_split_sane(ds);
    CU_ASSERT(!lc_dataset_mask(ds, 2)[0] && !lc_dataset_mask(ds, 2)[33]);
    CU_ASSERT_EQUAL(lc_graph_num_edges(lc_dataset_graph(ds)), 156);
    /* the two leaders are in different factions */
    CU_ASSERT_EQUAL(lc_dataset_labels(ds)[0], 0);
    CU_ASSERT_EQUAL(lc_dataset_labels(ds)[33], 1);

    const char *labels_path = lc_test_data("karate/karate.labels.txt");
    const char *edges_path = lc_test_data("karate/karate.edges.txt");
    if (!labels_path || !edges_path) {
        lc_dataset_free(&ds);
        lc_test_skip("karate: shared data absent, labels and edges not compared with networkx");
        return;
    }
    /* labels equal networkx's 'club' (file: node label club) */
    char *text = slurp(labels_path), *save, *line;
    int seen = 0, ok = 1;
    for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        int node, label;
        char club[32];
        if (line[0] == '#' || sscanf(line, "%d %d %31s", &node, &label, club) != 3) continue;
        CU_ASSERT_FATAL(node >= 0 && node < 34);
        ok &= lc_dataset_labels(ds)[node] == label;
        ok &= label == (strcmp(club, "Officer") == 0 ? 1 : 0);
        seen++;
    }
    free(text);
    CU_ASSERT_EQUAL(seen, 34);
    CU_ASSERT(ok);
    /* igraph's Zachary numbering equals networkx's: same edge set */
    lc_test_pair *p;
    int64_t loops, m = read_pairs(edges_path, &p, &loops);
    CU_ASSERT_EQUAL(m, 78);
    lc_graph_t *g = lc_dataset_graph(ds);
    int ok_edges = 1;
    for (int64_t k = 0; k < m; k++) {
        int found = 0;
        for (int64_t e = 0; e < lc_graph_num_edges(g); e++)
            found += lc_graph_tails(g)[e] == p[k].a && lc_graph_heads(g)[e] == p[k].b;
        ok_edges &= found == 1;
    }
    CU_ASSERT(ok_edges);
    free(p);
    lc_dataset_free(&ds);
}

/* ------------------------------------------------------------------ specs */

static void test_load_specs(void)
{
    lc_dataset_t *ds = NULL;
    LC_ASSERT_OK(lc_dataset_load(&ds, "karate", NULL));
    CU_ASSERT_EQUAL(lc_dataset_num_nodes(ds), 34);
    lc_dataset_free(&ds);

    static const char *const bad[] = {
        "", "nope", "foo:bar", "linqs:", "planetoid:", "edgelist:", "karate:x", "Karate"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        LC_ASSERT_STATUS(lc_dataset_load(&ds, bad[i], NULL), LC_ERR_INVALID_ARG);
        CU_ASSERT_PTR_NULL(ds);
        char quoted[64];
        snprintf(quoted, sizeof quoted, "'%s'", bad[i]);
        LC_ASSERT_ERROR_HAS(quoted);
        LC_ASSERT_ERROR_HAS("accepted forms: karate, linqs:DIR, planetoid:DIR/NAME, edgelist:FILE");
    }
    LC_ASSERT_STATUS(lc_dataset_load(&ds, NULL, NULL), LC_ERR_INVALID_ARG);
    LC_ASSERT_ERROR_HAS("accepted forms");
    LC_ASSERT_STATUS(lc_dataset_load(NULL, "karate", NULL), LC_ERR_INVALID_ARG);

    /* edgelist: graph only, one-hot features, no labels */
    char spec[4200];
    snprintf(spec, sizeof spec, "edgelist:%s", lc_test_file("edgelist_valid.txt"));
    LC_ASSERT_OK(lc_dataset_load(&ds, spec, NULL));
    CU_ASSERT_EQUAL_FATAL(lc_dataset_num_nodes(ds), 6);
    CU_ASSERT_EQUAL(lc_dataset_num_features(ds), 6);
    CU_ASSERT_EQUAL(lc_dataset_num_classes(ds), 0);
    CU_ASSERT_EQUAL(lc_graph_num_edges(lc_dataset_graph(ds)), 10);
    int ok = 1;
    for (int i = 0; i < 6; i++) {
        ok &= lc_dataset_labels(ds)[i] == -1;
        for (int j = 0; j < 6; j++)
            ok &= feature_at(ds, i, j) == (i == j ? 1.0f : 0.0f);
    }
    CU_ASSERT(ok);
    CU_ASSERT_EQUAL(mask_count(ds, 0) + mask_count(ds, 1) + mask_count(ds, 2), 0);
    lc_dataset_free(&ds);

    snprintf(spec, sizeof spec, "edgelist:%s", lc_test_file("edgelist_big.txt"));
    LC_ASSERT_STATUS(lc_dataset_load(&ds, spec, NULL), LC_ERR_UNSUPPORTED);
    LC_ASSERT_ERROR_HAS("lc_dataset_load: ");
    LC_ASSERT_ERROR_HAS("edgelist_big.txt' has 10001 nodes");
    CU_ASSERT_PTR_NULL(ds);

    /* errors of the reader pass through the spec */
    snprintf(spec, sizeof spec, "edgelist:%s", lc_test_file("edgelist_nonnumeric.txt"));
    LC_ASSERT_STATUS(lc_dataset_load(&ds, spec, NULL), LC_ERR_PARSE);
    LC_ASSERT_ERROR_HAS("edgelist_nonnumeric.txt' line 3");
}

/* ------------------------------------------------------------------ dataset object */

/* A path graph 0-1-...-(n-1). */
static lc_graph_t *path_graph(int64_t n)
{
    int64_t *t = malloc((size_t)n * sizeof *t), *h = malloc((size_t)n * sizeof *h);
    for (int64_t i = 0; i + 1 < n; i++)
        t[i] = i, h[i] = i + 1;
    lc_graph_t *g = NULL;
    lc_graph_from_edges(&g, n, n - 1, t, h, NULL, LC_GRAPH_SYMMETRIZE);
    free(t), free(h);
    return g;
}

static void test_dataset_new_errors(void)
{
    lc_graph_t *g = path_graph(5);
    CU_ASSERT_PTR_NOT_NULL_FATAL(g);
    lc_tensor_t *x4 = NULL, *x5 = NULL, *x3d = NULL;
    LC_ASSERT_OK(lc_tensor_new2(&x4, 4, 3));
    LC_ASSERT_OK(lc_tensor_new2(&x5, 5, 3));
    LC_ASSERT_OK(lc_tensor_new(&x3d, 3, (int64_t[]){5, 2, 2}));
    lc_csr_t *s4 = NULL;
    LC_ASSERT_OK(lc_csr_from_coo(&s4, 4, 3, 1, (int64_t[]){0}, (int64_t[]){1}, NULL));
    const int32_t labels[5] = {0, 1, -1, 2, 0};
    const int32_t too_big[5] = {0, 1, 3, 2, 0};
    const int32_t too_small[5] = {0, -2, 1, 2, 0};
    lc_dataset_t *ds = NULL;

    LC_ASSERT_STATUS(lc_dataset_new(&ds, g, x4, NULL, labels, 3), LC_ERR_SHAPE);
    LC_ASSERT_ERROR_HAS("4 rows but the graph has 5 nodes");
    LC_ASSERT_STATUS(lc_dataset_new(&ds, g, NULL, s4, labels, 3), LC_ERR_SHAPE);
    LC_ASSERT_ERROR_HAS("4 rows but the graph has 5 nodes");
    LC_ASSERT_STATUS(lc_dataset_new(&ds, g, x3d, NULL, labels, 3), LC_ERR_SHAPE);
    LC_ASSERT_ERROR_HAS("2-D");
    LC_ASSERT_STATUS(lc_dataset_new(&ds, g, NULL, NULL, labels, 3), LC_ERR_INVALID_ARG);
    LC_ASSERT_ERROR_HAS("neither");
    LC_ASSERT_STATUS(lc_dataset_new(&ds, g, x5, s4, labels, 3), LC_ERR_INVALID_ARG);
    LC_ASSERT_ERROR_HAS("both");
    LC_ASSERT_STATUS(lc_dataset_new(&ds, g, x5, NULL, too_big, 3), LC_ERR_INVALID_ARG);
    LC_ASSERT_ERROR_HAS("label 3 of node 2 outside [-1, 3)");
    LC_ASSERT_STATUS(lc_dataset_new(&ds, g, x5, NULL, too_small, 3), LC_ERR_INVALID_ARG);
    LC_ASSERT_ERROR_HAS("label -2 of node 1");
    LC_ASSERT_STATUS(lc_dataset_new(&ds, NULL, x5, NULL, labels, 3), LC_ERR_INVALID_ARG);
    LC_ASSERT_STATUS(lc_dataset_new(&ds, g, x5, NULL, labels, -1), LC_ERR_INVALID_ARG);
    CU_ASSERT_PTR_NULL(ds);

    /* failures took nothing: the caller frees what it still owns */
    lc_tensor_free(&x4);
    lc_tensor_free(&x3d);
    lc_csr_free(&s4);
    LC_ASSERT_OK(lc_dataset_new(&ds, g, x5, NULL, labels, 3));
    CU_ASSERT_PTR_EQUAL(lc_dataset_graph(ds), g);
    CU_ASSERT_PTR_EQUAL(lc_dataset_features(ds), x5);
    CU_ASSERT_NOT_EQUAL(lc_dataset_labels(ds), labels); /* copied */
    CU_ASSERT_EQUAL(memcmp(lc_dataset_labels(ds), labels, sizeof labels), 0);
    CU_ASSERT_EQUAL(mask_count(ds, 0) + mask_count(ds, 1) + mask_count(ds, 2), 0);
    CU_ASSERT_PTR_NULL(lc_dataset_mask(ds, 3));
    CU_ASSERT_PTR_NULL(lc_dataset_mask(ds, -1));

    /* set_split copies and normalises to 0/1; NULL = empty */
    const uint8_t tr[5] = {7, 0, 0, 0, 0}, te[5] = {0, 1, 0, 1, 0};
    LC_ASSERT_OK(lc_dataset_set_split(ds, tr, NULL, te));
    CU_ASSERT_EQUAL(lc_dataset_mask(ds, 0)[0], 1);
    CU_ASSERT_EQUAL(mask_count(ds, 0), 1);
    CU_ASSERT_EQUAL(mask_count(ds, 1), 0);
    CU_ASSERT_EQUAL(mask_count(ds, 2), 2);
    LC_ASSERT_STATUS(lc_dataset_set_split(NULL, tr, NULL, te), LC_ERR_INVALID_ARG);
    lc_dataset_free(&ds);
    CU_ASSERT_PTR_NULL(ds);
    lc_dataset_free(&ds); /* NULL is fine */
    lc_dataset_free(NULL);
    CU_ASSERT_EQUAL(lc_dataset_num_nodes(NULL), 0);
    CU_ASSERT_PTR_NULL(lc_dataset_labels(NULL));
}

/* n nodes, 4 classes (i % 4), every 10th node unlabelled. */
static lc_dataset_t *split_fixture(int64_t n)
{
    int32_t *labels = malloc((size_t)n * sizeof *labels);
    for (int64_t i = 0; i < n; i++)
        labels[i] = i % 10 == 9 ? -1 : (int32_t)(i % 4);
    lc_tensor_t *x = NULL;
    lc_tensor_new2(&x, n, 2);
    lc_dataset_t *ds = NULL;
    lc_dataset_new(&ds, path_graph(n), x, NULL, labels, 4);
    free(labels);
    return ds;
}

static void test_random_split(void)
{
    lc_dataset_t *a = split_fixture(200), *b = split_fixture(200);
    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    LC_ASSERT_OK(lc_dataset_random_split(a, 5, 30, 60, 7));
    CU_ASSERT_EQUAL(mask_count(a, 0), 20);
    CU_ASSERT_EQUAL(mask_count(a, 1), 30);
    CU_ASSERT_EQUAL(mask_count(a, 2), 60);
    assert_split_sane(a);
    int per[4] = {0, 0, 0, 0};
    for (int64_t i = 0; i < 200; i++)
        if (lc_dataset_mask(a, 0)[i]) per[lc_dataset_labels(a)[i]]++;
    CU_ASSERT(per[0] == 5 && per[1] == 5 && per[2] == 5 && per[3] == 5);

    /* same seed, same split; another seed, another split */
    LC_ASSERT_OK(lc_dataset_random_split(b, 5, 30, 60, 7));
    for (int k = 0; k < 3; k++)
        CU_ASSERT_EQUAL(memcmp(lc_dataset_mask(a, k), lc_dataset_mask(b, k), 200), 0);
    LC_ASSERT_OK(lc_dataset_random_split(b, 5, 30, 60, 8));
    CU_ASSERT_NOT_EQUAL(memcmp(lc_dataset_mask(a, 0), lc_dataset_mask(b, 0), 200), 0);
    /* a new split replaces the old one entirely */
    LC_ASSERT_OK(lc_dataset_random_split(b, 1, 0, 0, 8));
    CU_ASSERT_EQUAL(mask_count(b, 0), 4);
    CU_ASSERT_EQUAL(mask_count(b, 1) + mask_count(b, 2), 0);

    /* not enough nodes: an error, and the masks stay as they were */
    uint8_t before[3][200];
    for (int k = 0; k < 3; k++)
        memcpy(before[k], lc_dataset_mask(a, k), 200);
    LC_ASSERT_STATUS(lc_dataset_random_split(a, 50, 0, 0, 1), LC_ERR_INVALID_ARG);
    LC_ASSERT_ERROR_HAS("class 1 has only 40 labelled nodes; 50 per class");
    LC_ASSERT_STATUS(lc_dataset_random_split(a, 5, 100, 61, 1), LC_ERR_INVALID_ARG);
    LC_ASSERT_ERROR_HAS("160 labelled nodes remain");
    LC_ASSERT_STATUS(lc_dataset_random_split(a, -1, 0, 0, 1), LC_ERR_INVALID_ARG);
    LC_ASSERT_STATUS(lc_dataset_random_split(NULL, 1, 0, 0, 1), LC_ERR_INVALID_ARG);
    for (int k = 0; k < 3; k++)
        CU_ASSERT_EQUAL(memcmp(before[k], lc_dataset_mask(a, k), 200), 0);
    /* exactly enough is fine: 180 labelled = 20 + 100 + 60 */
    LC_ASSERT_OK(lc_dataset_random_split(a, 5, 100, 60, 1));
    assert_split_sane(a);
    lc_dataset_free(&a);
    lc_dataset_free(&b);
}

static void test_normalize(void)
{
    /* dense: random non-negative rows, row 2 all zero */
    const int64_t n = 6, f = 5;
    lc_tensor_t *x = NULL;
    LC_ASSERT_OK(lc_tensor_new2(&x, n, f));
    lc_rng_t rng;
    lc_rng_seed(&rng, 11);
    float *v = lc_tensor_data(x), orig[30];
    for (int64_t i = 0; i < n * f; i++)
        v[i] = i / f == 2 ? 0.0f : lc_rng_uniform(&rng) * 3.0f;
    memcpy(orig, v, sizeof orig);
    lc_dataset_t *ds = NULL;
    LC_ASSERT_OK(lc_dataset_new(&ds, path_graph(n), x, NULL, NULL, 0));
    LC_ASSERT_OK(lc_dataset_normalize_features(ds));
    for (int64_t i = 0; i < n; i++) {
        double sum = 0.0, osum = 0.0;
        for (int64_t j = 0; j < f; j++)
            sum += v[i * f + j], osum += orig[i * f + j];
        if (i == 2) {
            CU_ASSERT_EQUAL(sum, 0.0);
        } else {
            CU_ASSERT_DOUBLE_EQUAL(sum, 1.0, 1e-6);
            for (int64_t j = 0; j < f; j++)
                CU_ASSERT_DOUBLE_EQUAL(v[i * f + j], orig[i * f + j] / osum, 1e-6);
        }
    }
    lc_dataset_free(&ds);

    /* sparse: row 1 empty */
    const int64_t rows[5] = {0, 0, 2, 2, 2}, cols[5] = {0, 3, 1, 2, 3};
    const float vals[5] = {1, 3, 2, 2, 4};
    lc_csr_t *s = NULL;
    LC_ASSERT_OK(lc_csr_from_coo(&s, 3, 4, 5, rows, cols, vals));
    LC_ASSERT_OK(lc_dataset_new(&ds, path_graph(3), NULL, s, NULL, 0));
    LC_ASSERT_OK(lc_dataset_normalize_features(ds));
    float *d = dense_features(ds);
    const float want[12] = {0.25f, 0, 0, 0.75f, 0, 0, 0, 0, 0, 0.25f, 0.25f, 0.5f};
    for (int i = 0; i < 12; i++)
        CU_ASSERT_DOUBLE_EQUAL(d[i], want[i], 1e-7);
    free(d);
    lc_dataset_free(&ds);
    LC_ASSERT_STATUS(lc_dataset_normalize_features(NULL), LC_ERR_INVALID_ARG);
}

/* ------------------------------------------------------------------ real data */

static void test_cora_linqs(void)
{
    const char *dir_p = lc_test_data("cora");
    if (!dir_p || !lc_test_data("cora/cora.content") || !lc_test_data("cora/cora.cites")) {
        lc_test_skip("cora: shared data absent (LCONV_DATA_DIR)");
        return;
    }
    char *dir = path_dup(dir_p);
    char *content = path_dup(lc_test_data("cora/cora.content"));
    char *cites = path_dup(lc_test_data("cora/cora.cites"));
    linqs_ref ref;
    CU_ASSERT_EQUAL_FATAL(linqs_ref_read(&ref, content, cites, 3000, 1433), 0);
    CU_ASSERT_EQUAL(ref.n, 2708);
    CU_ASSERT_EQUAL(ref.f, 1433);
    /* 5429 citation lines */
    char *text = slurp(cites);
    int64_t lines = 0;
    for (char *p = text; *p; p++)
        lines += *p == '\n';
    free(text);
    CU_ASSERT_EQUAL(lines, 5429);

    lc_dataset_t *ds = NULL;
    LC_ASSERT_OK(lc_dataset_from_linqs(&ds, dir, NULL));
    CU_ASSERT_EQUAL(lc_dataset_num_classes(ds), 7);
    check_linqs(ds, &ref, 1, 20, 500, 1000);
    /* the spec form gives the same data and, with the same seed, the same split */
    lc_dataset_t *again = NULL;
    char spec[4200];
    snprintf(spec, sizeof spec, "linqs:%s", dir);
    LC_ASSERT_OK(lc_dataset_load(&again, spec, NULL));
    CU_ASSERT_EQUAL_FATAL(lc_dataset_num_nodes(again), 2708);
    for (int k = 0; k < 3; k++)
        CU_ASSERT_EQUAL(memcmp(lc_dataset_mask(ds, k), lc_dataset_mask(again, k), 2708), 0);
    lc_dataset_free(&again);
    lc_dataset_free(&ds);
    linqs_ref_free(&ref);
    free(dir), free(content), free(cites);
}

static void test_cora_planetoid(void)
{
    const char *p = lc_test_data("planetoid/cora.labels.txt");
    if (!p) {
        lc_test_skip("planetoid cora: shared data absent (LCONV_DATA_DIR)");
        return;
    }
    char *prefix = path_dup(p);
    prefix[strlen(prefix) - strlen(".labels.txt")] = '\0';
    lc_dataset_t *ds = NULL;
    LC_ASSERT_OK(lc_dataset_from_planetoid(&ds, prefix, NULL));
    CU_ASSERT_EQUAL_FATAL(lc_dataset_num_nodes(ds), 2708);
    CU_ASSERT_EQUAL(lc_dataset_num_features(ds), 1433);
    CU_ASSERT_EQUAL(lc_dataset_num_classes(ds), 7);
    CU_ASSERT_EQUAL(mask_count(ds, 0), 140);
    CU_ASSERT_EQUAL(mask_count(ds, 1), 500);
    CU_ASSERT_EQUAL(mask_count(ds, 2), 1000);
    assert_split_sane(ds); /* includes: every split node has a label >= 0 */
    int32_t *want = malloc(2708 * sizeof *want);
    char path[4200];
    snprintf(path, sizeof path, "%s.labels.txt", prefix);
    CU_ASSERT_EQUAL(read_labels(path, want, 2708), 2708);
    CU_ASSERT_EQUAL(memcmp(lc_dataset_labels(ds), want, 2708 * sizeof *want), 0);
    free(want);
    /* graph: distinct undirected pairs of the edges file, self loops dropped */
    lc_test_pair *pairs;
    int64_t loops;
    snprintf(path, sizeof path, "%s.edges.txt", prefix);
    int64_t m = read_pairs(path, &pairs, &loops);
    CU_ASSERT_EQUAL(m, 10858);
    int64_t distinct = lc_test_distinct_pairs(pairs, m);
    free(pairs);
    CU_ASSERT_EQUAL(lc_graph_num_edges(lc_dataset_graph(ds)), 2 * distinct);
    lc_test_assert_simple_undirected(lc_dataset_graph(ds));
    /* features: nnz of the file's header, rows normalised */
    CU_ASSERT_EQUAL(lc_csr_nnz(lc_dataset_sparse_features(ds)), 49216);
    float *x = dense_features(ds);
    int ok = 1;
    for (int64_t i = 0; i < 2708; i++) {
        double sum = 0.0;
        for (int64_t j = 0; j < 1433; j++)
            sum += x[i * 1433 + j];
        ok &= fabs(sum - 1.0) < 1e-5 || sum == 0.0;
    }
    CU_ASSERT(ok);
    free(x);
    lc_dataset_free(&ds);
    free(prefix);
}

int main(void)
{
    static const lc_test_case cases[] = {
        {"edgelist_valid", test_edgelist_valid},
        {"edgelist_weighted", test_edgelist_weighted},
        {"edgelist_malformed", test_edgelist_malformed},
        {"mm_valid", test_mm_valid},
        {"mm_malformed", test_mm_malformed},
        {"linqs_valid", test_linqs_valid},
        {"linqs_malformed", test_linqs_malformed},
        {"planetoid_valid", test_planetoid_valid},
        {"planetoid_malformed", test_planetoid_malformed},
        {"karate", test_karate},
        {"load_specs", test_load_specs},
        {"dataset_new_errors", test_dataset_new_errors},
        {"random_split", test_random_split},
        {"normalize", test_normalize},
        {"cora_linqs", test_cora_linqs},
        {"cora_planetoid", test_cora_planetoid},
        {NULL, NULL},
    };
    return lc_test_main("readers", cases);
}
