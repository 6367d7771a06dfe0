/* graph.c — lc_graph: validated, sorted edge list with lazily built GraphBLAS and CSR views. */
#include <math.h>
#include <pthread.h>
#include <string.h>

#include <GraphBLAS.h>

#include "internal.h"

/* ---------- GraphBLAS start-up ---------- */

static pthread_once_t grb_once = PTHREAD_ONCE_INIT;
static int grb_init_info = GrB_SUCCESS;

static void grb_init_once(void)
{
    grb_init_info = (int)GrB_init(GrB_NONBLOCKING);
}

/* GraphBLAS may be started only once per process; every entry point that
 * touches a GrB object calls this first. GrB_finalize is never called: the
 * library lives until exit, like the caches that hold its matrices. */
lc_status lc_i_graphblas_init(void)
{
    if (pthread_once(&grb_once, grb_init_once) != 0)
        return LC_ERROR(LC_ERR_BACKEND, "pthread_once failed");
    if (grb_init_info != GrB_SUCCESS)
        return LC_ERROR(LC_ERR_BACKEND, "GrB_init failed with GraphBLAS error %d", grb_init_info);
    return LC_OK;
}

/* Free a GrB_Matrix held as void* and clear the pointer. */
static void grb_free(void **p)
{
    if (!p || !*p) return;
    GrB_Matrix m = *p;
    GrB_Matrix_free(&m);
    *p = NULL;
}

/* ---------- construction ---------- */

/* Stable counting sort of the index array `idx` (len entries) by key[idx[i]]
 * in [0, n); `tmp` and `count` (n + 1) are scratch. Two passes (head, then
 * tail) give the (tail, head) order with duplicates left in input order, so
 * their summed weight does not depend on anything but the input. */
static void sort_by_key(int64_t *idx, int64_t *tmp, int64_t len, const int64_t *key, int64_t n,
                        int64_t *count)
{
    memset(count, 0, ((size_t)n + 1) * sizeof *count);
    for (int64_t i = 0; i < len; i++)
        count[key[idx[i]] + 1]++;
    for (int64_t v = 0; v < n; v++)
        count[v + 1] += count[v];
    for (int64_t i = 0; i < len; i++)
        tmp[count[key[idx[i]]]++] = idx[i];
    memcpy(idx, tmp, (size_t)len * sizeof *idx);
}

