/* part.c — one rank's part of node-level data for full-graph partitioned training: cut from the
 * whole data set, or written to and read from its own file, so that a rank can load its part alone.
 *
 * File format, version 1 (`lcnet partition --write`; little-endian, as the
 * hosts that write and read it):
 *
 *   magic "LCONVPRT", u32 version 1
 *   u32 parts P, u32 part k, u32 classes, u32 flags (1: sparse features)
 *   i64 n (the graph's nodes), width (feature columns), n_train (labelled
 *       training rows of every part), n_own, nnz (the entries of Â's owned
 *       rows), n_remote, x_nnz (stored feature entries of the owned rows, 0
 *       when dense), x_total (the whole feature matrix's, 0 when dense),
 *       fingerprint (of the data set and the partition: every part of one
 *       write has it, and the ranks compare theirs before training)
 *   i64 own[n_own] (ascending), rowptr[n_own + 1], col[nnz] (global ids, each
 *       owned or remote)
 *   f32 val[nnz]
 *   i64 remote[n_remote] (ascending), u32 owner[n_remote]
 *   dense:  f32 features[n_own · width]
 *   sparse: i64 x_rowptr[n_own + 1], x_col[x_nnz] (ascending in a row);
 *           f32 x_val[x_nnz];
 *           i64 x_first[n_own] (each row's first entry in the whole matrix)
 *   i32 labels[n_own] (-1 unlabelled), u8 train[n_own], val[n_own], test[n_own]
 *   u32 CRC-32 of every byte before it
 *
 * Beside it, DIR/part-K.edges.lcp holds the part's rows of the adjacency, which
 * only L-conv reads (so a GCN's ranks never load them), version 1:
 *
 *   magic "LCONVEDG", u32 version 1, u32 parts P, u32 part k
 *   i64 n, m (the whole adjacency's entries), n_own, nnz, n_remote,
 *       fingerprint (the part file's)
 *   i64 first[n_own] (each owned row's first entry in the whole adjacency:
 *       an entry's index there is its L-conv edge weight's row), rowptr[n_own + 1],
 *       col[nnz]; f32 val[nnz]; i64 remote[n_remote]; u32 owner[n_remote]
 *   u32 CRC-32 of every byte before it
 *
 * Both are written to a temporary file and renamed (lc_i_atomic). Read in one pass
 * that checks every count against the bytes left before allocating, every
 * value against its range, and the checksum, so that a truncated or damaged
 * file is an error naming the file and the field, never a crash.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dist.h"

#define PART_MAGIC "LCONVPRT"
#define PART_VERSION 1u
#define PART_SPARSE 1u
#define EDGES_MAGIC "LCONVEDG"
#define EDGES_VERSION 1u

void lc_i_part_free(lc_i_part **pp)
{
    if (!pp || !*pp) return;
    lc_i_part *p = *pp;
    lc_i_part_rows_free(&p->a_hat);
    lc_i_part_rows_free(&p->adj);
    lc_tensor_free(&p->features);
    lc_csr_free(&p->sparse_features);
    lc_i_free(p->x_first);
    lc_i_free(p->labels);
    for (int k = 0; k < 3; k++)
        lc_i_free(p->mask[k]);
    free(p->path);
    lc_i_free(p);
    *pp = NULL;
}

lc_status lc_i_part_of(const lc_dataset_t *ds, const int32_t *of, int parts, int me, bool with_adj,
                       lc_i_part **out)
{
    lc_status st = LC_OK;
    const lc_csr_t *a_hat = NULL, *adj = NULL;
    int64_t *rows = NULL, *cols = NULL;
    lc_i_part *p = lc_i_calloc(1, sizeof *p);
    if (!p) return LC_ERROR(LC_ERR_OUT_OF_MEMORY, "cannot allocate part %d", me);
    const int64_t n = lc_i_dataset_rows(ds);
    p->parts = parts, p->part = me, p->n = n, p->classes = ds->num_classes;
    LC_TRY(lc_graph_gcn_operator(ds->graph, &a_hat));
    LC_TRY(lc_i_part_rows_of(a_hat, of, me, &p->a_hat));
    if (with_adj) {
        LC_TRY(lc_graph_adjacency_csr(ds->graph, &adj));
        LC_TRY(lc_i_part_rows_of(adj, of, me, &p->adj));
        p->m = adj->nnz;
    }
    const int64_t n_own = p->a_hat.n_own, *own = p->a_hat.own;
    for (int64_t r = 0; r < n; r++)
        p->n_train += ds->mask[0][r] && ds->labels[r] >= 0;
    p->labels = lc_i_malloc((size_t)(n_own + 1) * sizeof *p->labels);
    for (int k = 0; k < 3; k++)
        p->mask[k] = lc_i_malloc((size_t)n_own + 1);
    if (!p->labels || !p->mask[0] || !p->mask[1] || !p->mask[2]) goto oom;
    for (int64_t k = 0; k < n_own; k++) {
        p->labels[k] = ds->labels[own[k]];
        for (int j = 0; j < 3; j++)
            p->mask[j][k] = ds->mask[j][own[k]];
    }
    if (ds->features) {
        const int64_t width = p->width = ds->features->shape[1];
        LC_TRY(lc_tensor_new2(&p->features, n_own > 0 ? n_own : 1, width));
        for (int64_t k = 0; k < n_own; k++)
            memcpy(p->features->data + k * width, ds->features->data + own[k] * width,
                   (size_t)width * sizeof(float));
    } else {
        const lc_csr_t *x = ds->sparse_features;
        p->width = x->n_cols;
        p->x_total = x->nnz;
        int64_t nnz = 0, e2 = 0;
        for (int64_t k = 0; k < n_own; k++)
            nnz += x->rowptr[own[k] + 1] - x->rowptr[own[k]];
        rows = lc_i_malloc((size_t)(nnz + 1) * sizeof *rows);
        cols = lc_i_malloc((size_t)(nnz + 1) * sizeof *cols);
        p->x_first = lc_i_malloc((size_t)(n_own + 1) * sizeof *p->x_first);
        float *vals = lc_i_malloc((size_t)(nnz + 1) * sizeof *vals);
        if (!rows || !cols || !p->x_first || !vals) {
            lc_i_free(vals);
            goto oom;
        }
        for (int64_t k = 0; k < n_own; k++) {
            p->x_first[k] = x->rowptr[own[k]];
            for (int64_t e = x->rowptr[own[k]]; e < x->rowptr[own[k] + 1]; e++)
                rows[e2] = k, cols[e2] = x->col[e], vals[e2++] = x->val[e];
        }
        st = lc_csr_from_coo(&p->sparse_features, n_own, p->width, nnz, rows, cols, vals);
        lc_i_free(vals);
        if (st) goto done;
    }
    goto done;
oom:
    st = LC_ERROR(LC_ERR_OUT_OF_MEMORY, "cannot copy part %d's rows", me);
done:
    lc_i_free(rows);
    lc_i_free(cols);
    if (st) {
        lc_i_part_free(&p);
        return st;
    }
    *out = p;
    return LC_OK;
}

uint64_t lc_i_part_fingerprint(const lc_dataset_t *ds, const int32_t *of, int parts)
{
    const int64_t n = lc_i_dataset_rows(ds);
    const lc_csr_t *x = ds->sparse_features;
    const lc_graph_t *g = ds->graph;
    const int64_t sizes[5] = {n, parts, ds->num_classes, x ? x->nnz : 0, g->m};
    uint64_t h = lc_i_fnv1a(LC_I_FNV_START, sizes, sizeof sizes);
    h = lc_i_fnv1a(h, of, (size_t)n * sizeof *of);
    h = lc_i_fnv1a(h, g->tail, (size_t)g->m * sizeof *g->tail);
    h = lc_i_fnv1a(h, g->head, (size_t)g->m * sizeof *g->head);
    h = lc_i_fnv1a(h, g->weight, (size_t)g->m * sizeof *g->weight);
    h = lc_i_fnv1a(h, ds->labels, (size_t)n * sizeof *ds->labels);
    for (int k = 0; k < 3; k++)
        h = lc_i_fnv1a(h, ds->mask[k], (size_t)n);
    if (x) {
        h = lc_i_fnv1a(h, x->rowptr, (size_t)(n + 1) * sizeof *x->rowptr);
        h = lc_i_fnv1a(h, x->col, (size_t)x->nnz * sizeof *x->col);
        h = lc_i_fnv1a(h, x->val, (size_t)x->nnz * sizeof *x->val);
    } else {
        h = lc_i_fnv1a(h, ds->features->data, (size_t)ds->features->numel * sizeof(float));
    }
    return h;
}

bool lc_i_part_path(char *buf, size_t len, const char *dir, int k)
{
    const int w = snprintf(buf, len, "%s/part-%d.lcp", dir, k);
    return w >= 0 && (size_t)w < len;
}

/* ---------------------------------------------------------------- writing */

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define PART_HOST_LE 1
#else
#define PART_HOST_LE 0
#endif

