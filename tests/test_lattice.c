/* test_lattice.c — grids with stencil edges; the lattice layer against a naive direct convolution.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "layer.h"

static lc_rng_t rng;

/* ---------- the test's own grid arithmetic (independent of graphs/lattice.c) ---------- */

typedef struct {
    int d;
    int64_t dims[3];
    int k;
    lc_boundary boundary;
} grid_spec;

static int64_t grid_nodes(const grid_spec *s)
{
    int64_t n = 1;
    for (int i = 0; i < s->d; i++)
        n *= s->dims[i];
    return n;
}
static int grid_taps(const grid_spec *s) /* k^d, the centre included */
{
    int t = 1;
    for (int i = 0; i < s->d; i++)
        t *= s->k;
    return t;
}
/* Row-major, last dimension fastest. */
static void node_coords(const grid_spec *s, int64_t v, int64_t *x)
{
    for (int i = s->d - 1; i >= 0; i--)
        x[i] = v % s->dims[i], v /= s->dims[i];
}
/* Tap t (lexicographic over [−r, r]^d, first dimension slowest) as an offset. */
static void tap_offset(const grid_spec *s, int t, int64_t *o)
{
    const int r = (s->k - 1) / 2;
    for (int i = s->d - 1; i >= 0; i--)
        o[i] = t % s->k - r, t /= s->k;
}
/* The node at v + o, or −1 when it leaves a zero-padded grid. */
static int64_t neighbour(const grid_spec *s, int64_t v, const int64_t *o)
{
    int64_t x[3], u = 0;
    node_coords(s, v, x);
    for (int i = 0; i < s->d; i++) {
        int64_t y = x[i] + o[i];
        if (s->boundary == LC_BOUNDARY_PERIODIC)
            y = ((y % s->dims[i]) + s->dims[i]) % s->dims[i];
        else if (y < 0 || y >= s->dims[i])
            return -1;
        u = u * s->dims[i] + y;
    }
    return u;
}
/* Generator index of tap t: the taps with the centre left out. */
static int tap_generator(const grid_spec *s, int t)
{
    const int centre = (grid_taps(s) - 1) / 2;
    return t < centre ? t : t - 1;
}

static double max_abs(const double *a, int64_t len)
{
    double m = 0;
    for (int64_t i = 0; i < len; i++)
        m = fmax(m, fabs(a[i]));
    return m;
}
/* max |a − b| / max |b|. */
static double rel_err(const float *a, const double *b, int64_t len)
{
    double e = 0;
    for (int64_t i = 0; i < len; i++)
        e = fmax(e, fabs((double)a[i] - b[i]));
    return e / fmax(max_abs(b, len), 1e-30);
}

/* ---------- grid construction ---------- */

/* Every check of one grid: counts, sorted unique edges, each edge a stencil
 * offset whose index is the edge type, every in-grid (node, offset) pair
 * present, positions = coordinates. */
static void check_grid(const grid_spec *s)
{
    lc_graph_t *g = NULL;
    LC_ASSERT_OK(lc_graph_grid(&g, s->d, s->dims, s->k, s->boundary));
    const int64_t n = grid_nodes(s), m = lc_graph_num_edges(g);
    const int taps = grid_taps(s), centre = (taps - 1) / 2;
    CU_ASSERT_EQUAL(lc_graph_num_nodes(g), n);
    int64_t expected = 0;
    for (int64_t v = 0; v < n; v++)
        for (int t = 0; t < taps; t++) {
            int64_t o[3];
            tap_offset(s, t, o);
            if (t != centre && neighbour(s, v, o) >= 0) expected++;
        }
    CU_ASSERT_EQUAL(m, expected);
    if (s->boundary == LC_BOUNDARY_PERIODIC) CU_ASSERT_EQUAL(m, n * (taps - 1));
    int n_types = 0;
    const int32_t *type = lc_graph_edge_types(g, &n_types);
    CU_ASSERT_PTR_NOT_NULL_FATAL(type);
    CU_ASSERT_EQUAL(n_types, taps - 1);
    const int64_t *tail = lc_graph_tails(g), *head = lc_graph_heads(g);
    const float *w = lc_graph_weights(g);
    unsigned char *seen = calloc((size_t)(n * taps), 1);
    int bad = 0;
    for (int64_t e = 0; e < m; e++) {
        if (e > 0 && !(tail[e - 1] < tail[e] || (tail[e - 1] == tail[e] && head[e - 1] < head[e])))
            bad++; /* sorted by (tail, head), no duplicates */
        if (w[e] != 1.0f) bad++;
        /* the offset of this edge, from the coordinates */
        int found = -1;
        for (int t = 0; t < taps; t++) {
            int64_t o[3];
            tap_offset(s, t, o);
            if (t != centre && neighbour(s, tail[e], o) == head[e]) found = t;
        }
        if (found < 0 || type[e] != tap_generator(s, found)) {
            if (bad < 5)
                fprintf(stderr, "\n  edge %lld (%lld -> %lld): type %d, offset tap %d\n",
                        (long long)e, (long long)tail[e], (long long)head[e], type[e], found);
            bad++;
            continue;
        }
        if (seen[tail[e] * taps + found]++) bad++; /* one edge per (node, offset) */
    }
    CU_ASSERT_EQUAL(bad, 0);
    free(seen);
    int dim = 0;
    const float *pos = lc_graph_positions(g, &dim);
    CU_ASSERT_PTR_NOT_NULL_FATAL(pos);
    CU_ASSERT_EQUAL(dim, s->d);
    int wrong = 0;
    for (int64_t v = 0; v < n; v++) {
        int64_t x[3];
        node_coords(s, v, x);
        for (int i = 0; i < s->d; i++)
            wrong += pos[v * s->d + i] != (float)x[i];
    }
    CU_ASSERT_EQUAL(wrong, 0);
    lc_graph_free(&g);
}

