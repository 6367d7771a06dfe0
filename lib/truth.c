/* truth.c — ground truths for symmetry discovery: band-limited shifts and their generator, 2-D rotation generators, torch-style image rotation, batched exp(θ·L)·x. */
#include <cblas.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* The paper's band: the integer frequencies p with |p| < d/2 (for even d,
 * -d/2+1 .. d/2-1: the Nyquist frequency is left out, as in the authors'
 * code). Sums in double; both kernels are d-periodic in u. */
static double shift_kernel(int64_t d, double u)
{
    double s = 0.0;
    for (int64_t p = -(d - 1) / 2; 2 * p < d; p++) s += cos(2.0 * M_PI * (double)p * u / (double)d);
    return s / (double)d;
}
static double generator_kernel(int64_t d, double u)
{
    double s = 0.0;
    for (int64_t p = -(d - 1) / 2; 2 * p < d; p++)
        s -= 2.0 * M_PI * (double)p / ((double)d * (double)d) * sin(2.0 * M_PI * (double)p * u / (double)d);
    return s;
}

/* A d × d circulant matrix with entry (i, j) = table[(i - j) mod d]. */
static lc_status circulant(int64_t d, const double *table, lc_tensor_t **out)
{
    lc_tensor_t *t = NULL;
    lc_status st = lc_tensor_new2(&t, d, d);
    if (st) return st;
    for (int64_t i = 0; i < d; i++)
        for (int64_t j = 0; j < d; j++) t->data[i * d + j] = (float)table[((i - j) % d + d) % d];
    *out = t;
    return LC_OK;
}

/* Largest d of the 1-D operators: d² floats must fit a tensor. */
#define SHIFT_MAX_D ((int64_t)1 << 18)

static lc_status one_dim(int64_t d, double z, bool generator, lc_tensor_t **out, const char *func)
{
    if (!out) return lc_i_error(LC_ERR_INVALID_ARG, func, "output tensor pointer is NULL");
    if (d < 2 || d > SHIFT_MAX_D)
        return lc_i_error(LC_ERR_INVALID_ARG, func, "d = %lld not in [2, %lld]", (long long)d,
                          (long long)SHIFT_MAX_D);
    if (!isfinite(z)) return lc_i_error(LC_ERR_INVALID_ARG, func, "shift z = %g is not finite", z);
    double *table = lc_i_malloc((size_t)d * sizeof *table);
    if (!table) return lc_i_error(LC_ERR_OUT_OF_MEMORY, func, "cannot allocate %lld doubles", (long long)d);
    for (int64_t k = 0; k < d; k++)
        table[k] = generator ? generator_kernel(d, (double)k) : shift_kernel(d, (double)k - z);
    lc_status st = circulant(d, table, out);
    lc_i_free(table);
    return st ? lc_i_error_from(st, func) : LC_OK;
}

lc_status lc_shift_1d(int64_t d, double z, lc_tensor_t **q)
{
    return one_dim(d, z, false, q, __func__);
}

lc_status lc_shift_generator_1d(int64_t d, lc_tensor_t **l0)
{
    return one_dim(d, 0.0, true, l0, __func__);
}

/* Largest image side: side⁴ floats per generator (256 → 16 GiB). */
#define ROTATION_MAX_SIDE 256

lc_status lc_rotation_generators_2d(int64_t side, lc_tensor_t **lx, lc_tensor_t **ly,
                                    lc_tensor_t **lrot)
{
    LC_CHECK_ARG(side >= 2 && side <= ROTATION_MAX_SIDE, "side = %lld not in [2, %d]",
                 (long long)side, ROTATION_MAX_SIDE);
    LC_CHECK_ARG(lx || ly || lrot, "all three outputs are NULL: nothing to build");
    const int64_t n = side * side, period = 2 * side;
    /* L0(2·side, u) for the pixel offsets u = -(side-1) .. side-1. */
    double table[2 * ROTATION_MAX_SIDE];
    for (int64_t u = -(side - 1); u <= side - 1; u++)
        table[u + side - 1] = generator_kernel(period, (double)u);
    lc_tensor_t *t[3] = {NULL, NULL, NULL};
    lc_tensor_t **outs[3] = {lx, ly, lrot};
    lc_status st = LC_OK;
    for (int k = 0; k < 3; k++)
        if (outs[k]) LC_TRY(lc_tensor_new2(&t[k], n, n));
    const double c = 0.5 * (double)(side - 1); /* the image centre, as the rotation's */
    for (int64_t i = 0; i < n; i++) {
        const int64_t ri = i / side, ci = i % side;
        const double xi = (double)ci - c, yi = (double)ri - c;
        /* same row: L_x; same column: L_y (L0 is odd, so both are antisymmetric) */
        for (int64_t cj = 0; cj < side; cj++) {
            const int64_t j = ri * side + cj;
            const double v = table[ci - cj + side - 1];
            if (t[0]) t[0]->data[i * n + j] = (float)v;
            if (t[2]) t[2]->data[i * n + j] += (float)(-yi * v);
        }
        for (int64_t rj = 0; rj < side; rj++) {
            const int64_t j = rj * side + ci;
            const double v = table[ri - rj + side - 1];
            if (t[1]) t[1]->data[i * n + j] = (float)v;
            if (t[2]) t[2]->data[i * n + j] += (float)(xi * v);
        }
    }
    for (int k = 0; k < 3; k++)
        if (outs[k]) {
            *outs[k] = t[k];
            t[k] = NULL;
        }
done:
    for (int k = 0; k < 3; k++) lc_tensor_free(&t[k]);
    return st;
}

