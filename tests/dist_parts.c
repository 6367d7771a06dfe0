/* dist_parts.c — test helper run under mpirun: a library program (not lcnet, which aborts the
 * whole job on an error) training from part files (lcnet partition --write DIR).
 *   dist_parts reuse DIR   one part data set serves an L-conv model's build, then trains a GCN
 *                          and an L-conv model: each rank prints "rank R: ok" or what failed
 *   dist_parts build DIR   build an L-conv model on the part: each rank prints "rank R: built"
 *                          or "rank R: refused: MESSAGE" (a rank without its edges file must
 *                          not leave the others waiting)
 *   dist_parts empty DIR   (one process) write the karate club's 3 parts to DIR, part 1 with
 *                          no row (the even nodes in part 0, the odd in part 2)
 *   dist_parts save CKPT   train a GCN on the whole karate club, partitioned, then save it
 *                          to CKPT (rank 0 writes): each rank prints "rank R: saved" or
 *                          "rank R: refused: MESSAGE" (a failed write stops every rank)
 *   dist_parts save-oom DIR  train an L-conv model on the part, then save it to DIR/oom.ckpt
 *                          with rank 1's allocations failing: each rank prints "rank R: saved"
 *                          or "rank R: refused: MESSAGE" (the edge-weight gather is collective:
 *                          a rank that cannot prepare the checkpoint must not leave the others
 *                          waiting in it)
 * Exit status 0 whenever each rank got an answer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lconv.h"

static void *no_malloc(size_t n)
{
    return (void)n, NULL;
}
static void *no_calloc(size_t k, size_t n)
{
    return (void)k, (void)n, NULL;
}
static void *no_realloc(void *p, size_t n)
{
    return (void)p, (void)n, NULL;
}

/* Build (train = 0) or train `spec` on ds; the status, its message in lc_last_error. */
static lc_status run(const char *spec, lc_dataset_t *ds, lc_dist_t *d, int train)
{
    lc_model_t *m = NULL;
    lc_train_config cfg = lc_train_defaults();
    cfg.dist = d, cfg.epochs = 2, cfg.patience = 0;
    lc_train_result res;
    lc_status st = lc_model_from_spec(&m, spec);
    if (!st) st = train ? lc_model_train(m, ds, &cfg, &res) : lc_model_build(m, ds, &cfg);
    lc_model_free(&m);
    return st;
}

int main(int argc, char **argv)
{
    lc_dist_t *d = NULL;
    lc_dataset_t *ds = NULL;
    if (lc_dist_init(&d, &argc, &argv) || argc != 3 ||
        (strcmp(argv[1], "reuse") && strcmp(argv[1], "build") && strcmp(argv[1], "empty") &&
         strcmp(argv[1], "save") && strcmp(argv[1], "save-oom"))) {
        fprintf(stderr,
                "usage: mpirun -np P dist_parts reuse|build|save-oom DIR | save CKPT, "
                "dist_parts empty DIR (%s)\n",
                lc_last_error());
        return 2;
    }
    if (!strcmp(argv[1], "save")) {
        lc_model_t *m = NULL;
        lc_train_config cfg = lc_train_defaults();
        cfg.dist = d, cfg.epochs = 2, cfg.patience = 0;
        lc_status st = lc_dataset_karate(&ds);
        if (!st) st = lc_model_from_spec(&m, "gcn:8,relu,gcn");
        if (!st) st = lc_model_train(m, ds, &cfg, NULL);
        if (!st) st = lc_model_save(m, argv[2]);
        if (st)
            printf("rank %d: refused: %s\n", lc_dist_rank(d), lc_last_error());
        else
            printf("rank %d: saved\n", lc_dist_rank(d));
        lc_model_free(&m);
        lc_dataset_free(&ds);
        lc_dist_free(&d);
        return 0;
    }
    if (!strcmp(argv[1], "empty")) {
        int32_t of[34];
        for (int i = 0; i < 34; i++)
            of[i] = i % 2 ? 2 : 0;
        lc_status st = lc_dataset_karate(&ds);
        if (!st) st = lc_dataset_write_parts(ds, of, 3, argv[2]);
        if (st) fprintf(stderr, "dist_parts: %s\n", lc_last_error());
        lc_dataset_free(&ds);
        lc_dist_free(&d);
        return st ? 1 : 0;
    }
    const int rank = lc_dist_rank(d);
    lc_status st = lc_dataset_load_part(&ds, argv[2], d);
    if (!st && !strcmp(argv[1], "reuse")) {
        const char *what = "lconv build";
        st = run("lconv:8,relu,lconv", ds, d, 0);
        if (!st) what = "gcn training", st = run("gcn:8,relu,gcn", ds, d, 1);
        if (!st) what = "lconv training", st = run("lconv:8,relu,lconv", ds, d, 1);
        if (st)
            printf("rank %d: %s failed: %s\n", rank, what, lc_last_error());
        else
            printf("rank %d: ok\n", rank);
    } else if (!st && !strcmp(argv[1], "save-oom")) {
        lc_model_t *m = NULL;
        lc_train_config cfg = lc_train_defaults();
        cfg.dist = d, cfg.epochs = 1, cfg.patience = 0;
        char path[4096];
        snprintf(path, sizeof path, "%s/oom.ckpt", argv[2]);
        st = lc_model_from_spec(&m, "lconv:8,relu,lconv");
        if (!st) st = lc_model_train(m, ds, &cfg, NULL);
        if (!st && rank == 1) st = lc_set_allocator(no_malloc, no_calloc, no_realloc, free);
        if (!st) st = lc_model_save(m, path);
        lc_set_allocator(NULL, NULL, NULL, NULL);
        if (st)
            printf("rank %d: refused: %s\n", rank, lc_last_error());
        else
            printf("rank %d: saved\n", rank);
        lc_model_free(&m);
        st = LC_OK;
    } else if (!st) {
        st = run("lconv:8,relu,lconv", ds, d, 0);
        if (st)
            printf("rank %d: refused: %s\n", rank, lc_last_error());
        else
            printf("rank %d: built\n", rank);
        st = LC_OK;
    } else {
        printf("rank %d: cannot load the part: %s\n", rank, lc_last_error());
    }
    lc_dataset_free(&ds);
    lc_dist_free(&d);
    return st ? 1 : 0;
}