static void test_grid_construction(void)
{
    static const grid_spec specs[] = {
        {1, {7}, 3, LC_BOUNDARY_ZERO},           {1, {7}, 3, LC_BOUNDARY_PERIODIC},
        {1, {9}, 5, LC_BOUNDARY_ZERO},           {1, {5}, 5, LC_BOUNDARY_PERIODIC},
        {1, {2}, 5, LC_BOUNDARY_ZERO},           {2, {4, 5}, 3, LC_BOUNDARY_ZERO},
        {2, {4, 5}, 3, LC_BOUNDARY_PERIODIC},    {2, {3, 3}, 3, LC_BOUNDARY_PERIODIC},
        {2, {6, 5}, 5, LC_BOUNDARY_ZERO},        {2, {5, 6}, 5, LC_BOUNDARY_PERIODIC},
        {2, {1, 6}, 3, LC_BOUNDARY_ZERO},        {3, {3, 4, 5}, 3, LC_BOUNDARY_ZERO},
        {3, {3, 4, 5}, 3, LC_BOUNDARY_PERIODIC}, {3, {5, 5, 6}, 5, LC_BOUNDARY_PERIODIC},
        {3, {2, 3, 4}, 5, LC_BOUNDARY_ZERO},
    };
    for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++)
        check_grid(&specs[i]);

    /* Counts worked out by hand. A path of 5 nodes: 2 neighbours inside, 1 at
     * each end. A 3 × 3 king graph: 4 corners × 3 + 4 sides × 5 + centre 8. */
    lc_graph_t *g = NULL;
    LC_ASSERT_OK(lc_graph_grid(&g, 1, (int64_t[]){5}, 3, LC_BOUNDARY_ZERO));
    CU_ASSERT_EQUAL(lc_graph_num_edges(g), 8);
    lc_graph_free(&g);
    LC_ASSERT_OK(lc_graph_grid(&g, 2, (int64_t[]){3, 3}, 3, LC_BOUNDARY_ZERO));
    CU_ASSERT_EQUAL(lc_graph_num_edges(g), 40);
    /* node 4 (the centre) → node 0 is offset (−1, −1): type 0; → 8 is (1, 1): type 7 */
    const int32_t *type = lc_graph_edge_types(g, NULL);
    for (int64_t e = 0; e < lc_graph_num_edges(g); e++) {
        if (lc_graph_tails(g)[e] == 4 && lc_graph_heads(g)[e] == 0) CU_ASSERT_EQUAL(type[e], 0);
        if (lc_graph_tails(g)[e] == 4 && lc_graph_heads(g)[e] == 5) CU_ASSERT_EQUAL(type[e], 4);
        if (lc_graph_tails(g)[e] == 4 && lc_graph_heads(g)[e] == 8) CU_ASSERT_EQUAL(type[e], 7);
    }
    lc_graph_free(&g);
    /* periodic 1-D ring of 3 with k = 3: node 0 → 2 is offset −1 (type 0) */
    LC_ASSERT_OK(lc_graph_grid(&g, 1, (int64_t[]){3}, 3, LC_BOUNDARY_PERIODIC));
    CU_ASSERT_EQUAL(lc_graph_num_edges(g), 6);
    CU_ASSERT_EQUAL(lc_graph_heads(g)[0], 1);
    CU_ASSERT_EQUAL(lc_graph_edge_types(g, NULL)[0], 1);
    CU_ASSERT_EQUAL(lc_graph_heads(g)[1], 2);
    CU_ASSERT_EQUAL(lc_graph_edge_types(g, NULL)[1], 0);
    lc_graph_free(&g);
    /* a single node: no edge, still a grid */
    LC_ASSERT_OK(lc_graph_grid(&g, 2, (int64_t[]){1, 1}, 3, LC_BOUNDARY_ZERO));
    CU_ASSERT_EQUAL(lc_graph_num_nodes(g), 1);
    CU_ASSERT_EQUAL(lc_graph_num_edges(g), 0);
    CU_ASSERT_PTR_NOT_NULL(lc_graph_edge_types(g, NULL));
    lc_graph_free(&g);
}

static void test_grid_errors(void)
{
    lc_graph_t *g = NULL;
    const int64_t d3[3] = {4, 4, 4};
    LC_ASSERT_STATUS(lc_graph_grid(&g, 4, (int64_t[]){3, 3, 3, 3}, 3, LC_BOUNDARY_ZERO),
                     LC_ERR_INVALID_ARG);
    LC_ASSERT_ERROR_HAS("d = 4");
    LC_ASSERT_STATUS(lc_graph_grid(&g, 0, d3, 3, LC_BOUNDARY_ZERO), LC_ERR_INVALID_ARG);
    LC_ASSERT_STATUS(lc_graph_grid(&g, 2, NULL, 3, LC_BOUNDARY_ZERO), LC_ERR_INVALID_ARG);
    LC_ASSERT_STATUS(lc_graph_grid(NULL, 2, d3, 3, LC_BOUNDARY_ZERO), LC_ERR_INVALID_ARG);
    LC_ASSERT_STATUS(lc_graph_grid(&g, 2, d3, 4, LC_BOUNDARY_ZERO), LC_ERR_INVALID_ARG);
    LC_ASSERT_ERROR_HAS("k = 4 is even");
    LC_ASSERT_STATUS(lc_graph_grid(&g, 2, d3, 2, LC_BOUNDARY_PERIODIC), LC_ERR_INVALID_ARG);
    LC_ASSERT_STATUS(lc_graph_grid(&g, 2, d3, 1, LC_BOUNDARY_ZERO), LC_ERR_INVALID_ARG);
    LC_ASSERT_ERROR_HAS("k = 1");
    LC_ASSERT_STATUS(lc_graph_grid(&g, 2, d3, 0, LC_BOUNDARY_ZERO), LC_ERR_INVALID_ARG);
    LC_ASSERT_STATUS(lc_graph_grid(&g, 2, d3, -3, LC_BOUNDARY_ZERO), LC_ERR_INVALID_ARG);
    LC_ASSERT_STATUS(lc_graph_grid(&g, 1, d3, 1 << 20, LC_BOUNDARY_ZERO), LC_ERR_INVALID_ARG);
    LC_ASSERT_STATUS(lc_graph_grid(&g, 2, d3, 3, (lc_boundary)7), LC_ERR_INVALID_ARG);
    LC_ASSERT_ERROR_HAS("boundary");
    LC_ASSERT_STATUS(lc_graph_grid(&g, 2, (int64_t[]){4, 0}, 3, LC_BOUNDARY_ZERO),
                     LC_ERR_INVALID_ARG);
    LC_ASSERT_ERROR_HAS("dims[1] = 0");
    LC_ASSERT_STATUS(lc_graph_grid(&g, 2, (int64_t[]){-4, 4}, 3, LC_BOUNDARY_ZERO),
                     LC_ERR_INVALID_ARG);
    /* periodic sides shorter than k: two offsets would wrap onto one neighbour */
    LC_ASSERT_STATUS(lc_graph_grid(&g, 2, (int64_t[]){4, 2}, 3, LC_BOUNDARY_PERIODIC),
                     LC_ERR_INVALID_ARG);
    LC_ASSERT_ERROR_HAS("dims[1] = 2 < k = 3");
    LC_ASSERT_STATUS(lc_graph_grid(&g, 3, (int64_t[]){5, 4, 5}, 5, LC_BOUNDARY_PERIODIC),
                     LC_ERR_INVALID_ARG);
    LC_ASSERT_ERROR_HAS("dims[1] = 4 < k = 5");
    /* ...but fine with zero padding */
    LC_ASSERT_OK(lc_graph_grid(&g, 2, (int64_t[]){4, 2}, 3, LC_BOUNDARY_ZERO));
    lc_graph_free(&g);
    /* absurd sizes: refused up front, nothing allocated */
    LC_ASSERT_STATUS(lc_graph_grid(&g, 2, (int64_t[]){1 << 20, 1 << 20}, 3, LC_BOUNDARY_ZERO),
                     LC_ERR_INVALID_ARG);
    LC_ASSERT_ERROR_HAS("2^31");
    LC_ASSERT_STATUS(
        lc_graph_grid(&g, 3, (int64_t[]){INT64_MAX, INT64_MAX, 2}, 3, LC_BOUNDARY_ZERO),
        LC_ERR_INVALID_ARG);
    LC_ASSERT_STATUS(lc_graph_grid(&g, 1, (int64_t[]){(int64_t)1 << 30}, 9, LC_BOUNDARY_PERIODIC),
                     LC_ERR_OUT_OF_MEMORY);
    LC_ASSERT_ERROR_HAS("edges");
    CU_ASSERT_PTR_NULL(g);
}

