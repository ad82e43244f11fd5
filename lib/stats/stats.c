/* SPDX-License-Identifier: BSD-3-Clause */
/* Turns the exact integer sums of a running-statistics accumulator into mean and variance. */
#include "stats/stats.h"

double fdxi_stat_mean(const struct fdxi_stat *s)
{
    if (s->n == 0)
        return 0.0;
    return (double)s->sum / (double)s->n;
}

double fdxi_stat_variance(const struct fdxi_stat *s)
{
    if (s->n == 0)
        return 0.0;
    /* n^2 * var = n * sum(x^2) - sum(x)^2, a non-negative integer computed exactly; only the
     * final division rounds. */
    fdxi_u128 n = s->n;
    fdxi_u128 num = n * s->sumsq - (fdxi_u128)s->sum * s->sum;
    double nn = (double)s->n;
    return (double)num / (nn * nn);
}

double fdxi_stat_min(const struct fdxi_stat *s)
{
    return s->n == 0 ? 0.0 : (double)s->min;
}

double fdxi_stat_max(const struct fdxi_stat *s)
{
    return s->n == 0 ? 0.0 : (double)s->max;
}
