/* SPDX-License-Identifier: BSD-3-Clause */
/* Pair evidence: per-flow verdicts decided with the evidence of the flow's client-server pair
 * over a sliding window (flowdx_model.h explains the rule). */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "flowdx/flowdx_model.h"
#include "model/bundle.h"

#define MAX_ENTRIES_PER_PAIR                                                                       \
    65536u /* flows remembered per pair in the window; beyond, the oldest goes */
/* A record that ended this long (plus the window) before the latest one comes from another
 * time (captures of different days read one after the other): a new epoch starts. Records
 * finished by an idle timeout arrive late by that timeout, which must stay below this. */
#define EPOCH_GAP_US (3600ull * 1000000ull)

struct entry {
    uint64_t end_us;
    uint64_t bytes; /* request-direction IP bytes, counted only when flagged */
    bool flagged;
};

struct held;

struct pair_key {
    uint8_t src[16], dst[16];
    uint16_t port;
    uint8_t version;
};

struct pair {
    struct pair_key key;
    uint32_t bucket;
    struct pair *hash_next;
    struct pair *lru_prev, *lru_next; /* most recently used first */
    struct entry *ring;
    uint32_t ring_cap, ring_head, ring_len;
    uint32_t flows, flagged; /* sums over the ring */
    uint64_t flagged_bytes;
    uint64_t newest_us;      /* latest end time among the pair's flows */
    uint64_t established_to; /* established for flows ending at or before this; 0: never */
    struct held *held_first, *held_last;
};

struct held {
    void *item;
    uint64_t end_us;
    bool flagged;
    struct pair *pair;
    struct held *prev, *next; /* all held flows, in the order they were added */
    struct held *pair_next;   /* the pair's held flows, same order */
};

struct fdx_pairs {
    struct fdx_pairs_options o;
    uint64_t window_us;
    fdx_pairs_fn fn;
    void *user;
    struct pair **buckets;
    uint32_t n_buckets, n_pairs;
    struct pair *lru_first, *lru_last;
    struct held *held_first, *held_last;
    uint32_t n_held;
    uint64_t clock_us;
};

void fdx_pairs_options_init(struct fdx_pairs_options *o)
{
    memset(o, 0, sizeof(*o));
    o->struct_size = sizeof(*o);
    o->window_s = 120.0;
    o->min_bytes = 8192;
    o->min_share = 0.5;
    o->max_pairs = 65536;
    o->max_held = 65536;
}

int fdx_pairs_new(const struct fdx_pairs_options *o, fdx_pairs_fn fn, void *user, fdx_pairs **ret)
{
    *ret = NULL;
    if (o == NULL || fn == NULL || o->struct_size < sizeof(*o) ||
        !(o->window_s > 0 && o->window_s <= 86400.0) || !(o->min_share >= 0 && o->min_share <= 1) ||
        o->max_pairs == 0 || o->max_pairs > (1u << 26) || o->max_held == 0)
        return FDX_EINVAL;
    fdx_pairs *p = calloc(1, sizeof(*p));
    if (p == NULL)
        return FDX_ENOMEM;
    p->o = *o;
    p->window_us = (uint64_t)llround(o->window_s * 1e6);
    p->fn = fn;
    p->user = user;
    p->n_buckets = 64;
    while (p->n_buckets < o->max_pairs / 2 && p->n_buckets < (1u << 20))
        p->n_buckets *= 2;
    p->buckets = calloc(p->n_buckets, sizeof(*p->buckets));
    if (p->buckets == NULL) {
        free(p);
        return FDX_ENOMEM;
    }
    *ret = p;
    return 0;
}

static void make_key(const struct fdx_flow_record *r, struct pair_key *k)
{
    memset(k, 0, sizeof(*k));
    memcpy(k->src, r->src_addr, 16);
    memcpy(k->dst, r->dst_addr, 16);
    k->port = r->dst_port;
    k->version = r->ip_version;
}

static bool same_key(const struct pair_key *a, const struct pair_key *b)
{
    return a->port == b->port && a->version == b->version && memcmp(a->src, b->src, 16) == 0 &&
           memcmp(a->dst, b->dst, 16) == 0;
}

static void lru_unlink(fdx_pairs *p, struct pair *q)
{
    if (q->lru_prev)
        q->lru_prev->lru_next = q->lru_next;
    else
        p->lru_first = q->lru_next;
    if (q->lru_next)
        q->lru_next->lru_prev = q->lru_prev;
    else
        p->lru_last = q->lru_prev;
    q->lru_prev = q->lru_next = NULL;
}

