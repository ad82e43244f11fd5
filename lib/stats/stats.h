/* SPDX-License-Identifier: BSD-3-Clause */
/* Internal interface of the one running-statistics accumulator that every feature uses. */
#ifndef FDX_LIB_STATS_H
#define FDX_LIB_STATS_H

#include <stddef.h>
#include <stdint.h>

__extension__ typedef unsigned __int128 fdxi_u128;

/*
 * Count, sum, sum of squares, minimum and maximum of non-negative integer samples. Sums are
 * exact integers, so the mean and the population variance are exact up to the final rounding
 * to double. Exact while n * sum(x^2) < 2^128, i.e. n^2 * max(x)^2 < 2^128: for IP lengths
 * (below 2^17) any n below 2^47; for microsecond times below 2^40 us (12.7 days), n below 2^24.
 */
struct fdxi_stat {
    uint64_t n;      /**< samples */
    uint64_t sum;    /**< sum of x */
    fdxi_u128 sumsq; /**< sum of x^2 */
    uint64_t min;    /**< smallest x; meaningful when n > 0 */
    uint64_t max;    /**< largest x */
};

/* Add one sample. Inline: it runs for every packet and every feature. */
static inline void fdxi_stat_add(struct fdxi_stat *s, uint64_t x)
{
    if (s->n == 0 || x < s->min)
        s->min = x;
    if (x > s->max)
        s->max = x;
    s->n++;
    s->sum += x;
    s->sumsq += (fdxi_u128)x * x;
}

/* Add every sample of @p s to @p into, as if they had been added one by one. */
static inline void fdxi_stat_merge(struct fdxi_stat *into, const struct fdxi_stat *s)
{
    if (s->n == 0)
        return;
    if (into->n == 0 || s->min < into->min)
        into->min = s->min;
    if (s->max > into->max)
        into->max = s->max;
    into->n += s->n;
    into->sum += s->sum;
    into->sumsq += s->sumsq;
}

/* Mean, or 0 when there are no samples. */
double fdxi_stat_mean(const struct fdxi_stat *s);

/* Population variance (divide by n), or 0 when there are no samples. */
double fdxi_stat_variance(const struct fdxi_stat *s);

/* Smallest sample, or 0 when there are none. */
double fdxi_stat_min(const struct fdxi_stat *s);

/* Largest sample, or 0 when there are none. */
double fdxi_stat_max(const struct fdxi_stat *s);

/* ---- statistics of a stored sample of doubles ---- */

/*
 * Sum of v[0..n) by pairwise summation in numpy's order (blocks of 8 partial sums below 128
 * values, halves above), so that means and variances agree with numpy's to the last bit in
 * the usual cases; any order would do for accuracy, this one is for conformance.
 */
double fdxi_sample_sum(const double *v, size_t n);

/* Mean and population variance (numpy.mean, numpy.var: two passes); 0 for n = 0. */
double fdxi_sample_mean(const double *v, size_t n);
double fdxi_sample_variance(const double *v, size_t n, double mean, double *scratch);

/* Median of sorted values (mean of the two middle ones for even n); NaN for n = 0. */
double fdxi_sample_median_sorted(const double *sorted, size_t n);

/*
 * Quantile @p q (0 <= q <= 1) of sorted values by linear interpolation between order statistics
 * (Hyndman and Fan's type 7, numpy.quantile's default "linear" method, in numpy's order of
 * operations): h = (n - 1) q, x[floor h] + (h - floor h) (x[floor h + 1] - x[floor h]). 0 for
 * n = 0.
 */
double fdxi_sample_quantile_sorted(const double *sorted, size_t n, double q);

/* Most frequent of sorted values, the smallest on ties (scipy.stats.mode); NaN for n = 0. */
double fdxi_sample_mode_sorted(const double *sorted, size_t n);

/* Sort v[0..n) ascending (NaN last). */
void fdxi_sample_sort(double *v, size_t n);

#endif /* FDX_LIB_STATS_H */
