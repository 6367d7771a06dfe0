/* test_tensor.c — core basics: tensors and views, errors and status names, threads, RNG and initialisers, CSR. */
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "harness.h"
#include "internal.h"

/* ---------- allocation watch ----------
 * To show that an absurd tensor is refused *before* anything is allocated, the
 * test program interposes malloc/calloc/realloc (forwarding to glibc's own
 * entry points, so valgrind still sees every block) and records the largest
 * request. Without glibc, or under AddressSanitizer (which interposes them
 * itself), the check is skipped. */
#if defined(__GLIBC__) && !defined(__SANITIZE_ADDRESS__)
#define WATCH_ALLOCATIONS 1
extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t count, size_t size);
extern void *__libc_realloc(void *ptr, size_t size);

static _Atomic size_t largest_request;

static void note_request(size_t bytes)
{
    size_t seen = atomic_load_explicit(&largest_request, memory_order_relaxed);
    while (bytes > seen && !atomic_compare_exchange_weak(&largest_request, &seen, bytes)) {
    }
}
void *malloc(size_t size)
{
    note_request(size);
    return __libc_malloc(size);
}
void *calloc(size_t count, size_t size)
{
    /* count * size may overflow: record the saturated product. */
    note_request(size && count > SIZE_MAX / size ? SIZE_MAX : count * size);
    return __libc_calloc(count, size);
}
void *realloc(void *ptr, size_t size)
{
    note_request(size);
    return __libc_realloc(ptr, size);
}
#else
#define WATCH_ALLOCATIONS 0
#endif

/* ---------- helpers ---------- */

static int64_t product(int ndim, const int64_t *shape)
{
    int64_t n = 1;
    for (int i = 0; i < ndim; i++) n *= shape[i];
    return n;
}

static bool starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* A pointer that no allocation returns: outputs must keep it on failure. */
#define SENTINEL ((lc_tensor_t *)(uintptr_t)0x5EED)

/* ---------- tensors ---------- */

static void test_new_shapes_and_zero_fill(void)
{
    /* Fill a tensor with garbage and free it first, so that the next allocation
     * of the same size is likely to reuse dirty memory: zero fill must then be
     * the library's doing, not the allocator's luck. */
    lc_tensor_t *dirty = NULL;
    LC_ASSERT_OK(lc_tensor_new2(&dirty, 6, 4));
    lc_tensor_fill(dirty, 123.0f);
    lc_tensor_free(&dirty);

    const int64_t shapes[4][4] = {{24}, {6, 4}, {2, 3, 4}, {2, 1, 3, 4}};
    for (int nd = 1; nd <= 4; nd++) {
        lc_tensor_t *t = NULL;
        LC_ASSERT_OK(lc_tensor_new(&t, nd, shapes[nd - 1]));
        CU_ASSERT_PTR_NOT_NULL_FATAL(t);
        CU_ASSERT_EQUAL(lc_tensor_ndim(t), nd);
        CU_ASSERT_EQUAL(lc_tensor_numel(t), product(nd, shapes[nd - 1]));
        for (int a = 0; a < nd; a++) CU_ASSERT_EQUAL(lc_tensor_dim(t, a), shapes[nd - 1][a]);
        CU_ASSERT_EQUAL(lc_tensor_dim(t, nd), 0);
        CU_ASSERT_EQUAL(lc_tensor_dim(t, -1), 0);
        CU_ASSERT_EQUAL(lc_tensor_dim(t, 99), 0);
        const float *d = lc_tensor_data(t);
        CU_ASSERT_PTR_NOT_NULL_FATAL(d);
        int nonzero = 0;
        for (int64_t i = 0; i < lc_tensor_numel(t); i++) nonzero += d[i] != 0.0f;
        CU_ASSERT_EQUAL(nonzero, 0);
        /* The storage is writable over its whole length (valgrind checks the bounds). */
        lc_tensor_fill(t, 1.0f);
        CU_ASSERT_EQUAL(d[lc_tensor_numel(t) - 1], 1.0f);
        lc_tensor_free(&t);
        CU_ASSERT_PTR_NULL(t);
    }

    lc_tensor_t *m = NULL;
    LC_ASSERT_OK(lc_tensor_new2(&m, 7, 3));
    CU_ASSERT_EQUAL(lc_tensor_ndim(m), 2);
    CU_ASSERT_EQUAL(lc_tensor_dim(m, 0), 7);
    CU_ASSERT_EQUAL(lc_tensor_dim(m, 1), 3);
    CU_ASSERT_EQUAL(lc_tensor_numel(m), 21);
    for (int64_t i = 0; i < 21; i++) CU_ASSERT_EQUAL(lc_tensor_data(m)[i], 0.0f);
    lc_tensor_free(&m);

    /* A 1-element tensor is the smallest legal one. */
    lc_tensor_t *one = NULL;
    LC_ASSERT_OK(lc_tensor_new2(&one, 1, 1));
    CU_ASSERT_EQUAL(lc_tensor_numel(one), 1);
    lc_tensor_free(&one);
}

static void test_new_invalid(void)
{
    lc_tensor_t *t = SENTINEL;
    const int64_t shape[5] = {2, 2, 2, 2, 2};

    LC_ASSERT_STATUS(lc_tensor_new(&t, 0, shape), LC_ERR_INVALID_ARG);
    LC_ASSERT_ERROR_HAS("lc_tensor_new");
    LC_ASSERT_ERROR_HAS("ndim 0");
    LC_ASSERT_STATUS(lc_tensor_new(&t, 5, shape), LC_ERR_INVALID_ARG);
    LC_ASSERT_ERROR_HAS("ndim 5");
    LC_ASSERT_STATUS(lc_tensor_new(&t, -1, shape), LC_ERR_INVALID_ARG);
    LC_ASSERT_STATUS(lc_tensor_new(&t, 2, NULL), LC_ERR_INVALID_ARG);
    LC_ASSERT_ERROR_HAS("shape");

    const int64_t zero_dim[3] = {4, 0, 3};
    LC_ASSERT_STATUS(lc_tensor_new(&t, 3, zero_dim), LC_ERR_INVALID_ARG);
    LC_ASSERT_ERROR_HAS("dim 1");
    const int64_t negative[2] = {-3, 5};
    LC_ASSERT_STATUS(lc_tensor_new(&t, 2, negative), LC_ERR_INVALID_ARG);
    LC_ASSERT_ERROR_HAS("dim 0");
    LC_ASSERT_STATUS(lc_tensor_new2(&t, 3, 0), LC_ERR_INVALID_ARG);
    LC_ASSERT_ERROR_HAS("lc_tensor_new");
    LC_ASSERT_STATUS(lc_tensor_new2(&t, -1, 4), LC_ERR_INVALID_ARG);

    /* Outputs are assigned only on success. */
    CU_ASSERT_PTR_EQUAL(t, SENTINEL);
    LC_ASSERT_STATUS(lc_tensor_new(NULL, 2, shape), LC_ERR_INVALID_ARG);
}

