/* lattice.c — d-dimensional grids with stencil edges, node positions and edge types. */
#include <math.h>
#include <string.h>

#include "internal.h"

/* Largest stencil side: keeps k^3 − 1 edge types well inside int32 and the
 * offset loops cheap. */
#define LC_GRID_MAX_K 1023
/* Largest edge count of a grid: beyond it the edge arrays alone (plus the
 * sort's working copies) would need tens of gigabytes. */
#define LC_GRID_MAX_EDGES ((int64_t)INT32_MAX)

lc_status lc_graph_set_positions(lc_graph_t *g, int dim, const float *coords)
{
    LC_CHECK_ARG(g, "graph is NULL");
    LC_CHECK_ARG(dim >= 1 && dim <= 16, "dim = %d not in [1, 16]", dim);
    LC_CHECK_ARG(coords || g->n == 0, "coords is NULL for %lld nodes", (long long)g->n);
    const int64_t len = g->n * dim;
    for (int64_t i = 0; i < len; i++)
        if (!isfinite(coords[i]))
            return LC_ERROR(LC_ERR_INVALID_ARG, "coordinate %d of node %lld is %g, not finite",
                            (int)(i % dim), (long long)(i / dim), (double)coords[i]);
    /* One spare element so that an empty graph still gets a non-NULL array. */
    float *copy = lc_i_malloc((size_t)(len + 1) * sizeof *copy);
    if (!copy)
        return LC_ERROR(LC_ERR_OUT_OF_MEMORY, "cannot allocate %lld coordinates", (long long)len);
    if (len) memcpy(copy, coords, (size_t)len * sizeof *copy);
    lc_i_free(g->positions);
    g->positions = copy;
    g->pos_dim = dim;
    return LC_OK;
}

const float *lc_graph_positions(const lc_graph_t *g, int *dim)
{
    if (dim) *dim = g ? g->pos_dim : 0;
    return g ? g->positions : NULL;
}

const int32_t *lc_graph_edge_types(const lc_graph_t *g, int *n_types)
{
    if (n_types) *n_types = g ? g->n_edge_types : 0;
    return g ? g->edge_type : NULL;
}

/* The grid padded to three dimensions: leading dimensions of size 1 with a
 * stencil radius of 0, so that every loop below is a fixed triple loop. */
typedef struct {
    int64_t dims[3], stride[3];
    int radius[3];
    int k;
    int64_t centre; /* index of the all-zero offset among the k^d: (k^d − 1) / 2 */
    bool periodic;
} grid_shape;

static void coords_of(const grid_shape *s, int64_t v, int64_t x[3])
{
    for (int i = 0; i < 3; i++)
        x[i] = (v / s->stride[i]) % s->dims[i];
}

/* The stencil offset index (lexicographic, first dimension slowest, centre
 * skipped) of the edge tail → head; −1 if the two are not stencil neighbours. */
static int32_t offset_type(const grid_shape *s, int64_t tail, int64_t head)
{
    int64_t xt[3], xh[3];
    coords_of(s, tail, xt);
    coords_of(s, head, xh);
    int64_t index = 0;
    for (int i = 0; i < 3; i++) {
        int64_t delta = xh[i] - xt[i];
        const int r = s->radius[i];
        if (s->periodic && r > 0) {
            /* dims ≥ k, so exactly one representative of delta mod dims lies in [−r, r]. */
            delta = ((delta % s->dims[i]) + s->dims[i]) % s->dims[i];
            if (delta > r) delta -= s->dims[i];
        }
        if (delta < -r || delta > r) return -1;
        if (r > 0) index = index * s->k + (delta + r);
    }
    if (index == s->centre) return -1;
    return (int32_t)(index < s->centre ? index : index - 1);
}

/* Beyond lconv.h: k = 1 is refused (no offsets), k ≤ 1023; a periodic grid needs
 * every dims[i] ≥ k; n ≤ 2^31 − 1 and at most 2^31 − 1 edges (else
 * LC_ERR_OUT_OF_MEMORY). Edge weights are 1. Cost: O(n·k^d) time and memory. */