static void w_u32(lc_i_crc_writer *w, uint32_t v)
{
    lc_i_crc_write(w, &v, sizeof v);
}
#define WIDEN 1024
static void w_i64(lc_i_crc_writer *w, int64_t v)
{
    lc_i_crc_write(w, &v, sizeof v);
}

/* The rows' entries and halo: rowptr, col, val, remote, owner. */
static void write_rows(lc_i_crc_writer *w, const lc_i_part_rows *a, int64_t n_own)
{
    const int64_t nnz = a->rowptr[n_own];
    lc_i_crc_write(w, a->rowptr, (size_t)(n_own + 1) * sizeof *a->rowptr);
    lc_i_crc_write(w, a->col, (size_t)nnz * sizeof *a->col);
    lc_i_crc_write(w, a->val, (size_t)nnz * sizeof *a->val);
    lc_i_crc_write(w, a->remote, (size_t)a->n_remote * sizeof *a->remote);
    lc_i_crc_write(w, a->owner,
                   (size_t)a->n_remote * sizeof *a->owner); /* int32 as u32: in [0, P) */
}

lc_status lc_i_part_write(const lc_i_part *p, const char *path)
{
    if (!PART_HOST_LE) return LC_ERROR(LC_ERR_UNSUPPORTED, "part files need a little-endian host");
    lc_status st = LC_OK;
    lc_i_atomic out;
    LC_TRY(lc_i_atomic_open(&out, path));
    lc_i_crc_writer w = {out.f, 0, 0};
    const lc_i_part_rows *a = &p->a_hat;
    const lc_csr_t *x = p->sparse_features;
    const int64_t n_own = a->n_own, nnz = a->rowptr[n_own];
    lc_i_crc_write(&w, PART_MAGIC, 8);
    w_u32(&w, PART_VERSION);
    w_u32(&w, (uint32_t)p->parts);
    w_u32(&w, (uint32_t)p->part);
    w_u32(&w, (uint32_t)p->classes);
    w_u32(&w, x ? PART_SPARSE : 0);
    const int64_t head[9] = {p->n,
                             p->width,
                             p->n_train,
                             n_own,
                             nnz,
                             a->n_remote,
                             x ? x->nnz : 0,
                             x ? p->x_total : 0,
                             (int64_t)p->fingerprint};
    for (int k = 0; k < 9; k++)
        w_i64(&w, head[k]);
    lc_i_crc_write(&w, a->own, (size_t)n_own * sizeof *a->own);
    write_rows(&w, a, n_own);
    if (x) {
        lc_i_crc_write(&w, x->rowptr, (size_t)(n_own + 1) * sizeof *x->rowptr);
        for (int64_t e = 0; e < x->nnz; e += WIDEN) { /* int32 columns as i64, a block at a time */
            int64_t wide[WIDEN];
            const int64_t len = x->nnz - e < WIDEN ? x->nnz - e : WIDEN;
            for (int64_t k = 0; k < len; k++)
                wide[k] = x->col[e + k];
            lc_i_crc_write(&w, wide, (size_t)len * sizeof *wide);
        }
        lc_i_crc_write(&w, x->val, (size_t)x->nnz * sizeof *x->val);
        lc_i_crc_write(&w, p->x_first, (size_t)n_own * sizeof *p->x_first);
    } else {
        lc_i_crc_write(&w, p->features->data, (size_t)(n_own * p->width) * sizeof(float));
    }
    lc_i_crc_write(&w, p->labels, (size_t)n_own * sizeof *p->labels);
    for (int k = 0; k < 3; k++)
        lc_i_crc_write(&w, p->mask[k], (size_t)n_own);
    st = lc_i_crc_commit(&w, &out, path, __func__);
done:
    lc_i_atomic_abort(&out);
    return st;
}

