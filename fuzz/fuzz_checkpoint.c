/* fuzz_checkpoint.c — libFuzzer target: lc_model_load of arbitrary files into a tiny model. */
#include <stdbool.h>

#include "common.h"

/* The model every input is loaded into: GCN on Zachary's karate club, small
 * enough that a valid checkpoint is a few hundred bytes. */
#define FUZZ_SPEC "gcn:2,relu,gcn"

static lc_model_t *model;

static void fuzz_setup_fail(lc_status st, const char *call)
{
    fprintf(stderr, "fuzz_checkpoint: %s: %s: %s\n", call, lc_status_name(st), lc_last_error());
    abort();
}

/* Builds the model once. LC_FUZZ_SAVE_SEED=PATH also saves its checkpoint
 * there: that is how the valid seed in the corpus is made. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    lc_dataset_t *ds = NULL;
    lc_status st;
    if ((st = lc_dataset_karate(&ds))) fuzz_setup_fail(st, "lc_dataset_karate");
    if ((st = lc_model_from_spec(&model, FUZZ_SPEC))) fuzz_setup_fail(st, "lc_model_from_spec");
    if ((st = lc_model_build(model, ds, NULL))) fuzz_setup_fail(st, "lc_model_build");
    const char *seed = getenv("LC_FUZZ_SAVE_SEED");
    if (seed && *seed && (st = lc_model_save(model, seed))) fuzz_setup_fail(st, "lc_model_save");
    /* The built model keeps a pointer to ds (built_for); both live until exit. */
    return 0;
}

static uint32_t crc32_ieee(const uint8_t *p, size_t len)
{
    uint32_t crc = 0xFFFFFFFFu;
    for (size_t i = 0; i < len; i++) {
        crc ^= p[i];
        for (int k = 0; k < 8; k++)
            crc = (crc & 1u) ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
    }
    return ~crc;
}

static void load(const uint8_t *data, size_t size)
{
    char path[4096];
    fuzz_temp_file(data, size, path, sizeof path);
    lc_status st = lc_model_load(model, path);
    /* lc_model_load has no output handle: only the status and message are checked */
    fuzz_check(st, st == LC_OK ? (const void *)model : NULL, "lc_model_load");
    unlink(path);
}

/* Each input is loaded twice: as it is (magic, version, structure and the
 * checksum are checked), then with its last four bytes replaced by the right
 * CRC-32, so that mutations also reach the spec, name and shape comparisons
 * and the copy into the tensors, which a checksum mismatch would stop. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    load(data, size);
    if (size >= 16) {
        uint8_t *fixed = malloc(size);
        if (!fixed) fuzz_die("fuzz: malloc");
        memcpy(fixed, data, size);
        uint32_t crc = crc32_ieee(fixed, size - 4);
        for (int i = 0; i < 4; i++)
            fixed[size - 4 + i] = (uint8_t)(crc >> (8 * i));
        if (memcmp(fixed, data, size) != 0) load(fixed, size);
        free(fixed);
    }
    return 0;
}
