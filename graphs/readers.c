/* readers.c — text readers: edge lists, Matrix Market (CHOLMOD), LINQS and Planetoid datasets. */
#include <dirent.h>
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <suitesparse/cholmod.h>

#include "internal.h"

/* Node and feature indices end up as 32-bit CSR column indices. */
#define MAX_INDEX ((int64_t)INT32_MAX)
/* Training papers per class of the split drawn for LINQS data. */
#define LINQS_PER_CLASS 20
/* A label this large is a typo, not a class count. */
#define MAX_CLASSES (1 << 20)

/* ---------------------------------------------------------------- growable COO */

typedef struct {
    int64_t *row, *col;
    float *val;
    int64_t len, cap;
} coo_buf;

static lc_status coo_push(coo_buf *a, int64_t r, int64_t c, float v)
{
    if (a->len == a->cap) {
        int64_t cap = a->cap ? 2 * a->cap : 1024;
        int64_t *row = lc_i_realloc(a->row, (size_t)cap * sizeof *row);
        if (row) a->row = row;
        int64_t *col = lc_i_realloc(a->col, (size_t)cap * sizeof *col);
        if (col) a->col = col;
        float *val = lc_i_realloc(a->val, (size_t)cap * sizeof *val);
        if (val) a->val = val;
        if (!row || !col || !val)
            return LC_ERROR(LC_ERR_OUT_OF_MEMORY, "cannot grow a list to %lld entries",
                            (long long)cap);
        a->cap = cap;
    }
    a->row[a->len] = r;
    a->col[a->len] = c;
    a->val[a->len] = v;
    a->len++;
    return LC_OK;
}

static void coo_free(coo_buf *a)
{
    lc_i_free(a->row);
    lc_i_free(a->col);
    lc_i_free(a->val);
    memset(a, 0, sizeof *a);
}

/* ---------------------------------------------------------------- size guards */

/* Refuse a size that cannot fit in this machine's memory before allocating it. */
static lc_status check_memory(const char *api, const lc_i_lines *r, double bytes, const char *what)
{
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    double phys = (pages > 0 && page > 0) ? (double)pages * (double)page : 0x1p40;
    if (bytes > phys)
        return lc_i_error(LC_ERR_OUT_OF_MEMORY, api,
                          "'%s' line %lld: %s would need %.3g GB, more than the %.3g GB of memory",
                          r->path, (long long)r->line_no, what, bytes / 1e9, phys / 1e9);
    return LC_OK;
}

/* Citation files hold duplicates and reciprocal pairs: the graph is made
 * undirected and simple (each neighbour once, weight 1), as PyG and networkx
 * load these datasets. */
static int citation_graph_flags(const lc_load_options *o)
{
    return LC_GRAPH_SYMMETRIZE | LC_GRAPH_BINARY |
           (o->self_loops_in_graph ? 0 : LC_GRAPH_DROP_SELF_LOOPS);
}

/* ---------------------------------------------------------------- edge lists */

lc_status lc_read_edgelist(lc_graph_t **g, const char *path, int64_t n_hint, int flags)
{
    static const char *api = "lc_read_edgelist";
    LC_CHECK_ARG(g, "output handle is NULL");
    LC_CHECK_ARG(path, "path is NULL");
    LC_CHECK_ARG(n_hint >= 0 && n_hint <= MAX_INDEX + 1, "n_hint %lld not in [0, 2^31]",
                 (long long)n_hint);
    lc_status st = LC_OK;
    lc_i_lines r;
    coo_buf e = {0};
    lc_graph_t *graph = NULL;
    int64_t ncols = 0, cols_line = 0, max_id = -1;
    char *line;
    LC_TRY(lc_i_open_lines(api, &r, path));
    int rc;
    while ((rc = lc_i_next_line(api, &r, &line)) == 1) {
        lc_i_strip_comment(line);
        int64_t ntok = lc_i_count_tokens(line);
        if (ntok == 0) continue;
        if (ntok != 2 && ntok != 3)
            PARSE_FAIL(&r, "%lld fields; expected 'u v' or 'u v weight'", (long long)ntok);
        if (ncols == 0) {
            ncols = ntok;
            cols_line = r.line_no;
        } else if (ntok != ncols) {
            PARSE_FAIL(&r,
                       "%lld fields but line %lld has %lld (weighted and unweighted edges mixed)",
                       (long long)ntok, (long long)cols_line, (long long)ncols);
        }
        char *cur = line;
        int64_t id[2];
        for (int k = 0; k < 2; k++) {
            char *tok = lc_i_next_token(&cur);
            if (!lc_i_parse_int(tok, &id[k]))
                PARSE_FAIL(&r, "node id '%.40s' is not an integer", tok);
            if (id[k] < 0) PARSE_FAIL(&r, "node id %lld is negative", (long long)id[k]);
            if (id[k] >= MAX_INDEX)
                PARSE_FAIL(&r, "node id %lld out of range (the largest supported id is %lld)",
                           (long long)id[k], (long long)MAX_INDEX - 1);
            if (n_hint > 0 && id[k] >= n_hint)
                PARSE_FAIL(&r, "node id %lld out of range: >= n_hint = %lld", (long long)id[k],
                           (long long)n_hint);
            if (id[k] > max_id) max_id = id[k];
        }
        float w = 1.0f;
        if (ncols == 3) {
            char *tok = lc_i_next_token(&cur);
            if (!lc_i_parse_real(tok, &w))
                PARSE_FAIL(&r, "weight '%.40s' is not a finite number", tok);
        }
        LC_TRY(coo_push(&e, id[0], id[1], w));
    }
    if (rc < 0) LC_TRY((lc_status)rc);
    if (e.len == 0 && n_hint == 0)
        EOF_FAIL(&r, "no edge (empty file), and no n_hint to size an edgeless graph");
    int64_t n = n_hint > 0 ? n_hint : max_id + 1;
    LC_TRY(check_memory(api, &r, (double)n * 64.0 + (double)e.len * 64.0, "the graph"));
    LC_TRY(lc_graph_from_edges(&graph, n, e.len, e.row, e.col, ncols == 3 ? e.val : NULL, flags));
    *g = graph;
done:
    if (st != LC_OK && strncmp(lc_last_error(), api, strlen(api)) != 0) st = lc_i_reraise(api, st);
    lc_i_lines_close(&r);
    coo_free(&e);
    return st;
}