lc_status lc_graph_from_edges(lc_graph_t **out, int64_t n, int64_t m, const int64_t *tail,
                              const int64_t *head, const float *weight, int flags)
{
    lc_status st = LC_OK;
    int64_t *t = NULL, *h = NULL, *idx = NULL, *tmp = NULL, *count = NULL;
    float *w = NULL;
    uint8_t *has_loop = NULL;
    lc_graph_t *g = NULL;

    LC_CHECK_ARG(out, "output handle is NULL");
    LC_CHECK_ARG(n >= 0, "n = %lld is negative", (long long)n);
    LC_CHECK_ARG(m >= 0, "m = %lld is negative", (long long)m);
    LC_CHECK_ARG(n <= INT32_MAX, "n = %lld exceeds the 32-bit column index of CSR views",
                 (long long)n);
    LC_CHECK_ARG(m == 0 || (tail && head), "tail or head is NULL with m = %lld edges",
                 (long long)m);
    LC_CHECK_ARG(
        (flags & ~(LC_GRAPH_SYMMETRIZE | LC_GRAPH_SELF_LOOPS | LC_GRAPH_DROP_SELF_LOOPS |
                   LC_GRAPH_BINARY)) == 0,
        "unknown flags 0x%x", (unsigned)flags);
    for (int64_t e = 0; e < m; e++) {
        if (tail[e] < 0 || tail[e] >= n)
            return LC_ERROR(LC_ERR_INVALID_ARG, "edge %lld has tail %lld %s n = %lld", (long long)e,
                            (long long)tail[e], tail[e] < 0 ? "< 0," : "≥", (long long)n);
        if (head[e] < 0 || head[e] >= n)
            return LC_ERROR(LC_ERR_INVALID_ARG, "edge %lld has head %lld %s n = %lld", (long long)e,
                            (long long)head[e], head[e] < 0 ? "< 0," : "≥", (long long)n);
        if (weight && !isfinite(weight[e]))
            return LC_ERROR(LC_ERR_INVALID_ARG,
                            "edge %lld (%lld -> %lld) has weight %g, not finite", (long long)e,
                            (long long)tail[e], (long long)head[e], (double)weight[e]);
    }
    const bool sym = flags & LC_GRAPH_SYMMETRIZE;
    const bool add_loops = flags & LC_GRAPH_SELF_LOOPS;
    const bool drop_loops = flags & LC_GRAPH_DROP_SELF_LOOPS;
    /* Working capacity: every edge, its reverse, one loop per node. */
    const int64_t cap_max = (INT64_MAX / 4 - n) / (int64_t)sizeof(int64_t);
    if (m > cap_max / 2)
        return LC_ERROR(LC_ERR_OUT_OF_MEMORY, "m = %lld edges is too large", (long long)m);
    const int64_t cap = m * (sym ? 2 : 1) + (add_loops ? n : 0);

    t = lc_i_malloc((size_t)cap * sizeof *t);
    h = lc_i_malloc((size_t)cap * sizeof *h);
    w = lc_i_malloc((size_t)cap * sizeof *w);
    idx = lc_i_malloc((size_t)cap * sizeof *idx);
    tmp = lc_i_malloc((size_t)cap * sizeof *tmp);
    count = lc_i_malloc(((size_t)n + 1) * sizeof *count);
    has_loop = lc_i_calloc((size_t)n, 1);
    g = lc_i_calloc(1, sizeof *g);
    if (!t || !h || !w || !idx || !tmp || !count || !has_loop || !g)
        LC_FAIL(LC_ERR_OUT_OF_MEMORY, "cannot allocate %lld working edges", (long long)cap);

    int64_t k = 0;
    for (int64_t e = 0; e < m; e++) {
        const bool loop = tail[e] == head[e];
        if (loop && drop_loops) continue;
        const float we = weight ? weight[e] : 1.0f;
        t[k] = tail[e], h[k] = head[e], w[k] = we, k++;
        if (loop) has_loop[tail[e]] = 1;
        /* A self loop is its own reverse: adding it again would double it. */
        if (sym && !loop) t[k] = head[e], h[k] = tail[e], w[k] = we, k++;
    }
    if (add_loops)
        for (int64_t v = 0; v < n; v++)
            if (!has_loop[v]) t[k] = v, h[k] = v, w[k] = 1.0f, k++;

    for (int64_t i = 0; i < k; i++)
        idx[i] = i;
    sort_by_key(idx, tmp, k, h, n, count);
    sort_by_key(idx, tmp, k, t, n, count);

    /* Count the distinct edges, then write them in order, summing duplicates. */
    int64_t m_out = 0;
    for (int64_t i = 0; i < k; i++)
        if (i == 0 || t[idx[i]] != t[idx[i - 1]] || h[idx[i]] != h[idx[i - 1]]) m_out++;
    g->n = n;
    g->m = m_out;
    g->tail = lc_i_malloc((size_t)m_out * sizeof *g->tail);
    g->head = lc_i_malloc((size_t)m_out * sizeof *g->head);
    g->weight = lc_i_malloc((size_t)m_out * sizeof *g->weight);
    if (!g->tail || !g->head || !g->weight)
        LC_FAIL(LC_ERR_OUT_OF_MEMORY, "cannot allocate %lld edges", (long long)m_out);
    int64_t j = -1;
    for (int64_t i = 0; i < k; i++) {
        const int64_t e = idx[i];
        if (j >= 0 && g->tail[j] == t[e] && g->head[j] == h[e]) {
            g->weight[j] += w[e];
        } else {
            j++;
            g->tail[j] = t[e], g->head[j] = h[e], g->weight[j] = w[e];
        }
    }
    if (flags & LC_GRAPH_BINARY)
        for (int64_t e = 0; e < m_out; e++) g->weight[e] = 1.0f;
    for (int64_t e = 0; e < m_out; e++)
        if (!isfinite(g->weight[e]))
            LC_FAIL(LC_ERR_NUMERIC, "the summed weight of duplicate edges %lld -> %lld overflows",
                    (long long)g->tail[e], (long long)g->head[e]);
    *out = g;
    g = NULL;
done:
    lc_graph_free(&g);
    lc_i_free(t);
    lc_i_free(h);
    lc_i_free(w);
    lc_i_free(idx);
    lc_i_free(tmp);
    lc_i_free(count);
    lc_i_free(has_loop);
    return st;
}

