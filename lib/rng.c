/* rng.c — xoshiro256** seeded by splitmix64, and the Glorot/Kaiming initialisers. */
#include <math.h>

#include "internal.h"

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

void lc_rng_seed(lc_rng_t *rng, uint64_t seed)
{
    for (int i = 0; i < 4; i++) rng->s[i] = splitmix64(&seed);
}

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t lc_rng_next(lc_rng_t *rng)
{
    uint64_t *s = rng->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

/* 24 random bits: every value exactly representable in float. */
float lc_rng_uniform(lc_rng_t *rng) { return (float)(lc_rng_next(rng) >> 40) * 0x1.0p-24f; }

float lc_rng_normal(lc_rng_t *rng)
{
    /* Box–Muller in double for accuracy; u1 in (0, 1] avoids log(0). */
    double u1 = ((double)(lc_rng_next(rng) >> 11) + 1.0) * 0x1.0p-53;
    double u2 = (double)(lc_rng_next(rng) >> 11) * 0x1.0p-53;
    return (float)(sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2));
}

lc_status lc_init_glorot(lc_tensor_t *t, lc_rng_t *rng)
{
    LC_CHECK_ARG(t && rng, "NULL argument");
    LC_CHECK_ARG(t->ndim == 2, "Glorot needs a 2-D tensor [fan_in, fan_out], got %d-D", t->ndim);
    float a = sqrtf(6.0f / (float)(t->shape[0] + t->shape[1]));
    for (int64_t i = 0; i < t->numel; i++) t->data[i] = (2.0f * lc_rng_uniform(rng) - 1.0f) * a;
    return LC_OK;
}

lc_status lc_init_kaiming(lc_tensor_t *t, lc_rng_t *rng)
{
    LC_CHECK_ARG(t && rng, "NULL argument");
    LC_CHECK_ARG(t->ndim == 2, "Kaiming needs a 2-D tensor [fan_in, fan_out], got %d-D", t->ndim);
    float sd = sqrtf(2.0f / (float)t->shape[0]);
    for (int64_t i = 0; i < t->numel; i++) t->data[i] = lc_rng_normal(rng) * sd;
    return LC_OK;
}

int64_t lc_i_rng_below(lc_rng_t *rng, int64_t bound)
{
    return (int64_t)(((unsigned __int128)lc_rng_next(rng) * (uint64_t)bound) >> 64);
}

void lc_i_shuffle(lc_rng_t *rng, int64_t *a, int64_t n)
{
    for (int64_t i = n - 1; i > 0; i--) {
        const int64_t j = lc_i_rng_below(rng, i + 1);
        const int64_t t = a[i];
        a[i] = a[j], a[j] = t;
    }
}
