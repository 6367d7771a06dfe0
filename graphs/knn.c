/* knn.c — graphs from geometry: exact k-nearest-neighbour graphs (FLANN on the CPU, a brute-force
 * scan on the GPU) and radius graphs, and batches of graphs as one block-diagonal graph. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <flann/flann.h>

#include "backend.h"

/* Node ids end up as 32-bit CSR columns. */
#define MAX_NODES ((int64_t)INT32_MAX - 1)
#define MAX_EDGES ((int64_t)INT32_MAX)
/* Queries sent to FLANN at once (bounds the result buffers at 4096·(k + 9) entries). */
#define KNN_BLOCK 4096
/* Candidates asked beyond k + 1, so that a tie at the k-th distance is usually seen at once. */
#define KNN_SLACK 8

/* FLANN's exact search: a single kd-tree searched with eps = 0 visits every
 * cell that may hold a closer point (its `checks` limit does not apply), so
 * the distances it returns are those of a linear scan. */
static struct FLANNParameters exact_params(void)
{
    struct FLANNParameters p = DEFAULT_FLANN_PARAMETERS;
    p.algorithm = FLANN_INDEX_KDTREE_SINGLE;
    p.checks = FLANN_CHECKS_UNLIMITED;
    p.eps = 0.0f;
    p.sorted = 1;
    p.max_neighbors = -1; /* radius search: all the points within */
    p.cores = 1;
    p.leaf_max_size = 10;
    p.log_level = FLANN_LOG_NONE;
    p.random_seed = 1;
    return p;
}

/* Squared distance in double, summed in coordinate order (the tie-break
 * and the radius test use this one value, whatever FLANN computed). */
static inline double dist2(const float *a, const float *b, int dim)
{
    double s = 0;
    for (int c = 0; c < dim; c++) {
        const double d = (double)a[c] - (double)b[c];
        s += d * d;
    }
    return s;
}

/* FLANN's float distances carry a relative error of about dim·2^-24: a
 * candidate set is taken as complete only with this margin. */
static inline double float_margin(int dim)
{
    return 1e-6 + 8.0 * dim * FLT_EPSILON;
}

typedef struct {
    double d2;
    int64_t j;
} cand;

static int cand_cmp(const void *x, const void *y)
{
    const cand *a = x, *b = y;
    if (a->d2 != b->d2) return a->d2 < b->d2 ? -1 : 1;
    return (a->j > b->j) - (a->j < b->j);
}

/* Check the arguments shared by the kNN and radius graphs. */
static lc_status check_points(const char *api, int64_t n, int dim, const float *points, int flags)
{
    if (n < 2 || n > MAX_NODES)
        return lc_i_error(LC_ERR_INVALID_ARG, api, "n = %lld points not in [2, 2^31 - 2]",
                          (long long)n);
    if (dim < 1 || (double)n * dim > (double)LC_MAX_NUMEL)
        return lc_i_error(LC_ERR_INVALID_ARG, api, "dimension %d not in [1, 2^36 / n]", dim);
    if (!points) return lc_i_error(LC_ERR_INVALID_ARG, api, "points is NULL");
    if (flags & ~(LC_GRAPH_SYMMETRIZE | LC_GRAPH_SELF_LOOPS | LC_GRAPH_BINARY))
        return lc_i_error(LC_ERR_INVALID_ARG, api,
                          "flags %#x: only LC_GRAPH_SYMMETRIZE, LC_GRAPH_SELF_LOOPS and "
                          "LC_GRAPH_BINARY apply",
                          (unsigned)flags);
    for (int64_t i = 0; i < n * dim; i++)
        if (!isfinite(points[i]))
            return lc_i_error(LC_ERR_INVALID_ARG, api, "point %lld coordinate %d is %g",
                              (long long)(i / dim), (int)(i % dim), (double)points[i]);
    return LC_OK;
}

/* The graph of the edges i → j (tail i, head j), with the points as positions when dim ≤ 16. */
static lc_status finish_graph(const char *api, lc_graph_t **g, int64_t n, int dim,
                              const float *points, int64_t m, const int64_t *tail,
                              const int64_t *head, int flags)
{
    lc_graph_t *graph = NULL;
    lc_status st = lc_graph_from_edges(&graph, n, m, tail, head, NULL, flags);
    if (!st && dim <= 16) st = lc_graph_set_positions(graph, dim, points);
    if (st) {
        lc_graph_free(&graph);
        return lc_i_reraise(api, st);
    }
    *g = graph;
    return LC_OK;
}

