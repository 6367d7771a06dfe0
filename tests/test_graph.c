/* test_graph.c — lc_graph, its GraphBLAS views and GCN operator, CSR, SpMM, igraph generators. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <GraphBLAS.h>
#include <igraph.h>

#include "harness.h"
#include "internal.h"

/* ---------- helpers ---------- */

/* Deterministic random edge list with duplicates and self loops. */
static void random_edges(lc_rng_t *rng, int64_t n, int64_t m, int64_t *t, int64_t *h, float *w)
{
    for (int64_t e = 0; e < m; e++) {
        t[e] = (int64_t)(lc_rng_next(rng) % (uint64_t)n);
        h[e] = (int64_t)(lc_rng_next(rng) % (uint64_t)n);
        /* small integers keep sums exact in float */
        w[e] = (float)(1 + (int)(lc_rng_next(rng) % 5));
    }
}

/* What the flags mean, written out the slow way: a dense n×n weight matrix
 * and a presence matrix (weights may sum to 0 and still be an edge). */
static void naive_dense(int64_t n, int64_t m, const int64_t *t, const int64_t *h, const float *w,
                        int flags, double *dense, char *present)
{
    memset(dense, 0, (size_t)(n * n) * sizeof *dense);
    memset(present, 0, (size_t)(n * n));
    for (int64_t e = 0; e < m; e++) {
        if (t[e] == h[e] && (flags & LC_GRAPH_DROP_SELF_LOOPS)) continue;
        double we = w ? w[e] : 1.0;
        dense[t[e] * n + h[e]] += we;
        present[t[e] * n + h[e]] = 1;
        if ((flags & LC_GRAPH_SYMMETRIZE) && t[e] != h[e]) {
            dense[h[e] * n + t[e]] += we;
            present[h[e] * n + t[e]] = 1;
        }
    }
    if (flags & LC_GRAPH_SELF_LOOPS)
        for (int64_t v = 0; v < n; v++)
            if (!present[v * n + v]) dense[v * n + v] = 1.0, present[v * n + v] = 1;
}

/* The graph's edges are strictly increasing in (tail, head) and equal the
 * reference matrix, entry for entry. */
static void check_graph_matches(const lc_graph_t *g, int64_t n, const double *dense,
                                const char *present)
{
    CU_ASSERT_EQUAL_FATAL(lc_graph_num_nodes(g), n);
    int64_t m = lc_graph_num_edges(g), expected_m = 0;
    for (int64_t k = 0; k < n * n; k++)
        expected_m += present[k];
    CU_ASSERT_EQUAL(m, expected_m);
    const int64_t *t = lc_graph_tails(g), *h = lc_graph_heads(g);
    const float *w = lc_graph_weights(g);
    for (int64_t e = 0; e < m; e++) {
        CU_ASSERT_FATAL(t[e] >= 0 && t[e] < n && h[e] >= 0 && h[e] < n);
        if (e > 0) CU_ASSERT(t[e - 1] < t[e] || (t[e - 1] == t[e] && h[e - 1] < h[e]));
        CU_ASSERT(present[t[e] * n + h[e]]);
        CU_ASSERT_DOUBLE_EQUAL(w[e], dense[t[e] * n + h[e]], 1e-6);
    }
}

static int has_edge(const lc_graph_t *g, int64_t a, int64_t b)
{
    for (int64_t e = 0; e < lc_graph_num_edges(g); e++)
        if (lc_graph_tails(g)[e] == a && lc_graph_heads(g)[e] == b) return 1;
    return 0;
}

static float weight_of(const lc_graph_t *g, int64_t a, int64_t b)
{
    for (int64_t e = 0; e < lc_graph_num_edges(g); e++)
        if (lc_graph_tails(g)[e] == a && lc_graph_heads(g)[e] == b) return lc_graph_weights(g)[e];
    return NAN;
}

/* ---------- lc_graph_from_edges ---------- */

static void test_from_edges_errors(void)
{
    lc_graph_t *g = NULL;
    const int64_t t[] = {0, 1, 2, 4}, h[] = {1, 2, 3, 0};
    const float w[] = {1, 2, 3, 4};
    LC_ASSERT_STATUS(lc_graph_from_edges(NULL, 5, 4, t, h, w, 0), LC_ERR_INVALID_ARG);
    LC_ASSERT_STATUS(lc_graph_from_edges(&g, -1, 0, NULL, NULL, NULL, 0), LC_ERR_INVALID_ARG);
    LC_ASSERT_ERROR_HAS("lc_graph_from_edges");
    LC_ASSERT_ERROR_HAS("-1");
    LC_ASSERT_STATUS(lc_graph_from_edges(&g, 5, -3, t, h, w, 0), LC_ERR_INVALID_ARG);
    LC_ASSERT_ERROR_HAS("-3");
    LC_ASSERT_STATUS(lc_graph_from_edges(&g, 5, 4, NULL, h, w, 0), LC_ERR_INVALID_ARG);
    LC_ASSERT_STATUS(lc_graph_from_edges(&g, 5, 4, t, NULL, w, 0), LC_ERR_INVALID_ARG);
    LC_ASSERT_STATUS(lc_graph_from_edges(&g, 5, 4, t, h, w, 64), LC_ERR_INVALID_ARG);
    LC_ASSERT_ERROR_HAS("flags");
    /* head 3 of edge 2 is out of range for n = 3; edges 0 and 1 are fine */
    LC_ASSERT_STATUS(lc_graph_from_edges(&g, 3, 4, t, h, w, 0), LC_ERR_INVALID_ARG);
    LC_ASSERT_ERROR_HAS("lc_graph_from_edges: edge 2 has head 3");
    LC_ASSERT_ERROR_HAS("n = 3");
    /* tail 4 of edge 3 with n = 4 */
    LC_ASSERT_STATUS(lc_graph_from_edges(&g, 4, 4, t, h, w, 0), LC_ERR_INVALID_ARG);
    LC_ASSERT_ERROR_HAS("edge 3 has tail 4");
    const int64_t neg_t[] = {0, -2}, neg_h[] = {1, 0};
    LC_ASSERT_STATUS(lc_graph_from_edges(&g, 4, 2, neg_t, neg_h, NULL, 0), LC_ERR_INVALID_ARG);
    LC_ASSERT_ERROR_HAS("edge 1 has tail -2");
    LC_ASSERT_STATUS(lc_graph_from_edges(&g, 4, 2, neg_h, neg_t, NULL, 0), LC_ERR_INVALID_ARG);
    LC_ASSERT_ERROR_HAS("edge 1 has head -2");
    const float bad_w[] = {1, NAN, 1, 1}, inf_w[] = {1, 1, 1, -INFINITY};
    LC_ASSERT_STATUS(lc_graph_from_edges(&g, 5, 4, t, h, bad_w, 0), LC_ERR_INVALID_ARG);
    LC_ASSERT_ERROR_HAS("edge 1");
    LC_ASSERT_ERROR_HAS("not finite");
    LC_ASSERT_STATUS(lc_graph_from_edges(&g, 5, 4, t, h, inf_w, 0), LC_ERR_INVALID_ARG);
    LC_ASSERT_ERROR_HAS("edge 3");
    /* finite weights whose sum overflows */
    const int64_t dt[] = {0, 0}, dh[] = {1, 1};
    const float big[] = {3e38f, 3e38f};
    LC_ASSERT_STATUS(lc_graph_from_edges(&g, 2, 2, dt, dh, big, 0), LC_ERR_NUMERIC);
    CU_ASSERT_PTR_NULL(g); /* never assigned on failure */
    lc_graph_free(&g);
    lc_graph_free(NULL);
}

