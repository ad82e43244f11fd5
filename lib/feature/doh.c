/* SPDX-License-Identifier: BSD-3-Clause */
/* The doh feature sets: the 29 CIRA-CIC-DoHBrw-2020 flow statistics (doc/features/doh.md). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "chunks/chunks.h"
#include "feature/doh.h"
#include "feature/feature.h"
#include "flowdx/flowdx.h"
#include "flowdx/flowdx_features.h"
#include "stats/stats.h"

/*
 * Medians and modes need every value of a flow, so each flow keeps its packets (time, length,
 * direction) in chunks taken from a per-engine pool (lib/chunks): no allocation per packet,
 * bounded memory. A flow keeps at most DOH_MAX_PACKETS records; past that its exact running sums
 * still give the byte counts, rates, duration, means and variances, and the medians and modes
 * come from the first DOH_MAX_PACKETS packets (doc/features/doh.md says so).
 */
#define CHUNK_RECS 63u

struct rec {
    double t;     /* capture time, seconds, as the dataset tool held it */
    uint32_t len; /* frame length (dohlyzer) or IP length (ip) */
    uint32_t dir; /* FDX_DIR_REQ (the tool's forward) or FDX_DIR_RESP */
};

_Static_assert(sizeof(struct rec) == 16, "a stored packet is 16 bytes");

/*
 * When the pool is full a flow's list stays open: the record is not stored, and a later one is
 * stored if a chunk has come free by then. Each record not stored is then one refused chunk
 * request, so the pool's refusal counter counts the records the pool could not keep.
 */
static const struct fdxi_chunks_spec store_spec = {
    .rec_bytes = sizeof(struct rec),
    .recs_per_chunk = CHUNK_RECS,
    .max_chunks = DOH_POOL_RECORDS / CHUNK_RECS,
    .max_per_list = DOH_MAX_PACKETS,
    .close_on_refusal = false,
};

struct doh_engine {
    struct fdxi_chunks pool; /* refused: records not stored because the pool was full */
    /* Scratch for one flow's computation: DOH_MAX_PACKETS values each. */
    struct rec *recs;
    double *a, *b, *c, *sq;
};

struct doh_flow {
    struct fdxi_chunk_list list; /* the first DOH_MAX_PACKETS packets */
    uint64_t total;
    double t0;           /* first packet's time */
    double t_min, t_max; /* extreme packet times */
    uint64_t bytes[2];
    struct fdxi_stat len; /* every packet's length, exact */
    /* Running sums over every packet, for flows longer than the cap. */
    double rel_sum, rel_sumsq;
    double rt_sum, rt_sumsq, rt_min;
    uint64_t rt_n;
    int last_dir;
    bool candidate; /* ip mode: TCP to a DoH port; dohlyzer mode: always */
    double last_t;
    uint16_t mss[2]; /* ip mode: MSS each direction's receiver announced in its SYN (0: unseen) */
};

static int doh_set_init(void *set_state)
{
    struct doh_engine *e = set_state;
    int rc = fdxi_chunks_init(&e->pool, &store_spec);
    e->recs = malloc(DOH_MAX_PACKETS * sizeof(*e->recs));
    e->a = malloc(DOH_MAX_PACKETS * sizeof(double));
    e->b = malloc(DOH_MAX_PACKETS * sizeof(double));
    e->c = malloc(DOH_MAX_PACKETS * sizeof(double));
    e->sq = malloc(DOH_MAX_PACKETS * sizeof(double));
    if (rc < 0)
        return rc;
    if (e->recs == NULL || e->a == NULL || e->b == NULL || e->c == NULL || e->sq == NULL)
        return FDX_ENOMEM;
    return 0;
}

static void doh_set_fini(void *set_state)
{
    struct doh_engine *e = set_state;
    fdxi_chunks_fini(&e->pool);
    free(e->recs);
    free(e->a);
    free(e->b);
    free(e->c);
    free(e->sq);
}

static void doh_begin(void *set_state, void *flow_state, const struct fdxi_flow *f)
{
    (void)set_state;
    struct doh_flow *d = flow_state;
    d->last_dir = -1;
    d->rt_min = INFINITY;
    /* ip mode: TCP flows whose responder port is a DoH port; dohlyzer selects its packets. */
    uint16_t server_port = fdxi_flow_port(f, FDX_DIR_RESP);
    d->candidate = f->key.proto == FDXI_PROTO_TCP && fdxi_doh_port(server_port);
}