/* FLANN's index over the points, in float. Squared distances of coordinates
 * beyond 2^40 could overflow float (fuzz/fuzz_xyz: "4 5 1e30" made FLANN
 * return unfilled result slots): such points are searched as a copy scaled
 * by a power of two, exact in float, and FLANN's distances times `scale2`
 * are the true ones. */
typedef struct {
    flann_index_t index;
    struct FLANNParameters p;
    const float *pts; /* the points FLANN searches: the caller's or `copy` */
    float *copy;
    double scale2;
} searcher;

/* The points a float search may use: the caller's, or, when a squared
 * distance could overflow float, a copy scaled by a power of two (*copy, the
 * caller frees it; *scale2 turns its squared distances into true ones). */
static lc_status float_safe_points(const float *points, int64_t n, int dim, const float **pts,
                                   float **copy, double *scale2)
{
    *pts = points;
    *copy = NULL;
    *scale2 = 1;
    float max_abs = 0;
    for (int64_t i = 0; i < n * dim; i++)
        max_abs = fmaxf(max_abs, fabsf(points[i]));
    if (max_abs > 0x1p40f) {
        int e;
        frexpf(max_abs, &e);
        const int shift = e - 40;
        *copy = lc_i_malloc((size_t)(n * dim) * sizeof **copy);
        if (!*copy) return LC_ERROR(LC_ERR_OUT_OF_MEMORY, "cannot copy %lld points", (long long)n);
        for (int64_t i = 0; i < n * dim; i++)
            (*copy)[i] = ldexpf(points[i], -shift);
        *pts = *copy;
        *scale2 = ldexp(1.0, 2 * shift);
    }
    return LC_OK;
}

static lc_status searcher_open(searcher *s, const float *points, int64_t n, int dim)
{
    memset(s, 0, sizeof *s);
    s->p = exact_params();
    lc_status st = float_safe_points(points, n, dim, &s->pts, &s->copy, &s->scale2);
    if (st) return st;
    float speedup;
    /* FLANN's C API takes a non-const pointer but only reads (the single
     * kd-tree copies the points it reorders). */
    s->index = flann_build_index_float((float *)s->pts, (int)n, dim, &speedup, &s->p);
    if (!s->index)
        return LC_ERROR(LC_ERR_BACKEND, "FLANN could not build its kd-tree over %lld points",
                        (long long)n);
    return LC_OK;
}

static void searcher_close(searcher *s)
{
    if (s->index) flann_free_index_float(s->index, &s->p);
    lc_i_free(s->copy);
    memset(s, 0, sizeof *s);
}

/* The k nearest of point i among the `count` candidates FLANN gave (idx,
 * fdist) into heads[0..k): sorted by (distance, index), i itself left out.
 * Returns false when the candidates may not hold them all: a point FLANN
 * left out could be as close as the k-th (a tie across the cut), or FLANN's
 * answer is unusable (an index out of range, a distance not finite). */
static bool pick_knn(const float *points, int64_t n, int dim, int64_t i, const int *idx,
                     const float *fdist, int count, double scale2, int k, cand *c, int64_t *heads)
{
    int m = 0;
    float worst = 0;
    for (int t = 0; t < count; t++) {
        if (idx[t] < 0 || idx[t] >= n || !isfinite(fdist[t])) return false;
        if (fdist[t] > worst) worst = fdist[t];
        if (idx[t] == i) continue;
        c[m].j = idx[t];
        c[m].d2 = dist2(points + i * dim, points + (int64_t)idx[t] * dim, dim);
        m++;
    }
    if (m < k) return false;
    qsort(c, (size_t)m, sizeof *c, cand_cmp);
    if (!((double)worst * scale2 > c[k - 1].d2 * (1 + float_margin(dim)) + DBL_MIN)) return false;
    for (int t = 0; t < k; t++)
        heads[t] = c[t].j;
    return true;
}

/* The k nearest of point i by a scan of all n (c holds n entries). */
static void scan_knn(const float *points, int64_t n, int dim, int64_t i, int k, cand *c,
                     int64_t *heads)
{
    int64_t m = 0;
    for (int64_t j = 0; j < n; j++)
        if (j != i) c[m++] = (cand){dist2(points + i * dim, points + j * dim, dim), j};
    qsort(c, (size_t)m, sizeof *c, cand_cmp);
    for (int t = 0; t < k; t++)
        heads[t] = c[t].j;
}

