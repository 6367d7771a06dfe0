/* mesh.c — triangle meshes: construction, icosphere, vertex normals, mesh graph, cotangent
 * Laplacian. */
#include <math.h>
#include <string.h>

#include "mesh.h"

/* Largest icosphere subdivision: 10·4^10 + 2 ≈ 10.5 million vertices. */
#define ICOSPHERE_MAX_LEVEL 10

/* ---------------------------------------------------------------- the object */

/* Unit area-weighted vertex normals: the sum of the (unnormalised) face
 * normals b − a × c − a of the incident triangles, whose length is twice the
 * area, normalised; 0 where that sum vanishes. Sums in double. */
static lc_status compute_normals(lc_mesh_t *m)
{
    double *acc = lc_i_calloc((size_t)m->nv * 3, sizeof *acc);
    m->normals = lc_i_malloc((size_t)m->nv * 3 * sizeof *m->normals);
    if (!acc || !m->normals) {
        lc_i_free(acc);
        return LC_ERROR(LC_ERR_OUT_OF_MEMORY, "cannot allocate the normals of %lld vertices",
                        (long long)m->nv);
    }
    for (int64_t t = 0; t < m->nt; t++) {
        const int64_t *tri = m->triangles + 3 * t;
        const float *a = m->vertices + 3 * tri[0], *b = m->vertices + 3 * tri[1],
                    *c = m->vertices + 3 * tri[2];
        const double u[3] = {b[0] - (double)a[0], b[1] - (double)a[1], b[2] - (double)a[2]};
        const double v[3] = {c[0] - (double)a[0], c[1] - (double)a[1], c[2] - (double)a[2]};
        const double n[3] = {u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2],
                             u[0] * v[1] - u[1] * v[0]};
        for (int k = 0; k < 3; k++)
            for (int d = 0; d < 3; d++)
                acc[3 * tri[k] + d] += n[d];
    }
    for (int64_t i = 0; i < m->nv; i++) {
        const double *s = acc + 3 * i;
        const double len = sqrt(s[0] * s[0] + s[1] * s[1] + s[2] * s[2]);
        for (int d = 0; d < 3; d++)
            m->normals[3 * i + d] = len > 0 ? (float)(s[d] / len) : 0.0f;
    }
    lc_i_free(acc);
    return LC_OK;
}

lc_status lc_i_mesh_adopt(lc_mesh_t **out, int64_t nv, float *vertices, int64_t nt,
                          int64_t *triangles, const char *api)
{
    lc_mesh_t *m = lc_i_calloc(1, sizeof *m);
    if (!m) {
        lc_i_free(vertices);
        lc_i_free(triangles);
        return lc_i_error(LC_ERR_OUT_OF_MEMORY, api, "cannot allocate a mesh");
    }
    m->nv = nv, m->nt = nt, m->vertices = vertices, m->triangles = triangles;
    lc_status st = compute_normals(m);
    if (st) {
        lc_mesh_free(&m);
        return lc_i_error_from(st, api);
    }
    *out = m;
    return LC_OK;
}

