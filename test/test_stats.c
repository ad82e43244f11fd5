/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of the running-statistics accumulator against hand-computed values. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "stats/stats.h"

static struct fdxi_stat of(const uint64_t *x, size_t n)
{
    struct fdxi_stat s = {0};
    for (size_t i = 0; i < n; i++)
        fdxi_stat_add(&s, x[i]);
    return s;
}

/* {2,4,4,4,5,5,7,9}: sum 40, mean 5; squared deviations 9+1+1+1+0+0+4+16 = 32, 32/8 = 4. */
static void test_stats_mean_and_population_variance(void **state)
{
    (void)state;
    const uint64_t x[] = {2, 4, 4, 4, 5, 5, 7, 9};
    struct fdxi_stat s = of(x, 8);
    assert_int_equal(s.n, 8);
    assert_true(fdxi_stat_mean(&s) == 5.0);
    assert_true(fdxi_stat_variance(&s) == 4.0);
    assert_true(fdxi_stat_min(&s) == 2.0);
    assert_true(fdxi_stat_max(&s) == 9.0);
}

static void test_stats_empty_is_all_zero(void **state)
{
    (void)state;
    struct fdxi_stat s = {0};
    assert_true(fdxi_stat_mean(&s) == 0.0);
    assert_true(fdxi_stat_variance(&s) == 0.0);
    assert_true(fdxi_stat_min(&s) == 0.0);
    assert_true(fdxi_stat_max(&s) == 0.0);
}

/* One sample of 0: min is 0 (not "unset") and the variance is 0. */
static void test_stats_single_zero_sample(void **state)
{
    (void)state;
    const uint64_t x[] = {0};
    struct fdxi_stat s = of(x, 1);
    assert_int_equal(s.n, 1);
    assert_true(fdxi_stat_min(&s) == 0.0);
    assert_true(fdxi_stat_variance(&s) == 0.0);
}

/* {65535, 65535, 65535, 0}: mean 196605/4 = 49151.25; E[x^2] = 3 * 4294836225 / 4 =
 * 3221127168.75; variance = 3221127168.75 - 49151.25^2 (2415845376.5625) = 805281792.1875,
 * exactly representable in a double. */
static void test_stats_sixteen_bit_extremes_exact(void **state)
{
    (void)state;
    const uint64_t x[] = {65535, 65535, 65535, 0};
    struct fdxi_stat s = of(x, 4);
    assert_true(fdxi_stat_mean(&s) == 49151.25);
    assert_true(fdxi_stat_variance(&s) == 805281792.1875);
}

/* 1e12 + {1, 2, 3}: variance 2/3. A double sum of squares (3e24, far beyond 2^53) would lose
 * it to cancellation; the exact integer sums must not. */
static void test_stats_no_cancellation_on_large_offsets(void **state)
{
    (void)state;
    const uint64_t base = 1000000000000ull;
    const uint64_t x[] = {base + 1, base + 2, base + 3};
    struct fdxi_stat s = of(x, 3);
    assert_true(fdxi_stat_variance(&s) == 2.0 / 3.0);
    assert_true(fdxi_stat_mean(&s) == 1000000000002.0);
}

/*
 * Type-7 quantiles, h = (n - 1) q: for 7 15 36 39 40 41, q1: h = 1.25, 15 + 0.25 * 21 = 20.25;
 * median: h = 2.5, 36 + 0.5 * 3 = 37.5; q3: h = 3.75, 39 + 0.75 * 1 = 39.75 (numpy.quantile
 * agrees). numpy's rounding, which interpolates from the upper end when h - floor h >= 0.5: for
 * 0.1 0.2 0.7, q1: h = 0.5, 0.2 - (0.2 - 0.1) * 0.5 = 0.15000000000000002; q3: h = 1.5,
 * 0.7 - (0.7 - 0.2) * 0.5 = 0.44999999999999996 (numpy.quantile gives both).
 */
static void test_stats_quantile_type7(void **state)
{
    (void)state;
    const double x[] = {7, 15, 36, 39, 40, 41};
    assert_true(fdxi_sample_quantile_sorted(x, 6, 0.0) == 7);
    assert_true(fdxi_sample_quantile_sorted(x, 6, 0.25) == 20.25);
    assert_true(fdxi_sample_quantile_sorted(x, 6, 0.5) == 37.5);
    assert_true(fdxi_sample_quantile_sorted(x, 6, 0.75) == 39.75);
    assert_true(fdxi_sample_quantile_sorted(x, 6, 1.0) == 41);
    const double y[] = {0.1, 0.2, 0.7};
    assert_true(fdxi_sample_quantile_sorted(y, 3, 0.25) == 0.15000000000000002);
    assert_true(fdxi_sample_quantile_sorted(y, 3, 0.75) == 0.44999999999999996);
    assert_true(fdxi_sample_quantile_sorted(y, 3, 0.5) == 0.2);
    const double one[] = {5};
    assert_true(fdxi_sample_quantile_sorted(one, 1, 0.25) == 5);
    assert_true(fdxi_sample_quantile_sorted(one, 0, 0.25) == 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stats_mean_and_population_variance),
        cmocka_unit_test(test_stats_empty_is_all_zero),
        cmocka_unit_test(test_stats_single_zero_sample),
        cmocka_unit_test(test_stats_sixteen_bit_extremes_exact),
        cmocka_unit_test(test_stats_no_cancellation_on_large_offsets),
        cmocka_unit_test(test_stats_quantile_type7),
    };
    return cmocka_run_group_tests_name("stats", tests, NULL, NULL);
}