void lc_graph_free(lc_graph_t **pg)
{
    if (!pg || !*pg) return;
    lc_graph_t *g = *pg;
    grb_free(&g->incidence);
    grb_free(&g->adjacency);
    lc_i_free(g->tail);
    lc_i_free(g->head);
    lc_i_free(g->weight);
    lc_i_free(g->degree);
    lc_csr_free(&g->adj_csr);
    lc_csr_free(&g->gcn_csr);
    lc_i_free(g->positions);
    lc_i_free(g->edge_type);
    for (size_t i = 0; i < sizeof g->restencil / sizeof g->restencil[0]; i++)
        lc_graph_free(&g->restencil[i]);
    for (int i = 0; i < g->n_diffusion; i++)
        lc_diffusion_free(&g->diffusion[i].d);
    lc_i_free(g);
    *pg = NULL;
}

int64_t lc_graph_num_nodes(const lc_graph_t *g)
{
    return g ? g->n : 0;
}
int64_t lc_graph_num_edges(const lc_graph_t *g)
{
    return g ? g->m : 0;
}
const int64_t *lc_graph_tails(const lc_graph_t *g)
{
    return g ? g->tail : NULL;
}
const int64_t *lc_graph_heads(const lc_graph_t *g)
{
    return g ? g->head : NULL;
}
const float *lc_graph_weights(const lc_graph_t *g)
{
    return g ? g->weight : NULL;
}

/* The views below are built on first use without a lock: finish building the
 * ones you need before sharing a graph between threads. */

/* Summed in double in edge order, so the cached degrees are exact for
 * integer weights and do not depend on threads. */
static lc_status degrees_locked(lc_graph_t *g, const float **deg)
{
    LC_CHECK_ARG(g && deg, "NULL argument");
    if (!g->degree) {
        float *d = lc_i_malloc((size_t)g->n * sizeof *d);
        if (!d)
            return LC_ERROR(LC_ERR_OUT_OF_MEMORY, "cannot allocate %lld degrees", (long long)g->n);
        int64_t e = 0;
        for (int64_t v = 0; v < g->n; v++) {
            double s = 0.0;
            for (; e < g->m && g->tail[e] == v; e++)
                s += g->weight[e];
            d[v] = (float)s;
        }
        g->degree = d;
    }
    *deg = g->degree;
    return LC_OK;
}

/* The cached views are built once under the library's lazy-build lock, so that
 * two threads sharing a fresh graph do not both build (or half-read) them. */
lc_status lc_graph_degrees(lc_graph_t *g, const float **deg)
{
    lc_i_lazy_lock();
    lc_status st = lc_i_error_from(degrees_locked(g, deg), __func__);
    lc_i_lazy_unlock();
    return st;
}

/* ---------- GraphBLAS views ---------- */