static void test_positions(void)
{
    lc_graph_t *g = NULL;
    LC_ASSERT_OK(lc_graph_from_edges(&g, 3, 2, (int64_t[]){0, 1}, (int64_t[]){1, 2}, NULL, 0));
    int dim = -1;
    CU_ASSERT_PTR_NULL(lc_graph_positions(g, &dim));
    CU_ASSERT_EQUAL(dim, 0);
    CU_ASSERT_PTR_NULL(lc_graph_edge_types(g, &dim));
    CU_ASSERT_EQUAL(dim, 0);
    float c[6] = {0, 1, 2, 3, 4, 5};
    LC_ASSERT_OK(lc_graph_set_positions(g, 2, c));
    c[0] = 99; /* copied, not referenced */
    const float *p = lc_graph_positions(g, &dim);
    CU_ASSERT_EQUAL(dim, 2);
    CU_ASSERT_EQUAL(p[0], 0.0f);
    CU_ASSERT_EQUAL(p[5], 5.0f);
    LC_ASSERT_OK(lc_graph_set_positions(g, 1, c)); /* replaces */
    p = lc_graph_positions(g, &dim);
    CU_ASSERT_EQUAL(dim, 1);
    CU_ASSERT_EQUAL(p[0], 99.0f);
    CU_ASSERT_EQUAL(p[2], 2.0f);
    LC_ASSERT_STATUS(lc_graph_set_positions(g, 0, c), LC_ERR_INVALID_ARG);
    LC_ASSERT_STATUS(lc_graph_set_positions(g, 17, c), LC_ERR_INVALID_ARG);
    LC_ASSERT_STATUS(lc_graph_set_positions(g, 2, NULL), LC_ERR_INVALID_ARG);
    LC_ASSERT_STATUS(lc_graph_set_positions(NULL, 2, c), LC_ERR_INVALID_ARG);
    c[3] = NAN;
    LC_ASSERT_STATUS(lc_graph_set_positions(g, 2, c), LC_ERR_INVALID_ARG);
    LC_ASSERT_ERROR_HAS("node 1");
    c[3] = INFINITY;
    LC_ASSERT_STATUS(lc_graph_set_positions(g, 3, c), LC_ERR_INVALID_ARG);
    /* the failed calls left the previous positions in place */
    p = lc_graph_positions(g, &dim);
    CU_ASSERT_EQUAL(dim, 1);
    CU_ASSERT_EQUAL(p[0], 99.0f);
    CU_ASSERT_PTR_NULL(lc_graph_positions(NULL, &dim));
    CU_ASSERT_EQUAL(dim, 0);
    lc_graph_free(&g);
}

/* ---------- the lattice layer against a direct convolution ---------- */

/* A direct cross-correlation y[v, b] = Σ_t x[v + o_t, b]·K[t] + bias over the
 * k^d taps, with zero padding or periodic wrap, in double. K is [taps, cin, cout]. */
static void naive_conv(const grid_spec *s, int64_t B, int64_t cin, int64_t cout, const double *x,
                       const double *K, const double *bias, double *y)
{
    const int64_t n = grid_nodes(s);
    const int taps = grid_taps(s);
    for (int64_t v = 0; v < n; v++)
        for (int64_t b = 0; b < B; b++) {
            double *yv = y + (v * B + b) * cout;
            for (int64_t j = 0; j < cout; j++)
                yv[j] = bias ? bias[j] : 0;
            for (int t = 0; t < taps; t++) {
                int64_t o[3];
                tap_offset(s, t, o);
                const int64_t u = neighbour(s, v, o);
                if (u < 0) continue;
                const double *xu = x + (u * B + b) * cin;
                for (int64_t i = 0; i < cin; i++)
                    for (int64_t j = 0; j < cout; j++)
                        yv[j] += xu[i] * K[(t * cin + i) * cout + j];
            }
        }
}

/* Its gradients, by hand: with dY given, dX[v + o_t] += dY[v]·K[t]ᵀ,
 * dK[t] += x[v + o_t]ᵀ·dY[v], db = Σ dY. Outputs are overwritten. */
static void naive_conv_grad(const grid_spec *s, int64_t B, int64_t cin, int64_t cout,
                            const double *x, const double *K, const double *dy, double *dx,
                            double *dK, double *db)
{
    const int64_t n = grid_nodes(s);
    const int taps = grid_taps(s);
    memset(dx, 0, (size_t)(n * B * cin) * sizeof *dx);
    memset(dK, 0, (size_t)(taps * cin * cout) * sizeof *dK);
    memset(db, 0, (size_t)cout * sizeof *db);
    for (int64_t v = 0; v < n; v++)
        for (int64_t b = 0; b < B; b++) {
            const double *g = dy + (v * B + b) * cout;
            for (int64_t j = 0; j < cout; j++)
                db[j] += g[j];
            for (int t = 0; t < taps; t++) {
                int64_t o[3];
                tap_offset(s, t, o);
                const int64_t u = neighbour(s, v, o);
                if (u < 0) continue;
                for (int64_t i = 0; i < cin; i++)
                    for (int64_t j = 0; j < cout; j++) {
                        dx[(u * B + b) * cin + i] += g[j] * K[(t * cin + i) * cout + j];
                        dK[(t * cin + i) * cout + j] += x[(u * B + b) * cin + i] * g[j];
                    }
            }
        }
}

static lc_tensor_t *tensor_of(int ndim, const int64_t *shape, const double *src)
{
    lc_tensor_t *t = NULL;
    if (lc_tensor_new(&t, ndim, shape)) return NULL;
    for (int64_t i = 0; i < lc_tensor_numel(t); i++)
        lc_tensor_data(t)[i] = (float)src[i];
    return t;
}

/* Parameters that no builder of the test needs: the core takes its weights as nodes. */
static lc_status no_params(lc_i_build_ctx *ctx, const lc_tensor_t *init, const char *what,
                           bool decay, lc_node *out)
{
    (void)ctx, (void)init, (void)what, (void)decay, (void)out;
    return LC_ERR_STATE;
}

typedef struct {
    grid_spec grid;
    int64_t B, cin, cout;
    bool w0, bias; /* with the centre tap / the bias */
} conv_case;

/* Where tap W_o[i, j] of generator o sits in W_all: side by side [cin, p·cout]
 * (projected first) or stacked [p·cin, cout] (aggregated first). */