lc_status lc_mesh_new(lc_mesh_t **out, int64_t nv, const float *vertices, int64_t nt,
                      const int64_t *triangles)
{
    LC_CHECK_ARG(out, "output handle is NULL");
    LC_CHECK_ARG(nv >= 3 && nv <= LC_MESH_MAX_COUNT, "n_vertices = %lld not in [3, 2^31 - 2]",
                 (long long)nv);
    LC_CHECK_ARG(nt >= 1 && nt <= LC_MESH_MAX_COUNT, "n_triangles = %lld not in [1, 2^31 - 2]",
                 (long long)nt);
    LC_CHECK_ARG(vertices && triangles, "vertices or triangles is NULL");
    for (int64_t i = 0; i < 3 * nv; i++)
        if (!isfinite(vertices[i]))
            return LC_ERROR(LC_ERR_INVALID_ARG, "coordinate %d of vertex %lld is %g, not finite",
                            (int)(i % 3), (long long)(i / 3), (double)vertices[i]);
    for (int64_t t = 0; t < nt; t++) {
        const int64_t *tri = triangles + 3 * t;
        for (int k = 0; k < 3; k++)
            if (tri[k] < 0 || tri[k] >= nv)
                return LC_ERROR(LC_ERR_INVALID_ARG,
                                "triangle %lld has vertex %lld, outside [0, %lld)", (long long)t,
                                (long long)tri[k], (long long)nv);
        if (tri[0] == tri[1] || tri[1] == tri[2] || tri[0] == tri[2])
            return LC_ERROR(LC_ERR_INVALID_ARG, "triangle %lld (%lld, %lld, %lld) repeats a vertex",
                            (long long)t, (long long)tri[0], (long long)tri[1], (long long)tri[2]);
    }
    float *v = lc_i_malloc((size_t)nv * 3 * sizeof *v);
    int64_t *tr = lc_i_malloc((size_t)nt * 3 * sizeof *tr);
    if (!v || !tr) {
        lc_i_free(v);
        lc_i_free(tr);
        return LC_ERROR(LC_ERR_OUT_OF_MEMORY,
                        "cannot allocate a mesh of %lld vertices and %lld "
                        "triangles",
                        (long long)nv, (long long)nt);
    }
    memcpy(v, vertices, (size_t)nv * 3 * sizeof *v);
    memcpy(tr, triangles, (size_t)nt * 3 * sizeof *tr);
    return lc_i_mesh_adopt(out, nv, v, nt, tr, __func__);
}

void lc_mesh_free(lc_mesh_t **pm)
{
    if (!pm || !*pm) return;
    lc_mesh_t *m = *pm;
    lc_i_free(m->vertices);
    lc_i_free(m->triangles);
    lc_i_free(m->normals);
    lc_i_free(m);
    *pm = NULL;
}

int64_t lc_mesh_num_vertices(const lc_mesh_t *m)
{
    return m ? m->nv : 0;
}
int64_t lc_mesh_num_triangles(const lc_mesh_t *m)
{
    return m ? m->nt : 0;
}
const float *lc_mesh_vertices(const lc_mesh_t *m)
{
    return m ? m->vertices : NULL;
}
const int64_t *lc_mesh_triangles(const lc_mesh_t *m)
{
    return m ? m->triangles : NULL;
}
const float *lc_mesh_normals(const lc_mesh_t *m)
{
    return m ? m->normals : NULL;
}

/* ---------------------------------------------------------------- icosphere */

/* Index of the midpoint of edge {a, b}, created (on the unit sphere) the first
 * time it is asked for. Open addressing over 2^bits slots keyed by the pair. */
typedef struct {
    uint64_t *key; /* (min << 32 | max) + 1; 0 = empty */
    int64_t *val;
    uint64_t mask;
} midpoint_table;

static int64_t midpoint(midpoint_table *h, double *pos, int64_t *nv, int64_t a, int64_t b)
{
    const uint64_t lo = (uint64_t)(a < b ? a : b), hi = (uint64_t)(a < b ? b : a);
    const uint64_t key = (lo << 32 | hi) + 1;
    for (uint64_t s = (key * 0x9E3779B97F4A7C15ull) >> 20 & h->mask;; s = (s + 1) & h->mask) {
        if (h->key[s] == key) return h->val[s];
        if (h->key[s] == 0) {
            const int64_t v = (*nv)++;
            double p[3], len = 0;
            for (int d = 0; d < 3; d++) {
                p[d] = 0.5 * (pos[3 * a + d] + pos[3 * b + d]);
                len += p[d] * p[d];
            }
            len = sqrt(len);
            for (int d = 0; d < 3; d++)
                pos[3 * v + d] = p[d] / len;
            h->key[s] = key;
            h->val[s] = v;
            return v;
        }
    }
}

