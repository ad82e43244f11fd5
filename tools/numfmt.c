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
 * printf's "%g" writes a value below 1e-4 with an exponent: "0.0000123" becomes "1.23e-05", and
 * "0.00001" becomes "1e-05". @p buf holds "[-]0." and then at least four zeros and the digits.
 */
static size_t to_exponent_form(char *buf, size_t n)
{
    char *p = buf + (buf[0] == '-');
    size_t zeros = 0;
    while (p[2 + zeros] == '0')
        zeros++;
    const char *digits = p + 2 + zeros;
    size_t nd = n - (size_t)(digits - buf);
    char tmp[64];
    size_t k = 0;
    tmp[k++] = digits[0];
    if (nd > 1) {
        tmp[k++] = '.';
        memcpy(tmp + k, digits + 1, nd - 1);
        k += nd - 1;
    }
    k += (size_t)snprintf(tmp + k, sizeof(tmp) - k, "e-%02zu", zeros + 1);
    memcpy(p, tmp, k + 1);
    return (size_t)(p - buf) + k;
}

/*
 * The shortest digits of a non-integer v with 2^-48 <= |v| < 2^53, by exact integer arithmetic:
 * v = m / 2^k with k in [1, 100]. The integer part is exact; fraction digits are generated until
 * the digits so far, or the same rounded up in the last place, lie strictly closer to v than half
 * the gap to v's neighbouring doubles (the free-format method of Steele and White, 1990), so
 * the text reads back to v; digits that read back only when rounded against printf's rounding
 * are passed over, so the result is always printf's correctly rounded digits. The text is printf's
 * "%g" of those digits: fixed point, or with an exponent below 1e-4. Returns the length, or 0 when
 * v is outside this range or a carry would reach the integer part (the caller then uses printf).
 * With k <= 100 no number below overflows: r < s <= 2^102 before each multiplication by 10, and at
 * most 34 digits are made (14 leading zeros and 17 significant digits at most), so mm, mp <= 2 *
 * 10^34 < 2^115.
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
    if (k < 1 || k > 100)
        return 0;
    uint64_t m = frac | (1ull << 52);
    uint64_t ip = k < 64 ? m >> k : 0;
    /* Remaining fraction r / s; the half-gaps to the neighbouring doubles are mm / s below and
     * mp / s above. A power of two has its lower neighbour twice as close as its upper. */
    u128 r = (k < 64 ? (u128)(m & ((1ull << k) - 1)) : (u128)m) << 1;
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
        if (n == 34)
            return 0; /* cannot happen for doubles in range; refuse rather than loop */
        r *= 10;
        mm *= 10;
        mp *= 10;
        int d = (int)(r / s);
        r %= s;
        bool low = r < mm;      /* the digits so far are close enough */
        bool high = r + mp > s; /* the digits so far, last one + 1, are close enough */
        /* Only rounding up reads back (a power of two, whose gap above is twice the gap below),
         * but printf rounds these digits down: not printf's digits at this length, so go on, as
         * its "%.*g" does with one more digit. */
        bool printf_down = 2 * r < s || (2 * r == s && !(d & 1));
        if ((!low && !high) || (!low && printf_down)) {
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
    size_t n = (size_t)(p - buf);
    if (ip == 0 && strncmp(first, "0000", 4) == 0)
        return to_exponent_form(buf, n);
    return n;
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