static void lru_push_front(fdx_pairs *p, struct pair *q)
{
    q->lru_next = p->lru_first;
    if (p->lru_first)
        p->lru_first->lru_prev = q;
    p->lru_first = q;
    if (p->lru_last == NULL)
        p->lru_last = q;
}

static void forget_pair(fdx_pairs *p, struct pair *q)
{
    struct pair **pp = &p->buckets[q->bucket];
    while (*pp != q)
        pp = &(*pp)->hash_next;
    *pp = q->hash_next;
    lru_unlink(p, q);
    free(q->ring);
    free(q);
    p->n_pairs--;
}

static void forget_all(fdx_pairs *p)
{
    while (p->lru_first != NULL)
        forget_pair(p, p->lru_first);
}

static void drop_oldest_entry(struct pair *q)
{
    const struct entry *e = &q->ring[q->ring_head];
    q->flows--;
    if (e->flagged) {
        q->flagged--;
        q->flagged_bytes -= e->bytes;
    }
    q->ring_head = (q->ring_head + 1) % q->ring_cap;
    q->ring_len--;
}

/* Drop the entries that ended more than the window before the pair's newest flow. */
static void prune(const fdx_pairs *p, struct pair *q)
{
    uint64_t from = q->newest_us > p->window_us ? q->newest_us - p->window_us : 0;
    while (q->ring_len > 0 && q->ring[q->ring_head].end_us < from)
        drop_oldest_entry(q);
}

static void evidence(const struct pair *q, bool held, struct fdx_pair_evidence *ev)
{
    memset(ev, 0, sizeof(*ev));
    ev->flows = q->flows;
    ev->flagged = q->flagged;
    ev->flagged_bytes = q->flagged_bytes;
    ev->held = held;
}

static void unlink_held(fdx_pairs *p, struct held *h)
{
    if (h->prev)
        h->prev->next = h->next;
    else
        p->held_first = h->next;
    if (h->next)
        h->next->prev = h->prev;
    else
        p->held_last = h->prev;
    p->n_held--;
}

/* Decide the pair's oldest held flow. */
static void decide_first_of_pair(fdx_pairs *p, struct pair *q, uint32_t verdict)
{
    struct held *h = q->held_first;
    q->held_first = h->pair_next;
    if (q->held_first == NULL)
        q->held_last = NULL;
    unlink_held(p, h);
    struct fdx_pair_evidence ev;
    evidence(q, true, &ev);
    void *item = h->item;
    free(h);
    p->fn(p->user, item, verdict, &ev);
}

/* Decide the held flows whose hold is over (all of them with everything), oldest first. A
 * pair's own list has the global order, so the global head is the first of its pair. */
static void expire(fdx_pairs *p, bool everything)
{
    while (p->held_first != NULL) {
        struct held *h = p->held_first;
        if (!everything && h->end_us + p->window_us > p->clock_us && p->n_held <= p->o.max_held)
            break;
        decide_first_of_pair(p, h->pair, h->flagged ? FDX_PAIR_UNCERTAIN : FDX_PAIR_BENIGN);
    }
}

/* Forget pairs with nothing in the window and nothing held, least recently used first; and,
 * over max_pairs, the least recently used pairs without held flows. */
static void forget_idle(fdx_pairs *p)
{
    struct pair *q = p->lru_last;
    while (q != NULL) {
        struct pair *prev = q->lru_prev;
        bool idle = q->newest_us + p->window_us <= p->clock_us;
        if (!idle && p->n_pairs <= p->o.max_pairs)
            break;
        if (q->held_first == NULL && (idle || p->n_pairs > p->o.max_pairs))
            forget_pair(p, q);
        q = prev;
    }
}

static struct pair *find_or_add(fdx_pairs *p, const struct fdx_flow_record *r)
{
    struct pair_key k;
    make_key(r, &k);
    /* make_key zeroed the padding, so the key's bytes are the key */
    uint32_t b = (uint32_t)fdxi_fnv1a64(&k, sizeof(k)) & (p->n_buckets - 1);
    for (struct pair *q = p->buckets[b]; q != NULL; q = q->hash_next) {
        if (same_key(&q->key, &k)) {
            lru_unlink(p, q);
            lru_push_front(p, q);
            return q;
        }
    }
    struct pair *q = calloc(1, sizeof(*q));
    if (q == NULL)
        return NULL;
    q->key = k;
    q->bucket = b;
    q->hash_next = p->buckets[b];
    p->buckets[b] = q;
    lru_push_front(p, q);
    p->n_pairs++;
    return q;
}

