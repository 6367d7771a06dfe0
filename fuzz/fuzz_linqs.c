/* fuzz_linqs.c — libFuzzer target: lc_dataset_from_linqs on a fuzzed .content and .cites pair. */
#include "common.h"

/* Input: the .content file, a NUL byte, then the .cites file (no NUL: the
 * .cites file is empty). Both go into a fresh directory as x.content and
 * x.cites. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char dir[4096], content[4200], cites[4200];
    snprintf(dir, sizeof dir, "%s/lcfuzz-XXXXXX", fuzz_tmpdir());
    if (!mkdtemp(dir)) fuzz_die("fuzz: mkdtemp");
    fuzz_part part[2];
    fuzz_split(data, size, part, 2);
    fuzz_write_named(dir, "x.content", part[0].data, part[0].size, content, sizeof content);
    fuzz_write_named(dir, "x.cites", part[1].data, part[1].size, cites, sizeof cites);

    lc_dataset_t *ds = NULL;
    lc_status st = lc_dataset_from_linqs(&ds, dir, NULL);
    fuzz_check(st, ds, "lc_dataset_from_linqs");
    if (ds) {
        int64_t n = lc_dataset_num_nodes(ds);
        int k = lc_dataset_num_classes(ds);
        const int32_t *labels = lc_dataset_labels(ds);
        for (int64_t i = 0; i < n; i++)
            if (labels[i] < 0 || labels[i] >= k) abort(); /* every paper has a class */
    }
    lc_dataset_free(&ds);
    unlink(content);
    unlink(cites);
    rmdir(dir);
    return 0;
}