static void test_huge_refused_up_front(void)
{
    lc_tensor_t *t = SENTINEL;
    const int64_t huge2[2] = {(int64_t)1 << 20, (int64_t)1 << 20}; /* 2^40 elements */
    const int64_t huge1[1] = {(int64_t)1 << 40};
    const int64_t just_over[1] = {((int64_t)1 << 36) + 1};
    /* 2^96 elements: the element count itself must not overflow into a small number. */
    const int64_t overflow[3] = {(int64_t)1 << 32, (int64_t)1 << 32, (int64_t)1 << 32};
    const int64_t wraps[4] = {(int64_t)1 << 62, 4, 1, 1}; /* 2^64 wraps to 0 */
#if WATCH_ALLOCATIONS
    atomic_store(&largest_request, 0);
#endif
    LC_ASSERT_STATUS(lc_tensor_new(&t, 2, huge2), LC_ERR_OUT_OF_MEMORY);
    LC_ASSERT_ERROR_HAS("lc_tensor_new");
    LC_ASSERT_ERROR_HAS("refused");
    LC_ASSERT_STATUS(lc_tensor_new2(&t, (int64_t)1 << 20, (int64_t)1 << 20), LC_ERR_OUT_OF_MEMORY);
    LC_ASSERT_STATUS(lc_tensor_new(&t, 1, huge1), LC_ERR_OUT_OF_MEMORY);
    LC_ASSERT_STATUS(lc_tensor_new(&t, 1, just_over), LC_ERR_OUT_OF_MEMORY);
    LC_ASSERT_STATUS(lc_tensor_new(&t, 3, overflow), LC_ERR_OUT_OF_MEMORY);
    LC_ASSERT_STATUS(lc_tensor_new(&t, 4, wraps), LC_ERR_OUT_OF_MEMORY);
    CU_ASSERT_PTR_EQUAL(t, SENTINEL);
#if WATCH_ALLOCATIONS
    /* Message formatting may allocate a little; a tensor buffer would be ≥ 2^38 bytes. */
    size_t largest = atomic_load(&largest_request);
    if (largest >= ((size_t)1 << 20))
        fprintf(stderr, "\n  an allocation of %zu bytes was attempted\n", largest);
    CU_ASSERT(largest < ((size_t)1 << 20));
#endif

    /* A reshape to an absurd shape is refused the same way (no wrap to a match). */
    lc_tensor_t *small = NULL, *view = SENTINEL;
    LC_ASSERT_OK(lc_tensor_new2(&small, 2, 2));
    LC_ASSERT_STATUS(lc_tensor_reshape(&view, small, 4, wraps), LC_ERR_OUT_OF_MEMORY);
    CU_ASSERT_PTR_EQUAL(view, SENTINEL);
    lc_tensor_free(&small);
}

static void test_reshape_is_view(void)
{
    lc_tensor_t *t = NULL, *v = NULL, *vv = NULL;
    LC_ASSERT_OK(lc_tensor_new2(&t, 2, 6));
    float *d = lc_tensor_data(t);
    for (int i = 0; i < 12; i++) d[i] = (float)i;

    const int64_t s34[2] = {3, 4};
    LC_ASSERT_OK(lc_tensor_reshape(&v, t, 2, s34));
    CU_ASSERT_PTR_NOT_NULL_FATAL(v);
    CU_ASSERT_PTR_NOT_EQUAL(v, t);
    CU_ASSERT_PTR_EQUAL(lc_tensor_data(v), d);
    CU_ASSERT_EQUAL(lc_tensor_ndim(v), 2);
    CU_ASSERT_EQUAL(lc_tensor_dim(v, 0), 3);
    CU_ASSERT_EQUAL(lc_tensor_dim(v, 1), 4);
    CU_ASSERT_EQUAL(lc_tensor_numel(v), 12);
    /* The parent keeps its own shape. */
    CU_ASSERT_EQUAL(lc_tensor_dim(t, 0), 2);
    CU_ASSERT_EQUAL(lc_tensor_dim(t, 1), 6);

    /* Row-major: element (r, c) of the view is flat index 4r + c of the parent. */
    float *vd = lc_tensor_data(v);
    vd[2 * 4 + 1] = -7.0f;
    CU_ASSERT_EQUAL(d[9], -7.0f);
    d[4] = 42.0f;
    CU_ASSERT_EQUAL(vd[1 * 4 + 0], 42.0f);
    lc_tensor_fill(v, 3.0f);
    for (int i = 0; i < 12; i++) CU_ASSERT_EQUAL(d[i], 3.0f);

    /* A view of a view, in 4-D, still shares the storage. */
    const int64_t s4[4] = {1, 2, 3, 2};
    LC_ASSERT_OK(lc_tensor_reshape(&vv, v, 4, s4));
    CU_ASSERT_PTR_EQUAL(lc_tensor_data(vv), d);
    CU_ASSERT_EQUAL(lc_tensor_ndim(vv), 4);
    lc_tensor_data(vv)[11] = 5.0f;
    CU_ASSERT_EQUAL(d[11], 5.0f);
    CU_ASSERT_EQUAL(vd[11], 5.0f);

    /* Element-count mismatch: LC_ERR_SHAPE, output untouched. */
    lc_tensor_t *bad = SENTINEL;
    const int64_t s52[2] = {5, 2};
    LC_ASSERT_STATUS(lc_tensor_reshape(&bad, t, 2, s52), LC_ERR_SHAPE);
    LC_ASSERT_ERROR_HAS("lc_tensor_reshape");
    LC_ASSERT_ERROR_HAS("12");
    const int64_t s13[1] = {13};
    LC_ASSERT_STATUS(lc_tensor_reshape(&bad, t, 1, s13), LC_ERR_SHAPE);
    LC_ASSERT_STATUS(lc_tensor_reshape(&bad, t, 0, s13), LC_ERR_INVALID_ARG);
    LC_ASSERT_STATUS(lc_tensor_reshape(&bad, NULL, 1, s13), LC_ERR_INVALID_ARG);
    LC_ASSERT_STATUS(lc_tensor_reshape(NULL, t, 2, s34), LC_ERR_INVALID_ARG);
    const int64_t s_zero[2] = {0, 12};
    LC_ASSERT_STATUS(lc_tensor_reshape(&bad, t, 2, s_zero), LC_ERR_INVALID_ARG);
    CU_ASSERT_PTR_EQUAL(bad, SENTINEL);

    lc_tensor_free(&vv);
    lc_tensor_free(&v);
    lc_tensor_free(&t);
}