lc_status lc_mesh_icosphere(lc_mesh_t **out, int subdivisions)
{
    LC_CHECK_ARG(out, "output handle is NULL");
    LC_CHECK_ARG(subdivisions >= 0 && subdivisions <= ICOSPHERE_MAX_LEVEL,
                 "subdivisions = %d not in [0, %d]", subdivisions, ICOSPHERE_MAX_LEVEL);
    static const int8_t ico_faces[20][3] = {
        {0, 11, 5},  {0, 5, 1},  {0, 1, 7},  {0, 7, 10}, {0, 10, 11}, {1, 5, 9}, {5, 11, 4},
        {11, 10, 2}, {10, 7, 6}, {7, 1, 8},  {3, 9, 4},  {3, 4, 2},   {3, 2, 6}, {3, 6, 8},
        {3, 8, 9},   {4, 9, 5},  {2, 4, 11}, {6, 2, 10}, {8, 6, 7},   {9, 8, 1}};
    const double g = (1.0 + sqrt(5.0)) / 2.0;
    const double ico_vertices[12][3] = {{-1, g, 0}, {1, g, 0}, {-1, -g, 0}, {1, -g, 0},
                                        {0, -1, g}, {0, 1, g}, {0, -1, -g}, {0, 1, -g},
                                        {g, 0, -1}, {g, 0, 1}, {-g, 0, -1}, {-g, 0, 1}};
    /* V = 10·4^k + 2, T = 20·4^k */
    const int64_t nv_final = 10 * ((int64_t)1 << (2 * subdivisions)) + 2;
    const int64_t nt_final = 20 * ((int64_t)1 << (2 * subdivisions));
    lc_status st = LC_OK;
    double *pos = lc_i_malloc((size_t)nv_final * 3 * sizeof *pos);
    int64_t *tri = lc_i_malloc((size_t)nt_final * 3 * sizeof *tri);
    int64_t *next = lc_i_malloc((size_t)nt_final * 3 * sizeof *next);
    float *vf = NULL;
    midpoint_table h = {0};
    /* the last level splits 3T/2 edges of T = nt_final / 4 triangles: at most half full */
    uint64_t slots = 1;
    while (slots < (uint64_t)(3 * nt_final / 8 + 1) * 2)
        slots <<= 1;
    if (subdivisions > 0) {
        h.key = lc_i_malloc((size_t)slots * sizeof *h.key);
        h.val = lc_i_malloc((size_t)slots * sizeof *h.val);
    }
    if (!pos || !tri || !next || (subdivisions > 0 && (!h.key || !h.val)))
        LC_FAIL(LC_ERR_OUT_OF_MEMORY, "cannot allocate an icosphere of %lld vertices",
                (long long)nv_final);
    int64_t nv = 12, nt = 20;
    for (int i = 0; i < 12; i++) {
        const double *p = ico_vertices[i];
        const double len = sqrt(p[0] * p[0] + p[1] * p[1] + p[2] * p[2]);
        for (int d = 0; d < 3; d++)
            pos[3 * i + d] = p[d] / len;
    }
    for (int t = 0; t < 20; t++)
        for (int k = 0; k < 3; k++)
            tri[3 * t + k] = ico_faces[t][k];
    for (int level = 0; level < subdivisions; level++) {
        memset(h.key, 0, (size_t)slots * sizeof *h.key);
        h.mask = slots - 1;
        /* each triangle (a, b, c) becomes four, in the same orientation */
        for (int64_t t = 0; t < nt; t++) {
            const int64_t a = tri[3 * t], b = tri[3 * t + 1], c = tri[3 * t + 2];
            const int64_t ab = midpoint(&h, pos, &nv, a, b), bc = midpoint(&h, pos, &nv, b, c),
                          ca = midpoint(&h, pos, &nv, c, a);
            const int64_t four[12] = {a, ab, ca, b, bc, ab, c, ca, bc, ab, bc, ca};
            memcpy(next + 12 * t, four, sizeof four);
        }
        nt *= 4;
        int64_t *swap = tri;
        tri = next;
        next = swap;
    }
    vf = lc_i_malloc((size_t)nv * 3 * sizeof *vf);
    if (!vf) LC_FAIL(LC_ERR_OUT_OF_MEMORY, "cannot allocate %lld vertices", (long long)nv);
    for (int64_t i = 0; i < 3 * nv; i++)
        vf[i] = (float)pos[i];
    st = lc_i_mesh_adopt(out, nv, vf, nt, tri, __func__);
    vf = NULL, tri = NULL; /* adopted, or freed on failure */
done:
    lc_i_free(pos);
    lc_i_free(tri);
    lc_i_free(next);
    lc_i_free(vf);
    lc_i_free(h.key);
    lc_i_free(h.val);
    return st;
}