/* ---------------------------------------------------------------- Matrix Market */

/* Read the file once before CHOLMOD does, so that errors name a line:
 * refuse non-square shapes, absurd sizes and entry counts the file is too
 * short to hold before CHOLMOD allocates from the size line; check each entry
 * (fields, indices, value) and count them against the size line. Besides
 * giving line numbers this keeps CHOLMOD 3.0 off two weak paths: it silently
 * ignores surplus entries, and its premature-EOF error leaks its triplet.
 * What remains for CHOLMOD to judge (an empty file, the banner's words) is
 * reported with CHOLMOD's reason. */
static lc_status mm_prescan(const char *api, lc_i_lines *r)
{
    lc_status st = LC_OK;
    char *line;
    int rc;
    struct stat sb;
    double file_bytes = fstat(fileno(r->f), &sb) == 0 ? (double)sb.st_size : 0x1p60;
    int64_t size_line = 0, expected = 0, seen = 0, n = 0;
    /* fields of an entry line: from the banner 2 (pattern) or 3; without a
     * banner (CHOLMOD's plain triplet form) either, 0 */
    int fields = 0;
    bool banner = false;
    while ((rc = lc_i_next_line(api, r, &line)) == 1) {
        if (r->line_no == 1 && strncasecmp(line, "%%MatrixMarket", 14) == 0) {
            char *cur = line, *tok;
            banner = true;
            for (int k = 0; (tok = lc_i_next_token(&cur)); k++) {
                if (k == 2 && strcasecmp(tok, "array") == 0)
                    API_FAIL(LC_ERR_UNSUPPORTED,
                             "'%s' line 1: dense 'array' Matrix Market files are not supported "
                             "(a graph is read from the 'coordinate' form)",
                             r->path);
                if (k == 3 && strcasecmp(tok, "complex") == 0)
                    API_FAIL(LC_ERR_UNSUPPORTED,
                             "'%s' line 1: complex matrices are not supported (edge weights are "
                             "real)",
                             r->path);
                if (k == 3) fields = strcasecmp(tok, "pattern") == 0 ? 2 : 3;
            }
            continue;
        }
        if (line[0] == '%' || lc_i_count_tokens(line) == 0) continue;
        int64_t ntok = lc_i_count_tokens(line);
        char *cur = line, *tok;
        if (size_line) {
            if (++seen > expected)
                PARSE_FAIL(r, "more entries than the %lld declared on line %lld",
                           (long long)expected, (long long)size_line);
            if (fields ? ntok != fields : ntok != 2 && ntok != 3)
                PARSE_FAIL(r, "%lld fields, expected %s", (long long)ntok,
                           fields == 2   ? "2 ('i j')"
                           : fields == 3 ? "3 ('i j value')"
                                         : "'i j' or 'i j value'");
            for (int k = 0; k < 2; k++) {
                int64_t idx;
                tok = lc_i_next_token(&cur);
                if (!lc_i_parse_int(tok, &idx))
                    PARSE_FAIL(r, "%s index '%.40s' is not an integer", k ? "column" : "row", tok);
                if (idx < 1 || idx > n)
                    PARSE_FAIL(r, "%s index %lld out of range [1, %lld]", k ? "column" : "row",
                               (long long)idx, (long long)n);
            }
            float v;
            if (ntok == 3 && !lc_i_parse_real((tok = lc_i_next_token(&cur)), &v))
                PARSE_FAIL(r, "value '%.40s' is not a finite number", tok);
            continue;
        }
        /* the size line "rows cols entries" (CHOLMOD's plain form may add an stype) */
        int64_t v[4] = {0, 0, 0, 0};
        bool size_ok = ntok == 3 || (!banner && ntok == 4);
        for (int k = 0; k < ntok && size_ok; k++)
            size_ok = lc_i_parse_int(lc_i_next_token(&cur), &v[k]) && (k == 3 || v[k] >= 0);
        if (!size_ok)
            PARSE_FAIL(r,
                       "expected the size line 'rows cols entries' (three non-negative integers)");
        const int64_t rows = v[0], cols = v[1];
        if (rows != cols)
            PARSE_FAIL(r, "the matrix is %lld x %lld; a graph needs a square matrix",
                       (long long)rows, (long long)cols);
        if (rows > MAX_INDEX)
            API_FAIL(LC_ERR_OUT_OF_MEMORY,
                     "'%s' line %lld: absurd size %lld x %lld (at most 2^31-1 nodes)", r->path,
                     (long long)r->line_no, (long long)rows, (long long)cols);
        /* rows < 2^31, so rows * cols does not overflow */
        expected = v[2];
        if (expected > rows * cols)
            PARSE_FAIL(r, "%lld entries declared for a %lld x %lld matrix", (long long)expected,
                       (long long)rows, (long long)cols);
        /* an entry takes at least "i j\n", 4 bytes */
        if ((double)expected * 4.0 > file_bytes)
            PARSE_FAIL(r, "%lld entries declared but the file has only %.0f bytes (truncated?)",
                       (long long)expected, file_bytes);
        LC_TRY(check_memory(api, r, (double)rows * 16.0 + (double)expected * 48.0, "the matrix"));
        size_line = r->line_no;
        n = rows;
    }
    if (rc < 0) LC_TRY((lc_status)rc);
    if (size_line && seen < expected)
        EOF_FAIL(r, "%lld entries, line %lld declares %lld (truncated file)", (long long)seen,
                 (long long)size_line, (long long)expected);
done:
    return st;
}

