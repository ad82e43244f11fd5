/* SPDX-License-Identifier: BSD-3-Clause */
/* The moore feature set: Moore, Zuev and Crogan's 248 flow discriminators (doc/features/moore.md).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "feature/feature.h"
#include "feature/moore.h"
#include "flowdx/flowdx.h"
#include "stats/stats.h"
#include "tcp/tcp.h"

_Static_assert(FDXI_TCP_MOORE_N == 152 - 31 + 1, "the TCP module gives numbers 31 to 152");

/* Wire bytes = IP length + 14 (Ethernet header) + 4 (FCS), whatever the capture's link type. */
#define WIRE_EXTRA 18u
/* Idle periods: gaps of at least 2 s without a packet in either direction (214). */
#define IDLE_GAP_US 2000000u
/* Bulk mode: more than 3 successive data packets one way without data the other way (210). */
#define BULK_MIN_RUN 4u
/* Effective bandwidth (216-218): blocks of 100 ms, space parameter 1e-5 per byte. */
#define EB_BLOCK_US 100000u
#define EB_THETA 1e-5

_Static_assert(sizeof(struct moore_rec) == 16, "a stored packet is 16 bytes");

const struct fdxi_chunks_spec fdxi_moore_store = {
    .rec_bytes = sizeof(struct moore_rec),
    .recs_per_chunk = MOORE_CHUNK_RECS,
    .max_chunks = MOORE_POOL_CHUNKS,
    .max_per_list = MOORE_MAX_STORED,
    .close_on_refusal = true,
};

/* Per engine. */
struct moore_engine {
    struct fdxi_chunks pool;
    struct moore_fft *fft;
    struct moore_conn_entry *conns; /* MOORE_CONN_SETS * MOORE_CONN_WAYS */
    /* Scratch for one flow's finalise, MOORE_MAX_STORED each. */
    struct moore_rec *recs;
    double *v;
};

/* A running log-sum-exp: log(sum of e^x) is m + log(s); s = 0 when empty. */
struct lse {
    double m, s;
};

/* Per flow, in the slot. */
struct moore_flow {
    struct fdxi_tcp_conn tcp;
    struct fdxi_stat ip[2];  /* IP length per direction */
    struct fdxi_stat ctl[2]; /* header bytes per direction */
    struct fdxi_stat iat[2]; /* IAT per direction, microseconds */
    struct fdxi_stat iat_all;
    struct fdxi_chunk_list list; /* the first MOORE_MAX_STORED packets */
    uint64_t first_us;      /* first packet */
    uint64_t last_us;       /* latest time so far: time never goes back within a flow */
    uint64_t dir_last_us[2];
    uint64_t idle_us;
    /* bulk/transaction modes: the current run of data packets one way */
    uint64_t run_first_us, run_last_us;
    uint64_t bulk_us;
    uint32_t run_len;
    uint32_t transitions;
    uint8_t run_dir;
    bool in_bulk; /* mode of the last closed run (transaction at the start) */
    /* effective bandwidth: the open block and the log-sum-exp of the closed ones */
    uint64_t block;        /* index of the open block from first_us */
    uint64_t blk_bytes[2]; /* IP bytes of the open block per direction */
    struct lse eb[3];      /* all, a->b, b->a */
    double since_s;        /* 209, taken at the first packet */
};

/* Whether the flow has had a packet: every packet adds to its direction's IP lengths. */
static bool started(const struct moore_flow *m)
{
    return m->ip[0].n + m->ip[1].n > 0;
}

static int moore_set_init(void *set_state)
{
    struct moore_engine *e = set_state;
    int rc = fdxi_chunks_init(&e->pool, &fdxi_moore_store);
    e->fft = fdxi_moore_fft_new();
    e->conns = calloc((size_t)MOORE_CONN_SETS * MOORE_CONN_WAYS, sizeof(*e->conns));
    e->recs = malloc(MOORE_MAX_STORED * sizeof(*e->recs));
    e->v = malloc(MOORE_MAX_STORED * sizeof(*e->v));
    if (rc < 0)
        return rc;
    if (e->fft == NULL || e->conns == NULL || e->recs == NULL || e->v == NULL)
        return FDX_ENOMEM;
    return 0;
}