static int64_t wa_index(bool stacked, int64_t cin, int64_t cout, int p, int64_t i, int o, int64_t j)
{
    return stacked ? ((int64_t)o * cin + i) * cout + j : i * p * cout + (int64_t)o * cout + j;
}

/* One lattice layer (lc_i_lattice_conv) with the weights of a random kernel K
 * against naive_conv: output within 1e-5, and the gradients of an MSE loss
 * w.r.t. X, W0, W_all and b within 1e-4 of the hand-derived ones. */
static void check_conv_layout(const conv_case *c, bool stacked)
{
    const grid_spec *s = &c->grid;
    lc_graph_t *g = NULL;
    LC_ASSERT_OK(lc_graph_grid(&g, s->d, s->dims, s->k, s->boundary));
    const int64_t n = grid_nodes(s), B = c->B, cin = c->cin, cout = c->cout;
    const int taps = grid_taps(s), p = taps - 1, centre = p / 2;
    const int64_t nx = n * B * cin, ny = n * B * cout, nk = (int64_t)taps * cin * cout;
    double *x = malloc((size_t)nx * sizeof *x), *K = calloc((size_t)nk, sizeof *K),
           *bias = calloc((size_t)cout, sizeof *bias), *y = malloc((size_t)ny * sizeof *y),
           *target = malloc((size_t)ny * sizeof *target), *dy = malloc((size_t)ny * sizeof *dy),
           *dx = malloc((size_t)nx * sizeof *dx), *dK = malloc((size_t)nk * sizeof *dK),
           *db = malloc((size_t)cout * sizeof *db);
    double *w_all = malloc((size_t)(cin * p * cout) * sizeof *w_all);
    for (int64_t i = 0; i < nx; i++)
        x[i] = 2.0 * lc_rng_uniform(&rng) - 1.0;
    for (int t = 0; t < taps; t++)
        for (int64_t i = 0; i < cin * cout; i++)
            if (t != centre || c->w0) K[t * cin * cout + i] = 2.0 * lc_rng_uniform(&rng) - 1.0;
    for (int64_t j = 0; j < cout; j++)
        if (c->bias) bias[j] = lc_rng_normal(&rng);
    for (int64_t i = 0; i < ny; i++)
        target[i] = lc_rng_normal(&rng);
    /* W_all[i, gen(t)·cout + j] = K[t, i, j], W0 = K[centre] */
    for (int t = 0; t < taps; t++) {
        if (t == centre) continue;
        for (int64_t i = 0; i < cin; i++)
            for (int64_t j = 0; j < cout; j++)
                w_all[wa_index(stacked, cin, cout, p, i, tap_generator(s, t), j)] =
                    K[(t * cin + i) * cout + j];
    }
    naive_conv(s, B, cin, cout, x, K, bias, y);
    for (int64_t i = 0; i < ny; i++)
        dy[i] = 2.0 * (y[i] - target[i]) / (double)ny; /* MSE */
    naive_conv_grad(s, B, cin, cout, x, K, dy, dx, dK, db);

    const int nd = B > 1 ? 3 : 2; /* [n, c] without a batch, [n, B, c] with one */
    const int64_t xshape[3] = {n, B > 1 ? B : cin, cin}, yshape[3] = {n, B > 1 ? B : cout, cout};
    lc_tensor_t *tx = tensor_of(nd, xshape, x), *tt = tensor_of(nd, yshape, target),
                *tw0 = tensor_of(2, (int64_t[]){cin, cout}, K + centre * cin * cout),
                *twa = tensor_of(2,
                                 stacked ? (int64_t[]){p * cin, cout} : (int64_t[]){cin, p * cout},
                                 w_all),
                *tb = tensor_of(1, &cout, bias);
    lc_cgraph_t *cg = NULL;
    LC_ASSERT_OK(lc_cg_new(&cg, 1));
    lc_node nxn, nw0 = -1, nwa, nb = -1, ny_, nt, loss;
    LC_ASSERT_OK(lc_cg_parameter(cg, tx, "x", &nxn));
    LC_ASSERT_OK(lc_cg_parameter(cg, twa, "w_all", &nwa));
    if (c->w0) LC_ASSERT_OK(lc_cg_parameter(cg, tw0, "w0", &nw0));
    if (c->bias) LC_ASSERT_OK(lc_cg_parameter(cg, tb, "b", &nb));
    lc_i_build_ctx ctx = {.cg = cg, .graph = g, .layer = 0, .add_param = no_params};
    lc_i_flow in = {.node = nxn, .width = cin};
    LC_ASSERT_OK(lc_i_lattice_conv(&ctx, s->k, in, cout, nw0, nwa, nb, &ny_));
    LC_ASSERT_OK(lc_cg_constant(cg, tt, &nt));
    LC_ASSERT_OK(lc_cg_mse(cg, ny_, nt, &loss));
    LC_ASSERT_OK(lc_cg_compile(cg, loss));
    LC_ASSERT_OK(lc_cg_forward(cg, 0));
    LC_ASSERT_OK(lc_cg_backward(cg));

    const lc_tensor_t *out = lc_cg_value(cg, ny_);
    CU_ASSERT_EQUAL(lc_tensor_ndim(out), nd);
    CU_ASSERT_EQUAL(lc_tensor_numel(out), ny);
    double e_y = rel_err(lc_tensor_data(out), y, ny);
    double e_x = rel_err(lc_tensor_data(lc_cg_grad(cg, nxn)), dx, nx);
    /* dW_all[i, gen(t)·cout + j] = dK[t, i, j] */
    double *dwa = malloc((size_t)(cin * p * cout) * sizeof *dwa);
    for (int t = 0; t < taps; t++)
        if (t != centre)
            for (int64_t i = 0; i < cin; i++)
                for (int64_t j = 0; j < cout; j++)
                    dwa[wa_index(stacked, cin, cout, p, i, tap_generator(s, t), j)] =
                        dK[(t * cin + i) * cout + j];
    double e_wa = rel_err(lc_tensor_data(lc_cg_grad(cg, nwa)), dwa, cin * p * cout);
    double e_w0 =
        c->w0 ? rel_err(lc_tensor_data(lc_cg_grad(cg, nw0)), dK + centre * cin * cout, cin * cout)
              : 0;
    double e_b = c->bias ? rel_err(lc_tensor_data(lc_cg_grad(cg, nb)), db, cout) : 0;
    if (e_y > 1e-5 || e_x > 1e-4 || e_wa > 1e-4 || e_w0 > 1e-4 || e_b > 1e-4)
        fprintf(
            stderr,
            "\n  d=%d k=%d %s B=%lld cin=%lld cout=%lld %s: rel. errors y %.2g dX %.2g dW_all "
            "%.2g dW0 %.2g db %.2g\n",
            s->d, s->k, s->boundary == LC_BOUNDARY_PERIODIC ? "periodic" : "zero", (long long)B,
            (long long)cin, (long long)cout, stacked ? "stacked" : "side by side", e_y, e_x, e_wa,
            e_w0, e_b);
    CU_ASSERT(e_y <= 1e-5);
    CU_ASSERT(e_x <= 1e-4);
    CU_ASSERT(e_wa <= 1e-4);
    CU_ASSERT(e_w0 <= 1e-4);
    CU_ASSERT(e_b <= 1e-4);
    /* the reference is not trivially zero */
    CU_ASSERT(max_abs(y, ny) > 0.1);
    CU_ASSERT(max_abs(dx, nx) > 0);

    free(dwa);
    lc_cg_free(&cg);
    lc_tensor_free(&tx);
    lc_tensor_free(&tt);
    lc_tensor_free(&tw0);
    lc_tensor_free(&twa);
    lc_tensor_free(&tb);
    lc_graph_free(&g);
    free(x), free(K), free(bias), free(y), free(target), free(dy), free(dx), free(dK), free(db);
    free(w_all);
}