/* Build an n_rows × n_cols FP32 matrix from int64 tuples. */
static lc_status grb_from_tuples(GrB_Matrix *out, int64_t n_rows, int64_t n_cols, int64_t nvals,
                                 const int64_t *rows, const int64_t *cols, const float *vals)
{
    lc_status st = LC_OK;
    GrB_Matrix a = NULL;
    GrB_Index *ri = NULL, *ci = NULL;
    LC_TRY(lc_i_graphblas_init());
    LC_GRB_TRY(GrB_Matrix_new(&a, GrB_FP32, (GrB_Index)n_rows, (GrB_Index)n_cols));
    if (nvals > 0) {
        ri = lc_i_malloc((size_t)nvals * sizeof *ri);
        ci = lc_i_malloc((size_t)nvals * sizeof *ci);
        if (!ri || !ci)
            LC_FAIL(LC_ERR_OUT_OF_MEMORY, "cannot allocate %lld tuples", (long long)nvals);
        for (int64_t k = 0; k < nvals; k++)
            ri[k] = (GrB_Index)rows[k], ci[k] = (GrB_Index)cols[k];
        LC_GRB_TRY(GrB_Matrix_build_FP32(a, ri, ci, vals, (GrB_Index)nvals, GrB_PLUS_FP32));
    }
    *out = a;
    a = NULL;
done:
    GrB_Matrix_free(&a);
    lc_i_free(ri);
    lc_i_free(ci);
    return st;
}

/* Column e holds -1 at tail[e] and +1 at head[e]. A self loop would put both
 * at the same place and cancel to 0, so its column is left empty instead of
 * holding an explicit zero: Bᵀx is then 0 for it, as for any loop. */
static lc_status incidence_grb_locked(lc_graph_t *g, void **grb_matrix)
{
    lc_status st = LC_OK;
    int64_t *rows = NULL, *cols = NULL;
    float *vals = NULL;
    LC_CHECK_ARG(g && grb_matrix, "NULL argument");
    if (!g->incidence) {
        rows = lc_i_malloc((size_t)g->m * 2 * sizeof *rows);
        cols = lc_i_malloc((size_t)g->m * 2 * sizeof *cols);
        vals = lc_i_malloc((size_t)g->m * 2 * sizeof *vals);
        if (!rows || !cols || !vals)
            LC_FAIL(LC_ERR_OUT_OF_MEMORY, "cannot allocate the incidence of %lld edges",
                    (long long)g->m);
        int64_t k = 0;
        for (int64_t e = 0; e < g->m; e++) {
            if (g->tail[e] == g->head[e]) continue;
            rows[k] = g->tail[e], cols[k] = e, vals[k] = -1.0f, k++;
            rows[k] = g->head[e], cols[k] = e, vals[k] = 1.0f, k++;
        }
        GrB_Matrix b = NULL;
        LC_TRY(lc_i_error_from(grb_from_tuples(&b, g->n, g->m, k, rows, cols, vals), __func__));
        g->incidence = b;
    }
    *grb_matrix = g->incidence;
done:
    lc_i_free(rows);
    lc_i_free(cols);
    lc_i_free(vals);
    return st;
}

lc_status lc_graph_incidence_grb(lc_graph_t *g, void **grb_matrix)
{
    lc_i_lazy_lock();
    lc_status st = lc_i_error_from(incidence_grb_locked(g, grb_matrix), __func__);
    lc_i_lazy_unlock();
    return st;
}

static lc_status adjacency_grb_locked(lc_graph_t *g, void **grb_matrix)
{
    lc_status st = LC_OK;
    LC_CHECK_ARG(g && grb_matrix, "NULL argument");
    if (!g->adjacency) {
        GrB_Matrix a = NULL;
        LC_TRY(lc_i_error_from(grb_from_tuples(&a, g->n, g->n, g->m, g->tail, g->head, g->weight),
                               __func__));
        g->adjacency = a;
    }
    *grb_matrix = g->adjacency;
done:
    return st;
}

lc_status lc_graph_adjacency_grb(lc_graph_t *g, void **grb_matrix)
{
    lc_i_lazy_lock();
    lc_status st = lc_i_error_from(adjacency_grb_locked(g, grb_matrix), __func__);
    lc_i_lazy_unlock();
    return st;
}

static lc_status adjacency_csr_locked(lc_graph_t *g, const lc_csr_t **adj)
{
    lc_status st = LC_OK;
    LC_CHECK_ARG(g && adj, "NULL argument");
    if (!g->adj_csr)
        LC_TRY(lc_csr_from_coo(&g->adj_csr, g->n, g->n, g->m, g->tail, g->head, g->weight));
    *adj = g->adj_csr;
done:
    return st;
}

