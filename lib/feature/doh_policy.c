/* SPDX-License-Identifier: BSD-3-Clause */
/* The dataset tool's flow cutting (DoHLyzer 9edd64a), as a flow policy of the doh:dohlyzer set. */
#include "feature/doh.h"
#include "flowdx/flowdx.h"

/*
 * The tool keeps a dictionary keyed by (oriented 4-tuple, count): several pieces of one
 * connection can be open at once. A packet belongs to piece 0 of its connection (either
 * orientation) unless it comes more than 40 s after that piece's latest packet; then to piece
 * 1 if within 80 s of piece 1's latest, and so on (40 s more per piece), a new piece being
 * opened where one is missing. Pieces end only in its "garbage collection": after every
 * 10,000th packet, and after any packet that leaves its flow longer than 120 s, every piece
 * idle for more than 40 s or longer than 90 s is written and deleted, in the dictionary's
 * insertion order. Here a piece is a sub-flow: count * 2 + the canonical side of its forward
 * endpoint (the dictionary key's orientation).
 */
#define GAP_S 40.0
#define GC_EVERY_PACKETS 10000u
#define GC_AFTER_DURATION_S 120.0
#define GC_IDLE_S 40.0
#define GC_DURATION_S 90.0

struct dohlyzer {
    uint64_t packets;        /* packets admitted, for the every-10,000th collection */
    bool new_src_is_forward; /* for the piece choose_sub just asked the table to open */
};

#define SUB(count, orient) ((count)*2u + (uint32_t)(orient))

bool fdxi_doh_port(uint16_t port)
{
    return port == 443;
}

static bool select_packet(void *state, const struct fdxi_packet *p)
{
    (void)state;
    /* Its capture filter "tcp port 443", and its IPv4-only flow key. */
    return p->ip_version == 4 && p->proto == FDXI_PROTO_TCP && p->has_ports &&
           (p->sport == 443 || p->dport == 443);
}

static uint32_t choose_sub(void *state, const struct fdxi_flow_table *t,
                           const struct fdxi_packet *p)
{
    struct dohlyzer *st = state;
    uint32_t side = (uint32_t)fdxi_flow_packet_side(p);
    uint32_t orient = side;
    const struct fdxi_flow *f = fdxi_flow_table_peek(t, p, SUB(0, side), NULL);
    if (f == NULL) {
        orient = 1 - side;
        f = fdxi_flow_table_peek(t, p, SUB(0, orient), NULL);
        if (f == NULL) {
            st->new_src_is_forward = true;
            return SUB(0, side);
        }
    }
    double now = fdxi_doh_seconds(p->ts_us);
    uint32_t count = 0;
    double allowed = GAP_S;
    while (now - fdxi_doh_seconds(f->last_ts_us) > allowed) {
        count++;
        allowed += GAP_S;
        f = fdxi_flow_table_peek(t, p, SUB(count, orient), NULL);
        if (f == NULL) {
            /* A new piece keeps the orientation of the pieces before it. */
            st->new_src_is_forward = side == orient;
            break;
        }
    }
    return SUB(count, orient);
}

static bool src_is_forward(void *state, const struct fdxi_packet *p)
{
    (void)p;
    return ((struct dohlyzer *)state)->new_src_is_forward;
}

static double duration(const struct fdxi_flow *f)
{
    return fdxi_doh_seconds(f->last_ts_us) - fdxi_doh_seconds(f->first_ts_us);
}

static bool sweep_after(void *state, const struct fdxi_flow *f)
{
    struct dohlyzer *st = state;
    st->packets++;
    return st->packets % GC_EVERY_PACKETS == 0 || duration(f) > GC_AFTER_DURATION_S;
}

static bool expired(void *state, const struct fdxi_flow *f, uint64_t now_us)
{
    (void)state;
    return fdxi_doh_seconds(now_us) - fdxi_doh_seconds(f->last_ts_us) > GC_IDLE_S || duration(f) > GC_DURATION_S;
}

const struct fdxi_flow_policy fdxi_policy_dohlyzer = {
    .name = "DoHLyzer",
    .state_bytes = sizeof(struct dohlyzer),
    .default_timeouts = false,
    .select = select_packet,
    .src_is_initiator = src_is_forward,
    .choose_sub = choose_sub,
    .sweep_after = sweep_after,
    .expired = expired,
};