/* lc_i_tensor_view2 (the partitioned trainer's scratch views): the first rows·cols
 * elements, shared and kept alive by the view; more than the source has is refused. */
static void test_prefix_view(void)
{
    lc_tensor_t *t = NULL, *v = NULL, *bad = SENTINEL;
    LC_ASSERT_OK(lc_tensor_new2(&t, 3, 4));
    float *d = lc_tensor_data(t);
    for (int i = 0; i < 12; i++) d[i] = (float)i;
    LC_ASSERT_OK(lc_i_tensor_view2(&v, t, 2, 5));
    CU_ASSERT_PTR_EQUAL(lc_tensor_data(v), d);
    CU_ASSERT(lc_tensor_dim(v, 0) == 2 && lc_tensor_dim(v, 1) == 5 && lc_tensor_numel(v) == 10);
    lc_tensor_data(v)[9] = -1.0f;
    CU_ASSERT_EQUAL(d[9], -1.0f);
    LC_ASSERT_STATUS(lc_i_tensor_view2(&bad, t, 13, 1), LC_ERR_SHAPE);
    LC_ASSERT_ERROR_HAS("lc_i_tensor_view2");
    LC_ASSERT_STATUS(lc_i_tensor_view2(&bad, t, 0, 4), LC_ERR_INVALID_ARG);
    CU_ASSERT_PTR_EQUAL(bad, SENTINEL);
    lc_tensor_free(&t); /* the view keeps the storage */
    CU_ASSERT_EQUAL(lc_tensor_data(v)[8], 8.0f);
    lc_tensor_free(&v);
}

static void test_view_outlives_parent(void)
{
    lc_tensor_t *t = NULL, *v = NULL, *w = NULL;
    LC_ASSERT_OK(lc_tensor_new2(&t, 4, 5));
    for (int i = 0; i < 20; i++) lc_tensor_data(t)[i] = (float)(i * i);
    const int64_t s20[1] = {20}, s25[2] = {2, 10};
    LC_ASSERT_OK(lc_tensor_reshape(&v, t, 1, s20));
    LC_ASSERT_OK(lc_tensor_reshape(&w, t, 2, s25));
    lc_tensor_free(&t);
    CU_ASSERT_PTR_NULL(t);
    /* Reads and writes after the parent is gone: valgrind would flag a use after free. */
    int wrong = 0;
    for (int i = 0; i < 20; i++) wrong += lc_tensor_data(v)[i] != (float)(i * i);
    CU_ASSERT_EQUAL(wrong, 0);
    lc_tensor_data(v)[19] = -1.0f;
    CU_ASSERT_EQUAL(lc_tensor_data(w)[19], -1.0f);
    lc_tensor_free(&v);
    /* The last view still owns the storage. */
    CU_ASSERT_EQUAL(lc_tensor_data(w)[0], 0.0f);
    lc_tensor_fill(w, 2.0f);
    CU_ASSERT_EQUAL(lc_tensor_data(w)[19], 2.0f);
    lc_tensor_free(&w);
    CU_ASSERT_PTR_NULL(w);
}

static void test_copy_and_fill(void)
{
    lc_tensor_t *a = NULL, *b = NULL, *c = NULL;
    LC_ASSERT_OK(lc_tensor_new2(&a, 2, 3));
    LC_ASSERT_OK(lc_tensor_new2(&b, 3, 2)); /* same count, other shape */
    LC_ASSERT_OK(lc_tensor_new2(&c, 2, 2));
    for (int i = 0; i < 6; i++) lc_tensor_data(a)[i] = 0.5f * (float)i - 1.0f;
    LC_ASSERT_OK(lc_tensor_copy(b, a));
    for (int i = 0; i < 6; i++) CU_ASSERT_EQUAL(lc_tensor_data(b)[i], 0.5f * (float)i - 1.0f);
    /* A copy, not an alias: changing the source leaves the destination alone. */
    CU_ASSERT_PTR_NOT_EQUAL(lc_tensor_data(a), lc_tensor_data(b));
    lc_tensor_data(a)[0] = 99.0f;
    CU_ASSERT_EQUAL(lc_tensor_data(b)[0], -1.0f);
    CU_ASSERT_EQUAL(lc_tensor_dim(b, 0), 3); /* the destination keeps its shape */

    lc_tensor_fill(c, 7.0f);
    LC_ASSERT_STATUS(lc_tensor_copy(c, a), LC_ERR_SHAPE);
    LC_ASSERT_ERROR_HAS("lc_tensor_copy");
    for (int i = 0; i < 4; i++) CU_ASSERT_EQUAL(lc_tensor_data(c)[i], 7.0f);
    LC_ASSERT_STATUS(lc_tensor_copy(a, c), LC_ERR_SHAPE);
    LC_ASSERT_STATUS(lc_tensor_copy(NULL, a), LC_ERR_INVALID_ARG);
    LC_ASSERT_STATUS(lc_tensor_copy(a, NULL), LC_ERR_INVALID_ARG);

    /* Copy onto itself and between a tensor and its own view are no-ops. */
    lc_tensor_t *view = NULL;
    const int64_t s6[1] = {6};
    LC_ASSERT_OK(lc_tensor_reshape(&view, a, 1, s6));
    LC_ASSERT_OK(lc_tensor_copy(a, a));
    LC_ASSERT_OK(lc_tensor_copy(view, a));
    CU_ASSERT_EQUAL(lc_tensor_data(a)[0], 99.0f);
    CU_ASSERT_EQUAL(lc_tensor_data(a)[5], 1.5f);

    lc_tensor_fill(a, -2.5f);
    for (int i = 0; i < 6; i++) CU_ASSERT_EQUAL(lc_tensor_data(view)[i], -2.5f);
    lc_tensor_fill(NULL, 1.0f); /* must not crash */

    lc_tensor_free(&view);
    lc_tensor_free(&a);
    lc_tensor_free(&b);
    lc_tensor_free(&c);
}

