/* ops_edge.c — edge-weighted generators (L-conv): Σ_i L_i·Z_i and [L_1·X | … | L_p·X],
 * their forward kernels and gradients (the edge weights' is an SDDMM on the edge pattern). */
#include <string.h>

#include "backend.h"
#include "gather.h"

/* Both ops share one kernel (lc_i_edge_dims, backend.h). */
static lc_i_edge_dims dims_of(const lc_cgraph_t *cg, const lc_i_node *node)
{
    const lc_i_node *z = lc_i_in(cg, node, 0);
    const int64_t p = node->iparam[1];
    const bool expand = node->iparam[2] != 0;
    const int64_t f = z->shape[z->ndim - 1] / (expand ? 1 : p);
    int64_t numel = 1;
    for (int i = 0; i < z->ndim; i++) numel *= z->shape[i];
    return lc_i_edge_dims_of(numel / (z->shape[0] * (expand ? 1 : p) * f), p, f, expand,
                             node->iparam[0] == LC_LCONV_VECTOR_FIELD);
}

static inline int64_t zb(const lc_i_edge_dims *d, int64_t i) { return d->expand ? 0 : i; }
static inline int64_t yb(const lc_i_edge_dims *d, int64_t i) { return d->expand ? i : 0; }

static lc_status edge_node(lc_cgraph_t *cg, lc_graph_t *g, lc_node z, lc_node w,
                           lc_lconv_form form, bool expand, lc_node *out, const char *func)
{
    const lc_node in[2] = {z, w};
    lc_status st = lc_i_check_build(cg, func, 2, in, out);
    if (st) return st;
    if (!g) return lc_i_error(LC_ERR_INVALID_ARG, func, "graph is NULL");
    if (form != LC_LCONV_VECTOR_FIELD && form != LC_LCONV_ADJACENCY)
        return lc_i_error(LC_ERR_INVALID_ARG, func, "unknown form %d", (int)form);
    const lc_i_node *nz = &cg->nodes[z], *nw = &cg->nodes[w];
    char sz[64], sw[64];
    if (nw->ndim != 2 || nw->shape[0] != g->m)
        return lc_i_error(LC_ERR_SHAPE, func, "edge weights %s must be [E = %lld, p]",
                          lc_i_node_shape_str(nw, sw, sizeof sw), (long long)g->m);
    const int64_t p = nw->shape[1], last = nz->shape[nz->ndim - 1];
    if (p > 1 << 20) return lc_i_error(LC_ERR_INVALID_ARG, func, "%lld generators", (long long)p);
    if (nz->shape[0] != g->n || (!expand && last % p != 0))
        return lc_i_error(LC_ERR_SHAPE, func, "input %s must be [n = %lld, …, %s] with p = %lld",
                          lc_i_node_shape_str(nz, sz, sizeof sz), (long long)g->n,
                          expand ? "c" : "p·f", (long long)p);
    const lc_csr_t *adj, *adj_t = NULL;
    if ((st = lc_graph_adjacency_csr(g, &adj))) return st;
    /* Edge e is CSR entry e: the graph keeps its edges sorted by (tail, head). */
    if (nz->needs_grad && (st = lc_i_csr_transpose((lc_csr_t *)adj, &adj_t))) return st;
    int64_t shape[LC_MAX_DIMS];
    memcpy(shape, nz->shape, sizeof shape);
    shape[nz->ndim - 1] = expand ? last * p : last / p;
    lc_i_node *node;
    if ((st = lc_i_push_node(cg, LC_OP_EDGE_CONV, 2, z, w, nz->ndim, shape, out, &node))) return st;
    node->ptr = g;
    node->sparse = adj;
    node->sparse_t = adj_t;
    node->iparam[0] = form;
    node->iparam[1] = (int)p;
    node->iparam[2] = expand;
    return LC_OK;
}