static void doh_begin_all(void *set_state, void *flow_state, const struct fdxi_flow *f)
{
    doh_begin(set_state, flow_state, f);
    ((struct doh_flow *)flow_state)->candidate = true;
}

static void add(struct doh_engine *e, struct doh_flow *d, double t, uint32_t len, int dir)
{
    if (d->total == 0) {
        d->t0 = t;
        d->t_min = d->t_max = t;
    }
    if (t < d->t_min)
        d->t_min = t;
    if (t > d->t_max)
        d->t_max = t;
    d->total++;
    d->bytes[dir] += len;
    fdxi_stat_add(&d->len, len);
    double rel = t - d->t0;
    d->rel_sum += rel;
    d->rel_sumsq += rel * rel;
    if (d->last_dir == FDX_DIR_REQ && dir == FDX_DIR_RESP) {
        double rt = t - d->last_t;
        d->rt_n++;
        d->rt_sum += rt;
        d->rt_sumsq += rt * rt;
        if (rt < d->rt_min)
            d->rt_min = rt;
    }
    d->last_dir = dir;
    d->last_t = t;
    struct rec r = {t, len, (uint32_t)dir};
    fdxi_chunks_add(&e->pool, &d->list, &r);
}

/* The MSS option of a SYN, or 0. */
static uint16_t syn_mss(const struct fdxi_packet *p)
{
    const uint8_t *o = p->tcp_options;
    uint32_t n = p->tcp_options_caplen;
    for (uint32_t i = 0; i < n;) {
        if (o[i] == 0)
            break;
        if (o[i] == 1) {
            i++;
            continue;
        }
        if (i + 1 >= n || o[i + 1] < 2)
            break;
        if (o[i] == 2 && o[i + 1] == 4 && i + 4 <= n)
            return (uint16_t)(o[i + 2] << 8 | o[i + 3]);
        i += o[i + 1];
    }
    return 0;
}

/*
 * ip mode counts packets as they are on the wire. A capture taken on an end host sees the
 * host's TSO/GSO writes and GRO-merged arrivals as single packets of up to 64 KB; on a wire or a
 * span port the same data is a train of MSS-sized segments. A TCP packet carrying more payload
 * than its receiver's MSS (from the receiver's SYN; 1500-byte MTU when the SYN was not seen) is
 * therefore counted as the segments it was or will be sent as: full segments with the packet's
 * own headers, then the remainder, all at the packet's time (doc/features/doh.md).
 */
static void doh_packet_ip(void *set_state, void *flow_state, const struct fdxi_flow *f,
                          const struct fdxi_packet *p, int dir)
{
    (void)f;
    struct doh_flow *d = flow_state;
    if (!d->candidate)
        return;
    double t = fdxi_doh_seconds(p->ts_us);
    if (p->proto == FDXI_PROTO_TCP && (p->tcp_flags & FDXI_TCP_SYN) != 0) {
        uint16_t mss = syn_mss(p);
        if (mss != 0)
            d->mss[!dir] = mss; /* limits what the other side sends */
    }
    uint32_t hdr = (uint32_t)p->ip_hdr_bytes + p->tcp_hdr_bytes;
    uint32_t limit = d->mss[dir] ? d->mss[dir] : 1500u - p->ip_hdr_bytes - 20u;
    uint32_t opts = p->tcp_hdr_bytes > 20 ? p->tcp_hdr_bytes - 20u : 0;
    uint32_t seg = limit > opts + 64 ? limit - opts : 0; /* payload per segment */
    if (p->proto != FDXI_PROTO_TCP || seg == 0 || p->payload_bytes <= seg ||
        p->ip_len != hdr + p->payload_bytes) {
        add(set_state, d, t, p->ip_len, dir);
        return;
    }
    uint32_t left = p->payload_bytes;
    for (; left > seg; left -= seg)
        add(set_state, d, t, hdr + seg, dir);
    add(set_state, d, t, hdr + left, dir);
}

static void doh_packet_frame(void *set_state, void *flow_state, const struct fdxi_flow *f,
                             const struct fdxi_packet *p, int dir)
{
    (void)f;
    add(set_state, flow_state, fdxi_doh_seconds(p->ts_us), p->caplen, dir);
}