/* Both layouts of the taps give the convolution. */
static void check_conv(const conv_case *c)
{
    check_conv_layout(c, false);
    check_conv_layout(c, true);
}

static void test_conv_2d(void)
{
    static const int64_t widths[3] = {1, 3, 4};
    for (int k = 3; k <= 5; k += 2)
        for (int bnd = 0; bnd < 2; bnd++)
            for (int a = 0; a < 3; a++)
                for (int b = 0; b < 3; b++) {
                    conv_case c = {
                        {2, {6, 7}, k, (lc_boundary)bnd}, 1, widths[a], widths[b], true, true};
                    check_conv(&c);
                }
}

static void test_conv_batch(void)
{
    /* a batch of images on one lattice: [n, B, c] */
    const conv_case cases[] = {
        {{2, {5, 6}, 3, LC_BOUNDARY_ZERO}, 3, 3, 4, true, true},
        {{2, {5, 6}, 3, LC_BOUNDARY_PERIODIC}, 2, 4, 1, true, true},
        {{2, {6, 5}, 5, LC_BOUNDARY_ZERO}, 4, 1, 3, true, true},
        {{2, {5, 5}, 5, LC_BOUNDARY_PERIODIC}, 2, 3, 3, true, true},
        {{1, {8}, 3, LC_BOUNDARY_PERIODIC}, 5, 3, 4, true, true},
        {{3, {3, 4, 5}, 3, LC_BOUNDARY_ZERO}, 2, 4, 3, true, true},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        check_conv(&cases[i]);
}

static void test_conv_1d_3d(void)
{
    const conv_case cases[] = {
        {{1, {9}, 3, LC_BOUNDARY_ZERO}, 1, 3, 4, true, true},
        {{1, {9}, 3, LC_BOUNDARY_PERIODIC}, 1, 4, 1, true, true},
        {{1, {11}, 5, LC_BOUNDARY_ZERO}, 1, 1, 3, true, true},
        {{1, {6}, 5, LC_BOUNDARY_PERIODIC}, 2, 4, 4, true, true},
        {{1, {3}, 5, LC_BOUNDARY_ZERO}, 1, 3, 3, true, true}, /* stencil wider than the grid */
        {{3, {3, 4, 5}, 3, LC_BOUNDARY_ZERO}, 1, 3, 4, true, true},
        {{3, {3, 4, 5}, 3, LC_BOUNDARY_PERIODIC}, 1, 1, 3, true, true},
        {{3, {4, 4, 4}, 3, LC_BOUNDARY_PERIODIC}, 2, 4, 4, true, true},
        {{3, {4, 3, 5}, 5, LC_BOUNDARY_ZERO}, 1, 3, 1, true, true},
        {{3, {5, 5, 5}, 5, LC_BOUNDARY_PERIODIC}, 1, 1, 4, true, true},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        check_conv(&cases[i]);
}

static void test_conv_options(void)
{
    /* without the centre tap (now0) and without the bias (nobias) */
    const conv_case cases[] = {
        {{2, {5, 6}, 3, LC_BOUNDARY_ZERO}, 1, 3, 4, false, true},
        {{2, {5, 6}, 3, LC_BOUNDARY_PERIODIC}, 2, 3, 4, true, false},
        {{2, {5, 6}, 5, LC_BOUNDARY_PERIODIC}, 1, 4, 3, false, false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        check_conv(&cases[i]);
}

/* A sparse input (the dataset's sparse features) gives the dense input's output. */
static void test_sparse_input(void)
{
    const grid_spec s = {2, {4, 5}, 3, LC_BOUNDARY_ZERO};
    const int64_t n = 20, cin = 4, cout = 3, p = 8;
    lc_graph_t *g = NULL;
    LC_ASSERT_OK(lc_graph_grid(&g, s.d, s.dims, s.k, s.boundary));
    int64_t rows[80], cols[80];
    float vals[80];
    int nnz = 0;
    lc_tensor_t *xd = NULL, *w0 = NULL, *wa = NULL;
    LC_ASSERT_OK(lc_tensor_new2(&xd, n, cin));
    for (int64_t v = 0; v < n; v++)
        for (int64_t i = 0; i < cin; i++)
            if ((v + i) % 3 != 0) {
                float a = lc_rng_normal(&rng);
                rows[nnz] = v, cols[nnz] = i, vals[nnz++] = a;
                lc_tensor_data(xd)[v * cin + i] = a;
            }
    lc_csr_t *xs = NULL;
    LC_ASSERT_OK(lc_csr_from_coo(&xs, n, cin, nnz, rows, cols, vals));
    LC_ASSERT_OK(lc_tensor_new2(&w0, cin, cout));
    LC_ASSERT_OK(lc_tensor_new2(&wa, cin, p * cout));
    LC_ASSERT_OK(lc_init_glorot(w0, &rng));
    LC_ASSERT_OK(lc_init_glorot(wa, &rng));
    lc_cgraph_t *cg = NULL;
    LC_ASSERT_OK(lc_cg_new(&cg, 1));
    lc_node nw0, nwa, nxd, yd, ys, diff, loss;
    LC_ASSERT_OK(lc_cg_parameter(cg, w0, "w0", &nw0));
    LC_ASSERT_OK(lc_cg_parameter(cg, wa, "wa", &nwa));
    LC_ASSERT_OK(lc_cg_constant(cg, xd, &nxd));
    lc_i_build_ctx ctx = {.cg = cg, .graph = g, .layer = 0, .add_param = no_params};
    LC_ASSERT_OK(lc_i_lattice_conv(&ctx, 3, (lc_i_flow){.node = nxd, .width = cin}, cout, nw0, nwa,
                                   -1, &yd));
    LC_ASSERT_OK(lc_i_lattice_conv(&ctx, 3, (lc_i_flow){.node = -1, .sparse = xs, .width = cin},
                                   cout, nw0, nwa, -1, &ys));
    LC_ASSERT_OK(lc_cg_scale(cg, ys, -1.0f, &diff));
    LC_ASSERT_OK(lc_cg_add(cg, yd, diff, &diff));
    LC_ASSERT_OK(lc_cg_sum(cg, diff, &loss));
    LC_ASSERT_OK(lc_cg_compile(cg, loss));
    LC_ASSERT_OK(lc_cg_forward(cg, 0));
    const float *a = lc_tensor_data(lc_cg_value(cg, yd)), *b = lc_tensor_data(lc_cg_value(cg, ys));
    double e = 0, m = 0;
    for (int64_t i = 0; i < n * cout; i++)
        e = fmax(e, fabs(a[i] - b[i])), m = fmax(m, fabs(a[i]));
    CU_ASSERT(m > 0.1);
    CU_ASSERT(e <= 1e-5 * m);
    lc_cg_free(&cg);
    lc_csr_free(&xs);
    lc_tensor_free(&xd);
    lc_tensor_free(&w0);
    lc_tensor_free(&wa);
    lc_graph_free(&g);
}

/* On a periodic lattice, shifting the input by one pixel along a dimension
 * shifts the output by the same pixel: S·conv(x) = conv(S·x). */
static void check_shift(const grid_spec *s, int64_t B, int64_t cin, int64_t cout)
{
    lc_graph_t *g = NULL;
    LC_ASSERT_OK(lc_graph_grid(&g, s->d, s->dims, s->k, s->boundary));
    const int64_t n = grid_nodes(s), p = grid_taps(s) - 1;
    lc_tensor_t *x = NULL, *w0 = NULL, *wa = NULL, *b = NULL;
    LC_ASSERT_OK(lc_tensor_new(&x, 3, (int64_t[]){n, B, cin}));
    for (int64_t i = 0; i < n * B * cin; i++)
        lc_tensor_data(x)[i] = lc_rng_normal(&rng);
    LC_ASSERT_OK(lc_tensor_new2(&w0, cin, cout));
    LC_ASSERT_OK(lc_tensor_new2(&wa, cin, p * cout));
    LC_ASSERT_OK(lc_tensor_new(&b, 1, &cout));
    LC_ASSERT_OK(lc_init_glorot(w0, &rng));
    LC_ASSERT_OK(lc_init_glorot(wa, &rng));
    for (int64_t j = 0; j < cout; j++)
        lc_tensor_data(b)[j] = lc_rng_normal(&rng);
    lc_cgraph_t *cg = NULL;
    LC_ASSERT_OK(lc_cg_new(&cg, 1));
    lc_node nx, nw0, nwa, nb, y, loss;
    LC_ASSERT_OK(lc_cg_parameter(cg, x, "x", &nx));
    LC_ASSERT_OK(lc_cg_parameter(cg, w0, "w0", &nw0));
    LC_ASSERT_OK(lc_cg_parameter(cg, wa, "wa", &nwa));
    LC_ASSERT_OK(lc_cg_parameter(cg, b, "b", &nb));
    lc_i_build_ctx ctx = {.cg = cg, .graph = g, .layer = 0, .add_param = no_params};
    LC_ASSERT_OK(lc_i_lattice_conv(&ctx, s->k, (lc_i_flow){.node = nx, .width = cin}, cout, nw0,
                                   nwa, nb, &y));
    LC_ASSERT_OK(lc_cg_sum(cg, y, &loss));
    LC_ASSERT_OK(lc_cg_compile(cg, loss));
    LC_ASSERT_OK(lc_cg_forward(cg, 0));
    const int64_t ny = n * B * cout;
    float *y0 = malloc((size_t)ny * sizeof *y0);
    memcpy(y0, lc_tensor_data(lc_cg_value(cg, y)), (size_t)ny * sizeof *y0);
    float *x0 = malloc((size_t)(n * B * cin) * sizeof *x0);
    memcpy(x0, lc_tensor_data(x), (size_t)(n * B * cin) * sizeof *x0);
    for (int axis = 0; axis < s->d; axis++) {
        /* x'[v] = x[v − e_axis]; expect y'[v] = y[v − e_axis] */
        int64_t back[3] = {0, 0, 0};
        back[axis] = -1;
        float *xs = lc_tensor_data(lc_cg_param_tensor(cg, 0));
        for (int64_t v = 0; v < n; v++)
            memcpy(xs + v * B * cin, x0 + neighbour(s, v, back) * B * cin,
                   (size_t)(B * cin) * sizeof *xs);
        LC_ASSERT_OK(lc_cg_forward(cg, 0));
        const float *ys = lc_tensor_data(lc_cg_value(cg, y));
        double e = 0, m = 0, moved = 0;
        for (int64_t v = 0; v < n; v++)
            for (int64_t i = 0; i < B * cout; i++) {
                const float want = y0[neighbour(s, v, back) * B * cout + i];
                e = fmax(e, fabs(ys[v * B * cout + i] - want));
                m = fmax(m, fabs(want));
                moved = fmax(moved, fabs(ys[v * B * cout + i] - y0[v * B * cout + i]));
            }
        if (e > 1e-5 * m)
            fprintf(stderr, "\n  d=%d axis %d: shift error %.3g of %.3g\n", s->d, axis, e, m);
        CU_ASSERT(e <= 1e-5 * m);
        CU_ASSERT(moved > 1e-2 * m); /* the output did move */
    }
    free(y0);
    free(x0);
    lc_cg_free(&cg);
    lc_tensor_free(&x);
    lc_tensor_free(&w0);
    lc_tensor_free(&wa);
    lc_tensor_free(&b);
    lc_graph_free(&g);
}

static void test_shift_equivariance(void)
{
    const grid_spec a = {2, {6, 7}, 3, LC_BOUNDARY_PERIODIC},
                    b = {2, {5, 6}, 5, LC_BOUNDARY_PERIODIC}, c = {1, {8}, 3, LC_BOUNDARY_PERIODIC},
                    d = {3, {3, 4, 5}, 3, LC_BOUNDARY_PERIODIC};
    check_shift(&a, 2, 3, 4);
    check_shift(&b, 1, 4, 3);
    check_shift(&c, 3, 1, 2);
    check_shift(&d, 2, 3, 3);
}

/* ---------- models from specs ---------- */

/* A dataset on `g` (taken over): random features, labels from the sign of a
 * local pattern, train = even nodes, val = odd, test = all. */
static lc_dataset_t *grid_dataset(lc_graph_t *g, int64_t f, int classes)
{
    const int64_t n = lc_graph_num_nodes(g);
    lc_tensor_t *x = NULL;
    lc_dataset_t *ds = NULL;
    if (lc_tensor_new2(&x, n, f)) return NULL;
    for (int64_t i = 0; i < n * f; i++)
        lc_tensor_data(x)[i] = lc_rng_normal(&rng);
    int32_t *labels = malloc((size_t)n * sizeof *labels);
    uint8_t *masks[3];
    for (int k = 0; k < 3; k++)
        masks[k] = malloc((size_t)n);
    for (int64_t v = 0; v < n; v++) {
        labels[v] =
            (int32_t)((lc_tensor_data(x)[v * f] + lc_tensor_data(x)[((v + 1) % n) * f] > 0) %
                      classes);
        masks[0][v] = v % 2 == 0, masks[1][v] = v % 2 == 1, masks[2][v] = 1;
    }
    if (lc_dataset_new(&ds, g, x, NULL, labels, classes)) {
        lc_tensor_free(&x);
        lc_graph_free(&g);
    } else if (lc_dataset_set_split(ds, masks[0], masks[1], masks[2])) {
        lc_dataset_free(&ds);
    }
    free(labels);
    for (int k = 0; k < 3; k++)
        free(masks[k]);
    return ds;
}

static void test_model_trains(void)
{
    lc_graph_t *g = NULL;
    LC_ASSERT_OK(lc_graph_grid(&g, 2, (int64_t[]){6, 6}, 3, LC_BOUNDARY_PERIODIC));
    lc_dataset_t *ds = grid_dataset(g, 3, 2);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ds);
    lc_model_t *m = NULL;
    LC_ASSERT_OK(lc_model_from_spec(&m, "lattice:4:k=3,relu,lattice:k=3"));
    lc_train_config cfg = lc_train_defaults();
    cfg.epochs = 30;
    cfg.patience = 0;
    cfg.weight_decay = 0;
    LC_ASSERT_OK(lc_model_build(m, ds, &cfg));
    CU_ASSERT_STRING_EQUAL(lc_model_spec(m), "lattice:4:k=3,relu,lattice:2:k=3");
    lc_cgraph_t *cg = lc_model_graph(m);
    /* per layer: W_all, W0 [in, out], b [out]; W_all stacked [8·in, out] where
     * aggregating first moves fewer floats (3·10 < 4·17), else [in, 8·out] */
    CU_ASSERT_EQUAL_FATAL(lc_cg_num_params(cg), 6);
    CU_ASSERT_STRING_EQUAL(lc_cg_param_name(cg, 0), "0.lattice.weights");
    CU_ASSERT_EQUAL(lc_tensor_dim(lc_cg_param_tensor(cg, 0), 0), 8 * 3);
    CU_ASSERT_EQUAL(lc_tensor_dim(lc_cg_param_tensor(cg, 0), 1), 4);
    CU_ASSERT_EQUAL(lc_tensor_dim(lc_cg_param_tensor(cg, 3), 0), 4);
    CU_ASSERT_EQUAL(lc_tensor_dim(lc_cg_param_tensor(cg, 3), 1), 8 * 2);
    lc_eval_result before;
    LC_ASSERT_OK(lc_model_evaluate(m, ds, &before));
    lc_train_result res;
    LC_ASSERT_OK(lc_model_train(m, ds, &cfg, &res));
    CU_ASSERT_EQUAL(res.epochs_run, 30);
    CU_ASSERT(isfinite(res.final.loss[0]));
    CU_ASSERT(res.final.loss[0] < before.loss[0]);
    lc_model_free(&m);

    /* options: no centre tap and no bias → W_all only */
    LC_ASSERT_OK(lc_model_from_spec(&m, "lattice:4:now0:nobias,tanh,lattice:k=3:nobias"));
    cfg.epochs = 3;
    LC_ASSERT_OK(lc_model_train(m, ds, &cfg, &res));
    CU_ASSERT_EQUAL(lc_cg_num_params(lc_model_graph(m)), 1 + 2);
    CU_ASSERT(isfinite(res.final.loss[0]));
    lc_model_free(&m);
    lc_dataset_free(&ds);

    /* k = 5 on a 1-D zero-padded grid */
    LC_ASSERT_OK(lc_graph_grid(&g, 1, (int64_t[]){30}, 5, LC_BOUNDARY_ZERO));
    ds = grid_dataset(g, 2, 3);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ds);
    LC_ASSERT_OK(lc_model_from_spec(&m, "lattice:5:k=5,relu,lattice:k=5"));
    LC_ASSERT_OK(lc_model_train(m, ds, &cfg, &res));
    CU_ASSERT(isfinite(res.final.loss[0]));
    lc_model_free(&m);
    lc_dataset_free(&ds);
}

/* A grid built with k = 3 serves a k = 5 layer through a cached copy with the
 * 5 × 5 stencil: the model's output equals the same model on a grid built with
 * k = 5, bit for bit, and the copy is made once however often it is asked for. */
static void test_other_stencil(void)
{
    lc_graph_t *g3 = NULL, *g5 = NULL;
    LC_ASSERT_OK(lc_graph_grid(&g3, 2, (int64_t[]){7, 9}, 3, LC_BOUNDARY_ZERO));
    LC_ASSERT_OK(lc_graph_grid(&g5, 2, (int64_t[]){7, 9}, 5, LC_BOUNDARY_ZERO));
    const lc_rng_t saved = rng;
    lc_dataset_t *ds3 = grid_dataset(g3, 3, 2);
    rng = saved; /* the same features and labels */
    lc_dataset_t *ds5 = grid_dataset(g5, 3, 2);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ds3);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ds5);
    lc_model_t *a = NULL, *b = NULL;
    LC_ASSERT_OK(lc_model_from_spec(&a, "lattice:4:k=5,relu,lattice:k=3"));
    LC_ASSERT_OK(lc_model_from_spec(&b, "lattice:4:k=5,relu,lattice:k=3"));
    LC_ASSERT_OK(lc_model_build(a, ds3, NULL));
    LC_ASSERT_OK(lc_model_build(b, ds5, NULL));
    lc_eval_result ra, rb;
    LC_ASSERT_OK(lc_model_evaluate(a, ds3, &ra));
    LC_ASSERT_OK(lc_model_evaluate(b, ds5, &rb));
    const lc_tensor_t *ya = lc_model_output(a), *yb = lc_model_output(b);
    CU_ASSERT_EQUAL_FATAL(lc_tensor_numel(ya), lc_tensor_numel(yb));
    CU_ASSERT(memcmp(lc_tensor_data(ya), lc_tensor_data(yb),
                     (size_t)lc_tensor_numel(ya) * sizeof(float)) == 0);
    /* asked again (a rebuild): the cached copy, not a new one */
    lc_graph_t *copy1 = NULL, *copy2 = NULL;
    LC_ASSERT_OK(lc_i_grid_with_stencil(lc_dataset_graph(ds3), 5, &copy1));
    LC_ASSERT_OK(lc_model_build(a, ds3, NULL));
    LC_ASSERT_OK(lc_i_grid_with_stencil(lc_dataset_graph(ds3), 5, &copy2));
    CU_ASSERT_PTR_EQUAL(copy1, copy2);
    CU_ASSERT_EQUAL(lc_graph_num_edges(copy1), lc_graph_num_edges(lc_dataset_graph(ds5)));
    /* its own stencil: the grid itself; not a grid: refused */
    LC_ASSERT_OK(lc_i_grid_with_stencil(lc_dataset_graph(ds3), 3, &copy1));
    CU_ASSERT_PTR_EQUAL(copy1, lc_dataset_graph(ds3));
    lc_graph_t *plain = NULL;
    LC_ASSERT_OK(lc_graph_lattice(&plain, 3, 3, 0, 0));
    LC_ASSERT_STATUS(lc_i_grid_with_stencil(plain, 3, &copy1), LC_ERR_INVALID_ARG);
    LC_ASSERT_ERROR_HAS("not a grid");
    /* at most four other stencils per grid */
    for (int k = 7; k <= 11; k += 2)
        LC_ASSERT_OK(lc_i_grid_with_stencil(lc_dataset_graph(ds3), k, &copy1));
    LC_ASSERT_STATUS(lc_i_grid_with_stencil(lc_dataset_graph(ds3), 13, &copy1),
                     LC_ERR_INVALID_ARG);
    LC_ASSERT_ERROR_HAS("one too many");
    lc_graph_free(&plain);
    lc_model_free(&a);
    lc_model_free(&b);
    lc_dataset_free(&ds3);
    lc_dataset_free(&ds5);
}