/* The checks lc_graph_knn and lc_graph_knn_device share. */
static lc_status check_knn(const char *api, lc_graph_t **g, int64_t n, int dim, const float *points,
                           int k, int flags)
{
    if (!g) return lc_i_error(LC_ERR_INVALID_ARG, api, "output handle is NULL");
    lc_status st = check_points(api, n, dim, points, flags);
    if (st) return st;
    if (k < 1 || k >= n)
        return lc_i_error(LC_ERR_INVALID_ARG, api,
                          "k = %d not in [1, n - 1] = [1, %lld] (a point has n - 1 others)", k,
                          (long long)n - 1);
    if ((double)n * k > (double)MAX_EDGES)
        return lc_i_error(LC_ERR_OUT_OF_MEMORY, api, "n·k = %lld·%d edges, more than 2^31 - 1",
                          (long long)n, k);
    return LC_OK;
}

lc_status lc_graph_knn(lc_graph_t **g, int64_t n, int dim, const float *points, int k, int flags)
{
    static const char *api = "lc_graph_knn";
    lc_status st = check_knn(api, g, n, dim, points, k, flags);
    if (st) return st;
    searcher sr = {0};
    int64_t *tail = NULL, *head = NULL;
    int *idx = NULL, *idx1 = NULL;
    float *fdist = NULL, *fd1 = NULL;
    cand *c = NULL;
    int64_t cap = n < k + 1 + KNN_SLACK ? n : k + 1 + KNN_SLACK;
    const int nn0 = (int)cap;
    tail = lc_i_malloc((size_t)(n * k) * sizeof *tail);
    head = lc_i_malloc((size_t)(n * k) * sizeof *head);
    idx = lc_i_malloc((size_t)KNN_BLOCK * (size_t)nn0 * sizeof *idx);
    fdist = lc_i_malloc((size_t)KNN_BLOCK * (size_t)nn0 * sizeof *fdist);
    c = lc_i_malloc((size_t)cap * sizeof *c);
    if (!tail || !head || !idx || !fdist || !c)
        LC_FAIL(LC_ERR_OUT_OF_MEMORY, "cannot allocate the %lld·%d edges", (long long)n, k);
    LC_TRY(lc_i_error_from(searcher_open(&sr, points, n, dim), api));
    for (int64_t b0 = 0; b0 < n; b0 += KNN_BLOCK) {
        const int rows = (int)(n - b0 < KNN_BLOCK ? n - b0 : KNN_BLOCK);
        /* FLANN leaves a slot it could not fill as it was: fill them with -1 */
        for (int64_t t = 0; t < (int64_t)rows * nn0; t++)
            idx[t] = -1;
        if (flann_find_nearest_neighbors_index_float(sr.index, (float *)sr.pts + b0 * dim, rows,
                                                     idx, fdist, nn0, &sr.p) < 0)
            LC_FAIL(LC_ERR_BACKEND, "FLANN's search failed (points %lld..%lld)", (long long)b0,
                    (long long)(b0 + rows - 1));
        for (int r = 0; r < rows; r++) {
            const int64_t i = b0 + r;
            for (int t = 0; t < k; t++)
                tail[i * k + t] = i;
            if (pick_knn(points, n, dim, i, idx + (int64_t)r * nn0, fdist + (int64_t)r * nn0, nn0,
                         sr.scale2, k, c, head + i * k))
                continue;
            /* A tie straddles the k-th distance (duplicates, lattices): widen
             * this one query until every point at that distance is in; at
             * half of all points, scan them all instead. */
            for (int64_t nn = 2 * (int64_t)nn0;; nn *= 2) {
                const bool scan = 2 * nn >= n;
                const int64_t want = scan ? n : nn;
                if (want > cap) {
                    cand *tc = lc_i_realloc(c, (size_t)want * sizeof *tc);
                    if (!tc)
                        LC_FAIL(LC_ERR_OUT_OF_MEMORY, "cannot widen the search of point %lld",
                                (long long)i);
                    c = tc;
                    cap = want;
                }
                if (scan) {
                    scan_knn(points, n, dim, i, k, c, head + i * k);
                    break;
                }
                int *ti = lc_i_realloc(idx1, (size_t)nn * sizeof *ti);
                if (ti) idx1 = ti;
                float *tf = lc_i_realloc(fd1, (size_t)nn * sizeof *tf);
                if (tf) fd1 = tf;
                if (!ti || !tf)
                    LC_FAIL(LC_ERR_OUT_OF_MEMORY, "cannot widen the search of point %lld to %lld",
                            (long long)i, (long long)nn);
                for (int64_t t = 0; t < nn; t++)
                    idx1[t] = -1;
                if (flann_find_nearest_neighbors_index_float(sr.index, (float *)sr.pts + i * dim, 1,
                                                             idx1, fd1, (int)nn, &sr.p) < 0)
                    LC_FAIL(LC_ERR_BACKEND, "FLANN's search failed (point %lld)", (long long)i);
                if (pick_knn(points, n, dim, i, idx1, fd1, (int)nn, sr.scale2, k, c, head + i * k))
                    break;
            }
        }
    }
    st = finish_graph(api, g, n, dim, points, n * k, tail, head, flags);
done:
    searcher_close(&sr);
    lc_i_free(tail);
    lc_i_free(head);
    lc_i_free(idx);
    lc_i_free(fdist);
    lc_i_free(idx1);
    lc_i_free(fd1);
    lc_i_free(c);
    return st;
}

