/* fuzz_planetoid.c — libFuzzer target: lc_dataset_from_planetoid on four fuzzed files. */
#include "common.h"

/* Input: labels, features, edges and split files in that order (the order
 * the loader reads them), separated by NUL bytes; missing parts are empty. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const names[4] = {"x.labels.txt", "x.features.txt", "x.edges.txt",
                                         "x.split.txt"};
    char dir[4096], path[4][4200], prefix[4200];
    snprintf(dir, sizeof dir, "%s/lcfuzz-XXXXXX", fuzz_tmpdir());
    if (!mkdtemp(dir)) fuzz_die("fuzz: mkdtemp");
    fuzz_part part[4];
    fuzz_split(data, size, part, 4);
    for (int k = 0; k < 4; k++)
        fuzz_write_named(dir, names[k], part[k].data, part[k].size, path[k], sizeof path[k]);
    snprintf(prefix, sizeof prefix, "%s/x", dir);

    lc_dataset_t *ds = NULL;
    lc_status st = lc_dataset_from_planetoid(&ds, prefix, NULL);
    fuzz_check(st, ds, "lc_dataset_from_planetoid");
    if (ds) {
        /* the split only holds labelled nodes */
        int64_t n = lc_dataset_num_nodes(ds);
        const int32_t *labels = lc_dataset_labels(ds);
        for (int w = 0; w < 3; w++) {
            const uint8_t *mask = lc_dataset_mask(ds, w);
            for (int64_t i = 0; i < n; i++)
                if (mask[i] && labels[i] < 0) abort();
        }
    }
    lc_dataset_free(&ds);
    for (int k = 0; k < 4; k++)
        unlink(path[k]);
    rmdir(dir);
    return 0;
}
