/* SPDX-License-Identifier: BSD-3-Clause */
/* Statistics of a stored sample of doubles, computed in the same order of operations as numpy. */
#include <math.h>
#include <stdlib.h>

#include "stats/stats.h"

/* numpy's pairwise_sum (umath loops): unrolled by 8 up to its block size, halves above. */
#define PW_BLOCKSIZE 128

double fdxi_sample_sum(const double *v, size_t n)
{
    if (n < 8) {
        /* numpy starts from -0.0 so that a sum of -0.0 values stays -0.0. */
        double res = -0.0;
        for (size_t i = 0; i < n; i++)
            res += v[i];
        return res;
    }
    if (n <= PW_BLOCKSIZE) {
        double r[8];
        for (int j = 0; j < 8; j++)
            r[j] = v[j];
        size_t i;
        for (i = 8; i < n - (n % 8); i += 8) {
            for (int j = 0; j < 8; j++)
                r[j] += v[i + (size_t)j];
        }
        double res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for (; i < n; i++)
            res += v[i];
        return res;
    }
    size_t n2 = n / 2;
    n2 -= n2 % 8;
    return fdxi_sample_sum(v, n2) + fdxi_sample_sum(v + n2, n - n2);
}

double fdxi_sample_mean(const double *v, size_t n)
{
    return n == 0 ? 0.0 : fdxi_sample_sum(v, n) / (double)n;
}

double fdxi_sample_variance(const double *v, size_t n, double mean, double *scratch)
{
    if (n == 0)
        return 0.0;
    for (size_t i = 0; i < n; i++) {
        double d = v[i] - mean;
        scratch[i] = d * d;
    }
    return fdxi_sample_sum(scratch, n) / (double)n;
}

double fdxi_sample_median_sorted(const double *sorted, size_t n)
{
    if (n == 0)
        return NAN;
    if (n % 2 == 1)
        return sorted[n / 2];
    /* numpy.median: the mean of the two middle values, (a + b) / 2. */
    return (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0;
}

double fdxi_sample_quantile_sorted(const double *sorted, size_t n, double q)
{
    if (n == 0)
        return 0.0;
    /* numpy's virtual index for alpha = beta = 1: n q + (1 + q (1 - 1 - 1)) - 1. */
    double h = (double)n * q + (1.0 + q * -1.0) - 1.0;
    if (h <= 0.0)
        return sorted[0];
    if (h >= (double)(n - 1))
        return sorted[n - 1];
    size_t lo = (size_t)floor(h);
    double t = h - (double)lo, a = sorted[lo], b = sorted[lo + 1];
    /* numpy's _lerp: from the nearer end, so that t = 1 gives b exactly. */
    double d = b - a;
    return t >= 0.5 ? b - d * (1.0 - t) : a + d * t;
}

double fdxi_sample_mode_sorted(const double *sorted, size_t n)
{
    if (n == 0)
        return NAN;
    double best = sorted[0];
    size_t best_run = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && sorted[j] == sorted[i])
            j++;
        if (j - i > best_run) { /* strictly more: the smallest value wins ties */
            best_run = j - i;
            best = sorted[i];
        }
        i = j;
    }
    return best;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    if (isnan(x) || isnan(y))
        return isnan(x) - isnan(y);
    return (x > y) - (x < y);
}

void fdxi_sample_sort(double *v, size_t n)
{
    qsort(v, n, sizeof(*v), cmp_double);
}