static void test_free_null_and_double_free(void)
{
    lc_tensor_free(NULL);
    lc_tensor_t *t = NULL;
    lc_tensor_free(&t);
    CU_ASSERT_PTR_NULL(t);
    LC_ASSERT_OK(lc_tensor_new2(&t, 3, 3));
    lc_tensor_free(&t);
    CU_ASSERT_PTR_NULL(t);
    lc_tensor_free(&t); /* the handle is NULL now: a second free is a no-op */
    CU_ASSERT_PTR_NULL(t);
    /* Accessors accept NULL. */
    CU_ASSERT_PTR_NULL(lc_tensor_data(NULL));
    CU_ASSERT_EQUAL(lc_tensor_ndim(NULL), 0);
    CU_ASSERT_EQUAL(lc_tensor_numel(NULL), 0);
    CU_ASSERT_EQUAL(lc_tensor_dim(NULL, 0), 0);
}

/* ---------- errors, status names, version, threads ---------- */

static void test_last_error_names_function(void)
{
    lc_tensor_t *t = NULL;
    LC_ASSERT_STATUS(lc_tensor_new2(&t, 2, -4), LC_ERR_INVALID_ARG);
    CU_ASSERT(starts_with(lc_last_error(), "lc_tensor_new: "));
    LC_ASSERT_ERROR_HAS("-4");

    LC_ASSERT_OK(lc_tensor_new2(&t, 2, 2));
    const int64_t s3[1] = {3};
    lc_tensor_t *v = NULL;
    LC_ASSERT_STATUS(lc_tensor_reshape(&v, t, 1, s3), LC_ERR_SHAPE);
    CU_ASSERT(starts_with(lc_last_error(), "lc_tensor_reshape: "));

    lc_rng_t rng;
    lc_rng_seed(&rng, 1);
    lc_tensor_t *t1 = NULL;
    LC_ASSERT_OK(lc_tensor_new(&t1, 1, s3));
    LC_ASSERT_STATUS(lc_init_glorot(t1, &rng), LC_ERR_INVALID_ARG);
    CU_ASSERT(starts_with(lc_last_error(), "lc_init_glorot: "));
    LC_ASSERT_STATUS(lc_set_threads(-3), LC_ERR_INVALID_ARG);
    CU_ASSERT(starts_with(lc_last_error(), "lc_set_threads: "));
    LC_ASSERT_ERROR_HAS("-3");

    /* The message is per thread: an error on another thread leaves ours alone. */
    char before[256];
    snprintf(before, sizeof before, "%s", lc_last_error());
#ifdef _OPENMP
    /* OpenMP threads rather than a joined pthread: glibc caches the stack of a
     * finished pthread, which valgrind reports as "possibly lost". */
    int other_failed = 0, team = 0;
#pragma omp parallel num_threads(2)
    if (omp_get_thread_num() == 1) {
        lc_tensor_t *t2 = NULL;
        team = omp_get_num_threads();
        other_failed = lc_tensor_new2(&t2, 0, 1) == LC_ERR_INVALID_ARG &&
                       strstr(lc_last_error(), "dim 0") != NULL;
    }
    if (team == 2) CU_ASSERT_EQUAL(other_failed, 1);
    CU_ASSERT_STRING_EQUAL(lc_last_error(), before);
#endif

    /* Never NULL, and the message survives successful calls. */
    CU_ASSERT_PTR_NOT_NULL(lc_last_error());
    LC_ASSERT_OK(lc_tensor_copy(t, t));
    CU_ASSERT_STRING_EQUAL(lc_last_error(), before);
    lc_tensor_free(&t1);
    lc_tensor_free(&t);
}

static void test_status_names(void)
{
    /* The documented name of each code is its enumerator, spelled out. */
#define CODE(c) {c, #c}
    static const struct {
        lc_status code;
        const char *name;
    } codes[] = {CODE(LC_OK),           CODE(LC_ERR_INVALID_ARG), CODE(LC_ERR_OUT_OF_MEMORY),
                 CODE(LC_ERR_IO),       CODE(LC_ERR_PARSE),       CODE(LC_ERR_SHAPE),
                 CODE(LC_ERR_STATE),    CODE(LC_ERR_CORRUPT),     CODE(LC_ERR_MISMATCH),
                 CODE(LC_ERR_UNSUPPORTED), CODE(LC_ERR_BACKEND),  CODE(LC_ERR_NUMERIC)};
#undef CODE
    const int n = (int)(sizeof codes / sizeof codes[0]);
    /* The table covers every code from LC_OK down to the last one. */
    for (int i = 0; i < n; i++) CU_ASSERT_EQUAL((int)codes[i].code, -i);
    for (int i = 0; i < n; i++) {
        const char *s = lc_status_name(codes[i].code);
        CU_ASSERT_PTR_NOT_NULL_FATAL(s);
        if (strcmp(s, codes[i].name))
            fprintf(stderr, "\n  code %d is named '%s', expected '%s'\n", codes[i].code, s,
                    codes[i].name);
        CU_ASSERT_STRING_EQUAL(s, codes[i].name);
    }
    /* Codes outside the enum still get a (distinct) name. */
    const lc_status unknown[] = {(lc_status)1, (lc_status)-12, (lc_status)-1000};
    for (int k = 0; k < 3; k++) {
        const char *s = lc_status_name(unknown[k]);
        CU_ASSERT_PTR_NOT_NULL_FATAL(s);
        CU_ASSERT(strlen(s) > 0);
        for (int i = 0; i < n; i++) CU_ASSERT_STRING_NOT_EQUAL(s, codes[i].name);
    }
}

static void test_version(void)
{
    const char *v = lc_version();
    CU_ASSERT_PTR_NOT_NULL_FATAL(v);
    int major = -1, minor = -1, patch = -1, used = 0;
    CU_ASSERT_EQUAL(sscanf(v, "%d.%d.%d%n", &major, &minor, &patch, &used), 3);
    CU_ASSERT_EQUAL((size_t)used, strlen(v));
    CU_ASSERT(major >= 0 && minor >= 0 && patch >= 0);
}