/* ---------------------------------------------------------------- graph */

/* The graph of the mesh's edges, both directions, weight 1, sorted by (tail, head). */
static lc_status mesh_edges(const lc_mesh_t *m, lc_graph_t **g, const char *api)
{
    const int64_t len = 6 * m->nt;
    int64_t *tail = lc_i_malloc((size_t)len * sizeof *tail);
    int64_t *head = lc_i_malloc((size_t)len * sizeof *head);
    lc_status st = LC_OK;
    if (!tail || !head) {
        st = lc_i_error(LC_ERR_OUT_OF_MEMORY, api,
                        "cannot allocate the %lld edges of %lld triangles", (long long)len,
                        (long long)m->nt);
    } else {
        for (int64_t t = 0; t < m->nt; t++) {
            const int64_t *v = m->triangles + 3 * t;
            for (int k = 0; k < 3; k++) {
                const int64_t a = v[k], b = v[(k + 1) % 3];
                tail[6 * t + 2 * k] = a, head[6 * t + 2 * k] = b;
                tail[6 * t + 2 * k + 1] = b, head[6 * t + 2 * k + 1] = a;
            }
        }
        st = lc_graph_from_edges(g, m->nv, len, tail, head, NULL, LC_GRAPH_BINARY);
        if (st) st = lc_i_error_from(st, api);
    }
    lc_i_free(tail);
    lc_i_free(head);
    return st;
}

lc_status lc_graph_from_mesh(lc_graph_t **out, const lc_mesh_t *m)
{
    LC_CHECK_ARG(out && m, "NULL argument");
    lc_graph_t *g = NULL;
    lc_status st = mesh_edges(m, &g, __func__);
    if (!st && (st = lc_graph_set_positions(g, 3, m->vertices))) st = lc_i_error_from(st, __func__);
    if (st) {
        lc_graph_free(&g);
        return st;
    }
    *out = g;
    return LC_OK;
}

/* ---------------------------------------------------------------- Laplacian */