static void test_from_edges_sorted_merged(void)
{
    /* unordered, with duplicates (0->1 three times, 2->0 twice) */
    const int64_t t[] = {2, 0, 1, 0, 2, 0, 1}, h[] = {0, 1, 1, 1, 0, 1, 0};
    const float w[] = {1.5f, 1, 2, 4, 0.5f, 8, 3};
    lc_graph_t *g = NULL;
    LC_ASSERT_OK(lc_graph_from_edges(&g, 3, 7, t, h, w, LC_GRAPH_DIRECTED));
    CU_ASSERT_EQUAL(lc_graph_num_nodes(g), 3);
    CU_ASSERT_EQUAL_FATAL(lc_graph_num_edges(g), 4);
    const int64_t et[] = {0, 1, 1, 2}, eh[] = {1, 0, 1, 0};
    const float ew[] = {13, 3, 2, 2};
    for (int e = 0; e < 4; e++) {
        CU_ASSERT_EQUAL(lc_graph_tails(g)[e], et[e]);
        CU_ASSERT_EQUAL(lc_graph_heads(g)[e], eh[e]);
        CU_ASSERT_EQUAL(lc_graph_weights(g)[e], ew[e]);
    }
    lc_graph_free(&g);
    CU_ASSERT_PTR_NULL(g);

    /* NULL weights = 1, duplicates count */
    LC_ASSERT_OK(lc_graph_from_edges(&g, 3, 7, t, h, NULL, 0));
    CU_ASSERT_EQUAL(lc_graph_weights(g)[0], 3.0f);
    lc_graph_free(&g);

    /* empty graphs */
    LC_ASSERT_OK(lc_graph_from_edges(&g, 0, 0, NULL, NULL, NULL, 0));
    CU_ASSERT_EQUAL(lc_graph_num_nodes(g), 0);
    CU_ASSERT_EQUAL(lc_graph_num_edges(g), 0);
    /* every view of an empty graph can be built */
    const lc_csr_t *op = NULL;
    void *bv = NULL;
    const float *deg = NULL;
    LC_ASSERT_OK(lc_graph_gcn_operator(g, &op));
    CU_ASSERT_EQUAL(lc_csr_nnz(op), 0);
    LC_ASSERT_OK(lc_graph_incidence_grb(g, &bv));
    LC_ASSERT_OK(lc_graph_degrees(g, &deg));
    lc_graph_free(&g);
    /* nodes without edges: the incidence is n × 0, the GCN operator is I */
    LC_ASSERT_OK(lc_graph_from_edges(&g, 4, 0, NULL, NULL, NULL, 0));
    LC_ASSERT_OK(lc_graph_incidence_grb(g, &bv));
    GrB_Index nc = 99;
    CU_ASSERT_EQUAL(GrB_Matrix_ncols(&nc, bv), GrB_SUCCESS);
    CU_ASSERT_EQUAL(nc, 0);
    LC_ASSERT_OK(lc_graph_gcn_operator(g, &op));
    CU_ASSERT_EQUAL_FATAL(lc_csr_nnz(op), 4);
    for (int64_t v = 0; v < 4; v++) {
        CU_ASSERT_EQUAL(op->col[v], v);
        CU_ASSERT_EQUAL(op->val[v], 1.0f);
    }
    lc_graph_free(&g);
    LC_ASSERT_OK(lc_graph_from_edges(&g, 3, 0, NULL, NULL, NULL, LC_GRAPH_SELF_LOOPS));
    CU_ASSERT_EQUAL_FATAL(lc_graph_num_edges(g), 3);
    for (int e = 0; e < 3; e++) {
        CU_ASSERT_EQUAL(lc_graph_tails(g)[e], e);
        CU_ASSERT_EQUAL(lc_graph_heads(g)[e], e);
        CU_ASSERT_EQUAL(lc_graph_weights(g)[e], 1.0f);
    }
    lc_graph_free(&g);
}

static void test_from_edges_flags(void)
{
    /* hand-checked: mutual pair and a weighted self loop */
    const int64_t t[] = {0, 1, 2, 2}, h[] = {1, 0, 2, 3};
    const float w[] = {1, 1, 5, 2};
    lc_graph_t *g = NULL;
    LC_ASSERT_OK(lc_graph_from_edges(&g, 5, 4, t, h, w, LC_GRAPH_SYMMETRIZE));
    /* 0<->1 summed both ways (A + Aᵀ), 2->2 not doubled, 2<->3 */
    CU_ASSERT_EQUAL_FATAL(lc_graph_num_edges(g), 5);
    CU_ASSERT_EQUAL(weight_of(g, 0, 1), 2.0f);
    CU_ASSERT_EQUAL(weight_of(g, 1, 0), 2.0f);
    CU_ASSERT_EQUAL(weight_of(g, 2, 2), 5.0f);
    CU_ASSERT_EQUAL(weight_of(g, 3, 2), 2.0f);
    CU_ASSERT(has_edge(g, 3, 2));
    lc_graph_free(&g);
    LC_ASSERT_OK(lc_graph_from_edges(&g, 5, 4, t, h, w, LC_GRAPH_SELF_LOOPS));
    CU_ASSERT_EQUAL(lc_graph_num_edges(g), 4 + 4); /* node 2 already has one */
    for (int64_t v = 0; v < 5; v++)
        CU_ASSERT(has_edge(g, v, v));
    CU_ASSERT_EQUAL(weight_of(g, 2, 2), 5.0f); /* keeps its weight */
    CU_ASSERT_EQUAL(weight_of(g, 0, 0), 1.0f);
    lc_graph_free(&g);
    LC_ASSERT_OK(lc_graph_from_edges(&g, 5, 4, t, h, w, LC_GRAPH_DROP_SELF_LOOPS));
    CU_ASSERT_EQUAL(lc_graph_num_edges(g), 3);
    CU_ASSERT_FALSE(has_edge(g, 2, 2));
    lc_graph_free(&g);
    LC_ASSERT_OK(
        lc_graph_from_edges(&g, 5, 4, t, h, w, LC_GRAPH_DROP_SELF_LOOPS | LC_GRAPH_SELF_LOOPS));
    CU_ASSERT_EQUAL(lc_graph_num_edges(g), 3 + 5);
    CU_ASSERT_EQUAL(weight_of(g, 2, 2), 1.0f); /* replaced by a unit loop */
    lc_graph_free(&g);

    /* every flag combination on random multigraphs vs the slow reference */
    lc_rng_t rng;
    lc_rng_seed(&rng, 7);
    enum { N = 23, M = 120 };
    int64_t rt[M], rh[M];
    float rw[M];
    double *dense = malloc(N * N * sizeof *dense);
    char *present = malloc(N * N);
    for (int rep = 0; rep < 4; rep++) {
        random_edges(&rng, N, M, rt, rh, rw);
        for (int flags = 0; flags < 8; flags++) {
            LC_ASSERT_OK(lc_graph_from_edges(&g, N, M, rt, rh, rep % 2 ? NULL : rw, flags));
            naive_dense(N, M, rt, rh, rep % 2 ? NULL : rw, flags, dense, present);
            check_graph_matches(g, N, dense, present);
            lc_graph_free(&g);
        }
    }
    free(dense);
    free(present);
}

/* ---------- GraphBLAS views and degrees ---------- */