lc_status lc_i_part_write_edges(const lc_i_part *p, const char *path)
{
    if (!PART_HOST_LE) return LC_ERROR(LC_ERR_UNSUPPORTED, "part files need a little-endian host");
    const lc_i_part_rows *a = &p->adj;
    if (!a->rowptr || !a->entry)
        return LC_ERROR(LC_ERR_INVALID_ARG, "'%s': part %d has no adjacency rows to write", path,
                        p->part);
    lc_status st = LC_OK;
    lc_i_atomic out;
    LC_TRY(lc_i_atomic_open(&out, path));
    lc_i_crc_writer w = {out.f, 0, 0};
    const int64_t n_own = a->n_own;
    lc_i_crc_write(&w, EDGES_MAGIC, 8);
    w_u32(&w, EDGES_VERSION);
    w_u32(&w, (uint32_t)p->parts);
    w_u32(&w, (uint32_t)p->part);
    const int64_t head[6] = {
        p->n, p->m, n_own, a->rowptr[n_own], a->n_remote, (int64_t)p->fingerprint};
    for (int k = 0; k < 6; k++)
        w_i64(&w, head[k]);
    /* an empty row's first entry is where the row before it ended */
    for (int64_t k = 0, end = 0; k < n_own; k++) {
        const int64_t first = a->rowptr[k + 1] > a->rowptr[k] ? a->entry[a->rowptr[k]] : end;
        w_i64(&w, first);
        end = first + a->rowptr[k + 1] - a->rowptr[k];
    }
    write_rows(&w, a, n_own);
    st = lc_i_crc_commit(&w, &out, path, __func__);
done:
    lc_i_atomic_abort(&out);
    return st;
}