static void moore_set_fini(void *set_state)
{
    struct moore_engine *e = set_state;
    fdxi_chunks_fini(&e->pool);
    fdxi_moore_fft_free(e->fft);
    free(e->conns);
    free(e->recs);
    free(e->v);
}

/* Add e^x. */
static void lse_add(struct lse *l, double x)
{
    if (l->s == 0.0) {
        l->m = x;
        l->s = 1.0;
    } else if (x <= l->m) {
        l->s += exp(x - l->m);
    } else {
        l->s = l->s * exp(l->m - x) + 1.0;
        l->m = x;
    }
}

/* Add @p count blocks without bytes: e^0 each. */
static void lse_add_zeros(struct lse *l, uint64_t count)
{
    if (count == 0)
        return;
    if (l->s == 0.0) {
        l->m = 0.0;
        l->s = (double)count;
    } else if (l->m >= 0.0) {
        l->s += (double)count * exp(-l->m);
    } else {
        l->s = l->s * exp(l->m) + (double)count;
        l->m = 0.0;
    }
}

static void close_block(struct moore_flow *m)
{
    lse_add(&m->eb[0], EB_THETA * (double)(m->blk_bytes[0] + m->blk_bytes[1]));
    lse_add(&m->eb[1], EB_THETA * (double)m->blk_bytes[0]);
    lse_add(&m->eb[2], EB_THETA * (double)m->blk_bytes[1]);
    m->blk_bytes[0] = m->blk_bytes[1] = 0;
}

/* The run of data packets ends: bulk if long enough; a change of mode is a transition. */
static void close_run(struct moore_flow *m)
{
    if (m->run_len == 0)
        return;
    bool bulk = m->run_len >= BULK_MIN_RUN;
    if (bulk)
        m->bulk_us += m->run_last_us - m->run_first_us;
    if (bulk != m->in_bulk)
        m->transitions++;
    m->in_bulk = bulk;
    m->run_len = 0;
}

/* IP and transport header bytes: TCP with options, UDP 8, otherwise the IP header alone. */
static uint16_t control_bytes(const struct fdxi_packet *p)
{
    uint32_t n = p->ip_hdr_bytes;
    if (p->has_ports && p->proto == FDXI_PROTO_TCP)
        n += p->tcp_hdr_bytes;
    else if (p->has_ports && p->proto == FDXI_PROTO_UDP)
        n += 8;
    if (n > p->ip_len && p->ip_len > 0)
        n = p->ip_len; /* a view that says otherwise is capped at the packet */
    return (uint16_t)(n > UINT16_MAX ? UINT16_MAX : n);
}

static void moore_packet(void *set_state, void *flow_state, const struct fdxi_flow *f,
                         const struct fdxi_packet *p, int dir)
{
    struct moore_engine *e = set_state;
    struct moore_flow *m = flow_state;
    uint64_t t = p->ts_us;
    if (!started(m)) {
        m->first_us = m->last_us = t;
        m->since_s = fdxi_moore_conn_since(e->conns, f, t, f->segment > 0);
    } else {
        if (t < m->last_us)
            t = m->last_us; /* out of order: an IAT of 0 */
        uint64_t iat = t - m->last_us;
        fdxi_stat_add(&m->iat_all, iat);
        if (iat >= IDLE_GAP_US)
            m->idle_us += iat;
        m->last_us = t;
    }
    if (m->ip[dir].n > 0) /* not the direction's first packet (its IP length is added below) */
        fdxi_stat_add(&m->iat[dir], t - m->dir_last_us[dir]);
    m->dir_last_us[dir] = t;

    uint16_t ctl = control_bytes(p);
    fdxi_stat_add(&m->ip[dir], p->ip_len);
    fdxi_stat_add(&m->ctl[dir], ctl);
    struct moore_rec r = {.ts_us = t, .ip_len = p->ip_len, .ctl_len = ctl, .dir = (uint8_t)dir};
    fdxi_chunks_add(&e->pool, &m->list, &r);

    if (p->has_ports && p->payload_bytes > 0) {
        if (m->run_len > 0 && m->run_dir == dir) {
            m->run_len++;
        } else {
            close_run(m);
            m->run_dir = (uint8_t)dir;
            m->run_len = 1;
            m->run_first_us = t;
        }
        m->run_last_us = t;
    }

    uint64_t block = (t - m->first_us) / EB_BLOCK_US;
    if (block > m->block) {
        close_block(m);
        for (int i = 0; i < 3; i++)
            lse_add_zeros(&m->eb[i], block - m->block - 1);
        m->block = block;
    }
    m->blk_bytes[dir] += p->ip_len;

    if (p->proto == FDXI_PROTO_TCP && p->has_ports)
        fdxi_tcp_packet(&m->tcp, p, dir);
}