/* BINARY collapses duplicates and mutual pairs to weight 1 (Kipf's 0/1 adjacency). */
static void test_from_edges_binary(void)
{
    const int64_t tail[] = {0, 1, 0, 2, 2}, head[] = {1, 0, 1, 0, 2};
    lc_graph_t *g = NULL;
    LC_ASSERT_OK(lc_graph_from_edges(&g, 3, 5, tail, head, NULL, LC_GRAPH_SYMMETRIZE));
    CU_ASSERT_EQUAL(lc_graph_num_edges(g), 5); /* 0-1, 0-2, 1-0, 2-0, 2-2 */
    CU_ASSERT_EQUAL(lc_graph_weights(g)[0], 3.0f); /* 0->1 given twice plus the reverse of 1->0 */
    lc_graph_free(&g);
    LC_ASSERT_OK(lc_graph_from_edges(&g, 3, 5, tail, head, NULL,
                                     LC_GRAPH_SYMMETRIZE | LC_GRAPH_BINARY | LC_GRAPH_DROP_SELF_LOOPS));
    CU_ASSERT_EQUAL(lc_graph_num_edges(g), 4);
    for (int64_t e = 0; e < lc_graph_num_edges(g); e++) {
        CU_ASSERT_EQUAL(lc_graph_weights(g)[e], 1.0f);
        CU_ASSERT_NOT_EQUAL(lc_graph_tails(g)[e], lc_graph_heads(g)[e]);
    }
    lc_graph_free(&g);
}

static void test_incidence(void)
{
    /* includes a self loop (3->3): its column must be empty */
    const int64_t t[] = {0, 1, 2, 3, 4, 0}, h[] = {1, 2, 0, 3, 0, 4};
    const float w[] = {1, 2, 3, 4, 5, 6};
    lc_graph_t *g = NULL;
    LC_ASSERT_OK(lc_graph_from_edges(&g, 6, 6, t, h, w, LC_GRAPH_SYMMETRIZE));
    const int64_t m = lc_graph_num_edges(g), n = lc_graph_num_nodes(g);
    void *bv = NULL;
    LC_ASSERT_OK(lc_graph_incidence_grb(g, &bv));
    void *bv2 = NULL;
    LC_ASSERT_OK(lc_graph_incidence_grb(g, &bv2));
    CU_ASSERT_PTR_EQUAL(bv, bv2); /* cached */
    GrB_Matrix b = bv;
    GrB_Index nr, nc, nv;
    CU_ASSERT_EQUAL(GrB_Matrix_nrows(&nr, b), GrB_SUCCESS);
    CU_ASSERT_EQUAL(GrB_Matrix_ncols(&nc, b), GrB_SUCCESS);
    CU_ASSERT_EQUAL(GrB_Matrix_nvals(&nv, b), GrB_SUCCESS);
    CU_ASSERT_EQUAL(nr, (GrB_Index)n);
    CU_ASSERT_EQUAL(nc, (GrB_Index)m);
    int64_t loops = 0;
    for (int64_t e = 0; e < m; e++)
        loops += lc_graph_tails(g)[e] == lc_graph_heads(g)[e];
    CU_ASSERT_EQUAL(loops, 1);
    CU_ASSERT_EQUAL(nv, (GrB_Index)(2 * (m - loops)));
    GrB_Index *ri = malloc(nv * sizeof *ri), *ci = malloc(nv * sizeof *ci);
    float *x = malloc(nv * sizeof *x);
    CU_ASSERT_EQUAL(GrB_Matrix_extractTuples_FP32(ri, ci, x, &nv, b), GrB_SUCCESS);
    /* each column: exactly -1 at the tail and +1 at the head */
    int64_t *seen_tail = calloc((size_t)m, sizeof *seen_tail),
            *seen_head = calloc((size_t)m, sizeof *seen_head);
    for (GrB_Index k = 0; k < nv; k++) {
        int64_t e = (int64_t)ci[k];
        CU_ASSERT_FATAL(e >= 0 && e < m);
        if (x[k] == -1.0f) {
            CU_ASSERT_EQUAL(ri[k], (GrB_Index)lc_graph_tails(g)[e]);
            seen_tail[e]++;
        } else {
            CU_ASSERT_EQUAL(x[k], 1.0f);
            CU_ASSERT_EQUAL(ri[k], (GrB_Index)lc_graph_heads(g)[e]);
            seen_head[e]++;
        }
    }
    for (int64_t e = 0; e < m; e++) {
        int expect = lc_graph_tails(g)[e] != lc_graph_heads(g)[e];
        CU_ASSERT_EQUAL(seen_tail[e], expect);
        CU_ASSERT_EQUAL(seen_head[e], expect);
    }
    free(ri), free(ci), free(x), free(seen_tail), free(seen_head);
    LC_ASSERT_STATUS(lc_graph_incidence_grb(NULL, &bv), LC_ERR_INVALID_ARG);
    lc_graph_free(&g);
}

static void test_adjacency_degrees(void)
{
    lc_rng_t rng;
    lc_rng_seed(&rng, 11);
    enum { N = 40, M = 300 };
    int64_t t[M], h[M];
    float w[M];
    random_edges(&rng, N, M, t, h, w);
    lc_graph_t *g = NULL;
    LC_ASSERT_OK(lc_graph_from_edges(&g, N, M, t, h, w, 0));
    const int64_t m = lc_graph_num_edges(g);
    const int64_t *gt = lc_graph_tails(g), *gh = lc_graph_heads(g);
    const float *gw = lc_graph_weights(g);

    void *av = NULL;
    LC_ASSERT_OK(lc_graph_adjacency_grb(g, &av));
    GrB_Index nr, nc, nv;
    GrB_Matrix_nrows(&nr, av), GrB_Matrix_ncols(&nc, av), GrB_Matrix_nvals(&nv, av);
    CU_ASSERT_EQUAL(nr, N);
    CU_ASSERT_EQUAL(nc, N);
    CU_ASSERT_EQUAL_FATAL(nv, (GrB_Index)m);
    for (int64_t e = 0; e < m; e++) {
        float v = 0;
        CU_ASSERT_EQUAL(GrB_Matrix_extractElement_FP32(&v, av, (GrB_Index)gt[e], (GrB_Index)gh[e]),
                        GrB_SUCCESS);
        CU_ASSERT_EQUAL(v, gw[e]);
    }

    /* CSR view: row r holds the edges with tail r, in head order */
    const lc_csr_t *a = NULL, *a2 = NULL;
    LC_ASSERT_OK(lc_graph_adjacency_csr(g, &a));
    LC_ASSERT_OK(lc_graph_adjacency_csr(g, &a2));
    CU_ASSERT_PTR_EQUAL(a, a2);
    CU_ASSERT_EQUAL(lc_csr_rows(a), N);
    CU_ASSERT_EQUAL(lc_csr_cols(a), N);
    CU_ASSERT_EQUAL_FATAL(lc_csr_nnz(a), m);
    for (int64_t r = 0; r < N; r++)
        for (int64_t k = a->rowptr[r]; k < a->rowptr[r + 1]; k++) {
            CU_ASSERT_EQUAL(gt[k], r);
            CU_ASSERT_EQUAL(gh[k], a->col[k]);
            CU_ASSERT_EQUAL(gw[k], a->val[k]);
        }

    /* degrees: naive sum over the input edges (duplicates included) */
    const float *deg = NULL;
    LC_ASSERT_OK(lc_graph_degrees(g, &deg));
    for (int64_t v = 0; v < N; v++) {
        double s = 0;
        for (int e = 0; e < M; e++)
            if (t[e] == v) s += w[e];
        CU_ASSERT_DOUBLE_EQUAL(deg[v], s, 1e-9);
    }
    const float *deg2 = NULL;
    LC_ASSERT_OK(lc_graph_degrees(g, &deg2));
    CU_ASSERT_PTR_EQUAL(deg, deg2);
    LC_ASSERT_STATUS(lc_graph_degrees(g, NULL), LC_ERR_INVALID_ARG);
    lc_graph_free(&g);
}