bool lc_i_part_edges_path(char *buf, size_t len, const char *part_path)
{
    size_t stem = strlen(part_path);
    if (stem >= 4 && !strcmp(part_path + stem - 4, ".lcp")) stem -= 4;
    const int w = snprintf(buf, len, "%.*s.edges.lcp", (int)stem, part_path);
    return w >= 0 && (size_t)w < len;
}

/* ---------------------------------------------------------------- reading */

typedef struct {
    FILE *f;
    const char *path;
    int64_t left; /* bytes not yet read */
    uint32_t crc;
} part_reader;

/* bytes of `what` into dst (allocated here when *dst is NULL and alloc is
 * set), refused before allocating when the file holds fewer bytes. */
static lc_status r_raw(part_reader *r, void *dst, int64_t bytes, const char *what)
{
    if (bytes < 0 || bytes > r->left)
        return LC_ERROR(LC_ERR_CORRUPT, "'%s': truncated: %s needs %lld bytes, %lld are left",
                        r->path, what, (long long)bytes, (long long)r->left);
    if (bytes && fread(dst, 1, (size_t)bytes, r->f) != (size_t)bytes)
        return LC_ERROR(LC_ERR_IO, "'%s': read error in %s", r->path, what);
    r->left -= bytes;
    r->crc = lc_i_crc32(r->crc, dst, (size_t)bytes);
    return LC_OK;
}
/* A new array of count elements of size bytes each, read from the file. */
static lc_status r_array(part_reader *r, void **out, int64_t count, size_t size, const char *what)
{
    *out = NULL;
    if (count < 0 || count > r->left / (int64_t)size)
        return LC_ERROR(LC_ERR_CORRUPT, "'%s': truncated or damaged: %s of %lld entries", r->path,
                        what, (long long)count);
    void *a = lc_i_malloc((size_t)count * size + 1);
    if (!a)
        return LC_ERROR(LC_ERR_OUT_OF_MEMORY, "'%s': cannot allocate %s (%lld entries)", r->path,
                        what, (long long)count);
    lc_status st = r_raw(r, a, count * (int64_t)size, what);
    if (st) {
        lc_i_free(a);
        return st;
    }
    *out = a;
    return LC_OK;
}

#define BAD(...) LC_FAIL(LC_ERR_CORRUPT, __VA_ARGS__)

