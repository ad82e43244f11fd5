/* SPDX-License-Identifier: BSD-3-Clause */
/* Seeded pseudo-random numbers (xoshiro256**) for reproducible training. */
#include <math.h>

#include "model/model.h"

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

void fdxi_rng_seed(struct fdxi_rng *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&seed);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t fdxi_rng_next(struct fdxi_rng *r)
{
    uint64_t *s = r->s;
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

uint64_t fdxi_rng_below(struct fdxi_rng *r, uint64_t n)
{
    /* Rejection of the incomplete last block keeps every value equally likely. */
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t v;
    do {
        v = fdxi_rng_next(r);
    } while (v >= limit);
    return v % n;
}

double fdxi_rng_unit(struct fdxi_rng *r)
{
    return (double)(fdxi_rng_next(r) >> 11) * 0x1.0p-53;
}

double fdxi_rng_normal(struct fdxi_rng *r)
{
    double u1 = fdxi_rng_unit(r), u2 = fdxi_rng_unit(r);
    if (u1 < 1e-300)
        u1 = 1e-300;
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

void fdxi_rng_shuffle(struct fdxi_rng *r, uint32_t *v, uint32_t n)
{
    for (uint32_t i = n; i > 1; i--) {
        uint32_t j = (uint32_t)fdxi_rng_below(r, i);
        uint32_t t = v[i - 1];
        v[i - 1] = v[j];
        v[j] = t;
    }
}
