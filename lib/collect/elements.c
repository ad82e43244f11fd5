/* SPDX-License-Identifier: BSD-3-Clause */
/* The NetFlow v9 / IPFIX information elements the collector reads, and their time encodings. */
#include <stddef.h>

#include "collect/collect.h"
#include "export/ipfix.h"
#include "flowdx/flowdx_export.h"

/*
 * IANA's element ids (RFC 7012 and the IPFIX registry; NetFlow v9, RFC 3954 section 8, uses the
 * same numbers for the ones below 128), the encoded lengths flowdx accepts (reduced-size
 * encoding, RFC 7011 section 6.2, for the integers), and whether RFC 5103 gives the element a
 * reverse twin that flowdx reads. A field of another length is not read (FDXI_K_SKIP).
 */
static const struct element {
    uint16_t id;
    uint16_t kind;
    uint8_t min_len, max_len;
    uint8_t reversible;
} elements[] = {
    {1, FDXI_K_BYTES, 1, 8, 1},       {2, FDXI_K_PACKETS, 1, 8, 1},
    {4, FDXI_K_PROTO, 1, 1, 0},       {6, FDXI_K_FLAGS, 1, 2, 1},
    {7, FDXI_K_SPORT, 1, 2, 0},       {8, FDXI_K_SRC4, 4, 4, 0},
    {11, FDXI_K_DPORT, 1, 2, 0},      {12, FDXI_K_DST4, 4, 4, 0},
    {21, FDXI_K_END_UP, 4, 4, 1},     {22, FDXI_K_START_UP, 4, 4, 1},
    {25, FDXI_K_MIN_LEN, 1, 8, 1},    {26, FDXI_K_MAX_LEN, 1, 8, 1},
    {27, FDXI_K_SRC6, 16, 16, 0},     {28, FDXI_K_DST6, 16, 16, 0},
    {52, FDXI_K_MIN_TTL, 1, 1, 1},    {53, FDXI_K_MAX_TTL, 1, 1, 1},
    {85, FDXI_K_BYTES_TOT, 1, 8, 1},  {86, FDXI_K_PACKETS_TOT, 1, 8, 1},
    {136, FDXI_K_REASON, 1, 1, 0},    {150, FDXI_K_START_S, 4, 4, 1},
    {151, FDXI_K_END_S, 4, 4, 1},     {152, FDXI_K_START_MS, 8, 8, 1},
    {153, FDXI_K_END_MS, 8, 8, 1},    {154, FDXI_K_START_NTP, 8, 8, 1},
    {155, FDXI_K_END_NTP, 8, 8, 1},   {156, FDXI_K_START_NTP, 8, 8, 1},
    {157, FDXI_K_END_NTP, 8, 8, 1},   {158, FDXI_K_START_DELTA, 4, 4, 1},
    {159, FDXI_K_END_DELTA, 4, 4, 1}, {160, FDXI_K_SYSINIT, 8, 8, 0},
    {161, FDXI_K_DUR_MS, 1, 4, 1},    {162, FDXI_K_DUR_US, 1, 4, 1},
    {239, FDXI_K_BIDIR, 1, 1, 0},
};

/* flowdx's own export (doc/ipfix.md, "Feature elements"): the flowrec set's block is 13000, value
 * i is element 13000 + i, float64, and a response value is the RFC 5103 reverse of its request
 * twin's element (bit 0x4000 of the id, same enterprise number). Read: values 2-6 (packets,
 * bytes and the duration come with IANA's elements too). Only under flowdx's default enterprise
 * number: another one may mean anything. */
#define OWN_FLOWREC_BLOCK 13000u
#define OWN_REVERSE_BIT 0x4000u
static const uint16_t own_flowrec[] = {FDXI_K_F64_MIN_LEN, FDXI_K_F64_MAX_LEN, FDXI_K_F64_MIN_TTL,
                                       FDXI_K_F64_MAX_TTL, FDXI_K_F64_FLAGS};

uint16_t fdxi_element_kind(uint32_t pen, uint16_t id, uint16_t len, bool *ret_reverse)
{
    *ret_reverse = false;
    if (pen == FDX_IPFIX_PEN_DEFAULT) {
        uint16_t base = (uint16_t)(id & ~OWN_REVERSE_BIT);
        if (len != 8 || base < OWN_FLOWREC_BLOCK + 2 ||
            base >= OWN_FLOWREC_BLOCK + 2 + sizeof(own_flowrec) / sizeof(own_flowrec[0]))
            return FDXI_K_SKIP;
        *ret_reverse = (id & OWN_REVERSE_BIT) != 0;
        return own_flowrec[base - OWN_FLOWREC_BLOCK - 2];
    }
    if (pen != 0 && pen != FDXI_IPFIX_PEN_REVERSE)
        return FDXI_K_SKIP;
    for (size_t i = 0; i < sizeof(elements) / sizeof(elements[0]); i++) {
        const struct element *e = &elements[i];
        if (e->id != id)
            continue;
        if (len < e->min_len || len > e->max_len ||
            (pen == FDXI_IPFIX_PEN_REVERSE && !e->reversible))
            return FDXI_K_SKIP;
        *ret_reverse = pen == FDXI_IPFIX_PEN_REVERSE;
        return e->kind;
    }
    return FDXI_K_SKIP;
}

/* @p ms within +-2^48 ms (8,900 years) of 1970: beyond that it is no time, and sums of such
 * values cannot overflow. */
static int64_t within_far(int64_t ms)
{
    const int64_t far = INT64_C(1) << 48;
    return ms > far ? far : ms < -far ? -far : ms;
}

uint64_t fdxi_uptime_us(int64_t sysinit_ms, uint32_t up_ms, int64_t export_ms)
{
    const int64_t wrap = INT64_C(1) << 32;
    /* A hostile systemInitTimeMilliseconds (up to 2^63 - 1) or export time must not overflow
     * the sums below; the result is kept in the 2^32 ms before the export time anyway. */
    sysinit_ms = within_far(sysinit_ms);
    export_ms = within_far(export_ms);
    int64_t t = sysinit_ms + (int64_t)up_ms;
    int64_t hi = export_ms + 1000;
    if (t > hi)
        t -= ((t - hi + wrap - 1) / wrap) * wrap;
    else if (t <= hi - wrap)
        t += ((hi - wrap - t) / wrap + 1) * wrap;
    return t < 0 ? 0 : (uint64_t)t * 1000u;
}