/* ---------- GCN operator ---------- */

/* Dense double reference: Ã = A + I where A has no diagonal entry, d = row
 * sums of Ã, Â[i][j] = Ã[i][j] / sqrt(d_i d_j) (0 when d ≤ 0). */
static void check_gcn(lc_graph_t *g)
{
    const int64_t n = lc_graph_num_nodes(g), m = lc_graph_num_edges(g);
    double *at = calloc((size_t)(n * n), sizeof *at), *d = calloc((size_t)n, sizeof *d);
    char *present = calloc((size_t)(n * n), 1);
    for (int64_t e = 0; e < m; e++) {
        int64_t i = lc_graph_tails(g)[e], j = lc_graph_heads(g)[e];
        at[i * n + j] = lc_graph_weights(g)[e];
        present[i * n + j] = 1;
    }
    for (int64_t i = 0; i < n; i++)
        if (!present[i * n + i]) at[i * n + i] = 1.0, present[i * n + i] = 1;
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < n; j++)
            d[i] += at[i * n + j];
    const lc_csr_t *op = NULL;
    LC_ASSERT_OK(lc_graph_gcn_operator(g, &op));
    CU_ASSERT_EQUAL_FATAL(lc_csr_rows(op), n);
    CU_ASSERT_EQUAL_FATAL(lc_csr_cols(op), n);
    double *got = calloc((size_t)(n * n), sizeof *got);
    char *got_present = calloc((size_t)(n * n), 1);
    for (int64_t i = 0; i < n; i++)
        for (int64_t k = op->rowptr[i]; k < op->rowptr[i + 1]; k++) {
            got[i * n + op->col[k]] = op->val[k];
            got_present[i * n + op->col[k]] = 1;
        }
    double max_rel = 0;
    int64_t structure_errors = 0;
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < n; j++) {
            double ref = 0;
            if (present[i * n + j] && d[i] > 0 && d[j] > 0) ref = at[i * n + j] / sqrt(d[i] * d[j]);
            /* the operator has an entry exactly where Ã has one (both ends of positive degree) */
            if (got_present[i * n + j] != (present[i * n + j] && d[i] > 0 && d[j] > 0))
                structure_errors++;
            double err = fabs(got[i * n + j] - ref);
            double rel = ref != 0 ? err / fabs(ref) : err;
            if (rel > max_rel) max_rel = rel;
        }
    CU_ASSERT_EQUAL(structure_errors, 0);
    CU_ASSERT(max_rel <= 1e-6);
    if (max_rel > 1e-6) fprintf(stderr, "\n  GCN operator rel. error %.3g\n", max_rel);
    const lc_csr_t *op2 = NULL;
    LC_ASSERT_OK(lc_graph_gcn_operator(g, &op2));
    CU_ASSERT_PTR_EQUAL(op, op2);
    free(at), free(d), free(present), free(got), free(got_present);
}

static void test_gcn_operator(void)
{
    lc_graph_t *g = NULL;
    /* symmetric random graph with duplicate-merged integer weights */
    lc_rng_t rng;
    lc_rng_seed(&rng, 3);
    enum { N = 60, M = 200 };
    int64_t t[M], h[M];
    float w[M];
    random_edges(&rng, N, M, t, h, w);
    LC_ASSERT_OK(
        lc_graph_from_edges(&g, N, M, t, h, w, LC_GRAPH_SYMMETRIZE | LC_GRAPH_DROP_SELF_LOOPS));
    check_gcn(g);
    lc_graph_free(&g);
    /* existing self loops with weights ≠ 1 are kept, not doubled */
    LC_ASSERT_OK(lc_graph_from_edges(&g, N, M, t, h, w, LC_GRAPH_SYMMETRIZE));
    int64_t loops = 0;
    for (int64_t e = 0; e < lc_graph_num_edges(g); e++)
        loops += lc_graph_tails(g)[e] == lc_graph_heads(g)[e];
    CU_ASSERT(loops > 0); /* the case is really exercised */
    check_gcn(g);
    /* and directly: a loop of weight w on an isolated node gives w / w = 1 */
    lc_graph_free(&g);
    const int64_t lt[] = {0, 1, 2}, lh[] = {0, 2, 1};
    const float lw[] = {7, 1, 1};
    LC_ASSERT_OK(lc_graph_from_edges(&g, 4, 3, lt, lh, lw, 0));
    const lc_csr_t *op = NULL;
    LC_ASSERT_OK(lc_graph_gcn_operator(g, &op));
    CU_ASSERT_EQUAL_FATAL(op->rowptr[1] - op->rowptr[0], 1);
    CU_ASSERT_DOUBLE_EQUAL(op->val[0], 1.0, 1e-6);
    /* node 3 is isolated: just its unit loop, 1 / 1 */
    CU_ASSERT_EQUAL_FATAL(op->rowptr[4] - op->rowptr[3], 1);
    CU_ASSERT_EQUAL(op->col[op->rowptr[3]], 3);
    CU_ASSERT_DOUBLE_EQUAL(op->val[op->rowptr[3]], 1.0, 1e-6);
    check_gcn(g);
    lc_graph_free(&g);
    /* isolated nodes among a sparse graph */
    const int64_t it[] = {0, 1, 5}, ih[] = {1, 5, 0};
    LC_ASSERT_OK(lc_graph_from_edges(&g, 9, 3, it, ih, NULL, LC_GRAPH_SYMMETRIZE));
    check_gcn(g);
    lc_graph_free(&g);
    /* directed: row degrees on both sides. A star 0 -> {1, 2, 3}: d̃_0 = 4
     * (row sum), d̃_1..3 = 1, so Â[0][1] = 1/sqrt(4·1) = 0.5 (column sums
     * would give d̃_1 = 2 and 1/sqrt(4·2)). */
    const int64_t star_t[] = {0, 0, 0}, star_h[] = {1, 2, 3};
    LC_ASSERT_OK(lc_graph_from_edges(&g, 4, 3, star_t, star_h, NULL, 0));
    LC_ASSERT_OK(lc_graph_gcn_operator(g, &op));
    CU_ASSERT_EQUAL_FATAL(op->rowptr[1], 4);
    CU_ASSERT_DOUBLE_EQUAL(op->val[0], 0.25, 1e-6); /* Â[0][0] = 1/4 */
    CU_ASSERT_DOUBLE_EQUAL(op->val[1], 0.5, 1e-6);
    CU_ASSERT_DOUBLE_EQUAL(op->val[op->rowptr[1]], 1.0, 1e-6); /* Â[1][1] */
    check_gcn(g);
    lc_graph_free(&g);
    /* random directed graph */
    random_edges(&rng, N, M, t, h, w);
    LC_ASSERT_OK(lc_graph_from_edges(&g, N, M, t, h, w, 0));
    check_gcn(g);
    lc_graph_free(&g);
    /* a loop of weight -1 makes d̃ = 0 for its node: its row and column vanish, no NaN */
    const int64_t nt[] = {0, 1}, nh[] = {0, 2};
    const float nw[] = {-1, 1};
    LC_ASSERT_OK(lc_graph_from_edges(&g, 3, 2, nt, nh, nw, 0));
    LC_ASSERT_OK(lc_graph_gcn_operator(g, &op));
    CU_ASSERT_EQUAL(op->rowptr[1], 0);
    for (int64_t k = 0; k < op->nnz; k++)
        CU_ASSERT(isfinite(op->val[k]));
    check_gcn(g);
    lc_graph_free(&g);
}