/* Position of head h among the sorted heads of tail t's edges [lo, hi). */
static int64_t edge_index(const int64_t *head, int64_t lo, int64_t hi, int64_t h)
{
    while (lo < hi) {
        const int64_t mid = lo + (hi - lo) / 2;
        if (head[mid] < h)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

lc_status lc_mesh_laplacian(const lc_mesh_t *m, lc_csr_t **out, float *mass)
{
    LC_CHECK_ARG(m && out, "NULL argument");
    lc_status st = LC_OK;
    lc_graph_t *g = NULL;
    int64_t *rowptr = NULL, *rows = NULL, *cols = NULL;
    double *w = NULL, *mass_d = NULL;
    float *vals = NULL;
    lc_csr_t *l = NULL;
    const int64_t nv = m->nv;
    LC_TRY(mesh_edges(m, &g, __func__));
    const int64_t ne = g->m, nnz = ne + nv;
    rowptr = lc_i_calloc((size_t)nv + 1, sizeof *rowptr);
    w = lc_i_calloc((size_t)ne, sizeof *w);
    mass_d = lc_i_calloc((size_t)nv, sizeof *mass_d);
    rows = lc_i_malloc((size_t)nnz * sizeof *rows);
    cols = lc_i_malloc((size_t)nnz * sizeof *cols);
    vals = lc_i_malloc((size_t)nnz * sizeof *vals);
    if (!rowptr || !w || !mass_d || !rows || !cols || !vals)
        LC_FAIL(LC_ERR_OUT_OF_MEMORY, "cannot allocate a Laplacian of %lld entries",
                (long long)nnz);
    for (int64_t e = 0; e < ne; e++)
        rowptr[g->tail[e] + 1]++;
    for (int64_t i = 0; i < nv; i++)
        rowptr[i + 1] += rowptr[i];
    /* The angle at corner i of a triangle weighs the opposite edge {j, k} by
     * ½·cot = ½·(u·v)/|u×v| with u = p_j − p_i, v = p_k − p_i. A triangle of
     * zero area has no angles: it adds nothing to L nor to the mass. */
    for (int64_t t = 0; t < m->nt; t++) {
        const int64_t *tri = m->triangles + 3 * t;
        double p[3][3];
        for (int k = 0; k < 3; k++)
            for (int d = 0; d < 3; d++)
                p[k][d] = m->vertices[3 * tri[k] + d];
        double cot[3], cross_len = 0;
        for (int k = 0; k < 3; k++) {
            const double *pi = p[k], *pj = p[(k + 1) % 3], *pk = p[(k + 2) % 3];
            double u[3], v[3], dot = 0;
            for (int d = 0; d < 3; d++)
                u[d] = pj[d] - pi[d], v[d] = pk[d] - pi[d];
            for (int d = 0; d < 3; d++)
                dot += u[d] * v[d];
            const double c[3] = {u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2],
                                 u[0] * v[1] - u[1] * v[0]};
            const double len = sqrt(c[0] * c[0] + c[1] * c[1] + c[2] * c[2]);
            if (k == 0) cross_len = len;
            cot[k] = len > 0 ? dot / len : 0;
        }
        if (!(cross_len > 0) || !isfinite(cross_len)) continue;
        for (int k = 0; k < 3; k++) {
            const int64_t j = tri[(k + 1) % 3], kk = tri[(k + 2) % 3];
            const int64_t jk = edge_index(g->head, rowptr[j], rowptr[j + 1], kk);
            const int64_t kj = edge_index(g->head, rowptr[kk], rowptr[kk + 1], j);
            w[jk] += 0.5 * cot[k];
            w[kj] += 0.5 * cot[k];
            mass_d[tri[k]] += cross_len / 6.0; /* a third of the area |u×v|/2 */
        }
    }
    /* Off-diagonal entries −w, then the diagonal: minus the sum of its row's
     * off-diagonal floats (in double), so that each row sums to zero within
     * one rounding. */
    for (int64_t e = 0; e < ne; e++) {
        rows[e] = g->tail[e], cols[e] = g->head[e], vals[e] = (float)-w[e];
        if (!isfinite(vals[e]))
            LC_FAIL(LC_ERR_NUMERIC,
                    "the cotangent weight of edge %lld -> %lld is %g (a nearly flat triangle)",
                    (long long)g->tail[e], (long long)g->head[e], -w[e]);
    }
    for (int64_t i = 0; i < nv; i++) {
        double s = 0;
        for (int64_t e = rowptr[i]; e < rowptr[i + 1]; e++)
            s -= vals[e];
        rows[ne + i] = i, cols[ne + i] = i, vals[ne + i] = (float)s;
    }
    if ((st = lc_csr_from_coo(&l, nv, nv, nnz, rows, cols, vals))) {
        st = lc_i_error_from(st, __func__);
        goto done;
    }
    if (mass)
        for (int64_t i = 0; i < nv; i++)
            mass[i] = (float)mass_d[i];
    *out = l;
    l = NULL;
done:
    lc_graph_free(&g);
    lc_csr_free(&l);
    lc_i_free(rowptr);
    lc_i_free(rows);
    lc_i_free(cols);
    lc_i_free(vals);
    lc_i_free(w);
    lc_i_free(mass_d);
    return st;
}