lc_status lc_read_matrix_market(lc_graph_t **g, const char *path, int flags)
{
    static const char *api = "lc_read_matrix_market";
    LC_CHECK_ARG(g, "output handle is NULL");
    LC_CHECK_ARG(path, "path is NULL");
    lc_status st = LC_OK;
    lc_i_lines r;
    cholmod_common cc;
    bool cc_started = false;
    cholmod_sparse *a = NULL;
    int64_t *tail = NULL, *head = NULL;
    float *weight = NULL;
    lc_graph_t *graph = NULL;
    LC_TRY(lc_i_open_lines(api, &r, path));
    LC_TRY(mm_prescan(api, &r));
    rewind(r.f);

    lc_i_cholmod_start(&cc);
    cc_started = true;
    a = cholmod_read_sparse(r.f, &cc);
    if (!a) {
        const char *why;
        lc_status code = lc_i_cholmod_error(&why) == CHOLMOD_OUT_OF_MEMORY ? LC_ERR_OUT_OF_MEMORY
                                                                           : LC_ERR_PARSE;
        st = lc_i_error(code, api, "'%s': CHOLMOD cannot read it: %s", path, why);
        goto done;
    }
    if (a->nrow != a->ncol)
        API_FAIL(LC_ERR_PARSE, "'%s': the matrix is %zu x %zu; a graph needs a square matrix", path,
                 a->nrow, a->ncol);
    if (a->xtype == CHOLMOD_COMPLEX || a->xtype == CHOLMOD_ZOMPLEX)
        API_FAIL(LC_ERR_UNSUPPORTED,
                 "'%s': complex matrices are not supported (edge weights are real)", path);
    if (a->itype != CHOLMOD_INT)
        API_FAIL(LC_ERR_BACKEND, "'%s': CHOLMOD returned index type %d, expected int", path,
                 a->itype);

    /* CHOLMOD stores a symmetric matrix as one triangle (stype != 0): each
     * off-diagonal entry stands for both directions. */
    const int *ap = a->p, *ai = a->i, *anz = a->nz;
    const double *ax = a->x; /* NULL for a pattern matrix: weight 1 */
    const int64_t n = (int64_t)a->nrow;
    int64_t m = 0;
    for (int64_t j = 0; j < n; j++) {
        int64_t end = a->packed ? ap[j + 1] : ap[j] + anz[j];
        for (int64_t k = ap[j]; k < end; k++)
            m += (a->stype != 0 && ai[k] != j) ? 2 : 1;
    }
    tail = lc_i_malloc((size_t)m * sizeof *tail);
    head = lc_i_malloc((size_t)m * sizeof *head);
    weight = lc_i_malloc((size_t)m * sizeof *weight);
    if (!tail || !head || !weight)
        API_FAIL(LC_ERR_OUT_OF_MEMORY, "'%s': cannot allocate %lld edges", path, (long long)m);
    int64_t e = 0;
    for (int64_t j = 0; j < n; j++) {
        int64_t end = a->packed ? ap[j + 1] : ap[j] + anz[j];
        for (int64_t k = ap[j]; k < end; k++) {
            double v = (ax && a->xtype != CHOLMOD_PATTERN) ? ax[k] : 1.0;
            if (!isfinite(v) || fabs(v) > FLT_MAX)
                API_FAIL(LC_ERR_PARSE, "'%s': entry (%d, %lld) = %g is not a finite float", path,
                         ai[k] + 1, (long long)j + 1, v);
            tail[e] = ai[k], head[e] = j, weight[e] = (float)v, e++;
            if (a->stype != 0 && ai[k] != j)
                tail[e] = j, head[e] = ai[k], weight[e] = (float)v, e++;
        }
    }
    LC_TRY(lc_graph_from_edges(&graph, n, m, tail, head, weight, flags));
    *g = graph;
done:
    if (st != LC_OK && strncmp(lc_last_error(), api, strlen(api)) != 0) st = lc_i_reraise(api, st);
    if (cc_started) {
        cholmod_free_sparse(&a, &cc);
        cholmod_finish(&cc);
    }
    lc_i_lines_close(&r);
    lc_i_free(tail);
    lc_i_free(head);
    lc_i_free(weight);
    return st;
}

/* ---------------------------------------------------------------- string table */

/* Strings (paper ids, class names) mapped to 0..count-1 in insertion order,
 * with the line each was first seen on. Open addressing on an FNV-1a hash. */
typedef struct {
    char *pool;
    size_t pool_len, pool_cap;
    size_t *off;   /* count: start of each string in pool */
    int64_t *line; /* count: line of first appearance */
    int64_t count, cap;
    int64_t *slot; /* nslot: index + 1, 0 = empty */
    int64_t nslot;
} strtab;

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static const char *strtab_get(const strtab *t, int64_t i)
{
    return t->pool + t->off[i];
}

static int64_t strtab_find(const strtab *t, const char *s)
{
    if (t->nslot == 0) return -1;
    for (uint64_t h = fnv1a(s) & (uint64_t)(t->nslot - 1);;
         h = (h + 1) & (uint64_t)(t->nslot - 1)) {
        int64_t idx = t->slot[h] - 1;
        if (idx < 0) return -1;
        if (strcmp(strtab_get(t, idx), s) == 0) return idx;
    }
}

static void strtab_place(strtab *t, int64_t idx)
{
    uint64_t h = fnv1a(strtab_get(t, idx)) & (uint64_t)(t->nslot - 1);
    while (t->slot[h])
        h = (h + 1) & (uint64_t)(t->nslot - 1);
    t->slot[h] = idx + 1;
}

