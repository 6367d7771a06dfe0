/* dist_epoch.c — benchmark, under mpirun: epochs of full-graph partitioned GCN training
 * (lc_model_train over an MPI job) on a benchmark data file, whole on every rank or split into
 * per-rank part files first; time per epoch, halo bytes, the largest rank's peak RSS. */
#include <stdio.h>
#include <sys/resource.h>
#include <stdlib.h>
#include <string.h>

#include "datafile.h"
#include "dist.h" /* lc_i_dist_graph_bytes, lc_i_dist_gather_u64 */

int main(int argc, char **argv)
{
    const char *file = NULL, *spec = "gcn:256,relu,gcn:256,relu,gcn", *parts = NULL,
               *write = NULL;
    int epochs = 3, write_count = 0;
    lc_dist_t *d = NULL;
    lc_status st = lc_dist_init(&d, &argc, &argv);
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--file") && i + 1 < argc)
            file = argv[++i];
        else if (!strcmp(argv[i], "--model") && i + 1 < argc)
            spec = argv[++i];
        else if (!strcmp(argv[i], "--epochs") && i + 1 < argc)
            epochs = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--parts") && i + 1 < argc)
            parts = argv[++i];
        else if (!strcmp(argv[i], "--write-parts") && i + 2 < argc)
            write = argv[++i], write_count = atoi(argv[++i]);
        else
            file = NULL, parts = NULL, i = argc;
    }
    if (!file == !parts || epochs < 1 || (write && (!file || write_count < 2))) {
        fprintf(stderr, "usage: mpirun -np P dist_epoch (--file FILE | --parts DIR) [--model SPEC] "
                        "[--epochs N]\n"
                        "       dist_epoch --file FILE --write-parts DIR P   (METIS parts, once)\n");
        return 2;
    }
    lc_dataset_t *ds = NULL;
    lc_model_t *m = NULL;
    uint64_t *all = malloc((size_t)lc_dist_size(d) * sizeof *all);
    lc_train_config cfg = lc_train_defaults();
    cfg.epochs = epochs, cfg.patience = 0, cfg.dropout = 0, cfg.dist = d;
    lc_train_result res;
    if (st || !all ||
        (st = file ? lc_bench_read_dataset(&ds, file) : lc_dataset_load_part(&ds, parts, d)))
        goto done;
    if (write) { /* the parts lc_model_train cuts in memory: METIS on the GCN operator */
        const lc_csr_t *a_hat = NULL;
        int32_t *of = malloc((size_t)lc_dataset_num_nodes(ds) * sizeof *of);
        if (!of) st = LC_ERR_OUT_OF_MEMORY;
        if (!st) st = lc_graph_gcn_operator(lc_dataset_graph(ds), &a_hat);
        if (!st) st = lc_partition(a_hat, write_count, LC_PARTITION_METIS, of);
        if (!st) st = lc_dataset_write_parts(ds, of, write_count, write);
        if (!st) printf("wrote %d parts to %s\n", write_count, write);
        free(of);
        goto done;
    }
    if ((st = lc_model_from_spec(&m, spec)) || (st = lc_model_build(m, ds, &cfg)) ||
        (st = lc_model_train(m, ds, &cfg, &res)))
        goto done;
    /* the slowest rank's time and every rank's bytes */
    if ((st = lc_i_dist_gather_u64(d, (uint64_t)(res.seconds * 1e6), all))) goto done;
    double slowest = 0;
    for (int q = 0; q < lc_dist_size(d); q++)
        slowest = slowest > all[q] * 1e-6 ? slowest : all[q] * 1e-6;
    if ((st = lc_i_dist_gather_u64(d, (uint64_t)lc_i_dist_graph_bytes(m), all))) goto done;
    double bytes = 0;
    for (int q = 0; q < lc_dist_size(d); q++)
        bytes += (double)all[q];
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    if ((st = lc_i_dist_gather_u64(d, (uint64_t)ru.ru_maxrss, all))) goto done;
    uint64_t rss = 0;
    for (int q = 0; q < lc_dist_size(d); q++)
        rss = rss > all[q] ? rss : all[q];
    if (lc_dist_rank(d) == 0)
        printf("ranks %d  data %s  model %s  epochs %d  s per epoch %.5f (training step + "
               "evaluation)  halo MB per epoch %.4f  train loss %.6f  test acc %.4f  peak RSS MB "
               "(largest rank) %.0f\n",
               lc_dist_size(d), file ? "whole on every rank" : "part files", lc_model_spec(m),
               res.epochs_run, slowest / res.epochs_run, bytes / 1e6 / res.epochs_run,
               res.final.loss[0], res.final.accuracy[2], (double)rss / 1024);
done:
    if (st) fprintf(stderr, "dist_epoch: %s\n", lc_last_error());
    free(all);
    lc_model_free(&m);
    lc_dataset_free(&ds);
    lc_dist_free(&d);
    return st ? 1 : 0;
}