/* ---------- CSR ---------- */

static void test_csr_from_coo_transpose(void)
{
    const int64_t r[] = {2, 0, 2, 1, 2, 0}, c[] = {3, 1, 0, 4, 3, 1};
    const float v[] = {1, 2, 3, 4, 5, 6};
    lc_csr_t *a = NULL;
    LC_ASSERT_OK(lc_csr_from_coo(&a, 3, 5, 6, r, c, v));
    double dense[3][5] = {{0}};
    for (int k = 0; k < 6; k++)
        dense[r[k]][c[k]] += v[k];
    CU_ASSERT_EQUAL(lc_csr_nnz(a), 4); /* (2,3) and (0,1) summed */
    double got[3][5] = {{0}};
    for (int i = 0; i < 3; i++)
        for (int64_t k = a->rowptr[i]; k < a->rowptr[i + 1]; k++) {
            if (k > a->rowptr[i]) CU_ASSERT(a->col[k - 1] < a->col[k]);
            got[i][a->col[k]] += a->val[k];
        }
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 5; j++)
            CU_ASSERT_EQUAL(got[i][j], dense[i][j]);

    const lc_csr_t *at = NULL;
    LC_ASSERT_OK(lc_i_csr_transpose(a, &at));
    CU_ASSERT_EQUAL(lc_csr_rows(at), 5);
    CU_ASSERT_EQUAL(lc_csr_cols(at), 3);
    double gt[5][3] = {{0}};
    for (int i = 0; i < 5; i++)
        for (int64_t k = at->rowptr[i]; k < at->rowptr[i + 1]; k++)
            gt[i][at->col[k]] += at->val[k];
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 5; j++)
            CU_ASSERT_EQUAL(gt[j][i], dense[i][j]);
    lc_csr_free(&a);

    lc_csr_t *b = NULL;
    LC_ASSERT_OK(lc_csr_from_coo(&b, 3, 5, 6, r, c, NULL));
    CU_ASSERT_EQUAL(b->val[0], 2.0f); /* (0,1) twice, all ones */
    lc_csr_free(&b);
    const int64_t bad_r[] = {0, 3}, bad_c[] = {0, 0};
    LC_ASSERT_STATUS(lc_csr_from_coo(&b, 3, 5, 2, bad_r, bad_c, NULL), LC_ERR_INVALID_ARG);
    LC_ASSERT_ERROR_HAS("entry 1");
    const int64_t neg_c[] = {0, -1};
    LC_ASSERT_STATUS(lc_csr_from_coo(&b, 3, 5, 2, bad_c, neg_c, NULL), LC_ERR_INVALID_ARG);
    LC_ASSERT_STATUS(lc_csr_from_coo(&b, -1, 5, 0, NULL, NULL, NULL), LC_ERR_INVALID_ARG);
    CU_ASSERT_PTR_NULL(b);
}

/* Round trip CSR -> GrB -> CSR keeps every entry. */
static void test_csr_grb_roundtrip(void)
{
    const int64_t r[] = {0, 2, 2, 3}, c[] = {1, 0, 3, 3};
    const float v[] = {1.5f, -2, 3, 0};
    lc_csr_t *a = NULL, *b = NULL;
    LC_ASSERT_OK(lc_csr_from_coo(&a, 4, 4, 4, r, c, v));
    void *ga = NULL;
    LC_ASSERT_OK(lc_i_csr_to_grb(a, &ga));
    LC_ASSERT_OK(lc_i_grb_to_csr(ga, &b));
    CU_ASSERT_EQUAL_FATAL(b->nnz, a->nnz); /* the explicit 0 survives */
    CU_ASSERT_EQUAL(memcmp(a->rowptr, b->rowptr, 5 * sizeof(int64_t)), 0);
    CU_ASSERT_EQUAL(memcmp(a->col, b->col, 4 * sizeof(int32_t)), 0);
    CU_ASSERT_EQUAL(memcmp(a->val, b->val, 4 * sizeof(float)), 0);
    GrB_Matrix m = ga;
    GrB_Matrix_free(&m);
    lc_csr_free(&a);
    lc_csr_free(&b);
}

/* ---------- SpMM: the OpenMP kernel vs GraphBLAS ---------- */

static lc_csr_t *random_csr(lc_rng_t *rng, int64_t rows, int64_t cols, int64_t nnz)
{
    int64_t *r = malloc((size_t)nnz * sizeof *r), *c = malloc((size_t)nnz * sizeof *c);
    float *v = malloc((size_t)nnz * sizeof *v);
    for (int64_t k = 0; k < nnz; k++) {
        /* the last fifth of the rows stays empty */
        r[k] = (int64_t)(lc_rng_next(rng) % (uint64_t)(rows - rows / 5));
        c[k] = (int64_t)(lc_rng_next(rng) % (uint64_t)cols);
        v[k] = lc_rng_normal(rng);
    }
    lc_csr_t *a = NULL;
    LC_ASSERT_OK(lc_csr_from_coo(&a, rows, cols, nnz, r, c, v));
    free(r), free(c), free(v);
    return a;
}

static double max_abs(const float *x, int64_t n)
{
    double m = 0;
    for (int64_t i = 0; i < n; i++)
        m = fmax(m, fabs(x[i]));
    return m;
}

static void test_spmm_vs_graphblas(void)
{
    lc_rng_t rng;
    lc_rng_seed(&rng, 5);
    const int64_t widths[] = {1, 7, 64};
    /* the last is large enough (nnz·f > LC_I_PARALLEL_MIN_WORK at f = 64) to
     * take the kernel's parallel path, which 2 threads then run */
    const int64_t sizes[][3] = {{50, 30, 200}, {300, 411, 3000}, {1000, 800, 12000},
                                {4000, 3000, 60000}};
    LC_ASSERT_OK(lc_set_threads(2));
    for (int s = 0; s < 4; s++) {
        lc_csr_t *a = random_csr(&rng, sizes[s][0], sizes[s][1], sizes[s][2]);
        for (int wi = 0; wi < 3; wi++) {
            const int64_t f = widths[wi];
            lc_tensor_t *x = NULL, *y = NULL, *yr = NULL;
            LC_ASSERT_OK(lc_tensor_new2(&x, a->n_cols, f));
            LC_ASSERT_OK(lc_tensor_new2(&y, a->n_rows, f));
            LC_ASSERT_OK(lc_tensor_new2(&yr, a->n_rows, f));
            float *xd = lc_tensor_data(x);
            for (int64_t i = 0; i < lc_tensor_numel(x); i++)
                xd[i] = lc_rng_normal(&rng);
            lc_tensor_fill(yr, 99.0f); /* must be overwritten, zeros included */
            LC_ASSERT_OK(lc_csr_spmm(a, x, y));
            LC_ASSERT_OK(lc_csr_spmm_graphblas(a, x, yr));
            const float *yd = lc_tensor_data(y), *rd = lc_tensor_data(yr);
            double err = 0;
            for (int64_t i = 0; i < lc_tensor_numel(y); i++)
                err = fmax(err, fabs(yd[i] - rd[i]));
            double scale = max_abs(rd, lc_tensor_numel(yr));
            CU_ASSERT(scale > 0);
            CU_ASSERT(err <= 1e-5 * scale);
            /* the empty rows are zero */
            for (int64_t i = (a->n_rows - a->n_rows / 5) * f; i < a->n_rows * f; i++)
                CU_ASSERT_EQUAL(rd[i], 0.0f);
            lc_tensor_free(&x), lc_tensor_free(&y), lc_tensor_free(&yr);
        }
        lc_csr_free(&a);
    }
    LC_ASSERT_OK(lc_set_threads(1));
}

