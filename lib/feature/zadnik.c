/* SPDX-License-Identifier: BSD-3-Clause */
/* The zadnik feature set: the 64 per-direction spam discriminators and `oneway`
 * (doc/features/zadnik.md). */
#include <string.h>

#include "feature/feature.h"
#include "flowdx/flowdx.h"
#include "stats/stats.h"

/* Accumulators of one direction. The eight flag accumulators are in TCP flag-bit order
 * (FIN SYN RST PSH ACK URG ECE CWR), which is also the spec's order of the flag features. */
enum {
    Q_PL,                /* IP total length of every packet */
    Q_TTL,               /* TTL / hop limit of every packet */
    Q_WIN,               /* raw window of every TCP packet with a header */
    Q_FLAG,              /* first of 8: IP length of the packets with that flag */
    Q_DATA = Q_FLAG + 8, /* TCP payload length of the packets that carry payload */
    Q_COUNT
};

struct zadnik_dir {
    struct fdxi_stat q[Q_COUNT];
    uint64_t zero_window; /* ACK set, RST clear, window 0 */
};

struct zadnik_flow {
    struct zadnik_dir dir[2];
};

#define PER_DIR 32
#define N_FEATURES (2 * PER_DIR + 1)

/* Spec section "The 32 features of one direction", then the same with the r prefix, then oneway. */
#define DIR_NAMES(r)                                                                               \
    r "sp", r "spl", r "spl2", r "minpl", r "maxpl", r "sttl", r "sttl2", r "minttl", r "maxttl",  \
        r "stw", r "stw2", r "mintw", r "maxtw", r "spfs", r "slfs", r "spss", r "slss", r "sprs", \
        r "slrs", r "spps", r "slps", r "spas", r "slas", r "spus", r "slus", r "spes", r "sles",  \
        r "spcs", r "slcs", r "spd", r "sld", r "spzw"

static const char *const names[N_FEATURES] = {DIR_NAMES(""), DIR_NAMES("r"), "oneway"};

static void zadnik_packet(void *set_state, void *flow_state, const struct fdxi_flow *f,
                          const struct fdxi_packet *p, int dir)
{
    (void)set_state;
    (void)f;
    struct zadnik_dir *d = &((struct zadnik_flow *)flow_state)->dir[dir];
    fdxi_stat_add(&d->q[Q_PL], p->ip_len);
    fdxi_stat_add(&d->q[Q_TTL], p->ttl);
    /* Non-first fragments carry no TCP header: they count for packets, length and TTL only. */
    if (p->proto != FDXI_PROTO_TCP || !p->has_ports)
        return;
    fdxi_stat_add(&d->q[Q_WIN], p->tcp_window);
    for (unsigned bit = 0; bit < 8; bit++) {
        if (p->tcp_flags & (1u << bit))
            fdxi_stat_add(&d->q[Q_FLAG + bit], p->ip_len);
    }
    if (p->payload_bytes > 0)
        fdxi_stat_add(&d->q[Q_DATA], p->payload_bytes);
    if ((p->tcp_flags & FDXI_TCP_ACK) && !(p->tcp_flags & FDXI_TCP_RST) && p->tcp_window == 0)
        d->zero_window++;
}

static double *put_dir(const struct zadnik_dir *d, double *o)
{
    const struct fdxi_stat *pl = &d->q[Q_PL], *ttl = &d->q[Q_TTL], *win = &d->q[Q_WIN];
    *o++ = (double)pl->n;
    *o++ = fdxi_stat_mean(pl);
    *o++ = fdxi_stat_variance(pl);
    *o++ = fdxi_stat_min(pl);
    *o++ = fdxi_stat_max(pl);
    *o++ = fdxi_stat_mean(ttl);
    *o++ = fdxi_stat_variance(ttl);
    *o++ = fdxi_stat_min(ttl);
    *o++ = fdxi_stat_max(ttl);
    *o++ = fdxi_stat_mean(win);
    *o++ = fdxi_stat_variance(win);
    *o++ = fdxi_stat_min(win);
    *o++ = fdxi_stat_max(win);
    for (int bit = 0; bit < 8; bit++) {
        *o++ = (double)d->q[Q_FLAG + bit].n;
        *o++ = fdxi_stat_mean(&d->q[Q_FLAG + bit]);
    }
    *o++ = (double)d->q[Q_DATA].n;
    *o++ = fdxi_stat_mean(&d->q[Q_DATA]);
    *o++ = (double)d->zero_window;
    return o;
}

static void zadnik_finalise(void *set_state, void *flow_state, const struct fdxi_flow *f,
                            double *out)
{
    (void)set_state;
    const struct zadnik_flow *z = flow_state;
    double *o = put_dir(&z->dir[FDX_DIR_REQ], out);
    o = put_dir(&z->dir[FDX_DIR_RESP], o);
    *o = (f->packets[FDX_DIR_REQ] == 0 || f->packets[FDX_DIR_RESP] == 0) ? 1.0 : 0.0;
}

const struct fdxi_feature_set fdxi_feature_set_zadnik = {
    .name = "zadnik",
    .summary = "Zadnik/Michlovsky flow-level spam features: 32 per direction and oneway",
    .feature_names = names,
    .n_features = N_FEATURES,
    .inputs = FDX_IN_IP_LEN | FDX_IN_TTL | FDX_IN_TCP | FDX_IN_WINDOW,
    .flow_state_bytes = sizeof(struct zadnik_flow),
    .packet = zadnik_packet,
    .finalise = zadnik_finalise,
};
