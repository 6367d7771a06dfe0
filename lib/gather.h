/* gather.h — tuning shared by the kernels that gather rows by column index (CSR SpMM, L-conv edge ops). */
#ifndef LC_GATHER_H
#define LC_GATHER_H

#include <stdint.h>

/* How many nonzeros ahead a gather kernel prefetches. The rows it reads are
 * picked by column indices, which the hardware prefetcher cannot predict: on
 * the arxiv-like graph each row is a cache miss to memory, and asking for the
 * row a few nonzeros early overlaps those misses (bench/NOTES.md: f = 256
 * SpMM 3.6x faster). The distance matters little between 4 and 16. */
enum { LC_I_PREFETCH_AHEAD = 8 };

/* Multiply-adds below which a gather kernel runs on one thread: waking a
 * second one costs tens of microseconds on a quiet machine and up to a
 * scheduler time slice on a busy one, more than ~2^20 multiply-adds (a few
 * hundred microseconds) take (bench/NOTES.md: Cora at 2 threads). */
#define LC_I_PARALLEL_MIN_WORK ((int64_t)1 << 20)

/* Ask for the f floats at row (every 64-byte line of it), for reading. */
static inline void lc_i_prefetch_row(const float *row, int64_t f)
{
    for (int64_t j = 0; j < f; j += 16) __builtin_prefetch(row + j, 0, 3);
}

#endif