/* The SpMM op's input gradient (lc_cg_spmm: dX = Sᵀ·dY, our kernel on our
 * transpose) against GraphBLAS's product with Sᵀ built here from the swapped
 * entries, at 2 threads and a size that takes the kernel's parallel path. */
static void test_spmm_grad_vs_graphblas(void)
{
    const int64_t rows = 4000, cols = 3000, nnz = 60000, f = 64;
    lc_rng_t rng;
    lc_rng_seed(&rng, 13);
    int64_t *r = malloc((size_t)nnz * sizeof *r), *c = malloc((size_t)nnz * sizeof *c);
    float *v = malloc((size_t)nnz * sizeof *v);
    for (int64_t k = 0; k < nnz; k++) {
        r[k] = (int64_t)(lc_rng_next(&rng) % (uint64_t)rows);
        c[k] = (int64_t)(lc_rng_next(&rng) % (uint64_t)(cols - cols / 5)); /* empty rows in Sᵀ */
        v[k] = lc_rng_normal(&rng);
    }
    lc_csr_t *a = NULL, *at = NULL;
    LC_ASSERT_OK(lc_csr_from_coo(&a, rows, cols, nnz, r, c, v));
    LC_ASSERT_OK(lc_csr_from_coo(&at, cols, rows, nnz, c, r, v));
    lc_tensor_t *x0 = lc_test_rand_tensor(&rng, 2, (int64_t[]){cols, f}, -1, 1, 0), *t0 = NULL;
    lc_tensor_t *dy = NULL, *ref = NULL;
    CU_ASSERT_PTR_NOT_NULL_FATAL(x0);
    LC_ASSERT_OK(lc_tensor_new2(&dy, rows, f));
    LC_ASSERT_OK(lc_tensor_new2(&ref, cols, f));
    LC_ASSERT_OK(lc_set_threads(2));
    lc_cgraph_t *cg = NULL;
    lc_node x, y;
    LC_ASSERT_OK(lc_cg_new(&cg, 1));
    LC_ASSERT_OK(lc_cg_parameter(cg, x0, "x", &x));
    LC_ASSERT_OK(lc_cg_spmm(cg, a, x, &y));
    LC_ASSERT_OK(lc_cg_compile(cg, lc_test_mse_loss(cg, &rng, y, &t0)));
    LC_ASSERT_OK(lc_cg_forward(cg, 0));
    LC_ASSERT_OK(lc_cg_backward(cg));
    const float *yv = lc_tensor_data(lc_cg_value(cg, y));
    for (int64_t i = 0; i < rows * f; i++) /* the MSE's dY */
        lc_tensor_data(dy)[i] = 2.0f * (yv[i] - lc_tensor_data(t0)[i]) / (float)(rows * f);
    LC_ASSERT_OK(lc_csr_spmm_graphblas(at, dy, ref));
    const float *got = lc_tensor_data(lc_cg_grad(cg, x)), *rd = lc_tensor_data(ref);
    double err = 0;
    for (int64_t i = 0; i < cols * f; i++)
        err = fmax(err, fabs(got[i] - rd[i]));
    const double scale = max_abs(rd, cols * f);
    CU_ASSERT(scale > 0);
    CU_ASSERT(err <= 1e-5 * scale);
    for (int64_t i = (cols - cols / 5) * f; i < cols * f; i++) /* columns S never reads */
        CU_ASSERT_EQUAL(got[i], 0.0f);
    LC_ASSERT_OK(lc_set_threads(1));
    lc_cg_free(&cg);
    lc_csr_free(&a), lc_csr_free(&at);
    lc_tensor_free(&x0), lc_tensor_free(&t0), lc_tensor_free(&dy), lc_tensor_free(&ref);
    free(r), free(c), free(v);
}

/* The GraphBLAS reference itself against a naive double product. */
static void test_spmm_graphblas_naive(void)
{
    lc_rng_t rng;
    lc_rng_seed(&rng, 9);
    lc_csr_t *a = random_csr(&rng, 20, 13, 60);
    lc_tensor_t *x = NULL, *y = NULL, *bad = NULL;
    LC_ASSERT_OK(lc_tensor_new2(&x, 13, 3));
    LC_ASSERT_OK(lc_tensor_new2(&y, 20, 3));
    for (int64_t i = 0; i < 39; i++)
        lc_tensor_data(x)[i] = lc_rng_normal(&rng);
    LC_ASSERT_OK(lc_csr_spmm_graphblas(a, x, y));
    for (int64_t r = 0; r < 20; r++)
        for (int j = 0; j < 3; j++) {
            double s = 0;
            for (int64_t k = a->rowptr[r]; k < a->rowptr[r + 1]; k++)
                s += (double)a->val[k] * lc_tensor_data(x)[a->col[k] * 3 + j];
            CU_ASSERT_DOUBLE_EQUAL(lc_tensor_data(y)[r * 3 + j], s, 1e-5 * (1 + fabs(s)));
        }
    LC_ASSERT_OK(lc_tensor_new2(&bad, 12, 3));
    LC_ASSERT_STATUS(lc_csr_spmm_graphblas(a, bad, y), LC_ERR_SHAPE);
    LC_ASSERT_STATUS(lc_csr_spmm_graphblas(a, x, bad), LC_ERR_SHAPE);
    LC_ASSERT_STATUS(lc_csr_spmm(a, bad, y), LC_ERR_SHAPE);
    LC_ASSERT_STATUS(lc_csr_spmm_graphblas(NULL, x, y), LC_ERR_INVALID_ARG);
    lc_tensor_free(&x), lc_tensor_free(&y), lc_tensor_free(&bad);
    lc_csr_free(&a);
}

static void test_spmm_threads_bitwise(void)
{
    lc_rng_t rng;
    lc_rng_seed(&rng, 13);
    /* large enough (nnz·f > LC_I_PARALLEL_MIN_WORK) that the kernel really runs in parallel */
    lc_csr_t *a = random_csr(&rng, 3000, 2000, 40000);
    lc_tensor_t *x = NULL, *y1 = NULL, *y2 = NULL;
    LC_ASSERT_OK(lc_tensor_new2(&x, 2000, 64));
    LC_ASSERT_OK(lc_tensor_new2(&y1, 3000, 64));
    LC_ASSERT_OK(lc_tensor_new2(&y2, 3000, 64));
    for (int64_t i = 0; i < lc_tensor_numel(x); i++)
        lc_tensor_data(x)[i] = lc_rng_normal(&rng);
    LC_ASSERT_OK(lc_set_threads(1));
    LC_ASSERT_OK(lc_csr_spmm(a, x, y1));
    LC_ASSERT_OK(lc_set_threads(2));
    LC_ASSERT_OK(lc_csr_spmm(a, x, y2));
    LC_ASSERT_OK(lc_set_threads(1));
    CU_ASSERT_EQUAL(memcmp(lc_tensor_data(y1), lc_tensor_data(y2), 3000 * 64 * sizeof(float)), 0);
    lc_tensor_free(&x), lc_tensor_free(&y1), lc_tensor_free(&y2);
    lc_csr_free(&a);
}

