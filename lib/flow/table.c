/* SPDX-License-Identifier: BSD-3-Clause */
/* Keeps bidirectional flows in a preallocated pool, finds them by 5-tuple and ends them on time. */
#include "flow/flow.h"

#include <stdlib.h>
#include <string.h>

#include "flowdx/flowdx.h"

/* Slots are allocated in slabs of this many, on demand, up to max_flows: never per packet. */
#define SLAB_SHIFT 10
#define SLAB_SLOTS (1u << SLAB_SHIFT)

struct fdxi_flow_table {
    struct fdxi_flow_table_config cfg;
    struct fdxi_flow_policy policy; /* cfg.policy or the default, copied */
    uint16_t *server_ports;         /* owned, sorted */
    size_t slot_bytes;
    uint8_t **slabs; /* max_flows / SLAB_SLOTS rounded up */
    uint32_t n_slabs;
    uint32_t used_slots; /* slots ever handed out (high-water mark) */
    uint32_t free_head;  /* free list through hash_next */
    uint32_t *buckets;   /* heads of the hash chains */
    uint32_t bucket_mask;
    uint32_t head[3], tail[3]; /* FDXI_LIST_* */
    uint32_t active;           /* slots in use */
    uint64_t next_id;
    uint64_t now_us;
    uint64_t evictions;
    uint64_t alloc_failures; /* slabs that could not be allocated */
};

static struct fdxi_flow *slot(const struct fdxi_flow_table *t, uint32_t idx)
{
    return (struct fdxi_flow *)(t->slabs[idx >> SLAB_SHIFT] +
                                (size_t)(idx & (SLAB_SLOTS - 1)) * t->slot_bytes);
}

void *fdxi_flow_state(struct fdxi_flow *f)
{
    return (uint8_t *)f + fdxi_align16(sizeof(*f));
}

/* ---- the three ordered lists ---- */

static void list_append(struct fdxi_flow_table *t, int l, struct fdxi_flow *f)
{
    f->next[l] = FDXI_NIL;
    f->prev[l] = t->tail[l];
    if (t->tail[l] != FDXI_NIL)
        slot(t, t->tail[l])->next[l] = f->self;
    else
        t->head[l] = f->self;
    t->tail[l] = f->self;
    f->lists |= (uint8_t)(1u << l);
}

static void list_remove(struct fdxi_flow_table *t, int l, struct fdxi_flow *f)
{
    if (!(f->lists & (1u << l)))
        return;
    if (f->prev[l] != FDXI_NIL)
        slot(t, f->prev[l])->next[l] = f->next[l];
    else
        t->head[l] = f->next[l];
    if (f->next[l] != FDXI_NIL)
        slot(t, f->next[l])->prev[l] = f->prev[l];
    else
        t->tail[l] = f->prev[l];
    f->lists &= (uint8_t) ~(1u << l);
}

static struct fdxi_flow *list_head(const struct fdxi_flow_table *t, int l)
{
    return t->head[l] == FDXI_NIL ? NULL : slot(t, t->head[l]);
}

/* ---- keys and hashing ---- */

static int endpoint_cmp(const uint8_t *a, uint16_t pa, const uint8_t *b, uint16_t pb)
{
    int c = memcmp(a, b, 16);
    if (c != 0)
        return c;
    return (pa > pb) - (pa < pb);
}

/* Canonical key of a packet; returns which key endpoint (0 or 1) sent it. */
static int make_key(const struct fdxi_packet *p, struct fdxi_flow_key *k)
{
    memset(k, 0, sizeof(*k));
    k->proto = p->proto;
    k->ip_version = p->ip_version;
    int src_side = endpoint_cmp(p->src, p->sport, p->dst, p->dport) <= 0 ? 0 : 1;
    memcpy(k->addr[src_side], p->src, 16);
    memcpy(k->addr[1 - src_side], p->dst, 16);
    k->port[src_side] = p->sport;
    k->port[1 - src_side] = p->dport;
    return src_side;
}

int fdxi_flow_packet_side(const struct fdxi_packet *p)
{
    return endpoint_cmp(p->src, p->sport, p->dst, p->dport) <= 0 ? 0 : 1;
}

