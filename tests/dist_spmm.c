/* dist_spmm.c — test helper run under mpirun: the partitioned SpMM and its transpose (lc_dist_op),
 * and the partitioned L-conv kernels (halo gather, owned edge weights, scatter), against one
 * process's on the same random operator. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "dist.h"

/* A random directed operator on n nodes (so that A and Aᵀ differ), with the
 * diagonal, values in (0, 1]. */
static lc_status random_operator(int64_t n, int deg, uint64_t seed, int transpose, lc_csr_t **a)
{
    lc_rng_t rng;
    lc_rng_seed(&rng, seed);
    const int64_t m = n * deg + n;
    int64_t *r = malloc((size_t)m * sizeof *r), *c = malloc((size_t)m * sizeof *c);
    float *v = malloc((size_t)m * sizeof *v);
    if (!r || !c || !v) return LC_ERR_OUT_OF_MEMORY;
    for (int64_t e = 0; e < m; e++) {
        r[e] = e < n ? e : (int64_t)(lc_rng_next(&rng) % (uint64_t)n);
        c[e] = e < n ? e : (int64_t)(lc_rng_next(&rng) % (uint64_t)n);
        v[e] = 1.0f - lc_rng_uniform(&rng);
    }
    lc_status st =
        transpose ? lc_csr_from_coo(a, n, n, m, c, r, v) : lc_csr_from_coo(a, n, n, m, r, c, v);
    free(r);
    free(c);
    free(v);
    return st;
}

/* max |got - want| over the owned rows, relative to max |want| */
static double rel_error(const lc_tensor_t *got, const lc_tensor_t *want, const int64_t *ids,
                        int64_t rows, int64_t f)
{
    double diff = 0, scale = 1e-30;
    for (int64_t k = 0; k < rows; k++)
        for (int64_t c = 0; c < f; c++) {
            const double w = lc_tensor_data(want)[ids[k] * f + c];
            diff = fmax(diff, fabs(lc_tensor_data(got)[k * f + c] - w));
            scale = fmax(scale, fabs(w));
        }
    return diff / scale;
}

/* The edge-weighted generators on op's rows (p generators, sum or expand form):
 * y, dz and the owned edges' dw from the gathered halo, the local weights and
 * the scattered gradient, against the kernels on the whole operator a. Returns
 * the largest relative error of the three, or a negative status. */
static double edge_conv_error(lc_dist_op_t *op, lc_csr_t *a, int64_t p, int64_t f, bool expand,
                              bool vf)
{
    const int64_t n = a->n_rows, nnz = a->nnz, rows = op->n_own, ext = rows + op->n_halo;
    const lc_i_edge_dims d = lc_i_edge_dims_of(1, p, f, expand, vf);
    const int64_t zw = d.zp * f, yw = d.yp * f; /* widths of z and y */
    const lc_csr_t *at = NULL, *lt = NULL;
    double err = -1;
    float *w = malloc((size_t)(nnz * p) * sizeof *w), *z = malloc((size_t)(n * zw) * sizeof *z);
    float *dy = malloc((size_t)(n * yw) * sizeof *dy), *y = calloc((size_t)(n * yw), sizeof *y);
    float *dz = calloc((size_t)(n * zw), sizeof *dz), *dw = calloc((size_t)(nnz * p), sizeof *dw);
    float *ze = malloc((size_t)(ext * zw) * sizeof *ze), *dze = calloc((size_t)(ext * zw), 4);
    float *lw = malloc((size_t)(op->local->nnz * p + 1) * sizeof *lw);
    float *ldw = calloc((size_t)(op->local->nnz * p + 1), sizeof *ldw);
    float *ly = malloc((size_t)(rows * yw + 1) * sizeof *ly),
          *ldy = malloc((size_t)(rows * yw + 1) * 4);
    if (!w || !z || !dy || !y || !dz || !dw || !ze || !dze || !lw || !ldw || !ly || !ldy ||
        !op->entry || lc_i_csr_transpose(a, &at) || lc_i_csr_transpose(op->local, &lt))
        goto done;
    lc_rng_t rng;
    lc_rng_seed(&rng, 5);
    for (int64_t i = 0; i < nnz * p; i++)
        w[i] = 2 * lc_rng_uniform(&rng) - 1;
    for (int64_t i = 0; i < n * zw; i++)
        z[i] = 2 * lc_rng_uniform(&rng) - 1;
    for (int64_t i = 0; i < n * yw; i++)
        dy[i] = 2 * lc_rng_uniform(&rng) - 1;
    lc_i_edge_conv_rows(&d, a, z, w, y);
    lc_i_edge_conv_grad_z(&d, a, at, w, dy, dz);
    lc_i_edge_conv_grad_w(&d, a, z, dy, dw);
    /* this rank's rows, and its edges' weights in the local order */
    for (int64_t k = 0; k < rows; k++) {
        memcpy(ze + k * zw, z + op->own[k] * zw, (size_t)zw * sizeof *z);
        memcpy(ldy + k * yw, dy + op->own[k] * yw, (size_t)yw * sizeof *dy);
    }
    for (int64_t k = 0; k < op->local->nnz; k++)
        memcpy(lw + k * p, w + op->entry[k] * p, (size_t)p * sizeof *w);
    if (lc_i_dist_op_gather(op, ze, zw)) goto done;
    lc_i_edge_conv_rows(&d, op->local, ze, lw, ly);
    lc_i_edge_conv_grad_z(&d, op->local, lt, lw, ldy, dze);
    if (lc_i_dist_op_scatter(op, dze, zw)) goto done;
    lc_i_edge_conv_grad_w(&d, op->local, ze, ldy, ldw);
    double diff[3] = {0}, scale[3] = {1e-30, 1e-30, 1e-30};
    for (int64_t k = 0; k < rows; k++) {
        for (int64_t c = 0; c < yw; c++) {
            const double want = y[op->own[k] * yw + c];
            diff[0] = fmax(diff[0], fabs(ly[k * yw + c] - want)),
            scale[0] = fmax(scale[0], fabs(want));
        }
        for (int64_t c = 0; c < zw; c++) {
            const double want = dz[op->own[k] * zw + c];
            diff[1] = fmax(diff[1], fabs(dze[k * zw + c] - want)),
            scale[1] = fmax(scale[1], fabs(want));
        }
    }
    for (int64_t k = 0; k < op->local->nnz * p; k++) {
        const double want = dw[op->entry[k / p] * p + k % p];
        diff[2] = fmax(diff[2], fabs(ldw[k] - want)), scale[2] = fmax(scale[2], fabs(want));
    }
    err = 0;
    for (int i = 0; i < 3; i++)
        err = fmax(err, diff[i] / scale[i]);
done:
    free(w), free(z), free(dy), free(y), free(dz), free(dw), free(ze), free(dze), free(lw);
    free(ldw), free(ly), free(ldy);
    return err;
}

