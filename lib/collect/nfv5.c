/* SPDX-License-Identifier: BSD-3-Clause */
/* Decodes NetFlow v5 datagrams: a 24-byte header and 1 to 30 records of 48 bytes. */
#include <string.h>

#include "collect/collect.h"
#include "core/err.h"

#define V5_HDR 24
#define V5_REC 48
#define V5_MAX_RECORDS 30

/*
 * The format (Cisco's NetFlow v5 export format; the same in nfdump and softflowd): header
 * version(2) count(2) sys_uptime(4, ms) unix_secs(4) unix_nsecs(4) flow_sequence(4)
 * engine_type(1) engine_id(1) sampling_interval(2); record srcaddr(4) dstaddr(4) nexthop(4)
 * input(2) output(2) dPkts(4) dOctets(4, layer 3 bytes) First(4) Last(4, sys_uptime ms of the
 * first and last packet) srcport(2) dstport(2) pad1(1) tcp_flags(1, OR) prot(1) tos(1)
 * src_as(2) dst_as(2) src_mask(1) dst_mask(1) pad2(2).
 */
int fdxi_nfv5_decode(const uint8_t *m, size_t len, struct fdxi_dec_out *out)
{
    if (len < V5_HDR) {
        fdxi_set_err(out->why, out->whylen, "%zu bytes: shorter than the NetFlow v5 header (24)",
                     len);
        return FDX_EFORMAT;
    }
    if (fdxi_be16(m) != 5) {
        fdxi_set_err(out->why, out->whylen, "version %u is not NetFlow v5", fdxi_be16(m));
        return FDX_EFORMAT;
    }
    uint16_t count = fdxi_be16(m + 2);
    if (count == 0 || count > V5_MAX_RECORDS) {
        fdxi_set_err(out->why, out->whylen, "record count %u (1 to 30)", count);
        return FDX_EFORMAT;
    }
    if (len != V5_HDR + (size_t)count * V5_REC) {
        fdxi_set_err(out->why, out->whylen, "%zu bytes for %u records (%zu expected)", len, count,
                     V5_HDR + (size_t)count * V5_REC);
        return FDX_EFORMAT;
    }
    if (out->record == NULL)
        return 0;
    int64_t export_ms = (int64_t)fdxi_be32(m + 8) * 1000 + fdxi_be32(m + 12) / 1000000;
    int64_t sysinit_ms = export_ms - (int64_t)fdxi_be32(m + 4);
    for (uint16_t i = 0; i < count; i++) {
        const uint8_t *r = m + V5_HDR + (size_t)i * V5_REC;
        struct fdxi_flowdec d;
        memset(&d, 0, sizeof(d));
        d.have = FDXI_DEC_V4 | FDXI_DEC_FLAGS;
        d.ip_version = 4;
        memcpy(d.src, r, 4);
        memcpy(d.dst, r + 4, 4);
        d.packets[0] = fdxi_be32(r + 16);
        d.bytes[0] = fdxi_be32(r + 20);
        uint32_t first = fdxi_be32(r + 24), last = fdxi_be32(r + 28);
        d.end_us[0] = fdxi_uptime_us(sysinit_ms, last, export_ms);
        uint64_t span_us = (uint64_t)(uint32_t)(last - first) * 1000u;
        d.start_us[0] = d.end_us[0] > span_us ? d.end_us[0] - span_us : 0;
        d.proto = r[38];
        /* ICMP's type and code, which v5 exporters write into the destination port (type * 256 +
         * code), are dropped by the pairer */
        d.sport = fdxi_be16(r + 32);
        d.dport = fdxi_be16(r + 34);
        d.flags[0] = r[37];
        d.end_reason = FDX_END_IDLE;
        out->records++;
        out->record(out->user, &d);
    }
    return 0;
}