static uint64_t mix(uint64_t h, uint64_t w)
{
    h ^= w;
    h *= 0x9E3779B97F4A7C15ull;
    h ^= h >> 29;
    return h;
}

static uint32_t hash_key(const struct fdxi_flow_table *t, const struct fdxi_flow_key *k)
{
    /* The sub-flow joins the hash with the ports below. */
    uint64_t h = t->cfg.hash_seed ^ 0x243F6A8885A308D3ull;
    for (int s = 0; s < 2; s++) {
        uint64_t w[2];
        memcpy(w, k->addr[s], 16);
        h = mix(h, w[0]);
        h = mix(h, w[1]);
    }
    h = mix(h, (uint64_t)k->port[0] << 48 | (uint64_t)k->port[1] << 32 | (uint64_t)k->sub << 8 |
                   k->proto);
    h ^= h >> 31;
    h *= 0xBF58476D1CE4E5B9ull;
    h ^= h >> 32;
    return (uint32_t)h;
}

static struct fdxi_flow *lookup(const struct fdxi_flow_table *t, const struct fdxi_flow_key *k,
                                uint32_t hash)
{
    for (uint32_t i = t->buckets[hash & t->bucket_mask]; i != FDXI_NIL;) {
        struct fdxi_flow *f = slot(t, i);
        if (f->hash == hash && memcmp(&f->key, k, sizeof(*k)) == 0)
            return f;
        i = f->hash_next;
    }
    return NULL;
}

static void hash_remove(struct fdxi_flow_table *t, struct fdxi_flow *f)
{
    uint32_t *link = &t->buckets[f->hash & t->bucket_mask];
    while (*link != FDXI_NIL) {
        if (*link == f->self) {
            *link = f->hash_next;
            return;
        }
        link = &slot(t, *link)->hash_next;
    }
}

/* ---- the initiator rule of the zadnik spec ---- */

