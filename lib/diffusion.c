/* diffusion.c — exact implicit diffusion y = (M + t·L)⁻¹·M·x: a CHOLMOD factor, its solves, and the
 * compute-graph op. */
#include <math.h>
#include <string.h>

#include <suitesparse/cholmod.h>

#include "backend.h"

/* Right-hand sides solved together: the inner loops run over them. */
#define BLOCK 16

struct lc_diffusion {
    int64_t n;
    double t;
    double *mass; /* n */
    /* The simplicial factor L·Lᵀ = A(perm, perm) of A = M + t·L, copied out of
     * CHOLMOD: column j holds rows li[lp[j] .. lp[j+1]), the diagonal first. */
    int32_t *perm; /* n */
    int64_t *lp;   /* n + 1 */
    int32_t *li;   /* lp[n] */
    double *lx;    /* lp[n] */
};

void lc_diffusion_free(lc_diffusion_t **pd)
{
    if (!pd || !*pd) return;
    lc_diffusion_t *d = *pd;
    lc_i_free(d->mass);
    lc_i_free(d->perm);
    lc_i_free(d->lp);
    lc_i_free(d->li);
    lc_i_free(d->lx);
    lc_i_free(d);
    *pd = NULL;
}

int64_t lc_diffusion_size(const lc_diffusion_t *d)
{
    return d ? d->n : 0;
}

