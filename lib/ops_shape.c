/* ops_shape.c — reshape and element-wise product: the glue of recurrent L-conv models (L·X on [n, B·c], X·W on [n·B, c], per-sample dot products). */
#include <string.h>

#include "backend.h"


lc_status lc_cg_reshape(lc_cgraph_t *cg, lc_node x, int ndim, const int64_t *shape, lc_node *out)
{
    const lc_node in[1] = {x};
    lc_status st = lc_i_check_build(cg, __func__, 1, in, out);
    if (st) return st;
    LC_CHECK_ARG(shape, "shape is NULL");
    LC_CHECK_ARG(ndim >= 1 && ndim <= LC_MAX_DIMS, "ndim = %d not in [1, %d]", ndim, LC_MAX_DIMS);
    int64_t count = 1;
    for (int k = 0; k < ndim; k++) {
        LC_CHECK_ARG(shape[k] >= 1 && shape[k] <= LC_MAX_NUMEL, "dim %d = %lld not in [1, 2^36]",
                     k, (long long)shape[k]);
        count *= shape[k];
        LC_CHECK_ARG(count <= LC_MAX_NUMEL, "shape holds more than 2^36 elements");
    }
    const lc_i_node *nx = &cg->nodes[x];
    int64_t numel = 1;
    for (int k = 0; k < nx->ndim; k++) numel *= nx->shape[k];
    if (numel != count) {
        char sx[64];
        return LC_ERROR(LC_ERR_SHAPE, "x %s holds %lld elements, the new shape %lld",
                        lc_i_node_shape_str(nx, sx, sizeof sx), (long long)numel, (long long)count);
    }
    return lc_i_push_node(cg, LC_OP_RESHAPE, 1, x, -1, ndim, shape, out, NULL);
}

lc_status lc_cg_mul(lc_cgraph_t *cg, lc_node a, lc_node b, lc_node *out)
{
    const lc_node in[2] = {a, b};
    lc_status st = lc_i_check_build(cg, __func__, 2, in, out);
    if (st) return st;
    const lc_i_node *na = &cg->nodes[a], *nb = &cg->nodes[b];
    if (na->ndim != nb->ndim || memcmp(na->shape, nb->shape, (size_t)na->ndim * sizeof(int64_t))) {
        char sa[64], sb[64];
        return LC_ERROR(LC_ERR_SHAPE, "shapes differ: %s and %s",
                        lc_i_node_shape_str(na, sa, sizeof sa), lc_i_node_shape_str(nb, sb, sizeof sb));
    }
    return lc_i_push_node(cg, LC_OP_MUL, 2, a, b, na->ndim, na->shape, out, NULL);
}

void lc_i_reshape_fwd(lc_cgraph_t *cg, lc_i_node *n)
{
    memcpy(n->value->data, lc_i_in(cg, n, 0)->value->data, (size_t)n->value->numel * sizeof(float));
}
void lc_i_reshape_bwd(lc_cgraph_t *cg, lc_i_node *n)
{
    float *dx = lc_i_in(cg, n, 0)->grad->data;
    const float *dy = n->grad->data;
    const int64_t len = n->grad->numel;
    LC_I_PAR_SIMD for (int64_t i = 0; i < len; i++) dx[i] += dy[i];
}

void lc_i_mul_fwd(lc_cgraph_t *cg, lc_i_node *n)
{
    const float *a = lc_i_in(cg, n, 0)->value->data, *b = lc_i_in(cg, n, 1)->value->data;
    float *y = n->value->data;
    const int64_t len = n->value->numel;
    LC_I_PAR_SIMD for (int64_t i = 0; i < len; i++) y[i] = a[i] * b[i];
}
void lc_i_mul_bwd(lc_cgraph_t *cg, lc_i_node *n)
{
    const lc_i_node *na = lc_i_in(cg, n, 0), *nb = lc_i_in(cg, n, 1);
    const float *a = na->value->data, *b = nb->value->data, *dy = n->grad->data;
    float *da = na->grad ? na->grad->data : NULL, *db = nb->grad ? nb->grad->data : NULL;
    const int64_t len = n->grad->numel;
    /* a and b may be the same node (x ∘ x): both terms land in its gradient */
    if (da) LC_I_PAR_SIMD for (int64_t i = 0; i < len; i++) da[i] += dy[i] * b[i];
    if (db) LC_I_PAR_SIMD for (int64_t i = 0; i < len; i++) db[i] += dy[i] * a[i];
}
