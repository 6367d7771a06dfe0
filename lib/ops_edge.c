/* ops_edge.c — edge-weighted generators Σ_i L_i·Z_i (L-conv): builder, forward, and the SDDMM gradient of the edge weights. */
#include <string.h>

#include "backend.h"

/* Shapes: z [n, …, p·f] is viewed as [n, R, p, f] and out as [n, R, f], where R
 * gathers the middle dimensions (the batch of a lattice, say). */
typedef struct {
    int64_t n, R, p, f;
} edge_dims;

static edge_dims dims_of(const lc_i_node *node, const lc_i_node *z)
{
    edge_dims d;
    d.n = z->value ? z->value->shape[0] : z->shape[0];
    d.p = node->iparam[1];
    d.f = node->shape[node->ndim - 1];
    int64_t numel = 1;
    for (int i = 0; i < node->ndim; i++) numel *= node->shape[i];
    d.R = numel / (d.n * d.f);
    return d;
}

lc_status lc_cg_edge_conv(lc_cgraph_t *cg, lc_graph_t *g, lc_node z, lc_node w,
                          lc_lconv_form form, lc_node *out)
{
    const lc_node in[2] = {z, w};
    lc_status st = lc_i_check_build(cg, __func__, 2, in, out);
    if (st) return st;
    LC_CHECK_ARG(g, "graph is NULL");
    LC_CHECK_ARG(form == LC_LCONV_VECTOR_FIELD || form == LC_LCONV_ADJACENCY, "unknown form %d",
                 (int)form);
    const lc_i_node *nz = &cg->nodes[z], *nw = &cg->nodes[w];
    char sz[64], sw[64];
    if (nw->ndim != 2 || nw->shape[0] != g->m)
        return LC_ERROR(LC_ERR_SHAPE, "edge weights %s must be [E = %lld, p]",
                        lc_i_node_shape_str(nw, sw, sizeof sw), (long long)g->m);
    const int64_t p = nw->shape[1], last = nz->shape[nz->ndim - 1];
    if (nz->shape[0] != g->n || last % p != 0)
        return LC_ERROR(LC_ERR_SHAPE, "z %s must be [n = %lld, …, p·f] with p = %lld",
                        lc_i_node_shape_str(nz, sz, sizeof sz), (long long)g->n, (long long)p);
    if (p > 1 << 20) return LC_ERROR(LC_ERR_INVALID_ARG, "%lld generators", (long long)p);
    const lc_csr_t *adj, *adj_t = NULL;
    if ((st = lc_graph_adjacency_csr(g, &adj))) return st;
    /* Edge e is CSR entry e: the graph keeps its edges sorted by (tail, head). */
    if (nz->needs_grad && (st = lc_i_csr_transpose((lc_csr_t *)adj, &adj_t))) return st;
    int64_t shape[LC_MAX_DIMS];
    memcpy(shape, nz->shape, sizeof shape);
    shape[nz->ndim - 1] = last / p;
    lc_i_node *node;
    if ((st = lc_i_push_node(cg, LC_OP_EDGE_CONV, 2, z, w, nz->ndim, shape, out, &node))) return st;
    node->ptr = g;
    node->sparse = adj;
    node->sparse_t = adj_t;
    node->iparam[0] = form;
    node->iparam[1] = (int)p;
    return LC_OK;
}

/* Σ_e w[e, i] over the edges leaving v: the diagonal of the vector-field form. */
static inline float out_weight(const lc_csr_t *a, const float *w, int64_t p, int64_t v, int64_t i)
{
    float s = 0;
    for (int64_t k = a->rowptr[v]; k < a->rowptr[v + 1]; k++) s += w[k * p + i];
    return s;
}

