/* prefetch.h — software prefetch of the dense rows a sparse kernel gathers next (SpMM, edge ops). */
#ifndef LC_PREFETCH_H
#define LC_PREFETCH_H

#include <stdint.h>

/* How many nonzeros ahead a gather kernel prefetches. The rows it reads are
 * picked by column indices, which the hardware prefetcher cannot predict: on
 * the arxiv-like graph each row is a cache miss to memory, and asking for the
 * row a few nonzeros early overlaps those misses (bench/NOTES.md: f = 256
 * SpMM about 2-3x faster). The exact distance matters little between 4 and 16. */
enum { LC_I_PREFETCH_AHEAD = 8 };

/* Ask for the f floats at row (every 64-byte line of it), for reading. */
static inline void lc_i_prefetch_row(const float *row, int64_t f)
{
    for (int64_t j = 0; j < f; j += 16) __builtin_prefetch(row + j, 0, 3);
}

#endif