/* ids[0, count) ascending and in [0, bound) */
static lc_status check_ascending(const char *path, const char *what, const int64_t *ids,
                                 int64_t count, int64_t bound)
{
    for (int64_t k = 0; k < count; k++)
        if (ids[k] < 0 || ids[k] >= bound || (k && ids[k] <= ids[k - 1]))
            return LC_ERROR(LC_ERR_CORRUPT, "'%s': %s[%lld] = %lld is not ascending in [0, %lld)",
                            path, what, (long long)k, (long long)ids[k], (long long)bound);
    return LC_OK;
}
/* a CSR row pointer over rows rows, from 0 up to nnz */
static lc_status check_rowptr(const char *path, const char *what, const int64_t *ptr, int64_t rows,
                              int64_t nnz)
{
    for (int64_t k = 0; k <= rows; k++)
        if ((k == 0 && ptr[0] != 0) || (k && ptr[k] < ptr[k - 1]) || (k == rows && ptr[k] != nnz))
            return LC_ERROR(LC_ERR_CORRUPT,
                            "'%s': %s[%lld] = %lld breaks a row pointer from 0 to %lld", path, what,
                            (long long)k, (long long)ptr[k], (long long)nnz);
    return LC_OK;
}

/* Open path and check its magic and version; r->left then counts the bytes
 * before the checksum (read by reader_close). */
