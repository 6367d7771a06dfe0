/* knn_scale.c — benchmark: the k-nearest-neighbour graph of many random points on the CPU (FLANN) or the GPU, and a data file for one L-conv layer on it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "datafile.h"
#include "lconv.h"

static int fail(const char *what, lc_status st)
{
    fprintf(stderr, "knn_scale: %s: %s: %s\n", what, lc_status_name(st), lc_last_error());
    return 1;
}

/* The points' graph as a node-classification data file (bench/datafile.h):
 * `features` N(0,1) columns, uniform labels of 10 classes, every node in the
 * training mask: the input of `gcn_epoch --file` for an L-conv epoch. */
static lc_status write_dataset(lc_graph_t *g, int64_t n, int features, uint64_t seed,
                               const char *path)
{
    lc_status st;
    lc_tensor_t *x = NULL;
    lc_dataset_t *ds = NULL;
    int32_t *labels = malloc((size_t)n * sizeof *labels);
    uint8_t *train = malloc((size_t)n), *none = calloc((size_t)n, 1);
    lc_rng_t rng;
    lc_rng_seed(&rng, seed + 1);
    if (!labels || !train || !none) {
        st = LC_ERR_OUT_OF_MEMORY;
        goto done;
    }
    if ((st = lc_tensor_new2(&x, n, features))) goto done;
    for (int64_t i = 0; i < n * features; i++) lc_tensor_data(x)[i] = lc_rng_normal(&rng);
    for (int64_t i = 0; i < n; i++) labels[i] = (int32_t)(lc_rng_next(&rng) % 10), train[i] = 1;
    if ((st = lc_dataset_new(&ds, g, x, NULL, labels, 10))) goto done;
    x = NULL; /* the dataset owns the graph and the features now */
    if ((st = lc_dataset_set_split(ds, train, none, none))) goto done;
    st = lc_bench_write_dataset(ds, path);
done:
    if (ds) lc_dataset_free(&ds);
    else lc_graph_free(&g);
    lc_tensor_free(&x);
    free(labels);
    free(train);
    free(none);
    return st;
}

int main(int argc, char **argv)
{
    long long n = 1000000;
    int k = 16, check = 0, features = 16;
    lc_device device = LC_DEVICE_CPU;
    const char *write = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--points") && v) n = atoll(argv[++i]);
        else if (!strcmp(a, "--k") && v) k = atoi(argv[++i]);
        else if (!strcmp(a, "--features") && v) features = atoi(argv[++i]);
        else if (!strcmp(a, "--device") && v) {
            if (lc_device_parse(argv[++i], &device)) return fail("--device", LC_ERR_INVALID_ARG);
        } else if (!strcmp(a, "--write") && v) write = argv[++i];
        else if (!strcmp(a, "--check")) check = 1;
        else {
            fprintf(stderr,
                    "usage: knn_scale [--points N (1000000)] [--k K (16)] [--device cpu|cuda]\n"
                    "                 [--check] [--write FILE [--features F (16)]]\n"
                    "Times the kNN graph of N uniform random points in the unit cube (seeded);\n"
                    "--check compares it with the CPU's graph edge for edge; --write saves the\n"
                    "graph with random features and labels for gcn_epoch --file.\n");
            return 2;
        }
    }
    if (n < 2 || k < 1 || features < 1) return fail("arguments", LC_ERR_INVALID_ARG);
    const uint64_t seed = 20261127;
    float *pts = malloc((size_t)n * 3 * sizeof *pts);
    if (!pts) return fail("points", LC_ERR_OUT_OF_MEMORY);
    lc_rng_t rng;
    lc_rng_seed(&rng, seed);
    for (long long i = 0; i < n * 3; i++) pts[i] = lc_rng_uniform(&rng);
    lc_status st;
    int64_t used0 = 0, used = 0, total = 0;
    if (device != LC_DEVICE_CPU) {
        if ((st = lc_device_available(device))) return fail("device", st);
        if ((st = lc_device_memory(device, &used0, &total))) return fail("device memory", st);
    }
    lc_graph_t *g = NULL, *ref = NULL;
    const double t0 = now_ms();
    if ((st = lc_graph_knn_device(&g, device, n, 3, pts, k, 0))) return fail("kNN", st);
    const double t1 = now_ms();
    printf("knn %s points %lld k %d ms %.1f peak_rss_MiB %.1f\n", lc_device_name(device), n, k,
           t1 - t0, peak_rss_mib());
    if (device != LC_DEVICE_CPU && !lc_device_memory(device, &used, &total))
        fprintf(stderr, "# device memory in use after the search (freed by then): %.1f MiB\n",
                (double)(used - used0) / (1 << 20));
    if (check) {
        const double t2 = now_ms();
        if ((st = lc_graph_knn(&ref, n, 3, pts, k, 0))) return fail("CPU kNN", st);
        const double t3 = now_ms();
        int64_t differ = lc_graph_num_edges(ref) != lc_graph_num_edges(g);
        for (int64_t e = 0; !differ && e < lc_graph_num_edges(g); e++)
            differ += lc_graph_tails(g)[e] != lc_graph_tails(ref)[e] ||
                      lc_graph_heads(g)[e] != lc_graph_heads(ref)[e];
        printf("knn cpu points %lld k %d ms %.1f; graphs %s\n", n, k, t3 - t2,
               differ ? "DIFFER" : "identical");
        lc_graph_free(&ref);
        if (differ) return 1;
    }
    free(pts);
    if (write && (st = write_dataset(g, n, features, seed, write))) return fail("--write", st);
    if (!write) lc_graph_free(&g);
    return 0;
}