/* ---------- image rotation ---------- */

/* The value at (iy, ix) of a bilinear interpolation in which taps outside the
 * image count as zero (grid_sample's behaviour at the border). */
static double bilinear(const float *src, int64_t h, int64_t w, double iy, double ix)
{
    const double fx = floor(ix), fy = floor(iy);
    const double wx1 = ix - fx, wy1 = iy - fy;
    const double wxs[2] = {1.0 - wx1, wx1}, wys[2] = {1.0 - wy1, wy1};
    double v = 0.0;
    for (int a = 0; a < 2; a++) {
        const double ry = fy + a;
        if (ry < 0 || ry > (double)(h - 1)) continue;
        for (int b = 0; b < 2; b++) {
            const double rx = fx + b;
            if (rx < 0 || rx > (double)(w - 1)) continue;
            v += wys[a] * wxs[b] * src[(int64_t)ry * w + (int64_t)rx];
        }
    }
    return v;
}

lc_status lc_image_rotate(const float *src, int64_t height, int64_t width, double angle,
                          lc_fill_mode fill, float *dst)
{
    LC_CHECK_ARG(src && dst, "NULL image (src %p, dst %p)", (const void *)src, (void *)dst);
    LC_CHECK_ARG(height >= 1 && width >= 1 && height <= INT32_MAX && width <= INT32_MAX,
                 "image size %lld x %lld: each side must be in [1, 2^31 - 1]", (long long)height,
                 (long long)width);
    LC_CHECK_ARG(height <= LC_MAX_NUMEL / width, "image of %lld x %lld pixels is too large",
                 (long long)height, (long long)width);
    LC_CHECK_ARG(isfinite(angle), "angle %g is not finite", angle);
    LC_CHECK_ARG(fill == LC_FILL_ZERO || fill == LC_FILL_BORDER, "unknown fill mode %d", (int)fill);
    const int64_t len = height * width;
    /* Compared as integers: pointers into different objects are not ordered in C. */
    const uintptr_t s0 = (uintptr_t)src, d0 = (uintptr_t)dst, bytes = (uintptr_t)len * sizeof(float);
    LC_CHECK_ARG(s0 + bytes <= d0 || d0 + bytes <= s0,
                 "src and dst overlap (%lld floats each): rotate into another buffer",
                 (long long)len);
    const double c = cos(angle), s = sin(angle), h = (double)height, w = (double)width;
    for (int64_t i = 0; i < height; i++) {
        /* affine_grid, align_corners = False: pixel centres at (2k + 1)/size - 1 */
        const double yn = (2.0 * (double)i + 1.0) / h - 1.0;
        for (int64_t j = 0; j < width; j++) {
            const double xn = (2.0 * (double)j + 1.0) / w - 1.0;
            const double xs = c * xn - s * yn, ys = s * xn + c * yn;
            /* grid_sample's unnormalisation with align_corners = False */
            double ix = ((xs + 1.0) * w - 1.0) / 2.0, iy = ((ys + 1.0) * h - 1.0) / 2.0;
            if (fill == LC_FILL_BORDER) { /* padding_mode 'border': clip the coordinates */
                ix = fmin(fmax(ix, 0.0), w - 1.0);
                iy = fmin(fmax(iy, 0.0), h - 1.0);
            }
            dst[i * width + j] = (float)bilinear(src, height, width, iy, ix);
        }
    }
    return LC_OK;
}

/* ---------- y = exp(θ_k L)·x column by column ---------- */

/* Columns done together: large enough for GEMM speed, small enough that the
 * block's largest |θ| does not set the step count of the whole batch. */
#define EXPM_BLOCK 2048

/* Largest 1-norm of θ·L/s per Taylor step: terms then shrink monotonically. */
#define EXPM_STEP_NORM 1.0

/* A column and its |θ|: columns are done in blocks of similar angles, so that a
 * block of small angles takes few steps. */
typedef struct {
    float mag;
    int64_t col;
} expm_col;
static int by_magnitude(const void *pa, const void *pb)
{
    const expm_col *a = pa, *b = pb;
    if (a->mag != b->mag) return a->mag < b->mag ? -1 : 1;
    return (a->col > b->col) - (a->col < b->col); /* ties in column order: deterministic */
}