lc_status lc_graph_knn_device(lc_graph_t **g, lc_device d, int64_t n, int dim, const float *points,
                              int k, int flags)
{
    static const char *api = "lc_graph_knn_device";
    lc_status st = check_knn(api, g, n, dim, points, k, flags);
    if (st) return st;
    if ((st = lc_device_available(d))) return lc_i_reraise(api, st);
    const lc_i_backend *be = lc_i_backend_of(d);
    if (!be->knn) return lc_graph_knn(g, n, dim, points, k, flags);
    return lc_i_knn_from_candidates(g, n, dim, points, k, flags, be->knn);
}

lc_status lc_i_knn_from_candidates(lc_graph_t **g, int64_t n, int dim, const float *points, int k,
                                   int flags, lc_i_knn_search search)
{
    static const char *api = "lc_graph_knn_device";
    lc_status st = LC_OK;
    const float *pts = NULL;
    float *copy = NULL, *fdist = NULL;
    double scale2 = 1;
    int64_t *tail = NULL, *head = NULL;
    int32_t *idx32 = NULL;
    int *idx = NULL;
    cand *c = NULL;
    /* the device returns kc candidates per point, the host settles ties exactly */
    const int kc = (int)(n - 1 < k + KNN_SLACK ? n - 1 : k + KNN_SLACK);
    tail = lc_i_malloc((size_t)(n * k) * sizeof *tail);
    head = lc_i_malloc((size_t)(n * k) * sizeof *head);
    idx32 = lc_i_malloc((size_t)n * (size_t)kc * sizeof *idx32);
    fdist = lc_i_malloc((size_t)n * (size_t)kc * sizeof *fdist);
    idx = lc_i_malloc((size_t)kc * sizeof *idx);
    c = lc_i_malloc((size_t)n * sizeof *c); /* room for a full scan */
    if (!tail || !head || !idx32 || !fdist || !idx || !c)
        LC_FAIL(LC_ERR_OUT_OF_MEMORY, "cannot allocate the %lld·%d candidates", (long long)n, kc);
    LC_TRY(float_safe_points(points, n, dim, &pts, &copy, &scale2));
    LC_TRY(lc_i_reraise(api, search(pts, n, dim, kc, idx32, fdist)));
    for (int64_t i = 0; i < n; i++) {
        for (int t = 0; t < k; t++)
            tail[i * k + t] = i;
        for (int t = 0; t < kc; t++)
            idx[t] = idx32[i * kc + t];
        /* all n − 1 others seen, or the k-th is clear of the cut: settled; else a tie
         * straddles the cut (duplicates, lattices) and this point is scanned exactly */
        if (!pick_knn(points, n, dim, i, idx, fdist + i * kc, kc, scale2, k, c, head + i * k))
            scan_knn(points, n, dim, i, k, c, head + i * k);
    }
    st = finish_graph(api, g, n, dim, points, n * k, tail, head, flags);
done:
    lc_i_free(copy);
    lc_i_free(tail);
    lc_i_free(head);
    lc_i_free(idx32);
    lc_i_free(fdist);
    lc_i_free(idx);
    lc_i_free(c);
    return st;
}

