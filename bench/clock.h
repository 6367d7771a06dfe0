/* clock.h — the benchmarks' wall clock and peak memory, one definition for every driver. */
#ifndef LC_BENCH_CLOCK_H
#define LC_BENCH_CLOCK_H

#include <math.h>
#include <sys/resource.h>
#include <time.h>

/* Milliseconds on the monotonic clock. */
static inline double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return 1e3 * (double)ts.tv_sec + 1e-6 * (double)ts.tv_nsec;
}

/* Peak resident set size of the process so far, in MiB (ru_maxrss is in KiB on Linux). */
static inline double peak_rss_mib(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0) return NAN;
    return (double)ru.ru_maxrss / 1024.0;
}

#endif