lc_status lc_expm_apply(const lc_tensor_t *l, const float *theta, const lc_tensor_t *x,
                        lc_tensor_t *y)
{
    LC_CHECK_ARG(l && theta && x && y, "NULL argument (l %p, theta %p, x %p, y %p)",
                 (const void *)l, (const void *)theta, (const void *)x, (void *)y);
    char s1[64], s2[64];
    if (l->ndim != 2 || l->shape[0] != l->shape[1])
        return LC_ERROR(LC_ERR_SHAPE, "l %s must be square [n, n]", lc_i_shape_str(l, s1, sizeof s1));
    const int64_t n = l->shape[0];
    if (x->ndim != 2 || x->shape[0] != n)
        return LC_ERROR(LC_ERR_SHAPE, "x %s must be [n = %lld, batch]",
                        lc_i_shape_str(x, s1, sizeof s1), (long long)n);
    if (y->ndim != 2 || y->shape[0] != n || y->shape[1] != x->shape[1])
        return LC_ERROR(LC_ERR_SHAPE, "y %s must have the shape of x %s",
                        lc_i_shape_str(y, s1, sizeof s1), lc_i_shape_str(x, s2, sizeof s2));
    if (n > INT32_MAX)
        return LC_ERROR(LC_ERR_SHAPE, "n = %lld exceeds BLAS's 32-bit sizes", (long long)n);
    const int64_t batch = x->shape[1];
    for (int64_t k = 0; k < batch; k++)
        LC_CHECK_ARG(isfinite(theta[k]), "theta[%lld] = %g is not finite", (long long)k,
                     (double)theta[k]);
    /* ‖L‖₁ (largest column sum), in double */
    double norm = 0.0;
    for (int64_t j = 0; j < n; j++) {
        double col = 0.0;
        for (int64_t i = 0; i < n; i++) col += fabs((double)l->data[i * n + j]);
        norm = fmax(norm, col);
    }
    if (!isfinite(norm)) return LC_ERROR(LC_ERR_NUMERIC, "l holds a NaN or an infinite entry");

    const int64_t width = batch < EXPM_BLOCK ? batch : EXPM_BLOCK;
    lc_status st = LC_OK;
    float *acc = lc_i_malloc((size_t)(n * width) * sizeof *acc);
    float *term = lc_i_malloc((size_t)(n * width) * sizeof *term);
    float *next = lc_i_malloc((size_t)(n * width) * sizeof *next);
    float *scale = lc_i_malloc((size_t)width * sizeof *scale);
    expm_col *cols = lc_i_malloc((size_t)batch * sizeof *cols);
    if (!acc || !term || !next || !scale || !cols)
        LC_FAIL(LC_ERR_OUT_OF_MEMORY, "cannot allocate 3 work blocks of %lld x %lld floats",
                (long long)n, (long long)width);
    for (int64_t k = 0; k < batch; k++) cols[k] = (expm_col){fabsf(theta[k]), k};
    qsort(cols, (size_t)batch, sizeof *cols, by_magnitude);
    for (int64_t k0 = 0; k0 < batch; k0 += width) {
        const int64_t b = batch - k0 < width ? batch - k0 : width;
        const expm_col *c = cols + k0; /* this block's columns, |θ| ascending */
        const double tmax = c[b - 1].mag;
        /* s steps of exp(θL/s), each by Taylor's series to the first m with
         * r^(m+1)/(m+1)! below float rounding, r = ‖θL/s‖₁ ≤ EXPM_STEP_NORM */
        const double r_total = tmax * norm;
        const int64_t steps = r_total > EXPM_STEP_NORM ? (int64_t)ceil(r_total / EXPM_STEP_NORM) : 1;
        const double r = r_total / (double)steps;
        int terms = 0;
        for (double bound = r; bound > 0x1p-27 && terms < 30; bound *= r / (terms + 1)) terms++;
        for (int64_t i = 0; i < n; i++) /* gather; a block writes back only its own columns */
            for (int64_t k = 0; k < b; k++) acc[i * b + k] = x->data[i * batch + c[k].col];
        for (int64_t step = 0; step < steps; step++) {
            memcpy(term, acc, (size_t)(n * b) * sizeof *term);
            for (int m = 1; m <= terms; m++) {
                /* term ← (θ/(s·m)) ∘ (L · term), one GEMM over the block */
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)n, (int)b, (int)n, 1.0f,
                            l->data, (int)n, term, (int)b, 0.0f, next, (int)b);
                for (int64_t k = 0; k < b; k++)
                    scale[k] = (float)((double)theta[c[k].col] / ((double)steps * m));
                for (int64_t i = 0; i < n; i++)
                    for (int64_t k = 0; k < b; k++) {
                        next[i * b + k] *= scale[k];
                        acc[i * b + k] += next[i * b + k];
                    }
                float *swap = term;
                term = next;
                next = swap;
            }
        }
        for (int64_t i = 0; i < n; i++)
            for (int64_t k = 0; k < b; k++) y->data[i * batch + c[k].col] = acc[i * b + k];
    }
done:
    lc_i_free(cols);
    lc_i_free(acc);
    lc_i_free(term);
    lc_i_free(next);
    lc_i_free(scale);
    return st;
}