lc_status lc_graph_adjacency_csr(lc_graph_t *g, const lc_csr_t **adj)
{
    lc_i_lazy_lock();
    lc_status st = lc_i_error_from(adjacency_csr_locked(g, adj), __func__);
    lc_i_lazy_unlock();
    return st;
}

/* Â = D̃^-1/2 Ã D̃^-1/2 with Ã = A + I, where:
 * - the identity is added only where A has no diagonal entry (eWiseAdd with
 *   FIRST keeps A's value), so existing self loops keep their weight and are
 *   not doubled, as PyG's add_remaining_self_loops;
 * - d̃_i = Σ_j Ã[i, j], the ROW sum, is used on both sides. With Y = Â·X a
 *   node i aggregates over its out-neighbours j (edges i -> j), so d̃_i counts
 *   exactly the terms node i sums. On a symmetric graph this is the usual
 *   operator; on a directed one it equals PyG's gcn_norm applied to the
 *   reversed edge list (PyG aggregates at the head and uses in-degrees);
 * - a node whose d̃ is not positive (only possible with zero or negative
 *   weights) gets d̃^-1/2 = 0 instead of Inf/NaN, as PyG masks Inf to 0. */
static lc_status gcn_operator_locked(lc_graph_t *g, const lc_csr_t **op)
{
    lc_status st = LC_OK;
    GrB_Vector ones = NULL, d = NULL;
    GrB_Matrix eye = NULL, at = NULL, dm = NULL, left = NULL, norm = NULL;
    LC_CHECK_ARG(g && op, "NULL argument");
    if (!g->gcn_csr) {
        void *av = NULL;
        LC_TRY(lc_i_error_from(lc_graph_adjacency_grb(g, &av), __func__));
        const GrB_Matrix a = av;
        const GrB_Index n = (GrB_Index)g->n;
        LC_GRB_TRY(GrB_Vector_new(&ones, GrB_FP32, n));
        LC_GRB_TRY(GrB_Vector_assign_FP32(ones, NULL, NULL, 1.0f, GrB_ALL, n, NULL));
        LC_GRB_TRY(GrB_Matrix_diag(&eye, ones, 0));
        LC_GRB_TRY(GrB_Matrix_new(&at, GrB_FP32, n, n));
        LC_GRB_TRY(GrB_Matrix_eWiseAdd_BinaryOp(at, NULL, NULL, GrB_FIRST_FP32, a, eye, NULL));
        LC_GRB_TRY(GrB_Vector_new(&d, GrB_FP32, n));
        LC_GRB_TRY(GrB_Matrix_reduce_Monoid(d, NULL, NULL, GrB_PLUS_MONOID_FP32, at, NULL));
        LC_GRB_TRY(GrB_Vector_select_FP32(d, NULL, NULL, GrB_VALUEGT_FP32, d, 0.0f, NULL));
        LC_GRB_TRY(GrB_Vector_apply(d, NULL, NULL, GxB_SQRT_FP32, d, NULL));
        LC_GRB_TRY(GrB_Vector_apply(d, NULL, NULL, GrB_MINV_FP32, d, NULL));
        LC_GRB_TRY(GrB_Matrix_diag(&dm, d, 0));
        LC_GRB_TRY(GrB_Matrix_new(&left, GrB_FP32, n, n));
        LC_GRB_TRY(GrB_mxm(left, NULL, NULL, GrB_PLUS_TIMES_SEMIRING_FP32, dm, at, NULL));
        LC_GRB_TRY(GrB_Matrix_new(&norm, GrB_FP32, n, n));
        LC_GRB_TRY(GrB_mxm(norm, NULL, NULL, GrB_PLUS_TIMES_SEMIRING_FP32, left, dm, NULL));
        LC_TRY(lc_i_error_from(lc_i_grb_to_csr(norm, &g->gcn_csr), __func__));
    }
    *op = g->gcn_csr;
done:
    GrB_Vector_free(&ones);
    GrB_Vector_free(&d);
    GrB_Matrix_free(&eye);
    GrB_Matrix_free(&at);
    GrB_Matrix_free(&dm);
    GrB_Matrix_free(&left);
    GrB_Matrix_free(&norm);
    return st;
}