static void test_threads(void)
{
    /* Default: one thread (bit-reproducible); this suite sets none before here. */
    CU_ASSERT_EQUAL(lc_get_threads(), 1);
    LC_ASSERT_STATUS(lc_set_threads(-1), LC_ERR_INVALID_ARG);
    LC_ASSERT_ERROR_HAS("lc_set_threads");
    CU_ASSERT_EQUAL(lc_get_threads(), 1); /* unchanged by the refused call */
    LC_ASSERT_OK(lc_set_threads(2));
    CU_ASSERT_EQUAL(lc_get_threads(), 2);
    LC_ASSERT_OK(lc_set_threads(0));
#ifdef _OPENMP
    CU_ASSERT_EQUAL(lc_get_threads(), omp_get_num_procs());
#endif
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    if (online > 0) CU_ASSERT_EQUAL(lc_get_threads(), (int)online);
    CU_ASSERT(lc_get_threads() >= 1);
    LC_ASSERT_OK(lc_set_threads(1));
    CU_ASSERT_EQUAL(lc_get_threads(), 1);
}

/* ---------- RNG ---------- */

#define DRAWS 100000

static void test_rng_reproducible(void)
{
    lc_rng_t a, b;
    lc_rng_seed(&a, 12345);
    lc_rng_seed(&b, 12345);
    int differ = 0;
    for (int i = 0; i < 1000; i++) differ += lc_rng_next(&a) != lc_rng_next(&b);
    CU_ASSERT_EQUAL(differ, 0);
    /* Also through the float draws, interleaved the same way. */
    for (int i = 0; i < 1000; i++) {
        differ += lc_rng_uniform(&a) != lc_rng_uniform(&b);
        differ += lc_rng_normal(&a) != lc_rng_normal(&b);
    }
    CU_ASSERT_EQUAL(differ, 0);

    /* Reseeding restarts the sequence. */
    lc_rng_seed(&a, 99);
    uint64_t first[16];
    for (int i = 0; i < 16; i++) first[i] = lc_rng_next(&a);
    lc_rng_seed(&a, 99);
    for (int i = 0; i < 16; i++) CU_ASSERT_EQUAL(lc_rng_next(&a), first[i]);
    /* The sequence is not stuck: 16 successive outputs are all distinct. */
    int repeats = 0;
    for (int i = 0; i < 16; i++)
        for (int j = 0; j < i; j++) repeats += first[i] == first[j];
    CU_ASSERT_EQUAL(repeats, 0);
}

static void test_rng_seeds_differ(void)
{
    /* Neighbouring seeds (and 0) must give unrelated streams. */
    const uint64_t seeds[] = {0, 1, 2, 42, 43, 0xFFFFFFFFFFFFFFFFull};
    const int ns = (int)(sizeof seeds / sizeof seeds[0]);
    uint64_t out[6][64];
    for (int s = 0; s < ns; s++) {
        lc_rng_t r;
        lc_rng_seed(&r, seeds[s]);
        for (int i = 0; i < 64; i++) out[s][i] = lc_rng_next(&r);
    }
    for (int s = 0; s < ns; s++)
        for (int t = 0; t < s; t++) {
            int same = 0;
            for (int i = 0; i < 64; i++) same += out[s][i] == out[t][i];
            CU_ASSERT_EQUAL(same, 0);
        }
    /* Seed 0 must not be a degenerate all-zero state. */
    int zeros = 0;
    for (int i = 0; i < 64; i++) zeros += out[0][i] == 0;
    CU_ASSERT(zeros < 2);
}

static void test_rng_uniform(void)
{
    lc_rng_t r;
    lc_rng_seed(&r, 2024);
    enum { BINS = 20 };
    int64_t hist[BINS] = {0};
    double sum = 0, sum2 = 0, lag = 0, prev = 0;
    int out_of_range = 0;
    float lo = 1.0f, hi = 0.0f;
    for (int i = 0; i < DRAWS; i++) {
        float u = lc_rng_uniform(&r);
        if (!(u >= 0.0f && u < 1.0f)) {
            out_of_range++;
            continue;
        }
        if (u < lo) lo = u;
        if (u > hi) hi = u;
        hist[(int)(u * BINS)]++;
        sum += u;
        sum2 += (double)u * u;
        if (i) lag += (u - 0.5) * (prev - 0.5);
        prev = u;
    }
    CU_ASSERT_EQUAL(out_of_range, 0);
    double mean = sum / DRAWS, var = sum2 / DRAWS - mean * mean;
    /* Standard errors over 1e5 draws: mean 0.0009, variance 0.00024. The
     * tolerances are ~5 of them, far tighter than any generator with a bias or
     * a shrunk range would meet (U[0, 0.99) already misses the mean by 0.005). */
    printf("\n  uniform: mean %.5f var %.5f (1/12 = %.5f) range [%.6f, %.6f]\n", mean, var,
           1.0 / 12, lo, hi);
    CU_ASSERT(fabs(mean - 0.5) < 0.0045);
    CU_ASSERT(fabs(var - 1.0 / 12.0) < 0.0012);
    /* The whole interval is reached. */
    CU_ASSERT(lo < 1e-3f);
    CU_ASSERT(hi > 1.0f - 1e-3f);
    /* Chi-square over 20 equal bins (19 degrees of freedom; 0.9999 quantile ≈ 47). */
    double chi2 = 0, expect = (double)DRAWS / BINS;
    for (int b = 0; b < BINS; b++) chi2 += (hist[b] - expect) * (hist[b] - expect) / expect;
    printf("  uniform: chi2(19) = %.2f\n", chi2);
    CU_ASSERT(chi2 < 47.0);
    /* Successive draws are uncorrelated (standard error of the lag-1 correlation ≈ 0.0032). */
    double corr = (lag / (DRAWS - 1)) / (1.0 / 12.0);
    printf("  uniform: lag-1 correlation %.5f\n", corr);
    CU_ASSERT(fabs(corr) < 0.016);
}