/* Append edge i → j to the growable lists. */
static lc_status push_edge(int64_t **tail, int64_t **head, int64_t *m, int64_t *cap, int64_t i,
                           int64_t j)
{
    if (*m == *cap) {
        if (*m >= MAX_EDGES) return LC_ERROR(LC_ERR_OUT_OF_MEMORY, "more than 2^31 - 1 edges");
        int64_t nc = *cap ? 2 * *cap : 4096;
        if (nc > MAX_EDGES) nc = MAX_EDGES;
        int64_t *t = lc_i_realloc(*tail, (size_t)nc * sizeof *t);
        if (t) *tail = t;
        int64_t *h = lc_i_realloc(*head, (size_t)nc * sizeof *h);
        if (h) *head = h;
        if (!t || !h)
            return LC_ERROR(LC_ERR_OUT_OF_MEMORY, "cannot grow the edge list to %lld",
                            (long long)nc);
        *cap = nc;
    }
    (*tail)[*m] = i;
    (*head)[*m] = j;
    (*m)++;
    return LC_OK;
}

lc_status lc_graph_radius(lc_graph_t **g, int64_t n, int dim, const float *points, float radius,
                          int max_neighbors, int flags)
{
    static const char *api = "lc_graph_radius";
    LC_CHECK_ARG(g, "output handle is NULL");
    lc_status st = check_points(api, n, dim, points, flags);
    if (st) return st;
    if (!(radius >= 0) || !isfinite(radius))
        return LC_ERROR(LC_ERR_INVALID_ARG, "radius %g is not a finite number >= 0",
                        (double)radius);
    if (max_neighbors < 0)
        return LC_ERROR(LC_ERR_INVALID_ARG, "max_neighbors %d is negative", max_neighbors);
    searcher sr = {0};
    int64_t *tail = NULL, *head = NULL, m = 0, cap = 0;
    /* Result buffers of `room` entries, doubled whenever a search fills them
     * (it may then have been cut short, and is run again): FLANN reserves
     * room for as many results as it is offered, so offering all n points to
     * every search would cost O(n²). */
    int room = n < 64 ? (int)n : 64;
    int *idx = lc_i_malloc((size_t)room * sizeof *idx);
    float *fdist = lc_i_malloc((size_t)room * sizeof *fdist);
    cand *c = lc_i_malloc((size_t)room * sizeof *c);
    if (!idx || !fdist || !c) LC_FAIL(LC_ERR_OUT_OF_MEMORY, "cannot allocate the search buffers");
    const double r2 = (double)radius * (double)radius;
    LC_TRY(lc_i_error_from(searcher_open(&sr, points, n, dim), api));
    /* FLANN keeps distances strictly below its (squared, float) radius: ask
     * a little more and let the double distance decide. */
    const double ask = r2 / sr.scale2 * (1 + float_margin(dim));
    const float search = (ask < FLT_MAX ? (float)ask : FLT_MAX) + FLT_MIN;
    for (int64_t i = 0; i < n; i++) {
        const int found = flann_radius_search_float(sr.index, (float *)sr.pts + i * dim, idx, fdist,
                                                    room, search, &sr.p);
        if (found < 0)
            LC_FAIL(LC_ERR_BACKEND, "FLANN's radius search failed (point %lld)", (long long)i);
        if (found == room && room < n) {
            room = 2 * (int64_t)room < n ? 2 * room : (int)n;
            int *ti = lc_i_realloc(idx, (size_t)room * sizeof *ti);
            if (ti) idx = ti;
            float *tf = lc_i_realloc(fdist, (size_t)room * sizeof *tf);
            if (tf) fdist = tf;
            cand *tc = lc_i_realloc(c, (size_t)room * sizeof *tc);
            if (tc) c = tc;
            if (!ti || !tf || !tc)
                LC_FAIL(LC_ERR_OUT_OF_MEMORY, "cannot grow the search buffers to %d", room);
            i--; /* search this point again */
            continue;
        }
        int kept = 0;
        for (int t = 0; t < found; t++) {
            if (idx[t] < 0 || idx[t] >= n)
                LC_FAIL(LC_ERR_BACKEND, "FLANN's radius search of point %lld gave index %d",
                        (long long)i, idx[t]);
            if (idx[t] == i) continue;
            const double d2 = dist2(points + i * dim, points + (int64_t)idx[t] * dim, dim);
            if (d2 <= r2) c[kept++] = (cand){d2, idx[t]};
        }
        if (max_neighbors > 0 && kept > max_neighbors) {
            qsort(c, (size_t)kept, sizeof *c, cand_cmp);
            kept = max_neighbors;
        }
        for (int t = 0; t < kept; t++)
            LC_TRY(lc_i_error_from(push_edge(&tail, &head, &m, &cap, i, c[t].j), api));
    }
    st = finish_graph(api, g, n, dim, points, m, tail, head, flags);
done:
    searcher_close(&sr);
    lc_i_free(tail);
    lc_i_free(head);
    lc_i_free(idx);
    lc_i_free(fdist);
    lc_i_free(c);
    return st;
}

