/* harness.c — runs one CUnit suite and prints the summary line CI adds up. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "harness.h"

static unsigned skipped;

void lc_test_skip(const char *why)
{
    skipped++;
    printf("\n  SKIP: %s\n", why);
}

static const char *join(const char *env, const char *fallback, const char *relative)
{
    static char path[4][4096];
    static int slot;
    const char *dir = getenv(env);
    if (!dir || !*dir) dir = fallback;
    char *p = path[slot++ % 4];
    snprintf(p, sizeof path[0], "%s/%s", dir, relative);
    return p;
}

const char *lc_test_data(const char *relative)
{
    const char *p = join("LCONV_DATA_DIR", "../shared/data", relative);
    struct stat sb;
    return stat(p, &sb) == 0 ? p : NULL;
}

const char *lc_test_file(const char *relative)
{
    return join("LCONV_TEST_DATA", "tests/data", relative);
}

int lc_test_main(const char *suite_name, const lc_test_case *cases)
{
    if (CU_initialize_registry() != CUE_SUCCESS) return 99;
    CU_pSuite suite = CU_add_suite(suite_name, NULL, NULL);
    for (const lc_test_case *c = cases; c->name; c++) CU_add_test(suite, c->name, c->func);
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned run = CU_get_number_of_tests_run();
    unsigned failed = CU_get_number_of_tests_failed();
    unsigned passed = run - failed - skipped;
    printf("\n%s: %u passed, %u failed, %u skipped\n", suite_name, passed, failed, skipped);
    CU_cleanup_registry();
    return failed ? 1 : 0;
}
