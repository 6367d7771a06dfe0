/* fuzz_part.c — libFuzzer target: lc_dataset_load("part:FILE") of arbitrary files (one rank's part
 * of a node-level data set, lib/part.c), and the same files read as the edges file of a part. */
#include "common.h"
#include "dist.h" /* lc_i_part_read_edges */

/* Part 0 of the karate club (nodes 3k in part 1, the rest in part 0), which
 * every input is also read against as its edges file. */
static lc_i_part *karate_part;

/* LC_FUZZ_SAVE_SEED=DIR writes the karate club's two parts and their edges
 * files there: the valid seeds of the corpus. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    lc_dataset_t *ds = NULL;
    int32_t of[34];
    for (int i = 0; i < 34; i++)
        of[i] = i % 3 == 0;
    const char *dir = getenv("LC_FUZZ_SAVE_SEED");
    if (lc_dataset_karate(&ds) || lc_i_part_of(ds, of, 2, 0, true, &karate_part) ||
        (dir && *dir && lc_dataset_write_parts(ds, of, 2, dir))) {
        fprintf(stderr, "fuzz_part: %s\n", lc_last_error());
        abort();
    }
    karate_part->fingerprint = lc_i_part_fingerprint(ds, of, 2);
    lc_dataset_free(&ds);
    return 0;
}

/* Read as part 0's edges file: refused naming the file, or rows that fit the part. */
static void read_edges(const char *path)
{
    lc_i_part_rows r = {0};
    int64_t m = -1;
    const lc_status st = lc_i_part_read_edges(karate_part, path, &m, &r);
    if (st != LC_OK && (r.rowptr || !strstr(lc_last_error(), path))) {
        fprintf(stderr, "fuzz: a refused edges file left rows, or its error does not name it: %s\n",
                lc_last_error());
        abort();
    }
    if (st == LC_OK) {
        const int64_t nnz = r.rowptr[r.n_own];
        for (int64_t e = 0; e < nnz; e++)
            if (r.entry[e] < 0 || r.entry[e] >= m || (e && r.entry[e] <= r.entry[e - 1])) {
                fprintf(stderr, "fuzz: edges file read with entry[%lld] = %lld of %lld\n",
                        (long long)e, (long long)r.entry[e], (long long)m);
                abort();
            }
    }
    lc_i_part_rows_free(&r);
}

static void load(const uint8_t *data, size_t size)
{
    char path[4096], spec[4200];
    fuzz_temp_file(data, size, path, sizeof path);
    snprintf(spec, sizeof spec, "part:%s", path);
    lc_dataset_t *ds = NULL;
    lc_status st = lc_dataset_load(&ds, spec, NULL);
    fuzz_check(st, ds, "lc_dataset_load");
    if (st != LC_OK && !strstr(lc_last_error(), path)) {
        fprintf(stderr, "fuzz: the error does not name the file: %s\n", lc_last_error());
        abort();
    }
    int part = -1, parts = -1;
    int64_t own = -1, nodes = -1;
    if (ds && (!lc_dataset_part_info(ds, &part, &parts, &own, &nodes) || part < 0 ||
               part >= parts || own < 0 || own > nodes)) {
        fprintf(stderr, "fuzz: a part loaded with part %d of %d, %lld of %lld rows\n", part,
                parts, (long long)own, (long long)nodes);
        abort();
    }
    lc_dataset_free(&ds);
    read_edges(path);
    unlink(path);
}

/* Each input is loaded as it is and again with its CRC-32 fixed, so that
 * mutations also reach the checks behind the checksum. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_as_is_and_crc_fixed(data, size, load);
    return 0;
}
