/* SPDX-License-Identifier: BSD-3-Clause */
/* Pairs one-way flow records into biflows, decides the initiator, and hands out input records. */
#include <stdlib.h>
#include <string.h>

#include "collect/collect.h"
#include "core/hash.h"

#define NIL UINT32_MAX
#define FIRST_SLOTS 256u

/* A one-way record waiting for its reverse. */
struct pend {
    struct fdxi_flowdec d;
    bool empty_rev; /* a biflow record whose reverse direction had no packets */
    uint64_t deadline_us;
    uint32_t session;
    uint32_t hash;
    uint32_t hnext;      /* next in its bucket, or the free list */
    uint32_t prev, next; /* arrival order */
};

struct fdxi_pairer {
    struct fdxi_pairer_config cfg;
    struct pend *v;
    uint32_t cap, used, free_head, live;
    uint32_t *buckets;
    uint32_t mask;
    uint32_t head, tail; /* the longest waiting first */
    struct fdxi_pair_stats st;
};

/* One direction of a record: its values are d's [dir]; d NULL is a direction of no packets. */
struct side {
    const struct fdxi_flowdec *d;
    int dir;
};

static bool server_port(const struct fdxi_pairer *p, uint16_t port)
{
    if (port == 0)
        return false;
    if (port < 1024)
        return true;
    uint32_t lo = 0, hi = p->cfg.n_server_ports;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (p->cfg.server_ports[mid] == port)
            return true;
        if (p->cfg.server_ports[mid] < port)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

/* The flowdx initiator rule's port part: +1 when the record's source is the client (its
 * destination alone is on a server port), -1 when it is the server, 0 when the ports do not say. */
static int port_rule(const struct fdxi_pairer *p, const struct fdxi_flowdec *d)
{
    bool s = server_port(p, d->sport), t = server_port(p, d->dport);
    return t && !s ? 1 : s && !t ? -1 : 0;
}

static bool has(const struct side *s, uint32_t fwd_bit, uint32_t rev_bit)
{
    return s->d == NULL || (s->d->have & (s->dir == 0 ? fwd_bit : rev_bit));
}

static void side_times(const struct side *s, uint64_t *start, uint64_t *end)
{
    int i = s->dir == 1 && (s->d->have & FDXI_DEC_RTIME) ? 1 : 0;
    *start = s->d->start_us[i];
    *end = s->d->end_us[i];
}

/*
 * One input record from its request side @p req and response side @p resp (NULL: unknown). A
 * side without a record (d NULL) had no packets; at least one side has a record.
 */
static void emit(struct fdxi_pairer *p, const struct side *req, const struct side *resp)
{
    struct fdx_input_record r;
    fdx_input_record_init(&r);
    const struct side *any = req->d != NULL ? req : resp;
    const struct fdxi_flowdec *d = any->d;
    /* the sender of the request side is the initiator; of the response side, the responder */
    bool fwd = (any == req) == (any->dir == 0);
    memcpy(r.src_addr, fwd ? d->src : d->dst, 16);
    memcpy(r.dst_addr, fwd ? d->dst : d->src, 16);
    r.src_port = fwd ? d->sport : d->dport;
    r.dst_port = fwd ? d->dport : d->sport;
    r.ip_version = d->ip_version;
    r.proto = d->proto;
    r.end_reason = d->end_reason;
    const struct side *sides[2] = {req, resp};
    bool first_time = true;
    for (int k = 0; k < 2; k++) {
        const struct side *s = sides[k];
        if (s == NULL || s->d == NULL)
            continue;
        r.packets[k] = s->d->packets[s->dir];
        r.bytes[k] = s->d->bytes[s->dir];
        r.tcp_flags[k] = s->d->flags[s->dir];
        r.min_ttl[k] = s->d->min_ttl[s->dir];
        r.max_ttl[k] = s->d->max_ttl[s->dir];
        r.min_ip_len[k] = s->d->min_len[s->dir];
        r.max_ip_len[k] = s->d->max_len[s->dir];
        uint64_t a, b;
        side_times(s, &a, &b);
        if (first_time || a < r.start_us)
            r.start_us = a;
        if (first_time || b > r.end_us)
            r.end_us = b;
        first_time = false;
    }
    const struct side none = {NULL, 0};
    const struct side *o = resp != NULL ? resp : &none;
    if (resp != NULL)
        r.present |= FDX_INPUT_RESP;
    if (has(req, FDXI_DEC_FLAGS, FDXI_DEC_RFLAGS) && has(o, FDXI_DEC_FLAGS, FDXI_DEC_RFLAGS))
        r.present |= FDX_INPUT_TCP_FLAGS;
    if (has(req, FDXI_DEC_TTL, FDXI_DEC_RTTL) && has(o, FDXI_DEC_TTL, FDXI_DEC_RTTL))
        r.present |= FDX_INPUT_TTL;
    if (has(req, FDXI_DEC_LEN, FDXI_DEC_RLEN) && has(o, FDXI_DEC_LEN, FDXI_DEC_RLEN))
        r.present |= FDX_INPUT_IP_LEN;
    p->st.reported++;
    p->cfg.emit(p->cfg.user, &r);
}

/* A record with both directions (RFC 5103): its own biflowDirection, else the side that started
 * first, else the port rule, else the forward direction initiated. */
static void emit_biflow(struct fdxi_pairer *p, const struct fdxi_flowdec *d)
{
    bool rev = false;
    if ((d->have & FDXI_DEC_BIDIR) && (d->biflow_dir == 1 || d->biflow_dir == 2))
        rev = d->biflow_dir == 2;
    else if ((d->have & FDXI_DEC_RTIME) && d->start_us[1] != d->start_us[0])
        rev = d->start_us[1] < d->start_us[0];
    else
        rev = port_rule(p, d) < 0;
    struct side a = {d, rev ? 1 : 0}, b = {d, rev ? 0 : 1};
    emit(p, &a, &b);
}

/* A one-way record alone; @p empty_rev: the exporter said the other direction had no packets. */
static void emit_single(struct fdxi_pairer *p, const struct fdxi_flowdec *d, bool empty_rev)
{
    struct side s = {d, 0}, none = {NULL, 0};
    p->st.unpaired++;
    if (p->cfg.unpaired == FDX_UNPAIRED_UNKNOWN && !empty_rev)
        emit(p, &s, NULL);
    else if (port_rule(p, d) < 0) /* the server's packets: the client's request had none */
        emit(p, &none, &s);
    else
        emit(p, &s, &none);
}

/* Two one-way records of opposite directions; @p a arrived first. */
static void emit_pair(struct fdxi_pairer *p, const struct fdxi_flowdec *a,
                      const struct fdxi_flowdec *b)
{
    bool b_first;
    if (a->start_us[0] != b->start_us[0])
        b_first = b->start_us[0] < a->start_us[0];
    else
        b_first = port_rule(p, a) < 0;
    struct side sa = {a, 0}, sb = {b, 0};
    p->st.paired++;
    if (b_first)
        emit(p, &sb, &sa);
    else
        emit(p, &sa, &sb);
}

/* FNV-1a over the session and both endpoints in a fixed order, so both directions hash alike. */
static uint32_t key_hash(const struct fdxi_flowdec *d, uint32_t session)
{
    const uint8_t *a = d->src, *b = d->dst;
    uint16_t pa = d->sport, pb = d->dport;
    int c = memcmp(a, b, 16);
    if (c > 0 || (c == 0 && pa > pb)) {
        a = d->dst, b = d->src;
        pa = d->dport, pb = d->sport;
    }
    uint8_t head[8] = {(uint8_t)(session >> 24),
                       (uint8_t)(session >> 16),
                       (uint8_t)(session >> 8),
                       (uint8_t)session,
                       d->proto,
                       d->ip_version,
                       0,
                       0};
    uint8_t ports[4] = {(uint8_t)(pa >> 8), (uint8_t)pa, (uint8_t)(pb >> 8), (uint8_t)pb};
    uint64_t h = fdxi_fnv1a64_update(FDXI_FNV1A64_BASIS, head, sizeof(head));
    h = fdxi_fnv1a64_update(h, a, 16);
    h = fdxi_fnv1a64_update(h, b, 16);
    h = fdxi_fnv1a64_update(h, ports, sizeof(ports));
    return (uint32_t)(h ^ (h >> 32));
}

/* Whether @p b is the reverse of @p a: the same endpoints swapped, the same protocol, and times
 * that overlap once each is widened by the slack. */
static bool reverse_of(const struct fdxi_pairer *p, const struct fdxi_flowdec *a,
                       const struct fdxi_flowdec *b)
{
    if (a->ip_version != b->ip_version || a->proto != b->proto || a->sport != b->dport ||
        a->dport != b->sport || memcmp(a->src, b->dst, 16) != 0 || memcmp(a->dst, b->src, 16) != 0)
        return false;
    uint64_t slack = p->cfg.slack_us;
    return b->start_us[0] <= a->end_us[0] + slack && a->start_us[0] <= b->end_us[0] + slack;
}

struct fdxi_pairer *fdxi_pairer_new(const struct fdxi_pairer_config *cfg)
{
    struct fdxi_pairer *p = calloc(1, sizeof(*p));
    if (p == NULL)
        return NULL;
    p->cfg = *cfg;
    if (p->cfg.max_pending == 0)
        p->cfg.max_pending = 1;
    uint32_t nb = 16;
    while (nb < p->cfg.max_pending && nb < (1u << 24))
        nb <<= 1;
    p->buckets = malloc(nb * sizeof(*p->buckets));
    if (p->buckets == NULL) {
        free(p);
        return NULL;
    }
    for (uint32_t i = 0; i < nb; i++)
        p->buckets[i] = NIL;
    p->mask = nb - 1;
    p->head = p->tail = p->free_head = NIL;
    return p;
}

void fdxi_pairer_free(struct fdxi_pairer *p)
{
    if (p == NULL)
        return;
    free(p->v);
    free(p->buckets);
    free(p);
}

static void unlink_slot(struct fdxi_pairer *p, uint32_t i)
{
    struct pend *e = &p->v[i];
    uint32_t *link = &p->buckets[e->hash & p->mask];
    while (*link != i)
        link = &p->v[*link].hnext;
    *link = e->hnext;
    if (e->prev != NIL)
        p->v[e->prev].next = e->next;
    else
        p->head = e->next;
    if (e->next != NIL)
        p->v[e->next].prev = e->prev;
    else
        p->tail = e->prev;
    e->hnext = p->free_head;
    p->free_head = i;
    p->live--;
}

/* Release the longest-waiting record alone. */
static void release_head(struct fdxi_pairer *p)
{
    uint32_t i = p->head;
    struct fdxi_flowdec d = p->v[i].d;
    bool empty_rev = p->v[i].empty_rev;
    unlink_slot(p, i);
    emit_single(p, &d, empty_rev);
}

/* A free slot (growing the array up to max_pending), or NIL when memory runs out. */
static uint32_t take_slot(struct fdxi_pairer *p)
{
    if (p->free_head != NIL) {
        uint32_t i = p->free_head;
        p->free_head = p->v[i].hnext;
        return i;
    }
    if (p->used == p->cap) {
        uint32_t cap = p->cap ? p->cap * 2 : FIRST_SLOTS;
        if (cap > p->cfg.max_pending)
            cap = p->cfg.max_pending;
        struct pend *v = realloc(p->v, (size_t)cap * sizeof(*v));
        if (v == NULL)
            return NIL;
        p->v = v;
        p->cap = cap;
    }
    return p->used++;
}

/* A biflow record whose forward direction is empty, made the one-way record of its reverse
 * direction: the addresses, ports and per-direction values swap sides. */
static void keep_reverse(struct fdxi_flowdec *d)
{
    uint8_t a[16];
    memcpy(a, d->src, sizeof(a));
    memcpy(d->src, d->dst, sizeof(a));
    memcpy(d->dst, a, sizeof(a));
    uint16_t port = d->sport;
    d->sport = d->dport;
    d->dport = port;
    d->packets[0] = d->packets[1];
    d->bytes[0] = d->bytes[1];
    d->flags[0] = d->flags[1];
    d->min_ttl[0] = d->min_ttl[1];
    d->max_ttl[0] = d->max_ttl[1];
    d->min_len[0] = d->min_len[1];
    d->max_len[0] = d->max_len[1];
    if (d->have & FDXI_DEC_RTIME) {
        d->start_us[0] = d->start_us[1];
        d->end_us[0] = d->end_us[1];
    }
    uint32_t have = d->have & ~(uint32_t)(FDXI_DEC_FLAGS | FDXI_DEC_TTL | FDXI_DEC_LEN);
    if (d->have & FDXI_DEC_RFLAGS)
        have |= FDXI_DEC_FLAGS;
    if (d->have & FDXI_DEC_RTTL)
        have |= FDXI_DEC_TTL;
    if (d->have & FDXI_DEC_RLEN)
        have |= FDXI_DEC_LEN;
    d->have = have;
}

void fdxi_pairer_add(struct fdxi_pairer *p, const struct fdxi_flowdec *in, uint32_t session,
                     uint64_t now_us)
{
    /* Every decoder's records arrive here, so the rule is applied once: exporters write ICMP's
     * type and code into a port (NetFlow v5 and many v9/IPFIX exporters into the destination
     * port), and flowdx keys ICMP flows without ports. */
    struct fdxi_flowdec one = *in;
    const struct fdxi_flowdec *d = &one;
    if (one.proto == 1 || one.proto == 58)
        one.sport = one.dport = 0;
    /* A biflow record with one empty direction may be one half of a flow whose other half the
     * exporter keeps apart (softflowd -b does so when both ends have the same address, and may
     * put the packets in either direction of the record): it is paired like a one-way record of
     * the direction that has packets, and released as a flow without an answer. */
    bool empty_rev = false;
    if (one.have & FDXI_DEC_REV) {
        p->st.biflows++;
        bool fwd = one.packets[0] != 0 || one.bytes[0] != 0;
        bool rev = one.packets[1] != 0 || one.bytes[1] != 0;
        if (fwd && rev) {
            emit_biflow(p, d);
            return;
        }
        if (rev)
            keep_reverse(&one);
        one.have &= ~(uint32_t)(FDXI_DEC_REV | FDXI_DEC_RFLAGS | FDXI_DEC_RTTL | FDXI_DEC_RLEN |
                                FDXI_DEC_RTIME | FDXI_DEC_BIDIR);
        empty_rev = true;
    }
    if (p->cfg.wait_us == 0) {
        emit_single(p, d, empty_rev);
        return;
    }
    uint32_t h = key_hash(d, session), match = NIL;
    for (uint32_t i = p->buckets[h & p->mask]; i != NIL; i = p->v[i].hnext) {
        const struct pend *e = &p->v[i];
        if (e->hash == h && e->session == session && reverse_of(p, &e->d, d) &&
            (match == NIL || e->deadline_us < p->v[match].deadline_us))
            match = i;
    }
    if (match != NIL) {
        struct fdxi_flowdec a = p->v[match].d;
        unlink_slot(p, match);
        emit_pair(p, &a, d);
        return;
    }
    if (p->live >= p->cfg.max_pending) {
        p->st.overflow++;
        release_head(p);
    }
    uint32_t i = take_slot(p);
    if (i == NIL) { /* no memory to wait in: alone at once */
        emit_single(p, d, empty_rev);
        return;
    }
    struct pend *e = &p->v[i];
    e->d = *d;
    e->empty_rev = empty_rev;
    e->session = session;
    e->hash = h;
    e->deadline_us = now_us + p->cfg.wait_us;
    e->hnext = p->buckets[h & p->mask];
    p->buckets[h & p->mask] = i;
    e->prev = p->tail;
    e->next = NIL;
    if (p->tail != NIL)
        p->v[p->tail].next = i;
    else
        p->head = i;
    p->tail = i;
    p->live++;
}

void fdxi_pairer_advance(struct fdxi_pairer *p, uint64_t now_us)
{
    while (p->head != NIL && p->v[p->head].deadline_us <= now_us)
        release_head(p);
}

void fdxi_pairer_flush(struct fdxi_pairer *p)
{
    while (p->head != NIL)
        release_head(p);
}

uint64_t fdxi_pairer_deadline(const struct fdxi_pairer *p)
{
    return p->head != NIL ? p->v[p->head].deadline_us : UINT64_MAX;
}

void fdxi_pairer_stats(const struct fdxi_pairer *p, struct fdxi_pair_stats *ret)
{
    *ret = p->st;
}
