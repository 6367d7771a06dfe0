/* ops_lowrank.c — low-rank generators Σ_i U_i·(V_iᵀ·Z_i), and their expand form [U_i·V_iᵀ·X]_i:
 * builders and CPU kernels (GEMM only, no n × n matrix). */
#include <cblas.h>
#include <limits.h>
#include <string.h>

#include "backend.h"

/* The node's inputs are [U | V] (one concat node, so that the op keeps the
 * graph's two-input form and autodiff sees every edge) and z.
 * Shapes: uv [n, 2·p·r], z [n, …, p·f] viewed as [n, R, p, f], out [n, R, f].
 * aux holds S as a [p·r, R·f] matrix — block (i, ρ) at rows i·r…i·r+r−1 and
 * columns ρ·f…ρ·f+f−1 is S_{i,ρ} = V_iᵀ·Z_{i,ρ} — and, behind it, dS in the
 * same layout. With S stacked that way, Y = U·S, dU = dY·Sᵀ and dS = Uᵀ·dY
 * are each one GEMM over every generator and the whole batch; only the V side
 * needs one small GEMM per (i, ρ), because Z's columns interleave generators. */
lc_i_lowrank_dims lc_i_lowrank_dims_of(const lc_i_node *node)
{
    lc_i_lowrank_dims d;
    int64_t numel = 1;
    for (int i = 0; i < node->ndim; i++) numel *= node->shape[i];
    d.n = (int)node->shape[0];
    d.p = node->iparam[0];
    d.r = node->iparam[1];
    d.f = (int)node->shape[node->ndim - 1];
    d.R = (int)(numel / ((int64_t)d.n * d.f));
    return d;
}

/* Both builders: check the shapes, then one node on [U | V] and z; `expand`
 * makes the output [n, …, p·c] from z [n, …, c]. Errors name `func`. */
static lc_status push_lowrank(const char *func, lc_cgraph_t *cg, lc_node u, lc_node v, lc_node z,
                              int p, bool expand, lc_node *out)
{
    const lc_node in[3] = {u, v, z};
    lc_status st = lc_i_check_build(cg, func, 3, in, out);
    if (st) return st;
    if (p < 1) return lc_i_error(LC_ERR_INVALID_ARG, func, "p = %d generators (must be >= 1)", p);
    const lc_i_node *nu = &cg->nodes[u], *nv = &cg->nodes[v], *nz = &cg->nodes[z];
    char su[64], sv[64], sz[64];
    lc_i_node_shape_str(nu, su, sizeof su);
    lc_i_node_shape_str(nv, sv, sizeof sv);
    lc_i_node_shape_str(nz, sz, sizeof sz);
    if (nu->ndim != 2 || nv->ndim != 2 || nu->shape[0] != nv->shape[0] ||
        nu->shape[1] != nv->shape[1])
        return lc_i_error(LC_ERR_SHAPE, func, "u %s and v %s must both be [n, p·r]", su, sv);
    const int64_t n = nu->shape[0], pr = nu->shape[1];
    if (pr % p != 0)
        return lc_i_error(LC_ERR_SHAPE, func, "u and v %s: %lld columns are not p·r with p = %d",
                          su, (long long)pr, p);
    const int64_t last = nz->shape[nz->ndim - 1];
    if (nz->ndim < 2 || nz->shape[0] != n || (!expand && last % p != 0))
        return lc_i_error(LC_ERR_SHAPE, func, "z %s must be [n = %lld, …, %s] with p = %d", sz,
                          (long long)n, expand ? "c" : "p·f", p);
    int64_t z_cols = 1; /* R·p·f: the row length of z, a leading dimension for BLAS */
    for (int i = 1; i < nz->ndim; i++) z_cols *= nz->shape[i];
    if (n > INT_MAX || 2 * pr > INT_MAX || z_cols > INT_MAX / (expand ? p : 1))
        return lc_i_error(LC_ERR_SHAPE, func, "u %s or z %s exceeds the 32-bit dimensions of BLAS",
                          su, sz);
    int64_t shape[LC_MAX_DIMS];
    const int ndim = nz->ndim;
    memcpy(shape, nz->shape, sizeof shape);
    shape[ndim - 1] = expand ? last * p : last / p;
    /* nu, nv, nz are not used past this point: adding nodes may move them. */
    lc_node uv;
    if ((st = lc_cg_concat(cg, u, v, &uv))) return st;
    lc_i_node *node;
    if ((st = lc_i_push_node(cg, LC_OP_LOWRANK, 2, uv, z, ndim, shape, out, &node))) return st;
    node->iparam[0] = p;
    node->iparam[1] = (int)(pr / p);
    node->iparam[2] = expand;
    return LC_OK;
}

