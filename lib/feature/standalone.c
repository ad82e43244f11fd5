/* SPDX-License-Identifier: BSD-3-Clause */
/* Feature sets outside the engine (flowdx_features.h): packet and flow views in, values out. */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "feature/feature.h"
#include "flowdx/flowdx_features.h"

struct fdx_featureset {
    const struct fdxi_feature_set *set;
    void *state;     /* the set's per-instance state, or NULL */
    double *scratch; /* n_features values: a flow released without flow_end is finalised here */
};

/* Kept in front of the set's own state in the caller's memory. */
struct head {
    uint32_t begun, ended;
    uint8_t pad_[8];
};
_Static_assert(sizeof(struct head) % 16 == 0, "the set's state stays 16-byte aligned");

int fdx_featureset_new(const char *name, fdx_featureset **ret_set, char *errbuf, size_t errlen)
{
    if (name == NULL || ret_set == NULL) {
        fdxi_set_err(errbuf, errlen, "fdx_featureset_new: NULL argument");
        return FDX_EINVAL;
    }
    const struct fdxi_feature_set *s = fdxi_feature_set_find(name, strlen(name));
    if (s == NULL) {
        fdxi_set_err(errbuf, errlen, "no feature set '%s' ('flowdx features' lists them)", name);
        return FDX_ENOENT;
    }
    if (s->policy != NULL || s->inputs == 0) {
        fdxi_set_err(errbuf, errlen, "feature set '%s' runs only in the flowdx engine: %s", s->name,
                     s->policy != NULL ? "it cuts flows by its own rules, not the host's"
                                       : "it needs the engine's per-flow protocol state");
        return FDX_ENOTSUP;
    }
    fdx_featureset *fs = calloc(1, sizeof(*fs));
    if (fs == NULL)
        return FDX_ENOMEM;
    fs->set = s;
    fs->scratch = calloc(s->n_features ? s->n_features : 1, sizeof(double));
    if (fs->scratch == NULL ||
        (s->set_state_bytes > 0 && (fs->state = calloc(1, s->set_state_bytes)) == NULL)) {
        free(fs->scratch);
        free(fs);
        return FDX_ENOMEM;
    }
    if (s->set_init != NULL) {
        int rc = s->set_init(fs->state);
        if (rc < 0) {
            fdxi_set_err(errbuf, errlen, "feature set '%s': initialisation failed: %s", s->name,
                         fdx_strerror(rc));
            fdx_featureset_free(fs); /* set_fini frees what set_init had made */
            return rc;
        }
    }
    *ret_set = fs;
    return 0;
}

void fdx_featureset_free(fdx_featureset *fs)
{
    if (fs == NULL)
        return;
    if (fs->set->set_fini != NULL)
        fs->set->set_fini(fs->state);
    free(fs->state);
    free(fs->scratch);
    free(fs);
}

size_t fdx_featureset_flow_state_bytes(const fdx_featureset *fs)
{
    return sizeof(struct head) + fdxi_align16(fs->set->flow_state_bytes);
}

uint32_t fdx_featureset_inputs(const fdx_featureset *fs)
{
    return fs->set->inputs;
}

uint32_t fdx_featureset_count(const fdx_featureset *fs)
{
    return fs->set->n_features;
}

const char *fdx_featureset_name(const fdx_featureset *fs, uint32_t i)
{
    return i < fs->set->n_features ? fs->set->feature_names[i] : NULL;
}

/* The engine's flow slot header as far as the sets read it: the key with the initiator first. */
static void flow_of(const struct fdx_plugin_flow *v, struct fdxi_flow *f)
{
    memset(f, 0, sizeof(*f));
    memcpy(f->key.addr[0], v->src_addr, 16);
    memcpy(f->key.addr[1], v->dst_addr, 16);
    f->key.port[0] = v->src_port;
    f->key.port[1] = v->dst_port;
    f->key.proto = v->proto;
    f->key.ip_version = v->ip_version;
    f->init_side = 0;
    f->id = v->flow_id;
    f->first_ts_us = v->start_us;
    f->last_ts_us = v->end_us;
    memcpy(f->packets, v->packets, sizeof(f->packets));
    memcpy(f->bytes, v->bytes, sizeof(f->bytes));
}