/* ---- finalise ---- */

/* min, q1, med, mean, q3, max, var of samples summed in @p s, with the stored ones in v[0..n)
 * already sorted, both multiplied by @p scale and shifted by @p shift (all 0 without samples). */
static double *put7_sorted(double *o, const struct fdxi_stat *s, const double *v, size_t n,
                           double scale, double shift)
{
    if (s->n == 0) {
        for (int i = 0; i < 7; i++)
            *o++ = 0.0;
        return o;
    }
    *o++ = fdxi_stat_min(s) * scale + shift;
    *o++ = fdxi_sample_quantile_sorted(v, n, 0.25);
    *o++ = fdxi_sample_quantile_sorted(v, n, 0.5);
    *o++ = fdxi_stat_mean(s) * scale + shift;
    *o++ = fdxi_sample_quantile_sorted(v, n, 0.75);
    *o++ = fdxi_stat_max(s) * scale + shift;
    *o++ = fdxi_stat_variance(s) * scale * scale;
    return o;
}

/* The same with v[0..n) not yet sorted (sorted here). */
static double *put7(double *o, const struct fdxi_stat *s, double *v, size_t n, double scale,
                    double shift)
{
    if (s->n > 0)
        fdxi_sample_sort(v, n);
    return put7_sorted(o, s, v, n, scale, shift);
}

/* What a stored record contributes to a sample. */
enum field { F_IP, F_CTL };

/* The stored values of @p field of packets of direction @p dir (-1: both) into v. */
static size_t gather(const struct moore_rec *r, size_t n, enum field field, int dir, double *v)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (dir >= 0 && r[i].dir != dir)
            continue;
        v[k++] = field == F_CTL ? (double)r[i].ctl_len : (double)r[i].ip_len;
    }
    return k;
}

/* The stored IATs (seconds) between consecutive packets of direction @p dir (-1: all). */
static size_t gather_iat(const struct moore_rec *r, size_t n, int dir, double *v)
{
    size_t k = 0;
    bool have = false;
    uint64_t prev = 0;
    for (size_t i = 0; i < n; i++) {
        if (dir >= 0 && r[i].dir != dir)
            continue;
        if (have)
            v[k++] = (double)(r[i].ts_us - prev) / 1e6;
        prev = r[i].ts_us;
        have = true;
    }
    return k;
}

/*
 * The wire, IP and control sizes of direction @p dir (-1: both), in that order. The wire sample is
 * the IP sample plus WIRE_EXTRA: the IP sample is sorted once, and shifted in place after its own
 * statistics are written; the shift is exact (integers far below 2^53) and keeps the order, so the
 * array is what gathering and sorting the wire sizes would give.
 */
static double *put_sizes(double *o, const struct fdxi_stat *ip, const struct fdxi_stat *ctl,
                         const struct moore_rec *r, size_t n, int dir, double *v)
{
    size_t k = gather(r, n, F_IP, dir, v);
    if (ip->n > 0)
        fdxi_sample_sort(v, k);
    put7_sorted(o + 7, ip, v, k, 1.0, 0.0);
    for (size_t i = 0; i < k; i++)
        v[i] += WIRE_EXTRA;
    put7_sorted(o, ip, v, k, 1.0, WIRE_EXTRA);
    return put7(o + 14, ctl, v, gather(r, n, F_CTL, dir, v), 1.0, 0.0);
}

/*
 * The IAT statistics of direction @p dir (-1: all), and the FFT values of the same series into
 * @p fft (MOORE_FFT_TOP values): from one gather, the FFT first, as put7() sorts the series.
 */
