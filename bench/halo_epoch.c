/* halo_epoch.c — benchmark, under mpirun: the aggregation part of one full-graph partitioned GCN
 * epoch (every SpMM of a forward and a backward pass, with its halo exchange) on a benchmark data
 * file, timed on every rank. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "datafile.h"
#include "dist.h" /* lc_i_dist_gather_u64: the slowest rank and the total bytes */

#define MAX_WIDTHS 16

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    const char *file = NULL, *method = "metis";
    int64_t widths[MAX_WIDTHS] = {128, 256, 40};
    int n_widths = 3, no_grad_first = 1, reps = 5;
    lc_dist_t *d = NULL;
    lc_status st = lc_dist_init(&d, &argc, &argv);
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--file") && i + 1 < argc)
            file = argv[++i];
        else if (!strcmp(argv[i], "--method") && i + 1 < argc)
            method = argv[++i];
        else if (!strcmp(argv[i], "--reps") && i + 1 < argc)
            reps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--grad-first"))
            no_grad_first = 0;
        else if (!strcmp(argv[i], "--widths") && i + 1 < argc) {
            n_widths = 0;
            for (char *s = argv[++i], *end; *s && n_widths < MAX_WIDTHS; s = *end ? end + 1 : end)
                widths[n_widths++] = strtol(s, &end, 10);
        } else {
            fprintf(stderr, "usage: mpirun -np P halo_epoch --file FILE [--method metis|block] "
                            "[--widths 128,256,40] [--grad-first] [--reps R]\n");
            return 2;
        }
    }
    if (!file || reps < 1) {
        fprintf(stderr,
                "halo_epoch: --file FILE is required (bench/gcn_epoch --write), reps >= 1\n");
        return 2;
    }
    lc_dataset_t *ds = NULL;
    const lc_csr_t *a = NULL;
    lc_dist_op_t *op = NULL;
    int32_t *part = NULL;
    lc_tensor_t *x[MAX_WIDTHS] = {NULL}, *y[MAX_WIDTHS] = {NULL};
    double *t = calloc((size_t)reps, sizeof *t);
    uint64_t *all = NULL;
    if (st || (st = lc_bench_read_dataset(&ds, file)) ||
        (st = lc_graph_gcn_operator(lc_dataset_graph(ds), &a)))
        goto done;
    const int rank = lc_dist_rank(d), size = lc_dist_size(d);
    const int64_t n = lc_csr_rows(a);
    part = malloc((size_t)n * sizeof *part);
    all = malloc((size_t)size * sizeof *all);
    if (!part || !all || !t) {
        st = LC_ERR_OUT_OF_MEMORY;
        goto done;
    }
    if ((st = lc_partition(
             a, size, strcmp(method, "block") ? LC_PARTITION_METIS : LC_PARTITION_BLOCK, part)) ||
        (st = lc_dist_op_new(&op, d, a, part)))
        goto done;
    const int64_t rows = lc_dist_op_rows(op) ? lc_dist_op_rows(op) : 1;
    for (int k = 0; k < n_widths; k++) {
        if ((st = lc_tensor_new2(&x[k], rows, widths[k])) ||
            (st = lc_tensor_new2(&y[k], rows, widths[k])))
            goto done;
        for (int64_t i = 0; i < lc_tensor_numel(x[k]); i++)
            lc_tensor_data(x[k])[i] = (float)(i % 7) - 3;
    }
    /* one warm-up epoch, then reps timed ones; an epoch: every SpMM forward,
     * then the transposed ones of the SpMMs whose operand needs a gradient */
    int64_t bytes0 = 0;
    for (int r = -1; r < reps; r++) {
        if (r == 0) bytes0 = lc_dist_op_bytes_sent(op);
        const double t0 = now_ms();
        for (int k = 0; k < n_widths && !st; k++)
            st = lc_dist_op_spmm(op, x[k], y[k]);
        for (int k = n_widths - 1; k >= (no_grad_first ? 1 : 0) && !st; k--)
            st = lc_dist_op_spmm_t(op, y[k], x[k]);
        if (st) goto done;
        const double mine = now_ms() - t0;
        /* the epoch takes as long as its slowest rank */
        if ((st = lc_i_dist_gather_u64(d, (uint64_t)(mine * 1e6), all))) goto done;
        double slowest = 0;
        for (int q = 0; q < size; q++)
            slowest = slowest > all[q] * 1e-6 ? slowest : all[q] * 1e-6;
        if (r >= 0) t[r] = slowest;
    }
    const int64_t bytes = (lc_dist_op_bytes_sent(op) - bytes0) / reps;
    if ((st = lc_i_dist_gather_u64(d, (uint64_t)bytes, all))) goto done;
    double total = 0;
    for (int q = 0; q < size; q++)
        total += (double)all[q];
    if ((st = lc_i_dist_gather_u64(d, (uint64_t)lc_dist_op_halo(op), all))) goto done;
    uint64_t halo = 0;
    for (int q = 0; q < size; q++)
        halo += all[q];
    qsort(t, (size_t)reps, sizeof *t, cmp_double);
    if (rank == 0)
        printf("ranks %d  method %s  rows %lld  halo rows %llu  MB sent per epoch %.1f  ms per "
               "epoch median %.1f  min %.1f  max %.1f\n",
               size, method, (long long)n, (unsigned long long)halo, total / 1e6, t[reps / 2], t[0],
               t[reps - 1]);
done:
    if (st) fprintf(stderr, "halo_epoch: %s\n", lc_last_error());
    for (int k = 0; k < n_widths; k++) {
        lc_tensor_free(&x[k]);
        lc_tensor_free(&y[k]);
    }
    lc_dist_op_free(&op);
    lc_dataset_free(&ds);
    free(part);
    free(all);
    free(t);
    lc_dist_free(&d);
    return st ? 1 : 0;
}