lc_status lc_cg_lowrank(lc_cgraph_t *cg, lc_node u, lc_node v, lc_node z, int p, lc_node *out)
{
    return push_lowrank(__func__, cg, u, v, z, p, false, out);
}

lc_status lc_cg_lowrank_expand(lc_cgraph_t *cg, lc_node u, lc_node v, lc_node x, int p,
                               lc_node *out)
{
    return push_lowrank(__func__, cg, u, v, x, p, true, out);
}

/* Expand form: x [n, R, c] (R·c = m columns), out [n, R, p·c]. X is not split by
 * generator, so T = Vᵀ·X [p·r, m] is one GEMM, and so are dV = X·dTᵀ and
 * dX = V·dT; per generator, Y_i = U_i·T_i [n, m] is one GEMM into a scratch
 * block, scattered to out's columns (ρ·p + i)·c … (backward: gathered).
 * aux: T [p·r, m], dT [p·r, m] when gradients flow, scratch [n, m]. */
typedef struct {
    int n, p, r, R, c, m;
} expand_dims;

static expand_dims expand_dims_of(const lc_i_node *node)
{
    const lc_i_lowrank_dims d = lc_i_lowrank_dims_of(node); /* its f is p·c here */
    return (expand_dims){.n = d.n, .p = d.p, .r = d.r, .R = d.R, .c = d.f / d.p,
                         .m = d.R * (d.f / d.p)};
}

int64_t lc_i_lowrank_expand_aux(const lc_i_node *node)
{
    const expand_dims d = expand_dims_of(node);
    return ((node->needs_grad ? 2 : 1) * (int64_t)d.p * d.r + d.n) * d.m;
}

/* Columns of generator i in out (out_to_block = false: block → out). */
static void move_block(const expand_dims *d, float *out, float *block, int i, bool out_to_block)
{
    for (int64_t v = 0; v < d->n; v++)
        for (int rho = 0; rho < d->R; rho++) {
            float *o = out + (v * d->R + rho) * (int64_t)d->p * d->c + (int64_t)i * d->c;
            float *b = block + v * d->m + (int64_t)rho * d->c;
            memcpy(out_to_block ? b : o, out_to_block ? o : b, (size_t)d->c * sizeof *o);
        }
}

static void lowrank_expand_fwd(lc_cgraph_t *cg, lc_i_node *node)
{
    const expand_dims d = expand_dims_of(node);
    const int pr = d.p * d.r, ld_uv = 2 * pr;
    const float *uv = lc_i_in(cg, node, 0)->value->data, *x = lc_i_in(cg, node, 1)->value->data;
    float *t = node->aux->data, *block = t + (int64_t)(node->needs_grad ? 2 : 1) * pr * d.m;
    /* T [p·r, m] = Vᵀ·X */
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, pr, d.m, d.n, 1.0f, uv + pr, ld_uv, x, d.m,
                0.0f, t, d.m);
    for (int i = 0; i < d.p; i++) { /* Y_i [n, m] = U_i·T_i */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, d.n, d.m, d.r, 1.0f, uv + i * d.r,
                    ld_uv, t + (int64_t)i * d.r * d.m, d.m, 0.0f, block, d.m);
        move_block(&d, node->value->data, block, i, false);
    }
}

