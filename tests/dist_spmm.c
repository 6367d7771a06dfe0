/* dist_spmm.c — test helper run under mpirun: the partitioned SpMM and its transpose (lc_dist_op)
 * against one process's lc_csr_spmm on the same random operator. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lconv.h"

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
    bad = !(e1 <= 1e-6 && e2 <= 1e-6);
    printf("dist_spmm: rank %d of %d (%s): %lld rows, %lld halo, %lld bytes sent, error A.X %.2g, "
           "At.X %.2g: %s\n",
           rank, size, method, (long long)rows, (long long)lc_dist_op_halo(op),
           (long long)lc_dist_op_bytes_sent(op), e1, e2, bad ? "FAIL" : "ok");
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