/* The statistics of one sample, with the dataset tool's sentinels for its kind. */
struct summary {
    double var, std, mean, median, mode, skew_median, skew_mode, cov;
};

static void summarise(double *v, size_t n, double *scratch, struct summary *s)
{
    s->mean = fdxi_sample_mean(v, n);
    s->var = fdxi_sample_variance(v, n, s->mean, scratch);
    s->std = sqrt(s->var);
    fdxi_sample_sort(v, n);
    s->median = fdxi_sample_median_sorted(v, n);
    s->mode = fdxi_sample_mode_sorted(v, n);
    s->skew_median = s->std != 0 ? 3 * (s->mean - s->median) / s->std : -10;
    s->skew_mode = s->std != 0 ? (s->mean - s->mode) / s->std : -10;
    s->cov = s->mean != 0 ? s->std / s->mean : -1;
}

static double *put(double *o, const struct summary *s)
{
    *o++ = s->var;
    *o++ = s->std;
    *o++ = s->mean;
    *o++ = s->median;
    *o++ = s->mode;
    *o++ = s->skew_median;
    *o++ = s->skew_mode;
    *o++ = s->cov;
    return o;
}

static void doh_finalise(void *set_state, void *flow_state, const struct fdxi_flow *f, double *out)
{
    (void)f;
    struct doh_engine *e = set_state;
    struct doh_flow *d = flow_state;
    if (!d->candidate || d->total == 0) {
        for (uint32_t i = 0; i < DOH_N_FEATURES; i++)
            out[i] = NAN;
        fdxi_chunks_release(&e->pool, &d->list);
        return;
    }
    /* Gather the stored packets: lengths (a), offsets from the first packet (b), response
     * times (c): a forward packet immediately followed by a reverse one. */
    size_t n = d->list.stored, n_rt = 0;
    fdxi_chunks_copy(&e->pool, &d->list, e->recs);
    fdxi_chunks_release(&e->pool, &d->list);
    int prev_dir = -1;
    double prev_t = 0;
    for (size_t k = 0; k < n; k++) {
        const struct rec *r = &e->recs[k];
        e->a[k] = r->len;
        e->b[k] = r->t - d->t0;
        if (prev_dir == FDX_DIR_REQ && (int)r->dir == FDX_DIR_RESP)
            e->c[n_rt++] = r->t - prev_t;
        prev_dir = (int)r->dir;
        prev_t = r->t;
    }
    bool complete = n == d->total;
    double duration = (d->t_max - d->t0) - (d->t_min - d->t0);
    double *o = out;
    *o++ = duration;
    *o++ = (double)d->bytes[FDX_DIR_REQ];
    *o++ = duration == 0 ? -1 : (double)d->bytes[FDX_DIR_REQ] / duration;
    *o++ = (double)d->bytes[FDX_DIR_RESP];
    *o++ = duration == 0 ? -1 : (double)d->bytes[FDX_DIR_RESP] / duration;

    struct summary len, rel, rt;
    summarise(e->a, n, e->sq, &len);
    if (!complete) {
        len.mean = fdxi_stat_mean(&d->len);
        len.var = fdxi_stat_variance(&d->len);
        len.std = sqrt(len.var);
    }
    o = put(o, &len);
    summarise(e->b, n, e->sq, &rel);
    if (!complete) {
        double nn = (double)d->total;
        rel.mean = d->rel_sum / nn;
        rel.var = fmax(0.0, d->rel_sumsq / nn - rel.mean * rel.mean);
        rel.std = sqrt(rel.var);
    }
    o = put(o, &rel);
    if (d->rt_n == 0) {
        /* The tool's values for a flow without any response: its -1 sentinels, numpy's NaN
         * median of an empty list, and what its formulas then give (NaN skew, -0.0, 1.0). */
        rt = (struct summary){-1, -1, -1, NAN, -1, NAN, -0.0, 1.0};
    } else {
        summarise(e->c, n_rt, e->sq, &rt);
        if (!complete) {
            double nn = (double)d->rt_n;
            rt.mean = d->rt_sum / nn;
            rt.var = fmax(0.0, d->rt_sumsq / nn - rt.mean * rt.mean);
            rt.std = sqrt(rt.var);
        }
    }
    put(o, &rt);
    /* Recompute the derived values when running sums replaced the sample's. */
    if (!complete) {
        struct summary *ss[3] = {&len, &rel, &rt};
        double *at[3] = {out + 5, out + 13, out + 21};
        for (int i = 0; i < 3; i++) {
            if (ss[i] == &rt && d->rt_n == 0)
                continue;
            struct summary *s = ss[i];
            s->skew_median = s->std != 0 ? 3 * (s->mean - s->median) / s->std : -10;
            s->skew_mode = s->std != 0 ? (s->mean - s->mode) / s->std : -10;
            s->cov = s->mean != 0 ? s->std / s->mean : -1;
            put(at[i], s);
        }
    }
}