int main(int argc, char **argv)
{
    const char *method = argc > 1 ? argv[1] : "block";
    const int64_t n = argc > 2 ? atol(argv[2]) : 500, f = 7;
    lc_dist_t *d = NULL;
    lc_csr_t *a = NULL, *at = NULL;
    lc_dist_op_t *op = NULL;
    lc_tensor_t *x = NULL, *y = NULL, *yt = NULL, *xo = NULL, *yo = NULL, *dxo = NULL;
    int32_t *part = malloc((size_t)n * sizeof *part);
    int bad = 1;
    lc_status st = lc_dist_init(&d, &argc, &argv);
    if (st) goto done;
    const int rank = lc_dist_rank(d), size = lc_dist_size(d);
    if ((st = random_operator(n, 4, 9, 0, &a)) || (st = random_operator(n, 4, 9, 1, &at)) ||
        (st = lc_partition(
             a, size, strcmp(method, "metis") ? LC_PARTITION_BLOCK : LC_PARTITION_METIS, part)) ||
        (st = lc_dist_op_new(&op, d, a, part)))
        goto done;
    const int64_t rows = lc_dist_op_rows(op);
    const int64_t *ids = lc_dist_op_row_ids(op);
    if ((st = lc_tensor_new2(&x, n, f)) || (st = lc_tensor_new2(&y, n, f)) ||
        (st = lc_tensor_new2(&yt, n, f)) || (st = lc_tensor_new2(&xo, rows ? rows : 1, f)) ||
        (st = lc_tensor_new2(&yo, rows ? rows : 1, f)) ||
        (st = lc_tensor_new2(&dxo, rows ? rows : 1, f)))
        goto done;
    lc_rng_t rng;
    lc_rng_seed(&rng, 11);
    for (int64_t i = 0; i < n * f; i++)
        lc_tensor_data(x)[i] = 2 * lc_rng_uniform(&rng) - 1;
    if ((st = lc_csr_spmm(a, x, y)) || (st = lc_csr_spmm(at, x, yt))) goto done;
    for (int64_t k = 0; k < rows; k++)
        memcpy(lc_tensor_data(xo) + k * f, lc_tensor_data(x) + ids[k] * f,
               (size_t)f * sizeof(float));
    /* twice, so that grown scratch and repeated exchanges are exercised */
    for (int rep = 0; rep < 2; rep++)
        if ((st = lc_dist_op_spmm(op, xo, yo)) || (st = lc_dist_op_spmm_t(op, xo, dxo))) goto done;
    const double e1 = rel_error(yo, y, ids, rows, f), e2 = rel_error(dxo, yt, ids, rows, f);
    /* L-conv on the same split: 3 generators summed (vector field), 2 expanded (adjacency) */
    const double e3 = edge_conv_error(op, a, 3, 5, false, true);
    const double e4 = edge_conv_error(op, a, 2, 4, true, false);
    bad = !(e1 <= 1e-6 && e2 <= 1e-6 && e3 >= 0 && e3 <= 1e-6 && e4 >= 0 && e4 <= 1e-6);
    printf("dist_spmm: rank %d of %d (%s): %lld rows, %lld halo, %lld bytes sent, error A.X %.2g, "
           "At.X %.2g, L-conv (y, dz, dw) %.2g and %.2g: %s\n",
           rank, size, method, (long long)rows, (long long)lc_dist_op_halo(op),
           (long long)lc_dist_op_bytes_sent(op), e1, e2, e3, e4, bad ? "FAIL" : "ok");
done:
    if (st) fprintf(stderr, "dist_spmm: %s\n", lc_last_error());
    lc_dist_op_free(&op);
    lc_tensor_free(&x);
    lc_tensor_free(&y);
    lc_tensor_free(&yt);
    lc_tensor_free(&xo);
    lc_tensor_free(&yo);
    lc_tensor_free(&dxo);
    lc_csr_free(&a);
    lc_csr_free(&at);
    free(part);
    lc_dist_free(&d);
    return bad || st;
}