/* L[i, j], or NAN when the entry is not stored (columns are sorted in each row). */
static double csr_at(const lc_csr_t *a, int64_t i, int64_t j)
{
    int64_t lo = a->rowptr[i], hi = a->rowptr[i + 1];
    while (lo < hi) {
        const int64_t mid = lo + (hi - lo) / 2;
        if (a->col[mid] < j)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < a->rowptr[i + 1] && a->col[lo] == j ? a->val[lo] : NAN;
}

/* The arguments of lc_diffusion_new; counts the lower triangle of L (diagonal
 * included) into *lower. */
static lc_status check_operator(const lc_csr_t *l, const float *mass, double t, int64_t *lower)
{
    const char *api = "lc_diffusion_new";
    const int64_t n = l->n_rows;
    if (n != l->n_cols || n < 1)
        return lc_i_error(LC_ERR_SHAPE, api, "L is %lld x %lld; it must be square and not empty",
                          (long long)n, (long long)l->n_cols);
    if (n > INT32_MAX - 1)
        return lc_i_error(LC_ERR_OUT_OF_MEMORY, api,
                          "%lld rows: CHOLMOD's int indices stop at 2^31", (long long)n);
    if (!(t >= 0) || !isfinite(t))
        return lc_i_error(LC_ERR_INVALID_ARG, api, "t = %g; it must be finite and >= 0", t);
    for (int64_t i = 0; i < n; i++)
        if (!(mass[i] > 0) || !isfinite(mass[i]))
            return lc_i_error(LC_ERR_INVALID_ARG, api,
                              "mass[%lld] = %g; every mass must be positive and finite (a vertex "
                              "in no triangle of positive area has none)",
                              (long long)i, (double)mass[i]);
    int64_t count = 0;
    for (int64_t i = 0; i < n; i++)
        for (int64_t k = l->rowptr[i]; k < l->rowptr[i + 1]; k++) {
            const int64_t j = l->col[k];
            const double v = l->val[k], vt = j == i ? v : csr_at(l, j, i);
            if (!isfinite(v))
                return lc_i_error(LC_ERR_NUMERIC, api, "L[%lld, %lld] = %g is not finite",
                                  (long long)i, (long long)j, v);
            /* the missing entry reads as 0 */
            const double other = isnan(vt) ? 0.0 : vt;
            if (fabs(v - other) > 1e-6 * fmax(fabs(v), fabs(other)))
                return lc_i_error(LC_ERR_INVALID_ARG, api,
                                  "L is not symmetric: L[%lld, %lld] = %.9g but L[%lld, %lld] = "
                                  "%.9g",
                                  (long long)i, (long long)j, v, (long long)j, (long long)i, other);
            if (j >= i) count++;
        }
    if (count + n > INT32_MAX)
        return lc_i_error(LC_ERR_OUT_OF_MEMORY, api,
                          "%lld stored entries: CHOLMOD's int indices stop at 2^31",
                          (long long)count);
    *lower = count;
    return LC_OK;
}

lc_status lc_diffusion_new(lc_diffusion_t **out, const lc_csr_t *l, const float *mass, double t)
{
    LC_CHECK_ARG(out && l && mass, "NULL argument");
    lc_status st = LC_OK;
    int64_t lower = 0;
    if ((st = check_operator(l, mass, t, &lower))) return st;
    const int64_t n = l->n_rows;
    cholmod_common cc;
    cholmod_sparse *a = NULL;
    cholmod_factor *f = NULL;
    lc_diffusion_t *d = lc_i_calloc(1, sizeof *d);
    if (!d) return LC_ERROR(LC_ERR_OUT_OF_MEMORY, "cannot allocate a diffusion operator");
    d->n = n;
    d->t = t;
    d->mass = lc_i_malloc((size_t)n * sizeof *d->mass);
    d->perm = lc_i_malloc((size_t)n * sizeof *d->perm);
    d->lp = lc_i_malloc(((size_t)n + 1) * sizeof *d->lp);
    if (!d->mass || !d->perm || !d->lp) {
        lc_diffusion_free(&d);
        return LC_ERROR(LC_ERR_OUT_OF_MEMORY, "cannot allocate a diffusion operator of %lld rows",
                        (long long)n);
    }
    for (int64_t i = 0; i < n; i++)
        d->mass[i] = mass[i];

    lc_i_cholmod_start(&cc);
    /* A = M + t·L, its lower triangle in compressed columns: row i of the
     * symmetric L read as column i, entries j >= i (the diagonal first). */
    a = cholmod_allocate_sparse((size_t)n, (size_t)n, (size_t)(lower + n), 1, 1, -1, CHOLMOD_REAL,
                                &cc);
    if (!a) goto cholmod_failed;
    {
        int *ap = a->p, *ai = a->i;
        double *ax = a->x;
        int64_t k = 0;
        for (int64_t i = 0; i < n; i++) {
            ap[i] = (int)k;
            ai[k] = (int)i, ax[k] = mass[i], k++;
            for (int64_t q = l->rowptr[i]; q < l->rowptr[i + 1]; q++) {
                const int64_t j = l->col[q];
                if (j == i)
                    ax[ap[i]] += t * (double)l->val[q];
                else if (j > i)
                    ai[k] = (int)j, ax[k] = t * (double)l->val[q], k++;
            }
        }
        ap[n] = (int)k;
    }
    f = cholmod_analyze(a, &cc);
    if (!f || !cholmod_factorize(a, f, &cc)) goto cholmod_failed;
    if (cc.status == CHOLMOD_NOT_POSDEF || f->minor < (size_t)n) {
        st = LC_ERROR(LC_ERR_NUMERIC,
                      "M + t·L is not positive definite (CHOLMOD stopped at column %zu of %lld): "
                      "is L positive semidefinite?",
                      f->minor, (long long)n);
        goto done;
    }
    /* A simplicial, packed L·Lᵀ factor whose columns can be walked directly. */
    if (!cholmod_change_factor(CHOLMOD_REAL, 1, 0, 1, 1, f, &cc)) goto cholmod_failed;
    {
        const int *fp = f->p, *fi = f->i, *perm = f->Perm;
        const double *fx = f->x;
        const int64_t nnz = fp[n];
        d->li = lc_i_malloc((size_t)nnz * sizeof *d->li);
        d->lx = lc_i_malloc((size_t)nnz * sizeof *d->lx);
        if (!d->li || !d->lx) {
            st = LC_ERROR(LC_ERR_OUT_OF_MEMORY, "cannot allocate a factor of %lld entries",
                          (long long)nnz);
            goto done;
        }
        for (int64_t j = 0; j <= n; j++)
            d->lp[j] = fp[j];
        for (int64_t j = 0; j < n; j++)
            d->perm[j] = perm[j];
        for (int64_t k = 0; k < nnz; k++)
            d->li[k] = fi[k], d->lx[k] = fx[k];
        /* A simplicial LDLᵀ factorisation (CHOLMOD's choice for small
         * systems) goes through a negative pivot, which the conversion to
         * L·Lᵀ turns into a NaN or negative diagonal. */
        for (int64_t j = 0; j < n; j++) {
            if (fi[fp[j]] != j) {
                st = LC_ERROR(LC_ERR_BACKEND,
                              "CHOLMOD's factor has no diagonal first in column "
                              "%lld",
                              (long long)j);
                goto done;
            }
            if (!(fx[fp[j]] > 0)) {
                st = LC_ERROR(LC_ERR_NUMERIC,
                              "M + t·L is not positive definite (pivot %lld of %lld is not "
                              "positive): is L positive semidefinite?",
                              (long long)j, (long long)n);
                goto done;
            }
        }
    }
    goto done;
cholmod_failed : {
    const char *why;
    lc_i_cholmod_error(&why);
    st = LC_ERROR(cc.status == CHOLMOD_OUT_OF_MEMORY ? LC_ERR_OUT_OF_MEMORY : LC_ERR_BACKEND,
                  "CHOLMOD failed on a %lld x %lld system: %s", (long long)n, (long long)n, why);
}
done:
    cholmod_free_factor(&f, &cc);
    cholmod_free_sparse(&a, &cc);
    cholmod_finish(&cc);
    if (st)
        lc_diffusion_free(&d);
    else
        *out = d;
    return st;
}

/* ---------------------------------------------------------------- solves */

/* Solve L·Lᵀ·z = z in place for w right-hand sides stored row by row (z[k·w + q]). */
static void factor_solve(const lc_diffusion_t *d, double *z, int w)
{
    const int64_t n = d->n;
    const int64_t *lp = d->lp;
    const int32_t *li = d->li;
    const double *lx = d->lx;
    for (int64_t j = 0; j < n; j++) {
        double *zj = z + j * w;
        const double diag = lx[lp[j]];
        for (int q = 0; q < w; q++)
            zj[q] /= diag;
        for (int64_t p = lp[j] + 1; p < lp[j + 1]; p++) {
            double *zi = z + (int64_t)li[p] * w;
            const double v = lx[p];
            for (int q = 0; q < w; q++)
                zi[q] -= v * zj[q];
        }
    }
    for (int64_t j = n - 1; j >= 0; j--) {
        double *zj = z + j * w;
        for (int64_t p = lp[j] + 1; p < lp[j + 1]; p++) {
            const double *zi = z + (int64_t)li[p] * w;
            const double v = lx[p];
            for (int q = 0; q < w; q++)
                zj[q] -= v * zi[q];
        }
        const double diag = lx[lp[j]];
        for (int q = 0; q < w; q++)
            zj[q] /= diag;
    }
}

/* Columns of x (c of them, row-major [n, c]) in blocks of BLOCK, one block
 * at a time per work slot of n·BLOCK doubles; slots run in parallel, each
 * block is solved by one thread in a fixed order, so the result does not
 * depend on the thread count. adjoint = 0: y = A⁻¹·M·x (y may be x);
 * adjoint = 1: y += M·A⁻¹·x. */
static void diffusion_run(const lc_diffusion_t *d, const float *x, float *y, int64_t c,
                          double *work, int slots, int adjoint)
{
    const int64_t n = d->n, blocks = (c + BLOCK - 1) / BLOCK;
    const int32_t *perm = d->perm;
    const double *mass = d->mass;
#pragma omp parallel for schedule(static, 1) num_threads(slots) if (slots > 1)
    for (int s = 0; s < slots; s++) {
        double *z = work + (int64_t)s * n * BLOCK;
        for (int64_t b = s; b < blocks; b += slots) {
            const int64_t c0 = b * BLOCK;
            const int w = (int)(c - c0 < BLOCK ? c - c0 : BLOCK);
            for (int64_t k = 0; k < n; k++) {
                const int64_t r = perm[k];
                const double scale = adjoint ? 1.0 : mass[r];
                for (int q = 0; q < w; q++)
                    z[k * w + q] = scale * x[r * c + c0 + q];
            }
            factor_solve(d, z, w);
            for (int64_t k = 0; k < n; k++) {
                const int64_t r = perm[k];
                if (adjoint)
                    for (int q = 0; q < w; q++)
                        y[r * c + c0 + q] += (float)(mass[r] * z[k * w + q]);
                else
                    for (int q = 0; q < w; q++)
                        y[r * c + c0 + q] = (float)z[k * w + q];
            }
        }
    }
}

/* Work slots for c columns: one per thread, no more than there are blocks. */
static int slots_for(int64_t c)
{
    const int64_t blocks = (c + BLOCK - 1) / BLOCK;
    const int threads = lc_i_threads() > 0 ? lc_i_threads() : 1;
    return (int)(blocks < threads ? blocks : threads);
}

lc_status lc_diffusion_apply(const lc_diffusion_t *d, const lc_tensor_t *x, lc_tensor_t *y)
{
    LC_CHECK_ARG(d && x && y, "NULL argument");
    char sx[64], sy[64];
    if (x->shape[0] != d->n || x->numel != y->numel || x->ndim != y->ndim ||
        memcmp(x->shape, y->shape, (size_t)x->ndim * sizeof *x->shape))
        return LC_ERROR(LC_ERR_SHAPE, "x %s and y %s must have the same shape [%lld, ...]",
                        lc_i_shape_str(x, sx, sizeof sx), lc_i_shape_str(y, sy, sizeof sy),
                        (long long)d->n);
    const int64_t c = x->numel / d->n;
    const int slots = slots_for(c);
    double *work = lc_i_malloc((size_t)slots * (size_t)d->n * BLOCK * sizeof *work);
    if (!work)
        return LC_ERROR(LC_ERR_OUT_OF_MEMORY, "cannot allocate %d x %lld x %d doubles of scratch",
                        slots, (long long)d->n, BLOCK);
    diffusion_run(d, x->data, y->data, c, work, slots, 0);
    lc_i_free(work);
    return LC_OK;
}

/* ---------------------------------------------------------------- compute-graph op */

lc_status lc_cg_diffusion(lc_cgraph_t *cg, const lc_diffusion_t *d, lc_node x, lc_node *out)
{
    const lc_node in[1] = {x};
    lc_status st = lc_i_check_build(cg, __func__, 1, in, out);
    if (st) return st;
    LC_CHECK_ARG(d, "diffusion operator is NULL");
    const lc_i_node *nx = &cg->nodes[x];
    if (nx->shape[0] != d->n) {
        char sx[64];
        return LC_ERROR(LC_ERR_SHAPE, "x %s does not have the operator's %lld rows",
                        lc_i_node_shape_str(nx, sx, sizeof sx), (long long)d->n);
    }
    lc_i_node *n;
    st = lc_i_push_node(cg, LC_OP_DIFFUSION, 1, x, -1, nx->ndim, nx->shape, out, &n);
    if (st) return st;
    n->ptr = d;
    return LC_OK;
}

int64_t lc_i_diffusion_aux(const lc_i_node *node)
{
    const lc_diffusion_t *d = node->ptr;
    int64_t numel = 1;
    for (int k = 0; k < node->ndim; k++)
        numel *= node->shape[k];
    /* doubles, as pairs of floats */
    return 2 * (int64_t)slots_for(numel / d->n) * d->n * BLOCK;
}

void lc_i_diffusion_host(const lc_diffusion_t *d, const float *x, float *y, int64_t c, float *work,
                         int64_t work_floats, int adjoint)
{
    /* the slots the work was sized for (the thread count may have changed since) */
    const int have = (int)(work_floats / (2 * d->n * BLOCK)), want = slots_for(c);
    diffusion_run(d, x, y, c, (double *)(void *)work, want < have ? want : have, adjoint);
}

void lc_i_diffusion_fwd(lc_cgraph_t *cg, lc_i_node *node)
{
    const lc_diffusion_t *d = node->ptr;
    lc_i_diffusion_host(d, lc_i_in(cg, node, 0)->value->data, node->value->data,
                        node->value->numel / d->n, node->aux->data, node->aux->numel, 0);
}

/* (A⁻¹·M)ᵀ = M·A⁻¹, A being symmetric. */
void lc_i_diffusion_bwd(lc_cgraph_t *cg, lc_i_node *node)
{
    const lc_diffusion_t *d = node->ptr;
    lc_i_diffusion_host(d, node->grad->data, lc_i_in(cg, node, 0)->grad->data,
                        node->grad->numel / d->n, node->aux->data, node->aux->numel, 1);
}
