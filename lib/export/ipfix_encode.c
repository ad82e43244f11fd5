/* SPDX-License-Identifier: BSD-3-Clause */
/* Encodes flowdx values in IPFIX data types: end reasons, timestamps and plugin integers. */
#include "export/ipfix.h"

#include <math.h>

/* RFC 5102 section 5.11.3 (flowEndReason): 1 idle timeout, 2 active timeout, 3 end of flow
 * detected, 4 forced end, 5 lack of resources. */
static const uint8_t end_reasons[FDX_END_COUNT] = {
    [FDX_END_IDLE] = 0x01,
    [FDX_END_ACTIVE] = 0x02,
    [FDX_END_FIN] = 0x03,
    [FDX_END_RST] = 0x03,
    [FDX_END_EVICTED] = 0x05,
    [FDX_END_EOF] = 0x04,
    /* A feature set's own cut (DoHLyzer's collections): the connection goes on in a new record,
     * as after an active timeout. */
    [FDX_END_CUT] = 0x02,
    /* The capture's clock went back: every open flow is ended, as at a shutdown. */
    [FDX_END_CLOCK] = 0x04,
};

uint8_t fdxi_ipfix_end_reason(uint32_t fdx_reason)
{
    return fdx_reason < FDX_END_COUNT ? end_reasons[fdx_reason] : 0x04;
}

/* The first match wins: each code's plain reason must come before the ones that share it. */
_Static_assert(FDX_END_FIN < FDX_END_RST && FDX_END_ACTIVE < FDX_END_CUT &&
                   FDX_END_EOF < FDX_END_CLOCK,
               "fdxi_ipfix_fdx_end_reason() relies on the order of FDX_END_*");

uint32_t fdxi_ipfix_fdx_end_reason(uint64_t iana)
{
    for (uint32_t r = 0; r < FDX_END_COUNT; r++) {
        if (end_reasons[r] == iana)
            return r;
    }
    return FDX_END_IDLE;
}

/* Seconds from the NTP epoch (1900-01-01) to the Unix epoch. */
#define NTP_UNIX_OFFSET 2208988800u

uint64_t fdxi_ipfix_time_us(uint64_t unix_us)
{
    uint64_t sec = (unix_us / 1000000u + NTP_UNIX_OFFSET) & 0xffffffffu;
    uint64_t us = unix_us % 1000000u;
    /* The fraction in units of 2^-21 s, rounded up: at most 999999 * 2^21 / 10^6 < 2^21. */
    uint64_t frac21 = (us * (UINT64_C(1) << 21) + 999999u) / 1000000u;
    return sec << 32 | frac21 << 11;
}

uint64_t fdxi_ipfix_unix_us(uint64_t ntp)
{
    uint64_t sec = ntp >> 32, frac = ntp & 0xffffffffu;
    if (sec < NTP_UNIX_OFFSET)
        sec += UINT64_C(1) << 32;
    return (sec - NTP_UNIX_OFFSET) * 1000000u + ((frac * 1000000u) >> 32);
}

uint64_t fdxi_ipfix_unsigned(double v, uint32_t bytes)
{
    uint64_t max = bytes >= 8 ? UINT64_MAX : (UINT64_C(1) << (8 * bytes)) - 1;
    if (!(v > 0)) /* NaN too */
        return 0;
    double r = round(v);
    /* (double)UINT64_MAX is 2^64: every double below it converts exactly. */
    if (r >= (double)max)
        return max;
    return (uint64_t)r;
}