static void test_rng_normal(void)
{
    lc_rng_t r;
    lc_rng_seed(&r, 7);
    double sum = 0, sum2 = 0, sum4 = 0;
    int64_t within1 = 0, nonfinite = 0;
    for (int i = 0; i < DRAWS; i++) {
        float z = lc_rng_normal(&r);
        if (!isfinite(z)) {
            nonfinite++;
            continue;
        }
        sum += z;
        sum2 += (double)z * z;
        sum4 += (double)z * z * z * z;
        within1 += fabsf(z) < 1.0f;
    }
    CU_ASSERT_EQUAL(nonfinite, 0);
    double mean = sum / DRAWS, var = sum2 / DRAWS - mean * mean, sd = sqrt(var);
    double kurt = (sum4 / DRAWS) / (var * var);
    double frac1 = (double)within1 / DRAWS;
    printf("\n  normal: mean %.5f sd %.5f kurtosis %.4f P(|z|<1) %.5f\n", mean, sd, kurt, frac1);
    /* Standard errors: mean 0.0032, sd 0.0022, kurtosis 0.015, P(|z|<1) 0.0015. */
    CU_ASSERT(fabs(mean) < 0.016);
    CU_ASSERT(fabs(sd - 1.0) < 0.011);
    /* Shape, not only moments: a scaled uniform has kurtosis 1.8, a Laplace 6. */
    CU_ASSERT(fabs(kurt - 3.0) < 0.1);
    CU_ASSERT(fabs(frac1 - 0.682689) < 0.0075);
}

/* ---------- initialisers ---------- */

static void moments(const lc_tensor_t *t, double *mean, double *var)
{
    double s = 0, s2 = 0;
    const float *d = lc_tensor_data(t);
    int64_t n = lc_tensor_numel(t);
    for (int64_t i = 0; i < n; i++) {
        s += d[i];
        s2 += (double)d[i] * d[i];
    }
    *mean = s / (double)n;
    *var = s2 / (double)n - *mean * *mean;
}

static void test_glorot(void)
{
    lc_rng_t r;
    lc_rng_seed(&r, 3);
    const int64_t sizes[][2] = {{300, 200}, {1433, 16}, {16, 7}};
    for (int k = 0; k < 3; k++) {
        int64_t in = sizes[k][0], out = sizes[k][1];
        lc_tensor_t *w = NULL;
        LC_ASSERT_OK(lc_tensor_new2(&w, in, out));
        LC_ASSERT_OK(lc_init_glorot(w, &r));
        double a = sqrt(6.0 / (double)(in + out));
        const float *d = lc_tensor_data(w);
        int64_t n = in * out, outside = 0;
        double amax = 0;
        for (int64_t i = 0; i < n; i++) {
            if (fabs(d[i]) > a * (1 + 1e-6)) outside++;
            if (fabs(d[i]) > amax) amax = fabs(d[i]);
        }
        CU_ASSERT_EQUAL(outside, 0);
        double mean, var;
        moments(w, &mean, &var);
        printf("\n  glorot [%lld, %lld]: a %.5f max|w| %.5f mean %.2e var %.3e (a^2/3 = %.3e)",
               (long long)in, (long long)out, a, amax, mean, var, a * a / 3);
        /* Relative standard error of the variance of U(-a, a) is sqrt(0.8 / n). */
        double rel_tol = 5 * sqrt(0.8 / (double)n);
        CU_ASSERT(fabs(var / (a * a / 3) - 1) < rel_tol);
        CU_ASSERT(fabs(mean) < 5 * a / sqrt(3.0 * (double)n));
        /* The full range is used: the largest of n uniform draws is close to a. */
        CU_ASSERT(amax > a * (1 - 20.0 / (double)n));
        lc_tensor_free(&w);
    }
    printf("\n");

    /* Same seed, same weights. */
    lc_tensor_t *w1 = NULL, *w2 = NULL;
    LC_ASSERT_OK(lc_tensor_new2(&w1, 20, 30));
    LC_ASSERT_OK(lc_tensor_new2(&w2, 20, 30));
    lc_rng_seed(&r, 11);
    LC_ASSERT_OK(lc_init_glorot(w1, &r));
    lc_rng_seed(&r, 11);
    LC_ASSERT_OK(lc_init_glorot(w2, &r));
    CU_ASSERT_EQUAL(memcmp(lc_tensor_data(w1), lc_tensor_data(w2), 600 * sizeof(float)), 0);
    LC_ASSERT_STATUS(lc_init_glorot(w1, NULL), LC_ERR_INVALID_ARG);
    LC_ASSERT_STATUS(lc_init_glorot(NULL, &r), LC_ERR_INVALID_ARG);
    lc_tensor_free(&w1);
    lc_tensor_free(&w2);
}

static void test_kaiming(void)
{
    lc_rng_t r;
    lc_rng_seed(&r, 5);
    const int64_t sizes[][2] = {{400, 250}, {64, 1000}};
    for (int k = 0; k < 2; k++) {
        int64_t in = sizes[k][0], out = sizes[k][1], n = in * out;
        lc_tensor_t *w = NULL;
        LC_ASSERT_OK(lc_tensor_new2(&w, in, out));
        LC_ASSERT_OK(lc_init_kaiming(w, &r));
        double mean, var;
        moments(w, &mean, &var);
        double want = sqrt(2.0 / (double)in), sd = sqrt(var);
        printf("\n  kaiming [%lld, %lld]: sd %.5f (sqrt(2/fan_in) = %.5f) mean %.2e",
               (long long)in, (long long)out, sd, want, mean);
        /* Relative standard error of a normal sd is 1/sqrt(2n) ≈ 0.0022 here;
         * using fan_out instead of fan_in would be off by 20% or more. */
        CU_ASSERT(fabs(sd / want - 1) < 5 / sqrt(2.0 * (double)n));
        CU_ASSERT(fabs(mean) < 5 * want / sqrt((double)n));
        lc_tensor_free(&w);
    }
    printf("\n");
}

