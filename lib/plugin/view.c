/* SPDX-License-Identifier: BSD-3-Clause */
/* Builds the ABI's flow and packet views from the engine's own flow slot and decoded packet. */
#include <stdbool.h>
#include <string.h>

#include "feature/feature.h"
#include "plugin/plugin.h"

_Static_assert(FDX_VERDICT_NONE == FDX_PLUGIN_NO_VERDICT &&
                   FDX_VERDICT_BENIGN == FDX_PLUGIN_BENIGN &&
                   FDX_VERDICT_MALICIOUS == FDX_PLUGIN_MALICIOUS &&
                   FDX_VERDICT_UNCERTAIN == FDX_PLUGIN_UNCERTAIN,
               "the engine passes plugin verdicts on unchanged");

void fdxi_plugin_flow_view(const struct fdxi_flow *f, struct fdx_plugin_flow *v)
{
    memset(v, 0, sizeof(*v));
    v->struct_size = sizeof(*v);
    v->ip_version = f->key.ip_version;
    v->proto = f->key.proto;
    v->src_port = fdxi_flow_port(f, FDX_DIR_REQ);
    v->dst_port = fdxi_flow_port(f, FDX_DIR_RESP);
    memcpy(v->src_addr, fdxi_flow_addr(f, FDX_DIR_REQ), 16);
    memcpy(v->dst_addr, fdxi_flow_addr(f, FDX_DIR_RESP), 16);
    v->flow_id = f->id;
    v->start_us = f->first_ts_us;
    v->end_us = f->last_ts_us;
    memcpy(v->packets, f->packets, sizeof(v->packets));
    memcpy(v->bytes, f->bytes, sizeof(v->bytes));
}

static uint16_t clamp16(uint32_t v)
{
    return v > UINT16_MAX ? UINT16_MAX : (uint16_t)v;
}

void fdxi_plugin_record_view(const struct fdxi_record *r, struct fdx_plugin_flow *v)
{
    /* r->present holds no other bits: its one maker, fdx_engine_feed_record(), keeps only these
     * (FDX_INPUT_* bits equal to FDX_REC_*, which engine.c asserts). */
    v->record_present = FDX_REC_FROM_RECORD | r->present;
    for (int d = 0; d < 2; d++) {
        v->tcp_flags[d] = r->tcp_flags[d];
        v->min_ttl[d] = r->min_ttl[d];
        v->max_ttl[d] = r->max_ttl[d];
        /* the view's lengths are 16 bits: an IPv6 jumbo length reads as 65535 */
        v->min_ip_len[d] = clamp16(r->min_ip_len[d]);
        v->max_ip_len[d] = clamp16(r->max_ip_len[d]);
    }
}

void fdxi_plugin_packet_view(const struct fdxi_packet *p, int dir, uint32_t inputs,
                             struct fdx_plugin_packet *v)
{
    memset(v, 0, sizeof(*v));
    v->struct_size = sizeof(*v);
    v->direction = (uint32_t)dir;
    v->wire_bytes = p->wirelen;
    v->payload_bytes = p->payload_bytes;
    /* A plugin gets only the inputs it declared, so that it cannot come to depend on more than
     * its descriptor tells other hosts it needs. */
    bool tcp = p->proto == FDXI_PROTO_TCP && p->has_ports;
    uint32_t has = FDX_IN_TIMES | FDX_IN_IP_LEN | FDX_IN_TTL | FDX_IN_PAYLOAD;
    if (tcp)
        has |= FDX_IN_TCP | FDX_IN_WINDOW | FDX_IN_TCP_OPTIONS;
    has &= inputs;
    v->present = has;
    if (has & FDX_IN_TIMES)
        v->ts_us = p->ts_us;
    if (has & FDX_IN_IP_LEN) {
        v->ip_len = p->ip_len;
        v->ip_hdr_bytes = p->ip_hdr_bytes;
    }
    if (has & FDX_IN_TTL)
        v->ttl = p->ttl;
    if (has & FDX_IN_TCP) {
        v->tcp_flags = p->tcp_flags;
        v->tcp_seq = p->tcp_seq;
        v->tcp_ack = p->tcp_ack;
        v->tcp_hdr_bytes = p->tcp_hdr_bytes;
    }
    if (has & FDX_IN_WINDOW)
        v->tcp_window = p->tcp_window;
    if (has & FDX_IN_TCP_OPTIONS) {
        v->tcp_options = p->tcp_options;
        v->tcp_options_bytes = p->tcp_options_caplen;
    }
    if (has & FDX_IN_PAYLOAD) {
        v->payload = p->payload;
        v->payload_caplen = p->payload_caplen;
    }
}