static void lowrank_expand_bwd(lc_cgraph_t *cg, lc_i_node *node)
{
    lc_i_node *uvn = lc_i_in(cg, node, 0), *xn = lc_i_in(cg, node, 1);
    if (!uvn->grad && !xn->grad) return;
    const expand_dims d = expand_dims_of(node);
    const int pr = d.p * d.r, ld_uv = 2 * pr;
    const float *uv = uvn->value->data, *x = xn->value->data, *t = node->aux->data;
    float *dt = node->aux->data + (int64_t)pr * d.m, *block = dt + (int64_t)pr * d.m;
    float *duv = uvn->grad ? uvn->grad->data : NULL;
    for (int i = 0; i < d.p; i++) {
        move_block(&d, node->grad->data, block, i, true); /* dY_i [n, m] */
        if (duv) /* dU_i += dY_i·T_iᵀ */
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, d.n, d.r, d.m, 1.0f, block, d.m,
                        t + (int64_t)i * d.r * d.m, d.m, 1.0f, duv + i * d.r, ld_uv);
        /* dT_i = U_iᵀ·dY_i */
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, d.r, d.m, d.n, 1.0f, uv + i * d.r,
                    ld_uv, block, d.m, 0.0f, dt + (int64_t)i * d.r * d.m, d.m);
    }
    if (duv) /* dV += X·dTᵀ */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, d.n, pr, d.m, 1.0f, x, d.m, dt, d.m,
                    1.0f, duv + pr, ld_uv);
    if (xn->grad) /* dX += V·dT */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, d.n, d.m, pr, 1.0f, uv + pr, ld_uv,
                    dt, d.m, 1.0f, xn->grad->data, d.m);
}

void lc_i_lowrank_fwd(lc_cgraph_t *cg, lc_i_node *node)
{
    if (node->iparam[2]) {
        lowrank_expand_fwd(cg, node);
        return;
    }
    const lc_i_lowrank_dims d = lc_i_lowrank_dims_of(node);
    const int pr = d.p * d.r, ld_uv = 2 * pr, ld_z = d.R * d.p * d.f, rf = d.R * d.f;
    const float *uv = lc_i_in(cg, node, 0)->value->data, *z = lc_i_in(cg, node, 1)->value->data;
    float *s = node->aux->data;
    for (int i = 0; i < d.p; i++) /* S_{i,ρ} [r, f] = V_iᵀ·Z_{i,ρ} */
        for (int rho = 0; rho < d.R; rho++)
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, d.r, d.f, d.n, 1.0f,
                        uv + pr + i * d.r, ld_uv, z + ((int64_t)rho * d.p + i) * d.f, ld_z, 0.0f,
                        s + (int64_t)i * d.r * rf + (int64_t)rho * d.f, rf);
    /* Y [n, R·f] = U [n, p·r] · S [p·r, R·f] */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, d.n, rf, pr, 1.0f, uv, ld_uv, s, rf,
                0.0f, node->value->data, rf);
}

void lc_i_lowrank_bwd(lc_cgraph_t *cg, lc_i_node *node)
{
    if (node->iparam[2]) {
        lowrank_expand_bwd(cg, node);
        return;
    }
    lc_i_node *uvn = lc_i_in(cg, node, 0), *zn = lc_i_in(cg, node, 1);
    if (!uvn->grad && !zn->grad) return;
    const lc_i_lowrank_dims d = lc_i_lowrank_dims_of(node);
    const int pr = d.p * d.r, ld_uv = 2 * pr, ld_z = d.R * d.p * d.f, rf = d.R * d.f;
    const float *uv = uvn->value->data, *z = zn->value->data, *dy = node->grad->data;
    const float *s = node->aux->data;
    float *ds = node->aux->data + (int64_t)pr * rf;
    float *duv = uvn->grad ? uvn->grad->data : NULL, *dz = zn->grad ? zn->grad->data : NULL;
    /* dU [n, p·r] += dY [n, R·f] · Sᵀ */
    if (duv)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, d.n, pr, rf, 1.0f, dy, rf, s, rf,
                    1.0f, duv, ld_uv);
    /* dS [p·r, R·f] = Uᵀ · dY */
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, pr, rf, d.n, 1.0f, uv, ld_uv, dy, rf,
                0.0f, ds, rf);
    for (int i = 0; i < d.p; i++)
        for (int rho = 0; rho < d.R; rho++) {
            const float *ds_ir = ds + (int64_t)i * d.r * rf + (int64_t)rho * d.f;
            const int64_t z_off = ((int64_t)rho * d.p + i) * d.f;
            if (duv) /* dV_i [n, r] += Z_{i,ρ} · dS_{i,ρ}ᵀ, batch slices summed in order */
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, d.n, d.r, d.f, 1.0f,
                            z + z_off, ld_z, ds_ir, rf, 1.0f, duv + pr + i * d.r, ld_uv);
            if (dz) /* dZ_{i,ρ} [n, f] += V_i · dS_{i,ρ} */
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, d.n, d.f, d.r, 1.0f,
                            uv + pr + i * d.r, ld_uv, ds_ir, rf, 1.0f, dz + z_off, ld_z);
        }
}