lc_status lc_graph_gcn_operator(lc_graph_t *g, const lc_csr_t **op)
{
    lc_i_lazy_lock();
    lc_status st = lc_i_error_from(gcn_operator_locked(g, op), __func__);
    lc_i_lazy_unlock();
    return st;
}

/* ---------- exact diffusion on the graph ---------- */

/* The Laplacian L = D − A of g's weighted edges (D: the out-degrees), every
 * diagonal entry stored (a self loop's weight cancels in it). Under the lazy lock. */
static lc_status graph_laplacian(lc_graph_t *g, lc_csr_t **L)
{
    lc_status st = LC_OK;
    const int64_t n = g->n, m = g->m;
    const float *degree;
    int64_t *rows = lc_i_malloc((size_t)(m + n) * sizeof *rows);
    int64_t *cols = lc_i_malloc((size_t)(m + n) * sizeof *cols);
    float *vals = lc_i_malloc((size_t)(m + n) * sizeof *vals);
    if (!rows || !cols || !vals)
        LC_FAIL(LC_ERR_OUT_OF_MEMORY, "cannot allocate the Laplacian of %lld edges", (long long)m);
    LC_TRY(degrees_locked(g, &degree));
    for (int64_t e = 0; e < m; e++)
        rows[e] = g->tail[e], cols[e] = g->head[e], vals[e] = -g->weight[e];
    for (int64_t i = 0; i < n; i++)
        rows[m + i] = cols[m + i] = i, vals[m + i] = degree[i];
    LC_TRY(lc_csr_from_coo(L, n, n, m + n, rows, cols, vals));
done:
    lc_i_free(rows);
    lc_i_free(cols);
    lc_i_free(vals);
    return st;
}

/* The graph's factor for t, NULL when there is none yet, LC_ERR_UNSUPPORTED
 * when there is none and no room for it. Under the lazy lock. */
static lc_status cached_diffusion_locked(const lc_graph_t *g, double t, const lc_diffusion_t **d)
{
    *d = NULL;
    for (int i = 0; i < g->n_diffusion; i++)
        if (g->diffusion[i].t == t) return *d = g->diffusion[i].d, LC_OK;
    if (g->n_diffusion == (int)(sizeof g->diffusion / sizeof g->diffusion[0]))
        return LC_ERROR(LC_ERR_UNSUPPORTED,
                        "t = %g: the graph holds the factors of %d other diffusion times already",
                        t, g->n_diffusion);
    return LC_OK;
}

/* (I + t·L)⁻¹ for the Laplacian L of n nodes, unit masses. */
static lc_status factorise_diffusion(const lc_csr_t *L, int64_t n, double t, lc_diffusion_t **d)
{
    lc_status st = LC_OK;
    float *mass = lc_i_malloc((size_t)(n + 1) * sizeof *mass);
    if (!mass) LC_FAIL(LC_ERR_OUT_OF_MEMORY, "cannot allocate %lld masses", (long long)n);
    for (int64_t i = 0; i < n; i++)
        mass[i] = 1.0f;
    if ((st = lc_diffusion_new(d, L, mass, t))) { /* say whose matrix it was */
        char why[1024];
        const char *sep = strstr(lc_last_error(), ": ");
        snprintf(why, sizeof why, "%s", sep ? sep + 2 : lc_last_error());
        LC_FAIL(st, "the graph's Laplacian (t = %g): %s", t, why);
    }
done:
    lc_i_free(mass);
    return st;
}

/* The factorisation, the slow part, runs outside the process-wide lazy lock so
 * that it holds up no other thread's lazy views. Two threads asking for the
 * same new t may both factorise; the first to store its factor wins, and the
 * other's is dropped. */
