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

static void load(const uint8_t *data, size_t size)
{
    char path[4096];
    fuzz_temp_file(data, size, path, sizeof path);
    lc_status st = lc_model_load(model, path);
    /* lc_model_load has no output handle: only the status and message are checked */
    fuzz_check(st, st == LC_OK ? (const void *)model : NULL, "lc_model_load");
    unlink(path);
}

/* Each input is loaded as it is and again with its CRC-32 fixed, so that
 * mutations also reach the checks behind the checksum. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_as_is_and_crc_fixed(data, size, load);
    return 0;
}
