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
/* Entries of a directory other than . and .. (-1 when it cannot be read). */
int lc_test_count_entries(const char *dir);
/* "dir/name" in one of 8 rotating buffers (so a few can be held at once). */
const char *lc_test_path_in(const char *dir, const char *name);
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

/* ---- helpers the suites share (ops, lowrank, lconv, model, generators) */

/* A tensor of the given shape with uniform entries in [lo, hi) drawn from `rng`;
 * an entry closer than `gap` to 0 is redrawn (so that the kinks of relu-like ops
 * are not straddled; gap 0 draws each entry once). NULL when allocation fails. */
lc_tensor_t *lc_test_rand_tensor(lc_rng_t *rng, int ndim, const int64_t *shape, float lo, float hi,
                                 float gap);

/* max |got − ref| / max |ref| over len entries (ref of doubles: a reference
 * computed in double); inf when ref is all zero. */
double lc_test_max_rel_diff(const float *got, const double *ref, int64_t len);

/* loss = mse(y, target) for a random constant target drawn from `rng` in [-1, 1):
 * turns any op into a scalar. The caller frees *target after the graph. */
lc_node lc_test_mse_loss(lc_cgraph_t *cg, lc_rng_t *rng, lc_node y, lc_tensor_t **target);

/* How lc_test_gradcheck perturbs and compares. */
typedef struct {
    int training;      /* forward passes in training mode (dropout active) */
    int reseed;        /* lc_cg_seed(cg, seed) before every forward, so dropout masks match */
    uint64_t seed;     /* used when reseed */
    float h;           /* central-difference step */
    float tol;         /* largest |numeric - analytic| / max(1e-2, |numeric|, |analytic|) */
    int64_t samples;   /* 0: every entry of every parameter; k > 0: entries 0, s, 2s, ...
                        * with s = numel / k + 1 (a few per parameter, for large models) */
    const char *label; /* printed before an offending entry (a spec, say), or NULL */
} lc_test_grad_opts;

/* Compare the analytic gradient of the parameters of the compiled graph `cg`
 * with central differences of its loss, asserting each entry within o->tol and
 * printing the offending ones. Ends with a forward at the unperturbed values.
 * Returns the number of entries checked. */
int lc_test_gradcheck(lc_cgraph_t *cg, const lc_test_grad_opts *o);

/* An unordered pair of node ids (an edge), ordered by a, then b. */
typedef struct {
    int64_t a, b;
} lc_test_pair;
int lc_test_pair_cmp(const void *x, const void *y);
/* Number of distinct unordered pairs {a, b} with a != b among p[0..m) (p is
 * overwritten): an undirected simple graph of them has twice as many
 * directed edges. */
int64_t lc_test_distinct_pairs(lc_test_pair *p, int64_t m);
/* a and b have the same edges (tails, heads, weights) in the same order;
 * `what` names the case in the message of a difference. */
void lc_test_assert_same_graph(const lc_graph_t *a, const lc_graph_t *b, const char *what);
/* Every edge of g has its reverse with the same weight, and weights are 1. */
void lc_test_assert_simple_undirected(const lc_graph_t *g);

/* The dataset's features [n, f] as a calloc'd double array, dense or sparse storage. */
double *lc_test_dense_features(const lc_dataset_t *ds);

/* The first parameter of the built model `m` whose name ends with `suffix`, or NULL. */
lc_tensor_t *lc_test_param(lc_model_t *m, const char *suffix);

#endif