/* The decoder's view rebuilt from the ABI's; what the ABI does not carry stays zero. */
static void packet_of(const struct fdx_plugin_flow *fv, const struct fdx_plugin_packet *v,
                      struct fdxi_packet *p)
{
    memset(p, 0, sizeof(*p));
    p->ts_us = v->ts_us;
    p->caplen = p->wirelen = v->wire_bytes;
    p->ip_version = fv->ip_version;
    p->proto = fv->proto;
    p->ip_len = v->ip_len;
    p->ip_hdr_bytes = v->ip_hdr_bytes;
    p->ttl = v->ttl;
    p->has_ports =
        fv->proto == FDXI_PROTO_TCP ? (v->present & FDX_IN_TCP) != 0 : fv->proto == FDXI_PROTO_UDP;
    bool up = v->direction == FDX_DIR_REQ;
    p->sport = up ? fv->src_port : fv->dst_port;
    p->dport = up ? fv->dst_port : fv->src_port;
    memcpy(p->src, up ? fv->src_addr : fv->dst_addr, 16);
    memcpy(p->dst, up ? fv->dst_addr : fv->src_addr, 16);
    p->tcp_flags = v->tcp_flags;
    p->tcp_window = v->tcp_window;
    p->tcp_seq = v->tcp_seq;
    p->tcp_ack = v->tcp_ack;
    p->tcp_hdr_bytes = v->tcp_hdr_bytes;
    p->tcp_options = v->tcp_options;
    p->tcp_options_caplen =
        (uint16_t)(v->tcp_options_bytes > UINT16_MAX ? UINT16_MAX : v->tcp_options_bytes);
    p->payload_bytes = v->payload_bytes;
    p->payload = v->payload;
    p->payload_caplen = v->payload_caplen;
}

void fdx_featureset_flow_begin(fdx_featureset *fs, void *state, const struct fdx_plugin_flow *flow)
{
    struct head *h = state;
    h->begun = 1;
    if (fs->set->flow_begin != NULL) {
        struct fdxi_flow f;
        flow_of(flow, &f);
        fs->set->flow_begin(fs->state, h + 1, &f);
    }
}

void fdx_featureset_packet(fdx_featureset *fs, void *state, const struct fdx_plugin_flow *flow,
                           const struct fdx_plugin_packet *pkt)
{
    struct head *h = state;
    if (!h->begun || h->ended || pkt->direction > FDX_DIR_RESP)
        return;
    struct fdxi_flow f;
    struct fdxi_packet p;
    flow_of(flow, &f);
    packet_of(flow, pkt, &p);
    fs->set->packet(fs->state, h + 1, &f, &p, (int)pkt->direction);
}

/* A flow that is a flow record (the host's view says FDX_REC_FROM_RECORD): its fields instead of
 * packets, for the sets that can use them. */
static void from_record(const struct fdxi_feature_set *s, const struct fdx_plugin_flow *v,
                        double *out)
{
    if (s->record == NULL) {
        for (uint32_t i = 0; i < s->n_features; i++)
            out[i] = NAN;
        return;
    }
    struct fdxi_record r;
    memset(&r, 0, sizeof(r));
    r.present = v->record_present;
    r.proto = v->proto;
    r.start_us = v->start_us;
    r.end_us = v->end_us;
    for (int d = 0; d < 2; d++) {
        r.packets[d] = v->packets[d];
        r.bytes[d] = v->bytes[d];
        r.tcp_flags[d] = v->tcp_flags[d];
        r.min_ttl[d] = v->min_ttl[d];
        r.max_ttl[d] = v->max_ttl[d];
        r.min_ip_len[d] = v->min_ip_len[d];
        r.max_ip_len[d] = v->max_ip_len[d];
    }
    s->record(&r, out);
}

void fdx_featureset_flow_end(fdx_featureset *fs, void *state, const struct fdx_plugin_flow *flow,
                             double *out)
{
    struct head *h = state;
    if (flow->record_present & FDX_REC_FROM_RECORD) {
        if (h->begun && !h->ended) { /* whatever the set held for the flow is freed */
            struct fdxi_flow f;
            flow_of(flow, &f);
            fs->set->finalise(fs->state, h + 1, &f, fs->scratch);
            h->ended = 1;
        }
        from_record(fs->set, flow, out);
        return;
    }
    if (!h->begun || h->ended) {
        for (uint32_t i = 0; i < fs->set->n_features; i++)
            out[i] = NAN;
        return;
    }
    struct fdxi_flow f;
    flow_of(flow, &f);
    fs->set->finalise(fs->state, h + 1, &f, out);
    h->ended = 1;
}

void fdx_featureset_flow_release(fdx_featureset *fs, void *state)
{
    struct head *h = state;
    if (h->begun && !h->ended) {
        /* The sets free what a flow holds when they finalise it. */
        struct fdx_plugin_flow none = {.struct_size = sizeof(none)};
        struct fdxi_flow f;
        flow_of(&none, &f);
        fs->set->finalise(fs->state, h + 1, &f, fs->scratch);
    }
    memset(h, 0, sizeof(*h));
}