/* Append s (not yet present); its index is t->count - 1 afterwards. */
static lc_status strtab_add(strtab *t, const char *s, int64_t line)
{
    size_t len = strlen(s) + 1;
    if (t->pool_len + len > t->pool_cap) {
        size_t cap = t->pool_cap ? t->pool_cap : 4096;
        while (t->pool_len + len > cap)
            cap *= 2;
        char *pool = lc_i_realloc(t->pool, cap);
        if (!pool) return LC_ERROR(LC_ERR_OUT_OF_MEMORY, "cannot grow a string table");
        t->pool = pool, t->pool_cap = cap;
    }
    if (t->count == t->cap) {
        int64_t cap = t->cap ? 2 * t->cap : 256;
        size_t *off = lc_i_realloc(t->off, (size_t)cap * sizeof *off);
        if (off) t->off = off;
        int64_t *ln = lc_i_realloc(t->line, (size_t)cap * sizeof *ln);
        if (ln) t->line = ln;
        if (!off || !ln) return LC_ERROR(LC_ERR_OUT_OF_MEMORY, "cannot grow a string table");
        t->cap = cap;
    }
    if (2 * (t->count + 1) > t->nslot) { /* keep the load factor at most 1/2 */
        int64_t nslot = t->nslot ? 2 * t->nslot : 512;
        int64_t *slot = lc_i_calloc((size_t)nslot, sizeof *slot);
        if (!slot) return LC_ERROR(LC_ERR_OUT_OF_MEMORY, "cannot grow a string table");
        lc_i_free(t->slot);
        t->slot = slot, t->nslot = nslot;
        for (int64_t i = 0; i < t->count; i++)
            strtab_place(t, i);
    }
    memcpy(t->pool + t->pool_len, s, len);
    t->off[t->count] = t->pool_len;
    t->line[t->count] = line;
    t->pool_len += len;
    t->count++;
    strtab_place(t, t->count - 1);
    return LC_OK;
}

static void strtab_free(strtab *t)
{
    lc_i_free(t->pool);
    lc_i_free(t->off);
    lc_i_free(t->line);
    lc_i_free(t->slot);
    memset(t, 0, sizeof *t);
}

/* ---------------------------------------------------------------- LINQS */

/* Exactly one *.content in dir, and its *.cites beside it. */
static lc_status find_linqs_files(const char *api, const char *dir, char **content, char **cites)
{
    lc_status st = LC_OK;
    char *found = NULL, *c1 = NULL, *c2 = NULL;
    int count = 0;
    DIR *d = opendir(dir);
    if (!d)
        return lc_i_error(LC_ERR_IO, api, "cannot open directory '%s': %s", dir, strerror(errno));
    struct dirent *ent;
    while ((ent = readdir(d))) {
        size_t len = strlen(ent->d_name);
        if (len <= 8 || strcmp(ent->d_name + len - 8, ".content") != 0) continue;
        if (++count == 1) {
            found = lc_i_strdup(ent->d_name);
            if (!found) API_FAIL(LC_ERR_OUT_OF_MEMORY, "cannot copy a file name");
        } else {
            API_FAIL(LC_ERR_INVALID_ARG,
                     "directory '%s' holds several *.content files ('%s', '%s'); expected one", dir,
                     found, ent->d_name);
        }
    }
    if (!found)
        API_FAIL(LC_ERR_IO,
                 "directory '%s' holds no *.content file (LINQS: NAME.content + NAME.cites)", dir);
    size_t stem = strlen(found) - 8, size = strlen(dir) + strlen(found) + 8;
    c1 = lc_i_malloc(size);
    c2 = lc_i_malloc(size);
    if (!c1 || !c2) API_FAIL(LC_ERR_OUT_OF_MEMORY, "cannot build file names");
    snprintf(c1, size, "%s/%s", dir, found);
    snprintf(c2, size, "%s/%.*s.cites", dir, (int)stem, found);
    *content = c1, *cites = c2;
    c1 = c2 = NULL;
done:
    closedir(d);
    lc_i_free(found);
    lc_i_free(c1);
    lc_i_free(c2);
    return st;
}

/* Papers: ids into `ids`, class names into `classes`, each paper's class
 * (an index into `classes`) into *node_class_out, features as CSR. */
static lc_status read_linqs_content(const char *api, const char *path, strtab *ids, strtab *classes,
                                    int64_t **node_class_out, lc_csr_t **feat_out)
{
    lc_status st = LC_OK;
    lc_i_lines r;
    coo_buf feat = {0};
    int64_t *node_class = NULL, nc_cap = 0, f = -1, f_line = 0;
    char *line;
    int rc;
    LC_TRY(lc_i_open_lines(api, &r, path));
    while ((rc = lc_i_next_line(api, &r, &line)) == 1) {
        int64_t ntok = lc_i_count_tokens(line);
        if (ntok == 0) continue;
        if (f < 0) {
            if (ntok < 3)
                PARSE_FAIL(&r, "%lld fields; a paper needs an id, at least one feature and a label",
                           (long long)ntok);
            f = ntok - 2;
            f_line = r.line_no;
        } else if (ntok != f + 2) {
            PARSE_FAIL(&r, "%lld fields, expected %lld (id, %lld features, label) as on line %lld",
                       (long long)ntok, (long long)f + 2, (long long)f, (long long)f_line);
        }
        char *cur = line, *id = lc_i_next_token(&cur);
        int64_t dup = strtab_find(ids, id);
        if (dup >= 0)
            PARSE_FAIL(&r, "duplicate paper id '%.40s' (first on line %lld)", id,
                       (long long)ids->line[dup]);
        LC_TRY(strtab_add(ids, id, r.line_no));
        int64_t node = ids->count - 1;
        for (int64_t k = 0; k < f; k++) {
            char *tok = lc_i_next_token(&cur);
            float v;
            if (!lc_i_parse_real(tok, &v))
                PARSE_FAIL(&r, "feature %lld ('%.40s') is not a number", (long long)k + 1, tok);
            if (v != 0.0f) LC_TRY(coo_push(&feat, node, k, v));
        }
        char *label = lc_i_next_token(&cur);
        int64_t cls = strtab_find(classes, label);
        if (cls < 0) {
            if (classes->count >= MAX_CLASSES)
                PARSE_FAIL(&r, "more than %d distinct class labels", MAX_CLASSES);
            LC_TRY(strtab_add(classes, label, r.line_no));
            cls = classes->count - 1;
        }
        if (node == nc_cap) {
            int64_t cap = nc_cap ? 2 * nc_cap : 1024;
            int64_t *p = lc_i_realloc(node_class, (size_t)cap * sizeof *p);
            if (!p) API_FAIL(LC_ERR_OUT_OF_MEMORY, "cannot grow the label list");
            node_class = p, nc_cap = cap;
        }
        node_class[node] = cls;
    }
    if (rc < 0) LC_TRY((lc_status)rc);
    if (ids->count == 0) EOF_FAIL(&r, "no paper (empty file)");
    LC_TRY(lc_csr_from_coo(feat_out, ids->count, f, feat.len, feat.row, feat.col, feat.val));
    *node_class_out = node_class;
    node_class = NULL;
done:
    if (st != LC_OK && strncmp(lc_last_error(), api, strlen(api)) != 0) st = lc_i_reraise(api, st);
    lc_i_lines_close(&r);
    coo_free(&feat);
    lc_i_free(node_class);
    return st;
}