static void test_model_errors(void)
{
    /* not a grid: Zachary's karate club */
    lc_dataset_t *ds = NULL;
    LC_ASSERT_OK(lc_dataset_karate(&ds));
    lc_model_t *m = NULL;
    LC_ASSERT_OK(lc_model_from_spec(&m, "lattice:4,relu,lattice"));
    LC_ASSERT_STATUS(lc_model_build(m, ds, NULL), LC_ERR_INVALID_ARG);
    LC_ASSERT_ERROR_HAS("layer 0 'lattice'");
    LC_ASSERT_ERROR_HAS("lc_graph_grid");
    LC_ASSERT_STATUS(lc_model_train(m, ds, NULL, NULL), LC_ERR_INVALID_ARG);
    lc_model_free(&m);
    lc_dataset_free(&ds);

    /* also not a grid: positions alone are not stencil edge types */
    lc_graph_t *g = NULL;
    LC_ASSERT_OK(lc_graph_lattice(&g, 4, 4, 0, 0));
    float pos[32];
    for (int v = 0; v < 16; v++)
        pos[2 * v] = (float)(v / 4), pos[2 * v + 1] = (float)(v % 4);
    LC_ASSERT_OK(lc_graph_set_positions(g, 2, pos));
    ds = grid_dataset(g, 3, 2);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ds);
    LC_ASSERT_OK(lc_model_from_spec(&m, "lattice:4,relu,lattice"));
    LC_ASSERT_STATUS(lc_model_build(m, ds, NULL), LC_ERR_INVALID_ARG);
    LC_ASSERT_ERROR_HAS("not a grid");
    lc_model_free(&m);
    lc_dataset_free(&ds);

    /* A k = 7 layer on a 6 × 6 periodic grid: the grid cannot carry that stencil
     * (the error comes from the stencil copy, under the layer's name). */
    LC_ASSERT_OK(lc_graph_grid(&g, 2, (int64_t[]){6, 6}, 3, LC_BOUNDARY_PERIODIC));
    ds = grid_dataset(g, 3, 2);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ds);
    LC_ASSERT_OK(lc_model_from_spec(&m, "lattice:4,relu,lattice:k=7"));
    LC_ASSERT_STATUS(lc_model_build(m, ds, NULL), LC_ERR_INVALID_ARG);
    LC_ASSERT_ERROR_HAS("layer 2 'lattice': k = 7");
    LC_ASSERT_ERROR_HAS("dims[0] = 6 < k = 7");
    lc_model_free(&m);
    /* bad specs never reach the build */
    CU_ASSERT_EQUAL(lc_model_from_spec(&m, "lattice:4:k=4,lattice"), LC_ERR_INVALID_ARG);
    CU_ASSERT_EQUAL(lc_model_from_spec(&m, "lattice:4:p=3,lattice"), LC_ERR_INVALID_ARG);
    CU_ASSERT_EQUAL(lc_model_from_spec(&m, "lattice:4:frozen,lattice"), LC_ERR_INVALID_ARG);
    CU_ASSERT_PTR_NULL(m);

    /* the core: weights of the wrong shape, a k of the wrong parity */
    lc_cgraph_t *cg = NULL;
    lc_tensor_t *x = NULL, *w = NULL;
    LC_ASSERT_OK(lc_tensor_new2(&x, 36, 3));
    LC_ASSERT_OK(lc_tensor_new2(&w, 3, 7 * 4));
    LC_ASSERT_OK(lc_cg_new(&cg, 1));
    lc_node nx, nw, y = -7;
    LC_ASSERT_OK(lc_cg_constant(cg, x, &nx));
    LC_ASSERT_OK(lc_cg_parameter(cg, w, "w", &nw));
    lc_i_build_ctx ctx = {
        .cg = cg, .graph = lc_dataset_graph(ds), .layer = 3, .add_param = no_params};
    lc_i_flow in = {.node = nx, .width = 3};
    LC_ASSERT_STATUS(lc_i_lattice_conv(&ctx, 3, in, 4, -1, nw, -1, &y), LC_ERR_SHAPE);
    LC_ASSERT_ERROR_HAS("layer 3 'lattice': W_all is [3, 28], expected [3, 32]");
    LC_ASSERT_STATUS(lc_i_lattice_conv(&ctx, 3, in, 4, nw, nw, -1, &y), LC_ERR_SHAPE);
    LC_ASSERT_STATUS(lc_i_lattice_conv(&ctx, 4, in, 4, -1, nw, -1, &y), LC_ERR_INVALID_ARG);
    LC_ASSERT_STATUS(lc_i_lattice_conv(&ctx, 3, in, 4, -1, 99, -1, &y), LC_ERR_INVALID_ARG);
    CU_ASSERT_EQUAL(y, -7);
    lc_cg_free(&cg);
    lc_tensor_free(&x);
    lc_tensor_free(&w);
    lc_dataset_free(&ds);

    /* a one-node grid has no edges to convolve along */
    LC_ASSERT_OK(lc_graph_grid(&g, 1, (int64_t[]){1}, 3, LC_BOUNDARY_ZERO));
    ds = grid_dataset(g, 2, 2);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ds);
    LC_ASSERT_OK(lc_model_from_spec(&m, "lattice"));
    LC_ASSERT_STATUS(lc_model_build(m, ds, NULL), LC_ERR_INVALID_ARG);
    LC_ASSERT_ERROR_HAS("no edges");
    lc_model_free(&m);
    lc_dataset_free(&ds);
}

int main(void)
{
    lc_rng_seed(&rng, 2021);
    static const lc_test_case cases[] = {
        {"grid_construction", test_grid_construction},
        {"grid_errors", test_grid_errors},
        {"positions", test_positions},
        {"conv_2d_k3_k5_channels_boundaries", test_conv_2d},
        {"conv_batch", test_conv_batch},
        {"conv_1d_3d", test_conv_1d_3d},
        {"conv_now0_nobias", test_conv_options},
        {"sparse_input", test_sparse_input},
        {"shift_equivariance", test_shift_equivariance},
        {"model_trains", test_model_trains},
        {"model_errors", test_model_errors},
        {"other_stencil_of_a_grid", test_other_stencil},
        {NULL, NULL},
    };
    return lc_test_main("lattice", cases);
}