lc_status lc_graph_diffusion(lc_graph_t *g, double t, const lc_diffusion_t **d)
{
    LC_CHECK_ARG(g && d, "NULL argument");
    LC_CHECK_ARG(t >= 0 && isfinite(t), "diffusion time %g is not finite and >= 0", t);
    lc_csr_t *L = NULL;
    lc_diffusion_t *fresh = NULL;
    lc_i_lazy_lock();
    lc_status st = cached_diffusion_locked(g, t, d);
    if (!st && !*d) st = graph_laplacian(g, &L);
    lc_i_lazy_unlock();
    if (!st && !*d) st = factorise_diffusion(L, g->n, t, &fresh);
    lc_csr_free(&L);
    if (fresh) {
        lc_i_lazy_lock();
        st = cached_diffusion_locked(g, t, d);
        if (!st && !*d) {
            g->diffusion[g->n_diffusion].t = t;
            g->diffusion[g->n_diffusion++].d = fresh;
            *d = fresh;
            fresh = NULL;
        }
        lc_i_lazy_unlock();
        lc_diffusion_free(&fresh);
    }
    return lc_i_error_from(st, __func__);
}

/* ---------- CSR <-> GraphBLAS ---------- */

lc_status lc_i_csr_to_grb(const lc_csr_t *a, void **grb_matrix)
{
    lc_status st = LC_OK;
    int64_t *rows = NULL, *cols = NULL;
    LC_CHECK_ARG(a && grb_matrix, "NULL argument");
    rows = lc_i_malloc((size_t)a->nnz * sizeof *rows);
    cols = lc_i_malloc((size_t)a->nnz * sizeof *cols);
    if (!rows || !cols)
        LC_FAIL(LC_ERR_OUT_OF_MEMORY, "cannot allocate %lld tuples", (long long)a->nnz);
    for (int64_t r = 0; r < a->n_rows; r++)
        for (int64_t k = a->rowptr[r]; k < a->rowptr[r + 1]; k++)
            rows[k] = r, cols[k] = a->col[k];
    GrB_Matrix m = NULL;
    LC_TRY(grb_from_tuples(&m, a->n_rows, a->n_cols, a->nnz, rows, cols, a->val));
    *grb_matrix = m;
done:
    lc_i_free(rows);
    lc_i_free(cols);
    return st;
}

lc_status lc_i_grb_to_csr(void *grb_matrix, lc_csr_t **a)
{
    lc_status st = LC_OK;
    GrB_Index *ri = NULL, *ci = NULL;
    float *x = NULL;
    LC_CHECK_ARG(grb_matrix && a, "NULL argument");
    LC_TRY(lc_i_graphblas_init());
    const GrB_Matrix m = grb_matrix;
    GrB_Index nr = 0, nc = 0, nv = 0;
    LC_GRB_TRY(GrB_Matrix_nrows(&nr, m));
    LC_GRB_TRY(GrB_Matrix_ncols(&nc, m));
    LC_GRB_TRY(GrB_Matrix_nvals(&nv, m));
    if (nr > INT64_MAX || nc > INT64_MAX || nv > INT64_MAX / 16)
        LC_FAIL(LC_ERR_OUT_OF_MEMORY, "matrix %llu x %llu with %llu entries is too large",
                (unsigned long long)nr, (unsigned long long)nc, (unsigned long long)nv);
    ri = lc_i_malloc((size_t)nv * sizeof *ri);
    ci = lc_i_malloc((size_t)nv * sizeof *ci);
    x = lc_i_malloc((size_t)nv * sizeof *x);
    if (!ri || !ci || !x)
        LC_FAIL(LC_ERR_OUT_OF_MEMORY, "cannot allocate %llu tuples", (unsigned long long)nv);
    GrB_Index got = nv;
    LC_GRB_TRY(GrB_Matrix_extractTuples_FP32(ri, ci, x, &got, m));
    /* GrB_Index is uint64_t; int64_t may alias it (signed/unsigned pair) and
     * every index is below nrows/ncols ≤ INT64_MAX. */
    LC_TRY(lc_csr_from_coo(a, (int64_t)nr, (int64_t)nc, (int64_t)got, (const int64_t *)ri,
                           (const int64_t *)ci, x));
done:
    lc_i_free(ri);
    lc_i_free(ci);
    lc_i_free(x);
    return st;
}