static double *put_iat(double *o, const struct fdxi_stat *iat, struct moore_fft *f,
                       const struct moore_rec *r, size_t n, int dir, double *v, double *fft)
{
    size_t k = gather_iat(r, n, dir, v);
    fdxi_moore_fft_top(f, v, k, fft);
    return put7(o, iat, v, k, 1e-6, 0.0);
}

static double eb_value(const struct lse *l, uint64_t blocks)
{
    if (l->s == 0.0 || blocks == 0)
        return 0.0;
    double log_mean = l->m + log(l->s) - log((double)blocks);
    return log_mean / (EB_THETA * ((double)EB_BLOCK_US / 1e6));
}

static void moore_finalise(void *set_state, void *flow_state, const struct fdxi_flow *f,
                           double *out)
{
    struct moore_engine *e = set_state;
    struct moore_flow *m = flow_state;
    double *o = out;
    memset(out, 0, MOORE_N_VALUES * sizeof(*out));
    bool tcp = f->key.proto == FDXI_PROTO_TCP;
    out[MOORE_N_VALUES - 1] = tcp ? 1.0 : 0.0;
    out[0] = fdxi_flow_port(f, FDX_DIR_RESP);
    out[1] = fdxi_flow_port(f, FDX_DIR_REQ);
    if (!started(m)) {
        fdxi_chunks_release(&e->pool, &m->list);
        return;
    }
    size_t n = m->list.stored;
    fdxi_chunks_copy(&e->pool, &m->list, e->recs);
    fdxi_chunks_release(&e->pool, &m->list);
    const struct moore_rec *r = e->recs;
    double *v = e->v;
    /* 219-248, the last before is_tcp: written where each IAT series is gathered. */
    double *fft = out + MOORE_N_VALUES - 1 - 3 * MOORE_FFT_TOP;

    /* 3-30: both directions */
    o = out + 2;
    o = put_iat(o, &m->iat_all, e->fft, r, n, -1, v, fft);
    struct fdxi_stat ip = m->ip[0], ctl = m->ctl[0];
    fdxi_stat_merge(&ip, &m->ip[1]);
    fdxi_stat_merge(&ctl, &m->ctl[1]);
    o = put_sizes(o, &ip, &ctl, r, n, -1, v);

    /* 31-152: tcptrace's quantities */
    if (tcp)
        fdxi_tcp_moore_values(&m->tcp, m->first_us, m->last_us, o);
    o += FDXI_TCP_MOORE_N;

    /* 153-208 */
    for (int d = 0; d < 2; d++)
        o = put_sizes(o, &m->ip[d], &m->ctl[d], r, n, d, v);
    for (int d = 0; d < 2; d++)
        o = put_iat(o, &m->iat[d], e->fft, r, n, d, v, fft + (d + 1) * MOORE_FFT_TOP);

    /* 209-215 */
    close_run(m);
    double duration = (double)(m->last_us - m->first_us) / 1e6;
    *o++ = m->since_s;
    *o++ = m->transitions;
    *o++ = (double)m->bulk_us / 1e6;
    *o++ = duration;
    *o++ = duration > 0 ? (double)m->bulk_us / 1e6 / duration : 0.0;
    *o++ = (double)m->idle_us / 1e6;
    *o++ = duration > 0 ? (double)m->idle_us / 1e6 / duration : 0.0;

    /* 216-218 */
    close_block(m);
    for (int i = 0; i < 3; i++)
        *o++ = eb_value(&m->eb[i], m->block + 1);
    /* 219-248 are written already. */
}

const struct fdxi_feature_set fdxi_feature_set_moore = {
    .name = "moore",
    .summary = "Moore/Zuev/Crogan flow discriminators: all 248 (TCP ones 0 on other flows), and is_tcp",
    .feature_names = fdxi_moore_names,
    .n_features = MOORE_N_VALUES,
    .inputs = FDX_IN_TIMES | FDX_IN_IP_LEN | FDX_IN_TCP | FDX_IN_WINDOW | FDX_IN_PAYLOAD |
              FDX_IN_TCP_OPTIONS,
    .flow_state_bytes = sizeof(struct moore_flow),
    .set_state_bytes = sizeof(struct moore_engine),
    .set_init = moore_set_init,
    .set_fini = moore_set_fini,
    .packet = moore_packet,
    .finalise = moore_finalise,
};