static bool push_entry(struct pair *q, uint64_t end_us, bool flagged, uint64_t bytes)
{
    if (q->ring_len == MAX_ENTRIES_PER_PAIR)
        drop_oldest_entry(q);
    if (q->ring_len == q->ring_cap) {
        uint32_t cap = q->ring_cap ? q->ring_cap * 2 : 8;
        struct entry *ring = malloc((size_t)cap * sizeof(*ring));
        if (ring == NULL)
            return false;
        for (uint32_t i = 0; i < q->ring_len; i++)
            ring[i] = q->ring[(q->ring_head + i) % q->ring_cap];
        free(q->ring);
        q->ring = ring;
        q->ring_cap = cap;
        q->ring_head = 0;
    }
    q->ring[(q->ring_head + q->ring_len) % q->ring_cap] =
        (struct entry){.end_us = end_us, .bytes = flagged ? bytes : 0, .flagged = flagged};
    q->ring_len++;
    q->flows++;
    if (flagged) {
        q->flagged++;
        q->flagged_bytes += bytes;
    }
    return true;
}

static bool established_now(const fdx_pairs *p, const struct pair *q)
{
    return q->flagged > 0 && q->flagged_bytes >= p->o.min_bytes &&
           (double)q->flagged >= p->o.min_share * (double)q->flows;
}

int fdx_pairs_add(fdx_pairs *p, const struct fdx_flow_record *rec, int flagged, void *item)
{
    bool f = flagged != 0;
    if (rec->end_us + p->window_us + EPOCH_GAP_US < p->clock_us) {
        expire(p, true);
        forget_all(p);
        p->clock_us = rec->end_us;
    }
    if (rec->end_us > p->clock_us)
        p->clock_us = rec->end_us;
    struct pair *q = find_or_add(p, rec);
    struct fdx_pair_evidence ev;
    if (q == NULL || !push_entry(q, rec->end_us, f, rec->bytes[FDX_DIR_REQ])) {
        memset(&ev, 0, sizeof(ev));
        ev.flows = 1;
        ev.flagged = f;
        ev.flagged_bytes = f ? rec->bytes[FDX_DIR_REQ] : 0;
        p->fn(p->user, item, f ? FDX_PAIR_UNCERTAIN : FDX_PAIR_BENIGN, &ev);
        return FDX_ENOMEM;
    }
    if (rec->end_us > q->newest_us)
        q->newest_us = rec->end_us;
    prune(p, q);
    if (established_now(p, q))
        q->established_to = q->newest_us + p->window_us;
    int rc = 0;
    if (rec->end_us <= q->established_to) {
        while (q->held_first != NULL)
            decide_first_of_pair(p, q, FDX_PAIR_MALICIOUS);
        evidence(q, false, &ev);
        p->fn(p->user, item, FDX_PAIR_MALICIOUS, &ev);
    } else if (q->flagged == 0 && q->held_first == NULL) {
        evidence(q, false, &ev);
        p->fn(p->user, item, FDX_PAIR_BENIGN, &ev);
    } else {
        struct held *h = calloc(1, sizeof(*h));
        if (h == NULL) {
            evidence(q, false, &ev);
            p->fn(p->user, item, f ? FDX_PAIR_UNCERTAIN : FDX_PAIR_BENIGN, &ev);
            rc = FDX_ENOMEM;
        } else {
            *h = (struct held){.item = item, .end_us = rec->end_us, .flagged = f, .pair = q};
            h->prev = p->held_last;
            if (p->held_last)
                p->held_last->next = h;
            else
                p->held_first = h;
            p->held_last = h;
            p->n_held++;
            if (q->held_last)
                q->held_last->pair_next = h;
            else
                q->held_first = h;
            q->held_last = h;
        }
    }
    expire(p, false);
    forget_idle(p);
    return rc;
}

void fdx_pairs_advance(fdx_pairs *p, uint64_t now_us)
{
    if (now_us > p->clock_us)
        p->clock_us = now_us;
    expire(p, false);
    forget_idle(p);
}

void fdx_pairs_flush(fdx_pairs *p)
{
    expire(p, true);
}

void fdx_pairs_free(fdx_pairs *p)
{
    if (p == NULL)
        return;
    expire(p, true);
    forget_all(p);
    free(p->buckets);
    free(p);
}
