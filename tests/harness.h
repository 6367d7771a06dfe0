/* harness.h — shared CUnit driver for the lconv test suites. */
#ifndef LC_TEST_HARNESS_H
#define LC_TEST_HARNESS_H

#include <CUnit/Basic.h>
#include <CUnit/CUnit.h>

#include "lconv.h"

typedef struct {
    const char *name;
    CU_TestFunc func;
} lc_test_case;

/* Run the given cases as one CUnit suite named `suite`, print
 * "<suite>: N passed, N failed, N skipped" and return the exit code for
 * automake (0 all passed, 1 any failure). `cases` ends with {NULL, NULL}. */
int lc_test_main(const char *suite, const lc_test_case *cases);

/* Path of a file under the shared real data (LCONV_DATA_DIR), or NULL when the
 * folder is absent: the caller then calls lc_test_skip() and returns. */
const char *lc_test_data(const char *relative);
/* Path of a committed file under tests/data (LCONV_TEST_DATA). */
const char *lc_test_file(const char *relative);
/* Mark the current test skipped, with the reason printed. */
void lc_test_skip(const char *why);
/* Assert a status with a readable message (prints lc_last_error on mismatch). */
#define LC_ASSERT_OK(call)                                                                     \
    do {                                                                                       \
        lc_status st_ = (call);                                                                \
        if (st_ != LC_OK)                                                                      \
            fprintf(stderr, "\n  %s:%d: %s -> %s: %s\n", __FILE__, __LINE__, #call,           \
                    lc_status_name(st_), lc_last_error());                                     \
        CU_ASSERT_EQUAL_FATAL(st_, LC_OK);                                                     \
    } while (0)
#define LC_ASSERT_STATUS(call, expected)                                                       \
    do {                                                                                       \
        lc_status st_ = (call);                                                                \
        if (st_ != (expected))                                                                 \
            fprintf(stderr, "\n  %s:%d: %s -> %s (expected %s): %s\n", __FILE__, __LINE__,    \
                    #call, lc_status_name(st_), lc_status_name(expected), lc_last_error());   \
        CU_ASSERT_EQUAL(st_, (expected));                                                      \
    } while (0)
/* The last error message contains `needle`. */
#define LC_ASSERT_ERROR_HAS(needle)                                                            \
    do {                                                                                       \
        if (!strstr(lc_last_error(), (needle)))                                                \
            fprintf(stderr, "\n  %s:%d: error '%s' lacks '%s'\n", __FILE__, __LINE__,         \
                    lc_last_error(), (needle));                                                \
        CU_ASSERT_PTR_NOT_NULL(strstr(lc_last_error(), (needle)));                             \
    } while (0)

#endif
