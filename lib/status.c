/* status.c — error messages, allocation hooks, thread count and version. */
#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "config.h"
#include "internal.h"

#define LC_ERR_LEN 1024
static _Thread_local char last_error[LC_ERR_LEN];

lc_status lc_i_error(lc_status status, const char *func, const char *fmt, ...)
{
    /* Formatted aside first: an argument may point into last_error (a message
     * that re-raises the previous one), and vsnprintf must not overlap it. */
    char message[LC_ERR_LEN];
    int off = snprintf(message, sizeof message, "%s: ", func);
    if (off < 0 || off >= LC_ERR_LEN) off = 0;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message + off, sizeof message - (size_t)off, fmt, ap);
    va_end(ap);
    memcpy(last_error, message, sizeof last_error);
    return status;
}

const char *lc_last_error(void) { return last_error; }

lc_status lc_i_error_from(lc_status status, const char *func)
{
    if (status == LC_OK) return status;
    const char *sep = strstr(last_error, ": ");
    char message[LC_ERR_LEN];
    snprintf(message, sizeof message, "%s", sep ? sep + 2 : last_error);
    return lc_i_error(status, func, "%s", message);
}

const char *lc_status_name(lc_status s)
{
    switch (s) {
    case LC_OK: return "LC_OK";
    case LC_ERR_INVALID_ARG: return "LC_ERR_INVALID_ARG";
    case LC_ERR_OUT_OF_MEMORY: return "LC_ERR_OUT_OF_MEMORY";
    case LC_ERR_IO: return "LC_ERR_IO";
    case LC_ERR_PARSE: return "LC_ERR_PARSE";
    case LC_ERR_SHAPE: return "LC_ERR_SHAPE";
    case LC_ERR_STATE: return "LC_ERR_STATE";
    case LC_ERR_CORRUPT: return "LC_ERR_CORRUPT";
    case LC_ERR_MISMATCH: return "LC_ERR_MISMATCH";
    case LC_ERR_UNSUPPORTED: return "LC_ERR_UNSUPPORTED";
    case LC_ERR_BACKEND: return "LC_ERR_BACKEND";
    case LC_ERR_NUMERIC: return "LC_ERR_NUMERIC";
    }
    return "LC_ERR_UNKNOWN";
}

const char *lc_version(void) { return PACKAGE_VERSION; }

/* ---------- allocation ---------- */

/* Plain pointers, not atomics: the hook is documented as set before threads start. */
static void *(*alloc_malloc)(size_t) = malloc;
static void *(*alloc_calloc)(size_t, size_t) = calloc;
static void *(*alloc_realloc)(void *, size_t) = realloc;
static void (*alloc_free)(void *) = free;

lc_status lc_set_allocator(void *(*malloc_fn)(size_t), void *(*calloc_fn)(size_t, size_t),
                           void *(*realloc_fn)(void *, size_t), void (*free_fn)(void *))
{
    int given = !!malloc_fn + !!calloc_fn + !!realloc_fn + !!free_fn;
    /* A partial set would hand one allocator's blocks to another's free. */
    LC_CHECK_ARG(given == 0 || given == 4,
                 "%d of the 4 functions are NULL: give all four, or none to restore the C "
                 "library's",
                 4 - given);
    alloc_malloc = malloc_fn ? malloc_fn : malloc;
    alloc_calloc = calloc_fn ? calloc_fn : calloc;
    alloc_realloc = realloc_fn ? realloc_fn : realloc;
    alloc_free = free_fn ? free_fn : free;
    return LC_OK;
}

void *lc_i_malloc(size_t size) { return alloc_malloc(size ? size : 1); }
void *lc_i_calloc(size_t count, size_t size)
{
    return alloc_calloc(count ? count : 1, size ? size : 1);
}
void *lc_i_realloc(void *ptr, size_t size) { return alloc_realloc(ptr, size ? size : 1); }
void lc_i_free(void *ptr)
{
    if (ptr) alloc_free(ptr);
}

char *lc_i_strdup(const char *s)
{
    size_t len = strlen(s) + 1;
    char *copy = lc_i_malloc(len);
    if (copy) memcpy(copy, s, len);
    return copy;
}

/* ---------- threads ---------- */

/* One thread by default: bit-reproducible results without asking. */
static int thread_count = 1;

extern void openblas_set_num_threads(int num_threads);

lc_status lc_set_threads(int n)
{
    LC_CHECK_ARG(n >= 0, "thread count %d is negative", n);
#ifdef _OPENMP
    if (n == 0) n = omp_get_num_procs();
#else
    if (n == 0) n = 1;
#endif
    thread_count = n;
    openblas_set_num_threads(n);
    return LC_OK;
}

int lc_get_threads(void) { return thread_count; }
int lc_i_threads(void) { return thread_count; }

/* OpenBLAS starts with all cores; match our default of one thread at load. */
__attribute__((constructor)) static void lc_i_threads_init(void) { openblas_set_num_threads(1); }