#define DOH_NAMES                                                                                  \
    "Duration", "FlowBytesSent", "FlowSentRate", "FlowBytesReceived", "FlowReceivedRate",          \
        "PacketLengthVariance", "PacketLengthStandardDeviation", "PacketLengthMean",               \
        "PacketLengthMedian", "PacketLengthMode", "PacketLengthSkewFromMedian",                    \
        "PacketLengthSkewFromMode", "PacketLengthCoefficientofVariation", "PacketTimeVariance",    \
        "PacketTimeStandardDeviation", "PacketTimeMean", "PacketTimeMedian", "PacketTimeMode",     \
        "PacketTimeSkewFromMedian", "PacketTimeSkewFromMode", "PacketTimeCoefficientofVariation",  \
        "ResponseTimeTimeVariance", "ResponseTimeTimeStandardDeviation", "ResponseTimeTimeMean",   \
        "ResponseTimeTimeMedian", "ResponseTimeTimeMode", "ResponseTimeTimeSkewFromMedian",        \
        "ResponseTimeTimeSkewFromMode", "ResponseTimeTimeCoefficientofVariation"

static const char *const names[DOH_N_FEATURES] = {DOH_NAMES};

const struct fdxi_feature_set fdxi_feature_set_doh_ip = {
    .name = "doh:ip",
    .alias = "doh",
    .summary = "(also: doh) CIRA-CIC-DoHBrw-2020 DoH statistics on IP lengths and flowdx's flows",
    .feature_names = names,
    .n_features = DOH_N_FEATURES,
    .id_style = FDX_IDS_DATASET,
    .inputs = FDX_IN_TIMES | FDX_IN_IP_LEN | FDX_IN_TCP | FDX_IN_TCP_OPTIONS,
    .flow_state_bytes = sizeof(struct doh_flow),
    .set_state_bytes = sizeof(struct doh_engine),
    .set_init = doh_set_init,
    .set_fini = doh_set_fini,
    .flow_begin = doh_begin,
    .packet = doh_packet_ip,
    .finalise = doh_finalise,
};

const struct fdxi_feature_set fdxi_feature_set_doh_dohlyzer = {
    .name = "doh:dohlyzer",
    .summary = "the same, exactly as the dataset's own tool: frame lengths and its flow cutting",
    .feature_names = names,
    .n_features = DOH_N_FEATURES,
    .id_style = FDX_IDS_DATASET,
    .flow_state_bytes = sizeof(struct doh_flow),
    .set_state_bytes = sizeof(struct doh_engine),
    .policy = &fdxi_policy_dohlyzer,
    .set_init = doh_set_init,
    .set_fini = doh_set_fini,
    .flow_begin = doh_begin_all,
    .packet = doh_packet_frame,
    .finalise = doh_finalise,
};

/* Public DoH resolvers (the list tools/run.c used to keep). */
static const char *const doh_resolvers[] = {
    "8.8.8.8",
    "8.8.4.4",
    "9.9.9.9",
    "1.1.1.1",
    "176.103.130.131",
    "176.103.130.130",
    "149.112.112.10",
    "9.9.9.10",
    "9.9.9.11",
    "149.112.112.112",
    "104.16.248.249",
    "104.16.249.249",
    "1.0.0.1",
    "94.140.14.14",
    "94.140.15.15",
    "208.67.222.222",
    "208.67.220.220",
    "2606:4700:4700::1111",
    "2606:4700:4700::1001",
    "2001:4860:4860::8888",
    "2001:4860:4860::8844",
    "2620:fe::fe",
    "2620:fe::9",
};

const char *fdx_doh_resolver_at(uint32_t i)
{
    return i < sizeof(doh_resolvers) / sizeof(doh_resolvers[0]) ? doh_resolvers[i] : NULL;
}