/* The reference for lc_csr_spmm: X enters as a full (dense) GrB matrix and
 * the product is scattered back into a zeroed Y, which covers rows of A
 * without entries (GraphBLAS leaves them structurally empty). */
lc_status lc_csr_spmm_graphblas(const lc_csr_t *a, const lc_tensor_t *x, lc_tensor_t *y)
{
    lc_status st = LC_OK;
    void *av = NULL;
    GrB_Matrix gx = NULL, gy = NULL;
    GrB_Index *ri = NULL, *ci = NULL;
    float *v = NULL;
    LC_CHECK_ARG(a && x && y, "NULL argument");
    const int64_t f = lc_i_cols(x);
    if (lc_i_rows(x) != a->n_cols || lc_i_rows(y) != a->n_rows || lc_i_cols(y) != f)
        return LC_ERROR(LC_ERR_SHAPE,
                        "A is %lld x %lld, X has %lld rows x %lld cols, Y %lld x %lld",
                        (long long)a->n_rows, (long long)a->n_cols, (long long)lc_i_rows(x),
                        (long long)f, (long long)lc_i_rows(y), (long long)lc_i_cols(y));
    LC_TRY(lc_i_csr_to_grb(a, &av));
    const GrB_Matrix ga = av;
    /* Every entry of X as a tuple: the v2.0 C API has no dense import, and
     * GxB_Matrix_pack_FullR would hand our buffer to GraphBLAS's allocator. */
    const GrB_Index nx = (GrB_Index)a->n_cols * (GrB_Index)f;
    ri = lc_i_malloc((size_t)nx * sizeof *ri);
    ci = lc_i_malloc((size_t)nx * sizeof *ci);
    if (!ri || !ci)
        LC_FAIL(LC_ERR_OUT_OF_MEMORY, "cannot allocate %llu tuples", (unsigned long long)nx);
    for (GrB_Index k = 0; k < nx; k++)
        ri[k] = k / (GrB_Index)f, ci[k] = k % (GrB_Index)f;
    LC_GRB_TRY(GrB_Matrix_new(&gx, GrB_FP32, (GrB_Index)a->n_cols, (GrB_Index)f));
    if (nx > 0) LC_GRB_TRY(GrB_Matrix_build_FP32(gx, ri, ci, x->data, nx, GrB_PLUS_FP32));
    lc_i_free(ri), lc_i_free(ci);
    ri = ci = NULL;
    LC_GRB_TRY(GrB_Matrix_new(&gy, GrB_FP32, (GrB_Index)a->n_rows, (GrB_Index)f));
    LC_GRB_TRY(GrB_mxm(gy, NULL, NULL, GrB_PLUS_TIMES_SEMIRING_FP32, ga, gx, NULL));
    GrB_Index nv = 0;
    LC_GRB_TRY(GrB_Matrix_nvals(&nv, gy));
    ri = lc_i_malloc((size_t)nv * sizeof *ri);
    ci = lc_i_malloc((size_t)nv * sizeof *ci);
    v = lc_i_malloc((size_t)nv * sizeof *v);
    if (!ri || !ci || !v)
        LC_FAIL(LC_ERR_OUT_OF_MEMORY, "cannot allocate %llu tuples", (unsigned long long)nv);
    LC_GRB_TRY(GrB_Matrix_extractTuples_FP32(ri, ci, v, &nv, gy));
    memset(y->data, 0, (size_t)y->numel * sizeof(float));
    for (GrB_Index k = 0; k < nv; k++)
        y->data[ri[k] * (GrB_Index)f + ci[k]] = v[k];
done:
    if (av) grb_free(&av);
    GrB_Matrix_free(&gx);
    GrB_Matrix_free(&gy);
    lc_i_free(ri);
    lc_i_free(ci);
    lc_i_free(v);
    return st;
}
