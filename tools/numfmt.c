/* SPDX-License-Identifier: BSD-3-Clause */
/* Formats doubles as the shortest decimal text that reads back to the same double. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tool.h"

__extension__ typedef unsigned __int128 u128;

size_t format_u64(char *buf, uint64_t u)
{
    char tmp[24];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u != 0);
    for (size_t i = 0; i < n; i++)
        buf[i] = tmp[n - 1 - i];
    buf[n] = '\0';
    return n;
}

/*
 * The shortest digits of a non-integer v with 2^-10 <= |v| < 2^53, by exact integer arithmetic:
 * v = m / 2^k with k in [1, 62]. The integer part is exact; fraction digits are generated until
 * the digits so far, or the same rounded up in the last place, lie strictly closer to v than half
 * the gap to v's neighbouring doubles (the free-format method of Steele and White, 1990), so
 * the text reads back to v. Returns the length, or 0 when v is outside this range or a carry
 * would reach the integer part (the caller then uses printf).
 */
static size_t format_fraction(char *buf, double v)
{
    uint64_t bits;
    memcpy(&bits, &v, sizeof(bits));
    int biased = (int)((bits >> 52) & 0x7FF);
    uint64_t frac = bits & ((1ull << 52) - 1);
    if (biased == 0 || biased == 0x7FF)
        return 0;          /* subnormal, infinite or NaN */
    int k = 1075 - biased; /* v = m / 2^k */
    if (k < 1 || k > 62)
        return 0;
    uint64_t m = frac | (1ull << 52);
    uint64_t ip = m >> k;
    /* Remaining fraction r / s; the half-gaps to the neighbouring doubles are mm / s below and
     * mp / s above. A power of two has its lower neighbour twice as close as its upper. */
    u128 r = (u128)(m & ((1ull << k) - 1)) << 1;
    u128 s = (u128)1 << (k + 1);
    u128 mm = 1, mp = 1;
    if (frac == 0) {
        r <<= 1;
        s <<= 1;
        mp = 2;
    }
    char *p = buf;
    if (bits >> 63)
        *p++ = '-';
    p += format_u64(p, ip);
    *p++ = '.';
    char *first = p;
    for (int n = 0;; n++) {
        if (n == 30)
            return 0; /* cannot happen for doubles in range; refuse rather than loop */
        r *= 10;
        mm *= 10;
        mp *= 10;
        int d = (int)(r / s);
        r %= s;
        bool low = r < mm;      /* the digits so far are close enough */
        bool high = r + mp > s; /* the digits so far, last one + 1, are close enough */
        if (!low && !high) {
            *p++ = (char)('0' + d);
            continue;
        }
        /* Both close enough: the nearer; on an exact tie the even digit, as printf rounds. */
        if (high && (!low || 2 * r > s || (2 * r == s && (d & 1))))
            d++;
        /* A carry turns trailing nines into (dropped) zeros. */
        while (d == 10) {
            if (p == first)
                return 0;
            p--;
            d = *p - '0' + 1;
        }
        *p++ = (char)('0' + d);
        break;
    }
    *p = '\0';
    return (size_t)(p - buf);
}

size_t format_double(char *buf, size_t len, double v)
{
    int n;
    if (len < 48) {
        n = snprintf(buf, len, "%.17g", v);
    } else if (isnan(v)) {
        n = snprintf(buf, len, "NaN");
    } else if (isinf(v)) {
        n = snprintf(buf, len, v > 0 ? "inf" : "-inf");
    } else if (v == floor(v) && fabs(v) < 1e15) {
        /* Whole numbers (counts, lengths, extrema): most values, and printf is slow for them. */
        size_t k = 0;
        if (signbit(v))
            buf[k++] = '-'; /* -0 stays -0, so the text reads back to the same double */
        return k + format_u64(buf + k, (uint64_t)fabs(v));
    } else {
        size_t k = format_fraction(buf, v);
        if (k > 0)
            return k;
        /* Outside the fast range (rare: tiny or huge values): the fewest significant digits of
         * printf's correctly rounded output that read back. */
        for (int prec = 1; prec <= 17; prec++) {
            n = snprintf(buf, len, "%.*g", prec, v);
            if (strtod(buf, NULL) == v)
                break;
        }
    }
    return n < 0 ? 0 : (size_t)n < len ? (size_t)n : len - 1;
}