static void test_init_needs_2d(void)
{
    lc_rng_t r;
    lc_rng_seed(&r, 1);
    const int64_t s1[1] = {12}, s3[3] = {2, 3, 4}, s4[4] = {2, 2, 2, 2};
    lc_tensor_t *t1 = NULL, *t3 = NULL, *t4 = NULL;
    LC_ASSERT_OK(lc_tensor_new(&t1, 1, s1));
    LC_ASSERT_OK(lc_tensor_new(&t3, 3, s3));
    LC_ASSERT_OK(lc_tensor_new(&t4, 4, s4));
    lc_tensor_t *ts[3] = {t1, t3, t4};
    for (int k = 0; k < 3; k++) {
        lc_tensor_fill(ts[k], 9.0f);
        LC_ASSERT_STATUS(lc_init_glorot(ts[k], &r), LC_ERR_INVALID_ARG);
        LC_ASSERT_ERROR_HAS("2-D");
        LC_ASSERT_STATUS(lc_init_kaiming(ts[k], &r), LC_ERR_INVALID_ARG);
        LC_ASSERT_ERROR_HAS("lc_init_kaiming");
        /* Refused tensors are left untouched. */
        int changed = 0;
        for (int64_t i = 0; i < lc_tensor_numel(ts[k]); i++)
            changed += lc_tensor_data(ts[k])[i] != 9.0f;
        CU_ASSERT_EQUAL(changed, 0);
    }
    LC_ASSERT_STATUS(lc_init_kaiming(NULL, &r), LC_ERR_INVALID_ARG);
    LC_ASSERT_STATUS(lc_init_kaiming(t1, NULL), LC_ERR_INVALID_ARG);
    lc_tensor_free(&t1);
    lc_tensor_free(&t3);
    lc_tensor_free(&t4);
}

/* ---------- CSR ---------- */

static void test_csr_from_coo(void)
{
    /* 3 × 4 with a duplicate (1, 2) entry and unsorted input. */
    const int64_t rows[] = {2, 0, 1, 1, 0, 1};
    const int64_t cols[] = {3, 1, 2, 0, 0, 2};
    const float vals[] = {5, 2, 3, 4, 1, 0.5f};
    lc_csr_t *a = NULL;
    LC_ASSERT_OK(lc_csr_from_coo(&a, 3, 4, 6, rows, cols, vals));
    CU_ASSERT_EQUAL(lc_csr_rows(a), 3);
    CU_ASSERT_EQUAL(lc_csr_cols(a), 4);
    CU_ASSERT_EQUAL(lc_csr_nnz(a), 5); /* the duplicate merged */
    /* Dense reference built from the triplets. */
    float dense[3][4] = {{0}};
    for (int k = 0; k < 6; k++) dense[rows[k]][cols[k]] += vals[k];
    float back[3][4] = {{0}};
    for (int64_t r = 0; r < a->n_rows; r++)
        for (int64_t k = a->rowptr[r]; k < a->rowptr[r + 1]; k++) {
            if (k > a->rowptr[r]) CU_ASSERT(a->col[k] > a->col[k - 1]); /* sorted, unique */
            back[r][a->col[k]] = a->val[k];
        }
    CU_ASSERT_EQUAL(memcmp(dense, back, sizeof dense), 0);

    /* vals NULL means ones (duplicates still summed). */
    lc_csr_t *ones = NULL;
    LC_ASSERT_OK(lc_csr_from_coo(&ones, 3, 4, 6, rows, cols, NULL));
    CU_ASSERT_EQUAL(lc_csr_nnz(ones), 5);
    float sum = 0;
    for (int64_t k = 0; k < ones->nnz; k++) sum += ones->val[k];
    CU_ASSERT_EQUAL(sum, 6.0f);

    /* An empty matrix is legal. */
    lc_csr_t *empty = NULL;
    LC_ASSERT_OK(lc_csr_from_coo(&empty, 5, 2, 0, NULL, NULL, NULL));
    CU_ASSERT_EQUAL(lc_csr_nnz(empty), 0);
    CU_ASSERT_EQUAL(lc_csr_rows(empty), 5);

    /* Errors: out-of-range index, negative size, NULL arrays; output untouched. */
    lc_csr_t *bad = (lc_csr_t *)(uintptr_t)0x5EED;
    const int64_t bad_rows[] = {0, 3};
    const int64_t bad_cols[] = {0, -1};
    LC_ASSERT_STATUS(lc_csr_from_coo(&bad, 3, 4, 2, bad_rows, cols, NULL), LC_ERR_INVALID_ARG);
    LC_ASSERT_ERROR_HAS("lc_csr_from_coo");
    LC_ASSERT_ERROR_HAS("entry 1");
    LC_ASSERT_STATUS(lc_csr_from_coo(&bad, 3, 4, 2, rows, bad_cols, NULL), LC_ERR_INVALID_ARG);
    LC_ASSERT_STATUS(lc_csr_from_coo(&bad, -1, 4, 0, NULL, NULL, NULL), LC_ERR_INVALID_ARG);
    LC_ASSERT_STATUS(lc_csr_from_coo(&bad, 3, 4, -2, rows, cols, NULL), LC_ERR_INVALID_ARG);
    LC_ASSERT_STATUS(lc_csr_from_coo(&bad, 3, 4, 2, NULL, cols, NULL), LC_ERR_INVALID_ARG);
    LC_ASSERT_STATUS(lc_csr_from_coo(NULL, 3, 4, 2, rows, cols, NULL), LC_ERR_INVALID_ARG);
    CU_ASSERT_PTR_EQUAL(bad, (lc_csr_t *)(uintptr_t)0x5EED);

    lc_csr_free(NULL);
    lc_csr_free(&a);
    CU_ASSERT_PTR_NULL(a);
    lc_csr_free(&a);
    CU_ASSERT_EQUAL(lc_csr_nnz(NULL), 0);
    CU_ASSERT_EQUAL(lc_csr_rows(NULL), 0);
    lc_csr_free(&ones);
    lc_csr_free(&empty);
}

/* A random n × m sparse matrix with about `per_row` entries per row, and its dense copy. */
static lc_csr_t *random_csr(lc_rng_t *r, int64_t n, int64_t m, int per_row, float *dense)
{
    int64_t nnz = n * per_row;
    int64_t *ri = malloc((size_t)nnz * sizeof *ri), *ci = malloc((size_t)nnz * sizeof *ci);
    float *v = malloc((size_t)nnz * sizeof *v);
    lc_csr_t *a = NULL;
    if (ri && ci && v) {
        for (int64_t k = 0; k < nnz; k++) {
            ri[k] = k / per_row;
            ci[k] = (int64_t)(lc_rng_next(r) % (uint64_t)m);
            v[k] = 2 * lc_rng_uniform(r) - 1;
            if (dense) dense[ri[k] * m + ci[k]] += v[k];
        }
        if (lc_csr_from_coo(&a, n, m, nnz, ri, ci, v)) a = NULL;
    }
    free(ri);
    free(ci);
    free(v);
    return a;
}