/* ---------- igraph generators ---------- */

static int is_symmetric_loopless(const lc_graph_t *g)
{
    const int64_t m = lc_graph_num_edges(g);
    for (int64_t e = 0; e < m; e++) {
        if (lc_graph_tails(g)[e] == lc_graph_heads(g)[e]) return 0;
        if (!has_edge(g, lc_graph_heads(g)[e], lc_graph_tails(g)[e])) return 0;
    }
    return 1;
}

static int same_edges(const lc_graph_t *a, const lc_graph_t *b)
{
    if (lc_graph_num_edges(a) != lc_graph_num_edges(b)) return 0;
    size_t bytes = (size_t)lc_graph_num_edges(a) * sizeof(int64_t);
    return memcmp(lc_graph_tails(a), lc_graph_tails(b), bytes) == 0 &&
           memcmp(lc_graph_heads(a), lc_graph_heads(b), bytes) == 0;
}

static void test_erdos_renyi(void)
{
    lc_graph_t *g = NULL, *g2 = NULL, *g3 = NULL;
    LC_ASSERT_OK(lc_graph_erdos_renyi(&g, 100, 300, 42, 0));
    CU_ASSERT_EQUAL(lc_graph_num_nodes(g), 100);
    CU_ASSERT_EQUAL(lc_graph_num_edges(g), 600);
    CU_ASSERT(is_symmetric_loopless(g));
    for (int64_t e = 0; e < 600; e++)
        CU_ASSERT_EQUAL(lc_graph_weights(g)[e], 1.0f);
    LC_ASSERT_OK(lc_graph_erdos_renyi(&g2, 100, 300, 42, 0));
    CU_ASSERT(same_edges(g, g2));
    LC_ASSERT_OK(lc_graph_erdos_renyi(&g3, 100, 300, 43, 0));
    CU_ASSERT_FALSE(same_edges(g, g3));
    lc_graph_free(&g), lc_graph_free(&g2), lc_graph_free(&g3);
    /* the complete graph and flags */
    LC_ASSERT_OK(lc_graph_erdos_renyi(&g, 10, 45, 1, LC_GRAPH_SELF_LOOPS));
    CU_ASSERT_EQUAL(lc_graph_num_edges(g), 90 + 10);
    lc_graph_free(&g);
    LC_ASSERT_STATUS(lc_graph_erdos_renyi(&g, 10, 46, 1, 0), LC_ERR_INVALID_ARG);
    LC_ASSERT_ERROR_HAS("46");
    LC_ASSERT_STATUS(lc_graph_erdos_renyi(&g, -1, 0, 1, 0), LC_ERR_INVALID_ARG);
    LC_ASSERT_STATUS(lc_graph_erdos_renyi(&g, 10, -1, 1, 0), LC_ERR_INVALID_ARG);
    LC_ASSERT_STATUS(lc_graph_erdos_renyi(NULL, 10, 5, 1, 0), LC_ERR_INVALID_ARG);
    CU_ASSERT_PTR_NULL(g);
}

static void test_lattice(void)
{
    lc_graph_t *g = NULL;
    const int64_t R = 4, C = 5;
    LC_ASSERT_OK(lc_graph_lattice(&g, R, C, 0, 0));
    CU_ASSERT_EQUAL(lc_graph_num_nodes(g), R * C);
    CU_ASSERT_EQUAL(lc_graph_num_edges(g), 2 * (R * (C - 1) + C * (R - 1)));
    CU_ASSERT(is_symmetric_loopless(g));
    /* row-major numbering: (r, c) = r·C + c has neighbours (r, c±1), (r±1, c) */
    for (int64_t r = 0; r < R; r++)
        for (int64_t c = 0; c < C; c++) {
            int64_t v = r * C + c;
            if (c + 1 < C) CU_ASSERT(has_edge(g, v, v + 1));
            if (r + 1 < R) CU_ASSERT(has_edge(g, v, v + C));
        }
    CU_ASSERT_FALSE(has_edge(g, 0, C - 1));
    lc_graph_free(&g);
    LC_ASSERT_OK(lc_graph_lattice(&g, R, C, 1, 0));
    CU_ASSERT_EQUAL(lc_graph_num_edges(g), 2 * 2 * R * C);
    CU_ASSERT(is_symmetric_loopless(g));
    CU_ASSERT(has_edge(g, 0, C - 1));
    CU_ASSERT(has_edge(g, 0, (R - 1) * C));
    const float *deg = NULL;
    LC_ASSERT_OK(lc_graph_degrees(g, &deg));
    for (int64_t v = 0; v < R * C; v++)
        CU_ASSERT_EQUAL(deg[v], 4.0f);
    lc_graph_free(&g);
    /* a periodic side of length 2 has no extra wrap link (igraph keeps the
     * lattice simple): 2 × 3 torus nodes have 3 neighbours, weight 1 each */
    LC_ASSERT_OK(lc_graph_lattice(&g, 2, 3, 1, 0));
    CU_ASSERT_EQUAL(lc_graph_num_edges(g), 6 * 3);
    CU_ASSERT_EQUAL(weight_of(g, 0, 3), 1.0f);
    CU_ASSERT_EQUAL(weight_of(g, 0, 2), 1.0f);
    LC_ASSERT_OK(lc_graph_degrees(g, &deg));
    for (int64_t v = 0; v < 6; v++)
        CU_ASSERT_EQUAL(deg[v], 3.0f);
    lc_graph_free(&g);
    LC_ASSERT_STATUS(lc_graph_lattice(&g, 0, 3, 0, 0), LC_ERR_INVALID_ARG);
    LC_ASSERT_STATUS(lc_graph_lattice(&g, 3, -2, 1, 0), LC_ERR_INVALID_ARG);
    CU_ASSERT_PTR_NULL(g);
}