static int cmp_str_ptr(const void *x, const void *y)
{
    return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* Labels 0..k-1 numbered in strcmp order of the class names, so that they do
 * not depend on the order of the file; each class must have the papers the
 * loader's split takes from it (the error names where the class first appears). */
static lc_status number_linqs_classes(const char *api, const char *path, const strtab *classes,
                                      const int64_t *node_class, int64_t n, int32_t **labels_out)
{
    lc_status st = LC_OK;
    const int64_t k = classes->count;
    const char **names = lc_i_malloc((size_t)k * sizeof *names);
    int32_t *rank = lc_i_malloc((size_t)k * sizeof *rank);
    int64_t *count = lc_i_calloc((size_t)k, sizeof *count);
    int32_t *labels = lc_i_malloc((size_t)n * sizeof *labels);
    if (!names || !rank || !count || !labels)
        API_FAIL(LC_ERR_OUT_OF_MEMORY, "cannot allocate %lld labels", (long long)n);
    for (int64_t c = 0; c < k; c++)
        names[c] = strtab_get(classes, c);
    qsort(names, (size_t)k, sizeof *names, cmp_str_ptr);
    for (int64_t c = 0; c < k; c++)
        rank[strtab_find(classes, names[c])] = (int32_t)c;
    for (int64_t i = 0; i < n; i++)
        labels[i] = rank[node_class[i]], count[node_class[i]]++;
    for (int64_t c = 0; c < k; c++)
        if (count[c] < LINQS_PER_CLASS)
            API_FAIL(LC_ERR_PARSE,
                     "'%s' line %lld: class '%.40s' has only %lld papers; the split of the "
                     "loader takes %d training papers per class",
                     path, (long long)classes->line[c], strtab_get(classes, c), (long long)count[c],
                     LINQS_PER_CLASS);
    *labels_out = labels;
    labels = NULL;
done:
    lc_i_free(names);
    lc_i_free(rank);
    lc_i_free(count);
    lc_i_free(labels);
    return st;
}

/* Citations "cited citing" as edges citing → cited. */
static lc_status read_linqs_cites(const char *api, const char *path, const char *content_path,
                                  const strtab *ids, coo_buf *edges)
{
    lc_status st = LC_OK;
    lc_i_lines r;
    char *line;
    int rc;
    LC_TRY(lc_i_open_lines(api, &r, path));
    while ((rc = lc_i_next_line(api, &r, &line)) == 1) {
        int64_t ntok = lc_i_count_tokens(line);
        if (ntok == 0) continue;
        if (ntok != 2)
            PARSE_FAIL(&r, "%lld fields, expected 2 (cited paper id, citing paper id)",
                       (long long)ntok);
        char *cur = line;
        int64_t end[2];
        for (int k = 0; k < 2; k++) {
            char *tok = lc_i_next_token(&cur);
            end[k] = strtab_find(ids, tok);
            if (end[k] < 0)
                PARSE_FAIL(&r, "unknown paper id '%.40s' (not in '%s')", tok, content_path);
        }
        LC_TRY(coo_push(edges, end[1], end[0], 1.0f));
    }
    if (rc < 0) LC_TRY((lc_status)rc);
    if (edges->len == 0) EOF_FAIL(&r, "no citation (empty file)");
done:
    if (st != LC_OK && strncmp(lc_last_error(), api, strlen(api)) != 0) st = lc_i_reraise(api, st);
    lc_i_lines_close(&r);
    return st;
}

/* LINQS has no standard split; the loader draws a Planetoid-style one: 20
 * training nodes per class, then 500 validation and 1000 test nodes, each
 * capped at the labelled nodes that remain (so that small data still loads). */
lc_status lc_dataset_from_linqs(lc_dataset_t **ds, const char *dir, const lc_load_options *opts)
{
    static const char *api = "lc_dataset_from_linqs";
    LC_CHECK_ARG(ds, "output handle is NULL");
    LC_CHECK_ARG(dir, "dir is NULL");
    lc_status st = LC_OK;
    lc_load_options o = opts ? *opts : lc_load_defaults();
    char *content = NULL, *cites = NULL;
    strtab ids = {0}, classes = {0};
    int64_t *node_class = NULL;
    coo_buf edges = {0};
    int32_t *labels = NULL;
    lc_csr_t *feat = NULL;
    lc_graph_t *graph = NULL;
    lc_dataset_t *d = NULL;
    LC_TRY(find_linqs_files(api, dir, &content, &cites));
    LC_TRY(read_linqs_content(api, content, &ids, &classes, &node_class, &feat));
    LC_TRY(read_linqs_cites(api, cites, content, &ids, &edges));
    LC_TRY(number_linqs_classes(api, content, &classes, node_class, ids.count, &labels));
    const int num_classes = (int)classes.count;
    LC_TRY(lc_graph_from_edges(&graph, ids.count, edges.len, edges.row, edges.col, NULL,
                               citation_graph_flags(&o)));
    LC_TRY(lc_dataset_new(&d, graph, NULL, feat, labels, num_classes));
    graph = NULL, feat = NULL; /* owned by d now */

    /* every paper is labelled and every class has LINQS_PER_CLASS papers, so rest >= 0 */
    const int64_t rest = ids.count - (int64_t)LINQS_PER_CLASS * num_classes;
    const int64_t n_val = rest < 500 ? rest : 500;
    const int64_t n_test = rest - n_val < 1000 ? rest - n_val : 1000;
    LC_TRY(lc_dataset_random_split(d, LINQS_PER_CLASS, n_val, n_test, o.split_seed));
    if (o.normalize_features) LC_TRY(lc_dataset_normalize_features(d));
    *ds = d;
    d = NULL;
done:
    if (st != LC_OK && strncmp(lc_last_error(), api, strlen(api)) != 0) st = lc_i_reraise(api, st);
    lc_i_free(content);
    lc_i_free(cites);
    strtab_free(&ids);
    strtab_free(&classes);
    lc_i_free(node_class);
    coo_free(&edges);
    lc_i_free(labels);
    lc_csr_free(&feat);
    lc_graph_free(&graph);
    lc_dataset_free(&d);
    return st;
}

/* ---------------------------------------------------------------- Planetoid */

/* One integer label per line, -1 = unlabelled; n = the number of lines. */
static lc_status read_planetoid_labels(const char *api, const char *path, int32_t **labels_out,
                                       int64_t *n_out, int *num_classes)
{
    lc_status st = LC_OK;
    lc_i_lines r;
    int32_t *labels = NULL;
    int64_t n = 0, cap = 0, max_label = -1;
    char *line;
    int rc;
    LC_TRY(lc_i_open_lines(api, &r, path));
    while ((rc = lc_i_next_line(api, &r, &line)) == 1) {
        lc_i_strip_comment(line);
        int64_t ntok = lc_i_count_tokens(line), v;
        if (ntok == 0) continue;
        if (ntok != 1) PARSE_FAIL(&r, "%lld fields, expected one label", (long long)ntok);
        char *cur = line, *tok = lc_i_next_token(&cur);
        if (!lc_i_parse_int(tok, &v)) PARSE_FAIL(&r, "label '%.40s' is not an integer", tok);
        if (v < -1 || v >= MAX_CLASSES)
            PARSE_FAIL(&r, "label %lld out of range [-1, %d)", (long long)v, MAX_CLASSES);
        if (n >= MAX_INDEX) PARSE_FAIL(&r, "more than %lld nodes", (long long)MAX_INDEX);
        if (n == cap) {
            cap = cap ? 2 * cap : 1024;
            int32_t *p = lc_i_realloc(labels, (size_t)cap * sizeof *p);
            if (!p) API_FAIL(LC_ERR_OUT_OF_MEMORY, "cannot grow the label list");
            labels = p;
        }
        labels[n++] = (int32_t)v;
        if (v > max_label) max_label = v;
    }
    if (rc < 0) LC_TRY((lc_status)rc);
    if (n == 0) EOF_FAIL(&r, "no label (empty file)");
    *labels_out = labels;
    labels = NULL;
    *n_out = n;
    *num_classes = (int)(max_label + 1);
done:
    if (st != LC_OK && strncmp(lc_last_error(), api, strlen(api)) != 0) st = lc_i_reraise(api, st);
    lc_i_lines_close(&r);
    lc_i_free(labels);
    return st;
}

/* "rows cols nnz" from the leading integers of s; the rest of s is ignored
 * when `trailing_ok` (a comment), else it must be empty. */
static bool parse_size_header(char *s, bool trailing_ok, int64_t v[3])
{
    char *cur = s;
    for (int k = 0; k < 3; k++) {
        char *tok = lc_i_next_token(&cur);
        if (!tok || !lc_i_parse_int(tok, &v[k])) return false;
    }
    return trailing_ok || lc_i_next_token(&cur) == NULL;
}

/* Refuse a features size header up front: bad values, absurd sizes, or a
 * row count that disagrees with the labels file. r is positioned on it. */
static lc_status check_features_header(const char *api, const lc_i_lines *r, const int64_t hdr[3],
                                       int64_t n)
{
    lc_status st = LC_OK;
    int64_t rows = hdr[0], cols = hdr[1], nnz = hdr[2];
    if (rows < 1 || cols < 1 || nnz < 0)
        PARSE_FAIL(r,
                   "size header %lld x %lld with %lld entries: rows and cols must be >= 1, "
                   "nnz >= 0",
                   (long long)rows, (long long)cols, (long long)nnz);
    if (rows > MAX_INDEX || cols > MAX_INDEX || (double)rows * (double)cols > (double)LC_MAX_NUMEL)
        API_FAIL(LC_ERR_OUT_OF_MEMORY,
                 "'%s' line %lld: absurd size header %lld x %lld (at most 2^31-1 rows and "
                 "columns, 2^36 elements)",
                 r->path, (long long)r->line_no, (long long)rows, (long long)cols);
    if (nnz > rows * cols)
        PARSE_FAIL(r, "nnz %lld exceeds rows x cols = %lld", (long long)nnz,
                   (long long)(rows * cols));
    if (rows != n)
        PARSE_FAIL(r, "%lld rows declared but the labels file has %lld nodes", (long long)rows,
                   (long long)n);
    LC_TRY(check_memory(api, r, (double)nnz * 40.0 + (double)(rows + cols) * 16.0, "the features"));
done:
    return st;
}

typedef struct {
    int64_t key, line;
} keyed_line;

static int cmp_keyed_line(const void *x, const void *y)
{
    const keyed_line *a = x, *b = y;
    if (a->key != b->key) return a->key < b->key ? -1 : 1;
    return (a->line > b->line) - (a->line < b->line);
}

/* "rows cols nnz" header (in the first '#' comment line or the first data
 * line), then "row col value" lines. */
static lc_status read_planetoid_features(const char *api, const char *path, int64_t n,
                                         lc_csr_t **feat_out)
{
    lc_status st = LC_OK;
    lc_i_lines r;
    coo_buf e = {0};
    int64_t *entry_line = NULL, line_cap = 0, hdr[3] = {0, 0, 0}, hdr_line = 0;
    keyed_line *keys = NULL;
    bool seen_comment = false;
    lc_csr_t *feat = NULL;
    char *line;
    int rc;
    LC_TRY(lc_i_open_lines(api, &r, path));
    while ((rc = lc_i_next_line(api, &r, &line)) == 1) {
        char *p = line;
        while (lc_i_is_space(*p))
            p++;
        if (*p == '#') {
            if (!seen_comment && !hdr_line && parse_size_header(p + 1, true, hdr)) {
                hdr_line = r.line_no;
                LC_TRY(check_features_header(api, &r, hdr, n));
            }
            seen_comment = true;
            continue;
        }
        lc_i_strip_comment(line);
        int64_t ntok = lc_i_count_tokens(line);
        if (ntok == 0) continue;
        if (!hdr_line) {
            if (ntok != 3 || !parse_size_header(line, false, hdr))
                PARSE_FAIL(&r, "size header missing: expected 'rows cols nnz' (three integers) "
                               "here or in the first '#' comment line");
            hdr_line = r.line_no;
            LC_TRY(check_features_header(api, &r, hdr, n));
            continue;
        }
        if (ntok != 3) PARSE_FAIL(&r, "%lld fields, expected 'row col value'", (long long)ntok);
        char *cur = line, *tok[3];
        int64_t idx[2];
        float v;
        for (int k = 0; k < 3; k++)
            tok[k] = lc_i_next_token(&cur);
        for (int k = 0; k < 2; k++) {
            if (!lc_i_parse_int(tok[k], &idx[k]))
                PARSE_FAIL(&r, "%s index '%.40s' is not an integer", k ? "column" : "row", tok[k]);
            if (idx[k] < 0 || idx[k] >= hdr[k])
                PARSE_FAIL(&r, "%s index %lld out of range [0, %lld)", k ? "column" : "row",
                           (long long)idx[k], (long long)hdr[k]);
        }
        if (!lc_i_parse_real(tok[2], &v)) PARSE_FAIL(&r, "value '%.40s' is not a number", tok[2]);
        if (e.len >= hdr[2])
            PARSE_FAIL(&r, "nnz mismatch: more entries than the %lld declared on line %lld",
                       (long long)hdr[2], (long long)hdr_line);
        LC_TRY(coo_push(&e, idx[0], idx[1], v));
        if (e.len > line_cap) {
            int64_t cap = line_cap ? 2 * line_cap : 1024;
            int64_t *pl = lc_i_realloc(entry_line, (size_t)cap * sizeof *pl);
            if (!pl) API_FAIL(LC_ERR_OUT_OF_MEMORY, "cannot grow the entry list");
            entry_line = pl, line_cap = cap;
        }
        entry_line[e.len - 1] = r.line_no;
    }
    if (rc < 0) LC_TRY((lc_status)rc);
    if (!hdr_line) EOF_FAIL(&r, "size header 'rows cols nnz' missing (empty file)");
    if (e.len != hdr[2])
        EOF_FAIL(&r, "nnz mismatch: %lld entries, line %lld declares %lld", (long long)e.len,
                 (long long)hdr_line, (long long)hdr[2]);
    LC_TRY(lc_csr_from_coo(&feat, hdr[0], hdr[1], e.len, e.row, e.col, e.val));
    if (feat->nnz != e.len) {
        /* lc_csr_from_coo summed duplicates: find the first repeated entry to name it */
        keys = lc_i_malloc((size_t)e.len * sizeof *keys);
        if (!keys) API_FAIL(LC_ERR_PARSE, "'%s': duplicate entries", path);
        for (int64_t k = 0; k < e.len; k++)
            keys[k] = (keyed_line){e.row[k] * hdr[1] + e.col[k], entry_line[k]};
        qsort(keys, (size_t)e.len, sizeof *keys, cmp_keyed_line);
        /* report the repeat that comes first in the file, and where it was first given */
        keyed_line repeat = {0, INT64_MAX}, original = {0, 0};
        for (int64_t k = 1; k < e.len; k++)
            if (keys[k].key == keys[k - 1].key && keys[k].line < repeat.line)
                repeat = keys[k], original = keys[k - 1];
        r.line_no = repeat.line;
        PARSE_FAIL(&r, "duplicate entry (%lld, %lld), first on line %lld",
                   (long long)(repeat.key / hdr[1]), (long long)(repeat.key % hdr[1]),
                   (long long)original.line);
    }
    *feat_out = feat;
    feat = NULL;
done:
    if (st != LC_OK && strncmp(lc_last_error(), api, strlen(api)) != 0) st = lc_i_reraise(api, st);
    lc_i_lines_close(&r);
    coo_free(&e);
    lc_i_free(entry_line);
    lc_i_free(keys);
    lc_csr_free(&feat);
    return st;
}

/* "u v" lines, node indices in [0, n); duplicates and self loops allowed. */
static lc_status read_planetoid_edges(const char *api, const char *path, int64_t n, coo_buf *edges)
{
    lc_status st = LC_OK;
    lc_i_lines r;
    char *line;
    int rc;
    LC_TRY(lc_i_open_lines(api, &r, path));
    while ((rc = lc_i_next_line(api, &r, &line)) == 1) {
        lc_i_strip_comment(line);
        int64_t ntok = lc_i_count_tokens(line);
        if (ntok == 0) continue;
        if (ntok != 2) PARSE_FAIL(&r, "%lld fields, expected 'u v'", (long long)ntok);
        char *cur = line;
        int64_t id[2];
        for (int k = 0; k < 2; k++) {
            char *tok = lc_i_next_token(&cur);
            if (!lc_i_parse_int(tok, &id[k]))
                PARSE_FAIL(&r, "node index '%.40s' is not an integer", tok);
            if (id[k] < 0 || id[k] >= n)
                PARSE_FAIL(&r, "node index %lld out of range [0, %lld)", (long long)id[k],
                           (long long)n);
        }
        LC_TRY(coo_push(edges, id[0], id[1], 1.0f));
    }
    if (rc < 0) LC_TRY((lc_status)rc);
    if (edges->len == 0) EOF_FAIL(&r, "no edge (empty file)");
done:
    if (st != LC_OK && strncmp(lc_last_error(), api, strlen(api)) != 0) st = lc_i_reraise(api, st);
    lc_i_lines_close(&r);
    return st;
}

/* Lines "train i j ...", "val ...", "test ...": each exactly once, nodes in
 * [0, n), labelled, and in one set only. */
static lc_status read_planetoid_split(const char *api, const char *path, int64_t n,
                                      const int32_t *labels, uint8_t *mask[3])
{
    static const char *const names[3] = {"train", "val", "test"};
    lc_status st = LC_OK;
    lc_i_lines r;
    int64_t set_line[3] = {0, 0, 0};
    char *line;
    int rc;
    LC_TRY(lc_i_open_lines(api, &r, path));
    while ((rc = lc_i_next_line(api, &r, &line)) == 1) {
        lc_i_strip_comment(line);
        char *cur = line, *word = lc_i_next_token(&cur), *tok;
        if (!word) continue;
        int which = -1;
        for (int k = 0; k < 3; k++)
            if (strcmp(word, names[k]) == 0) which = k;
        if (which < 0)
            PARSE_FAIL(&r, "unknown set '%.40s' (expected 'train', 'val' or 'test')", word);
        if (set_line[which])
            PARSE_FAIL(&r, "second '%s' line (first on line %lld)", names[which],
                       (long long)set_line[which]);
        set_line[which] = r.line_no;
        for (int64_t field = 2; (tok = lc_i_next_token(&cur)); field++) {
            int64_t v;
            if (!lc_i_parse_int(tok, &v))
                PARSE_FAIL(&r, "field %lld: node index '%.40s' is not an integer", (long long)field,
                           tok);
            if (v < 0 || v >= n)
                PARSE_FAIL(&r, "field %lld: node index %lld out of range [0, %lld)",
                           (long long)field, (long long)v, (long long)n);
            for (int k = 0; k < 3; k++)
                if (mask[k][v])
                    PARSE_FAIL(&r, "field %lld: duplicate node %lld, already in '%s'",
                               (long long)field, (long long)v, names[k]);
            if (labels[v] < 0)
                PARSE_FAIL(&r, "field %lld: node %lld is in '%s' but unlabelled (-1)",
                           (long long)field, (long long)v, names[which]);
            mask[which][v] = 1;
        }
    }
    if (rc < 0) LC_TRY((lc_status)rc);
    if (!set_line[0] && !set_line[1] && !set_line[2])
        EOF_FAIL(&r, "no 'train', 'val' or 'test' line (empty file)");
    for (int k = 0; k < 3; k++)
        if (!set_line[k]) EOF_FAIL(&r, "without a '%s' line", names[k]);
done:
    if (st != LC_OK && strncmp(lc_last_error(), api, strlen(api)) != 0) st = lc_i_reraise(api, st);
    lc_i_lines_close(&r);
    return st;
}

lc_status lc_dataset_from_planetoid(lc_dataset_t **ds, const char *prefix,
                                    const lc_load_options *opts)
{
    static const char *api = "lc_dataset_from_planetoid";
    static const char *const suffix[4] = {".labels.txt", ".features.txt", ".edges.txt",
                                          ".split.txt"};
    LC_CHECK_ARG(ds, "output handle is NULL");
    LC_CHECK_ARG(prefix && *prefix, "prefix is NULL or empty");
    struct stat sb;
    if (stat(prefix, &sb) == 0 && S_ISDIR(sb.st_mode))
        return LC_ERROR(LC_ERR_IO,
                        "'%s' is a folder: the prefix names its files, e.g. '%s/cora' for "
                        "%s/cora.labels.txt",
                        prefix, prefix, prefix);
    lc_status st = LC_OK;
    lc_load_options o = opts ? *opts : lc_load_defaults();
    char *path[4] = {NULL, NULL, NULL, NULL};
    int32_t *labels = NULL;
    int64_t n = 0;
    int num_classes = 0;
    lc_csr_t *feat = NULL;
    coo_buf edges = {0};
    lc_graph_t *graph = NULL;
    uint8_t *mask[3] = {NULL, NULL, NULL};
    lc_dataset_t *d = NULL;
    for (int k = 0; k < 4; k++) {
        size_t size = strlen(prefix) + strlen(suffix[k]) + 1;
        path[k] = lc_i_malloc(size);
        if (!path[k]) API_FAIL(LC_ERR_OUT_OF_MEMORY, "cannot build file names");
        snprintf(path[k], size, "%s%s", prefix, suffix[k]);
    }
    /* labels first: their line count fixes n, which bounds every other file */
    LC_TRY(read_planetoid_labels(api, path[0], &labels, &n, &num_classes));
    LC_TRY(read_planetoid_features(api, path[1], n, &feat));
    LC_TRY(read_planetoid_edges(api, path[2], n, &edges));
    for (int k = 0; k < 3; k++)
        if (!(mask[k] = lc_i_calloc((size_t)n, 1)))
            API_FAIL(LC_ERR_OUT_OF_MEMORY, "cannot allocate the split masks");
    LC_TRY(read_planetoid_split(api, path[3], n, labels, mask));
    LC_TRY(lc_graph_from_edges(&graph, n, edges.len, edges.row, edges.col, NULL,
                               citation_graph_flags(&o)));
    LC_TRY(lc_dataset_new(&d, graph, NULL, feat, labels, num_classes));
    graph = NULL, feat = NULL; /* owned by d now */
    LC_TRY(lc_dataset_set_split(d, mask[0], mask[1], mask[2]));
    if (o.normalize_features) LC_TRY(lc_dataset_normalize_features(d));
    *ds = d;
    d = NULL;
done:
    if (st != LC_OK && strncmp(lc_last_error(), api, strlen(api)) != 0) st = lc_i_reraise(api, st);
    for (int k = 0; k < 4; k++)
        lc_i_free(path[k]);
    for (int k = 0; k < 3; k++)
        lc_i_free(mask[k]);
    lc_i_free(labels);
    lc_csr_free(&feat);
    coo_free(&edges);
    lc_graph_free(&graph);
    lc_dataset_free(&d);
    return st;
}
