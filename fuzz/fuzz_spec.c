/* fuzz_spec.c — libFuzzer target: lc_model_from_spec and lc_model_spec on arbitrary strings. */
#include "common.h"

/* The input (up to its first NUL) is the spec. A model that parses must
 * print a canonical spec that parses again to the same canonical spec. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *spec = malloc(size + 1);
    if (!spec) fuzz_die("fuzz: malloc");
    memcpy(spec, data, size);
    spec[size] = '\0';
    lc_model_t *m = NULL, *again = NULL;
    lc_status st = lc_model_from_spec(&m, spec);
    fuzz_check(st, m, "lc_model_from_spec");
    if (m) {
        if (lc_model_num_layers(m) < 1) abort();
        char *canon = strdup(lc_model_spec(m));
        if (!canon) fuzz_die("fuzz: strdup");
        st = lc_model_from_spec(&again, canon);
        if (st != LC_OK || strcmp(lc_model_spec(again), canon) != 0 ||
            lc_model_num_layers(again) != lc_model_num_layers(m)) {
            fprintf(stderr, "fuzz: spec '%s' prints as '%s', which %s\n", spec, canon,
                    st ? lc_last_error() : "reads back differently");
            abort();
        }
        free(canon);
    }
    lc_model_free(&again);
    lc_model_free(&m);
    free(spec);
    return 0;
}