static void test_sbm(void)
{
    lc_graph_t *g = NULL;
    const int64_t sizes[] = {10, 20, 30};
    /* p_in = 1, p_out = 0: exactly three cliques */
    LC_ASSERT_OK(lc_graph_sbm(&g, 3, sizes, 1.0, 0.0, 1, 0));
    CU_ASSERT_EQUAL(lc_graph_num_nodes(g), 60);
    CU_ASSERT_EQUAL(lc_graph_num_edges(g), 10 * 9 + 20 * 19 + 30 * 29);
    for (int64_t e = 0; e < lc_graph_num_edges(g); e++) {
        int64_t a = lc_graph_tails(g)[e], b = lc_graph_heads(g)[e];
        int ba = a < 10 ? 0 : a < 30 ? 1 : 2, bb = b < 10 ? 0 : b < 30 ? 1 : 2;
        CU_ASSERT_EQUAL(ba, bb);
    }
    lc_graph_free(&g);
    /* mixed probabilities: denser inside blocks; deterministic per seed */
    lc_graph_t *g2 = NULL;
    LC_ASSERT_OK(lc_graph_sbm(&g, 3, sizes, 0.5, 0.05, 8, 0));
    LC_ASSERT_OK(lc_graph_sbm(&g2, 3, sizes, 0.5, 0.05, 8, 0));
    CU_ASSERT_EQUAL(lc_graph_num_nodes(g), 60);
    CU_ASSERT(is_symmetric_loopless(g));
    CU_ASSERT(same_edges(g, g2));
    int64_t inside = 0, across = 0;
    for (int64_t e = 0; e < lc_graph_num_edges(g); e++) {
        int64_t a = lc_graph_tails(g)[e], b = lc_graph_heads(g)[e];
        int ba = a < 10 ? 0 : a < 30 ? 1 : 2, bb = b < 10 ? 0 : b < 30 ? 1 : 2;
        if (ba == bb)
            inside++;
        else
            across++;
    }
    /* expected ≈ 0.5·1340 = 670 inside, 0.05·2200 = 110 across */
    CU_ASSERT(inside > 500 && inside < 840);
    CU_ASSERT(across > 50 && across < 200);
    lc_graph_free(&g), lc_graph_free(&g2);
    LC_ASSERT_STATUS(lc_graph_sbm(&g, 3, sizes, 1.5, 0.0, 1, 0), LC_ERR_INVALID_ARG);
    LC_ASSERT_ERROR_HAS("p_in");
    LC_ASSERT_STATUS(lc_graph_sbm(&g, 3, sizes, 0.5, -0.1, 1, 0), LC_ERR_INVALID_ARG);
    LC_ASSERT_ERROR_HAS("p_out");
    LC_ASSERT_STATUS(lc_graph_sbm(&g, 3, sizes, NAN, 0.1, 1, 0), LC_ERR_INVALID_ARG);
    LC_ASSERT_STATUS(lc_graph_sbm(&g, 0, sizes, 0.5, 0.1, 1, 0), LC_ERR_INVALID_ARG);
    LC_ASSERT_STATUS(lc_graph_sbm(&g, 3, NULL, 0.5, 0.1, 1, 0), LC_ERR_INVALID_ARG);
    const int64_t bad[] = {3, -1};
    LC_ASSERT_STATUS(lc_graph_sbm(&g, 2, bad, 0.5, 0.1, 1, 0), LC_ERR_INVALID_ARG);
    LC_ASSERT_ERROR_HAS("block 1");
    CU_ASSERT_PTR_NULL(g);
}

static int handler_calls;
static void test_handler(const char *reason, const char *file, int line, igraph_error_t err)
{
    (void)reason, (void)file, (void)line, (void)err;
    handler_calls++;
}

static void test_famous(void)
{
    lc_graph_t *g = NULL;
    LC_ASSERT_OK(lc_graph_famous(&g, "Zachary", 0));
    CU_ASSERT_EQUAL(lc_graph_num_nodes(g), 34);
    CU_ASSERT_EQUAL(lc_graph_num_edges(g), 156);
    CU_ASSERT(is_symmetric_loopless(g));

    /* unknown name: an error naming it, and the caller's igraph handler is back */
    igraph_error_handler_t *prev = igraph_set_error_handler(test_handler);
    lc_graph_t *bad = NULL;
    LC_ASSERT_STATUS(lc_graph_famous(&bad, "NoSuchGraph", 0), LC_ERR_INVALID_ARG);
    LC_ASSERT_ERROR_HAS("NoSuchGraph");
    CU_ASSERT_PTR_NULL(bad);
    CU_ASSERT_EQUAL(handler_calls, 0); /* ours was used during the call */
    CU_ASSERT_PTR_EQUAL(igraph_set_error_handler(prev), test_handler);
    LC_ASSERT_STATUS(lc_graph_famous(&bad, NULL, 0), LC_ERR_INVALID_ARG);

    const char *path = lc_test_data("karate/karate.edges.txt");
    if (!path) {
        lc_graph_free(&g);
        lc_test_skip("../shared/data/karate absent: Zachary edges not compared with the file");
        return;
    }
    FILE *f = fopen(path, "r");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    int64_t ft[200], fh[200], m = 0;
    char line[256];
    while (fgets(line, sizeof line, f)) {
        long long u, v;
        if (line[0] == '#') continue;
        if (sscanf(line, "%lld %lld", &u, &v) == 2 && m < 200) ft[m] = u, fh[m] = v, m++;
    }
    fclose(f);
    CU_ASSERT_EQUAL(m, 78);
    lc_graph_t *fg = NULL;
    LC_ASSERT_OK(lc_graph_from_edges(&fg, 34, m, ft, fh, NULL, LC_GRAPH_SYMMETRIZE));
    CU_ASSERT(same_edges(g, fg));
    lc_graph_free(&fg);
    lc_graph_free(&g);
}

static void test_from_igraph(void)
{
    igraph_t ig;
    igraph_vector_int_t ev = {0}; /* filled by the view; zeroed for -Wmaybe-uninitialized */
    const igraph_integer_t edges[] = {0, 1, 1, 2, 2, 0, 3, 1, 0, 1};
    igraph_vector_int_view(&ev, edges, 10);
    CU_ASSERT_EQUAL_FATAL(igraph_create(&ig, &ev, 5, IGRAPH_DIRECTED), IGRAPH_SUCCESS);
    lc_graph_t *g = NULL;
    LC_ASSERT_OK(lc_graph_from_igraph(&g, &ig, 0));
    CU_ASSERT_EQUAL(lc_graph_num_nodes(g), 5);
    CU_ASSERT_EQUAL_FATAL(lc_graph_num_edges(g), 4); /* 0->1 twice, merged */
    CU_ASSERT(has_edge(g, 0, 1) && has_edge(g, 1, 2) && has_edge(g, 2, 0) && has_edge(g, 3, 1));
    CU_ASSERT_FALSE(has_edge(g, 1, 0));
    CU_ASSERT_EQUAL(lc_graph_weights(g)[0], 2.0f);
    lc_graph_free(&g);
    igraph_destroy(&ig);

    CU_ASSERT_EQUAL_FATAL(igraph_create(&ig, &ev, 5, IGRAPH_UNDIRECTED), IGRAPH_SUCCESS);
    LC_ASSERT_OK(lc_graph_from_igraph(&g, &ig, LC_GRAPH_SELF_LOOPS));
    /* symmetrised: {0,1} {1,2} {2,0} {1,3} both ways, plus 5 loops */
    CU_ASSERT_EQUAL(lc_graph_num_edges(g), 8 + 5);
    CU_ASSERT(has_edge(g, 1, 0) && has_edge(g, 1, 3) && has_edge(g, 4, 4));
    lc_graph_free(&g);
    igraph_destroy(&ig);
    LC_ASSERT_STATUS(lc_graph_from_igraph(&g, NULL, 0), LC_ERR_INVALID_ARG);
}

int main(void)
{
    static const lc_test_case cases[] = {
        {"from_edges_errors", test_from_edges_errors},
        {"from_edges_sorted_merged", test_from_edges_sorted_merged},
        {"from_edges_flags", test_from_edges_flags},
        {"from_edges_binary", test_from_edges_binary},
        {"incidence", test_incidence},
        {"adjacency_degrees", test_adjacency_degrees},
        {"gcn_operator", test_gcn_operator},
        {"csr_from_coo_transpose", test_csr_from_coo_transpose},
        {"csr_grb_roundtrip", test_csr_grb_roundtrip},
        {"spmm_vs_graphblas", test_spmm_vs_graphblas},
        {"spmm_grad_vs_graphblas", test_spmm_grad_vs_graphblas},
        {"spmm_graphblas_naive", test_spmm_graphblas_naive},
        {"spmm_threads_bitwise", test_spmm_threads_bitwise},
        {"erdos_renyi", test_erdos_renyi},
        {"lattice", test_lattice},
        {"sbm", test_sbm},
        {"famous", test_famous},
        {"from_igraph", test_from_igraph},
        {NULL, NULL},
    };
    return lc_test_main("graph", cases);
}
