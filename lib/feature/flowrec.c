/* SPDX-License-Identifier: BSD-3-Clause */
/* The flowrec feature set: what a NetFlow or IPFIX flow record carries (doc/features/flowrec.md).
 */
#include <math.h>
#include <string.h>

#include "feature/feature.h"
#include "flowdx/flowdx.h"
#include "stats/stats.h"

/* Per direction: packets, bytes, min_len, max_len, min_ttl, max_ttl, tcp_flags; then duration. */
#define PER_DIR 7
#define N_FEATURES (2 * PER_DIR + 1)

#define DIR_NAMES(r)                                                                               \
    r "packets", r "bytes", r "min_len", r "max_len", r "min_ttl", r "max_ttl", r "tcp_flags"

static const char *const names[N_FEATURES] = {DIR_NAMES(""), DIR_NAMES("r"), "duration"};

/* One direction's accumulators. Packets and bytes are the flow table's own counters. */
struct flowrec_dir {
    struct fdxi_stat len; /* IP total length of every packet */
    struct fdxi_stat ttl; /* TTL / hop limit of every packet */
    uint8_t flags;        /* OR of the flags of the packets with a TCP header */
};

struct flowrec_flow {
    struct flowrec_dir dir[2];
};

static void flowrec_packet(void *set_state, void *flow_state, const struct fdxi_flow *f,
                           const struct fdxi_packet *p, int dir)
{
    (void)set_state;
    (void)f;
    struct flowrec_dir *d = &((struct flowrec_flow *)flow_state)->dir[dir];
    fdxi_stat_add(&d->len, p->ip_len);
    fdxi_stat_add(&d->ttl, p->ttl);
    /* A non-first fragment has no TCP header: it counts for length and TTL only. */
    if (p->proto == FDXI_PROTO_TCP && p->has_ports)
        d->flags |= p->tcp_flags;
}

static double min_of(const struct fdxi_stat *s)
{
    return s->n > 0 ? fdxi_stat_min(s) : NAN;
}

static double max_of(const struct fdxi_stat *s)
{
    return s->n > 0 ? fdxi_stat_max(s) : NAN;
}

static double duration_s(uint64_t start_us, uint64_t end_us)
{
    return end_us > start_us ? (double)(end_us - start_us) / 1e6 : 0.0;
}

static void flowrec_finalise(void *set_state, void *flow_state, const struct fdxi_flow *f,
                             double *out)
{
    (void)set_state;
    const struct flowrec_flow *fr = flow_state;
    bool tcp = f->key.proto == FDXI_PROTO_TCP;
    for (int dir = 0; dir < 2; dir++) {
        const struct flowrec_dir *d = &fr->dir[dir];
        double *o = out + dir * PER_DIR;
        o[0] = (double)f->packets[dir];
        o[1] = (double)f->bytes[dir];
        o[2] = min_of(&d->len);
        o[3] = max_of(&d->len);
        o[4] = min_of(&d->ttl);
        o[5] = max_of(&d->ttl);
        o[6] = tcp ? (double)d->flags : NAN;
    }
    out[2 * PER_DIR] = duration_s(f->first_ts_us, f->last_ts_us);
}

/* The same values from a record: what it lacks is NaN, as is a direction it does not describe. */
static void flowrec_record(const struct fdxi_record *r, double *out)
{
    for (int dir = 0; dir < 2; dir++) {
        double *o = out + dir * PER_DIR;
        bool known = dir == FDX_DIR_REQ || (r->present & FDX_REC_RESP);
        bool seen = known && r->packets[dir] > 0;
        bool len = seen && (r->present & FDX_REC_IP_LEN);
        bool ttl = seen && (r->present & FDX_REC_TTL);
        bool flags = known && r->proto == FDXI_PROTO_TCP && (r->present & FDX_REC_TCP_FLAGS);
        o[0] = known ? (double)r->packets[dir] : NAN;
        o[1] = known ? (double)r->bytes[dir] : NAN;
        o[2] = len ? (double)r->min_ip_len[dir] : NAN;
        o[3] = len ? (double)r->max_ip_len[dir] : NAN;
        o[4] = ttl ? (double)r->min_ttl[dir] : NAN;
        o[5] = ttl ? (double)r->max_ttl[dir] : NAN;
        o[6] = flags ? (double)r->tcp_flags[dir] : NAN;
    }
    out[2 * PER_DIR] = duration_s(r->start_us, r->end_us);
}

const struct fdxi_feature_set fdxi_feature_set_flowrec = {
    .name = "flowrec",
    .summary = "what NetFlow/IPFIX records carry: packets, bytes, min/max length and TTL, TCP "
               "flags per direction, duration",
    .feature_names = names,
    .n_features = N_FEATURES,
    .inputs = FDX_IN_TIMES | FDX_IN_IP_LEN | FDX_IN_TTL | FDX_IN_TCP,
    .flow_state_bytes = sizeof(struct flowrec_flow),
    .packet = flowrec_packet,
    .finalise = flowrec_finalise,
    .record = flowrec_record,
};
