/* SPDX-License-Identifier: BSD-3-Clause */
/* Property tests of the number formatter, with the C library's printf and strtod as oracle. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka.h needs the four headers above first. */

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tool.h"

/* Significant digits of a decimal text (sign, point, exponent and leading zeros removed). */
static void digits_of(const char *s, char *out, size_t len)
{
    size_t n = 0;
    bool leading = true;
    for (; *s != '\0' && *s != 'e' && *s != 'E'; s++) {
        if (*s < '0' || *s > '9')
            continue;
        if (leading && *s == '0')
            continue;
        leading = false;
        if (n + 1 < len)
            out[n++] = *s;
    }
    while (n > 0 && out[n - 1] == '0') /* trailing zeros carry no information */
        n--;
    out[n] = '\0';
}

/*
 * The oracle: the fewest significant digits N for which printf's correctly rounded "%.{N-1}e"
 * reads back to v, and those digits. The formatter must give the same digits: the shortest
 * text, and among texts that short, the closest to v.
 */
static void check(double v)
{
    char got[64];
    size_t n = format_double(got, sizeof(got), v);
    assert_int_equal(n, strlen(got));
    if (strtod(got, NULL) != v || signbit(strtod(got, NULL)) != signbit(v))
        fail_msg("%.17g formatted as '%s', which reads back as %.17g", v, got, strtod(got, NULL));
    char want[64], a[32], b[32];
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(want, sizeof(want), "%.*e", prec - 1, v);
        if (strtod(want, NULL) == v)
            break;
    }
    digits_of(got, a, sizeof(a));
    digits_of(want, b, sizeof(b));
    if (strcmp(a, b) != 0)
        fail_msg("%.17g: formatter gave '%s' (digits %s), shortest correctly rounded is '%s'", v,
                 got, a, b);
    /* Not a whole number: the text is printf's "%g" with that many digits, fixed point or with
     * an exponent as printf chooses (whole numbers below 1e15 are written out in full). */
    if (isfinite(v) && v != floor(v)) {
        char text[64];
        snprintf(text, sizeof(text), "%.*g", (int)strlen(b), v);
        if (strcmp(got, text) != 0)
            fail_msg("%.17g: formatter gave '%s', printf's %%.%zug gives '%s'", v, got, strlen(b),
                     text);
    }
}

static void test_numfmt_known_values(void **state)
{
    (void)state;
    const double values[] = {
        714.3478260869565, /* emotet spl = 16430 / 23 */
        0.1,
        0.2,
        0.3,
        1.0 / 3,
        2.0 / 3,
        0.5,
        0.25,
        1.5,
        123.456,
        1e-3,
        9.765625e-4,
        0.0009765625, /* 2^-10 */
        1e-4,
        9.999999999999999e-5,
        0.00010000000000000002, /* printf's exponent form below 1e-4 */
        1e-5,
        1.5e-7,
        2.5e-6,
        -3.14159e-9,
        1e-14,
        3.552713678800501e-15, /* 2^-48: fast range */
        3.5527136788005e-15,
        1e-15,
        1.7763568394002505e-15, /* 2^-49: printf */
        4503599627370495.5,     /* 2^52 - 0.5: the largest non-integer with k = 1 */
        1e15 + 0.5,
        1e-300,
        5e-324,
        1e300,
        1.7976931348623157e308,
        -0.0,
        0.0,
        -714.25,
        93.80000000000001,
        0.30000000000000004,
        100.0 / 7,
    };
    for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++)
        check(values[i]);
    char buf[64];
    format_double(buf, sizeof(buf), 714.3478260869565);
    assert_string_equal(buf, "714.3478260869565");
    format_double(buf, sizeof(buf), 0.1);
    assert_string_equal(buf, "0.1");
    format_double(buf, sizeof(buf), -0.0);
    assert_string_equal(buf, "-0");
    format_double(buf, sizeof(buf), NAN);
    assert_string_equal(buf, "NaN");
    format_double(buf, sizeof(buf), 40.0);
    assert_string_equal(buf, "40");
    format_double(buf, sizeof(buf), 1.5e-7);
    assert_string_equal(buf, "1.5e-07");
    format_double(buf, sizeof(buf), 1e-5);
    assert_string_equal(buf, "1e-05");
    format_double(buf, sizeof(buf), -0.00012);
    assert_string_equal(buf, "-0.00012");
}

/* Powers of two have a closer lower neighbour: every one in and around the fast range. */
static void test_numfmt_powers_of_two(void **state)
{
    (void)state;
    for (int e = -60; e <= 60; e++) {
        check(ldexp(1.0, e));
        check(nextafter(ldexp(1.0, e), 0));
        check(nextafter(ldexp(1.0, e), INFINITY));
    }
}

/* Random doubles: the ratios features produce, and random bit patterns over the fast range. */
static void test_numfmt_random_values(void **state)
{
    (void)state;
    uint64_t x = 0x9E3779B97F4A7C15ull;
    for (int i = 0; i < 300000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        uint64_t num = x % 100000000, den = 1 + (x >> 40) % 10000;
        check((double)num / (double)den);
        check((double)num / (double)den * 1e-9); /* times in seconds, from nanoseconds up */
        /* Exponents from 2^-56 to 2^56, any mantissa, either sign. */
        uint64_t bits = (x & 0x800FFFFFFFFFFFFFull) | ((uint64_t)(967 + (x >> 52) % 113) << 52);
        double v;
        memcpy(&v, &bits, sizeof(v));
        check(v);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_numfmt_known_values),
        cmocka_unit_test(test_numfmt_powers_of_two),
        cmocka_unit_test(test_numfmt_random_values),
    };
    return cmocka_run_group_tests_name("numfmt", tests, NULL, NULL);
}