/* Rows are owned by one thread each and summed in CSR order: deterministic. */
void lc_i_edge_conv_fwd(lc_cgraph_t *cg, lc_i_node *node)
{
    const lc_i_node *zn = lc_i_in(cg, node, 0);
    const edge_dims d = dims_of(node, zn);
    const lc_csr_t *a = node->sparse;
    const float *z = zn->value->data, *w = lc_i_in(cg, node, 1)->value->data;
    float *y = node->value->data;
    const bool vf = node->iparam[0] == LC_LCONV_VECTOR_FIELD;
    const int64_t R = d.R, p = d.p, f = d.f;
#pragma omp parallel for schedule(dynamic, 64) num_threads(lc_i_threads()) if (a->nnz * p * f * R > 65536)
    for (int64_t v = 0; v < d.n; v++) {
        float *yv = y + v * R * f;
        memset(yv, 0, (size_t)(R * f) * sizeof *yv);
        for (int64_t k = a->rowptr[v]; k < a->rowptr[v + 1]; k++) {
            const int64_t h = a->col[k];
            for (int64_t i = 0; i < p; i++) {
                const float we = w[k * p + i];
                if (we == 0.0f) continue;
                for (int64_t r = 0; r < R; r++) {
                    const float *zh = z + ((h * R + r) * p + i) * f;
                    float *yr = yv + r * f;
#pragma omp simd
                    for (int64_t j = 0; j < f; j++) yr[j] += we * zh[j];
                }
            }
        }
        if (!vf) continue;
        for (int64_t i = 0; i < p; i++) {
            const float deg = out_weight(a, w, p, v, i);
            for (int64_t r = 0; r < R; r++) {
                const float *zv = z + ((v * R + r) * p + i) * f;
                float *yr = yv + r * f;
                for (int64_t j = 0; j < f; j++) yr[j] -= deg * zv[j];
            }
        }
    }
}

void lc_i_edge_conv_bwd(lc_cgraph_t *cg, lc_i_node *node)
{
    lc_i_node *zn = lc_i_in(cg, node, 0), *wn = lc_i_in(cg, node, 1);
    const edge_dims d = dims_of(node, zn);
    const lc_csr_t *a = node->sparse, *at = node->sparse_t;
    const float *z = zn->value->data, *w = wn->value->data, *dy = node->grad->data;
    const bool vf = node->iparam[0] == LC_LCONV_VECTOR_FIELD;
    const int64_t R = d.R, p = d.p, f = d.f;
    if (zn->grad) { /* dZ_i = L_iᵀ dY, row u of Lᵀ gathers the edges whose head is u */
        float *dz = zn->grad->data;
#pragma omp parallel for schedule(dynamic, 64) num_threads(lc_i_threads()) if (a->nnz * p * f * R > 65536)
        for (int64_t u = 0; u < d.n; u++) {
            for (int64_t k = at->rowptr[u]; k < at->rowptr[u + 1]; k++) {
                const int64_t t = at->col[k], e = at->source[k];
                for (int64_t i = 0; i < p; i++) {
                    const float we = w[e * p + i];
                    if (we == 0.0f) continue;
                    for (int64_t r = 0; r < R; r++) {
                        const float *g = dy + (t * R + r) * f;
                        float *dzu = dz + ((u * R + r) * p + i) * f;
#pragma omp simd
                        for (int64_t j = 0; j < f; j++) dzu[j] += we * g[j];
                    }
                }
            }
            if (!vf) continue;
            for (int64_t i = 0; i < p; i++) {
                const float deg = out_weight(a, w, p, u, i);
                for (int64_t r = 0; r < R; r++) {
                    const float *g = dy + (u * R + r) * f;
                    float *dzu = dz + ((u * R + r) * p + i) * f;
                    for (int64_t j = 0; j < f; j++) dzu[j] -= deg * g[j];
                }
            }
        }
    }
    if (wn->grad) { /* SDDMM on the edge pattern: dw[e,i] = <dY[tail], Z_i[head] (− Z_i[tail])> */
        float *dw = wn->grad->data;
#pragma omp parallel for schedule(dynamic, 64) num_threads(lc_i_threads()) if (a->nnz * p * f * R > 65536)
        for (int64_t t = 0; t < d.n; t++) {
            for (int64_t k = a->rowptr[t]; k < a->rowptr[t + 1]; k++) {
                const int64_t h = a->col[k];
                for (int64_t i = 0; i < p; i++) {
                    double s = 0;
                    for (int64_t r = 0; r < R; r++) {
                        const float *g = dy + (t * R + r) * f;
                        const float *zh = z + ((h * R + r) * p + i) * f;
                        const float *zt = z + ((t * R + r) * p + i) * f;
                        float acc = 0;
                        if (vf) {
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
}