lc_status lc_cg_edge_conv(lc_cgraph_t *cg, lc_graph_t *g, lc_node z, lc_node w,
                          lc_lconv_form form, lc_node *out)
{
    return edge_node(cg, g, z, w, form, false, out, __func__);
}

lc_status lc_cg_edge_expand(lc_cgraph_t *cg, lc_graph_t *g, lc_node x, lc_node w,
                            lc_lconv_form form, lc_node *out)
{
    return edge_node(cg, g, x, w, form, true, out, __func__);
}

/* Σ_e w[e, i] over the edges leaving v: the diagonal of the vector-field form. */
static inline float out_weight(const lc_csr_t *a, const float *w, int64_t p, int64_t v, int64_t i)
{
    float s = 0;
    for (int64_t k = a->rowptr[v]; k < a->rowptr[v + 1]; k++) s += w[k * p + i];
    return s;
}

/* dst[0..f) += a · src[0..f) */
static inline void axpy(float *restrict dst, const float *restrict src, float a, int64_t f)
{
#pragma omp simd
    for (int64_t j = 0; j < f; j++) dst[j] += a * src[j];
}

/* Rows are owned by one thread each and summed in CSR order: deterministic. */
void lc_i_edge_conv_rows(const lc_i_edge_dims *dm, const lc_csr_t *a, const float *z,
                         const float *w, float *y)
{
    const lc_i_edge_dims d = *dm;
    const int64_t R = d.R, p = d.p, f = d.f, zp = d.zp, yp = d.yp;
#pragma omp parallel for schedule(dynamic, 64) num_threads(lc_i_threads()) if (a->nnz * p * f * R > LC_I_PARALLEL_MIN_WORK)
    for (int64_t v = 0; v < a->n_rows; v++) {
        float *yv = y + v * R * yp * f;
        memset(yv, 0, (size_t)(R * yp * f) * sizeof *yv);
        for (int64_t k = a->rowptr[v]; k < a->rowptr[v + 1]; k++) {
            const int64_t h = a->col[k];
            if (k + LC_I_PREFETCH_AHEAD < a->nnz)
                lc_i_prefetch_row(z + a->col[k + LC_I_PREFETCH_AHEAD] * R * zp * f, R * zp * f);
            for (int64_t i = 0; i < p; i++) {
                const float we = w[k * p + i];
                if (we == 0.0f) continue;
                for (int64_t r = 0; r < R; r++)
                    axpy(yv + (r * yp + yb(&d, i)) * f, z + ((h * R + r) * zp + zb(&d, i)) * f, we, f);
            }
        }
        if (!d.vf) continue;
        for (int64_t i = 0; i < p; i++) {
            const float deg = out_weight(a, w, p, v, i);
            for (int64_t r = 0; r < R; r++)
                axpy(yv + (r * yp + yb(&d, i)) * f, z + ((v * R + r) * zp + zb(&d, i)) * f, -deg, f);
        }
    }
}

void lc_i_edge_conv_fwd(lc_cgraph_t *cg, lc_i_node *node)
{
    const lc_i_edge_dims d = dims_of(cg, node);
    lc_i_edge_conv_rows(&d, node->sparse, lc_i_in(cg, node, 0)->value->data,
                        lc_i_in(cg, node, 1)->value->data, node->value->data);
}