bool fdxi_flow_is_server_port(const struct fdxi_flow_table *t, uint16_t port)
{
    if (port > 0 && port < 1024)
        return true;
    uint32_t lo = 0, hi = t->cfg.n_server_ports;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (t->server_ports[mid] == port)
            return true;
        if (t->server_ports[mid] < port)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

static bool default_src_is_initiator(const struct fdxi_flow_table *t, const struct fdxi_packet *p)
{
    if (p->proto == FDXI_PROTO_TCP && p->has_ports && (p->tcp_flags & FDXI_TCP_SYN)) {
        /* A SYN without ACK opens the connection; a SYN+ACK answers the other side's SYN. */
        return !(p->tcp_flags & FDXI_TCP_ACK);
    }
    if (p->sport != 0 || p->dport != 0) {
        bool s = fdxi_flow_is_server_port(t, p->sport);
        bool d = fdxi_flow_is_server_port(t, p->dport);
        if (s != d)
            return d;
    }
    return true;
}

/* ---- slots ---- */

static void release(struct fdxi_flow_table *t, struct fdxi_flow *f)
{
    hash_remove(t, f);
    for (int l = 0; l < 3; l++)
        list_remove(t, l, f);
    f->hash_next = t->free_head;
    t->free_head = f->self;
    t->active--;
}

/* Why a closed (lingering) connection's record ends: its RST, else its FINs. */
static int close_reason(const struct fdxi_flow *f)
{
    return f->rst_seen ? FDX_END_RST : FDX_END_FIN;
}

/* End a record: report it, then free the slot or, on an active cut, keep it for the rest. */
static void end_flow(struct fdxi_flow_table *t, struct fdxi_flow *f, int reason)
{
    if (f->pending) {
        release(t, f); /* an active-cut continuation that never saw a packet: no record */
        return;
    }
    t->cfg.on_end(t->cfg.user, f, reason);
    if (reason != FDX_END_ACTIVE) {
        release(t, f);
        return;
    }
    list_remove(t, FDXI_LIST_AGE, f);
    list_remove(t, FDXI_LIST_LINGER, f);
    f->pending = true;
    f->lingering = false;
    f->rst_seen = false;
    f->fin_seen = 0;
    f->segment++;
    memset(f->packets, 0, sizeof(f->packets));
    memset(f->bytes, 0, sizeof(f->bytes));
}

/* Make sure the slab holding slot used_slots exists; false when memory runs out. */
static bool grow(struct fdxi_flow_table *t)
{
    uint32_t s = t->used_slots >> SLAB_SHIFT;
    if (t->slabs[s] == NULL) {
        t->slabs[s] = calloc(SLAB_SLOTS, t->slot_bytes);
        if (t->slabs[s] == NULL) {
            /* The table stays at its present size: from now on it evicts as if full. */
            t->alloc_failures++;
            return false;
        }
    }
    return true;
}

static struct fdxi_flow *alloc_slot(struct fdxi_flow_table *t)
{
    uint32_t idx;
    if (t->free_head != FDXI_NIL) {
        idx = t->free_head;
        t->free_head = slot(t, idx)->hash_next;
    } else if (t->used_slots < t->cfg.max_flows && grow(t)) {
        idx = t->used_slots++;
    } else {
        struct fdxi_flow *victim = list_head(t, FDXI_LIST_LRU);
        if (victim == NULL)
            return NULL;
        if (!victim->pending)
            t->evictions++;
        end_flow(t, victim, FDX_END_EVICTED);
        idx = t->free_head;
        t->free_head = slot(t, idx)->hash_next;
    }
    t->active++;
    struct fdxi_flow *f = slot(t, idx);
    memset(f, 0, t->slot_bytes);
    f->self = idx;
    return f;
}

static void begin_record(struct fdxi_flow_table *t, struct fdxi_flow *f, uint64_t ts_us)
{
    f->id = ++t->next_id;
    f->start_us = t->now_us;
    f->first_ts_us = ts_us;
    f->last_ts_us = ts_us;
    f->pending = false;
    list_append(t, FDXI_LIST_AGE, f);
    memset(fdxi_flow_state(f), 0, t->slot_bytes - fdxi_align16(sizeof(*f)));
    if (t->cfg.on_begin != NULL)
        t->cfg.on_begin(t->cfg.user, f);
}

static struct fdxi_flow *create(struct fdxi_flow_table *t, const struct fdxi_flow_key *k,
                                uint32_t hash, int src_side, const struct fdxi_packet *p)
{
    struct fdxi_flow *f = alloc_slot(t);
    if (f == NULL)
        return NULL;
    f->key = *k;
    f->hash = hash;
    bool src_init = t->policy.src_is_initiator != NULL
                        ? t->policy.src_is_initiator(t->cfg.policy_state, p)
                        : default_src_is_initiator(t, p);
    f->init_side = (uint8_t)(src_init ? src_side : 1 - src_side);
    uint32_t *bucket = &t->buckets[hash & t->bucket_mask];
    f->hash_next = *bucket;
    *bucket = f->self;
    f->last_us = t->now_us;
    list_append(t, FDXI_LIST_LRU, f);
    begin_record(t, f, p->ts_us);
    return f;
}

/* ---- the clock ---- */

static void expire(struct fdxi_flow_table *t)
{
    uint64_t now = t->now_us;
    struct fdxi_flow *f;
    while ((f = list_head(t, FDXI_LIST_LINGER)) != NULL && now > f->close_us)
        end_flow(t, f, close_reason(f));
    while ((f = list_head(t, FDXI_LIST_LRU)) != NULL && now - f->last_us > t->cfg.idle_us)
        end_flow(t, f, FDX_END_IDLE);
    if (t->cfg.active_us == 0)
        return;
    while ((f = list_head(t, FDXI_LIST_AGE)) != NULL && now - f->start_us > t->cfg.active_us)
        end_flow(t, f, FDX_END_ACTIVE);
}

void fdxi_flow_table_advance(struct fdxi_flow_table *t, uint64_t now_us)
{
    if (now_us > t->now_us)
        t->now_us = now_us;
    if (t->policy.default_timeouts)
        expire(t);
}

static void note_close(struct fdxi_flow_table *t, struct fdxi_flow *f, const struct fdxi_packet *p,
                       int dir)
{
    if (p->tcp_flags & FDXI_TCP_RST)
        f->rst_seen = true;
    if (p->tcp_flags & FDXI_TCP_FIN)
        f->fin_seen |= (uint8_t)(1u << dir);
    if (!f->lingering && (f->rst_seen || f->fin_seen == 3)) {
        f->lingering = true;
        f->close_us = t->now_us + t->cfg.linger_us;
        list_append(t, FDXI_LIST_LINGER, f);
    }
}

const struct fdxi_flow *fdxi_flow_table_peek(const struct fdxi_flow_table *t,
                                             const struct fdxi_packet *pkt, uint32_t sub,
                                             int *ret_dir)
{
    struct fdxi_flow_key k;
    int src_side = make_key(pkt, &k);
    k.sub = sub;
    const struct fdxi_flow *f = lookup(t, &k, hash_key(t, &k));
    if (f != NULL && ret_dir != NULL)
        *ret_dir = src_side == f->init_side ? FDX_DIR_REQ : FDX_DIR_RESP;
    return f;
}

/* Whether @p p opens a TCP connection: SYN without ACK. */
static bool is_new_connection(const struct fdxi_packet *p)
{
    return p->proto == FDXI_PROTO_TCP && p->has_ports &&
           (p->tcp_flags & (FDXI_TCP_SYN | FDXI_TCP_ACK)) == FDXI_TCP_SYN;
}

struct fdxi_flow *fdxi_flow_table_packet(struct fdxi_flow_table *t, const struct fdxi_packet *p,
                                         int *ret_dir)
{
    if (t->policy.select != NULL && !t->policy.select(t->cfg.policy_state, p))
        return NULL;
    if (p->ts_us < t->now_us && t->now_us - p->ts_us > t->cfg.idle_us) {
        /* Time went back further than any flow could idle: a capture restarted (concatenated
         * files, a replay). Flows of the old time must not absorb packets of the new one. */
        fdxi_flow_table_flush(t, FDX_END_CLOCK);
        t->now_us = p->ts_us;
    }
    fdxi_flow_table_advance(t, p->ts_us);

    struct fdxi_flow_key k;
    int src_side = make_key(p, &k);
    if (t->policy.choose_sub != NULL)
        k.sub = t->policy.choose_sub(t->cfg.policy_state, t, p);
    uint32_t hash = hash_key(t, &k);
    struct fdxi_flow *f = lookup(t, &k, hash);
    if (f != NULL && !f->pending && t->policy.cut_before != NULL &&
        t->policy.cut_before(t->cfg.policy_state, f, p)) {
        end_flow(t, f, FDX_END_CUT);
        f = NULL;
    }
    if (f != NULL && f->lingering && is_new_connection(p)) {
        /* A SYN on a closed connection's 4-tuple opens a new connection (a client reusing its
         * port soon after a RST): the closed record ends now instead of absorbing it. */
        end_flow(t, f, close_reason(f));
        f = NULL;
    }
    if (f == NULL) {
        f = create(t, &k, hash, src_side, p);
        if (f == NULL)
            return NULL;
    } else if (f->pending) {
        begin_record(t, f, p->ts_us);
    }
    int dir = src_side == f->init_side ? FDX_DIR_REQ : FDX_DIR_RESP;
    f->packets[dir]++;
    f->bytes[dir] += p->ip_len;
    f->last_us = t->now_us;
    if (p->ts_us < f->first_ts_us)
        f->first_ts_us = p->ts_us;
    if (p->ts_us > f->last_ts_us)
        f->last_ts_us = p->ts_us;
    if (t->tail[FDXI_LIST_LRU] != f->self) { /* bursts of one flow skip the relink */
        list_remove(t, FDXI_LIST_LRU, f);
        list_append(t, FDXI_LIST_LRU, f);
    }
    if (t->policy.default_timeouts && p->proto == FDXI_PROTO_TCP && p->has_ports)
        note_close(t, f, p, dir);
    *ret_dir = dir;
    return f;
}

void fdxi_flow_table_after_packet(struct fdxi_flow_table *t, struct fdxi_flow *f)
{
    if (t->policy.sweep_after == NULL || !t->policy.sweep_after(t->cfg.policy_state, f))
        return;
    uint32_t i = t->head[FDXI_LIST_AGE];
    while (i != FDXI_NIL) {
        struct fdxi_flow *g = slot(t, i);
        i = g->next[FDXI_LIST_AGE];
        if (t->policy.expired(t->cfg.policy_state, g, t->now_us))
            end_flow(t, g, FDX_END_CUT);
    }
}

void fdxi_flow_table_flush(struct fdxi_flow_table *t, int reason)
{
    struct fdxi_flow *f;
    while ((f = list_head(t, FDXI_LIST_AGE)) != NULL)
        end_flow(t, f, reason);
    while ((f = list_head(t, FDXI_LIST_LRU)) != NULL)
        release(t, f); /* pending continuations without packets: nothing to report */
}

uint64_t fdxi_flow_table_take_id(struct fdxi_flow_table *t)
{
    return ++t->next_id;
}

uint64_t fdxi_flow_table_last_id(const struct fdxi_flow_table *t)
{
    return t->next_id;
}

uint32_t fdxi_flow_table_active(const struct fdxi_flow_table *t)
{
    return t->active;
}

uint64_t fdxi_flow_table_evictions(const struct fdxi_flow_table *t)
{
    return t->evictions;
}

uint64_t fdxi_flow_table_alloc_failures(const struct fdxi_flow_table *t)
{
    return t->alloc_failures;
}

/* ---- life cycle ---- */

static int cmp_u16(const void *a, const void *b)
{
    uint16_t x = *(const uint16_t *)a, y = *(const uint16_t *)b;
    return (x > y) - (x < y);
}

struct fdxi_flow_table *fdxi_flow_table_new(const struct fdxi_flow_table_config *cfg)
{
    if (cfg->max_flows == 0 || cfg->on_end == NULL)
        return NULL;
    struct fdxi_flow_table *t = calloc(1, sizeof(*t));
    if (t == NULL)
        return NULL;
    t->cfg = *cfg;
    t->next_id = cfg->first_id > 0 ? cfg->first_id - 1 : 0; /* ids are taken as ++next_id */
    if (cfg->policy != NULL) {
        t->policy = *cfg->policy;
    } else {
        t->policy.name = "default";
        t->policy.default_timeouts = true;
    }
    if (cfg->n_server_ports > 0) {
        t->server_ports = malloc(cfg->n_server_ports * sizeof(uint16_t));
        if (t->server_ports == NULL)
            goto fail;
        memcpy(t->server_ports, cfg->server_ports, cfg->n_server_ports * sizeof(uint16_t));
        qsort(t->server_ports, cfg->n_server_ports, sizeof(uint16_t), cmp_u16);
    }
    t->slot_bytes = fdxi_align16(sizeof(struct fdxi_flow)) + fdxi_align16(cfg->state_bytes);
    t->n_slabs = (cfg->max_flows + SLAB_SLOTS - 1) / SLAB_SLOTS;
    t->slabs = calloc(t->n_slabs, sizeof(*t->slabs));
    uint32_t nb = 1024;
    while (nb < cfg->max_flows && nb < (1u << 31))
        nb <<= 1;
    t->buckets = malloc((size_t)nb * sizeof(uint32_t));
    if (t->slabs == NULL || t->buckets == NULL)
        goto fail;
    memset(t->buckets, 0xFF, (size_t)nb * sizeof(uint32_t));
    t->bucket_mask = nb - 1;
    t->free_head = FDXI_NIL;
    for (int l = 0; l < 3; l++)
        t->head[l] = t->tail[l] = FDXI_NIL;
    return t;
fail:
    fdxi_flow_table_free(t);
    return NULL;
}

void fdxi_flow_table_free(struct fdxi_flow_table *t)
{
    if (t == NULL)
        return;
    if (t->slabs != NULL) {
        for (uint32_t i = 0; i < t->n_slabs; i++)
            free(t->slabs[i]);
    }
    free(t->slabs);
    free(t->buckets);
    free(t->server_ports);
    free(t);
}