lc_status lc_graph_grid(lc_graph_t **out, int d, const int64_t *dims, int k, lc_boundary boundary)
{
    lc_status st = LC_OK;
    int64_t *tail = NULL, *head = NULL;
    lc_graph_t *g = NULL;

    LC_CHECK_ARG(out, "output handle is NULL");
    LC_CHECK_ARG(d >= 1 && d <= 3, "d = %d dimensions not in {1, 2, 3}", d);
    LC_CHECK_ARG(dims, "dims is NULL");
    LC_CHECK_ARG(boundary == LC_BOUNDARY_ZERO || boundary == LC_BOUNDARY_PERIODIC,
                 "unknown boundary %d (LC_BOUNDARY_ZERO or LC_BOUNDARY_PERIODIC)", (int)boundary);
    LC_CHECK_ARG(k >= 1 && k <= LC_GRID_MAX_K, "k = %d not in [3, %d]", k, LC_GRID_MAX_K);
    LC_CHECK_ARG(k % 2 == 1, "k = %d is even (a stencil needs a centre)", k);
    /* k = 1 is refused rather than giving an edgeless graph: a 1-wide stencil has
     * no offsets, hence no generators, and a lattice layer on it would be a
     * plain linear layer. */
    LC_CHECK_ARG(k != 1, "k = 1 has no stencil offsets (k must be at least 3)");
    const bool periodic = boundary == LC_BOUNDARY_PERIODIC;
    int64_t n = 1;
    for (int i = 0; i < d; i++) {
        LC_CHECK_ARG(dims[i] >= 1, "dims[%d] = %lld < 1", i, (long long)dims[i]);
        LC_CHECK_ARG(dims[i] <= INT32_MAX / n, "dims[%d] = %lld takes the grid past 2^31 - 1 nodes",
                     i, (long long)dims[i]);
        n *= dims[i];
        /* With dims[i] < k two offsets would wrap onto the same neighbour, and
         * the merged edge could carry only one of their types. */
        LC_CHECK_ARG(!periodic || dims[i] >= k,
                     "periodic boundary needs every dims[i] >= k: dims[%d] = %lld < k = %d", i,
                     (long long)dims[i], k);
    }

    grid_shape s = {.k = k, .periodic = periodic};
    const int pad = 3 - d;
    for (int i = 0; i < 3; i++) {
        s.dims[i] = i < pad ? 1 : dims[i - pad];
        s.radius[i] = i < pad ? 0 : (k - 1) / 2;
    }
    s.stride[2] = 1;
    for (int i = 1; i >= 0; i--)
        s.stride[i] = s.stride[i + 1] * s.dims[i + 1];

    /* Edge count: periodic, every node has every offset; zero boundary, the
     * number of (coordinate, offset) pairs that stay inside, per dimension,
     * multiplied, minus the centre offset of every node. Bounded by
     * n·k^d < 2^61, so no overflow. */
    int64_t types = 1, m;
    for (int i = 0; i < d; i++)
        types *= k;
    types -= 1;
    s.centre = types / 2;
    if (periodic) {
        m = n * types;
    } else {
        int64_t pairs = 1;
        for (int i = 0; i < 3; i++) {
            int64_t c = 0;
            for (int o = -s.radius[i]; o <= s.radius[i]; o++)
                c += s.dims[i] > (o < 0 ? -o : o) ? s.dims[i] - (o < 0 ? -o : o) : 0;
            pairs *= c;
        }
        m = pairs - n;
    }
    if (m > LC_GRID_MAX_EDGES)
        return LC_ERROR(LC_ERR_OUT_OF_MEMORY,
                        "a grid of %lld nodes with a %d-wide stencil has %lld edges (more than "
                        "2^31 - 1)",
                        (long long)n, k, (long long)m);

    /* One spare element each, so that a 1-node grid (no edges) still allocates. */
    tail = lc_i_malloc((size_t)(m + 1) * sizeof *tail);
    head = lc_i_malloc((size_t)(m + 1) * sizeof *head);
    if (!tail || !head) LC_FAIL(LC_ERR_OUT_OF_MEMORY, "cannot allocate %lld edges", (long long)m);
    int64_t e = 0;
    for (int64_t v = 0; v < n; v++) {
        int64_t x[3], lo[3], hi[3];
        coords_of(&s, v, x);
        for (int i = 0; i < 3; i++) {
            lo[i] = -s.radius[i], hi[i] = s.radius[i];
            if (!periodic) { /* zero padding: offsets leaving the grid get no edge */
                if (lo[i] < -x[i]) lo[i] = -x[i];
                if (hi[i] > s.dims[i] - 1 - x[i]) hi[i] = s.dims[i] - 1 - x[i];
            }
        }
        for (int64_t o0 = lo[0]; o0 <= hi[0]; o0++)
            for (int64_t o1 = lo[1]; o1 <= hi[1]; o1++)
                for (int64_t o2 = lo[2]; o2 <= hi[2]; o2++) {
                    if (o0 == 0 && o1 == 0 && o2 == 0) continue;
                    const int64_t o[3] = {o0, o1, o2};
                    int64_t h = 0;
                    for (int i = 0; i < 3; i++) {
                        int64_t y = x[i] + o[i];
                        if (y < 0) y += s.dims[i];
                        if (y >= s.dims[i]) y -= s.dims[i];
                        h += y * s.stride[i];
                    }
                    tail[e] = v, head[e] = h, e++;
                }
    }
    if (e != m) /* the count above and the loops disagree: a bug, not bad input */
        LC_FAIL(LC_ERR_BACKEND, "internal error: generated %lld edges, expected %lld", (long long)e,
                (long long)m);

    LC_TRY(lc_graph_from_edges(&g, n, m, tail, head, NULL, 0));
    if (g->m != m)
        LC_FAIL(LC_ERR_BACKEND, "internal error: %lld of %lld grid edges were merged",
                (long long)(m - g->m), (long long)m);
    /* lc_graph_from_edges sorted the edges by (tail, head): the types are
     * recomputed from the stored endpoints rather than carried through the sort. */
    g->edge_type = lc_i_malloc((size_t)(m + 1) * sizeof *g->edge_type);
    g->positions = lc_i_malloc((size_t)(n * d) * sizeof *g->positions);
    if (!g->edge_type || !g->positions)
        LC_FAIL(LC_ERR_OUT_OF_MEMORY, "cannot allocate the edge types and positions of %lld nodes",
                (long long)n);
    for (int64_t i = 0; i < m; i++) {
        const int32_t t = offset_type(&s, g->tail[i], g->head[i]);
        if (t < 0)
            LC_FAIL(LC_ERR_BACKEND, "internal error: edge %lld -> %lld is not a stencil offset",
                    (long long)g->tail[i], (long long)g->head[i]);
        g->edge_type[i] = t;
    }
    g->n_edge_types = (int)types;
    for (int64_t v = 0; v < n; v++) {
        int64_t x[3];
        coords_of(&s, v, x);
        for (int i = 0; i < d; i++)
            g->positions[v * d + i] = (float)x[pad + i];
    }
    g->pos_dim = d;
    g->grid_d = d, g->grid_k = k, g->grid_boundary = (int)boundary;
    for (int i = 0; i < d; i++)
        g->grid_dims[i] = dims[i];
    *out = g;
    g = NULL;
done:
    lc_graph_free(&g);
    lc_i_free(tail);
    lc_i_free(head);
    return st;
}