void lc_i_edge_conv_grad_z(const lc_i_edge_dims *dm, const lc_csr_t *a, const lc_csr_t *at,
                           const float *w, const float *dy, float *dz)
{
    const lc_i_edge_dims d = *dm;
    const int64_t R = d.R, p = d.p, f = d.f, zp = d.zp, yp = d.yp;
    /* dZ = Σ_i L_iᵀ dY: row u of Lᵀ gathers the edges whose head is u */
#pragma omp parallel for schedule(dynamic, 64) num_threads(lc_i_threads()) if (a->nnz * p * f * R > LC_I_PARALLEL_MIN_WORK)
    for (int64_t u = 0; u < at->n_rows; u++) {
        for (int64_t k = at->rowptr[u]; k < at->rowptr[u + 1]; k++) {
            const int64_t t = at->col[k], e = at->source[k];
            if (k + LC_I_PREFETCH_AHEAD < at->nnz) {
                lc_i_prefetch_row(dy + at->col[k + LC_I_PREFETCH_AHEAD] * R * yp * f, R * yp * f);
                lc_i_prefetch_row(w + at->source[k + LC_I_PREFETCH_AHEAD] * p, p);
            }
            for (int64_t i = 0; i < p; i++) {
                const float we = w[e * p + i];
                if (we == 0.0f) continue;
                for (int64_t r = 0; r < R; r++)
                    axpy(dz + ((u * R + r) * zp + zb(&d, i)) * f,
                         dy + ((t * R + r) * yp + yb(&d, i)) * f, we, f);
            }
        }
        if (!d.vf || u >= a->n_rows) continue; /* the diagonal: rows of a only */
        for (int64_t i = 0; i < p; i++) {
            const float deg = out_weight(a, w, p, u, i);
            for (int64_t r = 0; r < R; r++)
                axpy(dz + ((u * R + r) * zp + zb(&d, i)) * f,
                     dy + ((u * R + r) * yp + yb(&d, i)) * f, -deg, f);
        }
    }
}

void lc_i_edge_conv_grad_w(const lc_i_edge_dims *dm, const lc_csr_t *a, const float *z,
                           const float *dy, float *dw)
{
    const lc_i_edge_dims d = *dm;
    const int64_t R = d.R, p = d.p, f = d.f, zp = d.zp, yp = d.yp;
    /* SDDMM on the edge pattern: dw[e,i] = <dY_i[tail], Z_i[head] (− Z_i[tail])> */
#pragma omp parallel for schedule(dynamic, 64) num_threads(lc_i_threads()) if (a->nnz * p * f * R > LC_I_PARALLEL_MIN_WORK)
    for (int64_t t = 0; t < a->n_rows; t++) {
        for (int64_t k = a->rowptr[t]; k < a->rowptr[t + 1]; k++) {
            const int64_t h = a->col[k];
            if (k + LC_I_PREFETCH_AHEAD < a->nnz)
                lc_i_prefetch_row(z + a->col[k + LC_I_PREFETCH_AHEAD] * R * zp * f, R * zp * f);
            for (int64_t i = 0; i < p; i++) {
                double s = 0;
                for (int64_t r = 0; r < R; r++) {
                    const float *g = dy + ((t * R + r) * yp + yb(&d, i)) * f;
                    const float *zh = z + ((h * R + r) * zp + zb(&d, i)) * f;
                    const float *zt = z + ((t * R + r) * zp + zb(&d, i)) * f;
                    float acc = 0;
                    if (d.vf) {
#pragma omp simd reduction(+ : acc)
                        for (int64_t j = 0; j < f; j++) acc += g[j] * (zh[j] - zt[j]);
                    } else {
#pragma omp simd reduction(+ : acc)
                        for (int64_t j = 0; j < f; j++) acc += g[j] * zh[j];
                    }
                    s += acc;
                }
                dw[k * p + i] += (float)s;
            }
        }
    }
}

void lc_i_edge_conv_bwd(lc_cgraph_t *cg, lc_i_node *node)
{
    lc_i_node *zn = lc_i_in(cg, node, 0), *wn = lc_i_in(cg, node, 1);
    const lc_i_edge_dims d = dims_of(cg, node);
    const float *w = wn->value->data, *dy = node->grad->data;
    if (zn->grad) lc_i_edge_conv_grad_z(&d, node->sparse, node->sparse_t, w, dy, zn->grad->data);
    if (wn->grad) lc_i_edge_conv_grad_w(&d, node->sparse, zn->value->data, dy, wn->grad->data);
}