static lc_status reader_open(part_reader *r, const char *path, const char *magic, uint32_t version,
                             const char *kind)
{
    lc_status st = LC_OK;
    *r = (part_reader){fopen(path, "rb"), path, 0, 0};
    if (!r->f) LC_FAIL(LC_ERR_IO, "'%s': cannot open: %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fileno(r->f), &sb) != 0 || !S_ISREG(sb.st_mode))
        LC_FAIL(LC_ERR_IO, "'%s': not a regular file", path);
    r->left = (int64_t)sb.st_size - 4; /* the checksum is read apart */
    if (r->left < 12)
        BAD("'%s': %lld bytes is too short for %s", path, (long long)sb.st_size, kind);
    char got[8];
    uint32_t v;
    LC_TRY(r_raw(r, got, 8, "the magic"));
    if (memcmp(got, magic, 8)) BAD("'%s': not %s (bad magic)", path, kind);
    LC_TRY(r_raw(r, &v, sizeof v, "the version"));
    if (v != version)
        BAD("'%s': %s of format version %u, this build reads %u: write it again (lcnet "
            "partition --write)",
            path, kind, v, version);
done:
    return st;
}

/* The checksum, once every field is read. */
static lc_status reader_close(part_reader *r)
{
    lc_status st = LC_OK;
    if (r->left) BAD("'%s': %lld bytes after the last field", r->path, (long long)r->left);
    uint32_t crc;
    if (fread(&crc, 1, 4, r->f) != 4)
        LC_FAIL(LC_ERR_IO, "'%s': read error in the checksum", r->path);
    if (crc != r->crc) BAD("'%s': checksum mismatch (the file is damaged)", r->path);
done:
    return st;
}

/* Rows of nnz entries over the owned rows own[0, n_own) of part `part` of
 * `parts` in a graph of n nodes: rowptr, col, val, remote, owner (write_rows),
 * checked as lc_i_dist_op_from_rows needs them: owned and remote rows apart,
 * every column one of them. */
static lc_status read_rows(part_reader *r, int64_t n, int parts, int part, const int64_t *own,
                           int64_t n_own, int64_t nnz, int64_t n_remote, lc_i_part_rows *a)
{
    lc_status st = LC_OK;
    const char *path = r->path;
    uint32_t *owner = NULL;
    a->n_own = n_own, a->n_remote = n_remote;
    LC_TRY(r_array(r, (void **)&a->rowptr, n_own + 1, sizeof *a->rowptr, "rowptr"));
    LC_TRY(check_rowptr(path, "rowptr", a->rowptr, n_own, nnz));
    LC_TRY(r_array(r, (void **)&a->col, nnz, sizeof *a->col, "col"));
    for (int64_t k = 0; k < n_own; k++) /* each row's columns ascending, as a CSR keeps them */
        for (int64_t e = a->rowptr[k]; e < a->rowptr[k + 1]; e++)
            if (a->col[e] < 0 || a->col[e] >= n || (e > a->rowptr[k] && a->col[e] <= a->col[e - 1]))
                BAD("'%s': col[%lld] = %lld is not ascending in [0, %lld) in its row", path,
                    (long long)e, (long long)a->col[e], (long long)n);
    LC_TRY(r_array(r, (void **)&a->val, nnz, sizeof *a->val, "val"));
    LC_TRY(r_array(r, (void **)&a->remote, n_remote, sizeof *a->remote, "remote"));
    LC_TRY(check_ascending(path, "remote", a->remote, n_remote, n));
    LC_TRY(r_array(r, (void **)&owner, n_remote, sizeof *owner, "owner"));
    a->owner = lc_i_malloc((size_t)(n_remote + 1) * sizeof *a->owner);
    if (!a->owner)
        LC_FAIL(LC_ERR_OUT_OF_MEMORY, "cannot allocate %lld owners", (long long)n_remote);
    for (int64_t j = 0; j < n_remote; j++) {
        if (owner[j] >= (uint32_t)parts || owner[j] == (uint32_t)part)
            BAD("'%s': remote row %lld's owner %u is not another of the %d parts", path,
                (long long)a->remote[j], owner[j], parts);
        a->owner[j] = (int32_t)owner[j];
    }
    for (int64_t k = 0, j = 0; k < n_own && j < n_remote;) {
        if (own[k] == a->remote[j])
            BAD("'%s': row %lld is both owned and remote", path, (long long)own[k]);
        own[k] < a->remote[j] ? k++ : j++;
    }
    for (int64_t e = 0; e < nnz; e++)
        if (lc_i_find_sorted(own, n_own, a->col[e]) < 0 &&
            lc_i_find_sorted(a->remote, n_remote, a->col[e]) < 0)
            BAD("'%s': col[%lld] = %lld is neither owned nor remote", path, (long long)e,
                (long long)a->col[e]);
done:
    lc_i_free(owner);
    return st;
}

/* first[k], the first entry of row k (rowptr's lengths) in a whole matrix of
 * total entries: rows in order, none overlapping the one before or running
 * past the end. */
static lc_status check_firsts(const char *path, const char *what, const int64_t *first,
                              const int64_t *rowptr, int64_t rows, int64_t total)
{
    for (int64_t k = 0, end = 0; k < rows; k++) {
        const int64_t len = rowptr[k + 1] - rowptr[k];
        if (first[k] < end || len > total - first[k])
            return LC_ERROR(LC_ERR_CORRUPT,
                            "'%s': %s[%lld] = %lld overlaps the row before or runs past %lld", path,
                            what, (long long)k, (long long)first[k], (long long)total);
        end = first[k] + len;
    }
    return LC_OK;
}

lc_status lc_i_part_read(const char *path, lc_i_part **out)
{
    LC_CHECK_ARG(path && out, "NULL argument");
    if (!PART_HOST_LE) return LC_ERROR(LC_ERR_UNSUPPORTED, "part files need a little-endian host");
    lc_status st = LC_OK;
    lc_i_part *p = NULL;
    int64_t *xrow = NULL, *xcol = NULL, *xr = NULL;
    float *xval = NULL;
    part_reader r;
    LC_TRY(reader_open(&r, path, PART_MAGIC, PART_VERSION, "an lconv part file"));
    uint32_t u[4];
    int64_t h[9];
    LC_TRY(r_raw(&r, u, sizeof u, "the header"));
    LC_TRY(r_raw(&r, h, sizeof h, "the header"));
    const int parts = (int)u[0], part = (int)u[1];
    const int64_t n = h[0], width = h[1], n_own = h[3], nnz = h[4], n_remote = h[5], x_nnz = h[6];
    if (u[0] < 1 || u[0] > (1u << 24) || u[1] >= u[0])
        BAD("'%s': part %u of %u parts", path, u[1], u[0]);
    if (u[2] < 1 || u[2] > (1u << 24)) BAD("'%s': %u classes", path, u[2]);
    if (u[3] > PART_SPARSE) BAD("'%s': unknown flags %u", path, u[3]);
    if (n < 1 || n > INT32_MAX || width < 1 || width > INT32_MAX || h[2] < 0 || h[2] > n ||
        n_own < 0 || n_own > n || nnz < 0 || n_remote < 0 || n_remote > n - n_own || x_nnz < 0 ||
        h[7] < x_nnz || (u[3] == 0 && (x_nnz || h[7])))
        BAD("'%s': inconsistent header (n %lld, width %lld, %lld training rows, %lld owned, "
            "%lld entries, %lld remote, %lld of %lld feature entries)",
            path, (long long)n, (long long)width, (long long)h[2], (long long)n_own, (long long)nnz,
            (long long)n_remote, (long long)x_nnz, (long long)h[7]);
    p = lc_i_calloc(1, sizeof *p);
    if (!p) LC_FAIL(LC_ERR_OUT_OF_MEMORY, "cannot allocate a part");
    p->parts = parts, p->part = part, p->classes = (int)u[2];
    p->n = n, p->width = width, p->n_train = h[2], p->x_total = h[7];
    p->fingerprint = (uint64_t)h[8];
    if (!(p->path = strdup(path))) LC_FAIL(LC_ERR_OUT_OF_MEMORY, "cannot copy the path '%s'", path);
    lc_i_part_rows *a = &p->a_hat;
    LC_TRY(r_array(&r, (void **)&a->own, n_own, sizeof *a->own, "own"));
    LC_TRY(check_ascending(path, "own", a->own, n_own, n));
    LC_TRY(read_rows(&r, n, parts, part, a->own, n_own, nnz, n_remote, a));
    if (u[3] & PART_SPARSE) {
        LC_TRY(r_array(&r, (void **)&xrow, n_own + 1, sizeof *xrow, "x_rowptr"));
        LC_TRY(check_rowptr(path, "x_rowptr", xrow, n_own, x_nnz));
        LC_TRY(r_array(&r, (void **)&xcol, x_nnz, sizeof *xcol, "x_col"));
        LC_TRY(r_array(&r, (void **)&xval, x_nnz, sizeof *xval, "x_val"));
        LC_TRY(r_array(&r, (void **)&p->x_first, n_own, sizeof *p->x_first, "x_first"));
        LC_TRY(check_firsts(path, "x_first", p->x_first, xrow, n_own, p->x_total));
        xr = lc_i_malloc((size_t)(x_nnz + 1) * sizeof *xr);
        if (!xr) LC_FAIL(LC_ERR_OUT_OF_MEMORY, "cannot allocate %lld rows", (long long)x_nnz);
        for (int64_t k = 0; k < n_own; k++)
            for (int64_t e = xrow[k]; e < xrow[k + 1]; e++) {
                if (xcol[e] < 0 || xcol[e] >= width || (e > xrow[k] && xcol[e] <= xcol[e - 1]))
                    BAD("'%s': x_col[%lld] = %lld is not ascending in [0, %lld) in its row", path,
                        (long long)e, (long long)xcol[e], (long long)width);
                xr[e] = k;
            }
        /* columns ascending in each row: the entries keep their order, each
         * at its place in the whole matrix's dropout stream (x_first) */
        if ((st = lc_csr_from_coo(&p->sparse_features, n_own, width, x_nnz, xr, xcol, xval)))
            LC_FAIL(st, "'%s': the sparse features (%lld x %lld, %lld entries): %s", path,
                    (long long)n_own, (long long)width, (long long)x_nnz, lc_last_error());
    } else {
        if (n_own > r.left / 4 / width)
            BAD("'%s': truncated or damaged: features of %lld x %lld", path, (long long)n_own,
                (long long)width);
        if (lc_tensor_new2(&p->features, n_own > 0 ? n_own : 1, width))
            LC_FAIL(LC_ERR_OUT_OF_MEMORY, "'%s': cannot allocate the features (%lld x %lld)",
                    path, (long long)n_own, (long long)width);
        LC_TRY(r_raw(&r, p->features->data, n_own * width * (int64_t)sizeof(float), "features"));
    }
    LC_TRY(r_array(&r, (void **)&p->labels, n_own, sizeof *p->labels, "labels"));
    for (int64_t k = 0; k < n_own; k++)
        if (p->labels[k] < -1 || p->labels[k] >= p->classes)
            BAD("'%s': labels[%lld] = %d is outside [-1, %d)", path, (long long)k, p->labels[k],
                p->classes);
    static const char *const names[3] = {"train", "val", "test"};
    for (int j = 0; j < 3; j++) {
        LC_TRY(r_array(&r, (void **)&p->mask[j], n_own, 1, names[j]));
        for (int64_t k = 0; k < n_own; k++)
            if (p->mask[j][k] > 1)
                BAD("'%s': %s[%lld] = %u is not 0 or 1", path, names[j], (long long)k,
                    p->mask[j][k]);
    }
    LC_TRY(reader_close(&r));
done:
    if (r.f) fclose(r.f);
    lc_i_free(xrow);
    lc_i_free(xcol);
    lc_i_free(xval);
    lc_i_free(xr);
    if (st) {
        lc_i_part_free(&p);
        return st;
    }
    *out = p;
    return LC_OK;
}

lc_status lc_i_part_read_edges(const lc_i_part *p, const char *path, int64_t *m,
                               lc_i_part_rows *out)
{
    LC_CHECK_ARG(p && path && m && out, "NULL argument");
    if (!PART_HOST_LE) return LC_ERROR(LC_ERR_UNSUPPORTED, "part files need a little-endian host");
    lc_status st = LC_OK;
    lc_i_part_rows a = {0};
    int64_t *first = NULL;
    part_reader r;
    LC_TRY(reader_open(&r, path, EDGES_MAGIC, EDGES_VERSION, "an lconv part's edges file"));
    uint32_t u[2];
    int64_t h[6];
    LC_TRY(r_raw(&r, u, sizeof u, "the header"));
    LC_TRY(r_raw(&r, h, sizeof h, "the header"));
    const int64_t n_own = p->a_hat.n_own, nnz = h[3], n_remote = h[4];
    if (u[0] != (uint32_t)p->parts || u[1] != (uint32_t)p->part || h[0] != p->n || h[2] != n_own ||
        (uint64_t)h[5] != p->fingerprint)
        BAD("'%s': the edges of part %u of %u (%lld nodes, %lld owned), not of '%s' (part %d of "
            "%d, %lld nodes, %lld owned) or from another write: write the parts again (lcnet "
            "partition --write)",
            path, u[1], u[0], (long long)h[0], (long long)h[2], p->path ? p->path : "the part",
            p->part, p->parts, (long long)p->n, (long long)n_own);
    if (h[1] < 0 || h[1] > p->n * p->n || nnz < 0 || nnz > h[1] || n_remote < 0 ||
        n_remote > p->n - n_own)
        BAD("'%s': inconsistent header (%lld edges, %lld of them in the part, %lld remote rows)",
            path, (long long)h[1], (long long)nnz, (long long)n_remote);
    LC_TRY(r_array(&r, (void **)&first, n_own, sizeof *first, "first"));
    LC_TRY(read_rows(&r, p->n, p->parts, p->part, p->a_hat.own, n_own, nnz, n_remote, &a));
    LC_TRY(check_firsts(path, "first", first, a.rowptr, n_own, h[1]));
    LC_TRY(reader_close(&r));
    /* each entry's index in the whole adjacency (ascending: rows in order) */
    if (!(a.entry = lc_i_malloc((size_t)(nnz + 1) * sizeof *a.entry)))
        LC_FAIL(LC_ERR_OUT_OF_MEMORY, "'%s': cannot allocate %lld entries", path, (long long)nnz);
    for (int64_t k = 0; k < n_own; k++)
        for (int64_t e = a.rowptr[k]; e < a.rowptr[k + 1]; e++)
            a.entry[e] = first[k] + e - a.rowptr[k];
    *m = h[1];
done:
    if (r.f) fclose(r.f);
    lc_i_free(first);
    if (st) {
        lc_i_part_rows_free(&a);
        return st;
    }
    *out = a;
    return LC_OK;
}

lc_status lc_i_part_edges(const lc_i_part *cp)
{
    lc_i_part *p = (lc_i_part *)cp; /* filling its cache */
    lc_status st = LC_OK;
    lc_i_lazy_lock();
    if (!p->adj.rowptr) {
        char path[4096];
        struct stat sb;
        if (!p->path)
            st = LC_ERROR(LC_ERR_INVALID_ARG, "part %d has no adjacency rows", p->part);
        else if (!lc_i_part_edges_path(path, sizeof path, p->path))
            st = LC_ERROR(LC_ERR_INVALID_ARG, "'%s': the path is too long", p->path);
        else if (stat(path, &sb) != 0)
            st = LC_ERROR(LC_ERR_IO,
                          "'%s': L-conv reads the part's edges from '%s', which cannot be read "
                          "(%s): write the parts again (lcnet partition --write writes both)",
                          p->path, path, strerror(errno));
        else
            st = lc_i_part_read_edges(p, path, &p->m, &p->adj);
    }
    lc_i_lazy_unlock();
    return st;
}