lc_status lc_i_grid_with_stencil(lc_graph_t *g, int k, lc_graph_t **out)
{
    if (!g || !g->grid_k)
        return LC_ERROR(LC_ERR_INVALID_ARG,
                        "the graph is not a grid (it has no stencil edge types); build it with "
                        "lc_graph_grid");
    if (g->grid_k == k) {
        *out = g;
        return LC_OK;
    }
    lc_status st = LC_OK;
    const int slots = (int)(sizeof g->restencil / sizeof g->restencil[0]);
    lc_i_lazy_lock(); /* two models built at once on one dataset share the cache */
    *out = NULL;
    int free_slot = -1;
    for (int i = 0; i < slots && !*out; i++) {
        if (g->restencil[i] && g->restencil[i]->grid_k == k) *out = g->restencil[i];
        if (!g->restencil[i] && free_slot < 0) free_slot = i;
    }
    if (!*out) {
        if (free_slot < 0)
            st = LC_ERROR(LC_ERR_INVALID_ARG,
                          "the grid already carries %d other stencil sides; k = %d is one too many",
                          slots, k);
        else if (!(st = lc_graph_grid(&g->restencil[free_slot], g->grid_d, g->grid_dims, k,
                                      (lc_boundary)g->grid_boundary)))
            *out = g->restencil[free_slot];
    }
    lc_i_lazy_unlock();
    return st;
}