static void test_csr_spmm(void)
{
    lc_rng_t r;
    lc_rng_seed(&r, 17);
    const int64_t n = 40, m = 30, f = 5;
    float *dense = calloc((size_t)(n * m), sizeof *dense);
    CU_ASSERT_PTR_NOT_NULL_FATAL(dense);
    lc_csr_t *a = random_csr(&r, n, m, 4, dense);
    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    lc_tensor_t *x = NULL, *y = NULL, *yt = NULL, *xt = NULL;
    LC_ASSERT_OK(lc_tensor_new2(&x, m, f));
    LC_ASSERT_OK(lc_tensor_new2(&y, n, f));
    for (int64_t i = 0; i < m * f; i++) lc_tensor_data(x)[i] = lc_rng_normal(&r);
    lc_tensor_fill(y, 1e9f); /* Y is overwritten, not accumulated into */
    LC_ASSERT_OK(lc_csr_spmm(a, x, y));
    double worst = 0;
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < f; j++) {
            double ref = 0;
            for (int64_t k = 0; k < m; k++) ref += (double)dense[i * m + k] * lc_tensor_data(x)[k * f + j];
            worst = fmax(worst, fabs(ref - lc_tensor_data(y)[i * f + j]));
        }
    CU_ASSERT(worst < 1e-5);

    /* The transpose (built once and cached) matches the dense transpose. */
    const lc_csr_t *at = NULL, *at2 = NULL;
    LC_ASSERT_OK(lc_i_csr_transpose(a, &at));
    LC_ASSERT_OK(lc_i_csr_transpose(a, &at2));
    CU_ASSERT_PTR_EQUAL(at, at2);
    CU_ASSERT_EQUAL(at->n_rows, m);
    CU_ASSERT_EQUAL(at->n_cols, n);
    LC_ASSERT_OK(lc_tensor_new2(&xt, n, f));
    LC_ASSERT_OK(lc_tensor_new2(&yt, m, f));
    for (int64_t i = 0; i < n * f; i++) lc_tensor_data(xt)[i] = lc_rng_normal(&r);
    LC_ASSERT_OK(lc_csr_spmm(at, xt, yt));
    worst = 0;
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < f; j++) {
            double ref = 0;
            for (int64_t k = 0; k < n; k++) ref += (double)dense[k * m + i] * lc_tensor_data(xt)[k * f + j];
            worst = fmax(worst, fabs(ref - lc_tensor_data(yt)[i * f + j]));
        }
    CU_ASSERT(worst < 1e-5);

    /* Shape errors name both sides; NULL is refused. */
    LC_ASSERT_STATUS(lc_csr_spmm(a, y, y), LC_ERR_SHAPE); /* X has n rows, A has m cols */
    LC_ASSERT_ERROR_HAS("lc_csr_spmm");
    LC_ASSERT_STATUS(lc_csr_spmm(a, x, yt), LC_ERR_SHAPE);
    LC_ASSERT_STATUS(lc_csr_spmm(NULL, x, y), LC_ERR_INVALID_ARG);
    LC_ASSERT_STATUS(lc_csr_spmm(a, NULL, y), LC_ERR_INVALID_ARG);

    lc_tensor_free(&x);
    lc_tensor_free(&y);
    lc_tensor_free(&xt);
    lc_tensor_free(&yt);
    lc_csr_free(&a);
    free(dense);
}

static void test_csr_spmm_thread_independent(void)
{
    /* Big enough (nnz·f > 32768) for the parallel path: 1 and 2 threads must
     * give the same bits, since each row is reduced by one thread in order. */
    lc_rng_t r;
    lc_rng_seed(&r, 23);
    const int64_t n = 3000, f = 24;
    lc_csr_t *a = random_csr(&r, n, n, 9, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    lc_tensor_t *x = NULL, *y1 = NULL, *y2 = NULL;
    LC_ASSERT_OK(lc_tensor_new2(&x, n, f));
    LC_ASSERT_OK(lc_tensor_new2(&y1, n, f));
    LC_ASSERT_OK(lc_tensor_new2(&y2, n, f));
    for (int64_t i = 0; i < n * f; i++) lc_tensor_data(x)[i] = lc_rng_normal(&r);
    LC_ASSERT_OK(lc_set_threads(1));
    LC_ASSERT_OK(lc_csr_spmm(a, x, y1));
    LC_ASSERT_OK(lc_set_threads(2));
    LC_ASSERT_OK(lc_csr_spmm(a, x, y2));
    LC_ASSERT_OK(lc_set_threads(1));
    CU_ASSERT_EQUAL(memcmp(lc_tensor_data(y1), lc_tensor_data(y2), (size_t)(n * f) * sizeof(float)), 0);
    lc_tensor_free(&x);
    lc_tensor_free(&y1);
    lc_tensor_free(&y2);
    lc_csr_free(&a);
}

int main(void)
{
    static const lc_test_case cases[] = {
        {"threads: default 1, -1 refused, 0 = all cores", test_threads},
        {"new/new2: shapes and zero fill", test_new_shapes_and_zero_fill},
        {"new: invalid ndim and dims", test_new_invalid},
        {"2^40 elements refused before allocating", test_huge_refused_up_front},
        {"reshape is a view; count mismatch", test_reshape_is_view},
        {"a prefix view shares the storage and keeps it alive", test_prefix_view},
        {"view outlives its freed parent", test_view_outlives_parent},
        {"copy and fill", test_copy_and_fill},
        {"free NULL and double free via handle", test_free_null_and_double_free},
        {"last error names the function, per thread", test_last_error_names_function},
        {"status names for every code", test_status_names},
        {"version string", test_version},
        {"rng: same seed, same sequence", test_rng_reproducible},
        {"rng: different seeds differ", test_rng_seeds_differ},
        {"rng: uniform moments, histogram, correlation", test_rng_uniform},
        {"rng: normal moments and shape", test_rng_normal},
        {"glorot bound and variance", test_glorot},
        {"kaiming standard deviation", test_kaiming},
        {"initialisers refuse non-2-D tensors", test_init_needs_2d},
        {"csr from coo: merge, sort, errors", test_csr_from_coo},
        {"csr spmm and transpose vs dense", test_csr_spmm},
        {"csr spmm: same bits at 1 and 2 threads", test_csr_spmm_thread_independent},
        {NULL, NULL},
    };
    return lc_test_main("tensor", cases);
}
