/* fuzz_part.c — libFuzzer target: lc_dataset_load("part:FILE") of arbitrary files (one rank's part
 * of a node-level data set, lib/part.c). */
#include "common.h"

/* LC_FUZZ_SAVE_SEED=DIR writes the karate club's two parts there: the valid
 * seeds of the corpus. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    const char *dir = getenv("LC_FUZZ_SAVE_SEED");
    if (!dir || !*dir) return 0;
    lc_dataset_t *ds = NULL;
    int32_t of[34];
    for (int i = 0; i < 34; i++)
        of[i] = i % 3 == 0;
    if (lc_dataset_karate(&ds) || lc_dataset_write_parts(ds, of, 2, dir)) {
        fprintf(stderr, "fuzz_part: %s\n", lc_last_error());
        abort();
    }
    lc_dataset_free(&ds);
    return 0;
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
    unlink(path);
}

/* Each input is loaded as it is and again with its CRC-32 fixed, so that
 * mutations also reach the checks behind the checksum. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_as_is_and_crc_fixed(data, size, load);
    return 0;
}