lc_status lc_graph_batch(lc_graph_t **out, int64_t count, const lc_graph_t *const *graphs,
                         int32_t *graph_of)
{
    LC_CHECK_ARG(out, "output handle is NULL");
    LC_CHECK_ARG(graphs, "graphs is NULL");
    LC_CHECK_ARG(count >= 1 && count <= INT32_MAX, "count %lld not in [1, 2^31 - 1]",
                 (long long)count);
    int64_t n = 0, m = 0;
    int dim = 0;
    for (int64_t k = 0; k < count; k++) {
        const lc_graph_t *gk = graphs[k];
        LC_CHECK_ARG(gk, "graph %lld is NULL", (long long)k);
        n += gk->n;
        m += gk->m;
        LC_CHECK_ARG(n <= MAX_NODES, "more than 2^31 - 2 nodes in all (at graph %lld)",
                     (long long)k);
        const int dk = gk->positions ? gk->pos_dim : 0;
        if (k == 0) dim = dk;
        LC_CHECK_ARG(dk == dim,
                     "graph %lld has positions of dimension %d but graph 0 has %d (0 = none): "
                     "all graphs or none, of one dimension",
                     (long long)k, dk, dim);
    }
    lc_status st = LC_OK;
    lc_graph_t *g = NULL;
    int64_t *tail = lc_i_malloc((size_t)(m ? m : 1) * sizeof *tail);
    int64_t *head = lc_i_malloc((size_t)(m ? m : 1) * sizeof *head);
    float *weight = lc_i_malloc((size_t)(m ? m : 1) * sizeof *weight);
    float *pos = dim ? lc_i_malloc((size_t)n * (size_t)dim * sizeof *pos) : NULL;
    if (!tail || !head || !weight || (dim && !pos))
        LC_FAIL(LC_ERR_OUT_OF_MEMORY, "cannot allocate a batch of %lld nodes and %lld edges",
                (long long)n, (long long)m);
    /* Graph k's nodes follow those of graphs 0..k-1: as every graph's edges
     * are sorted by (tail, head), so are the concatenated ones. */
    for (int64_t k = 0, v0 = 0, e0 = 0; k < count; k++) {
        const lc_graph_t *gk = graphs[k];
        for (int64_t e = 0; e < gk->m; e++) {
            tail[e0 + e] = gk->tail[e] + v0;
            head[e0 + e] = gk->head[e] + v0;
            weight[e0 + e] = gk->weight[e];
        }
        if (dim) memcpy(pos + v0 * dim, gk->positions, (size_t)(gk->n * dim) * sizeof *pos);
        v0 += gk->n;
        e0 += gk->m;
    }
    LC_TRY(lc_i_error_from(lc_graph_from_edges(&g, n, m, tail, head, weight, LC_GRAPH_DIRECTED),
                           __func__));
    if (dim) LC_TRY(lc_i_error_from(lc_graph_set_positions(g, dim, pos), __func__));
    if (graph_of)
        for (int64_t k = 0, v0 = 0; k < count; v0 += graphs[k]->n, k++)
            for (int64_t v = 0; v < graphs[k]->n; v++)
                graph_of[v0 + v] = (int32_t)k;
    *out = g;
    g = NULL;
done:
    lc_graph_free(&g);
    lc_i_free(tail);
    lc_i_free(head);
    lc_i_free(weight);
    lc_i_free(pos);
    return st;
}
